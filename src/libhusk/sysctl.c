/* husk — linux.sysctl (see exec_steps.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "exec_steps.h"
#include "procfs.h"
#include "util.h"

/* The IPC sysctls the IPC namespace owns (ipc_namespace.c). */
static const char *const ipc_keys[] = {
    "kernel.msgmax",      "kernel.msgmnb",      "kernel.msgmni",      "kernel.sem",
    "kernel.shmall",      "kernel.shmmax",      "kernel.shmmni",      "kernel.shm_rmid_forced",
    "kernel.msg_next_id", "kernel.sem_next_id", "kernel.shm_next_id",
};

static bool has_ns(const struct husk_spec *spec, enum husk_ns_type type) {
  return husk_spec_find_ns(spec, type) != NULL;
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Which namespace makes `key` the container's own; HUSK_NS_COUNT: none
 * does, so writing it would change the host. */
static enum husk_ns_type key_namespace(const char *key) {
  for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
    if (strcmp(key, ipc_keys[i]) == 0)
      return HUSK_NS_IPC;
  if (starts_with(key, "fs.mqueue.") || starts_with(key, "fs/mqueue/"))
    return HUSK_NS_IPC;
  if (starts_with(key, "net.") || starts_with(key, "net/"))
    return HUSK_NS_NETWORK;
  return HUSK_NS_COUNT;
}

/* The config field a sysctl would fight with (runc refuses these too). */
static const char *conflicting_field(const char *key) {
  if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel/hostname") == 0)
    return "hostname";
  if (strcmp(key, "kernel.domainname") == 0 || strcmp(key, "kernel/domainname") == 0)
    return "domainname";
  return NULL;
}

/* runc's messages, with the reason after them.  One per key; husk check
 * (err->collect) gets one for every key at fault. */
int husk_sysctl_check(const struct husk_spec *spec, husk_error_t *err) {
  for (size_t i = 0; i < spec->linux_.sysctl_len; i++) {
    const char *key = spec->linux_.sysctl[i].key;
    const char *field = conflicting_field(key);
    enum husk_ns_type ns = key_namespace(key);
    int r = 0;
    if (field)
      r = husk_error_report(err, 0,
                            "linux.sysctl: sysctl \"%s\" is not allowed as it conflicts with the "
                            "OCI \"%s\" field",
                            key, field);
    else if (ns == HUSK_NS_COUNT)
      r = husk_error_report(err, 0,
                            "linux.sysctl: sysctl \"%s\" is not in a separate kernel namespace: "
                            "setting it would change the host",
                            key);
    else if (!has_ns(spec, ns))
      r = husk_error_report(err, 0,
                            "linux.sysctl: sysctl \"%s\" is not allowed in the hosts %s namespace "
                            "(linux.namespaces has no \"%s\")",
                            key, ns == HUSK_NS_NETWORK ? "network" : "ipc", husk_ns_type_name(ns));
    if (r < 0)
      return -1;
  }
  return 0;
}

/* /proc/sys/<key>: "." separates; like sysctl(8), a key that also holds
 * "/" has the two swapped ("net.ipv4.conf.eth0/100.forwarding").  No empty,
 * "." or ".." component can walk out of /proc/sys. */
static char *key_path(const char *key) {
  bool swap = strchr(key, '/') != NULL;
  char *path = husk_xasprintf("/proc/sys/%s", key);
  char *rel = path + strlen("/proc/sys/");
  for (char *p = rel; *p; p++) {
    if (*p == '.')
      *p = '/';
    else if (*p == '/' && swap)
      *p = '.';
  }
  for (char *c = rel; c;) {
    char *end = strchr(c, '/');
    size_t n = end ? (size_t)(end - c) : strlen(c);
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
      free(path);
      return NULL;
    }
    c = end ? end + 1 : NULL;
  }
  return path;
}

int husk_sysctl_apply(const struct husk_spec *spec, husk_error_t *err) {
  if (husk_sysctl_check(spec, err) < 0)
    return -1;
  if (spec->linux_.sysctl_len == 0)
    return 0;
  _cleanup_close_ int proc = husk_procfs_root(err);
  if (proc < 0)
    return husk_error_prefix(err, "linux.sysctl");
  for (size_t i = 0; i < spec->linux_.sysctl_len; i++) {
    const struct husk_kv *kv = &spec->linux_.sysctl[i];
    _cleanup_free_ char *path = key_path(kv->key);
    if (path == NULL)
      return husk_error_set(err, 0, "linux.sysctl: invalid key %s", kv->key);
    _cleanup_close_ int fd = husk_procfs_open(proc, path + strlen("/proc/"), O_WRONLY, err);
    if (fd < 0)
      return husk_error_prefix(err, "linux.sysctl: %s", kv->key);
    const char *value = kv->value ? kv->value : "";
    if (husk_write_all(fd, value, strlen(value)) < 0)
      return husk_error_set(err, errno, "linux.sysctl: %s: write \"%s\" to %s", kv->key, value,
                            path);
  }
  return 0;
}
