/* libFuzzer target: `exec --process FILE` (a process.json, as podman and
 * containerd write it) — husk_process_parse, which validates the process,
 * then the CPU lists of execCPUAffinity exec applies in the container. */
#include "config.h"

#include <sched.h>

#include "exec_steps.h"
#include "fuzz.h"
#include "husk/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct husk_process *process = NULL;
  husk_error_t err = {0};
  int r = husk_process_parse((const char *)data, size, "process.json", &process, &err);
  FUZZ_CHECK((r == 0) == (err.msg == NULL));
  if (r == 0) {
    /* husk_process_parse promises a non-empty args. */
    FUZZ_CHECK(process != NULL && process->args.len > 0 && process->args.items[0] != NULL);
    cpu_set_t set;
    if (process->has_exec_cpu_affinity) {
      const char *lists[] = {process->exec_cpu_affinity.initial, process->exec_cpu_affinity.final};
      for (size_t i = 0; i < 2; i++) {
        if (lists[i] == NULL || lists[i][0] == '\0')
          continue;
        (void)husk_cpu_list_parse(lists[i], "execCPUAffinity", &set, &err);
        husk_error_clear(&err);
      }
    }
  }
  husk_process_free(process);
  husk_error_clear(&err);
  return 0;
}
