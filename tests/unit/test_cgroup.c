/* Unit tests of the cgroup library against the real cgroupfs: as root, in a
 * cgroup of its own ("/husk-test-<pid>/ctr"), always removed at the end.
 * The same binary runs on a v1/hybrid host and (run-cgroup-v2-vm.sh) on a
 * pure cgroup v2 kernel; what a mode lacks is skipped with the reason. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "tap.h"
#include "util.h"

static enum husk_cgroup_mode mode;
static char v1mem[256], v1pids[256], v1cpu[256], v1cpuset[256], v1dev[256], v1freezer[256];
static char v2dir[256];

static void skip(const char *why) { printf("ok %d # SKIP %s\n", ++tap_count, why); }

static char *slurp(const char *dir, const char *file) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  char *s = NULL;
  if (husk_read_file(path, 1 << 20, &s, NULL, NULL) < 0)
    return husk_xstrdup("<unreadable>");
  s[strcspn(s, "\n")] = '\0';
  return s;
}

/* The first line of dir/file equals want. */
static int file_is(const char *dir, const char *file, const char *want) {
  _cleanup_free_ char *got = slurp(dir, file);
  int ok = strcmp(got, want) == 0;
  if (!ok)
    tap_diag("%s/%s: got \"%s\", want \"%s\"", dir, file, got, want);
  return ok;
}

static const char *msg(const husk_error_t *e) { return e->msg ? e->msg : "(no error)"; }

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* A child that waits for a byte on the pipe, then does `what`. */
static pid_t spawn(int *wfd, void (*what)(void)) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1)
      _exit(100);
    what();
    _exit(0);
  }
  close(p[0]);
  *wfd = p[1];
  return pid;
}

static void go(int wfd) {
  if (write(wfd, "x", 1) != 1)
    tap_diag("go: %s", strerror(errno));
  close(wfd);
}

static void sleeper(void) {
  for (;;)
    pause();
}

/* Exit status: how many of 10 forks succeeded. */
static void forker(void) {
  pid_t kids[10];
  int ok = 0;
  for (int i = 0; i < 10; i++) {
    pid_t k = fork();
    if (k == 0) {
      pause();
      _exit(0);
    }
    if (k > 0)
      kids[ok++] = k;
  }
  for (int i = 0; i < ok; i++) {
    kill(kids[i], SIGKILL);
    waitpid(kids[i], NULL, 0);
  }
  _exit(ok);
}

static void hog(void) {
  for (int i = 0; i < 256; i++) {
    char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      _exit(2);
    memset(p, i + 1, 1 << 20);
  }
  _exit(0);
}

static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return '?';
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

