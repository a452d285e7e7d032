/* husk — the commands that act on a container's cgroup after create:
 * pause/resume (freeze), update (resource limits), ps (the pids) and events
 * (stats, OOM kills).  The CLI's pause, resume, update, ps and events are
 * thin wrappers around these. */
#ifndef HUSK_CONTAINER_OPS_H
#define HUSK_CONTAINER_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cgroup.h"
#include "husk/error.h"
#include "husk/spec.h"

/* Freeze every process of a created or running container and record
 * "paused" in state.json.  Other states fail with runc's "container not
 * running". */
int husk_container_pause(const char *root, const char *id, husk_error_t *err);

/* Thaw a paused container; its status goes back to "created" when it was
 * never started, else "running".  Not paused: "container not paused". */
int husk_container_resume(const char *root, const char *id, husk_error_t *err);

/* Change the resource limits of a live (created, running or paused)
 * container.  Only the fields `changes` marks present (has_*, non-NULL
 * strings, a non-empty unified map) are touched.  They are written to the
 * cgroup and then merged into linux.resources of the container's copy of
 * config.json, so later commands see the limits in force.  When the kernel
 * refuses a value half-way, the fields already written are set back to the
 * values the config recorded before the error is returned.  Changes to
 * devices, hugepage limits, network, rdma or per-device blockIO are refused:
 * runc's update does not offer them either. */
int husk_container_update(const char *root, const char *id, const struct husk_resources *changes,
                          husk_error_t *err);

/* The pids in the container's cgroup, host pid namespace, in the order the
 * kernel lists them.  A stopped container whose cgroup is gone has none. */
int husk_container_ps_pids(const char *root, const char *id, pid_t **pids, size_t *n,
                           husk_error_t *err);

/* Statistics of a live container's cgroup; a stopped one fails with runc's
 * "container with id ID is not running".  Free with husk_cgroup_stats_free. */
int husk_container_stats(const char *root, const char *id, struct husk_cgroup_stats *st,
                         husk_error_t *err);

/* OOM kills counted so far in a container's cgroup: memory.events oom_kill
 * (v2) or memory.oom_control oom_kill (v1); 0 when the kernel keeps no count.
 * `running` is false once the container has stopped.  `events` polls it. */
int husk_container_oom_count(const char *root, const char *id, uint64_t *kills, bool *running,
                             husk_error_t *err);

/* The mount point of the v1 memory controller in a mountinfo stream, NULL
 * when there is none; caller frees.  What `events` reads the OOM count by. */
char *husk_v1_memory_mount_parse(FILE *mountinfo);

/* runc's memory sizes (docker's RAMInBytes): "512", "1.5g", "10 MiB",
 * "100kb"; k/m/g/t/p are powers of 1024; "-1" means unlimited. */
int husk_parse_memory_size(const char *s, int64_t *out);

/* Go's time.ParseDuration: "5s", "1m30s", "250ms", "1.5h", "0". */
int husk_parse_duration(const char *s, int64_t *nanoseconds);

#endif
