#!/usr/bin/env python3
"""Writes a one-layer OCI image archive (an image layout as a tar) from a
root filesystem tar, for `ctr images import` (no registry on CI machines).

Usage: oci-image.py ROOTFS.tar NAME OUT.tar [CMD...]
NAME is the image reference (e.g. docker.io/library/husk-busybox:engines);
CMD (default /bin/sh) is the image's Cmd."""
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def main():
    rootfs, name, out, *cmd = sys.argv[1:]
    raw = open(rootfs, "rb").read()
    layer_digest, layer = blob(gzip.compress(raw, mtime=0))
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True).stdout.strip() or "amd64"
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {
            "Cmd": cmd or ["/bin/sh"],
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/",
        },
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
    }
    config_digest, config_data = blob(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config_data)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": len(layer)}],
    }
    manifest_digest, manifest_data = blob(json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": len(manifest_data),
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]},
        }],
    }
    files = {
        "oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
        "index.json": json.dumps(index).encode(),
    }
    for digest, data in ((layer_digest, layer), (config_digest, config_data),
                         (manifest_digest, manifest_data)):
        files["blobs/sha256/" + digest.split(":")[1]] = data
    with tarfile.open(out, "w") as tar:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
