/* husk — entry point: global flags, `--help`/`--version`, command dispatch.
 *
 * The command line mirrors runc's (urfave/cli): `husk [global options]
 * command [command options] [arguments...]`, the same global flags, the same
 * messages and exit codes for usage errors, so engines can swap runc for husk. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "husk/version.h"
#include "rootless.h"
#include "self_protect.h"
#include "timings.h"
#include "util.h"

extern char **environ;

/* runc exits with 3 for an unknown command (urfave/cli's help command). */
#define EXIT_UNKNOWN_COMMAND 3

#define ID_ARGS_USAGE(verb)                                                                        \
  "<container-id>\n\nWhere \"<container-id>\" is your name for the instance of the container" verb

static const struct husk_command commands[] = {
    {"check", cmd_check, NULL, "report every problem of a bundle before it runs",
     "The check command reads the bundle (--bundle, default: the current directory)\n"
     "and reports every problem at once, without creating anything: the config\n"
     "against the OCI runtime spec, the bundle against its root filesystem, the\n"
     "config against this host (namespaces, cgroups, seccomp, capabilities, LSMs,\n"
     "rlimits), and risky choices.  Each finding has a severity (error, warning,\n"
     "note), the JSON path at fault and the reason.\n\n"
     "Exit status: 0 nothing wrong, 1 errors (create would fail), 2 warnings only.\n"
     "--format json prints a document described by husk-check.schema.json.",
     cmd_check_options, 0},
    {"checkpoint", cmd_checkpoint, ID_ARGS_USAGE(" to be\ncheckpointed."),
     "checkpoint a running container",
     "The checkpoint command saves the state of the container instance.", cmd_checkpoint_options,
     1},
    {"create", cmd_create,
     ID_ARGS_USAGE(" that you\nare starting. The name you provide for the container instance must "
                   "be unique on\nyour host."),
     "create a container", NULL, cmd_create_options, 1, true},
    {"delete", cmd_delete, ID_ARGS_USAGE("."),
     "delete any resources held by the container often used with detached container", NULL,
     cmd_delete_options, 1},
    {"events", cmd_events, ID_ARGS_USAGE("."),
     "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
     "The events command displays information about the container. By default the\n"
     "information is displayed once every 5 seconds.",
     cmd_events_options, 1},
    {"exec", cmd_exec,
     "<container-id> <command> [command options]  || -p process.json "
     "<container-id>\n\nWhere \"<container-id>\" is the name for the instance of the container "
     "and\n\"<command>\" is the command to be executed in the container.\n\"<command>\" can't be "
     "empty unless a \"-p\" flag provided.\n\nEXAMPLE:\nFor example, if the container is "
     "configured to run the linux ps command the\nfollowing will output a list of processes "
     "running in the container:\n\n       # husk exec <container-id> ps",
     "execute new process inside the container", NULL, cmd_exec_options, -1, true},
    {"kill", cmd_kill, "<container-id> [signal]",
     "kill sends the specified signal (default: SIGTERM) to the container's init process", NULL,
     cmd_kill_options, -1},
    {"list", cmd_list,
     "\n\nWhere the given root is specified via the global option \"--root\"\n(default: "
     "\"/run/husk\").",
     "lists containers started by husk with the given root", NULL, cmd_list_options, 0},
    {"pause", cmd_pause, ID_ARGS_USAGE(" to be\npaused."),
     "pause suspends all processes inside the container",
     "The pause command suspends all processes in the instance of the container.\n\nUse husk "
     "list to identify instances of containers and their current status.",
     cmd_no_options, 1},
    {"ps", cmd_ps, "<container-id> [ps options]",
     "ps displays the processes running inside a container", NULL, cmd_ps_options, -1},
    {"restore", cmd_restore, ID_ARGS_USAGE(" to be\nrestored."),
     "restore a container from a previous checkpoint",
     "Restores the saved state of the container instance that was previously saved\nusing the "
     "husk checkpoint command.",
     cmd_restore_options, 1, true},
    {"resume", cmd_resume, ID_ARGS_USAGE(" to be\nresumed."),
     "resumes all processes that have been previously paused",
     "The resume command resumes all processes in the instance of the container.\n\nUse husk "
     "list to identify instances of containers and their current status.",
     cmd_no_options, 1},
    {"run", cmd_run,
     ID_ARGS_USAGE(" that you\nare starting. The name you provide for the container instance must "
                   "be unique on\nyour host."),
     "create and run a container", NULL, cmd_run_options, 1, true},
    {"spec", cmd_spec, NULL, "create a new specification file",
     "The spec command creates the new specification file named \"config.json\" for\nthe "
     "bundle, identical to `runc spec` apart from \"ociVersion\".\n\nThe spec generated is just a "
     "starter file: it runs \"sh\" in a busybox-like root\nfilesystem at \"rootfs\". Edit it to "
     "suit the container.\n\nPass --rootless to generate a spec for a container started by a "
     "user without\nroot privileges (a user namespace mapping the caller to root).",
     cmd_spec_options, 0},
    {"start", cmd_start, ID_ARGS_USAGE(" that you\nare starting."),
     "executes the user defined process in a created container", NULL, cmd_no_options, 1},
    {"state", cmd_state, ID_ARGS_USAGE("."), "output the state of a container",
     "The state command outputs current state information for the\ninstance of a container.",
     cmd_no_options, 1},
    {"update", cmd_update, ID_ARGS_USAGE("."), "update container resource constraints", NULL,
     cmd_update_options, 1},
    {"features", cmd_features, NULL, "show the enabled features",
     "Show the enabled features.\n   The result is parsable as a JSON (runtime-spec features.md).",
     cmd_no_options, 0},
};

