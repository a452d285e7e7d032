/* husk — a verified procfs handle and opens below it (see procfs.h). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define PROC_ROOT_INO 1

static bool on_procfs(int fd) {
  struct statfs sfs;
  return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* The root directory of a procfs, not a bind mount of a directory in one. */
static bool is_procfs_root(int fd) {
  struct stat st;
  return on_procfs(fd) && fstat(fd, &st) == 0 && st.st_ino == PROC_ROOT_INO && S_ISDIR(st.st_mode);
}

/* A private procfs of our pid namespace, attached nowhere: nothing can be
 * mounted over anything in it.  -1 where the kernel or our privileges
 * don't allow it (e.g. "mount too revealing" in a user namespace). */
static int fresh_procfs(void) {
  int fs = fsopen("proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    return -1;
  int mnt = -1;
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  close(fs);
  return mnt;
}

int husk_procfs_root(husk_error_t *err) {
  /* /proc first: checked to be a procfs root, it is as good as a fresh one
   * for what husk opens (no symlink, no mount crossed below it), and it
   * costs no superblock. */
  int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && is_procfs_root(fd))
    return fd;
  if (fd >= 0)
    close(fd);
  fd = fresh_procfs();
  if (fd >= 0 && is_procfs_root(fd))
    return fd;
  int e = fd < 0 ? errno : EXDEV;
  if (fd >= 0)
    close(fd);
  return husk_error_set(err, e,
                        "/proc is not the root of a procfs and a new procfs can't be mounted");
}

pid_t husk_procfs_self(int root) {
  char buf[32];
  ssize_t n = readlinkat(root, "self", buf, sizeof(buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *end;
  long pid = strtol(buf, &end, 10);
  return *end == '\0' && pid > 0 ? (pid_t)pid : -1;
}

/* "self/x" → "<pid>/x", "thread-self/x" → "<pid>/task/<tid>/x", as the
 * procfs of `root` counts us; anything else as it is. */
static char *expand_self(int root, const char *rel) {
  const char *names[] = {"self", "thread-self"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    size_t n = strlen(names[i]);
    if (strncmp(rel, names[i], n) != 0 || (rel[n] != '/' && rel[n] != '\0'))
      continue;
    char link[64];
    ssize_t len = readlinkat(root, names[i], link, sizeof(link) - 1);
    if (len <= 0)
      return NULL;
    link[len] = '\0';
    return husk_xasprintf("%s%s", link, rel + n);
  }
  return husk_xstrdup(rel);
}

static int openat2_beneath(int root, const char *path, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  for (;;) {
    long fd = syscall(SYS_openat2, root, path, &how, sizeof how);
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
      return (int)fd;
  }
}

int husk_procfs_open(int root, const char *rel, int flags, husk_error_t *err) {
  _cleanup_close_ int own = -1;
  if (root < 0 && (root = own = husk_procfs_root(err)) < 0)
    return husk_error_prefix(err, "open /proc/%s", rel);
  _cleanup_free_ char *path = expand_self(root, rel);
  if (path == NULL)
    return husk_error_set(err, errno ? errno : ESRCH,
                          "open /proc/%s: this procfs does not know us (another pid namespace)",
                          rel);
  int fd = openat2_beneath(root, path, flags);
  if (fd < 0)
    return husk_error_set(
        err, errno, "open /proc/%s%s", rel,
        errno == EXDEV || errno == ELOOP ? " (a mount or symlink is in the way: refused)" : "");
  if (!on_procfs(fd)) {
    close(fd);
    return husk_error_set(err, EXDEV, "open /proc/%s: not on procfs", rel);
  }
  return fd;
}

int husk_procfs_reopen(int root, int fd, int flags, husk_error_t *err) {
  _cleanup_close_ int fds = husk_procfs_open(root, "self/fd", O_PATH | O_DIRECTORY, err);
  if (fds < 0)
    return -1;
  char name[16];
  snprintf(name, sizeof(name), "%d", fd);
  /* The last step is the magic link itself, which openat2 would refuse;
   * that we got the file it names, and nothing mounted over the link, is
   * checked below. */
  int out;
  do
    out = openat(fds, name, flags | O_CLOEXEC);
  while (out < 0 && errno == EINTR);
  if (out < 0)
    return husk_error_set(err, errno, "reopen fd %d through /proc/self/fd", fd);
  struct stat want, got;
  if (fstat(fd, &want) < 0 || fstat(out, &got) < 0 || want.st_dev != got.st_dev ||
      want.st_ino != got.st_ino) {
    close(out);
    return husk_error_set(err, EXDEV, "reopen fd %d through /proc/self/fd: another file came back",
                          fd);
  }
  return out;
}
