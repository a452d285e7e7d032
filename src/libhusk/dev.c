/* husk — device nodes and /dev links in the container (see dev.h). */
#include "dev.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "path_resolve.h"
#include "procfs.h"
#include "util.h"

struct default_dev {
  const char *path;
  unsigned major, minor;
};

static const struct default_dev default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

/* runtime-linux.md "Dev symbolic links", plus /dev/core like runc. */
static const struct {
  const char *target, *path;
} dev_links[] = {
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
};

static mode_t device_type(char type) {
  switch (type) {
  case 'c':
  case 'u':
    return S_IFCHR;
  case 'b':
    return S_IFBLK;
  case 'p':
    return S_IFIFO;
  default:
    return 0;
  }
}

/* The node at `st` is what was asked for. */
static bool same_device(const struct stat *st, mode_t type, dev_t rdev) {
  if ((st->st_mode & S_IFMT) != type)
    return false;
  return type == S_IFIFO || st->st_rdev == rdev;
}

/* In a user namespace: an empty file in the rootfs with the host node bound
 * on it.  The host node is checked to be the device asked for, so a config
 * can't bind some other host file in under a device's name. */
static int bind_host_device(const struct husk_dev_ctx *ctx, const struct husk_device *dev,
                            mode_t type, dev_t rdev, husk_error_t *err) {
  struct stat st;
  if (stat(dev->path, &st) < 0)
    return husk_error_set(err, errno, "device %s: stat host node %s", dev->path, dev->path);
  if (!same_device(&st, type, rdev))
    return husk_error_set(err, EINVAL, "device %s: host node %s is not a %c device %lld:%lld",
                          dev->path, dev->path, dev->type, (long long)dev->major,
                          (long long)dev->minor);
  _cleanup_close_ int fd =
      husk_path_create_in_root(ctx->rootfs_fd, dev->path, HUSK_PATH_FILE, 0644);
  if (fd < 0)
    return husk_error_set(err, -fd, "device %s: create %s%s", dev->path, ctx->rootfs, dev->path);
  if (fstat(fd, &st) < 0)
    return husk_error_set(err, errno, "device %s: stat %s%s", dev->path, ctx->rootfs, dev->path);
  if (S_ISDIR(st.st_mode))
    return husk_error_set(err, EISDIR, "device %s: %s%s", dev->path, ctx->rootfs, dev->path);
  char target[HUSK_FD_PATH_SIZE];
  if (mount(dev->path, husk_fd_path(fd, target), "", MS_BIND, NULL) < 0)
    return husk_error_set(err, errno, "device %s: mount %s to %s%s", dev->path, dev->path,
                          ctx->rootfs, dev->path);
  return 0;
}

