/* husk — typed, path-aware access to yajl trees (see json.h). */
#include "config.h"

#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "util.h"

/* ---- parsing ---------------------------------------------------------- */

/* The strict pass keeps the JSON path of where it is, to name a string
 * with an embedded NUL (the tree's C strings would silently cut it). */
struct path_frame {
  bool array;
  long index; /* of the current element, -1 before the first */
  char *key;  /* of the current member */
};

struct depth_guard {
  int depth;
  bool too_deep;
  struct path_frame frames[HUSK_JSON_MAX_DEPTH + 1];
  char *nul_path; /* where a string holds a NUL byte */
};

static void value_begin(struct depth_guard *g) {
  if (g->depth > 0 && g->frames[g->depth - 1].array)
    g->frames[g->depth - 1].index++;
}

static int guard_open(struct depth_guard *g, bool array) {
  value_begin(g);
  if (g->depth >= HUSK_JSON_MAX_DEPTH) {
    g->too_deep = true;
    return 0;
  }
  g->frames[g->depth++] = (struct path_frame){.array = array, .index = -1};
  return 1;
}

static int guard_open_map(void *ctx) { return guard_open(ctx, false); }
static int guard_open_array(void *ctx) { return guard_open(ctx, true); }

static int guard_close(void *ctx) {
  struct depth_guard *g = ctx;
  free(g->frames[--g->depth].key);
  g->frames[g->depth].key = NULL;
  return 1;
}

static char *guard_path(const struct depth_guard *g) {
  char *path = husk_xstrdup("");
  for (int i = 0; i < g->depth; i++) {
    const struct path_frame *f = &g->frames[i];
    char *next = f->array ? husk_xasprintf("%s[%ld]", path, f->index)
                          : husk_xasprintf("%s%s%s", path, i ? "." : "", f->key ? f->key : "");
    free(path);
    path = next;
  }
  return path;
}

static bool has_nul(const unsigned char *s, size_t len) { return memchr(s, '\0', len) != NULL; }

static int guard_key(void *ctx, const unsigned char *key, size_t len) {
  struct depth_guard *g = ctx;
  struct path_frame *f = &g->frames[g->depth - 1];
  free(f->key);
  f->key = husk_xasprintf("%.*s", (int)len, (const char *)key);
  if (has_nul(key, len)) {
    g->nul_path = guard_path(g);
    return 0;
  }
  return 1;
}

static int guard_string(void *ctx, const unsigned char *str, size_t len) {
  struct depth_guard *g = ctx;
  value_begin(g);
  if (has_nul(str, len)) {
    g->nul_path = guard_path(g);
    return 0;
  }
  return 1;
}

static int guard_scalar(void *ctx) {
  value_begin(ctx);
  return 1;
}
static int guard_bool(void *ctx, int b) {
  (void)b;
  return guard_scalar(ctx);
}
static int guard_number(void *ctx, const char *n, size_t len) {
  (void)n, (void)len;
  return guard_scalar(ctx);
}

static const yajl_callbacks guard_callbacks = {
    .yajl_null = guard_scalar,
    .yajl_boolean = guard_bool,
    .yajl_number = guard_number,
    .yajl_string = guard_string,
    .yajl_start_map = guard_open_map,
    .yajl_map_key = guard_key,
    .yajl_end_map = guard_close,
    .yajl_start_array = guard_open_array,
    .yajl_end_array = guard_close,
};

static void guard_free(struct depth_guard *g) {
  for (int i = 0; i < g->depth; i++)
    free(g->frames[i].key);
  free(g->nul_path);
}

static unsigned line_at(const char *json, size_t offset) {
  unsigned line = 1;
  for (size_t i = 0; i < offset; i++)
    if (json[i] == '\n')
      line++;
  return line;
}

/* A first, strict pass with a plain handle: it knows the byte offset of an
 * error (yajl_tree only gives a caret drawing), rejects comments (which
 * yajl_tree_parse would allow) and bounds the nesting depth. */
