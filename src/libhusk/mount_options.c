/* husk — config.json mount options to mount(2)/mount_setattr(2) terms
 * (see mount_options.h).  One table, kept in the spec's order. */
#include "mount_options.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "util.h"

enum opt_kind {
  OPT_FLAG,        /* set `value` in flags */
  OPT_CLEAR,       /* clear `value` from flags */
  OPT_PROPAGATION, /* a separate mount(NULL, dst, NULL, value) call */
  OPT_ATTR_SET,    /* recursive: MOUNT_ATTR_* to set */
  OPT_ATTR_CLEAR,  /* recursive: MOUNT_ATTR_* to clear */
  OPT_IDMAP,
  OPT_RIDMAP,
  OPT_TMPCOPYUP,
};

struct opt {
  const char *name;
  enum opt_kind kind;
  unsigned long value;
};

static const struct opt options_table[] = {
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"bind", OPT_FLAG, MS_BIND},
    {"defaults", OPT_FLAG, 0},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"dirsync", OPT_FLAG, MS_DIRSYNC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"iversion", OPT_FLAG, MS_I_VERSION},
    {"lazytime", OPT_FLAG, MS_LAZYTIME},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"mand", OPT_FLAG, MS_MANDLOCK},
    {"noatime", OPT_FLAG, MS_NOATIME},
    {"nodev", OPT_FLAG, MS_NODEV},
    {"nodiratime", OPT_FLAG, MS_NODIRATIME},
    {"noexec", OPT_FLAG, MS_NOEXEC},
    {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"nosuid", OPT_FLAG, MS_NOSUID},
    {"nosymfollow", OPT_FLAG, MS_NOSYMFOLLOW},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"ratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NOATIME},
    {"rbind", OPT_FLAG, MS_BIND | MS_REC},
    {"rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV},
    {"rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"relatime", OPT_FLAG, MS_RELATIME},
    {"remount", OPT_FLAG, MS_REMOUNT},
    {"rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME},
    {"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
    {"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
    {"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
    {"rnorelatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME}, /* no relatime: full atime */
    {"rnostrictatime", OPT_ATTR_CLEAR, MOUNT_ATTR_STRICTATIME},
    {"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
    {"rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"ro", OPT_FLAG, MS_RDONLY},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME},
    {"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME},
    {"rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID},
    {"rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"silent", OPT_FLAG, MS_SILENT},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"strictatime", OPT_FLAG, MS_STRICTATIME},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"sync", OPT_FLAG, MS_SYNCHRONOUS},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_RIDMAP, 0},
};

static const struct opt *find_option(const char *name) {
  for (size_t i = 0; i < sizeof options_table / sizeof options_table[0]; i++)
    if (strcmp(options_table[i].name, name) == 0)
      return &options_table[i];
  return NULL;
}

unsigned long husk_mount_propagation_flags(const char *name) {
  const struct opt *o = name ? find_option(name) : NULL;
  return o && o->kind == OPT_PROPAGATION ? o->value : 0;
}

bool husk_mount_is_bind(const struct husk_mount *m) {
  if (m->type && strcmp(m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->options.len; i++)
    if (strcmp(m->options.items[i], "bind") == 0 || strcmp(m->options.items[i], "rbind") == 0)
      return true;
  return false;
}

bool husk_mount_opts_is_bind(const struct husk_mount_opts *opts) {
  return (opts->flags & MS_BIND) != 0;
}

/* The atime mode is one field of the mount, not independent bits:
 * mount_setattr(2) wants MOUNT_ATTR__ATIME cleared and the new mode set;
 * turning a mode off ("ratime", "rnostrictatime") means the default,
 * relatime. */
static void add_attr(struct husk_mount_opts *out, const struct opt *o) {
  uint64_t v = o->value;
  if (v == MOUNT_ATTR_RELATIME || v == MOUNT_ATTR_NOATIME || v == MOUNT_ATTR_STRICTATIME) {
    out->attr_clr |= MOUNT_ATTR__ATIME;
    out->attr_set &= ~(uint64_t)MOUNT_ATTR__ATIME;
    if (o->kind == OPT_ATTR_SET)
      out->attr_set |= v;
    return;
  }
  if (o->kind == OPT_ATTR_SET) {
    out->attr_set |= v;
    out->attr_clr &= ~v;
  } else {
    out->attr_clr |= v;
    out->attr_set &= ~v;
  }
}

/* The data string grows geometrically: a config with 100 000 options took
 * seconds when each one copied all before it. */
struct data_buf {
  size_t len, cap;
};

static void append_data(char **data, struct data_buf *b, const char *opt) {
  size_t n = strlen(opt), need = b->len + (b->len ? 1 : 0) + n + 1;
  if (need > b->cap) {
    b->cap = need > 2 * b->cap ? need : 2 * b->cap;
    *data = husk_xrealloc(*data, b->cap);
  }
  if (b->len)
    (*data)[b->len++] = ',';
  memcpy(*data + b->len, opt, n + 1);
  b->len += n;
}

int husk_mount_opts_parse(const struct husk_strv *options, const char *what,
                          struct husk_mount_opts *out, husk_error_t *err) {
  memset(out, 0, sizeof *out);
  struct data_buf buf = {0};
  for (size_t i = 0; options && i < options->len; i++) {
    const char *name = options->items[i];
    if (name == NULL || name[0] == '\0') {
      husk_mount_opts_free(out);
      return husk_error_set(err, EINVAL, "%s: options[%zu]: empty mount option", what, i);
    }
    const struct opt *o = find_option(name);
    if (o == NULL) {
      append_data(&out->data, &buf, name);
      continue;
    }
    switch (o->kind) {
    case OPT_FLAG:
      out->flags |= o->value;
      out->cleared &= ~o->value;
      break;
    case OPT_CLEAR:
      out->flags &= ~o->value;
      out->cleared |= o->value;
      break;
    case OPT_PROPAGATION:
      if (out->propagation_len == HUSK_MOUNT_MAX_PROPAGATION) {
        husk_mount_opts_free(out);
        return husk_error_set(err, EINVAL, "%s: options[%zu]: more than %d propagation options",
                              what, i, HUSK_MOUNT_MAX_PROPAGATION);
      }
      out->propagation[out->propagation_len++] = o->value;
      break;
    case OPT_ATTR_SET:
    case OPT_ATTR_CLEAR:
      add_attr(out, o);
      break;
    case OPT_IDMAP:
      out->idmap = true;
      break;
    case OPT_RIDMAP:
      out->ridmap = true;
      break;
    case OPT_TMPCOPYUP:
      out->tmpcopyup = true;
      break;
    }
  }
  return 0;
}

void husk_mount_opts_free(struct husk_mount_opts *opts) {
  free(opts->data);
  opts->data = NULL;
}
