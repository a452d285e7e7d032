/* Unit tests of the config.json parser and validator (spec.c,
 * spec_validate.c, json.c).
 *
 * - every good example of the runtime-spec schema tests parses and validates;
 * - the bad Linux examples fail, naming the field;
 * - tests/unit/corpus/NAME.json fails with exactly the message in NAME.err
 *   (process-json-*.json are read as exec process files);
 * - parsed values land in the right fields. */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "husk/spec.h"
#include "tap.h"
#include "util.h"

static const char *spec_dir;
static const char *corpus_dir;

static char *read_all(const char *path, size_t *len) {
  char *data = NULL;
  husk_error_t err = {0};
  if (husk_read_file(path, 1 << 24, &data, len, &err) < 0) {
    tap_diag("%s", err.msg);
    husk_error_clear(&err);
    return NULL;
  }
  return data;
}

static int parse_text(const char *json, struct husk_spec **spec, husk_error_t *err) {
  return husk_spec_parse(json, strlen(json), "config.json", spec, err);
}

/* Parse `json`, expect failure with exactly `expected`. */
static void expect_error(const char *json, const char *expected, const char *what) {
  struct husk_spec *spec = NULL;
  husk_error_t err = {0};
  int r = parse_text(json, &spec, &err);
  bool same = r < 0 && err.msg && strcmp(err.msg, expected) == 0;
  if (!tap_ok(same, "%s", what))
    tap_diag("expected: %s\n#      got: %s", expected, r < 0 ? err.msg : "(success)");
  husk_spec_free(spec);
  husk_error_clear(&err);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in `dir` ending in `suffix`. */
static char **list_dir(const char *dir, const char *suffix, size_t *count) {
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0, slen = strlen(suffix);
  *count = 0;
  if (d == NULL)
    return NULL;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len <= slen || strcmp(e->d_name + len - slen, suffix) != 0)
      continue;
    names = husk_xrealloc(names, (n + 1) * sizeof(*names));
    names[n++] = husk_xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof(*names), cmp_names);
  *count = n;
  return names;
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* ---- the schema's examples ------------------------------------------- */

static void test_good_examples(void) {
  _cleanup_free_ char *dir = husk_xasprintf("%s/schema/test/config/good", spec_dir);
  size_t n;
  char **names = list_dir(dir, ".json", &n);
  tap_ok(n >= 7, "found %zu good examples in %s", n, dir);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *path = husk_xasprintf("%s/%s", dir, names[i]);
    struct husk_spec *spec = NULL;
    husk_error_t err = {0};
    int r = husk_spec_load(path, &spec, &err);
    if (!tap_ok(r == 0, "good/%s parses", names[i]))
      tap_diag("%s", err.msg);
    if (r == 0) {
      r = husk_spec_validate(spec, "config.json", &err);
      if (!tap_ok(r == 0, "good/%s validates", names[i]))
        tap_diag("%s", err.msg);
    }
    husk_spec_free(spec);
    husk_error_clear(&err);
  }
  free_names(names, n);
}

