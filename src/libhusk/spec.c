/* husk — config.json / process.json into struct husk_spec (see husk/spec.h).
 *
 * The parser checks shapes: types, ranges, required members and the
 * spelling of enums it has to translate.  Rules that relate fields to one
 * another live in spec_validate.c.  Unknown members are ignored, as the spec
 * demands, and so are the non-Linux sections (windows, solaris, vm, zos,
 * freebsd).  On error the half-built spec is freed as a whole, so every
 * array is attached to its parent before its items are parsed. */
#include "config.h"

#include "husk/spec.h"

#include <errno.h>
#include <libgen.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "json.h"
#include "util.h"

#define TRY(expr)                                                                                  \
  do {                                                                                             \
    if ((expr) < 0)                                                                                \
      return -1;                                                                                   \
  } while (0)

/* Kernel ABI values that older headers may lack. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- name tables ------------------------------------------------------ */

struct name_value {
  const char *name;
  long value;
};

static const char *const ns_names[HUSK_NS_COUNT] = {
    [HUSK_NS_MOUNT] = "mount",   [HUSK_NS_PID] = "pid",   [HUSK_NS_NETWORK] = "network",
    [HUSK_NS_UTS] = "uts",       [HUSK_NS_IPC] = "ipc",   [HUSK_NS_USER] = "user",
    [HUSK_NS_CGROUP] = "cgroup", [HUSK_NS_TIME] = "time",
};

static const int ns_flags[HUSK_NS_COUNT] = {
    [HUSK_NS_MOUNT] = CLONE_NEWNS,      [HUSK_NS_PID] = CLONE_NEWPID,
    [HUSK_NS_NETWORK] = CLONE_NEWNET,   [HUSK_NS_UTS] = CLONE_NEWUTS,
    [HUSK_NS_IPC] = CLONE_NEWIPC,       [HUSK_NS_USER] = CLONE_NEWUSER,
    [HUSK_NS_CGROUP] = CLONE_NEWCGROUP, [HUSK_NS_TIME] = CLONE_NEWTIME,
};

static const struct name_value rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
    {NULL, 0},
};

static const struct name_value ioprio_classes[] = {
    {"IOPRIO_CLASS_RT", 1},
    {"IOPRIO_CLASS_BE", 2},
    {"IOPRIO_CLASS_IDLE", 3},
    {NULL, 0},
};

/* sched(7) values; glibc lacks SCHED_ISO (reserved, 4) and the flags. */
static const struct name_value sched_policies[] = {
    {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},       {"SCHED_BATCH", 3},
    {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}, {NULL, 0},
};

static const struct name_value sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}, {NULL, 0},
};

/* set_mempolicy(2) values; linux/mempolicy.h is an enum and may be old. */
static const struct name_value mpol_modes[] = {
    {"MPOL_DEFAULT", 0},
    {"MPOL_PREFERRED", 1},
    {"MPOL_BIND", 2},
    {"MPOL_INTERLEAVE", 3},
    {"MPOL_LOCAL", 4},
    {"MPOL_PREFERRED_MANY", 5},
    {"MPOL_WEIGHTED_INTERLEAVE", 6},
    {NULL, 0},
};

static const struct name_value mpol_flags[] = {
    {"MPOL_F_NUMA_BALANCING", 1 << 13},
    {"MPOL_F_RELATIVE_NODES", 1 << 14},
    {"MPOL_F_STATIC_NODES", 1 << 15},
    {NULL, 0},
};

static const struct name_value personality_domains[] = {
    {"LINUX", PER_LINUX},
    {"LINUX32", PER_LINUX32},
    {NULL, 0},
};

/* runc also takes the recursive spellings; the schema lists the four. */
static const struct name_value propagations[] = {
    {"private", MS_PRIVATE},
    {"shared", MS_SHARED},
    {"slave", MS_SLAVE},
    {"unbindable", MS_UNBINDABLE},
    {"rprivate", MS_REC | MS_PRIVATE},
    {"rshared", MS_REC | MS_SHARED},
    {"rslave", MS_REC | MS_SLAVE},
    {"runbindable", MS_REC | MS_UNBINDABLE},
    {NULL, 0},
};

static const struct name_value seccomp_actions[] = {
    {"SCMP_ACT_KILL", HUSK_SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", HUSK_SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", HUSK_SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", HUSK_SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", HUSK_SCMP_ACT_ERRNO},
    {"SCMP_ACT_TRACE", HUSK_SCMP_ACT_TRACE},
    {"SCMP_ACT_ALLOW", HUSK_SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", HUSK_SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", HUSK_SCMP_ACT_NOTIFY},
    {NULL, 0},
};

/* enum scmp_compare of libseccomp.  <seccomp.h> is not included: the
 * library's own seccomp.h (src/libhusk) shadows it on the include path. */
static const struct name_value seccomp_ops[] = {
    {"SCMP_CMP_NE", 1}, {"SCMP_CMP_LT", 2}, {"SCMP_CMP_LE", 3},        {"SCMP_CMP_EQ", 4},
    {"SCMP_CMP_GE", 5}, {"SCMP_CMP_GT", 6}, {"SCMP_CMP_MASKED_EQ", 7}, {NULL, 0},
};

const char *husk_ns_type_name(enum husk_ns_type type) {
  return (unsigned)type < HUSK_NS_COUNT ? ns_names[type] : NULL;
}

int husk_ns_clone_flag(enum husk_ns_type type) {
  return (unsigned)type < HUSK_NS_COUNT ? ns_flags[type] : 0;
}

