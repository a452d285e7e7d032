/* husk — the command line: global flags, the command table, a table-driven
 * flag parser shared by all commands, and error reporting.
 *
 * Adding a command: write src/cli/cmd_<name>.c with
 *   const struct husk_option cmd_<name>_options[] = {..., {NULL}};
 *   int cmd_<name>(struct husk_cli *cli, int argc, char **argv);
 * declare both below, and point the command's entry in main.c at them. */
#ifndef HUSK_CLI_H
#define HUSK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "husk/error.h"

enum husk_log_format { HUSK_LOG_TEXT, HUSK_LOG_JSON };

/* One flag a command (or the global level) accepts.  The table ends with an
 * entry whose name is NULL.  `--help`/`-h` is accepted everywhere without
 * being listed. */
struct husk_option {
  const char *name; /* long name without dashes: "format" */
  char short_name;  /* one-letter alias ('f'), or 0 */
  bool takes_value; /* false: a boolean switch */
  const char *help; /* text for the OPTIONS section, with its default */
};

/* What the parser found for one option, at the same index as its table
 * entry.  A flag given twice keeps every value, in order (for flags such as
 * exec's --env); `value` is the last one. */
struct husk_flag {
  bool set;
  const char *value; /* NULL for switches given without "=value" */
  const char **values;
  size_t count;
};

struct husk_command;

/* Global state of one invocation: the global flags and the command run. */
struct husk_cli {
  const char *program; /* "husk" */
  char *root;          /* --root: state directory of all containers */
  const char *log_path;
  enum husk_log_format log_format;
  bool debug;
  bool systemd_cgroup;
  const char *criu;
  const char *rootless; /* "true", "false" or "auto" */
  const struct husk_command *command;
};

typedef int (*husk_command_fn)(struct husk_cli *cli, int argc, char **argv);

struct husk_command {
  const char *name;
  husk_command_fn handler;
  const char *usage;       /* after "husk <name> " on the USAGE line */
  const char *summary;     /* one line, shown in `husk --help` */
  const char *description; /* extra paragraphs for `husk <name> --help`, or NULL */
  const struct husk_option *options;
  int nargs; /* exact number of positional arguments, or -1 for any */
  /* Its processes enter a container: run it from a read-only husk
   * (husk_self_protect, CVE-2019-5736). */
  bool enters_container;
};

/* --- options.c: flag parsing and help ----------------------------------- */

enum husk_parse_result {
  HUSK_PARSE_OK = 0,
  HUSK_PARSE_HELP = 1,   /* --help/-h was given: help is printed, exit 0 */
  HUSK_PARSE_ERROR = -1, /* bad flag: err says why */
};

/* Parse Go-flag style options (what urfave/cli gives runc): `-x`, `--x`,
 * `--name value`, `--name=value`, `--switch=false`.  Parsing stops at the
 * first argument that is not a flag, or after `--`.  flags must have one
 * element per option (zeroed by the parser); *first_arg is the index of the
 * first positional argument. */
enum husk_parse_result husk_options_parse(const struct husk_option *options, int argc, char **argv,
                                          struct husk_flag *flags, int *first_arg,
                                          husk_error_t *err);
void husk_flags_free(const struct husk_option *options, struct husk_flag *flags);

/* Parse a command's own flags and check its argument count.  On --help it
 * prints the command's help; on a usage error it prints runc's "Incorrect
 * Usage" text and reports the error.  Returns HUSK_PARSE_*; with
 * HUSK_PARSE_OK, *first_arg indexes the positional arguments. */
enum husk_parse_result husk_cli_parse(struct husk_cli *cli, int argc, char **argv,
                                      struct husk_flag *flags, int *first_arg);

/* The whole of a command that takes no flags of its own and one container
 * ID: parse, then op(root, id); its error is reported.  Returns the exit status. */
int husk_cli_run_on_id(struct husk_cli *cli, int argc, char **argv,
                       int (*op)(const char *root, const char *id, husk_error_t *err));

void husk_print_command_help(const struct husk_cli *cli, const struct husk_command *cmd);
void husk_print_options(const struct husk_option *options);

/* --- log.c: reporting errors -------------------------------------------- */

/* Report an error: "husk: <msg>" on stderr, and with --log also a line in
 * the log file in the --log-format (logrus-compatible, as runc writes). */
