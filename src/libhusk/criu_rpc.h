/* husk — CRIU's RPC protocol (criu/images/rpc.proto) over `criu swrk`.
 *
 * husk does not link libcriu: Debian's libcriu.so needs protobuf-c at run
 * time and hides CRIU's error message and the orphan pty master that
 * `restore --console-socket` must pass on.  Instead, checkpoint and restore
 * start `criu swrk 3` with one end of a SOCK_SEQPACKET pair as fd 3 and
 * exchange protobuf messages on it: a small encoder for criu_req/criu_opts
 * and a decoder for criu_resp (the few fields husk uses).  Nothing here
 * runs, or is loaded, for any other command. */
#ifndef HUSK_CRIU_RPC_H
#define HUSK_CRIU_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "husk/error.h"

/* criu_req_type */
enum {
  CRIU_REQ_DUMP = 1,
  CRIU_REQ_RESTORE = 2,
  CRIU_REQ_CHECK = 3,
  CRIU_REQ_PRE_DUMP = 4,
  CRIU_REQ_NOTIFY = 6,
  CRIU_REQ_FEATURE_CHECK = 9,
  CRIU_REQ_VERSION = 10,
};

/* Field numbers of criu_req. */
enum {
  CRIU_REQ_F_TYPE = 1,
  CRIU_REQ_F_OPTS = 2,
  CRIU_REQ_F_NOTIFY_SUCCESS = 3,
  CRIU_REQ_F_FEATURES = 5
};

/* Field numbers of criu_opts (the ones husk sets). */
enum {
  CRIU_OPT_IMAGES_DIR_FD = 1,
  CRIU_OPT_PID = 2,
  CRIU_OPT_LEAVE_RUNNING = 3,
  CRIU_OPT_EXT_UNIX_SK = 4,
  CRIU_OPT_TCP_ESTABLISHED = 5,
  CRIU_OPT_EVASIVE_DEVICES = 6,
  CRIU_OPT_SHELL_JOB = 7,
  CRIU_OPT_FILE_LOCKS = 8,
  CRIU_OPT_LOG_LEVEL = 9,
  CRIU_OPT_LOG_FILE = 10,
  CRIU_OPT_PS = 11, /* criu_page_server_info: address = 1, port = 2 */
  CRIU_OPT_NOTIFY_SCRIPTS = 12,
  CRIU_OPT_ROOT = 13,
  CRIU_OPT_PARENT_IMG = 14,
  CRIU_OPT_TRACK_MEM = 15,
  CRIU_OPT_AUTO_DEDUP = 16,
  CRIU_OPT_WORK_DIR_FD = 17,
  CRIU_OPT_LINK_REMAP = 18,
  CRIU_OPT_EXT_MNT = 23, /* ext_mount_map: key = 1, val = 2 */
  CRIU_OPT_MANAGE_CGROUPS = 24,
  CRIU_OPT_CG_ROOT = 25, /* cgroup_root: ctrl = 1, path = 2 */
  CRIU_OPT_RST_SIBLING = 26,
  CRIU_OPT_INHERIT_FD = 27, /* inherit_fd: key = 1, fd = 2 */
  CRIU_OPT_MANAGE_CGROUPS_MODE = 34,
  CRIU_OPT_EXTERNAL = 37,
  CRIU_OPT_EMPTY_NS = 38,
  CRIU_OPT_JOIN_NS = 39, /* join_namespace: ns = 1, ns_file = 2 */
  CRIU_OPT_FREEZE_CGROUP = 44,
  CRIU_OPT_TCP_SKIP_IN_FLIGHT = 46,
  CRIU_OPT_LAZY_PAGES = 48,
  CRIU_OPT_ORPHAN_PTS_MASTER = 50,
  CRIU_OPT_CONFIG_FILE = 51,
  CRIU_OPT_LSM_PROFILE = 53,
  CRIU_OPT_LSM_MOUNT_CONTEXT = 63,
};

/* criu_cg_mode */
enum {
  CRIU_CG_IGNORE = 0,
  CRIU_CG_SOFT = 3,
  CRIU_CG_FULL = 4,
  CRIU_CG_STRICT = 5,
  CRIU_CG_DEFAULT = 6,
};

/* A protobuf message being written (growing buffer). */
struct husk_pb {
  unsigned char *buf;
  size_t len, cap;
};

void husk_pb_free(struct husk_pb *pb);
void husk_pb_uint(struct husk_pb *pb, int field, uint64_t value); /* varint field */
void husk_pb_int(struct husk_pb *pb, int field, int64_t value);   /* int32: negative as 10 bytes */
void husk_pb_bool(struct husk_pb *pb, int field, bool value);
void husk_pb_str(struct husk_pb *pb, int field, const char *s);
void husk_pb_msg(struct husk_pb *pb, int field, const struct husk_pb *sub);
/* A sub-message of two strings (ext_mount_map, cgroup_root, join_namespace). */
void husk_pb_pair(struct husk_pb *pb, int field, const char *first, const char *second);
/* inherit_fd { key = 1; fd = 2 } */
void husk_pb_inherit_fd(struct husk_pb *pb, const char *key, int fd);

/* What husk reads of a criu_resp. */
struct husk_criu_resp {
  int type;
  bool success;
  int cr_errno;
  char *cr_errmsg;     /* or NULL */
  pid_t restore_pid;   /* criu_restore_resp.pid */
  char *notify_script; /* criu_notify.script, or NULL */
  pid_t notify_pid;
  bool has_features, mem_track, lazy_pages;
  int version_major, version_minor, version_sublevel; /* criu_version */
  int fd;                                             /* a file descriptor passed with it, or -1 */
};

/* Decode a criu_resp; unknown fields are skipped.  Returns -1 on a
 * malformed message. */
int husk_criu_resp_parse(const unsigned char *data, size_t len, struct husk_criu_resp *resp);
void husk_criu_resp_free(struct husk_criu_resp *resp);

/* A running `criu swrk`. */
struct husk_criu {
  pid_t pid;
  int sk;
};

/* Which of our stdio `criu swrk` gets; the rest is /dev/null, so that
 * nothing CRIU prints ("Looks good.", "Can't recv request" when a probe's
 * socket closes) reaches an engine that reads our output.  Its logs go to
 * files anyway. */
enum husk_criu_stdio {
  HUSK_CRIU_STDIO_NONE,   /* probes: VERSION, CHECK, FEATURE_CHECK */
  HUSK_CRIU_STDIO_STDERR, /* dump: CRIU's complaints before its log is open */
  HUSK_CRIU_STDIO_ALL,    /* restore: the restored init's pipes come from there */
};

/* Start `<criu> swrk 3`: fd 3 is its end of the socket, extra_fds[i] become
 * its fds 4+i (namespaces it inherits). */
int husk_criu_start(const char *criu, const int *extra_fds, size_t n_extra,
                    enum husk_criu_stdio stdio, struct husk_criu *c, husk_error_t *err);

/* Send one criu_req (a complete message). */
int husk_criu_send(struct husk_criu *c, const struct husk_pb *req, husk_error_t *err);

/* Receive one criu_resp, with a file descriptor if one came along. */
int husk_criu_recv(struct husk_criu *c, struct husk_criu_resp *resp, husk_error_t *err);

/* Close the socket and reap criu; *status gets its wait status. */
void husk_criu_finish(struct husk_criu *c, int *status);

/* The name of a request type, for messages ("DUMP"). */
const char *husk_criu_req_name(int type);

#endif
