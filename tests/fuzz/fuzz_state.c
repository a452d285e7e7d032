/* libFuzzer target: state.json, as every command after create reads it —
 * husk_state_parse (what husk_state_load does with the file), then the OCI
 * state `husk state` prints from it, which must parse back the same. */
#include "config.h"

#include "fuzz.h"
#include "husk/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct husk_state st;
  husk_error_t err = {0};
  int r = husk_state_parse((const char *)data, size, "state.json", &st, &err);
  FUZZ_CHECK((r == 0) == (err.msg == NULL));
  if (r == 0) {
    /* kill, delete and ps signal and read this pid: it must never be
     * negative (kill(-1) is every process) whatever the file says. */
    FUZZ_CHECK(st.pid >= 0);
    FUZZ_CHECK(st.id != NULL && st.bundle != NULL && st.oci_version != NULL);
    char *json = husk_state_oci_json(&st, NULL);
    struct husk_state again;
    husk_error_t err2 = {0};
    FUZZ_CHECK(husk_state_parse(json, strlen(json), "oci state", &again, &err2) == 0);
    FUZZ_CHECK(again.status == st.status && strcmp(again.id, st.id) == 0);
    FUZZ_CHECK(again.annotations_len <= st.annotations_len);
    husk_state_free(&again);
    free(json);
    husk_state_free(&st);
  }
  husk_error_clear(&err);
  return 0;
}
