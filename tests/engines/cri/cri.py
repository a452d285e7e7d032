#!/usr/bin/env python3
"""A minimal CRI client: one RuntimeService call, request and response as JSON
(protobuf's JSON mapping: lowerCamelCase fields, enums by name, bytes in
base64 — ExecSync's stdout/stderr are printed decoded, as "stdoutText").

Usage: cri.py GENDIR SOCKET METHOD [REQUEST-JSON]
GENDIR holds api_pb2.py and api_pb2_grpc.py, generated from api.proto by
    python3 -m grpc_tools.protoc -I tests/engines/cri --python_out=GENDIR \
        --grpc_python_out=GENDIR tests/engines/cri/api.proto
Exit status: 0, or 1 with the gRPC status code and message on stderr."""
import base64
import json
import sys


def main():
    gendir, socket, method, *rest = sys.argv[1:]
    sys.path.insert(0, gendir)
    import grpc
    from google.protobuf import json_format
    import api_pb2
    import api_pb2_grpc

    req_type = getattr(api_pb2, method + "Request")
    req = json_format.Parse(rest[0] if rest else "{}", req_type())
    channel = grpc.insecure_channel("unix://" + socket)
    stub = api_pb2_grpc.RuntimeServiceStub(channel)
    try:
        resp = getattr(stub, method)(req, timeout=120)
    except grpc.RpcError as e:
        print(f"{method}: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    out = json_format.MessageToDict(resp, including_default_value_fields=True)
    for key in ("stdout", "stderr"):
        if key in out:
            out[key + "Text"] = base64.b64decode(out[key]).decode(errors="replace")
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