const struct husk_namespace *husk_spec_find_ns(const struct husk_spec *spec,
                                               enum husk_ns_type type) {
  for (size_t i = 0; i < spec->linux_.namespaces_len; i++)
    if (spec->linux_.namespaces[i].type == type)
      return &spec->linux_.namespaces[i];
  return NULL;
}

/* ---- generic helpers -------------------------------------------------- */

/* A section or item that failed to parse: -1, or when the error collects
 * (husk check) 0, "absent", so that the parser goes on to the next one. */
static int skip_or_fail(const struct husk_jnode *n) {
  return husk_error_collecting(n->err) ? 0 : -1;
}

static int parse_enum(const struct husk_jnode *n, const struct name_value *table, const char *what,
                      long *out) {
  _cleanup_free_ char *name = NULL;
  TRY(husk_jstr(n, &name));
  for (; table->name; table++) {
    if (strcmp(table->name, name) == 0) {
      *out = table->value;
      return 0;
    }
  }
  _cleanup_free_ char *shown = husk_jdescribe(n->v);
  return husk_jerror(n, "unknown %s %s", what, shown);
}

/* 1 stored, 0 absent, -1 error, like the husk_jget_* getters. */
static int get_enum(const struct husk_jnode *obj, const char *key, bool required,
                    const struct name_value *table, const char *what, long *out) {
  struct husk_jnode n = husk_jfield(obj, key);
  if (!husk_jpresent(&n))
    return required ? (husk_jmissing(&n), skip_or_fail(&n)) : 0;
  return parse_enum(&n, table, what, out) < 0 ? skip_or_fail(&n) : 1;
}

static int get_flags(const struct husk_jnode *obj, const char *key, const struct name_value *table,
                     const char *what, uint64_t *bits) {
  struct husk_jnode arr = husk_jfield(obj, key);
  size_t len = 0;
  if (!husk_jpresent(&arr))
    return 0;
  if (husk_jarray(&arr, &len) < 0)
    return skip_or_fail(&arr);
  for (size_t i = 0; i < len; i++) {
    struct husk_jnode item = husk_jitem(&arr, i);
    long bit = 0;
    if (parse_enum(&item, table, what, &bit) < 0 && skip_or_fail(&item) < 0)
      return -1;
    *bits |= (uint64_t)bit;
  }
  return 1;
}

/* Look up an optional object member; 1 when present (and an object). */
static int get_object(const struct husk_jnode *obj, const char *key, struct husk_jnode *out) {
  *out = husk_jfield(obj, key);
  if (!husk_jpresent(out))
    return 0;
  return husk_jobject(out, NULL) < 0 ? skip_or_fail(out) : 1;
}

typedef int (*item_parser)(const struct husk_jnode *n, void *item);

/* Parse an optional array of objects into a zeroed (items, len) pair that
 * is attached before the items are filled, so a failure frees cleanly. */
static int get_array(const struct husk_jnode *obj, const char *key, size_t size, item_parser fn,
                     void *items_out, size_t *len_out) {
  struct husk_jnode arr = husk_jfield(obj, key);
  size_t len = 0;
  if (!husk_jpresent(&arr))
    return 0;
  if (husk_jarray(&arr, &len) < 0)
    return skip_or_fail(&arr);
  char *items = husk_xcalloc(len, size);
  *(void **)items_out = items;
  *len_out = len;
  for (size_t i = 0; i < len; i++) {
    struct husk_jnode item = husk_jitem(&arr, i);
    if ((husk_jobject(&item, NULL) < 0 || fn(&item, items + i * size) < 0) &&
        skip_or_fail(&item) < 0)
      return -1;
  }
  return 1;
}

/* ---- shared pieces ---------------------------------------------------- */

static int parse_id_mapping(const struct husk_jnode *n, void *item) {
  struct husk_id_mapping *m = item;
  TRY(husk_jget_uint32(n, "containerID", true, &m->container_id));
  TRY(husk_jget_uint32(n, "hostID", true, &m->host_id));
  TRY(husk_jget_uint32(n, "size", true, &m->size));
  return 0;
}

static int parse_mount(const struct husk_jnode *n, void *item) {
  struct husk_mount *m = item;
  TRY(husk_jget_str(n, "destination", true, &m->destination));
  TRY(husk_jget_str(n, "source", false, &m->source));
  TRY(husk_jget_str(n, "type", false, &m->type));
  TRY(husk_jget_strv(n, "options", false, &m->options));
  TRY(get_array(n, "uidMappings", sizeof(struct husk_id_mapping), parse_id_mapping,
                &m->uid_mappings, &m->uid_mappings_len));
  TRY(get_array(n, "gidMappings", sizeof(struct husk_id_mapping), parse_id_mapping,
                &m->gid_mappings, &m->gid_mappings_len));
  return 0;
}

static int parse_hook(const struct husk_jnode *n, void *item) {
  struct husk_hook *h = item;
  TRY(husk_jget_str(n, "path", true, &h->path));
  TRY(husk_jget_strv(n, "args", false, &h->args));
  int r = husk_jget_strv(n, "env", false, &h->env);
  TRY(r);
  h->has_env = r;
  r = husk_jget_int64(n, "timeout", false, &h->timeout);
  TRY(r);
  h->has_timeout = r;
  return 0;
}