static void test_bad_examples(void) {
  static const struct {
    const char *file;
    const char *error; /* NULL: parses, the section at fault is ignored */
  } cases[] = {
      {"invalid-json.json",
       "config.json: line 1: invalid JSON: parse error: invalid object key (must be a string)"},
      {"linux-hugepage.json",
       "config.json: linux.resources.hugepageLimits[0].pageSize: invalid page size \"64kB\" "
       "(expected e.g. \"64KB\", \"2MB\" or \"1GB\")"},
      {"linux-netdevice.json",
       "config.json: linux.netDevices.eth0.name: expected a string, got 23"},
      {"linux-rdma.json", "config.json: linux.resources.rdma.mlx5_1.hcaHandles: expected an "
                          "unsigned 32-bit integer, got \"not a uint32\""},
      /* freebsd is not Linux: ignored like any unknown section. */
      {"freebsd-vnet-disable.json", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    _cleanup_free_ char *path =
        husk_xasprintf("%s/schema/test/config/bad/%s", spec_dir, cases[i].file);
    size_t len = 0;
    _cleanup_free_ char *json = read_all(path, &len);
    if (!tap_ok(json != NULL, "read bad/%s", cases[i].file))
      continue;
    if (cases[i].error) {
      _cleanup_free_ char *what = husk_xasprintf("bad/%s is rejected", cases[i].file);
      expect_error(json, cases[i].error, what);
    } else {
      struct husk_spec *spec = NULL;
      husk_error_t err = {0};
      tap_ok(parse_text(json, &spec, &err) == 0, "bad/%s parses (non-Linux section ignored)",
             cases[i].file);
      husk_spec_free(spec);
      husk_error_clear(&err);
    }
  }
}

/* ---- the corpus ------------------------------------------------------- */

static void test_corpus(void) {
  size_t n;
  char **names = list_dir(corpus_dir, ".json", &n);
  tap_ok(n >= 50, "found %zu corpus cases in %s", n, corpus_dir);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *path = husk_xasprintf("%s/%s", corpus_dir, names[i]);
    _cleanup_free_ char *errpath = husk_xasprintf("%.*s.err", (int)(strlen(path) - 5), path);
    size_t len = 0, elen = 0;
    _cleanup_free_ char *json = read_all(path, &len);
    _cleanup_free_ char *expected = read_all(errpath, &elen);
    if (!tap_ok(json && expected, "corpus/%s has a .err", names[i]))
      continue;
    expected[strcspn(expected, "\n")] = '\0';
    husk_error_t err = {0};
    int r;
    if (strncmp(names[i], "process-json-", 13) == 0) {
      struct husk_process *p = NULL;
      r = husk_process_parse(json, len, "process.json", &p, &err);
      husk_process_free(p);
    } else {
      struct husk_spec *spec = NULL;
      r = husk_spec_parse(json, len, "config.json", &spec, &err);
      husk_spec_free(spec);
    }
    bool same = r < 0 && err.msg && strcmp(err.msg, expected) == 0;
    if (!tap_ok(same, "corpus/%s", names[i]))
      tap_diag("expected: %s\n#      got: %s", expected, r < 0 ? err.msg : "(success)");
    husk_error_clear(&err);
  }
  free_names(names, n);
}

/* ---- values land where they belong ------------------------------------ */

