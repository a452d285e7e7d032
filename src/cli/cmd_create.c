/* husk create — set a container up and leave it waiting for `start`.
 * The flags shared with `run` are parsed here too. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "husk/state.h"

const struct husk_option cmd_create_options[] = {
    HUSK_CREATE_OPTION_ENTRIES,
    [CREATE_OPT_COUNT] = {NULL, 0, false, NULL},
};

static bool flag_true(const struct husk_flag *f) {
  return f->set &&
         (f->value == NULL || strcmp(f->value, "true") == 0 || strcmp(f->value, "1") == 0);
}

int husk_cli_create_opts(const struct husk_cli *cli, const struct husk_flag *flags, const char *id,
                         struct husk_create_opts *opts, husk_error_t *err) {
  *opts = (struct husk_create_opts){
      .root = cli->root,
      .id = id,
      .bundle = flags[CREATE_OPT_BUNDLE].set ? flags[CREATE_OPT_BUNDLE].value : ".",
      .console_socket =
          flags[CREATE_OPT_CONSOLE_SOCKET].set ? flags[CREATE_OPT_CONSOLE_SOCKET].value : NULL,
      .pid_file = flags[CREATE_OPT_PID_FILE].set ? flags[CREATE_OPT_PID_FILE].value : NULL,
      .no_pivot = flag_true(&flags[CREATE_OPT_NO_PIVOT]),
      .no_new_keyring = flag_true(&flags[CREATE_OPT_NO_NEW_KEYRING]),
      .systemd_cgroup = cli->systemd_cgroup,
      .warn = {husk_cli_warn, (void *)cli},
      .rootless = cli->rootless,
  };
  if (flags[CREATE_OPT_PRESERVE_FDS].set) {
    char *end = NULL;
    long n = strtol(flags[CREATE_OPT_PRESERVE_FDS].value, &end, 10);
    if (*end || n < 0 || n > 65536)
      return husk_error_set(err, 0, "invalid value \"%s\" for flag -preserve-fds",
                            flags[CREATE_OPT_PRESERVE_FDS].value);
    opts->preserve_fds = (int)n;
  }
  /* systemd socket activation (sd_listen_fds): the caller's fds 3.. */
  const char *listen = getenv("LISTEN_FDS");
  if (listen && *listen) {
    long n = strtol(listen, NULL, 10);
    if (n > 0 && n < 65536) {
      opts->listen_fds = (int)n;
      opts->preserve_fds += (int)n;
    }
  }
  return 0;
}

int cmd_create(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag flags[CREATE_OPT_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, flags, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  husk_error_t err = {0};
  struct husk_create_opts opts;
  struct husk_created created;
  int ret = 0;
  if (husk_cli_create_opts(cli, flags, argv[first_arg], &opts, &err) < 0 ||
      husk_container_create(&opts, &created, &err) < 0)
    ret = husk_cli_fail_create(
        cli, &err, flags[CREATE_OPT_BUNDLE].set ? flags[CREATE_OPT_BUNDLE].value : NULL);
  husk_flags_free(cli->command->options, flags);
  return ret;
}
