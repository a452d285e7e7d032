/* Unit tests of exec_setup.c and its steps: each case forks a child that
 * applies a process config with husk_exec_prepare + husk_exec_finish and
 * execs a real program (/bin/sh, or this test binary in "helper" mode),
 * which prints what it sees; the parent checks the output.  Needs root. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <linux/mempolicy.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_setup.h"
#include "exec_steps.h"
#include "seccomp_filter.h"
#include "tap.h"

#define SV(...)                                                                                    \
  ((struct husk_strv){.items = (char *[]){__VA_ARGS__},                                            \
                      .len = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})

static char self_exe[4096];
static char *default_env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};

/* ---- helper mode: the exec'd program for checks /bin/sh cannot make ---- */

static int errno_of(long r) { return r < 0 ? errno : 0; }

static int helper(int argc, char **argv) {
  if (argc < 3)
    return 2;
  const char *what = argv[2];
  if (strcmp(what, "mkdir") == 0) {
    printf("mkdir errno=%d\n", errno_of(mkdir("/nonexistent-husk-dir/x", 0700)));
  } else if (strcmp(what, "getppid") == 0) {
    printf("getppid=%ld\n", (long)syscall(SYS_getppid));
  } else if (strcmp(what, "prio") == 0) {
    int a = (errno = 0, getpriority(PRIO_PROCESS, 0), errno);
    int b = (errno = 0, getpriority(PRIO_PGRP, 0), errno);
    int c = (errno = 0, getpriority(PRIO_USER, 0), errno);
    printf("prio process=%d pgrp=%d user=%d\n", a, b, c);
  } else if (strcmp(what, "dup3") == 0) {
    int a = errno_of(dup3(0, 50, O_CLOEXEC));
    int b = errno_of(dup3(0, 51, 0));
    printf("dup3 cloexec=%d plain=%d\n", a, b);
  } else if (strcmp(what, "mempolicy") == 0) {
    int mode = -1;
    unsigned long mask[16] = {0};
    long r = syscall(SYS_get_mempolicy, &mode, mask, 1024UL, NULL, 0UL);
    printf("mempolicy r=%ld mode=%d mask=%lx\n", r, mode, mask[0]);
  } else if (strcmp(what, "env") == 0) {
    extern char **environ;
    for (char **e = environ; *e; e++)
      printf("env %s\n", *e);
    printf("env end\n");
  }
  fflush(stdout);
  /* _exit: no LeakSanitizer pass at exit, whose getppid() polling would
   * meet the seccomp filters under test. */
  _exit(0);
}

/* ---- running a case ---- */

struct result {
  int status;
  char out[32768];
};

typedef void (*parent_hook_fn)(pid_t pid, void *data);

static void run_ctx(const struct husk_exec_ctx *ctx, struct result *r, parent_hook_fn hook,
                    void *hook_data) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    abort();
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    abort();
  if (pid == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    husk_error_t err = {0};
    if (husk_exec_prepare(ctx, &err) == 0)
      husk_exec_finish(ctx, &err);
    dprintf(1, "ERR: %s\n", err.msg ? err.msg : "(no message)");
    _exit(120);
  }
  close(p[1]);
  if (hook)
    hook(pid, hook_data);
  size_t used = 0;
  ssize_t n;
  while ((n = read(p[0], r->out + used, sizeof(r->out) - 1 - used)) > 0)
    used += (size_t)n;
  r->out[used] = '\0';
  close(p[0]);
  waitpid(pid, &r->status, 0);
}

static void run(const struct husk_spec *spec, const struct husk_process *proc, struct result *r) {
  struct husk_exec_ctx ctx = {.spec = spec, .process = proc, .container_id = "t1"};
  run_ctx(&ctx, r, NULL, NULL);
}

static struct husk_process base_process(void) {
  struct husk_process p = {0};
  p.cwd = "/";
  p.env = (struct husk_strv){.items = default_env, .len = 1};
  return p;
}

static bool has(const struct result *r, const char *needle) {
  if (strstr(r->out, needle))
    return true;
  tap_diag("expected \"%s\" in output:", needle);
  printf("%s", r->out);
  return false;
}

static bool exited_ok(const struct result *r) {
  if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
    return true;
  tap_diag("status 0x%x, output:", r->status);
  printf("%s", r->out);
  return false;
}

/* ---- cases ---- */

