/* husk — the per-container state directory.
 *
 * Each container owns `<root>/<id>/` (mode 0711, like runc) holding
 * `state.json`, which is always replaced atomically.  Commands that change a
 * container take an exclusive flock(2) on that directory; readers take a
 * shared one.  The OCI-visible part of the state (state.md) is what
 * `husk state` prints; the runtime_* fields are husk's own bookkeeping. */
#ifndef HUSK_STATE_H
#define HUSK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "husk/error.h"
#include "husk/spec.h"

/* The longest ID accepted: it becomes a directory name, so NAME_MAX. */
#define HUSK_ID_MAX 255

enum husk_status {
  HUSK_STATUS_CREATING,
  HUSK_STATUS_CREATED,
  HUSK_STATUS_RUNNING,
  HUSK_STATUS_PAUSED,
  HUSK_STATUS_STOPPED,
};

struct husk_state {
  /* The OCI state (runtime.md#state). */
  char *oci_version;
  char *id;
  enum husk_status status;
  pid_t pid; /* the container's init, 0 when none */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 with nanoseconds, UTC, as Go's time.RFC3339Nano */
  char *owner;
  struct husk_kv *annotations;
  size_t annotations_len;

  /* husk's bookkeeping for the lifecycle commands. */
  uint64_t init_start_time; /* /proc/<pid>/stat field 22: tells a reused PID apart */
  char *cgroup_path;        /* the container's cgroup, as created */
  int cgroup_created_depth; /* trailing levels of cgroup_path husk made (delete removes
                               them); -1: unknown */
  char *config_path;        /* the config.json the container was created from */
  char *systemd_unit;       /* --systemd-cgroup: the transient scope husk started, or NULL */
  uint64_t rootfs_mount_id; /* no mount namespace: the rootfs bind create made in the
                               runtime's namespace (delete detaches it); 0: none */
  int poststart_hooks;      /* how many the config copy holds: `start` and `delete` */
  int poststop_hooks;       /* parse it only for them; -1: unknown (an older state) */
};

const char *husk_status_name(enum husk_status status);
int husk_status_parse(const char *name, enum husk_status *out);

/* Accepts what runc accepts: ASCII letters, digits and `_ + , - .`, not "."
 * or "..", at most HUSK_ID_MAX bytes.  Errors read like runc's. */
int husk_validate_id(const char *id, husk_error_t *err);

/* "<root>/<id>" (caller frees).  Does not validate. */
char *husk_state_dir(const char *root, const char *id);

/* Create the root (0700) if needed and the container directory (0711).
 * Fails with EEXIST "container with id exists: ID" when it is taken. */
int husk_state_create_dir(const char *root, const char *id, husk_error_t *err);

/* Remove the container directory and everything in it. */
int husk_state_destroy(const char *root, const char *id, husk_error_t *err);

/* flock the container directory: exclusive for commands that change the
 * container, shared for readers.  *lock_fd is released with
 * husk_state_unlock() (or by closing it).  ENOENT → "container does not exist". */
int husk_state_lock(const char *root, const char *id, bool exclusive, int *lock_fd,
                    husk_error_t *err);
void husk_state_unlock(int lock_fd);

/* Write <root>/<id>/state.json atomically. */
int husk_state_save(const char *root, const struct husk_state *state, husk_error_t *err);

/* Read <root>/<id>/state.json.  A missing container (or one whose state.json
 * is not written yet) fails with ENOENT "container does not exist". */
int husk_state_load(const char *root, const char *id, struct husk_state *state, husk_error_t *err);

/* Parse the text of a state.json (len bytes; the parse stops at a NUL byte,
 * as for a file); `origin` names it in errors.  What husk_state_load does
 * after reading the file.  Free *state with husk_state_free. */
int husk_state_parse(const char *data, size_t len, const char *origin, struct husk_state *state,
                     husk_error_t *err);

void husk_state_free(struct husk_state *state);

/* The state as commands see it.  `state` and `list` read it without the
 * lock (`locked` false), never waiting for a writer (a create may hold it
 * across hooks that never end): state.json as last written.  "creating"
 * whose creator is gone (the lock is free, or ours) is stopped; a directory
 * without state.json is a container being created, or one whose create was
 * killed — then stopped, for delete to remove. */
int husk_state_read(const char *root, const char *id, bool locked, struct husk_state *state,
                    husk_error_t *err);

/* The IDs of all containers under root, sorted.  A missing root is an empty
 * list.  *ids is NULL-terminated; free with husk_state_list_free(). */
int husk_state_list(const char *root, char ***ids, size_t *count, husk_error_t *err);
void husk_state_list_free(char **ids);

/* Replace a live status with "stopped" when the init is gone: it no longer
 * exists, is a zombie, or its PID now belongs to a process started at a
 * different time.  Returns the (possibly updated) status. */
enum husk_status husk_state_refresh_status(struct husk_state *state);

/* Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22). */
int husk_process_start_time(pid_t pid, uint64_t *start_time, husk_error_t *err);

/* Now, formatted like Go's time.RFC3339Nano in UTC (trailing zeros of the
 * fraction dropped), e.g. "2024-03-01T10:20:30.12345Z".  Caller frees. */
char *husk_rfc3339_now(void);
/* The same for `ts` (UTC, any year). */
struct timespec;
char *husk_rfc3339(const struct timespec *ts);

/* The OCI state document (state-schema.json) with runc's field order:
 * ociVersion, id, pid, status, bundle, rootfs, created, annotations (sorted,
 * only when present), owner.  `indent` NULL gives compact output, otherwise
 * each level is indented by that string.  The pid is 0 when stopped. Caller frees. */
char *husk_state_oci_json(const struct husk_state *state, const char *indent);

#endif
