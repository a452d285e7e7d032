/* husk — typed messages between the runtime and the container's init. */
#include "sync.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* One packet with the header (and the fd), then the payload in packets of
 * at most SYNC_CHUNK bytes: a socket buffer holds far less than a large
 * state (100 000 annotations), and a seqpacket must fit in it whole. */
#define SYNC_CHUNK (32 * 1024)

struct wire_header {
  uint32_t type;
  uint32_t len;
};

/* Room for HUSK_SYNC_MAX_FDS fds, aligned as CMSG_FIRSTHDR needs. */
union control {
  char buf[CMSG_SPACE(HUSK_SYNC_MAX_FDS * sizeof(int))];
  struct cmsghdr align;
};

static ssize_t send_packet(int sock, struct msghdr *mh) {
  ssize_t n;
  do
    n = sendmsg(sock, mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

/* A peer that exits with a message of ours still unread (an init that fails
 * before it reads IN_CGROUP) sets ECONNRESET on our socket, which the next
 * recvmsg reports once, before the messages the peer sent us first (its
 * ERROR): read on, they are still queued. */
static ssize_t recv_packet(int sock, struct msghdr *mh) {
  bool reset_seen = false;
  for (;;) {
    ssize_t n = recvmsg(sock, mh, MSG_CMSG_CLOEXEC);
    if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset_seen)))
      return n;
    if (errno == ECONNRESET)
      reset_seen = true;
  }
}

static int send_message(int sock, enum husk_sync_type type, const char *payload, const int *fds,
                        size_t nfds, husk_error_t *err) {
  size_t len = payload ? strlen(payload) : 0;
  if (len > HUSK_SYNC_MAX_PAYLOAD)
    return husk_error_set(err, EMSGSIZE, "sync message %d: %zu bytes, more than %d", type, len,
                          HUSK_SYNC_MAX_PAYLOAD);
  if (nfds > HUSK_SYNC_MAX_FDS)
    return husk_error_set(err, EMSGSIZE, "sync message %d: %zu fds, more than %d", type, nfds,
                          HUSK_SYNC_MAX_FDS);
  struct wire_header hdr = {.type = type, .len = (uint32_t)len};
  struct iovec iov = {.iov_base = &hdr, .iov_len = sizeof(hdr)};
  union control control; /* aligned for struct cmsghdr */
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    memset(&control, 0, sizeof(control));
    mh.msg_control = control.buf;
    mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
  }
  if (send_packet(sock, &mh) < 0)
    return husk_error_set(err, errno, "send sync message %d", type);
  for (size_t off = 0; off < len; off += SYNC_CHUNK) {
    struct iovec part = {.iov_base = (void *)(payload + off),
                         .iov_len = len - off < SYNC_CHUNK ? len - off : SYNC_CHUNK};
    struct msghdr pm = {.msg_iov = &part, .msg_iovlen = 1};
    if (send_packet(sock, &pm) < 0)
      return husk_error_set(err, errno, "send sync message %d", type);
  }
  return 0;
}

int husk_sync_send(int sock, enum husk_sync_type type, const char *payload, int fd,
                   husk_error_t *err) {
  return send_message(sock, type, payload, &fd, fd >= 0 ? 1 : 0, err);
}

int husk_sync_send_fds(int sock, enum husk_sync_type type, const int *fds, size_t nfds,
                       husk_error_t *err) {
  return send_message(sock, type, NULL, fds, nfds, err);
}

int husk_sync_recv(int sock, struct husk_sync_msg *msg, husk_error_t *err) {
  struct wire_header hdr;
  union control control;
  struct iovec iov = {.iov_base = &hdr, .iov_len = sizeof(hdr)};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = control.buf,
                      .msg_controllen = sizeof(control.buf)};
  ssize_t n = recv_packet(sock, &mh);
  if (n < 0)
    return husk_error_set(err, errno, "receive from the container's init");
  if (n == 0)
    return husk_error_set(err, 0, "the container's init exited before it was ready");
  msg->nfds = 0;
  msg->payload = NULL;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
      continue;
    size_t n_here = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n_here && msg->nfds < HUSK_SYNC_MAX_FDS; i++)
      memcpy(&msg->fds[msg->nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
  }
  if ((size_t)n != sizeof(hdr) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
      hdr.len > HUSK_SYNC_MAX_PAYLOAD) {
    husk_sync_msg_free(msg);
    return husk_error_set(err, EPROTO, "malformed sync message from the container's init");
  }
  msg->type = hdr.type;
  msg->len = hdr.len;
  if (hdr.len == 0)
    return 0;
  msg->payload = husk_xmalloc(hdr.len + 1);
  for (size_t off = 0; off < hdr.len;) {
    size_t want = hdr.len - off < SYNC_CHUNK ? hdr.len - off : SYNC_CHUNK;
    struct iovec part = {.iov_base = msg->payload + off, .iov_len = want};
    struct msghdr pm = {.msg_iov = &part, .msg_iovlen = 1};
    n = recv_packet(sock, &pm);
    if (n <= 0 || (size_t)n != want || (pm.msg_flags & MSG_TRUNC)) {
      int e = n < 0 ? errno : EPROTO;
      husk_sync_msg_free(msg);
      return husk_error_set(err, e, "short sync message from the container's init");
    }
    off += want;
  }
  msg->payload[hdr.len] = '\0';
  return 0;
}

int husk_sync_expect(int sock, enum husk_sync_type type, struct husk_sync_msg *msg,
                     husk_error_t *err) {
  if (husk_sync_recv(sock, msg, err) < 0)
    return -1;
  if (msg->type == HUSK_SYNC_ERROR) {
    husk_error_set(err, 0, "%s", msg->payload ? msg->payload : "the container's init failed");
    husk_sync_msg_free(msg);
    return -1;
  }
  if (msg->type != type) {
    husk_sync_msg_free(msg);
    return husk_error_set(err, EPROTO, "unexpected sync message %d (wanted %d)", msg->type, type);
  }
  return 0;
}

int husk_sync_msg_take_fd(struct husk_sync_msg *msg) {
  if (msg->nfds == 0)
    return -1;
  int fd = msg->fds[0];
  msg->fds[0] = -1;
  return fd;
}

void husk_sync_msg_free(struct husk_sync_msg *msg) {
  free(msg->payload);
  msg->payload = NULL;
  for (size_t i = 0; i < msg->nfds; i++)
    if (msg->fds[i] >= 0)
      close(msg->fds[i]);
  msg->nfds = 0;
}
