#!/usr/bin/env python3
"""A stand-in for `criu swrk 3` on hosts where CRIU cannot work: it speaks
CRIU's RPC protocol with Debian's pycriu (rpc_pb2 of the criu package), so
that checkpoint.bats can check husk's side of the conversation: VERSION and
CHECK answered, a DUMP that writes an image file into the directory husk
passed and then sends a post-dump notification (husk must acknowledge it)
and succeeds or fails as FAKE_CRIU_DUMP says ("ok" or "fail"), and every
request logged as text to FAKE_CRIU_LOG."""
import os
import socket
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from pycriu import rpc_pb2 as rpc  # noqa: E402

if len(sys.argv) != 3 or sys.argv[1] != "swrk":
    sys.exit("fake criu: only `swrk FD` is known")
sk = socket.socket(fileno=int(sys.argv[2]))
log = open(os.environ.get("FAKE_CRIU_LOG", "/dev/null"), "a")


def send(resp):
    sk.send(resp.SerializeToString())


def recv():
    req = rpc.criu_req()
    req.ParseFromString(sk.recv(1 << 20))
    log.write(str(req).replace("\n", " ") + "\n")
    log.flush()
    return req


req = recv()
resp = rpc.criu_resp(type=req.type, success=True)
if req.type == rpc.VERSION:
    resp.version.major_number, resp.version.minor_number = 3, 17
    resp.version.sublevel = 1
elif req.type == rpc.DUMP:
    # the images directory as CRIU reaches it: through the caller's fd
    images = "/proc/%d/fd/%d" % (os.getppid(), req.opts.images_dir_fd)
    with open(os.path.join(images, "pages-1.img"), "w") as f:
        f.write("half")
    send(rpc.criu_resp(type=rpc.NOTIFY, success=True, notify=rpc.criu_notify(script="post-dump")))
    ack = recv()
    if ack.type != rpc.NOTIFY or not ack.notify_success:
        sys.exit("fake criu: no acknowledgement of the notification")
    if os.environ.get("FAKE_CRIU_DUMP") == "fail":
        resp.success = False
        resp.cr_errno = 2
        resp.cr_errmsg = "fake dump failure"
send(resp)
