/* husk — recursive copy between two directory fds (see copy_tree.h). */
#include "copy_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Depth is bounded so a pathological tree fails instead of exhausting fds. */
#define COPY_MAX_DEPTH 128

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st) {
  _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return -errno;
  _cleanup_close_ int out =
      openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return -errno;
  for (off_t left = st->st_size; left > 0;) {
    ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (n == 0)
      break; /* the file shrank meanwhile */
    left -= n;
  }
  return 0;
}

/* Owner, mode and times, applied last so a read-only mode can't stop the
 * copy of a directory's content. */
static int copy_attrs(int dst_dir, const char *name, const struct stat *st) {
  if (fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return -errno;
  if (!S_ISLNK(st->st_mode) && fchmodat(dst_dir, name, st->st_mode & 07777, 0) < 0)
    return -errno;
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return -errno;
  return 0;
}

static int copy_dir(int src_fd, int dst_fd, int depth, char *failed, size_t failed_len) {
  if (depth > COPY_MAX_DEPTH)
    return -ELOOP;
  int dfd = fcntl(src_fd, F_DUPFD_CLOEXEC, 3);
  if (dfd < 0)
    return -errno;
  DIR *dir = fdopendir(dfd);
  if (dir == NULL) {
    int e = errno;
    close(dfd);
    return -e;
  }
  int r = 0;
  struct dirent *de;
  while (r == 0 && (errno = 0, de = readdir(dir)) != NULL) {
    const char *name = de->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    snprintf(failed, failed_len, "%s", name);
    struct stat st;
    if (fstatat(src_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      r = -errno;
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dst_fd, name, 0700) < 0) {
        r = -errno;
        break;
      }
      int s = openat(src_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int d = openat(dst_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      r = s < 0 || d < 0 ? -errno : copy_dir(s, d, depth + 1, failed, failed_len);
      if (s >= 0)
        close(s);
      if (d >= 0)
        close(d);
    } else if (S_ISREG(st.st_mode)) {
      r = copy_file(src_fd, dst_fd, name, &st);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(src_fd, name, target, sizeof target - 1);
      if (n < 0) {
        r = -errno;
        break;
      }
      target[n] = '\0';
      r = symlinkat(target, dst_fd, name) < 0 ? -errno : 0;
    } else {
      r = mknodat(dst_fd, name, st.st_mode, st.st_rdev) < 0 ? -errno : 0;
    }
    if (r == 0)
      r = copy_attrs(dst_fd, name, &st);
  }
  if (r == 0 && errno != 0)
    r = -errno;
  closedir(dir);
  return r;
}

int husk_copy_tree(int src_fd, int dst_fd, const char *what, husk_error_t *err) {
  char failed[NAME_MAX + 1] = "";
  int r = copy_dir(src_fd, dst_fd, 0, failed, sizeof failed);
  if (r < 0)
    return husk_error_set(err, -r, "copy %s (at %s)", what, failed[0] ? failed : ".");
  /* The top directory's own mode and owner as well, like cp -a. */
  struct stat st;
  if (fstat(src_fd, &st) < 0 || fchown(dst_fd, st.st_uid, st.st_gid) < 0 ||
      fchmod(dst_fd, st.st_mode & 07777) < 0)
    return husk_error_set(err, errno, "copy %s: attributes of the top directory", what);
  return 0;
}