static void test_spec_example(void) {
  _cleanup_free_ char *path =
      husk_xasprintf("%s/schema/test/config/good/spec-example.json", spec_dir);
  struct husk_spec *s = NULL;
  husk_error_t err = {0};
  if (!tap_ok(husk_spec_load(path, &s, &err) == 0, "spec-example.json loads")) {
    tap_diag("%s", err.msg);
    husk_error_clear(&err);
    return;
  }
  tap_ok(strcmp(s->oci_version, "0.5.0-dev") == 0, "ociVersion");
  tap_ok(s->has_root && strcmp(s->root.path, "rootfs") == 0 && s->root.readonly, "root");
  tap_ok(strcmp(s->hostname, "slartibartfast") == 0 && strcmp(s->domainname, "foobarbaz.test") == 0,
         "hostname, domainname");
  const struct husk_process *p = &s->process;
  tap_ok(s->has_process && p->terminal && p->user.uid == 1 && p->user.gid == 1 &&
             p->user.additional_gids_len == 2 && p->user.additional_gids[1] == 6,
         "process.terminal, process.user");
  tap_ok(p->args.len == 1 && strcmp(p->args.items[0], "sh") == 0 && p->env.len == 2 &&
             strcmp(p->env.items[1], "TERM=xterm") == 0 && strcmp(p->cwd, "/") == 0,
         "process.args, env, cwd");
  tap_ok(p->has_capabilities && p->capabilities.has_bounding && p->capabilities.bounding.len == 3 &&
             strcmp(p->capabilities.effective.items[1], "CAP_KILL") == 0 &&
             p->capabilities.ambient.len == 1,
         "process.capabilities");
  tap_ok(p->rlimits_len == 2 && p->rlimits[0].resource == RLIMIT_CORE &&
             p->rlimits[1].resource == RLIMIT_NOFILE && p->rlimits[1].soft == 1024 &&
             strcmp(p->rlimits[1].type, "RLIMIT_NOFILE") == 0,
         "process.rlimits");
  tap_ok(p->no_new_privileges && strcmp(p->apparmor_profile, "acme_secure_profile") == 0 &&
             strncmp(p->selinux_label, "system_u:system_r", 17) == 0 && !p->has_oom_score_adj,
         "process.noNewPrivileges, apparmorProfile, selinuxLabel; oomScoreAdj unset");
  tap_ok(s->mounts_len == 7 && strcmp(s->mounts[1].destination, "/dev") == 0 &&
             strcmp(s->mounts[1].type, "tmpfs") == 0 && s->mounts[1].options.len == 4 &&
             strcmp(s->mounts[1].options.items[3], "size=65536k") == 0,
         "mounts");
  const struct husk_hooks *h = &s->hooks;
  tap_ok(s->has_hooks && h->prestart_len == 2 && h->prestart[0].args.len == 3 &&
             strcmp(h->prestart[1].path, "/usr/bin/setup-network") == 0 &&
             h->create_runtime_len == 2 && h->create_container_len == 1 &&
             h->start_container_len == 1 && h->poststart_len == 1 && h->poststart[0].has_timeout &&
             h->poststart[0].timeout == 5 && !h->prestart[0].has_timeout && h->poststop_len == 1,
         "hooks");
  const struct husk_linux *l = &s->linux_;
  tap_ok(l->devices_len == 2 && l->devices[0].type == 'c' && l->devices[0].major == 10 &&
             l->devices[0].minor == 229 && l->devices[0].has_file_mode &&
             l->devices[0].file_mode == 0666 && l->devices[1].type == 'b',
         "linux.devices");
  tap_ok(l->uid_mappings_len == 1 && l->uid_mappings[0].host_id == 1000 &&
             l->uid_mappings[0].size == 32000 && l->gid_mappings_len == 1,
         "linux.uidMappings, gidMappings");
  tap_ok(l->sysctl_len == 2 && strcmp(l->sysctl[0].key, "net.ipv4.ip_forward") == 0 &&
             strcmp(l->sysctl[1].value, "256") == 0,
         "linux.sysctl keeps order");
  tap_ok(strcmp(l->cgroups_path, "/myRuntime/myContainer") == 0, "linux.cgroupsPath");
  const struct husk_resources *r = &l->resources;
  tap_ok(l->has_resources && r->has_network && r->network.class_id == 1048577 &&
             r->network.priorities_len == 2 && r->network.priorities[1].priority == 1000,
         "resources.network");
  tap_ok(r->has_pids && r->pids_limit == 32771, "resources.pids");
  tap_ok(r->hugepage_limits_len == 2 && strcmp(r->hugepage_limits[0].page_size, "2MB") == 0 &&
             r->hugepage_limits[0].limit == UINT64_C(9223372036854772000),
         "resources.hugepageLimits");
  tap_ok(r->has_memory && r->memory.limit == 536870912 && r->memory.kernel == -1 &&
             r->memory.has_swappiness && r->memory.swappiness == 0 &&
             r->memory.has_disable_oom_killer && !r->memory.disable_oom_killer,
         "resources.memory");
  tap_ok(r->has_cpu && r->cpu.shares == 1024 && r->cpu.quota == 1000000 &&
             r->cpu.burst == 1000000 && r->cpu.realtime_runtime == 950000 &&
             strcmp(r->cpu.cpus, "2-3") == 0 && strcmp(r->cpu.mems, "0-7") == 0 && !r->cpu.has_idle,
         "resources.cpu");
  tap_ok(r->devices_len == 3 && !r->devices[0].allow && r->devices[0].type == 'a' &&
             !r->devices[0].has_major && r->devices[1].type == 'c' && r->devices[1].major == 10 &&
             strcmp(r->devices[2].access, "r") == 0,
         "resources.devices");
  tap_ok(r->has_block_io && r->block_io.weight == 10 && r->block_io.weight_device_len == 2 &&
             r->block_io.weight_device[0].leaf_weight == 300 &&
             !r->block_io.weight_device[1].has_leaf_weight &&
             r->block_io.throttle_read_bps_device_len == 1 &&
             r->block_io.throttle_read_bps_device[0].rate == 600 &&
             r->block_io.throttle_write_iops_device_len == 1 &&
             r->block_io.throttle_write_iops_device[0].minor == 16,
         "resources.blockIO");
  tap_ok(strcmp(l->rootfs_propagation, "slave") == 0 && l->rootfs_propagation_flags == MS_SLAVE,
         "linux.rootfsPropagation");
  tap_ok(l->has_seccomp && l->seccomp.default_action == HUSK_SCMP_ACT_ALLOW &&
             l->seccomp.architectures.len == 2 && l->seccomp.syscalls_len == 1 &&
             l->seccomp.syscalls[0].names.len == 2 &&
             l->seccomp.syscalls[0].action == HUSK_SCMP_ACT_ERRNO &&
             !l->seccomp.syscalls[0].has_errno_ret,
         "linux.seccomp");
  tap_ok(l->time_offset_monotonic.set && l->time_offset_monotonic.secs == 172800 &&
             l->time_offset_boottime.set && l->time_offset_boottime.secs == 604800,
         "linux.timeOffsets");
  tap_ok(l->namespaces_len == 8 && l->namespaces[0].type == HUSK_NS_PID &&
             l->namespaces[7].type == HUSK_NS_TIME && l->namespaces[5].path == NULL,
         "linux.namespaces");
  tap_ok(husk_spec_find_ns(s, HUSK_NS_USER) == &l->namespaces[5], "husk_spec_find_ns");
  tap_ok(l->has_masked_paths && l->masked_paths.len == 4 && l->readonly_paths.len == 6 &&
             strncmp(l->mount_label, "system_u:object_r", 17) == 0,
         "linux.maskedPaths, readonlyPaths, mountLabel");
  tap_ok(s->annotations_len == 2 && strcmp(s->annotations[1].key, "com.example.key2") == 0,
         "annotations");
  tap_ok(husk_spec_validate_for_create(s, "config.json", &err) == 0,
         "spec-example.json is fit for create");
  husk_spec_free(s);
  husk_error_clear(&err);
}

