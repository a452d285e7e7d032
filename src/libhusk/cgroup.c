/* husk — the container's cgroup: which mode the host runs (v2, hybrid,
 * v1), which path a container gets, creating and removing its directories
 * in every hierarchy, and dispatching the rest to cgroup_v1.c and
 * cgroup_v2.c.  Small cgroupfs file helpers shared by both live here too. */
#include "cgroup_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_systemd.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- cgroupfs files --------------------------------------------------- */

int husk_cg_write(const char *dir, const char *file, const char *value, husk_error_t *err) {
  _cleanup_free_ char *path = husk_xasprintf("%s/%s", dir, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return husk_error_set(err, errno, "open %s", path);
  size_t len = strlen(value);
  ssize_t n;
  do
    n = write(fd, value, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set(err, errno, "write \"%s\" to %s", value, path);
  return 0;
}

int husk_cg_set(const char *dir, const char *file, const char *value, const char *field,
                husk_error_t *err) {
  if (husk_cg_write(dir, file, value, err) < 0)
    return husk_error_prefix(err, "%s", field);
  return 0;
}

int husk_cg_read(const char *dir, const char *file, char **out, husk_error_t *err) {
  _cleanup_free_ char *path = husk_xasprintf("%s/%s", dir, file);
  return husk_read_file(path, 1 << 22, out, NULL, err);
}

bool husk_cg_has(const char *dir, const char *file) {
  _cleanup_free_ char *path = husk_xasprintf("%s/%s", dir, file);
  return access(path, F_OK) == 0;
}

static int parse_u64(const char *s, uint64_t *v) {
  while (isspace((unsigned char)*s))
    s++;
  if (strncmp(s, "max", 3) == 0) {
    *v = UINT64_MAX;
    return 0;
  }
  if (!isdigit((unsigned char)*s))
    return -1;
  errno = 0;
  char *end;
  unsigned long long x = strtoull(s, &end, 10);
  if (errno != 0)
    return -1;
  *v = x;
  return 0;
}

int husk_cg_read_u64(const char *dir, const char *file, uint64_t *v) {
  _cleanup_free_ char *s = NULL;
  if (husk_cg_read(dir, file, &s, NULL) < 0)
    return -1;
  return parse_u64(s, v);
}

int husk_cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *v) {
  _cleanup_free_ char *s = NULL;
  if (husk_cg_read(dir, file, &s, NULL) < 0)
    return -1;
  size_t klen = strlen(key);
  for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
      return parse_u64(line + klen + 1, v);
  }
  return -1;
}

static void add_pid(pid_t **pids, size_t *n, pid_t pid) {
  for (size_t i = 0; i < *n; i++)
    if ((*pids)[i] == pid)
      return;
  *pids = husk_xrealloc(*pids, (*n + 1) * sizeof(**pids));
  (*pids)[(*n)++] = pid;
}

int husk_cg_procs(const char *dir, bool recursive, pid_t **pids, size_t *n, husk_error_t *err) {
  _cleanup_free_ char *s = NULL;
  if (husk_cg_read(dir, "cgroup.procs", &s, err) < 0)
    return -1;
  for (char *p = s; *p;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p)
      break;
    if (pid > 0)
      add_pid(pids, n, (pid_t)pid);
    p = end;
    while (*p == '\n')
      p++;
  }
  if (!recursive)
    return 0;
  DIR *d = opendir(dir);
  if (d == NULL)
    return husk_error_set(err, errno, "open %s", dir);
  int r = 0;
  struct dirent *e;
  while (r == 0 && (e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *sub = husk_xasprintf("%s/%s", dir, e->d_name);
    r = husk_cg_procs(sub, true, pids, n, err);
    /* A child cgroup removed while we walk is not an error. */
    if (r < 0 && err && err->errnum == ENOENT) {
      husk_error_clear(err);
      r = 0;
    }
  }
  closedir(d);
  return r;
}

