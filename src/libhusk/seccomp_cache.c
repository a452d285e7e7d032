/* husk — compiled seccomp filters kept between commands (see
 * seccomp_cache.h).
 *
 * libseccomp takes ~10 ms of CPU to compile a profile like podman's (three
 * architectures, ~400 syscalls): more than the rest of a container's start.
 * Engines start many containers with few distinct profiles, so the BPF is
 * kept in a directory of the caller's own (husk_seccomp_cache_dir), not in
 * the state root, which holds containers only and which `delete` leaves as
 * `create` found it. One file per profile:
 *
 *   "husk-seccomp-bpf 1\n", u32 key length, key, u32 flags, u32 count,
 *   count struct sock_filter
 *
 * The key is the whole profile in a canonical text form plus what the
 * compilation depends on (husk's version, commit and build ID, libseccomp's
 * version, the kernel's release and machine); the file's name is a hash of it, but a hit needs the
 * whole key to match byte for byte, so no crafted collision of the hash
 * gives a container another profile's filter.  The directory is used only
 * when it is the caller's own, mode 0700, not a symlink: whoever can write
 * it can already write every container's config.  Any failure of the cache
 * just means compiling. */
#include "config.h"

#include "seccomp_cache.h"

#include <dirent.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "rootless.h"
#include "util.h"

#define CACHE_MAGIC "husk-seccomp-bpf 1\n"
/* Distinct profiles kept; past this the directory is emptied (engines use a
 * handful; a stream of one-off profiles must not grow it without end). */
#define CACHE_MAX_ENTRIES 64
#define CACHE_MAX_FILE (4 << 20)

