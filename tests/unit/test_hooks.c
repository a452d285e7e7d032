/* Unit tests of src/libhusk/hooks.c: what a hook receives (stdin, args, env,
 * fds), ordering, failures and their messages, timeouts, SIGPIPE.
 *
 * The test binary doubles as a hook: run with HUSK_TEST_HOOK_OUT=<dir> in its
 * environment it records its stdin, argv, environ and open fds there. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "tap.h"
#include "util.h"

#define SH "/bin/sh"

static char self[PATH_MAX];
static char tmpdir[] = "/tmp/husk-test-hooks.XXXXXX";

/* ---- the hook side ---- */

static void put_file(const char *dir, const char *name, const char *data, size_t len) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || husk_write_all(fd, data, len) < 0)
    _exit(90);
  close(fd);
}

/* Writes strings NUL-separated, so that spaces and empty strings survive. */
static void put_strings(const char *dir, const char *name, char **v) {
  size_t len = 0;
  char buf[65536];
  for (; *v; v++) {
    size_t n = strlen(*v) + 1;
    if (len + n > sizeof(buf))
      _exit(91);
    memcpy(buf + len, *v, n);
    len += n;
  }
  put_file(dir, name, buf, len);
}

static int hook_helper(char **argv, const char *out) {
  /* The fds first, before this process opens anything of its own. */
  char fds[4096] = "";
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return 92;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
      continue;
    size_t l = strlen(fds);
    snprintf(fds + l, sizeof(fds) - l, "%s%s", l ? " " : "", e->d_name);
  }
  closedir(d);
  char *in = NULL;
  size_t in_len = 0;
  if (husk_read_fd(0, "stdin", 64 << 20, &in, &in_len, NULL) < 0)
    return 93;
  put_file(out, "stdin", in, in_len);
  free(in);
  put_file(out, "fds", fds, strlen(fds));
  put_strings(out, "argv", argv);
  extern char **environ;
  put_strings(out, "env", environ);
  return 0;
}

/* ---- the runtime side ---- */

static struct husk_strv strv(char **items) {
  size_t n = 0;
  while (items && items[n])
    n++;
  return (struct husk_strv){.items = n ? items : NULL, .len = n};
}
#define SV(...) strv((char *[]){__VA_ARGS__, NULL})
#define SV_EMPTY ((struct husk_strv){NULL, 0})

static char *slurp(const char *name, size_t *len) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  char *data = NULL;
  if (husk_read_file(path, 64 << 20, &data, len, NULL) < 0)
    return NULL;
  return data;
}

static bool same_bytes(const char *name, const char *want, size_t want_len) {
  size_t len = 0;
  _cleanup_free_ char *got = slurp(name, &len);
  return got && len == want_len && memcmp(got, want, len) == 0;
}

/* The NUL-separated strings of file `name` include `want`. */
static bool file_has(const char *name, const char *want) {
  size_t len = 0;
  _cleanup_free_ char *got = slurp(name, &len);
  for (size_t i = 0; got && i < len; i += strlen(got + i) + 1)
    if (strcmp(got + i, want) == 0)
      return true;
  return false;
}

