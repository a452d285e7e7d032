/* husk — `exec`: one more process in a running (or created) container.
 *
 * Three processes take part:
 *
 *   husk exec (P) ──fork──▶ joiner (A) ──clone(CLONE_PARENT)──▶ process (B)
 *
 * P reads the container's state and config, opens the init's namespace files
 * and root while still on the host, and forks A.  A joins the namespaces
 * (user, then ipc/uts/net/pid/cgroup/time, mount last), chroots to the
 * init's root and clones B with CLONE_PARENT: B is a child of P (so that P
 * can wait for it and forward signals) and, because setns(CLONE_NEWPID) only
 * applies to children, the first of the three inside the container's pid
 * namespace.  A reports B's host pid and exits.  On cgroup v1, B moves
 * itself into the container's cgroup first (files P opened; see
 * husk_cgroup_self_attach: no wait for the kernel's global lock); otherwise
 * P moves B.  P tells B its host pid; B opens the pty, applies the
 * process attributes (exec_setup.h) and calls execve.  B's end of the
 * socketpair is close-on-exec, so P sees EOF once execve succeeded and an
 * error message when something failed first.
 *
 * The state directory is locked (shared) only until B exists: a paused
 * container with --ignore-paused freezes B as soon as it enters the
 * cgroup, and `resume` must then be able to take its exclusive lock. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "exec_setup.h"
#include "husk/spec.h"
#include "husk/state.h"
#include "seccomp_cache.h"
#include "seccomp_filter.h"
#include "sync.h"
#include "terminal.h"
#include "rootless.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define PROCESS_JSON_MAX_SIZE (4 * 1024 * 1024)

/* /proc/<pid>/ns entries in the order the joiner enters them: the user
 * namespace first, so that namespaces it owns can be joined with the
 * capabilities it grants; the mount namespace last, because it takes /proc
 * (and the host paths) away. */
static const struct {
  const char *name;
  int flag;
} ns_files[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME}, {"mnt", CLONE_NEWNS},
};
#define NS_FILES (sizeof(ns_files) / sizeof(ns_files[0]))
#define NS_USER 0
#define NS_MNT (NS_FILES - 1)

struct exec_run {
  const struct husk_exec_opts *opts;
  int lock_fd;
  bool have_state;
  struct husk_state st;
  struct husk_spec *spec;            /* the config.json snapshot of create */
  struct husk_process *file_process; /* --process, else NULL */
  struct husk_process *process;      /* what B runs: file_process or &spec->process */
  bool have_cg;
  struct husk_cgroup cg;
  bool frozen;      /* the cgroup is frozen (--ignore-paused) */
  bool self_attach; /* A moves itself into the v1 cgroups: cg_attach */
  struct husk_cgroup_self_attach cg_attach;
  int min_fd;          /* our fds stay at or above this: below are the preserved ones */
  int ns_fd[NS_FILES]; /* the init's namespaces that differ from ours, else -1 */
  int root_fd;         /* the init's root directory (O_PATH) */
  int listener_fd;     /* linux.seccomp.listenerPath, connected on the host, or -1 */
  int sync[2];         /* [0]: P's end, [1]: A's and B's */
  char *state_json;
  struct husk_seccomp_bpf seccomp_bpf; /* compiled by P (seccomp_cache.c) */
};

/* ---- small helpers ------------------------------------------------------ */

/* Keep our fds out of 3..3+preserve_fds-1, which belongs to the process. */
static int move_above(int fd, int min_fd) {
  if (fd < 0 || fd >= min_fd)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
  close(fd);
  return moved;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void strv_push(struct husk_strv *v, const char *s) {
  v->items = husk_xrealloc(v->items, (v->len + 1) * sizeof(char *));
  v->items[v->len++] = husk_xstrdup(s);
}

static bool strv_has(const struct husk_strv *v, const char *s) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->items[i], s) == 0)
      return true;
  return false;
}

static void set_string(char **slot, const char *value) {
  free(*slot);
  *slot = husk_xstrdup(value);
}

