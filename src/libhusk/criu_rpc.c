/* husk — CRIU's RPC protocol over `criu swrk` (see criu_rpc.h).
 *
 * Protobuf wire format, the part rpc.proto needs: a key is a varint
 * (field << 3 | wire type); wire type 0 is a varint (bool, int32, uint32,
 * enums), 2 is a length-delimited string or sub-message.  proto2 optional
 * fields are simply absent when not written. */
#include "criu_rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* CRIU answers in one datagram; a reply never comes near this. */
#define CRIU_RESP_MAX (64 * 1024)

/* ---- encoding ----------------------------------------------------------- */

static void pb_reserve(struct husk_pb *pb, size_t more) {
  if (pb->len + more <= pb->cap)
    return;
  size_t cap = pb->cap ? pb->cap * 2 : 256;
  while (cap < pb->len + more)
    cap *= 2;
  pb->buf = husk_xrealloc(pb->buf, cap);
  pb->cap = cap;
}

static void pb_varint(struct husk_pb *pb, uint64_t v) {
  pb_reserve(pb, 10);
  do {
    unsigned char byte = v & 0x7f;
    v >>= 7;
    pb->buf[pb->len++] = byte | (v ? 0x80 : 0);
  } while (v);
}

static void pb_key(struct husk_pb *pb, int field, int wire) {
  pb_varint(pb, ((uint64_t)field << 3) | (uint64_t)wire);
}

static void pb_bytes(struct husk_pb *pb, int field, const void *data, size_t len) {
  pb_key(pb, field, WIRE_LEN);
  pb_varint(pb, len);
  pb_reserve(pb, len);
  if (len)
    memcpy(pb->buf + pb->len, data, len);
  pb->len += len;
}

void husk_pb_free(struct husk_pb *pb) {
  free(pb->buf);
  *pb = (struct husk_pb){0};
}

void husk_pb_uint(struct husk_pb *pb, int field, uint64_t value) {
  pb_key(pb, field, WIRE_VARINT);
  pb_varint(pb, value);
}

void husk_pb_int(struct husk_pb *pb, int field, int64_t value) {
  husk_pb_uint(pb, field, (uint64_t)value); /* int32 sign-extends to 64 bits */
}

void husk_pb_bool(struct husk_pb *pb, int field, bool value) {
  husk_pb_uint(pb, field, value ? 1 : 0);
}

void husk_pb_str(struct husk_pb *pb, int field, const char *s) {
  pb_bytes(pb, field, s, strlen(s));
}

void husk_pb_msg(struct husk_pb *pb, int field, const struct husk_pb *sub) {
  pb_bytes(pb, field, sub->buf, sub->len);
}

void husk_pb_pair(struct husk_pb *pb, int field, const char *first, const char *second) {
  struct husk_pb sub = {0};
  if (first)
    husk_pb_str(&sub, 1, first);
  husk_pb_str(&sub, 2, second);
  husk_pb_msg(pb, field, &sub);
  husk_pb_free(&sub);
}

void husk_pb_inherit_fd(struct husk_pb *pb, const char *key, int fd) {
  struct husk_pb sub = {0};
  husk_pb_str(&sub, 1, key);
  husk_pb_int(&sub, 2, fd);
  husk_pb_msg(pb, CRIU_OPT_INHERIT_FD, &sub);
  husk_pb_free(&sub);
}

/* ---- decoding ----------------------------------------------------------- */

struct pb_reader {
  const unsigned char *p, *end;
};

static int rd_varint(struct pb_reader *r, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end)
      return -1;
    unsigned char byte = *r->p++;
    *v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return 0;
  }
  return -1;
}

/* One field: its number, wire type and value (varint or bytes). */
struct pb_field {
  int field, wire;
  uint64_t v;
  const unsigned char *data;
  size_t len;
};

