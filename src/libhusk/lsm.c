/* husk — process.apparmorProfile and process.selinuxLabel: both are written
 * to /proc/self/attr and take effect at the next execve (see exec_steps.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "exec_steps.h"
#include "procfs.h"
#include "util.h"

/* `rel` below /proc/thread-self: the attributes are per thread. */
static int write_attr(const char *rel, const char *value, const char *field, husk_error_t *err) {
  _cleanup_free_ char *path = husk_xasprintf("thread-self/%s", rel);
  _cleanup_close_ int fd = husk_procfs_open(-1, path, O_WRONLY, err);
  if (fd < 0)
    return husk_error_prefix(err, "%s", field);
  if (husk_write_all(fd, value, strlen(value)) < 0)
    return husk_error_set(err, errno, "%s: write \"%s\" to /proc/%s", field, value, path);
  return 0;
}

static bool apparmor_enabled(void) {
  char c = 0;
  _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

int husk_lsm_apparmor_exec(const char *profile, husk_error_t *err) {
  if (profile == NULL || profile[0] == '\0')
    return 0;
  if (!apparmor_enabled())
    return husk_error_set(err, 0,
                          "process.apparmorProfile %s: apparmorProfile is set but AppArmor is not "
                          "enabled on this host",
                          profile);
  _cleanup_free_ char *cmd = husk_xasprintf("exec %s", profile);
  /* The per-LSM directory (5.8+) where stacked LSMs share /proc/self/attr. */
  husk_error_t probe = {0};
  _cleanup_close_ int dir = husk_procfs_open(-1, "thread-self/attr/apparmor", O_PATH, &probe);
  husk_error_clear(&probe);
  return write_attr(dir >= 0 ? "attr/apparmor/exec" : "attr/exec", cmd, "process.apparmorProfile",
                    err);
}

int husk_lsm_selinux_exec(const char *label, husk_error_t *err) {
  if (label == NULL || label[0] == '\0')
    return 0;
  if (access("/sys/fs/selinux/enforce", F_OK) != 0)
    return husk_error_set(err, 0,
                          "process.selinuxLabel %s: selinuxLabel is set but SELinux is not "
                          "enabled on this host",
                          label);
  return write_attr("attr/exec", label, "process.selinuxLabel", err);
}
