/* husk — HUSK_TIMINGS=1: where start-up time goes (see timings.h).
 *
 * The one piece of process-wide state in libhusk, on purpose: a trace that
 * had to be threaded through every call would not be left in. The start and
 * the previous step travel in the environment, so the re-executed husk
 * (self_protect.c) continues the same count; the container's init inherits
 * them with the rest of its memory. The workload never sees them: its
 * environment is process.env. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "timings.h"

#define ENV_ON "HUSK_TIMINGS"
#define ENV_T0 "HUSK_TIMINGS_T0"
#define ENV_PREV "HUSK_TIMINGS_PREV"

static int enabled = -1;
static long long t0_ns, prev_ns;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void set_ns(const char *name, long long v) {
  char text[32];
  snprintf(text, sizeof text, "%lld", v);
  setenv(name, text, 1);
}

void husk_timing(const char *step) {
  bool reexec = false;
  if (enabled < 0) {
    const char *on = getenv(ENV_ON);
    enabled = on && *on && *on != '0';
    if (enabled) {
      const char *t0 = getenv(ENV_T0), *prev = getenv(ENV_PREV);
      t0_ns = t0 ? atoll(t0) : now_ns();
      prev_ns = prev ? atoll(prev) : t0_ns;
      /* the first step of a husk that a husk executed (self_protect.c):
       * its time is that of the execve, the dynamic loader and main */
      reexec = prev != NULL;
      if (!t0)
        set_ns(ENV_T0, t0_ns);
    }
  }
  if (!enabled)
    return;
  long long now = now_ns();
  fprintf(stderr, "husk timings: %s%-*s %8.3f ms  (%.3f ms since husk started, pid %d)\n",
          reexec ? "re-exec+" : "", reexec ? 12 : 20, step, (double)(now - prev_ns) / 1e6,
          (double)(now - t0_ns) / 1e6, (int)getpid());
  prev_ns = now;
  set_ns(ENV_PREV, now);
}
