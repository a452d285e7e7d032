/* husk — the systemd cgroup driver: transient units over D-Bus (see
 * cgroup_systemd.h).  The interface is systemd's org.freedesktop.systemd1
 * Manager object, as documented in org.freedesktop.systemd1(5). */
#include "cgroup_systemd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rootless.h"
#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* One (sv) entry of a property array, up to its value. */
static void prop(struct husk_dbus_writer *w, const char *name, const char *sig) {
  husk_dbus_struct_begin(w);
  husk_dbus_put_string(w, name);
  husk_dbus_put_signature(w, sig);
}

static void prop_u64(struct husk_dbus_writer *w, const char *name, uint64_t v) {
  prop(w, name, "t");
  husk_dbus_put_u64(w, v);
}

static void prop_bool(struct husk_dbus_writer *w, const char *name, bool v) {
  prop(w, name, "b");
  husk_dbus_put_bool(w, v);
}

static void prop_string(struct husk_dbus_writer *w, const char *name, const char *v) {
  prop(w, name, "s");
  husk_dbus_put_string(w, v);
}

/* The limits systemd can hold for the unit.  husk still writes the cgroup
 * files itself (cgroup.c); these make systemd agree, so that it does not
 * put its own values back when it re-applies unit settings. */
static void resource_props(struct husk_dbus_writer *w, const struct husk_resources *res) {
  if (res == NULL)
    return;
  if (res->has_memory && res->memory.has_limit && res->memory.limit != 0)
    prop_u64(w, "MemoryMax", res->memory.limit > 0 ? (uint64_t)res->memory.limit : UINT64_MAX);
  if (res->has_pids && res->pids_limit != 0)
    prop_u64(w, "TasksMax", res->pids_limit > 0 ? (uint64_t)res->pids_limit : UINT64_MAX);
  if (res->has_cpu && res->cpu.has_shares && res->cpu.shares > 0) {
    /* cpu.shares [2, 262144] onto cpu.weight [1, 10000], linearly: the
     * ends onto the ends. */
    uint64_t s = res->cpu.shares < 2 ? 2 : res->cpu.shares > 262144 ? 262144 : res->cpu.shares;
    prop_u64(w, "CPUWeight", 1 + ((s - 2) * 9999) / 262142);
  }
  if (res->has_cpu && res->cpu.has_quota && res->cpu.quota != 0) {
    uint64_t v = UINT64_MAX; /* quota -1: no limit */
    if (res->cpu.quota > 0) {
      uint64_t period = res->cpu.has_period && res->cpu.period > 0 ? res->cpu.period : 100000;
      v = (uint64_t)res->cpu.quota * 1000000 / period;
      /* systemd keeps the quota as a whole percentage of a CPU (10 ms per
       * second): round up, so that the unit never allows less than the
       * container's own cpu.max, which nested cgroups could not exceed. */
      v = (v + 9999) / 10000 * 10000;
    }
    prop_u64(w, "CPUQuotaPerSecUSec", v);
  }
}

void husk_systemd_start_body(struct husk_dbus_writer *w, const char *slice, const char *unit_name,
                             pid_t pid, const struct husk_resources *res) {
  bool scope = !ends_with(unit_name, ".slice");
  husk_dbus_put_string(w, unit_name);
  /* "replace": a queued stop job of a unit of that name gives way. */
  husk_dbus_put_string(w, "replace");
  struct husk_dbus_array props = husk_dbus_array_begin(w, 8);
  _cleanup_free_ char *desc = husk_xasprintf("husk container %s", unit_name);
  prop_string(w, "Description", desc);
  /* A slice's parent is implied by its name; only a scope is placed. */
  if (scope && slice && *slice)
    prop_string(w, "Slice", slice);
  if (scope) {
    /* Delegate: the cgroup below the scope is ours (runc does the same),
     * systemd does not touch its controllers or children. */
    prop_bool(w, "Delegate", true);
    prop(w, "PIDs", "au");
    struct husk_dbus_array pids = husk_dbus_array_begin(w, 4);
    husk_dbus_put_u32(w, (uint32_t)pid);
    husk_dbus_array_end(w, pids);
  }
  /* No implicit ordering against shutdown.target and friends: the
   * container's lifetime is its engine's business, not the boot's. */
  prop_bool(w, "DefaultDependencies", false);
  resource_props(w, res);
  husk_dbus_array_end(w, props);
  /* aux: no auxiliary units. */
  struct husk_dbus_array aux = husk_dbus_array_begin(w, 8);
  husk_dbus_array_end(w, aux);
}

/* Manager signals are sent only to subscribers (and, on a bus, only
 * through a match rule); ask for them before starting a job, or its
 * JobRemoved could be missed. */