static int parse_hooks(const struct husk_jnode *n, struct husk_hooks *h) {
  const size_t sz = sizeof(struct husk_hook);
  TRY(get_array(n, "prestart", sz, parse_hook, &h->prestart, &h->prestart_len));
  TRY(get_array(n, "createRuntime", sz, parse_hook, &h->create_runtime, &h->create_runtime_len));
  TRY(get_array(n, "createContainer", sz, parse_hook, &h->create_container,
                &h->create_container_len));
  TRY(get_array(n, "startContainer", sz, parse_hook, &h->start_container, &h->start_container_len));
  TRY(get_array(n, "poststart", sz, parse_hook, &h->poststart, &h->poststart_len));
  TRY(get_array(n, "poststop", sz, parse_hook, &h->poststop, &h->poststop_len));
  return 0;
}

/* ---- process ---------------------------------------------------------- */

static int parse_rlimit(const struct husk_jnode *n, void *item) {
  struct husk_rlimit *r = item;
  struct husk_jnode type = husk_jfield(n, "type");
  long resource = 0;
  r->resource = -1; /* none, when husk check goes on past a bad type */
  TRY(husk_jget_str(n, "type", true, &r->type));
  if (r->type == NULL)
    return -1; /* already recorded (husk check goes on) */
  TRY(parse_enum(&type, rlimit_names, "rlimit", &resource));
  r->resource = (int)resource;
  TRY(husk_jget_uint64(n, "soft", true, &r->soft));
  TRY(husk_jget_uint64(n, "hard", true, &r->hard));
  return 0;
}

static int parse_user(const struct husk_jnode *n, struct husk_user *u) {
  /* uid and gid default to 0 like runc; the schema does not require them. */
  TRY(husk_jget_uint32(n, "uid", false, &u->uid));
  TRY(husk_jget_uint32(n, "gid", false, &u->gid));
  int r = husk_jget_uint32(n, "umask", false, &u->umask);
  TRY(r);
  u->has_umask = r;
  struct husk_jnode gids = husk_jfield(n, "additionalGids");
  if (husk_jpresent(&gids))
    TRY(husk_juint32v(&gids, &u->additional_gids, &u->additional_gids_len));
  TRY(husk_jget_str(n, "username", false, &u->username));
  return 0;
}

static int parse_capabilities(const struct husk_jnode *n, struct husk_capabilities *c) {
  int r;
  TRY(r = husk_jget_strv(n, "bounding", false, &c->bounding));
  c->has_bounding = r;
  TRY(r = husk_jget_strv(n, "effective", false, &c->effective));
  c->has_effective = r;
  TRY(r = husk_jget_strv(n, "inheritable", false, &c->inheritable));
  c->has_inheritable = r;
  TRY(r = husk_jget_strv(n, "permitted", false, &c->permitted));
  c->has_permitted = r;
  TRY(r = husk_jget_strv(n, "ambient", false, &c->ambient));
  c->has_ambient = r;
  return 0;
}

static int parse_scheduler(const struct husk_jnode *n, struct husk_scheduler *s) {
  long policy = 0;
  int r;
  TRY(get_enum(n, "policy", true, sched_policies, "scheduler policy", &policy));
  s->policy = (int)policy;
  TRY(husk_jget_str(n, "policy", true, &s->policy_name));
  TRY(r = husk_jget_int32(n, "nice", false, &s->nice));
  s->has_nice = r;
  TRY(r = husk_jget_int32(n, "priority", false, &s->priority));
  s->has_priority = r;
  TRY(get_flags(n, "flags", sched_flags, "scheduler flag", &s->flags));
  TRY(r = husk_jget_uint64(n, "runtime", false, &s->runtime));
  s->has_runtime = r;
  TRY(r = husk_jget_uint64(n, "deadline", false, &s->deadline));
  s->has_deadline = r;
  TRY(r = husk_jget_uint64(n, "period", false, &s->period));
  s->has_period = r;
  return 0;
}

static int parse_process(const struct husk_jnode *n, struct husk_process *p) {
  struct husk_jnode sub;
  int r;
  TRY(husk_jobject(n, NULL));
  TRY(husk_jget_bool(n, "terminal", false, &p->terminal));
  TRY(r = get_object(n, "consoleSize", &sub));
  if (r) {
    p->has_console_size = true;
    TRY(husk_jget_uint64(&sub, "height", true, &p->console_size.height));
    TRY(husk_jget_uint64(&sub, "width", true, &p->console_size.width));
  }
  TRY(r = get_object(n, "user", &sub));
  if (r)
    TRY(parse_user(&sub, &p->user));
  TRY(husk_jget_strv(n, "args", false, &p->args));
  TRY(husk_jget_str(n, "commandLine", false, &p->command_line));
  TRY(husk_jget_strv(n, "env", false, &p->env));
  TRY(husk_jget_str(n, "cwd", true, &p->cwd));
  TRY(r = get_object(n, "capabilities", &sub));
  if (r) {
    p->has_capabilities = true;
    TRY(parse_capabilities(&sub, &p->capabilities));
  }
  TRY(get_array(n, "rlimits", sizeof(struct husk_rlimit), parse_rlimit, &p->rlimits,
                &p->rlimits_len));
  TRY(husk_jget_bool(n, "noNewPrivileges", false, &p->no_new_privileges));
  TRY(husk_jget_str(n, "apparmorProfile", false, &p->apparmor_profile));
  int32_t oom = 0;
  TRY(r = husk_jget_int32(n, "oomScoreAdj", false, &oom));
  if (r) {
    p->has_oom_score_adj = true;
    p->oom_score_adj = oom;
  }
  TRY(husk_jget_str(n, "selinuxLabel", false, &p->selinux_label));
  TRY(r = get_object(n, "ioPriority", &sub));
  if (r) {
    long cls = 0;
    p->has_io_priority = true;
    TRY(get_enum(&sub, "class", true, ioprio_classes, "I/O priority class", &cls));
    p->io_priority.class_ = (int)cls;
    TRY(husk_jget_int32(&sub, "priority", false, &p->io_priority.priority));
  }
  TRY(r = get_object(n, "scheduler", &sub));
  if (r) {
    p->has_scheduler = true;
    TRY(parse_scheduler(&sub, &p->scheduler));
  }
  TRY(r = get_object(n, "execCPUAffinity", &sub));
  if (r) {
    p->has_exec_cpu_affinity = true;
    TRY(husk_jget_str(&sub, "initial", false, &p->exec_cpu_affinity.initial));
    TRY(husk_jget_str(&sub, "final", false, &p->exec_cpu_affinity.final));
  }
  return 0;
}

