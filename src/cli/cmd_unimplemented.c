/* husk — placeholder for the commands that are not built yet.  Each has its
 * entry in main.c's table so help and usage work today; the entry's handler
 * is swapped for the real one when the command lands. */
#include "config.h"

#include "cli.h"

#include <stdio.h>

#include "util.h"

/* For commands without flags of their own (yet). */
const struct husk_option cmd_no_options[] = {{NULL}};

int cmd_unimplemented(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[1];
  int first_arg = 0;
  husk_error_t err = {0};
  /* Only --help matters here: the real flags are not known yet, so any other
   * flag is not an error of the caller's. */
  enum husk_parse_result r =
      husk_options_parse(cli->command->options, argc, argv, flags, &first_arg, &err);
  husk_error_clear(&err);
  if (r == HUSK_PARSE_HELP) {
    husk_print_command_help(cli, cli->command);
    return 0;
  }
  if (r == HUSK_PARSE_OK)
    husk_flags_free(cli->command->options, flags);
  husk_cli_error(cli, "%s: not implemented yet", cli->command->name);
  return 1;
}