const struct husk_command *husk_find_command(const char *name) {
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  }
  return NULL;
}

enum {
  G_DEBUG,
  G_LOG,
  G_LOG_FORMAT,
  G_ROOT,
  G_CRIU,
  G_SYSTEMD_CGROUP,
  G_ROOTLESS,
  G_VERSION,
  G_COUNT,
};

/* Filled in by main(): the --root default depends on who runs husk. */
static struct husk_option global_options[] = {
    [G_DEBUG] = {"debug", 0, false, "enable debug logging"},
    [G_LOG] = {"log", 0, true, "set the log file to write husk logs to (default is '/dev/stderr')"},
    [G_LOG_FORMAT] = {"log-format", 0, true,
                      "set the log format ('text' (default), or 'json') (default: \"text\")"},
    [G_ROOT] = {"root", 0, true, NULL},
    [G_CRIU] = {"criu", 0, true,
                "path to the criu binary used for checkpoint and restore (default: \"criu\")"},
    [G_SYSTEMD_CGROUP] = {"systemd-cgroup", 0, false,
                          "enable systemd cgroup support, expects cgroupsPath to be of form "
                          "\"slice:prefix:name\" for e.g. \"system.slice:husk:434234\""},
    [G_ROOTLESS] = {"rootless", 0, true,
                    "ignore cgroup permission errors ('true', 'false', or 'auto') (default: "
                    "\"auto\")"},
    [G_VERSION] = {"version", 'v', false, "print the version"},
    {NULL},
};

/* runc's default is /run/runc; an unprivileged user cannot write /run, so
 * like runc's rootless mode use $XDG_RUNTIME_DIR when it is set.  As runc
 * (shouldHonorXDGRuntimeDir): also for uid 0 inside a user namespace unless
 * $USER is "root" -- rootless podman runs the runtime as root of its own
 * user namespace, with the user's XDG_RUNTIME_DIR, and passes no --root. */
static char *default_root(void) {
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  bool has_xdg = xdg != NULL && xdg[0] != '\0';
  if (geteuid() != 0) {
    if (has_xdg)
      return husk_xasprintf("%s/husk", xdg);
    return NULL; /* no place of root's: a command that keeps state says so */
  }
  if (has_xdg && husk_rootless_detect()) {
    const char *user = getenv("USER");
    if (user == NULL || strcmp(user, "root") != 0)
      return husk_xasprintf("%s/husk", xdg);
  }
  return husk_xstrdup("/run/husk");
}

