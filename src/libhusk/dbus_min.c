/* husk — a minimal D-Bus client (see dbus_min.h), after the D-Bus
 * specification's "Message Protocol" and "Authentication Protocol". */
#include "dbus_min.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The specification's limits: a message of at most 128 MiB, an array of at
 * most 64 MiB, containers nested at most 64 deep (32 arrays + 32 structs). */
#define DBUS_MAX_MESSAGE (128u << 20)
#define DBUS_MAX_ARRAY (64u << 20)
#define DBUS_MAX_DEPTH 64
/* Signals kept while waiting for a reply; more are dropped (oldest kept:
 * the one a caller waits for was sent right after the call). */
#define DBUS_MAX_PENDING 256

enum {
  FIELD_PATH = 1,
  FIELD_INTERFACE = 2,
  FIELD_MEMBER = 3,
  FIELD_ERROR_NAME = 4,
  FIELD_REPLY_SERIAL = 5,
  FIELD_DESTINATION = 6,
  FIELD_SENDER = 7,
  FIELD_SIGNATURE = 8,
};

int64_t husk_dbus_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- marshalling ------------------------------------------------------ */

void husk_dbus_writer_free(struct husk_dbus_writer *w) {
  free(w->data);
  *w = (struct husk_dbus_writer){0};
}

static void put_raw(struct husk_dbus_writer *w, const void *p, size_t n) {
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n)
      cap *= 2;
    w->data = husk_xrealloc(w->data, cap);
    w->cap = cap;
  }
  if (n)
    memcpy(w->data + w->len, p, n);
  w->len += n;
}

void husk_dbus_put_align(struct husk_dbus_writer *w, size_t align) {
  static const uint8_t zeros[8];
  size_t pad = (align - w->len % align) % align;
  put_raw(w, zeros, pad); /* padding bytes must be zero */
}

void husk_dbus_put_byte(struct husk_dbus_writer *w, uint8_t v) { put_raw(w, &v, 1); }

void husk_dbus_put_u32(struct husk_dbus_writer *w, uint32_t v) {
  uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
  husk_dbus_put_align(w, 4);
  put_raw(w, b, 4);
}

void husk_dbus_put_bool(struct husk_dbus_writer *w, bool v) { husk_dbus_put_u32(w, v ? 1 : 0); }

void husk_dbus_put_u64(struct husk_dbus_writer *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (v >> (8 * i)) & 0xff;
  husk_dbus_put_align(w, 8);
  put_raw(w, b, 8);
}

void husk_dbus_put_string(struct husk_dbus_writer *w, const char *s) {
  size_t n = strlen(s);
  husk_dbus_put_u32(w, (uint32_t)n);
  put_raw(w, s, n + 1);
}

void husk_dbus_put_signature(struct husk_dbus_writer *w, const char *sig) {
  size_t n = strlen(sig);
  husk_dbus_put_byte(w, (uint8_t)n);
  put_raw(w, sig, n + 1);
}

struct husk_dbus_array husk_dbus_array_begin(struct husk_dbus_writer *w, size_t elem_align) {
  struct husk_dbus_array a;
  husk_dbus_put_u32(w, 0);
  a.len_pos = w->len - 4;
  husk_dbus_put_align(w, elem_align);
  a.start = w->len;
  return a;
}

void husk_dbus_array_end(struct husk_dbus_writer *w, struct husk_dbus_array a) {
  uint32_t n = (uint32_t)(w->len - a.start);
  uint8_t b[4] = {n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff};
  memcpy(w->data + a.len_pos, b, 4);
}

static void put_field(struct husk_dbus_writer *h, uint8_t code, const char *sig, const char *v) {
  if (v == NULL)
    return;
  husk_dbus_struct_begin(h);
  husk_dbus_put_byte(h, code);
  husk_dbus_put_signature(h, sig); /* the variant's type */
  if (strcmp(sig, "g") == 0)
    husk_dbus_put_signature(h, v);
  else
    husk_dbus_put_string(h, v);
}

