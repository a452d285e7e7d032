/* husk — checkpoint and restore with CRIU (see checkpoint.h).
 *
 * What runc's libcontainer/criu_linux.go tells CRIU, and why:
 * - the rootfs is CRIU's root; on restore a bind of it at
 *   <state dir>/criu-root, because CRIU wants a mount point whose parent is
 *   not overmounted;
 * - bind mounts of the config come from outside the container: at dump
 *   they are "external" (key = value = destination), at restore the key
 *   maps to the bind's source on this host; masked files are binds of
 *   /dev/null, device nodes of linux.devices may be binds too;
 * - network and pid namespaces joined by path are external (their inode at
 *   dump, an inherited fd at restore); other joined ones are joined again;
 * - the container's cgroup: CRIU freezes it at dump; at restore CRIU itself
 *   is moved into the new cgroup (made by husk with the config's limits)
 *   and told it is the root of every controller;
 * - the init's stdio pipes are recorded in descriptors.json and replaced
 *   at restore by the restoring husk's own stdio (inherit_fd);
 * - a terminal: CRIU makes a new pty and hands its master over the RPC
 *   socket ("orphan-pts-master"), which goes to --console-socket.
 * All of this happens only in these two commands. */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_systemd.h"
#include "criu_rpc.h"
#include "hooks.h"
#include "husk/state.h"
#include "path_resolve.h"
#include "rootless.h"
#include "terminal.h"
#include "mount_options.h"
#include "util.h"

#define DESCRIPTORS_FILE "descriptors.json"
#define CRIU_MIN_VERSION 30000 /* 3.0, as runc */
#define CRIU_LOG_LEVEL 4

static char *strndup_range(const char *begin, const char *end) {
  size_t n = (size_t)(end - begin);
  char *s = husk_xmalloc(n + 1);
  memcpy(s, begin, n);
  s[n] = '\0';
  return s;
}

static void remove_tree(const char *path);

/* ---- talking to criu ---------------------------------------------------- */

/* A notify callback: what the caller does at CRIU's "scripts". */
struct notify_ctx {
  int (*fn)(void *data, struct husk_criu_resp *resp, husk_error_t *err);
  void *data;
};

/* One request on a fresh `criu swrk`, answering its notifications, until
 * the final answer, which *final gets (the caller frees it). */
static int criu_call(const char *criu, const int *extra_fds, size_t n_extra, struct husk_pb *req,
                     int req_type, const struct notify_ctx *notify,
                     int (*before_send)(void *data, pid_t criu_pid, struct husk_pb *req,
                                        husk_error_t *err),
                     void *before_data, struct husk_criu_resp *final, husk_error_t *err) {
  *final = (struct husk_criu_resp){.fd = -1};
  struct husk_criu c;
  /* PRE_DUMP: swrk waits for a next request and complains on stderr when
   * we close; its log has what matters. */
  enum husk_criu_stdio stdio = req_type == CRIU_REQ_RESTORE ? HUSK_CRIU_STDIO_ALL
                               : req_type == CRIU_REQ_DUMP  ? HUSK_CRIU_STDIO_STDERR
                                                            : HUSK_CRIU_STDIO_NONE;
  if (husk_criu_start(criu, extra_fds, n_extra, stdio, &c, err) < 0)
    return -1;
  int ret = -1;
  struct husk_pb msg = {0};
  if (before_send && before_send(before_data, c.pid, req, err) < 0)
    goto out;
  husk_pb_uint(&msg, CRIU_REQ_F_TYPE, (uint64_t)req_type);
  if (req->len || req_type == CRIU_REQ_DUMP || req_type == CRIU_REQ_RESTORE ||
      req_type == CRIU_REQ_PRE_DUMP)
    husk_pb_msg(&msg, CRIU_REQ_F_OPTS, req);
  if (husk_criu_send(&c, &msg, err) < 0)
    goto out;
  for (;;) {
    struct husk_criu_resp resp;
    if (husk_criu_recv(&c, &resp, err) < 0)
      goto out;
    if (!resp.success) {
      if (resp.cr_errmsg && *resp.cr_errmsg)
        husk_error_set(err, resp.cr_errno, "criu failed: type %s: %s",
                       husk_criu_req_name(resp.type), resp.cr_errmsg);
      else
        husk_error_set_quiet(err, resp.cr_errno ? resp.cr_errno : EIO,
                             "criu failed: type %s errno %d", husk_criu_req_name(resp.type),
                             resp.cr_errno);
      husk_criu_resp_free(&resp);
      goto out;
    }
    if (resp.type == CRIU_REQ_NOTIFY) {
      int r = notify && notify->fn ? notify->fn(notify->data, &resp, err) : 0;
      husk_criu_resp_free(&resp);
      if (r < 0)
        goto out;
      struct husk_pb ack = {0};
      husk_pb_uint(&ack, CRIU_REQ_F_TYPE, CRIU_REQ_NOTIFY);
      husk_pb_bool(&ack, CRIU_REQ_F_NOTIFY_SUCCESS, true);
      r = husk_criu_send(&c, &ack, err);
      husk_pb_free(&ack);
      if (r < 0)
        goto out;
      continue;
    }
    if (resp.type != req_type) {
      husk_error_set(err, EPROTO, "criu answered %s to a %s request", husk_criu_req_name(resp.type),
                     husk_criu_req_name(req_type));
      husk_criu_resp_free(&resp);
      goto out;
    }
    *final = resp;
    ret = 0;
    break;
  }
out:
  husk_pb_free(&msg);
  int status = 0;
  husk_criu_finish(&c, &status);
  if (ret == 0 && req_type != CRIU_REQ_PRE_DUMP &&
      !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    husk_criu_resp_free(final);
    return husk_error_set(err, EIO, "criu failed: exit status %d",
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  if (ret < 0 && err && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    husk_error_clear(err);
    husk_error_set_quiet(err, ENOENT,
                         "cannot run %s: not found or not executable (Debian package: criu)", criu);
  }
  return ret;
}

/* The "Error" lines of a text, joined with "; "; NULL when none. */
static char *join_error_lines(char *text) {
  char *out = NULL;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    if (strstr(line, "Error") == NULL && strstr(line, "error") == NULL)
      continue;
    char *next = out ? husk_xasprintf("%s; %s", out, line) : husk_xstrdup(line);
    free(out);
    out = next;
  }
  return out;
}

/* The "Error" lines of a CRIU log file. */
static char *error_lines(const char *path) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (husk_read_file(path, 1024 * 1024, &text, &len, NULL) < 0)
    return NULL;
  return join_error_lines(text);
}