static void test_caps_root(void) {
  struct husk_process p = base_process();
  p.args = SV("/bin/sh", "-c", "grep ^Cap /proc/self/status");
  p.has_capabilities = true;
  struct husk_capabilities *c = &p.capabilities;
  c->has_bounding = c->has_effective = c->has_permitted = c->has_inheritable = true;
  c->bounding = SV("CAP_CHOWN", "CAP_KILL", "CAP_SYS_RESOURCE");
  c->effective = SV("CAP_CHOWN", "CAP_KILL");
  c->permitted = SV("CAP_CHOWN", "CAP_KILL", "CAP_SYS_RESOURCE");
  c->inheritable = (struct husk_strv){0};
  struct result r;
  run(NULL, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "CapBnd:\t0000000000000021") &&
             has(&r, "CapPrm:\t0000000000000021") && has(&r, "CapEff:\t0000000000000021") &&
             has(&r, "CapInh:\t0000000000000000") && has(&r, "CapAmb:\t0000000000000000"),
         "root: bounding/permitted/effective reduced to CAP_CHOWN+CAP_KILL");
  tap_ok(has(&r, "warning: process.capabilities.bounding: CAP_SYS_RESOURCE") &&
             has(&r, "warning: process.capabilities.permitted: CAP_SYS_RESOURCE"),
         "a capability the runtime lacks is a warning, not an error");
}

static void test_caps_user_ambient(void) {
  struct husk_process p = base_process();
  p.args = SV("/bin/sh", "-c", "grep -E '^(Cap|Uid|Gid)' /proc/self/status");
  p.user.uid = 65534;
  p.user.gid = 65534;
  p.has_capabilities = true;
  struct husk_capabilities *c = &p.capabilities;
  c->has_bounding = c->has_effective = c->has_permitted = c->has_inheritable = true;
  c->has_ambient = true;
  c->bounding = SV("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  c->effective = SV("CAP_KILL", "CAP_NET_BIND_SERVICE");
  c->permitted = SV("CAP_KILL", "CAP_NET_BIND_SERVICE");
  c->inheritable = SV("CAP_KILL", "CAP_NET_BIND_SERVICE");
  c->ambient = SV("CAP_NET_BIND_SERVICE");
  struct result r;
  run(NULL, &p, &r);
  /* As a non-root user only the ambient set survives execve into P and E. */
  tap_ok(exited_ok(&r) && has(&r, "CapBnd:\t0000000000000421") &&
             has(&r, "CapInh:\t0000000000000420") && has(&r, "CapPrm:\t0000000000000400") &&
             has(&r, "CapEff:\t0000000000000400") && has(&r, "CapAmb:\t0000000000000400") &&
             has(&r, "Uid:\t65534\t65534\t65534\t65534"),
         "uid 65534 keeps CAP_NET_BIND_SERVICE through the ambient set");
}

static void test_user(void) {
  struct husk_process p = base_process();
  p.args = SV("/bin/sh", "-c", "grep -E '^(Uid|Gid|Groups)' /proc/self/status; umask");
  p.user.uid = 65534;
  p.user.gid = 65533;
  uint32_t gids[] = {100, 200};
  p.user.additional_gids = gids;
  p.user.additional_gids_len = 2;
  p.user.has_umask = true;
  p.user.umask = 077;
  struct result r;
  run(NULL, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "Uid:\t65534\t65534\t65534\t65534") &&
             has(&r, "Gid:\t65533\t65533\t65533\t65533") && has(&r, "Groups:\t100 200") &&
             has(&r, "0077"),
         "uid, gid, additionalGids and umask");

  p = base_process();
  p.args = SV("/bin/sh", "-c", "grep -E '^Groups' /proc/self/status; umask");
  run(NULL, &p, &r);
  const char *g = strstr(r.out, "Groups:");
  tap_ok(exited_ok(&r) && g && strcspn(g, "0123456789") > strcspn(g, "\n") && has(&r, "0022"),
         "no additionalGids clears the runtime's groups; umask defaults to 0022");
}

