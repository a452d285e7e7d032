/* husk — the findings collector of `husk check` (see husk/check.h). */
#include "husk/check.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *husk_severity_name(enum husk_severity sev) {
  switch (sev) {
  case HUSK_SEV_ERROR:
    return "error";
  case HUSK_SEV_WARNING:
    return "warning";
  case HUSK_SEV_NOTE:
    return "note";
  }
  return "error";
}

static char *dup_n(const char *s, size_t n) {
  char *d = strndup(s, n);
  if (d == NULL)
    abort();
  return d;
}

static void add(struct husk_findings *f, enum husk_severity sev, const char *path, size_t path_len,
                const char *message) {
  for (size_t i = 0; i < f->len; i++) {
    const struct husk_finding *o = &f->items[i];
    /* The parser and the validator may both name one bad field. */
    if (o->severity == sev && strlen(o->path) == path_len &&
        strncmp(o->path, path, path_len) == 0 && strcmp(o->message, message) == 0)
      return;
  }
  f->items = husk_xrealloc(f->items, (f->len + 1) * sizeof(*f->items));
  f->items[f->len++] = (struct husk_finding){
      .severity = sev, .path = dup_n(path, path_len), .message = husk_xstrdup(message)};
}

void husk_findings_add(struct husk_findings *f, enum husk_severity sev, const char *path,
                       const char *fmt, ...) {
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    abort();
  va_end(ap);
  add(f, sev, path ? path : "", path ? strlen(path) : 0, msg);
}

/* A JSON path as the rule code writes it: "linux.namespaces[2].type",
 * "linux.sysctl[\"net.ipv4.ip_forward\"]"; its length, or 0. */
static size_t json_path_len(const char *s) {
  if (!isalpha((unsigned char)*s))
    return 0;
  const char *p = s;
  while (*p) {
    if (isalnum((unsigned char)*p) || *p == '.' || *p == '_') {
      p++;
    } else if (*p == '[' && p[1] == '"') {
      const char *end = strstr(p, "\"]");
      if (end == NULL)
        return 0;
      p = end + 2;
    } else if (*p == '[') {
      p++;
      while (isdigit((unsigned char)*p))
        p++;
      if (*p++ != ']')
        return 0;
    } else {
      break;
    }
  }
  /* "line 3: invalid JSON" names a line, not a field */
  if (p[0] == ' ' && isdigit((unsigned char)p[1]))
    return 0;
  return (size_t)(p - s);
}

void husk_findings_add_message(struct husk_findings *f, enum husk_severity sev, const char *msg) {
  static const char origin[] = "config.json: ";
  if (strncmp(msg, origin, sizeof(origin) - 1) == 0)
    msg += sizeof(origin) - 1;
  size_t n = json_path_len(msg);
  /* "path: reason" gives both; anything else is a reason naming no field. */
  if (n > 0 && strncmp(msg + n, ": ", 2) == 0) {
    add(f, sev, msg, n, msg + n + 2);
    return;
  }
  if (n > 0 && (msg[n] == ' ' || msg[n] == ',')) {
    add(f, sev, msg, n, msg);
    return;
  }
  add(f, sev, "", 0, msg);
}

bool husk_findings_has(const struct husk_findings *f, enum husk_severity sev, const char *path) {
  for (size_t i = 0; i < f->len; i++)
    if (f->items[i].severity == sev && strcmp(f->items[i].path, path) == 0)
      return true;
  return false;
}

size_t husk_findings_count(const struct husk_findings *f, enum husk_severity sev) {
  size_t n = 0;
  for (size_t i = 0; i < f->len; i++)
    n += f->items[i].severity == sev;
  return n;
}

void husk_findings_free(struct husk_findings *f) {
  for (size_t i = 0; i < f->len; i++) {
    free(f->items[i].path);
    free(f->items[i].message);
  }
  free(f->items);
  f->items = NULL;
  f->len = 0;
}