/* ---- linux.resources -------------------------------------------------- */

static int parse_device_cgroup(const struct husk_jnode *n, void *item) {
  struct husk_device_cgroup *d = item;
  int r;
  TRY(husk_jget_bool(n, "allow", true, &d->allow));
  _cleanup_free_ char *type = NULL;
  struct husk_jnode tn = husk_jfield(n, "type");
  TRY(r = husk_jget_str(n, "type", false, &type));
  d->type = 'a';
  if (r) {
    if (strcmp(type, "a") != 0 && strcmp(type, "c") != 0 && strcmp(type, "b") != 0) {
      _cleanup_free_ char *shown = husk_jdescribe(tn.v);
      return husk_jerror(&tn, "invalid device type %s (expected a, c or b)", shown);
    }
    d->type = type[0];
  }
  TRY(r = husk_jget_int64(n, "major", false, &d->major));
  d->has_major = r;
  TRY(r = husk_jget_int64(n, "minor", false, &d->minor));
  d->has_minor = r;
  TRY(husk_jget_str(n, "access", false, &d->access));
  return 0;
}

static int parse_memory(const struct husk_jnode *n, struct husk_memory *m) {
  int r;
  TRY(r = husk_jget_int64(n, "limit", false, &m->limit));
  m->has_limit = r;
  TRY(r = husk_jget_int64(n, "reservation", false, &m->reservation));
  m->has_reservation = r;
  TRY(r = husk_jget_int64(n, "swap", false, &m->swap));
  m->has_swap = r;
  TRY(r = husk_jget_int64(n, "kernel", false, &m->kernel));
  m->has_kernel = r;
  TRY(r = husk_jget_int64(n, "kernelTCP", false, &m->kernel_tcp));
  m->has_kernel_tcp = r;
  TRY(r = husk_jget_uint64(n, "swappiness", false, &m->swappiness));
  m->has_swappiness = r;
  TRY(r = husk_jget_bool(n, "disableOOMKiller", false, &m->disable_oom_killer));
  m->has_disable_oom_killer = r;
  TRY(r = husk_jget_bool(n, "useHierarchy", false, &m->use_hierarchy));
  m->has_use_hierarchy = r;
  TRY(r = husk_jget_bool(n, "checkBeforeUpdate", false, &m->check_before_update));
  m->has_check_before_update = r;
  return 0;
}

static int parse_cpu(const struct husk_jnode *n, struct husk_cpu *c) {
  int r;
  TRY(r = husk_jget_uint64(n, "shares", false, &c->shares));
  c->has_shares = r;
  TRY(r = husk_jget_int64(n, "quota", false, &c->quota));
  c->has_quota = r;
  TRY(r = husk_jget_uint64(n, "burst", false, &c->burst));
  c->has_burst = r;
  TRY(r = husk_jget_uint64(n, "period", false, &c->period));
  c->has_period = r;
  TRY(r = husk_jget_int64(n, "realtimeRuntime", false, &c->realtime_runtime));
  c->has_realtime_runtime = r;
  TRY(r = husk_jget_uint64(n, "realtimePeriod", false, &c->realtime_period));
  c->has_realtime_period = r;
  TRY(husk_jget_str(n, "cpus", false, &c->cpus));
  TRY(husk_jget_str(n, "mems", false, &c->mems));
  TRY(r = husk_jget_int64(n, "idle", false, &c->idle));
  c->has_idle = r;
  return 0;
}

static int parse_weight_device(const struct husk_jnode *n, void *item) {
  struct husk_block_io_device_weight *w = item;
  int r;
  TRY(husk_jget_int64(n, "major", true, &w->major));
  TRY(husk_jget_int64(n, "minor", true, &w->minor));
  TRY(r = husk_jget_uint16(n, "weight", false, &w->weight));
  w->has_weight = r;
  TRY(r = husk_jget_uint16(n, "leafWeight", false, &w->leaf_weight));
  w->has_leaf_weight = r;
  return 0;
}

static int parse_throttle_device(const struct husk_jnode *n, void *item) {
  struct husk_block_io_device_throttle *t = item;
  TRY(husk_jget_int64(n, "major", true, &t->major));
  TRY(husk_jget_int64(n, "minor", true, &t->minor));
  TRY(husk_jget_uint64(n, "rate", true, &t->rate));
  return 0;
}

