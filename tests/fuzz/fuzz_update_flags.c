/* libFuzzer target: `update`'s flags and their values — the option parser
 * with update's table, then the values as update reads them: memory sizes
 * ("64m", "1.5GiB", "-1"), Go integers ("0x10", "-5"), CFS times, cpuset
 * lists.  The input is the argument vector, split on NUL bytes.  Beside it,
 * the value parsers on their own: every argument also goes through the
 * memory size, duration (events --interval) and CPU list parsers. */
#include "config.h"

#include <sched.h>
#include <stdbool.h>
#include <unistd.h>

#include "cli.h"
#include "container_ops.h"
#include "exec_steps.h"
#include "fuzz.h"
#include "husk/spec.h"

/* Usage errors print runc's help text: not worth the time per input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (freopen("/dev/null", "w", stdout) == NULL)
    abort();
  return 0;
}

static void values(const char *s) {
  int64_t size = 0;
  if (husk_parse_memory_size(s, &size) == 0)
    FUZZ_CHECK(size >= -1);
  int64_t ns = 0;
  (void)husk_parse_duration(s, &ns);
  cpu_set_t set;
  husk_error_t err = {0};
  int r = husk_cpu_list_parse(s, "cpus", &set, &err);
  FUZZ_CHECK((r == 0) == (err.msg == NULL));
  FUZZ_CHECK(r < 0 || CPU_COUNT(&set) > 0);
  husk_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  char *buf;
  int argc;
  char **argv = fuzz_split(data, size, '\0', &argc, &buf);
  for (int i = 0; i < argc; i++)
    values(argv[i]);

  /* update takes exactly one ID: argv[0] is the first flag or the ID. */
  struct husk_cli cli = {
      .program = "husk", .root = "/nonexistent", .command = husk_find_command("update")};
  FUZZ_CHECK(cli.command != NULL);
  size_t n = 0;
  while (cmd_update_options[n].name != NULL)
    n++;
  struct husk_flag *flags = calloc(n, sizeof(*flags));
  FUZZ_CHECK(flags != NULL);
  int first_arg = 0;
  if (husk_cli_parse(&cli, argc, argv, flags, &first_arg) == HUSK_PARSE_OK) {
    FUZZ_CHECK(first_arg >= 0 && first_arg <= argc);
    struct husk_resources res;
    bool kernel_memory = false;
    husk_error_t err = {0};
    int r = cmd_update_resources_from_flags(&cli, flags, &res, &kernel_memory, &err);
    FUZZ_CHECK(r >= 0 || err.msg != NULL);
    if (r == 0) {
      FUZZ_CHECK(!res.memory.has_limit || res.memory.limit >= -1);
      FUZZ_CHECK(!res.cpu.has_period || res.cpu.period != 0);
    }
    husk_error_clear(&err);
    husk_flags_free(cmd_update_options, flags);
  }
  free(flags);
  free(argv);
  free(buf);
  return 0;
}