/* The parts of the spec that spec-example.json leaves out. */
static const char full_config[] =
    "{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"/var/lib/rootfs\"},\n"
    " \"mounts\": [{\"destination\": \"data\", \"source\": \"/srv\", \"type\": \"none\",\n"
    "   \"options\": [\"rbind\", \"ridmap\"],\n"
    "   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
    "   \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}]}],\n"
    " \"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"terminal\": true,\n"
    "   \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
    "   \"user\": {\"uid\": 4294967294, \"gid\": 0, \"umask\": 18, \"username\": \"x\"},\n"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 18446744073709551615,\n"
    "                \"hard\": 18446744073709551615}],\n"
    "   \"oomScoreAdj\": -1000,\n"
    "   \"capabilities\": {\"bounding\": []},\n"
    "   \"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"nice\": -20, \"priority\": 0,\n"
    "     \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\", \"SCHED_FLAG_RECLAIM\"],\n"
    "     \"runtime\": 10000000, \"deadline\": 20000000, \"period\": 30000000},\n"
    "   \"ioPriority\": {\"class\": \"IOPRIO_CLASS_IDLE\", \"priority\": 7},\n"
    "   \"execCPUAffinity\": {\"initial\": \"0-3,7\", \"final\": \"4\"},\n"
    "   \"someFutureField\": {\"ignored\": [1, 2, 3]}},\n"
    " \"hooks\": {\"createContainer\": [{\"path\": \"/bin/hook\", \"timeout\": 9}]},\n"
    " \"linux\": {\n"
    "   \"namespaces\": [{\"type\": \"user\"}, {\"type\": \"network\", \"path\": "
    "\"/run/netns/a\"}],\n"
    "   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],\n"
    "   \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],\n"
    "   \"timeOffsets\": {\"boottime\": {\"secs\": -5, \"nanosecs\": 999999999}},\n"
    "   \"netDevices\": {\"eth0\": {\"name\": \"ctr%d\"}, \"ens4\": {}},\n"
    "   \"devices\": [{\"path\": \"/dev/fifo\", \"type\": \"p\"}],\n"
    "   \"resources\": {\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}},\n"
    "     \"unified\": {\"memory.high\": \"1G\"}, \"pids\": {\"limit\": -1},\n"
    "     \"memory\": {\"limit\": 9223372036854775807, \"swap\": -9223372036854775808},\n"
    "     \"cpu\": {\"idle\": 1}},\n"
    "   \"rootfsPropagation\": \"rslave\",\n"
    "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,\n"
    "     \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"listenerPath\": \"/run/agent.sock\",\n"
    "     \"listenerMetadata\": \"m\",\n"
    "     \"syscalls\": [{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_NOTIFY\",\n"
    "       \"args\": [{\"index\": 5, \"value\": 18446744073709551615, \"valueTwo\": 1,\n"
    "                 \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]},\n"
    "   \"intelRdt\": {\"closID\": \"guaranteed_group\", \"schemata\": [\"L3:0=7f0\"],\n"
    "     \"l3CacheSchema\": \"L3:0=ff\", \"memBwSchema\": \"MB:0=20\", \"enableMonitoring\": "
    "true},\n"
    "   \"memoryPolicy\": {\"mode\": \"MPOL_INTERLEAVE\", \"nodes\": \"0-3,7\",\n"
    "     \"flags\": [\"MPOL_F_STATIC_NODES\"]},\n"
    "   \"personality\": {\"domain\": \"LINUX32\"},\n"
    "   \"sysctl\": null},\n"
    " \"windows\": {\"layerFolders\": 5},\n"
    " \"annotations\": {}}\n";