/* `criu check`'s complaint, for the error of a host where CRIU cannot
 * work: its "Error" lines, joined.  NULL when it printed none. */
static char *criu_check_output(const char *criu) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return NULL;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return NULL;
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
      dup2(null, 0);
    dup2(p[1], 1);
    dup2(p[1], 2);
    execlp(criu, criu, "check", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  char *text = NULL;
  size_t len = 0;
  husk_read_fd(p[0], "criu check", 64 * 1024, &text, &len, NULL);
  close(p[0]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (text == NULL)
    return NULL;
  char *out = join_error_lines(text);
  free(text);
  return out;
}

int husk_criu_probe(const char *criu, char **version, husk_error_t *err) {
  if (criu == NULL)
    criu = "criu";
  if (version)
    *version = NULL;
  struct husk_pb none = {0};
  struct husk_criu_resp resp;
  if (criu_call(criu, NULL, 0, &none, CRIU_REQ_VERSION, NULL, NULL, NULL, &resp, err) < 0) {
    if (err && err->errnum != ENOENT) {
      /* swrk did not even answer: what does `criu check` say? */
      _cleanup_free_ char *why = criu_check_output(criu);
      if (why) {
        husk_error_clear(err);
        husk_error_set_quiet(err, ENOTSUP, "criu cannot work on this host: criu check: %s", why);
      }
    }
    return -1;
  }
  int v = resp.version_major * 10000 + resp.version_minor * 100 + resp.version_sublevel;
  if (version)
    *version =
        husk_xasprintf("%d.%d.%d", resp.version_major, resp.version_minor, resp.version_sublevel);
  husk_criu_resp_free(&resp);
  if (v < CRIU_MIN_VERSION)
    return husk_error_set_quiet(err, ENOTSUP, "CRIU version %d must be %d or higher", v,
                                CRIU_MIN_VERSION);
  /* CHECK wants an images directory, where it writes its log: a
   * temporary one, whose log says what is missing when CRIU refuses. */
  const char *tmp = getenv("TMPDIR");
  _cleanup_free_ char *dir =
      husk_xasprintf("%s/husk-criu-check.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL)
    return husk_error_set(err, errno, "mkdtemp %s", dir);
  int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    husk_error_set(err, errno, "open %s", dir);
    remove_tree(dir);
    return -1;
  }
  struct husk_pb opts = {0};
  husk_pb_int(&opts, CRIU_OPT_IMAGES_DIR_FD, dir_fd);
  husk_pb_int(&opts, CRIU_OPT_LOG_LEVEL, 1); /* errors only */
  husk_pb_str(&opts, CRIU_OPT_LOG_FILE, "check.log");
  int r = criu_call(criu, NULL, 0, &opts, CRIU_REQ_CHECK, NULL, NULL, NULL, &resp, err);
  husk_pb_free(&opts);
  close(dir_fd);
  if (r < 0) {
    husk_error_clear(err);
    _cleanup_free_ char *log = husk_xasprintf("%s/check.log", dir);
    _cleanup_free_ char *why = error_lines(log);
    if (why == NULL)
      why = criu_check_output(criu);
    husk_error_set_quiet(err, ENOTSUP, "criu cannot work on this host: criu check: %s",
                         why ? why : "failed (no message)");
    remove_tree(dir);
    return -1;
  }
  remove_tree(dir);
  husk_criu_resp_free(&resp);
  return 0;
}

/* FEATURE_CHECK for mem_track (pre-dump) or lazy_pages. */
static int criu_require_feature(const char *criu, int field, const char *name, husk_error_t *err) {
  struct husk_pb feat = {0}, req = {0};
  husk_pb_bool(&feat, field, true);
  struct husk_criu c;
  if (husk_criu_start(criu, NULL, 0, HUSK_CRIU_STDIO_NONE, &c, err) < 0)
    return -1;
  husk_pb_uint(&req, CRIU_REQ_F_TYPE, CRIU_REQ_FEATURE_CHECK);
  husk_pb_msg(&req, CRIU_REQ_F_FEATURES, &feat);
  struct husk_criu_resp resp = {.fd = -1};
  int r = husk_criu_send(&c, &req, err);
  if (r == 0)
    r = husk_criu_recv(&c, &resp, err);
  husk_pb_free(&feat);
  husk_pb_free(&req);
  husk_criu_finish(&c, NULL);
  if (r < 0)
    return -1;
  bool have = field == 1 ? resp.mem_track : resp.lazy_pages;
  husk_criu_resp_free(&resp);
  if (!have)
    return husk_error_set_quiet(err, ENOTSUP, "criu is missing features: [%s]", name);
  return 0;
}

/* ---- shared option handling --------------------------------------------- */

static int cg_mode_parse(const char *mode, int *out, husk_error_t *err) {
  static const struct {
    const char *name;
    int mode;
  } modes[] = {{"soft", CRIU_CG_SOFT},
               {"full", CRIU_CG_FULL},
               {"strict", CRIU_CG_STRICT},
               {"ignore", CRIU_CG_IGNORE}};
  if (mode == NULL || *mode == '\0') {
    *out = CRIU_CG_DEFAULT;
    return 0;
  }
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
    if (strcmp(mode, modes[i].name) == 0) {
      *out = modes[i].mode;
      return 0;
    }
  return husk_error_set_quiet(err, EINVAL, "invalid manage-cgroups-mode value");
}

/* runc manages no network devices: the network namespace is always
 * restored empty; --empty-ns may name only "network". */
static int empty_ns_mask(const struct husk_criu_common *c, uint32_t *mask, husk_error_t *err) {
  *mask = CLONE_NEWNET;
  for (size_t i = 0; i < c->empty_ns_len; i++)
    if (strcmp(c->empty_ns[i], "network") != 0)
      return husk_error_set_quiet(err, EINVAL, "namespace \"%s\" is not supported", c->empty_ns[i]);
  return 0;
}

static char *default_image_path(void) {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == NULL)
    return husk_xstrdup("checkpoint");
  return husk_xasprintf("%s/checkpoint", cwd);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path) < 0 ? 0 : 0;
}

