/* husk — the process attributes of config.md "process", applied by the
 * container's init (and later by `exec`) just before execve. */
#ifndef HUSK_EXEC_SETUP_H
#define HUSK_EXEC_SETUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "husk/error.h"
#include "husk/spec.h"
#include "seccomp_filter.h"

struct husk_exec_ctx {
  const struct husk_spec *spec;       /* linux.seccomp, linux.personality, linux.sysctl ... */
  const struct husk_process *process; /* the process to run (spec->process for the init) */
  const char *container_id;
  const char *bundle;
  const char *state_json; /* OCI state, for the seccomp listener (listenerPath) */
  bool in_userns;         /* the process is in a new user namespace */
  bool is_init;           /* the container's init (applies linux.sysctl); false for exec */

  /* The pid the runtime sees for this process (the container process state
   * sent to a seccomp agent); 0: getpid(). */
  pid_t pid;
  /* A unix socket already connected to linux.seccomp.listenerPath, for
   * SCMP_ACT_NOTIFY (husk_seccomp_listener_connect() before pivot_root: the
   * host path is out of reach afterwards).  Not set: connected when the
   * filter is loaded.  husk_exec_finish closes it once the state is sent
   * (one state per connection). */
  bool has_seccomp_listener;
  int seccomp_listener_fd;
  /* linux.seccomp compiled by the runtime (husk_seccomp_prepare), or NULL
   * (or prog NULL): compiled here. */
  const struct husk_seccomp_bpf *seccomp_bpf;
  /* Warnings the spec asks for ("logged as a warning"): capabilities the
   * kernel does not know or the runtime cannot grant, skipped seccomp
   * architectures.  NULL: written to stderr as "husk: warning: ...". */
  void (*warn)(void *data, const char *msg);
  void *warn_data;
};

/* Privileged steps, while the init still has all capabilities: oomScoreAdj,
 * rlimits, personality, scheduler, ioPriority, execCPUAffinity.initial,
 * linux.memoryPolicy, linux.sysctl (needs the container's /proc mounted),
 * apparmorProfile and selinuxLabel (set for the coming execve). */
int husk_exec_prepare(const struct husk_exec_ctx *ctx, husk_error_t *err);

/* args[0] as execve needs it: a name without "/" is searched in the PATH of
 * process.env (not the runtime's own), like runc.  NULL with err set when
 * nothing executable is found.  Caller frees. */
char *husk_exec_lookup(const struct husk_process *process, husk_error_t *err);

/* chdir to `cwd` (process.cwd), then check that the working directory is
 * inside our root: getcwd(2) names a directory outside the process's root
 * (pivot_root or chroot alike) "(unreachable)..." (or fails with ENOENT
 * when it was deleted).  That is where a chdir through a leaked directory fd
 * (/proc/self/fd/N, CVE-2024-21626) lands; it is refused.  Returns 0, or -1
 * with err set; the chdir's own errno is kept in err->errnum. */
int husk_cwd_enter(const char *cwd, husk_error_t *err);

/* process.cwd that the image lacks is made (0755, owned by process.user),
 * as runc and crun do; run in the container's root, before it turns
 * read-only. */
int husk_cwd_create(const struct husk_process *process, husk_error_t *err);

/* Final steps and execve: umask, additionalGids/gid/uid (keeping caps across
 * setuid), the five capability sets, noNewPrivileges, seccomp (loaded as late
 * as possible; NOTIFY sends the listener fd to listenerPath),
 * execCPUAffinity.final, cwd, env, PATH lookup of args[0], execve.
 * Returns only on failure. */
int husk_exec_finish(const struct husk_exec_ctx *ctx, husk_error_t *err);

#endif