uint8_t *husk_dbus_build_call(uint32_t serial, const char *destination, const char *path,
                              const char *interface, const char *member, const char *signature,
                              const uint8_t *body, size_t body_len, size_t *out_len) {
  struct husk_dbus_writer h = {0};
  husk_dbus_put_byte(&h, 'l'); /* little-endian */
  husk_dbus_put_byte(&h, HUSK_DBUS_METHOD_CALL);
  husk_dbus_put_byte(&h, 0); /* flags: a reply is wanted, auto-start allowed */
  husk_dbus_put_byte(&h, 1); /* protocol version */
  husk_dbus_put_u32(&h, (uint32_t)body_len);
  husk_dbus_put_u32(&h, serial);
  struct husk_dbus_array fields = husk_dbus_array_begin(&h, 8);
  put_field(&h, FIELD_PATH, "o", path);
  put_field(&h, FIELD_INTERFACE, "s", interface);
  put_field(&h, FIELD_MEMBER, "s", member);
  put_field(&h, FIELD_DESTINATION, "s", destination);
  if (signature && *signature)
    put_field(&h, FIELD_SIGNATURE, "g", signature);
  husk_dbus_array_end(&h, fields);
  husk_dbus_put_align(&h, 8); /* the body starts 8-aligned */
  put_raw(&h, body, body_len);
  *out_len = h.len;
  return h.data;
}

/* ---- parsing ---------------------------------------------------------- */

void husk_dbus_msg_free(struct husk_dbus_msg *m) {
  free(m->path);
  free(m->interface);
  free(m->member);
  free(m->error_name);
  free(m->destination);
  free(m->sender);
  free(m->signature);
  free(m->body);
  *m = (struct husk_dbus_msg){0};
}

static int bad(husk_error_t *err, const char *what) {
  return husk_error_set_quiet(err, EBADMSG, "malformed D-Bus message: %s", what);
}

