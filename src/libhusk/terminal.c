/* husk — terminals: the pty of process.terminal, --console-socket, fd passing
 * and the relay of a foreground `run`.
 *
 * The console socket protocol is runc's: one sendmsg on a SOCK_STREAM
 * connection carrying the pty master as SCM_RIGHTS and the master's name
 * ("/dev/ptmx") as data.  runc's recvtty, containerd, conmon and podman
 * read exactly that. */
#include "config.h"

#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* runc refuses names this long (utils.MaxNameLen); so do its readers. */
#define FD_PAYLOAD_MAX 4096
#define PTMX_NAME "/dev/ptmx"

int husk_fd_send(int sock, int fd, const char *payload, husk_error_t *err) {
  /* A stream socket carries no ancillary data without at least one byte. */
  const char *data = payload && payload[0] ? payload : "";
  size_t len = payload && payload[0] ? strlen(payload) : 1;
  if (len >= FD_PAYLOAD_MAX)
    return husk_error_set_quiet(err, ENAMETOOLONG, "send fd: payload of %zu bytes is too long",
                                len);

  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof(control.buf),
  };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

  ssize_t n;
  while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return husk_error_set(err, errno, "send fd");
  /* The fd went with the first byte; finish the name if the socket split it. */
  for (size_t off = (size_t)n; off < len;) {
    ssize_t m = send(sock, data + off, len - off, MSG_NOSIGNAL);
    if (m < 0 && errno == EINTR)
      continue;
    if (m < 0)
      return husk_error_set(err, errno, "send fd");
    off += (size_t)m;
  }
  return 0;
}

static void close_received(struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      close(fd);
    }
  }
}

int husk_fd_recv(int sock, int *fd, char *payload, size_t payload_size, husk_error_t *err) {
  char scratch[1];
  char *buf = payload && payload_size > 1 ? payload : scratch;
  size_t cap = payload && payload_size > 1 ? payload_size - 1 : sizeof(scratch);
  /* Room for a few fds so that a sender passing more is noticed, not truncated. */
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(4 * sizeof(int))];
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = buf, .iov_len = cap};
  struct msghdr msg = {
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof(control.buf),
  };
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return husk_error_set(err, errno, "receive fd");
  if (n == 0)
    return husk_error_set_quiet(err, ECONNRESET, "receive fd: peer closed the connection");

  int got = -1, count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      count += (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      memcpy(&got, CMSG_DATA(c), sizeof(int));
    }
  if (count != 1 || (msg.msg_flags & MSG_CTRUNC)) {
    close_received(&msg);
    return husk_error_set_quiet(err, EBADMSG, "receive fd: expected one file descriptor, got %d%s",
                                count, (msg.msg_flags & MSG_CTRUNC) ? " (truncated)" : "");
  }
  if (buf == payload)
    payload[n] = '\0';
  else if (payload && payload_size > 0)
    payload[0] = '\0';
  *fd = got;
  return 0;
}

static int set_winsize(int fd, uint64_t height, uint64_t width, husk_error_t *err) {
  if (height > USHRT_MAX || width > USHRT_MAX)
    return husk_error_set(err, ERANGE,
                          "process.consoleSize: %" PRIu64 "x%" PRIu64 " is larger than %ux%u",
                          height, width, USHRT_MAX, USHRT_MAX);
  struct winsize ws = {.ws_row = (unsigned short)height, .ws_col = (unsigned short)width};
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
    return husk_error_set(err, errno, "set terminal size %" PRIu64 "x%" PRIu64, height, width);
  return 0;
}

