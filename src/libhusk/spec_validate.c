/* husk — the MUSTs of config.md and config-linux.md that need no
 * filesystem: relations between fields, paths that must be absolute,
 * names that must be known.  The parser (spec.c) has already checked types,
 * ranges and the enums it translates. */
#include "config.h"

#include "husk/spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/capability.h>
#include <sys/stat.h>

#include "json.h"
#include "util.h"

#define TRY(expr)                                                                                  \
  do {                                                                                             \
    if ((expr) < 0)                                                                                \
      return -1;                                                                                   \
  } while (0)

struct vctx {
  const char *origin;
  husk_error_t *err;
};

/* "<origin>: <path>: <reason>", the caller formats path and reason.
 * Returns -1, or 0 when the error collects every finding (husk check): the
 * rule that failed ends and the validator goes on with the next one. */
__attribute__((format(printf, 2, 3))) static int fail(const struct vctx *c, const char *fmt, ...) {
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    abort();
  va_end(ap);
  husk_jfail(c->err, "%s: %s", c->origin, msg);
  return husk_error_collecting(c->err) ? 0 : -1;
}

/* A string quoted for a message, escaped and shortened like json.c does. */
static char *quote(const char *s) { return husk_jquote(s); }

static bool in_list(const char *s, const char *const *list) {
  for (; *list; list++)
    if (strcmp(*list, s) == 0)
      return true;
  return false;
}

static bool only_chars(const char *s, const char *allowed) { return s[strspn(s, allowed)] == '\0'; }

static int check_absolute(const struct vctx *c, const char *path, const char *value) {
  if (value == NULL || value[0] == '/') /* NULL: its parse error is recorded */
    return 0;
  _cleanup_free_ char *q = quote(value);
  return fail(c, "%s: must be an absolute path, got %s", path, q);
}

/* ---- ociVersion: SemVer 2.0.0 ----------------------------------------- */

static bool semver_numeric(const char **p) {
  const char *s = *p;
  if (!isdigit((unsigned char)*s))
    return false;
  if (*s == '0' && isdigit((unsigned char)s[1]))
    return false; /* no leading zeros */
  while (isdigit((unsigned char)*s))
    s++;
  *p = s;
  return true;
}

/* Dot-separated [0-9A-Za-z-]+ identifiers; numeric ones (prerelease only)
 * without leading zeros. */
static bool semver_idents(const char **p, bool prerelease) {
  const char *s = *p;
  for (;;) {
    const char *start = s;
    bool numeric = true;
    while (isalnum((unsigned char)*s) || *s == '-') {
      if (!isdigit((unsigned char)*s))
        numeric = false;
      s++;
    }
    if (s == start)
      return false;
    if (prerelease && numeric && *start == '0' && s - start > 1)
      return false;
    if (*s != '.')
      break;
    s++;
  }
  *p = s;
  return true;
}

static bool is_semver(const char *v) {
  const char *p = v;
  if (!semver_numeric(&p) || *p++ != '.' || !semver_numeric(&p) || *p++ != '.' ||
      !semver_numeric(&p))
    return false;
  if (*p == '-') {
    p++;
    if (!semver_idents(&p, true))
      return false;
  }
  if (*p == '+') {
    p++;
    if (!semver_idents(&p, false))
      return false;
  }
  return *p == '\0';
}

/* ---- pieces ----------------------------------------------------------- */

static int check_mappings(const struct vctx *c, const char *path, const struct husk_id_mapping *m,
                          size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (m[i].size == 0)
      return fail(c, "%s[%zu].size: must be greater than 0", path, i);
    /* The ranges must fit in the 32-bit id space on both sides. */
    if ((uint64_t)m[i].container_id + m[i].size > UINT64_C(1) << 32 ||
        (uint64_t)m[i].host_id + m[i].size > UINT64_C(1) << 32)
      return fail(c, "%s[%zu].size: range %u+%u does not fit in 32-bit ids", path, i,
                  m[i].container_id > m[i].host_id ? m[i].container_id : m[i].host_id, m[i].size);
  }
  return 0;
}