static int parse_block_io(const struct husk_jnode *n, struct husk_block_io *b) {
  const size_t tsz = sizeof(struct husk_block_io_device_throttle);
  int r;
  TRY(r = husk_jget_uint16(n, "weight", false, &b->weight));
  b->has_weight = r;
  TRY(r = husk_jget_uint16(n, "leafWeight", false, &b->leaf_weight));
  b->has_leaf_weight = r;
  TRY(get_array(n, "weightDevice", sizeof(struct husk_block_io_device_weight), parse_weight_device,
                &b->weight_device, &b->weight_device_len));
  TRY(get_array(n, "throttleReadBpsDevice", tsz, parse_throttle_device,
                &b->throttle_read_bps_device, &b->throttle_read_bps_device_len));
  TRY(get_array(n, "throttleWriteBpsDevice", tsz, parse_throttle_device,
                &b->throttle_write_bps_device, &b->throttle_write_bps_device_len));
  TRY(get_array(n, "throttleReadIOPSDevice", tsz, parse_throttle_device,
                &b->throttle_read_iops_device, &b->throttle_read_iops_device_len));
  TRY(get_array(n, "throttleWriteIOPSDevice", tsz, parse_throttle_device,
                &b->throttle_write_iops_device, &b->throttle_write_iops_device_len));
  return 0;
}

static int parse_hugepage_limit(const struct husk_jnode *n, void *item) {
  struct husk_hugepage_limit *h = item;
  TRY(husk_jget_str(n, "pageSize", true, &h->page_size));
  TRY(husk_jget_uint64(n, "limit", true, &h->limit));
  return 0;
}

static int parse_net_priority(const struct husk_jnode *n, void *item) {
  struct husk_net_priority *p = item;
  TRY(husk_jget_str(n, "name", true, &p->name));
  TRY(husk_jget_uint32(n, "priority", true, &p->priority));
  return 0;
}

static int parse_rdma(const struct husk_jnode *n, struct husk_resources *res) {
  size_t len = 0;
  TRY(husk_jobject(n, &len));
  res->rdma = husk_xcalloc(len, sizeof(*res->rdma));
  res->rdma_len = len;
  for (size_t i = 0; i < len; i++) {
    struct husk_jnode m = husk_jmember(n, i);
    struct husk_rdma *r = &res->rdma[i];
    int got;
    r->device = husk_xstrdup(m.key);
    TRY(husk_jobject(&m, NULL));
    TRY(got = husk_jget_uint32(&m, "hcaHandles", false, &r->hca_handles));
    r->has_hca_handles = got;
    TRY(got = husk_jget_uint32(&m, "hcaObjects", false, &r->hca_objects));
    r->has_hca_objects = got;
  }
  return 0;
}

static int parse_resources(const struct husk_jnode *n, struct husk_resources *res) {
  struct husk_jnode sub;
  int r;
  TRY(get_array(n, "devices", sizeof(struct husk_device_cgroup), parse_device_cgroup, &res->devices,
                &res->devices_len));
  TRY(r = get_object(n, "memory", &sub));
  if (r) {
    res->has_memory = true;
    TRY(parse_memory(&sub, &res->memory));
  }
  TRY(r = get_object(n, "cpu", &sub));
  if (r) {
    res->has_cpu = true;
    TRY(parse_cpu(&sub, &res->cpu));
  }
  TRY(r = get_object(n, "pids", &sub));
  if (r) {
    res->has_pids = true;
    TRY(husk_jget_int64(&sub, "limit", true, &res->pids_limit));
  }
  TRY(r = get_object(n, "blockIO", &sub));
  if (r) {
    res->has_block_io = true;
    TRY(parse_block_io(&sub, &res->block_io));
  }
  TRY(get_array(n, "hugepageLimits", sizeof(struct husk_hugepage_limit), parse_hugepage_limit,
                &res->hugepage_limits, &res->hugepage_limits_len));
  TRY(r = get_object(n, "network", &sub));
  if (r) {
    int got;
    res->has_network = true;
    TRY(got = husk_jget_uint32(&sub, "classID", false, &res->network.class_id));
    res->network.has_class_id = got;
    TRY(get_array(&sub, "priorities", sizeof(struct husk_net_priority), parse_net_priority,
                  &res->network.priorities, &res->network.priorities_len));
  }
  sub = husk_jfield(n, "rdma");
  if (husk_jpresent(&sub))
    TRY(parse_rdma(&sub, res));
  TRY(husk_jget_strmap(n, "unified", false, &res->unified, &res->unified_len));
  return 0;
}

/* ---- linux.seccomp ---------------------------------------------------- */

static int parse_syscall_arg(const struct husk_jnode *n, void *item) {
  struct husk_seccomp_arg *a = item;
  long op = 0;
  TRY(husk_jget_uint32(n, "index", true, &a->index));
  TRY(husk_jget_uint64(n, "value", true, &a->value));
  TRY(husk_jget_uint64(n, "valueTwo", false, &a->value_two));
  TRY(get_enum(n, "op", true, seccomp_ops, "seccomp operator", &op));
  a->op = (int)op;
  return 0;
}

static int parse_syscall(const struct husk_jnode *n, void *item) {
  struct husk_seccomp_syscall *s = item;
  long action = 0;
  int r;
  TRY(husk_jget_strv(n, "names", true, &s->names));
  TRY(get_enum(n, "action", true, seccomp_actions, "seccomp action", &action));
  s->action = (enum husk_seccomp_action)action;
  TRY(r = husk_jget_uint32(n, "errnoRet", false, &s->errno_ret));
  s->has_errno_ret = r;
  TRY(get_array(n, "args", sizeof(struct husk_seccomp_arg), parse_syscall_arg, &s->args,
                &s->args_len));
  return 0;
}

