/* libFuzzer target: the command line — husk_cli_parse with the option table
 * of the command named by the first argument (the input split on NUL bytes:
 * "exec\0--env\0A=1\0-t\0id\0sh").  Go flag syntax: -x, --x, --x=v, --x v,
 * --switch=false, "--". */
#include "config.h"

#include "cli.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (freopen("/dev/null", "w", stdout) == NULL) /* help and usage text */
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  char *buf;
  int argc;
  char **argv = fuzz_split(data, size, '\0', &argc, &buf);
  const struct husk_command *cmd = husk_find_command(argv[0]);
  if (cmd == NULL) {
    free(argv);
    free(buf);
    return 0;
  }
  struct husk_cli cli = {.program = "husk", .root = "/nonexistent", .command = cmd};
  size_t n = 0;
  while (cmd->options[n].name != NULL)
    n++;
  struct husk_flag *flags = calloc(n + 1, sizeof(*flags));
  FUZZ_CHECK(flags != NULL);
  int first_arg = -1;
  enum husk_parse_result r = husk_cli_parse(&cli, argc - 1, argv + 1, flags, &first_arg);
  if (r == HUSK_PARSE_OK) {
    FUZZ_CHECK(first_arg >= 0 && first_arg <= argc - 1);
    if (cmd->nargs >= 0)
      FUZZ_CHECK(argc - 1 - first_arg == cmd->nargs);
    for (size_t i = 0; i < n; i++) {
      if (!cmd->options[i].takes_value || !flags[i].set)
        continue;
      /* a flag with a value keeps every one, the last in .value */
      FUZZ_CHECK(flags[i].count > 0 && flags[i].value != NULL &&
                 flags[i].values[flags[i].count - 1] == flags[i].value);
    }
    husk_flags_free(cmd->options, flags);
  }
  free(flags);
  free(argv);
  free(buf);
  return 0;
}