static bool has_option(const struct husk_strv *options, const char *name) {
  for (size_t i = 0; i < options->len; i++)
    if (strcmp(options->items[i], name) == 0)
      return true;
  return false;
}

static bool has_user_ns(const struct husk_spec *spec) {
  return husk_spec_find_ns(spec, HUSK_NS_USER) != NULL;
}

static int check_mount(const struct vctx *c, const struct husk_spec *spec, size_t i) {
  const struct husk_mount *m = &spec->mounts[i];
  char path[64];
  snprintf(path, sizeof path, "mounts[%zu]", i);
  /* A relative destination is allowed for old configs: it means "/<dest>". */
  if (m->destination != NULL && m->destination[0] == '\0')
    return fail(c, "%s.destination: must not be empty", path);
  bool bind = (m->type && strcmp(m->type, "bind") == 0) || has_option(&m->options, "bind") ||
              has_option(&m->options, "rbind");
  if (bind && (m->source == NULL || m->source[0] == '\0'))
    return fail(c, "%s.source: required for a bind mount", path);
  if (m->uid_mappings != NULL && m->gid_mappings == NULL)
    return fail(c, "%s.gidMappings: required together with uidMappings", path);
  if (m->gid_mappings != NULL && m->uid_mappings == NULL)
    return fail(c, "%s.uidMappings: required together with gidMappings", path);
  char sub[96];
  snprintf(sub, sizeof sub, "%s.uidMappings", path);
  TRY(check_mappings(c, sub, m->uid_mappings, m->uid_mappings_len));
  snprintf(sub, sizeof sub, "%s.gidMappings", path);
  TRY(check_mappings(c, sub, m->gid_mappings, m->gid_mappings_len));
  /* config.md, idmap/ridmap: with neither mappings nor a user namespace
   * there is nothing to map with, "an error MUST be returned". */
  for (size_t j = 0; j < m->options.len; j++) {
    const char *o = m->options.items[j];
    if ((strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) && m->uid_mappings == NULL &&
        !has_user_ns(spec))
      return fail(c,
                  "%s.options[%zu]: \"%s\" needs uidMappings and gidMappings or a user namespace",
                  path, j, o);
  }
  return 0;
}