void husk_cg_nap(void) {
  struct timespec ts = {0, 10 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

int husk_cg_rmdir_tree(const char *dir, husk_error_t *err) {
  /* Most cgroups have no children: one rmdir, no listing. */
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : husk_error_set(err, errno, "open %s", dir);
  struct dirent *e;
  int r = 0;
  while (r == 0 && (e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *sub = husk_xasprintf("%s/%s", dir, e->d_name);
    r = husk_cg_rmdir_tree(sub, err);
  }
  closedir(d);
  if (r < 0)
    return r;
  /* The kernel keeps a cgroup busy for a moment after its last task
   * exited (and a zombie still being reaped): retry for about a second. */
  for (int i = 0; i < 100; i++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      break;
    husk_cg_nap();
  }
  return husk_error_set(err, errno, "rmdir %s", dir);
}

void husk_cg_devnum(char *buf, size_t size, bool has, int64_t num) {
  if (!has || num < 0)
    snprintf(buf, size, "*");
  else
    snprintf(buf, size, "%lld", (long long)num);
}

/* ---- v1 hierarchies --------------------------------------------------- */

/* The controllers of a v1 superblock from its options: everything but the
 * generic mount options. */
static char *controllers_of(const char *super_opts) {
  static const char *const generic[] = {
      "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "all", NULL};
  _cleanup_free_ char *opts = husk_xstrdup(super_opts);
  char *out = husk_xstrdup(",");
  char *save = NULL;
  for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    bool skip = strncmp(o, "release_agent=", 14) == 0;
    for (size_t i = 0; generic[i] && !skip; i++)
      skip = strcmp(o, generic[i]) == 0;
    if (skip)
      continue;
    char *next = husk_xasprintf("%s%s,", out, o);
    free(out);
    out = next;
  }
  return out;
}

static void v1_copy(struct husk_cg_v1 *to, const struct husk_cg_v1 *from) {
  to->len = from->len;
  to->items = from->len ? husk_xcalloc(from->len, sizeof(*to->items)) : NULL;
  for (size_t i = 0; i < from->len; i++) {
    to->items[i].mount = husk_xstrdup(from->items[i].mount);
    to->items[i].controllers = husk_xstrdup(from->items[i].controllers);
  }
}

/* One command asks for the hierarchies up to eight times (create, kill,
 * freeze, destroy...), and the kernel formats all of mountinfo each time.
 * The first reading is kept for the process and mount namespace that made
 * it: a child (the container's init, pid 1 of its own namespace) has other
 * mounts and reads its own. */
static struct {
  pid_t pid;
  ino_t mntns;
  struct husk_cg_v1 list;
} v1_cache;

int husk_cg_v1_list(struct husk_cg_v1 *l, husk_error_t *err) {
  l->items = NULL;
  l->len = 0;
  pid_t self = getpid();
  struct stat ns;
  if (stat("/proc/self/ns/mnt", &ns) < 0)
    ns.st_ino = 0;
  if (v1_cache.pid != self || v1_cache.mntns != ns.st_ino || ns.st_ino == 0) {
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
      return husk_error_set(err, errno, "open /proc/self/mountinfo");
    husk_cg_v1_free(&v1_cache.list);
    husk_cg_v1_parse(f, &v1_cache.list);
    v1_cache.pid = self;
    v1_cache.mntns = ns.st_ino;
  }
  v1_copy(l, &v1_cache.list);
  return 0;
}

void husk_cg_v1_parse(FILE *f, struct husk_cg_v1 *l) {
  l->items = NULL;
  l->len = 0;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  /* The superblocks seen, as "major:minor": one entry per hierarchy. */
  _cleanup_free_ char *seen = husk_xstrdup(" ");
  while (getline(&line, &cap, f) > 0) {
    char devno[64], mnt[PATH_MAX], fstype[64];
    int pos = 0;
    if (sscanf(line, "%*d %*d %63s %*s %4095s %*s%n", devno, mnt, &pos) != 2)
      continue;
    char *sep = strstr(line + pos, " - ");
    char super[1024];
    if (sep == NULL || sscanf(sep + 3, "%63s %*s %1023s", fstype, super) != 2)
      continue;
    husk_mountinfo_unescape(mnt);
    if (strcmp(fstype, "cgroup") != 0 || strncmp(mnt, HUSK_CG_ROOT "/", sizeof(HUSK_CG_ROOT)) != 0)
      continue;
    _cleanup_free_ char *key = husk_xasprintf(" %s ", devno);
    if (strstr(seen, key))
      continue;
    char *more = husk_xasprintf("%s%s ", seen, devno);
    free(seen);
    seen = more;
    l->items = husk_xrealloc(l->items, (l->len + 1) * sizeof(*l->items));
    l->items[l->len].mount = husk_xstrdup(mnt);
    l->items[l->len].controllers = controllers_of(super);
    l->len++;
  }
}

void husk_cg_v1_free(struct husk_cg_v1 *l) {
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].mount);
    free(l->items[i].controllers);
  }
  free(l->items);
  l->items = NULL;
  l->len = 0;
}

static void v1_freep(struct husk_cg_v1 *l) { husk_cg_v1_free(l); }
#define _cleanup_v1_ __attribute__((cleanup(v1_freep)))

const struct husk_cg_hier *husk_cg_v1_find(const struct husk_cg_v1 *l, const char *ctrl) {
  _cleanup_free_ char *key = husk_xasprintf(",%s,", ctrl);
  for (size_t i = 0; i < l->len; i++)
    if (strstr(l->items[i].controllers, key))
      return &l->items[i];
  return NULL;
}

/* ---- mode and path ---------------------------------------------------- */