static int parse_seccomp(const struct husk_jnode *n, struct husk_seccomp *s) {
  long action = 0;
  int r;
  TRY(get_enum(n, "defaultAction", true, seccomp_actions, "seccomp action", &action));
  s->default_action = (enum husk_seccomp_action)action;
  TRY(r = husk_jget_uint32(n, "defaultErrnoRet", false, &s->default_errno_ret));
  s->has_default_errno_ret = r;
  TRY(husk_jget_strv(n, "architectures", false, &s->architectures));
  TRY(husk_jget_strv(n, "flags", false, &s->flags));
  TRY(husk_jget_str(n, "listenerPath", false, &s->listener_path));
  TRY(husk_jget_str(n, "listenerMetadata", false, &s->listener_metadata));
  TRY(get_array(n, "syscalls", sizeof(struct husk_seccomp_syscall), parse_syscall, &s->syscalls,
                &s->syscalls_len));
  return 0;
}

/* ---- linux ------------------------------------------------------------ */

static int parse_namespace(const struct husk_jnode *n, void *item) {
  struct husk_namespace *ns = item;
  struct husk_jnode type = husk_jfield(n, "type");
  ns->type = HUSK_NS_COUNT; /* none, when husk check goes on past a bad type */
  if (!husk_jpresent(&type))
    return husk_jmissing(&type);
  _cleanup_free_ char *name = NULL;
  TRY(husk_jstr(&type, &name));
  for (int t = 0; t < HUSK_NS_COUNT; t++) {
    if (strcmp(ns_names[t], name) == 0) {
      ns->type = (enum husk_ns_type)t;
      return husk_jget_str(n, "path", false, &ns->path) < 0 ? -1 : 0;
    }
  }
  _cleanup_free_ char *shown = husk_jdescribe(type.v);
  return husk_jerror(&type, "unknown namespace %s", shown);
}

static int parse_device(const struct husk_jnode *n, void *item) {
  struct husk_device *d = item;
  struct husk_jnode tn = husk_jfield(n, "type");
  _cleanup_free_ char *type = NULL;
  int r;
  TRY(husk_jget_str(n, "type", true, &type));
  if (type == NULL)
    return -1; /* already recorded (husk check goes on) */
  if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL) {
    _cleanup_free_ char *shown = husk_jdescribe(tn.v);
    return husk_jerror(&tn, "invalid device type %s (expected c, b, u or p)", shown);
  }
  d->type = type[0];
  TRY(husk_jget_str(n, "path", true, &d->path));
  /* Only fifos ("p") have no device numbers. */
  TRY(husk_jget_int64(n, "major", d->type != 'p', &d->major));
  TRY(husk_jget_int64(n, "minor", d->type != 'p', &d->minor));
  TRY(r = husk_jget_uint32(n, "fileMode", false, &d->file_mode));
  d->has_file_mode = r;
  TRY(r = husk_jget_uint32(n, "uid", false, &d->uid));
  d->has_uid = r;
  TRY(r = husk_jget_uint32(n, "gid", false, &d->gid));
  d->has_gid = r;
  return 0;
}

static int parse_net_devices(const struct husk_jnode *n, struct husk_linux *l) {
  size_t len = 0;
  TRY(husk_jobject(n, &len));
  l->net_devices = husk_xcalloc(len, sizeof(*l->net_devices));
  l->net_devices_len = len;
  for (size_t i = 0; i < len; i++) {
    struct husk_jnode m = husk_jmember(n, i);
    l->net_devices[i].host_name = husk_xstrdup(m.key);
    TRY(husk_jobject(&m, NULL));
    TRY(husk_jget_str(&m, "name", false, &l->net_devices[i].name));
  }
  return 0;
}

static int parse_time_offsets(const struct husk_jnode *n, struct husk_linux *l) {
  size_t len = 0;
  TRY(husk_jobject(n, &len));
  for (size_t i = 0; i < len; i++) {
    struct husk_jnode m = husk_jmember(n, i);
    struct husk_time_offset *o;
    if (strcmp(m.key, "boottime") == 0)
      o = &l->time_offset_boottime;
    else if (strcmp(m.key, "monotonic") == 0)
      o = &l->time_offset_monotonic;
    else
      return husk_jerror(&m, "unknown clock (only boottime and monotonic have offsets)");
    TRY(husk_jobject(&m, NULL));
    o->set = true;
    TRY(husk_jget_int64(&m, "secs", false, &o->secs));
    TRY(husk_jget_uint32(&m, "nanosecs", false, &o->nanosecs));
  }
  return 0;
}

static int parse_memory_policy(const struct husk_jnode *n, struct husk_memory_policy *m) {
  long mode = 0;
  uint64_t flags = 0;
  TRY(get_enum(n, "mode", true, mpol_modes, "memory policy mode", &mode));
  m->mode = (int)mode;
  TRY(husk_jget_str(n, "nodes", false, &m->nodes));
  TRY(get_flags(n, "flags", mpol_flags, "memory policy flag", &flags));
  m->flags = (unsigned)flags;
  return 0;
}

