/* husk — `husk check`: every problem of a bundle at once.
 *
 * The config goes through the very rule code create runs (the parser,
 * spec_validate.c, the host rules of container.c and cgroup.c), with an
 * error that collects (husk_error_t.collect) instead of stopping at the first
 * finding.  What create only finds out while building the container (a
 * missing binary, a controller the host lacks) is looked at by the
 * check_*.c files, without making anything. */
#include "config.h"

#include "husk/check.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "check_internal.h"
#include "container.h"
#include "util.h"

/* root.path made absolute (relative to the bundle), NULL when it is not a
 * directory: that is reported. */
static char *find_rootfs(const struct husk_spec *spec, const char *bundle,
                         struct husk_findings *out) {
  if (!spec->has_root || spec->root.path == NULL || spec->root.path[0] == '\0')
    return NULL; /* reported by the validator */
  _cleanup_free_ char *path = spec->root.path[0] == '/'
                                  ? husk_xstrdup(spec->root.path)
                                  : husk_xasprintf("%s/%s", bundle, spec->root.path);
  struct stat st;
  if (stat(path, &st) < 0) {
    husk_findings_add(out, HUSK_SEV_ERROR, "root.path", "%s: %s", path, strerror(errno));
    return NULL;
  }
  if (!S_ISDIR(st.st_mode)) {
    husk_findings_add(out, HUSK_SEV_ERROR, "root.path", "%s: not a directory", path);
    return NULL;
  }
  char real[PATH_MAX];
  return husk_xstrdup(realpath(path, real) ? real : path);
}

int husk_check_bundle(const struct husk_check_opts *opts, struct husk_findings *out,
                      husk_error_t *err) {
  char bundle[PATH_MAX];
  const char *given = opts->bundle ? opts->bundle : ".";
  if (realpath(given, bundle) == NULL)
    return husk_error_set(err, errno, "bundle %s", given);
  _cleanup_free_ char *config = husk_xasprintf("%s/config.json", bundle);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (husk_read_file(config, HUSK_CONFIG_MAX_SIZE, &text, &len, err) < 0)
    return -1;

  /* From here on every problem is a finding. */
  husk_error_t collect = {.collect = out};
  struct husk_spec *spec = NULL;
  if (husk_spec_parse(text, len, "config.json", &spec, &collect) < 0)
    return 0; /* not JSON, or not an object: nothing more to look at */
  husk_spec_validate_for_create(spec, "config.json", &collect);
  husk_container_check_spec(spec, &collect);
  if (spec->linux_.has_resources)
    husk_cgroup_check_common(&spec->linux_.resources, &collect);

  _cleanup_free_ char *rootfs = find_rootfs(spec, bundle, out);
  husk_check_rootfs(spec, bundle, rootfs, out);
  husk_check_host(spec, opts, out);
  husk_check_risk(spec, bundle, out);
  husk_spec_free(spec);
  husk_error_clear(&collect);
  return 0;
}
