/* husk — process.user: umask, additionalGids, gid, uid (see exec_steps.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_steps.h"
#include "procfs.h"
#include "util.h"

void husk_user_umask(const struct husk_process *process) {
  /* config.md lets an unset umask be inherited; runc sets 0022 so that the
   * container does not depend on the runtime caller's umask.  Do the same. */
  umask(process->user.has_umask ? (mode_t)(process->user.umask & 07777) : 0022);
}

/* In a user namespace whose gid_map was written without CAP_SETGID (rootless),
 * the kernel denies setgroups(2) for good. */
static bool setgroups_denied(void) {
  char *buf = NULL;
  size_t len = 0;
  husk_error_t ignored = {0};
  bool denied = false;
  _cleanup_close_ int fd = husk_procfs_open(-1, "self/setgroups", O_RDONLY, &ignored);
  if (fd >= 0 && husk_read_fd(fd, "/proc/self/setgroups", 64, &buf, &len, &ignored) == 0)
    denied = strncmp(buf, "deny", 4) == 0;
  husk_error_clear(&ignored);
  free(buf);
  return denied;
}

int husk_user_switch(const struct husk_process *process, const struct husk_warner *w,
                     husk_error_t *err) {
  const struct husk_user *u = &process->user;
  if (setgroups_denied()) {
    if (u->additional_gids_len > 0)
      husk_warn(w, "process.user.additionalGids: setgroups is denied in this user namespace, "
                   "additional groups not set");
  } else {
    /* Also with none listed: the runtime's own groups must not leak in. */
    gid_t *gids = husk_xcalloc(u->additional_gids_len, sizeof(gid_t));
    for (size_t i = 0; i < u->additional_gids_len; i++)
      gids[i] = (gid_t)u->additional_gids[i];
    int r = setgroups(u->additional_gids_len, gids);
    int e = errno;
    free(gids);
    if (r < 0)
      return husk_error_set(err, e, "process.user.additionalGids: setgroups");
  }
  if (setresgid(u->gid, u->gid, u->gid) < 0)
    return husk_error_set(err, errno, "process.user.gid: setresgid(%u)", u->gid);
  if (setresuid(u->uid, u->uid, u->uid) < 0)
    return husk_error_set(err, errno, "process.user.uid: setresuid(%u)", u->uid);
  return 0;
}
