/* husk — the container's root filesystem (see rootfs.h): propagation, the
 * rootfs bind (made by the parent without a mount namespace, see
 * rootfs_runtime_mntns.c), config.json `mounts` in order, /dev, pivot_root, then
 * maskedPaths, readonlyPaths, root.readonly and rootfsPropagation.
 *
 * Before pivot_root every target is resolved inside the rootfs with
 * path_resolve.h and reached through /proc/self/fd/N, so a symlink in the
 * image can't redirect a mount onto the host.  After pivot_root "/" is the
 * rootfs, and plain paths can't leave it. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "copy_tree.h"
#include "dev.h"
#include "json.h"
#include "mount_options.h"
#include "path_resolve.h"
#include "procfs.h"
#include "util.h"

/* Flags the kernel locks on a mount inherited by a less privileged user
 * namespace: a remount must repeat them or fail with EPERM. */
#define LOCKABLE_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

/* One entry of spec->mounts while it is being mounted. */
struct mnt {
  const struct husk_rootfs_ctx *ctx;
  size_t index; /* in spec->mounts */
  int rootfs_fd;
  int fd_dir; /* our /proc/self/fd, through a checked procfs */
  const struct husk_mount *m;
  struct husk_mount_opts opts;
  char *dest;        /* destination, absolute inside the container */
  char *shown_dest;  /* host path of the destination, for messages */
  char *source;      /* bind source as a host path (bundle-relative resolved) */
  const char *shown; /* what is mounted, for messages */
  int covered_mode;  /* a tmpfs over an existing directory: its mode, else -1 */
};

static int mnt_error(const struct mnt *mt, int errnum, const char *step, husk_error_t *err) {
  if (step)
    return husk_error_set(err, errnum, "mount %s to %s: %s", mt->shown, mt->shown_dest, step);
  return husk_error_set(err, errnum, "mount %s to %s", mt->shown, mt->shown_dest);
}

/* remount(MS_BIND) of the mount at `target`.  A mount inherited into a user
 * namespace keeps ro/nosuid/nodev/noexec and its atime mode locked: on EPERM
 * try again with those taken from the mount as it is, like runc. */
