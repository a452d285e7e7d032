/* husk — typed messages between the runtime and the container's init. */
#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

struct wire_header {
  uint32_t type;
  uint32_t len;
};

int husk_sync_send(int sock, enum husk_sync_type type, const char *payload, int fd,
                   husk_error_t *err) {
  size_t len = payload ? strlen(payload) : 0;
  if (len > HUSK_SYNC_MAX_PAYLOAD)
    return husk_error_set(err, EMSGSIZE, "sync message %d", type);
  struct wire_header hdr = {.type = type, .len = (uint32_t)len};
  struct iovec iov[2] = {{.iov_base = &hdr, .iov_len = sizeof(hdr)},
                         {.iov_base = (void *)payload, .iov_len = len}};
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
  if (fd >= 0) {
    memset(control, 0, sizeof(control));
    mh.msg_control = control;
    mh.msg_controllen = sizeof(control);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  }
  ssize_t n;
  do
    n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set(err, errno, "send sync message %d", type);
  return 0;
}

int husk_sync_recv(int sock, struct husk_sync_msg *msg, husk_error_t *err) {
  _cleanup_free_ char *buf = husk_xmalloc(sizeof(struct wire_header) + HUSK_SYNC_MAX_PAYLOAD + 1);
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = buf,
                      .iov_len = sizeof(struct wire_header) + HUSK_SYNC_MAX_PAYLOAD};
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
  ssize_t n;
  do
    n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set(err, errno, "receive from the container's init");
  if (n == 0)
    return husk_error_set(err, 0, "the container's init exited before it was ready");
  if ((size_t)n < sizeof(struct wire_header))
    return husk_error_set(err, EPROTO, "short sync message from the container's init");
  struct wire_header hdr;
  memcpy(&hdr, buf, sizeof(hdr));
  if (hdr.len != (size_t)n - sizeof(hdr))
    return husk_error_set(err, EPROTO, "malformed sync message from the container's init");
  msg->type = hdr.type;
  msg->len = hdr.len;
  msg->fd = -1;
  msg->payload = NULL;
  if (hdr.len) {
    msg->payload = husk_xmalloc(hdr.len + 1);
    memcpy(msg->payload, buf + sizeof(hdr), hdr.len);
    msg->payload[hdr.len] = '\0';
  }
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      memcpy(&msg->fd, CMSG_DATA(cm), sizeof(int));
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

void husk_sync_msg_free(struct husk_sync_msg *msg) {
  free(msg->payload);
  msg->payload = NULL;
  if (msg->fd >= 0)
    close(msg->fd);
  msg->fd = -1;
}
