/* libFuzzer target: config.json and process.json parsing must never crash,
 * leak or read out of bounds, whatever the bytes.  Built by run-fuzz. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "husk/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct husk_spec *spec = NULL;
  husk_error_t err = {0};
  if (husk_spec_parse((const char *)data, size, "config.json", &spec, &err) == 0)
    (void)husk_spec_validate_for_create(spec, "config.json", &err);
  husk_spec_free(spec);
  husk_error_clear(&err);

  /* The same bytes as an exec process file: a different root object. */
  struct husk_process *process = NULL;
  (void)husk_process_parse((const char *)data, size, "process.json", &process, &err);
  husk_process_free(process);
  husk_error_clear(&err);
  return 0;
}
