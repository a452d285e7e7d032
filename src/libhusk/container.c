/* husk — create, start, kill and delete (runtime.md "Operations"). */
#include "container.h"
#include "timings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "caps.h"
#include "cgroup_systemd.h"
#include "exec_steps.h"
#include "hooks.h"
#include "husk/state.h"
#include "init.h"
#include "namespace.h"
#include "netdev.h"
#include "rootfs.h"
#include "rootless.h"
#include "seccomp_cache.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

#define EXEC_FIFO "exec.fifo"

/* ---- signals ------------------------------------------------------------ */

static const struct {
  const char *name;
  int sig;
} signal_names[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

int husk_signal_parse(const char *name, int *sig, husk_error_t *err) {
  char *end = NULL;
  errno = 0;
  long n = strtol(name, &end, 10);
  if (*name && *end == '\0' && errno == 0) {
    if (n <= 0 || n > SIGRTMAX)
      return husk_error_set(err, EINVAL, "unknown signal \"%s\"", name);
    *sig = (int)n;
    return 0;
  }
  const char *bare = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
  for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
    if (strcasecmp(bare, signal_names[i].name) == 0) {
      *sig = signal_names[i].sig;
      return 0;
    }
  /* RTMIN+n / RTMAX-n, as kill(1) writes them. */
  if (strncasecmp(bare, "RTMIN", 5) == 0 || strncasecmp(bare, "RTMAX", 5) == 0) {
    bool min = strncasecmp(bare, "RTMIN", 5) == 0;
    long off = 0;
    if (bare[5] != '\0') {
      /* "+n" / "-n" only, and range-checked before any arithmetic. */
      if (bare[5] != (min ? '+' : '-') || bare[6] < '0' || bare[6] > '9')
        return husk_error_set(err, EINVAL, "unknown signal \"%s\"", name);
      errno = 0;
      off = strtol(bare + 6, &end, 10);
      if (*end != '\0' || errno != 0 || off > SIGRTMAX - SIGRTMIN)
        return husk_error_set(err, EINVAL, "unknown signal \"%s\"", name);
    }
    *sig = min ? SIGRTMIN + (int)off : SIGRTMAX - (int)off;
    return 0;
  }
  return husk_error_set(err, EINVAL, "unknown signal \"%s\"", name);
}

/* ---- create ------------------------------------------------------------- */

/* clone3 puts the init straight into its cgroup (CLONE_INTO_CGROUP) where
 * the kernel can; otherwise the parent moves it before it may go on. */
static pid_t clone_init(int flags, int cgroup_fd, bool *in_cgroup) {
  struct clone_args args = {.flags = (uint64_t)flags, .exit_signal = SIGCHLD};
  *in_cgroup = false;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgroup_fd;
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (pid >= 0) {
      *in_cgroup = true;
      return pid;
    }
    /* EACCES: a rootless caller outside its delegated tree (an ssh
     * session's scope); systemd's user manager moves the init then. */
    if (errno != ENOSYS && errno != EINVAL && errno != E2BIG && errno != EOPNOTSUPP &&
        errno != EACCES)
      return -1;
    args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
    args.cgroup = 0;
  }
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0 && errno == ENOSYS)
    pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  return pid;
}

/* Keep our own fds out of the range the workload inherits (3..3+n-1). */
static int move_above(int fd, int min_fd) {
  if (fd >= min_fd)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
  close(fd);
  return moved;
}

int husk_container_check_spec(const struct husk_spec *spec, husk_error_t *err) {
  /* Before anything is made (the init checks again where it writes them). */
  if (husk_sysctl_check(spec, err) < 0)
    return husk_error_prefix(err, "config.json");
  const struct husk_namespace *uts = husk_spec_find_ns(spec, HUSK_NS_UTS);
  /* A UTS namespace joined by path is the container's own too: the names
   * are set there, as runc and crun do.  (husk_error_report: husk check
   * collects them all.) */
  if ((spec->hostname && spec->hostname[0]) && uts == NULL &&
      husk_error_report(err, EINVAL,
                        "config.json: hostname: unable to set the hostname without a private "
                        "UTS namespace") < 0)
    return -1;
  if ((spec->domainname && spec->domainname[0]) && uts == NULL &&
      husk_error_report(err, EINVAL,
                        "config.json: domainname: unable to set the domainname without a "
                        "private UTS namespace") < 0)
    return -1;
  const struct husk_namespace *user = husk_spec_find_ns(spec, HUSK_NS_USER);
  if (user && user->path == NULL &&
      (spec->linux_.uid_mappings_len == 0 || spec->linux_.gid_mappings_len == 0) &&
      husk_error_report(err, EINVAL,
                        "config.json: linux.uidMappings, linux.gidMappings: a new user "
                        "namespace needs both mappings") < 0)
    return -1;
  const struct husk_namespace *time_ns = husk_spec_find_ns(spec, HUSK_NS_TIME);
  if ((spec->linux_.time_offset_boottime.set || spec->linux_.time_offset_monotonic.set) &&
      (time_ns == NULL || time_ns->path) &&
      husk_error_report(err, EINVAL, "config.json: linux.timeOffsets: needs a new time namespace") <
          0)
    return -1;
  return 0;
}