void husk_cli_error(const struct husk_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A warning from libhusk (a husk_warner_cb with the cli as data): on stderr
 * and, with --log, at level=warning in the log file. */
void husk_cli_warn(void *cli, const char *msg);

/* Report err (and clear it).  Returns 1, the exit status of a failed command. */
int husk_cli_fail(const struct husk_cli *cli, husk_error_t *err);
/* The same for create and run: after an error in config.json, a second
 * line points at `husk check`, which reports every problem at once. */
int husk_cli_fail_create(const struct husk_cli *cli, husk_error_t *err, const char *bundle);

/* --- main.c ------------------------------------------------------------- */

const struct husk_command *husk_find_command(const char *name);

/* --- the commands ------------------------------------------------------- */

extern const struct husk_option cmd_spec_options[];
extern const struct husk_option cmd_list_options[];
extern const struct husk_option cmd_no_options[];

int cmd_spec(struct husk_cli *cli, int argc, char **argv);
int cmd_features(struct husk_cli *cli, int argc, char **argv);
int cmd_state(struct husk_cli *cli, int argc, char **argv);
int cmd_list(struct husk_cli *cli, int argc, char **argv);
/* create/run: the flags they share, in this order at the start of both tables. */
enum {
  CREATE_OPT_BUNDLE,
  CREATE_OPT_CONSOLE_SOCKET,
  CREATE_OPT_PID_FILE,
  CREATE_OPT_NO_PIVOT,
  CREATE_OPT_NO_NEW_KEYRING,
  CREATE_OPT_PRESERVE_FDS,
  CREATE_OPT_COUNT,
};
/* The entries of those flags, for the option tables of create and run. */
#define HUSK_CREATE_OPTION_ENTRIES                                                                 \
  [CREATE_OPT_BUNDLE] = {"bundle", 'b', true,                                                      \
                         "path to the root of the bundle directory, defaults to the current "      \
                         "directory"},                                                             \
  [CREATE_OPT_CONSOLE_SOCKET] = {"console-socket", 0, true,                                        \
                                 "path to an AF_UNIX socket which will receive a file descriptor " \
                                 "referencing the master end of the console's pseudoterminal"},    \
  [CREATE_OPT_PID_FILE] = {"pid-file", 0, true, "specify the file to write the process id to"},    \
  [CREATE_OPT_NO_PIVOT] = {"no-pivot", 0, false,                                                   \
                           "do not use pivot root to jail process inside rootfs.  This should "    \
                           "be used whenever the rootfs is on top of a ramdisk"},                  \
  [CREATE_OPT_NO_NEW_KEYRING] = {"no-new-keyring", 0, false,                                       \
                                 "do not create a new session keyring for the container.  This "   \
                                 "will cause the container to inherit the calling processes "      \
                                 "session key"},                                                   \
  [CREATE_OPT_PRESERVE_FDS] = {"preserve-fds", 0, true,                                            \
                               "Pass N additional file descriptors to the container (stdio + "     \
                               "$LISTEN_FDS + N in total) (default: 0)"}
struct husk_create_opts;
extern const struct husk_option cmd_create_options[];
extern const struct husk_option cmd_run_options[];
extern const struct husk_option cmd_kill_options[];
extern const struct husk_option cmd_delete_options[];
/* Fill create options from parsed create/run flags (and $LISTEN_FDS). */
int husk_cli_create_opts(const struct husk_cli *cli, const struct husk_flag *flags, const char *id,
                         struct husk_create_opts *opts, husk_error_t *err);
int cmd_create(struct husk_cli *cli, int argc, char **argv);
int cmd_start(struct husk_cli *cli, int argc, char **argv);
int cmd_run(struct husk_cli *cli, int argc, char **argv);
int cmd_kill(struct husk_cli *cli, int argc, char **argv);
int cmd_delete(struct husk_cli *cli, int argc, char **argv);
/* pause/resume, update, ps, events: cmd_pause.c, cmd_update.c, cmd_ps.c, cmd_events.c */
extern const struct husk_option cmd_update_options[];
extern const struct husk_option cmd_ps_options[];
extern const struct husk_option cmd_events_options[];
int cmd_pause(struct husk_cli *cli, int argc, char **argv);
int cmd_resume(struct husk_cli *cli, int argc, char **argv);
int cmd_update(struct husk_cli *cli, int argc, char **argv);
/* The parts of update that read outside input (tests/fuzz): the text of
 * `-r FILE`, a linux.resources object, into *spec (free with
 * husk_spec_free); the resources update takes from it (strings borrowed);
 * the resources of the flags (strings borrowed from argv: 1 when a usage
 * error was reported, -1 with err set for a bad value, 0 when fine). */
struct husk_spec;
struct husk_resources;
int cmd_update_parse_resources(const char *text, size_t len, const char *origin,
                               struct husk_spec **spec, husk_error_t *err);
void cmd_update_resources_from_file(const struct husk_resources *in, struct husk_resources *out,
                                    bool *kernel_memory);
int cmd_update_resources_from_flags(struct husk_cli *cli, const struct husk_flag *f,
                                    struct husk_resources *res, bool *kernel_memory,
                                    husk_error_t *err);
int cmd_ps(struct husk_cli *cli, int argc, char **argv);
int cmd_events(struct husk_cli *cli, int argc, char **argv);
/* exec: cmd_exec.c */
extern const struct husk_option cmd_exec_options[];
int cmd_exec(struct husk_cli *cli, int argc, char **argv);

/* check: cmd_check.c */
extern const struct husk_option cmd_check_options[];
int cmd_check(struct husk_cli *cli, int argc, char **argv);
/* checkpoint/restore (CRIU): cmd_checkpoint.c, cmd_restore.c */
extern const struct husk_option cmd_checkpoint_options[];
extern const struct husk_option cmd_restore_options[];
int cmd_checkpoint(struct husk_cli *cli, int argc, char **argv);
int cmd_restore(struct husk_cli *cli, int argc, char **argv);
/* A boolean flag given as --x, --x=true or --x=1. */
bool husk_cli_flag_true(const struct husk_flag *f);

/* For commands not built yet: honours --help, otherwise says so and fails. */
int cmd_unimplemented(struct husk_cli *cli, int argc, char **argv);

/* foreground.c: run and restore without --detach.  Signals husk gets
 * (INT, TERM, HUP, QUIT, USR1, USR2) go to pid; then wait for pid, reaping
 * orphans meanwhile, and return its status (128+signal when killed). */
void husk_cli_forward_signals(pid_t pid);
int husk_cli_wait_init(pid_t pid);

#endif
