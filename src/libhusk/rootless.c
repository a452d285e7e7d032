/* husk — running as an ordinary user (rootless).  See rootless.h. */
#include "rootless.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "util.h"

extern char **environ;

bool husk_in_user_namespace(void) {
  FILE *f = fopen("/proc/self/uid_map", "re");
  if (f == NULL)
    return false;
  unsigned long inside = 0, outside = 0, len = 0;
  int n = fscanf(f, "%lu %lu %lu", &inside, &outside, &len);
  fclose(f);
  return !(n == 3 && inside == 0 && outside == 0 && len == 4294967295UL);
}

bool husk_rootless_detect(void) { return geteuid() != 0 || husk_in_user_namespace(); }

bool husk_rootless_mode(const char *flag) {
  if (flag && strcmp(flag, "true") == 0)
    return true;
  if (flag && strcmp(flag, "false") == 0)
    return false;
  return husk_rootless_detect();
}

/* The first limit of `res` and the v1 controller that carries it. */
static const char *first_limit(const struct husk_resources *res, const char **ctrl) {
  const struct husk_memory *m = &res->memory;
  const struct husk_cpu *c = &res->cpu;
  const struct husk_block_io *b = &res->block_io;
  struct {
    bool set;
    const char *field, *ctrl;
  } limits[] = {
      {res->has_memory && m->has_limit, "memory.limit", "memory"},
      {res->has_memory && m->has_reservation, "memory.reservation", "memory"},
      {res->has_memory && m->has_swap, "memory.swap", "memory"},
      {res->has_memory && m->has_kernel, "memory.kernel", "memory"},
      {res->has_memory && m->has_kernel_tcp, "memory.kernelTCP", "memory"},
      {res->has_memory && m->has_swappiness, "memory.swappiness", "memory"},
      {res->has_memory && m->has_disable_oom_killer, "memory.disableOOMKiller", "memory"},
      {res->has_memory && m->has_use_hierarchy, "memory.useHierarchy", "memory"},
      {res->has_cpu && c->has_shares, "cpu.shares", "cpu"},
      {res->has_cpu && c->has_quota, "cpu.quota", "cpu"},
      {res->has_cpu && c->has_burst, "cpu.burst", "cpu"},
      {res->has_cpu && c->has_period, "cpu.period", "cpu"},
      {res->has_cpu && c->has_realtime_runtime, "cpu.realtimeRuntime", "cpu"},
      {res->has_cpu && c->has_realtime_period, "cpu.realtimePeriod", "cpu"},
      {res->has_cpu && c->has_idle, "cpu.idle", "cpu"},
      {res->has_cpu && c->cpus && *c->cpus, "cpu.cpus", "cpuset"},
      {res->has_cpu && c->mems && *c->mems, "cpu.mems", "cpuset"},
      {res->has_pids, "pids.limit", "pids"},
      {res->has_block_io && (b->has_weight || b->has_leaf_weight || b->weight_device_len ||
                             b->throttle_read_bps_device_len || b->throttle_write_bps_device_len ||
                             b->throttle_read_iops_device_len || b->throttle_write_iops_device_len),
       "blockIO", "blkio"},
      {res->hugepage_limits_len > 0, "hugepageLimits", "hugetlb"},
      {res->has_network && res->network.has_class_id, "network.classID", "net_cls"},
      {res->has_network && res->network.priorities_len > 0, "network.priorities", "net_prio"},
      {res->rdma_len > 0, "rdma", "rdma"},
      {res->unified_len > 0, "unified", NULL},
  };
  for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
    if (limits[i].set) {
      *ctrl = limits[i].ctrl;
      return limits[i].field;
    }
  return NULL;
}

/* Whether the caller can make (or use) `path` below the hierarchy mounted
 * at `mount`; when not, *where gets the directory it cannot write. */
static bool writable(const char *mount, const char *path, char **where) {
  _cleanup_free_ char *dir = husk_xasprintf("%s%s", mount, path);
  size_t root_len = strlen(mount);
  bool leaf = true;
  for (;;) {
    struct stat st;
    if (stat(dir, &st) == 0) {
      bool ok;
      if (leaf) { /* it exists: husk moves the init into its cgroup.procs */
        _cleanup_free_ char *procs = husk_xasprintf("%s/cgroup.procs", dir);
        ok = faccessat(AT_FDCWD, procs, W_OK, AT_EACCESS) == 0;
      } else { /* husk makes the rest below it */
        ok = faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
      }
      if (!ok)
        *where = husk_steal_ptr(dir);
      return ok;
    }
    leaf = false;
    char *slash = strrchr(dir, '/');
    if (slash == NULL || (size_t)(slash - dir) < root_len) {
      *where = husk_xstrdup(mount);
      return false;
    }
    *slash = '\0';
  }
}

