/* husk — the container's init, step by step (runtime.md "Lifecycle"):
 * namespaces → [once the parent placed us in the cgroup: the cgroup
 * namespace] → mounts → [parent: prestart, createRuntime hooks] →
 * createContainer hooks → pivot_root → masked/readonly paths → terminal →
 * process attributes → created: wait for `start` → startContainer hooks →
 * execve. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_setup.h"
#include "hooks.h"
#include "netdev.h"
#include "procfs.h"
#include "rootfs.h"
#include "seccomp_filter.h"
#include "sync.h"
#include "dev.h"
#include "terminal.h"
#include "rootless.h"
#include "timings.h"
#include "util.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

__attribute__((noreturn)) static void fail_to_parent(int sync_fd, husk_error_t *err) {
  husk_sync_send(sync_fd, HUSK_SYNC_ERROR, err->msg ? err->msg : "container init failed", -1, NULL);
  _exit(1);
}

static int become_root_in_userns(husk_error_t *err) {
  /* With uid/gid 0 mapped we act as root in the new namespace; when they are
   * not, process.user is applied later anyway. */
  if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
    return husk_error_set(err, errno, "setresgid(0) in the user namespace");
  if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
    return husk_error_set(err, errno, "setresuid(0) in the user namespace");
  return 0;
}

static int set_names(const struct husk_spec *spec, husk_error_t *err) {
  if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
    return husk_error_set(err, errno, "hostname %s", spec->hostname);
  if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
    return husk_error_set(err, errno, "domainname %s", spec->domainname);
  return 0;
}

static int join_session_keyring(const char *id, husk_error_t *err) {
  /* A keyring of its own, so the container can't read the host's session
   * keys; kernels or seccomp setups without keyctl just go without. */
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, id) < 0 && errno != ENOSYS &&
      errno != EPERM && errno != EACCES)
    return husk_error_set(err, errno, "join a new session keyring");
  return 0;
}

/* The pty slave becomes the workload's stdio and the container's console. */
static int setup_terminal(int sync_fd, const struct husk_process *process, husk_error_t *err) {
  int master = -1, slave = -1;
  _cleanup_free_ char *slave_path = NULL;
  if (husk_pty_open(process, &master, &slave, &slave_path, err) < 0)
    return -1;
  int r = husk_sync_send(sync_fd, HUSK_SYNC_PTY_MASTER, NULL, master, err);
  close(master);
  if (r < 0) {
    close(slave);
    return -1;
  }
  int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0)
    close(fd);
  if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0) {
    close(slave);
    return husk_error_set(err, errno, "bind %s to /dev/console", slave_path);
  }
  r = husk_pty_make_controlling(slave, err);
  if (slave > 2)
    close(slave);
  return r;
}

/* Look args[0] up on the PATH of process.env now (as execve will), so that
 * `create` fails on a missing binary instead of `start`. */
static int check_executable(const struct husk_process *process, husk_error_t *err) {
  _cleanup_free_ char *file = husk_exec_lookup(process, err);
  if (file == NULL)
    return -1;
  if (access(file, X_OK) < 0)
    return husk_error_set(err, errno, "exec %s", file);
  return 0;
}

static bool needs_seccomp_listener(const struct husk_spec *spec) {
  if (!spec->has_linux || !spec->linux_.has_seccomp || !spec->linux_.seccomp.listener_path)
    return false;
  const struct husk_seccomp *sc = &spec->linux_.seccomp;
  for (size_t i = 0; i < sc->syscalls_len; i++)
    if (sc->syscalls[i].action == HUSK_SCMP_ACT_NOTIFY)
      return true;
  return false;
}

/* Block until `start` opens the fifo for reading; returns the fifo, on
 * which we then report to `start` (see release_init in container.c). */
static int wait_for_start(int fifo_path_fd, bool in_userns, husk_error_t *err) {
  /* A non-dumpable process's /proc/self/fd belongs to the host's root, out of
   * reach of the container's root in a user namespace: become dumpable. That
   * is safe even with a root mapped to the host's root: husk runs from a
   * read-only bind mount or a sealed copy of itself (self_protect.c), which
   * no container process can write. */
  if (in_userns)
    prctl(PR_SET_DUMPABLE, 1);
  /* Through a checked procfs: a /proc of the container's making must not
   * hand us another file to write our report to. */
  int fd = husk_procfs_reopen(-1, fifo_path_fd, O_WRONLY, err);
  if (fd < 0)
    return husk_error_prefix(err, "open exec fifo");
  close(fifo_path_fd);
  return fd;
}

/* Tell `start` what went wrong; it prints it and fails. */
__attribute__((noreturn)) static void fail_to_start(int fifo, husk_error_t *err, int status) {
  const char *msg = err->msg ? err->msg : "container init failed";
  if (fifo < 0 || husk_write_all(fifo, "E", 1) < 0 || husk_write_all(fifo, msg, strlen(msg)) < 0)
    fprintf(stderr, "husk: %s\n", msg);
  _exit(status);
}

