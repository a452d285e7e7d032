/* husk — linux.resources on cgroup v2: the OCI fields (named after v1's
 * files) converted to the unified hierarchy's files, the "unified" map
 * written verbatim, freezing through cgroup.freeze, and the statistics.
 *
 * Accepted and ignored on v2, as runc and crun do, since v2 has no such
 * knob: memory.swappiness, memory.kernel (kernel memory is always
 * accounted with the rest), memory.disableOOMKiller, memory.useHierarchy
 * (v2 is always hierarchical), blockIO.leafWeight.  Refused: kernelTCP,
 * realtimeRuntime/realtimePeriod, network (net_cls/net_prio are v1 only). */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define R "linux.resources."

/* Whether `name` is a word of the space-separated list `list`. */
static bool has_word(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; (p = strstr(p, name)) != NULL; p += n) {
    bool start = p == list || p[-1] == ' ' || p[-1] == '\n';
    bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
    if (start && end)
      return true;
  }
  return false;
}

void husk_cg_v2_enable_controllers(const char *mount, const char *path) {
  _cleanup_free_ char *dir = husk_xstrdup(mount);
  const char *p = path;
  for (;;) {
    _cleanup_free_ char *avail = NULL;
    if (husk_cg_read(dir, "cgroup.controllers", &avail, NULL) == 0) {
      char *save = NULL;
      for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
        _cleanup_free_ char *plus = husk_xasprintf("+%s", c);
        husk_cg_write(dir, "cgroup.subtree_control", plus, NULL);
      }
    }
    const char *next = strchr(p + 1, '/');
    if (next == NULL)
      break; /* the leaf itself delegates nothing: it holds the processes */
    char *deeper = husk_xasprintf("%s%.*s", dir, (int)(next - p), p);
    free(dir);
    dir = deeper;
    p = next;
  }
}

/* ---- checks ----------------------------------------------------------- */

struct v2ctx {
  const char *dir;
  char *avail; /* the leaf's cgroup.controllers */
};

static int need(const struct v2ctx *c, const char *ctrl, const char *field, husk_error_t *err) {
  if (has_word(c->avail, ctrl))
    return 0;
  return husk_error_report(err, ENOTSUP,
                           "%s: the %s controller is not available in %s (not enabled in the "
                           "parent's cgroup.subtree_control)",
                           field, ctrl, c->dir);
}

/* The root cgroup has none of the interface files of a cgroup below it:
 * there (husk check probing before anything exists) files are not asked. */
static bool has_file(const struct v2ctx *c, const char *file) {
  return strcmp(c->dir, HUSK_CG_ROOT) == 0 || husk_cg_has(c->dir, file);
}

static int need_file(const struct v2ctx *c, const char *file, const char *field,
                     husk_error_t *err) {
  if (has_file(c, file))
    return 0;
  return husk_error_report(err, ENOTSUP, "%s: %s/%s does not exist on this kernel", field, c->dir,
                           file);
}

/* v1's blkio weight range, which io.weight's 1..10000 is scaled from. */
static int check_weight(uint16_t w, const char *field, husk_error_t *err) {
  if (w != 0 && (w < 10 || w > 1000))
    return husk_error_report(err, EINVAL, "%s: %u is outside 10..1000", field, w);
  return 0;
}

static int check_memory(const struct v2ctx *c, const struct husk_memory *m, husk_error_t *err) {
  if (m->has_kernel_tcp)
    return husk_error_report(err, ENOTSUP, R "memory.kernelTCP is not supported on cgroup v2");
  if ((m->has_limit || m->has_reservation || m->has_swap) && need(c, "memory", R "memory", err) < 0)
    return -1;
  if (m->has_swap && m->swap > 0) {
    if (!m->has_limit || m->limit <= 0)
      return husk_error_report(err, EINVAL,
                               R "memory.swap: a swap limit needs a memory limit on cgroup v2 "
                                 "(memory.swap.max = swap - limit)");
    if (need_file(c, "memory.swap.max", R "memory.swap", err) < 0)
      return -1;
  }
  if (m->has_check_before_update && m->check_before_update && m->has_limit && m->limit > 0) {
    uint64_t cur;
    if (husk_cg_read_u64(c->dir, "memory.current", &cur) == 0 && (uint64_t)m->limit < cur)
      return husk_error_report(err, EBUSY,
                               R "memory.limit: %lld is below the current usage %" PRIu64
                                 " (checkBeforeUpdate)",
                               (long long)m->limit, cur);
  }
  return 0;
}