static void test_rlimits_oom(void) {
  struct husk_process p = base_process();
  p.args =
      SV("/bin/sh", "-c",
         "echo soft=$(ulimit -n) hard=$(ulimit -H -n); echo oom=$(cat /proc/self/oom_score_adj)");
  /* At or below the current limits: raising a hard limit needs
   * CAP_SYS_RESOURCE, which this machine's bounding set lacks. */
  struct rlimit cur;
  getrlimit(RLIMIT_NOFILE, &cur);
  rlim_t hard = cur.rlim_max < 4096 ? cur.rlim_max : 4096;
  struct husk_rlimit rl = {
      .resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = hard / 2, .hard = hard};
  p.rlimits = &rl;
  p.rlimits_len = 1;
  p.has_oom_score_adj = true;
  p.oom_score_adj = 500;
  struct result r;
  run(NULL, &p, &r);
  char want[64];
  snprintf(want, sizeof(want), "soft=%llu hard=%llu", (unsigned long long)hard / 2,
           (unsigned long long)hard);
  tap_ok(exited_ok(&r) && has(&r, want) && has(&r, "oom=500"), "rlimits and oomScoreAdj");

  rl.soft = rl.hard = (uint64_t)cur.rlim_max + 1;
  if (cur.rlim_max != RLIM_INFINITY) {
    run(NULL, &p, &r);
    tap_ok(r.status == 120 << 8 && has(&r, "ERR: process.rlimits[0]: set RLIMIT_NOFILE"),
           "an rlimit that cannot be set names the entry");
  }
}

static void test_personality(void) {
  struct husk_spec spec = {0};
  spec.linux_.has_personality = true;
  spec.linux_.personality.domain = "LINUX32";
  spec.linux_.personality.persona = PER_LINUX32;
  struct husk_process p = base_process();
  p.args = SV("/bin/sh", "-c", "uname -m");
  struct result r;
  run(&spec, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "i686"), "personality LINUX32: uname -m says i686");
}

static void test_scheduler_ioprio(void) {
  struct husk_process p = base_process();
  p.args = SV("/bin/sh", "-c", "chrt -p $$; echo nice=$(nice); ionice -p $$");
  p.has_scheduler = true;
  p.scheduler.policy = SCHED_BATCH;
  p.scheduler.policy_name = "SCHED_BATCH";
  p.scheduler.has_nice = true;
  p.scheduler.nice = 5;
  p.has_io_priority = true;
  p.io_priority.class_ = 2; /* IOPRIO_CLASS_BE */
  p.io_priority.priority = 6;
  struct result r;
  run(NULL, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "SCHED_BATCH") && has(&r, "nice=5") &&
             has(&r, "best-effort: prio 6"),
         "scheduler SCHED_BATCH nice 5, ioPriority BE 6");
}

static void test_cpu_affinity(void) {
  cpu_set_t set;
  husk_error_t err = {0};
  tap_ok(husk_cpu_list_parse("0-3,7", "x", &set, &err) == 0 && CPU_COUNT(&set) == 5 &&
             CPU_ISSET(7, &set) && !CPU_ISSET(4, &set),
         "cpu list 0-3,7");
  bool bad = husk_cpu_list_parse("3-1", "process.execCPUAffinity.final", &set, &err) < 0;
  tap_ok(bad && strstr(err.msg, "process.execCPUAffinity.final: invalid range"),
         "cpu list 3-1 is an error naming the field: %s", err.msg);
  husk_error_clear(&err);
  tap_ok(husk_cpu_list_parse("1,a", "x", &set, &err) < 0, "cpu list 1,a is an error");
  husk_error_clear(&err);

  cpu_set_t mine;
  sched_getaffinity(0, sizeof(mine), &mine);
  int last = -1;
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET(i, &mine))
      last = i;
  char final[16], want[64];
  snprintf(final, sizeof(final), "%d", last);
  snprintf(want, sizeof(want), "Cpus_allowed_list:\t%d\n", last);
  struct husk_process p = base_process();
  p.args = SV("/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status");
  p.has_exec_cpu_affinity = true;
  p.exec_cpu_affinity.initial = "0";
  p.exec_cpu_affinity.final = final;
  struct result r;
  run(NULL, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, want), "execCPUAffinity final %s", final);
}

static void test_memory_policy(void) {
  struct husk_spec spec = {0};
  spec.linux_.has_memory_policy = true;
  spec.linux_.memory_policy.mode = MPOL_BIND;
  spec.linux_.memory_policy.nodes = "0";
  struct husk_process p = base_process();
  p.args = SV(self_exe, "helper", "mempolicy");
  struct result r;
  run(&spec, &p, &r);
  char want[64];
  snprintf(want, sizeof(want), "mode=%d mask=1", MPOL_BIND);
  tap_ok(exited_ok(&r) && has(&r, want), "memoryPolicy MPOL_BIND nodes 0");
}

