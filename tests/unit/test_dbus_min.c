/* Unit tests of dbus_min.c and cgroup_systemd.c.
 *
 * 1. Marshalling: a StartTransientUnit call compared byte for byte with a
 *    dump worked out by hand from the D-Bus specification (offsets in the
 *    comments), and canned METHOD_RETURN / ERROR messages (one big-endian,
 *    with an unknown header field to skip) parsed.
 * 2. A fake systemd on a unix socket (a child process): SASL EXTERNAL,
 *    Hello/AddMatch, Subscribe, StartTransientUnit with JobRemoved signals
 *    before and after the reply, failed and missing jobs, StopUnit of a
 *    unit that is gone.  This checks the conversation, not systemd.
 * 3. Live: a real scope when systemd runs as PID 1 here, else a SKIP that
 *    says so. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_systemd.h"
#include "dbus_min.h"
#include "tap.h"
#include "util.h"

static void skip(const char *why) { printf("ok %d # SKIP %s\n", ++tap_count, why); }

static void dump_diff(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len) {
  size_t n = got_len < want_len ? got_len : want_len;
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i]) {
      tap_diag("first difference at byte %zu: got 0x%02x, want 0x%02x", i, got[i], want[i]);
      return;
    }
  tap_diag("lengths differ: got %zu, want %zu", got_len, want_len);
}

/* ---- 1. marshalling --------------------------------------------------- */

/* StartTransientUnit("a.scope", "replace", [Description, Slice "s.slice",
 * Delegate true, PIDs [7], DefaultDependencies false], []) as serial 1.
 * Separate literals keep "\x.." escapes from eating the next character. */
static const char start_call[] =
    /* 0: fixed header: little-endian, METHOD_CALL, no flags, version 1 */
    "l\x01\x00\x01"
    /* 4: body length 200 */ "\xc8\x00\x00\x00"
    /* 8: serial 1 */ "\x01\x00\x00\x00"
    /* 12: header field array length 182 (16..197) */ "\xb6\x00\x00\x00"
    /* 16: PATH, variant "o", u32 length 25 at 20, string at 24..49 */
    "\x01\x01o\x00"
    "\x19\x00\x00\x00"
    "/org/freedesktop/systemd1\x00"
    /* 50: pad to 56; INTERFACE "s", length 32 at 60, string 64..96 */
    "\x00\x00\x00\x00\x00\x00"
    "\x02\x01s\x00"
    "\x20\x00\x00\x00"
    "org.freedesktop.systemd1.Manager\x00"
    /* 97: pad to 104; MEMBER, length 18 at 108, string 112..130 */
    "\x00\x00\x00\x00\x00\x00\x00"
    "\x03\x01s\x00"
    "\x12\x00\x00\x00"
    "StartTransientUnit\x00"
    /* 131: pad to 136; DESTINATION, length 24 at 140, string 144..168 */
    "\x00\x00\x00\x00\x00"
    "\x06\x01s\x00"
    "\x18\x00\x00\x00"
    "org.freedesktop.systemd1\x00"
    /* 169: pad to 176; SIGNATURE, variant "g", byte length 16 at 180 */
    "\x00\x00\x00\x00\x00\x00\x00"
    "\x08\x01g\x00"
    "\x10"
    "ssa(sv)a(sa(sv))\x00"
    /* 198: pad to 200, where the body starts (body offsets below) */
    "\x00\x00"
    /* b0: "a.scope" */ "\x07\x00\x00\x00"
    "a.scope\x00"
    /* b12: "replace" */ "\x07\x00\x00\x00"
    "replace\x00"
    /* b24: a(sv) length 160 (b32..b191), pad to 8 */ "\xa0\x00\x00\x00"
    "\x00\x00\x00\x00"
    /* b32: ("Description", <s "husk container a.scope">) */
    "\x0b\x00\x00\x00"
    "Description\x00"
    "\x01s\x00"
    /* b51: pad */ "\x00"
    "\x16\x00\x00\x00"
    "husk container a.scope\x00"
    /* b79: pad to b80: ("Slice", <s "s.slice">) */ "\x00"
    "\x05\x00\x00\x00"
    "Slice\x00"
    "\x01s\x00"
    /* b93: pad to b96 */ "\x00\x00\x00"
    "\x07\x00\x00\x00"
    "s.slice\x00"
    /* b108: pad to b112: ("Delegate", <b true>) */ "\x00\x00\x00\x00"
    "\x08\x00\x00\x00"
    "Delegate\x00"
    "\x01"
    "b\x00"
    /* b128 */ "\x01\x00\x00\x00"
    /* b132: pad to b136: ("PIDs", <au [7]>) */ "\x00\x00\x00\x00"
    "\x04\x00\x00\x00"
    "PIDs\x00"
    "\x02"
    "au\x00"
    /* b149: pad to b152; array length 4, element 7 at b156 */ "\x00\x00\x00"
    "\x04\x00\x00\x00"
    "\x07\x00\x00\x00"
    /* b160: ("DefaultDependencies", <b false>) */
    "\x13\x00\x00\x00"
    "DefaultDependencies\x00"
    "\x01"
    "b\x00"
    /* b187: pad to b188 */ "\x00"
    "\x00\x00\x00\x00"
    /* b192: a(sa(sv)) empty: length 0, then padding to 8 all the same */
    "\x00\x00\x00\x00"
    "\x00\x00\x00\x00";

