/* Unit tests of src/libhusk/terminal.c: fd passing, the pty of
 * process.terminal and its size, --console-socket as runc's peers read it,
 * and the relay of a foreground run (raw mode, SIGWINCH, hangup). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "terminal.h"
#include "util.h"

static char *const shell_env[] = {"PATH=/usr/bin:/bin", NULL};

/* Reads fd into buf until `needle` shows up, EOF/EIO, or timeout_ms passes. */
static bool read_until(int fd, const char *needle, char *buf, size_t size, int timeout_ms) {
  size_t len = strlen(buf);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!strstr(buf, needle)) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int elapsed =
        (int)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    if (elapsed >= timeout_ms || len + 1 >= size)
      return false;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms - elapsed) <= 0)
      continue;
    ssize_t n = read(fd, buf + len, size - len - 1);
    if (n <= 0)
      return strstr(buf, needle) != NULL;
    len += (size_t)n;
    buf[len] = '\0';
  }
  return true;
}

/* Runs `sh -c script` on the pty slave as its controlling terminal. */
static pid_t spawn_on_pty(int master, int slave, const char *script) {
  pid_t pid = fork();
  if (pid == 0) {
    husk_error_t err = {0};
    close(master);
    if (husk_pty_make_controlling(slave, &err) < 0)
      _exit(120);
    if (slave > 2)
      close(slave);
    execle("/bin/sh", "sh", "-c", script, (char *)NULL, shell_env);
    _exit(127);
  }
  return pid;
}

static int wait_status(pid_t pid) {
  int status = -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int count_fds(void) {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) >= 0)
      n++;
  return n;
}

static void test_fd_passing(void) {
  husk_error_t err = {0};
  int sv[2], p[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(p, O_CLOEXEC) < 0) {
    tap_ok(0, "socketpair/pipe: %s", strerror(errno));
    return;
  }
  tap_ok(husk_fd_send(sv[0], p[1], "hello", &err) == 0, "send a pipe's write end");
  int got = -1;
  char payload[64] = "junk";
  tap_ok(husk_fd_recv(sv[1], &got, payload, sizeof(payload), &err) == 0 && got >= 0, "receive it");
  tap_ok(strcmp(payload, "hello") == 0, "the payload arrives (\"%s\")", payload);
  tap_ok(got != p[1] && (fcntl(got, F_GETFD) & FD_CLOEXEC), "the received fd is new and CLOEXEC");
  char c = 0;
  tap_ok(write(got, "x", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'x',
         "the received fd is the same pipe");
  close(got);

  /* No payload at all still carries the fd (one NUL byte goes along). */
  tap_ok(husk_fd_send(sv[0], p[1], NULL, &err) == 0 &&
             husk_fd_recv(sv[1], &got, payload, sizeof(payload), &err) == 0 && payload[0] == '\0',
         "an fd without payload");
  close(got);

  /* Two fds where one is expected: refused, and none of them leaks. */
  int before = count_fds();
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(2 * sizeof(int))];
  } control = {0};
  struct iovec iov = {.iov_base = "2", .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(2 * sizeof(int));
  memcpy(CMSG_DATA(cmsg), p, sizeof(p));
  sendmsg(sv[0], &msg, 0);
  int r = husk_fd_recv(sv[1], &got, payload, sizeof(payload), &err);
  tap_ok(r < 0 && err.msg &&
             strcmp(err.msg, "receive fd: expected one file descriptor, got 2") == 0,
         "two fds are refused: %s", err.msg);
  tap_ok(count_fds() == before, "and closed");
  husk_error_clear(&err);

  close(sv[0]);
  r = husk_fd_recv(sv[1], &got, payload, sizeof(payload), &err);
  tap_ok(r < 0 && err.msg && strstr(err.msg, "peer closed"), "a closed peer: %s", err.msg);
  husk_error_clear(&err);
  close(sv[1]);
  close(p[0]);
  close(p[1]);
}

