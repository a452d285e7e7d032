/* husk — running as an ordinary user (rootless): who counts as rootless,
 * and what husk does about the cgroup it cannot make. */
#ifndef HUSK_ROOTLESS_H
#define HUSK_ROOTLESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "container.h"
#include "husk/error.h"
#include "husk/spec.h"

/* As runc decides: the effective uid is not 0, or husk runs inside a user
 * namespace (its uid_map is not the initial "0 0 4294967295"). */
bool husk_rootless_detect(void);

/* husk itself runs in a user namespace other than the initial one (its
 * uid_map is not "0 0 4294967295"): e.g. rootless podman runs the runtime
 * as root of the user namespace it made for the user. */
bool husk_in_user_namespace(void);

/* --rootless ("true", "false", "auto" or NULL for auto) applied to the
 * detection. */
bool husk_rootless_mode(const char *flag);

/* Before the container's cgroup is made: an ordinary user (euid not 0)
 * without a user namespace in the config is refused, saying why, and so is
 * a uid=/gid= mount option (devpts' gid=5) the new user namespace does not
 * map (the kernel's bare EINVAL otherwise); then decide whether husk makes
 * a cgroup.
 * Not rootless, or every hierarchy writable: *use_cgroup = true.  Rootless
 * and some hierarchy not writable by the caller:
 *  - a config that asks for a limit fails, naming the first limit and the
 *    directory ("linux.resources.memory.limit: cannot be applied:
 *    /sys/fs/cgroup/memory is not writable by uid 1000 (rootless, no
 *    delegated cgroup)"); nothing is half-applied;
 *  - else *use_cgroup = false: the container stays in the caller's cgroup
 *    (as runc does); a cgroupsPath or device rules that are dropped are
 *    reported through warn.
 * On cgroup v2 the caller's own cgroup must share a writable ancestor with
 * the target (delegation containment), else the cgroup counts as not
 * writable. */
int husk_rootless_cgroup_check(const struct husk_spec *spec, const char *id, bool systemd,
                               bool rootless, const struct husk_warner_cb *warn, bool *use_cgroup,
                               husk_error_t *err);

/* Whether the caller may not write any mapping it likes itself (no
 * CAP_SETUID over its user namespace: effective uid not 0). */
bool husk_rootless_maps_need_help(void);

/* Write the uid and gid maps of pid's new user namespace as an ordinary
 * user: a single mapping of the caller's own uid/gid directly (gid_map
 * after "deny" in setgroups, as the kernel requires); anything wider
 * through newuidmap/newgidmap and /etc/subuid, /etc/subgid. */
int husk_rootless_write_maps(pid_t pid, const struct husk_spec *spec, husk_error_t *err);

/* The processes of a container without a cgroup: the init and every
 * process in its pid namespace (a new one), else the init and its
 * descendants.  For `ps` and `kill --all`. */
int husk_rootless_pids(pid_t init, pid_t **pids, size_t *n, husk_error_t *err);

#endif