static int subscribe(struct husk_dbus_conn *c, husk_error_t *err) {
  struct husk_dbus_msg reply;
  if (c->bus) {
    struct husk_dbus_writer w = {0};
    husk_dbus_put_string(&w, "type='signal',sender='" SD_DEST "',path='" SD_PATH
                             "',interface='" SD_MANAGER "',member='JobRemoved'");
    int r = husk_dbus_call(c, "D-Bus AddMatch for systemd's JobRemoved", "org.freedesktop.DBus",
                           "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s", &w,
                           HUSK_SYSTEMD_TIMEOUT_MS, &reply, NULL, err);
    husk_dbus_writer_free(&w);
    if (r < 0)
      return -1;
    husk_dbus_msg_free(&reply);
  }
  if (husk_dbus_call(c, "systemd Subscribe", SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL,
                     HUSK_SYSTEMD_TIMEOUT_MS, &reply, NULL, err) < 0)
    return -1;
  husk_dbus_msg_free(&reply);
  return 0;
}

/* Wait for JobRemoved(u id, o job, s unit, s result) of `job`. */
static int wait_job(struct husk_dbus_conn *c, const char *what, const char *unit, const char *job,
                    int timeout_ms, husk_error_t *err) {
  int64_t deadline = husk_dbus_now_ms() + timeout_ms;
  for (;;) {
    struct husk_dbus_msg m;
    husk_error_t e = {0};
    if (husk_dbus_next_signal(c, deadline, &m, &e) < 0) {
      if (e.errnum == ETIMEDOUT)
        husk_error_set_quiet(err, ETIMEDOUT, "%s %s: systemd job %s not done after %d ms", what,
                             unit, job, timeout_ms);
      else
        husk_error_set_quiet(err, e.errnum, "%s %s: waiting for job %s: %s", what, unit, job,
                             e.msg);
      husk_error_clear(&e);
      return -1;
    }
    bool match = m.member && strcmp(m.member, "JobRemoved") == 0 && m.interface &&
                 strcmp(m.interface, SD_MANAGER) == 0 && strcmp(m.signature, "uoss") == 0;
    uint32_t id;
    const char *path = NULL, *u = NULL, *result = NULL;
    struct husk_dbus_reader r;
    husk_dbus_reader_init(&r, &m);
    if (match &&
        (husk_dbus_get_u32(&r, &id, NULL) < 0 || husk_dbus_get_path(&r, &path, NULL) < 0 ||
         husk_dbus_get_string(&r, &u, NULL) < 0 || husk_dbus_get_string(&r, &result, NULL) < 0))
      match = false;
    if (match && strcmp(path, job) == 0) {
      int ret = 0;
      if (strcmp(result, "done") != 0)
        ret = husk_error_set_quiet(err, EIO, "%s %s: systemd job %s finished with result \"%s\"",
                                   what, unit, job, result);
      husk_dbus_msg_free(&m);
      return ret;
    }
    husk_dbus_msg_free(&m);
  }
}

/* Call a Manager method that returns a job path and wait for that job. */
static int run_job(struct husk_dbus_conn *c, const char *member, const char *signature,
                   const struct husk_dbus_writer *body, const char *unit, int timeout_ms,
                   char **error_name, husk_error_t *err) {
  _cleanup_free_ char *what = husk_xasprintf("systemd %s", member);
  _cleanup_free_ char *what_unit = husk_xasprintf("systemd %s %s", member, unit);
  struct husk_dbus_msg reply;
  if (husk_dbus_call(c, what_unit, SD_DEST, SD_PATH, SD_MANAGER, member, signature, body,
                     timeout_ms, &reply, error_name, err) < 0)
    return -1;
  struct husk_dbus_reader r;
  const char *job;
  husk_dbus_reader_init(&r, &reply);
  if (husk_dbus_get_path(&r, &job, err) < 0) {
    husk_dbus_msg_free(&reply);
    return husk_error_prefix(err, "%s", what_unit);
  }
  _cleanup_free_ char *job_copy = husk_xstrdup(job);
  husk_dbus_msg_free(&reply);
  return wait_job(c, what, unit, job_copy, timeout_ms, err);
}

static void reset_failed(struct husk_dbus_conn *c, const char *unit, int timeout_ms) {
  struct husk_dbus_writer w = {0};
  struct husk_dbus_msg reply;
  husk_dbus_put_string(&w, unit);
  if (husk_dbus_call(c, "systemd ResetFailedUnit", SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit",
                     "s", &w, timeout_ms, &reply, NULL, NULL) == 0)
    husk_dbus_msg_free(&reply);
  husk_dbus_writer_free(&w);
}

static int valid_unit(const char *unit_name, husk_error_t *err) {
  if (unit_name == NULL || (!ends_with(unit_name, ".scope") && !ends_with(unit_name, ".slice")) ||
      strchr(unit_name, '/'))
    return husk_error_set(err, EINVAL, "systemd unit name \"%s\" is neither a scope nor a slice",
                          unit_name ? unit_name : "");
  return 0;
}

