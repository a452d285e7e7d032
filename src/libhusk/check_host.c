/* husk check — the config against this host: what the kernel, the cgroup
 * hierarchies, libseccomp, the capability bounding set, the LSMs and the
 * caller's limits allow.  Where create has a rule for it (cgroup_v1.c,
 * cgroup_v2.c, rootless.c), that rule runs here with a collecting error. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "check_internal.h"
#include "container.h"
#include "rootless.h"
#include "util.h"

/* The names under /proc/self/ns, in enum husk_ns_type order. */
static const char *const ns_files[HUSK_NS_COUNT] = {
    [HUSK_NS_MOUNT] = "mnt",     [HUSK_NS_PID] = "pid",   [HUSK_NS_NETWORK] = "net",
    [HUSK_NS_UTS] = "uts",       [HUSK_NS_IPC] = "ipc",   [HUSK_NS_USER] = "user",
    [HUSK_NS_CGROUP] = "cgroup", [HUSK_NS_TIME] = "time",
};

/* A small /proc/sys number; -1 when the file does not exist. */
static long read_sysctl(const char *path) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  husk_error_t ignored = {0};
  if (husk_read_file(path, 64, &text, &len, &ignored) < 0) {
    husk_error_clear(&ignored);
    return -1;
  }
  return strtol(text, NULL, 10);
}

static void check_namespaces(const struct husk_spec *spec, const struct husk_check_opts *opts,
                             struct husk_findings *out) {
  const struct husk_linux *l = &spec->linux_;
  for (size_t i = 0; i < l->namespaces_len; i++) {
    const struct husk_namespace *ns = &l->namespaces[i];
    if (ns->type >= HUSK_NS_COUNT)
      continue; /* reported by the parser */
    char path[64];
    const char *name = husk_ns_type_name(ns->type);
    if (ns->path == NULL) {
      _cleanup_free_ char *proc = husk_xasprintf("/proc/self/ns/%s", ns_files[ns->type]);
      snprintf(path, sizeof path, "linux.namespaces[%zu].type", i);
      if (access(proc, F_OK) < 0)
        husk_findings_add(out, HUSK_SEV_ERROR, path,
                          "this kernel has no %s namespaces (no %s; CONFIG_%s_NS?)", name, proc,
                          ns->type == HUSK_NS_NETWORK ? "NET"
                          : ns->type == HUSK_NS_MOUNT ? "MNT"
                                                      : ns_files[ns->type]);
      continue;
    }
    snprintf(path, sizeof path, "linux.namespaces[%zu].path", i);
    _cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      husk_findings_add(out, HUSK_SEV_ERROR, path, "%s: %s", ns->path, strerror(errno));
      continue;
    }
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0)
      husk_findings_add(out, HUSK_SEV_ERROR, path, "%s is not a namespace file", ns->path);
    else if (type != husk_ns_clone_flag(ns->type))
      husk_findings_add(out, HUSK_SEV_ERROR, path, "%s is not a %s namespace", ns->path, name);
  }

  const struct husk_namespace *user = husk_spec_find_ns(spec, HUSK_NS_USER);
  if (user == NULL || user->path != NULL)
    return;
  if (read_sysctl("/proc/sys/user/max_user_namespaces") == 0)
    husk_findings_add(out, HUSK_SEV_ERROR, "linux.namespaces",
                      "a new user namespace, but /proc/sys/user/max_user_namespaces is 0");
  if (opts->rootless && read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0)
    husk_findings_add(out, HUSK_SEV_ERROR, "linux.namespaces",
                      "a new user namespace, but this host refuses them to unprivileged users "
                      "(/proc/sys/kernel/unprivileged_userns_clone is 0)");
  if (opts->rootless && read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
    husk_findings_add(out, HUSK_SEV_WARNING, "linux.namespaces",
                      "AppArmor restricts unprivileged user namespaces on this host "
                      "(kernel.apparmor_restrict_unprivileged_userns=1): the container gets no "
                      "capabilities in it unless a profile allows it");
}

/* ---- idmapped mounts -------------------------------------------------- */