static uint32_t load_u32(const uint8_t *p, bool be) {
  if (be)
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int husk_dbus_msg_size(const uint8_t *head16, size_t *total, husk_error_t *err) {
  if (head16[0] != 'l' && head16[0] != 'B')
    return bad(err, "unknown byte order");
  if (head16[3] != 1)
    return bad(err, "unknown protocol version");
  bool be = head16[0] == 'B';
  uint64_t body = load_u32(head16 + 4, be);
  uint64_t fields = load_u32(head16 + 12, be);
  uint64_t n = 16 + ((fields + 7) & ~(uint64_t)7) + body;
  if (n > DBUS_MAX_MESSAGE)
    return bad(err, "longer than 128 MiB");
  *total = (size_t)n;
  return 0;
}

/* Where a complete type starting at sig ends; NULL when sig is not one. */
static const char *type_end(const char *sig, int depth) {
  if (depth > DBUS_MAX_DEPTH)
    return NULL;
  switch (*sig) {
  case 'y':
  case 'b':
  case 'n':
  case 'q':
  case 'i':
  case 'u':
  case 'x':
  case 't':
  case 'd':
  case 's':
  case 'o':
  case 'g':
  case 'v':
  case 'h':
    return sig + 1;
  case 'a':
    return type_end(sig + 1, depth + 1);
  case '(':
  case '{': {
    char close = *sig == '(' ? ')' : '}';
    const char *p = sig + 1;
    if (*p == close)
      return NULL; /* no empty structs */
    while (p && *p != close)
      p = type_end(p, depth + 1);
    return p ? p + 1 : NULL;
  }
  default:
    return NULL;
  }
}

static size_t align_of(char c) {
  switch (c) {
  case 'n':
  case 'q':
    return 2;
  case 'b':
  case 'i':
  case 'u':
  case 'h':
  case 's':
  case 'o':
  case 'a':
    return 4;
  case 'x':
  case 't':
  case 'd':
  case '(':
  case '{':
    return 8;
  default: /* y, g, v */
    return 1;
  }
}

static int r_align(struct husk_dbus_reader *r, size_t a, husk_error_t *err) {
  size_t pos = (r->pos + a - 1) / a * a;
  if (pos > r->len)
    return bad(err, "truncated");
  r->pos = pos;
  return 0;
}

static int r_need(struct husk_dbus_reader *r, size_t n, husk_error_t *err) {
  if (r->len - r->pos < n)
    return bad(err, "truncated");
  return 0;
}

static int r_u32(struct husk_dbus_reader *r, uint32_t *v, husk_error_t *err) {
  if (r_align(r, 4, err) < 0 || r_need(r, 4, err) < 0)
    return -1;
  *v = load_u32(r->data + r->pos, r->big_endian);
  r->pos += 4;
  return 0;
}

/* 's'/'o' (u32 length) or 'g' (byte length), NUL-terminated in place. */
static int r_str(struct husk_dbus_reader *r, char type, const char **s, husk_error_t *err) {
  uint32_t n;
  if (type == 'g') {
    if (r_need(r, 1, err) < 0)
      return -1;
    n = r->data[r->pos++];
  } else if (r_u32(r, &n, err) < 0) {
    return -1;
  }
  if (n >= r->len - r->pos || r->data[r->pos + n] != '\0' ||
      memchr(r->data + r->pos, '\0', n) != NULL)
    return bad(err, "string not NUL-terminated");
  *s = (const char *)r->data + r->pos;
  r->pos += n + 1;
  return 0;
}

/* Step over one value of the complete type at *sig, advancing *sig. */
static int skip_value(struct husk_dbus_reader *r, const char **sig, int depth, husk_error_t *err) {
  if (depth > DBUS_MAX_DEPTH)
    return bad(err, "nested too deep");
  char c = **sig;
  const char *s;
  uint32_t n;
  switch (c) {
  case 'y':
  case 'n':
  case 'q':
  case 'b':
  case 'i':
  case 'u':
  case 'h':
  case 'x':
  case 't':
  case 'd': {
    size_t size = c == 'y' ? 1 : align_of(c);
    if (r_align(r, size, err) < 0 || r_need(r, size, err) < 0)
      return -1;
    r->pos += size;
    (*sig)++;
    return 0;
  }
  case 's':
  case 'o':
  case 'g':
    if (r_str(r, c, &s, err) < 0)
      return -1;
    (*sig)++;
    return 0;
  case 'a': {
    const char *end = type_end(*sig, depth);
    if (end == NULL)
      return bad(err, "invalid signature");
    if (r_u32(r, &n, err) < 0)
      return -1;
    if (n > DBUS_MAX_ARRAY)
      return bad(err, "array longer than 64 MiB");
    /* The elements' contents need no look: the length covers them. */
    if (r_align(r, align_of((*sig)[1]), err) < 0 || r_need(r, n, err) < 0)
      return -1;
    r->pos += n;
    *sig = end;
    return 0;
  }
  case '(':
  case '{': {
    char close = c == '(' ? ')' : '}';
    if (type_end(*sig, depth) == NULL)
      return bad(err, "invalid signature");
    if (r_align(r, 8, err) < 0)
      return -1;
    (*sig)++;
    while (**sig != close)
      if (skip_value(r, sig, depth + 1, err) < 0)
        return -1;
    (*sig)++;
    return 0;
  }
  case 'v': {
    if (r_str(r, 'g', &s, err) < 0)
      return -1;
    const char *inner = s;
    if (skip_value(r, &inner, depth + 1, err) < 0)
      return -1;
    if (*inner != '\0')
      return bad(err, "variant holds more than one type");
    (*sig)++;
    return 0;
  }
  default:
    return bad(err, "invalid signature");
  }
}

int husk_dbus_msg_parse(const uint8_t *data, size_t len, struct husk_dbus_msg *m,
                        husk_error_t *err) {
  *m = (struct husk_dbus_msg){0};
  size_t total;
  if (len < 16)
    return bad(err, "shorter than its fixed header");
  if (husk_dbus_msg_size(data, &total, err) < 0)
    return -1;
  if (total != len)
    return bad(err, "length does not match its header");
  m->big_endian = data[0] == 'B';
  m->type = data[1];
  m->flags = data[2];
  m->serial = load_u32(data + 8, m->big_endian);
  uint32_t body_len = load_u32(data + 4, m->big_endian);
  uint32_t fields_len = load_u32(data + 12, m->big_endian);
  if (m->serial == 0)
    return bad(err, "serial 0");

  /* The header fields, a(yv), read with offsets from the message start. */
  struct husk_dbus_reader r = {
      .data = data, .len = 16 + (size_t)fields_len, .pos = 16, .big_endian = m->big_endian};
  while (r.pos < r.len) {
    if (r_align(&r, 8, err) < 0 || r_need(&r, 1, err) < 0)
      goto fail;
    uint8_t code = data[r.pos++];
    const char *vsig;
    if (r_str(&r, 'g', &vsig, err) < 0)
      goto fail;
    const char *s;
    char **slot = NULL;
    char want = 's';
    switch (code) {
    case FIELD_PATH:
      slot = &m->path;
      want = 'o';
      break;
    case FIELD_INTERFACE:
      slot = &m->interface;
      break;
    case FIELD_MEMBER:
      slot = &m->member;
      break;
    case FIELD_ERROR_NAME:
      slot = &m->error_name;
      break;
    case FIELD_DESTINATION:
      slot = &m->destination;
      break;
    case FIELD_SENDER:
      slot = &m->sender;
      break;
    case FIELD_SIGNATURE:
      slot = &m->signature;
      want = 'g';
      break;
    case FIELD_REPLY_SERIAL:
      want = 'u';
      break;
    default:
      want = 0;
      break; /* unknown fields are to be ignored */
    }
    if (want && (vsig[0] != want || vsig[1] != '\0')) {
      bad(err, "header field of the wrong type");
      goto fail;
    }
    if (want == 'u') {
      if (r_u32(&r, &m->reply_serial, err) < 0)
        goto fail;
      m->has_reply_serial = true;
    } else if (slot) {
      if (r_str(&r, want, &s, err) < 0)
        goto fail;
      free(*slot);
      *slot = husk_xstrdup(s);
    } else {
      const char *p = vsig;
      if (skip_value(&r, &p, 1, err) < 0)
        goto fail;
      if (*p != '\0') {
        bad(err, "header field variant holds more than one type");
        goto fail;
      }
    }
  }
  if (r.pos != r.len) {
    bad(err, "header fields overrun their array");
    goto fail;
  }
  size_t body_off = (16 + (size_t)fields_len + 7) & ~(size_t)7;
  m->body_len = body_len;
  m->body = husk_xmalloc(body_len ? body_len : 1);
  memcpy(m->body, data + body_off, body_len);
  if (m->signature == NULL)
    m->signature = husk_xstrdup("");
  return 0;
fail:
  husk_dbus_msg_free(m);
  return -1;
}

void husk_dbus_reader_init(struct husk_dbus_reader *r, const struct husk_dbus_msg *m) {
  *r = (struct husk_dbus_reader){.data = m->body,
                                 .len = m->body_len,
                                 .pos = 0,
                                 .big_endian = m->big_endian,
                                 .sig = m->signature ? m->signature : ""};
}

static int expect(struct husk_dbus_reader *r, char type, husk_error_t *err) {
  if (*r->sig != type)
    return husk_error_set_quiet(err, EBADMSG,
                                "unexpected D-Bus reply: argument of type '%c' where '%c' was "
                                "expected",
                                *r->sig ? *r->sig : '-', type);
  return 0;
}

int husk_dbus_get_u32(struct husk_dbus_reader *r, uint32_t *v, husk_error_t *err) {
  if (expect(r, 'u', err) < 0 || r_u32(r, v, err) < 0)
    return -1;
  r->sig++;
  return 0;
}

int husk_dbus_get_string(struct husk_dbus_reader *r, const char **s, husk_error_t *err) {
  if (expect(r, 's', err) < 0 || r_str(r, 's', s, err) < 0)
    return -1;
  r->sig++;
  return 0;
}

int husk_dbus_get_path(struct husk_dbus_reader *r, const char **s, husk_error_t *err) {
  if (expect(r, 'o', err) < 0 || r_str(r, 'o', s, err) < 0)
    return -1;
  r->sig++;
  return 0;
}

int husk_dbus_get_variant_string(struct husk_dbus_reader *r, const char **s, husk_error_t *err) {
  const char *vsig;
  if (expect(r, 'v', err) < 0 || r_str(r, 'g', &vsig, err) < 0)
    return -1;
  if (strcmp(vsig, "s") != 0)
    return husk_error_set_quiet(err, EBADMSG,
                                "unexpected D-Bus reply: a variant of type \"%s\" where a string "
                                "was expected",
                                vsig);
  if (r_str(r, 's', s, err) < 0)
    return -1;
  r->sig++;
  return 0;
}

int husk_dbus_skip(struct husk_dbus_reader *r, husk_error_t *err) {
  if (*r->sig == '\0')
    return bad(err, "no more arguments");
  return skip_value(r, &r->sig, 1, err);
}

/* ---- a connection ----------------------------------------------------- */

void husk_dbus_conn_from_fd(struct husk_dbus_conn *c, int fd) {
  *c = (struct husk_dbus_conn){.fd = fd};
}

void husk_dbus_close(struct husk_dbus_conn *c) {
  if (c->fd >= 0)
    close(c->fd);
  free(c->unique_name);
  for (size_t i = 0; i < c->pending_len; i++)
    husk_dbus_msg_free(&c->pending[i]);
  free(c->pending);
  *c = (struct husk_dbus_conn){.fd = -1};
}

/* send(2) with MSG_NOSIGNAL: a peer that hung up is an error to report,
 * not a SIGPIPE to die of. */
static int send_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Wait until fd is readable or the deadline passes. */
static int wait_readable(int fd, int64_t deadline_ms, husk_error_t *err) {
  for (;;) {
    int64_t left = deadline_ms - husk_dbus_now_ms();
    if (left <= 0)
      return husk_error_set_quiet(err, ETIMEDOUT, "no D-Bus message in time");
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
    if (r > 0)
      return 0;
    if (r < 0 && errno != EINTR)
      return husk_error_set(err, errno, "poll on the D-Bus socket");
  }
}

static int read_full(int fd, uint8_t *buf, size_t n, int64_t deadline_ms, husk_error_t *err) {
  size_t got = 0;
  while (got < n) {
    if (wait_readable(fd, deadline_ms, err) < 0)
      return -1;
    ssize_t r = read(fd, buf + got, n - got);
    if (r == 0)
      return husk_error_set_quiet(err, ECONNRESET, "D-Bus connection closed by the peer");
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      return husk_error_set(err, errno, "read from the D-Bus socket");
    }
    got += (size_t)r;
  }
  return 0;
}

