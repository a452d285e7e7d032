#!/bin/sh
# Installs, from Debian 12's packages, everything husk needs to build, test and
# be compared with runc and crun. Run as root. Usage: contrib/install-deps.sh
set -e
pkgs="build-essential autoconf automake libtool pkg-config
  libseccomp-dev libcap-dev libyajl-dev libmount-dev
  bats jq busybox-static runc crun python3 python3-jsonschema
  clang libclang-rt-14-dev valgrind iproute2 util-linux procps time bc
  podman conmon netavark aardvark-dns catatonit iptables expect
  containerd python3-grpcio python3-grpc-tools uidmap systemd dbus-daemon criu"
missing=""
for p in $pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi
