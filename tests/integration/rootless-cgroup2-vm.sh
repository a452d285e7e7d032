#!/bin/sh
# Rootless husk with a delegated cgroup v2 subtree
# (tests/integration/rootless-cgroup2.bats), --systemd-cgroup through a
# systemd user manager (tests/integration/rootless-systemd-user.bats) and rootless podman's "[vm]"
# tests (tests/engines/podman-rootless.bats: run, --pids-limit in a
# delegated cgroup, husk and runc) in the pure cgroup v2 VM
# (../shared/tools/run-in-vm.sh), which shares the current directory.
# Run from the top of a built tree: tests/integration/rootless-cgroup2-vm.sh
# HUSK (a binary under the current directory, default ./husk) is passed in;
# RUN_IN_VM overrides the VM tool's path.  Prints TAP; exit status: bats's.
set -eu
vm=${RUN_IN_VM:-$(pwd)/../shared/tools/run-in-vm.sh}
[ -x "$vm" ] || vm=/work/shared/tools/run-in-vm.sh
if [ ! -f tests/integration/rootless-cgroup2.bats ] || [ ! -x "${HUSK:-./husk}" ]; then
	echo "rootless-cgroup2-vm.sh: run from a built tree" >&2
	exit 2
fi
[ -x "$vm" ] || { echo "1..0 # SKIP no VM tool for a cgroup v2 kernel"; exit 0; }
exec "$vm" --mem 1G --timeout 1500 --tmpfs /run/husk --env HUSK="${HUSK:-$(pwd)/husk}" -- \
	bats --tap --filter '\[vm\]' tests/integration/rootless-cgroup2.bats tests/integration/rootless-systemd-user.bats tests/engines/podman-rootless.bats
