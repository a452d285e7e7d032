/* husk — `exec`: run one more process in a created or running container,
 * in every namespace of its init, in its cgroup, with the process attributes
 * of config.json's process (or of a process.json) and runc's overrides. */
#ifndef HUSK_EXEC_H
#define HUSK_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "husk/error.h"

struct husk_exec_opts {
  const char *root; /* --root */
  const char *id;

  /* --process: the whole process comes from this process.json; every flag
   * below up to `caps` is then ignored, as with runc. */
  const char *process_path;

  /* Without --process: config.json's process (the snapshot taken at
   * create), with these changes. */
  char *const *args; /* the command line; must not be empty */
  size_t args_len;
  const char *cwd;        /* --cwd, or NULL */
  const char *const *env; /* --env NAME=VALUE: replaces NAME, else appended */
  size_t env_len;
  bool tty;      /* --tty (runc ignores config.json's terminal for exec) */
  bool user_set; /* --user uid[:gid] */
  uint32_t uid;
  bool gid_set;
  uint32_t gid;
  const uint32_t *additional_gids; /* --additional-gids, appended */
  size_t additional_gids_len;
  const char *process_label; /* --process-label (SELinux) */
  const char *apparmor;      /* --apparmor */
  bool no_new_privs_set;     /* --no-new-privs[=bool] */
  bool no_new_privs;
  const char *const *caps; /* --cap: added to the bounding, effective,
                              permitted (and, where it can be raised, ambient) sets */
  size_t caps_len;

  /* Whichever way the process was given. */
  const char *const *cgroups; /* --cgroup [<controller>:]<path>: a sub-cgroup */
  size_t cgroups_len;
  int preserve_fds;   /* fds 3..3+n-1 go to the process */
  bool ignore_paused; /* --ignore-paused */
  bool detach;        /* --detach: don't hand back a pty to relay */
  const char *console_socket;
  const char *pid_file;
};

struct husk_exec_result {
  pid_t pid;      /* the new process, on the host; a child of the caller */
  int pty_master; /* with a terminal, in the foreground and no console socket; else -1 */
};

/* Start the process and return once it has called execve (or failed to).
 * The process is a child of the caller, which waits for it (unless it
 * detaches).  On failure nothing is left running; err names what failed,
 * with runc's texts where engines know them ("container does not exist",
 * "cannot exec in a stopped container", ...). */
int husk_container_exec(const struct husk_exec_opts *opts, struct husk_exec_result *out,
                        husk_error_t *err);

#endif