/* LISTEN_FDS socket activation: the workload finds its sockets at 3.. and
 * is told so in its environment, as runc does. */
static struct husk_process *process_with_listen_env(const struct husk_process *p, int listen_fds) {
  struct husk_process *copy = husk_xmalloc(sizeof(*copy));
  *copy = *p;
  if (listen_fds <= 0)
    return copy;
  copy->env.items = husk_xcalloc(p->env.len + 3, sizeof(char *));
  memcpy(copy->env.items, p->env.items, p->env.len * sizeof(char *));
  copy->env.items[p->env.len] = husk_xasprintf("LISTEN_FDS=%d", listen_fds);
  copy->env.items[p->env.len + 1] = husk_xstrdup("LISTEN_PID=1");
  copy->env.len = p->env.len + 2;
  return copy;
}

static void free_process_copy(struct husk_process *copy, const struct husk_process *orig) {
  if (copy == NULL)
    return;
  if (copy->env.items != orig->env.items) {
    for (size_t i = orig->env.len; i < copy->env.len; i++)
      free(copy->env.items[i]);
    free(copy->env.items);
  }
  free(copy);
}

static void kill_and_reap(pid_t pid) {
  if (pid <= 0)
    return;
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

static char *state_json_with_status(struct husk_state *st, enum husk_status status) {
  enum husk_status saved = st->status;
  st->status = status;
  char *json = husk_state_oci_json(st, NULL);
  st->status = saved;
  return json;
}

static int write_pid_file(const char *path, pid_t pid, husk_error_t *err) {
  char buf[32];
  int len = snprintf(buf, sizeof(buf), "%d", (int)pid);
  return husk_write_file_atomic(path, buf, (size_t)len, 0644, err);
}

/* The parent's half of the handshake with the init, from clone to created. */
struct create_run {
  const struct husk_create_opts *opts;
  struct husk_spec *spec;
  struct husk_state state;
  pid_t pid;
  int sync_fd;
  int pty_master;
  bool hooks_failed;
};

/* The parent failed while the init may have failed first (a send to an
 * init that exited fails with EPIPE): the init's own report, waiting in
 * the socket, says what went wrong. */
static void prefer_init_error(int sync_fd, husk_error_t *err) {
  struct pollfd p = {.fd = sync_fd, .events = POLLIN};
  if (sync_fd < 0 || err == NULL || poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
    return;
  struct husk_sync_msg msg = {0};
  husk_error_t ignored = {0};
  if (husk_sync_recv(sync_fd, &msg, &ignored) == 0 && msg.type == HUSK_SYNC_ERROR && msg.payload) {
    husk_error_clear(err);
    husk_error_set(err, 0, "%s", msg.payload);
  }
  husk_sync_msg_free(&msg);
  husk_error_clear(&ignored);
}

static int parent_handshake(struct create_run *c, husk_error_t *err) {
  struct husk_sync_msg msg = {0};
  if (husk_sync_expect(c->sync_fd, HUSK_SYNC_RUN_HOOKS, &msg, err) < 0)
    return -1;
  husk_sync_msg_free(&msg);

  /* pid and start time are in c->state since the clone (create saved them). */
  /* prestart, createRuntime and createContainer run after the environment
   * is created (lifecycle steps 3-5 follow step 2), so their state says
   * "created", as crun gives it (runc 1.1 says "creating"). */
  _cleanup_free_ char *created = state_json_with_status(&c->state, HUSK_STATUS_CREATED);
  const struct husk_hooks *h = &c->spec->hooks;
  if (husk_hooks_run(h->prestart, h->prestart_len, "prestart", created, err) < 0 ||
      husk_hooks_run(h->create_runtime, h->create_runtime_len, "createRuntime", created, err) < 0) {
    c->hooks_failed = true;
    return -1;
  }
  char pid_text[16];
  snprintf(pid_text, sizeof(pid_text), "%d", (int)c->pid);
  if (husk_sync_send(c->sync_fd, HUSK_SYNC_HOOKS_DONE, created, -1, err) < 0 ||
      husk_sync_send(c->sync_fd, HUSK_SYNC_START_STATE, created, -1, err) < 0 ||
      husk_sync_send(c->sync_fd, HUSK_SYNC_HOST_PID, pid_text, -1, err) < 0)
    return -1;

  if (c->spec->process.terminal) {
    if (husk_sync_expect(c->sync_fd, HUSK_SYNC_PTY_MASTER, &msg, err) < 0)
      return -1;
    int master = husk_sync_msg_take_fd(&msg);
    husk_sync_msg_free(&msg);
    if (master < 0)
      return husk_error_set(err, EPROTO, "the container's init sent no pty");
    if (c->opts->console_socket) {
      int r = husk_console_socket_send(c->opts->console_socket, master, err);
      close(master);
      if (r < 0)
        return -1;
    } else {
      c->pty_master = master;
    }
  }
  if (husk_sync_expect(c->sync_fd, HUSK_SYNC_CREATED, &msg, err) < 0)
    return -1;
  husk_sync_msg_free(&msg);
  return 0;
}

/* Read and check the bundle.  *config_text keeps the bytes of config.json:
 * the state directory gets a copy, so that later edits of the bundle don't
 * change the container (runtime.md "Create"). */
int husk_container_load_bundle(const char *bundle, char **bundle_out, struct husk_spec **spec_out,
                               char **rootfs_out, char **config_text, size_t *config_len,
                               husk_error_t *err) {
  char resolved[PATH_MAX];
  if (bundle == NULL)
    bundle = ".";
  if (realpath(bundle, resolved) == NULL)
    return husk_error_set(err, errno, "bundle %s", bundle);
  _cleanup_free_ char *config = husk_xasprintf("%s/config.json", resolved);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (husk_read_file(config, HUSK_CONFIG_MAX_SIZE, &text, &len, err) < 0)
    return -1;
  struct husk_spec *spec = NULL;
  if (husk_spec_parse(text, len, "config.json", &spec, err) < 0)
    return -1;
  if (husk_spec_validate_for_create(spec, "config.json", err) < 0 ||
      husk_container_check_spec(spec, err) < 0) {
    husk_spec_free(spec);
    return -1;
  }
  _cleanup_free_ char *root_path = spec->root.path[0] == '/'
                                       ? husk_xstrdup(spec->root.path)
                                       : husk_xasprintf("%s/%s", resolved, spec->root.path);
  char rootfs[PATH_MAX];
  struct stat st;
  if (realpath(root_path, rootfs) == NULL || stat(rootfs, &st) < 0) {
    husk_spec_free(spec);
    return husk_error_set(err, errno, "config.json: root.path %s", root_path);
  }
  if (!S_ISDIR(st.st_mode)) {
    husk_spec_free(spec);
    return husk_error_set(err, ENOTDIR, "config.json: root.path %s", root_path);
  }
  *bundle_out = husk_xstrdup(resolved);
  *rootfs_out = husk_xstrdup(rootfs);
  *spec_out = spec;
  *config_text = husk_steal_ptr(text);
  *config_len = len;
  return 0;
}

struct husk_state husk_container_initial_state(const struct husk_spec *spec, const char *id,
                                               const char *bundle, const char *rootfs,
                                               const char *config_copy, bool systemd_cgroup) {
  return (struct husk_state){
      .oci_version = husk_xstrdup(HUSK_OCI_VERSION),
      .id = husk_xstrdup(id),
      .status = HUSK_STATUS_CREATING,
      .bundle = husk_xstrdup(bundle),
      .rootfs = husk_xstrdup(rootfs),
      .created = husk_rfc3339_now(),
      .owner = husk_xstrdup(""),
      .config_path = husk_xstrdup(config_copy),
      .cgroup_path = husk_cgroup_path_for(spec, id, systemd_cgroup),
      .cgroup_created_depth = -1,
      .poststart_hooks = (int)spec->hooks.poststart_len,
      .poststop_hooks = (int)spec->hooks.poststop_len,
      .annotations = spec->annotations,
      .annotations_len = spec->annotations_len,
  };
}

/* A host with v1 hierarchies only (no cgroup2 for CLONE_INTO_CGROUP). */
static bool cgroup_made_after_clone(void) {
  enum husk_cgroup_mode mode;
  husk_error_t ignored = {0};
  bool v1_only = husk_cgroup_detect(&mode, &ignored) == 0 && mode == HUSK_CGROUP_LEGACY;
  husk_error_clear(&ignored);
  return v1_only;
}

/* The container's cgroup, recorded in the state; *self_attach: the init
 * moves itself (v1, sparing ~10 ms, cgroup.c) through the files in
 * *attach; where they can't be opened the parent moves it as before.
 * systemd moves it into its scope itself. */
static int make_cgroup(struct create_run *c, struct husk_cgroup *cg,
                       struct husk_cgroup_self_attach *attach, bool *self_attach,
                       husk_error_t *err) {
  const struct husk_create_opts *opts = c->opts;
  if (husk_cgroup_create(c->spec, opts->id, opts->systemd_cgroup, cg, err) < 0)
    return -1;
  free(c->state.cgroup_path);
  c->state.cgroup_path = husk_xstrdup(cg->path);
  c->state.cgroup_created_depth = cg->created_depth;
  if (!opts->systemd_cgroup) {
    husk_error_t ignored = {0};
    *self_attach = husk_cgroup_self_attach_prepare(cg, attach, &ignored) == 0 &&
                   (attach->len > 0 || attach->v2_fd >= 0);
    husk_error_clear(&ignored);
  }
  return 0;
}

int husk_container_create(const struct husk_create_opts *opts, struct husk_created *out,
                          husk_error_t *err) {
  out->pid = -1;
  out->pty_master = -1;
  if (husk_validate_id(opts->id, err) < 0)
    return -1;
  _cleanup_free_ char *bundle = NULL, *rootfs = NULL, *config_text = NULL;
  size_t config_len = 0;
  struct husk_spec *spec = NULL;
  if (husk_container_load_bundle(opts->bundle, &bundle, &spec, &rootfs, &config_text, &config_len,
                                 err) < 0)
    return -1;
  husk_timing("parse");
  if (spec->process.terminal && opts->console_socket == NULL && !opts->keep_pty) {
    husk_spec_free(spec);
    return husk_error_set(err, EINVAL,
                          "cannot allocate tty if runc will detach without setting "
                          "console socket");
  }
  if (!spec->process.terminal && opts->console_socket) {
    husk_spec_free(spec);
    return husk_error_set(err, EINVAL,
                          "cannot use console socket if runc will not detach or "
                          "allocate tty");
  }

  if (husk_state_create_dir(opts->root, opts->id, err) < 0) {
    husk_spec_free(spec);
    if (err && err->errnum == EEXIST) {
      husk_error_clear(err);
      return husk_error_set(err, EEXIST, "container with given ID already exists");
    }
    return -1;
  }
  _cleanup_free_ char *dir = husk_state_dir(opts->root, opts->id);
  _cleanup_free_ char *fifo = husk_xasprintf("%s/" EXEC_FIFO, dir);
  _cleanup_free_ char *config_copy = husk_xasprintf("%s/config.json", dir);
  int lock_fd = -1;
  struct husk_ns_plan plan;
  struct husk_ns_saved saved;
  bool have_plan = false;
  struct husk_process *process = NULL;
  int *source_trees = NULL;
  struct husk_cgroup cg = {.v2_fd = -1};
  bool have_cgroup = false;
  struct husk_cgroup_self_attach attach = {.v2_fd = -1};
  bool self_attach = false;
  struct husk_seccomp_bpf seccomp_bpf = {0};
  /* v1-only host: the cgroup path, made after the clone */
  _cleanup_free_ char *later_cgroup = NULL;
  char *systemd_unit = NULL; /* the transient scope, once systemd made it */
  int fds[2] = {-1, -1}, fifo_fd = -1;
  struct create_run c = {.opts = opts, .spec = spec, .pid = -1, .sync_fd = -1, .pty_master = -1};

  if (husk_state_lock(opts->root, opts->id, true, &lock_fd, err) < 0)
    goto fail;
  if (husk_write_file_atomic(config_copy, config_text, config_len, 0600, err) < 0)
    goto fail;
  /* 0622 whatever the umask: the init may run as another uid (user namespace). */
  if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0) {
    husk_error_set(err, errno, "mkfifo %s", fifo);
    goto fail;
  }
  fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
  if (fifo_fd < 0) {
    husk_error_set(err, errno, "open %s", fifo);
    goto fail;
  }
  if (husk_ns_plan_build(spec, &plan, err) < 0)
    goto fail;
  have_plan = true;
  /* The network namespace, the costliest to make (loopback, sysctl
   * tables), is made by the init while we record it and make its cgroup;
   * it exists long before the hooks run.  Not when we move devices into
   * it right after the clone. */
  if ((plan.clone_flags & CLONE_NEWNET) && spec->linux_.net_devices_len == 0) {
    plan.clone_flags &= ~CLONE_NEWNET;
    plan.unshare_flags |= CLONE_NEWNET;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
    husk_error_set(err, errno, "socketpair");
    goto fail;
  }
  int min_fd = 3 + opts->preserve_fds;
  fds[0] = move_above(fds[0], min_fd);
  fds[1] = move_above(fds[1], min_fd);
  fifo_fd = move_above(fifo_fd, min_fd);
  if (fds[0] < 0 || fds[1] < 0 || fifo_fd < 0) {
    husk_error_set(err, errno, "move fds above --preserve-fds");
    goto fail;
  }
  c.state = husk_container_initial_state(spec, opts->id, bundle, rootfs, config_copy,
                                         opts->systemd_cgroup);
  /* From here a killed create leaves a state that `list` shows and
   * `delete --force` undoes (the cgroup; the init dies with us). */
  if (husk_state_save(opts->root, &c.state, err) < 0)
    goto fail;
  husk_timing("state");

  const struct husk_warner create_warner = {.fn = opts->warn.fn, .data = opts->warn.data};
  husk_caps_warn_ambient(&spec->process, &create_warner);
  /* Compiled (or found in the cache) here, once: the init only loads it. */
  if (spec->linux_.has_seccomp) {
    _cleanup_free_ char *cache = husk_seccomp_cache_dir();
    if (husk_seccomp_prepare(cache, &spec->linux_.seccomp, &create_warner, &seccomp_bpf, err) < 0)
      goto fail;
  }
  husk_timing("seccomp-compile");

  /* Rootless without a cgroup it may write: none, or a refusal naming the
   * limit (rootless.c). */
  bool use_cgroup = true;
  if (husk_rootless_cgroup_check(spec, opts->id, opts->systemd_cgroup,
                                 husk_rootless_mode(opts->rootless), &opts->warn, &use_cgroup,
                                 err) < 0)
    goto fail;
  free(c.state.cgroup_path);
  c.state.cgroup_path = NULL;
  /* A v1-only host: the cgroup is made after the clone, while the init
   * makes its namespaces and mounts (the mkdirs of every hierarchy take
   * as long as those); the init waits for it before the first mount that
   * shows it.  With a cgroup2 hierarchy the cgroup comes first: clone3
   * puts the init there (CLONE_INTO_CGROUP); moving it later would wait
   * for the kernel's global lock. */
  if (use_cgroup && !opts->systemd_cgroup && cgroup_made_after_clone()) {
    if (husk_cgroup_resolve_path(spec, opts->id, false, &later_cgroup, err) < 0)
      goto fail;
  } else if (use_cgroup && make_cgroup(&c, &cg, &attach, &self_attach, err) < 0) {
    goto fail;
  }
  have_cgroup = use_cgroup && later_cgroup == NULL;
  if (later_cgroup == NULL)
    husk_timing("cgroup-create");
  process = process_with_listen_env(&spec->process, opts->listen_fds);
  if (plan.new_user || plan.join_fd[HUSK_NS_USER] >= 0) {
    struct husk_rootfs_ctx rctx = {.spec = spec, .bundle = bundle, .rootfs = rootfs};
    if (husk_rootfs_source_trees(&rctx, &source_trees, err) < 0)
      goto fail;
  }

  /* No mount namespace: the container's mounts go into ours, beneath a
   * bind of the rootfs that the state records and delete detaches. */
  if (husk_rootfs_in_runtime_mntns(spec) &&
      (husk_rootfs_runtime_mntns_bind(rootfs, &c.state.rootfs_mount_id, err) < 0 ||
       husk_state_save(opts->root, &c.state, err) < 0))
    goto fail;

  if (husk_ns_parent_enter(spec, &plan, &saved, err) < 0)
    goto fail;
  fflush(stdout);
  fflush(stderr);
  /* The cgroup namespace is made by the init once it is in its cgroup, so
   * that this cgroup is its root. */
  bool in_cgroup = false;
  c.pid = clone_init(plan.clone_flags & ~CLONE_NEWCGROUP, cg.v2_fd >= 0 ? cg.v2_fd : attach.v2_fd,
                     &in_cgroup);
  if (c.pid == 0) {
    close(fds[0]);
    struct husk_init_args args = {
        .spec = spec,
        .plan = &plan,
        .id = opts->id,
        .bundle = bundle,
        .rootfs = rootfs,
        .sync_fd = fds[1],
        .fifo_fd = fifo_fd,
        .lock_fd = lock_fd,
        .preserve_fds = opts->preserve_fds,
        .no_pivot = opts->no_pivot,
        .no_new_keyring = opts->no_new_keyring,
        .process = process,
        .source_trees = source_trees,
        .new_cgroupns = (plan.clone_flags & CLONE_NEWCGROUP) != 0,
        .cgroup_path = later_cgroup ? later_cgroup : cg.path,
        .cg_attach = self_attach ? &attach : NULL,
        .cgroup_after_clone = later_cgroup != NULL,
        .seccomp_bpf = &seccomp_bpf,
    };
    husk_init_run(&args);
  }
  int clone_errno = errno;
  husk_cgroup_self_attach_close(&attach);
  if (husk_ns_parent_restore(&saved, err) < 0)
    goto fail;
  if (c.pid < 0) {
    husk_error_set(err, clone_errno, "clone the container's init");
    goto fail;
  }
  close(fds[1]);
  fds[1] = -1;
  close(fifo_fd);
  fifo_fd = -1;
  c.state.pid = c.pid;
  c.sync_fd = fds[0];
  husk_timing("clone");

  /* The init waits for its user namespace maps, then goes on with its
   * namespaces and mounts while we record it and (v1) make its cgroup.
   * Moving it into its cgroup (v1: the first migration waits for an RCU
   * grace period, ~10 ms) and its network devices also overlap with its
   * mount work; all is done before HOOKS_DONE, long before the workload
   * runs.  An init that makes a cgroup namespace waits for IN_CGROUP
   * before it mounts anything. */
  if (plan.new_user && husk_userns_write_maps(c.pid, spec, err) < 0)
    goto fail;
  if (husk_sync_send(c.sync_fd, HUSK_SYNC_PARENT_READY, NULL, -1, err) < 0)
    goto fail;
  if (later_cgroup) {
    if (make_cgroup(&c, &cg, &attach, &self_attach, err) < 0)
      goto fail;
    have_cgroup = true;
    /* The `tasks` files go with IN_CGROUP: the init writes "0" to each. */
    int sent = self_attach
                   ? husk_sync_send_fds(c.sync_fd, HUSK_SYNC_IN_CGROUP, attach.fds, attach.len, err)
                   : 0;
    husk_cgroup_self_attach_close(&attach);
    if (sent < 0)
      goto fail;
    husk_timing("cgroup-create");
  }
  if (husk_process_start_time(c.pid, &c.state.init_start_time, err) < 0 ||
      husk_state_save(opts->root, &c.state, err) < 0)
    goto fail;
  husk_rootfs_source_trees_free(source_trees, spec->mounts_len);
  source_trees = NULL;
  bool systemd_moves = false;
  if (use_cgroup && !self_attach && !in_cgroup && husk_cgroup_enter(&cg, c.pid, err) < 0) {
    /* A user may not move a process out of a cgroup it does not own (its
     * login session's scope); its systemd manager does it as it starts the
     * scope, asking the system manager when it must (runc relies on that
     * too).  Whether it did is checked below. */
    if (!opts->systemd_cgroup || !husk_systemd_user_manager() ||
        (err->errnum != EACCES && err->errnum != EPERM))
      goto fail;
    husk_error_clear(err);
    systemd_moves = true;
  }
  if (self_attach && !in_cgroup && husk_cgroup_enter_unified(&cg, c.pid, err) < 0)
    goto fail;
  if (opts->systemd_cgroup &&
      husk_cgroup_systemd_start(spec, opts->id, &cg, c.pid, &systemd_unit, err) < 0)
    goto fail;
  if (systemd_moves && husk_cgroup_check_member(&cg, c.pid, err) < 0)
    goto fail;
  if (!(later_cgroup && self_attach) &&
      husk_sync_send(c.sync_fd, HUSK_SYNC_IN_CGROUP, NULL, -1, err) < 0)
    goto fail;
  husk_timing("cgroup-enter");
  if (spec->linux_.net_devices_len && husk_netdev_move(spec, c.pid, err) < 0)
    goto fail;
  if (parent_handshake(&c, err) < 0)
    goto fail;
  husk_timing("init-ready");

  c.state.status = HUSK_STATUS_CREATED;
  c.state.systemd_unit = husk_steal_ptr(systemd_unit); /* delete stops it */
  if (husk_state_save(opts->root, &c.state, err) < 0)
    goto fail;
  if (opts->pid_file && write_pid_file(opts->pid_file, c.pid, err) < 0)
    goto fail;
  husk_timing("created");

  out->pid = c.pid;
  out->pty_master = c.pty_master;
  husk_seccomp_bpf_free(&seccomp_bpf);
  free(systemd_unit);
  husk_cgroup_release(&cg);
  c.state.annotations = NULL; /* borrowed from spec */
  c.state.annotations_len = 0;
  husk_state_free(&c.state);
  close(c.sync_fd);
  husk_ns_plan_close(&plan);
  free_process_copy(process, &spec->process);
  husk_spec_free(spec);
  husk_state_unlock(lock_fd);
  return 0;

fail:
  /* Undo everything: the init (with its namespaces and mounts), the state
   * directory; poststop hooks when the prestart/createRuntime ones failed
   * (runtime.md lifecycle steps 3-4 continue at 12). */
  prefer_init_error(c.sync_fd, err);
  kill_and_reap(c.pid);
  husk_seccomp_bpf_free(&seccomp_bpf);
  husk_cgroup_self_attach_close(&attach);
  if (c.state.rootfs_mount_id)
    husk_rootfs_runtime_mntns_unbind(c.state.rootfs, c.state.rootfs_mount_id, NULL);
  if (c.state.systemd_unit)
    systemd_unit = husk_steal_ptr(c.state.systemd_unit);
  if (systemd_unit) {
    husk_systemd_stop_scope(systemd_unit, NULL);
    free(systemd_unit);
  }
  if (have_cgroup) {
    husk_cgroup_destroy(&cg, NULL);
    husk_cgroup_release(&cg);
  }
  if (c.hooks_failed) {
    _cleanup_free_ char *stopped = state_json_with_status(&c.state, HUSK_STATUS_STOPPED);
    husk_hooks_run_all(spec->hooks.poststop, spec->hooks.poststop_len, "poststop", stopped,
                       opts->warn.fn, opts->warn.data);
  }
  if (c.pty_master >= 0)
    close(c.pty_master);
  if (fds[0] >= 0)
    close(fds[0]);
  if (fds[1] >= 0)
    close(fds[1]);
  if (fifo_fd >= 0)
    close(fifo_fd);
  if (have_plan)
    husk_ns_plan_close(&plan);
  husk_rootfs_source_trees_free(source_trees, spec->mounts_len);
  c.state.annotations = NULL;
  c.state.annotations_len = 0;
  husk_state_free(&c.state);
  free_process_copy(process, &spec->process);
  husk_state_destroy(opts->root, opts->id, NULL);
  husk_state_unlock(lock_fd);
  husk_spec_free(spec);
  return -1;
}

/* ---- the other operations ---------------------------------------------- */

/* Lock, load and refresh the state of an existing container. */
static int open_container(const char *root, const char *id, bool exclusive, int *lock_fd,
                          struct husk_state *st, husk_error_t *err) {
  *lock_fd = -1;
  if (husk_validate_id(id, err) < 0 || husk_state_lock(root, id, exclusive, lock_fd, err) < 0)
    return -1;
  if (husk_state_read(root, id, true, st, err) < 0) {
    husk_state_unlock(*lock_fd);
    *lock_fd = -1;
    return -1;
  }
  husk_state_refresh_status(st);
  return 0;
}

/* Open the fifo, which lets the init go, and read what it reports: "0"
 * once the startContainer hooks passed, then EOF when its execve closed the
 * fifo; "E<message>" when a hook or the execve failed.  Fail if the init
 * died first. */
static int release_init(const char *fifo, const struct husk_state *st, husk_error_t *err) {
  /* O_NONBLOCK: opening a fifo for reading never blocks then, and poll()
   * reports no hang-up until a writer has come, so a dead init can't make
   * us wait forever. */
  _cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set(err, errno, "open %s", fifo);
  char report[4096];
  size_t used = 0;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 100);
    if (n < 0 && errno != EINTR)
      return husk_error_set(err, errno, "poll %s", fifo);
    if (n > 0) {
      ssize_t r = read(fd, report + used, sizeof(report) - 1 - used);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (r > 0) {
        used += (size_t)r;
        if (used < sizeof(report) - 1)
          continue;
      }
      break; /* EOF (the init exec'd or died), or a full report */
    }
    if (used == 0) {
      struct husk_state probe = *st;
      if (husk_state_refresh_status(&probe) == HUSK_STATUS_STOPPED)
        break;
    }
  }
  report[used] = '\0';
  char *failure = strchr(report, 'E');
  if (failure)
    return husk_error_set(err, 0, "%s", failure + 1);
  if (report[0] != '0')
    return husk_error_set(err, 0, "the container's init exited before it was started");
  return 0;
}

