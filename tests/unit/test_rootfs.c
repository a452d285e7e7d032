/* Unit tests of the root filesystem: mount options, path resolution inside
 * a root, and the whole prepare/pivot/finalize run in a child that has its
 * own mount namespace (made private first, so nothing reaches the host).
 * Children report each check over a pipe; the parent speaks TAP. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev.h"
#include "mount_options.h"
#include "path_resolve.h"
#include "rootfs.h"
#include "tap.h"
#include "util.h"

/* ---- child → parent reporting ---------------------------------------- */

static int report_fd = -1;

__attribute__((format(printf, 2, 3))) static int check(int cond, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n')
      *p = ' ';
  dprintf(report_fd, "%d %s\n", cond ? 1 : 0, msg);
  return cond;
}

/* Run fn in a child; every check() it makes becomes one TAP line here. */
static void in_child(const char *name, void (*fn)(void *), void *arg) {
  int p[2];
  if (pipe(p) < 0)
    abort();
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    report_fd = p[1];
    fn(arg);
    _exit(0);
  }
  close(p[1]);
  FILE *f = fdopen(p[0], "r");
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    tap_ok(line[0] == '1', "%s: %s", name, line + 2);
  }
  free(line);
  fclose(f);
  int status = 0;
  waitpid(pid, &status, 0);
  tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child exited cleanly (status %d)",
         name, status);
}

/* ---- spec building ------------------------------------------------------ */

static struct husk_strv csv(const char *s) {
  struct husk_strv v = {0};
  if (s == NULL || s[0] == '\0')
    return v;
  char *copy = husk_xstrdup(s), *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    v.items = husk_xrealloc(v.items, (v.len + 1) * sizeof *v.items);
    v.items[v.len++] = husk_xstrdup(t);
  }
  free(copy);
  return v;
}

static void strv_free(struct husk_strv *v) {
  for (size_t i = 0; i < v->len; i++)
    free(v->items[i]);
  free(v->items);
}

static struct husk_mount *add_mount(struct husk_spec *s, const char *dst, const char *type,
                                    const char *src, const char *opts) {
  s->mounts = husk_xrealloc(s->mounts, (s->mounts_len + 1) * sizeof *s->mounts);
  struct husk_mount *m = &s->mounts[s->mounts_len++];
  memset(m, 0, sizeof *m);
  m->destination = husk_xstrdup(dst);
  m->type = type ? husk_xstrdup(type) : NULL;
  m->source = src ? husk_xstrdup(src) : NULL;
  m->options = csv(opts);
  return m;
}

static void add_device(struct husk_spec *s, char type, const char *path, int maj, int min, int mode,
                       int uid) {
  struct husk_linux *l = &s->linux_;
  l->devices = husk_xrealloc(l->devices, (l->devices_len + 1) * sizeof *l->devices);
  struct husk_device *d = &l->devices[l->devices_len++];
  memset(d, 0, sizeof *d);
  d->type = type;
  d->path = husk_xstrdup(path);
  d->major = maj;
  d->minor = min;
  if (mode >= 0)
    d->has_file_mode = true, d->file_mode = (uint32_t)mode;
  if (uid >= 0)
    d->has_uid = d->has_gid = true, d->uid = d->gid = (uint32_t)uid;
}

/* Frees what add_mount/add_device/csv made (mount mappings are static). */
static void spec_free(struct husk_spec *s) {
  for (size_t i = 0; i < s->mounts_len; i++) {
    free(s->mounts[i].destination);
    free(s->mounts[i].type);
    free(s->mounts[i].source);
    strv_free(&s->mounts[i].options);
  }
  free(s->mounts);
  for (size_t i = 0; i < s->linux_.devices_len; i++)
    free(s->linux_.devices[i].path);
  free(s->linux_.devices);
  strv_free(&s->linux_.masked_paths);
  strv_free(&s->linux_.readonly_paths);
}

/* ---- helpers for the children ------------------------------------------ */

static void write_file(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || husk_write_all(fd, content, strlen(content)) < 0)
    abort();
  close(fd);
}

static char *read_small(const char *path) {
  static char buf[256];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return buf;
}

static int copy_busybox(const char *dst) {
  char *cmd = husk_xasprintf("cp /bin/busybox '%s'", dst);
  int r = system(cmd);
  free(cmd);
  return r;
}