static bool is_cgroup2(const char *path) {
  struct statfs sfs;
  return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int husk_cgroup_detect(enum husk_cgroup_mode *mode, husk_error_t *err) {
  struct statfs sfs;
  if (statfs(HUSK_CG_ROOT, &sfs) < 0)
    return husk_error_set(err, errno, "statfs %s", HUSK_CG_ROOT);
  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    *mode = HUSK_CGROUP_UNIFIED;
  else if (is_cgroup2(HUSK_CG_HYBRID_UNIFIED))
    *mode = HUSK_CGROUP_HYBRID;
  else
    *mode = HUSK_CGROUP_LEGACY;
  return 0;
}

/* The cgroup2 mount of a mode, NULL on a v1-only host. */
static const char *unified_mount(enum husk_cgroup_mode mode) {
  switch (mode) {
  case HUSK_CGROUP_UNIFIED:
    return HUSK_CG_ROOT;
  case HUSK_CGROUP_HYBRID:
    return HUSK_CG_HYBRID_UNIFIED;
  case HUSK_CGROUP_LEGACY:
    break;
  }
  return NULL;
}

/* Lexically clean a cgroup path: "/" + components without "", "." and
 * "..", where ".." stops at the root (the path must never climb out of the
 * hierarchy).  NULL when nothing is left: the root cgroup is not a
 * container's. */
static char *clean_path(const char *in) {
  size_t len = strlen(in);
  char *out = husk_xmalloc(len + 2);
  size_t o = 0;
  const char *p = in;
  while (*p) {
    while (*p == '/')
      p++;
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n == 0 || (n == 1 && p[0] == '.')) {
      /* skip */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (o > 0 && out[--o] != '/')
        ;
    } else {
      out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p = end;
  }
  out[o] = '\0';
  if (o == 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* sd_booted(3)'s test: systemd runs as init when this directory exists. */
static bool systemd_running(void) {
  struct stat st;
  return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "". */
static int expand_slice(const char *slice, char **out, husk_error_t *err) {
  size_t len = strlen(slice);
  if (strcmp(slice, "-.slice") == 0) {
    *out = husk_xstrdup("");
    return 0;
  }
  if (len <= 6 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/') || slice[0] == '-' ||
      strstr(slice, "--") || slice[len - 7] == '-')
    return husk_error_set(err, EINVAL, "linux.cgroupsPath: invalid systemd slice \"%s\"", slice);
  _cleanup_free_ char *name = husk_xasprintf("%.*s", (int)(len - 6), slice);
  char *path = husk_xstrdup("");
  for (char *dash = name;; dash++) {
    dash = strchr(dash, '-');
    size_t n = dash ? (size_t)(dash - name) : strlen(name);
    char *next = husk_xasprintf("%s/%.*s.slice", path, (int)n, name);
    free(path);
    path = next;
    if (dash == NULL)
      break;
  }
  *out = path;
  return 0;
}

/* --systemd-cgroup: "slice:prefix:name" mapped onto the filesystem the way
 * systemd lays units out.  husk makes the scope's directory and places the
 * init there (clone3 needs it before systemd knows the unit); then
 * husk_cgroup_systemd_start asks systemd for the transient scope, which
 * adopts the directory. */
/* Where the manager's units live: "" for the system manager; a user
 * manager's own cgroup, asked once per command (it does not move). */
static int systemd_manager_root(const char **out, husk_error_t *err) {
  static char *user_root;
  if (!husk_systemd_user_manager()) {
    if (!systemd_running())
      return husk_error_set(err, ENOTSUP,
                            "systemd cgroup driver requested but systemd is not running");
    *out = "";
    return 0;
  }
  if (user_root == NULL && husk_systemd_manager_cgroup(&user_root, err) < 0)
    return husk_error_prefix(err, "systemd cgroup driver requested as a rootless user, but the "
                                  "systemd user manager cannot be asked for its cgroup");
  *out = user_root;
  return 0;
}

/* runc's default slices: a rootless caller's units go to its manager's
 * user.slice. */
static const char *systemd_default_slice(void) {
  return husk_systemd_user_manager() ? "user.slice" : "system.slice";
}

static int systemd_path(const char *value, const char *id, char **out, husk_error_t *err) {
  const char *root;
  if (systemd_manager_root(&root, err) < 0)
    return -1;
  _cleanup_free_ char *dflt = husk_xasprintf("%s:husk:%s", systemd_default_slice(), id);
  const char *v = value ? value : dflt;
  const char *c1 = strchr(v, ':');
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':'))
    return husk_error_set(err, EINVAL,
                          "linux.cgroupsPath: \"%s\" is not of the form \"slice:prefix:name\" "
                          "needed by --systemd-cgroup",
                          v);
  _cleanup_free_ char *slice = husk_xasprintf("%.*s", (int)(c1 - v), v);
  _cleanup_free_ char *prefix = husk_xasprintf("%.*s", (int)(c2 - c1 - 1), c1 + 1);
  const char *name = c2 + 1;
  if (*name == '\0' || strchr(name, '/') || strchr(prefix, '/'))
    return husk_error_set(err, EINVAL, "linux.cgroupsPath: invalid systemd unit name in \"%s\"", v);
  _cleanup_free_ char *slice_path = NULL;
  if (expand_slice(*slice ? slice : systemd_default_slice(), &slice_path, err) < 0)
    return -1;
  size_t nlen = strlen(name);
  if (nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0) {
    /* A slice as the name: the container is that slice itself. */
    _cleanup_free_ char *sub = NULL;
    if (expand_slice(name, &sub, err) < 0)
      return -1;
    *out = husk_xasprintf("%s%s", root, sub);
    return 0;
  }
  if (*prefix)
    *out = husk_xasprintf("%s%s/%s-%s.scope", root, slice_path, prefix, name);
  else
    *out = husk_xasprintf("%s%s/%s.scope", root, slice_path, name);
  return 0;
}

static struct husk_device_cgroup *with_container_devices(const struct husk_spec *spec,
                                                         const struct husk_resources *res,
                                                         struct husk_resources *out);

/* The unit --systemd-cgroup asks systemd for, from "slice:prefix:name" (as
 * systemd_path reads it): "<prefix>-<name>.scope" (or "<name>.scope", or
 * the slice "<name>") in <slice>, system.slice by default. */
static int systemd_unit(const struct husk_spec *spec, const char *id, char **slice, char **unit,
                        husk_error_t *err) {
  const char *value = spec && spec->has_linux ? spec->linux_.cgroups_path : NULL;
  _cleanup_free_ char *path = NULL;
  if (systemd_path(value, id, &path, err) < 0) /* validates the value */
    return -1;
  _cleanup_free_ char *dflt = husk_xasprintf("%s:husk:%s", systemd_default_slice(), id);
  const char *v = value ? value : dflt;
  const char *c1 = strchr(v, ':'), *c2 = strchr(c1 + 1, ':');
  *slice =
      c1 == v ? husk_xstrdup(systemd_default_slice()) : husk_xasprintf("%.*s", (int)(c1 - v), v);
  const char *name = c2 + 1;
  size_t nlen = strlen(name);
  if (nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0)
    *unit = husk_xstrdup(name);
  else if (c2 > c1 + 1)
    *unit = husk_xasprintf("%.*s-%s.scope", (int)(c2 - c1 - 1), c1 + 1, name);
  else
    *unit = husk_xasprintf("%s.scope", name);
  return 0;
}

int husk_cgroup_systemd_start(const struct husk_spec *spec, const char *id,
                              const struct husk_cgroup *cg, pid_t pid, char **unit_out,
                              husk_error_t *err) {
  _cleanup_free_ char *slice = NULL, *unit = NULL;
  if (systemd_unit(spec, id, &slice, &unit, err) < 0)
    return -1;
  const struct husk_resources *res =
      spec && spec->has_linux && spec->linux_.has_resources ? &spec->linux_.resources : NULL;
  if (husk_systemd_start_scope(slice, unit, pid, res, err) < 0)
    return -1;
  /* systemd writes its own values into the unit's cgroup as it starts it:
   * put every limit of the config back (runc does the same). */
  if (res) {
    struct husk_resources effective;
    struct husk_device_cgroup *device_rules = NULL;
    if (res->devices_len > 0) {
      device_rules = with_container_devices(spec, res, &effective);
      res = &effective;
    }
    int applied = husk_cgroup_apply(cg, res, err);
    free(device_rules);
    if (applied < 0) {
      husk_systemd_stop_scope(unit, NULL);
      return -1;
    }
  }
  *unit_out = husk_steal_ptr(unit);
  return 0;
}

int husk_cgroup_resolve_path(const struct husk_spec *spec, const char *id, bool systemd, char **out,
                             husk_error_t *err) {
  const char *value = spec && spec->has_linux ? spec->linux_.cgroups_path : NULL;
  if (systemd)
    return systemd_path(value, id, out, err);
  if (value == NULL) {
    if (id == NULL || *id == '\0' || strchr(id, '/') || strcmp(id, ".") == 0 ||
        strcmp(id, "..") == 0)
      return husk_error_set(err, EINVAL, "invalid container id \"%s\" for a cgroup", id ? id : "");
    /* One level, as runc and crun (a parent would double the mkdirs and
     * rmdirs of every run); the prefix keeps ids such as "user.slice"
     * off the host's own cgroups. */
    *out = husk_xasprintf("/husk-%s", id);
    return 0;
  }
  char *p = clean_path(value);
  if (p == NULL)
    return husk_error_set(err, EINVAL,
                          "linux.cgroupsPath: \"%s\" names the root cgroup, which a container "
                          "cannot own",
                          value);
  *out = p;
  return 0;
}

char *husk_cgroup_path_for(const struct husk_spec *spec, const char *id, bool systemd) {
  char *out = NULL;
  husk_error_t err = {0};
  if (husk_cgroup_resolve_path(spec, id, systemd, &out, &err) < 0)
    out = NULL;
  husk_error_clear(&err);
  return out;
}

/* ---- the hierarchies of one cgroup ------------------------------------ */

/* Every directory the container's cgroup has: one per v1 hierarchy, plus
 * the cgroup2 one (hybrid: for the "0::" line, like runc). */
struct dirs {
  char **dir;
  const struct husk_cg_hier **hier; /* NULL for the cgroup2 one */
  size_t len;
  struct husk_cg_v1 v1;
  char *v2; /* the cgroup2 directory or NULL; also in dir[] */
};

static void dirs_free(struct dirs *d) {
  for (size_t i = 0; i < d->len; i++)
    free(d->dir[i]);
  free(d->dir);
  free(d->hier);
  husk_cg_v1_free(&d->v1);
  d->len = 0;
}
#define _cleanup_dirs_ __attribute__((cleanup(dirs_free)))

static void dirs_add(struct dirs *d, char *dir, const struct husk_cg_hier *h) {
  d->dir = husk_xrealloc(d->dir, (d->len + 1) * sizeof(*d->dir));
  d->hier = husk_xrealloc(d->hier, (d->len + 1) * sizeof(*d->hier));
  d->dir[d->len] = dir;
  d->hier[d->len] = h;
  d->len++;
}

static int dirs_of(const struct husk_cgroup *cg, struct dirs *d, husk_error_t *err) {
  memset(d, 0, sizeof(*d));
  if (cg->mode != HUSK_CGROUP_UNIFIED) {
    if (husk_cg_v1_list(&d->v1, err) < 0)
      return -1;
    for (size_t i = 0; i < d->v1.len; i++)
      dirs_add(d, husk_xasprintf("%s%s", d->v1.items[i].mount, cg->path), &d->v1.items[i]);
  }
  const char *um = unified_mount(cg->mode);
  if (um) {
    d->v2 = husk_xasprintf("%s%s", um, cg->path);
    dirs_add(d, d->v2, NULL);
  }
  if (d->len == 0)
    return husk_error_set(err, ENOENT, "no cgroup hierarchy mounted under %s", HUSK_CG_ROOT);
  return 0;
}

/* Where to look for the container's processes: the cgroup2 directory
 * (it has them all), else the pids, devices or freezer hierarchy. */
static const char *procs_dir(const struct dirs *d) {
  if (d->v2)
    return d->v2;
  static const char *const pref[] = {"pids", "devices", "freezer", "memory", NULL};
  for (size_t p = 0; pref[p]; p++) {
    const struct husk_cg_hier *h = husk_cg_v1_find(&d->v1, pref[p]);
    for (size_t i = 0; h && i < d->len; i++)
      if (d->hier[i] == h)
        return d->dir[i];
  }
  return d->dir[0];
}

/* ---- create ----------------------------------------------------------- */

static int path_depth(const char *path) {
  int n = 0;
  for (const char *p = path; *p; p++)
    n += *p == '/';
  return n;
}

/* mkdir -p one hierarchy's directory `dir` (its mount point, then the
 * cgroup path from dir + skip on), recording what it made in made[];
 * *made_depth is the number of trailing levels it created. */
static int make_dir(const char *dir, size_t skip, const struct husk_cg_hier *h,
                    struct husk_strv *made, int *made_depth, husk_error_t *err) {
  _cleanup_free_ char *buf = husk_xstrdup(dir);
  *made_depth = 0;
  for (char *p = buf + skip + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(buf, 0755) == 0) {
      made->items = husk_xrealloc(made->items, (made->len + 1) * sizeof(char *));
      made->items[made->len++] = husk_xstrdup(buf);
      (*made_depth)++;
      if (h && husk_cg_v1_init_dir(h, buf, err) < 0)
        return -1;
    } else if (errno != EEXIST) {
      return husk_error_set(err, errno, "mkdir %s", buf);
    } else {
      *made_depth = 0;
    }
    *p = saved;
    if (saved == '\0')
      break;
  }
  return 0;
}

static void undo_made(struct husk_strv *made) {
  for (size_t i = made->len; i-- > 0;) {
    rmdir(made->items[i]);
    free(made->items[i]);
  }
  free(made->items);
  made->items = NULL;
  made->len = 0;
}

static void forget_made(struct husk_strv *made) {
  for (size_t i = 0; i < made->len; i++)
    free(made->items[i]);
  free(made->items);
  made->items = NULL;
  made->len = 0;
}

/* The spec lets a runtime refuse a cgroup already in use: joining one
 * would mix this container with another's processes. */
static int check_empty(const char *dir, husk_error_t *err) {
  pid_t *pids = NULL;
  size_t n = 0;
  int r = husk_cg_procs(dir, true, &pids, &n, err);
  free(pids);
  if (r < 0)
    return -1;
  if (n > 0)
    return husk_error_set(err, EBUSY, "cgroup %s is not empty: it has %zu process(es)", dir, n);
  return 0;
}

static int open_v2(const char *dir, husk_error_t *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set(err, errno, "open %s", dir);
  return fd;
}

/* The device rules of the config, then allow rules for the devices every
 * container has (config-linux.md "Default Devices", /dev/console, the pty
 * devices) and for those of linux.devices: the container must be able to
 * use what the spec says it gets, as runc does it.  Later rules win. */
static struct husk_device_cgroup *with_container_devices(const struct husk_spec *spec,
                                                         const struct husk_resources *res,
                                                         struct husk_resources *out) {
  static const struct {
    char type;
    int64_t major, minor;
  } defaults[] = {
      {'c', 1, 3}, {'c', 1, 5}, {'c', 1, 7}, {'c', 1, 8},    {'c', 1, 9},
      {'c', 5, 0}, {'c', 5, 1}, {'c', 5, 2}, {'c', 136, -1},
  };
  size_t ndef = sizeof(defaults) / sizeof(defaults[0]);
  size_t n = res->devices_len + ndef + spec->linux_.devices_len;
  struct husk_device_cgroup *rules = husk_xcalloc(n, sizeof(*rules));
  memcpy(rules, res->devices, res->devices_len * sizeof(*rules));
  size_t k = res->devices_len;
  for (size_t i = 0; i < ndef; i++, k++)
    rules[k] = (struct husk_device_cgroup){.allow = true,
                                           .type = defaults[i].type,
                                           .has_major = true,
                                           .major = defaults[i].major,
                                           .has_minor = defaults[i].minor >= 0,
                                           .minor = defaults[i].minor};
  for (size_t i = 0; i < spec->linux_.devices_len; i++) {
    const struct husk_device *d = &spec->linux_.devices[i];
    if (d->type != 'c' && d->type != 'b' && d->type != 'u')
      continue; /* fifos are not devices to the cgroup */
    rules[k++] = (struct husk_device_cgroup){.allow = true,
                                             .type = d->type == 'b' ? 'b' : 'c',
                                             .has_major = true,
                                             .major = d->major,
                                             .has_minor = true,
                                             .minor = d->minor};
  }
  *out = *res;
  out->devices = rules;
  out->devices_len = k;
  return rules;
}

int husk_cgroup_create(const struct husk_spec *spec, const char *id, bool systemd,
                       struct husk_cgroup *cg, husk_error_t *err) {
  memset(cg, 0, sizeof(*cg));
  cg->v2_fd = -1;
  cg->created_depth = -1;
  const struct husk_resources *res =
      spec && spec->has_linux && spec->linux_.has_resources ? &spec->linux_.resources : NULL;
  if (husk_cgroup_detect(&cg->mode, err) < 0)
    return -1;
  if (res && res->unified_len > 0 && cg->mode != HUSK_CGROUP_UNIFIED)
    return husk_error_set(err, ENOTSUP, "linux.resources.unified requires cgroup v2");
  if (husk_cgroup_resolve_path(spec, id, systemd, &cg->path, err) < 0)
    return -1;

  _cleanup_dirs_ struct dirs d;
  struct husk_strv made = {0};
  int depth = INT_MAX;
  if (dirs_of(cg, &d, err) < 0)
    goto fail;
  for (size_t i = 0; i < d.len; i++) {
    int made_depth;
    size_t skip = strlen(d.dir[i]) - strlen(cg->path);
    if (make_dir(d.dir[i], skip, d.hier[i], &made, &made_depth, err) < 0)
      goto fail;
    if (made_depth < depth)
      depth = made_depth;
  }
  if (cg->mode == HUSK_CGROUP_UNIFIED)
    husk_cg_v2_enable_controllers(HUSK_CG_ROOT, cg->path);
  if (check_empty(procs_dir(&d), err) < 0)
    goto fail;
  if (cg->mode == HUSK_CGROUP_UNIFIED && (cg->v2_fd = open_v2(d.v2, err)) < 0)
    goto fail;
  struct husk_resources effective;
  struct husk_device_cgroup *device_rules = NULL;
  if (res && res->devices_len > 0) {
    device_rules = with_container_devices(spec, res, &effective);
    res = &effective;
  }
  int applied = res ? husk_cgroup_apply(cg, res, err) : 0;
  free(device_rules);
  if (applied < 0)
    goto fail;
  cg->created_depth = depth == INT_MAX ? 0 : depth;
  forget_made(&made);
  return 0;
fail:
  undo_made(&made);
  husk_cgroup_release(cg);
  return -1;
}

int husk_cgroup_load(const char *path, struct husk_cgroup *cg, husk_error_t *err) {
  memset(cg, 0, sizeof(*cg));
  cg->v2_fd = -1;
  cg->created_depth = -1;
  /* state.json is ours, but a path that is not already clean could climb
   * out of the hierarchy: refuse it rather than trust it. */
  _cleanup_free_ char *clean = path ? clean_path(path) : NULL;
  if (clean == NULL || strcmp(clean, path) != 0)
    return husk_error_set(err, EINVAL, "invalid cgroup path \"%s\"", path ? path : "");
  if (husk_cgroup_detect(&cg->mode, err) < 0)
    return -1;
  cg->path = husk_xstrdup(path);
  if (cg->mode == HUSK_CGROUP_UNIFIED) {
    _cleanup_free_ char *dir = husk_xasprintf("%s%s", HUSK_CG_ROOT, path);
    if ((cg->v2_fd = open_v2(dir, err)) < 0) {
      husk_cgroup_release(cg);
      return -1;
    }
  }
  return 0;
}

void husk_cgroup_release(struct husk_cgroup *cg) {
  free(cg->path);
  cg->path = NULL;
  if (cg->v2_fd >= 0)
    close(cg->v2_fd);
  cg->v2_fd = -1;
}

/* ---- enter, apply ----------------------------------------------------- */

int husk_cgroup_enter(const struct husk_cgroup *cg, pid_t pid, husk_error_t *err) {
  _cleanup_dirs_ struct dirs d;
  if (dirs_of(cg, &d, err) < 0)
    return -1;
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  for (size_t i = 0; i < d.len; i++)
    if (husk_cg_write(d.dir[i], "cgroup.procs", buf, err) < 0)
      return husk_error_prefix(err, "move process %d into cgroup %s", (int)pid, cg->path);
  return 0;
}

int husk_cgroup_check_member(const struct husk_cgroup *cg, pid_t pid, husk_error_t *err) {
  /* The unified hierarchy's line "0::<path>" of /proc/PID/cgroup. */
  _cleanup_free_ char *file = husk_xasprintf("/proc/%d/cgroup", (int)pid);
  _cleanup_free_ char *text = NULL;
  if (husk_read_file(file, 64 * 1024, &text, NULL, err) < 0)
    return -1;
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    if (strncmp(line, "0::", 3) == 0 && strcmp(line + 3, cg->path) == 0)
      return 0;
    line = nl ? nl + 1 : NULL;
  }
  return husk_error_set_quiet(err, EACCES,
                              "process %d is not in cgroup %s: it could not be moved there (the "
                              "caller may not write the common ancestor's cgroup.procs) and "
                              "systemd did not move it either",
                              (int)pid, cg->path);
}