static int recv_msg(struct husk_dbus_conn *c, int64_t deadline_ms, struct husk_dbus_msg *m,
                    husk_error_t *err) {
  uint8_t head[16];
  size_t total;
  if (read_full(c->fd, head, 16, deadline_ms, err) < 0 || husk_dbus_msg_size(head, &total, err) < 0)
    return -1;
  _cleanup_free_ uint8_t *buf = husk_xmalloc(total);
  memcpy(buf, head, 16);
  if (read_full(c->fd, buf + 16, total - 16, deadline_ms, err) < 0)
    return -1;
  return husk_dbus_msg_parse(buf, total, m, err);
}

/* One SASL line from the server, without its CR LF.  Read a byte at a time:
 * nothing may be taken from the socket past the line (after BEGIN the
 * stream is binary; the server sends nothing unasked, but be exact). */
static int read_line(int fd, char *line, size_t size, int64_t deadline_ms, husk_error_t *err) {
  size_t n = 0;
  for (;;) {
    uint8_t ch;
    if (read_full(fd, &ch, 1, deadline_ms, err) < 0)
      return -1;
    if (n + 1 >= size)
      return husk_error_set_quiet(err, EPROTO, "D-Bus authentication: line too long");
    line[n++] = (char)ch;
    if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
      line[n - 2] = '\0';
      return 0;
    }
  }
}

