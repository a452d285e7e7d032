/* husk checkpoint — save a running container with CRIU (runc's flags). */
#include "cli.h"

#include <string.h>

#include "checkpoint.h"
#include "husk/state.h"

enum {
  CK_IMAGE_PATH,
  CK_WORK_PATH,
  CK_PARENT_PATH,
  CK_LEAVE_RUNNING,
  CK_TCP_ESTABLISHED,
  CK_TCP_SKIP_IN_FLIGHT,
  CK_LINK_REMAP,
  CK_EXT_UNIX_SK,
  CK_SHELL_JOB,
  CK_LAZY_PAGES,
  CK_STATUS_FD,
  CK_PAGE_SERVER,
  CK_FILE_LOCKS,
  CK_PRE_DUMP,
  CK_MANAGE_CGROUPS_MODE,
  CK_EMPTY_NS,
  CK_AUTO_DEDUP,
  CK_COUNT,
};

const struct husk_option cmd_checkpoint_options[] = {
    [CK_IMAGE_PATH] = {"image-path", 0, true, "path for saving criu image files"},
    [CK_WORK_PATH] = {"work-path", 0, true, "path for saving work files and logs"},
    [CK_PARENT_PATH] = {"parent-path", 0, true, "path for previous criu image files in pre-dump"},
    [CK_LEAVE_RUNNING] = {"leave-running", 0, false,
                          "leave the process running after checkpointing"},
    [CK_TCP_ESTABLISHED] = {"tcp-established", 0, false, "allow open tcp connections"},
    [CK_TCP_SKIP_IN_FLIGHT] = {"tcp-skip-in-flight", 0, false, "skip in-flight tcp connections"},
    [CK_LINK_REMAP] = {"link-remap", 0, false,
                       "allow one to link unlinked files back when possible"},
    [CK_EXT_UNIX_SK] = {"ext-unix-sk", 0, false, "allow external unix sockets"},
    [CK_SHELL_JOB] = {"shell-job", 0, false, "allow shell jobs"},
    [CK_LAZY_PAGES] = {"lazy-pages", 0, false, "use userfaultfd to lazily restore memory pages"},
    [CK_STATUS_FD] = {"status-fd", 0, true,
                      "criu writes \\0 to this FD once lazy-pages is ready (default: -1)"},
    [CK_PAGE_SERVER] = {"page-server", 0, true, "ADDRESS:PORT of the page server"},
    [CK_FILE_LOCKS] = {"file-locks", 0, false, "handle file locks, for safety"},
    [CK_PRE_DUMP] = {"pre-dump", 0, false,
                     "dump container's memory information only, leave the container running "
                     "after this"},
    [CK_MANAGE_CGROUPS_MODE] = {"manage-cgroups-mode", 0, true,
                                "cgroups mode: soft|full|strict|ignore (default: soft)"},
    [CK_EMPTY_NS] = {"empty-ns", 0, true, "create a namespace, but don't restore its properties"},
    [CK_AUTO_DEDUP] = {"auto-dedup", 0, false, "enable auto deduplication of memory images"},
    [CK_COUNT] = {NULL, 0, false, NULL},
};

bool husk_cli_flag_true(const struct husk_flag *f) {
  return f->set &&
         (f->value == NULL || strcmp(f->value, "true") == 0 || strcmp(f->value, "1") == 0);
}

static const char *flag_str(const struct husk_flag *f) { return f->set ? f->value : NULL; }

int cmd_checkpoint(struct husk_cli *cli, int argc, char **argv) {
  struct husk_flag f[CK_COUNT];
  int first_arg = 0;
  enum husk_parse_result r = husk_cli_parse(cli, argc, argv, f, &first_arg);
  if (r != HUSK_PARSE_OK)
    return r == HUSK_PARSE_HELP ? 0 : 1;
  struct husk_checkpoint_opts o = {
      .root = cli->root,
      .id = argv[first_arg],
      .c =
          {
              .criu = cli->criu,
              .image_path = flag_str(&f[CK_IMAGE_PATH]),
              .work_path = flag_str(&f[CK_WORK_PATH]),
              .tcp_established = husk_cli_flag_true(&f[CK_TCP_ESTABLISHED]),
              .ext_unix_sk = husk_cli_flag_true(&f[CK_EXT_UNIX_SK]),
              .shell_job = husk_cli_flag_true(&f[CK_SHELL_JOB]),
              .file_locks = husk_cli_flag_true(&f[CK_FILE_LOCKS]),
              .auto_dedup = husk_cli_flag_true(&f[CK_AUTO_DEDUP]),
              .lazy_pages = husk_cli_flag_true(&f[CK_LAZY_PAGES]),
              .manage_cgroups_mode = flag_str(&f[CK_MANAGE_CGROUPS_MODE]),
              .empty_ns = f[CK_EMPTY_NS].values,
              .empty_ns_len = f[CK_EMPTY_NS].count,
              .warn = {husk_cli_warn, cli},
          },
      .parent_path = flag_str(&f[CK_PARENT_PATH]),
      .page_server = flag_str(&f[CK_PAGE_SERVER]),
      .leave_running = husk_cli_flag_true(&f[CK_LEAVE_RUNNING]),
      .tcp_skip_in_flight = husk_cli_flag_true(&f[CK_TCP_SKIP_IN_FLIGHT]),
      .link_remap = husk_cli_flag_true(&f[CK_LINK_REMAP]),
      .pre_dump = husk_cli_flag_true(&f[CK_PRE_DUMP]),
  };
  husk_error_t err = {0};
  int ret = 0;
  if (husk_container_checkpoint(&o, &err) < 0)
    ret = husk_cli_fail(cli, &err);
  husk_flags_free(cli->command->options, f);
  return ret;
}