static void test_full_config(void) {
  struct husk_spec *s = NULL;
  husk_error_t err = {0};
  if (!tap_ok(parse_text(full_config, &s, &err) == 0, "full config parses")) {
    tap_diag("%s", err.msg);
    husk_error_clear(&err);
    return;
  }
  const struct husk_mount *m = &s->mounts[0];
  tap_ok(s->mounts_len == 1 && strcmp(m->destination, "data") == 0 && m->uid_mappings_len == 1 &&
             m->uid_mappings[0].host_id == 100000 && m->uid_mappings[0].size == 65536 &&
             m->gid_mappings_len == 1 && m->gid_mappings[0].host_id == 200000,
         "mount with uidMappings/gidMappings, relative destination allowed");
  const struct husk_process *p = &s->process;
  tap_ok(p->has_console_size && p->console_size.height == 24 && p->console_size.width == 80,
         "process.consoleSize");
  tap_ok(p->user.uid == UINT32_MAX - 1 && p->user.has_umask && p->user.umask == 18 &&
             strcmp(p->user.username, "x") == 0,
         "process.user at the uint32 edge, umask");
  tap_ok(p->rlimits[0].soft == UINT64_MAX && p->rlimits[0].hard == UINT64_MAX,
         "uint64 max rlimits");
  tap_ok(p->has_oom_score_adj && p->oom_score_adj == -1000, "oomScoreAdj -1000");
  tap_ok(p->has_capabilities && p->capabilities.has_bounding && p->capabilities.bounding.len == 0 &&
             !p->capabilities.has_effective,
         "an empty capability set differs from an absent one");
  const struct husk_scheduler *sc = &p->scheduler;
  tap_ok(p->has_scheduler && sc->policy == SCHED_DEADLINE &&
             strcmp(sc->policy_name, "SCHED_DEADLINE") == 0 && sc->has_nice && sc->nice == -20 &&
             sc->has_priority && sc->flags == 0x3 && sc->runtime == 10000000 &&
             sc->deadline == 20000000 && sc->has_period && sc->period == 30000000,
         "process.scheduler");
  tap_ok(p->has_io_priority && p->io_priority.class_ == 3 && p->io_priority.priority == 7,
         "process.ioPriority");
  tap_ok(p->has_exec_cpu_affinity && strcmp(p->exec_cpu_affinity.initial, "0-3,7") == 0 &&
             strcmp(p->exec_cpu_affinity.final, "4") == 0,
         "process.execCPUAffinity");
  tap_ok(s->hooks.create_container_len == 1 && s->hooks.create_container[0].timeout == 9 &&
             s->hooks.prestart_len == 0,
         "hooks.createContainer");
  const struct husk_linux *l = &s->linux_;
  tap_ok(l->namespaces_len == 2 && l->namespaces[1].type == HUSK_NS_NETWORK &&
             strcmp(l->namespaces[1].path, "/run/netns/a") == 0,
         "namespace with a path");
  tap_ok(l->time_offset_boottime.set && l->time_offset_boottime.secs == -5 &&
             l->time_offset_boottime.nanosecs == 999999999 && !l->time_offset_monotonic.set,
         "linux.timeOffsets");
  tap_ok(l->net_devices_len == 2 && strcmp(l->net_devices[0].host_name, "eth0") == 0 &&
             strcmp(l->net_devices[0].name, "ctr%d") == 0 && l->net_devices[1].name == NULL,
         "linux.netDevices");
  tap_ok(l->devices_len == 1 && l->devices[0].type == 'p', "fifo device without numbers");
  const struct husk_resources *r = &l->resources;
  tap_ok(r->rdma_len == 1 && strcmp(r->rdma[0].device, "mlx5_1") == 0 &&
             r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3 &&
             !r->rdma[0].has_hca_objects,
         "resources.rdma");
  tap_ok(r->unified_len == 1 && strcmp(r->unified[0].value, "1G") == 0 && r->pids_limit == -1,
         "resources.unified, pids -1");
  tap_ok(r->memory.limit == INT64_MAX && r->memory.swap == INT64_MIN && r->cpu.has_idle &&
             r->cpu.idle == 1,
         "int64 edges, cpu.idle");
  tap_ok(l->rootfs_propagation_flags == (MS_REC | MS_SLAVE), "rslave is recursive");
  const struct husk_seccomp *sec = &l->seccomp;
  tap_ok(sec->default_action == HUSK_SCMP_ACT_ERRNO && sec->has_default_errno_ret &&
             sec->default_errno_ret == 38 && sec->flags.len == 1 &&
             strcmp(sec->listener_path, "/run/agent.sock") == 0 &&
             sec->syscalls[0].action == HUSK_SCMP_ACT_NOTIFY &&
             sec->syscalls[0].args[0].index == 5 && sec->syscalls[0].args[0].value == UINT64_MAX &&
             sec->syscalls[0].args[0].value_two == 1 &&
             sec->syscalls[0].args[0].op == 7 /* SCMP_CMP_MASKED_EQ */,
         "linux.seccomp with notify and args");
  tap_ok(l->has_intel_rdt && strcmp(l->intel_rdt.clos_id, "guaranteed_group") == 0 &&
             l->intel_rdt.schemata.len == 1 && strcmp(l->intel_rdt.mem_bw_schema, "MB:0=20") == 0 &&
             l->intel_rdt.enable_monitoring,
         "linux.intelRdt");
  tap_ok(l->has_memory_policy && l->memory_policy.mode == 3 &&
             strcmp(l->memory_policy.nodes, "0-3,7") == 0 && l->memory_policy.flags == (1u << 15),
         "linux.memoryPolicy");
  tap_ok(l->has_personality && strcmp(l->personality.domain, "LINUX32") == 0 &&
             l->personality.persona == PER_LINUX32,
         "linux.personality");
  tap_ok(l->sysctl_len == 0 && l->sysctl == NULL, "null counts as absent");
  husk_spec_free(s);
  husk_error_clear(&err);
}

