/* husk — a minimal D-Bus client, written from the D-Bus specification, for
 * the few calls the systemd cgroup driver makes: connect (systemd's private
 * socket, else the system bus), SASL EXTERNAL, marshal a METHOD_CALL, read
 * METHOD_RETURN / ERROR / SIGNAL messages.  No libdbus, no libsystemd: a
 * runtime should not pull a bus library in for four method calls.
 *
 * Only what husk sends is marshalled (basic types, arrays, structs,
 * variants); anything a peer sends can be parsed or skipped, in either byte
 * order.  Unix fd passing is never negotiated. */
#ifndef HUSK_DBUS_MIN_H
#define HUSK_DBUS_MIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/error.h"

enum husk_dbus_type {
  HUSK_DBUS_METHOD_CALL = 1,
  HUSK_DBUS_METHOD_RETURN = 2,
  HUSK_DBUS_ERROR = 3,
  HUSK_DBUS_SIGNAL = 4,
};

/* ---- marshalling ------------------------------------------------------ */

/* A growing byte buffer.  Offsets (and so alignment) count from its start,
 * which is the start of a message body: bodies begin 8-aligned in a
 * message, so body-relative alignment is the message's alignment. */
struct husk_dbus_writer {
  uint8_t *data;
  size_t len, cap;
};

void husk_dbus_writer_free(struct husk_dbus_writer *w);
void husk_dbus_put_align(struct husk_dbus_writer *w, size_t align);
void husk_dbus_put_byte(struct husk_dbus_writer *w, uint8_t v);
void husk_dbus_put_bool(struct husk_dbus_writer *w, bool v);
void husk_dbus_put_u32(struct husk_dbus_writer *w, uint32_t v);
void husk_dbus_put_u64(struct husk_dbus_writer *w, uint64_t v);
/* 's' and 'o' (uint32 length, bytes, NUL). */
void husk_dbus_put_string(struct husk_dbus_writer *w, const char *s);
/* 'g' (byte length, bytes, NUL). */
void husk_dbus_put_signature(struct husk_dbus_writer *w, const char *sig);
/* An array: begin writes the length placeholder and pads to the element
 * alignment (that padding is not part of the length, and is there even
 * when the array is empty); end patches the length in. */
struct husk_dbus_array {
  size_t len_pos, start;
};
struct husk_dbus_array husk_dbus_array_begin(struct husk_dbus_writer *w, size_t elem_align);
void husk_dbus_array_end(struct husk_dbus_writer *w, struct husk_dbus_array a);
/* A struct or dict entry starts 8-aligned. */
static inline void husk_dbus_struct_begin(struct husk_dbus_writer *w) { husk_dbus_put_align(w, 8); }

/* A complete METHOD_CALL message: fixed header, header fields (PATH,
 * INTERFACE, MEMBER, DESTINATION, SIGNATURE; NULL ones left out), padding
 * to 8, body.  Little-endian.  Freed with free(). */
uint8_t *husk_dbus_build_call(uint32_t serial, const char *destination, const char *path,
                              const char *interface, const char *member, const char *signature,
                              const uint8_t *body, size_t body_len, size_t *out_len);

/* ---- parsing ---------------------------------------------------------- */

struct husk_dbus_msg {
  uint8_t type, flags;
  bool big_endian;
  uint32_t serial;
  bool has_reply_serial;
  uint32_t reply_serial;
  /* Header fields, NUL-terminated copies; NULL when absent. */
  char *path, *interface, *member, *error_name, *destination, *sender, *signature;
  uint8_t *body;
  size_t body_len;
};

void husk_dbus_msg_free(struct husk_dbus_msg *m);

/* How long the whole message is, from its first 16 bytes; -1 (with *err)
 * when the fixed header is malformed or the message is over the
 * specification's 128 MiB limit. */
int husk_dbus_msg_size(const uint8_t *head16, size_t *total, husk_error_t *err);

/* Parse one whole message (as read off the wire) into *m. */
int husk_dbus_msg_parse(const uint8_t *data, size_t len, struct husk_dbus_msg *m,
                        husk_error_t *err);