static void test_pty_open(void) {
  husk_error_t err = {0};
  struct husk_process proc = {
      .terminal = true, .has_console_size = true, .console_size = {.height = 25, .width = 93}};
  int master = -1, slave = -1;
  char *path = NULL;
  int r = husk_pty_open(&proc, &master, &slave, &path, &err);
  tap_ok(r == 0, "open a pty (%s)", err.msg ? err.msg : "");
  if (r < 0)
    return;
  tap_ok(path && strncmp(path, "/dev/pts/", 9) == 0, "the slave path is %s", path);
  tap_ok((fcntl(master, F_GETFD) & FD_CLOEXEC) && (fcntl(slave, F_GETFD) & FD_CLOEXEC),
         "master and slave are CLOEXEC");
  pid_t pid = spawn_on_pty(master, slave, "tty; stty size");
  close(slave);
  char buf[512] = "";
  read_until(master, "\n25 93", buf, sizeof(buf), 5000);
  tap_ok(strstr(buf, "25 93") != NULL, "stty size on the slave sees consoleSize 25x93");
  tap_ok(strstr(buf, path) != NULL, "the slave is the controlling tty (tty says %s)", path);
  tap_ok(wait_status(pid) == 0, "the shell on the pty exits 0");
  close(master);
  free(path);

  proc.console_size.height = 70000;
  r = husk_pty_open(&proc, &master, &slave, NULL, &err);
  tap_ok(r < 0 && err.msg && strstr(err.msg, "process.consoleSize: 70000x93 is larger"),
         "an oversized consoleSize is refused: %s", err.msg);
  husk_error_clear(&err);

  r = husk_pty_open(NULL, &master, &slave, NULL, &err);
  tap_ok(r == 0, "open a pty without a process");
  if (r == 0) {
    close(master);
    close(slave);
  }
}

static int listen_on(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path)) {
    /* Bind through the directory for paths too long for sun_path. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dfd, slash + 1);
    int r = bind(s, (struct sockaddr *)&addr, sizeof(addr));
    close(dfd);
    if (r < 0)
      return -1;
  } else {
    strcpy(addr.sun_path, path);
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
      return -1;
  }
  if (listen(s, 1) < 0)
    return -1;
  return s;
}

static void test_console_socket(void) {
  husk_error_t err = {0};
  char dir[] = "/tmp/husk-test-console.XXXXXX";
  if (mkdtemp(dir) == NULL) {
    tap_ok(0, "mkdtemp");
    return;
  }
  char sock_path[256];
  snprintf(sock_path, sizeof(sock_path), "%s/console.sock", dir);
  int listener = listen_on(sock_path);
  int master = -1, slave = -1;
  if (listener < 0 || husk_pty_open(NULL, &master, &slave, NULL, &err) < 0) {
    tap_ok(0, "console socket setup: %s", err.msg ? err.msg : strerror(errno));
    return;
  }
  int r = husk_console_socket_send(sock_path, master, &err);
  tap_ok(r == 0, "send the master to the console socket (%s)", err.msg ? err.msg : "");
  close(master);
  int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  int got = -1;
  char name[4096] = "";
  r = husk_fd_recv(conn, &got, name, sizeof(name), &err);
  tap_ok(r == 0 && strcmp(name, "/dev/ptmx") == 0,
         "the listener receives one fd named \"/dev/ptmx\" as runc sends it (\"%s\")", name);
  close(conn);
  if (r == 0) {
    pid_t pid = spawn_on_pty(got, slave, "read x; echo \"got:$x\"");
    close(slave);
    char buf[512] = "";
    tap_ok(write(got, "ping\n", 5) == 5 && read_until(got, "got:ping", buf, sizeof(buf), 5000),
           "through the received master, a shell on the slave answers");
    tap_ok(wait_status(pid) == 0, "the shell exits 0");
    close(got);
  }
  unlink(sock_path);
  close(listener);

  /* A socket path longer than sun_path (podman's can be). */
  char deep[512];
  snprintf(deep, sizeof(deep), "%s/%s", dir,
           "a-rather-long-directory-name-to-push-the-socket-path-past-108-characters");
  mkdir(deep, 0700);
  char long_path[PATH_MAX];
  snprintf(long_path, sizeof(long_path), "%s/console-socket-with-a-long-name.sock", deep);
  listener = listen_on(long_path);
  if (listener >= 0 && husk_pty_open(NULL, &master, &slave, NULL, &err) == 0) {
    r = husk_console_socket_send(long_path, master, &err);
    conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    got = -1;
    tap_ok(r == 0 && husk_fd_recv(conn, &got, name, sizeof(name), &err) == 0,
           "a %zu-character socket path works (%s)", strlen(long_path), err.msg ? err.msg : "");
    close(got);
    close(conn);
    close(master);
    close(slave);
    close(listener);
  } else {
    tap_ok(0, "long socket path setup");
  }
  unlink(long_path);
  rmdir(deep);

  char missing[PATH_MAX];
  snprintf(missing, sizeof(missing), "%s/none.sock", dir);
  husk_error_clear(&err);
  r = husk_console_socket_send(missing, 0, &err);
  char want[PATH_MAX + 64];
  snprintf(want, sizeof(want), "console socket %s: connect: No such file or directory", missing);
  tap_ok(r < 0 && err.msg && strcmp(err.msg, want) == 0, "a missing socket: %s", err.msg);
  husk_error_clear(&err);
  rmdir(dir);
}

