/* Unit tests of criu_rpc.c, the protobuf coder for CRIU's RPC protocol.
 * The expected bytes were made with Debian's pycriu (rpc_pb2 of criu
 * 3.17.1, python3-protobuf): a DUMP request with varints, strings, an
 * int32 above 2^31 (empty_ns) and the three kinds of sub-message husk
 * sends; canned RESTORE, NOTIFY, failed DUMP and VERSION answers decoded;
 * every truncated copy of an answer refused or decoded without reading
 * past its end. */
#include <stdlib.h>
#include <string.h>

#include "criu_rpc.h"
#include "tap.h"

static const unsigned char dump_req[] = {
    0x08, 0x01, 0x12, 0x5b, 0x08, 0x05, 0x10, 0xd2, 0x09, 0x18, 0x01, 0x48, 0x04, 0x52, 0x08, 0x64,
    0x75, 0x6d, 0x70, 0x2e, 0x6c, 0x6f, 0x67, 0x6a, 0x0d, 0x2f, 0x72, 0x75, 0x6e, 0x2f, 0x62, 0x2f,
    0x72, 0x6f, 0x6f, 0x74, 0x66, 0x73, 0xba, 0x01, 0x0e, 0x0a, 0x05, 0x2f, 0x64, 0x61, 0x74, 0x61,
    0x12, 0x05, 0x2f, 0x64, 0x61, 0x74, 0x61, 0xca, 0x01, 0x0c, 0x0a, 0x00, 0x12, 0x08, 0x2f, 0x68,
    0x75, 0x73, 0x6b, 0x2f, 0x63, 0x31, 0xda, 0x01, 0x0c, 0x0a, 0x08, 0x70, 0x69, 0x70, 0x65, 0x3a,
    0x5b, 0x37, 0x5d, 0x10, 0x01, 0x90, 0x02, 0x06, 0xb0, 0x02, 0x80, 0x80, 0x80, 0x80, 0x04};
static const unsigned char restore_resp[] = {0x08, 0x02, 0x10, 0x01, 0x22, 0x03, 0x08, 0xe1, 0x21};
static const unsigned char notify_resp[] = {0x08, 0x06, 0x10, 0x01, 0x2a, 0x10, 0x0a, 0x0c,
                                            0x70, 0x6f, 0x73, 0x74, 0x2d, 0x72, 0x65, 0x73,
                                            0x74, 0x6f, 0x72, 0x65, 0x10, 0x63};
static const unsigned char failed_resp[] = {0x08, 0x01, 0x10, 0x00, 0x38, 0x02, 0x4a, 0x0e,
                                            0x44, 0x75, 0x6d, 0x70, 0x69, 0x6e, 0x67, 0x20,
                                            0x46, 0x41, 0x49, 0x4c, 0x45, 0x44};
static const unsigned char version_resp[] = {0x08, 0x0a, 0x10, 0x01, 0x52, 0x09, 0x08, 0x03,
                                             0x10, 0x11, 0x1a, 0x01, 0x78, 0x20, 0x01};

