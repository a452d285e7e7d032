/* husk — HUSK_TIMINGS=1 (or --debug): where start-up time goes, step by step.
 *
 * husk_timing("step") prints to stderr one line per step:
 *   husk timings: STEP  X.XXX ms  (T.TTT ms since husk started, pid P)
 * X is the time since the previous step of the same command (across the
 * re-exec of self_protect.c and into the container's init, whose steps are
 * named "init:..."). Off, it costs one getenv per process. */
#ifndef HUSK_TIMINGS_H
#define HUSK_TIMINGS_H

void husk_timing(const char *step);

#endif