static void remove_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* The names in a directory, NULL-terminated (never NULL itself). */
static char **dir_names(const char *path) {
  size_t n = 0;
  char **names = husk_xcalloc(1, sizeof(char *));
  DIR *d = opendir(path);
  if (d == NULL)
    return names;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    names = husk_xrealloc(names, (n + 2) * sizeof(char *));
    names[n++] = husk_xstrdup(e->d_name);
    names[n] = NULL;
  }
  closedir(d);
  return names;
}

static void free_names(char **names) {
  for (size_t i = 0; names && names[i]; i++)
    free(names[i]);
  free(names);
}

/* Remove what is in `path` now but not in `before`, except `keep`. */
static void remove_new_entries(const char *path, char **before, const char *keep) {
  char **now = dir_names(path);
  for (size_t i = 0; now[i]; i++) {
    bool old = strcmp(now[i], keep) == 0;
    for (size_t j = 0; !old && before[j]; j++)
      old = strcmp(now[i], before[j]) == 0;
    if (!old) {
      _cleanup_free_ char *p = husk_xasprintf("%s/%s", path, now[i]);
      remove_tree(p);
    }
  }
  free_names(now);
}

/* Make the directory if missing (with its parents when `parents`, as
 * runc's MkdirAll of the image path) and open it.  *made_top gets the
 * highest directory made here (NULL: none), for removal on failure. */
static int dir_open(const char *path, const char *what, bool parents, char **made_top, int *fd,
                    husk_error_t *err) {
  if (made_top)
    *made_top = NULL;
  if (access(path, F_OK) < 0) {
    if (errno != ENOENT)
      return husk_error_set(err, errno, "%s %s", what, path);
    char *top = husk_xstrdup(path);
    for (char *slash; parents && (slash = strrchr(top, '/')) != NULL && slash != top;) {
      *slash = '\0'; /* top is its parent now */
      if (access(top, F_OK) == 0) {
        *slash = '/'; /* the parent exists: top is the first missing one */
        break;
      }
    }
    int r = parents ? husk_mkdir_p(path, 0700, err) : mkdir(path, 0700);
    if (r < 0) {
      free(top);
      return parents ? -1 : husk_error_set(err, errno, "%s %s", what, path);
    }
    if (made_top)
      *made_top = top;
    else
      free(top);
  }
  *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return husk_error_set(err, errno, "%s %s", what, path);
  return 0;
}

/* The lines around "Error" in CRIU's log, as warnings (runc's
 * logCriuErrors): CRIU's own account of why it failed. */
static void quote_criu_log(const struct husk_warner_cb *warn, const char *dir, const char *file) {
  if (warn == NULL || warn->fn == NULL)
    return;
  _cleanup_free_ char *path = husk_xasprintf("%s/%s", dir, file);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return;
  char *ring[6] = {0};
  size_t lineno = 0, printed = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  bool header = false;
  while ((n = getline(&line, &cap, f)) >= 0) {
    if (n > 0 && line[n - 1] == '\n')
      line[n - 1] = '\0';
    lineno++;
    free(ring[lineno % 6]);
    ring[lineno % 6] = husk_xstrdup(line);
    if (strstr(line, "Error") == NULL)
      continue;
    if (!header) {
      _cleanup_free_ char *h = husk_xasprintf("--- Quoting \"%s\"", path);
      warn->fn(warn->data, h);
      header = true;
    }
    for (size_t l = lineno >= 5 ? lineno - 5 : 1; l <= lineno; l++) {
      if (l <= printed || ring[l % 6] == NULL)
        continue;
      _cleanup_free_ char *msg = husk_xasprintf("%zu:%s", l, ring[l % 6]);
      warn->fn(warn->data, msg);
      printed = l;
    }
  }
  free(line);
  for (size_t i = 0; i < 6; i++)
    free(ring[i]);
  if (header)
    warn->fn(warn->data, "---");
}

/* The options checkpoint and restore give CRIU alike (runc's set). */
static void put_common_opts(struct husk_pb *opts, const struct husk_criu_common *c, int cg_mode,
                            uint64_t empty_ns) {
  husk_pb_bool(opts, CRIU_OPT_MANAGE_CGROUPS, true);
  husk_pb_uint(opts, CRIU_OPT_MANAGE_CGROUPS_MODE, (uint64_t)cg_mode);
  husk_pb_bool(opts, CRIU_OPT_NOTIFY_SCRIPTS, true);
  husk_pb_bool(opts, CRIU_OPT_SHELL_JOB, c->shell_job);
  husk_pb_bool(opts, CRIU_OPT_TCP_ESTABLISHED, c->tcp_established);
  husk_pb_bool(opts, CRIU_OPT_EXT_UNIX_SK, c->ext_unix_sk);
  husk_pb_bool(opts, CRIU_OPT_FILE_LOCKS, c->file_locks);
  husk_pb_uint(opts, CRIU_OPT_EMPTY_NS, empty_ns);
  husk_pb_bool(opts, CRIU_OPT_ORPHAN_PTS_MASTER, true);
  husk_pb_bool(opts, CRIU_OPT_AUTO_DEDUP, c->auto_dedup);
  husk_pb_bool(opts, CRIU_OPT_LAZY_PAGES, c->lazy_pages);
}

