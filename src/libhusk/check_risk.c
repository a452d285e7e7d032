/* husk check — warnings for choices that work but open the host up, each
 * saying what it opens.  Nothing here makes create fail. */
#include "config.h"

#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>

#include "check_internal.h"
#include "util.h"

static bool strv_has(const struct husk_strv *v, const char *s) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->items[i], s) == 0)
      return true;
  return false;
}

/* Every capability this kernel knows is in the set. */
static bool all_caps(const struct husk_strv *set) {
  cap_value_t last = cap_max_bits();
  for (cap_value_t v = 0; v < last; v++) {
    char *name = cap_to_name(v);
    bool found = false;
    for (size_t i = 0; name && i < set->len && !found; i++)
      found = strcasecmp(set->items[i], name) == 0;
    cap_free(name);
    if (!found)
      return false;
  }
  return true;
}

/* What `husk spec` keeps: nothing that bypasses a kernel check. */
static bool default_caps_only(const struct husk_capabilities *c) {
  static const char *const harmless[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  const struct husk_strv *sets[] = {&c->bounding, &c->effective, &c->permitted, &c->ambient};
  for (size_t s = 0; s < 4; s++)
    for (size_t i = 0; i < sets[s]->len; i++) {
      cap_value_t cap;
      bool ok = cap_from_name(sets[s]->items[i], &cap) != 0; /* unknown: an error already */
      for (size_t h = 0; h < 3; h++)
        ok |= strcmp(sets[s]->items[i], harmless[h]) == 0;
      if (!ok)
        return false;
    }
  return true;
}

static void check_caps(const struct husk_spec *spec, struct husk_findings *out) {
  const struct husk_process *p = &spec->process;
  if (!p->has_capabilities)
    return;
  if (all_caps(&p->capabilities.bounding) || all_caps(&p->capabilities.effective))
    husk_findings_add(out, HUSK_SEV_WARNING, "process.capabilities",
                      "every capability is kept: the container can load kernel modules, mount "
                      "filesystems, trace host processes and write raw devices "
                      "(CAP_SYS_MODULE, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_RAWIO)");
  else if (strv_has(&p->capabilities.bounding, "CAP_SYS_ADMIN"))
    husk_findings_add(out, HUSK_SEV_WARNING, "process.capabilities.bounding",
                      "CAP_SYS_ADMIN is kept: mounts, namespaces, BPF and many ioctls, close to "
                      "full root");
}

static void check_seccomp(const struct husk_spec *spec, struct husk_findings *out) {
  if (spec->linux_.has_seccomp)
    return;
  /* With the default capabilities and no_new_privs the kernel's own
   * permission checks still gate the privileged system calls. */
  bool tame = spec->process.no_new_privileges &&
              (!spec->process.has_capabilities || default_caps_only(&spec->process.capabilities));
  husk_findings_add(out, tame ? HUSK_SEV_NOTE : HUSK_SEV_WARNING, "linux.seccomp",
                    "no seccomp filter: every system call of the host kernel is reachable "
                    "(keyctl, bpf, userfaultfd, unshare, ...)%s",
                    tame ? "; with only the default capabilities and noNewPrivileges that is "
                           "what `runc spec` writes too"
                         : "");
}

static void check_namespaces(const struct husk_spec *spec, struct husk_findings *out) {
  static const struct {
    enum husk_ns_type type;
    const char *what;
  } shared[] = {
      {HUSK_NS_PID, "the container sees and can signal every host process its user may "
                    "signal"},
      {HUSK_NS_NETWORK, "the container can bind host ports and reach host-only services "
                        "(127.0.0.1, abstract sockets)"},
      {HUSK_NS_IPC, "the container can read and write the host's shared memory and message "
                    "queues"},
  };
  for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
    if (husk_spec_find_ns(spec, shared[i].type) == NULL)
      husk_findings_add(out, HUSK_SEV_WARNING, "linux.namespaces", "no %s namespace: %s",
                        husk_ns_type_name(shared[i].type), shared[i].what);
}

static bool has_opt(const struct husk_mount *m, const char *o) { return strv_has(&m->options, o); }

static bool is_bind(const struct husk_mount *m) {
  return (m->type && strcmp(m->type, "bind") == 0) || has_opt(m, "bind") || has_opt(m, "rbind");
}

static bool path_is(const char *dest, const char *want) {
  _cleanup_free_ char *clean = husk_xasprintf("/%s", dest);
  /* "/sys", "sys", "/sys/" and "//sys" all name /sys */
  char *w = clean;
  for (char *r = clean; *r; r++)
    if (!(*r == '/' && (w > clean && w[-1] == '/')))
      *w++ = *r;
  *w = '\0';
  if (w - clean > 1 && w[-1] == '/')
    w[-1] = '\0';
  return strcmp(clean, want) == 0;
}

static void check_mounts(const struct husk_spec *spec, const char *bundle,
                         struct husk_findings *out) {
  bool proc_mounted = false;
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct husk_mount *m = &spec->mounts[i];
    if (m->destination == NULL)
      continue;
    char path[64];
    snprintf(path, sizeof path, "mounts[%zu]", i);
    bool ro = has_opt(m, "ro");
    if (path_is(m->destination, "/proc"))
      proc_mounted = true;
    if ((path_is(m->destination, "/sys") || path_is(m->destination, "/proc/sys")) && !ro)
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "%s is writable: the container can change kernel settings of the host "
                        "(add \"ro\" to options)",
                        m->destination);
    if (!is_bind(m) || m->source == NULL)
      continue;
    if (path_is(m->source, "/"))
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "binds the host's / into the container: every host file its user can "
                        "reach%s",
                        ro ? "" : ", writable");
    _cleanup_free_ char *src =
        m->source[0] == '/' ? husk_xstrdup(m->source) : husk_xasprintf("%s/%s", bundle, m->source);
    struct stat st;
    size_t n = strlen(src);
    if ((stat(src, &st) == 0 && S_ISSOCK(st.st_mode)) ||
        (n > 5 && strcmp(src + n - 5, ".sock") == 0))
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "binds the socket %s: whoever can talk to a daemon socket (docker.sock, "
                        "containerd.sock, ...) can usually start a privileged container, i.e. "
                        "owns the host",
                        m->source);
  }
  const struct husk_linux *l = &spec->linux_;
  if (proc_mounted && !strv_has(&l->readonly_paths, "/proc/sys"))
    husk_findings_add(out, HUSK_SEV_WARNING, "linux.readonlyPaths",
                      "/proc/sys is not read-only: the container can change the host's "
                      "non-namespaced sysctls (kernel.*, vm.*)");
  if (l->masked_paths.len == 0)
    husk_findings_add(out, HUSK_SEV_WARNING, "linux.maskedPaths",
                      "no masked paths: /proc/kcore, /proc/keys, /proc/timer_list, "
                      "/sys/firmware and the like are readable in the container");
}

static void check_devices(const struct husk_spec *spec, struct husk_findings *out) {
  const struct husk_resources *r = &spec->linux_.resources;
  for (size_t i = 0; i < r->devices_len; i++) {
    const struct husk_device_cgroup *d = &r->devices[i];
    bool any_major = !d->has_major || d->major == -1;
    bool any_minor = !d->has_minor || d->minor == -1;
    if (d->allow && d->type == 'a' && any_major && any_minor) {
      char path[64];
      snprintf(path, sizeof path, "linux.resources.devices[%zu]", i);
      husk_findings_add(out, HUSK_SEV_WARNING, path,
                        "allows every device: with a node for it (mknod needs CAP_MKNOD) the "
                        "container can read and write host disks and memory (/dev/sda, "
                        "/dev/mem)");
    }
  }
}

void husk_check_risk(const struct husk_spec *spec, const char *bundle, struct husk_findings *out) {
  if (spec->has_process)
    check_caps(spec, out);
  check_seccomp(spec, out);
  check_namespaces(spec, out);
  check_mounts(spec, bundle, out);
  check_devices(spec, out);
}
