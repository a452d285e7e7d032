/* husk — pause/resume, update, ps and events on a container's cgroup (see
 * container_ops.h).  Every operation opens the container the way the other
 * lifecycle commands do (id check, flock on the state directory, state.json,
 * status refreshed from /proc) and reopens its cgroup from state.json's
 * cgroup_path; the cgroup files themselves are cgroup.c's business. */
#include "config.h"

#include "container_ops.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "husk/state.h"
#include "json.h"
#include "rootless.h"
#include "util.h"

/* Must match container.c: `start` removes it, so its presence tells a
 * container that was never started. */
#define EXEC_FIFO "exec.fifo"
#define CONFIG_COPY "config.json"

/* ---- opening a container ------------------------------------------------ */

struct opened {
  int lock_fd;
  struct husk_state st;
  struct husk_cgroup cg;
  bool has_cg;
};

static void opened_close(struct opened *o) {
  if (o->has_cg)
    husk_cgroup_release(&o->cg);
  o->has_cg = false;
  husk_state_free(&o->st);
  husk_state_unlock(o->lock_fd);
  o->lock_fd = -1;
}

static int open_locked(const char *root, const char *id, bool exclusive, struct opened *o,
                       husk_error_t *err) {
  *o = (struct opened){.lock_fd = -1};
  if (husk_validate_id(id, err) < 0 || husk_state_lock(root, id, exclusive, &o->lock_fd, err) < 0)
    return -1;
  if (husk_state_read(root, id, true, &o->st, err) < 0) {
    husk_state_unlock(o->lock_fd);
    o->lock_fd = -1;
    return -1;
  }
  husk_state_refresh_status(&o->st);
  return 0;
}

/* Reopen the cgroup state.json recorded at create time. */
static int open_cgroup(struct opened *o, husk_error_t *err) {
  if (o->st.cgroup_path == NULL || o->st.cgroup_path[0] == '\0')
    return husk_error_set(err, 0, "container %s has no cgroup recorded in its state", o->st.id);
  if (husk_cgroup_load(o->st.cgroup_path, &o->cg, err) < 0)
    return husk_error_prefix(err, "container %s: cgroup %s", o->st.id, o->st.cgroup_path);
  o->has_cg = true;
  return 0;
}

/* ---- pause / resume ----------------------------------------------------- */

int husk_container_pause(const char *root, const char *id, husk_error_t *err) {
  struct opened o;
  if (open_locked(root, id, true, &o, err) < 0)
    return -1;
  int ret = -1;
  /* runc pauses created containers too: their init waits in the exec fifo
   * and is frozen like any other process. */
  if (o.st.status != HUSK_STATUS_RUNNING && o.st.status != HUSK_STATUS_CREATED) {
    husk_error_set(err, 0, "container not running");
    goto out;
  }
  if (open_cgroup(&o, err) < 0 || husk_cgroup_freeze(&o.cg, true, err) < 0)
    goto out;
  enum husk_status before = o.st.status;
  o.st.status = HUSK_STATUS_PAUSED;
  if (husk_state_save(root, &o.st, err) < 0) {
    /* A frozen container that state.json calls running could never be
     * resumed with husk: undo the freeze. */
    husk_cgroup_freeze(&o.cg, false, NULL);
    o.st.status = before;
    goto out;
  }
  ret = 0;
out:
  opened_close(&o);
  return ret;
}