/* A growing byte buffer. */
struct buf {
  char *data;
  size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 256;
    b->data = husk_xrealloc(b->data, b->cap);
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

__attribute__((format(printf, 2, 3))) static void putf(struct buf *b, const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  put(b, line, n < 0 ? 0 : (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Strings length-prefixed: no name can pass for two. */
static void put_str(struct buf *b, const char *tag, const char *s) {
  putf(b, "%s %zu:", tag, strlen(s));
  put(b, s, strlen(s));
  put(b, "\n", 1);
}

/* The GNU build ID of the running husk (the main program's
 * NT_GNU_BUILD_ID note): a rebuild of changed sources with the same commit
 * (a developer's tree) gets keys of its own. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  char *hex = data;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE)
      continue;
    const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
      const unsigned char *desc =
          (const unsigned char *)(p + sizeof(*n) + ((n->n_namesz + 3) & ~3u));
      if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
          memcmp(p + sizeof(*n), "GNU", 4) == 0 && (const char *)desc + n->n_descsz <= end) {
        for (size_t k = 0; k < n->n_descsz && k < 64; k++)
          snprintf(hex + 2 * k, 3, "%02x", desc[k]);
        return 1;
      }
      p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
    }
  }
  return 1; /* the first object is the program itself */
}

static const char *build_id(void) {
  static char hex[129];
  if (hex[0] == '\0') {
    dl_iterate_phdr(find_build_id, hex);
    if (hex[0] == '\0')
      strcpy(hex, "none");
  }
  return hex;
}

/* The canonical form of everything the compiled filter depends on. */
static void make_key(const struct husk_seccomp *s, struct buf *b) {
  const struct scmp_version *v = seccomp_version();
  struct utsname u;
  if (uname(&u) < 0)
    memset(&u, 0, sizeof(u));
  putf(b, "husk %s %s libseccomp %u.%u.%u\n", PACKAGE_VERSION, HUSK_COMMIT, v ? v->major : 0,
       v ? v->minor : 0, v ? v->micro : 0);
  put_str(b, "build-id", build_id());
  put_str(b, "kernel", u.release);
  put_str(b, "machine", u.machine);
  putf(b, "default %d %d %u\n", (int)s->default_action, (int)s->has_default_errno_ret,
       s->default_errno_ret);
  for (size_t i = 0; i < s->architectures.len; i++)
    put_str(b, "arch", s->architectures.items[i]);
  for (size_t i = 0; i < s->flags.len; i++)
    put_str(b, "flag", s->flags.items[i]);
  for (size_t i = 0; i < s->syscalls_len; i++) {
    const struct husk_seccomp_syscall *sc = &s->syscalls[i];
    putf(b, "rule %d %d %u\n", (int)sc->action, (int)sc->has_errno_ret, sc->errno_ret);
    for (size_t n = 0; n < sc->names.len; n++)
      put_str(b, "name", sc->names.items[n]);
    for (size_t a = 0; a < sc->args_len; a++)
      putf(b, "arg %u %d %llu %llu\n", sc->args[a].index, sc->args[a].op,
           (unsigned long long)sc->args[a].value, (unsigned long long)sc->args[a].value_two);
  }
}

/* FNV-1a, 64 bits: only names the file (the key itself is compared). */
static uint64_t fnv1a(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

char *husk_seccomp_cache_dir(void) {
  const char *env = getenv("HUSK_SECCOMP_CACHE");
  if (env)
    return env[0] == '/' ? husk_xstrdup(env) : NULL;
  if (!husk_rootless_detect())
    return husk_xstrdup("/run/husk-seccomp-cache");
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  return xdg && xdg[0] == '/' ? husk_xasprintf("%s/husk-seccomp-cache", xdg) : NULL;
}

/* The cache directory, made if missing (its parent must exist); -1 when it
 * is not the caller's own private directory. */
static int open_cache_dir(const char *path) {
  if (mkdir(path, 0700) < 0 && errno != EEXIST)
    return -1;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

static bool take(const char **p, const char *end, void *out, size_t n) {
  if ((size_t)(end - *p) < n)
    return false;
  memcpy(out, *p, n);
  *p += n;
  return true;
}

/* The filter stored under `name` if its key is `key`. */
static bool lookup(int dir, const char *name, const struct buf *key, struct husk_seccomp_bpf *out) {
  _cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      st.st_size > CACHE_MAX_FILE)
    return false;
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (husk_read_fd(fd, name, CACHE_MAX_FILE, &data, &len, NULL) < 0)
    return false;
  const char *p = data, *end = data + len;
  uint32_t key_len, flags, count;
  if (len < sizeof(CACHE_MAGIC) - 1 || memcmp(p, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1) != 0)
    return false;
  p += sizeof(CACHE_MAGIC) - 1;
  if (!take(&p, end, &key_len, sizeof(key_len)) || key_len != key->len ||
      (size_t)(end - p) < key_len || memcmp(p, key->data, key_len) != 0)
    return false;
  p += key_len;
  if (!take(&p, end, &flags, sizeof(flags)) || !take(&p, end, &count, sizeof(count)) ||
      count == 0 || count > BPF_MAXINSNS || (size_t)(end - p) != count * sizeof(struct sock_filter))
    return false;
  out->prog = husk_xcalloc(count, sizeof(struct sock_filter));
  memcpy(out->prog, p, count * sizeof(struct sock_filter));
  out->len = count;
  out->flags = flags;
  return true;
}

/* Too many entries: start again (see CACHE_MAX_ENTRIES). */
static void trim(int dir) {
  int fd = dup(dir);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  /* Half-written files of a killed husk (".<name>.<pid>") count too, so
   * that they go as well. */
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  if (n >= CACHE_MAX_ENTRIES) {
    rewinddir(d);
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        unlinkat(dir, e->d_name, 0);
  }
  closedir(d);
}

/* Written under a private name, then renamed: a reader sees a whole file or
 * none; a concurrent writer of the same profile writes the same bytes. */
static void store(int dir, const char *name, const struct buf *key,
                  const struct husk_seccomp_bpf *bpf) {
  trim(dir);
  char tmp[64];
  snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
  _cleanup_close_ int fd =
      openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  struct buf b = {0};
  uint32_t key_len = (uint32_t)key->len, flags = bpf->flags, count = (uint32_t)bpf->len;
  put(&b, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1);
  put(&b, &key_len, sizeof(key_len));
  put(&b, key->data, key->len);
  put(&b, &flags, sizeof(flags));
  put(&b, &count, sizeof(count));
  put(&b, bpf->prog, bpf->len * sizeof(struct sock_filter));
  bool ok = husk_write_all(fd, b.data, b.len) == 0;
  free(b.data);
  if (!ok || renameat(dir, tmp, dir, name) < 0)
    unlinkat(dir, tmp, 0);
}

int husk_seccomp_prepare(const char *cache_dir, const struct husk_seccomp *s,
                         const struct husk_warner *w, struct husk_seccomp_bpf *out,
                         husk_error_t *err) {
  memset(out, 0, sizeof(*out));
  if (!husk_seccomp_precompilable(s))
    return 0;
  struct buf key = {0};
  make_key(s, &key);
  char name[32];
  snprintf(name, sizeof(name), "%016llx", (unsigned long long)fnv1a(key.data, key.len));
  _cleanup_close_ int dir = cache_dir ? open_cache_dir(cache_dir) : -1;
  int r = 0;
  if (dir < 0 || !lookup(dir, name, &key, out)) {
    r = husk_seccomp_compile(s, w, out, err);
    if (r == 0 && dir >= 0)
      store(dir, name, &key, out);
  }
  free(key.data);
  return r;
}
