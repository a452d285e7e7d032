/* husk — the Linux mount options of config.md "Linux mount options" turned
 * into what the kernel takes: MS_* flags for mount(2), propagation changes
 * applied as separate calls, recursive MOUNT_ATTR_* for mount_setattr(2),
 * and the filesystem-specific rest as mount(2)'s data string. */
#ifndef HUSK_MOUNT_OPTIONS_H
#define HUSK_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "husk/error.h"
#include "husk/spec.h"

/* More propagation options than this on one mount is a config error. */
#define HUSK_MOUNT_MAX_PROPAGATION 4

struct husk_mount_opts {
  unsigned long flags;   /* MS_* to pass to mount(2), incl. MS_BIND|MS_REC for rbind */
  unsigned long cleared; /* MS_* an option explicitly turned off (rw, suid, dev, ...) */
  unsigned long propagation[HUSK_MOUNT_MAX_PROPAGATION]; /* MS_SHARED|MS_REC, ... in order */
  int propagation_len;
  uint64_t attr_set; /* recursive options (rro, rnosuid, ...) for mount_setattr(AT_RECURSIVE) */
  uint64_t attr_clr;
  bool idmap;     /* idmap: apply an idmapping to the mount */
  bool ridmap;    /* ridmap: ... to every mount of the (r)bind tree */
  bool tmpcopyup; /* tmpfs: copy the destination's content into the new tmpfs */
  char *data;     /* unknown options, comma-joined; NULL when there are none */
};

/* Parse `options` (config.json mounts[].options).  Never fails on an
 * unknown option (it goes to data); fails on an empty option string or too
 * many propagation options.  `what` names the mount in errors. */
int husk_mount_opts_parse(const struct husk_strv *options, const char *what,
                          struct husk_mount_opts *out, husk_error_t *err);

void husk_mount_opts_free(struct husk_mount_opts *opts);

/* True when the options make a bind mount (bind or rbind). */
bool husk_mount_opts_is_bind(const struct husk_mount_opts *opts);

/* A config mount that is a bind mount: type "bind", or a bind/rbind option
 * (what husk binds from its source; husk check and CRIU's external mounts
 * ask it before any option is parsed). */
bool husk_mount_is_bind(const struct husk_mount *m);

/* Look a propagation name up (private, rprivate, shared, rshared, slave,
 * rslave, unbindable, runbindable), as used by linux.rootfsPropagation.
 * Returns the MS_* value, 0 when the name is not a propagation. */
unsigned long husk_mount_propagation_flags(const char *name);

#endif