static int authenticate(int fd, const char *path, bool claim_uid, husk_error_t *err) {
  /* EXTERNAL: the server checks SO_PEERCRED against the uid we claim,
   * sent as the hex of its decimal digits.  Without a claim ("AUTH
   * EXTERNAL", then an empty DATA) the server takes the peer's credentials
   * as they are: the only way that works from inside a user namespace,
   * where our euid (0 under rootless podman) is not what the server sees.
   * sd-bus's own client authenticates that way. */
  char uid[32], hex[64 + 1] = "";
  snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
  for (size_t i = 0; uid[i]; i++)
    snprintf(hex + 2 * i, 3, "%02x", (unsigned char)uid[i]);
  /* The leading NUL is the specification's (it could carry credentials
   * where SO_PEERCRED is missing).  BEGIN goes in the same write as AUTH,
   * as sd-bus's own client does: systemd's server (sd-bus, seen with v252)
   * does not look again at bytes it read together with BEGIN until more
   * arrive, so a method call sent right behind a separate BEGIN can sit
   * unanswered.  A refused AUTH makes the BEGIN an error; we fail then
   * anyway. */
  _cleanup_free_ char *auth = claim_uid ? husk_xasprintf("%cAUTH EXTERNAL %s\r\nBEGIN\r\n", 0, hex)
                                        : husk_xasprintf("%cAUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n", 0);
  size_t auth_len = 1 + strlen(auth + 1);
  if (send_all(fd, auth, auth_len) < 0)
    return husk_error_set(err, errno, "D-Bus authentication at %s", path);
  char line[512];
  int64_t deadline = husk_dbus_now_ms() + 10000;
  do {
    /* The server's "DATA" asks for the (empty) answer we sent already. */
    if (read_line(fd, line, sizeof(line), deadline, err) < 0)
      return husk_error_prefix(err, "D-Bus authentication at %s", path);
  } while (!claim_uid && (strcmp(line, "DATA") == 0 || strncmp(line, "DATA ", 5) == 0));
  if (strncmp(line, "OK ", 3) != 0)
    return husk_error_set_quiet(err, EACCES, "D-Bus authentication at %s refused: \"%s\"", path,
                                line);
  return 0;
}

