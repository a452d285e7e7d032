/* libFuzzer target: signal names as `kill` takes them — husk_signal_parse
 * ("9", "KILL", "SIGKILL", "sigterm", "RTMIN+3", "SIGRTMAX-2"). */
#include "config.h"

#include <signal.h>

#include "container.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *name = fuzz_cstr(data, size);
  int sig = -12345;
  husk_error_t err = {0};
  int r = husk_signal_parse(name, &sig, &err);
  FUZZ_CHECK((r == 0) == (err.msg == NULL));
  /* Whatever the name, a parsed signal is one kill(2) can send. */
  if (r == 0)
    FUZZ_CHECK(sig >= 1 && sig <= SIGRTMAX);
  husk_error_clear(&err);
  free(name);
  return 0;
}