/* ---- seccomp ---- */

static struct husk_spec seccomp_spec(enum husk_seccomp_action def) {
  struct husk_spec spec = {0};
  spec.linux_.has_seccomp = true;
  spec.linux_.seccomp.default_action = def;
  return spec;
}

static void test_seccomp_errno(void) {
  struct husk_seccomp_syscall sc[] = {
      {.names = SV("mkdir", "mkdirat", "no_such_syscall", "socketcall"),
       .action = HUSK_SCMP_ACT_ERRNO,
       .has_errno_ret = true,
       .errno_ret = ENOSYS},
      /* same as the default: skipped, libseccomp would refuse it */
      {.names = SV("getpid"), .action = HUSK_SCMP_ACT_ALLOW},
  };
  struct husk_spec spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.syscalls = sc;
  spec.linux_.seccomp.syscalls_len = 2;
  spec.linux_.seccomp.architectures = SV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
  spec.linux_.seccomp.flags = SV("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG");
  struct husk_process p = base_process();
  p.args = SV(self_exe, "helper", "mkdir");
  for (int nnp = 0; nnp <= 1; nnp++) {
    p.no_new_privileges = nnp;
    struct result r;
    run(&spec, &p, &r);
    tap_ok(exited_ok(&r) && has(&r, "mkdir errno=38"),
           "seccomp ERRNO(38) on mkdir, noNewPrivileges=%d", nnp);
  }
  p.no_new_privileges = true;
  p.args = SV("/bin/sh", "-c", "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status");
  struct result r;
  run(&spec, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "NoNewPrivs:\t1") && has(&r, "Seccomp:\t2"),
         "NoNewPrivs and seccomp filter mode");
  p.no_new_privileges = false;
  run(&spec, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "NoNewPrivs:\t0") && has(&r, "Seccomp:\t2"),
         "noNewPrivileges false stays false with a filter (libseccomp's NNP default off)");
}

static void test_seccomp_args(void) {
  struct husk_seccomp_arg prio_args[] = {
      {.index = 0, .value = PRIO_PGRP, .op = 4 /* SCMP_CMP_EQ */},
      {.index = 0, .value = PRIO_USER, .op = 4},
  };
  struct husk_seccomp_arg dup3_args[] = {
      {.index = 2, .value = O_CLOEXEC, .value_two = O_CLOEXEC, .op = 7 /* SCMP_CMP_MASKED_EQ */},
  };
  struct husk_seccomp_syscall sc[] = {
      {.names = SV("getpriority"),
       .action = HUSK_SCMP_ACT_ERRNO,
       .has_errno_ret = true,
       .errno_ret = 77,
       .args = prio_args,
       .args_len = 2},
      {.names = SV("dup3"),
       .action = HUSK_SCMP_ACT_ERRNO,
       .has_errno_ret = true,
       .errno_ret = 78,
       .args = dup3_args,
       .args_len = 1},
  };
  struct husk_spec spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.syscalls = sc;
  spec.linux_.seccomp.syscalls_len = 2;
  struct husk_process p = base_process();
  p.no_new_privileges = true;
  p.args = SV(self_exe, "helper", "prio");
  struct result r;
  run(&spec, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "prio process=0 pgrp=77 user=77"),
         "two args on one index are OR-ed (one rule each)");
  p.args = SV(self_exe, "helper", "dup3");
  run(&spec, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "dup3 cloexec=78 plain=0"), "SCMP_CMP_MASKED_EQ with valueTwo");
}

