#!/bin/sh
# Run tests/integration/cgroups.bats on a pure cgroup v2 kernel (this host
# may be hybrid or v1): boots a throw-away VM with run-in-vm.sh, which shares
# the current directory read-write at the same path, and runs bats there.
# Run it from the top of a built tree (the one holding ./husk):
#   tests/integration/cgroups-v2-vm.sh [bats options]
# HUSK (a binary under the current directory) is passed into the VM;
# RUN_IN_VM overrides the VM tool's path.  Exit status: bats's.
set -eu
vm=${RUN_IN_VM:-/work/shared/tools/run-in-vm.sh}
bats_file=tests/integration/cgroups.bats
if [ ! -f "$bats_file" ] || [ ! -x "${HUSK:-./husk}" ]; then
	echo "cgroups-v2-vm.sh: run from a built tree (no $bats_file or ${HUSK:-./husk} here)" >&2
	exit 2
fi
if [ ! -x "$vm" ]; then
	echo "1..0 # SKIP no VM tool at $vm for a cgroup v2 kernel"
	exit 0
fi
# The guest sees the host's / read-only, but its /tmp is a fresh tmpfs: only
# the shared directory carries the binary across.
set -- --mem 1G --timeout 1200 -- bats "$@" "$bats_file"
if [ -n "${HUSK:-}" ]; then
	set -- --env HUSK "$@"
fi
exec "$vm" "$@"
