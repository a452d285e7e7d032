/* husk — the container lifecycle of runtime.md: create, start, kill, delete.
 * The CLI composes `run` from these. */
#ifndef HUSK_CONTAINER_H
#define HUSK_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "husk/error.h"
#include "husk/spec.h"

/* Where the warnings of runtime.md ("log a warning": a failing poststop
 * hook, ...) go; libhusk does not print, the CLI does.  NULL: dropped. */
struct husk_warner_cb {
  void (*fn)(void *data, const char *msg);
  void *data;
};

struct husk_create_opts {
  const char *root; /* --root */
  const char *id;
  const char *bundle;         /* --bundle, "." by default */
  const char *console_socket; /* --console-socket, or NULL */
  const char *pid_file;       /* --pid-file, or NULL */
  bool no_pivot;              /* --no-pivot */
  bool no_new_keyring;        /* --no-new-keyring */
  int preserve_fds;           /* fds 3..3+preserve_fds-1 go to the container (incl. LISTEN_FDS) */
  int listen_fds;             /* LISTEN_FDS of the caller: adds LISTEN_FDS/LISTEN_PID to env */
  bool systemd_cgroup;        /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
  struct husk_warner_cb warn; /* warnings of a failed create's poststop hooks */
  bool keep_pty;              /* `run` in the foreground: return the pty master, don't
                                 need --console-socket */
  const char *rootless;       /* --rootless: "true", "false", "auto" or NULL (auto) */
};

struct husk_created {
  pid_t pid;      /* the init, on the host */
  int pty_master; /* with keep_pty and process.terminal; else -1 */
};

/* Create the container and leave its init waiting for `start`.  On failure
 * nothing is left: no state directory, no process, no mount. */
/* The rules of the config that depend on more than its own fields (sysctls
 * and namespaces, hostname and UTS, ...), checked at create before anything
 * is made; with err->collect (husk check) all of them. */
int husk_container_check_spec(const struct husk_spec *spec, husk_error_t *err);

int husk_container_create(const struct husk_create_opts *opts, struct husk_created *out,
                          husk_error_t *err);

/* Read and check a bundle as create does: *bundle_out and *rootfs_out are
 * the resolved paths, *config_text the bytes of config.json (the state
 * directory keeps a copy).  restore builds its container from the same. */
int husk_container_load_bundle(const char *bundle, char **bundle_out, struct husk_spec **spec_out,
                               char **rootfs_out, char **config_text, size_t *config_len,
                               husk_error_t *err);

/* The state a container starts with (status "creating"), as create and
 * restore save it before making anything: its cgroup path is known before
 * the directories exist, so that a command killed while making them leaves
 * a state that names them.  The annotations are borrowed from spec. */
struct husk_state husk_container_initial_state(const struct husk_spec *spec, const char *id,
                                               const char *bundle, const char *rootfs,
                                               const char *config_copy, bool systemd_cgroup);

/* Release a created container's init; then run the poststart hooks. */
int husk_container_start(const char *root, const char *id, husk_error_t *err);

/* Send sig to the init (all: to every process of the container). */
int husk_container_kill(const char *root, const char *id, int sig, bool all, husk_error_t *err);

/* Remove a stopped container (force: kill it first); runs poststop hooks. */
int husk_container_delete(const char *root, const char *id, bool force,
                          const struct husk_warner_cb *warn, husk_error_t *err);

/* "KILL", "SIGKILL", "9" → 9; errors read like runc's `unknown signal "FOO"`. */
int husk_signal_parse(const char *name, int *sig, husk_error_t *err);

#endif