static void test_seccomp_kill(void) {
  struct husk_seccomp_syscall sc[] = {{.names = SV("getppid"), .action = HUSK_SCMP_ACT_KILL}};
  struct husk_spec spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.syscalls = sc;
  spec.linux_.seccomp.syscalls_len = 1;
  struct husk_process p = base_process();
  p.no_new_privileges = true;
  p.args = SV(self_exe, "helper", "getppid");
  struct result r;
  run(&spec, &p, &r);
  tap_ok(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS, "SCMP_ACT_KILL rule: SIGSYS");

  /* Default KILL allowing only execve: the program dies at its first call. */
  struct husk_seccomp_syscall allow[] = {{.names = SV("execve"), .action = HUSK_SCMP_ACT_ALLOW}};
  spec = seccomp_spec(HUSK_SCMP_ACT_KILL_PROCESS);
  spec.linux_.seccomp.syscalls = allow;
  spec.linux_.seccomp.syscalls_len = 1;
  p.args = SV("/bin/busybox", "true");
  run(&spec, &p, &r);
  tap_ok(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS && r.out[0] == '\0',
         "default SCMP_ACT_KILL_PROCESS: killed by SIGSYS after execve");
}

static void test_seccomp_errors(void) {
  struct husk_process p = base_process();
  p.args = SV("/bin/true");
  struct result r;

  struct husk_seccomp_syscall bad[] = {
      {.names = SV("mkdir"), .action = HUSK_SCMP_ACT_KILL, .has_errno_ret = true, .errno_ret = 1}};
  struct husk_spec spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.syscalls = bad;
  spec.linux_.seccomp.syscalls_len = 1;
  run(&spec, &p, &r);
  tap_ok(has(&r, "ERR: linux.seccomp.syscalls[0]: errnoRet is set but SCMP_ACT_KILL takes no "
                 "errno"),
         "errnoRet on an action without errno is an error");

  spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.flags = SV("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  run(&spec, &p, &r);
#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
  tap_ok(has(&r, "ERR: linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs "
                 "libseccomp >= 2.6"),
         "WAIT_KILLABLE_RECV with an old libseccomp is a clear error");
#else
  tap_ok(exited_ok(&r), "WAIT_KILLABLE_RECV");
#endif

  spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.architectures = SV("SCMP_ARCH_X86_64", "SCMP_ARCH_LOONGARCH64");
  run(&spec, &p, &r);
  tap_ok(exited_ok(&r) || has(&r, "warning: linux.seccomp.architectures[1]"),
         "an architecture this libseccomp lacks is at most a warning");

  struct husk_seccomp_syscall notify[] = {{.names = SV("getppid"), .action = HUSK_SCMP_ACT_NOTIFY}};
  spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.syscalls = notify;
  spec.linux_.seccomp.syscalls_len = 1;
  run(&spec, &p, &r);
  tap_ok(has(&r, "ERR: linux.seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set"),
         "NOTIFY without listenerPath");
}

struct agent {
  int listen_fd, conn_fd;
  char state[4096];
  bool got_fd, fdinfo_ok;
  int notified_nr;
};

/* The seccomp agent: take the fd and the state, answer getppid with 4242. */
static void agent_hook(pid_t pid, void *data) {
  (void)pid;
  struct agent *a = data;
  /* Listening socket, or the peer of a pre-connected one (conn_fd). */
  int c = a->listen_fd >= 0 ? accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC) : a->conn_fd;
  if (c < 0)
    return;
  char ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = a->state, .iov_len = sizeof(a->state) - 1};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
  ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
  int fd = -1;
  if (n > 0) {
    a->state[n] = '\0';
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (cm && cm->cmsg_type == SCM_RIGHTS) {
      memcpy(&fd, CMSG_DATA(cm), sizeof(int));
      a->got_fd = true;
    }
  }
  close(c);
  if (fd < 0)
    return;
  char link[64], target[128] = {0};
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  a->fdinfo_ok = readlink(link, target, sizeof(target) - 1) > 0 && strstr(target, "seccomp");
  struct seccomp_notif req;
  memset(&req, 0, sizeof(req));
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
    a->notified_nr = req.data.nr;
    struct seccomp_notif_resp resp = {.id = req.id, .val = 4242, .error = 0, .flags = 0};
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  close(fd);
}

