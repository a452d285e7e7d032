/* husk — the process attributes, in the order the kernel needs them, and
 * the execve (see exec_setup.h).
 *
 * husk_exec_finish, and why in this order:
 *   umask; chdir to process.cwd (as the runtime: it may reach what the user
 *     cannot; retried after the uid switch on EACCES, like runc);
 *   seccomp, when noNewPrivileges is false: loading a filter without
 *     no_new_privs needs CAP_SYS_ADMIN, which the steps below drop;
 *   PR_SET_KEEPCAPS, then the bounding set (needs CAP_SETPCAP, still held);
 *   setgroups/setresgid/setresuid (keepcaps keeps the permitted set, from
 *     which the next step picks);
 *   effective/permitted/inheritable, then ambient (needs the other two);
 *   PATH lookup of args[0] (as the user, so access checks match execve);
 *   no_new_privs;
 *   execCPUAffinity.final;
 *   seccomp, when noNewPrivileges is true: as late as possible so that the
 *     profile sees almost none of the runtime's own calls (only execve);
 *   execve. */
#include "exec_setup.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "exec_steps.h"
#include "seccomp_filter.h"
#include "timings.h"
#include "util.h"

void husk_warn(const struct husk_warner *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    abort();
  va_end(ap);
  if (w != NULL && w->fn != NULL)
    w->fn(w->data, msg);
  else
    fprintf(stderr, "husk: warning: %s\n", msg);
  free(msg);
}

int husk_exec_prepare(const struct husk_exec_ctx *ctx, husk_error_t *err) {
  const struct husk_spec *spec = ctx->spec;
  const struct husk_process *p = ctx->process;
  /* Raising limits and priorities needs capabilities the init still has. */
  if (husk_oom_score_adj_apply(p, err) < 0 || husk_rlimits_apply(p, err) < 0)
    return -1;
  if (p->has_exec_cpu_affinity &&
      husk_cpu_affinity_apply(p->exec_cpu_affinity.initial, "process.execCPUAffinity.initial",
                              err) < 0)
    return -1;
  if (spec != NULL) {
    if (husk_personality_apply(spec, err) < 0 || husk_memory_policy_apply(spec, err) < 0)
      return -1;
    /* sysctls belong to the container's namespaces: set once, by the init. */
    if (ctx->is_init && husk_sysctl_apply(spec, err) < 0)
      return -1;
  }
  if (husk_scheduler_apply(p, err) < 0 || husk_io_priority_apply(p, err) < 0)
    return -1;
  if (husk_lsm_apparmor_exec(p->apparmor_profile, err) < 0 ||
      husk_lsm_selinux_exec(p->selinux_label, err) < 0)
    return -1;
  return 0;
}

/* The value of `name` in an environment list, NULL when absent. */
static const char *env_get(const struct husk_strv *env, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < env->len; i++)
    if (strncmp(env->items[i], name, n) == 0 && env->items[i][n] == '=')
      return env->items[i] + n + 1;
  return NULL;
}

static char *lookup_path(const char *file, const struct husk_strv *env, husk_error_t *err) {
  if (file[0] == '\0') {
    husk_error_set(err, ENOENT, "exec \"\"");
    return NULL;
  }
  if (strchr(file, '/'))
    return husk_xstrdup(file);
  const char *path = env_get(env, "PATH");
  if (path == NULL) /* what execvp and runc's default config use */
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int found_errno = ENOENT;
  for (const char *dir = path;;) {
    const char *end = strchrnul(dir, ':');
    /* An empty entry means the current directory. */
    char *cand = end == dir ? husk_xasprintf("./%s", file)
                            : husk_xasprintf("%.*s/%s", (int)(end - dir), dir, file);
    struct stat st;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(cand, X_OK) == 0)
        return cand;
      found_errno = EACCES;
    }
    free(cand);
    if (*end == '\0')
      break;
    dir = end + 1;
  }
  if (found_errno == EACCES)
    husk_error_set(err, EACCES, "exec %s: found in $PATH but not executable", file);
  else if (err != NULL && err->msg == NULL) {
    husk_error_set(err, 0, "exec %s: executable file not found in $PATH (%s)", file, path);
    err->errnum = ENOENT; /* without ": No such file..." again in the message */
  }
  return NULL;
}

char *husk_exec_lookup(const struct husk_process *process, husk_error_t *err) {
  return lookup_path(process->args.items[0], &process->env, err);
}

/* A NULL-terminated copy of `v`, with `extra` (if any) appended. */
static char **strv_terminated(const struct husk_strv *v, char *extra) {
  char **out = husk_xcalloc(v->len + 2, sizeof(char *));
  if (v->len > 0)
    memcpy(out, v->items, v->len * sizeof(char *));
  out[v->len] = extra;
  return out;
}