int husk_dbus_connect(const char *path, bool bus, struct husk_dbus_conn *c, husk_error_t *err) {
  return husk_dbus_connect_with(path, bus, true, c, err);
}

int husk_dbus_connect_with(const char *path, bool bus, bool claim_uid, struct husk_dbus_conn *c,
                           husk_error_t *err) {
  *c = (struct husk_dbus_conn){.fd = -1};
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(sa.sun_path))
    return husk_error_set(err, ENAMETOOLONG, "D-Bus socket %s", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error_set(err, errno, "socket for D-Bus");
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
    int e = errno;
    close(fd);
    return husk_error_set(err, e, "connect to D-Bus socket %s", path);
  }
  if (authenticate(fd, path, claim_uid, err) < 0) {
    close(fd);
    return -1;
  }
  husk_dbus_conn_from_fd(c, fd);
  if (!bus)
    return 0;
  c->bus = true;
  /* A bus daemon serves nothing before Hello names the connection. */
  struct husk_dbus_msg reply;
  struct husk_dbus_reader r;
  const char *name;
  if (husk_dbus_call(c, "D-Bus Hello", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                     "org.freedesktop.DBus", "Hello", NULL, NULL, 10000, &reply, NULL, err) < 0) {
    husk_dbus_close(c);
    return husk_error_prefix(err, "%s", path);
  }
  husk_dbus_reader_init(&r, &reply);
  if (husk_dbus_get_string(&r, &name, err) < 0) {
    husk_dbus_msg_free(&reply);
    husk_dbus_close(c);
    return husk_error_prefix(err, "D-Bus Hello at %s", path);
  }
  c->unique_name = husk_xstrdup(name);
  husk_dbus_msg_free(&reply);
  return 0;
}

int husk_dbus_connect_systemd(struct husk_dbus_conn *c, husk_error_t *err) {
  /* The private socket speaks to systemd directly (root only), and works
   * when no dbus-daemon runs, as early in boot or in minimal hosts. */
  husk_error_t first = {0};
  if (husk_dbus_connect("/run/systemd/private", false, c, &first) == 0)
    return 0;
  if (husk_dbus_connect("/run/dbus/system_bus_socket", true, c, err) == 0) {
    husk_error_clear(&first);
    return 0;
  }
  husk_error_prefix(err, "%s; and", first.msg ? first.msg : "/run/systemd/private");
  husk_error_clear(&first);
  return -1;
}

