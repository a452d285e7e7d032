/* husk — linux.seccomp (see seccomp_filter.h; not "seccomp.h", which would
 * shadow libseccomp's header on our include path). */
#include "seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* The errno of SCMP_ACT_ERRNO / SCMP_ACT_TRACE when errnoRet is absent. */
#define DEFAULT_ERRNO_RET EPERM

static const char *action_name(enum husk_seccomp_action a) {
  static const char *const names[] = {
      [HUSK_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
      [HUSK_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
      [HUSK_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
      [HUSK_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
      [HUSK_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
      [HUSK_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
      [HUSK_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
      [HUSK_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
      [HUSK_SCMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
  };
  return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

/* The libseccomp action; `where` names the field for errors.  An errnoRet
 * on an action without an errno is an error (config-linux.md: MUST fail). */
static int map_action(enum husk_seccomp_action a, bool has_errno, uint32_t errno_ret,
                      const char *where, uint32_t *out, husk_error_t *err) {
  if (has_errno && a != HUSK_SCMP_ACT_ERRNO && a != HUSK_SCMP_ACT_TRACE)
    return husk_error_set(err, 0, "%s: errnoRet is set but %s takes no errno", where,
                          action_name(a));
  if (has_errno && errno_ret > 0xffff)
    return husk_error_set(err, 0, "%s: errnoRet %u is out of range", where, errno_ret);
  uint32_t e = has_errno ? errno_ret : DEFAULT_ERRNO_RET;
  switch (a) {
  case HUSK_SCMP_ACT_KILL:
  case HUSK_SCMP_ACT_KILL_THREAD:
    *out = SCMP_ACT_KILL_THREAD;
    return 0;
  case HUSK_SCMP_ACT_KILL_PROCESS:
    *out = SCMP_ACT_KILL_PROCESS;
    return 0;
  case HUSK_SCMP_ACT_TRAP:
    *out = SCMP_ACT_TRAP;
    return 0;
  case HUSK_SCMP_ACT_ERRNO:
    *out = SCMP_ACT_ERRNO(e);
    return 0;
  case HUSK_SCMP_ACT_TRACE:
    *out = SCMP_ACT_TRACE(e);
    return 0;
  case HUSK_SCMP_ACT_ALLOW:
    *out = SCMP_ACT_ALLOW;
    return 0;
  case HUSK_SCMP_ACT_LOG:
    *out = SCMP_ACT_LOG;
    return 0;
  case HUSK_SCMP_ACT_NOTIFY:
    *out = SCMP_ACT_NOTIFY;
    return 0;
  }
  return husk_error_set(err, 0, "%s: unknown action %d", where, (int)a);
}

bool husk_seccomp_uses_notify(const struct husk_seccomp *seccomp) {
  if (seccomp->default_action == HUSK_SCMP_ACT_NOTIFY)
    return true;
  for (size_t i = 0; i < seccomp->syscalls_len; i++)
    if (seccomp->syscalls[i].action == HUSK_SCMP_ACT_NOTIFY)
      return true;
  return false;
}

/* "SCMP_ARCH_X86_64" → libseccomp's "x86_64". */
static int add_arch(scmp_filter_ctx ctx, const char *name, size_t i, const struct husk_warner *w,
                    husk_error_t *err) {
  static const char prefix[] = "SCMP_ARCH_";
  if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
    return husk_error_set(err, 0, "linux.seccomp.architectures[%zu]: unknown architecture %s", i,
                          name);
  _cleanup_free_ char *lower = husk_xstrdup(name + sizeof(prefix) - 1);
  for (char *p = lower; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  uint32_t arch = seccomp_arch_resolve_name(lower);
  if (arch == 0) {
    /* Newer than this libseccomp: the host cannot run such code either. */
    husk_warn(
        w, "linux.seccomp.architectures[%zu]: %s is not known to libseccomp %u.%u.%u, skipped", i,
        name, seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
    return 0;
  }
  int r = seccomp_arch_add(ctx, arch);
  if (r < 0 && r != -EEXIST) /* EEXIST: the native one is always there */
    return husk_error_set(err, -r, "linux.seccomp.architectures[%zu]: add %s", i, name);
  return 0;
}

/* linux.seccomp.flags: the libseccomp attribute that sets each, and the
 * seccomp(2) flag a precompiled filter is loaded with (0: the filter must
 * be loaded by libseccomp itself). */
static const struct seccomp_flag {
  const char *name;
  int attr; /* enum scmp_filter_attr; -1: this libseccomp lacks it */
  unsigned load_flag;
} seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL, 0},
#else
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", -1, 0},
#endif
};

static const struct seccomp_flag *find_flag(const char *name) {
  for (size_t k = 0; k < sizeof(seccomp_flags) / sizeof(seccomp_flags[0]); k++)
    if (strcmp(name, seccomp_flags[k].name) == 0)
      return &seccomp_flags[k];
  return NULL;
}

static int set_flag(scmp_filter_ctx ctx, const char *flag, size_t i, husk_error_t *err) {
  const struct seccomp_flag *f = find_flag(flag);
  if (f == NULL)
    return husk_error_set(err, 0, "linux.seccomp.flags[%zu]: unknown flag %s", i, flag);
  if (f->attr < 0)
    return husk_error_set(err, 0,
                          "linux.seccomp.flags[%zu]: %s needs libseccomp >= 2.6 (built with %d.%d)",
                          i, flag, SCMP_VER_MAJOR, SCMP_VER_MINOR);
  int r = seccomp_attr_set(ctx, (enum scmp_filter_attr)f->attr, 1);
  if (r < 0)
    return husk_error_set(err, -r, "linux.seccomp.flags[%zu]: %s", i, flag);
  return 0;
}

/* One syscall name of syscalls[i]: libseccomp cannot AND two conditions on
 * the same argument, so (like runc) such args become one rule each (OR). */
static int add_rule(scmp_filter_ctx ctx, const struct husk_seccomp_syscall *sc, size_t i,
                    const char *name, uint32_t action, husk_error_t *err) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR)
    return 0; /* unknown on this architecture / libseccomp: skipped */
  struct scmp_arg_cmp cmp[6];
  if (sc->args_len > 6)
    return husk_error_set(err, 0, "linux.seccomp.syscalls[%zu].args: more than 6", i);
  bool same_index = false;
  for (size_t a = 0; a < sc->args_len; a++) {
    const struct husk_seccomp_arg *arg = &sc->args[a];
    if (arg->index > 5)
      return husk_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: %u > 5", i, a,
                            arg->index);
    if (arg->op < SCMP_CMP_NE || arg->op > SCMP_CMP_MASKED_EQ)
      return husk_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown", i, a);
    /* MASKED_EQ: (arg & value) == valueTwo; the others ignore datum_b. */
    cmp[a] = (struct scmp_arg_cmp){.arg = arg->index,
                                   .op = (enum scmp_compare)arg->op,
                                   .datum_a = arg->value,
                                   .datum_b = arg->value_two};
    for (size_t b = 0; b < a; b++)
      if (sc->args[b].index == arg->index)
        same_index = true;
  }
  int r = 0;
  if (same_index) {
    for (size_t a = 0; a < sc->args_len && r >= 0; a++)
      r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[a]);
  } else {
    r = seccomp_rule_add_array(ctx, action, nr, (unsigned)sc->args_len, cmp);
  }
  if (r < 0)
    return husk_error_set(err, -r, "linux.seccomp.syscalls[%zu]: add the rule for %s", i, name);
  return 0;
}

static int build(scmp_filter_ctx ctx, const struct husk_seccomp *s, uint32_t default_action,
                 const struct husk_warner *w, husk_error_t *err) {
  /* no_new_privs is process.noNewPrivileges' business, not libseccomp's. */
  int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    return husk_error_set(err, -r, "seccomp: clear SCMP_FLTATR_CTL_NNP");
  for (size_t i = 0; i < s->architectures.len; i++)
    if (add_arch(ctx, s->architectures.items[i], i, w, err) < 0)
      return -1;
  for (size_t i = 0; i < s->flags.len; i++)
    if (set_flag(ctx, s->flags.items[i], i, err) < 0)
      return -1;
  for (size_t i = 0; i < s->syscalls_len; i++) {
    const struct husk_seccomp_syscall *sc = &s->syscalls[i];
    char where[64];
    snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
    uint32_t action;
    if (map_action(sc->action, sc->has_errno_ret, sc->errno_ret, where, &action, err) < 0)
      return -1;
    if (action == default_action)
      continue; /* libseccomp refuses a rule that repeats the default */
    for (size_t n = 0; n < sc->names.len; n++)
      if (add_rule(ctx, sc, i, sc->names.items[n], action, err) < 0)
        return -1;
  }
  return 0;
}

/* A libseccomp filter with every rule of `s`; NULL on error. */
static scmp_filter_ctx new_filter(const struct husk_seccomp *s, const struct husk_warner *w,
                                  husk_error_t *err) {
  if (s->default_action == HUSK_SCMP_ACT_NOTIFY) {
    husk_error_set(err, 0,
                   "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
                   "(the runtime's own calls would wait for the agent)");
    return NULL;
  }
  uint32_t default_action;
  if (map_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                 "linux.seccomp.defaultAction", &default_action, err) < 0)
    return NULL;
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == NULL) {
    husk_error_set(err, 0, "seccomp_init(%s) failed", action_name(s->default_action));
    return NULL;
  }
  if (build(ctx, s, default_action, w, err) < 0) {
    seccomp_release(ctx);
    return NULL;
  }
  return ctx;
}

bool husk_seccomp_precompilable(const struct husk_seccomp *s) {
  if (husk_seccomp_uses_notify(s))
    return false; /* the listener fd comes from libseccomp's own load */
  for (size_t i = 0; i < s->flags.len; i++) {
    const struct seccomp_flag *f = find_flag(s->flags.items[i]);
    if (f == NULL || f->load_flag == 0)
      return false;
  }
  return true;
}

/* The seccomp(2) flags of linux.seccomp.flags (precompilable ones only). */
static unsigned filter_flags(const struct husk_seccomp *s) {
  unsigned flags = 0;
  for (size_t i = 0; i < s->flags.len; i++) {
    const struct seccomp_flag *f = find_flag(s->flags.items[i]);
    if (f)
      flags |= f->load_flag;
  }
  return flags;
}

int husk_seccomp_compile(const struct husk_seccomp *s, const struct husk_warner *w,
                         struct husk_seccomp_bpf *out, husk_error_t *err) {
  memset(out, 0, sizeof(*out));
  scmp_filter_ctx ctx = new_filter(s, w, err);
  if (ctx == NULL)
    return -1;
  /* libseccomp 2.5 exports to an fd only. */
  int fd = memfd_create("husk-seccomp", MFD_CLOEXEC);
  int r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  struct stat st;
  if (r == 0 && fstat(fd, &st) < 0)
    r = -errno;
  if (r == 0 && (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
                 st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS))
    r = -EINVAL;
  if (r == 0) {
    out->len = (size_t)st.st_size / sizeof(struct sock_filter);
    out->prog = husk_xcalloc(out->len, sizeof(struct sock_filter));
    if (pread(fd, out->prog, (size_t)st.st_size, 0) != st.st_size)
      r = errno ? -errno : -EIO;
  }
  if (fd >= 0)
    close(fd);
  if (r < 0) {
    husk_seccomp_bpf_free(out);
    return husk_error_set(err, -r, "linux.seccomp: export the compiled filter");
  }
  out->flags = filter_flags(s);
  return 0;
}

int husk_seccomp_load_bpf(const struct husk_seccomp_bpf *bpf, husk_error_t *err) {
  struct sock_fprog prog = {.len = (unsigned short)bpf->len, .filter = bpf->prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, bpf->flags, &prog) < 0)
    return husk_error_set(err, errno, "load the seccomp filter");
  return 0;
}

void husk_seccomp_bpf_free(struct husk_seccomp_bpf *bpf) {
  free(bpf->prog);
  bpf->prog = NULL;
  bpf->len = 0;
}

int husk_seccomp_load(const struct husk_seccomp *s, const struct husk_warner *w, int *notify_fd,
                      husk_error_t *err) {
  *notify_fd = -1;
  scmp_filter_ctx ctx = new_filter(s, w, err);
  if (ctx == NULL)
    return -1;
  int rc = 0;
  int r = seccomp_load(ctx);
  if (r < 0)
    rc = husk_error_set(err, -r, "load the seccomp filter");
  if (rc == 0 && husk_seccomp_uses_notify(s)) {
    *notify_fd = seccomp_notify_fd(ctx);
    if (*notify_fd < 0)
      rc = husk_error_set(err, -*notify_fd, "seccomp: get the SCMP_ACT_NOTIFY listener fd");
  }
  seccomp_release(ctx);
  return rc;
}

/* Append `s` as a JSON string. */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

char *husk_seccomp_process_state(const struct husk_seccomp_agent_info *info) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    abort();
  fprintf(f, "{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d", HUSK_OCI_VERSION,
          (int)info->pid);
  if (info->metadata) {
    fputs(",\"metadata\":", f);
    json_str(f, info->metadata);
  }
  fputs(",\"state\":", f);
  if (info->state_json) {
    fputs(info->state_json, f);
  } else {
    fprintf(f, "{\"ociVersion\":\"%s\",\"id\":", HUSK_OCI_VERSION);
    json_str(f, info->id ? info->id : "");
    fprintf(f, ",\"status\":\"creating\",\"pid\":%d,\"bundle\":", (int)info->pid);
    json_str(f, info->bundle ? info->bundle : "");
    fputc('}', f);
  }
  fputc('}', f);
  if (fclose(f) != 0)
    abort();
  return buf;
}

/* Send `data` with `fd` attached to its first bytes. */
static int send_with_fd(int sock, int fd, const char *data, size_t len, husk_error_t *err) {
  union {
    struct cmsghdr hdr;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set(err, errno, "send the seccomp listener fd");
  /* The rest of a long state follows as plain data (config-linux.md allows
   * several sendmsg calls, with the fds in the first one only). */
  if ((size_t)n < len && husk_write_all(sock, data + n, len - (size_t)n) < 0)
    return husk_error_set(err, errno, "send the container process state");
  return 0;
}

int husk_seccomp_listener_connect(const char *listener_path, int *sock, husk_error_t *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(listener_path) >= sizeof(addr.sun_path))
    return husk_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath %s", listener_path);
  strcpy(addr.sun_path, listener_path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error_set(err, errno, "linux.seccomp.listenerPath %s: socket", listener_path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return husk_error_set(err, errno, "linux.seccomp.listenerPath %s: connect", listener_path);
  *sock = husk_steal_fd(fd);
  return 0;
}

int husk_seccomp_listener_send(int sock, int notify_fd, const struct husk_seccomp_agent_info *info,
                               husk_error_t *err) {
  _cleanup_free_ char *json = husk_seccomp_process_state(info);
  if (send_with_fd(sock, notify_fd, json, strlen(json), err) < 0)
    return husk_error_prefix(err, "linux.seccomp.listenerPath");
  return 0;
}
