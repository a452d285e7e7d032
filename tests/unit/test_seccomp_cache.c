/* Unit tests of seccomp_cache.c: the compiled filter is stored once per
 * profile, found again only when the whole profile matches, never taken
 * from a directory that is not the caller's private one, and loads into a
 * process with the same effect as a fresh compilation. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_cache.h"
#include "tap.h"
#include "util.h"

#define SV(...)                                                                                    \
  ((struct husk_strv){.items = (char *[]){__VA_ARGS__},                                            \
                      .len = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})

static char root[64];
static char cache[96];

static size_t entries(void) {
  DIR *d = opendir(cache);
  if (d == NULL)
    return 0;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The one file of the cache whose name is not `except` (NULL: any). */
static void entry_name(char *out, size_t size, const char *except) {
  out[0] = '\0';
  DIR *d = opendir(cache);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    if (e->d_name[0] != '.' && (except == NULL || strcmp(e->d_name, except) != 0))
      snprintf(out, size, "%.60s", e->d_name);
  if (d)
    closedir(d);
}

static void empty_cache(void) {
  DIR *d = opendir(cache);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    char p[512];
    snprintf(p, sizeof p, "%s/%.255s", cache, e->d_name);
    if (e->d_name[0] != '.' || strlen(e->d_name) > 2)
      unlink(p);
  }
  if (d)
    closedir(d);
}

static bool same_bpf(const struct husk_seccomp_bpf *a, const struct husk_seccomp_bpf *b) {
  return a->prog && b->prog && a->len == b->len && a->flags == b->flags &&
         memcmp(a->prog, b->prog, a->len * sizeof(struct sock_filter)) == 0;
}

