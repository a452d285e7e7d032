/* husk — findings: what `husk check` reports about a bundle.
 *
 * A husk_findings is the collector a husk_error_t can carry (err->collect):
 * the rule code that create and run use to stop at the first problem
 * records every problem there instead and goes on (see husk_error_report). */
#ifndef HUSK_CHECK_H
#define HUSK_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "husk/error.h"

enum husk_severity {
  HUSK_SEV_ERROR,   /* create would fail */
  HUSK_SEV_WARNING, /* create works, but the choice opens something up */
  HUSK_SEV_NOTE,    /* worth knowing, nothing wrong (a cwd husk will create) */
};

struct husk_finding {
  enum husk_severity severity;
  char *path;    /* JSON path in config.json ("linux.namespaces[2].type"), "" for none */
  char *message; /* why, in one line */
};

struct husk_findings {
  struct husk_finding *items;
  size_t len;
};

/* Record one finding (a repeat of the same severity, path and message is dropped). */
void husk_findings_add(struct husk_findings *f, enum husk_severity sev, const char *path,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Record an error message as the rule code writes it, "[config.json: ]path: reason". */
void husk_findings_add_message(struct husk_findings *f, enum husk_severity sev, const char *msg);
size_t husk_findings_count(const struct husk_findings *f, enum husk_severity sev);
void husk_findings_free(struct husk_findings *f);
const char *husk_severity_name(enum husk_severity sev);

/* What `husk check` looks at. */
struct husk_check_opts {
  const char *bundle;  /* the bundle directory */
  bool rootless;       /* the caller is not root of the initial user namespace */
  bool systemd_cgroup; /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
};

/* Check the bundle: the config against the spec, the rootfs and this host,
 * and the risky choices.  Returns 0 when every finding was recorded (even
 * errors), -1 with err set when the check itself could not run. */
int husk_check_bundle(const struct husk_check_opts *opts, struct husk_findings *out,
                      husk_error_t *err);

#endif
