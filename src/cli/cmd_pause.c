/* husk pause / husk resume — freeze and thaw every process of a container
 * through its cgroup, as runc's commands of those names do. */
#include "config.h"

#include "cli.h"

#include "container_ops.h"

typedef int (*freeze_fn)(const char *root, const char *id, husk_error_t *err);

static int run(struct husk_cli *cli, int argc, char **argv, freeze_fn fn) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  husk_flags_free(cli->command->options, flags);
  husk_error_t err = {0};
  if (fn(cli->root, argv[first_arg], &err) < 0)
    return husk_cli_fail(cli, &err);
  return 0;
}

int cmd_pause(struct husk_cli *cli, int argc, char **argv) {
  return run(cli, argc, argv, husk_container_pause);
}

int cmd_resume(struct husk_cli *cli, int argc, char **argv) {
  return run(cli, argc, argv, husk_container_resume);
}
