/* husk — linux.resources.devices on cgroup v2.
 *
 * cgroup v2 has no "devices" controller: the kernel asks the
 * BPF_PROG_TYPE_CGROUP_DEVICE programs attached to a task's cgroup (and its
 * ancestors) whether an open(2) or mknod(2) of a device node may proceed.
 * This file turns the config's device rules into such a program, loads it
 * with bpf(2) (no libbpf) and attaches it to the container's cgroup.
 *
 * Semantics (those of the v1 devices controller and of runc/crun):
 *   - default deny: a device no rule matches is refused;
 *   - the LAST matching rule wins, decided per access bit: a request for
 *     "rw" is allowed only when, for each of r and w, the last rule that
 *     matches the device and names that bit is an allow rule.  So
 *     `allow c 1:5 rw` then `deny c 1:5 w` refuses O_RDWR but allows
 *     O_RDONLY, and `allow c 1:8 r` plus `allow c 1:8 w` allow O_RDWR
 *     (runc's devicefilter needs one rule covering every requested bit, so
 *     it refuses the latter and allows the former);
 *   - type 'a' matches char and block devices; an absent major/minor (or
 *     -1) matches any; access NULL means "rwm", "" makes the rule a no-op.
 *
 * The caller passes the complete list.  Nothing is added here: runc adds
 * its always-allowed devices (/dev/null, /dev/zero, /dev/full, /dev/tty,
 * /dev/urandom, /dev/random, the ptys and /dev/ptmx) in its config
 * generator, and the default config of `runc spec` starts the list with
 * {"allow": false, "access": "rwm"}.
 */
#ifndef HUSK_CGROUP_DEVICES_BPF_H
#define HUSK_CGROUP_DEVICES_BPF_H

#include <stddef.h>

#include "husk/error.h"
#include "husk/spec.h"

/* Build the device filter from rules[0..n), load it and attach it to the
 * cgroup v2 directory `cgroup_fd` (O_DIRECTORY) with BPF_F_ALLOW_MULTI.
 * Programs attached earlier to that cgroup (a previous call: `update`) are
 * detached only after the new one is attached, so the cgroup is never
 * without a filter.  Invalid rules are refused before anything is loaded,
 * naming the field: "linux.resources.devices[2].access: ...".
 * Needs CAP_SYS_ADMIN (or CAP_BPF + CAP_NET_ADMIN on recent kernels). */
int husk_cgroup_devices_bpf_apply(int cgroup_fd, const struct husk_device_cgroup *rules, size_t n,
                                  husk_error_t *err);

#endif