static bool in_list(const pid_t *pids, size_t n, pid_t pid) {
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

static void paths(void) {
  int rc;
  struct husk_spec spec = {0};
  spec.has_linux = true;
  _cleanup_free_ char *dflt = husk_cgroup_path_for(&spec, "abc", false);
  tap_ok(dflt && strcmp(dflt, "/husk-abc") == 0, "no cgroupsPath: /husk-<id> (%s)",
         dflt ? dflt : "NULL");
  spec.linux_.cgroups_path = "/a/b/../c//d/.";
  _cleanup_free_ char *abs = husk_cgroup_path_for(&spec, "abc", false);
  tap_ok(abs && strcmp(abs, "/a/c/d") == 0, "absolute cgroupsPath is cleaned (%s)",
         abs ? abs : "NULL");
  spec.linux_.cgroups_path = "../../x/y";
  _cleanup_free_ char *rel = husk_cgroup_path_for(&spec, "abc", false);
  tap_ok(rel && strcmp(rel, "/x/y") == 0, "relative cgroupsPath stays below the root (%s)",
         rel ? rel : "NULL");
  spec.linux_.cgroups_path = "/..";
  husk_error_t err = {0};
  char *out = NULL;
  rc = husk_cgroup_resolve_path(&spec, "abc", false, &out, &err);
  tap_ok(rc < 0 && err.msg && strstr(err.msg, "linux.cgroupsPath"),
         "the root cgroup is refused: %s", msg(&err));
  husk_error_clear(&err);
  free(out);
  out = NULL;
  spec.linux_.cgroups_path = "machine-a.slice:pfx:name";
  if (access("/run/systemd/system", F_OK) != 0) {
    int r = husk_cgroup_resolve_path(&spec, "abc", true, &out, &err);
    tap_ok(r < 0 && err.msg &&
               strcmp(err.msg, "systemd cgroup driver requested but systemd is not running: "
                               "Operation not supported") == 0,
           "--systemd-cgroup without systemd: %s", msg(&err));
    husk_error_clear(&err);
  } else {
    int r = husk_cgroup_resolve_path(&spec, "abc", true, &out, &err);
    tap_ok(r == 0 && strcmp(out, "/machine.slice/machine-a.slice/pfx-name.scope") == 0,
           "systemd slice:prefix:name maps onto the slice tree (%s)", out ? out : "NULL");
    husk_error_clear(&err);
  }
  free(out);
}

/* The directories of `path` in every hierarchy this test looks at. */
static void set_dirs(const char *path) {
  snprintf(v1mem, sizeof(v1mem), "/sys/fs/cgroup/memory%s", path);
  snprintf(v1pids, sizeof(v1pids), "/sys/fs/cgroup/pids%s", path);
  snprintf(v1cpu, sizeof(v1cpu), "/sys/fs/cgroup/cpu%s", path);
  snprintf(v1cpuset, sizeof(v1cpuset), "/sys/fs/cgroup/cpuset%s", path);
  snprintf(v1dev, sizeof(v1dev), "/sys/fs/cgroup/devices%s", path);
  snprintf(v1freezer, sizeof(v1freezer), "/sys/fs/cgroup/freezer%s", path);
  snprintf(v2dir, sizeof(v2dir), "%s%s",
           mode == HUSK_CGROUP_UNIFIED ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified", path);
}

static bool v2(void) { return mode == HUSK_CGROUP_UNIFIED; }

static void check_created(void) {
  if (v2()) {
    tap_ok(file_is(v2dir, "memory.max", "67108864"), "v2: memory.limit -> memory.max");
    tap_ok(file_is(v2dir, "memory.low", "33554432"), "v2: memory.reservation -> memory.low");
    char swap[300];
    snprintf(swap, sizeof(swap), "%s/memory.swap.max", v2dir);
    if (exists(swap))
      tap_ok(file_is(v2dir, "memory.swap.max", "0"), "v2: swap = limit -> memory.swap.max 0");
    else
      skip("no swap accounting (memory.swap.max) on this kernel");
    tap_ok(file_is(v2dir, "pids.max", "16"), "v2: pids.max");
    tap_ok(file_is(v2dir, "cpu.max", "50000 100000"), "v2: quota/period -> cpu.max");
    /* 1 + ((512 - 2) * 9999) / 262142 = 20 */
    tap_ok(file_is(v2dir, "cpu.weight", "20"), "v2: shares 512 -> cpu.weight 20");
    tap_ok(file_is(v2dir, "cpuset.cpus", "0"), "v2: cpuset.cpus");
    tap_ok(file_is(v2dir, "memory.high", "61440000"), "v2: unified memory.high written");
  } else {
    tap_ok(file_is(v1mem, "memory.limit_in_bytes", "67108864"), "v1: memory.limit_in_bytes");
    tap_ok(file_is(v1mem, "memory.soft_limit_in_bytes", "33554432"),
           "v1: memory.soft_limit_in_bytes");
    if (exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"))
      tap_ok(file_is(v1mem, "memory.memsw.limit_in_bytes", "67108864"),
             "v1: memory.memsw.limit_in_bytes");
    else
      skip("no swap accounting (memory.memsw.*) on this host");
    tap_ok(file_is(v1pids, "pids.max", "16"), "v1: pids.max");
    tap_ok(file_is(v1cpu, "cpu.shares", "512"), "v1: cpu.shares");
    tap_ok(file_is(v1cpu, "cpu.cfs_quota_us", "50000") &&
               file_is(v1cpu, "cpu.cfs_period_us", "100000"),
           "v1: cpu.cfs_quota_us/cfs_period_us");
    tap_ok(file_is(v1cpuset, "cpuset.cpus", "0"), "v1: cpuset.cpus");
    _cleanup_free_ char *mems = slurp(v1cpuset, "cpuset.mems");
    tap_ok(mems[0] != '\0', "v1: a new cpuset got its parent's mems (%s)", mems);
    _cleanup_free_ char *list = NULL;
    char path[512];
    snprintf(path, sizeof(path), "%s/devices.list", v1dev);
    husk_read_file(path, 1 << 16, &list, NULL, NULL);
    tap_ok(list && strstr(list, "c 1:3 rwm") && !strstr(list, "a *:*"),
           "v1: devices.list is deny-all then allow c 1:3");
    tap_ok(mode != HUSK_CGROUP_HYBRID || exists(v2dir), "hybrid: the unified directory exists");
  }
}

static void check_enter_freeze(struct husk_cgroup *cg, const char *path) {
  int rc;
  int wfd;
  pid_t child = spawn(&wfd, sleeper);
  husk_error_t err = {0};
  tap_ok(husk_cgroup_enter(cg, child, &err) == 0, "enter a child: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  go(wfd);
  char cgfile[64];
  snprintf(cgfile, sizeof(cgfile), "/proc/%d/cgroup", (int)child);
  _cleanup_free_ char *procfile = NULL;
  husk_read_file(cgfile, 1 << 16, &procfile, NULL, NULL);
  char want[300];
  snprintf(want, sizeof(want), v2() ? "0::%s\n" : ":memory:%s\n", path);
  tap_ok(procfile && strstr(procfile, want), "/proc/<child>/cgroup has %s", path);
  if (mode == HUSK_CGROUP_HYBRID) {
    snprintf(want, sizeof(want), "0::%s\n", path);
    tap_ok(procfile && strstr(procfile, want), "hybrid: the child is in the unified cgroup too");
  }

  pid_t *pids = NULL;
  size_t n = 0;
  rc = husk_cgroup_pids(cg, &pids, &n, &err);
  tap_ok(rc == 0 && in_list(pids, n, child), "pids lists the child (%zu pids)", n);
  free(pids);
  husk_error_clear(&err);

  tap_ok(husk_cgroup_freeze(cg, true, &err) == 0, "freeze: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  bool frozen = false;
  tap_ok(husk_cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen, "is_frozen after freeze");
  if (v2())
    tap_ok(file_is(v2dir, "cgroup.freeze", "1"), "v2: cgroup.freeze is 1");
  else
    tap_ok(file_is(v1freezer, "freezer.state", "FROZEN"), "v1: freezer.state FROZEN");
  tap_diag("frozen child state: %c", proc_state(child));
  tap_ok(husk_cgroup_freeze(cg, false, &err) == 0 &&
             husk_cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen,
         "thaw");
  husk_error_clear(&err);

  /* Any signal but SIGKILL: freeze, signal each pid, thaw.  (destroy
   * covers SIGKILL, through cgroup.kill where the kernel has it.) */
  rc = husk_cgroup_kill_all(cg, SIGTERM, &err);
  tap_ok(rc == 0, "kill_all SIGTERM: %s", msg(&err));
  husk_error_clear(&err);
  int status = 0;
  tap_ok(waitpid(child, &status, 0) == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
         "the child died of SIGTERM");
}

static int update(struct husk_cgroup *cg, struct husk_resources *res, husk_error_t *err) {
  return husk_cgroup_apply(cg, res, err);
}

/* Exit status: bit 0 /dev/null (c 1:3) opened, bit 1 /dev/kmsg (c 1:11)
 * refused with EPERM (not one of the devices every container is allowed). */
static void opener(void) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  int zero = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
  _exit((null >= 0) | (zero < 0 && errno == EPERM) << 1);
}

static void check_devices(struct husk_cgroup *cg) {
  int wfd;
  pid_t child = spawn(&wfd, opener);
  husk_cgroup_enter(cg, child, NULL);
  go(wfd);
  int status = 0;
  waitpid(child, &status, 0);
  tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 3,
         "devices: /dev/null allowed, /dev/kmsg refused (status %#x)", status);
}

static void check_pids_limit(struct husk_cgroup *cg) {
  struct husk_resources res = {.has_pids = true, .pids_limit = 3};
  husk_error_t err = {0};
  tap_ok(update(cg, &res, &err) == 0, "update pids.limit to 3: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  int wfd;
  pid_t child = spawn(&wfd, forker);
  husk_cgroup_enter(cg, child, NULL);
  go(wfd);
  int status = 0;
  waitpid(child, &status, 0);
  int forks = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  tap_ok(forks >= 0 && forks <= 2, "pids.max 3: only %d of 10 forks succeeded", forks);
  res.pids_limit = 32;
  update(cg, &res, NULL);
}

static void check_oom(struct husk_cgroup *cg) {
  struct husk_resources res = {.has_memory = true};
  res.memory.has_limit = true;
  res.memory.limit = 32 << 20;
  husk_error_t err = {0};
  tap_ok(update(cg, &res, &err) == 0, "update memory.limit to 32M: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  int wfd;
  pid_t child = spawn(&wfd, hog);
  husk_cgroup_enter(cg, child, NULL);
  go(wfd);
  int status = 0;
  waitpid(child, &status, 0);
  tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
         "a 256M hog over a 32M limit is OOM-killed (status %#x)", status);
  struct husk_cgroup_stats st;
  tap_ok(husk_cgroup_stats(cg, &st, &err) == 0, "stats: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  tap_ok(st.memory_oom_kill_events > 0 || st.memory_failcnt > 0,
         "stats report the OOM (oom_kill %llu, failcnt %llu)",
         (unsigned long long)st.memory_oom_kill_events, (unsigned long long)st.memory_failcnt);
  tap_ok(st.pids_limit == 32, "stats: pids limit %llu", (unsigned long long)st.pids_limit);
  tap_ok(st.cpu_usage_total > 0, "stats: cpu usage %llu ns",
         (unsigned long long)st.cpu_usage_total);
  if (v2()) {
    tap_ok(st.memory_oom_events > 0, "v2: memory.events reports oom %llu",
           (unsigned long long)st.memory_oom_events);
  }
  husk_cgroup_stats_free(&st);
}

static void check_update(struct husk_cgroup *cg) {
  int rc;
  struct husk_resources res = {.has_memory = true, .has_cpu = true, .has_pids = true};
  res.memory.has_limit = true;
  res.memory.limit = 48 << 20;
  res.cpu.has_quota = true;
  res.cpu.quota = 20000;
  res.pids_limit = 8;
  husk_error_t err = {0};
  tap_ok(update(cg, &res, &err) == 0, "update lowers memory, quota, pids: %s",
         err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  if (v2()) {
    tap_ok(file_is(v2dir, "memory.max", "50331648") && file_is(v2dir, "pids.max", "8") &&
               file_is(v2dir, "cpu.max", "20000 100000"),
           "v2: updated files (the period kept)");
  } else {
    tap_ok(file_is(v1mem, "memory.limit_in_bytes", "50331648") &&
               file_is(v1pids, "pids.max", "8") && file_is(v1cpu, "cpu.cfs_quota_us", "20000"),
           "v1: updated files");
  }

  struct husk_resources burst = {.has_cpu = true};
  burst.cpu.has_quota = burst.cpu.has_burst = true;
  burst.cpu.quota = 40000;
  burst.cpu.burst = 10000;
  rc = update(cg, &burst, &err);
  tap_ok(rc == 0 &&
             file_is(v2() ? v2dir : v1cpu, v2() ? "cpu.max.burst" : "cpu.cfs_burst_us", "10000"),
         "cpu.burst written: %s", msg(&err));
  husk_error_clear(&err);
  burst.cpu.burst = 50000;
  rc = update(cg, &burst, &err);
  tap_ok(rc < 0 && err.msg && strstr(err.msg, "linux.resources.cpu.burst"),
         "burst above quota refused: %s", msg(&err));
  husk_error_clear(&err);

  /* Invalid: nothing is written, the field is named. */
  struct husk_resources bad = {.has_memory = true, .has_pids = true, .pids_limit = 5};
  bad.memory.has_limit = bad.memory.has_swap = true;
  bad.memory.limit = 64 << 20;
  bad.memory.swap = 32 << 20;
  rc = update(cg, &bad, &err);
  tap_ok(rc < 0 && err.msg && strstr(err.msg, "linux.resources.memory.swap"),
         "swap below limit refused: %s", msg(&err));
  husk_error_clear(&err);
  tap_ok(file_is(v2() ? v2dir : v1pids, "pids.max", "8"), "...and pids.max unchanged");

  struct husk_resources bad2 = {.has_cpu = true, .has_pids = true, .pids_limit = 5};
  bad2.cpu.has_idle = true;
  bad2.cpu.idle = 7;
  rc = update(cg, &bad2, &err);
  tap_ok(rc < 0 && err.msg && strstr(err.msg, "linux.resources.cpu.idle"), "cpu.idle 7 refused: %s",
         msg(&err));
  husk_error_clear(&err);

  struct husk_kv kv = {"memory.high", "1000000"};
  struct husk_resources uni = {.unified = &kv, .unified_len = 1};
  if (v2()) {
    bad2.cpu.has_idle = false;
    bad2.cpu.has_shares = true;
    bad2.cpu.shares = 1;
    rc = update(cg, &bad2, &err);
    tap_ok(rc < 0 && err.msg && strstr(err.msg, "linux.resources.cpu.shares"),
           "v2: shares 1 refused: %s", msg(&err));
    husk_error_clear(&err);
    tap_ok(file_is(v2dir, "pids.max", "8"), "v2: ...and pids.max unchanged");
    struct husk_resources ktcp = {.has_memory = true};
    ktcp.memory.has_kernel_tcp = true;
    ktcp.memory.kernel_tcp = 1 << 20;
    rc = update(cg, &ktcp, &err);
    tap_ok(rc < 0 && err.msg &&
               strcmp(err.msg, "linux.resources.memory.kernelTCP is not supported on cgroup v2: "
                               "Operation not supported") == 0,
           "v2: kernelTCP refused: %s", msg(&err));
    husk_error_clear(&err);
    kv.key = "foo.bar";
    rc = update(cg, &uni, &err);
    tap_ok(rc < 0 && err.msg && strstr(err.msg, "\"foo.bar\"") && strstr(err.msg, "foo controller"),
           "v2: unified key of a missing controller refused: %s", msg(&err));
    husk_error_clear(&err);
    kv.key = "memory.bogus";
    rc = update(cg, &uni, &err);
    tap_ok(rc < 0 && err.msg && strstr(err.msg, "\"memory.bogus\""),
           "v2: unified key naming no file refused: %s", msg(&err));
    husk_error_clear(&err);
    struct husk_resources rt = {.has_cpu = true};
    rt.cpu.has_realtime_runtime = true;
    rt.cpu.realtime_runtime = 1000;
    rc = update(cg, &rt, &err);
    tap_ok(rc < 0 && err.msg && strstr(err.msg, "realtimeRuntime"), "v2: realtime refused: %s",
           msg(&err));
    husk_error_clear(&err);
  } else {
    rc = update(cg, &uni, &err);
    tap_ok(rc < 0 && err.msg && strstr(err.msg, "linux.resources.unified requires cgroup v2"),
           "v1: unified refused: %s", msg(&err));
    husk_error_clear(&err);
  }
}

/* io.max on the VM's scratch disk (--disk): major:minor from stat. */
static void check_io(struct husk_cgroup *cg) {
  struct stat st;
  if (!v2()) {
    skip("io.max is cgroup v2 (v1 throttles only direct I/O; not tested here)");
    return;
  }
  if (stat("/dev/vda", &st) < 0 || !S_ISBLK(st.st_mode)) {
    skip("no block device /dev/vda for io.max");
    return;
  }
  struct husk_block_io_device_throttle t = {major(st.st_rdev), minor(st.st_rdev), 1048576};
  struct husk_block_io_device_throttle w = {major(st.st_rdev), minor(st.st_rdev), 300};
  struct husk_resources res = {.has_block_io = true};
  res.block_io.throttle_read_bps_device = &t;
  res.block_io.throttle_read_bps_device_len = 1;
  res.block_io.throttle_write_iops_device = &w;
  res.block_io.throttle_write_iops_device_len = 1;
  husk_error_t err = {0};
  tap_ok(husk_cgroup_apply(cg, &res, &err) == 0, "v2: io throttle: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  char want[96];
  snprintf(want, sizeof(want), "%u:%u rbps=1048576 wbps=max riops=max wiops=300", major(st.st_rdev),
           minor(st.st_rdev));
  tap_ok(file_is(v2dir, "io.max", want), "v2: io.max is \"%s\"", want);
}

static void check_create_failure(const char *base) {
  /* A value the kernel refuses after the directories were made: create
   * must leave nothing behind. */
  char path[256];
  snprintf(path, sizeof(path), "%s/bad", base);
  struct husk_spec spec = {0};
  spec.has_linux = true;
  spec.linux_.cgroups_path = path;
  spec.linux_.has_resources = true;
  spec.linux_.resources.has_cpu = true;
  spec.linux_.resources.cpu.cpus = "100000";
  struct husk_cgroup cg;
  husk_error_t err = {0};
  int r = husk_cgroup_create(&spec, "bad", false, &cg, &err);
  tap_ok(r < 0 && err.msg && strstr(err.msg, "linux.resources.cpu.cpus"),
         "create with cpus \"100000\" fails naming the field: %s", msg(&err));
  husk_error_clear(&err);
  set_dirs(path);
  tap_ok(!exists(v2() ? v2dir : v1cpuset) && !exists(v1mem), "...and leaves no directory");
  set_dirs(base);
  tap_ok(!exists(v2() ? v2dir : v1mem), "...not even the parent it made");
}

int main(void) {
  paths();
  if (geteuid() != 0) {
    skip("not root: cannot create cgroups");
    return tap_done();
  }
  husk_error_t err = {0};
  if (husk_cgroup_detect(&mode, &err) < 0) {
    tap_ok(0, "detect: %s", msg(&err));
    husk_error_clear(&err);
    return tap_done();
  }
  static const char *const names[] = {"unified (v2)", "hybrid", "legacy (v1)"};
  tap_diag("cgroup mode: %s", names[mode]);
  if (v2() && !exists("/sys/fs/cgroup/cgroup.subtree_control")) {
    skip("no cgroup v2 on this host");
    return tap_done();
  }

  char base[64], path[128];
  snprintf(base, sizeof(base), "/husk-test-%d", (int)getpid());
  snprintf(path, sizeof(path), "%s/ctr", base);
  check_create_failure(base);

  struct husk_device_cgroup devs[2] = {{.allow = false, .type = 'a', .access = "rwm"},
                                       {.allow = true,
                                        .type = 'c',
                                        .has_major = true,
                                        .has_minor = true,
                                        .major = 1,
                                        .minor = 3,
                                        .access = "rwm"}};
  struct husk_kv high = {"memory.high", "61440000"};
  struct husk_spec spec = {0};
  spec.has_linux = true;
  spec.linux_.cgroups_path = path;
  spec.linux_.has_resources = true;
  struct husk_resources *res = &spec.linux_.resources;
  res->has_memory = res->has_pids = res->has_cpu = true;
  res->memory.has_limit = res->memory.has_reservation = true;
  res->memory.limit = 64 << 20;
  res->memory.reservation = 32 << 20;
  if (v2() || exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")) {
    res->memory.has_swap = true;
    res->memory.swap = 64 << 20;
  }
  res->pids_limit = 16;
  res->cpu.has_shares = res->cpu.has_quota = res->cpu.has_period = true;
  res->cpu.shares = 512;
  res->cpu.quota = 50000;
  res->cpu.period = 100000;
  res->cpu.cpus = "0";
  res->cpu.mems = "0";
  res->devices = devs;
  res->devices_len = 2;
  if (v2()) {
    res->unified = &high;
    res->unified_len = 1;
  }

  struct husk_cgroup cg;
  int r = husk_cgroup_create(&spec, "test", false, &cg, &err);
  tap_ok(r == 0, "create %s: %s", path, err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  if (r < 0)
    return tap_done();
  tap_ok(cg.created_depth == 2, "created_depth 2 (made %s and ctr)", base);
  tap_ok(v2() ? cg.v2_fd >= 0 : cg.v2_fd < 0, "v2_fd %s", v2() ? "open" : "only on unified hosts");
  set_dirs(path);
  check_created();
  check_enter_freeze(&cg, path);
  check_devices(&cg);
  check_pids_limit(&cg);
  check_oom(&cg);
  check_update(&cg);
  check_io(&cg);

  struct husk_cgroup loaded;
  tap_ok(husk_cgroup_load(path, &loaded, &err) == 0 && loaded.mode == mode,
         "load the cgroup from its path");
  husk_error_clear(&err);
  husk_cgroup_release(&loaded);

  /* A last process for destroy to kill. */
  int wfd;
  pid_t child = spawn(&wfd, sleeper);
  husk_cgroup_enter(&cg, child, NULL);
  go(wfd);
  tap_ok(husk_cgroup_destroy(&cg, &err) == 0, "destroy: %s", err.msg ? err.msg : "ok");
  husk_error_clear(&err);
  int status = 0;
  tap_ok(waitpid(child, &status, 0) == child && WIFSIGNALED(status), "destroy killed the child");
  bool gone = true;
  static const char *const roots[] = {"memory",  "pids",    "cpu",   "cpuset",
                                      "devices", "freezer", "blkio", "cpuacct",
                                      "systemd", "unified", NULL};
  char dir[256];
  for (size_t i = 0; roots[i] && !v2(); i++) {
    snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s%s", roots[i], base);
    if (exists(dir)) {
      tap_diag("left behind: %s", dir);
      gone = false;
    }
  }
  snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", base);
  if (v2() && exists(dir)) {
    tap_diag("left behind: %s", dir);
    gone = false;
  }
  tap_ok(gone, "destroy removed %s and %s in every hierarchy", path, base);
  husk_cgroup_release(&cg);
  return tap_done();
}