/* 1: a field was read; 0: end of message; -1: malformed. */
static int rd_field(struct pb_reader *r, struct pb_field *f) {
  if (r->p >= r->end)
    return 0;
  uint64_t key;
  if (rd_varint(r, &key) < 0)
    return -1;
  f->field = (int)(key >> 3);
  f->wire = (int)(key & 7);
  f->data = NULL;
  f->len = 0;
  switch (f->wire) {
  case WIRE_VARINT:
    return rd_varint(r, &f->v) < 0 ? -1 : 1;
  case WIRE_I64:
  case WIRE_I32: {
    size_t n = f->wire == WIRE_I64 ? 8 : 4;
    if ((size_t)(r->end - r->p) < n)
      return -1;
    r->p += n;
    return 1;
  }
  case WIRE_LEN:
    if (rd_varint(r, &f->v) < 0 || f->v > (uint64_t)(r->end - r->p))
      return -1;
    f->data = r->p;
    f->len = (size_t)f->v;
    r->p += f->len;
    return 1;
  default:
    return -1;
  }
}

static char *field_str(const struct pb_field *f) {
  char *s = husk_xmalloc(f->len + 1);
  memcpy(s, f->data, f->len);
  s[f->len] = '\0';
  return s;
}

/* Walk a sub-message, calling on_field for each varint or string field. */
static int rd_sub(const struct pb_field *f, void (*on_field)(void *, const struct pb_field *),
                  void *data) {
  if (f->wire != WIRE_LEN)
    return -1;
  struct pb_reader r = {f->data, f->data + f->len};
  struct pb_field sub;
  int got;
  while ((got = rd_field(&r, &sub)) > 0)
    on_field(data, &sub);
  return got;
}

static void on_restore(void *data, const struct pb_field *f) {
  struct husk_criu_resp *resp = data;
  if (f->field == 1 && f->wire == WIRE_VARINT)
    resp->restore_pid = (pid_t)f->v;
}

static void on_notify(void *data, const struct pb_field *f) {
  struct husk_criu_resp *resp = data;
  if (f->field == 1 && f->wire == WIRE_LEN) {
    free(resp->notify_script);
    resp->notify_script = field_str(f);
  } else if (f->field == 2 && f->wire == WIRE_VARINT) {
    resp->notify_pid = (pid_t)f->v;
  }
}

static void on_features(void *data, const struct pb_field *f) {
  struct husk_criu_resp *resp = data;
  if (f->wire != WIRE_VARINT)
    return;
  if (f->field == 1)
    resp->mem_track = f->v != 0;
  else if (f->field == 2)
    resp->lazy_pages = f->v != 0;
}

static void on_version(void *data, const struct pb_field *f) {
  struct husk_criu_resp *resp = data;
  if (f->wire != WIRE_VARINT)
    return;
  if (f->field == 1)
    resp->version_major = (int)f->v;
  else if (f->field == 2)
    resp->version_minor = (int)f->v;
  else if (f->field == 4)
    resp->version_sublevel = (int)f->v;
}

int husk_criu_resp_parse(const unsigned char *data, size_t len, struct husk_criu_resp *resp) {
  *resp = (struct husk_criu_resp){.fd = -1};
  struct pb_reader r = {data, data + len};
  struct pb_field f;
  int got;
  while ((got = rd_field(&r, &f)) > 0) {
    int sub = 0;
    switch (f.field) {
    case 1:
      resp->type = (int)f.v;
      break;
    case 2:
      resp->success = f.v != 0;
      break;
    case 4:
      sub = rd_sub(&f, on_restore, resp);
      break;
    case 5:
      sub = rd_sub(&f, on_notify, resp);
      break;
    case 7:
      resp->cr_errno = (int)(int32_t)f.v;
      break;
    case 8:
      resp->has_features = true;
      sub = rd_sub(&f, on_features, resp);
      break;
    case 9:
      if (f.wire == WIRE_LEN) {
        free(resp->cr_errmsg);
        resp->cr_errmsg = field_str(&f);
      }
      break;
    case 10:
      sub = rd_sub(&f, on_version, resp);
      break;
    default:
      break;
    }
    if (sub < 0)
      got = -1;
    if (got < 0)
      break;
  }
  if (got < 0) {
    husk_criu_resp_free(resp);
    return -1;
  }
  return 0;
}

void husk_criu_resp_free(struct husk_criu_resp *resp) {
  free(resp->cr_errmsg);
  free(resp->notify_script);
  if (resp->fd >= 0)
    close(resp->fd);
  *resp = (struct husk_criu_resp){.fd = -1};
}