static int check_caps(const struct vctx *c, const char *prefix, const char *set,
                      const struct husk_strv *names) {
  for (size_t i = 0; i < names->len; i++) {
    const char *name = names->items[i];
    cap_value_t cap;
    /* cap_from_name also takes "chown" and numbers; the spec spells CAP_*. */
    if (strncmp(name, "CAP_", 4) != 0 || !only_chars(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") ||
        cap_from_name(name, &cap) != 0) {
      _cleanup_free_ char *q = quote(name);
      TRY(fail(c, "%scapabilities.%s[%zu]: unknown capability %s", prefix, set, i, q));
    }
  }
  return 0;
}

static int check_cpu_list(const struct vctx *c, const char *path, const char *list) {
  if (list == NULL || only_chars(list, "0123456789, -"))
    return 0;
  _cleanup_free_ char *q = quote(list);
  return fail(c, "%s: invalid CPU list %s (expected e.g. \"0-3,7\")", path, q);
}

/* Everything about a process; `prefix` is "process." in config.json and ""
 * in a process.json. */
static int check_process(const struct vctx *c, const char *prefix, const struct husk_process *p) {
  char path[64];
  snprintf(path, sizeof path, "%scwd", prefix);
  TRY(check_absolute(c, path, p->cwd));

  for (size_t i = 0; i < p->rlimits_len; i++) {
    const struct husk_rlimit *r = &p->rlimits[i];
    for (size_t j = 0; j < i; j++)
      if (r->resource >= 0 && p->rlimits[j].resource == r->resource)
        TRY(fail(c, "%srlimits[%zu].type: duplicate rlimit \"%s\" (also %srlimits[%zu])", prefix, i,
                 r->type, prefix, j));
    if (r->soft > r->hard)
      TRY(fail(c, "%srlimits[%zu].soft: %llu is above the hard limit %llu", prefix, i,
               (unsigned long long)r->soft, (unsigned long long)r->hard));
  }

  /* (uid_t)-1 tells setresuid(2) "leave unchanged": run as it, the process
   * would stay root. */
  if (p->user.uid == UINT32_MAX)
    TRY(fail(c, "%suser.uid: 4294967295 is not a user ID ((uid_t)-1 leaves the uid unchanged)",
             prefix));
  if (p->user.gid == UINT32_MAX)
    TRY(fail(c, "%suser.gid: 4294967295 is not a group ID ((gid_t)-1 leaves the gid unchanged)",
             prefix));
  for (size_t i = 0; i < p->user.additional_gids_len; i++)
    if (p->user.additional_gids[i] == UINT32_MAX)
      TRY(fail(c, "%suser.additionalGids[%zu]: 4294967295 is not a group ID", prefix, i));

  if (p->has_capabilities) {
    const struct husk_capabilities *caps = &p->capabilities;
    TRY(check_caps(c, prefix, "bounding", &caps->bounding));
    TRY(check_caps(c, prefix, "effective", &caps->effective));
    TRY(check_caps(c, prefix, "inheritable", &caps->inheritable));
    TRY(check_caps(c, prefix, "permitted", &caps->permitted));
    TRY(check_caps(c, prefix, "ambient", &caps->ambient));
  }

  /* The kernel's range for oom_score_adj; anything else fails at write. */
  if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    TRY(fail(c, "%soomScoreAdj: must be between -1000 and 1000, got %d", prefix, p->oom_score_adj));

  if (p->has_io_priority && (p->io_priority.priority < 0 || p->io_priority.priority > 7))
    TRY(fail(c, "%sioPriority.priority: must be between 0 and 7, got %d", prefix,
             p->io_priority.priority));

  if (p->has_exec_cpu_affinity) {
    snprintf(path, sizeof path, "%sexecCPUAffinity.initial", prefix);
    TRY(check_cpu_list(c, path, p->exec_cpu_affinity.initial));
    snprintf(path, sizeof path, "%sexecCPUAffinity.final", prefix);
    TRY(check_cpu_list(c, path, p->exec_cpu_affinity.final));
  }
  return 0;
}

static int check_hooks(const struct vctx *c, const char *name, const struct husk_hook *h,
                       size_t len) {
  for (size_t i = 0; i < len; i++) {
    char path[64];
    snprintf(path, sizeof path, "hooks.%s[%zu].path", name, i);
    TRY(check_absolute(c, path, h[i].path));
    if (h[i].has_timeout && h[i].timeout <= 0)
      TRY(fail(c, "hooks.%s[%zu].timeout: must be greater than zero, got %lld", name, i,
               (long long)h[i].timeout));
  }
  return 0;
}

static int check_map_keys(const struct vctx *c, const char *path, const struct husk_kv *kv,
                          size_t len) {
  for (size_t i = 0; i < len; i++)
    if (kv[i].key[0] == '\0')
      TRY(fail(c, "%s[\"\"]: key must not be empty", path));
  return 0;
}

/* ---- linux ------------------------------------------------------------ */

static int check_namespaces(const struct vctx *c, const struct husk_spec *spec) {
  const struct husk_linux *l = &spec->linux_;
  for (size_t i = 0; i < l->namespaces_len; i++) {
    const struct husk_namespace *ns = &l->namespaces[i];
    for (size_t j = 0; j < i && ns->type < HUSK_NS_COUNT; j++)
      if (l->namespaces[j].type == ns->type)
        TRY(fail(c,
                 "linux.namespaces[%zu].type: duplicate namespace \"%s\" (also "
                 "linux.namespaces[%zu])",
                 i, husk_ns_type_name(ns->type), j));
    if (ns->path) {
      char path[64];
      snprintf(path, sizeof path, "linux.namespaces[%zu].path", i);
      TRY(check_absolute(c, path, ns->path));
    }
    /* A new user namespace with no mapping leaves every id unmapped; runc
     * refuses it too. */
    if (ns->type == HUSK_NS_USER && ns->path == NULL && l->uid_mappings_len == 0 &&
        l->gid_mappings_len == 0)
      TRY(fail(c,
               "linux.namespaces[%zu]: a new user namespace needs linux.uidMappings and "
               "linux.gidMappings",
               i));
  }
  if ((l->uid_mappings_len || l->gid_mappings_len) && !has_user_ns(spec))
    return fail(c, "linux.%s: set, but linux.namespaces has no user namespace",
                l->uid_mappings_len ? "uidMappings" : "gidMappings");
  TRY(check_mappings(c, "linux.uidMappings", l->uid_mappings, l->uid_mappings_len));
  TRY(check_mappings(c, "linux.gidMappings", l->gid_mappings, l->gid_mappings_len));
  return 0;
}

static int check_time_offset(const struct vctx *c, const char *clock,
                             const struct husk_time_offset *o) {
  if (o->set && o->nanosecs >= 1000000000u)
    return fail(c, "linux.timeOffsets.%s.nanosecs: must be below 1000000000, got %u", clock,
                o->nanosecs);
  return 0;
}

/* dev_valid_name() in the kernel: what a network interface may be called. */
static bool valid_ifname(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len >= 16 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return false;
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
      return false;
  return true;
}

static int check_net_devices(const struct vctx *c, const struct husk_linux *l) {
  for (size_t i = 0; i < l->net_devices_len; i++) {
    const struct husk_net_device *d = &l->net_devices[i];
    if (d->host_name == NULL)
      continue;
    _cleanup_free_ char *key = husk_jpath_key(d->host_name);
    if (!valid_ifname(d->host_name))
      TRY(fail(c, "linux.netDevices%s: invalid interface name", key));
    if (d->name && !valid_ifname(d->name)) {
      _cleanup_free_ char *q = quote(d->name);
      TRY(fail(c, "linux.netDevices%s.name: invalid interface name %s", key, q));
    }
  }
  return 0;
}

/* fileMode is a mode_t: engines write the file type bits too (podman:
 * 8576 = S_IFCHR|0600), as runc and crun accept; the node gets the
 * permission bits.  Refused: bits no mode_t has (above 0177777) and a file
 * type other than the entry's. */
static int check_device_file_mode(const struct vctx *c, size_t i, const struct husk_device *d) {
  if (!d->has_file_mode)
    return 0;
  if (d->file_mode > (S_IFMT | 07777))
    return fail(c,
                "linux.devices[%zu].fileMode: must be a file mode, at most 65535 (0177777), got %u",
                i, d->file_mode);
  mode_t fmt = d->file_mode & S_IFMT;
  mode_t want = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  if (fmt != 0 && fmt != want)
    return fail(c, "linux.devices[%zu].fileMode: file type bits 0%o do not match type \"%c\"", i,
                (unsigned)fmt, d->type);
  return 0;
}

static int check_devices(const struct vctx *c, const struct husk_linux *l) {
  for (size_t i = 0; i < l->devices_len; i++) {
    const struct husk_device *d = &l->devices[i];
    char path[64];
    snprintf(path, sizeof path, "linux.devices[%zu].path", i);
    TRY(check_absolute(c, path, d->path));
    TRY(check_device_file_mode(c, i, d));
    if (d->type != 'p' && (d->major < 0 || d->minor < 0))
      TRY(fail(c, "linux.devices[%zu].%s: must not be negative", i,
               d->major < 0 ? "major" : "minor"));
  }
  return 0;
}

/* "<number><K|M|G>B" with no leading zero: the schema's ^[1-9][0-9]*[KMG]B$. */
static bool valid_page_size(const char *s) {
  if (*s < '1' || *s > '9')
    return false;
  while (isdigit((unsigned char)*s))
    s++;
  return (s[0] == 'K' || s[0] == 'M' || s[0] == 'G') && s[1] == 'B' && s[2] == '\0';
}

static int check_resources(const struct vctx *c, const struct husk_resources *r) {
  for (size_t i = 0; i < r->devices_len; i++) {
    const struct husk_device_cgroup *d = &r->devices[i];
    if (d->access && (d->access[0] == '\0' || !only_chars(d->access, "rwm"))) {
      _cleanup_free_ char *q = quote(d->access);
      TRY(fail(c,
               "linux.resources.devices[%zu].access: invalid access %s (expected a "
               "combination of r, w and m)",
               i, q));
    }
    if ((d->has_major && d->major < -1) || (d->has_minor && d->minor < -1))
      TRY(fail(c, "linux.resources.devices[%zu].%s: must be -1 (any) or a device number", i,
               d->has_major && d->major < -1 ? "major" : "minor"));
  }
  if (r->has_memory && r->memory.has_swappiness && r->memory.swappiness > 100)
    TRY(fail(c, "linux.resources.memory.swappiness: must be between 0 and 100, got %llu",
             (unsigned long long)r->memory.swappiness));
  for (size_t i = 0; i < r->block_io.weight_device_len; i++) {
    const struct husk_block_io_device_weight *w = &r->block_io.weight_device[i];
    if (!w->has_weight && !w->has_leaf_weight)
      TRY(fail(c, "linux.resources.blockIO.weightDevice[%zu]: needs weight or leafWeight", i));
  }
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    const char *size = r->hugepage_limits[i].page_size;
    if (size != NULL && !valid_page_size(size)) {
      _cleanup_free_ char *q = quote(size);
      TRY(fail(c,
               "linux.resources.hugepageLimits[%zu].pageSize: invalid page size %s "
               "(expected e.g. \"64KB\", \"2MB\" or \"1GB\")",
               i, q));
    }
  }
  for (size_t i = 0; i < r->rdma_len; i++) {
    if (!r->rdma[i].has_hca_handles && !r->rdma[i].has_hca_objects) {
      _cleanup_free_ char *key = husk_jpath_key(r->rdma[i].device);
      TRY(fail(c, "linux.resources.rdma%s: needs hcaHandles or hcaObjects", key));
    }
  }
  for (size_t i = 0; i < r->unified_len; i++) {
    const char *file = r->unified[i].key;
    /* Each key names a file in the container's cgroup directory. */
    if (file[0] == '\0' || strchr(file, '/') != NULL || strcmp(file, ".") == 0 ||
        strcmp(file, "..") == 0) {
      _cleanup_free_ char *key = husk_jpath_key(file);
      TRY(fail(c, "linux.resources.unified%s: invalid cgroup file name", key));
    }
  }
  return 0;
}

