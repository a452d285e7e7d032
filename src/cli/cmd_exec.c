/* husk exec — run a new process in a container (runc exec): parse runc's
 * flags, start the process through libhusk, then (unless --detach) relay
 * its terminal, forward signals to it and exit with its status (128+signal
 * when it was killed).  Errors of the exec itself exit 255, as runc's. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "terminal.h"
#include "util.h"

/* runc's fatalWithCode(..., 255) for everything that goes wrong in exec. */
#define EXIT_EXEC_FAILED 255

enum {
  EXEC_OPT_CONSOLE_SOCKET,
  EXEC_OPT_CWD,
  EXEC_OPT_ENV,
  EXEC_OPT_TTY,
  EXEC_OPT_USER,
  EXEC_OPT_ADDITIONAL_GIDS,
  EXEC_OPT_PROCESS,
  EXEC_OPT_DETACH,
  EXEC_OPT_PID_FILE,
  EXEC_OPT_PROCESS_LABEL,
  EXEC_OPT_APPARMOR,
  EXEC_OPT_NO_NEW_PRIVS,
  EXEC_OPT_CAP,
  EXEC_OPT_PRESERVE_FDS,
  EXEC_OPT_CGROUP,
  EXEC_OPT_IGNORE_PAUSED,
  EXEC_OPT_COUNT,
};

/* runc 1.1's table, in its order and with its texts. */
const struct husk_option cmd_exec_options[] = {
    [EXEC_OPT_CONSOLE_SOCKET] = {"console-socket", 0, true,
                                 "path to an AF_UNIX socket which will receive a file descriptor "
                                 "referencing the master end of the console's pseudoterminal"},
    [EXEC_OPT_CWD] = {"cwd", 0, true, "current working directory in the container"},
    [EXEC_OPT_ENV] = {"env", 'e', true, "set environment variables"},
    [EXEC_OPT_TTY] = {"tty", 't', false, "allocate a pseudo-TTY"},
    [EXEC_OPT_USER] = {"user", 'u', true, "UID (format: <uid>[:<gid>])"},
    [EXEC_OPT_ADDITIONAL_GIDS] = {"additional-gids", 'g', true, "additional gids"},
    [EXEC_OPT_PROCESS] = {"process", 'p', true, "path to the process.json"},
    [EXEC_OPT_DETACH] = {"detach", 'd', false, "detach from the container's process"},
    [EXEC_OPT_PID_FILE] = {"pid-file", 0, true, "specify the file to write the process id to"},
    [EXEC_OPT_PROCESS_LABEL] = {"process-label", 0, true,
                                "set the asm process label for the process commonly used with "
                                "selinux"},
    [EXEC_OPT_APPARMOR] = {"apparmor", 0, true, "set the apparmor profile for the process"},
    [EXEC_OPT_NO_NEW_PRIVS] = {"no-new-privs", 0, false,
                               "set the no new privileges value for the process"},
    [EXEC_OPT_CAP] = {"cap", 'c', true, "add a capability to the bounding set for the process"},
    [EXEC_OPT_PRESERVE_FDS] = {"preserve-fds", 0, true,
                               "Pass N additional file descriptors to the container (stdio + "
                               "$LISTEN_FDS + N in total) (default: 0)"},
    [EXEC_OPT_CGROUP] = {"cgroup", 0, true,
                         "run the process in an (existing) sub-cgroup(s). Format is "
                         "[<controller>:]<cgroup>."},
    [EXEC_OPT_IGNORE_PAUSED] = {"ignore-paused", 0, false, "allow exec in a paused container"},
    [EXEC_OPT_COUNT] = {NULL, 0, false, NULL},
};

/* ---- waiting and signals ------------------------------------------------ */

/* Signals to husk exec go to the process, as runc forwards them. The CLI
 * owns this one global; libhusk has none. */
static volatile sig_atomic_t forward_pid;

static void forward_signal(int sig) {
  if (forward_pid > 0)
    kill(forward_pid, sig);
}

static void install_forwarding(pid_t pid) {
  /* Not SIGCHLD (ours), SIGWINCH (the relay resizes), nor the job-control
   * stops of our own terminal. SIGPIPE too: a closed stdout must not kill
   * the relay before it saw the end. */
  static const int sigs[] = {SIGHUP,  SIGINT,    SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
                             SIGTERM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR};
  forward_pid = pid;
  struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    sigaction(sigs[i], &sa, NULL);
}

static int wait_process(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return EXIT_EXEC_FAILED;
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return EXIT_EXEC_FAILED;
}

/* ---- flags -------------------------------------------------------------- */

/* A switch given as --x, --x=true or --x=false: whether it was given at all
 * (runc's IsSet), and its value. */
static bool switch_given(const struct husk_flag *f) { return f->set || f->value != NULL; }

static int parse_u32(const char *s, uint32_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*s == '\0' || *s == '-' || *s == '+' || *end != '\0' || errno != 0 || v > UINT32_MAX)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

/* --user uid[:gid], numbers only (names would need the container's
 * /etc/passwd, which runc does not read for exec either). */