static void reap(pid_t pid) {
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

static void kill_and_reap(pid_t pid) {
  if (pid > 0) {
    kill(pid, SIGKILL);
    reap(pid);
  }
}

/* ---- the container ------------------------------------------------------ */

static int load_container(struct exec_run *r, husk_error_t *err) {
  const struct husk_exec_opts *o = r->opts;
  if (husk_validate_id(o->id, err) < 0)
    return -1;
  /* Shared: exec changes nothing in the state, but delete must wait. */
  if (husk_state_lock(o->root, o->id, false, &r->lock_fd, err) < 0)
    return -1;
  if (husk_state_load(o->root, o->id, &r->st, err) < 0)
    return -1;
  r->have_state = true;
  husk_state_refresh_status(&r->st);
  if (r->st.status == HUSK_STATUS_STOPPED)
    return husk_error_set(err, 0, "cannot exec in a stopped container");
  if (r->st.status == HUSK_STATUS_CREATING)
    return husk_error_set(err, 0, "cannot exec in a container that is being created");
  _cleanup_free_ char *dir = husk_state_dir(o->root, o->id);
  _cleanup_free_ char *config = husk_xasprintf("%s/config.json", dir);
  return husk_spec_load(config, &r->spec, err);
}

/* runc's getProcess: config.json's process with the command line's changes. */
static int process_from_flags(struct exec_run *r, husk_error_t *err) {
  const struct husk_exec_opts *o = r->opts;
  if (!r->spec->has_process)
    return husk_error_set(err, 0, "config.json: process: missing");
  struct husk_process *p = &r->spec->process;
  if (o->args_len == 0)
    return husk_error_set(err, 0, "process args cannot be empty");
  for (size_t i = 0; i < p->args.len; i++)
    free(p->args.items[i]);
  p->args.len = 0;
  for (size_t i = 0; i < o->args_len; i++)
    strv_push(&p->args, o->args[i]);

  if (o->cwd)
    set_string(&p->cwd, o->cwd);
  if (o->apparmor && o->apparmor[0])
    set_string(&p->apparmor_profile, o->apparmor);
  if (o->process_label && o->process_label[0])
    set_string(&p->selinux_label, o->process_label);

  /* --cap adds to the bounding, effective and permitted sets (an absent set
   * is an empty one: it keeps nothing), and to ambient only where the kernel
   * can raise it (inheritable too), which is all runc's addition achieves. */
  struct husk_capabilities *c = &p->capabilities;
  for (size_t i = 0; i < o->caps_len; i++) {
    const char *cap = o->caps[i];
    p->has_capabilities = c->has_bounding = c->has_effective = c->has_permitted = true;
    if (!strv_has(&c->bounding, cap))
      strv_push(&c->bounding, cap);
    if (!strv_has(&c->effective, cap))
      strv_push(&c->effective, cap);
    if (!strv_has(&c->permitted, cap))
      strv_push(&c->permitted, cap);
    if (strv_has(&c->inheritable, cap) && !strv_has(&c->ambient, cap)) {
      c->has_ambient = true;
      strv_push(&c->ambient, cap);
    }
  }

  /* runc appends and the process ends up with the last value of a name (Go's
   * os.Setenv), at the place of the first: the same, done here. */
  for (size_t i = 0; i < o->env_len; i++) {
    const char *kv = o->env[i];
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
      return husk_error_set(err, 0, "--env: invalid environment variable \"%s\"", kv);
    size_t n = (size_t)(eq - kv) + 1;
    size_t j = 0;
    while (j < p->env.len && strncmp(p->env.items[j], kv, n) != 0)
      j++;
    if (j < p->env.len)
      set_string(&p->env.items[j], kv);
    else
      strv_push(&p->env, kv);
  }

  p->terminal = o->tty;
  if (o->no_new_privs_set)
    p->no_new_privileges = o->no_new_privs;
  if (o->user_set) {
    p->user.uid = o->uid;
    if (o->gid_set)
      p->user.gid = o->gid;
  }
  if (o->additional_gids_len > 0) {
    size_t n = p->user.additional_gids_len;
    p->user.additional_gids =
        husk_xrealloc(p->user.additional_gids, (n + o->additional_gids_len) * sizeof(uint32_t));
    memcpy(p->user.additional_gids + n, o->additional_gids,
           o->additional_gids_len * sizeof(uint32_t));
    p->user.additional_gids_len = n + o->additional_gids_len;
  }
  r->process = p;
  return husk_process_validate(p, "exec", err);
}

static int process_from_file(struct exec_run *r, husk_error_t *err) {
  const char *path = r->opts->process_path;
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (husk_read_file(path, PROCESS_JSON_MAX_SIZE, &text, &len, err) < 0)
    return -1;
  if (husk_process_parse(text, len, path, &r->file_process, err) < 0)
    return -1;
  r->process = r->file_process;
  return 0;
}

/* runc's checkTerminal: a pty goes to --console-socket when detached and is
 * relayed in the foreground; nothing else is accepted. */
static int check_terminal(const struct exec_run *r, husk_error_t *err) {
  const struct husk_exec_opts *o = r->opts;
  if (o->detach && r->process->terminal && o->console_socket == NULL)
    return husk_error_set(err, 0,
                          "cannot allocate tty if runc will detach without setting console socket");
  if ((!o->detach || !r->process->terminal) && o->console_socket)
    return husk_error_set(err, 0,
                          "cannot use console socket if runc will not detach or allocate tty");
  return 0;
}

/* --cgroup [<controller>:]<path>: an existing cgroup below the container's.
 * Sub-cgroups per controller (v1) are refused rather than half applied. */
static int sub_cgroup_path(const char *base, const struct husk_exec_opts *o, char **out,
                           husk_error_t *err) {
  const char *sub = NULL;
  for (size_t i = 0; i < o->cgroups_len; i++) {
    const char *v = o->cgroups[i];
    const char *colon = strchr(v, ':');
    if (colon && colon != v)
      return husk_error_set(err, 0,
                            "--cgroup %s: per-controller sub-cgroups are not supported; give "
                            "<path> for all controllers",
                            v);
    if (sub)
      return husk_error_set(err, 0, "--cgroup %s: a sub-cgroup was given already (%s)", v, sub);
    sub = colon ? colon + 1 : v;
  }
  /* Component by component: the result must be clean (husk_cgroup_load
   * refuses anything else) and must stay below the container's cgroup. */
  size_t cap = strlen(base) + (sub ? strlen(sub) : 0) + 2;
  char *path = husk_xmalloc(cap);
  snprintf(path, cap, "%s", strcmp(base, "/") == 0 ? "" : base);
  for (const char *p = sub; p && *p;) {
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n == 2 && strncmp(p, "..", 2) == 0) {
      free(path);
      return husk_error_set(err, 0, "--cgroup %s: \"..\" leaves the container's cgroup", sub);
    }
    if (n > 0 && !(n == 1 && p[0] == '.')) {
      strcat(path, "/");
      strncat(path, p, n);
    }
    p = *end ? end + 1 : end;
  }
  if (path[0] == '\0')
    strcpy(path, "/");
  *out = path;
  return 0;
}