static const char *const seccomp_archs[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64", NULL,
};

static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

static bool takes_errno(enum husk_seccomp_action a) {
  return a == HUSK_SCMP_ACT_ERRNO || a == HUSK_SCMP_ACT_TRACE;
}

static int check_seccomp(const struct vctx *c, const struct husk_seccomp *s) {
  for (size_t i = 0; i < s->architectures.len; i++) {
    if (!in_list(s->architectures.items[i], seccomp_archs)) {
      _cleanup_free_ char *q = quote(s->architectures.items[i]);
      TRY(fail(c, "linux.seccomp.architectures[%zu]: unknown seccomp architecture %s", i, q));
    }
  }
  for (size_t i = 0; i < s->flags.len; i++) {
    if (!in_list(s->flags.items[i], seccomp_flags)) {
      _cleanup_free_ char *q = quote(s->flags.items[i]);
      TRY(fail(c, "linux.seccomp.flags[%zu]: unknown seccomp flag %s", i, q));
    }
  }
  /* "When the action doesn't support an errno, the runtime MUST print and
   * error and fail." */
  if (s->has_default_errno_ret && !takes_errno(s->default_action))
    TRY(fail(c, "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or "
                "SCMP_ACT_TRACE"));
  if (s->listener_metadata && !s->listener_path)
    TRY(fail(c, "linux.seccomp.listenerMetadata: must not be set without listenerPath"));
  for (size_t i = 0; i < s->syscalls_len; i++) {
    const struct husk_seccomp_syscall *sc = &s->syscalls[i];
    if (sc->names.len == 0)
      TRY(fail(c, "linux.seccomp.syscalls[%zu].names: must not be empty", i));
    for (size_t j = 0; j < sc->names.len; j++)
      if (sc->names.items[j][0] == '\0')
        TRY(fail(c, "linux.seccomp.syscalls[%zu].names[%zu]: must not be empty", i, j));
    if (sc->has_errno_ret && !takes_errno(sc->action))
      TRY(fail(c,
               "linux.seccomp.syscalls[%zu].errnoRet: only valid with SCMP_ACT_ERRNO or "
               "SCMP_ACT_TRACE",
               i));
    for (size_t j = 0; j < sc->args_len; j++)
      if (sc->args[j].index >= 6) /* a syscall has six argument registers */
        TRY(fail(c, "linux.seccomp.syscalls[%zu].args[%zu].index: must be below 6, got %u", i, j,
                 sc->args[j].index));
  }
  return 0;
}

