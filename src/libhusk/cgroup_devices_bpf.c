/* husk — linux.resources.devices on cgroup v2: an eBPF device filter built
 * by hand (struct bpf_insn) and loaded with raw bpf(2), see
 * cgroup_devices_bpf.h for the rule semantics.
 *
 * Program layout.  On entry r1 points to struct bpf_cgroup_dev_ctx
 * { u32 access_type = (access << 16) | type; u32 major; u32 minor; }.
 *
 *     r2 = ctx->access_type
 *     r3 = r2
 *     w2 &= 0xffff              ; r2: device type (BPF_DEVCG_DEV_*)
 *     w3 >>= 16                 ; r3: requested access bits still undecided
 *     r4 = ctx->major
 *     r5 = ctx->minor
 *     if r3 != 0 goto +1
 *     w3 = ACC_NONE             ; an empty request, see below
 *   then one block per rule, LAST rule first:
 *     if r2 != TYPE goto next   ; only when the rule's type is not 'a'
 *     if r4 != MAJOR goto next  ; only when the rule names a major
 *     if r5 != MINOR goto next  ; only when the rule names a minor
 *   allow rule:
 *     w3 &= ~ACCESS             ; these bits are decided: allowed
 *     if r3 == 0 goto allow     ; every requested bit is decided
 *   deny rule:
 *     if r3 & ACCESS goto deny  ; a requested bit is decided: denied
 *   next: ...
 *   deny:  r0 = 0; exit          ; also the default: no rule decided a bit
 *   allow: r0 = 1; exit          ; only emitted when some allow rule jumps here
 *
 * Walking the rules backwards and deciding each bit at the first (= last in
 * the config) rule that names it gives "last matching rule wins" per access
 * bit, which is what the v1 devices controller does with its exception
 * list.  A request without r/w/m bits (access(2) with X_OK on a device
 * node) is mapped to ACC_NONE, a bit that every non-empty rule covers, so
 * the last rule matching the device decides it.  Bits the kernel may add
 * one day are never cleared by an allow rule: they end up denied.
 *
 * Larger majors/minors (> INT32_MAX; Linux uses 12/20 bits, so only
 * nonsense configs) cannot be a jump immediate, which the kernel
 * sign-extends to 64 bits; they are compared through r1 (w1 = imm is
 * zero-extending), as r1 (the ctx) is not needed after the loads. */
#include "cgroup_devices_bpf.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* The "no r/w/m requested" pseudo bit; outside BPF_DEVCG_ACC_*. */
#define ACC_NONE 0x8000u
#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* Jump offsets are s16; tails are jumped to from anywhere in the program. */
#define MAX_INSNS 32767

/* A rule after validation, in the kernel's terms. */
struct dev_rule {
  bool allow;
  uint32_t type; /* BPF_DEVCG_DEV_*, 0 = any */
  bool any_major, any_minor;
  uint32_t major, minor;
  uint32_t access; /* BPF_DEVCG_ACC_* | ACC_NONE; 0: the rule is a no-op */
};

struct prog {
  struct bpf_insn *insns;
  size_t len, cap;
  /* Jumps whose target is the deny or allow tail, patched at the end. */
  struct fixup {
    size_t at;
    bool to_allow;
  } * fixups;
  size_t fixups_len;
};

static struct bpf_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static void emit(struct prog *p, struct bpf_insn in) {
  if (p->len == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 64;
    p->insns = husk_xrealloc(p->insns, p->cap * sizeof *p->insns);
  }
  p->insns[p->len++] = in;
}

/* A conditional jump to the deny/allow tail; the offset comes later. */
static void emit_to_tail(struct prog *p, struct bpf_insn in, bool to_allow) {
  p->fixups = husk_xrealloc(p->fixups, (p->fixups_len + 1) * sizeof *p->fixups);
  p->fixups[p->fixups_len++] = (struct fixup){.at = p->len, .to_allow = to_allow};
  emit(p, in);
}

static bool fits_imm(uint32_t v) { return v <= INT32_MAX; }

/* Instructions of one rule's block: needed up front for the "goto next"
 * offsets of its own checks. */
