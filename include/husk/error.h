/* husk — errors travel as values: a failing call returns a negative int and
 * fills a husk_error_t that names the thing at fault.  Only the CLI prints. */
#ifndef HUSK_ERROR_H
#define HUSK_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct husk_findings; /* husk/check.h */

typedef struct husk_error {
  int errnum; /* errno of the failure, 0 when none applies */
  char *msg;  /* heap-allocated, human readable, names the field or path */
  /* NULL: stop at the first error (create, run).  Set (husk check): every
   * error is recorded there instead of in msg, and rule code goes on. */
  struct husk_findings *collect;
} husk_error_t;

static inline bool husk_error_collecting(const husk_error_t *err) {
  return err != NULL && err->collect != NULL;
}

/* Set *err (if err is non-NULL and not already set) and return -1.
 * errnum is appended as ": strerror(errnum)" when non-zero. */
int husk_error_set(husk_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int husk_error_setv(husk_error_t *err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Like husk_error_set, but errnum is kept for callers and left out of the
 * text, for messages that already say what went wrong ("timed out after 3 s"). */
int husk_error_set_quiet(husk_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "<prefix>: <old message>". Returns -1. */
int husk_error_prefix(husk_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For code that checks many rules: like husk_error_set (returns -1, stop
 * here), but when err collects (husk check) the error is recorded and 0 is
 * returned, so the checker goes on to the next rule. */
int husk_error_report(husk_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void husk_error_clear(husk_error_t *err);

#endif
