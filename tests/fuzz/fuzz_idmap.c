/* libFuzzer target: id mappings — a uidMappings/gidMappings array of
 * config.json (also mounts[].uidMappings), parsed and validated by the
 * config parser, then written out as the text of /proc/PID/uid_map by
 * husk_id_map_format, which must read back as the same mappings.  (husk
 * reads no uid_map text: mappings only come in as JSON.) */
#include "config.h"

#include <inttypes.h>

#include "fuzz.h"
#include "husk/spec.h"
#include "namespace.h"

static void check_format(const struct husk_id_mapping *maps, size_t n) {
  size_t len = 0;
  char *text = husk_id_map_format(maps, n, &len);
  FUZZ_CHECK(strlen(text) == len && len <= n * 33);
  const char *p = text;
  for (size_t i = 0; i < n; i++) {
    unsigned a, b, c;
    int used = 0;
    FUZZ_CHECK(sscanf(p, "%u %u %u\n%n", &a, &b, &c, &used) == 3 && used > 0);
    FUZZ_CHECK(a == maps[i].container_id && b == maps[i].host_id && c == maps[i].size);
    p += used;
  }
  FUZZ_CHECK(*p == '\0');
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  /* The array where config.json has it, for the process and for a mount. */
  char *config = NULL;
  if (asprintf(&config,
               "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
               "\"mounts\":[{\"destination\":\"/m\",\"type\":\"bind\",\"source\":\"/s\","
               "\"options\":[\"rbind\",\"idmap\"],\"uidMappings\":%.*s\n,\"gidMappings\":[]}],"
               "\"linux\":{\"namespaces\":[{\"type\":\"user\"},{\"type\":\"mount\"}],"
               "\"uidMappings\":%.*s\n,\"gidMappings\":[{\"containerID\":0,\"hostID\":0,"
               "\"size\":1}]}}",
               (int)size, (const char *)data, (int)size, (const char *)data) < 0)
    abort();
  struct husk_spec *spec = NULL;
  husk_error_t err = {0};
  if (husk_spec_parse(config, strlen(config), "config.json", &spec, &err) == 0) {
    (void)husk_spec_validate(spec, "config.json", &err);
    husk_error_clear(&err);
    check_format(spec->linux_.uid_mappings, spec->linux_.uid_mappings_len);
    for (size_t i = 0; i < spec->mounts_len; i++)
      check_format(spec->mounts[i].uid_mappings, spec->mounts[i].uid_mappings_len);
  }
  husk_spec_free(spec);
  husk_error_clear(&err);
  free(config);
  return 0;
}