static int load_cgroup(struct exec_run *r, husk_error_t *err) {
  const struct husk_exec_opts *o = r->opts;
  const char *base = r->st.cgroup_path;
  if (base == NULL || base[0] == '\0') {
    /* A state written before husk managed cgroups: the process stays in
     * ours, as the init did. */
    if (o->cgroups_len > 0)
      return husk_error_set(err, 0, "--cgroup: container %s has no cgroup of its own", o->id);
    if (r->st.status == HUSK_STATUS_PAUSED && !o->ignore_paused)
      return husk_error_set(err, 0,
                            "cannot exec in a paused container (use --ignore-paused to override)");
    return 0;
  }
  if (husk_cgroup_load(base, &r->cg, err) < 0)
    return -1;
  r->have_cg = true;
  /* `pause` records "paused" in state.json; the freezer is asked as well,
   * for a cgroup frozen behind husk's back. */
  bool frozen = r->st.status == HUSK_STATUS_PAUSED;
  if (!frozen && husk_cgroup_is_frozen(&r->cg, &frozen, NULL) < 0)
    frozen = false;
  if (frozen && !o->ignore_paused)
    return husk_error_set(err, 0,
                          "cannot exec in a paused container (use --ignore-paused to override)");
  r->frozen = frozen;
  if (o->cgroups_len == 0)
    return 0;
  _cleanup_free_ char *sub = NULL;
  if (sub_cgroup_path(base, o, &sub, err) < 0)
    return -1;
  husk_cgroup_release(&r->cg);
  r->have_cg = false;
  if (husk_cgroup_load(sub, &r->cg, err) < 0)
    return husk_error_prefix(err, "--cgroup");
  r->have_cg = true;
  return 0;
}