/* Where the cgroup v1 migration time goes: writing a pid to cgroup.procs
 * takes the global threadgroup lock for writing, and its first writer after
 * a quiet spell waits for an RCU grace period (~10 ms on this 2-core host,
 * most of a container's start). A single thread moving itself ("0" to
 * `tasks`) needs no such lock (kernel/cgroup/cgroup.c,
 * cgroup_procs_write_start), and the init is one thread: the runtime opens
 * the files (the open-time credentials are what the kernel checks), the init
 * writes. The unified hierarchy of a hybrid host gets clone3's
 * CLONE_INTO_CGROUP, which takes the lock only for reading. */
int husk_cgroup_self_attach_prepare(const struct husk_cgroup *cg,
                                    struct husk_cgroup_self_attach *sa, husk_error_t *err) {
  *sa = (struct husk_cgroup_self_attach){.v2_fd = -1};
  if (cg->mode == HUSK_CGROUP_UNIFIED)
    return 0;
  _cleanup_dirs_ struct dirs d;
  if (dirs_of(cg, &d, err) < 0)
    return -1;
  sa->fds = husk_xcalloc(d.len, sizeof(int));
  for (size_t i = 0; i < d.len; i++) {
    if (d.hier[i] == NULL) {
      if ((sa->v2_fd = open_v2(d.dir[i], err)) < 0)
        goto fail;
      continue;
    }
    _cleanup_free_ char *tasks = husk_xasprintf("%s/tasks", d.dir[i]);
    int fd = open(tasks, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      husk_error_set(err, errno, "open %s", tasks);
      goto fail;
    }
    sa->fds[sa->len++] = fd;
  }
  return 0;
fail:
  husk_cgroup_self_attach_close(sa);
  return -1;
}