static const char *criu_ns_name(enum husk_ns_type t) {
  switch (t) {
  case HUSK_NS_MOUNT:
    return "mnt";
  case HUSK_NS_PID:
    return "pid";
  case HUSK_NS_NETWORK:
    return "net";
  case HUSK_NS_UTS:
    return "uts";
  case HUSK_NS_IPC:
    return "ipc";
  case HUSK_NS_USER:
    return "user";
  case HUSK_NS_CGROUP:
    return "cgroup";
  case HUSK_NS_TIME:
    return "time";
  default:
    return "?";
  }
}

/* runc's key for an external namespace: "extRootNetNS", "extRootPidNS". */
static const char *ext_ns_key(enum husk_ns_type t) {
  return t == HUSK_NS_NETWORK ? "extRootNetNS" : "extRootPidNS";
}

/* ---- checkpoint --------------------------------------------------------- */

struct dump_ctx {
  const char *state_dir;
};

static int dump_notify(void *data, struct husk_criu_resp *resp, husk_error_t *err) {
  struct dump_ctx *d = data;
  if (resp->notify_script && strcmp(resp->notify_script, "post-dump") == 0) {
    /* A mark that the container was checkpointed (runc keeps one too). */
    _cleanup_free_ char *mark = husk_xasprintf("%s/checkpoint", d->state_dir);
    int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
      return husk_error_set(err, errno, "create %s", mark);
    close(fd);
  }
  return 0;
}

/* The init's stdio as readlink shows it ("pipe:[1234]", "/dev/null"). */
static char *stdio_descriptors_json(pid_t pid) {
  char *out = husk_xstrdup("[");
  for (int fd = 0; fd < 3; fd++) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
      n = 0;
    target[n] = '\0';
    /* a JSON string: escape quotes and backslashes, drop controls */
    char esc[2 * PATH_MAX + 1];
    size_t j = 0;
    for (ssize_t i = 0; i < n; i++) {
      unsigned char ch = (unsigned char)target[i];
      if (ch < 0x20)
        continue;
      if (ch == '"' || ch == '\\')
        esc[j++] = '\\';
      esc[j++] = (char)ch;
    }
    esc[j] = '\0';
    char *next = husk_xasprintf("%s%s\"%s\"", out, fd ? "," : "", esc);
    free(out);
    out = next;
  }
  char *next = husk_xasprintf("%s]", out);
  free(out);
  return next;
}

static void add_ext_mount(struct husk_pb *opts, const char *dest, const char *val) {
  _cleanup_free_ char *clean = husk_path_clean(dest);
  husk_pb_pair(opts, CRIU_OPT_EXT_MNT, clean, val ? val : clean);
}

/* The mounts CRIU must take as external at dump (key = value = path). */
static void describe_dump_mounts(const struct husk_spec *spec, pid_t pid, struct husk_pb *opts) {
  for (size_t i = 0; i < spec->mounts_len; i++)
    if (husk_mount_is_bind(&spec->mounts[i]))
      add_ext_mount(opts, spec->mounts[i].destination, NULL);
  /* masked files are binds of /dev/null (directories are tmpfs) */
  for (size_t i = 0; i < spec->linux_.masked_paths.len; i++) {
    const char *p = spec->linux_.masked_paths.items[i];
    _cleanup_free_ char *in = husk_xasprintf("/proc/%d/root/%s", (int)pid, p);
    struct stat st;
    if (stat(in, &st) < 0 || S_ISDIR(st.st_mode))
      continue;
    _cleanup_free_ char *clean = husk_path_clean(p);
    husk_pb_pair(opts, CRIU_OPT_EXT_MNT, clean, "/dev/null");
  }
  for (size_t i = 0; i < spec->linux_.devices_len; i++)
    add_ext_mount(opts, spec->linux_.devices[i].path, NULL);
}

static int load_spec(const char *path, struct husk_spec **spec, husk_error_t *err) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (husk_read_file(path, 16 * 1024 * 1024, &text, &len, err) < 0)
    return -1;
  return husk_spec_parse(text, len, path, spec, err);
}

/* External namespaces joined by path (network, pid): their inode. */
static int describe_dump_namespaces(const struct husk_spec *spec, struct husk_pb *opts,
                                    husk_error_t *err) {
  static const enum husk_ns_type ext[] = {HUSK_NS_NETWORK, HUSK_NS_PID};
  for (size_t i = 0; i < 2; i++) {
    const struct husk_namespace *ns = husk_spec_find_ns(spec, ext[i]);
    if (ns == NULL || ns->path == NULL)
      continue;
    struct stat st;
    if (stat(ns->path, &st) < 0)
      return husk_error_set(err, errno, "linux.namespaces: %s path %s", husk_ns_type_name(ext[i]),
                            ns->path);
    _cleanup_free_ char *e = husk_xasprintf("%s[%llu]:%s", criu_ns_name(ext[i]),
                                            (unsigned long long)st.st_ino, ext_ns_key(ext[i]));
    husk_pb_str(opts, CRIU_OPT_EXTERNAL, e);
  }
  return 0;
}

