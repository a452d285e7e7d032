/* husk — namespace plan: create, join, and the user namespace maps. */
#include "namespace.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "procfs.h"
#include "rootless.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *const proc_ns_name[HUSK_NS_COUNT] = {
    [HUSK_NS_MOUNT] = "mnt",     [HUSK_NS_PID] = "pid",   [HUSK_NS_NETWORK] = "net",
    [HUSK_NS_UTS] = "uts",       [HUSK_NS_IPC] = "ipc",   [HUSK_NS_USER] = "user",
    [HUSK_NS_CGROUP] = "cgroup", [HUSK_NS_TIME] = "time",
};

/* Joined by the parent: they either only affect its future children (pid,
 * time) or nothing the parent does afterwards (net, ipc, uts, cgroup). */
static bool parent_joins(enum husk_ns_type t) {
  return t == HUSK_NS_PID || t == HUSK_NS_TIME || t == HUSK_NS_NETWORK || t == HUSK_NS_IPC ||
         t == HUSK_NS_UTS || t == HUSK_NS_CGROUP;
}

int husk_ns_plan_build(const struct husk_spec *spec, struct husk_ns_plan *plan, husk_error_t *err) {
  memset(plan, 0, sizeof(*plan));
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    plan->join_fd[t] = -1;
  const struct husk_linux *lx = &spec->linux_;
  for (size_t i = 0; i < lx->namespaces_len; i++) {
    const struct husk_namespace *ns = &lx->namespaces[i];
    int flag = husk_ns_clone_flag(ns->type);
    if (ns->path == NULL) {
      if (ns->type == HUSK_NS_TIME)
        plan->new_time = true;
      else
        plan->clone_flags |= flag;
      if (ns->type == HUSK_NS_USER)
        plan->new_user = true;
      continue;
    }
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      husk_ns_plan_close(plan);
      return husk_error_set(err, errno, "linux.namespaces[%zu].path %s", i, ns->path);
    }
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type != flag) {
      close(fd);
      husk_ns_plan_close(plan);
      return husk_error_set(err, 0, "linux.namespaces[%zu].path %s: not a %s namespace", i,
                            ns->path, husk_ns_type_name(ns->type));
    }
    plan->join_fd[ns->type] = fd;
  }
  /* New namespaces must belong to a joined user namespace, so the init makes
   * them after it joined; a pid namespace can't be made that way (it would
   * need one more fork). */
  if (plan->join_fd[HUSK_NS_USER] >= 0) {
    if (plan->clone_flags & CLONE_NEWPID) {
      husk_ns_plan_close(plan);
      return husk_error_set(err, ENOTSUP,
                            "linux.namespaces: a new pid namespace together with joining a user "
                            "namespace by path is not supported yet");
    }
    plan->unshare_flags = plan->clone_flags;
    plan->clone_flags = 0;
  }
  if (plan->new_user && plan->join_fd[HUSK_NS_MOUNT] >= 0) {
    husk_ns_plan_close(plan);
    return husk_error_set(err, ENOTSUP,
                          "linux.namespaces: joining a mount namespace by path from a new user "
                          "namespace is not possible (it is owned by another user namespace)");
  }
  return 0;
}

void husk_ns_plan_close(struct husk_ns_plan *plan) {
  for (int t = 0; t < HUSK_NS_COUNT; t++) {
    if (plan->join_fd[t] >= 0)
      close(plan->join_fd[t]);
    plan->join_fd[t] = -1;
  }
}

static int write_time_offsets(const struct husk_spec *spec, husk_error_t *err) {
  const struct husk_linux *lx = &spec->linux_;
  char buf[256];
  int len = 0;
  if (lx->time_offset_monotonic.set)
    len += snprintf(buf + len, sizeof(buf) - (size_t)len, "monotonic %lld %u\n",
                    (long long)lx->time_offset_monotonic.secs, lx->time_offset_monotonic.nanosecs);
  if (lx->time_offset_boottime.set)
    len += snprintf(buf + len, sizeof(buf) - (size_t)len, "boottime %lld %u\n",
                    (long long)lx->time_offset_boottime.secs, lx->time_offset_boottime.nanosecs);
  if (len == 0)
    return 0;
  _cleanup_close_ int fd = husk_procfs_open(-1, "self/timens_offsets", O_WRONLY, err);
  if (fd < 0)
    return husk_error_prefix(err, "linux.timeOffsets");
  if (husk_write_all(fd, buf, (size_t)len) < 0)
    return husk_error_set(err, errno, "linux.timeOffsets: write /proc/self/timens_offsets");
  return 0;
}