/* mkdir returns `want_errno` in a child that loaded `bpf`. */
static bool denies_mkdir(const struct husk_seccomp_bpf *bpf, int want_errno) {
  pid_t pid = fork();
  if (pid == 0) {
    husk_error_t err = {0};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || husk_seccomp_load_bpf(bpf, &err) < 0)
      _exit(100);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/made-by-child", root);
    if (mkdir(dir, 0700) == 0) {
      rmdir(dir);
      _exit(0);
    }
    _exit(errno == want_errno ? 1 : 2);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

int main(void) {
  snprintf(root, sizeof root, "/tmp/husk-seccomp-cache-XXXXXX");
  if (mkdtemp(root) == NULL)
    return 1;
  snprintf(cache, sizeof cache, "%s/cache", root);

  struct husk_seccomp_syscall deny_mkdir[] = {
      {.names = SV("mkdir", "mkdirat"),
       .action = HUSK_SCMP_ACT_ERRNO,
       .has_errno_ret = true,
       .errno_ret = EROFS},
  };
  struct husk_seccomp a = {.default_action = HUSK_SCMP_ACT_ALLOW,
                           .architectures = SV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"),
                           .flags = SV("SECCOMP_FILTER_FLAG_LOG"),
                           .syscalls = deny_mkdir,
                           .syscalls_len = 1};
  husk_error_t err = {0};

  /* 1. A miss compiles and stores; the directory is private. */
  struct husk_seccomp_bpf first, fresh;
  tap_ok(husk_seccomp_prepare(cache, &a, NULL, &first, &err) == 0 && first.prog != NULL,
         "a profile is compiled");
  tap_ok(husk_seccomp_compile(&a, NULL, &fresh, &err) == 0 && same_bpf(&first, &fresh),
         "what is stored is libseccomp's compilation");
  struct stat st;
  tap_ok(stat(cache, &st) == 0 && (st.st_mode & 0777) == 0700 && entries() == 1,
         "one entry, in a 0700 directory made for it");
  tap_ok(denies_mkdir(&first, EROFS), "the compiled filter denies mkdir with EROFS");

  /* 2. A hit: proven by an entry whose program was changed (same key). */
  char name[64], path[256];
  entry_name(name, sizeof name, NULL);
  snprintf(path, sizeof path, "%s/%s", cache, name);
  /* The key names this very build: its GNU build ID, as readelf shows it. */
  char cmd_id[512], want_id[128] = "";
  snprintf(cmd_id, sizeof cmd_id,
           "readelf -n /proc/%d/exe | sed -n 's/.*Build ID: *//p' | tr -d '\\n'", (int)getpid());
  FILE *p = popen(cmd_id, "r");
  if (p) {
    if (fgets(want_id, sizeof want_id, p) == NULL)
      want_id[0] = '\0';
    pclose(p);
  }
  _cleanup_free_ char *entry_text = NULL;
  size_t entry_len = 0;
  husk_error_t rerr = {0};
  husk_read_file(path, 1 << 20, &entry_text, &entry_len, &rerr);
  husk_error_clear(&rerr);
  _cleanup_free_ char *want_key = husk_xasprintf("build-id %zu:%s\n", strlen(want_id), want_id);
  tap_ok(want_id[0] && entry_text && memmem(entry_text, entry_len, want_key, strlen(want_key)),
         "the key holds the build ID of the running husk (%s)", want_id);
  struct husk_seccomp_bpf again;
  tap_ok(husk_seccomp_prepare(cache, &a, NULL, &again, &err) == 0 && same_bpf(&again, &first),
         "the same profile again: the same filter");
  int fd = open(path, O_RDWR);
  off_t end = lseek(fd, 0, SEEK_END);
  struct sock_filter last = {0};
  tap_ok(pread(fd, &last, sizeof last, end - (off_t)sizeof last) == (ssize_t)sizeof last,
         "read the entry's last instruction");
  struct sock_filter marked = last;
  marked.k ^= 0x5a5a; /* the final RET's value */
  tap_ok(pwrite(fd, &marked, sizeof marked, end - (off_t)sizeof marked) == (ssize_t)sizeof marked,
         "change it");
  close(fd);
  struct husk_seccomp_bpf hit;
  tap_ok(husk_seccomp_prepare(cache, &a, NULL, &hit, &err) == 0 && hit.len == first.len &&
             hit.prog[hit.len - 1].k == marked.k,
         "a matching entry is used without compiling");
  husk_seccomp_bpf_free(&hit);
  husk_seccomp_bpf_free(&again);

  /* 3. Another profile: another entry, another filter. */
  struct husk_seccomp_syscall deny_both[] = {
      deny_mkdir[0],
      {.names = SV("rmdir"), .action = HUSK_SCMP_ACT_ERRNO},
  };
  struct husk_seccomp b = a;
  b.syscalls = deny_both;
  b.syscalls_len = 2;
  struct husk_seccomp_bpf other;
  tap_ok(husk_seccomp_prepare(cache, &b, NULL, &other, &err) == 0 && !same_bpf(&other, &first) &&
             entries() == 2,
         "one more rule: a new entry");
  char other_name[64], other_path[256];
  entry_name(other_name, sizeof other_name, name);
  snprintf(other_path, sizeof other_path, "%s/%s", cache, other_name);

  /* 4. A file under b's name holding a's key and filter (what a collision
   * of the name's hash would give): not used, replaced. */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, other_path);
  tap_ok(system(cmd) == 0, "a's entry copied under b's name");
  struct husk_seccomp_bpf not_a;
  tap_ok(husk_seccomp_prepare(cache, &b, NULL, &not_a, &err) == 0 && same_bpf(&not_a, &other),
         "an entry whose key is another profile's is not used");
  husk_seccomp_bpf_free(&not_a);
  tap_ok(husk_seccomp_prepare(cache, &b, NULL, &not_a, &err) == 0 && same_bpf(&not_a, &other),
         "... and was replaced by the right one");
  husk_seccomp_bpf_free(&not_a);

  /* 5. A directory others may write is not trusted, nor written. */
  chmod(cache, 0777);
  empty_cache();
  struct husk_seccomp_bpf open_dir;
  tap_ok(husk_seccomp_prepare(cache, &a, NULL, &open_dir, &err) == 0 &&
             same_bpf(&open_dir, &fresh) && entries() == 0,
         "a cache directory with mode 0777: compiled, nothing stored");
  husk_seccomp_bpf_free(&open_dir);
  chmod(cache, 0700);

  /* 6. Profiles loaded by libseccomp in the process itself. */
  struct husk_seccomp_syscall notify[] = {{.names = SV("mkdir"), .action = HUSK_SCMP_ACT_NOTIFY}};
  struct husk_seccomp n = a;
  n.syscalls = notify;
  struct husk_seccomp_bpf none;
  tap_ok(husk_seccomp_prepare(cache, &n, NULL, &none, &err) == 0 && none.prog == NULL,
         "SCMP_ACT_NOTIFY: not compiled ahead (the listener fd comes from the load)");
  struct husk_seccomp k = a;
  k.flags = SV("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  tap_ok(husk_seccomp_prepare(cache, &k, NULL, &none, &err) == 0 && none.prog == NULL,
         "a flag other than TSYNC, LOG, SPEC_ALLOW: not compiled ahead");

  /* 7. A profile libseccomp refuses: the error names the field; nothing kept. */
  struct husk_seccomp_syscall bad[] = {
      {.names = SV("mkdir"), .action = HUSK_SCMP_ACT_ALLOW, .has_errno_ret = true, .errno_ret = 1}};
  struct husk_seccomp c = a;
  c.syscalls = bad;
  empty_cache();
  struct husk_seccomp_bpf refused;
  tap_ok(husk_seccomp_prepare(cache, &c, NULL, &refused, &err) < 0 && err.msg &&
             strstr(err.msg, "linux.seccomp.syscalls[0]") && entries() == 0 && refused.prog == NULL,
         "an invalid rule: an error naming linux.seccomp.syscalls[0], nothing stored");
  if (err.msg)
    tap_diag("%s", err.msg);
  husk_error_clear(&err);

  /* 8. No cache (NULL) still compiles; the default places. */
  struct husk_seccomp_bpf nocache;
  tap_ok(husk_seccomp_prepare(NULL, &a, NULL, &nocache, &err) == 0 && same_bpf(&nocache, &fresh),
         "without a cache directory: compiled");
  husk_seccomp_bpf_free(&nocache);
  husk_error_clear(&err);
  setenv("HUSK_SECCOMP_CACHE", "/some/where", 1);
  char *dir = husk_seccomp_cache_dir();
  tap_ok(dir && strcmp(dir, "/some/where") == 0, "HUSK_SECCOMP_CACHE names the directory");
  free(dir);
  setenv("HUSK_SECCOMP_CACHE", "", 1);
  tap_ok(husk_seccomp_cache_dir() == NULL, "HUSK_SECCOMP_CACHE empty: no cache");
  unsetenv("HUSK_SECCOMP_CACHE");
  dir = husk_seccomp_cache_dir();
  tap_ok(geteuid() != 0 || (dir && strcmp(dir, "/run/husk-seccomp-cache") == 0),
         "root's default: /run/husk-seccomp-cache (%s)", dir ? dir : "none");
  free(dir);

  /* 9. Bounded: past 64 entries the directory starts again. */
  for (int i = 0; i < 64; i++) {
    /* some left half-written by a killed husk */
    snprintf(path, sizeof path, i % 8 ? "%s/old%02d" : "%s/.old%02d.123", cache, i);
    close(open(path, O_CREAT | O_WRONLY, 0600));
  }
  struct husk_seccomp_bpf trimmed;
  snprintf(path, sizeof path, "%s/.old00.123", cache);
  tap_ok(husk_seccomp_prepare(cache, &a, NULL, &trimmed, &err) == 0 && entries() == 1 &&
             access(path, F_OK) < 0,
         "64 entries (half-written ones included): emptied before the next one is stored");
  tap_ok(denies_mkdir(&trimmed, EROFS), "and the filter still denies mkdir");
  husk_seccomp_bpf_free(&trimmed);
  husk_error_clear(&err);

  husk_seccomp_bpf_free(&first);
  husk_seccomp_bpf_free(&fresh);
  husk_seccomp_bpf_free(&other);
  empty_cache();
  rmdir(cache);
  rmdir(root);
  return tap_done();
}
