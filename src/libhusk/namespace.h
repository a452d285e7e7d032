/* husk — which namespaces the container gets, and how: created by clone,
 * joined by the parent before clone (those that only affect children or
 * that the runtime can hold for a moment), or joined by the init. */
#ifndef HUSK_NAMESPACE_H
#define HUSK_NAMESPACE_H

#include <stdbool.h>

#include "husk/error.h"
#include "husk/spec.h"

struct husk_ns_plan {
  int clone_flags;         /* CLONE_NEW* created by clone (never CLONE_NEWTIME) */
  int unshare_flags;       /* created by the init after joining a user namespace */
  bool new_time;           /* a new time namespace: the parent unshares it */
  bool new_user;           /* a new user namespace (maps written by the parent) */
  int join_fd[HUSK_NS_COUNT]; /* open namespace files of `path` entries, -1 */
};

/* Open and check every `path`, decide the flags.  Errors name the entry:
 * `linux.namespaces[1].path /run/netns/x: not a network namespace`. */
int husk_ns_plan_build(const struct husk_spec *spec, struct husk_ns_plan *plan, husk_error_t *err);
void husk_ns_plan_close(struct husk_ns_plan *plan);

/* In the parent, around clone: enter the joined namespaces that are safe to
 * hold (pid and time only affect children; net, ipc, uts, cgroup don't
 * change what the runtime reads), create the new time namespace with its
 * offsets, and afterwards go back to where the runtime was, so hooks run in
 * the runtime's namespaces. */
struct husk_ns_saved {
  int fd[HUSK_NS_COUNT];
};
int husk_ns_parent_enter(const struct husk_spec *spec, const struct husk_ns_plan *plan,
                         struct husk_ns_saved *saved, husk_error_t *err);
int husk_ns_parent_restore(struct husk_ns_saved *saved, husk_error_t *err);

/* In the init: join the user and mount namespaces given by path, then
 * unshare what must be owned by a joined user namespace. */
int husk_ns_init_join(const struct husk_ns_plan *plan, husk_error_t *err);

/* The text of a uid_map / gid_map for these mappings ("0 1000 1\n" per
 * entry), NUL-terminated, *len without the NUL; caller frees. */
char *husk_id_map_format(const struct husk_id_mapping *maps, size_t n, size_t *len);

/* Write the uid_map / gid_map of `pid` from linux.uidMappings/gidMappings. */
int husk_userns_write_maps(pid_t pid, const struct husk_spec *spec, husk_error_t *err);

#endif
