/* husk — the parent and the container's init talk over one SOCK_SEQPACKET
 * socketpair with small typed messages (DESIGN.md). */
#ifndef HUSK_SYNC_H
#define HUSK_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "husk/error.h"

enum husk_sync_type {
  HUSK_SYNC_PARENT_READY = 1, /* parent → init: uid/gid maps written */
  HUSK_SYNC_IN_CGROUP,        /* parent → init: placed in the container's cgroup (every
                                 hierarchy, the systemd scope): a cgroup namespace made
                                 now is rooted there; or, with fds, the v1 `tasks` files
                                 the init moves itself with */
  HUSK_SYNC_RUN_HOOKS,        /* init → parent: namespaces and mounts ready, run the
                                 prestart and createRuntime hooks */
  HUSK_SYNC_HOOKS_DONE,       /* parent → init: network devices moved, hooks run;
                                 payload: state JSON (status "creating") */
  HUSK_SYNC_START_STATE,      /* parent → init: payload: state JSON for startContainer */
  HUSK_SYNC_HOST_PID,         /* parent → init: payload: the init's pid on the host */
  HUSK_SYNC_PTY_MASTER,       /* init → parent: the pty master, as SCM_RIGHTS */
  HUSK_SYNC_CREATED,          /* init → parent: ready, waiting for `start` */
  HUSK_SYNC_ERROR,            /* init → parent: payload: the error message */
};

/* The largest payload: the state JSON, which carries the annotations of a
 * config of up to 16 MiB (and their JSON escaping). */
#define HUSK_SYNC_MAX_PAYLOAD (64 * 1024 * 1024)

/* The most fds one message carries: a v1 host's hierarchies. */
#define HUSK_SYNC_MAX_FDS 32

struct husk_sync_msg {
  enum husk_sync_type type;
  char *payload; /* NUL-terminated, NULL when empty; caller frees */
  size_t len;
  int fds[HUSK_SYNC_MAX_FDS]; /* received fds (SCM_RIGHTS); freeing closes those >= 0 */
  size_t nfds;
};

/* `fd` (-1: none) rides along as SCM_RIGHTS. */
int husk_sync_send(int sock, enum husk_sync_type type, const char *payload, int fd,
                   husk_error_t *err);
/* No payload, up to HUSK_SYNC_MAX_FDS fds. */
int husk_sync_send_fds(int sock, enum husk_sync_type type, const int *fds, size_t nfds,
                       husk_error_t *err);
/* The first fd of a message, now the caller's; -1 when it carried none. */
int husk_sync_msg_take_fd(struct husk_sync_msg *msg);
/* Receive one message; a closed peer is an error "init exited before ...". */
int husk_sync_recv(int sock, struct husk_sync_msg *msg, husk_error_t *err);
/* Receive and insist on one type; an HUSK_SYNC_ERROR message becomes err. */
int husk_sync_expect(int sock, enum husk_sync_type type, struct husk_sync_msg *msg,
                     husk_error_t *err);
void husk_sync_msg_free(struct husk_sync_msg *msg);

#endif
