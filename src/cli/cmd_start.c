/* husk start — run the user's process in a created container. */
#include "cli.h"

#include "container.h"

int cmd_start(struct husk_cli *cli, int argc, char **argv) {
  return husk_cli_run_on_id(cli, argc, argv, husk_container_start);
}