int husk_container_checkpoint(const struct husk_checkpoint_opts *o, husk_error_t *err) {
  const char *criu = o->c.criu ? o->c.criu : "criu";
  int cg_mode;
  uint32_t empty_ns;
  if (cg_mode_parse(o->c.manage_cgroups_mode, &cg_mode, err) < 0 ||
      empty_ns_mask(&o->c, &empty_ns, err) < 0)
    return -1;
  _cleanup_free_ char *ps_addr = NULL;
  int ps_port = 0;
  if (o->page_server && *o->page_server) {
    const char *colon = strrchr(o->page_server, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (colon == NULL || colon == o->page_server || colon[1] == '\0')
      return husk_error_set_quiet(err, EINVAL,
                                  "Use --page-server ADDRESS:PORT to specify page server");
    if (*end || port <= 0 || port > 65535)
      return husk_error_set_quiet(err, EINVAL, "Invalid port number");
    ps_addr = strndup_range(o->page_server, colon);
    ps_port = (int)port;
  }
  if (o->parent_path && *o->parent_path && o->parent_path[0] == '/')
    return husk_error_set_quiet(err, EINVAL, "--parent-path must be relative");

  if (husk_validate_id(o->id, err) < 0)
    return -1;
  int lock_fd = -1;
  if (husk_state_lock(o->root, o->id, true, &lock_fd, err) < 0)
    return -1;
  int ret = -1, images_fd = -1, work_fd = -1;
  char *made_images = NULL;    /* the highest directory of image_path made here */
  char **images_before = NULL; /* what a directory that was there held */
  struct husk_spec *spec = NULL;
  struct husk_state st = {0};
  struct husk_pb opts = {0};
  struct husk_criu_resp resp = {.fd = -1};
  _cleanup_free_ char *image_path =
      o->c.image_path && *o->c.image_path ? husk_xstrdup(o->c.image_path) : default_image_path();
  _cleanup_free_ char *state_dir = husk_state_dir(o->root, o->id);

  if (husk_state_read(o->root, o->id, true, &st, err) < 0)
    goto out;
  enum husk_status status = husk_state_refresh_status(&st);
  if (status == HUSK_STATUS_CREATED || status == HUSK_STATUS_STOPPED ||
      status == HUSK_STATUS_CREATING) {
    husk_error_set(err, 0, "Container cannot be checkpointed in %s state",
                   husk_status_name(status));
    goto out;
  }
  if (load_spec(st.config_path, &spec, err) < 0)
    goto out;
  /* CRIU must be able to work before anything is written. */
  if (husk_criu_probe(criu, NULL, err) < 0)
    goto out;
  if (o->pre_dump && criu_require_feature(criu, 1, "MemTrack", err) < 0)
    goto out;
  if (o->c.lazy_pages && criu_require_feature(criu, 2, "LazyPages", err) < 0)
    goto out;
  if (o->parent_path && *o->parent_path) {
    /* Lexically, as Go's filepath.Join: "../pre" of an image directory
     * that does not exist yet names its sibling. */
    char cwd[PATH_MAX];
    _cleanup_free_ char *joined =
        image_path[0] == '/' ? husk_xasprintf("%s/%s", image_path, o->parent_path)
                             : husk_xasprintf("%s/%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".",
                                              image_path, o->parent_path);
    _cleanup_free_ char *real_parent = husk_path_clean(joined);
    struct stat pst;
    errno = 0;
    if (stat(real_parent, &pst) < 0 || !S_ISDIR(pst.st_mode)) {
      husk_error_set(err, errno ? errno : ENOTDIR, "invalid --parent-path: %s", real_parent);
      goto out;
    }
  }

  if (dir_open(image_path, "image-path", true, &made_images, &images_fd, err) < 0)
    goto out;
  if (!made_images)
    images_before = dir_names(image_path);
  const char *log_dir = image_path;
  if (o->c.work_path && *o->c.work_path) {
    if (dir_open(o->c.work_path, "work-path", false, NULL, &work_fd, err) < 0)
      goto out;
    log_dir = o->c.work_path;
  }

  husk_pb_int(&opts, CRIU_OPT_IMAGES_DIR_FD, images_fd);
  husk_pb_int(&opts, CRIU_OPT_LOG_LEVEL, CRIU_LOG_LEVEL);
  husk_pb_str(&opts, CRIU_OPT_LOG_FILE, "dump.log");
  husk_pb_str(&opts, CRIU_OPT_ROOT, st.rootfs);
  put_common_opts(&opts, &o->c, cg_mode, empty_ns);
  husk_pb_int(&opts, CRIU_OPT_PID, st.pid);
  husk_pb_bool(&opts, CRIU_OPT_LEAVE_RUNNING, o->leave_running);
  husk_pb_bool(&opts, CRIU_OPT_TCP_SKIP_IN_FLIGHT, o->tcp_skip_in_flight);
  husk_pb_bool(&opts, CRIU_OPT_LINK_REMAP, o->link_remap);
  if (work_fd >= 0)
    husk_pb_int(&opts, CRIU_OPT_WORK_DIR_FD, work_fd);
  if (describe_dump_namespaces(spec, &opts, err) < 0)
    goto out;
  if (st.cgroup_path) {
    enum husk_cgroup_mode mode;
    if (husk_cgroup_detect(&mode, err) < 0)
      goto out;
    _cleanup_free_ char *freezer = mode == HUSK_CGROUP_UNIFIED
                                       ? husk_xasprintf("/sys/fs/cgroup%s", st.cgroup_path)
                                       : husk_xasprintf("/sys/fs/cgroup/freezer%s", st.cgroup_path);
    husk_pb_str(&opts, CRIU_OPT_FREEZE_CGROUP, freezer);
  }
  if (ps_addr) {
    struct husk_pb ps = {0};
    husk_pb_str(&ps, 1, ps_addr);
    husk_pb_int(&ps, 2, ps_port);
    husk_pb_msg(&opts, CRIU_OPT_PS, &ps);
    husk_pb_free(&ps);
  }
  if (o->parent_path && *o->parent_path) {
    husk_pb_str(&opts, CRIU_OPT_PARENT_IMG, o->parent_path);
    husk_pb_bool(&opts, CRIU_OPT_TRACK_MEM, true);
  }
  if (!o->pre_dump) {
    describe_dump_mounts(spec, st.pid, &opts);
    _cleanup_free_ char *fds = stdio_descriptors_json(st.pid);
    _cleanup_free_ char *fds_path = husk_xasprintf("%s/" DESCRIPTORS_FILE, image_path);
    if (husk_write_file_atomic(fds_path, fds, strlen(fds), 0600, err) < 0)
      goto out;
  }

  struct dump_ctx d = {.state_dir = state_dir};
  struct notify_ctx n = {dump_notify, &d};
  if (criu_call(criu, NULL, 0, &opts, o->pre_dump ? CRIU_REQ_PRE_DUMP : CRIU_REQ_DUMP, &n, NULL,
                NULL, &resp, err) < 0) {
    quote_criu_log(&o->c.warn, log_dir, "dump.log");
    goto out;
  }
  ret = 0;

out:
  husk_criu_resp_free(&resp);
  husk_pb_free(&opts);
  if (images_fd >= 0)
    close(images_fd);
  if (work_fd >= 0)
    close(work_fd);
  /* No half-written image is left: a directory we made goes (CRIU's log
   * was quoted as warnings), in one that was there only what this dump
   * added, but for the log. */
  if (ret < 0 && made_images)
    remove_tree(made_images);
  else if (ret < 0 && images_before)
    remove_new_entries(image_path, images_before, "dump.log");
  free_names(images_before);
  free(made_images);
  husk_state_free(&st);
  husk_spec_free(spec);
  husk_state_unlock(lock_fd);
  if (ret == 0 && !o->leave_running && !o->pre_dump) {
    /* As runc: the checkpointed container is destroyed, its ID free. */
    husk_error_t ignored = {0};
    if (husk_container_delete(o->root, o->id, true, &o->c.warn, &ignored) < 0 && o->c.warn.fn)
      o->c.warn.fn(o->c.warn.data, ignored.msg ? ignored.msg : "delete after checkpoint failed");
    husk_error_clear(&ignored);
  }
  return ret;
}

/* ---- restore ------------------------------------------------------------ */

struct restore_ctx {
  const struct husk_restore_opts *opts;
  const struct husk_spec *spec;
  struct husk_state *state;
  const char *root;
  struct husk_cgroup *cg;
  bool use_cgroup;
  pid_t pid; /* the restored init, once known */
};

/* CRIU itself goes into the container's cgroup, and every controller's
 * root is where it now is (runc's criuApplyCgroups). */
static int restore_before_send(void *data, pid_t criu_pid, struct husk_pb *opts,
                               husk_error_t *err) {
  struct restore_ctx *r = data;
  if (!r->use_cgroup)
    return 0;
  if (husk_cgroup_enter(r->cg, criu_pid, err) < 0)
    return -1;
  /* --systemd-cgroup: the transient scope holds CRIU, then its restored
   * tasks (runc's manager.Apply(criu's pid)); delete stops it. */
  if (r->opts->create.systemd_cgroup &&
      husk_cgroup_systemd_start(r->spec, r->opts->create.id, r->cg, criu_pid,
                                &r->state->systemd_unit, err) < 0)
    return -1;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)criu_pid);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return husk_error_set(err, errno, "open %s", path);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] == '\n')
      line[n - 1] = '\0';
    char *ctrls = strchr(line, ':');
    char *cpath = ctrls ? strchr(ctrls + 1, ':') : NULL;
    if (cpath == NULL)
      continue;
    *cpath++ = '\0';
    ctrls++;
    /* "name=systemd" is named after its name= in CRIU too */
    husk_pb_pair(opts, CRIU_OPT_CG_ROOT, ctrls, cpath);
  }
  free(line);
  return 0;
}