static bool same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Open the init's namespaces (the ones that are not ours already: setns to
 * one's own user namespace fails) and its root, while /proc is the host's. */
static int open_init(struct exec_run *r, husk_error_t *err) {
  pid_t pid = r->st.pid;
  char path[64];
  for (size_t i = 0; i < NS_FILES; i++) {
    snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      char self[64];
      snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_files[i].name);
      if (errno == ENOENT && access(self, F_OK) < 0)
        continue; /* a kernel without this namespace type (time: before 5.6) */
      if (errno == ENOENT || errno == ESRCH)
        return husk_error_set(err, 0, "cannot exec in a stopped container");
      return husk_error_set(err, errno, "open %s", path);
    }
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_files[i].name);
    struct stat theirs, ours;
    if (fstat(fd, &theirs) == 0 && stat(self, &ours) == 0 && same_file(&theirs, &ours)) {
      close(fd);
      continue;
    }
    if ((r->ns_fd[i] = move_above(fd, r->min_fd)) < 0)
      return husk_error_set(err, errno, "move fds above --preserve-fds");
  }
  snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
  r->root_fd = move_above(open(path, O_PATH | O_DIRECTORY | O_CLOEXEC), r->min_fd);
  if (r->root_fd < 0)
    return husk_error_set(err, errno, "open %s", path);
  /* All of this names a pid: make sure it is still the init's and not a
   * process that got the pid after the init exited. */
  uint64_t start = 0;
  if (husk_process_start_time(pid, &start, NULL) < 0 ||
      (r->st.init_start_time != 0 && start != r->st.init_start_time))
    return husk_error_set(err, 0, "cannot exec in a stopped container");
  return 0;
}

/* ---- in the joiner (A) and the process (B) ------------------------------ */

__attribute__((noreturn)) static void fail_to_parent(int sock, husk_error_t *err, int status) {
  husk_sync_send(sock, HUSK_SYNC_ERROR, err->msg ? err->msg : "exec failed", -1, NULL);
  _exit(status);
}

static int join_one(const struct exec_run *r, size_t i, husk_error_t *err) {
  if (setns(r->ns_fd[i], ns_files[i].flag) < 0)
    return husk_error_set(err, errno, "join the container's %s namespace", ns_files[i].name);
  return 0;
}

static int join_namespaces(const struct exec_run *r, husk_error_t *err) {
  /* Host root may join everything before the user namespace, a rootless
   * husk only after it (the container's user namespace owns the others):
   * try each before, and once more after joining it what was refused. */
  bool pending[NS_FILES] = {false};
  for (size_t i = NS_USER + 1; i < NS_MNT; i++) {
    if (r->ns_fd[i] < 0)
      continue;
    if (setns(r->ns_fd[i], ns_files[i].flag) < 0) {
      if (errno != EPERM || r->ns_fd[NS_USER] < 0)
        return husk_error_set(err, errno, "join the container's %s namespace", ns_files[i].name);
      pending[i] = true;
    }
  }
  if (r->ns_fd[NS_USER] >= 0) {
    if (join_one(r, NS_USER, err) < 0)
      return -1;
    /* As the init does: act as root of the namespace when root is mapped;
     * process.user is applied later either way. */
    if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
      return husk_error_set(err, errno, "setresgid(0) in the container's user namespace");
    if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
      return husk_error_set(err, errno, "setresuid(0) in the container's user namespace");
  }
  for (size_t i = NS_USER + 1; i < NS_MNT; i++)
    if (pending[i] && join_one(r, i, err) < 0)
      return -1;
  if (r->ns_fd[NS_MNT] >= 0 && join_one(r, NS_MNT, err) < 0)
    return -1;
  /* setns(CLONE_NEWNS) leaves us at the namespace's root, which is the
   * container's only after pivot_root; the init's own root is right with
   * --no-pivot (a chroot) too. */
  if (fchdir(r->root_fd) < 0)
    return husk_error_set(err, errno, "enter the container's root directory");
  if (chroot(".") < 0)
    return husk_error_set(err, errno, "chroot to the container's root directory");
  if (chdir("/") < 0)
    return husk_error_set(err, errno, "chdir / in the container");
  return 0;
}