/* The runtime side of the relay test: our stdin/stdout are `tty` (the user's
 * terminal), a shell runs on a fresh pty, and husk_pty_relay joins them. */
__attribute__((noreturn)) static void relay_child(int tty, bool ctty, const char *script) {
  husk_error_t err = {0};
  if (ctty && (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0) < 0))
    _exit(110);
  int master = -1, slave = -1;
  struct husk_process proc = {
      .terminal = true, .has_console_size = true, .console_size = {.height = 10, .width = 20}};
  if (husk_pty_open(&proc, &master, &slave, NULL, &err) < 0)
    _exit(111);
  pid_t sh = spawn_on_pty(master, slave, script);
  close(slave);
  int r = husk_pty_relay(master, &err);
  close(master);
  int st = wait_status(sh);
  _exit(r < 0 ? 112 : st);
}

static void test_relay_tty(void) {
  /* The user's terminal: a pty whose slave becomes the runtime's stdin/stdout. */
  int user_master = -1, user_slave = -1;
  husk_error_t err = {0};
  struct husk_process proc = {
      .terminal = true, .has_console_size = true, .console_size = {.height = 24, .width = 80}};
  if (husk_pty_open(&proc, &user_master, &user_slave, NULL, &err) < 0) {
    tap_ok(0, "relay setup: %s", err.msg);
    return;
  }
  struct termios before;
  tcgetattr(user_slave, &before);
  pid_t pid = fork();
  if (pid == 0) {
    close(user_master);
    dup2(user_slave, 0);
    dup2(user_slave, 1);
    relay_child(user_slave, true, "read a; stty size; read b; stty size; echo \"got:$a:$b\"");
  }
  char buf[4096] = "";
  tap_ok(write(user_master, "one\r", 4) == 4 &&
             read_until(user_master, "24 80", buf, sizeof(buf), 5000),
         "the container's pty takes our terminal's size 24x80");
  struct termios during;
  tcgetattr(user_slave, &during);
  tap_ok(!(during.c_lflag & ICANON) && !(during.c_lflag & ECHO) && (during.c_oflag & OPOST),
         "our terminal is raw (output processing kept) while relaying");

  struct winsize ws = {.ws_row = 33, .ws_col = 77};
  ioctl(user_master, TIOCSWINSZ, &ws);
  usleep(200 * 1000); /* let SIGWINCH travel before the next line */
  tap_ok(write(user_master, "two\r", 4) == 4 &&
             read_until(user_master, "got:one:two", buf, sizeof(buf), 5000),
         "keystrokes reach the container");
  tap_ok(strstr(buf, "33 77") != NULL, "a SIGWINCH resize is forwarded (33x77)");
  tap_ok(wait_status(pid) == 0, "the relay returns when the container side hangs up");
  struct termios after;
  tcgetattr(user_slave, &after);
  tap_ok(after.c_lflag == before.c_lflag && after.c_iflag == before.c_iflag &&
             after.c_oflag == before.c_oflag,
         "our terminal's mode is restored");
  close(user_master);
  close(user_slave);
}

static void test_relay_pipes(void) {
  int in[2], out[2];
  if (pipe(in) < 0 || pipe(out) < 0) {
    tap_ok(0, "pipes");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    relay_child(-1, false, "read x; echo \"got:$x\"; echo done");
  }
  close(in[0]);
  close(out[1]);
  /* Input then EOF: the relay keeps running until the shell is done. */
  tap_ok(write(in[1], "hello\n", 6) == 6, "write to the relay's stdin pipe");
  close(in[1]);
  char buf[4096] = "";
  read_until(out[0], "done", buf, sizeof(buf), 5000);
  tap_ok(strstr(buf, "got:hello\n") != NULL && !strstr(buf, "\r\n"),
         "without a tty, plain copying and plain \\n (ONLCR cleared, as runc)");
  tap_ok(wait_status(pid) == 0, "the relay returns when the shell exits");
  close(out[0]);
}

int main(void) {
  if (access("/dev/ptmx", R_OK | W_OK) < 0) {
    printf("1..0 # SKIP no /dev/ptmx\n");
    return 0;
  }
  test_fd_passing();
  test_pty_open();
  test_console_socket();
  test_relay_tty();
  test_relay_pipes();
  return tap_done();
}