static int restore_notify(void *data, struct husk_criu_resp *resp, husk_error_t *err) {
  struct restore_ctx *r = data;
  const char *script = resp->notify_script ? resp->notify_script : "";
  if (strcmp(script, "setup-namespaces") == 0) {
    const struct husk_hooks *h = &r->spec->hooks;
    if (h->prestart_len == 0 && h->create_runtime_len == 0)
      return 0;
    r->state->pid = resp->notify_pid;
    _cleanup_free_ char *json = husk_state_oci_json(r->state, NULL);
    if (husk_hooks_run(h->prestart, h->prestart_len, "prestart", json, err) < 0 ||
        husk_hooks_run(h->create_runtime, h->create_runtime_len, "createRuntime", json, err) < 0)
      return -1;
  } else if (strcmp(script, "orphan-pts-master") == 0) {
    int master = resp->fd;
    resp->fd = -1;
    if (master < 0)
      return husk_error_set(err, EPROTO, "criu sent no pty master");
    int ret = 0;
    if (r->opts->create.console_socket)
      ret = husk_console_socket_send(r->opts->create.console_socket, master, err);
    close(master);
    return ret;
  } else if (strcmp(script, "post-restore") == 0) {
    r->pid = resp->notify_pid;
    r->state->pid = resp->notify_pid;
    r->state->status = HUSK_STATUS_RUNNING;
    if (husk_process_start_time(r->pid, &r->state->init_start_time, err) < 0 ||
        husk_state_save(r->root, r->state, err) < 0)
      return -1;
    if (r->opts->create.pid_file) {
      char buf[32];
      int len = snprintf(buf, sizeof(buf), "%d", (int)r->pid);
      if (husk_write_file_atomic(r->opts->create.pid_file, buf, (size_t)len, 0644, err) < 0)
        return -1;
    }
  }
  return 0;
}

/* Mount points for the config's mounts that the rootfs lacks (runc's
 * prepareCriuRestoreMounts): CRIU mounts onto them but makes none, except
 * below a tmpfs, whose content it restores itself. */
static int prepare_mountpoints(const struct husk_spec *spec, const char *bundle, int root_fd,
                               husk_error_t *err) {
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct husk_mount *m = &spec->mounts[i];
    if (m->type && strcmp(m->type, "cgroup") == 0)
      continue;
    bool on_tmpfs = false;
    for (size_t j = 0; j < spec->mounts_len; j++) {
      const struct husk_mount *t = &spec->mounts[j];
      size_t l = strlen(t->destination);
      if (j != i && t->type && strcmp(t->type, "tmpfs") == 0 &&
          strncmp(m->destination, t->destination, l) == 0 && m->destination[l] == '/')
        on_tmpfs = true;
    }
    if (on_tmpfs)
      continue;
    enum husk_path_kind kind = HUSK_PATH_DIR;
    if (husk_mount_is_bind(m) && m->source) {
      _cleanup_free_ char *src = m->source[0] == '/' ? husk_xstrdup(m->source)
                                                     : husk_xasprintf("%s/%s", bundle, m->source);
      struct stat sst;
      if (stat(src, &sst) == 0 && !S_ISDIR(sst.st_mode))
        kind = HUSK_PATH_FILE;
    }
    int fd = husk_path_create_in_root(root_fd, m->destination, kind,
                                      kind == HUSK_PATH_DIR ? 0755 : 0644);
    if (fd < 0)
      return husk_error_set(err, -fd, "create criu restore mountpoint for %s mount",
                            m->destination);
    close(fd);
  }
  return 0;
}

