/* husk — OCI hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle").
 *
 * Each hook is forked and executed with exactly its own args and env, the
 * state JSON on a pipe as stdin, and its stdout/stderr captured: like runc,
 * the output is dropped when the hook succeeds and its tail goes into the
 * error when it fails.  One poll loop feeds stdin, drains the output and
 * waits for the exit (through a pidfd) against the timeout, so a hook that
 * writes before it reads, never reads, or never ends cannot hang us. */
#include "config.h"

#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* How much of a failing hook's output the error message carries. */
#define HOOK_TAIL_MAX 1024
/* Without a pidfd (kernel < 5.3) the exit is polled this often. */
#define HOOK_POLL_TICK_MS 20

/* The last HOOK_TAIL_MAX bytes a hook wrote on one stream. */
struct hook_tail {
  char buf[HOOK_TAIL_MAX];
  size_t len;
  bool truncated;
};

static void tail_append(struct hook_tail *t, const char *data, size_t n) {
  if (n >= sizeof(t->buf)) {
    t->truncated = t->truncated || t->len > 0 || n > sizeof(t->buf);
    memcpy(t->buf, data + n - sizeof(t->buf), sizeof(t->buf));
    t->len = sizeof(t->buf);
    return;
  }
  if (t->len + n > sizeof(t->buf)) {
    size_t drop = t->len + n - sizeof(t->buf);
    memmove(t->buf, t->buf + drop, t->len - drop);
    t->len -= drop;
    t->truncated = true;
  }
  memcpy(t->buf + t->len, data, n);
  t->len += n;
}

/* The tail as a message suffix ": ...", without trailing blanks; "" if empty. */
static char *tail_suffix(const struct hook_tail *t) {
  size_t len = t->len;
  while (len > 0 && (t->buf[len - 1] == '\n' || t->buf[len - 1] == '\r' || t->buf[len - 1] == ' ' ||
                     t->buf[len - 1] == '\t'))
    len--;
  if (len == 0)
    return husk_xstrdup("");
  return husk_xasprintf(": %s%.*s", t->truncated ? "..." : "", (int)len, t->buf);
}

/* Reads what is available now; returns false once the stream is done. */
static bool drain(int fd, struct hook_tail *t) {
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n > 0) {
      tail_append(t, chunk, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && errno == EAGAIN;
  }
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the child needs, prepared before fork: after it only async-signal-safe
 * calls are allowed (the runtime may have threads). */
struct hook_child {
  const char *path;
  char **argv;
  char **envp;
  int in, out, err, report; /* pipe ends for 0, 1, 2 and the exec error */
  int max_fd;               /* close_range fallback bound */
};

/* Moves fd to a number >= 10 so that the dup2s onto 0..3 cannot clobber it. */
static int lift_fd(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 10); }

__attribute__((noreturn)) static void hook_child_exec(const struct hook_child *c) {
  /* A clean slate for the hook: default dispositions, nothing blocked. */
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  int in = lift_fd(c->in), out = lift_fd(c->out), err = lift_fd(c->err);
  int report = lift_fd(c->report);
  if (in < 0 || out < 0 || err < 0 || report < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
      dup2(err, 2) < 0 || dup3(report, 3, O_CLOEXEC) < 0)
    goto fail;
  /* Nothing of the runtime's leaks into the hook; fd 3 closes on exec. */
  if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
    for (int fd = 4; fd <= c->max_fd; fd++)
      close(fd);
  execve(c->path, c->argv, c->envp);
  report = 3;
fail:;
  int e = errno;
  if (report >= 0) {
    ssize_t unused = write(report, &e, sizeof(e));
    (void)unused;
  }
  _exit(127);
}