static int parse_user(const char *spec, struct husk_exec_opts *o, husk_error_t *err) {
  _cleanup_free_ char *copy = husk_xstrdup(spec);
  char *colon = strchr(copy, ':');
  if (colon)
    *colon = '\0';
  if (parse_u32(copy, &o->uid) < 0)
    return husk_error_set(err, EINVAL, "parsing %s as int for uid failed: invalid syntax", copy);
  if (o->uid == UINT32_MAX)
    return husk_error_set(err, EINVAL, "--user %s: 4294967295 is not a user ID", spec);
  o->user_set = true;
  if (colon) {
    if (parse_u32(colon + 1, &o->gid) < 0)
      return husk_error_set(err, EINVAL, "parsing %s as int for gid failed: invalid syntax",
                            colon + 1);
    if (o->gid == UINT32_MAX)
      return husk_error_set(err, EINVAL, "--user %s: 4294967295 is not a group ID", spec);
    o->gid_set = true;
  }
  return 0;
}

/* Go's flag package rejects a bad number before the command runs: the
 * usage text, exit 1. */
static int usage_error(struct husk_cli *cli, const char *flag, const char *value) {
  _cleanup_free_ char *msg =
      husk_xasprintf("invalid value \"%s\" for flag -%s: parse error", value, flag);
  printf("Incorrect Usage: %s\n\n", msg);
  husk_print_command_help(cli, cli->command);
  husk_cli_error(cli, "%s", msg);
  return 1;
}

int cmd_exec(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[EXEC_OPT_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;

  int status = 1;
  husk_error_t err = {0};
  _cleanup_free_ uint32_t *gids = NULL;
  int nargs = argc - first_arg;
  if (nargs < 1) {
    printf("Incorrect Usage.\n\n");
    husk_print_command_help(cli, cli->command);
    husk_cli_error(cli, "\"exec\" requires a minimum of 1 argument(s)");
    goto out;
  }

  const struct husk_flag *f = flags;
  struct husk_exec_opts o = {
      .root = cli->root,
      .id = argv[first_arg],
      .process_path = f[EXEC_OPT_PROCESS].set ? f[EXEC_OPT_PROCESS].value : NULL,
      .args = argv + first_arg + 1,
      .args_len = (size_t)(nargs - 1),
      .cwd = f[EXEC_OPT_CWD].set && f[EXEC_OPT_CWD].value[0] ? f[EXEC_OPT_CWD].value : NULL,
      .env = f[EXEC_OPT_ENV].values,
      .env_len = f[EXEC_OPT_ENV].count,
      .tty = f[EXEC_OPT_TTY].set,
      .process_label = f[EXEC_OPT_PROCESS_LABEL].value,
      .apparmor = f[EXEC_OPT_APPARMOR].value,
      .no_new_privs_set = switch_given(&f[EXEC_OPT_NO_NEW_PRIVS]),
      .no_new_privs = f[EXEC_OPT_NO_NEW_PRIVS].set,
      .caps = f[EXEC_OPT_CAP].values,
      .caps_len = f[EXEC_OPT_CAP].count,
      .cgroups = f[EXEC_OPT_CGROUP].values,
      .cgroups_len = f[EXEC_OPT_CGROUP].count,
      .ignore_paused = f[EXEC_OPT_IGNORE_PAUSED].set,
      .detach = f[EXEC_OPT_DETACH].set,
      .console_socket = f[EXEC_OPT_CONSOLE_SOCKET].set && f[EXEC_OPT_CONSOLE_SOCKET].value[0]
                            ? f[EXEC_OPT_CONSOLE_SOCKET].value
                            : NULL,
      .pid_file = f[EXEC_OPT_PID_FILE].set && f[EXEC_OPT_PID_FILE].value[0]
                      ? f[EXEC_OPT_PID_FILE].value
                      : NULL,
  };
  if (f[EXEC_OPT_PRESERVE_FDS].set) {
    char *end = NULL;
    const char *v = f[EXEC_OPT_PRESERVE_FDS].value;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || n < 0 || n > 65536) {
      status = usage_error(cli, "preserve-fds", v);
      goto out;
    }
    o.preserve_fds = (int)n;
  }
  if (f[EXEC_OPT_ADDITIONAL_GIDS].count > 0) {
    gids = husk_xcalloc(f[EXEC_OPT_ADDITIONAL_GIDS].count, sizeof(uint32_t));
    for (size_t i = 0; i < f[EXEC_OPT_ADDITIONAL_GIDS].count; i++) {
      const char *v = f[EXEC_OPT_ADDITIONAL_GIDS].values[i];
      if (parse_u32(v, &gids[i]) < 0) {
        status = usage_error(cli, "additional-gids", v);
        goto out;
      }
    }
    o.additional_gids = gids;
    o.additional_gids_len = f[EXEC_OPT_ADDITIONAL_GIDS].count;
  }
  if (f[EXEC_OPT_USER].set && f[EXEC_OPT_USER].value[0] &&
      parse_user(f[EXEC_OPT_USER].value, &o, &err) < 0)
    goto fail;

  struct husk_exec_result res;
  if (husk_container_exec(&o, &res, &err) < 0)
    goto fail;
  if (o.detach) {
    status = 0;
    goto out;
  }
  install_forwarding(res.pid);
  if (res.pty_master >= 0) {
    if (husk_pty_relay(res.pty_master, &err) < 0) {
      husk_cli_error(cli, "%s", err.msg);
      husk_error_clear(&err);
    }
    close(res.pty_master);
  }
  status = wait_process(res.pid);
  goto out;

fail:
  /* runc's wording: every failure of exec itself reads "exec failed: ...". */
  husk_cli_error(cli, "exec failed: %s", err.msg ? err.msg : "unknown error");
  husk_error_clear(&err);
  status = EXIT_EXEC_FAILED;
out:
  husk_flags_free(cli->command->options, flags);
  return status;
}