static size_t block_len(const struct dev_rule *r) {
  size_t len = r->allow ? 2 : 1;
  if (r->type != 0)
    len++;
  if (!r->any_major)
    len += fits_imm(r->major) ? 1 : 2;
  if (!r->any_minor)
    len += fits_imm(r->minor) ? 1 : 2;
  return len;
}

/* if reg != value goto end (the next block). */
static void emit_jne(struct prog *p, uint8_t reg, uint32_t value, size_t end) {
  if (!fits_imm(value)) {
    emit(p, mk(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, (int32_t)value));
    emit(p, mk(BPF_JMP | BPF_JNE | BPF_X, reg, BPF_REG_1, (int16_t)(end - p->len - 1), 0));
    return;
  }
  emit(p, mk(BPF_JMP | BPF_JNE | BPF_K, reg, 0, (int16_t)(end - p->len - 1), (int32_t)value));
}

static void emit_rule(struct prog *p, const struct dev_rule *r) {
  size_t end = p->len + block_len(r);
  if (r->type != 0)
    emit_jne(p, BPF_REG_2, r->type, end);
  if (!r->any_major)
    emit_jne(p, BPF_REG_4, r->major, end);
  if (!r->any_minor)
    emit_jne(p, BPF_REG_5, r->minor, end);
  if (r->allow) {
    emit(p, mk(BPF_ALU | BPF_AND | BPF_K, BPF_REG_3, 0, 0, (int32_t)~r->access));
    emit_to_tail(p, mk(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_3, 0, 0, 0), true);
  } else {
    emit_to_tail(p, mk(BPF_JMP | BPF_JSET | BPF_K, BPF_REG_3, 0, 0, (int32_t)r->access), false);
  }
}