/* ---- smaller behaviours ----------------------------------------------- */

static void test_numbers_and_syntax(void) {
  expect_error("{\"ociVersion\": \"1.3.0\",\n \"process\": {\"cwd\": \"/\",\n"
               "  \"user\": {\"uid\": -1}}}",
               "config.json: process.user.uid: expected an unsigned 32-bit integer, got -1",
               "uid -1 is rejected");
  expect_error("{\"ociVersion\": \"1.3.0\",\n \"process\": {\"cwd\": \"/\",\n"
               "  \"rlimits\": [{\"type\": \"RLIMIT_CPU\", \"soft\": 1e3, \"hard\": 1}]}}",
               "config.json: process.rlimits[0].soft: expected an unsigned 64-bit integer, got 1e3",
               "exponent notation is not an integer");
  expect_error("{\n  \"ociVersion\": \"1.3.0\",\n  \"root\": {\"path\": \"r\"}]\n}",
               "config.json: line 3: invalid JSON: parse error: after key and value, inside "
               "map, I expect ',' or '}'",
               "syntax errors name the line");
  expect_error("", "config.json: line 1: invalid JSON: parse error: premature EOF", "empty input");
  expect_error("{\"ociVersion\": \"1.3.0\", \"ociVersion\": \"1.0\"}",
               "config.json: ociVersion: \"1.0\" is not a SemVer 2.0.0 version",
               "the last of repeated keys wins");
  expect_error("{\"ociVersion\": \"1.3.0\", \"hostname\": \"x\", \"annotations\": {\"a\": "
               "\"0123456789012345678901234567890123456789012345678901234567890123456789\", "
               "\"b\": true}}",
               "config.json: annotations.b: expected a string, got true", "map values");
  expect_error("{\"ociVersion\": \"1.3.0\", \"hostname\": "
               "\"0123456789012345678901234567890123456789012345678901234567890123456789\\n\", "
               "\"linux\": {\"sysctl\": {\"a\\n\": 5}}}",
               "config.json: linux.sysctl[\"a\\n\"]: expected a string, got 5",
               "odd keys are quoted and escaped");
  expect_error("{\"ociVersion\": \"1.3.0\", \"mounts\": [{\"destination\": "
               "\"0123456789012345678901234567890123456789012345678901234567890123456789\", "
               "\"options\": [\"bind\"]}]}",
               "config.json: mounts[0].source: required for a bind mount",
               "long values do not matter when not shown");
  expect_error("{\"ociVersion\": \"1.3.0\", \"hostname\": "
               "\"0123456789012345678901234567890123456789012345678901234567890123456789\", "
               "\"domainname\": \"0123456789012345678901234567890123456789012345678901234567"
               "890123456789\", \"linux\": {\"maskedPaths\": [\"012345678901234567890123456789"
               "0123456789012345678901234567890123456789\"]}}",
               "config.json: linux.maskedPaths[0]: must be an absolute path, got "
               "\"0123456789012345678901234567890123456789012345678901234567890123...\"",
               "long values are shortened");
}

