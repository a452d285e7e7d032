/* Unit tests of husk_signal_parse (the signal argument of `kill`): names,
 * numbers, RTMIN+n / RTMAX-n, and every number range-checked before any
 * arithmetic (issue 10: RTMIN9999999999999999999 overflowed, RTMIN+4294967296
 * wrapped to SIGRTMIN). */
#include <signal.h>
#include <string.h>

#include "container.h"
#include "tap.h"

static void expect_sig(const char *name, int want) {
  husk_error_t err = {0};
  int sig = -1;
  int r = husk_signal_parse(name, &sig, &err);
  tap_ok(r == 0 && sig == want, "\"%s\" is %d (got %d, %s)", name, want, sig,
         err.msg ? err.msg : "no error");
  husk_error_clear(&err);
}

static void expect_bad(const char *name) {
  husk_error_t err = {0};
  int sig = -1;
  int r = husk_signal_parse(name, &sig, &err);
  tap_ok(r < 0 && err.msg && strstr(err.msg, "unknown signal"), "\"%s\" is refused (%s)", name,
         err.msg ? err.msg : "accepted");
  husk_error_clear(&err);
}

int main(void) {
  expect_sig("KILL", SIGKILL);
  expect_sig("SIGTERM", SIGTERM);
  expect_sig("sigusr1", SIGUSR1);
  expect_sig("9", 9);
  expect_sig("RTMIN", SIGRTMIN);
  expect_sig("RTMIN+3", SIGRTMIN + 3);
  expect_sig("SIGRTMAX-2", SIGRTMAX - 2);
  expect_sig("RTMAX", SIGRTMAX);
  char edge[32];
  snprintf(edge, sizeof edge, "RTMIN+%d", SIGRTMAX - SIGRTMIN);
  expect_sig(edge, SIGRTMAX);
  expect_bad("RTMIN9999999999999999999");
  expect_bad("RTMIN+9999999999999999999");
  expect_bad("RTMIN+4294967296");
  expect_bad("RTMAX-4294967296");
  snprintf(edge, sizeof edge, "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
  expect_bad(edge);
  expect_bad("RTMIN-1");
  expect_bad("RTMAX+1");
  expect_bad("RTMIN+");
  expect_bad("RTMIN+ 3");
  expect_bad("RTMIN3");
  expect_bad("0");
  expect_bad("65");
  expect_bad("99999999999999999999");
  expect_bad("");
  expect_bad("NOSUCH");
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}