#ifndef EROFS_SUPER_MAGIC_V1
#define EROFS_SUPER_MAGIC_V1 0xE0F5E1E2
#endif
#ifndef F2FS_SUPER_MAGIC
#define F2FS_SUPER_MAGIC 0xF2F52010
#endif
#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif

/* Filesystems with FS_ALLOW_IDMAP and the release that gave it to them. */
static const struct {
  long magic;
  const char *name;
  int major, minor;
} idmap_fs[] = {
    {EXT4_SUPER_MAGIC, "ext4", 5, 12},      {XFS_SUPER_MAGIC, "xfs", 5, 12},
    {MSDOS_SUPER_MAGIC, "vfat", 5, 12},     {BTRFS_SUPER_MAGIC, "btrfs", 5, 15},
    {F2FS_SUPER_MAGIC, "f2fs", 5, 18},      {OVERLAYFS_SUPER_MAGIC, "overlay", 5, 19},
    {EROFS_SUPER_MAGIC_V1, "erofs", 5, 19}, {TMPFS_MAGIC, "tmpfs", 6, 3},
};

static bool kernel_at_least(int major, int minor) {
  struct utsname u;
  int ma = 0, mi = 0;
  if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
    return true; /* unknown: let create say */
  return ma > major || (ma == major && mi >= minor);
}

static bool wants_idmap(const struct husk_mount *m) {
  if (m->uid_mappings || m->gid_mappings)
    return true;
  for (size_t j = 0; j < m->options.len; j++)
    if (strcmp(m->options.items[j], "idmap") == 0 || strcmp(m->options.items[j], "ridmap") == 0)
      return true;
  return false;
}

static void check_idmapped_mounts(const struct husk_spec *spec, const char *bundle,
                                  struct husk_findings *out) {
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct husk_mount *m = &spec->mounts[i];
    if (!wants_idmap(m) || m->source == NULL)
      continue;
    char path[64];
    snprintf(path, sizeof path, "mounts[%zu]", i);
    if (!kernel_at_least(5, 12)) {
      husk_findings_add(out, HUSK_SEV_ERROR, path,
                        "an idmapped mount, but this kernel is older than 5.12 (no "
                        "mount_setattr)");
      continue;
    }
    _cleanup_free_ char *src =
        m->source[0] == '/' ? husk_xstrdup(m->source) : husk_xasprintf("%s/%s", bundle, m->source);
    struct statfs sfs;
    if (statfs(src, &sfs) < 0)
      continue; /* a missing source is reported with the mount sources */
    size_t k = 0;
    while (k < sizeof(idmap_fs) / sizeof(idmap_fs[0]) && idmap_fs[k].magic != (long)sfs.f_type)
      k++;
    if (k == sizeof(idmap_fs) / sizeof(idmap_fs[0]))
      husk_findings_add(out, HUSK_SEV_ERROR, path,
                        "an idmapped mount of %s, whose filesystem (magic 0x%lx) does not "
                        "support idmapped mounts",
                        src, (unsigned long)sfs.f_type);
    else if (!kernel_at_least(idmap_fs[k].major, idmap_fs[k].minor))
      husk_findings_add(out, HUSK_SEV_ERROR, path,
                        "an idmapped mount of %s on %s, which supports them from Linux %d.%d on",
                        src, idmap_fs[k].name, idmap_fs[k].major, idmap_fs[k].minor);
  }
}

/* ---- cgroups ---------------------------------------------------------- */

static const char *mode_name(enum husk_cgroup_mode mode) {
  switch (mode) {
  case HUSK_CGROUP_UNIFIED:
    return "v2";
  case HUSK_CGROUP_HYBRID:
    return "hybrid";
  case HUSK_CGROUP_LEGACY:
    return "v1";
  }
  return "?";
}

/* The caller's own cgroup2 directory ("0::/user.slice/..."), for rootless. */
static char *own_v2_dir(const char *mount) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  husk_error_t ignored = {0};
  if (husk_read_file("/proc/self/cgroup", 1 << 16, &text, &len, &ignored) < 0) {
    husk_error_clear(&ignored);
    return husk_xstrdup(mount);
  }
  char *line = strstr(text, "0::");
  if (line == NULL || (line != text && line[-1] != '\n'))
    return husk_xstrdup(mount);
  line += 3;
  line[strcspn(line, "\n")] = '\0';
  return husk_xasprintf("%s%s", mount, strcmp(line, "/") == 0 ? "" : line);
}