static void test_seccomp_notify(void) {
  char dir[] = "/tmp/husk-exec-XXXXXX";
  if (!mkdtemp(dir))
    abort();
  char path[128];
  snprintf(path, sizeof(path), "%s/agent.sock", dir);
  struct agent a = {.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, path);
  if (bind(a.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(a.listen_fd, 1) < 0)
    abort();

  struct husk_seccomp_syscall sc[] = {{.names = SV("getppid"), .action = HUSK_SCMP_ACT_NOTIFY}};
  struct husk_spec spec = seccomp_spec(HUSK_SCMP_ACT_ALLOW);
  spec.linux_.seccomp.syscalls = sc;
  spec.linux_.seccomp.syscalls_len = 1;
  spec.linux_.seccomp.listener_path = path;
  spec.linux_.seccomp.listener_metadata = "meta \"data\"";
  struct husk_process p = base_process();
  p.no_new_privileges = true;
  p.args = SV(self_exe, "helper", "getppid");
  struct husk_exec_ctx ctx = {.spec = &spec,
                              .process = &p,
                              .container_id = "c1",
                              .bundle = "/b",
                              .state_json = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\"}",
                              .pid = 1234};
  struct result r;
  run_ctx(&ctx, &r, agent_hook, &a);
  tap_ok(a.got_fd && a.fdinfo_ok, "the agent receives a seccomp notify fd");
  tap_ok(strcmp(a.state, "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"],\"pid\":1234,"
                         "\"metadata\":\"meta \\\"data\\\"\",\"state\":{\"ociVersion\":\"1.3.0\","
                         "\"id\":\"c1\"}}") == 0,
         "the container process state: %s", a.state);
  tap_ok(a.notified_nr == SYS_getppid && exited_ok(&r) && has(&r, "getppid=4242"),
         "the notified getppid gets the agent's answer");
  close(a.listen_fd);
  unlink(path);
  rmdir(dir);

  /* A socket connected before pivot_root (has_seccomp_listener). */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    abort();
  struct agent b = {.listen_fd = -1, .conn_fd = sv[1]};
  spec.linux_.seccomp.listener_path = "/nonexistent/agent.sock";
  ctx.has_seccomp_listener = true;
  ctx.seccomp_listener_fd = sv[0];
  ctx.state_json = NULL;
  run_ctx(&ctx, &r, agent_hook, &b);
  close(sv[0]);
  tap_ok(b.got_fd && b.fdinfo_ok && exited_ok(&r) && has(&r, "getppid=4242"),
         "a pre-connected listener socket is used instead of listenerPath");
  tap_ok(strstr(b.state, "\"state\":{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":"
                         "\"creating\",\"pid\":1234,\"bundle\":\"/b\"}") != NULL,
         "without an OCI state a minimal one is sent: %s", b.state);
}

/* ---- sysctl, LSM, exec errors ---- */

static void test_sysctl(void) {
  struct husk_namespace ipc = {.type = HUSK_NS_IPC};
  struct husk_kv kv[] = {{.key = "kernel.shmmax", .value = "12345678"}};
  struct husk_spec spec = {0};
  spec.linux_.sysctl = kv;
  spec.linux_.sysctl_len = 1;
  husk_error_t err = {0};
  bool bad = husk_sysctl_check(&spec, &err) < 0;
  tap_ok(bad && strstr(err.msg, "kernel.shmmax") && strstr(err.msg, "ipc namespace"),
         "kernel.shmmax without an ipc namespace: %s", err.msg);
  husk_error_clear(&err);
  kv[0].key = "net.ipv4.ip_forward";
  bad = husk_sysctl_check(&spec, &err) < 0;
  tap_ok(bad && strstr(err.msg, "net.ipv4.ip_forward") && strstr(err.msg, "network namespace"),
         "net.* without a network namespace: %s", err.msg);
  husk_error_clear(&err);
  kv[0].key = "vm.swappiness";
  spec.linux_.namespaces = &ipc;
  spec.linux_.namespaces_len = 1;
  bad = husk_sysctl_check(&spec, &err) < 0;
  tap_ok(bad && strstr(err.msg, "vm.swappiness"), "vm.swappiness is never namespaced: %s", err.msg);
  husk_error_clear(&err);

  /* Apply in a new IPC namespace, as the container's init would. */
  kv[0].key = "kernel.shmmax";
  struct husk_process p = base_process();
  p.args = SV("/bin/sh", "-c", "cat /proc/sys/kernel/shmmax");
  struct husk_exec_ctx ctx = {.spec = &spec, .process = &p, .is_init = true};
  fflush(stdout);
  int pfd[2];
  if (pipe(pfd) < 0)
    abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    if (unshare(CLONE_NEWIPC) < 0)
      _exit(3);
    struct result r;
    run_ctx(&ctx, &r, NULL, NULL);
    (void)!write(pfd[1], r.out, strlen(r.out));
    _exit(0);
  }
  close(pfd[1]);
  char out[256] = {0};
  (void)!read(pfd[0], out, sizeof(out) - 1);
  close(pfd[0]);
  waitpid(pid, NULL, 0);
  tap_ok(strstr(out, "12345678\n") != NULL, "kernel.shmmax set in a new ipc namespace: %s", out);
}

