/* husk — what cgroup.c (mode, path, dispatch), cgroup_v1.c and cgroup_v2.c
 * share: the hierarchies of the host, small cgroupfs file helpers, and the
 * per-version writers behind cgroup.h. */
#ifndef HUSK_CGROUP_INTERNAL_H
#define HUSK_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cgroup.h"
#include "cgroup_devices_bpf.h" /* v2 devices: husk_cgroup_devices_bpf_apply */

#define HUSK_CG_ROOT "/sys/fs/cgroup"
#define HUSK_CG_HYBRID_UNIFIED "/sys/fs/cgroup/unified"

/* One mounted v1 hierarchy, e.g. mount "/sys/fs/cgroup/cpu,cpuacct" with
 * controllers ",cpu,cpuacct," (commas around each name for lookups;
 * named hierarchies appear as ",name=systemd,"). */
struct husk_cg_hier {
  char *mount;
  char *controllers;
};

struct husk_cg_v1 {
  struct husk_cg_hier *items;
  size_t len;
};

/* The v1 hierarchies mounted under /sys/fs/cgroup (one entry per
 * superblock, whatever the number of bind mounts). */
int husk_cg_v1_list(struct husk_cg_v1 *l, husk_error_t *err);
/* The same from a mountinfo stream (what husk_cg_v1_list reads). */
void husk_cg_v1_parse(FILE *mountinfo, struct husk_cg_v1 *l);
void husk_cg_v1_free(struct husk_cg_v1 *l);
/* The hierarchy carrying `ctrl` ("memory", "name=systemd"), NULL if none. */
const struct husk_cg_hier *husk_cg_v1_find(const struct husk_cg_v1 *l, const char *ctrl);

/* ---- cgroupfs files (cgroup.c) ---------------------------------------- */

/* Write `value` to dir/file in one write(2): cgroupfs parses each write on
 * its own.  The error names the file and the value. */
int husk_cg_write(const char *dir, const char *file, const char *value, husk_error_t *err);
/* The same, but the error is prefixed with the config field at fault. */
int husk_cg_set(const char *dir, const char *file, const char *value, const char *field,
                husk_error_t *err);
int husk_cg_read(const char *dir, const char *file, char **out, husk_error_t *err);
/* Append one io_service_bytes entry to the stats. */
void husk_cg_add_blkio(struct husk_cgroup_stats *st, uint64_t maj, uint64_t min, const char *op,
                       uint64_t v);
bool husk_cg_has(const char *dir, const char *file);
/* A single number; "max" reads as UINT64_MAX.  -1 when missing/unparsable. */
int husk_cg_read_u64(const char *dir, const char *file, uint64_t *v);
/* The value of `key` in a "key value" per line file (cpu.stat,
 * memory.stat, memory.events, memory.oom_control); -1 when absent. */
int husk_cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *v);
/* Every pid in dir/cgroup.procs and its descendants, appended to *pids. */
int husk_cg_procs(const char *dir, bool recursive, pid_t **pids, size_t *n, husk_error_t *err);
/* rmdir dir after its child cgroups, depth first, retrying EBUSY while the
 * last tasks leave.  ENOENT is success. */
int husk_cg_rmdir_tree(const char *dir, husk_error_t *err);
/* Sleep a little: the polls (freeze, empty cgroup) use it. */
void husk_cg_nap(void);

/* "MAJ:MIN" for a device number from the spec, "*" for -1/absent. */
void husk_cg_devnum(char *buf, size_t size, bool has, int64_t num);

/* ---- cgroup v2 (cgroup_v2.c) ------------------------------------------ */

/* Enable every controller the parent offers, from the root of `mount` down
 * to the parent of `path`: the leaf then has them in cgroup.controllers.
 * Failures are left for the resource checks to report by name (a level
 * with processes in it cannot delegate, by the no-internal-process rule). */
void husk_cg_v2_enable_controllers(const char *mount, const char *path);
/* Refuse what cannot be applied (value, controller missing, v1-only
 * field) before anything is written; reads only. */
int husk_cg_v2_check(const char *dir, const struct husk_resources *res, husk_error_t *err);
/* Write the resources (after husk_cg_v2_check).  dir_fd is the cgroup's
 * directory, for the device filter. */
int husk_cg_v2_apply(const char *dir, int dir_fd, const struct husk_resources *res,
                     husk_error_t *err);
int husk_cg_v2_freeze(const char *dir, bool frozen, husk_error_t *err);
int husk_cg_v2_is_frozen(const char *dir, bool *frozen, husk_error_t *err);
int husk_cg_v2_stats(const char *dir, struct husk_cgroup_stats *st, husk_error_t *err);

/* ---- cgroup v1 (cgroup_v1.c) ------------------------------------------ */

/* A cgroup directory made by husk in hierarchy `h`: give a new cpuset its
 * parent's cpus and mems, without which no task can join it. */
int husk_cg_v1_init_dir(const struct husk_cg_hier *h, const char *dir, husk_error_t *err);
int husk_cg_v1_check(const struct husk_cg_v1 *l, const char *path, const struct husk_resources *res,
                     husk_error_t *err);
int husk_cg_v1_apply(const struct husk_cg_v1 *l, const char *path, const struct husk_resources *res,
                     husk_error_t *err);
int husk_cg_v1_freeze(const struct husk_cg_v1 *l, const char *path, bool frozen, husk_error_t *err);
int husk_cg_v1_is_frozen(const struct husk_cg_v1 *l, const char *path, bool *frozen,
                         husk_error_t *err);
int husk_cg_v1_stats(const struct husk_cg_v1 *l, const char *path, struct husk_cgroup_stats *st,
                     husk_error_t *err);

#endif
