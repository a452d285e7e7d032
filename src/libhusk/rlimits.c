/* husk — process.rlimits (see exec_steps.h). */
#include <errno.h>
#include <sys/resource.h>

#include "exec_steps.h"

int husk_rlimits_apply(const struct husk_process *process, husk_error_t *err) {
  for (size_t i = 0; i < process->rlimits_len; i++) {
    const struct husk_rlimit *rl = &process->rlimits[i];
    /* RLIM_INFINITY is all ones, as is the uint64 a config writes for it. */
    struct rlimit lim = {.rlim_cur = (rlim_t)rl->soft, .rlim_max = (rlim_t)rl->hard};
    if (setrlimit(rl->resource, &lim) < 0) {
      int e = errno;
      if (e == EPERM)
        return husk_error_set(err, e,
                              "process.rlimits[%zu]: set %s to soft %llu hard %llu (raising a "
                              "hard limit needs CAP_SYS_RESOURCE)",
                              i, rl->type ? rl->type : "?", (unsigned long long)rl->soft,
                              (unsigned long long)rl->hard);
      return husk_error_set(err, e, "process.rlimits[%zu]: set %s to soft %llu hard %llu", i,
                            rl->type ? rl->type : "?", (unsigned long long)rl->soft,
                            (unsigned long long)rl->hard);
    }
  }
  return 0;
}
