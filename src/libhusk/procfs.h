/* husk — every access husk makes to procfs for the sake of the container
 * (oom_score_adj, sysctls, LSM attributes, setgroups, uid_map/gid_map,
 * timens_offsets, /proc/self/fd reopens) goes through a handle that is
 * known to be a real procfs, so that nothing the container or its image
 * put in the way (a symlink, a bind mount over /proc/<pid> or /proc/sys, a
 * fake /proc) can redirect a write (the CVE-2025-52881 class).
 *
 * The handle is a fresh, private procfs (fsopen("proc") + fsmount: no
 * mount can cover anything in it), else /proc checked to be the root of a
 * procfs (fstatfs magic, root inode).  Paths below it are opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV): no symlink followed, no mount crossed.  "self" and
 * "thread-self" (symlinks) are read once with readlinkat on the handle, so
 * the pid is the one that procfs counts us by. */
#ifndef HUSK_PROCFS_H
#define HUSK_PROCFS_H

#include <sys/types.h>

#include "husk/error.h"

/* A verified procfs root (O_PATH, O_CLOEXEC) for the caller's pid
 * namespace, or -1 with err set. */
int husk_procfs_root(husk_error_t *err);

/* Open `rel` ("self/oom_score_adj", "sys/net/core/somaxconn",
 * "thread-self/attr/exec", "1234/uid_map") below `root`, which is -1 for a
 * new handle of our own.  A leading "self/" or "thread-self/" is resolved
 * with the handle.  Returns an O_CLOEXEC fd of a file on procfs, or -1 with
 * err set ("open /proc/<rel>: <reason>"). */
int husk_procfs_open(int root, const char *rel, int flags, husk_error_t *err);

/* Our pid as the procfs of `root` counts it (its "self"), or -1. */
pid_t husk_procfs_self(int root);

/* Reopen `fd` (e.g. an O_PATH fd of a fifo) with `flags` through
 * <root>/self/fd/<fd>, and check that the result is the same file. */
int husk_procfs_reopen(int root, int fd, int flags, husk_error_t *err);

#endif