static void test_lsm(void) {
  struct husk_process p = base_process();
  p.args = SV("/bin/true");
  p.apparmor_profile = "husk-test";
  struct result r;
  run(NULL, &p, &r);
  if (access("/sys/module/apparmor/parameters/enabled", F_OK) != 0)
    tap_ok(has(&r, "ERR: process.apparmorProfile husk-test: apparmorProfile is set but AppArmor "
                   "is not enabled on this host"),
           "apparmorProfile without AppArmor");
  p.apparmor_profile = NULL;
  p.selinux_label = "system_u:system_r:container_t:s0";
  run(NULL, &p, &r);
  if (access("/sys/fs/selinux/enforce", F_OK) != 0)
    tap_ok(has(&r, "is set but SELinux is not enabled on this host"),
           "selinuxLabel without SELinux");
}

static void test_exec_errors(void) {
  struct husk_process p = base_process();
  struct result r;
  p.args = SV("/bin/true");
  p.cwd = "/nope";
  run(NULL, &p, &r);
  tap_ok(r.status == 120 << 8 && has(&r, "ERR: process.cwd /nope: No such file or directory"),
         "missing cwd");

  p.cwd = "/tmp";
  p.args = SV("/bin/nope");
  run(NULL, &p, &r);
  tap_ok(has(&r, "ERR: exec /bin/nope: No such file or directory"), "missing binary");

  p.args = SV("no-such-program-husk");
  run(NULL, &p, &r);
  tap_ok(has(&r, "ERR: exec no-such-program-husk: executable file not found in $PATH"),
         "name not in PATH");

  /* PATH comes from process.env, not from the runtime. */
  char *env_bin[] = {"PATH=/nonexistent:/bin", "A=1"};
  p.env = (struct husk_strv){.items = env_bin, .len = 2};
  p.args = SV("busybox", "env");
  run(NULL, &p, &r);
  /* ...plus HOME from /etc/passwd (uid 0: /root here) when env has none */
  tap_ok(exited_ok(&r) && has(&r, "PATH=/nonexistent:/bin\nA=1\nHOME=/root\n") &&
             strstr(r.out, "HOME=/root\n") + strlen("HOME=/root\n") == r.out + strlen(r.out),
         "args[0] found in process.env's PATH; env is process.env and HOME from /etc/passwd");
  char *env_home[] = {"PATH=/bin", "HOME=/mine"};
  p.env = (struct husk_strv){.items = env_home, .len = 2};
  run(NULL, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "PATH=/bin\nHOME=/mine\n") &&
             strstr(r.out, "HOME=/root") == NULL,
         "a HOME in process.env is kept as it is");
  p.env = (struct husk_strv){.items = env_bin, .len = 2};
  char *env_none[] = {"PATH=/nonexistent"};
  p.env = (struct husk_strv){.items = env_none, .len = 1};
  run(NULL, &p, &r);
  tap_ok(has(&r, "ERR: exec busybox: executable file not found in $PATH (/nonexistent)"),
         "the runtime's PATH is not used");

  p = base_process();
  p.args = SV("/bin/sh", "-c", "pwd");
  p.cwd = "/tmp";
  p.user.uid = 65534;
  p.user.gid = 65534;
  run(NULL, &p, &r);
  tap_ok(exited_ok(&r) && has(&r, "/tmp\n"), "cwd as another user");
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "helper") == 0)
    return helper(argc, argv);
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
  if (n <= 0)
    return 99;
  self_exe[n] = '\0';
  if (geteuid() != 0) {
    printf("1..0 # SKIP needs root\n");
    return 0;
  }
  test_caps_root();
  test_caps_user_ambient();
  test_user();
  test_rlimits_oom();
  test_personality();
  test_scheduler_ioprio();
  test_cpu_affinity();
  test_memory_policy();
  test_seccomp_errno();
  test_seccomp_args();
  test_seccomp_kill();
  test_seccomp_errors();
  test_seccomp_notify();
  test_sysctl();
  test_lsm();
  test_exec_errors();
  return tap_done();
}