/* runc makes --root absolute (filepath.Abs), so state paths do not depend
 * on where a later command runs. */
static char *absolute_path(const char *path) {
  if (path[0] == '/')
    return husk_xstrdup(path);
  _cleanup_free_ char *cwd = getcwd(NULL, 0);
  if (cwd == NULL)
    return husk_xstrdup(path);
  return husk_xasprintf("%s/%s", cwd, path);
}

static void print_version_lines(void) {
  printf("commit: %s\nspec: %s\nlibseccomp: %s\nlibcap: %s\nyajl: %s\nlibmount: %s\n",
         husk_commit(), husk_spec_version(), husk_libseccomp_version(), husk_libcap_version(),
         husk_yajl_version(), husk_libmount_version());
}

static void print_main_help(const char *program) {
  printf("NAME:\n   %s - Open Container Initiative runtime\n\n", program);
  printf("husk is a command line client for running applications packaged according to\n"
         "the Open Container Initiative (OCI) format and is a compliant implementation of the\n"
         "Open Container Initiative specification, usable in place of runc.\n\n"
         "Containers are configured using bundles. A bundle for a container is a directory\n"
         "that includes a specification file named \"config.json\" and a root filesystem.\n"
         "The root filesystem contains the contents of the container.\n\n"
         "To start a new instance of a container:\n\n"
         "    # husk run [ -b bundle ] <container-id>\n\n"
         "Where \"<container-id>\" is your name for the instance of the container that you\n"
         "are starting. The name you provide for the container instance must be unique on\n"
         "your host. Providing the bundle directory using \"-b\" is optional. The default\n"
         "value for \"bundle\" is the current directory.\n\n");
  printf("USAGE:\n   %s [global options] command [command options] [arguments...]\n\n", program);
  printf("VERSION:\n   %s\n", husk_version());
  print_version_lines();
  printf("\nCOMMANDS:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    printf("   %-10s  %s\n", commands[i].name, commands[i].summary);
  printf("   %-10s  %s\n", "help, h", "Shows a list of commands or help for one command");
  printf("\nGLOBAL OPTIONS:\n");
  husk_print_options(global_options);
  printf("   %-18s  %s\n", "--help, -h", "show help");
}

/* `husk help [command]`, `husk h [command]`. */
static int run_help(struct husk_cli *cli, int argc, char **argv) {
  if (argc == 0) {
    print_main_help(cli->program);
    return 0;
  }
  const struct husk_command *cmd = husk_find_command(argv[0]);
  if (cmd == NULL) {
    husk_cli_error(cli, "No help topic for '%s'", argv[0]);
    return EXIT_UNKNOWN_COMMAND;
  }
  husk_print_command_help(cli, cmd);
  return 0;
}

/* Apply the global flags to cli; reports and returns -1 on a bad value. */
static int apply_global_flags(struct husk_cli *cli, const struct husk_flag *flags) {
  cli->debug = flags[G_DEBUG].set;
  cli->systemd_cgroup = flags[G_SYSTEMD_CGROUP].set;
  if (flags[G_CRIU].set)
    cli->criu = flags[G_CRIU].value;
  if (flags[G_ROOTLESS].set) {
    const char *v = flags[G_ROOTLESS].value;
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0 && strcmp(v, "auto") != 0) {
      husk_cli_error(cli, "invalid value for --rootless: %s", v);
      return -1;
    }
    cli->rootless = v;
  }
  if (flags[G_ROOT].set) {
    free(cli->root);
    cli->root = absolute_path(flags[G_ROOT].value);
  }
  /* Check the format before --log is taken so the error is not written in
   * an unknown format. */
  if (flags[G_LOG_FORMAT].set) {
    const char *format = flags[G_LOG_FORMAT].value;
    if (strcmp(format, "json") == 0) {
      cli->log_format = HUSK_LOG_JSON;
    } else if (strcmp(format, "text") == 0) {
      cli->log_format = HUSK_LOG_TEXT;
    } else {
      husk_cli_error(cli, "invalid log-format: %s", format);
      return -1;
    }
  }
  if (flags[G_LOG].set && flags[G_LOG].value[0] != '\0') {
    int fd = open(flags[G_LOG].value, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      husk_cli_error(cli, "open %s: %s", flags[G_LOG].value, strerror(errno));
      return -1;
    }
    close(fd);
    cli->log_path = flags[G_LOG].value;
  }
  return 0;
}

