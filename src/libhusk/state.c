/* husk — the per-container state directory (see include/husk/state.h). */
#include "config.h"

#include "husk/state.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "util.h"

#define STATE_FILE "state.json"
#define STATE_MAX_SIZE (4 * 1024 * 1024)

/* A message that stands alone (runc's wording) but keeps errno for callers
 * that branch on it, e.g. ENOENT for "container does not exist". */
static int set_error_errno_hidden(husk_error_t *err, int errnum, const char *msg) {
  husk_error_set(err, 0, "%s", msg);
  if (err != NULL && err->errnum == 0)
    err->errnum = errnum;
  return -1;
}

static const char *const status_names[] = {
    [HUSK_STATUS_CREATING] = "creating", [HUSK_STATUS_CREATED] = "created",
    [HUSK_STATUS_RUNNING] = "running",   [HUSK_STATUS_PAUSED] = "paused",
    [HUSK_STATUS_STOPPED] = "stopped",
};

const char *husk_status_name(enum husk_status status) {
  if ((size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
    return "unknown";
  return status_names[status];
}

int husk_status_parse(const char *name, enum husk_status *out) {
  for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
    if (strcmp(name, status_names[i]) == 0) {
      *out = (enum husk_status)i;
      return 0;
    }
  }
  return -1;
}

/* runc's rule is the regexp ^[\w+-\.]+$ in Go syntax: \w is ASCII only, and
 * "+-\." is the range '+'..'.', which lets ',' in too. */
static bool id_char_allowed(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (c >= '+' && c <= '.');
}

int husk_validate_id(const char *id, husk_error_t *err) {
  if (id == NULL || id[0] == '\0')
    return set_error_errno_hidden(err, EINVAL, "container id cannot be empty");
  size_t len = strlen(id);
  /* runc has no length limit and then fails on the filesystem with "file name
   * too long"; husk says so up front. */
  if (len > HUSK_ID_MAX)
    return set_error_errno_hidden(err, EINVAL, "invalid container ID format");
  for (size_t i = 0; i < len; i++) {
    if (!id_char_allowed((unsigned char)id[i]))
      return set_error_errno_hidden(err, EINVAL, "invalid container ID format");
  }
  /* The only IDs the character set allows that escape <root> as a path. */
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return set_error_errno_hidden(err, EINVAL, "invalid container ID format");
  return 0;
}

char *husk_state_dir(const char *root, const char *id) { return husk_xasprintf("%s/%s", root, id); }

int husk_state_create_dir(const char *root, const char *id, husk_error_t *err) {
  if (husk_mkdir_p(root, 0700, err) < 0)
    return -1;
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  if (mkdir(dir, 0711) < 0) {
    if (errno == EEXIST) {
      _cleanup_free_ char *msg = husk_xasprintf("container with id exists: %s", id);
      return set_error_errno_hidden(err, EEXIST, msg);
    }
    return husk_error_set(err, errno, "mkdir %s", dir);
  }
  /* mkdir(2) applies the umask; the mode is part of the contract. */
  if (chmod(dir, 0711) < 0)
    return husk_error_set(err, errno, "chmod %s", dir);
  return 0;
}

/* Remove everything below dirfd; the tree is small and made by husk, but a
 * subdirectory is handled in case later code adds one. */
static int remove_tree_at(int dirfd, const char *path, husk_error_t *err) {
  int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set(err, errno, "open %s", path);
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return husk_error_set(err, errno, "opendir %s", path);
  }
  int ret = 0;
  struct dirent *entry;
  while (ret == 0 && (entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
      continue;
    if (unlinkat(fd, entry->d_name, 0) == 0)
      continue;
    if (errno == EISDIR) {
      ret = remove_tree_at(fd, entry->d_name, err);
      if (ret == 0 && unlinkat(fd, entry->d_name, AT_REMOVEDIR) < 0)
        ret = husk_error_set(err, errno, "rmdir %s/%s", path, entry->d_name);
    } else if (errno != ENOENT) {
      ret = husk_error_set(err, errno, "unlink %s/%s", path, entry->d_name);
    }
  }
  closedir(dir);
  return ret;
}

int husk_state_destroy(const char *root, const char *id, husk_error_t *err) {
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  if (remove_tree_at(AT_FDCWD, dir, err) < 0) {
    if (err && err->errnum == ENOENT) {
      husk_error_clear(err);
      return 0;
    }
    return -1;
  }
  if (rmdir(dir) < 0 && errno != ENOENT)
    return husk_error_set(err, errno, "rmdir %s", dir);
  return 0;
}

int husk_state_lock(const char *root, const char *id, bool exclusive, int *lock_fd,
                    husk_error_t *err) {
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return set_error_errno_hidden(err, ENOENT, "container does not exist");
    return husk_error_set(err, errno, "open %s", dir);
  }
  int r;
  do
    r = flock(fd, exclusive ? LOCK_EX : LOCK_SH);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error_set(err, errno, "lock %s", dir);
  *lock_fd = husk_steal_fd(fd);
  return 0;
}