/* Build the program; *out is owned by the caller. */
static int build_prog(const struct dev_rule *rules, size_t n, struct bpf_insn **out, size_t *len,
                      husk_error_t *err) {
  struct prog p = {0};
  emit(&p, mk(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0));
  emit(&p, mk(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0));
  emit(&p, mk(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  emit(&p, mk(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  emit(&p, mk(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0));
  emit(&p, mk(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0));
  emit(&p, mk(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, 1, 0));
  emit(&p, mk(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, ACC_NONE));

  bool any_allow = false;
  for (size_t i = n; i-- > 0;) {
    const struct dev_rule *r = &rules[i];
    if (r->access == 0)
      continue; /* decides no bit */
    emit_rule(&p, r);
    any_allow |= r->allow;
    if (p.len > MAX_INSNS)
      break;
    /* A rule for every device and every bit decides every request: the
     * rules before it are dead, and the verifier rejects dead code only
     * when it is unreachable in the CFG, so stop rather than emit it. */
    if (r->type == 0 && r->any_major && r->any_minor && (r->access & ACC_ALL) == ACC_ALL)
      break;
  }

  size_t deny_at = p.len;
  emit(&p, mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  emit(&p, mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  size_t allow_at = p.len;
  /* Without a jump to it the allow tail would be unreachable: refused. */
  if (any_allow) {
    emit(&p, mk(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
    emit(&p, mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }

  if (p.len > MAX_INSNS) {
    free(p.insns);
    free(p.fixups);
    return husk_error_set(err, E2BIG,
                          "linux.resources.devices: %zu rules do not fit in one eBPF program", n);
  }
  for (size_t i = 0; i < p.fixups_len; i++) {
    size_t target = p.fixups[i].to_allow ? allow_at : deny_at;
    p.insns[p.fixups[i].at].off = (int16_t)(target - p.fixups[i].at - 1);
  }
  free(p.fixups);
  *out = p.insns;
  *len = p.len;
  return 0;
}

/* Check the rules and convert them; names the offending field. */
static int convert_rules(const struct husk_device_cgroup *in, size_t n, struct dev_rule *out,
                         husk_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    const struct husk_device_cgroup *d = &in[i];
    struct dev_rule *r = &out[i];
    r->allow = d->allow;
    switch (d->type) {
    case 'a':
      r->type = 0;
      break;
    case 'c':
      r->type = BPF_DEVCG_DEV_CHAR;
      break;
    case 'b':
      r->type = BPF_DEVCG_DEV_BLOCK;
      break;
    default:
      return husk_error_set(
          err, EINVAL, "linux.resources.devices[%zu].type: \"%c\" is not \"a\", \"c\" or \"b\"", i,
          d->type);
    }
    const struct {
      const char *name;
      bool has;
      int64_t v;
      bool *any;
      uint32_t *out;
    } nums[] = {
        {"major", d->has_major, d->major, &r->any_major, &r->major},
        {"minor", d->has_minor, d->minor, &r->any_minor, &r->minor},
    };
    for (size_t k = 0; k < 2; k++) {
      *nums[k].any = !nums[k].has || nums[k].v == -1;
      if (*nums[k].any)
        continue;
      if (nums[k].v < 0 || nums[k].v > UINT32_MAX)
        return husk_error_set(err, ERANGE,
                              "linux.resources.devices[%zu].%s: %lld is not -1 or a device number",
                              i, nums[k].name, (long long)nums[k].v);
      *nums[k].out = (uint32_t)nums[k].v;
    }
    const char *access = d->access ? d->access : "rwm";
    r->access = 0;
    for (const char *c = access; *c; c++) {
      if (*c == 'r')
        r->access |= BPF_DEVCG_ACC_READ;
      else if (*c == 'w')
        r->access |= BPF_DEVCG_ACC_WRITE;
      else if (*c == 'm')
        r->access |= BPF_DEVCG_ACC_MKNOD;
      else
        return husk_error_set(err, EINVAL,
                              "linux.resources.devices[%zu].access: \"%s\" is not a subset of "
                              "\"rwm\"",
                              i, access);
    }
    if (r->access != 0)
      r->access |= ACC_NONE;
  }
  return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr) {
  int ret;
  /* The verifier returns EAGAIN/EINTR when a signal arrives mid-load. */
  for (int tries = 0; tries < 5; tries++) {
    ret = (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
    if (ret >= 0 || (errno != EINTR && errno != EAGAIN))
      break;
  }
  return ret;
}

/* The last lines of the verifier log, on one line ("; " between lines):
 * the reason is at the end; the full log can be thousands of lines. */
static char *log_tail(char *log, size_t max) {
  size_t len = strnlen(log, max);
  for (;;) {
    while (len > 0 && (log[len - 1] == '\n' || log[len - 1] == ' '))
      len--;
    log[len] = '\0';
    /* The verifier ends with its statistics ("processed N insns (limit
     * ...) ..."): drop them so the reason is what the message ends with. */
    char *last = strrchr(log, '\n');
    last = last ? last + 1 : log;
    if (strncmp(last, "processed ", 10) != 0 || last == log)
      break;
    len = (size_t)(last - log);
  }
  size_t start = len > 400 ? len - 400 : 0;
  if (start > 0) {
    const char *nl = memchr(log + start, '\n', len - start);
    if (nl)
      start = (size_t)(nl - log) + 1;
  }
  char *out = husk_xmalloc(2 * (len - start) + 1), *o = out;
  for (const char *c = log + start; *c; c++) {
    if (*c == '\n') {
      *o++ = ';';
      *o++ = ' ';
    } else {
      *o++ = *c;
    }
  }
  *o = '\0';
  return out;
}

static int load_prog(const struct bpf_insn *insns, size_t len, husk_error_t *err) {
  static const char license[] = "Apache-2.0";
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uintptr_t)insns;
  attr.insn_cnt = (uint32_t)len;
  attr.license = (uintptr_t)license;
  memcpy(attr.prog_name, "husk_devices", sizeof "husk_devices");
  int fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  int saved = errno;

  /* Load again with the verifier's log only now: logging slows every load
   * and the log is only worth its cost when there is a failure to explain. */
  const size_t log_size = 256 * 1024;
  _cleanup_free_ char *log = husk_xcalloc(1, log_size);
  attr.log_level = 1;
  attr.log_buf = (uintptr_t)log;
  attr.log_size = (uint32_t)log_size;
  fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd; /* a transient failure */
  _cleanup_free_ char *tail = log_tail(log, log_size);
  if (*tail == '\0')
    return husk_error_set(err, saved, "linux.resources.devices: load the eBPF device filter");
  husk_error_set(err, 0, "linux.resources.devices: load the eBPF device filter: %s: %s",
                 strerror(saved), tail);
  if (err)
    err->errnum = saved;
  return -1;
}

/* The ids of the programs attached to the cgroup itself (not inherited)
 * and the cgroup's attach flags for BPF_CGROUP_DEVICE. */
static int query_progs(int cgroup_fd, uint32_t **ids, uint32_t *cnt, uint32_t *flags,
                       husk_error_t *err) {
  uint32_t cap = 8;
  _cleanup_free_ uint32_t *buf = NULL;
  for (;;) {
    buf = husk_xrealloc(buf, cap * sizeof *buf);
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)cgroup_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uintptr_t)buf;
    attr.query.prog_cnt = cap;
    if (sys_bpf(BPF_PROG_QUERY, &attr) == 0) {
      *cnt = attr.query.prog_cnt;
      *flags = attr.query.attach_flags;
      *ids = husk_steal_ptr(buf);
      return 0;
    }
    /* ENOSPC: prog_cnt now says how many there are; one may have been
     * attached meanwhile, so loop rather than trust it once. */
    if (errno != ENOSPC || attr.query.prog_cnt <= cap)
      return husk_error_set(err, errno,
                            "linux.resources.devices: query the eBPF programs of the cgroup");
    cap = attr.query.prog_cnt;
  }
}

static int attach_prog(int cgroup_fd, int prog_fd, uint32_t flags, husk_error_t *err) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cgroup_fd;
  attr.attach_bpf_fd = (uint32_t)prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = flags;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
    return husk_error_set(err, errno,
                          "linux.resources.devices: attach the eBPF device filter to the cgroup");
  return 0;
}

static int detach_prog_id(int cgroup_fd, uint32_t id, husk_error_t *err) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  _cleanup_close_ int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0; /* detached and freed meanwhile */
    return husk_error_set(
        err, errno, "linux.resources.devices: open the previous eBPF device filter (id %u)", id);
  }
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cgroup_fd;
  attr.attach_bpf_fd = (uint32_t)fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
    return husk_error_set(
        err, errno, "linux.resources.devices: detach the previous eBPF device filter (id %u)", id);
  return 0;
}

int husk_cgroup_devices_bpf_apply(int cgroup_fd, const struct husk_device_cgroup *rules, size_t n,
                                  husk_error_t *err) {
  _cleanup_free_ struct dev_rule *conv = husk_xcalloc(n ? n : 1, sizeof *conv);
  if (convert_rules(rules, n, conv, err) < 0)
    return -1;
  _cleanup_free_ struct bpf_insn *insns = NULL;
  size_t len = 0;
  if (build_prog(conv, n, &insns, &len, err) < 0)
    return -1;
  _cleanup_close_ int prog_fd = load_prog(insns, len, err);
  if (prog_fd < 0)
    return -1;

  _cleanup_free_ uint32_t *old = NULL;
  uint32_t old_cnt = 0, old_flags = 0;
  if (query_progs(cgroup_fd, &old, &old_cnt, &old_flags, err) < 0)
    return -1;

  /* Someone attached without BPF_F_ALLOW_MULTI (another runtime, an old
   * husk): the kernel refuses a multi program next to it, but attaching
   * with the same flags replaces it atomically. */
  if (old_cnt > 0 && !(old_flags & BPF_F_ALLOW_MULTI))
    return attach_prog(cgroup_fd, prog_fd, old_flags, err);

  /* Attach first, detach the old ones after: in between both filters run
   * and a device must pass both, which is never looser than either. */
  if (attach_prog(cgroup_fd, prog_fd, BPF_F_ALLOW_MULTI, err) < 0)
    return -1;
  for (uint32_t i = 0; i < old_cnt; i++)
    if (detach_prog_id(cgroup_fd, old[i], err) < 0)
      return -1;
  return 0;
}
