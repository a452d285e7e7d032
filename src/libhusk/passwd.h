/* husk — lookups in a passwd file by uid, without glibc's NSS (which a
 * static husk cannot load, and which must never read a container's files
 * through the host's configuration). */
#ifndef HUSK_PASSWD_H
#define HUSK_PASSWD_H

#include <stddef.h>
#include <stdint.h>

enum husk_passwd_field { HUSK_PASSWD_NAME = 0, HUSK_PASSWD_DIR = 5 };

/* The field of the first entry of `data` (a passwd file's text, `len`
 * bytes, untrusted) whose uid is `uid`, malloc'ed; NULL when none. */
char *husk_passwd_field_of(const char *data, size_t len, uint32_t uid,
                           enum husk_passwd_field field);

/* The same from the file at `path` (relative to the current root): a regular
 * file of at most 4 MiB, opened without blocking; NULL when unreadable. */
char *husk_passwd_lookup(const char *path, uint32_t uid, enum husk_passwd_field field);

#endif