void husk_state_unlock(int lock_fd) {
  if (lock_fd >= 0) {
    /* Explicitly: a child forked meanwhile shares the open file and would
     * otherwise keep the lock for as long as it lives. */
    flock(lock_fd, LOCK_UN);
    close(lock_fd);
  }
}

/* --- JSON --------------------------------------------------------------- */

static void gen_string(yajl_gen g, const char *s) {
  if (s == NULL)
    s = "";
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_key_string(yajl_gen g, const char *key, const char *value) {
  gen_string(g, key);
  gen_string(g, value);
}

static void gen_key_int(yajl_gen g, const char *key, long long value) {
  gen_string(g, key);
  yajl_gen_integer(g, value);
}

/* The finished document without yajl's final newline (runc prints none). */
static char *gen_finish(yajl_gen g) {
  const unsigned char *buf = NULL;
  size_t len = 0;
  yajl_gen_get_buf(g, &buf, &len);
  while (len > 0 && buf[len - 1] == '\n')
    len--;
  char *out = husk_xmalloc(len + 1);
  memcpy(out, buf, len);
  out[len] = '\0';
  yajl_gen_free(g);
  return out;
}

static yajl_gen gen_new(const char *indent) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    husk_xmalloc((size_t)-1 / 2); /* out of memory: let the allocator abort */
  if (indent != NULL) {
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, indent);
  }
  return g;
}

static int compare_kv_key(const void *a, const void *b) {
  const struct husk_kv *const *x = a, *const *y = b;
  return strcmp((*x)->key, (*y)->key);
}

/* Go's encoding/json writes map keys sorted; do the same. */
static void gen_annotations(yajl_gen g, const struct husk_kv *kv, size_t len) {
  _cleanup_free_ const struct husk_kv **sorted = husk_xcalloc(len, sizeof(*sorted));
  for (size_t i = 0; i < len; i++)
    sorted[i] = &kv[i];
  qsort(sorted, len, sizeof(*sorted), compare_kv_key);
  yajl_gen_map_open(g);
  for (size_t i = 0; i < len; i++)
    gen_key_string(g, sorted[i]->key, sorted[i]->value);
  yajl_gen_map_close(g);
}

char *husk_state_oci_json(const struct husk_state *state, const char *indent) {
  yajl_gen g = gen_new(indent);
  yajl_gen_map_open(g);
  gen_key_string(g, "ociVersion", state->oci_version);
  gen_key_string(g, "id", state->id);
  gen_key_int(g, "pid", state->status == HUSK_STATUS_STOPPED ? 0 : state->pid);
  gen_key_string(g, "status", husk_status_name(state->status));
  gen_key_string(g, "bundle", state->bundle);
  gen_key_string(g, "rootfs", state->rootfs);
  gen_key_string(g, "created", state->created);
  if (state->annotations_len > 0) {
    gen_string(g, "annotations");
    gen_annotations(g, state->annotations, state->annotations_len);
  }
  gen_key_string(g, "owner", state->owner);
  yajl_gen_map_close(g);
  return gen_finish(g);
}

/* state.json: the OCI fields plus husk's own under "husk". */
static char *state_file_json(const struct husk_state *state) {
  yajl_gen g = gen_new(NULL);
  yajl_gen_map_open(g);
  gen_key_string(g, "ociVersion", state->oci_version);
  gen_key_string(g, "id", state->id);
  gen_key_int(g, "pid", state->pid);
  gen_key_string(g, "status", husk_status_name(state->status));
  gen_key_string(g, "bundle", state->bundle);
  gen_key_string(g, "rootfs", state->rootfs);
  gen_key_string(g, "created", state->created);
  gen_key_string(g, "owner", state->owner);
  gen_string(g, "annotations");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < state->annotations_len; i++)
    gen_key_string(g, state->annotations[i].key, state->annotations[i].value);
  yajl_gen_map_close(g);
  gen_string(g, "husk");
  yajl_gen_map_open(g);
  gen_string(g, "initStartTime");
  char start[32];
  int n = snprintf(start, sizeof(start), "%" PRIu64, state->init_start_time);
  yajl_gen_number(g, start, (size_t)n);
  gen_key_string(g, "cgroupPath", state->cgroup_path);
  gen_key_int(g, "cgroupCreatedDepth", state->cgroup_created_depth);
  gen_key_string(g, "configPath", state->config_path);
  if (state->systemd_unit)
    gen_key_string(g, "systemdUnit", state->systemd_unit);
  if (state->rootfs_mount_id) {
    gen_string(g, "rootfsMountId");
    n = snprintf(start, sizeof(start), "%" PRIu64, state->rootfs_mount_id);
    yajl_gen_number(g, start, (size_t)n);
  }
  gen_key_int(g, "poststartHooks", state->poststart_hooks);
  gen_key_int(g, "poststopHooks", state->poststop_hooks);
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
  return gen_finish(g);
}

