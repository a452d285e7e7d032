/* husk — process.capabilities (see caps.h). */
#include "caps.h"

#include <errno.h>
#include <strings.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The capability a name stands for on this kernel, or -1 (with a warning)
 * when libcap or the running kernel does not know it.  The parser already
 * rejected names that are not capabilities at all. */
static cap_value_t cap_lookup(const char *name, const char *set, const struct husk_warner *w) {
  cap_value_t v;
  if (cap_from_name(name, &v) < 0) {
    husk_warn(w, "process.capabilities.%s: %s is not known to libcap, skipped", set, name);
    return -1;
  }
  if (v >= cap_max_bits()) {
    husk_warn(w, "process.capabilities.%s: %s is not known to the running kernel, skipped", set,
              name);
    return -1;
  }
  return v;
}

static bool strv_has_cap(const struct husk_strv *names, cap_value_t cap) {
  for (size_t i = 0; i < names->len; i++) {
    cap_value_t v;
    if (cap_from_name(names->items[i], &v) == 0 && v == cap)
      return true;
  }
  return false;
}

int husk_caps_keep(bool keep, husk_error_t *err) {
  if (prctl(PR_SET_KEEPCAPS, keep ? 1L : 0L, 0L, 0L, 0L) < 0)
    return husk_error_set(err, errno, "prctl(PR_SET_KEEPCAPS, %d)", keep ? 1 : 0);
  return 0;
}

/* config.md: each set lists the capabilities that are kept, so an absent
 * set (or an absent capabilities object: all sets empty) keeps none — as
 * runc and crun do. */
int husk_caps_drop_bounding(const struct husk_capabilities *caps, const struct husk_warner *w,
                            husk_error_t *err) {
  /* Warn about what was asked for but is gone already (or unknown). */
  for (size_t i = 0; i < caps->bounding.len; i++) {
    cap_value_t v = cap_lookup(caps->bounding.items[i], "bounding", w);
    if (v >= 0 && cap_get_bound(v) != 1)
      husk_warn(w,
                "process.capabilities.bounding: %s is not in the runtime's bounding set, "
                "cannot be granted",
                caps->bounding.items[i]);
  }
  cap_value_t last = cap_max_bits();
  for (cap_value_t v = 0; v < last; v++) {
    if (strv_has_cap(&caps->bounding, v))
      continue;
    /* Dropping what is gone already succeeds; asking first would cost a
     * prctl per capability.  Without CAP_SETPCAP only those may fail. */
    if (cap_drop_bound(v) < 0 && !(errno == EPERM && cap_get_bound(v) != 1)) {
      int e = errno;
      char *name = cap_to_name(v);
      husk_error_set(err, e, "drop %s from the bounding set", name ? name : "?");
      cap_free(name);
      return -1;
    }
  }
  return 0;
}

/* Fill one flag of `want` from a list, keeping only what `allowed` says the
 * kernel will accept from us. */
static void fill_set(cap_t want, cap_flag_t flag, const struct husk_strv *names, const char *set,
                     bool (*allowed)(cap_t cur, cap_value_t v), cap_t cur,
                     const struct husk_warner *w) {
  cap_clear_flag(want, flag);
  for (size_t i = 0; i < names->len; i++) {
    cap_value_t v = cap_lookup(names->items[i], set, w);
    if (v < 0)
      continue;
    if (!allowed(cur, v)) {
      husk_warn(w, "process.capabilities.%s: %s cannot be granted by the runtime, skipped", set,
                names->items[i]);
      continue;
    }
    cap_set_flag(want, flag, 1, &v, CAP_SET);
  }
}

static bool flag_is_set(cap_t c, cap_value_t v, cap_flag_t flag) {
  cap_flag_value_t f = CAP_CLEAR;
  return cap_get_flag(c, v, flag, &f) == 0 && f == CAP_SET;
}

