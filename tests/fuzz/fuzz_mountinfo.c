/* libFuzzer target: /proc/self/mountinfo as husk reads it in three places —
 * the v1 cgroup hierarchies (cgroup.c, husk_cg_v1_parse), the v1 memory
 * controller's mount (container_ops.c, for `events`) and the line parser of
 * the `cgroup` mount (rootfs.c, husk_mountinfo_parse_line).  Mount points
 * hold any byte but NUL, '\n' and what the kernel escapes. */
#include "config.h"

#include "cgroup_internal.h"
#include "container_ops.h"
#include "fuzz.h"
#include "rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0 || size > 65536)
    return 0;
  FILE *f = fmemopen((void *)data, size, "r");
  FUZZ_CHECK(f != NULL);
  struct husk_cg_v1 l;
  husk_cg_v1_parse(f, &l);
  for (size_t i = 0; i < l.len; i++) {
    FUZZ_CHECK(strncmp(l.items[i].mount, "/sys/fs/cgroup/", 15) == 0);
    /* ",cpu,cpuacct," — what husk_cg_v1_find looks names up in */
    const char *c = l.items[i].controllers;
    FUZZ_CHECK(c[0] == ',' && c[strlen(c) - 1] == ',');
  }
  if (l.len > 0)
    (void)husk_cg_v1_find(&l, "memory");
  husk_cg_v1_free(&l);
  fclose(f);

  f = fmemopen((void *)data, size, "r");
  FUZZ_CHECK(f != NULL);
  free(husk_v1_memory_mount_parse(f));
  fclose(f);

  char *text = fuzz_cstr(data, size), *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    struct mountinfo_entry e;
    if (husk_mountinfo_parse_line(line, &e))
      FUZZ_CHECK(e.root && e.target && e.fstype && e.super_opts);
  }
  free(text);
  return 0;
}
