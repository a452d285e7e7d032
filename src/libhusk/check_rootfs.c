/* husk check — the bundle against its image: what create and the init
 * would only find out while building the container. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check_internal.h"
#include "path_resolve.h"
#include "mount_options.h"
#include "util.h"

/* What execvp and runc use when process.env has no PATH (exec_setup.c). */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(const struct husk_strv *env, const char *name) {
  size_t n = strlen(name);
  for (size_t i = env->len; i > 0; i--) /* the last one wins, as in execve's env */
    if (strncmp(env->items[i - 1], name, n) == 0 && env->items[i - 1][n] == '=')
      return env->items[i - 1] + n + 1;
  return NULL;
}

/* stat of `path` inside the rootfs (symlinks resolved in it); -errno. */
static int stat_in_root(int root_fd, const char *path, struct stat *st) {
  int fd = husk_path_open_in_root(root_fd, path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return fd;
  int r = fstat(fd, st) < 0 ? -errno : 0;
  close(fd);
  return r;
}

static void check_args0(const struct husk_process *p, int root_fd, struct husk_findings *out) {
  if (p->args.len == 0)
    return; /* the validator says so */
  const char *file = p->args.items[0];
  if (file[0] == '\0') {
    husk_findings_add(out, HUSK_SEV_ERROR, "process.args[0]", "must not be empty");
    return;
  }
  const char *path = env_get(&p->env, "PATH");
  if (strchr(file, '/') == NULL && path == NULL)
    path = DEFAULT_PATH;
  bool found_not_exec = false;
  for (const char *dir = strchr(file, '/') ? NULL : path;; dir = strchr(dir, ':') + 1) {
    _cleanup_free_ char *cand = NULL;
    if (dir == NULL) {
      /* A relative name with a slash is taken from process.cwd. */
      cand = file[0] == '/' ? husk_xstrdup(file)
                            : husk_xasprintf("%s/%s", p->cwd ? p->cwd : "/", file);
    } else {
      const char *end = strchrnul(dir, ':');
      cand = end == dir ? husk_xasprintf("%s/%s", p->cwd ? p->cwd : "/", file)
                        : husk_xasprintf("%.*s/%s", (int)(end - dir), dir, file);
    }
    struct stat st;
    if (stat_in_root(root_fd, cand, &st) == 0 && S_ISREG(st.st_mode)) {
      if (st.st_mode & 0111)
        return;
      found_not_exec = true;
    }
    if (dir == NULL || strchr(dir, ':') == NULL)
      break;
  }
  if (found_not_exec)
    husk_findings_add(out, HUSK_SEV_ERROR, "process.args[0]",
                      "\"%s\" is in the rootfs but not executable (no x bit)", file);
  else if (strchr(file, '/'))
    husk_findings_add(out, HUSK_SEV_ERROR, "process.args[0]",
                      "\"%s\": no such executable file in the rootfs", file);
  else
    husk_findings_add(out, HUSK_SEV_ERROR, "process.args[0]",
                      "\"%s\": executable file not found in the rootfs on $PATH (%s)", file, path);
}

static bool mapped(const struct husk_id_mapping *maps, size_t n, uint32_t id) {
  for (size_t i = 0; i < n; i++)
    if (id >= maps[i].container_id && id - maps[i].container_id < maps[i].size)
      return true;
  return false;
}

/* Whether /etc/passwd (or /etc/group) of the rootfs has an entry with this
 * id in its third field; -1 when there is no such file. */
static int has_id_entry(int root_fd, const char *file, uint32_t id) {
  int fd = husk_path_open_in_root(root_fd, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return -1;
  struct stat st;
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  husk_error_t ignored = {0};
  int r = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
              ? husk_read_fd(fd, file, 4u << 20, &data, &len, &ignored)
              : -1;
  close(fd);
  husk_error_clear(&ignored);
  if (r < 0)
    return -1;
  for (char *line = data; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2) {
      char *end = NULL;
      unsigned long v = strtoul(c2 + 1, &end, 10);
      if (end != c2 + 1 && *end == ':' && v == id)
        return 1;
    }
    line = nl ? nl + 1 : NULL;
  }
  return 0;
}

static void check_user(const struct husk_spec *spec, int root_fd, struct husk_findings *out) {
  const struct husk_user *u = &spec->process.user;
  const struct husk_linux *l = &spec->linux_;
  const struct husk_namespace *userns = husk_spec_find_ns(spec, HUSK_NS_USER);
  if (userns && userns->path == NULL) {
    /* setresuid(2) to an id the new namespace does not map fails. */
    if (!mapped(l->uid_mappings, l->uid_mappings_len, u->uid))
      husk_findings_add(out, HUSK_SEV_ERROR, "process.user.uid",
                        "%u is not mapped by linux.uidMappings", u->uid);
    if (!mapped(l->gid_mappings, l->gid_mappings_len, u->gid))
      husk_findings_add(out, HUSK_SEV_ERROR, "process.user.gid",
                        "%u is not mapped by linux.gidMappings", u->gid);
    for (size_t i = 0; i < u->additional_gids_len; i++)
      if (!mapped(l->gid_mappings, l->gid_mappings_len, u->additional_gids[i])) {
        char path[64];
        snprintf(path, sizeof path, "process.user.additionalGids[%zu]", i);
        husk_findings_add(out, HUSK_SEV_ERROR, path, "%u is not mapped by linux.gidMappings",
                          u->additional_gids[i]);
      }
  }
  if (u->uid != 0 && has_id_entry(root_fd, "/etc/passwd", u->uid) == 0)
    husk_findings_add(out, HUSK_SEV_NOTE, "process.user.uid",
                      "%u has no entry in the rootfs's /etc/passwd: the process runs with that "
                      "bare uid and HOME=/",
                      u->uid);
  if (u->gid != 0 && has_id_entry(root_fd, "/etc/group", u->gid) == 0)
    husk_findings_add(out, HUSK_SEV_NOTE, "process.user.gid",
                      "%u has no entry in the rootfs's /etc/group: the process runs with that "
                      "bare gid",
                      u->gid);
}

static void check_cwd(const struct husk_process *p, int root_fd, struct husk_findings *out) {
  if (p->cwd == NULL || p->cwd[0] != '/')
    return; /* the validator says so */
  struct stat st;
  int r = stat_in_root(root_fd, p->cwd, &st);
  if (r == -ENOENT)
    husk_findings_add(out, HUSK_SEV_NOTE, "process.cwd",
                      "%s does not exist in the rootfs: husk creates it (owned by the process's "
                      "user)",
                      p->cwd);
  else if (r < 0)
    husk_findings_add(out, HUSK_SEV_ERROR, "process.cwd", "%s: %s", p->cwd, strerror(-r));
  else if (!S_ISDIR(st.st_mode))
    husk_findings_add(out, HUSK_SEV_ERROR, "process.cwd", "%s is not a directory in the rootfs",
                      p->cwd);
}

static void check_mount_sources(const struct husk_spec *spec, const char *bundle,
                                struct husk_findings *out) {
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct husk_mount *m = &spec->mounts[i];
    if (!husk_mount_is_bind(m) || m->source == NULL || m->source[0] == '\0')
      continue;
    /* A relative source is taken from the bundle, as runc does. */
    _cleanup_free_ char *src =
        m->source[0] == '/' ? husk_xstrdup(m->source) : husk_xasprintf("%s/%s", bundle, m->source);
    struct stat st;
    if (stat(src, &st) < 0) {
      char path[64];
      snprintf(path, sizeof path, "mounts[%zu].source", i);
      husk_findings_add(out, HUSK_SEV_ERROR, path, "%s: %s on the host", src, strerror(errno));
    }
  }
}

