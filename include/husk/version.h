/* husk — version facts printed by `husk --version` and `husk features`. */
#ifndef HUSK_VERSION_H
#define HUSK_VERSION_H

const char *husk_version(void);      /* "0.1.0" */
const char *husk_commit(void);       /* git commit or "unknown" */
const char *husk_spec_version(void); /* OCI runtime spec version, "1.3.0" */
/* Versions of the libraries husk runs with (runtime, not build time, where
 * the library can tell). */
const char *husk_libseccomp_version(void);
const char *husk_libcap_version(void);
const char *husk_yajl_version(void);
const char *husk_libmount_version(void);

#endif