static void test_marshal_start(void) {
  struct husk_dbus_writer body = {0};
  husk_systemd_start_body(&body, "s.slice", "a.scope", 7, NULL);
  size_t len;
  uint8_t *msg = husk_dbus_build_call(1, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                      "org.freedesktop.systemd1.Manager", "StartTransientUnit",
                                      "ssa(sv)a(sa(sv))", body.data, body.len, &len);
  size_t want = sizeof(start_call) - 1;
  bool same = len == want && memcmp(msg, start_call, want) == 0;
  if (!tap_ok(same, "StartTransientUnit marshals to the hand-checked %zu bytes", want))
    dump_diff(msg, len, (const uint8_t *)start_call, want);

  /* Our own parser reads it back. */
  struct husk_dbus_msg m;
  husk_error_t err = {0};
  int r = husk_dbus_msg_parse(msg, len, &m, &err);
  tap_ok(r == 0 && m.type == HUSK_DBUS_METHOD_CALL && m.serial == 1 &&
             strcmp(m.member, "StartTransientUnit") == 0 &&
             strcmp(m.path, "/org/freedesktop/systemd1") == 0 &&
             strcmp(m.signature, "ssa(sv)a(sa(sv))") == 0 && m.body_len == 200,
         "the call parses back: %s", err.msg ? err.msg : "ok");
  struct husk_dbus_reader rd;
  const char *unit = NULL, *mode = NULL;
  husk_dbus_reader_init(&rd, &m);
  r = husk_dbus_get_string(&rd, &unit, &err) | husk_dbus_get_string(&rd, &mode, &err) |
      husk_dbus_skip(&rd, &err) | husk_dbus_skip(&rd, &err);
  tap_ok(r == 0 && strcmp(unit, "a.scope") == 0 && strcmp(mode, "replace") == 0 &&
             rd.pos == rd.len && *rd.sig == '\0',
         "its arguments read and skip to the end of the body: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  husk_dbus_msg_free(&m);
  free(msg);
  husk_dbus_writer_free(&body);
}

static uint64_t prop_u64_of(const struct husk_dbus_writer *w, const char *name, bool *found) {
  /* Find "name" as a string followed by signature "t"; values are 8-aligned. */
  size_t n = strlen(name);
  *found = false;
  for (size_t i = 4; i + n + 4 < w->len; i++)
    if (memcmp(w->data + i, name, n + 1) == 0 && w->data[i - 4] == n && w->data[i + n + 1] == 1 &&
        w->data[i + n + 2] == 't') {
      size_t v = (i + n + 4 + 7) / 8 * 8;
      uint64_t out = 0;
      for (int k = 7; k >= 0; k--)
        out = out << 8 | w->data[v + k];
      *found = true;
      return out;
    }
  return 0;
}

static void test_resources(void) {
  struct husk_resources res = {0};
  res.has_memory = true;
  res.memory.has_limit = true;
  res.memory.limit = 64 << 20;
  res.has_pids = true;
  res.pids_limit = -1;
  res.has_cpu = true;
  res.cpu.has_shares = true;
  res.cpu.shares = 1024;
  res.cpu.has_quota = true;
  res.cpu.quota = 50001;
  res.cpu.has_period = true;
  res.cpu.period = 100000;
  struct husk_dbus_writer w = {0};
  husk_systemd_start_body(&w, "s.slice", "b.scope", 9, &res);
  bool f1, f2, f3, f4;
  uint64_t mem = prop_u64_of(&w, "MemoryMax", &f1);
  uint64_t tasks = prop_u64_of(&w, "TasksMax", &f2);
  uint64_t weight = prop_u64_of(&w, "CPUWeight", &f3);
  uint64_t quota = prop_u64_of(&w, "CPUQuotaPerSecUSec", &f4);
  tap_ok(f1 && mem == 64 << 20, "memory.limit -> MemoryMax=%llu", (unsigned long long)mem);
  tap_ok(f2 && tasks == UINT64_MAX, "pids.limit -1 -> TasksMax=infinity");
  /* 1 + (1024 - 2) * 9999 / 262142 = 39.98 -> 39 */
  tap_ok(f3 && weight == 39, "cpu.shares 1024 -> CPUWeight=%llu", (unsigned long long)weight);
  /* 50001 / 100000 of a CPU = 500010 us/s, rounded up to 510000 */
  tap_ok(f4 && quota == 510000, "cpu quota 50001/100000 -> CPUQuotaPerSecUSec=%llu",
         (unsigned long long)quota);
  /* The whole body still parses as "ssa(sv)a(sa(sv))". */
  struct husk_dbus_msg m = {
      .signature = (char *)"ssa(sv)a(sa(sv))", .body = w.data, .body_len = w.len};
  struct husk_dbus_reader rd;
  husk_dbus_reader_init(&rd, &m);
  husk_error_t err = {0};
  int r = 0;
  for (int i = 0; i < 4; i++)
    r |= husk_dbus_skip(&rd, &err);
  tap_ok(r == 0 && rd.pos == rd.len, "the body with resources is well-formed: %s",
         err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  husk_dbus_writer_free(&w);
}

/* METHOD_RETURN, serial 16, reply to 1, signature "o": a job path. */
static const char canned_return[] = "l\x02\x01\x01"
                                    /* body length 37 */ "\x25\x00\x00\x00"
                                    /* serial 16 */ "\x10\x00\x00\x00"
                                    /* fields 16..30: 15 bytes */ "\x0f\x00\x00\x00"
                                    /* 16: REPLY_SERIAL <u 1> */ "\x05\x01u\x00"
                                    "\x01\x00\x00\x00"
                                    /* 24: SIGNATURE <g "o"> */ "\x08\x01g\x00"
                                    "\x01o\x00"
                                    /* 31: pad to 32 */ "\x00"
                                    /* 32: body */ "\x20\x00\x00\x00"
                                    "/org/freedesktop/systemd1/job/42\x00";

/* ERROR, big-endian, serial 17, reply to 2, with an unknown header field
 * 0x20 holding <a(yy) [(1,2)]> that must be skipped. */
static const char canned_error[] = "B\x03\x01\x01"
                                   /* body length 29 */ "\x00\x00\x00\x1d"
                                   /* serial 17 */ "\x00\x00\x00\x11"
                                   /* fields 16..97: 82 bytes */ "\x00\x00\x00\x52"
                                   /* 16: ERROR_NAME <s ...> (35 chars) */ "\x04\x01s\x00"
                                   "\x00\x00\x00\x23"
                                   "org.freedesktop.systemd1.NoSuchUnit\x00"
                                   /* 60: pad to 64; REPLY_SERIAL <u 2> */ "\x00\x00\x00\x00"
                                   "\x05\x01u\x00"
                                   "\x00\x00\x00\x02"
                                   /* 72: SIGNATURE <g "s"> */ "\x08\x01g\x00"
                                   "\x01s\x00"
                                   /* 79: pad to 80; unknown field 0x20 <a(yy)> */ "\x00"
                                   "\x20\x05"
                                   "a(yy)\x00"
                                   /* 88: array length 2, pad to 96, (1,2) */ "\x00\x00\x00\x02"
                                   "\x00\x00\x00\x00"
                                   "\x01\x02"
                                   /* 98: pad to 104 */ "\x00\x00\x00\x00\x00\x00"
                                   /* 104: body */ "\x00\x00\x00\x18"
                                   "Unit x.scope not loaded.\x00";

static void test_parse_canned(void) {
  struct husk_dbus_msg m;
  husk_error_t err = {0};
  struct husk_dbus_reader rd;
  const char *s = NULL;
  size_t total = 0;
  int r = husk_dbus_msg_size((const uint8_t *)canned_return, &total, &err);
  tap_ok(r == 0 && total == sizeof(canned_return) - 1,
         "METHOD_RETURN size from its first 16 bytes");
  r = husk_dbus_msg_parse((const uint8_t *)canned_return, sizeof(canned_return) - 1, &m, &err);
  tap_ok(r == 0 && m.type == HUSK_DBUS_METHOD_RETURN && m.serial == 16 && m.has_reply_serial &&
             m.reply_serial == 1 && strcmp(m.signature, "o") == 0,
         "canned METHOD_RETURN parses: %s", err.msg ? err.msg : "ok");
  if (r == 0) {
    husk_dbus_reader_init(&rd, &m);
    r = husk_dbus_get_path(&rd, &s, &err);
    tap_ok(r == 0 && strcmp(s, "/org/freedesktop/systemd1/job/42") == 0, "its job path reads");
    r = husk_dbus_get_string(&rd, &s, &err);
    tap_ok(r < 0, "reading past the last argument fails: %s", err.msg ? err.msg : "no error");
    husk_error_clear(&err);
    husk_dbus_msg_free(&m);
  }

  r = husk_dbus_msg_parse((const uint8_t *)canned_error, sizeof(canned_error) - 1, &m, &err);
  tap_ok(r == 0 && m.type == HUSK_DBUS_ERROR && m.big_endian && m.serial == 17 &&
             m.reply_serial == 2 &&
             strcmp(m.error_name, "org.freedesktop.systemd1.NoSuchUnit") == 0,
         "canned big-endian ERROR parses, unknown field skipped: %s", err.msg ? err.msg : "ok");
  if (r == 0) {
    husk_dbus_reader_init(&rd, &m);
    r = husk_dbus_get_string(&rd, &s, &err);
    tap_ok(r == 0 && strcmp(s, "Unit x.scope not loaded.") == 0, "its message reads");
    husk_dbus_msg_free(&m);
  }
  husk_error_clear(&err);

  /* Damage: every truncation is refused, never read past. */
  bool all_refused = true;
  for (size_t n = 0; n < sizeof(canned_error) - 1; n++) {
    uint8_t *copy = husk_xmalloc(n + 1);
    memcpy(copy, canned_error, n);
    if (husk_dbus_msg_parse(copy, n, &m, &err) == 0) {
      all_refused = false;
      husk_dbus_msg_free(&m);
    }
    husk_error_clear(&err);
    free(copy);
  }
  tap_ok(all_refused, "every truncated copy of the ERROR is refused");
  char bad[sizeof(canned_return)];
  memcpy(bad, canned_return, sizeof(bad));
  bad[32] = 0x40; /* the body string's length now runs past the body */
  r = husk_dbus_msg_parse((const uint8_t *)bad, sizeof(bad) - 1, &m, &err);
  if (r == 0) {
    husk_dbus_reader_init(&rd, &m);
    r = husk_dbus_get_path(&rd, &s, &err);
    husk_dbus_msg_free(&m);
  }
  tap_ok(r < 0 && err.errnum == EBADMSG, "a string running past the body is refused: %s",
         err.msg ? err.msg : "accepted");
  husk_error_clear(&err);
}

/* ---- 2. a fake systemd ------------------------------------------------ */

static void field(struct husk_dbus_writer *h, uint8_t code, const char *sig, const char *v) {
  if (v == NULL)
    return;
  husk_dbus_struct_begin(h);
  husk_dbus_put_byte(h, code);
  husk_dbus_put_signature(h, sig);
  if (*sig == 'g')
    husk_dbus_put_signature(h, v);
  else
    husk_dbus_put_string(h, v);
}

/* What the fake sends: any message type, little-endian. */
static void send_msg(int fd, uint8_t type, uint32_t serial, uint32_t reply_to, const char *path,
                     const char *iface, const char *member, const char *error_name, const char *sig,
                     const struct husk_dbus_writer *body) {
  struct husk_dbus_writer h = {0};
  husk_dbus_put_byte(&h, 'l');
  husk_dbus_put_byte(&h, type);
  husk_dbus_put_byte(&h, 1);
  husk_dbus_put_byte(&h, 1);
  husk_dbus_put_u32(&h, body ? (uint32_t)body->len : 0);
  husk_dbus_put_u32(&h, serial);
  struct husk_dbus_array a = husk_dbus_array_begin(&h, 8);
  field(&h, 1, "o", path);
  field(&h, 2, "s", iface);
  field(&h, 3, "s", member);
  field(&h, 4, "s", error_name);
  if (reply_to) {
    husk_dbus_struct_begin(&h);
    husk_dbus_put_byte(&h, 5);
    husk_dbus_put_signature(&h, "u");
    husk_dbus_put_u32(&h, reply_to);
  }
  field(&h, 7, "s", "org.freedesktop.systemd1");
  field(&h, 8, "g", sig);
  husk_dbus_array_end(&h, a);
  husk_dbus_put_align(&h, 8);
  if (husk_write_all(fd, h.data, h.len) < 0 ||
      (body && body->len && husk_write_all(fd, body->data, body->len) < 0))
    _exit(4);
  husk_dbus_writer_free(&h);
}

static uint32_t fake_serial = 100;

static void reply(int fd, const struct husk_dbus_msg *call, const char *sig,
                  const struct husk_dbus_writer *body) {
  send_msg(fd, HUSK_DBUS_METHOD_RETURN, ++fake_serial, call->serial, NULL, NULL, NULL, NULL, sig,
           body);
}

static void reply_string(int fd, const struct husk_dbus_msg *call, char type, const char *s) {
  struct husk_dbus_writer b = {0};
  husk_dbus_put_string(&b, s);
  reply(fd, call, type == 'o' ? "o" : "s", &b);
  husk_dbus_writer_free(&b);
}

static void reply_error(int fd, const struct husk_dbus_msg *call, const char *name,
                        const char *text) {
  struct husk_dbus_writer b = {0};
  husk_dbus_put_string(&b, text);
  send_msg(fd, HUSK_DBUS_ERROR, ++fake_serial, call->serial, NULL, NULL, NULL, name, "s", &b);
  husk_dbus_writer_free(&b);
}

static void job_removed(int fd, uint32_t id, const char *unit, const char *result) {
  struct husk_dbus_writer b = {0};
  _cleanup_free_ char *job = husk_xasprintf("/org/freedesktop/systemd1/job/%u", id);
  husk_dbus_put_u32(&b, id);
  husk_dbus_put_string(&b, job);
  husk_dbus_put_string(&b, unit);
  husk_dbus_put_string(&b, result);
  send_msg(fd, HUSK_DBUS_SIGNAL, ++fake_serial, 0, "/org/freedesktop/systemd1",
           "org.freedesktop.systemd1.Manager", "JobRemoved", NULL, "uoss", &b);
  husk_dbus_writer_free(&b);
}

static int read_exact(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r <= 0)
      return -1;
    got += (size_t)r;
  }
  return 0;
}

