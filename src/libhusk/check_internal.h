/* husk — the parts of `husk check` (check_bundle.c runs them in order). */
#ifndef HUSK_CHECK_INTERNAL_H
#define HUSK_CHECK_INTERNAL_H

#include "husk/check.h"
#include "husk/spec.h"

/* Whether a finding of that severity names that path already. */
bool husk_findings_has(const struct husk_findings *f, enum husk_severity sev, const char *path);

/* What the rootfs must hold: root.path, process.args[0] on the config's
 * PATH, process.user, process.cwd; and the host side of mounts and
 * devices (check_rootfs.c).  rootfs: root.path made absolute. */
void husk_check_rootfs(const struct husk_spec *spec, const char *bundle, const char *rootfs,
                       struct husk_findings *out);

/* What this host must offer: namespaces, user namespaces for the caller,
 * idmapped mounts, cgroup controllers, seccomp, capabilities, LSMs,
 * rlimits (check_host.c). */
void husk_check_host(const struct husk_spec *spec, const struct husk_check_opts *opts,
                     struct husk_findings *out);

/* Warnings for risky choices, each naming what it opens (check_risk.c). */
void husk_check_risk(const struct husk_spec *spec, const char *bundle, struct husk_findings *out);

#endif
