/* libFuzzer target: config.json and process.json parsing must never crash,
 * leak or read out of bounds, whatever the bytes -- also when the error
 * collects every finding (husk check) and the parser and the rules go on
 * past each error, with fields left absent.  Built by run-fuzz. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "husk/check.h"
#include "husk/spec.h"

#include "cgroup.h"
#include "container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct husk_spec *spec = NULL;
  husk_error_t err = {0};
  if (husk_spec_parse((const char *)data, size, "config.json", &spec, &err) == 0)
    (void)husk_spec_validate_for_create(spec, "config.json", &err);
  husk_spec_free(spec);
  husk_error_clear(&err);

  /* husk check: every rule create runs, going on past each error. */
  struct husk_findings found = {0};
  husk_error_t collect = {.collect = &found};
  spec = NULL;
  if (husk_spec_parse((const char *)data, size, "config.json", &spec, &collect) == 0) {
    (void)husk_spec_validate_for_create(spec, "config.json", &collect);
    (void)husk_container_check_spec(spec, &collect);
    if (spec->linux_.has_resources)
      (void)husk_cgroup_check_common(&spec->linux_.resources, &collect);
  }
  husk_spec_free(spec);
  husk_findings_free(&found);

  /* The same bytes as an exec process file: a different root object. */
  struct husk_process *process = NULL;
  (void)husk_process_parse((const char *)data, size, "process.json", &process, &err);
  husk_process_free(process);
  husk_error_clear(&err);
  return 0;
}