static int fake_read_line(int fd, char *line, size_t size) {
  size_t n = 0;
  while (n + 1 < size) {
    if (read_exact(fd, line + n, 1) < 0)
      return -1;
    n++;
    if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
      line[n - 2] = '\0';
      return 0;
    }
  }
  return -1;
}

/* Serve one client.  Exit codes: 2 bad SASL, 3 malformed call, 4 I/O. */
static void fake_serve(int fd) {
  char line[256], want[128], uid[32];
  snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
  strcpy(want, "AUTH EXTERNAL ");
  for (size_t i = 0; uid[i]; i++)
    snprintf(want + strlen(want), 3, "%02x", (unsigned char)uid[i]);
  char nul;
  if (read_exact(fd, &nul, 1) < 0 || nul != '\0' || fake_read_line(fd, line, sizeof(line)) < 0)
    _exit(2);
  if (strcmp(line, "AUTH EXTERNAL") == 0) {
    /* No uid claimed: ask for it, as sd-bus does, and take an empty one
     * (the peer's credentials). */
    const char data[] = "DATA\r\n";
    if (husk_write_all(fd, data, sizeof(data) - 1) < 0 ||
        fake_read_line(fd, line, sizeof(line)) < 0 || strcmp(line, "DATA") != 0)
      _exit(2);
  } else if (strcmp(line, want) != 0) {
    _exit(2);
  }
  const char ok[] = "OK 0123456789abcdef0123456789abcdef\r\n";
  if (husk_write_all(fd, ok, sizeof(ok) - 1) < 0 || fake_read_line(fd, line, sizeof(line)) < 0 ||
      strcmp(line, "BEGIN") != 0)
    _exit(2);
  uint32_t job = 42;
  for (;;) {
    uint8_t head[16];
    size_t total;
    if (read_exact(fd, head, 16) < 0)
      return; /* the client hung up: done */
    if (husk_dbus_msg_size(head, &total, NULL) < 0)
      _exit(3);
    uint8_t *buf = husk_xmalloc(total);
    memcpy(buf, head, 16);
    if (read_exact(fd, buf + 16, total - 16) < 0)
      _exit(4);
    struct husk_dbus_msg m;
    if (husk_dbus_msg_parse(buf, total, &m, NULL) < 0 || m.type != HUSK_DBUS_METHOD_CALL ||
        m.member == NULL)
      _exit(3);
    free(buf);
    struct husk_dbus_reader rd;
    const char *unit = NULL;
    husk_dbus_reader_init(&rd, &m);
    if (strcmp(m.member, "Hello") == 0) {
      reply_string(fd, &m, 's', ":1.7");
      /* A bus sends NameAcquired after Hello; the client must not mind. */
      send_msg(fd, HUSK_DBUS_SIGNAL, ++fake_serial, 0, "/org/freedesktop/DBus",
               "org.freedesktop.DBus", "NameAcquired", NULL, NULL, NULL);
    } else if (strcmp(m.member, "AddMatch") == 0 || strcmp(m.member, "Subscribe") == 0 ||
               strcmp(m.member, "ResetFailedUnit") == 0) {
      reply(fd, &m, NULL, NULL);
    } else if (strcmp(m.member, "StartTransientUnit") == 0) {
      if (strcmp(m.signature, "ssa(sv)a(sa(sv))") != 0 ||
          husk_dbus_get_string(&rd, &unit, NULL) < 0)
        _exit(3);
      _cleanup_free_ char *path = husk_xasprintf("/org/freedesktop/systemd1/job/%u", job);
      if (strcmp(unit, "exists.scope") == 0) {
        reply_error(fd, &m, "org.freedesktop.systemd1.UnitExists",
                    "Unit exists.scope was already loaded or has a fragment file.");
      } else if (strcmp(unit, "early.scope") == 0) {
        /* The job's end before the reply that names it. */
        job_removed(fd, job, unit, "done");
        reply_string(fd, &m, 'o', path);
      } else {
        job_removed(fd, 41, "other.scope", "done"); /* someone else's job */
        send_msg(fd, HUSK_DBUS_SIGNAL, ++fake_serial, 0, "/org/freedesktop/systemd1",
                 "org.freedesktop.systemd1.Manager", "UnitNew", NULL, NULL, NULL);
        reply_string(fd, &m, 'o', path);
        if (strcmp(unit, "hang.scope") != 0)
          job_removed(fd, job, unit, strcmp(unit, "fail.scope") == 0 ? "failed" : "done");
      }
      job++;
    } else if (strcmp(m.member, "Get") == 0) {
      const char *iface = NULL, *prop = NULL;
      if (strcmp(m.signature, "ss") != 0 || husk_dbus_get_string(&rd, &iface, NULL) < 0 ||
          husk_dbus_get_string(&rd, &prop, NULL) < 0 ||
          strcmp(iface, "org.freedesktop.systemd1.Manager") != 0 ||
          strcmp(prop, "ControlGroup") != 0)
        _exit(3);
      struct husk_dbus_writer b = {0};
      husk_dbus_put_signature(&b, "s");
      husk_dbus_put_string(&b, "/user.slice/user-1000.slice/user@1000.service");
      reply(fd, &m, "v", &b);
      husk_dbus_writer_free(&b);
    } else if (strcmp(m.member, "StopUnit") == 0) {
      if (strcmp(m.signature, "ss") != 0 || husk_dbus_get_string(&rd, &unit, NULL) < 0)
        _exit(3);
      if (strcmp(unit, "gone.scope") == 0) {
        reply_error(fd, &m, "org.freedesktop.systemd1.NoSuchUnit", "Unit gone.scope not loaded.");
      } else {
        _cleanup_free_ char *path = husk_xasprintf("/org/freedesktop/systemd1/job/%u", job);
        reply_string(fd, &m, 'o', path);
        job_removed(fd, job++, unit, "done");
      }
    } else {
      reply_error(fd, &m, "org.freedesktop.DBus.Error.UnknownMethod", "no such method");
    }
    husk_dbus_msg_free(&m);
  }
}

