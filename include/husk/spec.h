/* husk — the OCI runtime spec (v1.3.0) as plain C structs.
 *
 * Every field of config.md and config-linux.md has a place here.  Optional
 * scalars carry a `has_<name>` flag so that "unset" and "zero" differ (the
 * spec gives them different meanings, e.g. oomScoreAdj).  Strings are NULL
 * when absent.  Arrays are (pointer, count).  husk_spec_free() releases all. */
#ifndef HUSK_SPEC_H
#define HUSK_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "husk/error.h"

#define HUSK_OCI_VERSION "1.3.0"

/* A string→string map keeping the file's order (annotations, sysctl, unified). */
struct husk_kv {
  char *key;
  char *value;
};

struct husk_strv {
  char **items;
  size_t len;
};

struct husk_id_mapping {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct husk_hook {
  char *path;
  struct husk_strv args;
  struct husk_strv env;
  bool has_env; /* absent: the hook gets the runtime's environment (runc, crun) */
  bool has_timeout;
  int64_t timeout; /* seconds, > 0 */
};

struct husk_hooks {
  struct husk_hook *prestart;
  size_t prestart_len;
  struct husk_hook *create_runtime;
  size_t create_runtime_len;
  struct husk_hook *create_container;
  size_t create_container_len;
  struct husk_hook *start_container;
  size_t start_container_len;
  struct husk_hook *poststart;
  size_t poststart_len;
  struct husk_hook *poststop;
  size_t poststop_len;
};

struct husk_mount {
  char *destination;
  char *source;
  char *type;
  struct husk_strv options;
  struct husk_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct husk_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct husk_rlimit {
  int resource; /* RLIMIT_* value resolved from the name */
  char *type;   /* the name as written, e.g. "RLIMIT_NOFILE" */
  uint64_t soft;
  uint64_t hard;
};

struct husk_capabilities {
  /* Each set as names ("CAP_CHOWN").  has_<set> distinguishes an absent set
   * (leave as is) from an empty one (drop all). */
  bool has_bounding, has_effective, has_inheritable, has_permitted, has_ambient;
  struct husk_strv bounding;
  struct husk_strv effective;
  struct husk_strv inheritable;
  struct husk_strv permitted;
  struct husk_strv ambient;
};

struct husk_user {
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* Windows only; kept, unused on Linux */
};

struct husk_console_size {
  uint64_t height;
  uint64_t width;
};

struct husk_io_priority {
  int class_; /* IOPRIO_CLASS_RT=1, BE=2, IDLE=3 */
  int32_t priority;
};

struct husk_scheduler {
  int policy; /* SCHED_* value */
  char *policy_name;
  bool has_nice, has_priority;
  int32_t nice;
  int32_t priority;
  uint64_t flags; /* SCHED_FLAG_* bits */
  bool has_runtime, has_deadline, has_period;
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
};

struct husk_exec_cpu_affinity {
  char *initial;
  char *final;
};

struct husk_process {
  bool terminal;
  bool has_console_size;
  struct husk_console_size console_size;
  struct husk_user user;
  struct husk_strv args;
  char *command_line; /* Windows only */
  struct husk_strv env;
  char *cwd;
  bool has_capabilities;
  struct husk_capabilities capabilities;
  struct husk_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  bool has_io_priority;
  struct husk_io_priority io_priority;
  bool has_scheduler;
  struct husk_scheduler scheduler;
  bool has_exec_cpu_affinity;
  struct husk_exec_cpu_affinity exec_cpu_affinity;
};

struct husk_root {
  char *path;
  bool readonly;
};

enum husk_ns_type {
  HUSK_NS_MOUNT,
  HUSK_NS_PID,
  HUSK_NS_NETWORK,
  HUSK_NS_UTS,
  HUSK_NS_IPC,
  HUSK_NS_USER,
  HUSK_NS_CGROUP,
  HUSK_NS_TIME,
  HUSK_NS_COUNT
};

struct husk_namespace {
  enum husk_ns_type type;
  char *path; /* NULL: create a new namespace; else join this one */
};

struct husk_device {
  char type; /* 'c', 'b', 'u' or 'p' */
  char *path;
  bool has_file_mode, has_uid, has_gid;
  uint32_t file_mode;
  int64_t major;
  int64_t minor;
  uint32_t uid;
  uint32_t gid;
};

struct husk_net_device {
  char *host_name; /* the key in linux.netDevices */
  char *name;      /* the name inside the container, NULL: same as host_name */
};

struct husk_device_cgroup {
  bool allow;
  char type; /* 'a', 'c' or 'b'; 'a' when absent */
  bool has_major, has_minor;
  int64_t major; /* -1 or absent: any */
  int64_t minor;
  char *access; /* subset of "rwm", NULL: "rwm" */
};

struct husk_memory {
  bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp;
  bool has_swappiness, has_disable_oom_killer, has_use_hierarchy, has_check_before_update;
  int64_t limit;
  int64_t reservation;
  int64_t swap;
  int64_t kernel;
  int64_t kernel_tcp;
  uint64_t swappiness;
  bool disable_oom_killer;
  bool use_hierarchy;
  bool check_before_update;
};

struct husk_cpu {
  bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime;
  bool has_realtime_period, has_idle;
  uint64_t shares;
  int64_t quota;
  uint64_t burst;
  uint64_t period;
  int64_t realtime_runtime;
  uint64_t realtime_period;
  char *cpus;
  char *mems;
  int64_t idle;
};

struct husk_block_io_device_weight {
  int64_t major;
  int64_t minor;
  bool has_weight, has_leaf_weight;
  uint16_t weight;
  uint16_t leaf_weight;
};

struct husk_block_io_device_throttle {
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct husk_block_io {
  bool has_weight, has_leaf_weight;
  uint16_t weight;
  uint16_t leaf_weight;
  struct husk_block_io_device_weight *weight_device;
  size_t weight_device_len;
  struct husk_block_io_device_throttle *throttle_read_bps_device;
  size_t throttle_read_bps_device_len;
  struct husk_block_io_device_throttle *throttle_write_bps_device;
  size_t throttle_write_bps_device_len;
  struct husk_block_io_device_throttle *throttle_read_iops_device;
  size_t throttle_read_iops_device_len;
  struct husk_block_io_device_throttle *throttle_write_iops_device;
  size_t throttle_write_iops_device_len;
};

struct husk_hugepage_limit {
  char *page_size; /* "2MB", "1GB", ... */
  uint64_t limit;
};

struct husk_net_priority {
  char *name;
  uint32_t priority;
};

struct husk_network {
  bool has_class_id;
  uint32_t class_id;
  struct husk_net_priority *priorities;
  size_t priorities_len;
};

struct husk_rdma {
  char *device; /* the key in resources.rdma */
  bool has_hca_handles, has_hca_objects;
  uint32_t hca_handles;
  uint32_t hca_objects;
};

struct husk_resources {
  struct husk_device_cgroup *devices;
  size_t devices_len;
  bool has_memory;
  struct husk_memory memory;
  bool has_cpu;
  struct husk_cpu cpu;
  bool has_pids;
  int64_t pids_limit;
  bool has_block_io;
  struct husk_block_io block_io;
  struct husk_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  bool has_network;
  struct husk_network network;
  struct husk_rdma *rdma;
  size_t rdma_len;
  struct husk_kv *unified;
  size_t unified_len;
};

struct husk_seccomp_arg {
  uint32_t index;
  uint64_t value;
  uint64_t value_two;
  int op; /* enum scmp_compare value (SCMP_CMP_NE=1 … SCMP_CMP_MASKED_EQ=7) */
};

/* Seccomp actions as named by the spec; mapped to libseccomp in seccomp.c. */
enum husk_seccomp_action {
  HUSK_SCMP_ACT_KILL,
  HUSK_SCMP_ACT_KILL_PROCESS,
  HUSK_SCMP_ACT_KILL_THREAD,
  HUSK_SCMP_ACT_TRAP,
  HUSK_SCMP_ACT_ERRNO,
  HUSK_SCMP_ACT_TRACE,
  HUSK_SCMP_ACT_ALLOW,
  HUSK_SCMP_ACT_LOG,
  HUSK_SCMP_ACT_NOTIFY,
};

struct husk_seccomp_syscall {
  struct husk_strv names;
  enum husk_seccomp_action action;
  bool has_errno_ret;
  uint32_t errno_ret;
  struct husk_seccomp_arg *args;
  size_t args_len;
};

struct husk_seccomp {
  enum husk_seccomp_action default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  struct husk_strv architectures; /* "SCMP_ARCH_X86_64", ... */
  struct husk_strv flags;         /* "SECCOMP_FILTER_FLAG_*" */
  char *listener_path;
  char *listener_metadata;
  struct husk_seccomp_syscall *syscalls;
  size_t syscalls_len;
};

struct husk_intel_rdt {
  char *clos_id;
  struct husk_strv schemata;
  char *l3_cache_schema;
  char *mem_bw_schema;
  bool enable_monitoring;
};

struct husk_memory_policy {
  int mode; /* MPOL_* value */
  char *nodes;
  unsigned flags; /* MPOL_F_* bits */
};

struct husk_personality {
  char *domain;          /* "LINUX" or "LINUX32" */
  unsigned long persona; /* PER_LINUX or PER_LINUX32 */
  struct husk_strv flags;
};

struct husk_time_offset {
  bool set;
  int64_t secs;
  uint32_t nanosecs;
};

struct husk_linux {
  struct husk_namespace *namespaces;
  size_t namespaces_len;
  struct husk_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct husk_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct husk_time_offset time_offset_boottime;
  struct husk_time_offset time_offset_monotonic;
  struct husk_device *devices;
  size_t devices_len;
  struct husk_net_device *net_devices;
  size_t net_devices_len;
  char *cgroups_path;
  bool has_resources;
  struct husk_resources resources;
  char *rootfs_propagation;               /* "private", "shared", "slave", "unbindable" */
  unsigned long rootfs_propagation_flags; /* MS_* value, 0 when unset */
  bool has_seccomp;
  struct husk_seccomp seccomp;
  struct husk_kv *sysctl;
  size_t sysctl_len;
  bool has_masked_paths, has_readonly_paths;
  struct husk_strv masked_paths;
  struct husk_strv readonly_paths;
  char *mount_label;
  bool has_intel_rdt;
  struct husk_intel_rdt intel_rdt;
  bool has_memory_policy;
  struct husk_memory_policy memory_policy;
  bool has_personality;
  struct husk_personality personality;
};

struct husk_spec {
  char *oci_version;
  bool has_root;
  struct husk_root root;
  struct husk_mount *mounts;
  size_t mounts_len;
  bool has_process;
  struct husk_process process;
  char *hostname;
  char *domainname;
  bool has_hooks;
  struct husk_hooks hooks;
  struct husk_kv *annotations;
  size_t annotations_len;
  bool has_linux;
  struct husk_linux linux_;
};

/* Parse a config.json held in memory.  `origin` names the file in error
 * messages ("config.json").  On success *out owns a new spec. */
int husk_spec_parse(const char *json, size_t len, const char *origin, struct husk_spec **out,
                    husk_error_t *err);

/* Read and parse `path`; errors name the path's basename as the origin. */
int husk_spec_load(const char *path, struct husk_spec **out, husk_error_t *err);

/* The MUST checks of config.md / config-linux.md that need no filesystem:
 * called by husk_spec_parse; exposed for process.json files (exec). */
int husk_spec_validate(const struct husk_spec *spec, const char *origin, husk_error_t *err);

/* husk_spec_validate plus what `create` needs and a bare config may lack:
 * root.path, process and a non-empty process.args. */
int husk_spec_validate_for_create(const struct husk_spec *spec, const char *origin,
                                  husk_error_t *err);

/* The checks of husk_spec_validate for a process on its own (exec): paths in
 * messages are relative to the process object ("cwd", "rlimits[1].type"). */
int husk_process_validate(const struct husk_process *process, const char *origin,
                          husk_error_t *err);

/* Parse a process.json (exec --process) into a husk_process; validates it
 * and requires a non-empty args. */
int husk_process_parse(const char *json, size_t len, const char *origin, struct husk_process **out,
                       husk_error_t *err);

void husk_process_free(struct husk_process *process);
void husk_spec_free(struct husk_spec *spec);

const char *husk_ns_type_name(enum husk_ns_type type);
/* The CLONE_NEW* flag of a namespace type. */
int husk_ns_clone_flag(enum husk_ns_type type);
/* Look a namespace up in linux.namespaces, NULL when absent. */
const struct husk_namespace *husk_spec_find_ns(const struct husk_spec *spec,
                                               enum husk_ns_type type);

/* The largest config.json husk reads (create, check, the state's copy). */
#define HUSK_CONFIG_MAX_SIZE (16u << 20)

#endif
