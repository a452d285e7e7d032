/* husk — error reporting for the CLI.
 *
 * An error always goes to stderr as "husk: <msg>".  With --log FILE it is
 * also appended to FILE the way runc's logrus writes it, because engines
 * (containerd, podman's conmon) read runc's errors back from that file:
 *   text: time="2024-01-02T03:04:05Z" level=error msg="container does not exist"
 *   json: {"level":"error","msg":"container does not exist","time":"2024-01-02T03:04:05Z"} */
#include "config.h"

#include "cli.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "util.h"

/* logrus's time format, RFC 3339 to the second in local time. */
static void format_log_time(char *buf, size_t size) {
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  long offset = tm.tm_gmtoff;
  if (offset == 0) {
    snprintf(buf + n, size - n, "Z");
    return;
  }
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0)
    offset = -offset;
  snprintf(buf + n, size - n, "%c%02ld:%02ld", sign, offset / 3600, offset / 60 % 60);
}

/* logrus quotes a value unless it is made only of these characters. */
static bool needs_quoting(const char *s) {
  if (*s == '\0')
    return true;
  for (; *s; s++) {
    char c = *s;
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 strchr("-._/@^+", c) != NULL;
    if (!plain)
      return true;
  }
  return false;
}

/* Go's %q for the characters an error message can hold. */
static void write_quoted(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", out);
      break;
    case '\\':
      fputs("\\\\", out);
      break;
    case '\n':
      fputs("\\n", out);
      break;
    case '\t':
      fputs("\\t", out);
      break;
    case '\r':
      fputs("\\r", out);
      break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        fprintf(out, "\\x%02x", *p);
      else
        fputc(*p, out);
    }
  }
  fputc('"', out);
}

static void write_json_line(FILE *out, const char *level, const char *msg, const char *when) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return;
  const char *const fields[][2] = {{"level", level}, {"msg", msg}, {"time", when}};
  yajl_gen_map_open(g);
  for (size_t i = 0; i < 3; i++) {
    yajl_gen_string(g, (const unsigned char *)fields[i][0], strlen(fields[i][0]));
    yajl_gen_string(g, (const unsigned char *)fields[i][1], strlen(fields[i][1]));
  }
  yajl_gen_map_close(g);
  const unsigned char *buf = NULL;
  size_t len = 0;
  yajl_gen_get_buf(g, &buf, &len);
  fwrite(buf, 1, len, out);
  fputc('\n', out);
  yajl_gen_free(g);
}

static void log_to_file(const struct husk_cli *cli, const char *level, const char *msg) {
  if (cli == NULL || cli->log_path == NULL)
    return;
  int fd = open(cli->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return; /* the message still reached stderr */
  FILE *out = fdopen(fd, "a");
  if (out == NULL) {
    close(fd);
    return;
  }
  char when[64];
  format_log_time(when, sizeof(when));
  if (cli->log_format == HUSK_LOG_JSON) {
    write_json_line(out, level, msg, when);
  } else {
    fprintf(out, "time=\"%s\" level=%s msg=", when, level);
    if (needs_quoting(msg))
      write_quoted(out, msg);
    else
      fputs(msg, out);
    fputc('\n', out);
  }
  fclose(out);
}

/* Length of the valid UTF-8 sequence at `p` (1-4), or 0 (overlong forms,
 * surrogates and code points above U+10FFFF are invalid, as in Go). */
static size_t utf8_valid_len(const unsigned char *p) {
  if (p[0] < 0x80)
    return 1;
  size_t n = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
             : p[0] >= 0xe0 && p[0] <= 0xef ? 3
             : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                            : 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
      (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
    return 0;
  return n;
}

/* Messages may quote what a user typed (an ID, a signal name): bytes that
 * are not UTF-8 become U+FFFD, so the terminal and the JSON log get text. */
static char *utf8_sanitize(const char *msg) {
  size_t len = strlen(msg);
  char *out = malloc(3 * len + 1);
  if (out == NULL)
    abort();
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)msg; *p;) {
    size_t n = utf8_valid_len(p);
    if (n == 0) {
      memcpy(out + o, "\xef\xbf\xbd", 3);
      o += 3;
      p++;
      continue;
    }
    memcpy(out + o, p, n);
    o += n;
    p += n;
  }
  out[o] = '\0';
  return out;
}

void husk_cli_error(const struct husk_cli *cli, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *raw = NULL;
  if (vasprintf(&raw, fmt, ap) < 0)
    abort();
  va_end(ap);
  _cleanup_free_ char *msg = utf8_sanitize(raw);
  fprintf(stderr, "%s: %s\n", cli && cli->program ? cli->program : "husk", msg);
  log_to_file(cli, "error", msg);
}

int husk_cli_fail(const struct husk_cli *cli, husk_error_t *err) {
  husk_cli_error(cli, "%s", err && err->msg ? err->msg : "unknown error");
  husk_error_clear(err);
  return 1;
}

int husk_cli_fail_create(const struct husk_cli *cli, husk_error_t *err, const char *bundle) {
  bool config = err && err->msg && strncmp(err->msg, "config.json: ", 13) == 0;
  husk_cli_fail(cli, err);
  /* create stops at the first problem of the config; check lists them all.
   * A line of its own, on stderr only: the message above stays as it was. */
  if (config) {
    const char *prog = cli && cli->program ? cli->program : "husk";
    fprintf(stderr, "%s: `%s check --bundle %s` lists every problem of this bundle\n", prog, prog,
            bundle ? bundle : ".");
  }
  return 1;
}

void husk_cli_warn(void *cli, const char *raw) {
  const struct husk_cli *c = cli;
  _cleanup_free_ char *msg = utf8_sanitize(raw);
  fprintf(stderr, "%s: warning: %s\n", c && c->program ? c->program : "husk", msg);
  log_to_file(c, "warning", msg);
}
