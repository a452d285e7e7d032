/* husk — small helpers shared by libhusk and the CLI: scope cleanup,
 * allocation that cannot return NULL, whole-file reads, atomic writes. */
#ifndef HUSK_UTIL_H
#define HUSK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "husk/error.h"

static inline void husk_freep(void *p) { free(*(void **)p); }
static inline void husk_closep(int *fd) {
  if (*fd >= 0)
    close(*fd);
}
static inline void husk_fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}
#define _cleanup_free_ __attribute__((cleanup(husk_freep)))
#define _cleanup_close_ __attribute__((cleanup(husk_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(husk_fclosep)))

/* Hand ownership out of a _cleanup_ variable. */
#define husk_steal_ptr(p)                                                                          \
  ({                                                                                               \
    __typeof__(p) stolen_ = (p);                                                                   \
    (p) = NULL;                                                                                    \
    stolen_;                                                                                       \
  })
#define husk_steal_fd(fd)                                                                          \
  ({                                                                                               \
    int stolen_fd_ = (fd);                                                                         \
    (fd) = -1;                                                                                     \
    stolen_fd_;                                                                                    \
  })

/* Out of memory is not an error a runtime can recover from: abort loudly. */
void *husk_xmalloc(size_t size);
void *husk_xcalloc(size_t nmemb, size_t size);
void *husk_xrealloc(void *ptr, size_t size);
char *husk_xstrdup(const char *s);
char *husk_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file (at most max_size bytes) into a NUL-terminated buffer. */
int husk_read_file(const char *path, size_t max_size, char **out, size_t *len, husk_error_t *err);
int husk_read_fd(int fd, const char *name, size_t max_size, char **out, size_t *len,
                 husk_error_t *err);

/* Write data to a temporary file beside `path`, rename it into place:
 * a reader sees the old content or the new one, never a mix. */
int husk_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           husk_error_t *err);

/* write(2) until done, retrying EINTR. */
int husk_write_all(int fd, const void *data, size_t len);

/* runtime-linux.md "File descriptors": before execve, stdio and fds
 * 3..3+preserve_fds-1 (--preserve-fds, LISTEN_FDS) stay open for the workload;
 * every other fd is marked close-on-exec. */
int husk_fds_keep_only_preserved(int preserve_fds, husk_error_t *err);

/* Close every fd from 3 + preserve_fds up but those in keep[0..n-1]:
 * close-on-exec only helps at execve, and a directory fd that is still
 * open before it (the cgroup's, one leaked by the caller) is a way out of
 * the root through a chdir to /proc/self/fd/N (CVE-2024-21626). */
int husk_fds_close_others(int preserve_fds, const int *keep, size_t n, husk_error_t *err);

/* mkdir -p with `mode` for the directories it creates. */
int husk_mkdir_p(const char *path, mode_t mode, husk_error_t *err);

/* Unescape mountinfo's octal escapes (\040 for a space) in place.  Only a
 * backslash and three octal digits that fit a byte is an escape (anything
 * else after a backslash once made the arithmetic shift a negative value:
 * tests/fuzz/corpus/mountinfo/regress-bad-escape*). */
void husk_mountinfo_unescape(char *s);

#endif
