/* husk state — print the OCI state of one container, as runc does. */
#include "config.h"

#include "cli.h"

#include <stdio.h>

#include "husk/state.h"
#include "util.h"

int cmd_state(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  husk_flags_free(cli->command->options, flags);
  const char *id = argv[first_arg];

  husk_error_t err = {0};
  if (husk_validate_id(id, &err) < 0)
    return husk_cli_fail(cli, &err);
  /* No lock: state.json is replaced atomically, and a reader must never
   * wait for a create that runs (or hangs in) its hooks. */
  struct husk_state state;
  if (husk_state_read(cli->root, id, false, &state, &err) < 0)
    return husk_cli_fail(cli, &err);

  husk_state_refresh_status(&state);
  /* runc's `state` always prints an empty owner; only `list` fills it in. */
  free(state.owner);
  state.owner = husk_xstrdup("");
  _cleanup_free_ char *json = husk_state_oci_json(&state, "  ");
  husk_state_free(&state);
  fputs(json, stdout);
  return fflush(stdout) == 0 ? 0 : 1;
}
