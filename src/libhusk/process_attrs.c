/* husk — the scheduling and memory attributes of a process: oomScoreAdj,
 * linux.personality, scheduler, ioPriority, execCPUAffinity and
 * linux.memoryPolicy (see exec_steps.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_steps.h"
#include "procfs.h"
#include "util.h"

int husk_oom_score_adj_apply(const struct husk_process *process, husk_error_t *err) {
  if (!process->has_oom_score_adj)
    return 0; /* config.md: MUST NOT change it when unset */
  char buf[16];
  int n = snprintf(buf, sizeof(buf), "%d", process->oom_score_adj);
  _cleanup_close_ int fd = husk_procfs_open(-1, "self/oom_score_adj", O_WRONLY, err);
  if (fd < 0)
    return husk_error_prefix(err, "process.oomScoreAdj %d", process->oom_score_adj);
  if (husk_write_all(fd, buf, (size_t)n) < 0) {
    int e = errno;
    return husk_error_set(err, e, "process.oomScoreAdj %d: write /proc/self/oom_score_adj%s",
                          process->oom_score_adj,
                          e == EACCES ? " (lowering it needs CAP_SYS_RESOURCE)" : "");
  }
  return 0;
}

int husk_personality_apply(const struct husk_spec *spec, husk_error_t *err) {
  if (!spec->linux_.has_personality)
    return 0;
  const struct husk_personality *p = &spec->linux_.personality;
  if (personality(p->persona) < 0)
    return husk_error_set(err, errno, "linux.personality.domain %s: personality",
                          p->domain ? p->domain : "?");
  return 0;
}

/* The kernel's struct sched_attr (include/uapi/linux/sched/types.h), spelt
 * out: glibc and the uapi header disagree on who defines it. */
struct husk_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

int husk_scheduler_apply(const struct husk_process *process, husk_error_t *err) {
  if (!process->has_scheduler)
    return 0;
  const struct husk_scheduler *s = &process->scheduler;
  /* Unset values are 0, as config.md says. */
  struct husk_sched_attr attr = {
      .size = sizeof(attr),
      .sched_policy = (uint32_t)s->policy,
      .sched_flags = s->flags,
      .sched_nice = s->has_nice ? s->nice : 0,
      .sched_priority = s->has_priority ? (uint32_t)s->priority : 0,
      .sched_runtime = s->has_runtime ? s->runtime : 0,
      .sched_deadline = s->has_deadline ? s->deadline : 0,
      .sched_period = s->has_period ? s->period : 0,
  };
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
    return husk_error_set(err, errno, "process.scheduler (policy %s): sched_setattr",
                          s->policy_name ? s->policy_name : "?");
  return 0;
}

#define HUSK_IOPRIO_WHO_PROCESS 1
#define HUSK_IOPRIO_CLASS_SHIFT 13

int husk_io_priority_apply(const struct husk_process *process, husk_error_t *err) {
  if (!process->has_io_priority)
    return 0;
  const struct husk_io_priority *io = &process->io_priority;
  int value = (io->class_ << HUSK_IOPRIO_CLASS_SHIFT) | io->priority;
  if (syscall(SYS_ioprio_set, HUSK_IOPRIO_WHO_PROCESS, 0, value) < 0)
    return husk_error_set(err, errno, "process.ioPriority (class %d, priority %d): ioprio_set",
                          io->class_, (int)io->priority);
  return 0;
}

/* Parse "0-3,7" into a bitmap of nbits bits. */
static int parse_ranges(const char *list, unsigned long *bits, unsigned nbits, const char *what,
                        husk_error_t *err) {
  const unsigned word = sizeof(unsigned long) * CHAR_BIT;
  memset(bits, 0, (nbits + word - 1) / word * sizeof(unsigned long));
  if (list == NULL || list[0] == '\0')
    return husk_error_set(err, 0, "%s: empty list", what);
  const char *p = list;
  for (;;) {
    char *end;
    if (*p < '0' || *p > '9')
      return husk_error_set(err, 0, "%s: invalid list \"%s\"", what, list);
    unsigned long a = strtoul(p, &end, 10), b = a;
    if (*end == '-') {
      p = end + 1;
      if (*p < '0' || *p > '9')
        return husk_error_set(err, 0, "%s: invalid list \"%s\"", what, list);
      b = strtoul(p, &end, 10);
    }
    if (a > b || b >= nbits)
      return husk_error_set(err, 0, "%s: invalid range in \"%s\" (at most %u)", what, list,
                            nbits - 1);
    for (unsigned long i = a; i <= b; i++)
      bits[i / word] |= 1UL << (i % word);
    if (*end == '\0')
      return 0;
    if (*end != ',')
      return husk_error_set(err, 0, "%s: invalid list \"%s\"", what, list);
    p = end + 1;
  }
}

int husk_cpu_list_parse(const char *list, const char *what, cpu_set_t *set, husk_error_t *err) {
  unsigned long bits[CPU_SETSIZE / (sizeof(unsigned long) * CHAR_BIT)];
  if (parse_ranges(list, bits, CPU_SETSIZE, what, err) < 0)
    return -1;
  CPU_ZERO(set);
  const unsigned word = sizeof(unsigned long) * CHAR_BIT;
  for (unsigned i = 0; i < CPU_SETSIZE; i++)
    if (bits[i / word] & (1UL << (i % word)))
      CPU_SET(i, set);
  return 0;
}

int husk_cpu_affinity_apply(const char *list, const char *what, husk_error_t *err) {
  if (list == NULL || list[0] == '\0')
    return 0; /* config.md: omitted or empty leaves the affinity alone */
  cpu_set_t set;
  if (husk_cpu_list_parse(list, what, &set, err) < 0)
    return -1;
  if (sched_setaffinity(0, sizeof(set), &set) < 0)
    return husk_error_set(err, errno, "%s \"%s\": sched_setaffinity", what, list);
  return 0;
}

/* Enough for any NUMA machine the kernel supports by default (NODES_SHIFT 10). */
#define HUSK_MAX_NODES 1024

int husk_memory_policy_apply(const struct husk_spec *spec, husk_error_t *err) {
  if (!spec->linux_.has_memory_policy)
    return 0;
  const struct husk_memory_policy *mp = &spec->linux_.memory_policy;
  unsigned long mask[HUSK_MAX_NODES / (sizeof(unsigned long) * CHAR_BIT)];
  unsigned long *nodes = NULL;
  unsigned long maxnode = 0;
  if (mp->nodes && mp->nodes[0]) {
    if (parse_ranges(mp->nodes, mask, HUSK_MAX_NODES, "linux.memoryPolicy.nodes", err) < 0)
      return -1;
    nodes = mask;
    /* The kernel reads maxnode - 1 bits (mm/mempolicy.c get_nodes). */
    maxnode = HUSK_MAX_NODES + 1;
  }
  if (syscall(SYS_set_mempolicy, mp->mode | (int)mp->flags, nodes, maxnode) < 0)
    return husk_error_set(err, errno, "linux.memoryPolicy (mode %d, nodes \"%s\"): set_mempolicy",
                          mp->mode, mp->nodes ? mp->nodes : "");
  return 0;
}