int husk_dbus_connect_systemd_user(struct husk_dbus_conn *c, husk_error_t *err) {
  /* The user manager listens on $XDG_RUNTIME_DIR/systemd/private as the
   * system one does on /run/systemd/private; the session bus is the way
   * when that socket is not there (or not ours to use). */
  *c = (struct husk_dbus_conn){.fd = -1};
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  const char *session = getenv("DBUS_SESSION_BUS_ADDRESS");
  if ((xdg == NULL || *xdg == '\0') && (session == NULL || strncmp(session, "unix:path=", 10) != 0))
    return husk_error_set_quiet(err, ENOENT,
                                "the systemd user manager: neither XDG_RUNTIME_DIR nor a "
                                "unix:path= DBUS_SESSION_BUS_ADDRESS is set");
  husk_error_t first = {0};
  if (xdg && *xdg) {
    _cleanup_free_ char *private = husk_xasprintf("%s/systemd/private", xdg);
    if (husk_dbus_connect_with(private, false, false, c, &first) == 0)
      return 0;
  }
  _cleanup_free_ char *bus = NULL;
  if (session && strncmp(session, "unix:path=", 10) == 0)
    bus = husk_xasprintf("%.*s", (int)strcspn(session + 10, ","), session + 10);
  else
    bus = husk_xasprintf("%s/bus", xdg);
  if (husk_dbus_connect_with(bus, true, false, c, err) == 0) {
    husk_error_clear(&first);
    return 0;
  }
  if (first.msg)
    husk_error_prefix(err, "%s; and", first.msg);
  husk_error_clear(&first);
  return husk_error_prefix(err, "the systemd user manager");
}

static void queue_signal(struct husk_dbus_conn *c, struct husk_dbus_msg *m) {
  if (c->pending_len >= DBUS_MAX_PENDING) {
    husk_dbus_msg_free(m);
    return;
  }
  c->pending = husk_xrealloc(c->pending, (c->pending_len + 1) * sizeof(*c->pending));
  c->pending[c->pending_len++] = *m;
  *m = (struct husk_dbus_msg){0};
}

int husk_dbus_call(struct husk_dbus_conn *c, const char *what, const char *destination,
                   const char *path, const char *interface, const char *member,
                   const char *signature, const struct husk_dbus_writer *body, int timeout_ms,
                   struct husk_dbus_msg *reply, char **error_name, husk_error_t *err) {
  *reply = (struct husk_dbus_msg){0};
  if (error_name)
    *error_name = NULL;
  uint32_t serial = ++c->serial;
  if (serial == 0) /* 0 is not a valid serial */
    serial = ++c->serial;
  size_t len;
  _cleanup_free_ uint8_t *msg =
      husk_dbus_build_call(serial, destination, path, interface, member, signature,
                           body ? body->data : NULL, body ? body->len : 0, &len);
  if (send_all(c->fd, msg, len) < 0)
    return husk_error_set(err, errno, "%s: send", what);
  int64_t deadline = husk_dbus_now_ms() + timeout_ms;
  for (;;) {
    struct husk_dbus_msg m;
    if (recv_msg(c, deadline, &m, err) < 0)
      return husk_error_prefix(err, "%s", what);
    if (m.type == HUSK_DBUS_SIGNAL) {
      queue_signal(c, &m);
      continue;
    }
    if ((m.type != HUSK_DBUS_METHOD_RETURN && m.type != HUSK_DBUS_ERROR) || !m.has_reply_serial ||
        m.reply_serial != serial) {
      husk_dbus_msg_free(&m); /* calls to us, stale replies: nothing we serve */
      continue;
    }
    if (m.type == HUSK_DBUS_METHOD_RETURN) {
      *reply = m;
      return 0;
    }
    /* An ERROR: its name, and its first argument when a string, the
     * human-readable message. */
    struct husk_dbus_reader r;
    const char *text = NULL;
    husk_dbus_reader_init(&r, &m);
    if (*r.sig == 's' && husk_dbus_get_string(&r, &text, NULL) < 0)
      text = NULL;
    const char *name = m.error_name ? m.error_name : "(unnamed error)";
    if (error_name)
      *error_name = husk_xstrdup(name);
    if (text)
      husk_error_set_quiet(err, EIO, "%s: %s: %s", what, name, text);
    else
      husk_error_set_quiet(err, EIO, "%s: %s", what, name);
    husk_dbus_msg_free(&m);
    return -1;
  }
}

int husk_dbus_next_signal(struct husk_dbus_conn *c, int64_t deadline_ms, struct husk_dbus_msg *sig,
                          husk_error_t *err) {
  if (c->pending_len > 0) {
    *sig = c->pending[0];
    memmove(c->pending, c->pending + 1, (c->pending_len - 1) * sizeof(*c->pending));
    c->pending_len--;
    return 0;
  }
  for (;;) {
    if (recv_msg(c, deadline_ms, sig, err) < 0)
      return -1;
    if (sig->type == HUSK_DBUS_SIGNAL)
      return 0;
    husk_dbus_msg_free(sig);
  }
}