static int parse_linux(const struct husk_jnode *n, struct husk_linux *l) {
  const size_t msz = sizeof(struct husk_id_mapping);
  struct husk_jnode sub;
  int r;
  TRY(husk_jobject(n, NULL));
  TRY(get_array(n, "namespaces", sizeof(struct husk_namespace), parse_namespace, &l->namespaces,
                &l->namespaces_len));
  TRY(get_array(n, "uidMappings", msz, parse_id_mapping, &l->uid_mappings, &l->uid_mappings_len));
  TRY(get_array(n, "gidMappings", msz, parse_id_mapping, &l->gid_mappings, &l->gid_mappings_len));
  sub = husk_jfield(n, "timeOffsets");
  if (husk_jpresent(&sub))
    TRY(parse_time_offsets(&sub, l));
  TRY(get_array(n, "devices", sizeof(struct husk_device), parse_device, &l->devices,
                &l->devices_len));
  sub = husk_jfield(n, "netDevices");
  if (husk_jpresent(&sub))
    TRY(parse_net_devices(&sub, l));
  TRY(husk_jget_str(n, "cgroupsPath", false, &l->cgroups_path));
  TRY(r = get_object(n, "resources", &sub));
  if (r) {
    l->has_resources = true;
    TRY(parse_resources(&sub, &l->resources));
  }
  long prop = 0;
  TRY(r = get_enum(n, "rootfsPropagation", false, propagations, "rootfs propagation", &prop));
  if (r) {
    l->rootfs_propagation_flags = (unsigned long)prop;
    TRY(husk_jget_str(n, "rootfsPropagation", false, &l->rootfs_propagation));
  }
  TRY(r = get_object(n, "seccomp", &sub));
  if (r) {
    l->has_seccomp = true;
    TRY(parse_seccomp(&sub, &l->seccomp));
  }
  TRY(husk_jget_strmap(n, "sysctl", false, &l->sysctl, &l->sysctl_len));
  TRY(r = husk_jget_strv(n, "maskedPaths", false, &l->masked_paths));
  l->has_masked_paths = r;
  TRY(r = husk_jget_strv(n, "readonlyPaths", false, &l->readonly_paths));
  l->has_readonly_paths = r;
  TRY(husk_jget_str(n, "mountLabel", false, &l->mount_label));
  TRY(r = get_object(n, "intelRdt", &sub));
  if (r) {
    struct husk_intel_rdt *rdt = &l->intel_rdt;
    l->has_intel_rdt = true;
    TRY(husk_jget_str(&sub, "closID", false, &rdt->clos_id));
    TRY(husk_jget_strv(&sub, "schemata", false, &rdt->schemata));
    TRY(husk_jget_str(&sub, "l3CacheSchema", false, &rdt->l3_cache_schema));
    TRY(husk_jget_str(&sub, "memBwSchema", false, &rdt->mem_bw_schema));
    TRY(husk_jget_bool(&sub, "enableMonitoring", false, &rdt->enable_monitoring));
  }
  TRY(r = get_object(n, "memoryPolicy", &sub));
  if (r) {
    l->has_memory_policy = true;
    TRY(parse_memory_policy(&sub, &l->memory_policy));
  }
  TRY(r = get_object(n, "personality", &sub));
  if (r) {
    long persona = 0;
    l->has_personality = true;
    TRY(get_enum(&sub, "domain", true, personality_domains, "personality domain", &persona));
    l->personality.persona = (unsigned long)persona;
    TRY(husk_jget_str(&sub, "domain", true, &l->personality.domain));
    TRY(husk_jget_strv(&sub, "flags", false, &l->personality.flags));
  }
  return 0;
}

/* ---- the document ----------------------------------------------------- */

static int parse_spec(const struct husk_jnode *doc, struct husk_spec *s) {
  struct husk_jnode sub;
  int r;
  TRY(husk_jobject(doc, NULL));
  TRY(husk_jget_str(doc, "ociVersion", true, &s->oci_version));
  TRY(r = get_object(doc, "root", &sub));
  if (r) {
    s->has_root = true;
    TRY(husk_jget_str(&sub, "path", true, &s->root.path));
    TRY(husk_jget_bool(&sub, "readonly", false, &s->root.readonly));
  }
  TRY(get_array(doc, "mounts", sizeof(struct husk_mount), parse_mount, &s->mounts, &s->mounts_len));
  sub = husk_jfield(doc, "process");
  if (husk_jpresent(&sub)) {
    s->has_process = true;
    TRY(parse_process(&sub, &s->process));
  }
  TRY(husk_jget_str(doc, "hostname", false, &s->hostname));
  TRY(husk_jget_str(doc, "domainname", false, &s->domainname));
  TRY(r = get_object(doc, "hooks", &sub));
  if (r) {
    s->has_hooks = true;
    TRY(parse_hooks(&sub, &s->hooks));
  }
  TRY(husk_jget_strmap(doc, "annotations", false, &s->annotations, &s->annotations_len));
  sub = husk_jfield(doc, "linux");
  if (husk_jpresent(&sub)) {
    s->has_linux = true;
    TRY(parse_linux(&sub, &s->linux_));
  }
  return 0;
}

int husk_spec_parse(const char *json, size_t len, const char *origin, struct husk_spec **out,
                    husk_error_t *err) {
  yajl_val tree = NULL;
  TRY(husk_json_parse(json, len, origin, &tree, err));
  struct husk_spec *spec = husk_xcalloc(1, sizeof(*spec));
  struct husk_jnode doc = husk_jroot(tree, origin, err);
  int r = parse_spec(&doc, spec);
  yajl_tree_free(tree);
  if (r == 0)
    r = husk_spec_validate(spec, origin, err);
  if (r < 0) {
    husk_spec_free(spec);
    return -1;
  }
  *out = spec;
  return 0;
}

int husk_spec_load(const char *path, struct husk_spec **out, husk_error_t *err) {
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  TRY(husk_read_file(path, HUSK_CONFIG_MAX_SIZE, &data, &len, err));
  _cleanup_free_ char *copy = husk_xstrdup(path);
  return husk_spec_parse(data, len, basename(copy), out, err);
}

