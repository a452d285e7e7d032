/* husk features — print the features document (runtime-spec features.md). */
#include "config.h"

#include "cli.h"

#include <stdio.h>

#include "checkpoint.h"
#include "husk/features.h"
#include "util.h"

int cmd_features(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  husk_flags_free(cli->command->options, flags);
  /* checkpoint/restore: what CRIU says on this host */
  husk_error_t err = {0};
  _cleanup_free_ char *criu_version = NULL;
  struct husk_checkpoint_support ck = {0};
  ck.enabled = husk_criu_probe(cli->criu, &criu_version, &err) == 0;
  ck.criu_version = criu_version;
  ck.missing = ck.enabled ? NULL : err.msg;
  _cleanup_free_ char *json = husk_features_json_checkpoint(&ck);
  husk_error_clear(&err);
  fputs(json, stdout);
  return fflush(stdout) == 0 ? 0 : 1;
}
