/* husk ps — the processes of a container.  `--format json` prints the pids
 * of its cgroup; the table runs the host's ps(1) (with `-ef` or the ps
 * options given after the id) and keeps the header and the lines whose PID
 * column is one of those pids, as runc does. */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container_ops.h"
#include "util.h"

const struct husk_option cmd_ps_options[] = {
    {"format", 'f', true, "select one of: table or json (default: \"table\")"},
    {NULL, 0, false, NULL},
};

/* Run ps with argv[0] = "ps", stdout and stderr into one buffer (runc uses
 * Go's CombinedOutput, so ps's complaints end up in the error). */
static int run_ps(char **args, char **out, husk_error_t *err) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return husk_error_set(err, errno, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return husk_error_set(err, errno, "fork");
  }
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    execvp("ps", args);
    fprintf(stderr, "exec: \"ps\": %s\n", strerror(errno));
    _exit(127);
  }
  close(pipefd[1]);
  size_t len = 0;
  int read_ret = husk_read_fd(pipefd[0], "ps output", 64 * 1024 * 1024, out, &len, err);
  close(pipefd[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
    ;
  if (read_ret < 0)
    return -1;
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0)
    return husk_error_set(err, 0, "exit status %d: %s", WEXITSTATUS(wstatus), *out);
  if (WIFSIGNALED(wstatus))
    return husk_error_set(err, 0, "signal: %s: %s", strsignal(WTERMSIG(wstatus)), *out);
  return 0;
}

static bool has_pid(const pid_t *pids, size_t n, long pid) {
  for (size_t i = 0; i < n; i++) {
    if (pids[i] == pid)
      return true;
  }
  return false;
}

/* The index of the "PID" column in ps's header, or -1. */
static int pid_column(const char *header) {
  _cleanup_free_ char *copy = husk_xstrdup(header);
  int i = 0;
  for (char *save = NULL, *f = strtok_r(copy, " \t", &save); f != NULL;
       f = strtok_r(NULL, " \t", &save), i++) {
    if (strcmp(f, "PID") == 0)
      return i;
  }
  return -1;
}

/* The field at `index` of a whitespace-separated line, in buf. */
static bool nth_field(const char *line, int index, char *buf, size_t size) {
  const char *p = line;
  for (int i = 0;; i++) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0')
      return false;
    const char *start = p;
    while (*p != '\0' && *p != ' ' && *p != '\t')
      p++;
    if (i == index) {
      snprintf(buf, size, "%.*s", (int)(p - start), start);
      return true;
    }
  }
}

static int print_table(const pid_t *pids, size_t n, int argc, char **argv, husk_error_t *err) {
  char *default_args[] = {"ps", "-ef", NULL};
  char **args = default_args;
  _cleanup_free_ char **given = NULL;
  if (argc > 0) {
    given = husk_xcalloc((size_t)argc + 2, sizeof(*given));
    given[0] = "ps";
    memcpy(given + 1, argv, (size_t)argc * sizeof(*given));
    args = given;
  }
  _cleanup_free_ char *output = NULL;
  if (run_ps(args, &output, err) < 0)
    return -1;
  char *save = NULL;
  char *header = strtok_r(output, "\n", &save);
  int column = header != NULL ? pid_column(header) : -1;
  if (column < 0)
    return husk_error_set(err, 0, "couldn't find PID field in ps output");
  printf("%s\n", header);
  for (char *line = strtok_r(NULL, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char field[32];
    if (!nth_field(line, column, field, sizeof(field)))
      continue; /* a short line cannot name a process */
    char *end;
    errno = 0;
    long pid = strtol(field, &end, 10);
    if (field[0] == '\0' || *end != '\0' || errno != 0)
      return husk_error_set(err, 0, "unexpected pid '%s': invalid syntax", field);
    if (has_pid(pids, n, pid))
      printf("%s\n", line);
  }
  return 0;
}

int cmd_ps(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[1];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  _cleanup_free_ char *format = husk_xstrdup(flags[0].set ? flags[0].value : "table");
  husk_flags_free(cli->command->options, flags);
  if (argc - first_arg < 1) {
    printf("Incorrect Usage.\n\n");
    husk_print_command_help(cli, cli->command);
    husk_cli_error(cli, "\"ps\" requires a minimum of 1 argument(s)");
    return 1;
  }
  bool json = strcmp(format, "json") == 0;
  if (!json && strcmp(format, "table") != 0) {
    husk_cli_error(cli, "invalid format option");
    return 1;
  }

  husk_error_t err = {0};
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (husk_container_ps_pids(cli->root, argv[first_arg], &pids, &n, &err) < 0)
    return husk_cli_fail(cli, &err);
  if (json) {
    /* runc encodes a Go slice: an empty one (a stopped container) is null. */
    if (n == 0) {
      printf("null\n");
    } else {
      for (size_t i = 0; i < n; i++)
        printf("%c%d", i == 0 ? '[' : ',', (int)pids[i]);
      printf("]\n");
    }
  } else if (print_table(pids, n, argc - first_arg - 1, argv + first_arg + 1, &err) < 0) {
    return husk_cli_fail(cli, &err);
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