int husk_pty_open(const struct husk_process *process, int *master, int *slave, char **slave_path,
                  husk_error_t *err) {
  _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return husk_error_set(err, errno, "open /dev/ptmx");
  if (unlockpt(m) < 0)
    return husk_error_set(err, errno, "unlockpt /dev/ptmx");
  char name[PATH_MAX];
  int e = ptsname_r(m, name, sizeof(name));
  if (e != 0)
    return husk_error_set(err, e, "ptsname /dev/ptmx");
  /* TIOCGPTPEER (Linux 4.13) opens the peer of this very master, so a
   * container cannot swap /dev/pts/N under us; the path is the fallback. */
  _cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0 && (errno == EINVAL || errno == ENOTTY))
    s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return husk_error_set(err, errno, "open pty %s", name);
  /* runc resizes only when both are given; a 0x0 terminal helps no one. */
  if (process && process->has_console_size && process->console_size.height > 0 &&
      process->console_size.width > 0 &&
      set_winsize(m, process->console_size.height, process->console_size.width, err) < 0)
    return -1;
  if (slave_path)
    *slave_path = husk_xstrdup(name);
  *master = husk_steal_fd(m);
  *slave = husk_steal_fd(s);
  return 0;
}

int husk_pty_make_controlling(int slave, husk_error_t *err) {
  /* EPERM: already a process group leader; fine if we lead the session. */
  if (setsid() < 0 && !(errno == EPERM && getsid(0) == getpid()))
    return husk_error_set(err, errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return husk_error_set(err, errno, "make the pty the controlling terminal");
  for (int fd = 0; fd <= 2; fd++)
    if (slave != fd && dup2(slave, fd) < 0)
      return husk_error_set(err, errno, "dup the pty onto fd %d", fd);
  return 0;
}

int husk_console_socket_send(const char *path, int master, husk_error_t *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  _cleanup_close_ int path_fd = -1;
  if (strlen(path) < sizeof(addr.sun_path)) {
    strcpy(addr.sun_path, path);
  } else {
    /* Too long for sun_path: reach it through an O_PATH fd, as podman does. */
    path_fd = open(path, O_PATH | O_CLOEXEC);
    if (path_fd < 0)
      return husk_error_set(err, errno, "console socket %s", path);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d", path_fd);
  }
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return husk_error_set(err, errno, "console socket %s: socket", path);
  int r;
  while ((r = connect(sock, (struct sockaddr *)&addr, sizeof(addr))) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return husk_error_set(err, errno, "console socket %s: connect", path);
  if (husk_fd_send(sock, master, PTMX_NAME, err) < 0)
    return husk_error_prefix(err, "console socket %s", path);
  return 0;
}

/* ---- the relay of a foreground `run` ---- */

struct relay_buf {
  char data[8192];
  size_t len, off;
};

/* Reads into an empty buffer; returns 0 on EOF/EIO (the end), 1 otherwise. */
static int relay_fill(int fd, struct relay_buf *b) {
  ssize_t n = read(fd, b->data, sizeof(b->data));
  if (n > 0) {
    b->len = (size_t)n;
    b->off = 0;
    return 1;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  return 0;
}

/* Writes what the sink takes; returns 0 when the sink is gone. */
static int relay_flush(int fd, struct relay_buf *b) {
  while (b->off < b->len) {
    ssize_t n = write(fd, b->data + b->off, b->len - b->off);
    if (n > 0) {
      b->off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return 1;
    b->len = b->off = 0;
    return 0;
  }
  b->len = b->off = 0;
  return 1;
}

static void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
    ioctl(to, TIOCSWINSZ, &ws);
}

/* What the relay changed and must put back. */
struct relay_restore {
  bool raw;
  struct termios saved;
  bool masked;
  sigset_t old_mask;
  int master_flags;
};

static void relay_setup(int master, int *sigfd, struct relay_restore *rs) {
  /* runc clears ONLCR on the container's pty: our own tty already turns \n
   * into \r\n, and piped output should carry plain \n. */
  struct termios t;
  if (tcgetattr(master, &t) == 0) {
    t.c_oflag &= ~(tcflag_t)ONLCR;
    tcsetattr(master, TCSANOW, &t);
  }
  /* Keystrokes go to the container untouched (^C included); output
   * processing stays on so our terminal renders newlines. */
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &rs->saved) == 0) {
    t = rs->saved;
    cfmakeraw(&t);
    t.c_oflag |= OPOST;
    rs->raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    copy_winsize(STDIN_FILENO, master);
  }
  /* Only the master becomes non-blocking: our stdin/stdout are shared with
   * the shell that started us. */
  rs->master_flags = fcntl(master, F_GETFL);
  if (rs->master_flags >= 0)
    fcntl(master, F_SETFL, rs->master_flags | O_NONBLOCK);
  /* SIGWINCH through a signalfd: no handler, no global state. */
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  rs->masked = sigprocmask(SIG_BLOCK, &winch, &rs->old_mask) == 0;
  *sigfd = rs->raw ? signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK) : -1;
}

