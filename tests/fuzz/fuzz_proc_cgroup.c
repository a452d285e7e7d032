/* libFuzzer target: /proc/self/cgroup — husk_own_cgroup_parse, which finds
 * the init's cgroup for the `cgroup` mount.  The input's first line is the
 * super options of the hierarchy's mountinfo entry ("" for cgroup2); the
 * rest is the /proc/self/cgroup text ("12:cpu,cpuacct:/user.slice"). */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  const uint8_t *nl = memchr(data, '\n', size);
  size_t head = nl ? (size_t)(nl - data) : size;
  char *super = fuzz_cstr(data, head);
  const uint8_t *rest = nl ? nl + 1 : data + size;
  size_t rest_len = size - (size_t)(rest - data);
  if (rest_len == 0) {
    free(super);
    return 0;
  }
  FILE *f = fmemopen((void *)rest, rest_len, "r");
  FUZZ_CHECK(f != NULL);
  char *path = NULL, *ctrls = NULL;
  const char *fstype = super[0] == '\0' ? "cgroup2" : "cgroup";
  int r = husk_own_cgroup_parse(f, fstype, super, &path, &ctrls);
  FUZZ_CHECK(r == 0 || r == -ENOENT);
  if (r == 0) {
    FUZZ_CHECK(path != NULL && ctrls != NULL);
    /* cgroup2 is the line with no controllers, v1 one with some */
    FUZZ_CHECK((ctrls[0] == '\0') == (super[0] == '\0'));
  }
  fclose(f);
  free(path);
  free(ctrls);
  free(super);
  return 0;
}
