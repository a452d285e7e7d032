#!/bin/bash
# husk against Debian's crun and runc, interleaved in one run: run (spec
# default and podman-like configs), create/start/delete, exec, state and list
# with 100 containers, 100 in sequence and 20 in parallel, peak RSS, binary
# size, instructions per run (callgrind), and husk's HUSK_TIMINGS breakdown.
# The work is in bench.py; this sets the stage.
#
# Usage: tests/bench/bench.sh [--quick] [-n N] [--out FILE] [--vm] [...]
#   (as root, after `make`; bench.py --help lists the rest)
#   --quick   small N: checks that the bench works (CI), figures mean little
#   --vm      the same again on pure cgroup v2 in a VM (run-in-vm.sh; KVM
#             when the machine has it, else TCG: absolute times are then
#             ~15x slower and meaningless, the ratios still mean something)
# Results go to the terminal and to tests/bench/results/<hierarchy>.txt
# (or --out FILE). Never fails on a figure: exit 0 when it completed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=0 args=()
for a in "$@"; do
  if [ "$a" = --vm ]; then vm=1; else args+=("$a"); fi
done
mkdir -p "$top/tests/bench/results"
case " ${args[*]:-} " in *" --out "*) out=() ;; *) out=(--out "$top/tests/bench/results/$(stat -f -c %T /sys/fs/cgroup | sed 's/cgroup2fs/cgroup-v2/; s/tmpfs/hybrid/').txt") ;; esac

# Everything runs in one private mount namespace (bench.py mounts a tmpfs
# for the runtimes' state there; nothing changes on the host). crun 1.8
# refuses hybrid cgroup hosts unless the near-empty cgroup2 tree is hidden:
# a tmpfs on it, in the same namespace, so every runtime and the floor pay
# the same and see the same cgroup layout. On pure v2 nothing is hidden.
# shellcheck disable=SC2016
unshare -m --propagation private sh -c \
  '[ ! -d /sys/fs/cgroup/unified ] || mount -t tmpfs none /sys/fs/cgroup/unified; exec "$@"' \
  sh /usr/bin/python3 "$top/tests/bench/bench.py" "${out[@]}" ${args[@]+"${args[@]}"}

if [ $vm = 1 ]; then
  echo
  echo "== the same on pure cgroup v2, in a VM"
  cd "$top"
  /work/shared/tools/run-in-vm.sh --timeout 3000 -- \
    unshare -m --propagation private /usr/bin/python3 tests/bench/bench.py \
    --out tests/bench/results/cgroup-v2-vm.txt ${args[@]+"${args[@]}"}
fi
