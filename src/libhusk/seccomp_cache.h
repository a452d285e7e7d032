/* husk — compiled seccomp filters kept between commands, keyed by the
 * whole profile (seccomp_cache.c says how and why). */
#ifndef HUSK_SECCOMP_CACHE_H
#define HUSK_SECCOMP_CACHE_H

#include "seccomp_filter.h"

/* Where compiled filters are kept: $HUSK_SECCOMP_CACHE when set (empty or
 * relative: no cache), else /run/husk-seccomp-cache for root and
 * $XDG_RUNTIME_DIR/husk-seccomp-cache for a rootless caller (none without
 * it).  NULL: no cache. */
char *husk_seccomp_cache_dir(void);

/* The BPF of linux.seccomp `s` for the container process, from the cache
 * directory `cache_dir` (NULL: no cache) or compiled now and stored there.
 * Done by the runtime before the process starts: a config error is
 * reported before any namespace exists, and the process only loads the
 * result.  out->prog stays NULL when the profile cannot be loaded as plain
 * BPF (husk_seccomp_precompilable): the process compiles it itself. */
int husk_seccomp_prepare(const char *cache_dir, const struct husk_seccomp *s,
                         const struct husk_warner *w, struct husk_seccomp_bpf *out,
                         husk_error_t *err);

#endif
