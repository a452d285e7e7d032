#!/bin/sh
# Run tests/unit/test_cgroup on a pure cgroup v2 kernel (this host may be
# hybrid or v1): boots a throw-away VM with run-in-vm.sh, a scratch disk as
# /dev/vda for io.max, and prints the TAP.  Run it from the build directory:
#   tests/unit/run-cgroup-v2-vm.sh [path/to/test_cgroup]
# RUN_IN_VM overrides the VM tool's path.  Exit status: the test's.
set -eu
test_bin=${1:-./tests/unit/test_cgroup}
vm=${RUN_IN_VM:-/work/shared/tools/run-in-vm.sh}
if [ ! -x "$test_bin" ]; then
	echo "run-cgroup-v2-vm.sh: $test_bin not built (run make check or make $test_bin)" >&2
	exit 2
fi
if [ ! -x "$vm" ]; then
	echo "1..0 # SKIP no VM tool at $vm for a cgroup v2 kernel"
	exit 0
fi
exec "$vm" --mem 1G --disk 64M --timeout 600 -- "$test_bin"
