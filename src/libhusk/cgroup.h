/* husk — the container's cgroup on cgroup v2 (unified), v1 and hybrid hosts:
 * create, place the init, apply linux.resources, update, freeze, list,
 * stats, destroy.  Writers of the other cgroup files (cgroup_v1.c,
 * cgroup_v2.c, cgroup_devices_bpf.c) sit behind this interface. */
#ifndef HUSK_CGROUP_H
#define HUSK_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "husk/error.h"
#include "husk/spec.h"

enum husk_cgroup_mode {
  HUSK_CGROUP_UNIFIED, /* cgroup2 at /sys/fs/cgroup */
  HUSK_CGROUP_HYBRID,  /* v1 controllers + cgroup2 at /sys/fs/cgroup/unified */
  HUSK_CGROUP_LEGACY,  /* v1 only */
};

struct husk_cgroup {
  enum husk_cgroup_mode mode;
  /* The cgroup path below each hierarchy's root, e.g. "/husk-ID" or the
   * config's cgroupsPath; what state.json keeps as cgroup_path. */
  char *path;
  /* O_DIRECTORY fd of the v2 cgroup (unified mode), for clone3's
   * CLONE_INTO_CGROUP; -1 otherwise. */
  int v2_fd;
  /* How many trailing components of path husk made itself in every
   * hierarchy (create); destroy removes no more than those.  -1 when not
   * known (load): destroy then removes the leaf and, for "/husk/<id>" (the
   * default of older husks), an empty "/husk". */
  int created_depth;
};

int husk_cgroup_detect(enum husk_cgroup_mode *mode, husk_error_t *err);

/* The path husk uses for a container: linux.cgroupsPath when set (absolute
 * or relative, both taken below each hierarchy's root, as crun does; runc
 * puts a relative one below its own cgroup, which differs per v1
 * hierarchy), cleaned of "." and ".." so it never leaves the hierarchy;
 * else "/husk-<id>".  With systemd, cgroupsPath is "slice:prefix:name"
 * (default "system.slice:husk:<id>") and maps to the slice's directory
 * plus "<prefix>-<name>.scope".  NULL when the value is invalid. */
char *husk_cgroup_path_for(const struct husk_spec *spec, const char *id, bool systemd);
/* The same, saying why a value is refused (and, with systemd, that systemd
 * is not running). */
int husk_cgroup_resolve_path(const struct husk_spec *spec, const char *id, bool systemd, char **out,
                             husk_error_t *err);

/* Create the container's cgroup in every hierarchy husk manages, enable the
 * controllers the resources need in the parents' cgroup.subtree_control
 * (v2), and apply spec->linux_.resources.  Before the init is cloned; on
 * failure nothing is left. */
int husk_cgroup_create(const struct husk_spec *spec, const char *id, bool systemd,
                       struct husk_cgroup *cg, husk_error_t *err);

/* --systemd-cgroup: after the init is cloned, ask systemd for the transient
 * scope of linux.cgroupsPath ("slice:prefix:name") holding `pid`
 * (cgroup_systemd.c), then apply the resources again over what systemd
 * wrote.  *unit gets the unit's name, for husk_systemd_stop_scope. */
int husk_cgroup_systemd_start(const struct husk_spec *spec, const char *id,
                              const struct husk_cgroup *cg, pid_t pid, char **unit,
                              husk_error_t *err);

/* Reopen a cgroup made earlier from its mode and path (state.json). */
int husk_cgroup_load(const char *path, struct husk_cgroup *cg, husk_error_t *err);

/* Move a process into the container's cgroup (every v1 hierarchy; v2 when
 * clone3 could not place it there). */
int husk_cgroup_enter(const struct husk_cgroup *cg, pid_t pid, husk_error_t *err);
/* The process is in the container's cgroup of the unified hierarchy (an
 * error naming both when it is not). */
int husk_cgroup_check_member(const struct husk_cgroup *cg, pid_t pid, husk_error_t *err);