static bool starts_with(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(struct husk_hook *hooks, size_t n, const char *stage, const char *state,
               husk_error_t *err) {
  husk_error_clear(err);
  return husk_hooks_run(hooks, n, stage, state, err);
}

static void test_stdin_args_env_fds(void) {
  char outvar[PATH_MAX + 32];
  snprintf(outvar, sizeof(outvar), "HUSK_TEST_HOOK_OUT=%s", tmpdir);
  /* Something the hook must not inherit: the runtime's env and a non-CLOEXEC fd. */
  setenv("HUSK_RUNTIME_SECRET", "leak", 1);
  int stray = open("/dev/null", O_RDONLY);

  const char *state = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\","
                      "\"pid\":42,\"bundle\":\"/b\",\"annotations\":{\"k\":\"v \\u00e9\"}}";
  struct husk_hook hook = {
      .path = self,
      .args = SV("custom-argv0", "a b", "", "--flag=x"),
      .env = SV(outvar, "EMPTY=", "SPACE=a b"),
      .has_env = true,
  };
  husk_error_t err = {0};
  int r = run(&hook, 1, "createRuntime", state, &err);
  tap_ok(r == 0, "a successful hook returns 0 (%s)", err.msg ? err.msg : "");
  tap_ok(same_bytes("stdin", state, strlen(state)), "the hook reads the state on stdin exactly");
  const char argv_want[] = "custom-argv0\0a b\0\0--flag=x";
  tap_ok(same_bytes("argv", argv_want, sizeof(argv_want)), "args are passed exactly, argv[0] too");
  char env_want[PATH_MAX + 64];
  int env_len = snprintf(env_want, sizeof(env_want), "%s%cEMPTY=%cSPACE=a b", outvar, 0, 0);
  tap_ok(same_bytes("env", env_want, (size_t)env_len + 1),
         "env is exactly hook.env: nothing of the runtime's leaks");
  size_t len = 0;
  _cleanup_free_ char *fds = slurp("fds", &len);
  tap_ok(fds && strcmp(fds, "0 1 2") == 0, "the hook has only fds 0 1 2 open (got \"%s\")",
         fds ? fds : "?");

  /* No args: argv[0] is the path; no env: an empty environment (but for the
   * variable that tells the binary it is a hook, which must come from env). */
  struct husk_hook bare = {.path = self, .env = SV(outvar), .has_env = true};
  r = run(&bare, 1, "prestart", "", &err);
  tap_ok(r == 0, "a hook without args runs (%s)", err.msg ? err.msg : "");
  char self_argv[PATH_MAX + 1];
  size_t self_len = strlen(self) + 1;
  memcpy(self_argv, self, self_len);
  tap_ok(same_bytes("argv", self_argv, self_len), "without args, argv is {path}");
  tap_ok(same_bytes("stdin", "", 0), "an empty state gives an empty stdin");

  /* No env at all: the runtime's environment, as runc and crun give it. */
  setenv("HUSK_TEST_HOOK_OUT", tmpdir, 1);
  struct husk_hook inherit = {.path = self};
  r = run(&inherit, 1, "prestart", "", &err);
  unsetenv("HUSK_TEST_HOOK_OUT");
  tap_ok(r == 0, "a hook without env runs (%s)", err.msg ? err.msg : "");
  tap_ok(file_has("env", "HUSK_RUNTIME_SECRET=leak"),
         "without env, the hook gets the runtime's environment");

  close(stray);
  husk_error_clear(&err);
}

static void test_order_and_failure(void) {
  char seq[PATH_MAX];
  snprintf(seq, sizeof(seq), "%s/seq", tmpdir);
  char script0[PATH_MAX + 64], script1[PATH_MAX + 64], script2[PATH_MAX + 64];
  snprintf(script0, sizeof(script0), "echo 0 >> '%s'", seq);
  snprintf(script1, sizeof(script1), "echo 1 >> '%s'", seq);
  snprintf(script2, sizeof(script2), "echo 2 >> '%s'", seq);
  struct husk_hook hooks[3] = {
      {.path = SH, .args = SV("sh", "-c", script0)},
      {.path = SH, .args = SV("sh", "-c", script1)},
      {.path = SH, .args = SV("sh", "-c", script2)},
  };
  husk_error_t err = {0};
  unlink(seq);
  int r = run(hooks, 3, "prestart", "{}", &err);
  tap_ok(r == 0 && same_bytes("seq", "0\n1\n2\n", 6), "hooks run in order, each once");

  hooks[1].args = SV("sh", "-c", "echo out-text; echo 'oops: bad thing' >&2; exit 3");
  unlink(seq);
  r = run(hooks, 3, "prestart", "{}", &err);
  tap_ok(r < 0 && same_bytes("seq", "0\n", 2), "a failing hook stops the sequence");
  tap_ok(err.msg && strcmp(err.msg, "prestart hook #1 (/bin/sh): exited with status 3: "
                                    "oops: bad thing") == 0,
         "the error names stage, index, path, status and stderr: %s", err.msg);

  hooks[0].args = SV("sh", "-c", "echo only stdout; exit 1");
  r = run(hooks, 1, "poststop", "{}", &err);
  tap_ok(r < 0 && err.msg &&
             strcmp(err.msg, "poststop hook #0 (/bin/sh): exited with status 1: only stdout") == 0,
         "without stderr, the stdout tail is reported: %s", err.msg);

  hooks[0].args = SV("sh", "-c", "exit 4");
  r = run(hooks, 1, "poststart", "{}", &err);
  tap_ok(r < 0 && err.msg &&
             strcmp(err.msg, "poststart hook #0 (/bin/sh): exited with status 4") == 0,
         "without output, the status alone: %s", err.msg);

  /* A long stderr: only its tail, marked as cut. */
  hooks[0].args = SV("sh", "-c",
                     "i=0; while [ $i -lt 500 ]; do echo \"line $i of noise\" >&2; "
                     "i=$((i+1)); done; echo LAST >&2; exit 2");
  r = run(hooks, 1, "startContainer", "{}", &err);
  tap_ok(r < 0 && err.msg && strlen(err.msg) < 1200 && strstr(err.msg, ": ...") &&
             strstr(err.msg, "LAST") && !strstr(err.msg, "line 3 of"),
         "a long stderr is cut to its tail");

  hooks[0].args = SV("sh", "-c", "kill -KILL $$");
  r = run(hooks, 1, "createContainer", "{}", &err);
  tap_ok(r < 0 && starts_with(err.msg, "createContainer hook #0 (/bin/sh): killed by signal 9"),
         "a hook killed by a signal is reported: %s", err.msg);

  struct husk_hook missing = {.path = "/nonexistent/hook", .args = SV("hook")};
  r = run(&missing, 1, "prestart", "{}", &err);
  tap_ok(r < 0 && err.errnum == ENOENT && err.msg &&
             strcmp(err.msg, "prestart hook #0 (/nonexistent/hook): exec: "
                             "No such file or directory") == 0,
         "a hook that cannot be executed: %s", err.msg);

  struct husk_hook relative = {.path = "bin/hook"};
  r = run(&relative, 1, "prestart", "{}", &err);
  tap_ok(r < 0 && err.msg &&
             strcmp(err.msg, "prestart hook #0 (bin/hook): path is not absolute") == 0,
         "a relative path is refused: %s", err.msg);

  tap_ok(run(NULL, 0, "prestart", "{}", &err) == 0, "no hooks: nothing to do");
  husk_error_clear(&err);
}

static void test_timeout(void) {
  struct husk_hook hook = {
      .path = SH,
      .args = SV("sh", "-c", "echo starting >&2; exec sleep 30"),
      .env = SV("PATH=/usr/bin:/bin"),
      .has_env = true,
      .has_timeout = true,
      .timeout = 1,
  };
  husk_error_t err = {0};
  double t0 = now_s();
  int r = run(&hook, 1, "createRuntime", "{}", &err);
  double took = now_s() - t0;
  tap_ok(r < 0 && took >= 0.9 && took < 2.0, "a hook past its timeout is killed (%.2f s)", took);
  tap_ok(err.errnum == ETIMEDOUT &&
             strcmp(err.msg ? err.msg : "",
                    "createRuntime hook #0 (/bin/sh): timed out after 1 s: starting") == 0,
         "the timeout is reported: %s", err.msg);

  /* A hook that ends in time is not bothered by its timeout. */
  hook.args = SV("sh", "-c", "exit 0");
  hook.timeout = 5;
  t0 = now_s();
  r = run(&hook, 1, "createRuntime", "{}", &err);
  tap_ok(r == 0 && now_s() - t0 < 1.0, "a quick hook with a timeout returns at once");

  /* A daemon left behind holding stdout must not keep us waiting. */
  hook.args = SV("sh", "-c", "sleep 5 & exit 0");
  t0 = now_s();
  r = run(&hook, 1, "poststart", "{}", &err);
  tap_ok(r == 0 && now_s() - t0 < 1.0, "a background child holding the pipes does not block us");
  husk_error_clear(&err);
}

static void test_big_state(void) {
  size_t big = 4 << 20;
  char *state = husk_xmalloc(big + 1);
  memset(state, 'x', big);
  state[0] = '{';
  state[big - 1] = '}';
  state[big] = '\0';
  husk_error_t err = {0};

  struct husk_hook deaf = {.path = SH, .args = SV("sh", "-c", "exit 0")};
  int r = run(&deaf, 1, "prestart", state, &err);
  sigset_t pending;
  sigpending(&pending);
  tap_ok(r == 0 && !sigismember(&pending, SIGPIPE),
         "a hook that ignores a 4 MiB state: no hang, no SIGPIPE (%s)", err.msg ? err.msg : "");

  /* Writes a lot before reading: both pipes must be serviced together. */
  struct husk_hook chatty = {
      .path = SH,
      .args = SV("sh", "-c",
                 "i=0; while [ $i -lt 3000 ]; do "
                 "echo 'output output output output output output output output output'; "
                 "i=$((i+1)); done; while read -r l; do :; done; exit 0"),
  };
  r = run(&chatty, 1, "prestart", state, &err);
  tap_ok(r == 0, "a hook that writes 200 KB before reading its state completes (%s)",
         err.msg ? err.msg : "");

  char outvar[PATH_MAX + 32];
  snprintf(outvar, sizeof(outvar), "HUSK_TEST_HOOK_OUT=%s", tmpdir);
  struct husk_hook reader = {.path = self, .env = SV(outvar), .has_env = true};
  r = run(&reader, 1, "prestart", state, &err);
  tap_ok(r == 0 && same_bytes("stdin", state, big), "a 4 MiB state arrives whole");
  free(state);
  husk_error_clear(&err);
}

int main(int argc, char **argv) {
  (void)argc;
  const char *out = getenv("HUSK_TEST_HOOK_OUT");
  if (out)
    return hook_helper(argv, out);

  if (realpath(argv[0], self) == NULL || mkdtemp(tmpdir) == NULL) {
    perror("setup");
    return 1;
  }
  test_stdin_args_env_fds();
  test_order_and_failure();
  test_timeout();
  test_big_state();

  const char *names[] = {"stdin", "argv", "env", "fds", "seq"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
    unlink(path);
  }
  rmdir(tmpdir);
  return tap_done();
}