int husk_cgroup_self_attach(const struct husk_cgroup_self_attach *sa, const char *path,
                            husk_error_t *err) {
  for (size_t i = 0; i < sa->len; i++)
    if (write(sa->fds[i], "0", 1) < 0)
      return husk_error_set(err, errno, "move process %d into cgroup %s", (int)getpid(), path);
  return 0;
}

void husk_cgroup_self_attach_close(struct husk_cgroup_self_attach *sa) {
  for (size_t i = 0; i < sa->len; i++)
    close(sa->fds[i]);
  free(sa->fds);
  sa->fds = NULL;
  sa->len = 0;
  if (sa->v2_fd >= 0)
    close(sa->v2_fd);
  sa->v2_fd = -1;
}

int husk_cgroup_enter_unified(const struct husk_cgroup *cg, pid_t pid, husk_error_t *err) {
  const char *um = unified_mount(cg->mode);
  if (um == NULL)
    return 0;
  _cleanup_free_ char *dir = husk_xasprintf("%s%s", um, cg->path);
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  if (husk_cg_write(dir, "cgroup.procs", buf, err) < 0)
    return husk_error_prefix(err, "move process %d into cgroup %s", (int)pid, cg->path);
  return 0;
}

/* What no cgroup version accepts, checked before anything is written; with
 * err->collect (husk check) every value at fault. */
