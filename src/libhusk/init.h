/* husk — the container's init: runs in the child made by clone, in the new
 * namespaces, from the parent's memory image (never re-executes husk). */
#ifndef HUSK_INIT_H
#define HUSK_INIT_H

#include <stdbool.h>

#include "husk/spec.h"
#include "cgroup.h"
#include "namespace.h"
#include "seccomp_filter.h"

struct husk_init_args {
  const struct husk_spec *spec;
  const struct husk_ns_plan *plan;
  const char *id;
  const char *bundle; /* absolute */
  const char *rootfs; /* absolute host path of root.path */
  int sync_fd;        /* our end of the socketpair */
  int fifo_fd;        /* O_PATH fd of <state dir>/exec.fifo */
  int lock_fd;        /* the parent's state lock: closed at once, it is not ours */
  int preserve_fds;   /* fds 3..3+preserve_fds-1 stay open for the workload */
  bool no_pivot;
  bool no_new_keyring;
  const struct husk_process *process; /* spec->process, with LISTEN_* added */
  const int *source_trees;            /* see husk_rootfs_source_trees, or NULL */
  bool new_cgroupns;                  /* unshare a cgroup namespace once in the cgroup */
  /* The cgroup the parent places us in, below each hierarchy's root (the
   * bind source of a `cgroup` mount without a cgroup namespace): while the
   * parent moves us, /proc/self/cgroup may still show the caller's. */
  const char *cgroup_path;
  /* v1: the `tasks` files the init writes "0" to, first thing (cgroup.c);
   * NULL when the parent moves it. */
  struct husk_cgroup_self_attach *cg_attach;
  /* v1 only: the parent makes the cgroup after the clone and sends the
   * `tasks` files with IN_CGROUP, awaited before the first mount that shows
   * the cgroup (cgroup_path does not exist until then). */
  bool cgroup_after_clone;
  /* linux.seccomp as the parent compiled it (prog NULL: compile here). */
  const struct husk_seccomp_bpf *seccomp_bpf;
};

/* Never returns: execs the workload or exits non-zero after reporting the
 * error to the parent (before `created`) or on stderr (after). */
__attribute__((noreturn)) void husk_init_run(const struct husk_init_args *args);

#endif