/* cgroup v2 lets a process be moved only by a writer of cgroup.procs in
 * the common ancestor of its cgroup and the target (cgroup-v2.rst,
 * "Delegation Containment"): the caller's own cgroup must be in the
 * delegated subtree too.  When not, *where gets that file. */
static bool v2_movable(const char *mount, const char *path, char **where) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return true; /* let the move itself say */
  char line[4096], own[4096] = "";
  while (fgets(line, sizeof(line), f))
    if (strncmp(line, "0::", 3) == 0) {
      snprintf(own, sizeof(own), "%s", line + 3);
      own[strcspn(own, "\n")] = '\0';
    }
  fclose(f);
  if (own[0] != '/')
    return true;
  /* the longest common prefix of whole components */
  size_t common = 0;
  for (size_t i = 0;; i++) {
    char a = own[i], b = path[i];
    bool end_a = a == '\0' || a == '/', end_b = b == '\0' || b == '/';
    if (end_a && end_b)
      common = i;
    if (a != b || a == '\0')
      break;
  }
  _cleanup_free_ char *procs = husk_xasprintf("%s%.*s/cgroup.procs", mount, (int)common, path);
  if (faccessat(AT_FDCWD, procs, W_OK, AT_EACCESS) == 0)
    return true;
  *where = husk_steal_ptr(procs);
  return false;
}

/* The default device rules of runc's and husk's spec: deny everything.  A
 * user namespace cannot make device nodes anyway. */
static bool deny_all_only(const struct husk_resources *res) {
  for (size_t i = 0; i < res->devices_len; i++) {
    const struct husk_device_cgroup *d = &res->devices[i];
    if (d->allow)
      return false;
  }
  return true;
}

static bool mapped(const struct husk_id_mapping *maps, size_t n, unsigned long id) {
  for (size_t i = 0; i < n; i++)
    if (id >= maps[i].container_id && id - maps[i].container_id < maps[i].size)
      return true;
  return false;
}

/* uid=/gid= mount options (devpts' gid=5, tmpfs' uid=) naming an id the
 * new user namespace does not map: the kernel answers EINVAL; say why. */
static int check_mount_ids(const struct husk_spec *spec, husk_error_t *err) {
  const struct husk_linux *lx = &spec->linux_;
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct husk_mount *m = &spec->mounts[i];
    for (size_t j = 0; j < m->options.len; j++) {
      const char *o = m->options.items[j];
      bool is_uid = strncmp(o, "uid=", 4) == 0, is_gid = strncmp(o, "gid=", 4) == 0;
      if (!is_uid && !is_gid)
        continue;
      char *end;
      unsigned long id = strtoul(o + 4, &end, 10);
      if (*end != '\0' || end == o + 4)
        continue;
      if (is_uid ? mapped(lx->uid_mappings, lx->uid_mappings_len, id)
                 : mapped(lx->gid_mappings, lx->gid_mappings_len, id))
        continue;
      return husk_error_set_quiet(
          err, EINVAL,
          "mounts[%zu] (%s): %s: %s %lu is not mapped in the container's user namespace "
          "(linux.%s); a rootless container can only name mapped ids (`husk spec --rootless` "
          "leaves gid=5 out of /dev/pts)",
          i, m->destination ? m->destination : "", o, is_uid ? "uid" : "gid", id,
          is_uid ? "uidMappings" : "gidMappings");
    }
  }
  return 0;
}

