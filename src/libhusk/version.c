/* husk — version facts (see include/husk/version.h). */
#include "config.h"

#include "husk/version.h"

#ifndef HUSK_STATIC_EXE
#include <dlfcn.h>
#endif
#include <seccomp.h>
#include <stdio.h>
#include <yajl/yajl_version.h>

#include "husk/spec.h"

const char *husk_version(void) { return PACKAGE_VERSION; }
const char *husk_commit(void) { return HUSK_COMMIT; }
const char *husk_spec_version(void) { return HUSK_OCI_VERSION; }

const char *husk_libseccomp_version(void) {
  static char buf[32];
  const struct scmp_version *v = seccomp_version();
  if (v == NULL)
    return HUSK_LIBSECCOMP_VERSION;
  snprintf(buf, sizeof(buf), "%u.%u.%u", v->major, v->minor, v->micro);
  return buf;
}

const char *husk_libcap_version(void) { return HUSK_LIBCAP_VERSION; }

const char *husk_yajl_version(void) {
  static char buf[32];
  int v = yajl_version();
  snprintf(buf, sizeof(buf), "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
  return buf;
}

/* Only `--version` asks, so libmount is opened here and not linked: linked,
 * it and what it pulls in (libblkid, libselinux, libpcre2) were loaded and
 * relocated at every start of husk, twice per container (the re-exec of
 * self_protect.c), for this one call. */
const char *husk_libmount_version(void) {
#ifdef HUSK_STATIC_EXE
  /* A static husk cannot load a shared library (libmount's would bring a
   * second libc): the version it was built against. */
  return HUSK_LIBMOUNT_VERSION;
#else
  void *lib = dlopen("libmount.so.1", RTLD_LAZY | RTLD_LOCAL);
  int (*get)(const char **) =
      lib ? (int (*)(const char **))dlsym(lib, "mnt_get_library_version") : NULL;
  const char *v = NULL;
  if (get == NULL || get(&v) < 0 || v == NULL)
    return HUSK_LIBMOUNT_VERSION;
  return v; /* static in libmount, which stays loaded */
#endif
}