int husk_ns_parent_enter(const struct husk_spec *spec, const struct husk_ns_plan *plan,
                         struct husk_ns_saved *saved, husk_error_t *err) {
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    saved->fd[t] = -1;
  for (int t = 0; t < HUSK_NS_COUNT; t++) {
    bool join = plan->join_fd[t] >= 0 && parent_joins(t) && plan->join_fd[HUSK_NS_USER] < 0;
    bool unshare_time = t == HUSK_NS_TIME && plan->new_time;
    if (!join && !unshare_time)
      continue;
    /* pid and time: what we change is the namespace of our children. */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/ns/%s%s", proc_ns_name[t],
             (t == HUSK_NS_PID || t == HUSK_NS_TIME) ? "_for_children" : "");
    saved->fd[t] = open(path, O_RDONLY | O_CLOEXEC);
    if (saved->fd[t] < 0)
      goto fail_errno;
    if (join && setns(plan->join_fd[t], husk_ns_clone_flag(t)) < 0) {
      husk_error_set(err, errno, "join the %s namespace of linux.namespaces", husk_ns_type_name(t));
      goto fail;
    }
    if (unshare_time) {
      if (unshare(CLONE_NEWTIME) < 0) {
        husk_error_set(err, errno, "create a time namespace");
        goto fail;
      }
      if (write_time_offsets(spec, err) < 0)
        goto fail;
    }
  }
  return 0;
fail_errno:
  husk_error_set(err, errno, "open the runtime's namespaces");
fail:
  husk_ns_parent_restore(saved, NULL);
  return -1;
}

int husk_ns_parent_restore(struct husk_ns_saved *saved, husk_error_t *err) {
  int ret = 0;
  for (int t = 0; t < HUSK_NS_COUNT; t++) {
    if (saved->fd[t] < 0)
      continue;
    if (setns(saved->fd[t], husk_ns_clone_flag(t)) < 0 && ret == 0)
      ret =
          husk_error_set(err, errno, "return to the runtime's %s namespace", husk_ns_type_name(t));
    close(saved->fd[t]);
    saved->fd[t] = -1;
  }
  return ret;
}

int husk_ns_init_join(const struct husk_ns_plan *plan, husk_error_t *err) {
  /* The user namespace first: it decides what we may do in the others. */
  static const enum husk_ns_type order[] = {HUSK_NS_USER, HUSK_NS_MOUNT, HUSK_NS_NETWORK,
                                            HUSK_NS_IPC,  HUSK_NS_UTS,   HUSK_NS_CGROUP,
                                            HUSK_NS_TIME};
  bool joined_user = plan->join_fd[HUSK_NS_USER] >= 0;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    enum husk_ns_type t = order[i];
    if (plan->join_fd[t] < 0 || (parent_joins(t) && !joined_user))
      continue;
    if (setns(plan->join_fd[t], husk_ns_clone_flag(t)) < 0)
      return husk_error_set(err, errno, "join the %s namespace of linux.namespaces",
                            husk_ns_type_name(t));
  }
  if (plan->unshare_flags && unshare(plan->unshare_flags) < 0)
    return husk_error_set(err, errno, "create the namespaces of linux.namespaces");
  return 0;
}

char *husk_id_map_format(const struct husk_id_mapping *maps, size_t n, size_t *len_out) {
  /* "4294967295 4294967295 4294967295\n" is 33 bytes. */
  size_t cap = n * 40 + 1, len = 0;
  char *buf = husk_xmalloc(cap);
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", maps[i].container_id,
                            maps[i].host_id, maps[i].size);
  *len_out = len;
  return buf;
}

static int write_map(pid_t pid, const char *file, const struct husk_id_mapping *maps, size_t n,
                     const char *field, husk_error_t *err) {
  if (n == 0)
    return 0;
  size_t len = 0;
  _cleanup_free_ char *buf = husk_id_map_format(maps, n, &len);
  char path[64];
  snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
  _cleanup_close_ int fd = husk_procfs_open(-1, path, O_WRONLY, err);
  if (fd < 0)
    return husk_error_prefix(err, "%s", field);
  if (write(fd, buf, len) != (ssize_t)len)
    return husk_error_set(err, errno, "%s: write /proc/%s", field, path);
  return 0;
}

int husk_userns_write_maps(pid_t pid, const struct husk_spec *spec, husk_error_t *err) {
  const struct husk_linux *lx = &spec->linux_;
  if (husk_rootless_maps_need_help()) /* an ordinary user: rootless.c */
    return husk_rootless_write_maps(pid, spec, err);
  if (write_map(pid, "uid_map", lx->uid_mappings, lx->uid_mappings_len, "linux.uidMappings", err) <
      0)
    return -1;
  return write_map(pid, "gid_map", lx->gid_mappings, lx->gid_mappings_len, "linux.gidMappings",
                   err);
}