static int check_intel_rdt(const struct vctx *c, const struct husk_intel_rdt *rdt) {
  const char *clos = rdt->clos_id;
  /* closID names a directory under the resctrl mount; "/" is its root. */
  if (clos && strcmp(clos, "/") != 0 &&
      (clos[0] == '\0' || strchr(clos, '/') || strcmp(clos, ".") == 0 || strcmp(clos, "..") == 0 ||
       strchr(clos, '\n'))) {
    _cleanup_free_ char *q = quote(clos);
    return fail(c, "linux.intelRdt.closID: invalid name %s", q);
  }
  if (rdt->mem_bw_schema &&
      (strncmp(rdt->mem_bw_schema, "MB:", 3) != 0 || strchr(rdt->mem_bw_schema, '\n'))) {
    _cleanup_free_ char *q = quote(rdt->mem_bw_schema);
    return fail(c, "linux.intelRdt.memBwSchema: must start with \"MB:\" and be one line, got %s",
                q);
  }
  if (rdt->l3_cache_schema && strchr(rdt->l3_cache_schema, '\n'))
    return fail(c, "linux.intelRdt.l3CacheSchema: must be one line");
  for (size_t i = 0; i < rdt->schemata.len; i++)
    if (strchr(rdt->schemata.items[i], '\n'))
      return fail(c, "linux.intelRdt.schemata[%zu]: must be one line", i);
  return 0;
}

