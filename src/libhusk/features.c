/* husk — the features document (see include/husk/features.h).
 *
 * Every list and flag below is a promise to engines: "husk recognises this in
 * config.json".  Keep them true as support grows or shrinks — when the code
 * that applies a feature lands (mounts, cgroups, seccomp, LSMs come in later
 * issues), update the matching entry here in the same change. */
#include "config.h"

#include "husk/features.h"

#include <linux/capability.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <yajl/yajl_gen.h>

#include "husk/spec.h"
#include "husk/version.h"
#include "util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const hooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

/* The Linux mount option table of config.md, sorted, plus "rnodev": the
 * table lists rdev but not its opposite, which runc also recognises. */
static const char *const mount_options[] = {
    "async",         "atime",        "bind",
    "defaults",      "dev",          "diratime",
    "dirsync",       "exec",         "idmap",
    "iversion",      "lazytime",     "loud",
    "mand",          "noatime",      "nodev",
    "nodiratime",    "noexec",       "noiversion",
    "nolazytime",    "nomand",       "norelatime",
    "nostrictatime", "nosuid",       "nosymfollow",
    "private",       "ratime",       "rbind",
    "rdev",          "rdiratime",    "relatime",
    "remount",       "rexec",        "ridmap",
    "rnoatime",      "rnodev",       "rnodiratime",
    "rnoexec",       "rnorelatime",  "rnostrictatime",
    "rnosuid",       "rnosymfollow", "ro",
    "rprivate",      "rrelatime",    "rro",
    "rrw",           "rshared",      "rslave",
    "rstrictatime",  "rsuid",        "rsymfollow",
    "runbindable",   "rw",           "shared",
    "silent",        "slave",        "strictatime",
    "suid",          "symfollow",    "sync",
    "tmpcopyup",     "unbindable",
};

static const char *const namespaces[] = {
    "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts",
};

static const char *const seccomp_actions[] = {
    "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP",
};

static const char *const seccomp_operators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
};

/* OCI name → libseccomp's name; only those this libseccomp resolves are listed. */
static const struct {
  const char *oci;
  const char *libseccomp;
} seccomp_archs[] = {
    {"SCMP_ARCH_AARCH64", "aarch64"},
    {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k"},
    {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
    {"SCMP_ARCH_PARISC", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
    {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_SH", "sh"},
    {"SCMP_ARCH_SHEB", "sheb"},
    {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_X86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64"},
};

/* Each known flag with the libseccomp API level it needs (seccomp_api_get()
 * reflects both the library and the running kernel). */
static const struct {
  const char *name;
  unsigned int min_api;
} seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 2},
    {"SECCOMP_FILTER_FLAG_LOG", 3},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4},
};

static const char *const memory_policy_modes[] = {
    "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
};

static const char *const memory_policy_flags[] = {
    "MPOL_F_NUMA_BALANCING",
    "MPOL_F_RELATIVE_NODES",
    "MPOL_F_STATIC_NODES",
};

/* What husk implements, independent of the host. */
static const struct {
  bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
  bool seccomp, apparmor, selinux, intel_rdt, idmap_mounts, net_devices;
} support = {
    .cgroup_v1 = true, /* v1 and hybrid hosts: cgroup_v1.c */
    .cgroup_v2 = true,
    /* --systemd-cgroup: a transient scope over D-Bus (cgroup_systemd.c); the
     * user manager (rootless) is not supported. */
    .cgroup_systemd = true,
    .cgroup_systemd_user = false,
    .cgroup_rdma = true, /* rdma.max on both hierarchies */
    .seccomp = true,
    .apparmor = true, /* apparmorProfile is set for the execve (lsm.c) */
    /* selinuxLabel is set for the execve, but linux.mountLabel is not applied
     * to mounts yet: not claimed. */
    .selinux = false,
    .intel_rdt = false,
    .idmap_mounts = true,
    .net_devices = true, /* netdev.c */
};

static void gen_str(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_str_array(yajl_gen g, const char *key, const char *const *items, size_t len) {
  gen_str(g, key);
  yajl_gen_array_open(g);
  for (size_t i = 0; i < len; i++)
    gen_str(g, items[i]);
  yajl_gen_array_close(g);
}

static void gen_bool(yajl_gen g, const char *key, bool value) {
  gen_str(g, key);
  yajl_gen_bool(g, value);
}

static void gen_enabled(yajl_gen g, const char *key, bool enabled) {
  gen_str(g, key);
  yajl_gen_map_open(g);
  gen_bool(g, "enabled", enabled);
  yajl_gen_map_close(g);
}

/* Every capability libcap can name, "CAP_CHOWN" style. */
static void gen_capabilities(yajl_gen g) {
  gen_str(g, "capabilities");
  yajl_gen_array_open(g);
  for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++) {
    char *name = cap_to_name(cap);
    if (name == NULL)
      continue;
    if (strncmp(name, "cap_", 4) == 0) { /* unnamed ones come back as numbers */
      char upper[64];
      size_t i = 0;
      for (; name[i] != '\0' && i < sizeof(upper) - 1; i++)
        upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
      upper[i] = '\0';
      gen_str(g, upper);
    }
    cap_free(name);
  }
  yajl_gen_array_close(g);
}

static void gen_seccomp(yajl_gen g) {
  gen_str(g, "seccomp");
  yajl_gen_map_open(g);
  gen_bool(g, "enabled", support.seccomp);
  gen_str_array(g, "actions", seccomp_actions, ARRAY_LEN(seccomp_actions));
  gen_str_array(g, "operators", seccomp_operators, ARRAY_LEN(seccomp_operators));

  gen_str(g, "archs");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < ARRAY_LEN(seccomp_archs); i++) {
    if (seccomp_arch_resolve_name(seccomp_archs[i].libseccomp) != 0)
      gen_str(g, seccomp_archs[i].oci);
  }
  yajl_gen_array_close(g);

  gen_str(g, "knownFlags");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < ARRAY_LEN(seccomp_flags); i++)
    gen_str(g, seccomp_flags[i].name);
  yajl_gen_array_close(g);

  unsigned int api = seccomp_api_get();
  gen_str(g, "supportedFlags");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < ARRAY_LEN(seccomp_flags); i++) {
    if (api >= seccomp_flags[i].min_api)
      gen_str(g, seccomp_flags[i].name);
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
}

