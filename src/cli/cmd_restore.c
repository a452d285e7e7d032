/* husk restore — create a container from a bundle and a CRIU image made by
 * `checkpoint` (runc's flags).  Without --detach it waits for the restored
 * init, returns its status and deletes the container, as `run` does. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "checkpoint.h"
#include "container.h"

enum {
  RS_CONSOLE_SOCKET,
  RS_IMAGE_PATH,
  RS_WORK_PATH,
  RS_TCP_ESTABLISHED,
  RS_EXT_UNIX_SK,
  RS_SHELL_JOB,
  RS_FILE_LOCKS,
  RS_MANAGE_CGROUPS_MODE,
  RS_BUNDLE,
  RS_DETACH,
  RS_PID_FILE,
  RS_NO_SUBREAPER,
  RS_NO_PIVOT,
  RS_EMPTY_NS,
  RS_AUTO_DEDUP,
  RS_LAZY_PAGES,
  RS_LSM_PROFILE,
  RS_LSM_MOUNT_CONTEXT,
  RS_COUNT,
};

const struct husk_option cmd_restore_options[] = {
    [RS_CONSOLE_SOCKET] = {"console-socket", 0, true,
                           "path to an AF_UNIX socket which will receive a file descriptor "
                           "referencing the master end of the console's pseudoterminal"},
    [RS_IMAGE_PATH] = {"image-path", 0, true, "path to criu image files for restoring"},
    [RS_WORK_PATH] = {"work-path", 0, true, "path for saving work files and logs"},
    [RS_TCP_ESTABLISHED] = {"tcp-established", 0, false, "allow open tcp connections"},
    [RS_EXT_UNIX_SK] = {"ext-unix-sk", 0, false, "allow external unix sockets"},
    [RS_SHELL_JOB] = {"shell-job", 0, false, "allow shell jobs"},
    [RS_FILE_LOCKS] = {"file-locks", 0, false, "handle file locks, for safety"},
    [RS_MANAGE_CGROUPS_MODE] = {"manage-cgroups-mode", 0, true,
                                "cgroups mode: soft|full|strict|ignore (default: soft)"},
    [RS_BUNDLE] = {"bundle", 'b', true, "path to the root of the bundle directory"},
    [RS_DETACH] = {"detach", 'd', false, "detach from the container's process"},
    [RS_PID_FILE] = {"pid-file", 0, true, "specify the file to write the process id to"},
    [RS_NO_SUBREAPER] = {"no-subreaper", 0, false,
                         "disable the use of the subreaper used to reap reparented processes"},
    [RS_NO_PIVOT] = {"no-pivot", 0, false,
                     "do not use pivot root to jail process inside rootfs.  This should be used "
                     "whenever the rootfs is on top of a ramdisk"},
    [RS_EMPTY_NS] = {"empty-ns", 0, true, "create a namespace, but don't restore its properties"},
    [RS_AUTO_DEDUP] = {"auto-dedup", 0, false, "enable auto deduplication of memory images"},
    [RS_LAZY_PAGES] = {"lazy-pages", 0, false, "use userfaultfd to lazily restore memory pages"},
    [RS_LSM_PROFILE] = {"lsm-profile", 0, true,
                        "Specify an LSM profile to be used during restore in the form of "
                        "TYPE:NAME."},
    [RS_LSM_MOUNT_CONTEXT] = {"lsm-mount-context", 0, true,
                              "Specify an LSM mount context to be used during restore."},
    [RS_COUNT] = {NULL, 0, false, NULL},
};

static const char *flag_str(const struct husk_flag *f) { return f->set ? f->value : NULL; }

int cmd_restore(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag f[RS_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, f, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  const char *id = argv[first_arg];
  bool detach = husk_cli_flag_true(&f[RS_DETACH]);
  struct husk_restore_opts o = {
      .create =
          {
              .root = cli->root,
              .id = id,
              .bundle = f[RS_BUNDLE].set ? f[RS_BUNDLE].value : ".",
              .console_socket = flag_str(&f[RS_CONSOLE_SOCKET]),
              .pid_file = flag_str(&f[RS_PID_FILE]),
              .no_pivot = husk_cli_flag_true(&f[RS_NO_PIVOT]),
              .systemd_cgroup = cli->systemd_cgroup,
              .warn = {husk_cli_warn, cli},
              .rootless = cli->rootless,
          },
      .c =
          {
              .criu = cli->criu,
              .image_path = flag_str(&f[RS_IMAGE_PATH]),
              .work_path = flag_str(&f[RS_WORK_PATH]),
              .tcp_established = husk_cli_flag_true(&f[RS_TCP_ESTABLISHED]),
              .ext_unix_sk = husk_cli_flag_true(&f[RS_EXT_UNIX_SK]),
              .shell_job = husk_cli_flag_true(&f[RS_SHELL_JOB]),
              .file_locks = husk_cli_flag_true(&f[RS_FILE_LOCKS]),
              .auto_dedup = husk_cli_flag_true(&f[RS_AUTO_DEDUP]),
              .lazy_pages = husk_cli_flag_true(&f[RS_LAZY_PAGES]),
              .manage_cgroups_mode = flag_str(&f[RS_MANAGE_CGROUPS_MODE]),
              .empty_ns = f[RS_EMPTY_NS].values,
              .empty_ns_len = f[RS_EMPTY_NS].count,
              .warn = {husk_cli_warn, cli},
          },
      .lsm_profile = flag_str(&f[RS_LSM_PROFILE]),
      .lsm_mount_context = flag_str(&f[RS_LSM_MOUNT_CONTEXT]),
  };
  /* The restored init is CRIU's sibling, i.e. our child: without
   * --detach we reap it, and as a subreaper its orphans too. */
  if (!detach && !husk_cli_flag_true(&f[RS_NO_SUBREAPER]))
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  husk_error_t err = {0};
  pid_t pid = -1;
  if (husk_container_restore(&o, &pid, &err) < 0) {
    husk_flags_free(cli->command->options, f);
    return husk_cli_fail(cli, &err);
  }
  husk_flags_free(cli->command->options, f);
  if (detach)
    return 0;
  husk_cli_forward_signals(pid);
  int status = husk_cli_wait_init(pid);
  if (husk_container_delete(cli->root, id, true, &o.create.warn, &err) < 0)
    husk_cli_fail(cli, &err);
  return status;
}
