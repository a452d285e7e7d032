/* husk — linux.resources on cgroup v1 (legacy and hybrid hosts): each
 * field written to its controller's hierarchy, the devices list as v1's
 * allow/deny rules, freezing through freezer.state, and the statistics.
 *
 * Ignored: memory.kernel (kernel memory limits are deprecated, and
 * ignored by the kernel since 5.16; runc ignores them too).  Refused:
 * the "unified" map (cgroup.c), and any field whose controller or file
 * this host lacks, by name. */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define R "linux.resources."

/* The container's directory in the hierarchy of `ctrl`, NULL if none. */
static char *dir_of(const struct husk_cg_v1 *l, const char *path, const char *ctrl) {
  const struct husk_cg_hier *h = husk_cg_v1_find(l, ctrl);
  return h ? husk_xasprintf("%s%s", h->mount, path) : NULL;
}

int husk_cg_v1_init_dir(const struct husk_cg_hier *h, const char *dir, husk_error_t *err) {
  if (strstr(h->controllers, ",cpuset,") == NULL)
    return 0;
  /* A new v1 cpuset starts with no cpus and no mems, and a task cannot
   * join an empty cpuset: start from the parent's. */
  _cleanup_free_ char *parent = husk_xstrdup(dir);
  *strrchr(parent, '/') = '\0';
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  /* (With the parent's cgroup.clone_children set it has them already:
   * writing the same again is harmless, and cheaper than a read first.) */
  for (size_t i = 0; i < 2; i++) {
    _cleanup_free_ char *up = NULL;
    if (husk_cg_read(parent, files[i], &up, err) < 0)
      return -1;
    up[strcspn(up, "\n")] = '\0';
    if (husk_cg_write(dir, files[i], up, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- checks ----------------------------------------------------------- */

struct v1ctx {
  const struct husk_cg_v1 *l;
  const char *path;
};

static int need(const struct v1ctx *c, const char *ctrl, const char *field, husk_error_t *err) {
  if (husk_cg_v1_find(c->l, ctrl))
    return 0;
  return husk_error_report(err, ENOTSUP,
                           "%s: the %s controller is not mounted (no cgroup v1 hierarchy under "
                           "%s has it)",
                           field, ctrl, HUSK_CG_ROOT);
}

/* The controller is there, and so is its optional `file`. */
static int need_file(const struct v1ctx *c, const char *ctrl, const char *file, const char *field,
                     husk_error_t *err) {
  if (need(c, ctrl, field, err) < 0)
    return -1;
  _cleanup_free_ char *dir = dir_of(c->l, c->path, ctrl);
  if (dir == NULL || husk_cg_has(dir, file)) /* NULL: need() reported it, husk check goes on */
    return 0;
  return husk_error_report(err, ENOTSUP, "%s: %s/%s does not exist on this kernel", field, dir,
                           file);
}

static int check_memory(const struct v1ctx *c, const struct husk_memory *m, husk_error_t *err) {
  if (need(c, "memory", R "memory", err) < 0)
    return -1;
  if (m->has_swap && m->swap > 0 &&
      need_file(c, "memory", "memory.memsw.limit_in_bytes", R "memory.swap", err) < 0)
    return -1;
  if (m->has_kernel_tcp &&
      need_file(c, "memory", "memory.kmem.tcp.limit_in_bytes", R "memory.kernelTCP", err) < 0)
    return -1;
  if (m->has_swappiness &&
      need_file(c, "memory", "memory.swappiness", R "memory.swappiness", err) < 0)
    return -1;
  if (m->has_check_before_update && m->check_before_update && m->has_limit && m->limit > 0) {
    _cleanup_free_ char *dir = dir_of(c->l, c->path, "memory");
    uint64_t cur;
    if (husk_cg_read_u64(dir, "memory.usage_in_bytes", &cur) == 0 && (uint64_t)m->limit < cur)
      return husk_error_report(err, EBUSY,
                               R "memory.limit: %lld is below the current usage %" PRIu64
                                 " (checkBeforeUpdate)",
                               (long long)m->limit, cur);
  }
  return 0;
}

static int check_cpu(const struct v1ctx *c, const struct husk_cpu *p, husk_error_t *err) {
  if ((p->has_shares || p->has_quota || p->has_period) && need(c, "cpu", R "cpu", err) < 0)
    return -1;
  /* burst and idle are newer than the rest (5.14, 5.15): a kernel without
   * them can still honour a 0, the default. */
  if (p->has_burst && p->burst != 0 &&
      need_file(c, "cpu", "cpu.cfs_burst_us", R "cpu.burst", err) < 0)
    return -1;
  if (p->has_idle && p->idle != 0 && need_file(c, "cpu", "cpu.idle", R "cpu.idle", err) < 0)
    return -1;
  if ((p->has_realtime_runtime || p->has_realtime_period) &&
      need_file(c, "cpu", "cpu.rt_runtime_us",
                p->has_realtime_runtime ? R "cpu.realtimeRuntime" : R "cpu.realtimePeriod",
                err) < 0)
    return -1;
  if ((p->cpus || p->mems) && need(c, "cpuset", p->cpus ? R "cpu.cpus" : R "cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int check_block_io(const struct v1ctx *c, const struct husk_block_io *b, husk_error_t *err) {
  if (need(c, "blkio", R "blockIO", err) < 0)
    return -1;
  _cleanup_free_ char *dir = dir_of(c->l, c->path, "blkio");
  if (dir == NULL)
    return 0; /* need() reported it, husk check goes on */
  bool weights = b->has_weight;
  for (size_t i = 0; i < b->weight_device_len; i++)
    weights |= b->weight_device[i].has_weight;
  if (weights && !husk_cg_has(dir, "blkio.weight") && !husk_cg_has(dir, "blkio.bfq.weight"))
    return husk_error_report(err, ENOTSUP,
                             R
                             "blockIO.weight: neither blkio.weight nor blkio.bfq.weight exists in "
                             "%s (no CFQ or BFQ scheduler)",
                             dir);
  bool leaf = b->has_leaf_weight;
  for (size_t i = 0; i < b->weight_device_len; i++)
    leaf |= b->weight_device[i].has_leaf_weight;
  if (leaf && !husk_cg_has(dir, "blkio.leaf_weight"))
    return husk_error_report(
        err, ENOTSUP, R "blockIO.leafWeight: %s/blkio.leaf_weight does not exist (CFQ only)", dir);
  return 0;
}

int husk_cg_v1_check(const struct husk_cg_v1 *l, const char *path, const struct husk_resources *res,
                     husk_error_t *err) {
  struct v1ctx c = {l, path};
  if (res->has_memory && check_memory(&c, &res->memory, err) < 0)
    return -1;
  if (res->has_cpu && check_cpu(&c, &res->cpu, err) < 0)
    return -1;
  if (res->has_pids && need(&c, "pids", R "pids", err) < 0)
    return -1;
  if (res->has_block_io && check_block_io(&c, &res->block_io, err) < 0)
    return -1;
  for (size_t i = 0; i < res->hugepage_limits_len; i++) {
    char field[96], file[64];
    snprintf(field, sizeof(field), R "hugepageLimits[%zu].pageSize", i);
    snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", res->hugepage_limits[i].page_size);
    if (need_file(&c, "hugetlb", file, field, err) < 0)
      return -1;
  }
  if (res->has_network && res->network.has_class_id &&
      need(&c, "net_cls", R "network.classID", err) < 0)
    return -1;
  if (res->has_network && res->network.priorities_len > 0 &&
      need(&c, "net_prio", R "network.priorities", err) < 0)
    return -1;
  if (res->rdma_len > 0 && need(&c, "rdma", R "rdma", err) < 0)
    return -1;
  if (res->devices_len > 0 && need(&c, "devices", R "devices", err) < 0)
    return -1;
  return 0;
}

/* ---- writers ---------------------------------------------------------- */

static int set_i64(const char *dir, const char *file, int64_t v, const char *field,
                   husk_error_t *err) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%lld", (long long)v);
  return husk_cg_set(dir, file, buf, field, err);
}

static int apply_memory(const char *dir, const struct husk_memory *m, husk_error_t *err) {
  /* An unlimited memory with no swap given unlimits memory+swap too (runc),
   * else the old memsw limit would still cap the container. */
  bool has_swap = m->has_swap && m->swap != 0;
  int64_t swap = m->swap;
  if (m->has_limit && m->limit == -1 && !has_swap)
    has_swap = true, swap = -1;
  if (has_swap && swap == -1 && !husk_cg_has(dir, "memory.memsw.limit_in_bytes"))
    has_swap = false; /* no swap accounting: nothing to unlimit */
  /* The kernel keeps memory <= memory+swap at every write: raising goes
   * memsw first, lowering memory first. */
  bool swap_first = false;
  if (m->has_limit && has_swap) {
    uint64_t cur;
    swap_first = swap == -1 || (husk_cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur) == 0 &&
                                cur < (uint64_t)swap);
  }
  if (swap_first && set_i64(dir, "memory.memsw.limit_in_bytes", swap, R "memory.swap", err) < 0)
    return -1;
  if (m->has_limit && set_i64(dir, "memory.limit_in_bytes", m->limit, R "memory.limit", err) < 0)
    return -1;
  if (has_swap && !swap_first &&
      set_i64(dir, "memory.memsw.limit_in_bytes", swap, R "memory.swap", err) < 0)
    return -1;
  if (m->has_reservation &&
      set_i64(dir, "memory.soft_limit_in_bytes", m->reservation, R "memory.reservation", err) < 0)
    return -1;
  if (m->has_kernel_tcp &&
      set_i64(dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, R "memory.kernelTCP", err) < 0)
    return -1;
  if (m->has_swappiness &&
      set_i64(dir, "memory.swappiness", (int64_t)m->swappiness, R "memory.swappiness", err) < 0)
    return -1;
  if (m->has_disable_oom_killer &&
      husk_cg_set(dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0",
                  R "memory.disableOOMKiller", err) < 0)
    return -1;
  if (m->has_use_hierarchy && husk_cg_set(dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
                                          R "memory.useHierarchy", err) < 0)
    return -1;
  return 0;
}

static int apply_cpu_bandwidth(const char *dir, const struct husk_cpu *p, husk_error_t *err) {
  bool period_later = false;
  if (p->has_period && p->period != 0) {
    husk_error_t first = {0};
    if (set_i64(dir, "cpu.cfs_period_us", (int64_t)p->period, R "cpu.period", &first) < 0) {
      /* A shorter period can be refused while the old quota/period ratio
       * exceeds the parent's: retry once the new quota is in. */
      if (first.errnum != EINVAL || !p->has_quota) {
        if (err && err->msg == NULL)
          *err = first;
        else
          husk_error_clear(&first);
        return -1;
      }
      husk_error_clear(&first);
      period_later = true;
    }
  }
  if (p->has_burst && (p->burst != 0 || husk_cg_has(dir, "cpu.cfs_burst_us")) &&
      set_i64(dir, "cpu.cfs_burst_us", (int64_t)p->burst, R "cpu.burst", err) < 0)
    return -1;
  if (p->has_quota &&
      set_i64(dir, "cpu.cfs_quota_us", p->quota > 0 ? p->quota : -1, R "cpu.quota", err) < 0)
    return -1;
  if (period_later &&
      set_i64(dir, "cpu.cfs_period_us", (int64_t)p->period, R "cpu.period", err) < 0)
    return -1;
  return 0;
}

/* cpu.rt_runtime_us scaled to `period` (the kernel compares ratios). */
static uint64_t rt_share(const char *dir, uint64_t period) {
  uint64_t rt = 0, per = 0;
  if (husk_cg_read_u64(dir, "cpu.rt_runtime_us", &rt) < 0 ||
      husk_cg_read_u64(dir, "cpu.rt_period_us", &per) < 0 || per == 0)
    return 0;
  return (rt * period + per - 1) / per;
}

/* On v1 a new cgroup has no real-time budget (cpu.rt_runtime_us 0) and a
 * child can't get more than its parent has left, so under /husk/<id> (the
 * default of older husks) no realtimeRuntime could ever be given.  /husk is
 * husk's own: give it what its children use plus what this one asks.  (The
 * default /husk-<id> is right below the root, which has the budget, as
 * with runc and crun.)  Other parents belong to whoever set cgroupsPath:
 * left alone. */
static int grow_husk_rt_budget(const char *path, const char *dir, const struct husk_cpu *p,
                               husk_error_t *err) {
  if (!p->has_realtime_runtime || p->realtime_runtime <= 0 || strncmp(path, "/husk/", 6) != 0 ||
      strchr(path + 6, '/') != NULL)
    return 0;
  _cleanup_free_ char *parent = husk_xstrdup(dir);
  *strrchr(parent, '/') = '\0';
  uint64_t parent_period = 0, own_period = p->has_realtime_period ? p->realtime_period : 0;
  if (husk_cg_read_u64(parent, "cpu.rt_period_us", &parent_period) < 0 || parent_period == 0)
    return 0;
  if (own_period == 0 &&
      (husk_cg_read_u64(dir, "cpu.rt_period_us", &own_period) < 0 || own_period == 0))
    return 0;
  uint64_t want = ((uint64_t)p->realtime_runtime * parent_period + own_period - 1) / own_period;
  DIR *d = opendir(parent);
  if (d == NULL)
    return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.')
      continue;
    _cleanup_free_ char *sib = husk_xasprintf("%s/%s", parent, e->d_name);
    if (strcmp(sib, dir) != 0)
      want += rt_share(sib, parent_period);
  }
  closedir(d);
  uint64_t have = 0;
  if (husk_cg_read_u64(parent, "cpu.rt_runtime_us", &have) == 0 && have >= want)
    return 0;
  return set_i64(parent, "cpu.rt_runtime_us", (int64_t)want, R "cpu.realtimeRuntime (for /husk)",
                 err);
}

static int apply_cpu(const struct husk_cg_v1 *l, const char *path, const struct husk_cpu *p,
                     husk_error_t *err) {
  _cleanup_free_ char *dir = dir_of(l, path, "cpu");
  if (dir) {
    if (grow_husk_rt_budget(path, dir, p, err) < 0)
      return -1;
    if (p->has_shares && p->shares != 0 &&
        set_i64(dir, "cpu.shares", (int64_t)p->shares, R "cpu.shares", err) < 0)
      return -1;
    if (apply_cpu_bandwidth(dir, p, err) < 0)
      return -1;
    /* The period first: the runtime is checked against it. */
    if (p->has_realtime_period && set_i64(dir, "cpu.rt_period_us", (int64_t)p->realtime_period,
                                          R "cpu.realtimePeriod", err) < 0)
      return -1;
    if (p->has_realtime_runtime &&
        set_i64(dir, "cpu.rt_runtime_us", p->realtime_runtime, R "cpu.realtimeRuntime", err) < 0)
      return -1;
    if (p->has_idle && (p->idle != 0 || husk_cg_has(dir, "cpu.idle")) &&
        set_i64(dir, "cpu.idle", p->idle, R "cpu.idle", err) < 0)
      return -1;
  }
  _cleanup_free_ char *cpuset = dir_of(l, path, "cpuset");
  if (p->mems && husk_cg_set(cpuset, "cpuset.mems", p->mems, R "cpu.mems", err) < 0)
    return -1;
  if (p->cpus && husk_cg_set(cpuset, "cpuset.cpus", p->cpus, R "cpu.cpus", err) < 0)
    return -1;
  return 0;
}

static int write_dev_list(const char *dir, const char *file,
                          const struct husk_block_io_device_throttle *t, size_t n, const char *name,
                          husk_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    char buf[96], field[96];
    snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)t[i].major, (long long)t[i].minor,
             (unsigned long long)t[i].rate);
    snprintf(field, sizeof(field), R "blockIO.%s[%zu]", name, i);
    if (husk_cg_set(dir, file, buf, field, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_block_io(const char *dir, const struct husk_block_io *b, husk_error_t *err) {
  /* BFQ replaced CFQ on blk-mq kernels; its files carry a "bfq." infix. */
  bool bfq = !husk_cg_has(dir, "blkio.weight");
  const char *weight = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const char *weight_device = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  if (b->has_weight && b->weight != 0 &&
      set_i64(dir, weight, b->weight, R "blockIO.weight", err) < 0)
    return -1;
  if (b->has_leaf_weight && b->leaf_weight != 0 &&
      set_i64(dir, "blkio.leaf_weight", b->leaf_weight, R "blockIO.leafWeight", err) < 0)
    return -1;
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const struct husk_block_io_device_weight *w = &b->weight_device[i];
    char buf[96], field[96];
    snprintf(field, sizeof(field), R "blockIO.weightDevice[%zu]", i);
    if (w->has_weight) {
      snprintf(buf, sizeof(buf), "%lld:%lld %u", (long long)w->major, (long long)w->minor,
               w->weight);
      if (husk_cg_set(dir, weight_device, buf, field, err) < 0)
        return -1;
    }
    if (w->has_leaf_weight) {
      snprintf(buf, sizeof(buf), "%lld:%lld %u", (long long)w->major, (long long)w->minor,
               w->leaf_weight);
      if (husk_cg_set(dir, "blkio.leaf_weight_device", buf, field, err) < 0)
        return -1;
    }
  }
  if (write_dev_list(dir, "blkio.throttle.read_bps_device", b->throttle_read_bps_device,
                     b->throttle_read_bps_device_len, "throttleReadBpsDevice", err) < 0 ||
      write_dev_list(dir, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                     b->throttle_write_bps_device_len, "throttleWriteBpsDevice", err) < 0 ||
      write_dev_list(dir, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                     b->throttle_read_iops_device_len, "throttleReadIOPSDevice", err) < 0 ||
      write_dev_list(dir, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                     b->throttle_write_iops_device_len, "throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

/* "c 1:3 rwm", with "*" for an absent or -1 number; type a is "a". */
static void device_rule(char *buf, size_t size, const struct husk_device_cgroup *d) {
  if (d->type == 'a' && (!d->has_major || d->major < 0) && (!d->has_minor || d->minor < 0)) {
    snprintf(buf, size, "a");
    return;
  }
  char maj[24], min[24];
  husk_cg_devnum(maj, sizeof(maj), d->has_major, d->major);
  husk_cg_devnum(min, sizeof(min), d->has_minor, d->minor);
  snprintf(buf, size, "%c %s:%s %s", d->type, maj, min, d->access ? d->access : "rwm");
}

/* devices.deny and devices.allow, each opened once for all the rules: a
 * kernfs open costs more than the write of a rule. */
struct device_files {
  const char *dir;
  int fd[2]; /* [0] devices.deny, [1] devices.allow; -1 until used */
};

static int device_write(struct device_files *f, bool allow, const char *rule, const char *field,
                        husk_error_t *err) {
  const char *file = allow ? "devices.allow" : "devices.deny";
  int *fd = &f->fd[allow];
  if (*fd < 0) {
    _cleanup_free_ char *path = husk_xasprintf("%s/%s", f->dir, file);
    if ((*fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
      husk_error_set(err, errno, "open %s", path);
      return husk_error_prefix(err, "%s", field);
    }
  }
  ssize_t n;
  do
    n = write(*fd, rule, strlen(rule));
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    husk_error_set(err, errno, "write \"%s\" to %s/%s", rule, f->dir, file);
    return husk_error_prefix(err, "%s", field);
  }
  return 0;
}

/* Deny everything, then the rules in the order given (the spec's "MUST
 * apply entries in the listed order").  A running container updated this
 * way sees a moment with no device allowed. */
static int apply_devices(const char *dir, const struct husk_device_cgroup *rules, size_t n,
                         husk_error_t *err) {
  struct device_files files = {.dir = dir, .fd = {-1, -1}};
  int ret = device_write(&files, false, "a", R "devices", err);
  bool all_denied = true;
  for (size_t i = 0; ret == 0 && i < n; i++) {
    char buf[96], field[64];
    device_rule(buf, sizeof(buf), &rules[i]);
    /* The usual first rule denies all again: nothing to undo yet. */
    if (!rules[i].allow && all_denied && strcmp(buf, "a") == 0)
      continue;
    all_denied = all_denied && !rules[i].allow;
    snprintf(field, sizeof(field), R "devices[%zu]", i);
    ret = device_write(&files, rules[i].allow, buf, field, err);
  }
  for (int k = 0; k < 2; k++)
    if (files.fd[k] >= 0)
      close(files.fd[k]);
  return ret;
}

int husk_cg_v1_apply(const struct husk_cg_v1 *l, const char *path, const struct husk_resources *res,
                     husk_error_t *err) {
  if (res->has_memory) {
    _cleanup_free_ char *dir = dir_of(l, path, "memory");
    if (apply_memory(dir, &res->memory, err) < 0)
      return -1;
  }
  if (res->has_cpu && apply_cpu(l, path, &res->cpu, err) < 0)
    return -1;
  if (res->has_pids) {
    _cleanup_free_ char *dir = dir_of(l, path, "pids");
    char buf[32] = "max";
    if (res->pids_limit >= 0)
      snprintf(buf, sizeof(buf), "%lld", (long long)res->pids_limit);
    if (husk_cg_set(dir, "pids.max", buf, R "pids.limit", err) < 0)
      return -1;
  }
  if (res->has_block_io) {
    _cleanup_free_ char *dir = dir_of(l, path, "blkio");
    if (apply_block_io(dir, &res->block_io, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < res->hugepage_limits_len; i++) {
    _cleanup_free_ char *dir = dir_of(l, path, "hugetlb");
    const struct husk_hugepage_limit *h = &res->hugepage_limits[i];
    char file[96], field[96];
    snprintf(field, sizeof(field), R "hugepageLimits[%zu]", i);
    snprintf(file, sizeof(file), "hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
    if (husk_cg_has(dir, file) && set_i64(dir, file, (int64_t)h->limit, field, err) < 0)
      return -1;
    snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size);
    if (set_i64(dir, file, (int64_t)h->limit, field, err) < 0)
      return -1;
  }
  if (res->has_network && res->network.has_class_id) {
    _cleanup_free_ char *dir = dir_of(l, path, "net_cls");
    if (set_i64(dir, "net_cls.classid", res->network.class_id, R "network.classID", err) < 0)
      return -1;
  }
  for (size_t i = 0; res->has_network && i < res->network.priorities_len; i++) {
    _cleanup_free_ char *dir = dir_of(l, path, "net_prio");
    const struct husk_net_priority *p = &res->network.priorities[i];
    _cleanup_free_ char *line = husk_xasprintf("%s %u", p->name, p->priority);
    char field[96];
    snprintf(field, sizeof(field), R "network.priorities[%zu]", i);
    if (husk_cg_set(dir, "net_prio.ifpriomap", line, field, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < res->rdma_len; i++) {
    _cleanup_free_ char *dir = dir_of(l, path, "rdma");
    const struct husk_rdma *r = &res->rdma[i];
    char handles[32] = "", objects[32] = "";
    if (r->has_hca_handles)
      snprintf(handles, sizeof(handles), " hca_handle=%u", r->hca_handles);
    if (r->has_hca_objects)
      snprintf(objects, sizeof(objects), " hca_object=%u", r->hca_objects);
    _cleanup_free_ char *line = husk_xasprintf("%s%s%s", r->device, handles, objects);
    _cleanup_free_ char *field = husk_xasprintf(R "rdma[\"%s\"]", r->device);
    if (husk_cg_set(dir, "rdma.max", line, field, err) < 0)
      return -1;
  }
  if (res->devices_len > 0) {
    _cleanup_free_ char *dir = dir_of(l, path, "devices");
    if (apply_devices(dir, res->devices, res->devices_len, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- freezer ---------------------------------------------------------- */

int husk_cg_v1_freeze(const struct husk_cg_v1 *l, const char *path, bool frozen,
                      husk_error_t *err) {
  _cleanup_free_ char *dir = dir_of(l, path, "freezer");
  if (dir == NULL)
    return husk_error_set(err, ENOTSUP, "%s %s: the freezer controller is not mounted",
                          frozen ? "freeze" : "thaw", path);
  const char *want = frozen ? "FROZEN" : "THAWED";
  for (int i = 0; i < 1000; i++) {
    /* Write again now and then: a task that was in the middle of a fork or
     * a vfork can leave the cgroup stuck in FREEZING. */
    if (i % 50 == 0 && husk_cg_write(dir, "freezer.state", want, err) < 0)
      return -1;
    _cleanup_free_ char *state = NULL;
    if (husk_cg_read(dir, "freezer.state", &state, err) < 0)
      return -1;
    if (strncmp(state, want, strlen(want)) == 0)
      return 0;
    husk_cg_nap();
  }
  return husk_error_set(err, ETIMEDOUT, "%s %s/freezer.state: still not %s after 10 s",
                        frozen ? "freeze" : "thaw", dir, want);
}

int husk_cg_v1_is_frozen(const struct husk_cg_v1 *l, const char *path, bool *frozen,
                         husk_error_t *err) {
  _cleanup_free_ char *dir = dir_of(l, path, "freezer");
  if (dir == NULL)
    return husk_error_set(err, ENOTSUP, "%s: the freezer controller is not mounted", path);
  _cleanup_free_ char *state = NULL;
  if (husk_cg_read(dir, "freezer.state", &state, err) < 0)
    return -1;
  *frozen = strncmp(state, "FROZEN", 6) == 0;
  return 0;
}

/* ---- stats ------------------------------------------------------------ */

/* blkio.throttle.io_service_bytes_recursive: "8:0 Read 4096" lines, then
 * a "Total N" line summing them all. */
static void blkio_stats(const char *dir, struct husk_cgroup_stats *st) {
  _cleanup_free_ char *s = NULL;
  if (husk_cg_read(dir, "blkio.throttle.io_service_bytes_recursive", &s, NULL) < 0)
    return;
  char *save = NULL;
  for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    unsigned long long maj, min, v;
    char op[8];
    if (sscanf(line, "%llu:%llu %7s %llu", &maj, &min, op, &v) != 4)
      continue;
    husk_cg_add_blkio(st, maj, min, op, v);
  }
}

static void hugetlb_stats(const char *dir, struct husk_cgroup_stats *st) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  const char *suffix = ".usage_in_bytes";
  size_t slen = strlen(suffix);
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (strncmp(e->d_name, "hugetlb.", 8) != 0 || n <= 8 + slen ||
        strcmp(e->d_name + n - slen, suffix) != 0 || strstr(e->d_name, ".rsvd."))
      continue;
    st->hugetlb = husk_xrealloc(st->hugetlb, (st->hugetlb_len + 1) * sizeof(*st->hugetlb));
    struct husk_hugetlb_stat *h = &st->hugetlb[st->hugetlb_len++];
    memset(h, 0, sizeof(*h));
    snprintf(h->page_size, sizeof(h->page_size), "%.*s", (int)(n - 8 - slen), e->d_name + 8);
    husk_cg_read_u64(dir, e->d_name, &h->usage);
    _cleanup_free_ char *max = husk_xasprintf("hugetlb.%s.max_usage_in_bytes", h->page_size);
    _cleanup_free_ char *fail = husk_xasprintf("hugetlb.%s.failcnt", h->page_size);
    husk_cg_read_u64(dir, max, &h->max_usage);
    husk_cg_read_u64(dir, fail, &h->failcnt);
  }
  closedir(d);
}

int husk_cg_v1_stats(const struct husk_cg_v1 *l, const char *path, struct husk_cgroup_stats *st,
                     husk_error_t *err) {
  bool any = false;
  _cleanup_free_ char *cpuacct = dir_of(l, path, "cpuacct");
  if (cpuacct && husk_cg_has(cpuacct, "cgroup.procs")) {
    any = true;
    husk_cg_read_u64(cpuacct, "cpuacct.usage", &st->cpu_usage_total);
    husk_cg_read_u64(cpuacct, "cpuacct.usage_user", &st->cpu_usage_user);
    husk_cg_read_u64(cpuacct, "cpuacct.usage_sys", &st->cpu_usage_kernel);
    husk_cg_read(cpuacct, "cpuacct.usage_percpu", &st->cpu_percpu, NULL);
  }
  _cleanup_free_ char *cpu = dir_of(l, path, "cpu");
  if (cpu && husk_cg_has(cpu, "cgroup.procs")) {
    any = true;
    husk_cg_read_keyed(cpu, "cpu.stat", "nr_periods", &st->cpu_periods);
    husk_cg_read_keyed(cpu, "cpu.stat", "nr_throttled", &st->cpu_throttled_periods);
    husk_cg_read_keyed(cpu, "cpu.stat", "throttled_time", &st->cpu_throttled_time);
  }
  _cleanup_free_ char *mem = dir_of(l, path, "memory");
  if (mem && husk_cg_has(mem, "cgroup.procs")) {
    any = true;
    husk_cg_read_u64(mem, "memory.usage_in_bytes", &st->memory_usage);
    husk_cg_read_u64(mem, "memory.limit_in_bytes", &st->memory_limit);
    husk_cg_read_u64(mem, "memory.max_usage_in_bytes", &st->memory_max_usage);
    husk_cg_read_u64(mem, "memory.failcnt", &st->memory_failcnt);
    husk_cg_read_u64(mem, "memory.memsw.usage_in_bytes", &st->memory_swap_usage);
    husk_cg_read_u64(mem, "memory.memsw.limit_in_bytes", &st->memory_swap_limit);
    husk_cg_read(mem, "memory.stat", &st->memory_stat, NULL);
    if (husk_cg_read_keyed(mem, "memory.stat", "total_cache", &st->memory_cache) < 0)
      husk_cg_read_keyed(mem, "memory.stat", "cache", &st->memory_cache);
    /* v1 counts kills (4.13+) but not the times the limit was hit with no
     * kill: oom_events stays 0 unless a kill happened. */
    husk_cg_read_keyed(mem, "memory.oom_control", "oom_kill", &st->memory_oom_kill_events);
    st->memory_oom_events = st->memory_oom_kill_events;
  }
  _cleanup_free_ char *pids = dir_of(l, path, "pids");
  if (pids && husk_cg_has(pids, "cgroup.procs")) {
    any = true;
    husk_cg_read_u64(pids, "pids.current", &st->pids_current);
    if (husk_cg_read_u64(pids, "pids.max", &st->pids_limit) == 0 && st->pids_limit == UINT64_MAX)
      st->pids_limit = 0;
  }
  _cleanup_free_ char *blkio = dir_of(l, path, "blkio");
  if (blkio)
    blkio_stats(blkio, st);
  _cleanup_free_ char *hugetlb = dir_of(l, path, "hugetlb");
  if (hugetlb)
    hugetlb_stats(hugetlb, st);
  if (!any)
    return husk_error_set(err, ENOENT, "stats of cgroup %s: it exists in no hierarchy", path);
  return 0;
}
