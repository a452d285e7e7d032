/* husk start — run the user's process in a created container. */
#include "cli.h"

#include "container.h"

int cmd_start(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  husk_flags_free(cli->command->options, flags);
  husk_error_t err = {0};
  if (husk_container_start(cli->root, argv[first_arg], &err) < 0)
    return husk_cli_fail(cli, &err);
  return 0;
}
