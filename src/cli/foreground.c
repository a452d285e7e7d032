/* husk run and restore in the foreground: the signals husk gets go to the
 * container's init, and husk waits for it and returns its status. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

/* The CLI owns this one global; libhusk has none. */
static volatile sig_atomic_t forward_pid;

static void forward_signal(int sig) {
  if (forward_pid > 0)
    kill(forward_pid, sig);
}

void husk_cli_forward_signals(pid_t pid) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  forward_pid = pid;
  struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    sigaction(sigs[i], &sa, NULL);
}

int husk_cli_wait_init(pid_t pid) {
  for (;;) {
    int status;
    pid_t got = waitpid(-1, &status, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return 255;
    }
    if (got != pid)
      continue; /* an orphan reparented to us, the subreaper */
    if (WIFEXITED(status))
      return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
      return 128 + WTERMSIG(status);
  }
}
