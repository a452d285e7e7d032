/* husk — typed access to a yajl tree that remembers where it is.
 *
 * A husk_jnode is a value plus the way to it (parent, key or index), kept on
 * the caller's stack, so that any error can name the exact field:
 * "config.json: linux.namespaces[2].type: unknown namespace "pidd"".
 *
 * Getters return 0 on success and -1 (with the error set) when the value has
 * the wrong type or does not fit.  The husk_jget_* field getters return 1 when
 * the field was present and stored, 0 when it is absent (the output is left
 * alone) and -1 on error.  JSON null counts as absent, as in Go's decoder. */
#ifndef HUSK_JSON_H
#define HUSK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "husk/error.h"
#include "husk/spec.h"

/* Deeper documents are rejected before yajl_tree builds (and recursively
 * frees) them: no valid config comes near this. */
#define HUSK_JSON_MAX_DEPTH 64

struct husk_jnode {
  yajl_val v;                      /* NULL when absent (or null) */
  const struct husk_jnode *parent; /* NULL at the document root */
  const char *key;                 /* member name; NULL for array items */
  size_t index;                    /* array index when key is NULL */
  const char *origin;              /* "config.json" */
  husk_error_t *err;
};

/* Parse `len` bytes (need not be NUL-terminated) into a tree.  Syntax errors
 * read "<origin>: line N: invalid JSON: <reason>". */
int husk_json_parse(const char *json, size_t len, const char *origin, yajl_val *out,
                    husk_error_t *err);

struct husk_jnode husk_jroot(yajl_val v, const char *origin, husk_error_t *err);
/* The member `key` of an object node (the last one if repeated, as Go does). */
struct husk_jnode husk_jfield(const struct husk_jnode *obj, const char *key);
/* Item i of an array node / member i of an object node (key is its name). */
struct husk_jnode husk_jitem(const struct husk_jnode *arr, size_t i);
struct husk_jnode husk_jmember(const struct husk_jnode *obj, size_t i);

static inline bool husk_jpresent(const struct husk_jnode *n) { return n->v != NULL; }

/* "linux.namespaces[2].type"; "" for the root.  Caller frees. */
char *husk_jpath(const struct husk_jnode *n);

/* How a member name is appended to a path: ".eth0", or ["net.ipv4.ip_forward"]
 * for names that are not plain words.  Caller frees. */
char *husk_jpath_key(const char *key);

/* Set a configuration error: the message as given (no strerror), errnum
 * EINVAL.  Returns -1. */
int husk_jfail(husk_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set "<origin>: <path>: <message>" and return -1. */
int husk_jerror(const struct husk_jnode *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short rendering of a value for messages: 23, "abc", an object, … */
char *husk_jdescribe(yajl_val v);
/* A string quoted, escaped and shortened the same way. */
char *husk_jquote(const char *s);

/* Type checks; *len receives the item/member count. */
int husk_jobject(const struct husk_jnode *n, size_t *len);
int husk_jarray(const struct husk_jnode *n, size_t *len);

int husk_jstr(const struct husk_jnode *n, char **out);
int husk_jbool(const struct husk_jnode *n, bool *out);
int husk_jint64(const struct husk_jnode *n, int64_t *out);
int husk_jint32(const struct husk_jnode *n, int32_t *out);
int husk_juint64(const struct husk_jnode *n, uint64_t *out);
int husk_juint32(const struct husk_jnode *n, uint32_t *out);
int husk_juint16(const struct husk_jnode *n, uint16_t *out);
int husk_jstrv(const struct husk_jnode *n, struct husk_strv *out);
int husk_jstrmap(const struct husk_jnode *n, struct husk_kv **out, size_t *len);
int husk_juint32v(const struct husk_jnode *n, uint32_t **out, size_t *len);

/* Field getters: 1 stored, 0 absent (error if `required`), -1 error. */
int husk_jget_str(const struct husk_jnode *obj, const char *key, bool required, char **out);
int husk_jget_bool(const struct husk_jnode *obj, const char *key, bool required, bool *out);
int husk_jget_int64(const struct husk_jnode *obj, const char *key, bool required, int64_t *out);
int husk_jget_int32(const struct husk_jnode *obj, const char *key, bool required, int32_t *out);
int husk_jget_uint64(const struct husk_jnode *obj, const char *key, bool required, uint64_t *out);
int husk_jget_uint32(const struct husk_jnode *obj, const char *key, bool required, uint32_t *out);
int husk_jget_uint16(const struct husk_jnode *obj, const char *key, bool required, uint16_t *out);
int husk_jget_strv(const struct husk_jnode *obj, const char *key, bool required,
                   struct husk_strv *out);
int husk_jget_strmap(const struct husk_jnode *obj, const char *key, bool required,
                     struct husk_kv **out, size_t *len);

/* The error for a required field that is absent. */
int husk_jmissing(const struct husk_jnode *n);

void husk_strv_free(struct husk_strv *v);
void husk_kv_free(struct husk_kv *kv, size_t len);

#endif