static void relay_teardown(int master, int sigfd, struct relay_restore *rs) {
  if (sigfd >= 0)
    close(sigfd);
  if (rs->masked) {
    /* Drop a SIGWINCH raised meanwhile rather than deliver it late. */
    sigset_t winch, pending;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    sigpending(&pending);
    if (sigismember(&pending, SIGWINCH) && !sigismember(&rs->old_mask, SIGWINCH)) {
      const struct timespec zero = {0, 0};
      sigtimedwait(&winch, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &rs->old_mask, NULL);
  }
  if (rs->master_flags >= 0)
    fcntl(master, F_SETFL, rs->master_flags);
  if (rs->raw)
    tcsetattr(STDIN_FILENO, TCSADRAIN, &rs->saved);
}

int husk_pty_relay(int master, husk_error_t *err) {
  struct relay_restore rs = {.master_flags = -1};
  int sigfd = -1;
  relay_setup(master, &sigfd, &rs);

  struct relay_buf *in = husk_xcalloc(1, sizeof(*in));   /* stdin -> master */
  struct relay_buf *out = husk_xcalloc(1, sizeof(*out)); /* master -> stdout */
  bool stdin_open = true, stdout_open = true, master_open = true;
  int ret = 0;
  while (master_open || out->len > out->off) {
    struct pollfd fds[4];
    nfds_t n = 0;
    int i_sig = -1, i_in = -1, i_master = -1, i_out = -1;
    if (sigfd >= 0)
      i_sig = (int)n, fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
    if (stdin_open && in->len == 0)
      i_in = (int)n, fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    /* Not polled while its output waits for stdout: a hangup would spin. */
    short master_ev = (short)((out->len == 0 ? POLLIN : 0) | (in->len > 0 ? POLLOUT : 0));
    if (master_open && master_ev != 0)
      i_master = (int)n, fds[n++] = (struct pollfd){.fd = master, .events = master_ev};
    if (out->len > 0)
      i_out = (int)n, fds[n++] = (struct pollfd){.fd = STDOUT_FILENO, .events = POLLOUT};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      ret = husk_error_set(err, errno, "terminal relay: poll");
      break;
    }
    /* A resize first, so that input typed after it sees the new size. */
    if (i_sig >= 0 && fds[i_sig].revents) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        ;
      copy_winsize(STDIN_FILENO, master);
    }
    if (i_in >= 0 && fds[i_in].revents && !relay_fill(STDIN_FILENO, in))
      stdin_open = false; /* like runc: the container keeps its terminal */
    if (i_master >= 0 && (fds[i_master].revents & POLLOUT) && !relay_flush(master, in))
      stdin_open = false;
    if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR)) && out->len == 0 &&
        !relay_fill(master, out))
      master_open = false; /* EIO: the last slave fd closed */
    if (i_out >= 0 && fds[i_out].revents && !relay_flush(STDOUT_FILENO, out))
      stdout_open = false;
    if (!stdout_open)
      out->len = out->off = 0; /* nobody to show it to; keep draining */
    if (!master_open)
      in->len = in->off = 0;
  }
  free(in);
  free(out);
  relay_teardown(master, sigfd, &rs);
  return ret;
}