__attribute__((noreturn)) static void process_main(const struct exec_run *r) {
  husk_error_t err = {0};
  int sock = r->sync[1];
  struct husk_sync_msg msg = {0};
  /* Our parent is husk exec (CLONE_PARENT): die with it during setup. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_DUMPABLE, 0);
  if (r->self_attach && husk_cgroup_self_attach(&r->cg_attach, r->cg.path, &err) < 0)
    fail_to_parent(sock, &err, 255);
  if (husk_sync_expect(sock, HUSK_SYNC_HOST_PID, &msg, &err) < 0)
    _exit(255);
  pid_t host_pid = msg.payload ? (pid_t)atoi(msg.payload) : 0;
  husk_sync_msg_free(&msg);

  /* The pty comes from the container's /dev/ptmx (its devpts instance), so
   * that the process and its children see a terminal of their own. */
  if (r->process->terminal) {
    int master = -1, slave = -1;
    _cleanup_free_ char *slave_path = NULL;
    if (husk_pty_open(r->process, &master, &slave, &slave_path, &err) < 0)
      fail_to_parent(sock, &err, 255);
    int sent = husk_sync_send(sock, HUSK_SYNC_PTY_MASTER, NULL, master, &err);
    close(master);
    if (sent < 0 || husk_pty_make_controlling(slave, &err) < 0)
      fail_to_parent(sock, &err, 255);
    if (slave > 2)
      close(slave);
  } else if (setsid() < 0) {
    /* A session and process group of its own, inside the container (as
     * runc gives it): in the caller's, getpgrp() would be 0 in the pid
     * namespace.  husk exec forwards the caller's signals. */
    husk_error_set(&err, errno, "setsid");
    fail_to_parent(sock, &err, 255);
  }

  /* Nothing of ours or the caller's but stdio and the preserved fds may
   * reach the chdir to process.cwd (CVE-2024-21626): the namespace files,
   * the init's root, the cgroup's directory, whatever husk exec inherited. */
  const int keep[] = {sock, r->listener_fd};
  if (husk_fds_close_others(r->opts->preserve_fds, keep, sizeof(keep) / sizeof(keep[0]), &err) < 0)
    fail_to_parent(sock, &err, 255);

  struct husk_exec_ctx ctx = {
      .spec = r->spec,
      .process = r->process,
      .container_id = r->st.id,
      .bundle = r->st.bundle,
      .state_json = r->state_json,
      .in_userns = r->ns_fd[NS_USER] >= 0 || husk_in_user_namespace(),
      .is_init = false, /* linux.sysctl belongs to the init */
      .pid = host_pid,
      .has_seccomp_listener = r->listener_fd >= 0,
      .seccomp_listener_fd = r->listener_fd,
      .seccomp_bpf = &r->seccomp_bpf,
  };
  if (husk_exec_prepare(&ctx, &err) < 0 ||
      husk_fds_keep_only_preserved(r->opts->preserve_fds, &err) < 0)
    fail_to_parent(sock, &err, 255);
  /* From execve on the process lives on its own (--detach). */
  prctl(PR_SET_PDEATHSIG, 0);
  husk_exec_finish(&ctx, &err);
  fail_to_parent(sock, &err, 255);
}

/* A, forked by husk exec: into the container, then B. */
__attribute__((noreturn)) static void joiner_main(const struct exec_run *r) {
  husk_error_t err = {0};
  int sock = r->sync[1];
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (r->lock_fd >= 0)
    close(r->lock_fd);
  signal(SIGPIPE, SIG_DFL);
  if (join_namespaces(r, &err) < 0)
    fail_to_parent(sock, &err, 1);
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
  if (pid == 0)
    process_main(r);
  if (pid < 0) {
    husk_error_set(&err, errno, "clone the process in the container");
    fail_to_parent(sock, &err, 1);
  }
  char text[16];
  snprintf(text, sizeof(text), "%d", (int)pid);
  if (husk_sync_send(sock, HUSK_SYNC_HOST_PID, text, -1, &err) < 0) {
    /* husk exec would wait for B forever: B keeps the socket open. */
    kill(pid, SIGKILL);
    _exit(1);
  }
  _exit(0);
}

/* ---- husk exec (P) ------------------------------------------------------ */