int husk_rootless_cgroup_check(const struct husk_spec *spec, const char *id, bool systemd,
                               bool rootless, const struct husk_warner_cb *warn, bool *use_cgroup,
                               husk_error_t *err) {
  *use_cgroup = true;
  /* Without CAP_SYS_ADMIN in its own user namespace the caller can make
   * no other namespace and mount nothing: say so before clone does. */
  if (geteuid() != 0 && !husk_spec_find_ns(spec, HUSK_NS_USER))
    return husk_error_set_quiet(
        err, EPERM,
        "linux.namespaces: uid %u is not root: a rootless container needs a user namespace "
        "({\"type\": \"user\"} with uidMappings and gidMappings; `husk spec --rootless` "
        "writes them)",
        (unsigned)geteuid());
  /* Mount options naming ids: only the new user namespace's own. */
  if (rootless && husk_spec_find_ns(spec, HUSK_NS_USER) &&
      (spec->linux_.uid_mappings_len || spec->linux_.gid_mappings_len) &&
      check_mount_ids(spec, err) < 0)
    return -1;
  /* systemd's user manager is asked by cgroup_systemd.c and says itself
   * what it refuses. */
  if (!rootless || systemd)
    return 0;
  enum husk_cgroup_mode mode;
  if (husk_cgroup_detect(&mode, err) < 0)
    return -1;
  _cleanup_free_ char *path = NULL;
  if (husk_cgroup_resolve_path(spec, id, systemd, &path, err) < 0)
    return -1;

  /* Every hierarchy husk would make the cgroup in; the first one the
   * caller cannot write decides. */
  struct husk_cg_v1 v1 = {0};
  if (mode != HUSK_CGROUP_UNIFIED && husk_cg_v1_list(&v1, err) < 0)
    return -1;
  const char *um = mode == HUSK_CGROUP_UNIFIED  ? HUSK_CG_ROOT
                   : mode == HUSK_CGROUP_HYBRID ? HUSK_CG_HYBRID_UNIFIED
                                                : NULL;
  _cleanup_free_ char *where = NULL;
  for (size_t i = 0; i < v1.len && where == NULL; i++)
    (void)writable(v1.items[i].mount, path, &where);
  if (where == NULL && um && writable(um, path, &where))
    (void)v2_movable(um, path, &where);
  if (where == NULL) {
    husk_cg_v1_free(&v1);
    return 0; /* a delegated (or caller-owned) cgroup: use it */
  }

  const struct husk_resources *res =
      spec->has_linux && spec->linux_.has_resources ? &spec->linux_.resources : NULL;
  const char *ctrl = NULL;
  const char *field = res ? first_limit(res, &ctrl) : NULL;
  if (field) {
    /* Name the hierarchy of that limit when it is the one not writable. */
    _cleanup_free_ char *ctrl_where = NULL;
    const struct husk_cg_hier *h = ctrl ? husk_cg_v1_find(&v1, ctrl) : NULL;
    const char *mount = h ? h->mount : um;
    if (mount && !writable(mount, path, &ctrl_where)) {
      free(where);
      where = husk_steal_ptr(ctrl_where);
    }
    husk_cg_v1_free(&v1);
    return husk_error_set_quiet(
        err, EACCES,
        "linux.resources.%s: cannot be applied: %s is not writable by uid %u "
        "(rootless, no delegated cgroup)",
        field, where, (unsigned)geteuid());
  }
  husk_cg_v1_free(&v1);
  *use_cgroup = false;
  if (warn && warn->fn) {
    char *msg = NULL;
    if (spec->has_linux && spec->linux_.cgroups_path) {
      msg = husk_xasprintf("linux.cgroupsPath \"%s\": not used: %s is not writable by uid %u "
                           "(rootless, no delegated cgroup); the container stays in the "
                           "caller's cgroup",
                           spec->linux_.cgroups_path, where, (unsigned)geteuid());
      warn->fn(warn->data, msg);
      free(msg);
    }
    if (res && res->devices_len > 0 && !deny_all_only(res)) {
      msg = husk_xasprintf("linux.resources.devices: not applied: %s is not writable by uid %u "
                           "(rootless, no delegated cgroup); the container opens only the "
                           "devices uid %u may open",
                           where, (unsigned)geteuid(), (unsigned)geteuid());
      warn->fn(warn->data, msg);
      free(msg);
    }
  }
  return 0;
}

/* The pid namespace of `pid` as "pid:[N]", or "" when unreadable. */
static void pidns_of(pid_t pid, char *buf, size_t size) {
  char link[64];
  snprintf(link, sizeof(link), "/proc/%d/ns/pid", (int)pid);
  ssize_t n = readlink(link, buf, size - 1);
  buf[n > 0 ? n : 0] = '\0';
}

static pid_t ppid_of(pid_t pid) {
  char p[64];
  snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(p, "re");
  if (f == NULL)
    return -1;
  char line[1024];
  size_t n = fread(line, 1, sizeof(line) - 1, f);
  fclose(f);
  line[n] = '\0';
  char *close_paren = strrchr(line, ')');
  int ppid = -1;
  if (close_paren == NULL || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
    return -1;
  return ppid;
}

int husk_rootless_pids(pid_t init, pid_t **pids, size_t *n, husk_error_t *err) {
  char init_ns[64], self_ns[64];
  pidns_of(init, init_ns, sizeof(init_ns));
  pidns_of(getpid(), self_ns, sizeof(self_ns));
  if (init_ns[0] == '\0')
    return husk_error_set(err, ESRCH, "read /proc/%d/ns/pid", (int)init);
  bool own_ns = strcmp(init_ns, self_ns) != 0;
  DIR *d = opendir("/proc");
  if (d == NULL)
    return husk_error_set(err, errno, "opendir /proc");
  pid_t *out = NULL;
  size_t len = 0;
  /* Two passes are enough for descendants listed before their parents
   * only when pids wrapped; repeat until nothing new is found. */
  bool grew = true;
  out = husk_xrealloc(out, sizeof(*out));
  out[len++] = init;
  while (grew) {
    grew = false;
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      char *end;
      long v = strtol(e->d_name, &end, 10);
      if (*end || v <= 0 || v == init)
        continue;
      pid_t pid = (pid_t)v;
      bool seen = false;
      for (size_t i = 0; i < len && !seen; i++)
        seen = out[i] == pid;
      if (seen)
        continue;
      bool member;
      if (own_ns) {
        char ns[64];
        pidns_of(pid, ns, sizeof(ns));
        member = strcmp(ns, init_ns) == 0;
      } else {
        pid_t pp = ppid_of(pid);
        member = false;
        for (size_t i = 0; i < len && !member; i++)
          member = out[i] == pp;
      }
      if (member) {
        out = husk_xrealloc(out, (len + 1) * sizeof(*out));
        out[len++] = pid;
        grew = !own_ns;
      }
    }
  }
  closedir(d);
  *pids = out;
  *n = len;
  return 0;
}