int husk_systemd_start_scope_on(struct husk_dbus_conn *c, const char *slice, const char *unit_name,
                                pid_t pid, const struct husk_resources *res, int timeout_ms,
                                husk_error_t *err) {
  if (valid_unit(unit_name, err) < 0)
    return -1;
  if (subscribe(c, err) < 0)
    return husk_error_prefix(err, "start systemd unit %s", unit_name);
  struct husk_dbus_writer body = {0};
  husk_systemd_start_body(&body, slice, unit_name, pid, res);
  _cleanup_free_ char *error_name = NULL;
  husk_error_t first = {0};
  int r = run_job(c, "StartTransientUnit", "ssa(sv)a(sa(sv))", &body, unit_name, timeout_ms,
                  &error_name, &first);
  if (r < 0 && error_name && strcmp(error_name, "org.freedesktop.systemd1.UnitExists") == 0) {
    /* A unit of that name that failed earlier stays loaded until reset;
     * reset it and try once more (an active one still refuses). */
    reset_failed(c, unit_name, timeout_ms);
    husk_error_clear(&first);
    r = run_job(c, "StartTransientUnit", "ssa(sv)a(sa(sv))", &body, unit_name, timeout_ms, NULL,
                &first);
  }
  husk_dbus_writer_free(&body);
  if (r < 0) {
    husk_error_set_quiet(err, first.errnum, "%s", first.msg);
    husk_error_clear(&first);
  }
  return r;
}

int husk_systemd_stop_scope_on(struct husk_dbus_conn *c, const char *unit_name, int timeout_ms,
                               husk_error_t *err) {
  if (valid_unit(unit_name, err) < 0)
    return -1;
  if (subscribe(c, err) < 0)
    return husk_error_prefix(err, "stop systemd unit %s", unit_name);
  struct husk_dbus_writer body = {0};
  husk_dbus_put_string(&body, unit_name);
  husk_dbus_put_string(&body, "replace");
  _cleanup_free_ char *error_name = NULL;
  husk_error_t e = {0};
  int r = run_job(c, "StopUnit", "ss", &body, unit_name, timeout_ms, &error_name, &e);
  husk_dbus_writer_free(&body);
  if (r < 0 && error_name && strcmp(error_name, "org.freedesktop.systemd1.NoSuchUnit") == 0) {
    husk_error_clear(&e); /* gone already: what stop wanted */
    return 0;
  }
  if (r < 0) {
    husk_error_set_quiet(err, e.errnum, "%s", e.msg);
    husk_error_clear(&e);
    return -1;
  }
  /* A scope whose processes were killed may end "failed" and stay loaded
   * under its name; forget it so that the name can be used again. */
  reset_failed(c, unit_name, timeout_ms);
  return 0;
}

bool husk_systemd_user_manager(void) { return husk_rootless_detect(); }

/* root's units go to the system manager; a rootless caller's to its own
 * user manager (runc's choice too). */
static int connect_manager(struct husk_dbus_conn *c, husk_error_t *err) {
  if (husk_systemd_user_manager())
    return husk_dbus_connect_systemd_user(c, err);
  return husk_dbus_connect_systemd(c, err);
}

int husk_systemd_manager_cgroup_on(struct husk_dbus_conn *c, char **out, husk_error_t *err) {
  struct husk_dbus_writer body = {0};
  struct husk_dbus_msg reply;
  husk_dbus_put_string(&body, SD_MANAGER);
  husk_dbus_put_string(&body, "ControlGroup");
  int r = husk_dbus_call(c, "systemd Get ControlGroup", SD_DEST, SD_PATH,
                         "org.freedesktop.DBus.Properties", "Get", "ss", &body,
                         HUSK_SYSTEMD_TIMEOUT_MS, &reply, NULL, err);
  husk_dbus_writer_free(&body);
  if (r < 0)
    return -1;
  struct husk_dbus_reader rd;
  const char *cg;
  husk_dbus_reader_init(&rd, &reply);
  r = husk_dbus_get_variant_string(&rd, &cg, err);
  if (r == 0)
    *out = husk_xstrdup(cg);
  husk_dbus_msg_free(&reply);
  return r < 0 ? husk_error_prefix(err, "systemd Get ControlGroup") : 0;
}

int husk_systemd_manager_cgroup(char **out, husk_error_t *err) {
  struct husk_dbus_conn c;
  if (connect_manager(&c, err) < 0)
    return -1;
  int r = husk_systemd_manager_cgroup_on(&c, out, err);
  husk_dbus_close(&c);
  return r;
}

int husk_systemd_start_scope(const char *slice, const char *unit_name, pid_t pid,
                             const struct husk_resources *res, husk_error_t *err) {
  struct husk_dbus_conn c;
  if (connect_manager(&c, err) < 0)
    return husk_error_prefix(err, "start systemd unit %s", unit_name ? unit_name : "");
  int r = husk_systemd_start_scope_on(&c, slice, unit_name, pid, res, HUSK_SYSTEMD_TIMEOUT_MS, err);
  husk_dbus_close(&c);
  return r;
}

int husk_systemd_stop_scope(const char *unit_name, husk_error_t *err) {
  struct husk_dbus_conn c;
  if (connect_manager(&c, err) < 0)
    return husk_error_prefix(err, "stop systemd unit %s", unit_name ? unit_name : "");
  int r = husk_systemd_stop_scope_on(&c, unit_name, HUSK_SYSTEMD_TIMEOUT_MS, err);
  husk_dbus_close(&c);
  return r;
}