int husk_container_resume(const char *root, const char *id, husk_error_t *err) {
  struct opened o;
  if (open_locked(root, id, true, &o, err) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  _cleanup_free_ char *fifo = husk_xasprintf("%s/" EXEC_FIFO, dir);
  if (o.st.status != HUSK_STATUS_PAUSED) {
    husk_error_set(err, 0, "container not paused");
    goto out;
  }
  if (open_cgroup(&o, err) < 0 || husk_cgroup_freeze(&o.cg, false, err) < 0)
    goto out;
  o.st.status = access(fifo, F_OK) == 0 ? HUSK_STATUS_CREATED : HUSK_STATUS_RUNNING;
  if (husk_state_save(root, &o.st, err) < 0) {
    husk_cgroup_freeze(&o.cg, true, NULL); /* keep the cgroup and state.json agreeing */
    goto out;
  }
  ret = 0;
out:
  opened_close(&o);
  return ret;
}

/* ---- update: the fields it may change ----------------------------------- */

enum patch_kind { PATCH_INT, PATCH_UINT, PATCH_BOOL, PATCH_STR };

/* One field of linux.resources to set in the config copy: section.key. */
struct patch {
  const char *section; /* "memory", "cpu", "blockIO", "pids", "unified" */
  const char *key;
  enum patch_kind kind;
  int64_t i;
  uint64_t u;
  bool b;
  const char *s;
};

struct patches {
  struct patch *items;
  size_t len;
};

static void patch_add(struct patches *p, struct patch item) {
  p->items = husk_xrealloc(p->items, (p->len + 1) * sizeof(*p->items));
  p->items[p->len++] = item;
}

#define PATCH_I(sec, k, v)                                                                         \
  patch_add(p, (struct patch){.section = sec, .key = k, .kind = PATCH_INT, .i = v})
#define PATCH_U(sec, k, v)                                                                         \
  patch_add(p, (struct patch){.section = sec, .key = k, .kind = PATCH_UINT, .u = v})
#define PATCH_B(sec, k, v)                                                                         \
  patch_add(p, (struct patch){.section = sec, .key = k, .kind = PATCH_BOOL, .b = v})
#define PATCH_S(sec, k, v)                                                                         \
  patch_add(p, (struct patch){.section = sec, .key = k, .kind = PATCH_STR, .s = v})

/* The config.json fields a change touches, named as config-linux.md does. */
static void collect_patches(const struct husk_resources *c, struct patches *p) {
  if (c->has_memory) {
    const struct husk_memory *m = &c->memory;
    if (m->has_limit)
      PATCH_I("memory", "limit", m->limit);
    if (m->has_reservation)
      PATCH_I("memory", "reservation", m->reservation);
    if (m->has_swap)
      PATCH_I("memory", "swap", m->swap);
    if (m->has_kernel)
      PATCH_I("memory", "kernel", m->kernel);
    if (m->has_kernel_tcp)
      PATCH_I("memory", "kernelTCP", m->kernel_tcp);
    if (m->has_swappiness)
      PATCH_U("memory", "swappiness", m->swappiness);
    if (m->has_disable_oom_killer)
      PATCH_B("memory", "disableOOMKiller", m->disable_oom_killer);
    if (m->has_use_hierarchy)
      PATCH_B("memory", "useHierarchy", m->use_hierarchy);
    if (m->has_check_before_update)
      PATCH_B("memory", "checkBeforeUpdate", m->check_before_update);
  }
  if (c->has_cpu) {
    const struct husk_cpu *cpu = &c->cpu;
    if (cpu->has_shares)
      PATCH_U("cpu", "shares", cpu->shares);
    if (cpu->has_quota)
      PATCH_I("cpu", "quota", cpu->quota);
    if (cpu->has_burst)
      PATCH_U("cpu", "burst", cpu->burst);
    if (cpu->has_period)
      PATCH_U("cpu", "period", cpu->period);
    if (cpu->has_realtime_runtime)
      PATCH_I("cpu", "realtimeRuntime", cpu->realtime_runtime);
    if (cpu->has_realtime_period)
      PATCH_U("cpu", "realtimePeriod", cpu->realtime_period);
    if (cpu->cpus != NULL)
      PATCH_S("cpu", "cpus", cpu->cpus);
    if (cpu->mems != NULL)
      PATCH_S("cpu", "mems", cpu->mems);
    if (cpu->has_idle)
      PATCH_I("cpu", "idle", cpu->idle);
  }
  if (c->has_block_io) {
    if (c->block_io.has_weight)
      PATCH_U("blockIO", "weight", c->block_io.weight);
    if (c->block_io.has_leaf_weight)
      PATCH_U("blockIO", "leafWeight", c->block_io.leaf_weight);
  }
  if (c->has_pids)
    PATCH_I("pids", "limit", c->pids_limit);
  for (size_t i = 0; i < c->unified_len; i++)
    PATCH_S("unified", c->unified[i].key, c->unified[i].value);
}

static int refuse_unsupported(const struct husk_resources *c, husk_error_t *err) {
  const char *what = NULL;
  if (c->devices_len > 0)
    what = "devices";
  else if (c->hugepage_limits_len > 0)
    what = "hugepageLimits";
  else if (c->has_network)
    what = "network";
  else if (c->rdma_len > 0)
    what = "rdma";
  else if (c->has_block_io &&
           (c->block_io.weight_device_len > 0 || c->block_io.throttle_read_bps_device_len > 0 ||
            c->block_io.throttle_write_bps_device_len > 0 ||
            c->block_io.throttle_read_iops_device_len > 0 ||
            c->block_io.throttle_write_iops_device_len > 0))
    what = "blockIO device limits";
  if (what == NULL)
    return 0;
  errno = EINVAL;
  return husk_error_set(err, 0, "update: linux.resources.%s cannot be changed on a live container",
                        what);
}

/* ---- update: merging the changes into the config copy ------------------- */

static void gen_string(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_value(yajl_gen g, yajl_val v);

static void gen_object_except(yajl_gen g, yajl_val obj, const char *const *skip, size_t nskip) {
  for (size_t i = 0; i < obj->u.object.len; i++) {
    bool skipped = false;
    for (size_t j = 0; j < nskip && !skipped; j++)
      skipped = strcmp(obj->u.object.keys[i], skip[j]) == 0;
    if (skipped)
      continue;
    gen_string(g, obj->u.object.keys[i]);
    gen_value(g, obj->u.object.values[i]);
  }
}

/* Re-emit a parsed value unchanged; numbers keep their original text. */
static void gen_value(yajl_gen g, yajl_val v) {
  if (v == NULL || YAJL_IS_NULL(v)) {
    yajl_gen_null(g);
  } else if (YAJL_IS_STRING(v)) {
    gen_string(g, v->u.string);
  } else if (YAJL_IS_NUMBER(v)) {
    yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
  } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
    yajl_gen_bool(g, YAJL_IS_TRUE(v));
  } else if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++)
      gen_value(g, v->u.array.values[i]);
    yajl_gen_array_close(g);
  } else if (YAJL_IS_OBJECT(v)) {
    yajl_gen_map_open(g);
    gen_object_except(g, v, NULL, 0);
    yajl_gen_map_close(g);
  }
}