int husk_state_save(const char *root, const struct husk_state *state, husk_error_t *err) {
  _cleanup_free_ char *json = state_file_json(state);
  _cleanup_free_ char *path = husk_xasprintf("%s/%s/" STATE_FILE, root, state->id);
  return husk_write_file_atomic(path, json, strlen(json), 0600, err);
}

static yajl_val tree_get(yajl_val obj, const char *key, yajl_type type) {
  const char *path[] = {key, NULL};
  return yajl_tree_get(obj, path, type);
}

static char *tree_string(yajl_val obj, const char *key) {
  yajl_val v = tree_get(obj, key, yajl_t_string);
  return husk_xstrdup(v ? YAJL_GET_STRING(v) : "");
}

/* A count or depth of husk's own; -1 when absent (an older husk wrote it). */
static int own_int(yajl_val own, const char *key) {
  yajl_val v = tree_get(own, key, yajl_t_number);
  return v && YAJL_IS_INTEGER(v) ? (int)YAJL_GET_INTEGER(v) : -1;
}

static int parse_state(yajl_val doc, const char *path, struct husk_state *state,
                       husk_error_t *err) {
  if (!YAJL_IS_OBJECT(doc))
    return husk_error_set(err, EINVAL, "%s: not a JSON object", path);
  yajl_val status = tree_get(doc, "status", yajl_t_string);
  if (status == NULL || husk_status_parse(YAJL_GET_STRING(status), &state->status) < 0)
    return husk_error_set(err, EINVAL, "%s: missing or unknown status", path);
  yajl_val pid = tree_get(doc, "pid", yajl_t_number);
  /* Above INT_MAX the pid_t would wrap, to a negative pid that kill(2)
   * takes for a process group, or -1 for every process (found by
   * tests/fuzz/fuzz_state, corpus/state/regress-pid-wraps*). */
  if (pid == NULL || !YAJL_IS_INTEGER(pid) || YAJL_GET_INTEGER(pid) < 0 ||
      YAJL_GET_INTEGER(pid) > INT_MAX)
    return husk_error_set(err, EINVAL, "%s: missing or invalid pid", path);
  state->pid = (pid_t)YAJL_GET_INTEGER(pid);
  state->oci_version = tree_string(doc, "ociVersion");
  state->id = tree_string(doc, "id");
  state->bundle = tree_string(doc, "bundle");
  state->rootfs = tree_string(doc, "rootfs");
  state->created = tree_string(doc, "created");
  state->owner = tree_string(doc, "owner");

  yajl_val annotations = tree_get(doc, "annotations", yajl_t_object);
  if (annotations != NULL && annotations->u.object.len > 0) {
    size_t len = annotations->u.object.len;
    state->annotations = husk_xcalloc(len, sizeof(*state->annotations));
    for (size_t i = 0; i < len; i++) {
      yajl_val value = annotations->u.object.values[i];
      state->annotations[i].key = husk_xstrdup(annotations->u.object.keys[i]);
      state->annotations[i].value =
          husk_xstrdup(YAJL_IS_STRING(value) ? YAJL_GET_STRING(value) : "");
    }
    state->annotations_len = len;
  }

  yajl_val own = tree_get(doc, "husk", yajl_t_object);
  if (own != NULL) {
    yajl_val start = tree_get(own, "initStartTime", yajl_t_number);
    /* Stored as text: the value may exceed what yajl's long long holds. */
    if (start != NULL)
      state->init_start_time = strtoull(YAJL_GET_NUMBER(start), NULL, 10);
    state->cgroup_path = tree_string(own, "cgroupPath");
    state->config_path = tree_string(own, "configPath");
    state->systemd_unit = tree_string(own, "systemdUnit");
    yajl_val mnt = tree_get(own, "rootfsMountId", yajl_t_number);
    if (mnt != NULL)
      state->rootfs_mount_id = strtoull(YAJL_GET_NUMBER(mnt), NULL, 10);
    state->cgroup_created_depth = own_int(own, "cgroupCreatedDepth");
    state->poststart_hooks = own_int(own, "poststartHooks");
    state->poststop_hooks = own_int(own, "poststopHooks");
  } else {
    state->cgroup_created_depth = -1;
    state->poststart_hooks = -1;
    state->poststop_hooks = -1;
  }
  return 0;
}

