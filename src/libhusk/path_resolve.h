/* husk — resolving paths inside a root filesystem so that nothing in the
 * image (an absolute or relative symlink, "..") can lead outside it.  The
 * kernel does it with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS); older
 * kernels get a component walk that keeps its own stack of directory fds
 * and never lets ".." climb above the root.
 *
 * Functions here return a file descriptor (O_CLOEXEC) or -errno: callers
 * know what the path means and name it in their own error messages. */
#ifndef HUSK_PATH_RESOLVE_H
#define HUSK_PATH_RESOLVE_H

#include <sys/types.h>

/* Symlinks followed in one resolution before ELOOP, like the kernel's 40. */
#define HUSK_PATH_MAX_LINKS 40

/* Room for "/proc/self/fd/<int>". */
#define HUSK_FD_PATH_SIZE 32

/* Open `path` as if root_fd were "/": absolute and relative paths are both
 * taken from root_fd.  `flags` are open(2) flags; O_NOFOLLOW applies to the
 * last component only, as in open(2).  Returns an fd or -errno. */
int husk_path_open_in_root(int root_fd, const char *path, int flags);

/* The component walk behind husk_path_open_in_root when openat2 is not
 * available; exposed for the unit tests. */
int husk_path_open_in_root_walk(int root_fd, const char *path, int flags);

enum husk_path_kind {
  HUSK_PATH_DIR,  /* create a directory */
  HUSK_PATH_FILE, /* create an empty regular file */
};

/* Open `path` inside root_fd with O_PATH, creating what is missing: parent
 * directories (0755) and the last component as `kind` with `mode`.  An
 * existing last component is returned as it is, whatever its type (symlinks
 * followed inside the root).  Returns an O_PATH fd or -errno. */
int husk_path_create_in_root(int root_fd, const char *path, enum husk_path_kind kind, mode_t mode);

/* Create the parent directories of `path` inside root_fd and return an
 * O_PATH|O_DIRECTORY fd of the parent; *name points into `path` at the last
 * component.  Fails with EINVAL when the last component is "", "." or "..".
 * Returns the fd or -errno. */
int husk_path_parent_in_root(int root_fd, const char *path, const char **name);

/* `path` made absolute and lexical: "a//b/./c/../d/" is "/a/b/d", ".."
 * stops at "/" (Go's filepath.Clean of "/" + path).  Caller frees. */
char *husk_path_clean(const char *path);

/* "/proc/self/fd/<fd>": how mount(2) and chmod(2) reach an O_PATH fd. */
const char *husk_fd_path(int fd, char buf[HUSK_FD_PATH_SIZE]);

#endif
