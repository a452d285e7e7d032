/* husk — terminals: the pty of process.terminal, --console-socket, fd passing. */
#ifndef HUSK_TERMINAL_H
#define HUSK_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>

#include "husk/error.h"
#include "husk/spec.h"

/* Send / receive one fd with SCM_RIGHTS over a unix socket, with a small
 * payload (runc sends the pty master with the payload "/dev/ptmx"-like name). */
int husk_fd_send(int sock, int fd, const char *payload, husk_error_t *err);
int husk_fd_recv(int sock, int *fd, char *payload, size_t payload_size, husk_error_t *err);

/* In the container (after /dev/pts is mounted): open a new pty from
 * /dev/ptmx, set its size from process.consoleSize when given, and return
 * the master and the opened slave. */
int husk_pty_open(const struct husk_process *process, int *master, int *slave, char **slave_path,
                  husk_error_t *err);

/* Make `slave` the controlling terminal and fds 0,1,2 of the caller (a new
 * session).  `slave` itself stays open: the caller closes it if above 2. */
int husk_pty_make_controlling(int slave, husk_error_t *err);

/* Connect to the unix socket at `path` and send the pty master over it, as
 * runc does for --console-socket (payload "/dev/ptmx"; a path longer than
 * sun_path is reached through /proc/self/fd). */
int husk_console_socket_send(const char *path, int master, husk_error_t *err);

/* Foreground `run` with a terminal and no --console-socket: copy between our
 * stdin/stdout and the master until the master hangs up; puts our tty in raw
 * mode meanwhile and restores it. Returns when the container's side closes. */
int husk_pty_relay(int master, husk_error_t *err);

#endif
