/* husk pause / husk resume — freeze and thaw every process of a container
 * through its cgroup, as runc's commands of those names do. */
#include "config.h"

#include "cli.h"

#include "container_ops.h"

int cmd_pause(struct husk_cli *cli, int argc, char **argv) {
  return husk_cli_run_on_id(cli, argc, argv, husk_container_pause);
}

int cmd_resume(struct husk_cli *cli, int argc, char **argv) {
  return husk_cli_run_on_id(cli, argc, argv, husk_container_resume);
}