int husk_state_parse(const char *data, size_t len, const char *origin, struct husk_state *state,
                     husk_error_t *err) {
  memset(state, 0, sizeof(*state));
  /* yajl_tree_parse reads a C string: up to the first NUL, as the text of
   * a file read by husk_read_file always was. */
  _cleanup_free_ char *text = husk_xmalloc(len + 1);
  memcpy(text, data, len);
  text[len] = '\0';
  char parse_error[256] = "";
  yajl_val doc = yajl_tree_parse(text, parse_error, sizeof(parse_error));
  if (doc == NULL)
    return husk_error_set(err, EINVAL, "%s: invalid JSON: %s", origin, parse_error);
  int r = parse_state(doc, origin, state, err);
  yajl_tree_free(doc);
  if (r < 0)
    husk_state_free(state);
  return r;
}

int husk_state_load(const char *root, const char *id, struct husk_state *state, husk_error_t *err) {
  memset(state, 0, sizeof(*state));
  _cleanup_free_ char *path = husk_xasprintf("%s/%s/" STATE_FILE, root, id);
  _cleanup_free_ char *data = NULL;
  husk_error_t read_err = {0};
  if (husk_read_file(path, STATE_MAX_SIZE, &data, NULL, &read_err) < 0) {
    int errnum = read_err.errnum;
    if (errnum == ENOENT || errnum == ENOTDIR) {
      husk_error_clear(&read_err);
      return set_error_errno_hidden(err, ENOENT, "container does not exist");
    }
    if (err != NULL && err->msg == NULL)
      *err = read_err; /* hand the message over as it is */
    else
      husk_error_clear(&read_err);
    return -1;
  }
  return husk_state_parse(data, strlen(data), path, state, err);
}

/* Whether a writer (create, start, delete...) holds the container's lock
 * right now; never waits. */
static bool lock_is_held(const char *root, const char *id) {
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (flock(fd, LOCK_SH | LOCK_NB) < 0)
    return errno == EWOULDBLOCK;
  flock(fd, LOCK_UN);
  return false;
}

int husk_state_read(const char *root, const char *id, bool locked, struct husk_state *state,
                    husk_error_t *err) {
  husk_error_t load_err = {0};
  if (husk_state_load(root, id, state, &load_err) == 0) {
    husk_error_clear(&load_err);
    /* "creating" with nobody creating: the create was killed (its init, with
     * PDEATHSIG, died with it) — a stopped container for delete to remove. */
    if (state->status == HUSK_STATUS_CREATING && (locked || !lock_is_held(root, id)))
      state->status = HUSK_STATUS_STOPPED;
    return 0;
  }
  _cleanup_free_ char *dir = husk_state_dir(root, id);
  struct stat st;
  if (load_err.errnum != ENOENT || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
    if (err != NULL && err->msg == NULL)
      *err = load_err;
    else
      husk_error_clear(&load_err);
    return -1;
  }
  husk_error_clear(&load_err);
  /* A directory without state.json: a create in its first steps, or one
   * killed there.  Shown, so that it can be seen and deleted. */
  memset(state, 0, sizeof(*state));
  state->oci_version = husk_xstrdup(HUSK_OCI_VERSION);
  state->id = husk_xstrdup(id);
  state->status = !locked && lock_is_held(root, id) ? HUSK_STATUS_CREATING : HUSK_STATUS_STOPPED;
  state->bundle = husk_xstrdup("");
  state->rootfs = husk_xstrdup("");
  state->created = husk_xstrdup("0001-01-01T00:00:00Z");
  state->owner = husk_xstrdup("");
  state->cgroup_created_depth = -1;
  state->poststart_hooks = -1;
  state->poststop_hooks = -1;
  return 0;
}

void husk_state_free(struct husk_state *state) {
  if (state == NULL)
    return;
  free(state->oci_version);
  free(state->id);
  free(state->bundle);
  free(state->rootfs);
  free(state->created);
  free(state->owner);
  for (size_t i = 0; i < state->annotations_len; i++) {
    free(state->annotations[i].key);
    free(state->annotations[i].value);
  }
  free(state->annotations);
  free(state->cgroup_path);
  free(state->systemd_unit);
  free(state->config_path);
  memset(state, 0, sizeof(*state));
}

