/* husk — lookups in a passwd file by uid (see passwd.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passwd.h"
#include "util.h"

/* An image's /etc/passwd is untrusted: a regular file only (a fifo would
 * block us), bounded, parsed without trusting its shape. */
#define PASSWD_MAX_SIZE (4 << 20)

char *husk_passwd_field_of(const char *data, size_t len, uint32_t uid,
                           enum husk_passwd_field field) {
  const char *end = data + len;
  for (const char *line = data; line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    const char *eol = nl ? nl : end;
    /* name:password:uid:gid:gecos:dir:shell */
    const char *f[7];
    size_t n = 0;
    f[n++] = line;
    for (const char *c = line; c < eol && n < 7; c++)
      if (*c == ':')
        f[n++] = c + 1;
    if (n >= 6) {
      char *num_end = NULL;
      errno = 0;
      unsigned long long v = strtoull(f[2], &num_end, 10);
      if (errno == 0 && num_end == f[3] - 1 && num_end > f[2] && v == uid) {
        const char *field_end = (size_t)field + 1 < n ? f[field + 1] - 1 : eol;
        return husk_xasprintf("%.*s", (int)(field_end - f[field]), f[field]);
      }
    }
    line = eol + 1;
  }
  return NULL;
}

char *husk_passwd_lookup(const char *path, uint32_t uid, enum husk_passwd_field field) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    return NULL;
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (husk_read_fd(fd, path, PASSWD_MAX_SIZE, &data, &len, NULL) < 0)
    return NULL;
  return husk_passwd_field_of(data, len, uid, field);
}
