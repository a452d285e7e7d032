/* husk — the features document (runtime-spec features.md, features-linux.md)
 * that `husk features` prints. */
#ifndef HUSK_FEATURES_H
#define HUSK_FEATURES_H

/* The document as JSON indented by four spaces, like `runc features`, with a
 * final newline.  Caller frees. */
char *husk_features_json(void);

#endif