/* The restore request's mounts, namespaces and descriptors. */
static int describe_restore(const struct husk_spec *spec, const char *bundle,
                            const char *image_path, struct husk_pb *opts, int *ns_fds, size_t *n_ns,
                            husk_error_t *err) {
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct husk_mount *m = &spec->mounts[i];
    if (!husk_mount_is_bind(m) || m->source == NULL)
      continue;
    _cleanup_free_ char *src =
        m->source[0] == '/' ? husk_xstrdup(m->source) : husk_xasprintf("%s/%s", bundle, m->source);
    add_ext_mount(opts, m->destination, src);
  }
  if (spec->linux_.masked_paths.len > 0)
    husk_pb_pair(opts, CRIU_OPT_EXT_MNT, "/dev/null", "/dev/null");
  for (size_t i = 0; i < spec->linux_.devices_len; i++)
    add_ext_mount(opts, spec->linux_.devices[i].path, spec->linux_.devices[i].path);

  *n_ns = 0;
  for (size_t i = 0; i < spec->linux_.namespaces_len; i++) {
    const struct husk_namespace *ns = &spec->linux_.namespaces[i];
    if (ns->path == NULL)
      continue;
    if (ns->type == HUSK_NS_NETWORK || ns->type == HUSK_NS_PID) {
      int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return husk_error_set(err, errno, "Requested %s namespace %s does not exist",
                              husk_ns_type_name(ns->type), ns->path);
      husk_pb_inherit_fd(opts, ext_ns_key(ns->type), 4 + (int)*n_ns);
      ns_fds[(*n_ns)++] = fd;
    } else if (ns->type == HUSK_NS_CGROUP) {
      return husk_error_set(err, ENOTSUP, "Do not know how to handle namespace cgroup");
    } else {
      husk_pb_pair(opts, CRIU_OPT_JOIN_NS, criu_ns_name(ns->type), ns->path);
    }
  }

  _cleanup_free_ char *fds_path = husk_xasprintf("%s/" DESCRIPTORS_FILE, image_path);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (husk_read_file(fds_path, 1024 * 1024, &text, &len, err) < 0)
    return -1;
  /* ["pipe:[1]","/dev/null",...]: the pipes are our own stdio now */
  const char *p = text;
  for (int fd = 0; (p = strchr(p, '"')) != NULL; fd++) {
    const char *end = strchr(p + 1, '"');
    if (end == NULL)
      break;
    _cleanup_free_ char *key = strndup_range(p + 1, end);
    if (strstr(key, "pipe:") && fd < 3)
      husk_pb_inherit_fd(opts, key, fd);
    p = end + 1;
  }
  return 0;
}