int husk_dev_create(const struct husk_dev_ctx *ctx, const struct husk_device *dev,
                    husk_error_t *err) {
  if (dev->path == NULL || dev->path[0] == '\0')
    return husk_error_set(err, EINVAL, "device: empty path");
  /* "/dev/x/" is "/dev/x" (runc cleans the path). */
  _cleanup_free_ char *clean = husk_path_clean(dev->path);
  struct husk_device cleaned = *dev;
  cleaned.path = clean;
  dev = &cleaned;
  mode_t type = device_type(dev->type);
  if (type == 0)
    return husk_error_set(err, EINVAL, "device %s: unknown type '%c'", dev->path, dev->type);
  dev_t rdev = type == S_IFIFO ? 0 : makedev(dev->major, dev->minor);
  mode_t perm = (dev->has_file_mode ? dev->file_mode : 0666) & 07777;

  if (ctx->in_userns && type != S_IFIFO)
    return bind_host_device(ctx, dev, type, rdev, err);

  const char *name = NULL;
  _cleanup_close_ int parent = husk_path_parent_in_root(ctx->rootfs_fd, dev->path, &name);
  if (parent < 0)
    return husk_error_set(err, -parent, "device %s: parent directory in %s", dev->path,
                          ctx->rootfs);
  if (mknodat(parent, name, type | perm, rdev) < 0) {
    if (errno != EEXIST)
      return husk_error_set(err, errno, "device %s: mknod %s%s", dev->path, ctx->rootfs, dev->path);
    /* Already there (an image's node, or a host /dev bound in): it must be
     * the device asked for, and it is left as it is — never chmod or chown a
     * node husk did not create, it may be the host's (runc does the same). */
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return husk_error_set(err, errno, "device %s: stat %s%s", dev->path, ctx->rootfs, dev->path);
    if (!same_device(&st, type, rdev))
      return husk_error_set(err, EEXIST, "device %s: %s%s exists and is not that device", dev->path,
                            ctx->rootfs, dev->path);
    return 0;
  }
  /* mknod's mode went through the umask: set it exactly, then the owner,
   * on the node itself (O_PATH|O_NOFOLLOW: never through a symlink). */
  _cleanup_close_ int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set(err, errno, "device %s: open %s%s", dev->path, ctx->rootfs, dev->path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return husk_error_set(err, errno, "device %s: stat %s%s", dev->path, ctx->rootfs, dev->path);
  if (!same_device(&st, type, rdev)) /* swapped between mknod and open */
    return husk_error_set(err, EEXIST, "device %s: %s%s is not the node husk made", dev->path,
                          ctx->rootfs, dev->path);
  char fdpath[HUSK_FD_PATH_SIZE];
  if (chmod(husk_fd_path(fd, fdpath), perm) < 0)
    return husk_error_set(err, errno, "device %s: chmod %s%s", dev->path, ctx->rootfs, dev->path);
  uid_t uid = dev->has_uid ? dev->uid : 0;
  gid_t gid = dev->has_gid ? dev->gid : 0;
  if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
    return husk_error_set(err, errno, "device %s: chown %s%s to %u:%u", dev->path, ctx->rootfs,
                          dev->path, (unsigned)uid, (unsigned)gid);
  return 0;
}

static bool listed_device(const struct husk_spec *spec, const char *path) {
  for (size_t i = 0; i < spec->linux_.devices_len; i++) {
    if (spec->linux_.devices[i].path == NULL)
      continue;
    _cleanup_free_ char *clean = husk_path_clean(spec->linux_.devices[i].path);
    if (strcmp(clean, path) == 0)
      return true;
  }
  return false;
}

/* symlinkat inside the rootfs; an existing entry is left alone. */
static int make_link(const struct husk_dev_ctx *ctx, const char *target, const char *path,
                     husk_error_t *err) {
  const char *name = NULL;
  _cleanup_close_ int parent = husk_path_parent_in_root(ctx->rootfs_fd, path, &name);
  if (parent < 0)
    return husk_error_set(err, -parent, "symlink %s%s: parent directory", ctx->rootfs, path);
  if (symlinkat(target, parent, name) < 0 && errno != EEXIST)
    return husk_error_set(err, errno, "symlink %s%s -> %s", ctx->rootfs, path, target);
  return 0;
}

/* /dev/ptmx must be the container's devpts instance, not the host's ptmx.
 * A node already there (an image's, or the host's when /dev is a bind of a
 * host directory) is never removed: the container's pts/ptmx is bound over
 * it, which changes nothing outside the container's mount namespace. */
static int setup_ptmx(const struct husk_dev_ctx *ctx, husk_error_t *err) {
  const char *name = NULL;
  _cleanup_close_ int parent = husk_path_parent_in_root(ctx->rootfs_fd, "/dev/ptmx", &name);
  if (parent < 0)
    return husk_error_set(err, -parent, "%s/dev/ptmx: parent directory", ctx->rootfs);
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno != ENOENT)
      return husk_error_set(err, errno, "stat %s/dev/ptmx", ctx->rootfs);
    if (symlinkat("pts/ptmx", parent, name) < 0)
      return husk_error_set(err, errno, "symlink %s/dev/ptmx -> pts/ptmx", ctx->rootfs);
    return 0;
  }
  if (S_ISLNK(st.st_mode)) {
    char buf[16];
    ssize_t n = readlinkat(parent, name, buf, sizeof buf - 1);
    if (n == 8 && memcmp(buf, "pts/ptmx", 8) == 0)
      return 0;
  }
  if (!S_ISCHR(st.st_mode) && !S_ISREG(st.st_mode))
    return husk_error_set(err, EEXIST, "%s/dev/ptmx exists and is neither a device nor pts/ptmx",
                          ctx->rootfs);
  _cleanup_close_ int dst = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0)
    return husk_error_set(err, errno, "open %s/dev/ptmx", ctx->rootfs);
  _cleanup_close_ int src = openat(parent, "pts/ptmx", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0 && errno == ENOENT) /* no devpts mounted: nothing to point at */
    return 0;
  if (src < 0)
    return husk_error_set(err, errno, "open %s/dev/pts/ptmx", ctx->rootfs);
  char from[HUSK_FD_PATH_SIZE], to[HUSK_FD_PATH_SIZE];
  if (mount(husk_fd_path(src, from), husk_fd_path(dst, to), "", MS_BIND, NULL) < 0)
    return husk_error_set(err, errno, "bind %s/dev/pts/ptmx to %s/dev/ptmx", ctx->rootfs,
                          ctx->rootfs);
  return 0;
}