static void collect_warning(void *data, const char *msg) {
  husk_findings_add_message(data, HUSK_SEV_WARNING, msg);
}

static void check_cgroups(const struct husk_spec *spec, const struct husk_check_opts *opts,
                          struct husk_findings *out) {
  husk_error_t collect = {.collect = out};
  enum husk_cgroup_mode mode;
  if (husk_cgroup_detect(&mode, &collect) < 0)
    return;
  husk_findings_add(out, HUSK_SEV_NOTE, "", "this host has %s cgroups", mode_name(mode));
  _cleanup_free_ char *path = NULL;
  if (husk_cgroup_resolve_path(spec, "husk-check", opts->systemd_cgroup, &path, &collect) < 0)
    return;
  if (opts->rootless) {
    /* Delegation: create's own rule, its warnings and errors collected. */
    struct husk_warner_cb warn = {.fn = collect_warning, .data = out};
    bool use_cgroup = true;
    husk_rootless_cgroup_check(spec, "husk-check", opts->systemd_cgroup, true, &warn, &use_cgroup,
                               &collect);
    if (!use_cgroup)
      return;
  }
  if (!spec->linux_.has_resources)
    return;
  const struct husk_resources *res = &spec->linux_.resources;
  if (mode == HUSK_CGROUP_UNIFIED) {
    /* Root: create enables every controller of the root cgroup down the
     * path (husk_cg_v2_enable_controllers).  Rootless: only those
     * delegated to the caller's own cgroup. */
    _cleanup_free_ char *dir =
        opts->rootless ? own_v2_dir(HUSK_CG_ROOT) : husk_xstrdup(HUSK_CG_ROOT);
    husk_cg_v2_check(dir, res, &collect);
    return;
  }
  if (res->unified_len > 0)
    husk_error_report(&collect, ENOTSUP, "linux.resources.unified requires cgroup v2");
  struct husk_cg_v1 v1 = {0};
  if (husk_cg_v1_list(&v1, &collect) == 0)
    husk_cg_v1_check(&v1, "", res, &collect); /* the files of each hierarchy's root */
  husk_cg_v1_free(&v1);
}

/* ---- seccomp ---------------------------------------------------------- */

static void check_seccomp(const struct husk_seccomp *s, struct husk_findings *out) {
  const struct scmp_version *v = seccomp_version();
  for (size_t i = 0; i < s->architectures.len; i++) {
    const char *name = s->architectures.items[i];
    if (strncmp(name, "SCMP_ARCH_", 10) != 0)
      continue; /* the validator says so */
    _cleanup_free_ char *lower = husk_xstrdup(name + 10);
    for (char *p = lower; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    char path[64];
    snprintf(path, sizeof path, "linux.seccomp.architectures[%zu]", i);
    if (seccomp_arch_resolve_name(lower) == 0 && !husk_findings_has(out, HUSK_SEV_ERROR, path)) {
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "%s is not known to libseccomp %u.%u.%u: husk skips it", name, v->major,
                        v->minor, v->micro);
    }
  }
  for (size_t i = 0; i < s->syscalls_len; i++)
    for (size_t j = 0; j < s->syscalls[i].names.len; j++) {
      const char *name = s->syscalls[i].names.items[j];
      if (name[0] == '\0' || seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
        continue;
      char path[80];
      snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu].names[%zu]", i, j);
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "\"%s\" is not a system call libseccomp %u.%u.%u knows on this "
                        "architecture: its rule is skipped",
                        name, v->major, v->minor, v->micro);
    }
}

/* ---- capabilities ----------------------------------------------------- */