static void test_semver(void) {
  static const char *good[] = {
      "1.0.0", "0.5.0-dev", "1.0.0-rc.1", "1.2.3+build.5", "1.0.0-alpha-a.b-c+001", "10.20.30"};
  static const char *bad[] = {"1",      "1.0",    "01.0.0", "1.0.0-", "1.0.0-01",
                              "1.0.0+", "v1.0.0", "1.0.0 ", "1..0",   ""};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    _cleanup_free_ char *json = husk_xasprintf("{\"ociVersion\": \"%s\"}", good[i]);
    struct husk_spec *s = NULL;
    husk_error_t err = {0};
    tap_ok(parse_text(json, &s, &err) == 0, "SemVer %s accepted", good[i]);
    husk_spec_free(s);
    husk_error_clear(&err);
  }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    _cleanup_free_ char *json = husk_xasprintf("{\"ociVersion\": \"%s\"}", bad[i]);
    _cleanup_free_ char *msg =
        husk_xasprintf("config.json: ociVersion: \"%s\" is not a SemVer 2.0.0 version", bad[i]);
    _cleanup_free_ char *what = husk_xasprintf("SemVer \"%s\" rejected", bad[i]);
    expect_error(json, msg, what);
  }
}

static void test_for_create(void) {
  static const struct {
    const char *json;
    const char *error;
  } cases[] = {
      {"{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}}",
       "config.json: process: required field missing"},
      {"{\"ociVersion\": \"1.0.0\", \"process\": {\"cwd\": \"/\", \"args\": [\"sh\"]}}",
       "config.json: root: required field missing"},
      {"{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"},"
       " \"process\": {\"cwd\": \"/\"}}",
       "config.json: process.args: must not be empty"},
      {"{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"},"
       " \"process\": {\"cwd\": \"/\", \"args\": [\"sh\"]}}",
       NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct husk_spec *s = NULL;
    husk_error_t err = {0};
    if (!tap_ok(parse_text(cases[i].json, &s, &err) == 0, "for_create case %zu parses", i)) {
      husk_error_clear(&err);
      continue;
    }
    int r = husk_spec_validate_for_create(s, "config.json", &err);
    if (cases[i].error)
      tap_ok(r < 0 && strcmp(err.msg, cases[i].error) == 0, "for_create: %s", cases[i].error);
    else
      tap_ok(r == 0, "for_create accepts a complete config");
    husk_spec_free(s);
    husk_error_clear(&err);
  }
}