int husk_cgroup_check_common(const struct husk_resources *res, husk_error_t *err) {
  const struct husk_memory *m = &res->memory;
  if (res->has_memory) {
    if (m->has_limit && m->limit < -1)
      if (husk_error_report(err, EINVAL, "linux.resources.memory.limit: invalid value %lld",
                            (long long)m->limit) < 0)
        return -1;
    if (m->has_swap && m->swap < -1)
      if (husk_error_report(err, EINVAL, "linux.resources.memory.swap: invalid value %lld",
                            (long long)m->swap) < 0)
        return -1;
    if (m->has_reservation && m->reservation < -1)
      if (husk_error_report(err, EINVAL, "linux.resources.memory.reservation: invalid value %lld",
                            (long long)m->reservation) < 0)
        return -1;
    if (m->has_swap && m->swap > 0 && m->has_limit && m->limit > 0 && m->swap < m->limit)
      if (husk_error_report(err, EINVAL,
                            "linux.resources.memory.swap: %lld is below memory.limit %lld "
                            "(swap is the memory+swap limit)",
                            (long long)m->swap, (long long)m->limit) < 0)
        return -1;
  }
  const struct husk_cpu *c = &res->cpu;
  if (res->has_cpu) {
    if (c->has_quota && c->has_burst && c->quota > 0 && c->burst > (uint64_t)c->quota)
      if (husk_error_report(err, EINVAL, "linux.resources.cpu.burst: %llu is above quota %lld",
                            (unsigned long long)c->burst, (long long)c->quota) < 0)
        return -1;
    /* The kernel's range, on v1 and v2 alike (v1 would clamp silently; a
     * uint64 above INT64_MAX was once written as -1). */
    if (c->has_shares && c->shares != 0 && (c->shares < 2 || c->shares > 262144))
      if (husk_error_report(err, EINVAL, "linux.resources.cpu.shares: %llu is outside 2..262144",
                            (unsigned long long)c->shares) < 0)
        return -1;
    if (c->has_idle && c->idle != 0 && c->idle != 1)
      if (husk_error_report(err, EINVAL, "linux.resources.cpu.idle: must be 0 or 1, got %lld",
                            (long long)c->idle) < 0)
        return -1;
    if (c->has_period && c->period != 0 && (c->period < 1000 || c->period > 1000000))
      if (husk_error_report(err, EINVAL,
                            "linux.resources.cpu.period: %llu is outside 1000..1000000 us",
                            (unsigned long long)c->period) < 0)
        return -1;
  }
  return 0;
}