/* A cursor over a message body, for reading its arguments in order. */
struct husk_dbus_reader {
  const uint8_t *data;
  size_t len, pos;
  bool big_endian;
  const char *sig; /* the body's remaining signature */
};

void husk_dbus_reader_init(struct husk_dbus_reader *r, const struct husk_dbus_msg *m);
/* Read the next argument when it is of that type; -1 (with *err) when it
 * is not or the body is short.  Strings point into the message body. */
int husk_dbus_get_u32(struct husk_dbus_reader *r, uint32_t *v, husk_error_t *err);
int husk_dbus_get_string(struct husk_dbus_reader *r, const char **s, husk_error_t *err);
int husk_dbus_get_path(struct husk_dbus_reader *r, const char **s, husk_error_t *err);
/* A variant holding a string ("v" of "s"), as Properties.Get returns. */
int husk_dbus_get_variant_string(struct husk_dbus_reader *r, const char **s, husk_error_t *err);
/* Step over the next complete argument of any type. */
int husk_dbus_skip(struct husk_dbus_reader *r, husk_error_t *err);

/* ---- a connection ----------------------------------------------------- */

struct husk_dbus_conn {
  int fd;
  uint32_t serial;   /* last serial used */
  bool bus;          /* a bus daemon (Hello made, AddMatch needed for signals) */
  char *unique_name; /* from Hello; NULL on a direct connection */
  /* Signals read while waiting for a method reply, kept for
   * husk_dbus_next_signal: a JobRemoved can come before the reply that
   * names its job. */
  struct husk_dbus_msg *pending;
  size_t pending_len;
};

/* Connect to `path` (a unix socket), authenticate with EXTERNAL as our
 * uid, and, when `bus` is set, say Hello to the bus daemon. */
int husk_dbus_connect(const char *path, bool bus, struct husk_dbus_conn *c, husk_error_t *err);
/* The same; with claim_uid false, EXTERNAL names no uid and the server
 * takes the socket's peer credentials (works inside a user namespace). */
int husk_dbus_connect_with(const char *path, bool bus, bool claim_uid, struct husk_dbus_conn *c,
                           husk_error_t *err);
/* systemd's private socket /run/systemd/private (no bus daemon needed),
 * else the system bus at /run/dbus/system_bus_socket. */
int husk_dbus_connect_systemd(struct husk_dbus_conn *c, husk_error_t *err);
/* The calling user's systemd manager: $XDG_RUNTIME_DIR/systemd/private,
 * else the session bus (DBUS_SESSION_BUS_ADDRESS's unix:path=, or
 * $XDG_RUNTIME_DIR/bus), authenticated by peer credentials. */
int husk_dbus_connect_systemd_user(struct husk_dbus_conn *c, husk_error_t *err);
/* An already connected socket (tests: a socketpair), after authentication. */
void husk_dbus_conn_from_fd(struct husk_dbus_conn *c, int fd);
void husk_dbus_close(struct husk_dbus_conn *c);

/* Send a METHOD_CALL and wait up to timeout_ms for its METHOD_RETURN, read
 * into *reply.  An ERROR reply fails with its name and first string
 * argument as the text: "<what>: org.freedesktop.systemd1.NoSuchUnit: Unit
 * x.scope not loaded."; `what` names the call in every message, and
 * *error_name (when not NULL) gets a copy of the error's name. */
int husk_dbus_call(struct husk_dbus_conn *c, const char *what, const char *destination,
                   const char *path, const char *interface, const char *member,
                   const char *signature, const struct husk_dbus_writer *body, int timeout_ms,
                   struct husk_dbus_msg *reply, char **error_name, husk_error_t *err);

/* The next SIGNAL (queued ones first), waiting until deadline_ms
 * (CLOCK_MONOTONIC, in ms); ETIMEDOUT when none came in time. */
int husk_dbus_next_signal(struct husk_dbus_conn *c, int64_t deadline_ms, struct husk_dbus_msg *sig,
                          husk_error_t *err);

int64_t husk_dbus_now_ms(void);

#endif
