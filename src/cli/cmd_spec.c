/* husk spec — write a starter config.json.
 *
 * The document is `runc spec` (and `runc spec --rootless`) field for field,
 * in the same order and with the same tab indentation and no final newline,
 * so tools and tutorials written for runc keep working.  The one intended
 * difference is "ociVersion": husk writes the spec version it implements
 * (1.3.0) where runc 1.1.5 writes "1.0.2-dev". */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "husk/spec.h"
#include "util.h"

enum { SPEC_BUNDLE, SPEC_ROOTLESS, SPEC_OPTION_COUNT };

const struct husk_option cmd_spec_options[] = {
    [SPEC_BUNDLE] = {"bundle", 'b', true, "path to the root of the bundle directory"},
    [SPEC_ROOTLESS] = {"rootless", 0, false, "generate a configuration for a rootless container"},
    {NULL},
};

#define SPEC_FILE "config.json"

static void str(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void key_str(yajl_gen g, const char *key, const char *value) {
  str(g, key);
  str(g, value);
}

static void key_int(yajl_gen g, const char *key, long long value) {
  str(g, key);
  yajl_gen_integer(g, value);
}

static void key_bool(yajl_gen g, const char *key, bool value) {
  str(g, key);
  yajl_gen_bool(g, value);
}

/* A NULL-terminated list of strings as a JSON array under key. */
static void key_strv(yajl_gen g, const char *key, const char *const *items) {
  str(g, key);
  yajl_gen_array_open(g);
  for (; *items; items++)
    str(g, *items);
  yajl_gen_array_close(g);
}

static void gen_process(yajl_gen g) {
  static const char *const args[] = {"sh", NULL};
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
  static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};

  str(g, "process");
  yajl_gen_map_open(g);
  key_bool(g, "terminal", true);
  str(g, "user");
  yajl_gen_map_open(g);
  key_int(g, "uid", 0);
  key_int(g, "gid", 0);
  yajl_gen_map_close(g);
  key_strv(g, "args", args);
  key_strv(g, "env", env);
  key_str(g, "cwd", "/");
  str(g, "capabilities");
  yajl_gen_map_open(g);
  key_strv(g, "bounding", caps);
  key_strv(g, "effective", caps);
  key_strv(g, "permitted", caps);
  key_strv(g, "ambient", caps);
  yajl_gen_map_close(g);
  str(g, "rlimits");
  yajl_gen_array_open(g);
  yajl_gen_map_open(g);
  key_str(g, "type", "RLIMIT_NOFILE");
  key_int(g, "hard", 1024);
  key_int(g, "soft", 1024);
  yajl_gen_map_close(g);
  yajl_gen_array_close(g);
  key_bool(g, "noNewPrivileges", true);
  yajl_gen_map_close(g);
}

static void gen_mount(yajl_gen g, const char *destination, const char *type, const char *source,
                      const char *const *options) {
  yajl_gen_map_open(g);
  key_str(g, "destination", destination);
  key_str(g, "type", type);
  key_str(g, "source", source);
  if (options != NULL)
    key_strv(g, "options", options);
  yajl_gen_map_close(g);
}

static void gen_mounts(yajl_gen g, bool rootless) {
  static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
  /* Rootless drops gid=5: the tty group is not mapped into its user namespace. */
  static const char *const devpts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                       "mode=0620", "gid=5",  NULL};
  static const char *const devpts_rootless[] = {"nosuid",        "noexec",    "newinstance",
                                                "ptmxmode=0666", "mode=0620", NULL};
  static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
  static const char *const mqueue[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
  /* Rootless binds the host's /sys: a new sysfs needs its own network namespace. */
  static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
  static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};

  str(g, "mounts");
  yajl_gen_array_open(g);
  gen_mount(g, "/proc", "proc", "proc", NULL);
  gen_mount(g, "/dev", "tmpfs", "tmpfs", dev);
  gen_mount(g, "/dev/pts", "devpts", "devpts", rootless ? devpts_rootless : devpts);
  gen_mount(g, "/dev/shm", "tmpfs", "shm", shm);
  gen_mount(g, "/dev/mqueue", "mqueue", "mqueue", mqueue);
  if (rootless)
    gen_mount(g, "/sys", "none", "/sys", sys_rootless);
  else
    gen_mount(g, "/sys", "sysfs", "sysfs", sys);
  gen_mount(g, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup);
  yajl_gen_array_close(g);
}

