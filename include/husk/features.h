/* husk — the features document (runtime-spec features.md, features-linux.md)
 * that `husk features` prints. */
#ifndef HUSK_FEATURES_H
#define HUSK_FEATURES_H

#include <stdbool.h>

/* The document as JSON indented by four spaces, like `runc features`, with a
 * final newline.  Caller frees. */
char *husk_features_json(void);

/* What checkpoint/restore can do on this host (CRIU probed by the caller). */
struct husk_checkpoint_support {
  bool enabled;
  const char *criu_version; /* "3.17.1", or NULL when criu did not answer */
  const char *missing;      /* why not, in CRIU's words; NULL when enabled */
};

/* The document with the checkpoint annotations of ck (NULL: none). */
char *husk_features_json_checkpoint(const struct husk_checkpoint_support *ck);

#endif