static int destroy_locked(const char *root, const char *id, struct husk_state *st,
                          const struct husk_warner_cb *warn, husk_error_t *err);

int husk_container_start(const char *root, const char *id, husk_error_t *err) {
  int lock_fd;
  struct husk_state st;
  if (open_container(root, id, true, &lock_fd, &st, err) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  _cleanup_free_ char *fifo = husk_xasprintf("%s/" EXEC_FIFO, dir);
  _cleanup_free_ char *config = husk_xasprintf("%s/config.json", dir);
  _cleanup_free_ char *json = NULL;
  struct husk_spec *spec = NULL;
  switch (st.status) {
  case HUSK_STATUS_CREATED:
    break;
  case HUSK_STATUS_STOPPED:
    husk_error_set(err, 0, "cannot start a container that has stopped");
    goto out;
  case HUSK_STATUS_RUNNING:
    husk_error_set(err, 0, "cannot start an already running container");
    goto out;
  default:
    husk_error_set(err, 0, "cannot start a container in the %s state", husk_status_name(st.status));
    goto out;
  }
  /* The hooks come from the config as it was at create time: config.json
   * may have changed since (runtime.md "Create"), so husk keeps a copy;
   * parsed only when it has poststart hooks (or an older husk made it). */
  if (st.poststart_hooks != 0 && husk_spec_load(config, &spec, err) < 0)
    goto out;
  /* What can fail is written before the init is let go: a full state
   * filesystem fails `start` with the container still created. */
  st.status = HUSK_STATUS_RUNNING;
  if (husk_state_save(root, &st, err) < 0)
    goto out;
  if (release_init(fifo, &st, err) < 0) {
    /* The init reported a failure and exits: as it was, or stopped. */
    st.status = HUSK_STATUS_CREATED;
    husk_state_save(root, &st, NULL);
    goto out;
  }
  unlink(fifo);
  json = spec ? husk_state_oci_json(&st, NULL) : NULL;
  if (spec && husk_hooks_run(spec->hooks.poststart, spec->hooks.poststart_len, "poststart", json,
                             err) < 0) {
    /* runtime.md lifecycle 9: a failing poststart hook stops the container
     * and goes on at step 12, destroy. */
    husk_error_t ignored = {0};
    destroy_locked(root, id, &st, NULL, &ignored);
    husk_error_clear(&ignored);
    goto out;
  }
  ret = 0;
out:
  husk_spec_free(spec);
  husk_state_free(&st);
  husk_state_unlock(lock_fd);
  return ret;
}

/* Every process whose pid namespace is the init's (a container with a pid
 * namespace of its own); without one, just the init. */
static int kill_all(pid_t init, int sig, husk_error_t *err) {
  if (init <= 0) /* kill(0) would be our own process group */
    return husk_error_set(err, ESRCH, "the container has no init process");
  char path[64];
  struct stat init_ns, ns, host_ns;
  snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
  if (stat(path, &init_ns) < 0)
    return husk_error_set(err, errno, "stat %s", path);
  if (stat("/proc/self/ns/pid", &host_ns) == 0 && host_ns.st_ino == init_ns.st_ino) {
    if (kill(init, sig) < 0)
      return husk_error_set(err, errno, "kill %d", (int)init);
    return 0;
  }
  DIR *d = opendir("/proc");
  if (d == NULL)
    return husk_error_set(err, errno, "open /proc");
  struct dirent *e;
  while ((e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0)
      continue;
    snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
    if (stat(path, &ns) == 0 && ns.st_ino == init_ns.st_ino && ns.st_dev == init_ns.st_dev)
      kill((pid_t)pid, sig);
  }
  closedir(d);
  return 0;
}

/* Every process of the container: through its cgroup, else its pid namespace. */
static int kill_container(const struct husk_state *st, int sig, husk_error_t *err) {
  struct husk_cgroup cg = {.v2_fd = -1};
  if (st->cgroup_path && husk_cgroup_load(st->cgroup_path, &cg, NULL) == 0) {
    int r = husk_cgroup_kill_all(&cg, sig, err);
    husk_cgroup_release(&cg);
    return r;
  }
  return kill_all(st->pid, sig, err);
}

int husk_container_kill(const char *root, const char *id, int sig, bool all, husk_error_t *err) {
  int lock_fd;
  struct husk_state st;
  if (open_container(root, id, false, &lock_fd, &st, err) < 0)
    return -1;
  int ret = 0;
  if (st.status == HUSK_STATUS_STOPPED || st.pid <= 0)
    ret = husk_error_set(err, 0, "container not running");
  else if (all)
    ret = kill_container(&st, sig, err);
  else if (kill(st.pid, sig) < 0)
    ret = husk_error_set(err, errno, "kill container %s", id);
  husk_state_free(&st);
  husk_state_unlock(lock_fd);
  return ret;
}

/* Wait (up to ~10 s) until a killed init is gone; it is not our child. */
static void wait_gone(struct husk_state *st) {
  for (int i = 0; i < 1000; i++) {
    struct husk_state probe = *st;
    if (husk_state_refresh_status(&probe) == HUSK_STATUS_STOPPED)
      return;
    waitpid(st->pid, NULL, WNOHANG);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* runtime.md lifecycle 12, "destroy": undo what create did — processes,
 * cgroups, the systemd scope — run the poststop hooks (a failure is only a
 * warning, step 13) and remove the state.  The caller holds the lock. */
static int destroy_locked(const char *root, const char *id, struct husk_state *st,
                          const struct husk_warner_cb *warn, husk_error_t *err) {
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  _cleanup_free_ char *config = husk_xasprintf("%s/config.json", dir);
  if (st->status != HUSK_STATUS_STOPPED) {
    if (st->pid > 0 || st->cgroup_path)
      kill_container(st, SIGKILL, NULL);
    wait_gone(st);
    st->status = HUSK_STATUS_STOPPED;
  }
  /* The mounts create made in the runtime's namespace (no mount namespace
   * of the container's own): runc leaves them behind. */
  if (st->rootfs_mount_id)
    husk_rootfs_runtime_mntns_unbind(st->rootfs, st->rootfs_mount_id, NULL);
  /* The transient scope of --systemd-cgroup: systemd drops it when it
   * empties, but a stop makes that certain (NoSuchUnit is fine). */
  if (st->systemd_unit)
    husk_systemd_stop_scope(st->systemd_unit, NULL);
  /* What is left in the cgroup (processes that outlived the init without a
   * pid namespace of its own) dies with it. */
  if (st->cgroup_path) {
    struct husk_cgroup cg = {.v2_fd = -1};
    if (husk_cgroup_load(st->cgroup_path, &cg, NULL) == 0) {
      cg.created_depth = st->cgroup_created_depth; /* remove the parents create made too */
      husk_cgroup_destroy(&cg, NULL);
      husk_cgroup_release(&cg);
    }
  }
  struct husk_spec *spec = NULL;
  if (st->poststop_hooks != 0 && husk_spec_load(config, &spec, NULL) == 0) {
    _cleanup_free_ char *json = husk_state_oci_json(st, NULL);
    husk_hooks_run_all(spec->hooks.poststop, spec->hooks.poststop_len, "poststop", json,
                       warn ? warn->fn : NULL, warn ? warn->data : NULL);
    husk_spec_free(spec);
  }
  return husk_state_destroy(root, id, err);
}

int husk_container_delete(const char *root, const char *id, bool force,
                          const struct husk_warner_cb *warn, husk_error_t *err) {
  int lock_fd;
  struct husk_state st;
  if (open_container(root, id, true, &lock_fd, &st, err) < 0) {
    /* runc: deleting a container that doesn't exist is fine with --force. */
    if (force && err && err->errnum == ENOENT) {
      husk_error_clear(err);
      return 0;
    }
    return -1;
  }
  int ret = -1;
  if (st.status != HUSK_STATUS_STOPPED && !force)
    husk_error_set(err, 0, "cannot delete container %s that is not stopped: %s", id,
                   husk_status_name(st.status));
  else
    ret = destroy_locked(root, id, &st, warn, err);
  husk_state_free(&st);
  husk_state_unlock(lock_fd);
  return ret;
}
