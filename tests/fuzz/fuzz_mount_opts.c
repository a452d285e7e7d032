/* libFuzzer target: config.json mounts[].options — husk_mount_opts_parse
 * (the strings come from JSON, so any bytes but NUL; here split on NUL)
 * and the propagation lookup used for linux.rootfsPropagation. */
#include "config.h"

#include "fuzz.h"
#include "husk/spec.h"
#include "mount_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf;
  int argc;
  char **argv = fuzz_split(data, size, '\0', &argc, &buf);
  struct husk_strv options = {.items = argv, .len = (size_t)argc};
  struct husk_mount_opts opts;
  husk_error_t err = {0};
  int r = husk_mount_opts_parse(&options, "mounts[0]", &opts, &err);
  FUZZ_CHECK((r == 0) == (err.msg == NULL));
  if (r == 0) {
    FUZZ_CHECK(opts.propagation_len >= 0 && opts.propagation_len <= HUSK_MOUNT_MAX_PROPAGATION);
    /* data holds the unknown options, comma-joined: never more bytes
     * than the options themselves. */
    if (opts.data != NULL)
      FUZZ_CHECK(strlen(opts.data) <= size);
    (void)husk_mount_opts_is_bind(&opts);
    husk_mount_opts_free(&opts);
    FUZZ_CHECK(opts.data == NULL);
  }
  for (int i = 0; i < argc; i++)
    (void)husk_mount_propagation_flags(argv[i]);
  husk_error_clear(&err);
  free(argv);
  free(buf);
  return 0;
}