/* The per-mount options and fstype of `target` in our mountinfo, or NULL. */
static bool find_mount(const char *target, char *opts, size_t opts_len, char *fstype,
                       size_t fstype_len) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return false;
  char line[4096];
  bool found = false;
  while (fgets(line, sizeof line, f)) {
    char mp[1024], mo[1024];
    if (sscanf(line, "%*d %*d %*s %*s %1023s %1023s", mp, mo) != 2)
      continue;
    if (strcmp(mp, target) != 0)
      continue;
    char *dash = strstr(line, " - ");
    char fs[64] = "";
    if (dash)
      sscanf(dash + 3, "%63s", fs);
    snprintf(opts, opts_len, "%s", mo);
    snprintf(fstype, fstype_len, "%s", fs);
    found = true; /* keep going: the last one is the top mount */
  }
  fclose(f);
  return found;
}

static bool mounted_with(const char *target, const char *type, const char *opt) {
  char opts[1024], fs[64];
  if (!find_mount(target, opts, sizeof opts, fs, sizeof fs))
    return false;
  if (type && strcmp(fs, type) != 0)
    return false;
  if (opt == NULL)
    return true;
  char needle[64];
  snprintf(needle, sizeof needle, ",%s,", opt);
  char all[1100];
  snprintf(all, sizeof all, ",%s,", opts);
  return strstr(all, needle) != NULL;
}

static bool is_chr(const char *path, unsigned maj, unsigned min, struct stat *st) {
  return lstat(path, st) == 0 && S_ISCHR(st->st_mode) && major(st->st_rdev) == maj &&
         minor(st->st_rdev) == min;
}

static bool link_is(const char *path, const char *target) {
  char buf[256];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return strcmp(buf, target) == 0;
}

static int write_errno(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  return errno;
}

static bool private_mount_ns(void) {
  int r = unshare(CLONE_NEWNS);
  return check(r == 0, "unshare(CLONE_NEWNS): %s", r == 0 ? "ok" : strerror(errno)) &&
         check(mount(NULL, "/", "", MS_REC | MS_PRIVATE, NULL) == 0, "make / rprivate");
}

static bool run_steps(struct husk_rootfs_ctx *ctx) {
  husk_error_t err = {0};
  int r = husk_rootfs_prepare(ctx, &err);
  bool ok = check(r == 0, "prepare: %s", err.msg ? err.msg : "ok");
  if (ok) {
    r = husk_rootfs_pivot(ctx, &err);
    ok = check(r == 0, "pivot: %s", err.msg ? err.msg : "ok");
  }
  if (ok) {
    r = husk_rootfs_finalize(ctx, &err);
    ok = check(r == 0, "finalize: %s", err.msg ? err.msg : "ok");
  }
  husk_error_clear(&err);
  return ok;
}

/* ---- mount options (no namespace needed) ------------------------------- */

