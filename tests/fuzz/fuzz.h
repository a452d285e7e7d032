/* Helpers shared by the libFuzzer targets of tests/fuzz (built by run-fuzz).
 * Each target feeds one parser of outside input and checks what the parser
 * promises; a broken promise aborts, which libFuzzer reports as a crash. */
#ifndef HUSK_FUZZ_H
#define HUSK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The report goes where the sanitizers write: run-fuzz closes the target's
 * own stdout and stderr (-close_fd_mask=3). */
#define FUZZ_CHECK(cond)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      __sanitizer_report_error_summary(__FILE__ ": check failed: " #cond);                         \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* The input as a C string (it ends at its first NUL byte). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* The input split on NUL bytes into an argv (argv[argc] is NULL); the
 * strings live in *buf.  Free both with free(). */
static inline char **fuzz_split(const uint8_t *data, size_t size, char sep, int *argc, char **buf) {
  *buf = fuzz_cstr(data, size);
  size_t n = 1;
  for (size_t i = 0; i < size; i++)
    n += data[i] == (uint8_t)sep;
  char **argv = calloc(n + 1, sizeof(*argv));
  if (argv == NULL)
    abort();
  int k = 0;
  argv[k++] = *buf;
  for (size_t i = 0; i < size; i++)
    if ((*buf)[i] == sep) {
      (*buf)[i] = '\0';
      argv[k++] = *buf + i + 1;
    }
  argv[k] = NULL;
  *argc = k;
  return argv;
}

#endif
