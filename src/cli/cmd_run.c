/* husk run — create + start, then wait for the workload and return its
 * exit status (128+signal when it was killed), deleting the container
 * unless --detach or --keep. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "terminal.h"
#include "timings.h"

enum { RUN_OPT_DETACH = CREATE_OPT_COUNT, RUN_OPT_KEEP, RUN_OPT_NO_SUBREAPER, RUN_OPT_COUNT };

const struct husk_option cmd_run_options[] = {
    HUSK_CREATE_OPTION_ENTRIES,
    [RUN_OPT_DETACH] = {"detach", 'd', false, "detach from the container's process"},
    [RUN_OPT_KEEP] = {"keep", 0, false, "do not delete the container after it exits"},
    [RUN_OPT_NO_SUBREAPER] = {"no-subreaper", 0, false,
                              "disable the use of the subreaper used to reap reparented "
                              "processes"},
    [RUN_OPT_COUNT] = {NULL, 0, false, NULL},
};

int cmd_run(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[RUN_OPT_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  bool detach = flags[RUN_OPT_DETACH].set;
  bool keep = flags[RUN_OPT_KEEP].set;
  bool subreaper = !flags[RUN_OPT_NO_SUBREAPER].set;
  husk_error_t err = {0};
  struct husk_create_opts opts;
  const char *id = argv[first_arg];
  if (husk_cli_create_opts(cli, flags, id, &opts, &err) < 0) {
    husk_flags_free(cli->command->options, flags);
    return husk_cli_fail(cli, &err);
  }
  if (detach && keep) {
    husk_flags_free(cli->command->options, flags);
    husk_cli_error(cli, "--detach and --keep cannot both be set");
    return 1;
  }
  opts.keep_pty = !detach;
  if (!detach && subreaper)
    prctl(PR_SET_CHILD_SUBREAPER, 1);

  struct husk_created created;
  int status = 0;
  if (husk_container_create(&opts, &created, &err) < 0) {
    int failed = husk_cli_fail_create(cli, &err, opts.bundle);
    husk_flags_free(cli->command->options, flags);
    return failed;
  }
  husk_flags_free(cli->command->options, flags);
  if (!detach)
    husk_cli_forward_signals(created.pid);
  if (husk_container_start(cli->root, id, &err) < 0) {
    husk_cli_fail(cli, &err);
    status = 1;
    husk_container_delete(cli->root, id, true, &opts.warn, NULL);
    return status;
  }
  husk_timing("started");
  if (detach)
    return 0;
  if (created.pty_master >= 0) {
    if (husk_pty_relay(created.pty_master, &err) < 0)
      husk_cli_fail(cli, &err);
    close(created.pty_master);
  }
  status = husk_cli_wait_init(created.pid);
  husk_timing("exited");
  if (!keep && husk_container_delete(cli->root, id, true, &opts.warn, &err) < 0)
    husk_cli_fail(cli, &err);
  husk_timing("deleted");
  return status;
}