static void test_process_parse(void) {
  static const char json[] =
      "{\"terminal\": false, \"user\": {\"uid\": 1000, \"gid\": 100, \"additionalGids\": [10]},"
      " \"args\": [\"/bin/ls\", \"-l\"], \"env\": [\"A=1\"], \"cwd\": \"/tmp\","
      " \"capabilities\": {\"effective\": [\"CAP_NET_RAW\"]}, \"noNewPrivileges\": true,"
      " \"rlimits\": [{\"type\": \"RLIMIT_NPROC\", \"soft\": 10, \"hard\": 20}],"
      " \"apparmorProfile\": \"p\", \"selinuxLabel\": \"l\", \"oomScoreAdj\": 5}";
  struct husk_process *p = NULL;
  husk_error_t err = {0};
  int r = husk_process_parse(json, strlen(json), "process.json", &p, &err);
  if (!tap_ok(r == 0, "husk_process_parse accepts a process.json"))
    tap_diag("%s", err.msg);
  if (r == 0) {
    tap_ok(p->user.uid == 1000 && p->user.gid == 100 && p->user.additional_gids_len == 1 &&
               p->args.len == 2 && strcmp(p->args.items[1], "-l") == 0 &&
               strcmp(p->cwd, "/tmp") == 0 && p->capabilities.has_effective &&
               !p->capabilities.has_bounding && p->no_new_privileges &&
               p->rlimits[0].resource == RLIMIT_NPROC && p->rlimits[0].hard == 20 &&
               p->has_oom_score_adj && p->oom_score_adj == 5,
           "process.json values");
  }
  husk_process_free(p);
  husk_error_clear(&err);

  p = NULL;
  r = husk_process_parse("{\"cwd\": \"/\"", 11, "process.json", &p, &err);
  tap_ok(r < 0 && p == NULL &&
             strcmp(err.msg, "process.json: line 1: invalid JSON: parse error: premature EOF") == 0,
         "process.json syntax error");
  husk_error_clear(&err);
}

static void test_load_errors(void) {
  struct husk_spec *s = NULL;
  husk_error_t err = {0};
  tap_ok(husk_spec_load("/nonexistent/config.json", &s, &err) < 0 && s == NULL && err.msg,
         "a missing file fails: %s", err.msg ? err.msg : "");
  husk_error_clear(&err);
}

static void test_ns_helpers(void) {
  tap_ok(strcmp(husk_ns_type_name(HUSK_NS_NETWORK), "network") == 0 &&
             strcmp(husk_ns_type_name(HUSK_NS_MOUNT), "mount") == 0 &&
             husk_ns_type_name(HUSK_NS_COUNT) == NULL,
         "husk_ns_type_name");
  tap_ok(husk_ns_clone_flag(HUSK_NS_MOUNT) == CLONE_NEWNS &&
             husk_ns_clone_flag(HUSK_NS_USER) == CLONE_NEWUSER &&
             husk_ns_clone_flag(HUSK_NS_TIME) == 0x80 &&
             husk_ns_clone_flag(HUSK_NS_CGROUP) == CLONE_NEWCGROUP,
         "husk_ns_clone_flag");
  struct husk_spec empty = {0};
  tap_ok(husk_spec_find_ns(&empty, HUSK_NS_PID) == NULL, "husk_spec_find_ns on no namespaces");
}

int main(void) {
  spec_dir = getenv("HUSK_SPEC_DIR");
  if (spec_dir == NULL)
    spec_dir = "../shared/reference/runtime-spec";
  const char *top = getenv("top_srcdir");
  _cleanup_free_ char *corpus = husk_xasprintf("%s/tests/unit/corpus", top ? top : ".");
  corpus_dir = corpus;

  test_good_examples();
  test_bad_examples();
  test_corpus();
  test_spec_example();
  test_full_config();
  test_numbers_and_syntax();
  test_semver();
  test_for_create();
  test_process_parse();
  test_load_errors();
  test_ns_helpers();
  return tap_done();
}