/* capset(2): permitted and effective can only shrink. */
static bool may_permit(cap_t cur, cap_value_t v) { return flag_is_set(cur, v, CAP_PERMITTED); }

/* capset(2) without CAP_SETPCAP in effective (cleared by setuid): a new
 * inheritable cap must be inheritable already, or permitted and bounded. */
static bool may_inherit(cap_t cur, cap_value_t v) {
  return flag_is_set(cur, v, CAP_INHERITABLE) ||
         (flag_is_set(cur, v, CAP_PERMITTED) && cap_get_bound(v) == 1);
}

int husk_caps_apply(const struct husk_capabilities *caps, const struct husk_warner *w,
                    husk_error_t *err) {
  cap_t cur = cap_get_proc();
  if (cur == NULL)
    return husk_error_set(err, errno, "read the process capabilities");
  cap_t want = cap_dup(cur);
  if (want == NULL) {
    cap_free(cur);
    return husk_error_set(err, errno, "copy the process capabilities");
  }
  /* An absent set is an empty list: nothing kept (see drop_bounding). */
  fill_set(want, CAP_PERMITTED, &caps->permitted, "permitted", may_permit, cur, w);
  fill_set(want, CAP_EFFECTIVE, &caps->effective, "effective", may_permit, cur, w);
  fill_set(want, CAP_INHERITABLE, &caps->inheritable, "inheritable", may_inherit, cur, w);
  /* Effective must stay within permitted. */
  for (cap_value_t v = 0; v < cap_max_bits(); v++)
    if (flag_is_set(want, v, CAP_EFFECTIVE) && !flag_is_set(want, v, CAP_PERMITTED))
      cap_set_flag(want, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
  int r = cap_set_proc(want);
  int e = errno;
  cap_free(cur);
  if (r < 0) {
    cap_free(want);
    return husk_error_set(err, e, "set the capabilities (capset)");
  }

  /* One prctl: libcap's cap_reset_ambient asks about every capability
   * first. */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    cap_free(want);
    return husk_error_set(err, errno, "clear the ambient capabilities");
  }
  for (size_t i = 0; i < caps->ambient.len; i++) {
    cap_value_t v = cap_lookup(caps->ambient.items[i], "ambient", w);
    if (v < 0)
      continue;
    /* The kernel raises an ambient cap only if permitted and inheritable. */
    /* One the config leaves out of permitted or inheritable was warned
     * of at create (husk_caps_warn_ambient): this runs after `start`, where
     * a warning would land in the workload's stderr. */
    if (flag_is_set(want, v, CAP_PERMITTED) && flag_is_set(want, v, CAP_INHERITABLE))
      (void)cap_set_ambient(v, CAP_SET);
  }
  cap_free(want);
  return 0;
}

static bool in_list(const struct husk_strv *l, const char *name) {
  for (size_t i = 0; i < l->len; i++)
    if (strcasecmp(l->items[i], name) == 0)
      return true;
  return false;
}

void husk_caps_warn_ambient(const struct husk_process *process, const struct husk_warner *w) {
  /* For uid 0 the kernel recomputes the sets at execve: ambient is moot. */
  if (process == NULL || !process->has_capabilities || process->user.uid == 0)
    return;
  const struct husk_capabilities *c = &process->capabilities;
  for (size_t i = 0; i < c->ambient.len; i++) {
    const char *name = c->ambient.items[i];
    bool permitted = in_list(&c->permitted, name), inheritable = in_list(&c->inheritable, name);
    if (permitted && inheritable)
      continue;
    husk_warn(w,
              "process.capabilities.ambient: %s cannot be raised for uid %u: it is missing "
              "from process.capabilities.%s, and the kernel raises only what is permitted and "
              "inheritable; skipped",
              name, (unsigned)process->user.uid,
              !permitted && !inheritable ? "permitted and .inheritable"
              : !permitted               ? "permitted"
                                         : "inheritable");
  }
}