static void gen_patch_value(yajl_gen g, const struct patch *p) {
  char num[32];
  switch (p->kind) {
  case PATCH_INT:
    snprintf(num, sizeof(num), "%" PRId64, p->i);
    yajl_gen_number(g, num, strlen(num));
    break;
  case PATCH_UINT:
    snprintf(num, sizeof(num), "%" PRIu64, p->u);
    yajl_gen_number(g, num, strlen(num));
    break;
  case PATCH_BOOL:
    yajl_gen_bool(g, p->b);
    break;
  case PATCH_STR:
    gen_string(g, p->s);
    break;
  }
}

/* One section of linux.resources (e.g. "memory"): its old members that are
 * not changed, then the changed ones.  `old` may be NULL (new section). */
static void gen_section(yajl_gen g, const char *section, yajl_val old, const struct patches *p) {
  const char *skip[p->len > 0 ? p->len : 1];
  size_t nskip = 0;
  for (size_t i = 0; i < p->len; i++) {
    if (strcmp(p->items[i].section, section) == 0)
      skip[nskip++] = p->items[i].key;
  }
  yajl_gen_map_open(g);
  if (old != NULL && YAJL_IS_OBJECT(old))
    gen_object_except(g, old, skip, nskip);
  for (size_t i = 0; i < p->len; i++) {
    if (strcmp(p->items[i].section, section) == 0) {
      gen_string(g, p->items[i].key);
      gen_patch_value(g, &p->items[i]);
    }
  }
  yajl_gen_map_close(g);
}