/* The limits no cgroup version accepts (shares out of range, swap below
 * limit, ...); with err->collect (husk check) all of them. */
int husk_cgroup_check_common(const struct husk_resources *res, husk_error_t *err);
/* The init moves itself into its v1 cgroups (no ~10 ms wait for the
 * kernel's global lock, see cgroup.c): the runtime opens the `tasks` files
 * (and, on a hybrid host, the unified cgroup for CLONE_INTO_CGROUP) before
 * the clone; the init writes "0" to each. Nothing to open in unified mode. */
struct husk_cgroup_self_attach {
  int *fds; /* `tasks` of each v1 hierarchy */
  size_t len;
  int v2_fd; /* hybrid: the unified cgroup, for clone3; else -1 */
};
int husk_cgroup_self_attach_prepare(const struct husk_cgroup *cg,
                                    struct husk_cgroup_self_attach *sa, husk_error_t *err);
int husk_cgroup_self_attach(const struct husk_cgroup_self_attach *sa, const char *path,
                            husk_error_t *err);
void husk_cgroup_self_attach_close(struct husk_cgroup_self_attach *sa);
/* Hybrid hosts: pid into the unified hierarchy only (clone3 could not). */
int husk_cgroup_enter_unified(const struct husk_cgroup *cg, pid_t pid, husk_error_t *err);

/* Apply (or update) resources.  Invalid values are refused before anything
 * is written, with the field named: "linux.resources.memory.limit: ...". */
int husk_cgroup_apply(const struct husk_cgroup *cg, const struct husk_resources *res,
                      husk_error_t *err);

/* Freeze (pause) or thaw (resume) every process of the cgroup, waiting
 * until the kernel reports the new state. */
int husk_cgroup_freeze(const struct husk_cgroup *cg, bool frozen, husk_error_t *err);
/* Whether the cgroup is frozen now. */
int husk_cgroup_is_frozen(const struct husk_cgroup *cg, bool *frozen, husk_error_t *err);

/* The pids in the cgroup (and its descendants), host pid namespace. */
int husk_cgroup_pids(const struct husk_cgroup *cg, pid_t **pids, size_t *n, husk_error_t *err);

/* Signal every process in the cgroup (kill --all, delete). */
int husk_cgroup_kill_all(const struct husk_cgroup *cg, int sig, husk_error_t *err);

/* runc's `events --stats` data; fields unknown to the host stay 0. */
struct husk_cgroup_stats {
  uint64_t cpu_usage_total, cpu_usage_user, cpu_usage_kernel; /* ns */
  uint64_t cpu_throttled_periods, cpu_throttled_time, cpu_periods;
  uint64_t memory_usage, memory_limit, memory_max_usage, memory_failcnt;
  uint64_t memory_swap_usage, memory_swap_limit, memory_cache;
  uint64_t memory_oom_events, memory_oom_kill_events;
  uint64_t pids_current, pids_limit;
  char *memory_stat; /* memory.stat as the kernel wrote it ("key value" lines), or NULL */
  char *cpu_percpu;  /* v1 cpuacct.usage_percpu (space-separated ns per CPU), or NULL */
  /* blkio: io_service_bytes_recursive entries, flattened */
  struct husk_blkio_entry {
    uint64_t major, minor, value;
    char op[8]; /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
  } * blkio_bytes;
  size_t blkio_bytes_len;
  struct husk_hugetlb_stat {
    char page_size[16];
    uint64_t usage, max_usage, failcnt;
  } * hugetlb;
  size_t hugetlb_len;
};
int husk_cgroup_stats(const struct husk_cgroup *cg, struct husk_cgroup_stats *st,
                      husk_error_t *err);
void husk_cgroup_stats_free(struct husk_cgroup_stats *st);

/* Kill what is left in the cgroup and remove it from every hierarchy. */
int husk_cgroup_destroy(const struct husk_cgroup *cg, husk_error_t *err);

void husk_cgroup_release(struct husk_cgroup *cg); /* frees path, closes v2_fd */

#endif
