/* Unit tests of the container state directory (src/libhusk/state.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "husk/state.h"
#include "tap.h"
#include "util.h"

static char *make_temp_root(void) {
  char tmpl[] = "/tmp/husk-test-state-XXXXXX";
  if (mkdtemp(tmpl) == NULL) {
    perror("mkdtemp");
    exit(2);
  }
  return husk_xstrdup(tmpl);
}

static void fill_state(struct husk_state *s, const char *id) {
  memset(s, 0, sizeof(*s));
  s->oci_version = husk_xstrdup("1.3.0");
  s->id = husk_xstrdup(id);
  s->status = HUSK_STATUS_CREATED;
  s->pid = getpid();
  s->bundle = husk_xstrdup("/srv/bundle \"quoted\"");
  s->rootfs = husk_xstrdup("/srv/bundle/rootfs");
  s->created = husk_rfc3339_now();
  s->owner = husk_xstrdup("");
  s->annotations_len = 2;
  s->annotations = husk_xcalloc(2, sizeof(*s->annotations));
  s->annotations[0] = (struct husk_kv){husk_xstrdup("z.last"), husk_xstrdup("2")};
  s->annotations[1] = (struct husk_kv){husk_xstrdup("a.first"), husk_xstrdup("1")};
  s->init_start_time = 18446744073709551615ULL; /* must survive beyond long long */
  s->cgroup_path = husk_xstrdup("/sys/fs/cgroup/husk/x");
  s->config_path = husk_xstrdup("/srv/bundle/config.json");
  s->poststart_hooks = 0;
  s->poststop_hooks = 2;
}

/* The ID with control characters shown as '?', so TAP lines stay whole. */
static char *printable(const char *s) {
  char *out = husk_xstrdup(s);
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = '?';
  return out;
}

static void test_validate_id(void) {
  static const struct {
    const char *id;
    bool valid;
  } cases[] = {
      {"abc", true},        {"a-b_c.d+e,f", true},  {"A1", true},     {"x..y", true},
      {"...", true},        {".hidden", true},      {"", false},      {".", false},
      {"..", false},        {"../x", false},        {"a/b", false},   {"/abs", false},
      {"a b", false},       {"caf\xc3\xa9", false}, {"tab\t", false}, {"star*", false},
      {"new\nline", false}, {"colon:x", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    husk_error_t err = {0};
    int r = husk_validate_id(cases[i].id, &err);
    _cleanup_free_ char *shown = printable(cases[i].id);
    tap_ok((r == 0) == cases[i].valid, "validate_id(\"%s\") is %s", shown,
           cases[i].valid ? "valid" : "invalid");
    if (!cases[i].valid)
      tap_ok(err.msg && (strcmp(err.msg, "invalid container ID format") == 0 ||
                         strcmp(err.msg, "container id cannot be empty") == 0),
             "  with runc's message (%s)", err.msg ? err.msg : "none");
    husk_error_clear(&err);
  }
  char longest[HUSK_ID_MAX + 2];
  memset(longest, 'a', sizeof(longest));
  longest[HUSK_ID_MAX] = '\0';
  tap_ok(husk_validate_id(longest, NULL) == 0, "an ID of %d bytes is valid", HUSK_ID_MAX);
  longest[HUSK_ID_MAX] = 'a';
  longest[HUSK_ID_MAX + 1] = '\0';
  tap_ok(husk_validate_id(longest, NULL) < 0, "an ID of %d bytes is too long", HUSK_ID_MAX + 1);
}

static void test_roundtrip(const char *root) {
  husk_error_t err = {0};
  tap_ok(husk_state_create_dir(root, "c1", &err) == 0, "create_dir c1 (%s)",
         err.msg ? err.msg : "ok");
  _cleanup_free_ char *dir = husk_state_dir(root, "c1");
  struct stat st;
  tap_ok(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0711, "container dir has mode 0711");
  tap_ok(husk_state_create_dir(root, "c1", &err) < 0 && err.errnum == EEXIST,
         "create_dir refuses an existing ID");
  husk_error_clear(&err);

  struct husk_state saved, loaded;
  fill_state(&saved, "c1");
  tap_ok(husk_state_save(root, &saved, &err) == 0, "save state");
  tap_ok(husk_state_load(root, "c1", &loaded, &err) == 0, "load state");
  tap_ok(strcmp(loaded.id, "c1") == 0 && strcmp(loaded.oci_version, "1.3.0") == 0, "id, version");
  tap_ok(loaded.status == HUSK_STATUS_CREATED && loaded.pid == saved.pid, "status, pid");
  tap_ok(strcmp(loaded.bundle, saved.bundle) == 0 && strcmp(loaded.rootfs, saved.rootfs) == 0,
         "bundle, rootfs (with quotes)");
  tap_ok(strcmp(loaded.created, saved.created) == 0, "created");
  tap_ok(loaded.annotations_len == 2 && strcmp(loaded.annotations[0].key, "z.last") == 0 &&
             strcmp(loaded.annotations[1].value, "1") == 0,
         "annotations keep their order");
  tap_ok(loaded.init_start_time == saved.init_start_time, "init start time (full 64 bits)");
  tap_ok(strcmp(loaded.cgroup_path, saved.cgroup_path) == 0 &&
             strcmp(loaded.config_path, saved.config_path) == 0,
         "cgroup and config path");
  tap_ok(loaded.poststart_hooks == 0 && loaded.poststop_hooks == 2,
         "hook counts (start and delete parse the config copy only for them)");

  _cleanup_free_ char *json = husk_state_oci_json(&loaded, NULL);
  _cleanup_free_ char *expected = husk_xasprintf(
      "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"pid\":%d,\"status\":\"created\","
      "\"bundle\":\"/srv/bundle \\\"quoted\\\"\",\"rootfs\":\"/srv/bundle/rootfs\","
      "\"created\":\"%s\",\"annotations\":{\"a.first\":\"1\",\"z.last\":\"2\"},\"owner\":\"\"}",
      (int)getpid(), saved.created);
  tap_ok(strcmp(json, expected) == 0, "OCI state JSON in runc's order, annotations sorted");
  if (strcmp(json, expected) != 0)
    tap_diag("got %s", json);

  /* The atomic write leaves nothing but state.json behind. */
  DIR *d = opendir(dir);
  int others = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "state.json"))
      others++;
  }
  if (d)
    closedir(d);
  tap_ok(others == 0, "no temporary file left after saving");

  husk_state_free(&saved);
  husk_state_free(&loaded);
  husk_error_clear(&err);
}

