/* husk — checkpoint and restore of a container with CRIU (runc's
 * `checkpoint` and `restore`), spoken to over its RPC protocol
 * (criu_rpc.h).  The external mounts, cgroups, joined namespaces and the
 * terminal are described to CRIU as runc does, so that a restored
 * container has the mounts, limits and namespaces its config gives. */
#ifndef HUSK_CHECKPOINT_H
#define HUSK_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container.h"
#include "husk/error.h"

/* The options both commands share (runc's criuOptions). */
struct husk_criu_common {
  const char *criu;       /* --criu: the binary, "criu" by default */
  const char *image_path; /* --image-path; NULL: "<cwd>/checkpoint" as runc */
  const char *work_path;  /* --work-path, or NULL: logs go to the image directory */
  bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup, lazy_pages;
  const char *manage_cgroups_mode; /* soft|full|strict|ignore, or NULL */
  const char *const *empty_ns;     /* --empty-ns values ("network") */
  size_t empty_ns_len;
  struct husk_warner_cb warn; /* CRIU's log lines around an error */
};

struct husk_checkpoint_opts {
  const char *root, *id;
  struct husk_criu_common c;
  const char *parent_path; /* --parent-path, relative to the image directory */
  const char *page_server; /* --page-server ADDRESS:PORT */
  bool leave_running, tcp_skip_in_flight, link_remap, pre_dump;
};

/* Checkpoint a running (or paused) container into the image directory.
 * Without leave_running or pre_dump the container is then destroyed, as
 * runc does (its ID is free for `restore`).  A host where CRIU cannot work
 * gets an error quoting `criu check`, and no image directory is made. */
int husk_container_checkpoint(const struct husk_checkpoint_opts *opts, husk_error_t *err);

struct husk_restore_opts {
  struct husk_create_opts create; /* root, id, bundle, console_socket, pid_file, ... */
  struct husk_criu_common c;
  const char *lsm_profile, *lsm_mount_context;
};

/* Create the container ID from the bundle as create does (state, cgroup
 * with its limits) and have CRIU restore the image into it; the container
 * is then running with the restored init, a child of the caller, whose
 * host PID *pid gets.  On failure nothing is left. */
int husk_container_restore(const struct husk_restore_opts *opts, pid_t *pid, husk_error_t *err);

/* Whether CRIU can checkpoint here: *version gets "3.17.1" when criu
 * answers, and on failure err says what is missing (CRIU's own words from
 * `criu check`).  Returns 0 when usable. */
int husk_criu_probe(const char *criu, char **version, husk_error_t *err);

#endif
