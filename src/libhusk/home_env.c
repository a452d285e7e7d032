/* husk — HOME for a process whose env has none (see exec_steps.h).
 * config.md is silent; runc and crun set it from the container's
 * /etc/passwd entry of process.user.uid, or "/" when there is none, and
 * images rely on it (shells, ~/.config lookups). */
#include <string.h>

#include "exec_steps.h"
#include "passwd.h"
#include "util.h"

char *husk_home_env(const struct husk_process *process) {
  for (size_t i = 0; i < process->env.len; i++)
    if (strncmp(process->env.items[i], "HOME=", 5) == 0)
      return NULL;
  _cleanup_free_ char *home = husk_passwd_lookup("/etc/passwd", process->user.uid, HUSK_PASSWD_DIR);
  return husk_xasprintf("HOME=%s", home && home[0] ? home : "/");
}
