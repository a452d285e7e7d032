/* libFuzzer target: `update -r FILE` — the resources JSON runc's update
 * takes (a linux.resources object), spliced into a config and parsed by the
 * config parser, then reduced to what update applies. */
#include "config.h"

#include <stdbool.h>

#include "cli.h"
#include "fuzz.h"
#include "husk/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct husk_spec *spec = NULL;
  husk_error_t err = {0};
  int r = cmd_update_parse_resources((const char *)data, size, "resources.json", &spec, &err);
  FUZZ_CHECK((r == 0) == (err.msg == NULL));
  if (r == 0) {
    FUZZ_CHECK(spec != NULL);
    struct husk_resources res;
    bool kernel_memory = false;
    cmd_update_resources_from_file(&spec->linux_.resources, &res, &kernel_memory);
    /* A zero value means "unchanged" in runc's update. */
    FUZZ_CHECK(!res.memory.has_limit || res.memory.limit != 0);
    FUZZ_CHECK(!res.cpu.has_shares || res.cpu.shares != 0);
    FUZZ_CHECK(res.cpu.cpus == NULL || res.cpu.cpus[0] != '\0');
  }
  husk_spec_free(spec);
  husk_error_clear(&err);
  return 0;
}