int husk_container_restore(const struct husk_restore_opts *o, pid_t *pid_out, husk_error_t *err) {
  const struct husk_create_opts *co = &o->create;
  const char *criu = o->c.criu ? o->c.criu : "criu";
  *pid_out = -1;
  int cg_mode;
  uint32_t empty_ns;
  if (husk_validate_id(co->id, err) < 0 ||
      cg_mode_parse(o->c.manage_cgroups_mode, &cg_mode, err) < 0 ||
      empty_ns_mask(&o->c, &empty_ns, err) < 0)
    return -1;
  _cleanup_free_ char *bundle = NULL, *rootfs = NULL, *config_text = NULL;
  size_t config_len = 0;
  struct husk_spec *spec = NULL;
  if (husk_container_load_bundle(co->bundle, &bundle, &spec, &rootfs, &config_text, &config_len,
                                 err) < 0)
    return -1;
  /* Our own mount namespace: the bind of the rootfs CRIU wants as its
   * root is never seen on the host, and goes when we exit.  Before any
   * directory is opened: CRIU mounts in its work directory, and mount(2)
   * refuses (EINVAL) a directory of another mount namespace. */
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    husk_spec_free(spec);
    return husk_error_set(err, errno, "make a private mount namespace for criu");
  }
  _cleanup_free_ char *image_path =
      o->c.image_path && *o->c.image_path ? husk_xstrdup(o->c.image_path) : default_image_path();
  int images_fd = open(image_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (images_fd < 0) {
    husk_error_set(err, errno, "image-path %s", image_path);
    husk_spec_free(spec);
    return -1;
  }
  if (spec->process.terminal && co->console_socket == NULL) {
    close(images_fd);
    husk_spec_free(spec);
    return husk_error_set(err, EINVAL,
                          "cannot allocate tty if runc will detach without setting "
                          "console socket");
  }
  if (husk_criu_probe(criu, NULL, err) < 0) {
    close(images_fd);
    husk_spec_free(spec);
    return -1;
  }
  if (o->c.lazy_pages && criu_require_feature(criu, 2, "LazyPages", err) < 0) {
    close(images_fd);
    husk_spec_free(spec);
    return -1;
  }

  if (husk_state_create_dir(co->root, co->id, err) < 0) {
    close(images_fd);
    husk_spec_free(spec);
    if (err && err->errnum == EEXIST) {
      husk_error_clear(err);
      return husk_error_set(err, EEXIST, "container with given ID already exists");
    }
    return -1;
  }
  _cleanup_free_ char *dir = husk_state_dir(co->root, co->id);
  _cleanup_free_ char *config_copy = husk_xasprintf("%s/config.json", dir);
  _cleanup_free_ char *criu_root = husk_xasprintf("%s/criu-root", dir);
  int lock_fd = -1, work_fd = -1, root_fd = -1;
  int ns_fds[2] = {-1, -1};
  size_t n_ns = 0;
  bool have_cgroup = false, mounted = false;
  struct husk_cgroup cg = {.v2_fd = -1};
  struct husk_pb opts = {0};
  struct husk_criu_resp resp = {.fd = -1};
  const char *log_dir = image_path;
  struct husk_state state =
      husk_container_initial_state(spec, co->id, bundle, rootfs, config_copy, co->systemd_cgroup);
  struct restore_ctx r = {
      .opts = o, .spec = spec, .state = &state, .root = co->root, .cg = &cg, .pid = -1};

  if (husk_state_lock(co->root, co->id, true, &lock_fd, err) < 0 ||
      husk_write_file_atomic(config_copy, config_text, config_len, 0600, err) < 0 ||
      husk_state_save(co->root, &state, err) < 0)
    goto fail;
  /* The cgroup as create makes it, with the config's limits. */
  r.use_cgroup = true;
  if (husk_rootless_cgroup_check(spec, co->id, co->systemd_cgroup, husk_rootless_mode(co->rootless),
                                 &co->warn, &r.use_cgroup, err) < 0)
    goto fail;
  free(state.cgroup_path);
  state.cgroup_path = NULL;
  if (r.use_cgroup) {
    if (husk_cgroup_create(spec, co->id, co->systemd_cgroup, &cg, err) < 0)
      goto fail;
    have_cgroup = true;
    state.cgroup_path = husk_xstrdup(cg.path);
    state.cgroup_created_depth = cg.created_depth;
    if (husk_state_save(co->root, &state, err) < 0)
      goto fail;
  }

  if (mkdir(criu_root, 0755) < 0 || mount(rootfs, criu_root, NULL, MS_BIND | MS_REC, NULL) < 0) {
    husk_error_set(err, errno, "bind %s to %s", rootfs, criu_root);
    goto fail;
  }
  mounted = true;
  root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    husk_error_set(err, errno, "open %s", rootfs);
    goto fail;
  }
  if (prepare_mountpoints(spec, bundle, root_fd, err) < 0)
    goto fail;

  husk_pb_int(&opts, CRIU_OPT_IMAGES_DIR_FD, images_fd);
  husk_pb_bool(&opts, CRIU_OPT_EVASIVE_DEVICES, true);
  husk_pb_int(&opts, CRIU_OPT_LOG_LEVEL, CRIU_LOG_LEVEL);
  husk_pb_str(&opts, CRIU_OPT_LOG_FILE, "restore.log");
  husk_pb_bool(&opts, CRIU_OPT_RST_SIBLING, true);
  husk_pb_str(&opts, CRIU_OPT_ROOT, criu_root);
  put_common_opts(&opts, &o->c, cg_mode, empty_ns);
  if (o->lsm_profile && *o->lsm_profile)
    husk_pb_str(&opts, CRIU_OPT_LSM_PROFILE, o->lsm_profile);
  if (o->lsm_mount_context && *o->lsm_mount_context)
    husk_pb_str(&opts, CRIU_OPT_LSM_MOUNT_CONTEXT, o->lsm_mount_context);
  if (o->c.work_path && *o->c.work_path) {
    if (dir_open(o->c.work_path, "work-path", false, NULL, &work_fd, err) < 0)
      goto fail;
    husk_pb_int(&opts, CRIU_OPT_WORK_DIR_FD, work_fd);
    log_dir = o->c.work_path;
  }
  if (describe_restore(spec, bundle, image_path, &opts, ns_fds, &n_ns, err) < 0)
    goto fail;

  struct notify_ctx n = {restore_notify, &r};
  if (criu_call(criu, ns_fds, n_ns, &opts, CRIU_REQ_RESTORE, &n, restore_before_send, &r, &resp,
                err) < 0) {
    quote_criu_log(&co->warn, log_dir, "restore.log");
    goto fail;
  }
  if (r.pid <= 0) {
    r.pid = resp.restore_pid;
    state.pid = r.pid;
    state.status = HUSK_STATUS_RUNNING;
    if (husk_process_start_time(r.pid, &state.init_start_time, err) < 0 ||
        husk_state_save(co->root, &state, err) < 0)
      goto fail;
  }
  *pid_out = r.pid;
  umount2(criu_root, MNT_DETACH);
  rmdir(criu_root);
  husk_criu_resp_free(&resp);
  husk_pb_free(&opts);
  for (size_t i = 0; i < n_ns; i++)
    close(ns_fds[i]);
  if (work_fd >= 0)
    close(work_fd);
  close(root_fd);
  close(images_fd);
  husk_cgroup_release(&cg);
  state.annotations = NULL; /* borrowed from spec */
  state.annotations_len = 0;
  husk_state_free(&state);
  husk_spec_free(spec);
  husk_state_unlock(lock_fd);
  return 0;

fail:
  if (r.pid > 0) {
    kill(r.pid, SIGKILL);
    while (waitpid(r.pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  if (mounted)
    umount2(criu_root, MNT_DETACH);
  rmdir(criu_root);
  if (state.systemd_unit)
    husk_systemd_stop_scope(state.systemd_unit, NULL);
  if (have_cgroup) {
    husk_cgroup_kill_all(&cg, SIGKILL, NULL);
    husk_cgroup_destroy(&cg, NULL);
    husk_cgroup_release(&cg);
  }
  husk_criu_resp_free(&resp);
  husk_pb_free(&opts);
  for (size_t i = 0; i < n_ns; i++)
    close(ns_fds[i]);
  if (work_fd >= 0)
    close(work_fd);
  if (root_fd >= 0)
    close(root_fd);
  close(images_fd);
  state.annotations = NULL;
  state.annotations_len = 0;
  husk_state_free(&state);
  husk_state_destroy(co->root, co->id, NULL);
  husk_state_unlock(lock_fd);
  husk_spec_free(spec);
  return -1;
}
