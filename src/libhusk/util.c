/* husk — allocation, file and directory helpers (see util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static void *check_alloc(void *p) {
  if (p == NULL) {
    fputs("husk: out of memory\n", stderr);
    abort();
  }
  return p;
}

void *husk_xmalloc(size_t size) { return check_alloc(malloc(size ? size : 1)); }
void *husk_xcalloc(size_t nmemb, size_t size) {
  return check_alloc(calloc(nmemb ? nmemb : 1, size ? size : 1));
}
void *husk_xrealloc(void *ptr, size_t size) { return check_alloc(realloc(ptr, size ? size : 1)); }
char *husk_xstrdup(const char *s) { return check_alloc(strdup(s)); }

char *husk_xasprintf(const char *fmt, ...) {
  char *s = NULL;
  va_list ap;
  va_start(ap, fmt);
  int r = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (r < 0)
    check_alloc(NULL);
  return s;
}

int husk_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int husk_read_fd(int fd, const char *name, size_t max_size, char **out, size_t *len,
                 husk_error_t *err) {
  size_t cap = 4096, used = 0;
  _cleanup_free_ char *buf = husk_xmalloc(cap);
  for (;;) {
    if (used + 1 >= cap) {
      if (cap > max_size)
        return husk_error_set(err, EFBIG, "read %s: larger than %zu bytes", name, max_size);
      cap *= 2;
      buf = husk_xrealloc(buf, cap);
    }
    ssize_t n = read(fd, buf + used, cap - used - 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return husk_error_set(err, errno, "read %s", name);
    }
    if (n == 0)
      break;
    used += (size_t)n;
  }
  if (used > max_size)
    return husk_error_set(err, EFBIG, "read %s: larger than %zu bytes", name, max_size);
  buf[used] = '\0';
  *out = husk_steal_ptr(buf);
  if (len)
    *len = used;
  return 0;
}

int husk_read_file(const char *path, size_t max_size, char **out, size_t *len, husk_error_t *err) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set(err, errno, "open %s", path);
  return husk_read_fd(fd, path, max_size, out, len, err);
}

int husk_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           husk_error_t *err) {
  _cleanup_free_ char *tmp = husk_xasprintf("%s.tmp.%d", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return husk_error_set(err, errno, "create %s", tmp);
  /* No fsync: rename(2) alone makes readers see old or new content, never a
   * mix; what husk writes lives under /run (tmpfs), gone at reboot anyway,
   * and a sync per state change would cost milliseconds on a real disk. */
  if (husk_write_all(fd, data, len) < 0) {
    int saved = errno;
    close(fd);
    unlink(tmp);
    return husk_error_set(err, saved, "write %s", tmp);
  }
  if (close(fd) < 0) {
    int saved = errno;
    unlink(tmp);
    return husk_error_set(err, saved, "write %s", tmp);
  }
  if (rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    return husk_error_set(err, saved, "rename %s to %s", tmp, path);
  }
  return 0;
}

int husk_mkdir_p(const char *path, mode_t mode, husk_error_t *err) {
  if (strlen(path) >= PATH_MAX)
    return husk_error_set(err, ENAMETOOLONG, "mkdir %s", path);
  char buf[PATH_MAX];
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return husk_error_set(err, errno, "mkdir %s", buf);
      *p = saved;
      if (saved == '\0')
        break;
    }
  }
  return 0;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int husk_fds_close_others(int preserve_fds, const int *keep, size_t n, husk_error_t *err) {
  int *sorted = husk_xcalloc(n, sizeof(int));
  memcpy(sorted, keep, n * sizeof(int));
  qsort(sorted, n, sizeof(int), cmp_int);
  unsigned first = 3U + (unsigned)(preserve_fds > 0 ? preserve_fds : 0);
  int r = 0;
  for (size_t i = 0; i <= n && r == 0; i++) {
    if (i < n && (sorted[i] < 0 || (unsigned)sorted[i] < first))
      continue;
    unsigned last = i < n ? (unsigned)sorted[i] - 1 : ~0U;
    if (i < n && (unsigned)sorted[i] == first) {
      first++;
      continue;
    }
    if (last >= first && syscall(SYS_close_range, first, last, 0) < 0)
      r = husk_error_set(err, errno, "close_range %u-%u", first, last);
    if (i < n)
      first = (unsigned)sorted[i] + 1;
  }
  free(sorted);
  return r;
}

int husk_fds_keep_only_preserved(int preserve_fds, husk_error_t *err) {
  for (int fd = 3; fd < 3 + preserve_fds; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
      return husk_error_set(err, errno, "preserve fd %d", fd);
  }
  if (syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return husk_error_set(err, errno, "close_range");
  return 0;
}

void husk_mountinfo_unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
        r[3] <= '7') {
      *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
}