static bool section_patched(const struct patches *p, const char *section) {
  for (size_t i = 0; i < p->len; i++) {
    if (strcmp(p->items[i].section, section) == 0)
      return true;
  }
  return false;
}

static const char *const sections[] = {"memory", "cpu", "blockIO", "pids", "unified"};

static void gen_resources(yajl_gen g, yajl_val old, const struct patches *p) {
  yajl_gen_map_open(g);
  bool seen[sizeof(sections) / sizeof(sections[0])] = {false};
  if (old != NULL && YAJL_IS_OBJECT(old)) {
    for (size_t i = 0; i < old->u.object.len; i++) {
      const char *key = old->u.object.keys[i];
      yajl_val val = old->u.object.values[i];
      gen_string(g, key);
      size_t s = 0;
      while (s < sizeof(sections) / sizeof(sections[0]) && strcmp(sections[s], key) != 0)
        s++;
      if (s < sizeof(sections) / sizeof(sections[0]) && section_patched(p, key)) {
        seen[s] = true;
        gen_section(g, key, val, p);
      } else {
        gen_value(g, val);
      }
    }
  }
  for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
    if (!seen[s] && section_patched(p, sections[s])) {
      gen_string(g, sections[s]);
      gen_section(g, sections[s], NULL, p);
    }
  }
  yajl_gen_map_close(g);
}

static void gen_linux(yajl_gen g, yajl_val old, const struct patches *p) {
  yajl_gen_map_open(g);
  bool done = false;
  if (old != NULL && YAJL_IS_OBJECT(old)) {
    for (size_t i = 0; i < old->u.object.len; i++) {
      gen_string(g, old->u.object.keys[i]);
      if (strcmp(old->u.object.keys[i], "resources") == 0) {
        gen_resources(g, old->u.object.values[i], p);
        done = true;
      } else {
        gen_value(g, old->u.object.values[i]);
      }
    }
  }
  if (!done) {
    gen_string(g, "resources");
    gen_resources(g, NULL, p);
  }
  yajl_gen_map_close(g);
}

/* Write `config` (the container's config.json copy, already parsed) back
 * with the patches merged into linux.resources, atomically. */
static int save_config(const char *path, yajl_val config, const struct patches *p,
                       husk_error_t *err) {
  if (!YAJL_IS_OBJECT(config))
    return husk_error_set(err, 0, "%s: not a JSON object", path);
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return husk_error_set(err, ENOMEM, "%s", path);
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "\t");
  yajl_gen_map_open(g);
  bool done = false;
  for (size_t i = 0; i < config->u.object.len; i++) {
    gen_string(g, config->u.object.keys[i]);
    if (strcmp(config->u.object.keys[i], "linux") == 0) {
      gen_linux(g, config->u.object.values[i], p);
      done = true;
    } else {
      gen_value(g, config->u.object.values[i]);
    }
  }
  if (!done) {
    gen_string(g, "linux");
    gen_linux(g, NULL, p);
  }
  yajl_gen_map_close(g);
  const unsigned char *buf;
  size_t len;
  int ret = 0;
  if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
    ret = husk_error_set(err, 0, "%s: cannot encode the updated config", path);
  else
    ret = husk_write_file_atomic(path, buf, len, 0600, err);
  yajl_gen_free(g);
  return ret;
}

/* ---- update: undoing a half-applied change ------------------------------ */

/* The values `old` recorded for the fields `c` changes, in *rb.  Strings
 * and unified entries are borrowed from `old`; rb->unified must be freed
 * (the array only).  Fields `old` never set cannot be restored. */