static int check_cpu(const struct v2ctx *c, const struct husk_cpu *p, husk_error_t *err) {
  if (p->has_realtime_runtime || p->has_realtime_period)
    return husk_error_report(err, ENOTSUP,
                             R "cpu.%s: realtime scheduling is not supported on cgroup v2",
                             p->has_realtime_runtime ? "realtimeRuntime" : "realtimePeriod");
  if ((p->has_shares || p->has_quota || p->has_period || p->has_burst || p->has_idle) &&
      need(c, "cpu", R "cpu", err) < 0)
    return -1;
  /* burst and idle are newer than the rest (5.14, 5.15): a kernel without
   * them can still honour a 0, the default. */
  if (p->has_burst && p->burst != 0 && need_file(c, "cpu.max.burst", R "cpu.burst", err) < 0)
    return -1;
  if (p->has_idle && p->idle != 0 && need_file(c, "cpu.idle", R "cpu.idle", err) < 0)
    return -1;
  if ((p->cpus || p->mems) && need(c, "cpuset", p->cpus ? R "cpu.cpus" : R "cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int check_block_io(const struct v2ctx *c, const struct husk_block_io *b, husk_error_t *err) {
  if (need(c, "io", R "blockIO", err) < 0)
    return -1;
  if (b->has_weight && check_weight(b->weight, R "blockIO.weight", err) < 0)
    return -1;
  for (size_t i = 0; i < b->weight_device_len; i++) {
    char field[96];
    snprintf(field, sizeof(field), R "blockIO.weightDevice[%zu].weight", i);
    if (b->weight_device[i].has_weight && check_weight(b->weight_device[i].weight, field, err) < 0)
      return -1;
  }
  bool weights = b->has_weight || b->weight_device_len > 0;
  if (weights && !has_file(c, "io.bfq.weight") && !has_file(c, "io.weight"))
    return husk_error_report(err, ENOTSUP,
                             R "blockIO.weight: neither io.bfq.weight nor io.weight exists in %s "
                               "(no BFQ scheduler and no io.cost)",
                             c->dir);
  return 0;
}

static int check_unified(const struct v2ctx *c, const struct husk_kv *kv, size_t n,
                         husk_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    const char *key = kv[i].key;
    if (key[0] == '\0' || key[0] == '.' || strchr(key, '/'))
      return husk_error_report(err, EINVAL, R "unified[\"%s\"]: not a cgroup file name", key);
    const char *dot = strchr(key, '.');
    if (dot == NULL)
      return husk_error_report(err, EINVAL,
                               R "unified[\"%s\"]: not a cgroup file name (expected "
                                 "<controller>.<file>)",
                               key);
    _cleanup_free_ char *ctrl = husk_xasprintf("%.*s", (int)(dot - key), key);
    if (strcmp(ctrl, "cgroup") != 0 && !has_word(c->avail, ctrl))
      return husk_error_report(err, ENOTSUP,
                               R "unified[\"%s\"]: the %s controller is not available in %s", key,
                               ctrl, c->dir);
    if (!has_file(c, key))
      return husk_error_report(err, ENOENT, R "unified[\"%s\"]: no such file in %s", key, c->dir);
  }
  return 0;
}

int husk_cg_v2_check(const char *dir, const struct husk_resources *res, husk_error_t *err) {
  struct v2ctx c = {.dir = dir, .avail = NULL};
  if (husk_cg_read(dir, "cgroup.controllers", &c.avail, err) < 0)
    return -1;
  int r = 0;
  if (res->has_memory)
    r = check_memory(&c, &res->memory, err);
  if (r == 0 && res->has_cpu)
    r = check_cpu(&c, &res->cpu, err);
  if (r == 0 && res->has_pids)
    r = need(&c, "pids", R "pids", err);
  if (r == 0 && res->has_block_io)
    r = check_block_io(&c, &res->block_io, err);
  for (size_t i = 0; r == 0 && i < res->hugepage_limits_len; i++) {
    char field[96], file[64];
    snprintf(field, sizeof(field), R "hugepageLimits[%zu]", i);
    snprintf(file, sizeof(file), "hugetlb.%s.max", res->hugepage_limits[i].page_size);
    r = need(&c, "hugetlb", field, err);
    if (r == 0 && !has_file(&c, file))
      r = husk_error_report(err, ENOTSUP, "%s.pageSize: no %s huge pages on this host (%s/%s)",
                            field, res->hugepage_limits[i].page_size, dir, file);
  }
  if (r == 0 && res->rdma_len > 0)
    r = need(&c, "rdma", R "rdma", err);
  if (r == 0 && res->has_network && (res->network.has_class_id || res->network.priorities_len > 0))
    r = husk_error_report(err, ENOTSUP,
                          R "network: net_cls and net_prio do not exist on cgroup v2 (use an "
                            "eBPF program or nftables' cgroupv2 match)");
  if (r == 0)
    r = check_unified(&c, res->unified, res->unified_len, err);
  free(c.avail);
  return r;
}

/* ---- writers ---------------------------------------------------------- */

static int set_num(const char *dir, const char *file, int64_t v, const char *field,
                   husk_error_t *err) {
  char buf[32];
  if (v < 0)
    snprintf(buf, sizeof(buf), "max");
  else
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
  return husk_cg_set(dir, file, buf, field, err);
}

static int apply_memory(const char *dir, const struct husk_memory *m, husk_error_t *err) {
  if (m->has_limit && set_num(dir, "memory.max", m->limit, R "memory.limit", err) < 0)
    return -1;
  if (m->has_reservation &&
      set_num(dir, "memory.low", m->reservation, R "memory.reservation", err) < 0)
    return -1;
  /* OCI's swap is v1's memory+swap total; v2 limits swap alone.  As runc:
   * -1 is "max", an unlimited memory with no swap given unlimits swap
   * too, 0 is "not set". */
  int64_t swap = 0;
  bool write_swap = false;
  if (m->has_swap && m->swap < 0) {
    swap = -1, write_swap = true;
  } else if (m->has_swap && m->swap > 0) {
    swap = m->swap - m->limit, write_swap = true;
  } else if (m->has_limit && m->limit < 0) {
    swap = -1, write_swap = true;
  }
  /* Without swap accounting there is no memory.swap.max: "max" is moot. */
  if (write_swap && !(swap < 0 && !husk_cg_has(dir, "memory.swap.max")) &&
      set_num(dir, "memory.swap.max", swap, R "memory.swap", err) < 0)
    return -1;
  return 0;
}

/* runc's and crun's mapping of shares (2..262144, default 1024) onto
 * cpu.weight (1..10000, default 100). */
static uint64_t shares_to_weight(uint64_t shares) { return 1 + ((shares - 2) * 9999) / 262142; }

static int write_cpu_max(const char *dir, const struct husk_cpu *p, husk_error_t *err) {
  char quota[32] = "max", buf[64];
  if (p->has_quota && p->quota > 0) {
    snprintf(quota, sizeof(quota), "%lld", (long long)p->quota);
  } else if (!p->has_quota) {
    /* Only the period changes: keep the quota in force. */
    _cleanup_free_ char *cur = NULL;
    if (husk_cg_read(dir, "cpu.max", &cur, NULL) == 0)
      sscanf(cur, "%31s", quota);
  }
  if (p->has_period && p->period != 0)
    snprintf(buf, sizeof(buf), "%s %llu", quota, (unsigned long long)p->period);
  else
    snprintf(buf, sizeof(buf), "%s", quota);
  return husk_cg_set(dir, "cpu.max", buf, R "cpu.quota", err);
}

static int apply_cpu(const char *dir, const struct husk_cpu *p, husk_error_t *err) {
  char buf[64];
  if (p->has_shares && p->shares != 0) {
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)shares_to_weight(p->shares));
    if (husk_cg_set(dir, "cpu.weight", buf, R "cpu.shares", err) < 0)
      return -1;
  }
  bool max = p->has_quota || p->has_period;
  if (p->has_burst && (p->burst != 0 || husk_cg_has(dir, "cpu.max.burst"))) {
    /* The kernel wants burst <= quota at every step: a burst above the old
     * quota goes in after the new quota, one below the new quota before. */
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)p->burst);
    husk_error_t first = {0};
    if (husk_cg_set(dir, "cpu.max.burst", buf, R "cpu.burst", &first) < 0) {
      if (!max || first.errnum != EINVAL) {
        if (err && err->msg == NULL)
          *err = first;
        else
          husk_error_clear(&first);
        return -1;
      }
      husk_error_clear(&first);
      if (write_cpu_max(dir, p, err) < 0 ||
          husk_cg_set(dir, "cpu.max.burst", buf, R "cpu.burst", err) < 0)
        return -1;
      max = false;
    }
  }
  if (max && write_cpu_max(dir, p, err) < 0)
    return -1;
  if (p->has_idle && (p->idle != 0 || husk_cg_has(dir, "cpu.idle"))) {
    snprintf(buf, sizeof(buf), "%lld", (long long)p->idle);
    if (husk_cg_set(dir, "cpu.idle", buf, R "cpu.idle", err) < 0)
      return -1;
  }
  if (p->mems && husk_cg_set(dir, "cpuset.mems", p->mems, R "cpu.mems", err) < 0)
    return -1;
  if (p->cpus && husk_cg_set(dir, "cpuset.cpus", p->cpus, R "cpu.cpus", err) < 0)
    return -1;
  return 0;
}