int husk_cgroup_apply(const struct husk_cgroup *cg, const struct husk_resources *res,
                      husk_error_t *err) {
  if (husk_cgroup_check_common(res, err) < 0)
    return -1;
  if (cg->mode == HUSK_CGROUP_UNIFIED) {
    _cleanup_free_ char *dir = husk_xasprintf("%s%s", HUSK_CG_ROOT, cg->path);
    _cleanup_close_ int own_fd = -1;
    int fd = cg->v2_fd;
    if (fd < 0 && (fd = own_fd = open_v2(dir, err)) < 0)
      return -1;
    if (husk_cg_v2_check(dir, res, err) < 0)
      return -1;
    return husk_cg_v2_apply(dir, fd, res, err);
  }
  if (res->unified_len > 0)
    return husk_error_set(err, ENOTSUP, "linux.resources.unified requires cgroup v2");
  _cleanup_v1_ struct husk_cg_v1 l;
  if (husk_cg_v1_list(&l, err) < 0)
    return -1;
  if (husk_cg_v1_check(&l, cg->path, res, err) < 0)
    return -1;
  return husk_cg_v1_apply(&l, cg->path, res, err);
}

/* ---- freeze, pids, kill ----------------------------------------------- */

/* v1 freezer when mounted; the cgroup2 directory otherwise (hybrid hosts
 * without a v1 freezer still have cgroup.freeze there). */
static bool use_v1_freezer(const struct dirs *d) {
  return husk_cg_v1_find(&d->v1, "freezer") != NULL || d->v2 == NULL;
}

int husk_cgroup_freeze(const struct husk_cgroup *cg, bool frozen, husk_error_t *err) {
  _cleanup_dirs_ struct dirs d;
  if (dirs_of(cg, &d, err) < 0)
    return -1;
  if (use_v1_freezer(&d))
    return husk_cg_v1_freeze(&d.v1, cg->path, frozen, err);
  return husk_cg_v2_freeze(d.v2, frozen, err);
}

int husk_cgroup_is_frozen(const struct husk_cgroup *cg, bool *frozen, husk_error_t *err) {
  _cleanup_dirs_ struct dirs d;
  if (dirs_of(cg, &d, err) < 0)
    return -1;
  if (use_v1_freezer(&d))
    return husk_cg_v1_is_frozen(&d.v1, cg->path, frozen, err);
  return husk_cg_v2_is_frozen(d.v2, frozen, err);
}