static void test_missing_and_list(const char *root) {
  husk_error_t err = {0};
  struct husk_state st;
  tap_ok(husk_state_load(root, "nope", &st, &err) < 0 && err.errnum == ENOENT &&
             strcmp(err.msg, "container does not exist") == 0,
         "loading an unknown ID: container does not exist");
  husk_error_clear(&err);

  tap_ok(husk_state_create_dir(root, "b2", &err) == 0, "create b2");
  char **ids = NULL;
  size_t count = 0;
  tap_ok(husk_state_list(root, &ids, &count, &err) == 0 && count == 2, "list finds 2");
  tap_ok(count == 2 && strcmp(ids[0], "b2") == 0 && strcmp(ids[1], "c1") == 0 && ids[2] == NULL,
         "list is sorted and NULL-terminated");
  husk_state_list_free(ids);

  _cleanup_free_ char *missing = husk_xasprintf("%s/does-not-exist", root);
  tap_ok(husk_state_list(missing, &ids, &count, &err) == 0 && count == 0 && ids[0] == NULL,
         "a missing root lists nothing");
  husk_state_list_free(ids);

  tap_ok(husk_state_destroy(root, "b2", &err) == 0, "destroy b2");
  _cleanup_free_ char *dir = husk_state_dir(root, "b2");
  tap_ok(access(dir, F_OK) < 0 && errno == ENOENT, "b2's directory is gone");
  tap_ok(husk_state_destroy(root, "b2", &err) == 0, "destroying twice is fine");
  husk_error_clear(&err);
}

static void test_status_refresh(void) {
  struct husk_state st = {.status = HUSK_STATUS_RUNNING, .pid = getpid()};
  husk_process_start_time(getpid(), &st.init_start_time, NULL);
  tap_ok(husk_state_refresh_status(&st) == HUSK_STATUS_RUNNING, "own live process: running");
  st.init_start_time += 1;
  tap_ok(husk_state_refresh_status(&st) == HUSK_STATUS_STOPPED, "start time differs: stopped");

  pid_t child = fork();
  if (child == 0)
    _exit(0);
  waitpid(child, NULL, 0);
  st = (struct husk_state){.status = HUSK_STATUS_CREATED, .pid = child};
  tap_ok(husk_state_refresh_status(&st) == HUSK_STATUS_STOPPED, "reaped process: stopped");

  child = fork();
  if (child == 0)
    _exit(0);
  /* Not reaped yet: a zombie. */
  for (int i = 0; i < 100; i++) {
    char path[64], buf[512] = "";
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
      ssize_t n = read(fd, buf, sizeof(buf) - 1);
      close(fd);
      if (n > 0 && strstr(buf, ") Z "))
        break;
    }
    usleep(10000);
  }
  st = (struct husk_state){.status = HUSK_STATUS_RUNNING, .pid = child};
  tap_ok(husk_state_refresh_status(&st) == HUSK_STATUS_STOPPED, "zombie: stopped");
  waitpid(child, NULL, 0);
}

/* Readers share the lock, a writer excludes everyone: checked from a child
 * with LOCK_NB while the parent holds the lock. */
