/* Unit tests of the findings collector (husk_error_t.collect): the parser
 * and validator that create runs stop at the first error; given a
 * collector, the same code records every error and goes on.
 *
 * - each case of tests/unit/corpus/ (one wrong field each) gives, collected,
 *   a finding that is the message create prints (and nothing crashes on
 *   the fields a collected error leaves absent);
 * - a config wrong in several places gives all of them, in order, while the
 *   fail-fast parse still gives the first only;
 * - the collector splits "config.json: path: reason" and drops repeats. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/check.h"
#include "husk/spec.h"
#include "tap.h"
#include "util.h"

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_json(const char *dir, size_t *count) {
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0;
  *count = 0;
  if (d == NULL)
    return NULL;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0 ||
        strncmp(e->d_name, "process-json-", 13) == 0)
      continue;
    names = husk_xrealloc(names, (n + 1) * sizeof(*names));
    names[n++] = husk_xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof(*names), cmp_names);
  *count = n;
  return names;
}

/* "path: message" (or the message) the way create's error has it. */
static char *as_text(const struct husk_finding *f) {
  if (f->path[0] == '\0' || strncmp(f->message, f->path, strlen(f->path)) == 0)
    return husk_xstrdup(f->message);
  return husk_xasprintf("%s: %s", f->path, f->message);
}

static void test_corpus(const char *dir) {
  size_t n;
  char **names = list_json(dir, &n);
  tap_ok(n >= 50, "found %zu corpus cases in %s", n, dir);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *path = husk_xasprintf("%s/%s", dir, names[i]);
    char *json = NULL;
    size_t len = 0;
    husk_error_t rerr = {0};
    if (husk_read_file(path, 1 << 24, &json, &len, &rerr) < 0) {
      tap_ok(false, "read %s", names[i]);
      husk_error_clear(&rerr);
      continue;
    }
    husk_error_t fast = {0};
    struct husk_spec *spec = NULL;
    int r = husk_spec_parse(json, len, "config.json", &spec, &fast);
    husk_spec_free(spec);
    spec = NULL;

    struct husk_findings found = {0};
    husk_error_t collect = {.collect = &found};
    husk_spec_parse(json, len, "config.json", &spec, &collect);
    if (spec)
      husk_spec_validate_for_create(spec, "config.json", &collect);
    husk_spec_free(spec);

    bool match = false;
    for (size_t j = 0; r < 0 && j < found.len && !match; j++) {
      _cleanup_free_ char *text = as_text(&found.items[j]);
      match = strstr(fast.msg, text) != NULL;
    }
    if (!tap_ok(r < 0 && match && collect.msg == NULL, "corpus/%s: collected too", names[i])) {
      tap_diag("fail-fast: %s", fast.msg ? fast.msg : "(success)");
      for (size_t j = 0; j < found.len; j++)
        tap_diag("finding: [%s] %s", found.items[j].path, found.items[j].message);
    }
    husk_findings_free(&found);
    husk_error_clear(&fast);
    free(json);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

static const char many_errors[] =
    "{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"rootfs\"}, \"hostname\": 7,"
    " \"mounts\": [{\"destination\": 5}, {\"destination\": \"/a\", \"type\": \"bind\"}],"
    " \"process\": {\"cwd\": \"rel\", \"args\": [\"sh\"],"
    "   \"capabilities\": {\"bounding\": [\"CAP_X\", \"CAP_Y\"]},"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOPE\", \"soft\": 1, \"hard\": 1}]},"
    " \"linux\": {\"namespaces\": [{\"type\": \"pidd\"}, {\"type\": \"pid\"}, {\"type\": \"pid\"}],"
    "   \"resources\": {\"pids\": {\"limit\": \"x\"}}, \"seccomp\": {\"defaultAction\": 3}}}";

static const char *const many_expected[] = {
    "mounts[0].destination: expected a string, got 5",
    "process.rlimits[0].type: unknown rlimit \"RLIMIT_NOPE\"",
    "hostname: expected a string, got 7",
    "linux.namespaces[0].type: unknown namespace \"pidd\"",
    "linux.resources.pids.limit: expected a signed 64-bit integer, got \"x\"",
    "linux.seccomp.defaultAction: expected a string, got 3",
    "ociVersion: \"1.0\" is not a SemVer 2.0.0 version",
    "mounts[1].source: required for a bind mount",
    "process.cwd: must be an absolute path, got \"rel\"",
    "process.capabilities.bounding[0]: unknown capability \"CAP_X\"",
    "process.capabilities.bounding[1]: unknown capability \"CAP_Y\"",
    "linux.namespaces[2].type: duplicate namespace \"pid\" (also linux.namespaces[1])",
};

static void test_many(void) {
  struct husk_spec *spec = NULL;
  husk_error_t fast = {0};
  int fr = husk_spec_parse(many_errors, strlen(many_errors), "config.json", &spec, &fast);
  tap_ok(fr < 0 && fast.msg &&
             strcmp(fast.msg, "config.json: mounts[0].destination: expected a string, got 5") == 0,
         "fail-fast: the first error only (%s)", fast.msg ? fast.msg : "none");
  husk_error_clear(&fast);

  struct husk_findings found = {0};
  husk_error_t collect = {.collect = &found};
  int r = husk_spec_parse(many_errors, strlen(many_errors), "config.json", &spec, &collect);
  tap_ok(r == 0 && spec != NULL, "collecting: the parse goes on and gives a spec");
  size_t want = sizeof(many_expected) / sizeof(many_expected[0]);
  bool same = found.len == want;
  for (size_t i = 0; i < found.len; i++) {
    _cleanup_free_ char *text = as_text(&found.items[i]);
    bool ok = i < want && strcmp(text, many_expected[i]) == 0;
    same &= ok;
    if (!ok)
      tap_diag("finding %zu: %s%s%s", i, text, i < want ? "\n#   want: " : "",
               i < want ? many_expected[i] : "");
  }
  tap_ok(same, "collecting: all %zu errors, in order (got %zu)", want, found.len);
  tap_ok(collect.msg == NULL, "collecting: err->msg stays empty");
  tap_ok(husk_findings_count(&found, HUSK_SEV_ERROR) == found.len, "all are errors");
  husk_spec_free(spec);
  husk_findings_free(&found);
}

/* Required fields left absent by a collected error: nothing reads them
 * (found by fuzz_config). */
static void test_absent_required(void) {
  static const char *const docs[][2] = {
      {"{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"devices\":"
       " [{\"path\": \"/dev/x\", \"major\": 1, \"minor\": 2}]}}",
       "linux.devices[0].type: required field missing"},
      {"{\"ociVersion\": \"1.3.0\", \"root\": {}, \"mounts\": [{}], \"process\": {\"args\": "
       "[\"a\"],"
       " \"rlimits\": [{\"soft\": 1, \"hard\": 1}]}, \"hooks\": {\"prestart\": [{}]}}",
       "root.path: required field missing"},
  };
  for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
    struct husk_findings found = {0};
    husk_error_t collect = {.collect = &found};
    struct husk_spec *spec = NULL;
    if (husk_spec_parse(docs[i][0], strlen(docs[i][0]), "config.json", &spec, &collect) == 0)
      husk_spec_validate_for_create(spec, "config.json", &collect);
    husk_spec_free(spec);
    _cleanup_free_ char *first = found.len ? as_text(&found.items[0]) : husk_xstrdup("(none)");
    tap_ok(strcmp(first, docs[i][1]) == 0, "absent required fields, case %zu: %s (%zu findings)", i,
           first, found.len);
    husk_findings_free(&found);
  }
}

