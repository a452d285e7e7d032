/* husk — the systemd cgroup driver (--systemd-cgroup), as runc's: the
 * container's cgroup is a transient scope unit that systemd makes and
 * knows about, asked for over D-Bus (dbus_min.c), so that systemd neither
 * fights over the cgroup nor forgets its limits on a daemon-reload. */
#ifndef HUSK_CGROUP_SYSTEMD_H
#define HUSK_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "dbus_min.h"
#include "husk/error.h"
#include "husk/spec.h"

/* How long systemd gets to start or stop the unit (runc waits 30 s too). */
#define HUSK_SYSTEMD_TIMEOUT_MS 30000

/* Ask systemd for the transient unit `unit_name` ("<prefix>-<name>.scope")
 * in `slice`, holding `pid`, with Delegate=yes (the cgroup below is husk's
 * to manage), DefaultDependencies=no, and the resources that map onto unit
 * properties (MemoryMax, TasksMax, CPUWeight, CPUQuotaPerSecUSec), then
 * wait until its start job is done.  A unit_name ending in ".slice" makes a
 * transient slice instead, which holds no pid.  Errors name the unit and
 * the call, with systemd's own error name and text. */
int husk_systemd_start_scope(const char *slice, const char *unit_name, pid_t pid,
                             const struct husk_resources *res, husk_error_t *err);

/* Stop the unit and wait for the job; a unit systemd no longer has (a scope
 * goes away by itself when its last process exits) is not an error.  A
 * failed unit is reset so that its name can be used again. */
int husk_systemd_stop_scope(const char *unit_name, husk_error_t *err);

/* Units go to the caller's own systemd user manager when husk is rootless
 * (husk_rootless_detect), else to the system manager. */
bool husk_systemd_user_manager(void);

/* The manager's own cgroup (its "ControlGroup" property), under which its
 * slices and units live: "" for the system manager, and e.g.
 * "/user.slice/user-1000.slice/user@1000.service" for a user's. */
int husk_systemd_manager_cgroup(char **out, husk_error_t *err);
int husk_systemd_manager_cgroup_on(struct husk_dbus_conn *c, char **out, husk_error_t *err);

/* The same over a connection made already (tests: a socketpair to a fake
 * systemd), waiting at most timeout_ms for each step. */
int husk_systemd_start_scope_on(struct husk_dbus_conn *c, const char *slice, const char *unit_name,
                                pid_t pid, const struct husk_resources *res, int timeout_ms,
                                husk_error_t *err);
int husk_systemd_stop_scope_on(struct husk_dbus_conn *c, const char *unit_name, int timeout_ms,
                               husk_error_t *err);

/* The body of StartTransientUnit (signature "ssa(sv)a(sa(sv))"), exposed
 * for the marshalling test. */
void husk_systemd_start_body(struct husk_dbus_writer *w, const char *slice, const char *unit_name,
                             pid_t pid, const struct husk_resources *res);

#endif
