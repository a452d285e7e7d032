/* husk — linux.netDevices: move existing host network interfaces into the
 * container's network namespace over rtnetlink (no libnl, no `ip`).
 *
 * What config-linux.md "Network Devices" asks, and how it is met here:
 *  - the device is moved, renamed to `name` if given; a `%d` template in
 *    `name` lets the kernel pick the number;
 *  - the runtime MUST check that the move is possible: every interface is
 *    looked up, every name checked and every target name looked for in the
 *    container's namespace before anything is moved, and a clash is an error
 *    (unless the name is a `%d` template);
 *  - the runtime MUST preserve the interface's attributes, including every
 *    permanent (IFA_F_PERMANENT) global-scope (RT_SCOPE_UNIVERSE) address of
 *    any family: the kernel keeps MTU, MAC and the like across the move but
 *    flushes addresses, so those addresses are read before the move and added
 *    again inside the container's namespace (link-scope and dynamic addresses
 *    are not, as the spec says; routes are not either);
 *  - the runtime MUST set the device "up" after moving it: always, whatever
 *    its state on the host.
 *
 * On delete the spec says the runtime MUST NOT move the interface out of the
 * namespace: the kernel does it when the namespace dies (physical devices
 * return to the initial namespace, under their container name or `dev%d`
 * on a clash; virtual ones such as veth or macvlan are destroyed).  So there
 * is deliberately no "move back on delete" function here. */
#ifndef HUSK_NETDEV_H
#define HUSK_NETDEV_H

#include <sys/types.h>

#include "husk/error.h"
#include "husk/spec.h"

/* Move every linux.netDevices entry of `spec` into the network namespace of
 * `init_pid` (the container's init, already cloned into its namespaces and
 * not yet released).  Call it from the namespace that holds the devices,
 * i.e. the runtime's own one (after husk_ns_parent_restore).
 *
 * The container must have a network namespace of its own: linux.namespaces
 * needs a "network" entry (new, or a path other than the runtime's own
 * namespace), otherwise it is an error.  Errors name the entry, e.g.
 * `linux.netDevices.eth9: no such interface on the host`.
 *
 * All or nothing: when a device fails after others were moved, those are
 * moved back under their host names, with their saved addresses and their
 * former up/down state (best effort; routes that went with them are not
 * restored, and a failed step is appended to the error message).
 * Returns 0, or -1 with *err set. */
int husk_netdev_move(const struct husk_spec *spec, pid_t init_pid, husk_error_t *err);

/* In a new network namespace: bring the loopback interface up, as runc and
 * crun do (the kernel creates it down). */
int husk_net_loopback_up(husk_error_t *err);

#endif
