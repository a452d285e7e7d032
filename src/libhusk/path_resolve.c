/* husk — paths inside a root filesystem that cannot escape it (see
 * path_resolve.h). */
#include "path_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

const char *husk_fd_path(int fd, char buf[HUSK_FD_PATH_SIZE]) {
  snprintf(buf, HUSK_FD_PATH_SIZE, "/proc/self/fd/%d", fd);
  return buf;
}

/* openat2 as a raw syscall (glibc 2.36 has no wrapper).  Returns an fd, or
 * -errno; -ENOSYS also stands for "refused by a seccomp filter" and "the
 * struct is too new", where only the walk can help. */
static int openat2_in_root(int root_fd, const char *path, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  for (int attempt = 0; attempt < 16; attempt++) {
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd >= 0)
      return (int)fd;
    /* EAGAIN: a concurrent rename made the kernel give up on ".."; retry. */
    if (errno == EAGAIN || errno == EINTR)
      continue;
    if (errno == ENOSYS || errno == EPERM || errno == E2BIG)
      return -ENOSYS;
    return -errno;
  }
  return -EAGAIN;
}

/* The directories walked so far; [0] is the root, ".." pops, never past it. */
struct dir_stack {
  int *fds;
  size_t len, cap;
};

static void stack_push(struct dir_stack *s, int fd) {
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    s->fds = husk_xrealloc(s->fds, s->cap * sizeof *s->fds);
  }
  s->fds[s->len++] = fd;
}

static void stack_truncate(struct dir_stack *s, size_t len) {
  while (s->len > len)
    close(s->fds[--s->len]);
}

static void stack_free(struct dir_stack *s) {
  stack_truncate(s, 0);
  free(s->fds);
}

static int stack_top(const struct dir_stack *s) { return s->fds[s->len - 1]; }

/* Create the missing component `name` in dir_fd: a directory unless it is
 * the last one and a file was asked for.  Losing a race to another creator
 * is fine: the caller looks the name up again. */
static int create_component(int dir_fd, const char *name, bool last, bool want_file, mode_t mode) {
  if (last && want_file) {
    int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
      return errno == EEXIST ? 0 : -errno;
    close(fd);
    return 0;
  }
  if (mkdirat(dir_fd, name, last ? mode : 0755) < 0 && errno != EEXIST)
    return -errno;
  return 0;
}

/* Walk `path` from root_fd one component at a time with O_PATH|O_NOFOLLOW,
 * expanding symlinks ourselves: an absolute target restarts at the root,
 * ".." pops our own stack.  `create` (0, 'd' or 'f') makes what is missing.
 * Returns an O_PATH fd (O_NOFOLLOW on the last component when asked) or
 * -errno. */