/* ---- user namespace maps ------------------------------------------------ */

bool husk_rootless_maps_need_help(void) { return geteuid() != 0; }

static int write_proc(pid_t pid, const char *file, const char *text, const char *field,
                      husk_error_t *err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set(err, errno, "%s: open %s", field, path);
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len)
    return husk_error_set(err, errno, "%s: write %s", field, path);
  return 0;
}

/* newuidmap/newgidmap PID inside outside count...; their stderr is ours. */
static int run_helper(const char *helper, pid_t pid, const struct husk_id_mapping *maps, size_t n,
                      const char *field, unsigned id, const char *subfile, husk_error_t *err) {
  size_t argc = 0;
  char **argv = husk_xmalloc((3 * n + 3) * sizeof(*argv));
  argv[argc++] = husk_xstrdup(helper);
  argv[argc++] = husk_xasprintf("%d", (int)pid);
  for (size_t i = 0; i < n; i++) {
    argv[argc++] = husk_xasprintf("%u", maps[i].container_id);
    argv[argc++] = husk_xasprintf("%u", maps[i].host_id);
    argv[argc++] = husk_xasprintf("%u", maps[i].size);
  }
  argv[argc] = NULL;
  pid_t child = -1;
  int r = posix_spawnp(&child, helper, NULL, NULL, argv, environ);
  int status = 0;
  if (r == 0)
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
      ;
  for (size_t i = 0; i < argc; i++)
    free(argv[i]);
  free(argv);
  if (r != 0)
    return husk_error_set(err, r,
                          "%s: mapping more than id %u (the caller's own) as an ordinary user "
                          "needs %s (Debian package uidmap) and an entry in %s: run %s",
                          field, id, helper, subfile, helper);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return husk_error_set(err, EPERM,
                          "%s: %s refused the mapping (exit status %d): the ranges must be the "
                          "caller's own id %u or lie in its entries in %s",
                          field, helper, WIFEXITED(status) ? WEXITSTATUS(status) : -1, id, subfile);
  return 0;
}

static bool own_only(const struct husk_id_mapping *maps, size_t n, unsigned id) {
  return n == 1 && maps[0].host_id == id && maps[0].size == 1;
}

int husk_rootless_write_maps(pid_t pid, const struct husk_spec *spec, husk_error_t *err) {
  const struct husk_linux *lx = &spec->linux_;
  unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
  char line[64];
  if (lx->uid_mappings_len == 0) {
    /* nothing asked: the kernel maps nobody; keep it so */
  } else if (own_only(lx->uid_mappings, lx->uid_mappings_len, uid)) {
    snprintf(line, sizeof(line), "%u %u 1\n", lx->uid_mappings[0].container_id, uid);
    if (write_proc(pid, "uid_map", line, "linux.uidMappings", err) < 0)
      return -1;
  } else if (run_helper("newuidmap", pid, lx->uid_mappings, lx->uid_mappings_len,
                        "linux.uidMappings", uid, "/etc/subuid", err) < 0) {
    return -1;
  }
  if (lx->gid_mappings_len == 0)
    return 0;
  if (own_only(lx->gid_mappings, lx->gid_mappings_len, gid)) {
    /* An unprivileged writer may map its own gid only once setgroups(2)
     * is denied for good (user_namespaces(7)). */
    if (write_proc(pid, "setgroups", "deny", "linux.gidMappings", err) < 0)
      return -1;
    snprintf(line, sizeof(line), "%u %u 1\n", lx->gid_mappings[0].container_id, gid);
    return write_proc(pid, "gid_map", line, "linux.gidMappings", err);
  }
  return run_helper("newgidmap", pid, lx->gid_mappings, lx->gid_mappings_len, "linux.gidMappings",
                    gid, "/etc/subgid", err);
}
