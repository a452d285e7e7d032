/* husk kill — send a signal (default SIGTERM) to a container. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>

#include "container.h"

const struct husk_option cmd_kill_options[] = {
    {"all", 'a', false, "send the specified signal to all processes inside the container"},
    {NULL, 0, false, NULL},
};

int cmd_kill(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  bool all = flags[0].set;
  husk_flags_free(cli->command->options, flags);
  int nargs = argc - first_arg;
  if (nargs < 1 || nargs > 2) {
    printf("Incorrect Usage.\n\n");
    husk_print_command_help(cli, cli->command);
    husk_cli_error(cli, "\"kill\" requires a minimum of 1 and a maximum of 2 arguments");
    return 1;
  }
  husk_error_t err = {0};
  int sig = SIGTERM;
  if (nargs == 2 && husk_signal_parse(argv[first_arg + 1], &sig, &err) < 0)
    return husk_cli_fail(cli, &err);
  if (husk_container_kill(cli->root, argv[first_arg], sig, all, &err) < 0)
    return husk_cli_fail(cli, &err);
  return 0;
}