static void test_collector(void) {
  struct husk_findings f = {0};
  husk_findings_add_message(&f, HUSK_SEV_ERROR, "config.json: linux.sysctl[\"a.b\"]: bad");
  husk_findings_add_message(&f, HUSK_SEV_ERROR, "config.json: linux.sysctl[\"a.b\"]: bad");
  husk_findings_add_message(&f, HUSK_SEV_WARNING, "linux.resources.unified requires cgroup v2");
  husk_findings_add_message(&f, HUSK_SEV_ERROR, "config.json: line 3: invalid JSON: x");
  husk_findings_add(&f, HUSK_SEV_NOTE, NULL, "host %s", "v2");
  tap_ok(f.len == 4, "a repeated finding is dropped (%zu)", f.len);
  tap_ok(f.len == 4 && strcmp(f.items[0].path, "linux.sysctl[\"a.b\"]") == 0 &&
             strcmp(f.items[0].message, "bad") == 0,
         "path with a quoted key, and the reason");
  tap_ok(f.len == 4 && strcmp(f.items[1].path, "linux.resources.unified") == 0 &&
             strcmp(f.items[1].message, "linux.resources.unified requires cgroup v2") == 0,
         "a message that starts with its path keeps it");
  tap_ok(f.len == 4 && strcmp(f.items[2].path, "") == 0 &&
             strcmp(f.items[2].message, "line 3: invalid JSON: x") == 0,
         "\"line 3\" is no path");
  tap_ok(f.len == 4 && f.items[3].severity == HUSK_SEV_NOTE && strcmp(f.items[3].path, "") == 0,
         "a note without a path");
  tap_ok(husk_findings_count(&f, HUSK_SEV_ERROR) == 2, "counted by severity");
  husk_findings_free(&f);
  tap_ok(f.len == 0 && f.items == NULL, "freed");

  husk_error_t fast = {0};
  tap_ok(husk_error_report(&fast, 0, "x: y") == -1 && strcmp(fast.msg, "x: y") == 0,
         "husk_error_report without a collector: -1, like husk_error_set");
  husk_error_clear(&fast);
  husk_error_t collect = {.collect = &f};
  tap_ok(husk_error_report(&collect, 22, "x: y") == 0 && collect.msg == NULL && f.len == 1 &&
             strcmp(f.items[0].message, "y") == 0,
         "with one: 0, recorded, EINVAL's text left out");
  husk_findings_free(&f);
}

int main(void) {
  const char *top = getenv("top_srcdir");
  _cleanup_free_ char *corpus = husk_xasprintf("%s/tests/unit/corpus", top ? top : ".");
  test_collector();
  test_many();
  test_absent_required();
  test_corpus(corpus);
  return tap_done();
}
