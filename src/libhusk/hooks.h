/* husk — OCI hooks (config.md "POSIX-platform Hooks"). */
#ifndef HUSK_HOOKS_H
#define HUSK_HOOKS_H

#include <stddef.h>

#include "husk/error.h"
#include "husk/spec.h"

/* Run each hook in order: fork, execve(path, args, env) with the container's
 * state JSON on stdin, kill it after `timeout` seconds.  The first hook that
 * fails (non-zero exit, signal, timeout, exec failure) stops the sequence and
 * fills err: `<stage> hook #<i> (<path>): exited with status 3`.  `stage` is
 * "prestart", "createRuntime", ... */
int husk_hooks_run(const struct husk_hook *hooks, size_t n, const char *stage,
                   const char *state_json, husk_error_t *err);

/* Run every hook even when some fail (poststop: a failure is only a
 * warning, runtime.md step 13); each failure goes to warn().  Returns the
 * number of hooks that failed. */
int husk_hooks_run_all(const struct husk_hook *hooks, size_t n, const char *stage,
                       const char *state_json, void (*warn)(void *data, const char *msg),
                       void *warn_data);

#endif