static int load_seccomp(const struct husk_exec_ctx *ctx, const struct husk_warner *w,
                        husk_error_t *err) {
  const struct husk_spec *spec = ctx->spec;
  /* Ours to close in any case: one state per connection. */
  _cleanup_close_ int sock = ctx->has_seccomp_listener ? ctx->seccomp_listener_fd : -1;
  if (spec == NULL || !spec->linux_.has_seccomp)
    return 0;
  const struct husk_seccomp *s = &spec->linux_.seccomp;
  bool notify = husk_seccomp_uses_notify(s);
  if (notify && !ctx->has_seccomp_listener && (s->listener_path == NULL || !s->listener_path[0]))
    return husk_error_set(err, 0,
                          "linux.seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set");
  if (ctx->seccomp_bpf && ctx->seccomp_bpf->prog)
    return husk_seccomp_load_bpf(ctx->seccomp_bpf, err);
  /* Connect first: once loaded, the filter may notify on connect(2) itself. */
  if (notify && sock < 0 && husk_seccomp_listener_connect(s->listener_path, &sock, err) < 0)
    return -1;
  _cleanup_close_ int fd = -1;
  if (husk_seccomp_load(s, w, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  /* Hand the listener over at once: a notified call of ours would otherwise
   * wait for an agent that has no fd yet. */
  struct husk_seccomp_agent_info info = {
      .pid = ctx->pid > 0 ? ctx->pid : getpid(),
      .metadata = s->listener_metadata,
      .state_json = ctx->state_json,
      .id = ctx->container_id,
      .bundle = ctx->bundle,
  };
  return husk_seccomp_listener_send(sock, fd, &info, err);
}

int husk_cwd_create(const struct husk_process *process, husk_error_t *err) {
  const char *cwd = process->cwd;
  if (cwd == NULL || cwd[0] != '/')
    return 0;
  /* Called in the container's root (after pivot_root): symlinks of the
   * image resolve inside it. */
  _cleanup_free_ char *path = husk_xstrdup(cwd);
  for (char *slash = path + 1;; slash++) {
    char saved = *slash;
    if (saved != '/' && saved != '\0')
      continue;
    *slash = '\0';
    if (mkdir(path, 0755) == 0) {
      if (lchown(path, process->user.uid, process->user.gid) < 0)
        return husk_error_set(err, errno, "process.cwd %s: chown %s to %u:%u", cwd, path,
                              process->user.uid, process->user.gid);
    } else if (errno != EEXIST) {
      return husk_error_set(err, errno, "process.cwd %s: mkdir %s", cwd, path);
    }
    *slash = saved;
    if (saved == '\0')
      return 0;
  }
}

int husk_cwd_enter(const char *cwd, husk_error_t *err) {
  if (chdir(cwd) < 0)
    return husk_error_set(err, errno, "process.cwd %s", cwd);
  /* The system call itself, not a libc's getcwd that might walk ".." on
   * its own: "(unreachable)" is the kernel's answer. */
  char buf[PATH_MAX];
  long n = syscall(SYS_getcwd, buf, sizeof(buf));
  if (n <= 0 || buf[0] != '/') {
    int e = n < 0 ? errno : ENOENT;
    (void)!chdir("/");
    if (e == ENOENT)
      return husk_error_set_quiet(
          err, EXDEV,
          "process.cwd %s: the working directory is outside the container's "
          "root (a leaked file descriptor?): refused",
          cwd);
    return husk_error_set(err, e, "process.cwd %s: check that it is inside the container", cwd);
  }
  return 0;
}

int husk_exec_finish(const struct husk_exec_ctx *ctx, husk_error_t *err) {
  const struct husk_process *p = ctx->process;
  const struct husk_warner w = {.fn = ctx->warn, .data = ctx->warn_data};
  /* No capabilities object: every set is empty, nothing is kept. */
  static const struct husk_capabilities no_caps = {0};
  const struct husk_capabilities *caps = p->has_capabilities ? &p->capabilities : &no_caps;
  if (p->args.len == 0)
    return husk_error_set(err, 0, "process.args: empty");

  husk_user_umask(p);
  /* Read as the runtime, before the user switch (runc does the same). */
  _cleanup_free_ char *home = husk_home_env(p);

  const char *cwd = p->cwd && p->cwd[0] ? p->cwd : "/";
  bool chdir_later = false;
  if (husk_cwd_enter(cwd, err) < 0) {
    if (err->errnum != EACCES && err->errnum != EPERM)
      return -1;
    husk_error_clear(err);
    chdir_later = true; /* maybe the container user may, where root may not (NFS) */
  }

  if (!p->no_new_privileges && load_seccomp(ctx, &w, err) < 0)
    return -1;
  husk_timing(ctx->is_init ? "init:seccomp" : "exec:seccomp");

  if (husk_caps_keep(true, err) < 0)
    return -1;
  if (husk_caps_drop_bounding(caps, &w, err) < 0)
    return -1;
  if (husk_user_switch(p, &w, err) < 0)
    return -1;
  if (husk_caps_keep(false, err) < 0)
    return -1;
  if (chdir_later && husk_cwd_enter(cwd, err) < 0)
    return -1;
  if (husk_caps_apply(caps, &w, err) < 0)
    return -1;

  _cleanup_free_ char *file = husk_exec_lookup(p, err);
  if (file == NULL)
    return -1;
  /* process.env, and HOME when it has none; a husk_strv is not
   * NULL-terminated. */
  _cleanup_free_ char **argv = strv_terminated(&p->args, NULL);
  _cleanup_free_ char **envp = strv_terminated(&p->env, home);

  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
    return husk_error_set(err, errno, "process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");

  if (p->has_exec_cpu_affinity &&
      husk_cpu_affinity_apply(p->exec_cpu_affinity.final, "process.execCPUAffinity.final", err) < 0)
    return -1;

  if (p->no_new_privileges && load_seccomp(ctx, &w, err) < 0)
    return -1;

  husk_timing(ctx->is_init ? "init:caps+user+execve" : "exec:caps+user+execve");
  execve(file, argv, envp);
  return husk_error_set(err, errno, "exec %s", file);
}
