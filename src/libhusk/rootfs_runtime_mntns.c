/* husk — the root filesystem of a container without a mount namespace of
 * its own (config-linux.md: a namespace type that is not listed is the
 * runtime's).  Its mounts are made in the runtime's mount namespace, under
 * a bind of the rootfs onto itself that the parent makes before the init
 * exists; the init enters it with chroot (pivot_root would change the root
 * of the caller's namespace) and never touches the propagation of "/".
 * The bind's mount ID goes into the state, and `delete` (or a failed
 * `create`) detaches it with everything mounted beneath: runc and crun
 * leave those mounts behind. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

bool husk_rootfs_in_runtime_mntns(const struct husk_spec *spec) {
  return husk_spec_find_ns(spec, HUSK_NS_MOUNT) == NULL;
}

/* The ID of the mount at the top of `path` (the one mountinfo lists). */
static int top_mount_id(const char *path, uint64_t *id) {
  struct statx stx;
  if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
    return -errno;
  if (!(stx.stx_mask & STATX_MNT_ID))
    return -EOPNOTSUPP;
  *id = stx.stx_mnt_id;
  return 0;
}

/* Mount `id` is at `path` in our mount namespace (mountinfo's first and
 * fifth fields): then it is the one create made, seen from where it was
 * made. */
static bool mounted_here(uint64_t id, const char *path) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return false;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char *save = NULL;
    char *fields[5] = {0};
    int n = 0;
    for (char *tok = strtok_r(line, " \n", &save); tok && n < 5; tok = strtok_r(NULL, " \n", &save))
      fields[n++] = tok;
    if (n < 5 || strtoull(fields[0], NULL, 10) != id)
      continue;
    husk_mountinfo_unescape(fields[4]);
    return strcmp(fields[4], path) == 0;
  }
  return false;
}

int husk_rootfs_runtime_mntns_bind(const char *rootfs, uint64_t *mnt_id, husk_error_t *err) {
  *mnt_id = 0;
  if (mount(rootfs, rootfs, "", MS_BIND | MS_REC, NULL) < 0)
    return husk_error_set(err, errno, "mount %s to %s", rootfs, rootfs);
  int r = top_mount_id(rootfs, mnt_id);
  if (r < 0) {
    umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
    return husk_error_set(err, -r, "statx %s (mount ID)", rootfs);
  }
  return 0;
}

int husk_rootfs_runtime_mntns_unbind(const char *rootfs, uint64_t mnt_id, husk_error_t *err) {
  /* Mounts the config stacked on the rootfs (a mount at "/") are above
   * ours: detach from the top down to ours, never below it. */
  for (int i = 0; i < 64; i++) {
    if (!mounted_here(mnt_id, rootfs))
      return 0; /* gone, or made in another mount namespace than ours */
    uint64_t top = 0;
    int r = top_mount_id(rootfs, &top);
    if (r < 0)
      return husk_error_set(err, -r, "statx %s (mount ID)", rootfs);
    if (umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
      return husk_error_set(err, errno, "unmount %s", rootfs);
    if (top == mnt_id)
      return 0;
  }
  return husk_error_set(err, EBUSY, "unmount %s: too many mounts stacked on it", rootfs);
}
