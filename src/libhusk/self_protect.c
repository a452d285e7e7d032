/* husk — re-execute husk from a binary no container can write
 * (CVE-2019-5736); see self_protect.h.
 *
 * The ways, cheapest first:
 *   1. /proc/self/exe is on a read-only mount (after our own re-exec, or when
 *      husk is installed on a read-only filesystem): nothing to do. This is
 *      what ends the re-exec: the next husk finds itself read-only.
 *   2. A detached bind mount of /proc/self/exe (open_tree(OPEN_TREE_CLONE)),
 *      made read-only, nosuid and nodev with mount_setattr, executed with
 *      execveat(AT_EMPTY_PATH). No copy; the mount is in no mount namespace
 *      (findmnt never sees it) and goes away with the last process running
 *      from it. A container's /proc/<pid>/exe leads to that mount, so opening
 *      it for writing fails with EROFS. Needs CAP_SYS_ADMIN (root).
 *   3. A memfd copy sealed against writing, growing and shrinking (F_SEAL_SEAL
 *      too, so no seal can be taken back), executed the same way; writing it
 *      fails with EPERM. Costs a copy of the binary per command.
 *   4. Neither works: refuse, unless the caller itself cannot write the
 *      binary — then nor can its containers, whose credentials are at most
 *      the caller's (a rootless husk installed by root).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "self_protect.h"
#include "util.h"

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SELF "/proc/self/exe"

static bool is_sealed(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & F_SEAL_WRITE) != 0;
}

static void exec_fd(int fd, char *const argv[], char *const envp[]) {
  syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
}

/* Way 2: returns only on failure, with errno set and *step naming it. */
static void exec_readonly_bind(char *const argv[], char *const envp[], const char **step) {
  *step = "open_tree";
  _cleanup_close_ int tree =
      (int)syscall(SYS_open_tree, AT_FDCWD, SELF, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return;
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
  *step = "mount_setattr";
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return;
  *step = "execveat";
  exec_fd(tree, argv, envp);
}

/* Way 3: returns only on failure, with errno set and *step naming it. */
static void exec_sealed_copy(int self, char *const argv[], char *const envp[], const char **step) {
  struct stat st;
  *step = "fstat";
  if (fstat(self, &st) < 0)
    return;
  /* MFD_EXEC: a kernel with vm.memfd_noexec=1 would make it noexec by
   * default; older kernels don't know the flag. */
  *step = "memfd_create";
  _cleanup_close_ int mfd = memfd_create("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return;
  *step = "copy";
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return;
    }
  }
  *step = "seal";
  if (fchmod(mfd, 0555) < 0 ||
      fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    return;
  *step = "execveat";
  exec_fd(mfd, argv, envp);
}

int husk_self_protect(char *const argv[], char *const envp[], husk_error_t *err) {
  _cleanup_close_ int self = open(SELF, O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return husk_error_set(err, errno, "protect the husk binary (CVE-2019-5736): open %s", SELF);
  struct statvfs vfs;
  if (fstatvfs(self, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    return HUSK_SELF_READONLY_MOUNT;
  if (is_sealed(self))
    return HUSK_SELF_SEALED_MEMFD;

  const char *bind_step = NULL, *copy_step = NULL;
  exec_readonly_bind(argv, envp, &bind_step);
  int bind_errno = errno;
  /* The caller can't write it (EACCES, EPERM; root always can on a
   * writable mount): nor can any container it starts.  Checked before the
   * copy, which costs a copy of the binary per command (rootless callers of
   * a root-installed husk). */
  if (faccessat(AT_FDCWD, SELF, W_OK, AT_EACCESS) < 0 && (errno == EACCES || errno == EPERM))
    return HUSK_SELF_NOT_WRITABLE;
  exec_sealed_copy(self, argv, envp, &copy_step);
  int copy_errno = errno;
  husk_error_set(err, copy_errno,
                 "protect the husk binary (CVE-2019-5736): read-only bind mount of %s: %s: %s; "
                 "sealed copy: %s",
                 SELF, bind_step, strerror(bind_errno), copy_step);
  return -1;
}
