/* husk — run from a copy of husk that no container can write (CVE-2019-5736).
 *
 * Every process that enters a container (the init, `exec`'s processes) is
 * husk until its execve, and a workload that makes husk run again inside the
 * container (`#!/proc/self/exe`) gets a dumpable process whose
 * /proc/<pid>/exe is husk's file. If that file is the host's husk binary, the
 * container's root can open it through /proc and overwrite it. So the
 * commands whose processes enter a container first re-execute husk from a
 * read-only view of the binary: a detached read-only bind mount of it
 * (open_tree(OPEN_TREE_CLONE) + mount_setattr), or, when that is refused, a
 * sealed memfd copy. */
#ifndef HUSK_SELF_PROTECT_H
#define HUSK_SELF_PROTECT_H

#include "husk/error.h"

/* How husk_self_protect found /proc/self/exe, or what it would do. */
enum husk_self_protection {
  HUSK_SELF_READONLY_MOUNT, /* on a read-only mount: nothing to do */
  HUSK_SELF_SEALED_MEMFD,   /* a memfd with write, grow and shrink sealed */
  HUSK_SELF_NOT_WRITABLE,   /* no way worked, but the caller can't write it */
};

/* Make sure this process runs from a husk binary that no container process
 * can write. Returns >= 0 (an enum husk_self_protection) when it already
 * does; otherwise re-executes itself with argv and envp unchanged and does
 * not return, or returns -1 with err set when every way failed and the file
 * is writable by the caller (so possibly by its containers). Call it before
 * opening any file descriptor that must not survive execve: only the fds
 * that are not close-on-exec are inherited, as they would be by any child. */
int husk_self_protect(char *const argv[], char *const envp[], husk_error_t *err);

#endif
