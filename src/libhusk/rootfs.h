/* husk — the container's root filesystem, built by the init inside its new
 * mount namespace: propagation, the rootfs bind, `mounts` in order, /dev,
 * pivot_root, then masked and read-only paths. */
#ifndef HUSK_ROOTFS_H
#define HUSK_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "husk/error.h"
#include "husk/spec.h"

struct husk_rootfs_ctx {
  const struct husk_spec *spec;
  const char *bundle; /* absolute path of the bundle directory */
  const char *rootfs; /* absolute host path of root.path (resolved against bundle) */
  bool no_pivot;      /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  /* No mount namespace of the container's own (husk_rootfs_in_runtime_mntns):
   * the parent made the rootfs bind, "/" is left alone, chroot. */
  bool in_runtime_mntns;
  bool in_userns;      /* the init is in a new user namespace (device nodes can't be made) */
  const char *console; /* pty slave to bind on /dev/console, NULL without a terminal */
  /* Detached trees of bind sources made by the parent, one per
   * spec->mounts entry (-1: mount it here), see husk_rootfs_source_trees;
   * NULL: none. */
  const int *source_trees;
  /* The container's cgroup below each hierarchy's root, where the parent
   * places the init: the bind source of a `cgroup` mount without a cgroup
   * namespace.  NULL: read /proc/self/cgroup. */
  const char *cgroup_path;
  /* Called once, before the first mount that shows the container's cgroup
   * (type cgroup or cgroup2, a bind from /sys/fs/cgroup) and before /dev
   * is made: the init waits there for a cgroup made after the clone. NULL:
   * it exists. */
  int (*wait_for_cgroup)(void *data, husk_error_t *err);
  void *wait_for_cgroup_data;
};

/* In the parent, before clone, when the container gets a user namespace:
 * there the init can't write the maps of an idmap user namespace, nor
 * reach a bind source only the runtime's credentials can (a 0700 root
 * directory), so the parent opens every bind source as a detached tree
 * (open_tree(OPEN_TREE_CLONE), with mount_setattr(MOUNT_ATTR_IDMAP) for
 * idmapped ones) and the init only attaches them.  Plain binds only with a
 * new mount namespace (a joined one may see other sources).  *trees gets
 * one fd (or -1) per mount. */
int husk_rootfs_source_trees(const struct husk_rootfs_ctx *ctx, int **trees, husk_error_t *err);
void husk_rootfs_source_trees_free(int *trees, size_t n);

/* No mount namespace in the config: the container's mounts are made in the
 * runtime's namespace (rootfs_runtime_mntns.c). */
bool husk_rootfs_in_runtime_mntns(const struct husk_spec *spec);

/* In the parent, before clone, without a mount namespace: bind the rootfs
 * onto itself (MS_REC) in the runtime's namespace; every mount of the
 * container goes beneath it.  *mnt_id: its mount ID, for the state. */
int husk_rootfs_runtime_mntns_bind(const char *rootfs, uint64_t *mnt_id, husk_error_t *err);

/* delete, or a failed create: lazily detach that bind with everything
 * beneath it (and mounts stacked on it), when it is still mounted at
 * `rootfs` in the caller's namespace; nothing otherwise. */
int husk_rootfs_runtime_mntns_unbind(const char *rootfs, uint64_t mnt_id, husk_error_t *err);

/* Runs in the init, in its new mount namespace, before the createContainer
 * hooks: makes / rslave (or rootfsPropagation), binds the rootfs onto itself,
 * mounts every entry of spec->mounts in order with targets resolved inside
 * the rootfs, and populates /dev (default devices, linux.devices, /dev/pts,
 * /dev/ptmx, /dev/fd, /dev/std*, /dev/shm if absent, /dev/console). */
int husk_rootfs_prepare(const struct husk_rootfs_ctx *ctx, husk_error_t *err);

/* After the createContainer hooks: pivot_root (or move+chroot), detach the
 * old root, chdir("/"). */
int husk_rootfs_pivot(const struct husk_rootfs_ctx *ctx, husk_error_t *err);

/* After pivot: maskedPaths, readonlyPaths, root.readonly, and the
 * rootfsPropagation of the new /. */
int husk_rootfs_finalize(const struct husk_rootfs_ctx *ctx, husk_error_t *err);

/* ---- parsing the host's view (rootfs.c, for the `cgroup` mount) ---------- */

/* One line of /proc/self/mountinfo, the fields we need (unescaped). */
struct mountinfo_entry {
  char *root, *target, *fstype, *super_opts;
};

/* Split a mountinfo line in place; false when it is malformed. */
bool husk_mountinfo_parse_line(char *line, struct mountinfo_entry *e);

/* Our cgroup in the hierarchy whose mount has `super_opts` (v1) or in the
 * unified one (fstype "cgroup2"): the matching line of a /proc/self/cgroup
 * stream.  *ctrls gets the controller list as written there ("cpu,cpuacct",
 * "name=systemd", "").  Returns 0, or -ENOENT when no line matches. */
int husk_own_cgroup_parse(FILE *proc_cgroup, const char *fstype, const char *super_opts,
                          char **path, char **ctrls);

#endif