static void test_mount_options(void) {
  struct husk_strv v = csv("rbind,ro,nosuid,rw,rprivate,shared,rro,rnoatime,mode=755,size=1k,"
                           "nodev,idmap,tmpcopyup");
  struct husk_mount_opts o;
  husk_error_t err = {0};
  tap_ok(husk_mount_opts_parse(&v, "m", &o, &err) == 0, "mount options parse");
  tap_ok((o.flags & (MS_BIND | MS_REC)) == (MS_BIND | MS_REC) && husk_mount_opts_is_bind(&o),
         "rbind is MS_BIND|MS_REC");
  tap_ok(!(o.flags & MS_RDONLY) && (o.cleared & MS_RDONLY), "ro then rw leaves rw");
  tap_ok((o.flags & MS_NOSUID) && (o.flags & MS_NODEV), "nosuid, nodev");
  tap_ok(o.propagation_len == 2 && o.propagation[0] == (MS_PRIVATE | MS_REC) &&
             o.propagation[1] == MS_SHARED,
         "propagation kept in order");
  tap_ok((o.attr_set & MOUNT_ATTR_RDONLY) && (o.attr_set & MOUNT_ATTR_NOATIME) &&
             (o.attr_clr & MOUNT_ATTR__ATIME),
         "rro and rnoatime go to mount_setattr");
  tap_ok(o.data && strcmp(o.data, "mode=755,size=1k") == 0, "unknown options are data: %s",
         o.data ? o.data : "(null)");
  tap_ok(o.idmap && !o.ridmap && o.tmpcopyup, "idmap and tmpcopyup recognised");
  husk_mount_opts_free(&o);
  strv_free(&v);

  v = csv("bind");
  v.items = husk_xrealloc(v.items, 2 * sizeof *v.items);
  v.items[v.len++] = husk_xstrdup("");
  int r = husk_mount_opts_parse(&v, "mounts[2]", &o, &err);
  tap_ok(r < 0 && err.msg && strstr(err.msg, "mounts[2]: options[1]"),
         "empty option is an error: %s", err.msg ? err.msg : "");
  husk_error_clear(&err);
  strv_free(&v);
  /* Many data options: joined in order, in linear time (each one used to
   * copy all before it: 100 000 took seconds).  The alarm is a hang guard
   * for the old quadratic cost, not a speed measurement. */
  enum { MANY = 300000 };
  v.items = husk_xcalloc(MANY, sizeof *v.items);
  v.len = MANY;
  size_t want_len = 0;
  for (size_t i = 0; i < MANY; i++) {
    v.items[i] = husk_xasprintf("o%zu", i);
    want_len += strlen(v.items[i]) + 1;
  }
  alarm(30);
  r = husk_mount_opts_parse(&v, "m", &o, &err);
  alarm(0);
  tap_ok(r == 0 && o.data && strlen(o.data) == want_len - 1 &&
             strncmp(o.data, "o0,o1,o2,", 9) == 0 &&
             strcmp(o.data + want_len - 1 - strlen("o299999"), "o299999") == 0,
         "300000 data options joined in order");
  husk_mount_opts_free(&o);
  strv_free(&v);
  tap_ok(husk_mount_propagation_flags("rslave") == (MS_SLAVE | MS_REC) &&
             husk_mount_propagation_flags("ro") == 0,
         "propagation names");
}

/* ---- path resolution (no namespace needed) ----------------------------- */

static void test_paths(const char *tmp, bool walk_only) {
  const char *how = walk_only ? "walk" : "openat2";
  char *root = husk_xasprintf("%s/paths-%s", tmp, how);
  char *p;
  mkdir(root, 0755);
  p = husk_xasprintf("%s/etc", root), mkdir(p, 0755), free(p);
  p = husk_xasprintf("%s/etc/inside", root), write_file(p, "in"), free(p);
  p = husk_xasprintf("%s/abs", root), (void)!symlink("/../../../etc", p), free(p);
  p = husk_xasprintf("%s/rel", root), (void)!symlink("../../../../../etc", p), free(p);
  p = husk_xasprintf("%s/loop", root), (void)!symlink("loop", p), free(p);
  p = husk_xasprintf("%s/dangling", root), (void)!symlink("/newdir/sub", p), free(p);
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

  int (*open_in)(int, const char *, int) =
      walk_only ? husk_path_open_in_root_walk : husk_path_open_in_root;
  int fd = open_in(rootfd, "/abs/inside", O_RDONLY);
  char buf[8] = "";
  tap_ok(fd >= 0 && read(fd, buf, sizeof buf) == 2 && memcmp(buf, "in", 2) == 0,
         "%s: absolute symlink stays in the root", how);
  if (fd >= 0)
    close(fd);
  fd = open_in(rootfd, "rel/../../etc/inside", O_RDONLY);
  tap_ok(fd >= 0, "%s: relative symlink and .. stay in the root", how);
  if (fd >= 0)
    close(fd);
  fd = open_in(rootfd, "/abs/passwd", O_RDONLY);
  tap_ok(fd == -ENOENT, "%s: host /etc/passwd is not reachable (%d)", how, fd);
  tap_ok(open_in(rootfd, "/loop", O_RDONLY) == -ELOOP, "%s: symlink loop is ELOOP", how);
  fd = open_in(rootfd, "/abs", O_PATH | O_NOFOLLOW);
  struct stat st;
  tap_ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode), "%s: O_NOFOLLOW on the last", how);
  if (fd >= 0)
    close(fd);
  fd = open_in(rootfd, "/etc/inside/x", O_PATH);
  tap_ok(fd == -ENOTDIR, "%s: file in the middle is ENOTDIR (%d)", how, fd);
  if (fd >= 0)
    close(fd);
  close(rootfd);
  free(root);
}