int husk_cgroup_pids(const struct husk_cgroup *cg, pid_t **pids, size_t *n, husk_error_t *err) {
  _cleanup_dirs_ struct dirs d;
  *pids = NULL;
  *n = 0;
  if (dirs_of(cg, &d, err) < 0)
    return -1;
  if (husk_cg_procs(procs_dir(&d), true, pids, n, err) < 0) {
    free(*pids);
    *pids = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

/* *signalled: false when the cgroup was found empty (nothing to wait for). */
static int kill_all(const struct husk_cgroup *cg, int sig, bool *signalled, husk_error_t *err) {
  *signalled = false;
  _cleanup_dirs_ struct dirs d;
  if (dirs_of(cg, &d, err) < 0)
    return -1;
  /* cgroup.kill (5.14) kills the whole subtree atomically, forks
   * included; it only knows SIGKILL. */
  if (sig == SIGKILL && d.v2 && husk_cg_has(d.v2, "cgroup.kill")) {
    *signalled = true; /* whoever was there */
    int r = husk_cg_write(d.v2, "cgroup.kill", "1", err);
    /* A task frozen by the v1 freezer (a paused container on a hybrid host)
     * only dies once thawed. */
    if (cg->mode != HUSK_CGROUP_UNIFIED)
      husk_cgroup_freeze(cg, false, NULL);
    return r;
  }
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  /* An empty cgroup stays empty (only a process inside can fork into it,
   * and exec refuses a stopped container): nothing to freeze or signal.
   * The common case, delete after the workload exited, so worth the check:
   * a v1 freeze and thaw each toggle a kernel static key, which patches
   * kernel text on every CPU. */
  if (husk_cg_procs(procs_dir(&d), true, &pids, &n, NULL) == 0 && n == 0)
    return 0;
  free(pids);
  pids = NULL;
  n = 0;
  *signalled = true;
  /* Freeze first so nothing forks between the listing and the signals. */
  husk_error_t ferr = {0};
  bool froze = husk_cgroup_freeze(cg, true, &ferr) == 0;
  husk_error_clear(&ferr);
  int r = husk_cg_procs(procs_dir(&d), true, &pids, &n, err);
  for (size_t i = 0; r == 0 && i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      r = husk_error_set(err, errno, "kill %d", (int)pids[i]);
  if (froze && husk_cgroup_freeze(cg, false, r < 0 ? &ferr : err) < 0 && r == 0)
    r = -1;
  husk_error_clear(&ferr);
  return r;
}

int husk_cgroup_kill_all(const struct husk_cgroup *cg, int sig, husk_error_t *err) {
  bool signalled;
  return kill_all(cg, sig, &signalled, err);
}

/* ---- stats ------------------------------------------------------------ */

int husk_cgroup_stats(const struct husk_cgroup *cg, struct husk_cgroup_stats *st,
                      husk_error_t *err) {
  memset(st, 0, sizeof(*st));
  if (cg->mode == HUSK_CGROUP_UNIFIED) {
    _cleanup_free_ char *dir = husk_xasprintf("%s%s", HUSK_CG_ROOT, cg->path);
    return husk_cg_v2_stats(dir, st, err);
  }
  _cleanup_v1_ struct husk_cg_v1 l;
  if (husk_cg_v1_list(&l, err) < 0)
    return -1;
  return husk_cg_v1_stats(&l, cg->path, st, err);
}

void husk_cg_add_blkio(struct husk_cgroup_stats *st, uint64_t maj, uint64_t min, const char *op,
                       uint64_t v) {
  st->blkio_bytes =
      husk_xrealloc(st->blkio_bytes, (st->blkio_bytes_len + 1) * sizeof(*st->blkio_bytes));
  struct husk_blkio_entry *e = &st->blkio_bytes[st->blkio_bytes_len++];
  e->major = maj;
  e->minor = min;
  e->value = v;
  snprintf(e->op, sizeof(e->op), "%s", op);
}

void husk_cgroup_stats_free(struct husk_cgroup_stats *st) {
  free(st->memory_stat);
  free(st->cpu_percpu);
  st->memory_stat = st->cpu_percpu = NULL;
  free(st->blkio_bytes);
  free(st->hugetlb);
  st->blkio_bytes = NULL;
  st->hugetlb = NULL;
  st->blkio_bytes_len = st->hugetlb_len = 0;
}

/* ---- destroy ---------------------------------------------------------- */

/* Wait (up to ~5 s) for the killed processes to leave the cgroup. */
static void wait_empty(const char *dir) {
  for (int i = 0; i < 500; i++) {
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (husk_cg_procs(dir, true, &pids, &n, NULL) < 0 || n == 0)
      return;
    husk_cg_nap();
  }
}

int husk_cgroup_destroy(const struct husk_cgroup *cg, husk_error_t *err) {
  _cleanup_dirs_ struct dirs d;
  if (dirs_of(cg, &d, err) < 0)
    return -1;
  const char *pdir = procs_dir(&d);
  struct stat st;
  if (stat(pdir, &st) == 0) {
    husk_error_t kerr = {0};
    bool signalled; /* false: found empty (or its directories gone) */
    if (kill_all(cg, SIGKILL, &signalled, &kerr) < 0 && kerr.errnum != ENOENT) {
      husk_error_prefix(&kerr, "destroy cgroup %s", cg->path);
      if (err && err->msg == NULL) {
        *err = kerr;
        return -1;
      }
      husk_error_clear(&kerr);
      return -1;
    }
    husk_error_clear(&kerr);
    if (signalled)
      wait_empty(pdir);
  }
  /* How many levels above the leaf husk may remove: those it made itself
   * (create), or the "/husk" of a "/husk/<id>" path (the default of husk
   * until 2026-12), which is husk's own. */
  int above = cg->created_depth > 0 ? cg->created_depth - 1 : 0;
  /* The "/husk" of such a path goes with the last container in it,
   * whichever made it: create order and delete order differ (two
   * containers, the first deleted first, left it behind). */
  bool husk_parent = strncmp(cg->path, "/husk/", 6) == 0 && path_depth(cg->path) == 2;
  int r = 0;
  for (size_t i = 0; i < d.len; i++) {
    if (husk_cg_rmdir_tree(d.dir[i], r < 0 ? NULL : err) < 0) {
      r = -1;
      continue;
    }
    _cleanup_free_ char *up = husk_xstrdup(d.dir[i]);
    for (int level = 0; level < above || (husk_parent && level == 0); level++) {
      char *slash = strrchr(up, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
      /* rmdir fails on a cgroup with children or tasks: a shared parent
       * still in use by another container stays. */
      if (rmdir(up) < 0)
        break;
    }
  }
  if (r < 0)
    husk_error_prefix(err, "destroy cgroup %s", cg->path);
  return r;
}