static void encode_dump(void) {
  struct husk_pb opts = {0}, req = {0};
  husk_pb_int(&opts, CRIU_OPT_IMAGES_DIR_FD, 5);
  husk_pb_int(&opts, CRIU_OPT_PID, 1234);
  husk_pb_bool(&opts, CRIU_OPT_LEAVE_RUNNING, true);
  husk_pb_int(&opts, CRIU_OPT_LOG_LEVEL, 4);
  husk_pb_str(&opts, CRIU_OPT_LOG_FILE, "dump.log");
  husk_pb_str(&opts, CRIU_OPT_ROOT, "/run/b/rootfs");
  husk_pb_pair(&opts, CRIU_OPT_EXT_MNT, "/data", "/data");
  husk_pb_pair(&opts, CRIU_OPT_CG_ROOT, "", "/husk/c1");
  husk_pb_inherit_fd(&opts, "pipe:[7]", 1);
  husk_pb_uint(&opts, CRIU_OPT_MANAGE_CGROUPS_MODE, CRIU_CG_DEFAULT);
  husk_pb_uint(&opts, CRIU_OPT_EMPTY_NS, 0x40000000);
  husk_pb_uint(&req, CRIU_REQ_F_TYPE, CRIU_REQ_DUMP);
  husk_pb_msg(&req, CRIU_REQ_F_OPTS, &opts);
  bool same = req.len == sizeof(dump_req) && memcmp(req.buf, dump_req, req.len) == 0;
  tap_ok(same, "a DUMP request is byte for byte what protobuf makes of it");
  if (!same)
    for (size_t i = 0; i < req.len && i < sizeof(dump_req); i++)
      if (req.buf[i] != dump_req[i]) {
        tap_diag("first difference at byte %zu (of %zu, want %zu)", i, req.len, sizeof(dump_req));
        break;
      }
  husk_pb_free(&opts);
  husk_pb_free(&req);
}

static void decode_answers(void) {
  struct husk_criu_resp r;
  tap_ok(husk_criu_resp_parse(restore_resp, sizeof(restore_resp), &r) == 0 &&
             r.type == CRIU_REQ_RESTORE && r.success && r.restore_pid == 4321,
         "RESTORE answer: success, pid 4321");
  husk_criu_resp_free(&r);
  tap_ok(husk_criu_resp_parse(notify_resp, sizeof(notify_resp), &r) == 0 &&
             r.type == CRIU_REQ_NOTIFY && r.notify_script &&
             strcmp(r.notify_script, "post-restore") == 0 && r.notify_pid == 99,
         "NOTIFY answer: script post-restore, pid 99");
  husk_criu_resp_free(&r);
  tap_ok(husk_criu_resp_parse(failed_resp, sizeof(failed_resp), &r) == 0 && !r.success &&
             r.cr_errno == 2 && r.cr_errmsg && strcmp(r.cr_errmsg, "Dumping FAILED") == 0,
         "failed DUMP answer: errno 2 and CRIU's message");
  husk_criu_resp_free(&r);
  tap_ok(husk_criu_resp_parse(version_resp, sizeof(version_resp), &r) == 0 &&
             r.type == CRIU_REQ_VERSION && r.version_major == 3 && r.version_minor == 17 &&
             r.version_sublevel == 1,
         "VERSION answer: 3.17.1 (the gitid string skipped)");
  husk_criu_resp_free(&r);
}

/* A truncated answer never reads past its end; those cut inside a field
 * are refused. */
static void truncated(void) {
  const struct {
    const unsigned char *data;
    size_t len;
  } all[] = {{restore_resp, sizeof(restore_resp)},
             {notify_resp, sizeof(notify_resp)},
             {failed_resp, sizeof(failed_resp)},
             {version_resp, sizeof(version_resp)}};
  int refused = 0, total = 0;
  for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
    for (size_t len = 1; len < all[k].len; len++) {
      unsigned char *copy = malloc(len); /* exact size: valgrind/ASan see overreads */
      memcpy(copy, all[k].data, len);
      struct husk_criu_resp r;
      if (husk_criu_resp_parse(copy, len, &r) < 0)
        refused++;
      else
        husk_criu_resp_free(&r);
      total++;
      free(copy);
    }
  tap_ok(refused > 0 && refused <= total, "truncated answers: %d of %d cut inside a field refused",
         refused, total);
  unsigned char bad_wire[] = {0x0b, 0x01}; /* wire type 3 (group): not in rpc.proto */
  struct husk_criu_resp r;
  tap_ok(husk_criu_resp_parse(bad_wire, sizeof(bad_wire), &r) < 0,
         "an unknown wire type is refused");
  unsigned char long_len[] = {0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x41};
  tap_ok(husk_criu_resp_parse(long_len, sizeof(long_len), &r) < 0,
         "a string longer than the message is refused");
}

int main(void) {
  encode_dump();
  decode_answers();
  truncated();
  return tap_done();
}