static void gen_linux(yajl_gen g) {
  gen_str(g, "linux");
  yajl_gen_map_open(g);
  gen_str_array(g, "namespaces", namespaces, ARRAY_LEN(namespaces));
  gen_capabilities(g);

  gen_str(g, "cgroup");
  yajl_gen_map_open(g);
  gen_bool(g, "v1", support.cgroup_v1);
  gen_bool(g, "v2", support.cgroup_v2);
  gen_bool(g, "systemd", support.cgroup_systemd);
  gen_bool(g, "systemdUser", support.cgroup_systemd_user);
  gen_bool(g, "rdma", support.cgroup_rdma);
  yajl_gen_map_close(g);

  gen_seccomp(g);
  gen_enabled(g, "apparmor", support.apparmor);
  gen_enabled(g, "selinux", support.selinux);
  gen_enabled(g, "intelRdt", support.intel_rdt);

  gen_str(g, "mountExtensions");
  yajl_gen_map_open(g);
  gen_enabled(g, "idmap", support.idmap_mounts);
  yajl_gen_map_close(g);

  gen_enabled(g, "netDevices", support.net_devices);

  gen_str(g, "memoryPolicy");
  yajl_gen_map_open(g);
  gen_str_array(g, "modes", memory_policy_modes, ARRAY_LEN(memory_policy_modes));
  gen_str_array(g, "flags", memory_policy_flags, ARRAY_LEN(memory_policy_flags));
  yajl_gen_map_close(g);

  yajl_gen_map_close(g);
}

char *husk_features_json(void) { return husk_features_json_checkpoint(NULL); }

char *husk_features_json_checkpoint(const struct husk_checkpoint_support *ck) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "    ");

  yajl_gen_map_open(g);
  gen_str(g, "ociVersionMin");
  gen_str(g, "1.0.0");
  gen_str(g, "ociVersionMax");
  gen_str(g, HUSK_OCI_VERSION);
  gen_str_array(g, "hooks", hooks, ARRAY_LEN(hooks));
  gen_str_array(g, "mountOptions", mount_options, ARRAY_LEN(mount_options));
  gen_linux(g);

  gen_str(g, "annotations");
  yajl_gen_map_open(g);
  if (ck) {
    gen_str(g, "io.github.husk-runtime.husk.checkpoint.criu");
    gen_str(g, ck->criu_version ? ck->criu_version : "");
    gen_str(g, "io.github.husk-runtime.husk.checkpoint.enabled");
    gen_str(g, ck->enabled ? "true" : "false");
    if (!ck->enabled) {
      gen_str(g, "io.github.husk-runtime.husk.checkpoint.missing");
      gen_str(g, ck->missing ? ck->missing : "");
    }
  }
  gen_str(g, "io.github.husk-runtime.husk.commit");
  gen_str(g, husk_commit());
  gen_str(g, "io.github.husk-runtime.husk.version");
  gen_str(g, husk_version());
  gen_str(g, "io.github.seccomp.libseccomp.version");
  gen_str(g, husk_libseccomp_version());
  if (ck) {
    /* runc's key: engines look for it */
    gen_str(g, "org.opencontainers.runc.checkpoint.enabled");
    gen_str(g, ck->enabled ? "true" : "false");
  }
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);

  const unsigned char *buf = NULL;
  size_t len = 0;
  yajl_gen_get_buf(g, &buf, &len);
  char *out = husk_xmalloc(len + 1);
  memcpy(out, buf, len);
  out[len] = '\0';
  yajl_gen_free(g);
  return out;
}
