/* husk — copying a directory's content into another, for the `tmpcopyup`
 * mount option: the new tmpfs starts with what the image had there. */
#ifndef HUSK_COPY_TREE_H
#define HUSK_COPY_TREE_H

#include "husk/error.h"

/* Copy everything below the directory src_fd into the directory dst_fd:
 * directories, regular files, symlinks (as links), FIFOs, sockets and device
 * nodes, with their mode, owner and times.  Nothing is followed out of
 * src_fd.  `what` names the source in errors. */
int husk_copy_tree(int src_fd, int dst_fd, const char *what, husk_error_t *err);

#endif