static char **strv_to_argv(const struct husk_strv *v, const char *fallback0) {
  size_t n = v->len;
  char **argv = husk_xcalloc(n + 2, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    argv[i] = v->items[i];
  if (n == 0 && fallback0 != NULL)
    argv[0] = (char *)fallback0;
  return argv;
}

/* The state of one running hook, seen from the parent. */
struct hook_run {
  pid_t pid;
  int pidfd;
  int in, out, err; /* our ends; -1 once done */
  const char *state;
  size_t state_len, state_off;
  bool epipe;
  struct hook_tail out_tail, err_tail;
};

/* Feeds stdin as far as the pipe takes it. */
static void feed_stdin(struct hook_run *r) {
  while (r->state_off < r->state_len) {
    ssize_t n = write(r->in, r->state + r->state_off, r->state_len - r->state_off);
    if (n > 0) {
      r->state_off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    /* EPIPE: the hook does not want the state; that is its right. */
    r->epipe = r->epipe || (n < 0 && errno == EPIPE);
    break;
  }
  close_fd(&r->in); /* all written: the hook sees EOF */
}

/* Returns 1 when the hook exited (status filled), 0 on timeout, -1 on error. */
static int hook_wait(struct hook_run *r, int64_t deadline_ms, int *status) {
  for (;;) {
    if (r->pidfd < 0) {
      pid_t w = waitpid(r->pid, status, WNOHANG);
      if (w == r->pid)
        return 1;
      if (w < 0 && errno != EINTR)
        return -1;
    }
    int timeout = -1;
    if (deadline_ms >= 0) {
      int64_t left = deadline_ms - now_ms();
      if (left <= 0)
        return 0;
      timeout = left > INT_MAX ? INT_MAX : (int)left;
    }
    if (r->pidfd < 0 && (timeout < 0 || timeout > HOOK_POLL_TICK_MS))
      timeout = HOOK_POLL_TICK_MS;

    struct pollfd fds[4];
    nfds_t n = 0;
    int i_pid = -1, i_in = -1, i_out = -1, i_err = -1;
    if (r->pidfd >= 0)
      i_pid = (int)n, fds[n++] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
    if (r->in >= 0)
      i_in = (int)n, fds[n++] = (struct pollfd){.fd = r->in, .events = POLLOUT};
    if (r->out >= 0)
      i_out = (int)n, fds[n++] = (struct pollfd){.fd = r->out, .events = POLLIN};
    if (r->err >= 0)
      i_err = (int)n, fds[n++] = (struct pollfd){.fd = r->err, .events = POLLIN};
    int ready = poll(fds, n, timeout);
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (i_in >= 0 && fds[i_in].revents)
      feed_stdin(r);
    if (i_out >= 0 && fds[i_out].revents && !drain(r->out, &r->out_tail))
      close_fd(&r->out);
    if (i_err >= 0 && fds[i_err].revents && !drain(r->err, &r->err_tail))
      close_fd(&r->err);
    if (i_pid >= 0 && fds[i_pid].revents) {
      while (waitpid(r->pid, status, 0) < 0)
        if (errno != EINTR)
          return -1;
      return 1;
    }
  }
}

/* Turns how the hook ended into the error the caller sees. */
static int hook_report(const struct hook_run *r, int waited, int wait_errno, int status,
                       int exec_errno, const struct husk_hook *hook, size_t index,
                       const char *stage, const char *path, husk_error_t *err) {
  const struct hook_tail *tail = r->err_tail.len > 0 ? &r->err_tail : &r->out_tail;
  _cleanup_free_ char *suffix = tail_suffix(tail);
  if (waited < 0)
    return husk_error_set(err, wait_errno, "%s hook #%zu (%s): wait", stage, index, path);
  if (waited == 0)
    return husk_error_set_quiet(err, ETIMEDOUT, "%s hook #%zu (%s): timed out after %lld s%s",
                                stage, index, path, (long long)hook->timeout, suffix);
  if (exec_errno != 0)
    return husk_error_set(err, exec_errno, "%s hook #%zu (%s): exec", stage, index, path);
  if (WIFSIGNALED(status))
    return husk_error_set(err, 0, "%s hook #%zu (%s): killed by signal %d (%s)%s", stage, index,
                          path, WTERMSIG(status), strsignal(WTERMSIG(status)), suffix);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return husk_error_set(err, 0, "%s hook #%zu (%s): exited with status %d%s", stage, index, path,
                          WEXITSTATUS(status), suffix);
  return 0;
}

/* The four pipes of one hook: stdin, stdout, stderr and the exec error. */
struct hook_pipes {
  int in[2], out[2], err[2], report[2];
};

static void hook_pipes_close(struct hook_pipes *p) {
  int *all[] = {p->in, p->out, p->err, p->report};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    close_fd(&all[i][0]);
    close_fd(&all[i][1]);
  }
}

static int hook_pipes_open(struct hook_pipes *p) {
  *p = (struct hook_pipes){{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}};
  if (pipe2(p->in, O_CLOEXEC) < 0 || pipe2(p->out, O_CLOEXEC) < 0 || pipe2(p->err, O_CLOEXEC) < 0 ||
      pipe2(p->report, O_CLOEXEC) < 0) {
    int e = errno;
    hook_pipes_close(p);
    errno = e;
    return -1;
  }
  return 0;
}

static int run_one(const struct husk_hook *hook, size_t index, const char *stage,
                   const char *state_json, husk_error_t *err) {
  const char *path = hook->path ? hook->path : "";
  if (path[0] != '/')
    return husk_error_set_quiet(err, EINVAL, "%s hook #%zu (%s): path is not absolute", stage,
                                index, path);

  _cleanup_free_ char **argv = strv_to_argv(&hook->args, path);
  _cleanup_free_ char **envp = strv_to_argv(&hook->env, NULL);
  char **hook_env = hook->has_env ? envp : environ;
  struct hook_pipes p;
  if (hook_pipes_open(&p) < 0)
    return husk_error_set(err, errno, "%s hook #%zu (%s): pipe", stage, index, path);
  struct rlimit nofile = {.rlim_cur = 65536};
  getrlimit(RLIMIT_NOFILE, &nofile);
  struct hook_child child = {
      .path = path,
      .argv = argv,
      .envp = hook_env,
      .in = p.in[0],
      .out = p.out[1],
      .err = p.err[1],
      .report = p.report[1],
      .max_fd = nofile.rlim_cur > 65536 ? 65536 : (int)nofile.rlim_cur,
  };

  /* SIGPIPE stays blocked while we feed stdin; one raised by our write is
   * consumed below, one pending before is left alone. */
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
  sigpending(&pending);
  bool pipe_was_pending = sigismember(&pending, SIGPIPE);

  struct hook_run r = {.pid = fork(), .pidfd = -1, .in = -1, .out = -1, .err = -1};
  if (r.pid < 0) {
    int e = errno;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    hook_pipes_close(&p);
    return husk_error_set(err, e, "%s hook #%zu (%s): fork", stage, index, path);
  }
  if (r.pid == 0)
    hook_child_exec(&child);

  r.in = husk_steal_fd(p.in[1]);
  r.out = husk_steal_fd(p.out[0]);
  r.err = husk_steal_fd(p.err[0]);
  int report = husk_steal_fd(p.report[0]);
  hook_pipes_close(&p); /* the child's ends */
  r.state = state_json ? state_json : "";
  r.state_len = strlen(r.state);
  r.pidfd = (int)syscall(SYS_pidfd_open, r.pid, 0);
  fcntl(r.in, F_SETFL, O_NONBLOCK);
  fcntl(r.out, F_SETFL, O_NONBLOCK);
  fcntl(r.err, F_SETFL, O_NONBLOCK);
  if (r.state_len == 0)
    close_fd(&r.in);

  /* A timeout too large to count in milliseconds is no timeout. */
  int64_t deadline = -1;
  if (hook->has_timeout && hook->timeout > 0 && hook->timeout < INT64_MAX / 2000)
    deadline = now_ms() + hook->timeout * 1000;
  int status = 0;
  int waited = hook_wait(&r, deadline, &status);
  int wait_errno = errno;
  if (waited <= 0) {
    kill(r.pid, SIGKILL);
    while (waitpid(r.pid, &status, 0) < 0 && errno == EINTR)
      ;
  }
  /* The hook is gone; take what it left in the pipes, but never wait for
   * EOF: a daemon it started may hold them open forever. */
  if (r.out >= 0)
    drain(r.out, &r.out_tail);
  if (r.err >= 0)
    drain(r.err, &r.err_tail);
  close_fd(&r.in);
  close_fd(&r.out);
  close_fd(&r.err);
  close_fd(&r.pidfd);

  if (r.epipe && !pipe_was_pending) {
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
      ;
  }
  sigprocmask(SIG_SETMASK, &old_mask, NULL);

  /* The child is reaped, so its end of the report pipe is closed: no block. */
  int exec_errno = 0;
  ssize_t got;
  while ((got = read(report, &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
    ;
  close(report);
  if (got != (ssize_t)sizeof(exec_errno))
    exec_errno = 0;
  return hook_report(&r, waited, wait_errno, status, exec_errno, hook, index, stage, path, err);
}

int husk_hooks_run(const struct husk_hook *hooks, size_t n, const char *stage,
                   const char *state_json, husk_error_t *err) {
  for (size_t i = 0; i < n; i++)
    if (run_one(&hooks[i], i, stage, state_json, err) < 0)
      return -1;
  return 0;
}

int husk_hooks_run_all(const struct husk_hook *hooks, size_t n, const char *stage,
                       const char *state_json, void (*warn)(void *data, const char *msg),
                       void *warn_data) {
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    husk_error_t err = {0};
    if (run_one(&hooks[i], i, stage, state_json, &err) < 0) {
      failed++;
      if (warn)
        warn(warn_data, err.msg);
    }
    husk_error_clear(&err);
  }
  return failed;
}