static int make_dir(const struct husk_dev_ctx *ctx, const char *path, husk_error_t *err) {
  int fd = husk_path_create_in_root(ctx->rootfs_fd, path, HUSK_PATH_DIR, 0755);
  if (fd < 0)
    return husk_error_set(err, -fd, "mkdir %s%s", ctx->rootfs, path);
  close(fd);
  return 0;
}

static int bind_console(const struct husk_dev_ctx *ctx, husk_error_t *err) {
  _cleanup_close_ int fd =
      husk_path_create_in_root(ctx->rootfs_fd, "/dev/console", HUSK_PATH_FILE, 0666);
  if (fd < 0)
    return husk_error_set(err, -fd, "create %s/dev/console", ctx->rootfs);
  char target[HUSK_FD_PATH_SIZE];
  if (mount(ctx->console, husk_fd_path(fd, target), "", MS_BIND, NULL) < 0)
    return husk_error_set(err, errno, "mount %s to %s/dev/console", ctx->console, ctx->rootfs);
  return 0;
}

int husk_dev_setup(const struct husk_dev_ctx *ctx, husk_error_t *err) {
  if (make_dir(ctx, "/dev", err) < 0 || make_dir(ctx, "/dev/pts", err) < 0 ||
      make_dir(ctx, "/dev/shm", err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++) {
    const struct default_dev *d = &default_devices[i];
    if (listed_device(ctx->spec, d->path))
      continue;
    struct husk_device dev = {
        .type = 'c',
        .path = (char *)d->path,
        .has_file_mode = true,
        .file_mode = 0666,
        .major = d->major,
        .minor = d->minor,
    };
    if (husk_dev_create(ctx, &dev, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < ctx->spec->linux_.devices_len; i++)
    if (husk_dev_create(ctx, &ctx->spec->linux_.devices[i], err) < 0)
      return husk_error_prefix(err, "linux.devices[%zu]", i);
  for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
    if (make_link(ctx, dev_links[i].target, dev_links[i].path, err) < 0)
      return -1;
  if (access("/proc/kcore", F_OK) == 0 && make_link(ctx, "/proc/kcore", "/dev/core", err) < 0)
    return -1;
  /* The container's devpts instance, not the host's ptmx. */
  if (setup_ptmx(ctx, err) < 0)
    return -1;
  if (ctx->console && bind_console(ctx, err) < 0)
    return -1;
  return 0;
}

int husk_dev_reopen_null_stdio(husk_error_t *err) {
  /* Looked at before it is opened: the image may have put another device
   * (or a link) there, and opening some devices does something. */
  int path = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (path < 0)
    return 0;
  struct stat st;
  if (fstat(path, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    close(path); /* not the null device: leave stdio alone */
    return 0;
  }
  husk_error_t ignored = {0};
  int null = husk_procfs_reopen(-1, path, O_RDWR | O_CLOEXEC | O_NOCTTY, &ignored);
  husk_error_clear(&ignored);
  close(path);
  if (null < 0)
    return 0;
  for (int fd = 0; fd < 3; fd++) {
    struct stat fst;
    if (fstat(fd, &fst) < 0 || !S_ISCHR(fst.st_mode) || fst.st_rdev != makedev(1, 3))
      continue;
    if (dup3(null, fd, 0) < 0) {
      int e = errno;
      close(null);
      return husk_error_set(err, e, "reopen /dev/null as fd %d", fd);
    }
  }
  close(null);
  return 0;
}