static void test_create(const char *tmp) {
  char *root = husk_xasprintf("%s/create", tmp), *p;
  mkdir(root, 0755);
  p = husk_xasprintf("%s/dangling", root), (void)!symlink("/../newdir/sub", p), free(p);
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int fd = husk_path_create_in_root(rootfd, "/dangling/deeper", HUSK_PATH_DIR, 0700);
  p = husk_xasprintf("%s/newdir/sub/deeper", root);
  struct stat st;
  tap_ok(fd >= 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
         "create: dir through a dangling symlink is made inside the root");
  free(p);
  if (fd >= 0)
    close(fd);
  fd = husk_path_create_in_root(rootfd, "a/b/file", HUSK_PATH_FILE, 0600);
  p = husk_xasprintf("%s/a/b/file", root);
  tap_ok(fd >= 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode), "create: empty file and parents");
  free(p);
  if (fd >= 0)
    close(fd);
  p = husk_xasprintf("%s/filelink", root), (void)!symlink("/etc/made.conf", p), free(p);
  fd = husk_path_create_in_root(rootfd, "/filelink", HUSK_PATH_FILE, 0600);
  p = husk_xasprintf("%s/etc/made.conf", root);
  tap_ok(fd >= 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode),
         "create: a file through a dangling symlink is a file at its target");
  free(p);
  if (fd >= 0)
    close(fd);
  const char *clean[][2] = {{"/mnt/", "/mnt"},
                            {"mnt//a/./b/", "/mnt/a/b"},
                            {"/../a/../../b", "/b"},
                            {"/", "/"},
                            {"", "/"},
                            {"/a/b/..", "/a"}};
  bool all = true;
  for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++) {
    char *got = husk_path_clean(clean[i][0]);
    if (strcmp(got, clean[i][1]) != 0) {
      tap_diag("husk_path_clean(\"%s\") = \"%s\", want \"%s\"", clean[i][0], got, clean[i][1]);
      all = false;
    }
    free(got);
  }
  tap_ok(all, "husk_path_clean: trailing slashes, //, ., .. as filepath.Clean");
  const char *name = NULL;
  fd = husk_path_parent_in_root(rootfd, "/x/y/node", &name);
  tap_ok(fd >= 0 && strcmp(name, "node") == 0, "parent: fd of /x/y and the name");
  if (fd >= 0)
    close(fd);
  tap_ok(husk_path_parent_in_root(rootfd, "/x/..", &name) == -EINVAL, "parent: .. is EINVAL");
  close(rootfd);
  free(root);
}

/* ---- the whole thing, not in a user namespace --------------------------- */

struct full_arg {
  const char *tmp;
  const char *escape_name;
};