static int walk(int root_fd, const char *path, int flags, int create, mode_t mode) {
  struct dir_stack stack = {0};
  int root = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return -errno;
  stack_push(&stack, root);

  _cleanup_free_ char *rest = husk_xstrdup(path);
  size_t pos = 0;
  int links = 0, result = -EINVAL;

  for (;;) {
    while (rest[pos] == '/')
      pos++;
    if (rest[pos] == '\0') {
      /* Ended on a directory of the stack ("", ".", "..", "/"). */
      result = fcntl(stack_top(&stack), F_DUPFD_CLOEXEC, 3);
      if (result < 0)
        result = -errno;
      break;
    }
    size_t len = strcspn(rest + pos, "/");
    size_t next = pos + len;
    size_t after = next;
    while (rest[after] == '/')
      after++;
    bool last = rest[after] == '\0';
    bool trailing_slash = last && after > next;
    char name[NAME_MAX + 1];
    if (len > NAME_MAX) {
      result = -ENAMETOOLONG;
      break;
    }
    memcpy(name, rest + pos, len);
    name[len] = '\0';

    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
      if (name[1] == '.' && stack.len > 1)
        stack_truncate(&stack, stack.len - 1);
      pos = next;
      continue;
    }

    int fd = openat(stack_top(&stack), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      int r =
          create_component(stack_top(&stack), name, last, create == 'f' && !trailing_slash, mode);
      if (r < 0) {
        result = r;
        break;
      }
      fd = openat(stack_top(&stack), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      result = -errno;
      break;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
      result = -errno;
      close(fd);
      break;
    }

    if (S_ISLNK(st.st_mode) && !(last && !trailing_slash && (flags & O_NOFOLLOW))) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
      close(fd);
      if (n < 0) {
        result = -errno;
        break;
      }
      if (++links > HUSK_PATH_MAX_LINKS) {
        result = -ELOOP;
        break;
      }
      target[n] = '\0';
      if (target[0] == '/')
        stack_truncate(&stack, 1);
      /* The link's target replaces its name in what is left to walk; a
       * last component stays last (no "/" added): a dangling link to a
       * file that is to be created becomes that file, not a directory. */
      char *expanded =
          rest[next] ? husk_xasprintf("%s/%s", target, rest + next) : husk_xstrdup(target);
      free(rest);
      rest = expanded;
      pos = 0;
      continue;
    }

    if (!last) {
      if (!S_ISDIR(st.st_mode)) {
        close(fd);
        result = -ENOTDIR;
        break;
      }
      stack_push(&stack, fd);
      pos = next;
      continue;
    }
    if (trailing_slash && !S_ISDIR(st.st_mode)) {
      close(fd);
      result = -ENOTDIR;
      break;
    }
    result = fd;
    break;
  }
  stack_free(&stack);
  return result;
}

/* The walk yields O_PATH fds; anything else is a reopen of the resolved
 * object through its fd (no path lookup can be redirected any more). */
static int reopen(int fd, int flags) {
  struct stat st;
  if (fstat(fd, &st) < 0)
    return -errno;
  if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode))
    return -ENOTDIR;
  if (flags & O_PATH) {
    int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    return r < 0 ? -errno : r;
  }
  char buf[HUSK_FD_PATH_SIZE];
  int r = open(husk_fd_path(fd, buf), (flags & ~O_NOFOLLOW) | O_CLOEXEC);
  return r < 0 ? -errno : r;
}

int husk_path_open_in_root_walk(int root_fd, const char *path, int flags) {
  int fd = walk(root_fd, path, flags, 0, 0);
  if (fd < 0)
    return fd;
  int r = reopen(fd, flags);
  close(fd);
  return r;
}

int husk_path_open_in_root(int root_fd, const char *path, int flags) {
  int fd = openat2_in_root(root_fd, path, flags);
  if (fd != -ENOSYS)
    return fd;
  return husk_path_open_in_root_walk(root_fd, path, flags);
}

int husk_path_create_in_root(int root_fd, const char *path, enum husk_path_kind kind, mode_t mode) {
  /* Mount targets usually exist: one openat2 settles it. */
  int fd = openat2_in_root(root_fd, path, O_PATH);
  if (fd >= 0 || (fd != -ENOENT && fd != -ENOSYS))
    return fd;
  return walk(root_fd, path, 0, kind == HUSK_PATH_FILE ? 'f' : 'd', mode);
}

char *husk_path_clean(const char *in) {
  char *out = husk_xmalloc(strlen(in) + 2);
  size_t len = 0;
  for (const char *p = in; *p;) {
    while (*p == '/')
      p++;
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (len > 0 && out[len - 1] != '/')
        len--;
      if (len > 0)
        len--;
    } else if (n > 0 && !(n == 1 && p[0] == '.')) {
      out[len++] = '/';
      memcpy(out + len, p, n);
      len += n;
    }
    p = end;
  }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

int husk_path_parent_in_root(int root_fd, const char *path, const char **name) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return -EINVAL;
  _cleanup_free_ char *parent = husk_xstrdup(path);
  parent[base - path] = '\0';
  int fd = husk_path_create_in_root(root_fd, parent, HUSK_PATH_DIR, 0755);
  if (fd < 0)
    return fd;
  struct stat st;
  int r = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
  if (r < 0) {
    close(fd);
    return r;
  }
  *name = base;
  return fd;
}
