/* husk — HOME for a process whose env has none (see exec_steps.h).
 * config.md is silent; runc and crun set it from the container's
 * /etc/passwd entry of process.user.uid, or "/" when there is none, and
 * images rely on it (shells, ~/.config lookups). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_steps.h"
#include "util.h"

/* An image's /etc/passwd is untrusted: a regular file only (a fifo would
 * block us), bounded, parsed without trusting its shape. */
#define PASSWD_MAX_SIZE (4 << 20)

static char *home_in_passwd(const char *data, size_t len, uint32_t uid) {
  const char *end = data + len;
  for (const char *line = data; line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    const char *eol = nl ? nl : end;
    /* name:password:uid:gid:gecos:dir:shell */
    const char *field[7];
    size_t n = 0;
    field[n++] = line;
    for (const char *c = line; c < eol && n < 7; c++)
      if (*c == ':')
        field[n++] = c + 1;
    if (n >= 6) {
      char *num_end = NULL;
      errno = 0;
      unsigned long long v = strtoull(field[2], &num_end, 10);
      if (errno == 0 && num_end == field[3] - 1 && num_end > field[2] && v == uid) {
        const char *dir_end = n == 7 ? field[6] - 1 : eol;
        return husk_xasprintf("%.*s", (int)(dir_end - field[5]), field[5]);
      }
    }
    line = eol + 1;
  }
  return NULL;
}

char *husk_home_env(const struct husk_process *process) {
  for (size_t i = 0; i < process->env.len; i++)
    if (strncmp(process->env.items[i], "HOME=", 5) == 0)
      return NULL;
  _cleanup_free_ char *home = NULL;
  _cleanup_close_ int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char *data = NULL;
    size_t len = 0;
    if (husk_read_fd(fd, "/etc/passwd", PASSWD_MAX_SIZE, &data, &len, NULL) == 0) {
      home = home_in_passwd(data, len, process->user.uid);
      free(data);
    }
  }
  return husk_xasprintf("HOME=%s", home && home[0] ? home : "/");
}