/* IN_CGROUP: the parent placed us in the container's cgroup, or (v1, the
 * cgroup made after the clone) sent the `tasks` files we move ourselves
 * with (cgroup.c, husk_cgroup_self_attach). */
struct cgroup_wait {
  const struct husk_init_args *args;
  bool done;
};

static int wait_for_cgroup(void *data, husk_error_t *err) {
  struct cgroup_wait *w = data;
  if (w->done)
    return 0;
  struct husk_sync_msg msg = {0};
  if (husk_sync_expect(w->args->sync_fd, HUSK_SYNC_IN_CGROUP, &msg, err) < 0)
    return -1;
  struct husk_cgroup_self_attach files = {.fds = msg.fds, .len = msg.nfds, .v2_fd = -1};
  int r = husk_cgroup_self_attach(&files, w->args->cgroup_path, err);
  husk_sync_msg_free(&msg);
  if (r < 0)
    return -1;
  if (files.len > 0)
    husk_timing("init:cgroup-attach");
  w->done = true;
  return 0;
}

__attribute__((noreturn)) void husk_init_run(const struct husk_init_args *a) {
  husk_error_t err = {0};
  const struct husk_spec *spec = a->spec;
  int sync_fd = a->sync_fd;
  struct husk_sync_msg msg = {0};
  struct cgroup_wait in_cgroup = {.args = a};

  /* Die with the runtime while it still sets us up. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (a->lock_fd >= 0)
    close(a->lock_fd);
  signal(SIGPIPE, SIG_DFL);

  if (husk_sync_expect(sync_fd, HUSK_SYNC_PARENT_READY, &msg, &err) < 0)
    _exit(1);
  husk_sync_msg_free(&msg);
  if (a->cg_attach) {
    if (husk_cgroup_self_attach(a->cg_attach, a->cgroup_path, &err) < 0)
      fail_to_parent(sync_fd, &err);
    husk_cgroup_self_attach_close(a->cg_attach);
    husk_timing("init:cgroup-attach");
  }
  if (a->plan->new_user && become_root_in_userns(&err) < 0)
    fail_to_parent(sync_fd, &err);

  if (husk_ns_init_join(a->plan, &err) < 0 || set_names(spec, &err) < 0)
    fail_to_parent(sync_fd, &err);
  if (((a->plan->clone_flags | a->plan->unshare_flags) & CLONE_NEWNET) &&
      husk_net_loopback_up(&err) < 0)
    fail_to_parent(sync_fd, &err);
  if (!a->no_new_keyring && join_session_keyring(a->id, &err) < 0)
    fail_to_parent(sync_fd, &err);
  husk_timing("init:namespaces");
  /* A cgroup namespace is rooted at the cgroup we are in when we make it,
   * and cgroupfs mounted in it shows that root: wait until the parent has
   * placed us, and make it before the first mount. */
  if (a->new_cgroupns) {
    if (wait_for_cgroup(&in_cgroup, &err) < 0)
      fail_to_parent(sync_fd, &err);
    if (unshare(CLONE_NEWCGROUP) < 0) {
      husk_error_set(&err, errno, "create the cgroup namespace");
      fail_to_parent(sync_fd, &err);
    }
  }

  struct husk_rootfs_ctx rootfs = {
      .spec = spec,
      .bundle = a->bundle,
      .rootfs = a->rootfs,
      .no_pivot = a->no_pivot,
      .in_runtime_mntns = husk_rootfs_in_runtime_mntns(spec),
      /* or in the runtime's own (rootless podman's): host devices are bound,
       * not made */
      .in_userns =
          a->plan->new_user || a->plan->join_fd[HUSK_NS_USER] >= 0 || husk_in_user_namespace(),
      .source_trees = a->source_trees,
      .cgroup_path = a->cgroup_path,
      .wait_for_cgroup = a->cgroup_after_clone ? wait_for_cgroup : NULL,
      .wait_for_cgroup_data = &in_cgroup,
  };
  if (husk_rootfs_prepare(&rootfs, &err) < 0)
    fail_to_parent(sync_fd, &err);
  husk_timing("init:mounts");
  if (wait_for_cgroup(&in_cgroup, &err) < 0)
    fail_to_parent(sync_fd, &err);

  /* The parent runs prestart and createRuntime hooks now, then hands us the
   * state for ours. */
  if (husk_sync_send(sync_fd, HUSK_SYNC_RUN_HOOKS, NULL, -1, &err) < 0 ||
      husk_sync_expect(sync_fd, HUSK_SYNC_HOOKS_DONE, &msg, &err) < 0)
    _exit(1);
  _cleanup_free_ char *hook_state_json = husk_steal_ptr(msg.payload);
  husk_sync_msg_free(&msg);
  if (husk_sync_expect(sync_fd, HUSK_SYNC_START_STATE, &msg, &err) < 0)
    _exit(1);
  _cleanup_free_ char *created_json = husk_steal_ptr(msg.payload);
  husk_sync_msg_free(&msg);
  if (husk_sync_expect(sync_fd, HUSK_SYNC_HOST_PID, &msg, &err) < 0)
    _exit(1);
  pid_t host_pid = msg.payload ? (pid_t)atoi(msg.payload) : 0;
  husk_sync_msg_free(&msg);
  husk_timing("init:wait-cgroup+hooks");
  /* linux.seccomp.listenerPath is a host path: connect before pivot_root. */
  int listener_fd = -1;
  if (needs_seccomp_listener(spec) &&
      husk_seccomp_listener_connect(spec->linux_.seccomp.listener_path, &listener_fd, &err) < 0)
    fail_to_parent(sync_fd, &err);

  if (husk_hooks_run(spec->hooks.create_container, spec->hooks.create_container_len,
                     "createContainer", hook_state_json, &err) < 0)
    fail_to_parent(sync_fd, &err);
  if (husk_rootfs_pivot(&rootfs, &err) < 0 || husk_cwd_create(a->process, &err) < 0 ||
      husk_dev_reopen_null_stdio(&err) < 0)
    fail_to_parent(sync_fd, &err);
  husk_timing("init:pivot");

  struct husk_exec_ctx exec = {
      .spec = spec,
      .process = a->process,
      .container_id = a->id,
      .bundle = a->bundle,
      .state_json = created_json,
      .in_userns = rootfs.in_userns,
      .is_init = true,
      .pid = host_pid,
      .has_seccomp_listener = listener_fd >= 0,
      .seccomp_listener_fd = listener_fd,
      .seccomp_bpf = a->seccomp_bpf,
  };
  /* linux.sysctl is written before readonlyPaths make /proc/sys read-only. */
  if (husk_exec_prepare(&exec, &err) < 0 || husk_rootfs_finalize(&rootfs, &err) < 0)
    fail_to_parent(sync_fd, &err);
  husk_timing("init:devices+masks");
  if (a->process->terminal && setup_terminal(sync_fd, a->process, &err) < 0)
    fail_to_parent(sync_fd, &err);
  /* A session of its own, as runc's init always has (nsexec's setsid): a
   * session leader outside the container's pid namespace would stop CRIU
   * from checkpointing it ("A session leader ... is outside of its pid
   * namespace"). */
  if (!a->process->terminal && setsid() < 0 && getsid(0) != getpid()) {
    husk_error_set(&err, errno, "setsid");
    fail_to_parent(sync_fd, &err);
  }
  /* No fd but stdio, the preserved ones and those we still need may reach
   * process.cwd's chdir: a directory fd (our cgroup's, one the caller
   * leaked) is a way out of the root through /proc/self/fd/N. */
  const int keep[] = {sync_fd, a->fifo_fd, listener_fd};
  if (husk_fds_close_others(a->preserve_fds, keep, sizeof(keep) / sizeof(keep[0]), &err) < 0)
    fail_to_parent(sync_fd, &err);
  if (a->process->cwd) {
    if (husk_cwd_enter(a->process->cwd, &err) == 0) {
      if (check_executable(a->process, &err) < 0)
        fail_to_parent(sync_fd, &err);
    } else if (err.errnum == EXDEV) {
      fail_to_parent(sync_fd, &err);
    } else {
      husk_error_clear(&err); /* reported at execve, as the user may see it */
    }
  }
  if (chdir("/") < 0) {
    husk_error_set(&err, errno, "chdir /");
    fail_to_parent(sync_fd, &err);
  }

  /* From here on the runtime that created us exits: don't die with it.
   * And from here on processes of the container may exist (`exec`): be
   * non-dumpable, so none can open our /proc/<pid>/exe (the host's husk
   * binary) before execve replaces it. */
  prctl(PR_SET_PDEATHSIG, 0);
  prctl(PR_SET_DUMPABLE, 0);
  husk_timing("init:fds+cwd");
  if (husk_sync_send(sync_fd, HUSK_SYNC_CREATED, NULL, -1, &err) < 0)
    _exit(1);
  close(sync_fd);

  int fifo = wait_for_start(a->fifo_fd, rootfs.in_userns, &err);
  if (fifo < 0)
    fail_to_start(-1, &err, 1);
  husk_timing("init:wait-start");
  if (husk_hooks_run(spec->hooks.start_container, spec->hooks.start_container_len, "startContainer",
                     created_json, &err) < 0)
    fail_to_start(fifo, &err, 1);
  if (husk_fds_keep_only_preserved(a->preserve_fds, &err) < 0)
    fail_to_start(fifo, &err, 1);
  /* "0": started; the fifo closes at execve (O_CLOEXEC), which `start`
   * sees as the end of our report. */
  if (husk_write_all(fifo, "0", 1) < 0) {
    husk_error_set(&err, errno, "write exec fifo");
    fail_to_start(-1, &err, 1);
  }
  husk_exec_finish(&exec, &err);
  fail_to_start(fifo, &err, 127);
}