/* Values as in spec.c's table (set_mempolicy(2)). */
enum { MPOL_DEFAULT_ = 0, MPOL_PREFERRED_ = 1, MPOL_LOCAL_ = 4 };
#define MPOL_F_RELATIVE_NODES_ (1u << 14)
#define MPOL_F_STATIC_NODES_ (1u << 15)

static int check_memory_policy(const struct vctx *c, const struct husk_memory_policy *m) {
  bool has_nodes = m->nodes && m->nodes[0] != '\0';
  if (m->nodes && !only_chars(m->nodes, "0123456789,-")) {
    _cleanup_free_ char *q = quote(m->nodes);
    return fail(c, "linux.memoryPolicy.nodes: invalid node list %s (expected e.g. \"0-3,7\")", q);
  }
  /* set_mempolicy(2) fails with EINVAL on these combinations. */
  if ((m->mode == MPOL_DEFAULT_ || m->mode == MPOL_LOCAL_) && has_nodes)
    return fail(c, "linux.memoryPolicy.nodes: must be empty for %s",
                m->mode == MPOL_DEFAULT_ ? "MPOL_DEFAULT" : "MPOL_LOCAL");
  if (m->mode != MPOL_DEFAULT_ && m->mode != MPOL_LOCAL_ && m->mode != MPOL_PREFERRED_ &&
      !has_nodes)
    return fail(c, "linux.memoryPolicy.nodes: required for this mode");
  if ((m->flags & MPOL_F_RELATIVE_NODES_) && (m->flags & MPOL_F_STATIC_NODES_))
    return fail(c, "linux.memoryPolicy.flags: MPOL_F_RELATIVE_NODES and MPOL_F_STATIC_NODES "
                   "exclude each other");
  return 0;
}

