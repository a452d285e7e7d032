/* husk delete — remove a stopped container and what create made for it. */
#include "cli.h"

#include "container.h"

const struct husk_option cmd_delete_options[] = {
    {"force", 'f', false, "Forcibly deletes the container if it is still running (uses SIGKILL)"},
    {NULL, 0, false, NULL},
};

int cmd_delete(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  bool force = flags[0].set;
  husk_flags_free(cli->command->options, flags);
  husk_error_t err = {0};
  struct husk_warner_cb warn = {husk_cli_warn, cli};
  if (husk_container_delete(cli->root, argv[first_arg], force, &warn, &err) < 0)
    return husk_cli_fail(cli, &err);
  return 0;
}