/* The next message from B, or 0 once B closed its end: it called execve
 * (the socket is close-on-exec) or died. */
static int recv_or_eof(int sock, struct husk_sync_msg *msg, husk_error_t *err) {
  char c;
  ssize_t n;
  do
    n = recv(sock, &c, 1, MSG_PEEK);
  while (n < 0 && errno == EINTR);
  if (n == 0)
    return 0;
  if (n < 0)
    return husk_error_set(err, errno, "receive from the process in the container");
  if (husk_sync_recv(sock, msg, err) < 0)
    return -1;
  return 1;
}

/* After B exists: into the cgroup, its host pid, its pty, its execve. */
static int start_process(struct exec_run *r, pid_t pid, int *master, husk_error_t *err) {
  int sock = r->sync[0];
  if (r->have_cg && !r->self_attach && husk_cgroup_enter(&r->cg, pid, err) < 0)
    return -1;
  if (r->self_attach && husk_cgroup_enter_unified(&r->cg, pid, err) < 0)
    return -1;
  char text[16];
  snprintf(text, sizeof(text), "%d", (int)pid);
  if (husk_sync_send(sock, HUSK_SYNC_HOST_PID, text, -1, err) < 0)
    return -1;
  for (;;) {
    struct husk_sync_msg msg = {0};
    int n = recv_or_eof(sock, &msg, err);
    if (n <= 0)
      return n;
    enum husk_sync_type type = msg.type;
    if (type == HUSK_SYNC_ERROR) {
      husk_error_set(err, 0, "%s", msg.payload ? msg.payload : "exec failed");
      husk_sync_msg_free(&msg);
      return -1;
    }
    if (type == HUSK_SYNC_PTY_MASTER && msg.nfds > 0 && *master < 0) {
      *master = husk_sync_msg_take_fd(&msg);
      husk_sync_msg_free(&msg);
      continue;
    }
    husk_sync_msg_free(&msg);
    return husk_error_set(err, EPROTO, "unexpected message %d from the process in the container",
                          (int)type);
  }
}

static void exec_run_free(struct exec_run *r) {
  for (size_t i = 0; i < NS_FILES; i++)
    close_fd(&r->ns_fd[i]);
  close_fd(&r->root_fd);
  close_fd(&r->listener_fd);
  close_fd(&r->sync[0]);
  close_fd(&r->sync[1]);
  husk_cgroup_self_attach_close(&r->cg_attach);
  if (r->have_cg)
    husk_cgroup_release(&r->cg);
  husk_process_free(r->file_process);
  husk_spec_free(r->spec);
  husk_seccomp_bpf_free(&r->seccomp_bpf);
  free(r->state_json);
  if (r->have_state)
    husk_state_free(&r->st);
  husk_state_unlock(r->lock_fd);
  r->lock_fd = -1;
}

static int write_pid_file(const char *path, pid_t pid, husk_error_t *err) {
  char buf[32];
  int len = snprintf(buf, sizeof(buf), "%d", (int)pid);
  return husk_write_file_atomic(path, buf, (size_t)len, 0644, err);
}

/* Everything P needs before forking: the container, the process, the
 * cgroup, the init's namespaces, the sync socket. */