static int check_linux(const struct vctx *c, const struct husk_spec *spec) {
  const struct husk_linux *l = &spec->linux_;
  TRY(check_namespaces(c, spec));
  TRY(check_time_offset(c, "boottime", &l->time_offset_boottime));
  TRY(check_time_offset(c, "monotonic", &l->time_offset_monotonic));
  TRY(check_devices(c, l));
  TRY(check_net_devices(c, l));
  if (l->has_resources)
    TRY(check_resources(c, &l->resources));
  if (l->has_seccomp)
    TRY(check_seccomp(c, &l->seccomp));
  TRY(check_map_keys(c, "linux.sysctl", l->sysctl, l->sysctl_len));
  for (size_t i = 0; i < l->masked_paths.len; i++) {
    char path[64];
    snprintf(path, sizeof path, "linux.maskedPaths[%zu]", i);
    TRY(check_absolute(c, path, l->masked_paths.items[i]));
  }
  for (size_t i = 0; i < l->readonly_paths.len; i++) {
    char path[64];
    snprintf(path, sizeof path, "linux.readonlyPaths[%zu]", i);
    TRY(check_absolute(c, path, l->readonly_paths.items[i]));
  }
  if (l->has_intel_rdt)
    TRY(check_intel_rdt(c, &l->intel_rdt));
  if (l->has_memory_policy)
    TRY(check_memory_policy(c, &l->memory_policy));
  /* config-linux.md: "Currently no flag values are supported." */
  if (l->has_personality && l->personality.flags.len > 0) {
    _cleanup_free_ char *q = quote(l->personality.flags.items[0]);
    return fail(c, "linux.personality.flags[0]: unsupported personality flag %s", q);
  }
  return 0;
}

/* ---- entry points ----------------------------------------------------- */

int husk_spec_validate(const struct husk_spec *spec, const char *origin, husk_error_t *err) {
  const struct vctx c = {.origin = origin, .err = err};
  if (spec->oci_version != NULL && !is_semver(spec->oci_version)) {
    _cleanup_free_ char *q = quote(spec->oci_version);
    TRY(fail(&c, "ociVersion: %s is not a SemVer 2.0.0 version", q));
  }
  if (spec->has_root && spec->root.path != NULL && spec->root.path[0] == '\0')
    TRY(fail(&c, "root.path: must not be empty"));
  for (size_t i = 0; i < spec->mounts_len; i++)
    TRY(check_mount(&c, spec, i));
  if (spec->has_process)
    TRY(check_process(&c, "process.", &spec->process));
  const struct husk_hooks *h = &spec->hooks;
  TRY(check_hooks(&c, "prestart", h->prestart, h->prestart_len));
  TRY(check_hooks(&c, "createRuntime", h->create_runtime, h->create_runtime_len));
  TRY(check_hooks(&c, "createContainer", h->create_container, h->create_container_len));
  TRY(check_hooks(&c, "startContainer", h->start_container, h->start_container_len));
  TRY(check_hooks(&c, "poststart", h->poststart, h->poststart_len));
  TRY(check_hooks(&c, "poststop", h->poststop, h->poststop_len));
  TRY(check_map_keys(&c, "annotations", spec->annotations, spec->annotations_len));
  if (spec->has_linux)
    TRY(check_linux(&c, spec));
  return 0;
}

int husk_spec_validate_for_create(const struct husk_spec *spec, const char *origin,
                                  husk_error_t *err) {
  const struct vctx c = {.origin = origin, .err = err};
  TRY(husk_spec_validate(spec, origin, err));
  if (!spec->has_root)
    TRY(fail(&c, "root: required field missing"));
  if (!spec->has_process)
    return fail(&c, "process: required field missing");
  if (spec->process.args.len == 0)
    return fail(&c, "process.args: must not be empty");
  return 0;
}

int husk_process_validate(const struct husk_process *process, const char *origin,
                          husk_error_t *err) {
  const struct vctx c = {.origin = origin, .err = err};
  return check_process(&c, "", process);
}