static void check_cap_set(const char *set, const struct husk_strv *names, bool bounding,
                          struct husk_findings *out) {
  cap_value_t last = cap_max_bits(); /* what this kernel knows, +1 */
  for (size_t i = 0; i < names->len; i++) {
    cap_value_t cap;
    if (cap_from_name(names->items[i], &cap) != 0)
      continue; /* the validator says so */
    char path[80];
    snprintf(path, sizeof path, "process.capabilities.%s[%zu]", set, i);
    if (cap >= last)
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "%s is newer than this kernel (its last is %d): husk skips it",
                        names->items[i], (int)last - 1);
    else if (bounding && cap_get_bound(cap) != 1)
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "%s is not in the caller's bounding set: it cannot be granted",
                        names->items[i]);
  }
}

static void check_caps(const struct husk_capabilities *c, struct husk_findings *out) {
  check_cap_set("bounding", &c->bounding, true, out);
  check_cap_set("effective", &c->effective, false, out);
  check_cap_set("permitted", &c->permitted, false, out);
  check_cap_set("inheritable", &c->inheritable, false, out);
  check_cap_set("ambient", &c->ambient, false, out);
}

/* ---- LSMs and rlimits ------------------------------------------------- */

static bool apparmor_enabled(void) {
  char c = 0;
  _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

static void check_lsm(const struct husk_process *p, struct husk_findings *out) {
  if (p->apparmor_profile && p->apparmor_profile[0] && !apparmor_enabled())
    husk_findings_add(out, HUSK_SEV_ERROR, "process.apparmorProfile",
                      "%s: apparmorProfile is set but AppArmor is not enabled on this host",
                      p->apparmor_profile);
  if (p->selinux_label && p->selinux_label[0] && access("/sys/fs/selinux/enforce", F_OK) != 0)
    husk_findings_add(out, HUSK_SEV_ERROR, "process.selinuxLabel",
                      "%s: selinuxLabel is set but SELinux is not enabled on this host",
                      p->selinux_label);
}

static bool can_raise_rlimits(const struct husk_spec *spec) {
  /* CAP_SYS_RESOURCE counts in the initial user namespace only. */
  if (husk_spec_find_ns(spec, HUSK_NS_USER) || husk_in_user_namespace())
    return false;
  cap_t now = cap_get_proc();
  cap_flag_value_t v = CAP_CLEAR;
  if (now)
    cap_get_flag(now, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
  cap_free(now);
  return v == CAP_SET && cap_get_bound(CAP_SYS_RESOURCE) == 1;
}

static void check_rlimits(const struct husk_spec *spec, struct husk_findings *out) {
  const struct husk_process *p = &spec->process;
  bool may_raise = can_raise_rlimits(spec);
  for (size_t i = 0; i < p->rlimits_len && !may_raise; i++) {
    const struct husk_rlimit *r = &p->rlimits[i];
    struct rlimit cur;
    if (r->resource < 0 || getrlimit(r->resource, &cur) < 0 || cur.rlim_max == RLIM_INFINITY ||
        r->hard <= cur.rlim_max)
      continue;
    char path[64];
    snprintf(path, sizeof path, "process.rlimits[%zu].hard", i);
    husk_findings_add(out, HUSK_SEV_ERROR, path,
                      "%llu is above the caller's hard %s %llu (raising it needs "
                      "CAP_SYS_RESOURCE, which the caller lacks)",
                      (unsigned long long)r->hard, r->type, (unsigned long long)cur.rlim_max);
  }
}

void husk_check_host(const struct husk_spec *spec, const struct husk_check_opts *opts,
                     struct husk_findings *out) {
  char bundle[4096];
  if (realpath(opts->bundle ? opts->bundle : ".", bundle) == NULL)
    snprintf(bundle, sizeof bundle, "%s", opts->bundle ? opts->bundle : ".");
  check_namespaces(spec, opts, out);
  check_idmapped_mounts(spec, bundle, out);
  check_cgroups(spec, opts, out);
  if (spec->linux_.has_seccomp)
    check_seccomp(&spec->linux_.seccomp, out);
  if (spec->has_process) {
    if (spec->process.has_capabilities)
      check_caps(&spec->process.capabilities, out);
    check_lsm(&spec->process, out);
    check_rlimits(spec, out);
  }
}