static int child_try_lock(const char *root, const char *id, int how) {
  pid_t pid = fork();
  if (pid == 0) {
    char *dir = husk_state_dir(root, id);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    free(dir); /* _exit skips cleanup handlers; valgrind would count a leak */
    _exit(fd >= 0 && flock(fd, how | LOCK_NB) == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_locking(const char *root) {
  husk_error_t err = {0};
  int fd = -1;
  tap_ok(husk_state_lock(root, "c1", false, &fd, &err) == 0, "shared lock taken");
  tap_ok(child_try_lock(root, "c1", LOCK_SH) == 0, "another reader gets a shared lock");
  tap_ok(child_try_lock(root, "c1", LOCK_EX) == 1, "a writer is kept out by a reader");
  husk_state_unlock(fd);

  tap_ok(husk_state_lock(root, "c1", true, &fd, &err) == 0, "exclusive lock taken");
  tap_ok(child_try_lock(root, "c1", LOCK_SH) == 1, "a reader is kept out by a writer");
  tap_ok(child_try_lock(root, "c1", LOCK_EX) == 1, "a second writer is kept out");
  husk_state_unlock(fd);
  tap_ok(child_try_lock(root, "c1", LOCK_EX) == 0, "unlocking lets a writer in");

  tap_ok(husk_state_lock(root, "ghost", true, &fd, &err) < 0 &&
             strcmp(err.msg, "container does not exist") == 0,
         "locking an unknown container: container does not exist");
  husk_error_clear(&err);
}

/* A state.json of a husk that did not count the hooks: unknown, so start
 * and delete parse the config copy as before. */
static void test_older_state(void) {
  static const char older[] =
      "{\"ociVersion\":\"1.3.0\",\"id\":\"c2\",\"pid\":0,\"status\":\"stopped\","
      "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"\",\"owner\":\"\","
      "\"annotations\":{},\"husk\":{\"initStartTime\":0,\"cgroupPath\":\"/husk/c2\","
      "\"cgroupCreatedDepth\":1,\"configPath\":\"/run/husk/c2/config.json\"}}";
  husk_error_t err = {0};
  struct husk_state st;
  tap_ok(husk_state_parse(older, sizeof older - 1, "older", &st, &err) == 0,
         "parse an older state");
  tap_ok(st.poststart_hooks == -1 && st.poststop_hooks == -1 && st.cgroup_created_depth == 1,
         "hook counts of an older state are unknown (-1), the depth is read");
  husk_state_free(&st);
  husk_error_clear(&err);
}

/* husk_rfc3339 computes the date itself (glibc's gmtime_r loads
 * /etc/localtime): it must agree with gmtime_r everywhere. */
static void test_rfc3339_dates(void) {
  static const time_t fixed[] = {
      0,
      86399,
      86400,
      951782400 /* 2000-02-29 */,
      951868800,
      978307199,
      4107542400 /* 2100-03-01 */,
      -1,
      -86400,
      -2208988800 /* 1900-01-01 */,
      253402300799 /* 9999-12-31T23:59:59 */,
  };
  int wrong = 0, checked = 0;
  unsigned long long x = 88172645463325252ULL; /* xorshift: a fixed spread of times */
  for (int i = 0; i < 20000 + (int)(sizeof fixed / sizeof fixed[0]); i++) {
    time_t t;
    if (i < (int)(sizeof fixed / sizeof fixed[0])) {
      t = fixed[i];
    } else {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      t = (time_t)(x % 253402300800ULL) - 2208988800LL;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    char want[64];
    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    struct timespec ts = {.tv_sec = t, .tv_nsec = 0};
    _cleanup_free_ char *got = husk_rfc3339(&ts);
    checked++;
    if (strcmp(got, want) != 0 && wrong++ < 5)
      tap_diag("%lld: got %s, want %s", (long long)t, got, want);
  }
  tap_ok(wrong == 0, "dates agree with gmtime_r: %d of %d differ (1900-9999, leap days)", wrong,
         checked);
  struct timespec frac = {.tv_sec = 951782400, .tv_nsec = 120000000};
  _cleanup_free_ char *f = husk_rfc3339(&frac);
  tap_ok(strcmp(f, "2000-02-29T00:00:00.12Z") == 0, "a fraction keeps no trailing zeros: %s", f);
}

static void test_rfc3339(void) {
  _cleanup_free_ char *now = husk_rfc3339_now();
  size_t len = strlen(now);
  bool shape = len >= 20 && now[4] == '-' && now[10] == 'T' && now[len - 1] == 'Z';
  tap_ok(shape, "created looks like RFC 3339 UTC: %s", now);
  tap_ok(len == 20 || (now[19] == '.' && now[len - 2] != '0'), "fraction has no trailing zeros");
}

int main(void) {
  _cleanup_free_ char *root = make_temp_root();
  test_validate_id();
  test_roundtrip(root);
  test_missing_and_list(root);
  test_status_refresh();
  test_locking(root);
  test_older_state();
  test_rfc3339();
  test_rfc3339_dates();
  husk_state_destroy(root, "c1", NULL);
  rmdir(root);
  return tap_done();
}