static void full_child(void *argp) {
  const struct full_arg *a = argp;
  if (!private_mount_ns())
    return;
  char *rootfs = husk_xasprintf("%s/rootfs", a->tmp);
  char *p;
  /* A submount in the rro source: rro must reach it. */
  p = husk_xasprintf("%s/rdir/sub", a->tmp);
  check(mount("tmpfs", p, "tmpfs", 0, NULL) == 0, "tmpfs under the rro source");
  free(p);

  struct husk_spec spec = {0};
  spec.has_root = true;
  spec.root.readonly = true;
  spec.has_linux = true;
  add_mount(&spec, "/proc", "proc", "proc", "nosuid,noexec,nodev");
  add_mount(&spec, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
  add_mount(&spec, "/dev/pts", "devpts", "devpts",
            "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620");
  add_mount(&spec, "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k");
  add_mount(&spec, "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev");
  add_mount(&spec, "sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"); /* relative */
  add_mount(&spec, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro");
  add_mount(&spec, "/data/hostfile", "none", "hostdata.txt", "bind,ro"); /* bundle-relative */
  p = husk_xasprintf("/evil/%s", a->escape_name);
  add_mount(&spec, p, "tmpfs", "tmpfs", "size=1m");
  free(p);
  add_mount(&spec, "/copy", "tmpfs", "tmpfs", "tmpcopyup,mode=755");
  p = husk_xasprintf("%s/rdir", a->tmp);
  add_mount(&spec, "/rro", "bind", p, "rbind,rro,rprivate");
  free(p);
  add_device(&spec, 'c', "/dev/fuse", 10, 229, 0600, 1000);
  add_device(&spec, 'p', "/dev/myfifo", 0, 0, 0640, -1);
  spec.linux_.masked_paths = csv("/proc/kcore,/etc/secret,/sys/firmware,/proc/does-not-exist");
  spec.linux_.readonly_paths = csv("/proc/sys,/writable,/nope");
  struct husk_rootfs_ctx ctx = {.spec = &spec, .bundle = a->tmp, .rootfs = rootfs};

  if (!run_steps(&ctx))
    goto out;
  struct stat st;
  check(mounted_with("/proc", "proc", "nosuid"), "/proc is proc, nosuid");
  check(mounted_with("/dev", "tmpfs", "nosuid"), "/dev is tmpfs, nosuid");
  check(mounted_with("/dev/pts", "devpts", NULL), "/dev/pts is devpts");
  check(mounted_with("/dev/mqueue", "mqueue", "nodev"), "/dev/mqueue is mqueue");
  check(mounted_with("/sys", "sysfs", "ro"), "relative destination sys: /sys is sysfs, ro");
  bool ok = is_chr("/dev/null", 1, 3, &st);
  check(ok && (st.st_mode & 07777) == 0666, "/dev/null is char 1,3 mode 0666 (%o)",
        st.st_mode & 07777);
  check(is_chr("/dev/tty", 5, 0, &st), "/dev/tty is char 5,0");
  check(is_chr("/dev/fuse", 10, 229, &st) && (st.st_mode & 07777) == 0600 && st.st_uid == 1000 &&
            st.st_gid == 1000,
        "linux.devices /dev/fuse: 10,229 0600 1000:1000");
  check(lstat("/dev/myfifo", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640,
        "linux.devices /dev/myfifo is a FIFO 0640");
  check(link_is("/dev/fd", "/proc/self/fd"), "/dev/fd -> /proc/self/fd");
  check(link_is("/dev/stderr", "/proc/self/fd/2"), "/dev/stderr -> /proc/self/fd/2");
  check(link_is("/dev/ptmx", "pts/ptmx"), "/dev/ptmx -> pts/ptmx");
  check(stat("/dev/ptmx", &st) == 0 && S_ISCHR(st.st_mode), "/dev/ptmx reaches the new devpts");
  int fd = open("/dev/null", O_WRONLY);
  check(fd >= 0 && write(fd, "x", 1) == 1, "/dev/null is writable");
  if (fd >= 0)
    close(fd);
  char *s = read_small("/etc/secret");
  check(s && s[0] == '\0', "masked file /etc/secret reads empty");
  check(access("/proc/kcore", F_OK) < 0 || (s = read_small("/proc/kcore")) == NULL || !s[0],
        "masked /proc/kcore (when the kernel has one) reads empty");
  check(mounted_with("/sys/firmware", "tmpfs", "ro") && write_errno("/sys/firmware/x") == EROFS,
        "masked /sys/firmware is a read-only tmpfs");
  check(write_errno("/proc/sys/kernel/hostname") == EROFS, "readonly /proc/sys refuses writes");
  check(write_errno("/writable/new") == EROFS, "readonly /writable refuses writes");
  check(mounted_with("/writable", NULL, "noexec"), "readonly /writable is noexec");
  check(write_errno("/newfile") == EROFS, "root.readonly: / refuses writes");
  check(write_errno("/dev/shm/ok") == 0, "/dev/shm stays writable");
  s = read_small("/data/hostfile");
  check(s && strcmp(s, "host data") == 0, "bind of a host file has its content");
  check(mounted_with("/data/hostfile", NULL, "ro") && write_errno("/data/hostfile") == EROFS,
        "bind of a host file is ro");
  p = husk_xasprintf("/etc/%s", a->escape_name);
  check(mounted_with(p, "tmpfs", NULL), "mount through /evil -> /../../etc landed in %s", p);
  free(p);
  check(access("/etc/rootfs-marker", F_OK) == 0, "the image's /etc is the one in the rootfs");
  s = read_small("/copy/seed/file");
  check(mounted_with("/copy", "tmpfs", NULL) && s && strcmp(s, "seed") == 0,
        "tmpcopyup: the tmpfs has the image's content");
  check(write_errno("/rro/new") == EROFS && write_errno("/rro/sub/new") == EROFS,
        "rro: the bind and its submount are read-only");
  struct statfs_check {
    const char *p;
  } cg[] = {{"/sys/fs/cgroup/cpu"}, {"/sys/fs/cgroup/memory"}, {"/sys/fs/cgroup/unified"}};
  bool hybrid =
      access("/sys/fs/cgroup/cpu", F_OK) == 0 || mounted_with("/sys/fs/cgroup", "tmpfs", NULL);
  if (hybrid) {
    for (size_t i = 0; i < sizeof cg / sizeof cg[0]; i++)
      check(mounted_with(cg[i].p, NULL, "ro"), "cgroup hierarchy %s is mounted ro", cg[i].p);
    check(mounted_with("/sys/fs/cgroup", "tmpfs", "ro"), "cgroup v1: a read-only tmpfs");
  } else {
    check(mounted_with("/sys/fs/cgroup", "cgroup2", "ro"), "cgroup2 mounted ro");
  }
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/busybox", "busybox", "true", (char *)NULL);
    _exit(127);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "busybox runs in the new root");
out:
  spec_free(&spec);
  free(rootfs);
}

/* ---- no_pivot -------------------------------------------------------------- */

static void no_pivot_child(void *argp) {
  const char *tmp = argp;
  if (!private_mount_ns())
    return;
  char *rootfs = husk_xasprintf("%s/rootfs", tmp);
  struct husk_spec spec = {0};
  spec.has_linux = true;
  spec.linux_.rootfs_propagation = "private";
  add_mount(&spec, "/dev", "tmpfs", "tmpfs", "nosuid,mode=755");
  struct husk_rootfs_ctx ctx = {.spec = &spec, .bundle = tmp, .rootfs = rootfs, .no_pivot = true};
  if (!run_steps(&ctx))
    goto out;
  check(access("/etc/rootfs-marker", F_OK) == 0, "no_pivot: / is the rootfs");
  check(access("/bin/busybox", X_OK) == 0, "no_pivot: busybox is there");
  struct stat st;
  check(is_chr("/dev/zero", 1, 5, &st), "no_pivot: /dev/zero made");
out:
  spec_free(&spec);
  free(rootfs);
}

/* ---- no mount namespace of the container's own ------------------------------ */

static char *mountinfo_text(void) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  char buf[4096];
  size_t n;
  while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
    fwrite(buf, 1, n, out);
  if (f)
    fclose(f);
  fclose(out);
  return text;
}

/* Stands for the runtime's namespace: a private one of this child's.  The
 * "init" (a grandchild) mounts beneath the parent's bind and chroots;
 * unbind brings the mount table back to what it was, "/" untouched. */
static void runtime_mntns_child(void *argp) {
  const char *tmp = argp;
  if (!private_mount_ns())
    return;
  char *rootfs = husk_xasprintf("%s/rootfs", tmp);
  char *before = mountinfo_text();
  husk_error_t err = {0};
  uint64_t id = 0;
  if (!check(husk_rootfs_runtime_mntns_bind(rootfs, &id, &err) == 0 && id != 0, "bind: %s",
             err.msg ? err.msg : "ok"))
    goto out;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct husk_spec spec = {0};
    spec.has_linux = true;
    spec.linux_.rootfs_propagation = "private";
    add_mount(&spec, "/dev", "tmpfs", "tmpfs", "nosuid,mode=755");
    add_mount(&spec, "/mnt", "tmpfs", "tmpfs", "");
    struct husk_rootfs_ctx ctx = {
        .spec = &spec, .bundle = tmp, .rootfs = rootfs, .in_runtime_mntns = true};
    bool ok = run_steps(&ctx) &&
              check(access("/etc/rootfs-marker", F_OK) == 0, "chroot: / is the rootfs");
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the init's steps (status %d)", status);
  char *during = mountinfo_text();
  char *mnt = husk_xasprintf(" %s/mnt ", rootfs);
  check(strstr(during, mnt) != NULL, "the container's mounts are in this namespace");
  check(husk_rootfs_runtime_mntns_unbind(rootfs, id, &err) == 0, "unbind: %s",
        err.msg ? err.msg : "ok");
  char *after = mountinfo_text();
  check(strcmp(before, after) == 0, "the mount table is what it was");
  free(mnt);
  free(during);
  free(after);
out:
  husk_error_clear(&err);
  free(before);
  free(rootfs);
}

/* ---- errors ------------------------------------------------------------------ */

struct err_case {
  const char *tmp;
  const char *dst, *type, *src, *opts;
  const char *want; /* substring of the error message */
};

static void error_child(void *argp) {
  const struct err_case *c = argp;
  if (!private_mount_ns())
    return;
  char *rootfs = husk_xasprintf("%s/rootfs", c->tmp);
  struct husk_spec spec = {0};
  spec.has_linux = true;
  add_mount(&spec, "/tmp", "tmpfs", "tmpfs", "");
  add_mount(&spec, c->dst, c->type, c->src, c->opts);
  struct husk_rootfs_ctx ctx = {.spec = &spec, .bundle = c->tmp, .rootfs = rootfs};
  husk_error_t err = {0};
  int r = husk_rootfs_prepare(&ctx, &err);
  check(r < 0 && err.msg && strstr(err.msg, c->want), "error names the mount: %s",
        err.msg ? err.msg : "(none)");
  spec_free(&spec);
  free(rootfs);
  husk_error_clear(&err);
}

/* ---- idmapped bind -------------------------------------------------------- */

static void idmap_child(void *argp) {
  const char *tmp = argp;
  if (!private_mount_ns())
    return;
  char *rootfs = husk_xasprintf("%s/rootfs", tmp);
  char *src = husk_xasprintf("%s/idsrc", tmp);
  struct husk_spec spec = {0};
  spec.has_linux = true;
  struct husk_mount *m = add_mount(&spec, "/idm", "bind", src, "rbind,idmap");
  static struct husk_id_mapping map = {.container_id = 0, .host_id = 1000, .size = 1};
  m->uid_mappings = m->gid_mappings = &map;
  m->uid_mappings_len = m->gid_mappings_len = 1;
  struct husk_rootfs_ctx ctx = {.spec = &spec, .bundle = tmp, .rootfs = rootfs};
  husk_error_t err = {0};
  int r = husk_rootfs_prepare(&ctx, &err);
  if (!check(r == 0, "idmap prepare: %s", err.msg ? err.msg : "ok"))
    goto out;
  char *p = husk_xasprintf("%s/idm/owned", rootfs);
  struct stat st = {0};
  r = stat(p, &st);
  check(r == 0 && st.st_uid == 1000 && st.st_gid == 1000,
        "idmapped bind shows root's file as 1000:1000 (%u:%u)", st.st_uid, st.st_gid);
  free(p);
out:
  spec_free(&spec);
  free(rootfs);
  free(src);
  husk_error_clear(&err);
}

/* ---- in a user namespace ----------------------------------------------------- */

static void userns_child(void *argp) {
  const char *tmp = argp;
  if (!private_mount_ns())
    return;
  /* A mount with flags the user namespace will see locked. */
  char *locked = husk_xasprintf("%s/locked", tmp);
  check(mount("tmpfs", locked, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0,
        "nosuid,nodev,noexec tmpfs for the bind source");
  char *f = husk_xasprintf("%s/f", locked);
  write_file(f, "locked");
  if (!check(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0, "unshare(CLONE_NEWUSER|CLONE_NEWNS)"))
    return;
  write_file("/proc/self/setgroups", "deny");
  write_file("/proc/self/uid_map", "0 0 1");
  write_file("/proc/self/gid_map", "0 0 1");
  char *rootfs = husk_xasprintf("%s/rootfs", tmp);
  struct husk_spec spec = {0};
  spec.has_linux = true;
  add_mount(&spec, "/dev", "tmpfs", "tmpfs", "nosuid,mode=755");
  add_mount(&spec, "/locked", "none", locked, "bind,ro");
  add_device(&spec, 'c', "/dev/fuse", 10, 229, 0666, 1000);
  struct husk_rootfs_ctx ctx = {.spec = &spec, .bundle = tmp, .rootfs = rootfs, .in_userns = true};
  if (!run_steps(&ctx))
    goto out;
  struct stat st;
  check(is_chr("/dev/null", 1, 3, &st), "userns: /dev/null is the host's node, bound");
  check(is_chr("/dev/fuse", 10, 229, &st), "userns: /dev/fuse bound from the host");
  struct stat dev_st;
  check(stat("/dev", &dev_st) == 0 && stat("/dev/null", &st) == 0 && st.st_dev != dev_st.st_dev,
        "userns: /dev/null is a bind mount, not a node on the /dev tmpfs");
  struct statvfs sv;
  check(statvfs("/locked", &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID) &&
            (sv.f_flag & ST_NOEXEC),
        "userns: ro bind keeps the locked nosuid,noexec");
  char *s = read_small("/locked/f");
  check(s && strcmp(s, "locked") == 0, "userns: bind content");
out:
  spec_free(&spec);
  free(rootfs);
  free(locked);
  free(f);
}

/* ---- main ------------------------------------------------------------------------ */

static void make_rootfs(const char *tmp, const char *escape_name) {
  char *p;
  const char *dirs[] = {
      "rootfs",           "rootfs/bin", "rootfs/etc", "rootfs/writable", "rootfs/copy",
      "rootfs/copy/seed", "rdir",       "rdir/sub",   "locked",          "idsrc"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    p = husk_xasprintf("%s/%s", tmp, dirs[i]), mkdir(p, 0755), free(p);
  p = husk_xasprintf("%s/rootfs/bin/busybox", tmp);
  if (copy_busybox(p) != 0)
    tap_diag("could not copy /bin/busybox");
  free(p);
  p = husk_xasprintf("%s/rootfs/etc/rootfs-marker", tmp), write_file(p, "x"), free(p);
  p = husk_xasprintf("%s/rootfs/etc/secret", tmp), write_file(p, "secret"), free(p);
  p = husk_xasprintf("%s/rootfs/copy/seed/file", tmp), write_file(p, "seed"), free(p);
  p = husk_xasprintf("%s/rootfs/evil", tmp), (void)!symlink("/../../etc", p), free(p);
  p = husk_xasprintf("%s/hostdata.txt", tmp), write_file(p, "host data"), free(p);
  p = husk_xasprintf("%s/idsrc/owned", tmp), write_file(p, "root's"), free(p);
  (void)escape_name;
}

int main(void) {
  char tmp[] = "/tmp/husk-test-rootfs-XXXXXX";
  if (mkdtemp(tmp) == NULL) {
    perror("mkdtemp");
    return 99;
  }
  chmod(tmp, 0755);
  const char *escape_name = strrchr(tmp, '/') + 1;
  make_rootfs(tmp, escape_name);

  test_mount_options();
  test_paths(tmp, false);
  test_paths(tmp, true);
  test_create(tmp);

  if (geteuid() != 0) {
    tap_diag("not root: skipping the namespace tests");
  } else {
    struct stat null_before, fuse_before;
    stat("/dev/null", &null_before);
    stat("/dev/fuse", &fuse_before);
    struct full_arg fa = {tmp, escape_name};
    in_child("full", full_child, &fa);
    char *host = husk_xasprintf("/etc/%s", escape_name);
    tap_ok(access(host, F_OK) < 0 && errno == ENOENT, "full: host %s was not created", host);
    free(host);
    in_child("no_pivot", no_pivot_child, tmp);
    in_child("runtime_mntns", runtime_mntns_child, tmp);
    struct err_case cases[] = {
        {tmp, "/x", "nosuchfs", "nosuchfs", "", "mount nosuchfs to "},
        {tmp, "/x", "bind", "does-not-exist", "bind", "source: No such file or directory"},
        {tmp, "/x", "bind", "/tmp", "bind,idmap", "needs a user namespace"},
        {tmp, "/x", "tmpfs", "tmpfs", "idmap", "only supported on bind mounts"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      in_child("error", error_child, &cases[i]);
    in_child("idmap", idmap_child, tmp);
    in_child("userns", userns_child, tmp);
    struct stat null_after, fuse_after;
    stat("/dev/null", &null_after);
    stat("/dev/fuse", &fuse_after);
    tap_ok(null_after.st_mode == null_before.st_mode && null_after.st_uid == null_before.st_uid &&
               fuse_after.st_mode == fuse_before.st_mode && fuse_after.st_uid == fuse_before.st_uid,
           "host /dev/null and /dev/fuse were not chmod/chown'd");
  }

  char *cmd = husk_xasprintf("rm -rf '%s'", tmp);
  if (system(cmd) != 0)
    tap_diag("could not remove %s", tmp);
  free(cmd);
  return tap_done();
}