static void test_fake_systemd(void) {
  char dir[] = "/tmp/husk-dbus-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    skip("mkdtemp failed");
    return;
  }
  _cleanup_free_ char *sock = husk_xasprintf("%s/private", dir);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 2) < 0) {
    tap_ok(0, "listen on %s: %s", sock, strerror(errno));
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    free(husk_steal_ptr(sock)); /* the parent's; valgrind checks the child too */
    for (int i = 0; i < 3; i++) {
      int fd = accept(lfd, NULL, NULL);
      if (fd < 0)
        _exit(4);
      fake_serve(fd);
      close(fd);
    }
    _exit(0);
  }
  close(lfd);

  husk_error_t err = {0};
  struct husk_dbus_conn c;
  int r = husk_dbus_connect(sock, false, &c, &err);
  tap_ok(r == 0, "SASL EXTERNAL with a fake systemd: %s", err.msg ? err.msg : "ok");
  if (r < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return;
  }
  r = husk_systemd_start_scope_on(&c, "s.slice", "a.scope", 7, NULL, 5000, &err);
  tap_ok(r == 0, "StartTransientUnit a.scope, its JobRemoved after others' signals: %s",
         err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  r = husk_systemd_start_scope_on(&c, "s.slice", "early.scope", 7, NULL, 5000, &err);
  tap_ok(r == 0, "a JobRemoved read before the reply is kept and found: %s",
         err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  r = husk_systemd_start_scope_on(&c, "s.slice", "fail.scope", 7, NULL, 5000, &err);
  tap_ok(r < 0 && err.msg && strstr(err.msg, "fail.scope") && strstr(err.msg, "\"failed\""),
         "a failed job is an error naming the unit: %s", err.msg ? err.msg : "no error");
  husk_error_clear(&err);
  r = husk_systemd_start_scope_on(&c, "s.slice", "hang.scope", 7, NULL, 300, &err);
  tap_ok(r < 0 && err.errnum == ETIMEDOUT && err.msg && strstr(err.msg, "hang.scope"),
         "a job that never ends times out: %s", err.msg ? err.msg : "no error");
  husk_error_clear(&err);
  r = husk_systemd_start_scope_on(&c, "s.slice", "exists.scope", 7, NULL, 5000, &err);
  tap_ok(r < 0 && err.msg &&
             strstr(err.msg, "StartTransientUnit exists.scope: "
                             "org.freedesktop.systemd1.UnitExists: Unit exists.scope was"),
         "an ERROR reply becomes the error text: %s", err.msg ? err.msg : "no error");
  husk_error_clear(&err);
  r = husk_systemd_start_scope_on(&c, "s.slice", "x.service", 7, NULL, 5000, &err);
  tap_ok(r < 0 && err.errnum == EINVAL, "a unit that is no scope is refused: %s",
         err.msg ? err.msg : "no error");
  husk_error_clear(&err);
  r = husk_systemd_stop_scope_on(&c, "gone.scope", 5000, &err);
  tap_ok(r == 0, "StopUnit of a unit systemd no longer has is fine: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  r = husk_systemd_stop_scope_on(&c, "a.scope", 5000, &err);
  tap_ok(r == 0, "StopUnit a.scope waits for its job: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  husk_dbus_close(&c);

  /* As on the system bus: Hello, then AddMatch before Subscribe. */
  r = husk_dbus_connect(sock, true, &c, &err);
  tap_ok(r == 0 && c.unique_name && strcmp(c.unique_name, ":1.7") == 0,
         "Hello on a bus names the connection: %s", err.msg ? err.msg : c.unique_name);
  if (r == 0) {
    r = husk_systemd_start_scope_on(&c, "s.slice", "bus.scope", 7, NULL, 5000, &err);
    tap_ok(r == 0, "StartTransientUnit over the bus: %s", err.msg ? err.msg : "ok");
    husk_error_clear(&err);
    husk_dbus_close(&c);
  }
  husk_error_clear(&err);

  /* As to a user manager: no uid claimed (inside a user namespace our euid
   * is not what the server sees), then its ControlGroup property. */
  r = husk_dbus_connect_with(sock, false, false, &c, &err);
  tap_ok(r == 0, "SASL EXTERNAL by peer credentials (AUTH EXTERNAL, DATA): %s",
         err.msg ? err.msg : "ok");
  if (r == 0) {
    _cleanup_free_ char *cg = NULL;
    r = husk_systemd_manager_cgroup_on(&c, &cg, &err);
    tap_ok(r == 0 && cg && strcmp(cg, "/user.slice/user-1000.slice/user@1000.service") == 0,
           "the manager's ControlGroup property read from its variant: %s", err.msg ? err.msg : cg);
    husk_error_clear(&err);
    husk_dbus_close(&c);
  }
  husk_error_clear(&err);
  int status;
  waitpid(child, &status, 0);
  tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
         "the fake systemd found every call well-formed (exit %d)",
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  unlink(sock);
  rmdir(dir);

  /* Nobody listening: the error names the socket. */
  r = husk_dbus_connect(sock, false, &c, &err);
  tap_ok(r < 0 && err.msg && strstr(err.msg, sock), "connect failure names the socket: %s",
         err.msg ? err.msg : "connected?");
  husk_error_clear(&err);
}

/* ---- 3. live ---------------------------------------------------------- */

static void test_live(void) {
  char comm[64] = "";
  FILE *f = fopen("/proc/1/comm", "re");
  if (f) {
    if (fgets(comm, sizeof(comm), f))
      comm[strcspn(comm, "\n")] = '\0';
    fclose(f);
  }
  struct stat st;
  if (strcmp(comm, "systemd") != 0 || lstat("/run/systemd/system", &st) < 0) {
    char why[256];
    snprintf(why, sizeof(why),
             "no systemd running as PID 1 on this machine (/proc/1/comm is \"%s\"); the D-Bus "
             "calls are tested against canned bytes and a fake systemd only",
             comm);
    skip(why);
    return;
  }
  if (geteuid() != 0) {
    skip("systemd runs, but /run/systemd/private and transient system units need root");
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  _cleanup_free_ char *unit = husk_xasprintf("husk-test-%d.scope", (int)getpid());
  husk_error_t err = {0};
  struct husk_resources res = {.has_pids = true, .pids_limit = 42};
  int r = husk_systemd_start_scope("system.slice", unit, child, &res, &err);
  tap_ok(r == 0, "live: StartTransientUnit %s: %s", unit, err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  _cleanup_free_ char *cgfile = husk_xasprintf("/proc/%d/cgroup", (int)child);
  _cleanup_free_ char *cg = NULL;
  size_t len;
  if (r == 0 && husk_read_file(cgfile, 1 << 16, &cg, &len, &err) == 0)
    tap_ok(strstr(cg, unit) != NULL, "live: the pid is in %s: %s", unit, cg);
  else
    tap_ok(0, "live: read %s: %s", cgfile, err.msg ? err.msg : "start failed");
  husk_error_clear(&err);
  r = husk_systemd_stop_scope(unit, &err);
  tap_ok(r == 0, "live: StopUnit %s: %s", unit, err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  int status;
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  r = husk_systemd_stop_scope(unit, &err);
  tap_ok(r == 0, "live: stopping it again (NoSuchUnit) is fine: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  test_marshal_start();
  test_resources();
  test_parse_canned();
  test_fake_systemd();
  test_live();
  return tap_done();
}
