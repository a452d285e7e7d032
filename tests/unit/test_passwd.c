/* Unit tests of passwd.c: lookups by uid in an untrusted passwd file, as
 * `list` (OWNER, host's /etc/passwd) and HOME (the image's) do them. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passwd.h"
#include "tap.h"

static int same(char *got, const char *want) {
  int r = got == NULL ? want == NULL : want != NULL && strcmp(got, want) == 0;
  if (!r)
    tap_diag("got \"%s\", want \"%s\"", got ? got : "(null)", want ? want : "(null)");
  free(got);
  return r;
}

static void test_fields(void) {
  const char *text = "root:x:0:0:root:/root:/bin/sh\n"
                     "broken line without colons\n"
                     "short:x:7\n"
                     "neg:x:-1:0::/neg:/bin/sh\n"
                     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                     "noshell:x:1000:1000::/home/noshell\n"
                     "dup:x:1000:1000::/home/dup:/bin/sh\n"
                     "last:x:42:42::/last:/bin/sh";
  size_t len = strlen(text);
  tap_ok(same(husk_passwd_field_of(text, len, 0, HUSK_PASSWD_NAME), "root"), "name of uid 0");
  tap_ok(same(husk_passwd_field_of(text, len, 0, HUSK_PASSWD_DIR), "/root"), "home of uid 0");
  tap_ok(same(husk_passwd_field_of(text, len, 65534, HUSK_PASSWD_NAME), "nobody"),
         "name of uid 65534");
  tap_ok(same(husk_passwd_field_of(text, len, 1000, HUSK_PASSWD_DIR), "/home/noshell"),
         "the first entry wins; a line without a shell field still has its home");
  tap_ok(same(husk_passwd_field_of(text, len, 42, HUSK_PASSWD_NAME), "last"),
         "a last line without a newline");
  tap_ok(same(husk_passwd_field_of(text, len, 7, HUSK_PASSWD_NAME), NULL),
         "a line with too few fields is no entry");
  tap_ok(same(husk_passwd_field_of(text, len, 4294967295u, HUSK_PASSWD_NAME), NULL),
         "\"-1\" is no uid");
  tap_ok(same(husk_passwd_field_of(text, len, 5, HUSK_PASSWD_NAME), NULL), "an unknown uid");
  tap_ok(same(husk_passwd_field_of("", 0, 0, HUSK_PASSWD_NAME), NULL), "an empty file");
}

static void test_lookup_file(void) {
  char dir[] = "/tmp/husk-passwd-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    tap_ok(0, "mkdtemp");
    return;
  }
  char file[64], fifo[64];
  snprintf(file, sizeof file, "%s/passwd", dir);
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  FILE *f = fopen(file, "w");
  fputs("app:x:1001:1001::/srv/app:/bin/sh\n", f);
  fclose(f);
  tap_ok(same(husk_passwd_lookup(file, 1001, HUSK_PASSWD_NAME), "app"), "a file: name");
  tap_ok(same(husk_passwd_lookup(file, 1001, HUSK_PASSWD_DIR), "/srv/app"), "a file: home");
  tap_ok(same(husk_passwd_lookup(dir, 1001, HUSK_PASSWD_NAME), NULL), "a directory: no entry");
  mkfifo(fifo, 0600);
  tap_ok(same(husk_passwd_lookup(fifo, 1001, HUSK_PASSWD_NAME), NULL),
         "a fifo (an image's trap): no entry, and no wait for a writer");
  char missing[80];
  snprintf(missing, sizeof missing, "%s/none", dir);
  tap_ok(same(husk_passwd_lookup(missing, 0, HUSK_PASSWD_NAME), NULL), "a missing file");
  unlink(file);
  unlink(fifo);
  rmdir(dir);
}

int main(void) {
  test_fields();
  test_lookup_file();
  return tap_done();
}