int main(int argc, char **argv) {
  struct husk_cli cli = {
      .program = "husk",
      .root = default_root(),
      .log_format = HUSK_LOG_TEXT,
      .criu = "criu",
      .rootless = "auto",
  };
  _cleanup_free_ char *root_help = husk_xasprintf(
      "root directory for storage of container state (this should be located in tmpfs) "
      "(default: \"%s\")",
      cli.root ? cli.root : "$XDG_RUNTIME_DIR/husk");
  global_options[G_ROOT].help = root_help;

  struct husk_flag flags[G_COUNT];
  int first_arg = 0;
  husk_error_t err = {0};
  int status = 0;
  enum husk_parse_result parsed =
      husk_options_parse(global_options, argc - 1, argv + 1, flags, &first_arg, &err);
  if (parsed == HUSK_PARSE_HELP) {
    print_main_help(cli.program);
    goto out;
  }
  if (parsed == HUSK_PARSE_ERROR) {
    printf("Incorrect Usage. %s\n\n", err.msg);
    print_main_help(cli.program);
    status = husk_cli_fail(&cli, &err);
    goto out;
  }
  if (flags[G_VERSION].set) {
    printf("%s version %s\n", cli.program, husk_version());
    print_version_lines();
    goto out_flags;
  }
  if (apply_global_flags(&cli, flags) < 0) {
    status = 1;
    goto out_flags;
  }
  /* --debug shows where the time went, as HUSK_TIMINGS=1 does. */
  if (cli.debug && (flags[G_DEBUG].value == NULL || strcmp(flags[G_DEBUG].value, "false") != 0))
    setenv("HUSK_TIMINGS", "1", 0);
  husk_timing("main");

  int nargs = argc - 1 - first_arg;
  char **args = argv + 1 + first_arg;
  if (nargs == 0) {
    print_main_help(cli.program);
    goto out_flags;
  }
  if (strcmp(args[0], "help") == 0 || strcmp(args[0], "h") == 0) {
    status = run_help(&cli, nargs - 1, args + 1);
    goto out_flags;
  }
  cli.command = husk_find_command(args[0]);
  if (cli.command == NULL) {
    husk_cli_error(&cli, "No help topic for '%s'", args[0]);
    status = EXIT_UNKNOWN_COMMAND;
    goto out_flags;
  }
  if (cli.root == NULL && strcmp(cli.command->name, "spec") != 0 &&
      strcmp(cli.command->name, "features") != 0 && strcmp(cli.command->name, "check") != 0) {
    husk_cli_error(&cli,
                   "rootless: XDG_RUNTIME_DIR is not set and no --root was given: set "
                   "XDG_RUNTIME_DIR (e.g. /run/user/%u) or pass --root DIR",
                   (unsigned)geteuid());
    status = 1;
    goto out_flags;
  }
  /* Before any process enters a container, run from a husk binary that
   * none of them can write (CVE-2019-5736): this re-executes husk with the
   * same arguments and environment unless it already runs from one. */
  if (cli.command->enters_container && husk_self_protect(argv, environ, &err) < 0) {
    status = husk_cli_fail(&cli, &err);
    goto out_flags;
  }
  status = cli.command->handler(&cli, nargs - 1, args + 1);

out_flags:
  husk_flags_free(global_options, flags);
out:
  free(cli.root);
  return status;
}