static int remount_bind(const char *target, unsigned long flags) {
  flags |= MS_REMOUNT | MS_BIND;
  flags &= ~(unsigned long)MS_REC;
  if (mount(NULL, target, "", flags, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return -errno;
  struct statvfs sv;
  if (statvfs(target, &sv) < 0)
    return -EPERM;
  unsigned long cur = sv.f_flag;
  unsigned long retry = flags | (cur & LOCKABLE_FLAGS);
  retry =
      (retry & ~(unsigned long)ATIME_FLAGS) | (cur & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME));
  if (retry == flags)
    return -EPERM;
  return mount(NULL, target, "", retry, NULL) == 0 ? 0 : -errno;
}

/* Open the destination again: after a mount it names the new mount, not
 * the directory it covers (which the earlier fd still points at). */
static int reopen_dest(const struct mnt *mt, husk_error_t *err) {
  int fd = husk_path_open_in_root(mt->rootfs_fd, mt->dest, O_PATH);
  if (fd < 0)
    return mnt_error(mt, -fd, "reopen the mount point", err);
  return fd;
}

/* ---- where a destination may go ------------------------------------------ */

/* runc's list (checkProcMount): the files lxcfs emulates. */
static const char *const lxcfs_proc_files[] = {
    "/proc/cpuinfo", "/proc/diskstats",
    "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

static bool path_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Where `fd` is, as a path inside the rootfs, with `rest` appended; NULL
 * when it is not inside it. */
static char *path_in_root(const struct mnt *mt, int fd, const char *rest) {
  char root[PATH_MAX], at[PATH_MAX], name[16];
  snprintf(name, sizeof(name), "%d", mt->rootfs_fd);
  ssize_t n = readlinkat(mt->fd_dir, name, root, sizeof(root) - 1);
  if (n <= 0)
    return NULL;
  root[n] = '\0';
  snprintf(name, sizeof(name), "%d", fd);
  n = readlinkat(mt->fd_dir, name, at, sizeof(at) - 1);
  if (n <= 0)
    return NULL;
  at[n] = '\0';
  const char *in = at;
  if (strcmp(root, "/") != 0) {
    if (!path_under(at, root))
      return NULL;
    in = at + strlen(root);
  }
  _cleanup_free_ char *joined = husk_xasprintf("/%s/%s", in, rest);
  return husk_path_clean(joined);
}

static bool source_is_procfs(const struct mnt *mt) {
  struct statfs sfs;
  return mt->source && statfs(mt->source, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* The CVE-2025-52881 class: a mount over a part of the container's /proc
 * (reached through a symlink of the image, "/data -> /proc/self") would
 * redirect what the runtime writes there later (oom_score_adj, sysctls,
 * LSM attributes).  runc's rule on the resolved destination: inside /proc
 * only proc at /proc itself (or a bind of a procfs there) and the files
 * lxcfs emulates.  And no symlink may lead a mount into /proc or /sys, or
 * onto a procfs anywhere else; proc and sysfs go on ordinary directories.
 * Binds written as /sys/... stay allowed, as in runc (/sys/fs/cgroup...).
 * `fd` is the destination, or its deepest existing ancestor with `rest`
 * the part still to be created. */
static int check_destination(const struct mnt *mt, bool bind, int fd, const char *rest,
                             husk_error_t *err) {
  const struct husk_mount *m = mt->m;
  _cleanup_free_ char *what =
      husk_xasprintf("mounts[%zu].destination %s", mt->index, m->destination);
  _cleanup_free_ char *literal = husk_path_clean(mt->dest);
  _cleanup_free_ char *resolved = path_in_root(mt, fd, rest);
  if (resolved == NULL)
    return husk_error_set_quiet(err, EXDEV, "%s: resolves outside the container's root: refused",
                                what);
  bool redirected = strcmp(literal, resolved) != 0;
  bool fs_mount =
      !bind && m->type && (strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0);
  if (fs_mount) {
    if (redirected)
      return husk_error_set_quiet(err, EXDEV,
                                  "%s: resolves to %s through a symlink: %s must be mounted on an "
                                  "ordinary directory: refused",
                                  what, resolved, m->type);
    return 0;
  }
  if (path_under(resolved, "/proc")) {
    if (strcmp(resolved, "/proc") == 0 && !redirected && bind && source_is_procfs(mt))
      return 0;
    for (size_t i = 0; !redirected && i < sizeof(lxcfs_proc_files) / sizeof(lxcfs_proc_files[0]);
         i++)
      if (strcmp(resolved, lxcfs_proc_files[i]) == 0)
        return 0;
    return husk_error_set_quiet(err, EXDEV,
                                "%s: %s %s, inside the container's /proc: refused (only proc at "
                                "/proc and the files lxcfs provides may be mounted there)",
                                what, redirected ? "resolves to" : "is", resolved);
  }
  if (redirected && path_under(resolved, "/sys"))
    return husk_error_set_quiet(
        err, EXDEV,
        "%s: resolves to %s through a symlink, inside the container's /sys: "
        "refused",
        what, resolved);
  struct statfs sfs;
  if (fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
    return husk_error_set_quiet(err, EXDEV, "%s: resolves to %s, on a procfs: refused", what,
                                resolved);
  return 0;
}

/* check_destination before anything is created: the deepest part of the
 * destination that exists already.  When that is the whole destination (the
 * usual case), *existing gets its checked fd: the mount goes there without
 * a second lookup and check. */
static int check_destination_early(const struct mnt *mt, bool bind, int *existing,
                                   husk_error_t *err) {
  *existing = -1;
  _cleanup_free_ char *prefix = husk_path_clean(mt->dest);
  for (;;) {
    int fd = husk_path_open_in_root(mt->rootfs_fd, prefix, O_PATH);
    if (fd >= 0) {
      _cleanup_free_ char *literal = husk_path_clean(mt->dest);
      const char *rest = literal + strlen(prefix);
      int r = check_destination(mt, bind, fd, rest, err);
      if (r == 0 && *rest == '\0')
        *existing = fd;
      else
        close(fd);
      return r;
    }
    if (fd != -ENOENT || strcmp(prefix, "/") == 0)
      return 0; /* the creation reports it */
    char *slash = strrchr(prefix, '/');
    if (slash == prefix)
      slash[1] = '\0';
    else
      *slash = '\0';
  }
}

/* ---- idmapped mounts ---------------------------------------------------- */

static int write_map(int proc, pid_t pid, const char *file, const struct husk_id_mapping *map,
                     size_t len) {
  _cleanup_free_ char *path = husk_xasprintf("%d/%s", (int)pid, file);
  _cleanup_free_ char *text = husk_xstrdup("");
  for (size_t i = 0; i < len; i++) {
    char *more =
        husk_xasprintf("%s%u %u %u\n", text, map[i].container_id, map[i].host_id, map[i].size);
    free(text);
    text = more;
  }
  husk_error_t ignored = {0};
  _cleanup_close_ int fd = husk_procfs_open(proc, path, O_WRONLY, &ignored);
  int e = ignored.errnum ? ignored.errnum : EIO;
  husk_error_clear(&ignored);
  if (fd < 0)
    return -e;
  if (write(fd, text, strlen(text)) < 0)
    return -errno;
  return 0;
}

/* A user namespace holding the mount's mappings: a child unshares one, we
 * write its maps and keep /proc/<child>/ns/user, then the child goes. */
static int idmap_userns_fd(const struct husk_id_mapping *uids, size_t uids_len,
                           const struct husk_id_mapping *gids, size_t gids_len) {
  int ready[2], hold[2];
  husk_error_t ignored = {0};
  _cleanup_close_ int proc = husk_procfs_root(&ignored);
  husk_error_clear(&ignored);
  if (proc < 0)
    return -ENOENT;
  if (pipe2(ready, O_CLOEXEC) < 0)
    return -errno;
  if (pipe2(hold, O_CLOEXEC) < 0) {
    int e = errno;
    close(ready[0]);
    close(ready[1]);
    return -e;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    close(hold[1]);
    /* Our pid as the procfs of `proc` counts it: the init runs in a new pid
     * namespace but still has the host's /proc mounted, where fork()'s
     * return value would name another process. */
    char self[16] = "";
    pid_t seen = husk_procfs_self(proc);
    if (seen > 0)
      snprintf(self, sizeof(self), "%d", (int)seen);
    char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1 || write(ready[1], self, sizeof(self)) != sizeof(self))
      _exit(1);
    /* Stay until the parent has the namespace: read returns at its close. */
    (void)!read(hold[0], &c, 1);
    _exit(0);
  }
  int r = pid < 0 ? -errno : 0;
  close(ready[1]);
  close(hold[0]);
  char c = 'n';
  char proc_pid[16] = "";
  if (r == 0 && (read(ready[0], &c, 1) != 1 ||
                 read(ready[0], proc_pid, sizeof(proc_pid)) != (ssize_t)sizeof(proc_pid)))
    r = -ECHILD;
  if (r == 0 && c != 'y')
    r = -EPERM;
  proc_pid[sizeof(proc_pid) - 1] = '\0';
  pid_t seen = proc_pid[0] ? (pid_t)atoi(proc_pid) : pid;
  if (r == 0)
    r = write_map(proc, seen, "uid_map", uids, uids_len);
  if (r == 0)
    r = write_map(proc, seen, "gid_map", gids, gids_len);
  int fd = -1;
  if (r == 0) {
    /* ns/user is a magic link: openat2 below the handle refuses it, and
     * setns only takes a namespace file anyway. */
    _cleanup_free_ char *ns = husk_xasprintf("%d/ns", (int)seen);
    _cleanup_close_ int nsdir = husk_procfs_open(proc, ns, O_PATH | O_DIRECTORY, &ignored);
    husk_error_clear(&ignored);
    fd = nsdir < 0 ? -1 : openat(nsdir, "user", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      r = nsdir < 0 ? -ESRCH : -errno;
  }
  close(ready[0]);
  close(hold[1]);
  if (pid > 0)
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  return r < 0 ? r : fd;
}

static bool has_userns(const struct husk_spec *spec, const char **path) {
  for (size_t i = 0; i < spec->linux_.namespaces_len; i++)
    if (spec->linux_.namespaces[i].type == HUSK_NS_USER) {
      *path = spec->linux_.namespaces[i].path;
      return true;
    }
  return false;
}

/* The user namespace to idmap with: the mount's own mappings, else the
 * container's (config-linux.md mappings or the namespace it joins). */
static int idmap_fd_for(const struct mnt *mt, husk_error_t *err) {
  const struct husk_mount *m = mt->m;
  const struct husk_spec *spec = mt->ctx->spec;
  if (m->uid_mappings_len > 0 || m->gid_mappings_len > 0) {
    if (m->uid_mappings_len == 0 || m->gid_mappings_len == 0)
      return mnt_error(mt, EINVAL, "uidMappings and gidMappings must be given together", err);
    int fd =
        idmap_userns_fd(m->uid_mappings, m->uid_mappings_len, m->gid_mappings, m->gid_mappings_len);
    return fd < 0 ? mnt_error(mt, -fd, "create the idmap user namespace", err) : fd;
  }
  const char *ns_path = NULL;
  if (!has_userns(spec, &ns_path))
    return mnt_error(mt, EINVAL, "idmap without uidMappings/gidMappings needs a user namespace",
                     err);
  if (spec->linux_.uid_mappings_len > 0 && spec->linux_.gid_mappings_len > 0) {
    int fd = idmap_userns_fd(spec->linux_.uid_mappings, spec->linux_.uid_mappings_len,
                             spec->linux_.gid_mappings, spec->linux_.gid_mappings_len);
    return fd < 0 ? mnt_error(mt, -fd, "create the idmap user namespace", err) : fd;
  }
  int fd = open(ns_path ? ns_path : "/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  return fd < 0 ? mnt_error(mt, errno, "open the container's user namespace", err) : fd;
}

/* open_tree(OPEN_TREE_CLONE) of the source with MOUNT_ATTR_IDMAP: a
 * detached tree, ready for move_mount. */
static int make_idmapped_tree(const struct mnt *mt, husk_error_t *err) {
  _cleanup_close_ int userns = idmap_fd_for(mt, err);
  if (userns < 0)
    return -1;
  unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (mt->opts.flags & MS_REC)
    tree_flags |= AT_RECURSIVE;
  int tree = open_tree(AT_FDCWD, mt->source, tree_flags);
  if (tree < 0)
    return mnt_error(mt, errno, "open_tree", err);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
  unsigned set_flags = AT_EMPTY_PATH | (mt->opts.ridmap ? AT_RECURSIVE : 0);
  if (mount_setattr(tree, "", set_flags, &attr, sizeof attr) < 0) {
    int e = errno;
    close(tree);
    return mnt_error(mt, e, "mount_setattr(MOUNT_ATTR_IDMAP)", err);
  }
  return tree;
}

/* The detached tree of this mount's source the parent made, or -1. */
static int premade_tree(const struct mnt *mt) {
  const int *premade = mt->ctx->source_trees;
  return premade ? premade[mt->index] : -1;
}

/* Attach a detached tree (open_tree) at the target. */
static int attach_tree(const struct mnt *mt, int tree, int target_fd, husk_error_t *err) {
  if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return mnt_error(mt, errno, "move_mount", err);
  return 0;
}

/* ---- cgroup ------------------------------------------------------------- */

bool husk_mountinfo_parse_line(char *line, struct mountinfo_entry *e) {
  char *fields[6] = {0}, *save = NULL, *tok;
  int n = 0;
  for (tok = strtok_r(line, " \n", &save); tok && n < 6; tok = strtok_r(NULL, " \n", &save))
    fields[n++] = tok;
  if (n < 6)
    return false;
  while (tok && strcmp(tok, "-") != 0) /* optional fields end at "-" */
    tok = strtok_r(NULL, " \n", &save);
  char *fstype = strtok_r(NULL, " \n", &save);
  char *source = strtok_r(NULL, " \n", &save);
  char *super = strtok_r(NULL, " \n", &save);
  if (!tok || !fstype || !source || !super)
    return false;
  e->root = fields[3];
  e->target = fields[4];
  e->fstype = fstype;
  e->super_opts = super;
  husk_mountinfo_unescape(e->root);
  husk_mountinfo_unescape(e->target);
  return true;
}

static bool has_token(const char *list, const char *tok) {
  size_t len = strlen(tok);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && strncmp(p, tok, len) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

static int own_cgroup(const char *fstype, const char *super_opts, char **path, char **ctrls) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return -errno;
  return husk_own_cgroup_parse(f, fstype, super_opts, path, ctrls);
}

int husk_own_cgroup_parse(FILE *f, const char *fstype, const char *super_opts, char **path,
                          char **ctrls) {
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  bool v2 = strcmp(fstype, "cgroup2") == 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c2 = '\0';
    const char *list = c1 + 1;
    bool match = v2 ? list[0] == '\0' : list[0] != '\0';
    for (const char *p = list; match && *p;) {
      const char *end = strchr(p, ',');
      _cleanup_free_ char *one = end ? strndup(p, (size_t)(end - p)) : husk_xstrdup(p);
      match = one && has_token(super_opts, one);
      p = end ? end + 1 : p + strlen(p);
    }
    if (match) {
      *path = husk_xstrdup(c2 + 1);
      *ctrls = husk_xstrdup(list);
      return 0;
    }
  }
  return -ENOENT;
}

/* The container's cgroup directory in the hierarchy mounted at `mount`, as
 * the parent made it and places us there (it may still be moving us:
 * /proc/self/cgroup can show the caller's cgroup for a while); NULL when
 * the parent made none there. */
static char *placed_cgroup_dir(const struct husk_rootfs_ctx *ctx, const char *mount) {
  if (ctx->cgroup_path == NULL)
    return NULL;
  char *dir = husk_xasprintf("%s%s", mount, ctx->cgroup_path);
  struct stat st;
  if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
    return dir;
  free(dir);
  return NULL;
}

/* The mount options flags that make sense on each cgroup hierarchy. */
#define CGROUP_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | ATIME_FLAGS)

/* A directory of the fresh tmpfs `dir_fd` (mount_cgroup's, which holds
 * nothing the image made: no lookup in the rootfs needed). */
static int tmpfs_subdir(int dir_fd, const char *name) {
  if (mkdirat(dir_fd, name, 0755) < 0 && errno != EEXIST)
    return -errno;
  int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* The flags of one bound hierarchy: the mount's, and never suid, devices or
 * programs. */
static int remount_cgroup_bind(const struct mnt *mt, int dir_fd, const char *base,
                               husk_error_t *err) {
  _cleanup_close_ int fd = openat(dir_fd, base, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set(err, errno, "reopen %s%s/%s", mt->ctx->rootfs, mt->dest, base);
  char fdpath[HUSK_FD_PATH_SIZE];
  unsigned long flags = (mt->opts.flags & CGROUP_FLAGS) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  int r = remount_bind(husk_fd_path(fd, fdpath), flags);
  if (r < 0)
    return husk_error_set(err, -r, "remount %s%s/%s", mt->ctx->rootfs, mt->dest, base);
  return 0;
}

/* The same flags on the tmpfs and every bind beneath it in one
 * mount_setattr(2), instead of a remount each (ten on a hybrid host): only
 * where that sets on the tmpfs nothing it lacks (its options include
 * nosuid, nodev, noexec) and no flag can be locked (no user namespace).
 * -ENOSYS and the like: the caller remounts one by one. */
static int set_cgroup_tree_flags(const struct mnt *mt, int tmpfs_fd) {
  unsigned long flags = mt->opts.flags & CGROUP_FLAGS;
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
  if (flags & MS_RDONLY)
    attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NODIRATIME)
    attr.attr_set |= MOUNT_ATTR_NODIRATIME;
  /* No atime option: each mount keeps its own, as a remount does. */
  if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
    attr.attr_clr = MOUNT_ATTR__ATIME;
    attr.attr_set |= flags & MS_NOATIME    ? MOUNT_ATTR_NOATIME
                     : flags & MS_RELATIME ? MOUNT_ATTR_RELATIME
                                           : MOUNT_ATTR_STRICTATIME;
  }
  if (mount_setattr(tmpfs_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return -errno;
  return 0;
}

/* One hierarchy of the host under the container's cgroup tmpfs `dir_fd`: a
 * fresh mount with a cgroup namespace (it shows the namespace's root), else
 * a bind of our own cgroup directory, as runc does. */
static int mount_cgroup_hierarchy(const struct mnt *mt, int dir_fd, const struct mountinfo_entry *e,
                                  bool own_cgroupns, bool batch_flags, husk_error_t *err) {
  const char *base = strrchr(e->target, '/') + 1;
  _cleanup_free_ char *sub = husk_xasprintf("%s/%s", mt->dest, base);
  _cleanup_close_ int fd = tmpfs_subdir(dir_fd, base);
  if (fd < 0)
    return husk_error_set(err, -fd, "mount %s to %s%s: create mount point", e->target,
                          mt->ctx->rootfs, sub);
  char fdpath[HUSK_FD_PATH_SIZE];
  unsigned long flags = mt->opts.flags & CGROUP_FLAGS;
  /* Where /proc/self/cgroup puts us, read only when needed: the options of
   * a fresh mount, or the source of a bind the parent did not make. */
  _cleanup_free_ char *src = own_cgroupns ? NULL : placed_cgroup_dir(mt->ctx, e->target);
  _cleanup_free_ char *cg_path = NULL, *ctrls = NULL;
  if (src == NULL) {
    int r = own_cgroup(e->fstype, e->super_opts, &cg_path, &ctrls);
    if (r < 0)
      return husk_error_set(err, -r, "mount %s to %s%s: find our cgroup in /proc/self/cgroup",
                            e->target, mt->ctx->rootfs, sub);
  }
  if (own_cgroupns) {
    if (mount(e->fstype, husk_fd_path(fd, fdpath), e->fstype, flags, ctrls[0] ? ctrls : NULL) < 0)
      return husk_error_set(err, errno, "mount %s to %s%s", e->fstype, mt->ctx->rootfs, sub);
  } else {
    if (src == NULL) {
      /* A hierarchy the parent doesn't place us in: ours is the caller's.
       * The cgroup path is relative to the hierarchy's root; the host mount
       * may show a subtree of it (mountinfo's root field). */
      const char *rel = cg_path;
      size_t rootlen = strcmp(e->root, "/") == 0 ? 0 : strlen(e->root);
      if (rootlen && strncmp(cg_path, e->root, rootlen) == 0)
        rel = cg_path + rootlen;
      src = husk_xasprintf("%s%s", e->target, rel);
    }
    if (mount(src, husk_fd_path(fd, fdpath), "", MS_BIND | MS_REC, NULL) < 0)
      return husk_error_set(err, errno, "mount %s to %s%s", src, mt->ctx->rootfs, sub);
    if (!batch_flags && remount_cgroup_bind(mt, dir_fd, base, err) < 0)
      return -1;
  }
  /* Co-mounted controllers ("cpu,cpuacct") are reachable by each name. */
  if (strchr(base, ',')) {
    _cleanup_free_ char *names = husk_xstrdup(base);
    char *save = NULL;
    for (char *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save))
      if (symlinkat(base, dir_fd, n) < 0 && errno != EEXIST)
        return husk_error_set(err, errno, "symlink %s%s/%s", mt->ctx->rootfs, mt->dest, n);
  }
  return 0;
}

/* config.md's "cgroup" type: cgroup2 on a unified host; on a v1 or hybrid
 * host a tmpfs with each hierarchy of the host mounted beneath. */
static int mount_cgroup(const struct mnt *mt, int target_fd, husk_error_t *err) {
  char fdpath[HUSK_FD_PATH_SIZE];
  struct statfs sfs;
  if (statfs("/sys/fs/cgroup", &sfs) < 0)
    return mnt_error(mt, errno, "statfs /sys/fs/cgroup", err);
  bool own_cgroupns = false;
  for (size_t i = 0; i < mt->ctx->spec->linux_.namespaces_len; i++)
    if (mt->ctx->spec->linux_.namespaces[i].type == HUSK_NS_CGROUP)
      own_cgroupns = true;
  unsigned long flags = mt->opts.flags & CGROUP_FLAGS;

  if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
    if (mount("cgroup2", husk_fd_path(target_fd, fdpath), "cgroup2", flags, mt->opts.data) == 0)
      return 0;
    if (errno != EPERM && errno != EBUSY)
      return mnt_error(mt, errno, NULL, err);
    /* No cgroup namespace of its own in a user namespace: bind ours. */
    _cleanup_free_ char *src = placed_cgroup_dir(mt->ctx, "/sys/fs/cgroup");
    if (src == NULL) {
      _cleanup_free_ char *cg_path = NULL, *ctrls = NULL;
      int r = own_cgroup("cgroup2", "", &cg_path, &ctrls);
      if (r < 0)
        return mnt_error(mt, -r, "find our cgroup in /proc/self/cgroup", err);
      src = husk_xasprintf("/sys/fs/cgroup%s", cg_path);
    }
    if (mount(src, fdpath, "", MS_BIND | MS_REC, NULL) < 0)
      return mnt_error(mt, errno, "bind of the host's cgroup", err);
    _cleanup_close_ int fd = reopen_dest(mt, err);
    if (fd < 0)
      return -1;
    int r = remount_bind(husk_fd_path(fd, fdpath), flags);
    return r < 0 ? mnt_error(mt, -r, "remount", err) : 0;
  }

  if (mount("tmpfs", husk_fd_path(target_fd, fdpath), "tmpfs", flags & ~(unsigned long)MS_RDONLY,
            "mode=755") < 0)
    return mnt_error(mt, errno, "tmpfs", err);
  _cleanup_close_ int tmpfs_fd = reopen_dest(mt, err);
  if (tmpfs_fd < 0)
    return -1;
  bool batch_flags =
      !own_cgroupns && !mt->ctx->in_userns &&
      (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) == (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  struct husk_strv bound = {0}; /* for a kernel without mount_setattr */
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return mnt_error(mt, errno, "open /proc/self/mountinfo", err);
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  int ret = 0;
  while (ret == 0 && getline(&line, &cap, f) > 0) {
    struct mountinfo_entry e;
    if (!husk_mountinfo_parse_line(line, &e))
      continue;
    if (strcmp(e.fstype, "cgroup") != 0 && strcmp(e.fstype, "cgroup2") != 0)
      continue;
    /* Only the hierarchies right under the host's /sys/fs/cgroup. */
    if (strncmp(e.target, "/sys/fs/cgroup/", 15) != 0 || strchr(e.target + 15, '/') ||
        e.target[15] == '\0')
      continue;
    ret = mount_cgroup_hierarchy(mt, tmpfs_fd, &e, own_cgroupns, batch_flags, err);
    if (ret == 0 && batch_flags) {
      bound.items = husk_xrealloc(bound.items, (bound.len + 1) * sizeof(char *));
      bound.items[bound.len++] = husk_xstrdup(strrchr(e.target, '/') + 1);
    }
  }
  if (ret == 0 && batch_flags && set_cgroup_tree_flags(mt, tmpfs_fd) < 0) {
    for (size_t i = 0; ret == 0 && i < bound.len; i++)
      ret = remount_cgroup_bind(mt, tmpfs_fd, bound.items[i], err);
    batch_flags = false;
  }
  husk_strv_free(&bound);
  if (ret < 0)
    return husk_error_prefix(err, "mount cgroup to %s", mt->shown_dest);
  if (!batch_flags && (flags & MS_RDONLY)) {
    int r = remount_bind(husk_fd_path(tmpfs_fd, fdpath), flags);
    if (r < 0)
      return mnt_error(mt, -r, "remount read-only", err);
  }
  return 0;
}

/* ---- one entry of `mounts` ---------------------------------------------- */

/* tmpcopyup: the directory about to be covered stays reachable through an
 * fd opened before the mount; copy it into the fresh tmpfs. */
static int copy_up(const struct mnt *mt, int covered_fd, husk_error_t *err) {
  _cleanup_close_ int dst = husk_path_open_in_root(mt->rootfs_fd, mt->dest, O_RDONLY | O_DIRECTORY);
  if (dst < 0)
    return mnt_error(mt, -dst, "tmpcopyup: open the new tmpfs", err);
  if (husk_copy_tree(covered_fd, dst, mt->shown_dest, err) < 0)
    return husk_error_prefix(err, "mount %s to %s: tmpcopyup", mt->shown, mt->shown_dest);
  return 0;
}

static int mount_bind(const struct mnt *mt, int target_fd, husk_error_t *err) {
  char fdpath[HUSK_FD_PATH_SIZE];
  bool idmapped =
      mt->opts.idmap || mt->opts.ridmap || mt->m->uid_mappings_len || mt->m->gid_mappings_len;
  if (premade_tree(mt) >= 0) {
    /* opened by the parent: with the runtime's credentials, not those of
     * the container's user namespace */
    if (attach_tree(mt, premade_tree(mt), target_fd, err) < 0)
      return -1;
  } else if (idmapped) {
    _cleanup_close_ int tree = make_idmapped_tree(mt, err);
    if (tree < 0 || attach_tree(mt, tree, target_fd, err) < 0)
      return -1;
  } else if (mount(mt->source, husk_fd_path(target_fd, fdpath), "",
                   MS_BIND | (mt->opts.flags & MS_REC), NULL) < 0) {
    return mnt_error(mt, errno, NULL, err);
  }
  /* A bind ignores every other flag: they take a remount. */
  unsigned long rest = mt->opts.flags & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT);
  if (rest == 0)
    return 0;
  _cleanup_close_ int fd = reopen_dest(mt, err);
  if (fd < 0)
    return -1;
  int r = remount_bind(husk_fd_path(fd, fdpath), rest);
  return r < 0 ? mnt_error(mt, -r, "remount", err) : 0;
}

/* A tmpfs over a directory of the image keeps that directory's mode unless
 * the options give one (runc adds mode=%o): the data string to use, NULL
 * for the options' own. */
static char *tmpfs_data_with_mode(const struct mnt *mt) {
  if (mt->covered_mode < 0)
    return NULL;
  const char *data = mt->opts.data;
  for (const char *p = data; p && *p;) {
    if (strncmp(p, "mode=", 5) == 0)
      return NULL;
    p = strchr(p, ',');
    p = p ? p + 1 : NULL;
  }
  if (data && data[0])
    return husk_xasprintf("%s,mode=%o", data, (unsigned)mt->covered_mode);
  return husk_xasprintf("mode=%o", (unsigned)mt->covered_mode);
}

static int mount_other(const struct mnt *mt, int target_fd, husk_error_t *err) {
  const char *type = mt->m->type;
  char fdpath[HUSK_FD_PATH_SIZE];
  if (type == NULL && !(mt->opts.flags & (MS_REMOUNT | MS_MOVE)))
    return mnt_error(mt, EINVAL, "no type and not a bind mount", err);
  if (type && strcmp(type, "cgroup") == 0)
    return mount_cgroup(mt, target_fd, err);

  _cleanup_close_ int covered = -1;
  if (mt->opts.tmpcopyup) {
    if (type == NULL || strcmp(type, "tmpfs") != 0)
      return mnt_error(mt, EINVAL, "tmpcopyup needs type tmpfs", err);
    covered = husk_path_open_in_root(mt->rootfs_fd, mt->dest, O_RDONLY | O_DIRECTORY);
    if (covered < 0)
      return mnt_error(mt, -covered, "tmpcopyup: open the destination", err);
  }
  const char *source = mt->m->source ? mt->m->source : type;
  _cleanup_free_ char *data = tmpfs_data_with_mode(mt);
  if (mount(source, husk_fd_path(target_fd, fdpath), type, mt->opts.flags,
            data ? data : mt->opts.data) < 0) {
    int e = errno;
    /* sysfs belongs to the network namespace: without one of its own, a
     * container in a user namespace gets the host's /sys, read-only. */
    if (e == EPERM && mt->ctx->in_userns && type && strcmp(type, "sysfs") == 0) {
      if (mount("/sys", fdpath, "", MS_BIND | MS_REC, NULL) < 0)
        return mnt_error(mt, errno, "bind of /sys in a user namespace", err);
      _cleanup_close_ int fd = reopen_dest(mt, err);
      if (fd < 0)
        return -1;
      int r = remount_bind(husk_fd_path(fd, fdpath),
                           (mt->opts.flags & CGROUP_FLAGS) | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      return r < 0 ? mnt_error(mt, -r, "remount of /sys", err) : 0;
    }
    return mnt_error(mt, e, NULL, err);
  }
  if (covered >= 0)
    return copy_up(mt, covered, err);
  return 0;
}

/* Propagation options and the recursive (r*) attributes, on the new mount. */
static int mount_finish(const struct mnt *mt, husk_error_t *err) {
  if (mt->opts.propagation_len == 0 && mt->opts.attr_set == 0 && mt->opts.attr_clr == 0)
    return 0;
  _cleanup_close_ int fd = reopen_dest(mt, err);
  if (fd < 0)
    return -1;
  char fdpath[HUSK_FD_PATH_SIZE];
  husk_fd_path(fd, fdpath);
  for (int i = 0; i < mt->opts.propagation_len; i++)
    if (mount(NULL, fdpath, "", mt->opts.propagation[i], NULL) < 0)
      return mnt_error(mt, errno, "set propagation", err);
  if (mt->opts.attr_set || mt->opts.attr_clr) {
    struct mount_attr attr = {.attr_set = mt->opts.attr_set, .attr_clr = mt->opts.attr_clr};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
      return mnt_error(mt, errno, "mount_setattr (recursive options)", err);
  }
  return 0;
}

static int mount_one(const struct husk_rootfs_ctx *ctx, int rootfs_fd, int fd_dir, size_t index,
                     husk_error_t *err) {
  const struct husk_mount *m = &ctx->spec->mounts[index];
  if (m->destination == NULL || m->destination[0] == '\0')
    return husk_error_set(err, EINVAL, "mounts[%zu]: empty destination", index);
  struct mnt mt = {.ctx = ctx,
                   .index = index,
                   .rootfs_fd = rootfs_fd,
                   .fd_dir = fd_dir,
                   .m = m,
                   .covered_mode = -1};
  _cleanup_free_ char *what = husk_xasprintf("mounts[%zu]", index);
  if (husk_mount_opts_parse(&m->options, what, &mt.opts, err) < 0)
    return -1;
  /* Relative destinations are relative to "/" (config.md, deprecated);
   * "/mnt/" and "/mnt" are the same path (runc's filepath.Clean). */
  mt.dest = husk_path_clean(m->destination);
  mt.shown_dest = husk_xasprintf("%s%s", ctx->rootfs, mt.dest);
  bool bind = husk_mount_opts_is_bind(&mt.opts) || (m->type && strcmp(m->type, "bind") == 0);
  if (bind)
    mt.opts.flags |= MS_BIND;
  mt.shown = m->source ? m->source : m->type ? m->type : "none";

  int r = -1;
  _cleanup_close_ int target = -1;
  bool idmapped = mt.opts.idmap || mt.opts.ridmap || m->uid_mappings_len || m->gid_mappings_len;
  if (idmapped && !bind) {
    mnt_error(&mt, EINVAL, "idmap is only supported on bind mounts", err);
    goto out;
  }
  enum husk_path_kind kind = HUSK_PATH_DIR;
  if (bind) {
    if (m->source == NULL || m->source[0] == '\0') {
      mnt_error(&mt, EINVAL, "a bind mount needs a source", err);
      goto out;
    }
    /* Bind sources are absolute or relative to the bundle (config.md). */
    mt.source = m->source[0] == '/' || ctx->bundle == NULL
                    ? husk_xstrdup(m->source)
                    : husk_xasprintf("%s/%s", ctx->bundle, m->source);
    struct stat st;
    int tree = premade_tree(&mt);
    if ((tree >= 0 ? fstat(tree, &st) : stat(mt.source, &st)) < 0) {
      mnt_error(&mt, errno, "source", err);
      goto out;
    }
    if (!S_ISDIR(st.st_mode))
      kind = HUSK_PATH_FILE;
  }
  if (check_destination_early(&mt, bind, &target, err) < 0)
    goto out;
  if (!bind && m->type && strcmp(m->type, "tmpfs") == 0 && target >= 0) {
    struct stat st;
    if (fstat(target, &st) == 0 && S_ISDIR(st.st_mode))
      mt.covered_mode = (int)(st.st_mode & 07777);
  }
  if (target < 0) {
    target =
        husk_path_create_in_root(rootfs_fd, mt.dest, kind, kind == HUSK_PATH_DIR ? 0755 : 0644);
    if (target < 0) {
      mnt_error(&mt, -target, "create the mount point", err);
      goto out;
    }
    if (check_destination(&mt, bind, target, "", err) < 0)
      goto out;
  }
  r = bind ? mount_bind(&mt, target, err) : mount_other(&mt, target, err);
  if (r == 0)
    r = mount_finish(&mt, err);
out:
  husk_mount_opts_free(&mt.opts);
  free(mt.dest);
  free(mt.shown_dest);
  free(mt.source);
  return r;
}

int husk_rootfs_source_trees(const struct husk_rootfs_ctx *ctx, int **trees_out,
                             husk_error_t *err) {
  const struct husk_spec *spec = ctx->spec;
  int *trees = husk_xcalloc(spec->mounts_len ? spec->mounts_len : 1, sizeof(int));
  for (size_t i = 0; i < spec->mounts_len; i++)
    trees[i] = -1;
  const struct husk_namespace *mntns = husk_spec_find_ns(spec, HUSK_NS_MOUNT);
  bool new_mntns = mntns && mntns->path == NULL;
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct husk_mount *m = &spec->mounts[i];
    struct mnt mt = {.ctx = ctx, .index = i, .rootfs_fd = -1, .m = m, .covered_mode = -1};
    _cleanup_free_ char *what = husk_xasprintf("mounts[%zu]", i);
    if (husk_mount_opts_parse(&m->options, what, &mt.opts, err) < 0)
      goto fail;
    bool idmapped = mt.opts.idmap || mt.opts.ridmap || m->uid_mappings_len || m->gid_mappings_len;
    bool bind = husk_mount_opts_is_bind(&mt.opts) || (m->type && strcmp(m->type, "bind") == 0);
    int r = 0;
    if ((idmapped || (bind && new_mntns)) && m->source && m->source[0]) {
      mt.dest = husk_path_clean(m->destination ? m->destination : "");
      mt.shown_dest = husk_xasprintf("%s%s", ctx->rootfs, mt.dest);
      mt.shown = m->source;
      mt.source = m->source[0] == '/' || ctx->bundle == NULL
                      ? husk_xstrdup(m->source)
                      : husk_xasprintf("%s/%s", ctx->bundle, m->source);
      if (idmapped) {
        trees[i] = make_idmapped_tree(&mt, err);
      } else {
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
        if (mt.opts.flags & MS_REC)
          flags |= AT_RECURSIVE;
        trees[i] = open_tree(AT_FDCWD, mt.source, flags);
        /* A caller without CAP_SYS_ADMIN (rootless) may not clone mounts:
         * then the init binds the source by path, with the caller's own
         * credentials anyway. */
        int e = errno;
        if (trees[i] < 0 && e != EPERM) {
          mnt_error(&mt, e, "source", err);
          r = -1;
        }
      }
      if (idmapped)
        r = trees[i] < 0 ? -1 : 0;
    }
    husk_mount_opts_free(&mt.opts);
    free(mt.dest);
    free(mt.shown_dest);
    free(mt.source);
    if (r < 0)
      goto fail;
  }
  *trees_out = trees;
  return 0;
fail:
  husk_rootfs_source_trees_free(trees, spec->mounts_len);
  return -1;
}

void husk_rootfs_source_trees_free(int *trees, size_t n) {
  if (trees == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    if (trees[i] >= 0)
      close(trees[i]);
  free(trees);
}

/* ---- the three steps ------------------------------------------------------ */

/* linux.rootfsPropagation as MS_* flags; the string wins over the number. */
static int rootfs_propagation(const struct husk_spec *spec, unsigned long *flags,
                              husk_error_t *err) {
  *flags = spec->linux_.rootfs_propagation_flags;
  const char *name = spec->linux_.rootfs_propagation;
  if (name && name[0]) {
    *flags = husk_mount_propagation_flags(name);
    if (*flags == 0)
      return husk_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", name);
  }
  return 0;
}

static bool mounts_over_root(const struct husk_mount *m) {
  if (m->destination == NULL || m->destination[0] == '\0')
    return false;
  _cleanup_free_ char *dest = husk_path_clean(m->destination);
  return strcmp(dest, "/") == 0;
}

/* A mount whose source is the container's cgroup (or may be). */
static bool shows_cgroup(const struct husk_mount *m) {
  if (m->type && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0))
    return true;
  if (m->source == NULL || m->source[0] != '/')
    return false;
  _cleanup_free_ char *source = husk_path_clean(m->source);
  return path_under(source, "/sys/fs/cgroup");
}

int husk_rootfs_prepare(const struct husk_rootfs_ctx *ctx, husk_error_t *err) {
  if (ctx == NULL || ctx->spec == NULL || ctx->rootfs == NULL)
    return husk_error_set(err, EINVAL, "rootfs: no spec or rootfs path");
  unsigned long prop;
  if (rootfs_propagation(ctx->spec, &prop, err) < 0)
    return -1;
  /* Without a mount namespace of its own we are in the caller's: its "/"
   * is not ours to change, and the parent made the rootfs bind. */
  if (!ctx->in_runtime_mntns) {
    /* Nothing mounted from here on may reach the host: slave by default (the
     * container still sees host mounts come and go), private when asked.
     * Either way no mount is shared any more, which pivot_root needs. */
    unsigned long initial =
        MS_REC | ((prop & (MS_PRIVATE | MS_UNBINDABLE)) ? MS_PRIVATE : MS_SLAVE);
    if (mount(NULL, "/", "", initial, NULL) < 0)
      return husk_error_set(err, errno, "make / %s", initial & MS_PRIVATE ? "rprivate" : "rslave");
    /* pivot_root wants the new root to be a mount point. */
    if (mount(ctx->rootfs, ctx->rootfs, "", MS_BIND | MS_REC, NULL) < 0)
      return husk_error_set(err, errno, "mount %s to %s", ctx->rootfs, ctx->rootfs);
  }
  _cleanup_close_ int rootfs_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfs_fd < 0)
    return husk_error_set(err, errno, "open %s", ctx->rootfs);

  _cleanup_close_ int fd_dir = husk_procfs_open(-1, "self/fd", O_PATH | O_DIRECTORY, err);
  if (fd_dir < 0)
    return -1;
  bool cgroup_ready = ctx->wait_for_cgroup == NULL;
  for (size_t i = 0; i < ctx->spec->mounts_len; i++) {
    if (!cgroup_ready && shows_cgroup(&ctx->spec->mounts[i])) {
      if (ctx->wait_for_cgroup(ctx->wait_for_cgroup_data, err) < 0)
        return -1;
      cgroup_ready = true;
    }
    if (mount_one(ctx, rootfs_fd, fd_dir, i, err) < 0)
      return -1;
    /* A mount at "/" covers the directory rootfs_fd names: what comes
     * after it goes on top of the new mount, as with runc's paths. */
    if (mounts_over_root(&ctx->spec->mounts[i])) {
      close(rootfs_fd);
      rootfs_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfs_fd < 0)
        return husk_error_set(err, errno, "open %s after mounts[%zu]", ctx->rootfs, i);
    }
  }

  /* Device nodes are made inside the devices cgroup, as before. */
  if (!cgroup_ready && ctx->wait_for_cgroup(ctx->wait_for_cgroup_data, err) < 0)
    return -1;
  struct husk_dev_ctx dev = {
      .rootfs_fd = rootfs_fd,
      .rootfs = ctx->rootfs,
      .spec = ctx->spec,
      .in_userns = ctx->in_userns,
      .console = ctx->console,
  };
  return husk_dev_setup(&dev, err);
}

int husk_rootfs_pivot(const struct husk_rootfs_ctx *ctx, husk_error_t *err) {
  if (ctx->in_runtime_mntns) {
    /* The caller's mount namespace: pivot_root or a move over "/" would
     * change its root for everyone in it; chroot changes only ours. */
    if (chdir(ctx->rootfs) < 0)
      return husk_error_set(err, errno, "chdir %s", ctx->rootfs);
    if (chroot(".") < 0)
      return husk_error_set(err, errno, "chroot %s", ctx->rootfs);
    if (chdir("/") < 0)
      return husk_error_set(err, errno, "chdir / in %s", ctx->rootfs);
    return 0;
  }
  if (ctx->no_pivot) {
    /* Move the rootfs mount over / and chroot into it: weaker than
     * pivot_root (the old root stays reachable to a chroot escape) and
     * only for where pivot_root can't work (e.g. a ramfs root). */
    if (chdir(ctx->rootfs) < 0)
      return husk_error_set(err, errno, "chdir %s", ctx->rootfs);
    if (mount(ctx->rootfs, "/", "", MS_MOVE, NULL) < 0)
      return husk_error_set(err, errno, "move %s to /", ctx->rootfs);
    if (chroot(".") < 0)
      return husk_error_set(err, errno, "chroot %s", ctx->rootfs);
    if (chdir("/") < 0)
      return husk_error_set(err, errno, "chdir / in %s", ctx->rootfs);
    return 0;
  }
  _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return husk_error_set(err, errno, "open /");
  _cleanup_close_ int newroot = open(ctx->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return husk_error_set(err, errno, "open %s", ctx->rootfs);
  if (fchdir(newroot) < 0)
    return husk_error_set(err, errno, "chdir %s", ctx->rootfs);
  /* pivot_root(".", "."): the old root ends up stacked under the new one,
   * no directory for it is needed inside the image. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return husk_error_set(err, errno, "pivot_root %s", ctx->rootfs);
  if (fchdir(oldroot) < 0)
    return husk_error_set(err, errno, "chdir to the old root");
  /* Slave first so that detaching it can't propagate unmounts anywhere. */
  if (mount(NULL, ".", "", MS_SLAVE | MS_REC, NULL) < 0)
    return husk_error_set(err, errno, "make the old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return husk_error_set(err, errno, "unmount the old root");
  if (chdir("/") < 0)
    return husk_error_set(err, errno, "chdir /");
  return 0;
}

/* maskedPaths: a file gets /dev/null bound over it, a directory an empty
 * read-only tmpfs; a path that doesn't exist has nothing to hide. */
static int mask_path(const char *path, husk_error_t *err) {
  if (mount("/dev/null", path, "", MS_BIND, NULL) == 0)
    return 0;
  if (errno == ENOENT)
    return 0;
  if (errno != ENOTDIR)
    return husk_error_set(err, errno, "linux.maskedPaths: mount /dev/null to %s", path);
  if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
    return husk_error_set(err, errno, "linux.maskedPaths: mount tmpfs to %s", path);
  return 0;
}

/* readonlyPaths: bind the path onto itself, then remount it read-only. */
static int readonly_path(const char *path, husk_error_t *err) {
  if (mount(path, path, "", MS_BIND | MS_REC, NULL) < 0) {
    if (errno == ENOENT)
      return 0;
    return husk_error_set(err, errno, "linux.readonlyPaths: mount %s to %s", path, path);
  }
  int r = remount_bind(path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (r < 0)
    return husk_error_set(err, -r, "linux.readonlyPaths: remount %s read-only", path);
  return 0;
}

int husk_rootfs_finalize(const struct husk_rootfs_ctx *ctx, husk_error_t *err) {
  const struct husk_linux *lx = &ctx->spec->linux_;
  for (size_t i = 0; i < lx->readonly_paths.len; i++)
    if (readonly_path(lx->readonly_paths.items[i], err) < 0)
      return -1;
  for (size_t i = 0; i < lx->masked_paths.len; i++)
    if (mask_path(lx->masked_paths.items[i], err) < 0)
      return -1;
  if (ctx->spec->has_root && ctx->spec->root.readonly) {
    /* Keep what / already has (nosuid, nodev, ...): only add ro. */
    struct statvfs sv;
    unsigned long keep = statvfs("/", &sv) == 0 ? sv.f_flag & LOCKABLE_FLAGS : 0;
    int r = remount_bind("/", keep | MS_RDONLY);
    if (r < 0)
      return husk_error_set(err, -r, "root.readonly: remount / read-only");
  }
  unsigned long prop;
  if (rootfs_propagation(ctx->spec, &prop, err) < 0)
    return -1;
  /* Without a mount namespace "/" is the caller's: left as it is. */
  if (ctx->in_runtime_mntns)
    return 0;
  if (prop && mount(NULL, "/", "", prop, NULL) < 0)
    return husk_error_set(err, errno, "linux.rootfsPropagation: set %s on /",
                          lx->rootfs_propagation ? lx->rootfs_propagation : "propagation");
  return 0;
}
