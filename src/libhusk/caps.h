/* husk — process.capabilities with libcap: the bounding set, the
 * effective/permitted/inheritable sets and the ambient set. */
#ifndef HUSK_CAPS_H
#define HUSK_CAPS_H

#include <stdbool.h>

#include "exec_steps.h"
#include "husk/error.h"
#include "husk/spec.h"

/* PR_SET_KEEPCAPS: keep the permitted set across the switch to a non-zero
 * uid (the kernel would clear it), so that husk_caps_apply can pick from it. */
int husk_caps_keep(bool keep, husk_error_t *err);

/* Drop every capability not in `bounding` from the bounding set, up to the
 * last one the running kernel knows.  Needs CAP_SETPCAP in the effective set,
 * so it runs before the uid switch.  Absent set: left alone. */
int husk_caps_drop_bounding(const struct husk_capabilities *caps, const struct husk_warner *w,
                            husk_error_t *err);

/* Set effective, permitted and inheritable (capset), then the ambient set
 * (which the kernel only accepts for caps already permitted and inheritable).
 * Absent sets are left as they are.  A capability the kernel does not know,
 * or that this process cannot grant, is a warning and skipped (config.md:
 * runtimes SHOULD NOT fail for capabilities that cannot be granted). */
int husk_caps_apply(const struct husk_capabilities *caps, const struct husk_warner *w,
                    husk_error_t *err);

/* At create and exec, where the caller sees it (the init applies the sets
 * only after `start`, when its stderr is the workload's): a warning for each
 * ambient capability the kernel will refuse for a non-root process.user
 * because the config leaves it out of permitted or inheritable (runc's
 * default config with a uid other than 0 asks for three such). */
void husk_caps_warn_ambient(const struct husk_process *process, const struct husk_warner *w);

#endif
