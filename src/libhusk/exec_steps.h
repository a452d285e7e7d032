/* husk — the single steps of exec_setup.c, one file each: rlimits.c,
 * user_setup.c, sysctl.c, lsm.c, process_attrs.c (caps.h and seccomp_filter.h
 * have their own headers).  Each names the config field at fault. */
#ifndef HUSK_EXEC_STEPS_H
#define HUSK_EXEC_STEPS_H

#include <sched.h>
#include <stdbool.h>

#include "husk/error.h"
#include "husk/spec.h"

/* Where a step reports what the spec calls a warning (not an error). */
struct husk_warner {
  void (*fn)(void *data, const char *msg); /* NULL: stderr */
  void *data;
};
void husk_warn(const struct husk_warner *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* rlimits.c: setrlimit for each process.rlimits entry. */
int husk_rlimits_apply(const struct husk_process *process, husk_error_t *err);

/* user_setup.c: process.user.umask (0022 when unset, as runc). */
void husk_user_umask(const struct husk_process *process);

/* "HOME=<dir>" from the container's /etc/passwd entry of process.user.uid
 * ("HOME=/" without one) when process.env has no HOME; NULL when it has. */
char *husk_home_env(const struct husk_process *process);
/* user_setup.c: additionalGids (skipped when the user namespace denies
 * setgroups), then gid and uid.  Keeping capabilities across setuid is the
 * caller's business (husk_caps_keep). */
int husk_user_switch(const struct husk_process *process, const struct husk_warner *w,
                     husk_error_t *err);

/* sysctl.c: linux.sysctl, only keys namespaced by the container's own
 * namespaces; writes /proc/sys (the container's /proc must be mounted). */
int husk_sysctl_check(const struct husk_spec *spec, husk_error_t *err);
int husk_sysctl_apply(const struct husk_spec *spec, husk_error_t *err);

/* lsm.c: the labels the kernel applies at the next execve. */
int husk_lsm_apparmor_exec(const char *profile, husk_error_t *err);
int husk_lsm_selinux_exec(const char *label, husk_error_t *err);

/* process_attrs.c: the scheduling / memory attributes. */
int husk_oom_score_adj_apply(const struct husk_process *process, husk_error_t *err);
int husk_personality_apply(const struct husk_spec *spec, husk_error_t *err);
int husk_scheduler_apply(const struct husk_process *process, husk_error_t *err);
int husk_io_priority_apply(const struct husk_process *process, husk_error_t *err);
int husk_memory_policy_apply(const struct husk_spec *spec, husk_error_t *err);
/* Parse a list like "0-3,7" (what names the field in messages) into a
 * cpu_set_t; "" or NULL is an error: the caller decides what empty means. */
int husk_cpu_list_parse(const char *list, const char *what, cpu_set_t *set, husk_error_t *err);
/* sched_setaffinity to the list; NULL or "" leaves the affinity alone. */
int husk_cpu_affinity_apply(const char *list, const char *what, husk_error_t *err);

#endif