static int prepare(struct exec_run *r, husk_error_t *err) {
  const struct husk_exec_opts *o = r->opts;
  if (load_container(r, err) < 0)
    return -1;
  r->lock_fd = move_above(r->lock_fd, r->min_fd);
  if (r->lock_fd < 0)
    return husk_error_set(err, errno, "move fds above --preserve-fds");
  if ((o->process_path ? process_from_file(r, err) : process_from_flags(r, err)) < 0 ||
      check_terminal(r, err) < 0 || load_cgroup(r, err) < 0)
    return -1;
  /* On husk exec's stderr, not the new process's. */
  husk_caps_warn_ambient(r->process, &(const struct husk_warner){0});
  if (r->have_cg && r->cg.v2_fd >= 0 && (r->cg.v2_fd = move_above(r->cg.v2_fd, r->min_fd)) < 0)
    return husk_error_set(err, errno, "move fds above --preserve-fds");
  /* Not into a frozen cgroup: A would freeze there before B exists. */
  if (r->have_cg && !r->frozen) {
    husk_error_t ignored = {0};
    r->self_attach = husk_cgroup_self_attach_prepare(&r->cg, &r->cg_attach, &ignored) == 0 &&
                     r->cg_attach.len > 0;
    husk_error_clear(&ignored);
  }
  if (open_init(r, err) < 0)
    return -1;
  /* listenerPath is a host path: connected here, used by B. */
  const struct husk_spec *spec = r->spec;
  if (spec->has_linux && spec->linux_.has_seccomp && spec->linux_.seccomp.listener_path &&
      husk_seccomp_uses_notify(&spec->linux_.seccomp)) {
    if (husk_seccomp_listener_connect(spec->linux_.seccomp.listener_path, &r->listener_fd, err) < 0)
      return -1;
    if ((r->listener_fd = move_above(r->listener_fd, r->min_fd)) < 0)
      return husk_error_set(err, errno, "move fds above --preserve-fds");
  }
  /* B only loads it: compiled (or found in the cache) here. */
  if (spec->has_linux && spec->linux_.has_seccomp) {
    _cleanup_free_ char *cache = husk_seccomp_cache_dir();
    if (husk_seccomp_prepare(cache, &spec->linux_.seccomp, &(const struct husk_warner){0},
                             &r->seccomp_bpf, err) < 0)
      return -1;
  }
  r->state_json = husk_state_oci_json(&r->st, NULL);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sync) < 0)
    return husk_error_set(err, errno, "socketpair");
  r->sync[0] = move_above(r->sync[0], r->min_fd);
  r->sync[1] = move_above(r->sync[1], r->min_fd);
  if (r->sync[0] < 0 || r->sync[1] < 0)
    return husk_error_set(err, errno, "move fds above --preserve-fds");
  return 0;
}

int husk_container_exec(const struct husk_exec_opts *opts, struct husk_exec_result *out,
                        husk_error_t *err) {
  out->pid = -1;
  out->pty_master = -1;
  struct exec_run r = {
      .opts = opts,
      .lock_fd = -1,
      .min_fd = 3 + (opts->preserve_fds > 0 ? opts->preserve_fds : 0),
      .root_fd = -1,
      .listener_fd = -1,
      .sync = {-1, -1},
      .cg = {.v2_fd = -1},
      .cg_attach = {.v2_fd = -1},
  };
  for (size_t i = 0; i < NS_FILES; i++)
    r.ns_fd[i] = -1;
  pid_t joiner = -1, child = -1;
  int master = -1;
  int ret = -1;

  if (prepare(&r, err) < 0)
    goto out;
  fflush(stdout);
  fflush(stderr);
  joiner = fork();
  if (joiner == 0)
    joiner_main(&r);
  if (joiner < 0) {
    husk_error_set(err, errno, "fork");
    goto out;
  }
  /* What only A and B use. */
  husk_cgroup_self_attach_close(&r.cg_attach);
  close_fd(&r.sync[1]);
  close_fd(&r.root_fd);
  close_fd(&r.listener_fd);
  for (size_t i = 0; i < NS_FILES; i++)
    close_fd(&r.ns_fd[i]);

  struct husk_sync_msg msg = {0};
  int got = husk_sync_expect(r.sync[0], HUSK_SYNC_HOST_PID, &msg, err);
  if (got == 0)
    child = msg.payload ? (pid_t)atoi(msg.payload) : -1;
  husk_sync_msg_free(&msg);
  reap(joiner);
  if (got < 0)
    goto out;
  if (child <= 0) {
    husk_error_set(err, EPROTO, "no pid for the process in the container");
    goto out;
  }
  /* B exists: from here `pause`, `resume` and `delete` may go on. */
  husk_state_unlock(r.lock_fd);
  r.lock_fd = -1;
  if (start_process(&r, child, &master, err) < 0)
    goto out;
  if (master >= 0 && opts->console_socket) {
    if (husk_console_socket_send(opts->console_socket, master, err) < 0)
      goto out;
    close_fd(&master);
  }
  if (opts->pid_file && write_pid_file(opts->pid_file, child, err) < 0)
    goto out;
  out->pid = child;
  out->pty_master = husk_steal_fd(master);
  child = -1;
  ret = 0;
out:
  kill_and_reap(child);
  close_fd(&master);
  exec_run_free(&r);
  return ret;
}