/* --- listing ------------------------------------------------------------ */

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void husk_state_list_free(char **ids) {
  if (ids == NULL)
    return;
  for (char **p = ids; *p; p++)
    free(*p);
  free(ids);
}

int husk_state_list(const char *root, char ***ids, size_t *count, husk_error_t *err) {
  *ids = NULL;
  *count = 0;
  DIR *dir = opendir(root);
  if (dir == NULL) {
    if (errno == ENOENT) {
      *ids = husk_xcalloc(1, sizeof(char *));
      return 0;
    }
    return husk_error_set(err, errno, "open %s", root);
  }
  size_t len = 0, cap = 8;
  char **list = husk_xcalloc(cap, sizeof(char *));
  struct dirent *entry;
  errno = 0;
  while ((entry = readdir(dir)) != NULL) {
    /* Anything that is not a valid container directory is not ours. */
    if (husk_validate_id(entry->d_name, NULL) < 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
      continue;
    if (len + 1 >= cap) {
      cap *= 2;
      list = husk_xrealloc(list, cap * sizeof(char *));
    }
    list[len++] = husk_xstrdup(entry->d_name);
    list[len] = NULL;
  }
  int saved = errno;
  closedir(dir);
  if (saved != 0) {
    husk_state_list_free(list);
    return husk_error_set(err, saved, "read %s", root);
  }
  qsort(list, len, sizeof(char *), compare_strings);
  *ids = list;
  *count = len;
  return 0;
}

/* --- liveness ----------------------------------------------------------- */

/* Reads /proc/<pid>/stat: "pid (comm) state ppid ...".  comm may hold spaces
 * and parentheses, so fields are counted from the last ')'. */
static int read_proc_stat(pid_t pid, char *state_char, uint64_t *start_time, husk_error_t *err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  _cleanup_free_ char *data = NULL;
  if (husk_read_file(path, 64 * 1024, &data, NULL, err) < 0)
    return -1;
  char *p = strrchr(data, ')');
  if (p == NULL || p[1] != ' ')
    return husk_error_set(err, EINVAL, "%s: unexpected format", path);
  p += 2; /* field 3, the state */
  *state_char = *p;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return husk_error_set(err, EINVAL, "%s: too few fields", path);
    p++;
  }
  *start_time = strtoull(p, NULL, 10);
  return 0;
}

int husk_process_start_time(pid_t pid, uint64_t *start_time, husk_error_t *err) {
  char state_char;
  return read_proc_stat(pid, &state_char, start_time, err);
}

enum husk_status husk_state_refresh_status(struct husk_state *state) {
  if (state->status == HUSK_STATUS_STOPPED || state->status == HUSK_STATUS_CREATING)
    return state->status;
  bool alive = state->pid > 0 && (kill(state->pid, 0) == 0 || errno == EPERM);
  if (alive) {
    char state_char = 0;
    uint64_t start_time = 0;
    if (read_proc_stat(state->pid, &state_char, &start_time, NULL) < 0)
      alive = false; /* gone between kill() and the read */
    else if (state_char == 'Z' || state_char == 'X')
      alive = false;
    else if (state->init_start_time != 0 && start_time != state->init_start_time)
      alive = false; /* the PID was reused by another process */
  }
  if (!alive)
    state->status = HUSK_STATUS_STOPPED;
  return state->status;
}

char *husk_rfc3339(const struct timespec *ts) {
  /* Not gmtime_r or strftime: glibc loads the time zone file
   * (/etc/localtime) for either, at every create. Days since 1970 to a
   * civil date, proleptic Gregorian (Howard Hinnant's days_from_civil,
   * inverted): eras of 400 years, March-based years. */
  int64_t secs = ts->tv_sec;
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                                      /* [0, 146096] */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
  int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] from March */
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2);
  char date[64];
  snprintf(date, sizeof(date), "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02d:%02d:%02d", year,
           month, day, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
  if (ts->tv_nsec == 0)
    return husk_xasprintf("%sZ", date);
  char fraction[16];
  snprintf(fraction, sizeof(fraction), "%09ld", ts->tv_nsec);
  /* RFC3339Nano drops trailing zeros of the fraction. */
  for (size_t i = strlen(fraction); i > 0 && fraction[i - 1] == '0'; i--)
    fraction[i - 1] = '\0';
  return husk_xasprintf("%s.%sZ", date, fraction);
}

char *husk_rfc3339_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return husk_rfc3339(&ts);
}