/* Map only the caller, as root in the container. */
static void gen_id_mapping(yajl_gen g, const char *key, unsigned host_id) {
  str(g, key);
  yajl_gen_array_open(g);
  yajl_gen_map_open(g);
  key_int(g, "containerID", 0);
  key_int(g, "hostID", host_id);
  key_int(g, "size", 1);
  yajl_gen_map_close(g);
  yajl_gen_array_close(g);
}

static void gen_linux(yajl_gen g, bool rootless) {
  static const char *const masked[] = {"/proc/acpi",
                                       "/proc/asound",
                                       "/proc/kcore",
                                       "/proc/keys",
                                       "/proc/latency_stats",
                                       "/proc/timer_list",
                                       "/proc/timer_stats",
                                       "/proc/sched_debug",
                                       "/sys/firmware",
                                       "/proc/scsi",
                                       NULL};
  static const char *const readonly[] = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
  /* Rootless has no network namespace of its own (it could not be set up
   * without privileges) but a user namespace. */
  static const char *const namespaces[] = {"pid", "network", "ipc", "uts", "mount", NULL};
  static const char *const namespaces_rootless[] = {"pid", "ipc", "uts", "mount", "user", NULL};

  str(g, "linux");
  yajl_gen_map_open(g);
  if (rootless) {
    gen_id_mapping(g, "uidMappings", (unsigned)geteuid());
    gen_id_mapping(g, "gidMappings", (unsigned)getegid());
  } else {
    /* Deny all devices; rootless leaves cgroups alone (it may not own them). */
    str(g, "resources");
    yajl_gen_map_open(g);
    str(g, "devices");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    key_bool(g, "allow", false);
    key_str(g, "access", "rwm");
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
  }
  str(g, "namespaces");
  yajl_gen_array_open(g);
  for (const char *const *ns = rootless ? namespaces_rootless : namespaces; *ns; ns++) {
    yajl_gen_map_open(g);
    key_str(g, "type", *ns);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  key_strv(g, "maskedPaths", masked);
  key_strv(g, "readonlyPaths", readonly);
  yajl_gen_map_close(g);
}

/* The starter spec as text, tab-indented, without a final newline (as runc). */
static char *spec_json(bool rootless) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "\t");

  yajl_gen_map_open(g);
  key_str(g, "ociVersion", HUSK_OCI_VERSION);
  gen_process(g);
  str(g, "root");
  yajl_gen_map_open(g);
  key_str(g, "path", "rootfs");
  key_bool(g, "readonly", true);
  yajl_gen_map_close(g);
  key_str(g, "hostname", "runc"); /* runc's value, kept so the two stay identical */
  gen_mounts(g, rootless);
  gen_linux(g, rootless);
  yajl_gen_map_close(g);

  const unsigned char *buf = NULL;
  size_t len = 0;
  yajl_gen_get_buf(g, &buf, &len);
  while (len > 0 && buf[len - 1] == '\n')
    len--;
  char *out = husk_xmalloc(len + 1);
  memcpy(out, buf, len);
  out[len] = '\0';
  yajl_gen_free(g);
  return out;
}

int cmd_spec(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[SPEC_OPTION_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  const char *bundle = flags[SPEC_BUNDLE].set ? flags[SPEC_BUNDLE].value : NULL;
  bool rootless = flags[SPEC_ROOTLESS].set;

  husk_error_t err = {0};
  _cleanup_free_ char *path =
      bundle && bundle[0] ? husk_xasprintf("%s/" SPEC_FILE, bundle) : husk_xstrdup(SPEC_FILE);
  husk_flags_free(cmd_spec_options, flags);

  struct stat st;
  if (bundle && bundle[0] && stat(bundle, &st) < 0) {
    husk_error_set(&err, errno, "chdir %s", bundle);
    return husk_cli_fail(cli, &err);
  }
  /* runc's words.  The check and the write are not one atomic step; two
   * concurrent `spec` runs in one directory may both succeed. */
  if (lstat(path, &st) == 0) {
    husk_cli_error(cli, "File " SPEC_FILE " exists. Remove it first");
    return 1;
  }
  _cleanup_free_ char *json = spec_json(rootless);
  if (husk_write_file_atomic(path, json, strlen(json), 0666, &err) < 0)
    return husk_cli_fail(cli, &err);
  return 0;
}