/* ---- the swrk session --------------------------------------------------- */

int husk_criu_start(const char *criu, const int *extra_fds, size_t n_extra,
                    enum husk_criu_stdio stdio, struct husk_criu *c, husk_error_t *err) {
  c->pid = -1;
  c->sk = -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error_set(err, errno, "socketpair for criu");
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return husk_error_set(err, e, "fork criu");
  }
  if (pid == 0) {
    /* Put every fd above the ones we are about to place, then dup them
     * into 3, 4, ... (dup2 clears O_CLOEXEC on the copies). */
    int top = 4 + (int)n_extra;
    int server = fcntl(sv[1], F_DUPFD_CLOEXEC, top);
    int *moved = calloc(n_extra ? n_extra : 1, sizeof(int));
    if (server < 0 || moved == NULL)
      _exit(127);
    for (size_t i = 0; i < n_extra; i++)
      if ((moved[i] = fcntl(extra_fds[i], F_DUPFD_CLOEXEC, top)) < 0)
        _exit(127);
    if (dup2(server, 3) < 0)
      _exit(127);
    for (size_t i = 0; i < n_extra; i++)
      if (dup2(moved[i], 4 + (int)i) < 0)
        _exit(127);
    if (stdio != HUSK_CRIU_STDIO_ALL) {
      int null = open("/dev/null", O_RDWR);
      if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
          (stdio == HUSK_CRIU_STDIO_NONE && dup2(null, 2) < 0))
        _exit(127);
    }
    signal(SIGPIPE, SIG_DFL);
    execlp(criu, criu, "swrk", "3", (char *)NULL);
    _exit(127); /* the parent names the binary */
  }
  close(sv[1]);
  c->pid = pid;
  c->sk = sv[0];
  return 0;
}

int husk_criu_send(struct husk_criu *c, const struct husk_pb *req, husk_error_t *err) {
  ssize_t n;
  do
    n = send(c->sk, req->buf, req->len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set(err, errno, "send a request to criu");
  return 0;
}

int husk_criu_recv(struct husk_criu *c, struct husk_criu_resp *resp, husk_error_t *err) {
  _cleanup_free_ unsigned char *buf = husk_xmalloc(CRIU_RESP_MAX);
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int) * 4)];
  } control;
  struct iovec iov = {.iov_base = buf, .iov_len = CRIU_RESP_MAX};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control)};
  ssize_t n;
  do
    n = recvmsg(c->sk, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set(err, errno, "read criu's answer");
  int fd = -1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
      continue;
    size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *fds = (int *)CMSG_DATA(cm);
    for (size_t i = 0; i < nfds; i++) {
      if (fd < 0)
        fd = fds[i];
      else
        close(fds[i]);
    }
  }
  if (n == 0) {
    if (fd >= 0)
      close(fd);
    return husk_error_set(err, EPIPE, "criu exited without an answer");
  }
  if (husk_criu_resp_parse(buf, (size_t)n, resp) < 0) {
    if (fd >= 0)
      close(fd);
    return husk_error_set(err, EPROTO, "criu's answer is not a criu_resp message");
  }
  resp->fd = fd;
  return 0;
}

void husk_criu_finish(struct husk_criu *c, int *status) {
  if (c->sk >= 0) {
    close(c->sk);
    c->sk = -1;
  }
  int st = 0;
  if (c->pid > 0) {
    while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
      ;
    c->pid = -1;
  }
  if (status)
    *status = st;
}

const char *husk_criu_req_name(int type) {
  switch (type) {
  case CRIU_REQ_DUMP:
    return "DUMP";
  case CRIU_REQ_RESTORE:
    return "RESTORE";
  case CRIU_REQ_CHECK:
    return "CHECK";
  case CRIU_REQ_PRE_DUMP:
    return "PRE_DUMP";
  case CRIU_REQ_NOTIFY:
    return "NOTIFY";
  case CRIU_REQ_FEATURE_CHECK:
    return "FEATURE_CHECK";
  case CRIU_REQ_VERSION:
    return "VERSION";
  default:
    return "UNKNOWN";
  }
}