static void rollback_resources(const struct husk_resources *c, const struct husk_resources *old,
                               struct husk_resources *rb) {
  *rb = (struct husk_resources){0};
  if (c->has_memory && old->has_memory) {
    const struct husk_memory *m = &c->memory, *o = &old->memory;
    struct husk_memory *r = &rb->memory;
    rb->has_memory = true;
#define RESTORE(flag, field)                                                                       \
  if (m->flag && o->flag) {                                                                        \
    r->flag = true;                                                                                \
    r->field = o->field;                                                                           \
  }
    RESTORE(has_limit, limit);
    RESTORE(has_reservation, reservation);
    RESTORE(has_swap, swap);
    RESTORE(has_kernel, kernel);
    RESTORE(has_kernel_tcp, kernel_tcp);
    RESTORE(has_swappiness, swappiness);
    RESTORE(has_disable_oom_killer, disable_oom_killer);
    RESTORE(has_use_hierarchy, use_hierarchy);
    RESTORE(has_check_before_update, check_before_update);
#undef RESTORE
  }
  if (c->has_cpu && old->has_cpu) {
    const struct husk_cpu *m = &c->cpu, *o = &old->cpu;
    struct husk_cpu *r = &rb->cpu;
    rb->has_cpu = true;
#define RESTORE(flag, field)                                                                       \
  if (m->flag && o->flag) {                                                                        \
    r->flag = true;                                                                                \
    r->field = o->field;                                                                           \
  }
    RESTORE(has_shares, shares);
    RESTORE(has_quota, quota);
    RESTORE(has_burst, burst);
    RESTORE(has_period, period);
    RESTORE(has_realtime_runtime, realtime_runtime);
    RESTORE(has_realtime_period, realtime_period);
    RESTORE(has_idle, idle);
#undef RESTORE
    if (m->cpus != NULL)
      r->cpus = o->cpus;
    if (m->mems != NULL)
      r->mems = o->mems;
  }
  if (c->has_block_io && old->has_block_io) {
    rb->has_block_io = true;
    if (c->block_io.has_weight && old->block_io.has_weight) {
      rb->block_io.has_weight = true;
      rb->block_io.weight = old->block_io.weight;
    }
    if (c->block_io.has_leaf_weight && old->block_io.has_leaf_weight) {
      rb->block_io.has_leaf_weight = true;
      rb->block_io.leaf_weight = old->block_io.leaf_weight;
    }
  }
  if (c->has_pids && old->has_pids) {
    rb->has_pids = true;
    rb->pids_limit = old->pids_limit;
  }
  for (size_t i = 0; i < c->unified_len; i++) {
    for (size_t j = 0; j < old->unified_len; j++) {
      if (strcmp(c->unified[i].key, old->unified[j].key) == 0) {
        rb->unified = husk_xrealloc(rb->unified, (rb->unified_len + 1) * sizeof(*rb->unified));
        rb->unified[rb->unified_len++] = old->unified[j];
        break;
      }
    }
  }
}

int husk_container_update(const char *root, const char *id, const struct husk_resources *changes,
                          husk_error_t *err) {
  if (refuse_unsupported(changes, err) < 0)
    return -1;
  struct opened o;
  if (open_locked(root, id, true, &o, err) < 0)
    return -1;
  int ret = -1;
  struct husk_spec *old_spec = NULL;
  yajl_val config = NULL;
  struct patches p = {0};
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  _cleanup_free_ char *config_path = husk_xasprintf("%s/" CONFIG_COPY, dir);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;

  if (o.st.status == HUSK_STATUS_STOPPED || o.st.status == HUSK_STATUS_CREATING) {
    husk_error_set(err, 0, "container not running");
    goto out;
  }
  collect_patches(changes, &p);
  /* Read the config before touching the cgroup: if it cannot be read or
   * written back, nothing must have changed. */
  if (husk_read_file(config_path, HUSK_CONFIG_MAX_SIZE, &text, &len, err) < 0 ||
      husk_json_parse(text, len, config_path, &config, err) < 0 ||
      husk_spec_parse(text, len, config_path, &old_spec, err) < 0)
    goto out;
  if (p.len == 0) {
    ret = 0; /* runc accepts an update that changes nothing */
    goto out;
  }
  if (open_cgroup(&o, err) < 0)
    goto out;
  if (husk_cgroup_apply(&o.cg, changes, err) < 0 || save_config(config_path, config, &p, err) < 0) {
    struct husk_resources rb;
    rollback_resources(changes, &old_spec->linux_.resources, &rb);
    husk_cgroup_apply(&o.cg, &rb, NULL);
    free(rb.unified);
    goto out;
  }
  ret = 0;
out:
  free(p.items);
  husk_spec_free(old_spec);
  if (config != NULL)
    yajl_tree_free(config);
  opened_close(&o);
  return ret;
}