int husk_process_parse(const char *json, size_t len, const char *origin, struct husk_process **out,
                       husk_error_t *err) {
  yajl_val tree = NULL;
  TRY(husk_json_parse(json, len, origin, &tree, err));
  struct husk_process *p = husk_xcalloc(1, sizeof(*p));
  struct husk_jnode doc = husk_jroot(tree, origin, err);
  int r = parse_process(&doc, p);
  yajl_tree_free(tree);
  if (r == 0)
    r = husk_process_validate(p, origin, err);
  if (r == 0 && p->args.len == 0)
    r = husk_jfail(err, "%s: args: must not be empty", origin);
  if (r < 0) {
    husk_process_free(p);
    return -1;
  }
  *out = p;
  return 0;
}

/* ---- freeing ---------------------------------------------------------- */

static void free_hook_list(struct husk_hook *h, size_t len) {
  for (size_t i = 0; i < len; i++) {
    free(h[i].path);
    husk_strv_free(&h[i].args);
    husk_strv_free(&h[i].env);
  }
  free(h);
}

static void free_process_fields(struct husk_process *p) {
  free(p->user.additional_gids);
  free(p->user.username);
  husk_strv_free(&p->args);
  free(p->command_line);
  husk_strv_free(&p->env);
  free(p->cwd);
  husk_strv_free(&p->capabilities.bounding);
  husk_strv_free(&p->capabilities.effective);
  husk_strv_free(&p->capabilities.inheritable);
  husk_strv_free(&p->capabilities.permitted);
  husk_strv_free(&p->capabilities.ambient);
  for (size_t i = 0; i < p->rlimits_len; i++)
    free(p->rlimits[i].type);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  free(p->scheduler.policy_name);
  free(p->exec_cpu_affinity.initial);
  free(p->exec_cpu_affinity.final);
}

void husk_process_free(struct husk_process *process) {
  if (process == NULL)
    return;
  free_process_fields(process);
  free(process);
}

static void free_resources(struct husk_resources *r) {
  for (size_t i = 0; i < r->devices_len; i++)
    free(r->devices[i].access);
  free(r->devices);
  free(r->cpu.cpus);
  free(r->cpu.mems);
  free(r->block_io.weight_device);
  free(r->block_io.throttle_read_bps_device);
  free(r->block_io.throttle_write_bps_device);
  free(r->block_io.throttle_read_iops_device);
  free(r->block_io.throttle_write_iops_device);
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    free(r->hugepage_limits[i].page_size);
  free(r->hugepage_limits);
  for (size_t i = 0; i < r->network.priorities_len; i++)
    free(r->network.priorities[i].name);
  free(r->network.priorities);
  for (size_t i = 0; i < r->rdma_len; i++)
    free(r->rdma[i].device);
  free(r->rdma);
  husk_kv_free(r->unified, r->unified_len);
}

static void free_seccomp(struct husk_seccomp *s) {
  husk_strv_free(&s->architectures);
  husk_strv_free(&s->flags);
  free(s->listener_path);
  free(s->listener_metadata);
  for (size_t i = 0; i < s->syscalls_len; i++) {
    husk_strv_free(&s->syscalls[i].names);
    free(s->syscalls[i].args);
  }
  free(s->syscalls);
}

static void free_linux(struct husk_linux *l) {
  for (size_t i = 0; i < l->namespaces_len; i++)
    free(l->namespaces[i].path);
  free(l->namespaces);
  free(l->uid_mappings);
  free(l->gid_mappings);
  for (size_t i = 0; i < l->devices_len; i++)
    free(l->devices[i].path);
  free(l->devices);
  for (size_t i = 0; i < l->net_devices_len; i++) {
    free(l->net_devices[i].host_name);
    free(l->net_devices[i].name);
  }
  free(l->net_devices);
  free(l->cgroups_path);
  free_resources(&l->resources);
  free(l->rootfs_propagation);
  free_seccomp(&l->seccomp);
  husk_kv_free(l->sysctl, l->sysctl_len);
  husk_strv_free(&l->masked_paths);
  husk_strv_free(&l->readonly_paths);
  free(l->mount_label);
  free(l->intel_rdt.clos_id);
  husk_strv_free(&l->intel_rdt.schemata);
  free(l->intel_rdt.l3_cache_schema);
  free(l->intel_rdt.mem_bw_schema);
  free(l->memory_policy.nodes);
  free(l->personality.domain);
  husk_strv_free(&l->personality.flags);
}

void husk_spec_free(struct husk_spec *spec) {
  if (spec == NULL)
    return;
  free(spec->oci_version);
  free(spec->root.path);
  for (size_t i = 0; i < spec->mounts_len; i++) {
    struct husk_mount *m = &spec->mounts[i];
    free(m->destination);
    free(m->source);
    free(m->type);
    husk_strv_free(&m->options);
    free(m->uid_mappings);
    free(m->gid_mappings);
  }
  free(spec->mounts);
  free_process_fields(&spec->process);
  free(spec->hostname);
  free(spec->domainname);
  free_hook_list(spec->hooks.prestart, spec->hooks.prestart_len);
  free_hook_list(spec->hooks.create_runtime, spec->hooks.create_runtime_len);
  free_hook_list(spec->hooks.create_container, spec->hooks.create_container_len);
  free_hook_list(spec->hooks.start_container, spec->hooks.start_container_len);
  free_hook_list(spec->hooks.poststart, spec->hooks.poststart_len);
  free_hook_list(spec->hooks.poststop, spec->hooks.poststop_len);
  husk_kv_free(spec->annotations, spec->annotations_len);
  free_linux(&spec->linux_);
  free(spec);
}
