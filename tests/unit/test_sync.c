/* Unit tests of sync.c: the typed messages between the runtime and the
 * container's init, with the fds they carry (a pty master; the v1 `tasks`
 * files the init moves itself with) and payloads larger than a socket
 * buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync.h"
#include "tap.h"

static int open_fds(void) {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) >= 0)
      n++;
  return n;
}

static void test_fds(int s[2]) {
  husk_error_t err = {0};
  struct husk_sync_msg msg = {0};

  tap_ok(husk_sync_send(s[0], HUSK_SYNC_PARENT_READY, NULL, -1, &err) == 0 &&
             husk_sync_expect(s[1], HUSK_SYNC_PARENT_READY, &msg, &err) == 0,
         "a message without fd or payload");
  tap_ok(msg.nfds == 0 && msg.payload == NULL && husk_sync_msg_take_fd(&msg) == -1,
         "...carries none");
  husk_sync_msg_free(&msg);

  int pipe_fds[2];
  tap_ok(pipe(pipe_fds) == 0, "pipe");
  tap_ok(husk_sync_send(s[0], HUSK_SYNC_PTY_MASTER, NULL, pipe_fds[1], &err) == 0 &&
             husk_sync_expect(s[1], HUSK_SYNC_PTY_MASTER, &msg, &err) == 0 && msg.nfds == 1,
         "one fd");
  int got = husk_sync_msg_take_fd(&msg);
  husk_sync_msg_free(&msg); /* must not close the fd taken */
  tap_ok(got >= 0 && write(got, "x", 1) == 1, "the fd taken is ours and still open");
  char c = 0;
  tap_ok(read(pipe_fds[0], &c, 1) == 1 && c == 'x', "...and is the pipe that was sent");
  tap_ok((fcntl(got, F_GETFD) & FD_CLOEXEC) != 0, "received fds are close-on-exec");
  close(got);
  close(pipe_fds[1]);

  /* As many fds as a v1 host has hierarchies, and more. */
  int before = open_fds();
  int many[HUSK_SYNC_MAX_FDS];
  for (int i = 0; i < HUSK_SYNC_MAX_FDS; i++)
    many[i] = dup(pipe_fds[0]);
  tap_ok(husk_sync_send_fds(s[0], HUSK_SYNC_IN_CGROUP, many, 9, &err) == 0 &&
             husk_sync_expect(s[1], HUSK_SYNC_IN_CGROUP, &msg, &err) == 0,
         "nine fds in one message");
  tap_ok(msg.nfds == 9, "...all nine arrive (%zu)", msg.nfds);
  bool distinct = true;
  for (size_t i = 0; i < msg.nfds; i++) {
    struct stat a, b;
    distinct = distinct && fstat(msg.fds[i], &a) == 0 && fstat(pipe_fds[0], &b) == 0 &&
               a.st_ino == b.st_ino;
  }
  tap_ok(distinct, "...each the file that was sent");
  husk_sync_msg_free(&msg);
  tap_ok(husk_sync_send_fds(s[0], HUSK_SYNC_IN_CGROUP, many, HUSK_SYNC_MAX_FDS, &err) == 0 &&
             husk_sync_expect(s[1], HUSK_SYNC_IN_CGROUP, &msg, &err) == 0 &&
             msg.nfds == HUSK_SYNC_MAX_FDS,
         "HUSK_SYNC_MAX_FDS fds");
  husk_sync_msg_free(&msg);
  for (int i = 0; i < HUSK_SYNC_MAX_FDS; i++)
    close(many[i]);
  tap_ok(open_fds() == before, "freeing a message closes its fds (%d open, %d before)", open_fds(),
         before);
  int extra[HUSK_SYNC_MAX_FDS + 1];
  for (int i = 0; i <= HUSK_SYNC_MAX_FDS; i++)
    extra[i] = pipe_fds[0];
  int refused = husk_sync_send_fds(s[0], HUSK_SYNC_IN_CGROUP, extra, HUSK_SYNC_MAX_FDS + 1, &err);
  tap_ok(refused < 0 && err.errnum == EMSGSIZE, "more than HUSK_SYNC_MAX_FDS is refused: %s",
         err.msg ? err.msg : "(sent)");
  husk_error_clear(&err);
  close(pipe_fds[0]);
}

/* A payload far larger than a socket buffer, from another process. */
static void test_payload(int s[2]) {
  husk_error_t err = {0};
  size_t len = 3 * 1024 * 1024 + 17;
  char *big = malloc(len + 1);
  for (size_t i = 0; i < len; i++)
    big[i] = (char)('a' + i % 26);
  big[len] = '\0';
  pid_t pid = fork();
  if (pid == 0)
    _exit(husk_sync_send(s[0], HUSK_SYNC_START_STATE, big, -1, NULL) == 0 ? 0 : 1);
  struct husk_sync_msg msg = {0};
  tap_ok(husk_sync_expect(s[1], HUSK_SYNC_START_STATE, &msg, &err) == 0, "a 3 MiB payload");
  tap_ok(msg.len == len && msg.payload && memcmp(msg.payload, big, len) == 0 &&
             msg.payload[len] == '\0',
         "...arrives whole and NUL-terminated");
  int status;
  waitpid(pid, &status, 0);
  husk_sync_msg_free(&msg);
  free(big);

  tap_ok(husk_sync_send(s[0], HUSK_SYNC_ERROR, "it broke", -1, &err) == 0 &&
             husk_sync_expect(s[1], HUSK_SYNC_CREATED, &msg, &err) < 0 && err.msg &&
             strcmp(err.msg, "it broke") == 0,
         "an ERROR message becomes the error of expect");
  husk_error_clear(&err);
  tap_ok(husk_sync_send(s[0], HUSK_SYNC_RUN_HOOKS, NULL, -1, &err) == 0 &&
             husk_sync_expect(s[1], HUSK_SYNC_CREATED, &msg, &err) < 0 && err.errnum == EPROTO,
         "an unexpected type is EPROTO");
  husk_error_clear(&err);
}

int main(void) {
  int s[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0) {
    tap_ok(0, "socketpair: %s", strerror(errno));
    return tap_done();
  }
  test_fds(s);
  test_payload(s);
  close(s[0]);
  husk_error_t err = {0};
  struct husk_sync_msg msg = {0};
  int closed = husk_sync_recv(s[1], &msg, &err);
  tap_ok(closed < 0 && err.msg && strstr(err.msg, "exited before it was ready"),
         "a closed peer: %s", err.msg ? err.msg : "(no error)");
  husk_error_clear(&err);
  close(s[1]);
  return tap_done();
}