/* ---- ps, stats, OOM counts ---------------------------------------------- */

int husk_container_ps_pids(const char *root, const char *id, pid_t **pids, size_t *n,
                           husk_error_t *err) {
  *pids = NULL;
  *n = 0;
  struct opened o;
  if (open_locked(root, id, false, &o, err) < 0)
    return -1;
  int ret = 0;
  if (o.st.status == HUSK_STATUS_STOPPED) {
    /* runc lists what is left in a stopped container's cgroup, often
     * nothing; the cgroup may be gone already, which also means nothing. */
    if (open_cgroup(&o, NULL) == 0 && husk_cgroup_pids(&o.cg, pids, n, NULL) < 0) {
      *pids = NULL;
      *n = 0;
    }
  } else if (o.st.cgroup_path == NULL || o.st.cgroup_path[0] == '\0') {
    /* rootless without a cgroup: the init's pid namespace (rootless.c) */
    ret = husk_rootless_pids(o.st.pid, pids, n, err);
  } else if (open_cgroup(&o, err) < 0 || husk_cgroup_pids(&o.cg, pids, n, err) < 0) {
    ret = -1;
  }
  opened_close(&o);
  return ret;
}

int husk_container_stats(const char *root, const char *id, struct husk_cgroup_stats *st,
                         husk_error_t *err) {
  *st = (struct husk_cgroup_stats){0};
  struct opened o;
  if (open_locked(root, id, false, &o, err) < 0)
    return -1;
  int ret = -1;
  if (o.st.status == HUSK_STATUS_STOPPED || o.st.status == HUSK_STATUS_CREATING)
    husk_error_set(err, 0, "container with id %s is not running", id);
  else if (open_cgroup(&o, err) == 0 && husk_cgroup_stats(&o.cg, st, err) == 0)
    ret = 0;
  opened_close(&o);
  return ret;
}

/* Where the v1 memory controller is mounted: /proc/self/mountinfo's
 * "cgroup" entry whose super options name "memory".  Caller frees. */
static char *v1_memory_mount(void) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return NULL;
  return husk_v1_memory_mount_parse(f);
}

