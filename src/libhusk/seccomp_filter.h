/* husk — linux.seccomp with libseccomp, and the hand-over of the
 * SCMP_ACT_NOTIFY listener fd to a seccomp agent (config-linux.md "The
 * Container Process State"). */
#ifndef HUSK_SECCOMP_FILTER_H
#define HUSK_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "exec_steps.h"
#include "husk/error.h"
#include "husk/spec.h"

/* Whether any rule (or the default) uses SCMP_ACT_NOTIFY. */
bool husk_seccomp_uses_notify(const struct husk_seccomp *seccomp);

/* Build the filter and load it into the calling thread (all threads with
 * SECCOMP_FILTER_FLAG_TSYNC).  Does not set no_new_privs itself: without it
 * the kernel requires CAP_SYS_ADMIN.  *notify_fd receives the listener fd
 * (owned by the caller) when the profile uses SCMP_ACT_NOTIFY, else -1.
 * Syscalls unknown to libseccomp are skipped, as runc and crun do; unknown
 * architectures are a warning. */
int husk_seccomp_load(const struct husk_seccomp *seccomp, const struct husk_warner *w,
                      int *notify_fd, husk_error_t *err);

/* A filter compiled to BPF, ready for seccomp(2). */
struct husk_seccomp_bpf {
  struct sock_filter *prog; /* NULL: none compiled */
  size_t len;               /* instructions */
  unsigned flags;           /* SECCOMP_FILTER_FLAG_* */
};

/* Whether the filter can be compiled ahead and loaded as plain BPF: not
 * with SCMP_ACT_NOTIFY (the listener comes from libseccomp's load) nor
 * flags other than TSYNC, LOG and SPEC_ALLOW. */
bool husk_seccomp_precompilable(const struct husk_seccomp *seccomp);

/* Compile with libseccomp, as husk_seccomp_load would load it. */
int husk_seccomp_compile(const struct husk_seccomp *seccomp, const struct husk_warner *w,
                         struct husk_seccomp_bpf *out, husk_error_t *err);

/* Load a compiled filter into the calling thread (no_new_privs as for
 * husk_seccomp_load). */
int husk_seccomp_load_bpf(const struct husk_seccomp_bpf *bpf, husk_error_t *err);

void husk_seccomp_bpf_free(struct husk_seccomp_bpf *bpf);

/* What a seccomp agent is told besides the fd. */
struct husk_seccomp_agent_info {
  pid_t pid;              /* the process as the runtime sees it */
  const char *metadata;   /* linux.seccomp.listenerMetadata, may be NULL */
  const char *state_json; /* the OCI state; NULL: a minimal one from id/bundle */
  const char *id;
  const char *bundle;
};

/* The container process state sent to a seccomp agent, as JSON (caller
 * frees): ociVersion, fds ["seccompFd"], pid, metadata (when set), state. */
char *husk_seccomp_process_state(const struct husk_seccomp_agent_info *info);

/* Connect to the agent's unix socket at linux.seccomp.listenerPath. */
int husk_seccomp_listener_connect(const char *listener_path, int *sock, husk_error_t *err);

/* Send the process state over a connected `sock` with `notify_fd` attached
 * (SCM_RIGHTS, with the first bytes only); the caller closes the socket,
 * since the spec allows one state per connection. */
int husk_seccomp_listener_send(int sock, int notify_fd, const struct husk_seccomp_agent_info *info,
                               husk_error_t *err);

#endif
