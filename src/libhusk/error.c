/* husk — error values (see include/husk/error.h). */
#include "husk/error.h"
#include "husk/check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int husk_error_setv(husk_error_t *err, int errnum, const char *fmt, va_list ap) {
  if (err == NULL || err->msg != NULL)
    return -1; /* keep the first, most specific message */
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    abort();
  /* A finding of husk check says why in words: "Invalid argument" after
   * "is outside 2..262144" adds nothing. */
  bool collect_plain = err->collect != NULL && (errnum == EINVAL || errnum == ENOTSUP);
  if (errnum != 0 && !collect_plain) {
    char *full = husk_xasprintf("%s: %s", msg, strerror(errnum));
    free(msg);
    msg = full;
  }
  err->errnum = errnum;
  if (err->collect != NULL) {
    husk_findings_add_message(err->collect, HUSK_SEV_ERROR, msg);
    free(msg);
    return -1;
  }
  err->msg = msg;
  return -1;
}

int husk_error_report(husk_error_t *err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  husk_error_setv(err, errnum, fmt, ap);
  va_end(ap);
  return husk_error_collecting(err) ? 0 : -1;
}

int husk_error_set(husk_error_t *err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  husk_error_setv(err, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int husk_error_set_quiet(husk_error_t *err, int errnum, const char *fmt, ...) {
  bool fresh = err != NULL && err->msg == NULL;
  va_list ap;
  va_start(ap, fmt);
  husk_error_setv(err, 0, fmt, ap);
  va_end(ap);
  if (fresh)
    err->errnum = errnum;
  return -1;
}

int husk_error_prefix(husk_error_t *err, const char *fmt, ...) {
  if (err == NULL || err->msg == NULL)
    return -1;
  char *prefix = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&prefix, fmt, ap) < 0)
    abort();
  va_end(ap);
  char *full = husk_xasprintf("%s: %s", prefix, err->msg);
  free(prefix);
  free(err->msg);
  err->msg = full;
  return -1;
}

void husk_error_clear(husk_error_t *err) {
  if (err == NULL)
    return;
  free(err->msg);
  err->msg = NULL;
  err->errnum = 0;
}
