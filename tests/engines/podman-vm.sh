#!/bin/sh
# Runs the podman tests marked "[vm]" (run, limits, cgroup namespaces,
# cap-drop, seccomp) on a pure cgroup v2 kernel, where a private cgroup
# namespace is podman's default: boots a throw-away VM with run-in-vm.sh,
# which shares the current directory read-write, and runs bats there.
# Run from the top of a built tree:
#   tests/engines/podman-vm.sh [husk|runc]   (ENGINE_RUNTIME, default husk)
# HUSK (a binary under the current directory) is passed into the VM;
# RUN_IN_VM overrides the VM tool's path. Exit status: bats's.
set -eu
vm=${RUN_IN_VM:-/work/shared/tools/run-in-vm.sh}
runtime=${1:-husk}
if [ ! -f tests/engines/podman.bats ] || [ ! -x "${HUSK:-./husk}" ]; then
	echo "podman-vm.sh: run from a built tree" >&2
	exit 2
fi
if [ ! -x "$vm" ]; then
	echo "1..0 # SKIP no VM tool at $vm for a cgroup v2 kernel"
	exit 0
fi
if ! command -v podman >/dev/null; then
	echo "1..0 # SKIP podman is not installed"
	exit 0
fi
# The guest sees the host's / read-only with a tmpfs overlay (overlayfs
# cannot use it as an upper directory): podman's storage goes to the test's
# temporary directory, on the guest's tmpfs /tmp.
set -- --mem 2G --timeout 900 --tmpfs /var/lib/containers --tmpfs /run/containers \
	--env ENGINE_RUNTIME="$runtime" --env ENGINE_RACE_LOOPS="${ENGINE_RACE_LOOPS:-3}" --env ENGINE_NO_BENCH="${ENGINE_NO_BENCH:-1}" -- bats --tap --filter '\[vm\]' tests/engines/podman.bats
if [ -n "${HUSK:-}" ]; then
	set -- --env HUSK "$@"
fi
exec "$vm" "$@"