/* BFQ takes v1's 1..1000 weight as is; io.weight (io.cost) is 1..10000:
 * crun's linear mapping of 10..1000 onto it. */
static int write_weight(const char *dir, const char *dev, uint16_t w, const char *field,
                        husk_error_t *err) {
  char buf[64];
  bool bfq = husk_cg_has(dir, "io.bfq.weight");
  unsigned v = bfq ? w : 1 + (unsigned)(w - 10) * 9999 / 990;
  if (dev)
    snprintf(buf, sizeof(buf), "%s %u", dev, v);
  else
    snprintf(buf, sizeof(buf), "default %u", v);
  return husk_cg_set(dir, bfq ? "io.bfq.weight" : "io.weight", buf, field, err);
}

static int write_throttle(const char *dir, const struct husk_block_io_device_throttle *t, size_t n,
                          const char *key, const char *name, husk_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    char buf[96], field[96];
    if (t[i].rate == 0) /* 0 lifts the limit, as writing 0 does on v1 */
      snprintf(buf, sizeof(buf), "%lld:%lld %s=max", (long long)t[i].major, (long long)t[i].minor,
               key);
    else
      snprintf(buf, sizeof(buf), "%lld:%lld %s=%llu", (long long)t[i].major, (long long)t[i].minor,
               key, (unsigned long long)t[i].rate);
    snprintf(field, sizeof(field), R "blockIO.%s[%zu]", name, i);
    if (husk_cg_set(dir, "io.max", buf, field, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_block_io(const char *dir, const struct husk_block_io *b, husk_error_t *err) {
  if (b->has_weight && b->weight != 0 &&
      write_weight(dir, NULL, b->weight, R "blockIO.weight", err) < 0)
    return -1;
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const struct husk_block_io_device_weight *w = &b->weight_device[i];
    char dev[48], field[96];
    if (!w->has_weight || w->weight == 0)
      continue;
    snprintf(dev, sizeof(dev), "%lld:%lld", (long long)w->major, (long long)w->minor);
    snprintf(field, sizeof(field), R "blockIO.weightDevice[%zu]", i);
    if (write_weight(dir, dev, w->weight, field, err) < 0)
      return -1;
  }
  if (write_throttle(dir, b->throttle_read_bps_device, b->throttle_read_bps_device_len, "rbps",
                     "throttleReadBpsDevice", err) < 0 ||
      write_throttle(dir, b->throttle_write_bps_device, b->throttle_write_bps_device_len, "wbps",
                     "throttleWriteBpsDevice", err) < 0 ||
      write_throttle(dir, b->throttle_read_iops_device, b->throttle_read_iops_device_len, "riops",
                     "throttleReadIOPSDevice", err) < 0 ||
      write_throttle(dir, b->throttle_write_iops_device, b->throttle_write_iops_device_len, "wiops",
                     "throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

static int apply_hugetlb(const char *dir, const struct husk_hugepage_limit *h, size_t n,
                         husk_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    char file[96], field[96], buf[32];
    snprintf(field, sizeof(field), R "hugepageLimits[%zu]", i);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)h[i].limit);
    /* The reservation limit (5.7+) is the one that spares tasks a SIGBUS;
     * set both so usage and reservations agree. */
    snprintf(file, sizeof(file), "hugetlb.%s.rsvd.max", h[i].page_size);
    if (husk_cg_has(dir, file) && husk_cg_set(dir, file, buf, field, err) < 0)
      return -1;
    snprintf(file, sizeof(file), "hugetlb.%s.max", h[i].page_size);
    if (husk_cg_set(dir, file, buf, field, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_rdma(const char *dir, const struct husk_rdma *r, size_t n, husk_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    char handles[32] = "", objects[32] = "", field[128];
    if (r[i].has_hca_handles)
      snprintf(handles, sizeof(handles), " hca_handle=%u", r[i].hca_handles);
    if (r[i].has_hca_objects)
      snprintf(objects, sizeof(objects), " hca_object=%u", r[i].hca_objects);
    _cleanup_free_ char *line = husk_xasprintf("%s%s%s", r[i].device, handles, objects);
    snprintf(field, sizeof(field), R "rdma[\"%s\"]", r[i].device);
    if (husk_cg_set(dir, "rdma.max", line, field, err) < 0)
      return -1;
  }
  return 0;
}

/* Verbatim, one write per line: cgroupfs parses a single entry per write,
 * so the spec's own multi-line io.max example needs splitting. */
static int apply_unified(const char *dir, const struct husk_kv *kv, size_t n, husk_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *field = husk_xasprintf(R "unified[\"%s\"]", kv[i].key);
    if (strchr(kv[i].value, '\n') == NULL) {
      if (husk_cg_set(dir, kv[i].key, kv[i].value, field, err) < 0)
        return -1;
      continue;
    }
    _cleanup_free_ char *copy = husk_xstrdup(kv[i].value);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
      if (husk_cg_set(dir, kv[i].key, line, field, err) < 0)
        return -1;
  }
  return 0;
}

int husk_cg_v2_apply(const char *dir, int dir_fd, const struct husk_resources *res,
                     husk_error_t *err) {
  if (res->has_memory && apply_memory(dir, &res->memory, err) < 0)
    return -1;
  if (res->has_cpu && apply_cpu(dir, &res->cpu, err) < 0)
    return -1;
  if (res->has_pids && set_num(dir, "pids.max", res->pids_limit, R "pids.limit", err) < 0)
    return -1;
  if (res->has_block_io && apply_block_io(dir, &res->block_io, err) < 0)
    return -1;
  if (apply_hugetlb(dir, res->hugepage_limits, res->hugepage_limits_len, err) < 0)
    return -1;
  if (apply_rdma(dir, res->rdma, res->rdma_len, err) < 0)
    return -1;
  if (res->devices_len > 0 &&
      husk_cgroup_devices_bpf_apply(dir_fd, res->devices, res->devices_len, err) < 0)
    return husk_error_prefix(err, R "devices");
  /* Last, so a unified key overrides the converted field it overlaps. */
  return apply_unified(dir, res->unified, res->unified_len, err);
}

/* ---- freezer ---------------------------------------------------------- */

int husk_cg_v2_freeze(const char *dir, bool frozen, husk_error_t *err) {
  if (husk_cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  /* The write only asks; cgroup.events says when every task got there. */
  for (int i = 0; i < 1000; i++) {
    uint64_t state;
    if (husk_cg_read_keyed(dir, "cgroup.events", "frozen", &state) < 0)
      return husk_error_set(err, EIO, "read %s/cgroup.events: no \"frozen\" entry", dir);
    if ((state == 1) == frozen)
      return 0;
    husk_cg_nap();
  }
  return husk_error_set(err, ETIMEDOUT, "%s %s: still not %s after 10 s",
                        frozen ? "freeze" : "thaw", dir, frozen ? "frozen" : "thawed");
}

int husk_cg_v2_is_frozen(const char *dir, bool *frozen, husk_error_t *err) {
  uint64_t v;
  if (husk_cg_read_u64(dir, "cgroup.freeze", &v) < 0)
    return husk_error_set(err, ENOENT, "read %s/cgroup.freeze", dir);
  *frozen = v == 1;
  return 0;
}

/* ---- stats ------------------------------------------------------------ */

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static void io_stats(const char *dir, struct husk_cgroup_stats *st) {
  _cleanup_free_ char *s = NULL;
  if (husk_cg_read(dir, "io.stat", &s, NULL) < 0)
    return;
  char *save = NULL;
  for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    unsigned long long maj, min, rb = 0, wb = 0;
    if (sscanf(line, "%llu:%llu", &maj, &min) != 2)
      continue;
    char *p;
    if ((p = strstr(line, "rbytes=")))
      rb = strtoull(p + 7, NULL, 10);
    if ((p = strstr(line, "wbytes=")))
      wb = strtoull(p + 7, NULL, 10);
    husk_cg_add_blkio(st, maj, min, "Read", rb);
    husk_cg_add_blkio(st, maj, min, "Write", wb);
    husk_cg_add_blkio(st, maj, min, "Total", rb + wb);
  }
}

static void hugetlb_stats(const char *dir, struct husk_cgroup_stats *st) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char size[16];
    size_t n = strlen(e->d_name);
    /* hugetlb.<size>.current, not hugetlb.<size>.rsvd.current */
    if (strncmp(e->d_name, "hugetlb.", 8) != 0 || n < 16 ||
        strcmp(e->d_name + n - 8, ".current") != 0 || strstr(e->d_name, ".rsvd."))
      continue;
    snprintf(size, sizeof(size), "%.*s", (int)(n - 16), e->d_name + 8);
    st->hugetlb = husk_xrealloc(st->hugetlb, (st->hugetlb_len + 1) * sizeof(*st->hugetlb));
    struct husk_hugetlb_stat *h = &st->hugetlb[st->hugetlb_len++];
    memset(h, 0, sizeof(*h));
    snprintf(h->page_size, sizeof(h->page_size), "%s", size);
    husk_cg_read_u64(dir, e->d_name, &h->usage);
    _cleanup_free_ char *events = husk_xasprintf("hugetlb.%s.events", size);
    husk_cg_read_keyed(dir, events, "max", &h->failcnt);
  }
  closedir(d);
}

int husk_cg_v2_stats(const char *dir, struct husk_cgroup_stats *st, husk_error_t *err) {
  if (!husk_cg_has(dir, "cgroup.procs"))
    return husk_error_set(err, ENOENT, "stats of %s: no such cgroup", dir);
  uint64_t v;
  if (husk_cg_read_keyed(dir, "cpu.stat", "usage_usec", &v) == 0)
    st->cpu_usage_total = v * 1000;
  if (husk_cg_read_keyed(dir, "cpu.stat", "user_usec", &v) == 0)
    st->cpu_usage_user = v * 1000;
  if (husk_cg_read_keyed(dir, "cpu.stat", "system_usec", &v) == 0)
    st->cpu_usage_kernel = v * 1000;
  husk_cg_read_keyed(dir, "cpu.stat", "nr_periods", &st->cpu_periods);
  husk_cg_read_keyed(dir, "cpu.stat", "nr_throttled", &st->cpu_throttled_periods);
  if (husk_cg_read_keyed(dir, "cpu.stat", "throttled_usec", &v) == 0)
    st->cpu_throttled_time = v * 1000;
  husk_cg_read_u64(dir, "memory.current", &st->memory_usage);
  husk_cg_read_u64(dir, "memory.max", &st->memory_limit);
  husk_cg_read_u64(dir, "memory.peak", &st->memory_max_usage);
  husk_cg_read_keyed(dir, "memory.events", "max", &st->memory_failcnt);
  husk_cg_read_keyed(dir, "memory.events", "oom", &st->memory_oom_events);
  husk_cg_read_keyed(dir, "memory.events", "oom_kill", &st->memory_oom_kill_events);
  husk_cg_read_u64(dir, "memory.swap.current", &st->memory_swap_usage);
  husk_cg_read_u64(dir, "memory.swap.max", &st->memory_swap_limit);
  husk_cg_read_keyed(dir, "memory.stat", "file", &st->memory_cache);
  husk_cg_read(dir, "memory.stat", &st->memory_stat, NULL);
  husk_cg_read_u64(dir, "pids.current", &st->pids_current);
  /* runc reports an unlimited pids.max as 0. */
  if (husk_cg_read_u64(dir, "pids.max", &st->pids_limit) == 0 && st->pids_limit == UINT64_MAX)
    st->pids_limit = 0;
  io_stats(dir, st);
  hugetlb_stats(dir, st);
  return 0;
}