static int check_syntax(const char *json, size_t len, const char *origin, husk_error_t *err) {
  const char *nul = memchr(json, '\0', len);
  if (nul != NULL)
    return husk_jfail(err, "%s: line %u: invalid JSON: NUL byte", origin,
                      line_at(json, (size_t)(nul - json)));

  __attribute__((cleanup(guard_free))) struct depth_guard guard = {0};
  yajl_handle h = yajl_alloc(&guard_callbacks, NULL, &guard);
  if (h == NULL)
    abort();
  size_t offset = len;
  yajl_status st = yajl_parse(h, (const unsigned char *)json, len);
  if (st != yajl_status_ok)
    offset = yajl_get_bytes_consumed(h);
  else
    st = yajl_complete_parse(h);
  if (st == yajl_status_ok) {
    yajl_free(h);
    return 0;
  }
  /* At end of input, point at the last line with content. */
  if (offset >= len)
    while (offset > 0 && strchr(" \t\r\n", json[offset - 1]) != NULL)
      offset--;
  unsigned line = line_at(json, offset < len ? offset : len);
  if (guard.nul_path) {
    yajl_free(h);
    return husk_jfail(err, "%s: %s: a string must not contain a NUL character (\\u0000)", origin,
                      guard.nul_path[0] ? guard.nul_path : "(top level)");
  }
  if (guard.too_deep) {
    yajl_free(h);
    return husk_jfail(err, "%s: line %u: invalid JSON: nested deeper than %d levels", origin, line,
                      HUSK_JSON_MAX_DEPTH);
  }
  unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)json, len);
  _cleanup_free_ char *text = husk_xstrdup(msg ? (const char *)msg : "parse error");
  if (msg)
    yajl_free_error(h, msg);
  yajl_free(h);
  text[strcspn(text, "\n")] = '\0';
  return husk_jfail(err, "%s: line %u: invalid JSON: %s", origin, line, text);
}

int husk_json_parse(const char *json, size_t len, const char *origin, yajl_val *out,
                    husk_error_t *err) {
  if (check_syntax(json, len, origin, err) < 0)
    return -1;
  /* yajl_tree_parse wants a C string. */
  _cleanup_free_ char *copy = husk_xmalloc(len + 1);
  memcpy(copy, json, len);
  copy[len] = '\0';
  char errbuf[256] = "";
  yajl_val tree = yajl_tree_parse(copy, errbuf, sizeof errbuf);
  if (tree == NULL) {
    errbuf[strcspn(errbuf, "\n")] = '\0';
    return husk_jfail(err, "%s: invalid JSON: %s", origin, errbuf[0] ? errbuf : "out of memory");
  }
  *out = tree;
  return 0;
}

/* ---- nodes and paths -------------------------------------------------- */

struct husk_jnode husk_jroot(yajl_val v, const char *origin, husk_error_t *err) {
  return (struct husk_jnode){.v = v, .origin = origin, .err = err};
}

struct husk_jnode husk_jfield(const struct husk_jnode *obj, const char *key) {
  struct husk_jnode n = {.parent = obj, .key = key, .origin = obj->origin, .err = obj->err};
  if (obj->v == NULL || !YAJL_IS_OBJECT(obj->v))
    return n;
  /* The last of repeated keys wins, as with encoding/json in runc. */
  for (size_t i = obj->v->u.object.len; i > 0; i--) {
    if (strcmp(obj->v->u.object.keys[i - 1], key) == 0) {
      yajl_val v = obj->v->u.object.values[i - 1];
      n.v = YAJL_IS_NULL(v) ? NULL : v;
      break;
    }
  }
  return n;
}

struct husk_jnode husk_jitem(const struct husk_jnode *arr, size_t i) {
  return (struct husk_jnode){.v = arr->v->u.array.values[i],
                             .parent = arr,
                             .index = i,
                             .origin = arr->origin,
                             .err = arr->err};
}

