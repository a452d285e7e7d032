/* husk — the container's /dev: the default devices of config-linux.md
 * "Default Devices", linux.devices, the "Dev symbolic links" of
 * runtime-linux.md, /dev/ptmx and /dev/console.  Runs before pivot_root,
 * with every path resolved inside the rootfs. */
#ifndef HUSK_DEV_H
#define HUSK_DEV_H

#include <stdbool.h>

#include "husk/error.h"
#include "husk/spec.h"

struct husk_dev_ctx {
  int rootfs_fd;      /* the rootfs (after its bind onto itself and the mounts) */
  const char *rootfs; /* its host path, for error messages */
  const struct husk_spec *spec;
  bool in_userns;      /* mknod is refused: bind-mount the host's nodes instead */
  const char *console; /* pty slave to bind on /dev/console, or NULL */
};

/* Make one device node at dev->path inside the rootfs (parents created):
 * mknod + chmod + chown, or, in a user namespace, an empty file with the
 * host's node at the same path bind-mounted onto it (never chmod/chown'd).
 * A FIFO is always mknod'ed.  An existing node of the same type and number
 * is kept; anything else at the path is an error. */
int husk_dev_create(const struct husk_dev_ctx *ctx, const struct husk_device *dev,
                    husk_error_t *err);

/* All of /dev: default devices (unless linux.devices lists the same path),
 * linux.devices, /dev/fd, /dev/std{in,out,err}, /dev/core (when the host
 * has /proc/kcore), /dev/ptmx -> pts/ptmx, the /dev/pts and /dev/shm
 * directories, and the console. */
int husk_dev_setup(const struct husk_dev_ctx *ctx, husk_error_t *err);

/* After pivot_root: stdio that is the host's /dev/null (an engine's
 * stdin) is replaced by the container's /dev/null, as runc's reOpenDevNull
 * does, so that CRIU finds the file in the container's mounts and can
 * checkpoint it.  A container without a /dev/null keeps its stdio. */
int husk_dev_reopen_null_stdio(husk_error_t *err);

#endif