char *husk_v1_memory_mount_parse(FILE *f) {
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    /* "... MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
    char *sep = strstr(line, " - ");
    if (sep == NULL)
      continue;
    char fstype[32], source[256], super[1024];
    if (sscanf(sep + 3, "%31s %255s %1023s", fstype, source, super) != 3 ||
        strcmp(fstype, "cgroup") != 0)
      continue;
    bool memory = false;
    for (char *save = NULL, *opt = strtok_r(super, ",", &save); opt != NULL;
         opt = strtok_r(NULL, ",", &save))
      memory = memory || strcmp(opt, "memory") == 0;
    if (!memory)
      continue;
    char mountpoint[PATH_MAX];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mountpoint) == 1)
      return husk_xstrdup(mountpoint);
  }
  return NULL;
}

/* The value of `key` in a "key value" per line file (memory.events,
 * memory.oom_control); -1 when the file or the key is missing. */
static int read_keyed(const char *path, const char *key, uint64_t *out) {
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return -1;
  char name[64];
  uint64_t value;
  while (fscanf(f, "%63s %" SCNu64, name, &value) == 2) {
    if (strcmp(name, key) == 0) {
      *out = value;
      return 0;
    }
  }
  return -1;
}

int husk_container_oom_count(const char *root, const char *id, uint64_t *kills, bool *running,
                             husk_error_t *err) {
  *kills = 0;
  *running = false;
  struct opened o;
  if (open_locked(root, id, false, &o, err) < 0)
    return -1;
  *running = o.st.status != HUSK_STATUS_STOPPED;
  int ret = 0;
  _cleanup_free_ char *path = NULL;
  /* After the container stops its cgroup usually still exists (until
   * delete), and may hold the kill that stopped it. */
  if (open_cgroup(&o, *running ? err : NULL) < 0) {
    ret = *running ? -1 : 0;
    goto out;
  }
  /* The counter is read directly rather than through husk_cgroup_stats:
   * events polls it several times a second and only needs this one file. */
  if (o.cg.mode == HUSK_CGROUP_UNIFIED) {
    path = husk_xasprintf("/sys/fs/cgroup%s/memory.events", o.cg.path);
  } else {
    _cleanup_free_ char *mount = v1_memory_mount();
    if (mount != NULL)
      path = husk_xasprintf("%s%s/memory.oom_control", mount, o.cg.path);
  }
  if (path == NULL || read_keyed(path, "oom_kill", kills) < 0) {
    /* Kernels before 4.13 keep no oom_kill count in v1: take what the
     * cgroup layer reports. */
    struct husk_cgroup_stats st;
    if (husk_cgroup_stats(&o.cg, &st, NULL) == 0) {
      *kills = st.memory_oom_kill_events > 0 ? st.memory_oom_kill_events : st.memory_oom_events;
      husk_cgroup_stats_free(&st);
    }
  }
out:
  opened_close(&o);
  return ret;
}

/* ---- parsing what the command line gives -------------------------------- */

int husk_parse_memory_size(const char *s, int64_t *out) {
  if (strcmp(s, "-1") == 0) {
    *out = -1;
    return 0;
  }
  /* docker's units.RAMInBytes: digits, optional ".digits", an optional
   * space, then an optional k/m/g/t/p, an optional i, an optional b. */
  const char *p = s;
  if (!isdigit((unsigned char)*p))
    return -1;
  while (isdigit((unsigned char)*p))
    p++;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return -1;
    while (isdigit((unsigned char)*p))
      p++;
  }
  size_t num_len = (size_t)(p - s);
  if (*p == ' ')
    p++;
  double mult = 1;
  const char *units = "kmgtp";
  const char *u = *p != '\0' ? strchr(units, tolower((unsigned char)*p)) : NULL;
  if (u != NULL) {
    for (const char *q = units; q <= u; q++)
      mult *= 1024;
    p++;
  }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0')
    return -1;
  char num[64];
  if (num_len >= sizeof(num))
    return -1;
  memcpy(num, s, num_len);
  num[num_len] = '\0';
  double value = strtod(num, NULL) * mult;
  /* 2^63 is the first double past INT64_MAX. */
  if (!isfinite(value) || value >= 9223372036854775808.0)
    return -1;
  *out = (int64_t)value;
  return 0;
}

int husk_parse_duration(const char *s, int64_t *nanoseconds) {
  static const struct {
    const char *name;
    double ns;
  } units[] = {
      {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
      {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
  };
  const char *p = s;
  int sign = 1;
  if (*p == '-' || *p == '+') {
    sign = *p == '-' ? -1 : 1;
    p++;
  }
  if (strcmp(p, "0") == 0) {
    *nanoseconds = 0;
    return 0;
  }
  if (*p == '\0')
    return -1;
  double total = 0;
  while (*p != '\0') {
    /* a number, with an optional fraction; Go needs a digit on one side */
    const char *start = p;
    while (isdigit((unsigned char)*p))
      p++;
    bool digits = p > start;
    if (*p == '.') {
      p++;
      const char *frac = p;
      while (isdigit((unsigned char)*p))
        p++;
      digits = digits || p > frac;
    }
    if (!digits)
      return -1;
    double value = strtod(start, NULL);
    /* then a unit: the longest name that matches ("ms" before "m") */
    size_t best = 0;
    double unit = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
      size_t n = strlen(units[i].name);
      if (n > best && strncmp(p, units[i].name, n) == 0) {
        best = n;
        unit = units[i].ns;
      }
    }
    if (best == 0)
      return -1; /* Go: "missing unit in duration" / "unknown unit" */
    p += best;
    total += value * unit;
  }
  if (total >= 9223372036854775808.0)
    return -1;
  *nanoseconds = sign * (int64_t)total;
  return 0;
}