struct husk_jnode husk_jmember(const struct husk_jnode *obj, size_t i) {
  return (struct husk_jnode){.v = obj->v->u.object.values[i],
                             .parent = obj,
                             .key = obj->v->u.object.keys[i],
                             .origin = obj->origin,
                             .err = obj->err};
}

static bool plain_key(const char *key) {
  if (*key == '\0')
    return false;
  for (const char *p = key; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '-'))
      return false;
  return true;
}

/* Write s quoted, escaping what would garble a terminal; at most `max`
 * characters of s, then "...". */
static void put_quoted(FILE *f, const char *s, size_t max) {
  fputc('"', f);
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
    if (n == max) {
      fputs("...", f);
      break;
    }
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", f);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(f, "\\x%02x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

static void put_path(FILE *f, const struct husk_jnode *n) {
  if (n->parent == NULL)
    return;
  put_path(f, n->parent);
  if (n->key == NULL) {
    fprintf(f, "[%zu]", n->index);
  } else if (plain_key(n->key)) {
    fprintf(f, "%s%s", n->parent->parent ? "." : "", n->key);
  } else {
    fputc('[', f);
    put_quoted(f, n->key, 64);
    fputc(']', f);
  }
}

static char *memstream_finish(FILE *f, char **buf);

char *husk_jpath_key(const char *key) {
  if (plain_key(key))
    return husk_xasprintf(".%s", key);
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  if (f == NULL)
    abort();
  fputc('[', f);
  put_quoted(f, key, 64);
  fputc(']', f);
  return memstream_finish(f, &buf);
}

static char *memstream_finish(FILE *f, char **buf) {
  /* open_memstream sets *buf only at fflush/fclose. */
  if (fclose(f) != 0 || *buf == NULL)
    abort();
  return *buf;
}

char *husk_jpath(const struct husk_jnode *n) {
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  if (f == NULL)
    abort();
  put_path(f, n);
  return memstream_finish(f, &buf);
}

char *husk_jdescribe(yajl_val v) {
  if (v == NULL || YAJL_IS_NULL(v))
    return husk_xstrdup("null");
  if (YAJL_IS_TRUE(v))
    return husk_xstrdup("true");
  if (YAJL_IS_FALSE(v))
    return husk_xstrdup("false");
  if (YAJL_IS_OBJECT(v))
    return husk_xstrdup("an object");
  if (YAJL_IS_ARRAY(v))
    return husk_xstrdup("an array");
  if (YAJL_IS_NUMBER(v)) {
    const char *r = v->u.number.r;
    if (strlen(r) > 40)
      return husk_xasprintf("%.40s...", r);
    return husk_xstrdup(r);
  }
  return husk_jquote(YAJL_IS_STRING(v) ? v->u.string : "");
}

int husk_jfail(husk_error_t *err, const char *fmt, ...) {
  if (err == NULL || err->msg != NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  husk_error_setv(err, 0, fmt, ap);
  va_end(ap);
  err->errnum = EINVAL;
  return -1;
}

char *husk_jquote(const char *s) {
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  if (f == NULL)
    abort();
  put_quoted(f, s, 64);
  return memstream_finish(f, &buf);
}

int husk_jerror(const struct husk_jnode *n, const char *fmt, ...) {
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    abort();
  va_end(ap);
  _cleanup_free_ char *path = husk_jpath(n);
  if (*path == '\0')
    return husk_jfail(n->err, "%s: %s", n->origin, msg);
  return husk_jfail(n->err, "%s: %s: %s", n->origin, path, msg);
}

int husk_jmissing(const struct husk_jnode *n) { return husk_jerror(n, "required field missing"); }

static int type_error(const struct husk_jnode *n, const char *expected) {
  _cleanup_free_ char *got = husk_jdescribe(n->v);
  return husk_jerror(n, "expected %s, got %s", expected, got);
}

/* ---- typed getters ---------------------------------------------------- */

int husk_jobject(const struct husk_jnode *n, size_t *len) {
  if (n->v == NULL || !YAJL_IS_OBJECT(n->v))
    return type_error(n, "an object");
  if (len)
    *len = n->v->u.object.len;
  return 0;
}

int husk_jarray(const struct husk_jnode *n, size_t *len) {
  if (n->v == NULL || !YAJL_IS_ARRAY(n->v))
    return type_error(n, "an array");
  if (len)
    *len = n->v->u.array.len;
  return 0;
}

int husk_jstr(const struct husk_jnode *n, char **out) {
  if (n->v == NULL || !YAJL_IS_STRING(n->v))
    return type_error(n, "a string");
  free(*out); /* a repeated section may set a field twice */
  *out = husk_xstrdup(n->v->u.string);
  return 0;
}

int husk_jbool(const struct husk_jnode *n, bool *out) {
  if (n->v != NULL && YAJL_IS_TRUE(n->v))
    *out = true;
  else if (n->v != NULL && YAJL_IS_FALSE(n->v))
    *out = false;
  else
    return type_error(n, "a boolean");
  return 0;
}

/* Integers are read from yajl's raw text: its long long misses the upper
 * half of uint64 and fractions ("1.5") must not be truncated silently. */
static int jinteger(const struct husk_jnode *n, const char *what, int64_t min, uint64_t max,
                    bool *neg, uint64_t *mag) {
  if (n->v == NULL || !YAJL_IS_NUMBER(n->v) || n->v->u.number.r == NULL)
    return type_error(n, what);
  const char *s = n->v->u.number.r;
  *neg = *s == '-';
  const char *digits = s + (*neg ? 1 : 0);
  if (*digits < '0' || *digits > '9' || digits[strspn(digits, "0123456789")] != '\0')
    return type_error(n, what);
  errno = 0;
  char *end = NULL;
  *mag = strtoull(digits, &end, 10);
  if (errno == ERANGE)
    return type_error(n, what);
  if (*neg && *mag != 0) {
    uint64_t limit = min < 0 ? (uint64_t)(-(min + 1)) + 1 : 0;
    if (*mag > limit)
      return type_error(n, what);
  } else if (*mag > max) {
    return type_error(n, what);
  }
  return 0;
}

static int64_t signed_value(bool neg, uint64_t mag) {
  if (!neg)
    return (int64_t)mag;
  return mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
}

int husk_jint64(const struct husk_jnode *n, int64_t *out) {
  bool neg = false;
  uint64_t mag = 0;
  if (jinteger(n, "a signed 64-bit integer", INT64_MIN, INT64_MAX, &neg, &mag) < 0)
    return -1;
  *out = signed_value(neg, mag);
  return 0;
}

int husk_jint32(const struct husk_jnode *n, int32_t *out) {
  bool neg = false;
  uint64_t mag = 0;
  if (jinteger(n, "a signed 32-bit integer", INT32_MIN, INT32_MAX, &neg, &mag) < 0)
    return -1;
  *out = (int32_t)signed_value(neg, mag);
  return 0;
}

int husk_juint64(const struct husk_jnode *n, uint64_t *out) {
  bool neg = false;
  uint64_t mag = 0;
  if (jinteger(n, "an unsigned 64-bit integer", 0, UINT64_MAX, &neg, &mag) < 0)
    return -1;
  *out = mag;
  return 0;
}

int husk_juint32(const struct husk_jnode *n, uint32_t *out) {
  bool neg = false;
  uint64_t mag = 0;
  if (jinteger(n, "an unsigned 32-bit integer", 0, UINT32_MAX, &neg, &mag) < 0)
    return -1;
  *out = (uint32_t)mag;
  return 0;
}

int husk_juint16(const struct husk_jnode *n, uint16_t *out) {
  bool neg = false;
  uint64_t mag = 0;
  if (jinteger(n, "an unsigned 16-bit integer", 0, UINT16_MAX, &neg, &mag) < 0)
    return -1;
  *out = (uint16_t)mag;
  return 0;
}

void husk_strv_free(struct husk_strv *v) {
  for (size_t i = 0; i < v->len; i++)
    free(v->items[i]);
  free(v->items);
  v->items = NULL;
  v->len = 0;
}

void husk_kv_free(struct husk_kv *kv, size_t len) {
  for (size_t i = 0; i < len; i++) {
    free(kv[i].key);
    free(kv[i].value);
  }
  free(kv);
}

int husk_jstrv(const struct husk_jnode *n, struct husk_strv *out) {
  size_t len = 0;
  if (husk_jarray(n, &len) < 0)
    return -1;
  struct husk_strv v = {.items = husk_xcalloc(len, sizeof(char *))};
  for (; v.len < len; v.len++) {
    struct husk_jnode item = husk_jitem(n, v.len);
    if (husk_jstr(&item, &v.items[v.len]) < 0) {
      husk_strv_free(&v);
      return -1;
    }
  }
  husk_strv_free(out);
  *out = v;
  return 0;
}

int husk_juint32v(const struct husk_jnode *n, uint32_t **out, size_t *len) {
  size_t count = 0;
  if (husk_jarray(n, &count) < 0)
    return -1;
  _cleanup_free_ uint32_t *v = husk_xcalloc(count, sizeof(uint32_t));
  for (size_t i = 0; i < count; i++) {
    struct husk_jnode item = husk_jitem(n, i);
    if (husk_juint32(&item, &v[i]) < 0)
      return -1;
  }
  free(*out);
  *out = husk_steal_ptr(v);
  *len = count;
  return 0;
}

int husk_jstrmap(const struct husk_jnode *n, struct husk_kv **out, size_t *len) {
  size_t count = 0;
  if (husk_jobject(n, &count) < 0)
    return -1;
  struct husk_kv *kv = husk_xcalloc(count, sizeof(*kv));
  for (size_t i = 0; i < count; i++) {
    struct husk_jnode m = husk_jmember(n, i);
    kv[i].key = husk_xstrdup(m.key);
    if (husk_jstr(&m, &kv[i].value) < 0) {
      husk_kv_free(kv, count);
      return -1;
    }
  }
  husk_kv_free(*out, *len);
  *out = kv;
  *len = count;
  return 0;
}

/* ---- field getters ---------------------------------------------------- */

/* A field that failed: -1, or when the error collects (husk check) "absent",
 * so the parser records it and goes on with the next field. */
static int absent_or_fail(const struct husk_jnode *n, int r) {
  return husk_error_collecting(n->err) ? 0 : r;
}

#define HUSK_JGET(name, type)                                                                      \
  int husk_jget_##name(const struct husk_jnode *obj, const char *key, bool required, type *out) {  \
    struct husk_jnode n = husk_jfield(obj, key);                                                   \
    if (!husk_jpresent(&n))                                                                        \
      return required ? absent_or_fail(&n, husk_jmissing(&n)) : 0;                                 \
    return husk_j##name(&n, out) < 0 ? absent_or_fail(&n, -1) : 1;                                 \
  }

HUSK_JGET(str, char *)
HUSK_JGET(bool, bool)
HUSK_JGET(int64, int64_t)
HUSK_JGET(int32, int32_t)
HUSK_JGET(uint64, uint64_t)
HUSK_JGET(uint32, uint32_t)
HUSK_JGET(uint16, uint16_t)
HUSK_JGET(strv, struct husk_strv)

int husk_jget_strmap(const struct husk_jnode *obj, const char *key, bool required,
                     struct husk_kv **out, size_t *len) {
  struct husk_jnode n = husk_jfield(obj, key);
  if (!husk_jpresent(&n))
    return required ? absent_or_fail(&n, husk_jmissing(&n)) : 0;
  return husk_jstrmap(&n, out, len) < 0 ? absent_or_fail(&n, -1) : 1;
}