static const char *node_kind(mode_t mode) {
  return S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device" : "a fifo";
}

/* A device the config describes differently from the node the host has at
 * the same path and numbers: the container would get a node the driver
 * does not answer to. */
static void check_devices(const struct husk_linux *l, struct husk_findings *out) {
  for (size_t i = 0; i < l->devices_len; i++) {
    const struct husk_device *d = &l->devices[i];
    struct stat st;
    if (d->path == NULL || d->type == 0 || d->type == 'p' || stat(d->path, &st) < 0 ||
        !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
      continue;
    if (major(st.st_rdev) != (unsigned)d->major || minor(st.st_rdev) != (unsigned)d->minor)
      continue;
    bool want_block = d->type == 'b';
    if (want_block != (bool)S_ISBLK(st.st_mode)) {
      char path[64];
      snprintf(path, sizeof path, "linux.devices[%zu].type", i);
      husk_findings_add(out, HUSK_SEV_ERROR, path, "\"%c\", but the host's %s (%lld:%lld) is %s",
                        d->type, d->path, (long long)d->major, (long long)d->minor,
                        node_kind(st.st_mode));
    }
  }
}

void husk_check_rootfs(const struct husk_spec *spec, const char *bundle, const char *rootfs,
                       struct husk_findings *out) {
  check_mount_sources(spec, bundle, out);
  check_devices(&spec->linux_, out);
  if (rootfs == NULL)
    return; /* root.path is reported already */
  _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    husk_findings_add(out, HUSK_SEV_ERROR, "root.path", "%s: %s", rootfs, strerror(errno));
    return;
  }
  if (!spec->has_process)
    return;
  check_args0(&spec->process, root_fd, out);
  check_cwd(&spec->process, root_fd, out);
  check_user(spec, root_fd, out);
}
