#!/bin/bash
# husk check's host answers where pure cgroup v2 changes them: inside the
# cgroup v2 VM (../shared/tools/run-in-vm.sh), booted once, the same bundles
# as in check.bats get the v2 answers (check.bats has the hybrid ones), and
# where check says create fails, create fails with that message.  Prints TAP.
# Usage (from a built tree): tests/integration/check-vm.sh [HUSK]
# Inside the VM (what the script re-runs itself as): check-vm.sh --inside HUSK
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
husk=${2:-${1:-$top/husk}}
if [ "${1:-}" != --inside ]; then
  vm=${RUN_IN_VM:-$top/../shared/tools/run-in-vm.sh}
  [ -x "$vm" ] || { echo "1..0 # SKIP no VM tool at $vm"; exit 0; }
  exec "$vm" --mem 512M --timeout 600 -- "$0" --inside "$husk"
fi

n=0 failed=0
check() { # check DESCRIPTION COMMAND...
  n=$((n + 1))
  if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}

work=$(mktemp -d /tmp/husk-check.XXXXXX)
"$top/contrib/make-busybox-bundle.sh" "$husk" "$work/base" >/dev/null
mkdir -p "$work/b"

# findings JQ-FILTER: check a bundle made with the filter; $out has the error
# and warning lines, $all everything, $rc the exit status.
findings() {
  jq --arg rootfs "$work/base/rootfs" '.root.path = $rootfs | .process.terminal = false | '"$1" \
    "$work/base/config.json" >"$work/b/config.json"
  all=$(timeout 60 "$husk" --root "$work/root" check --bundle "$work/b" 2>&1 </dev/null)
  rc=$?
  out=$(grep -E '^(error|warning): ' <<<"$all" || true)
}
same() { # same GOT WANT
  [ "$1" = "$2" ] && return 0
  printf '# got:\n%s\n# want:\n%s\n' "$1" "$2" | sed 's/^/# /'
  return 1
}

findings .
check "husk spec's bundle checks clean (exit 0)" same "$rc:$out" "0:"
check "the cgroup mode is v2" grep -qx 'note: this host has v2 cgroups' <<<"$all"

findings '.linux.resources.unified = {"memory.high": "1G"} | .linux.resources.memory = {"limit": 100000000}
  | .linux.resources.pids = {"limit": 10}'
check "linux.resources.unified is fine on v2 (an error on hybrid)" same "$rc:$out" "0:"

findings '.linux.resources.network = {"classID": 1}'
check "network.classID: net_cls does not exist on v2" same "$rc:$out" \
  "1:error: linux.resources.network: net_cls and net_prio do not exist on cgroup v2 (use an eBPF program or nftables' cgroupv2 match)"

findings '.linux.resources.memory = {"kernelTCP": 1000000} | .linux.resources.cpu = {"realtimeRuntime": 1000}'
check "v1-only limits are errors on v2, all of them" same "$rc:$out" \
  "1:error: linux.resources.memory.kernelTCP is not supported on cgroup v2
error: linux.resources.cpu.realtimeRuntime: realtime scheduling is not supported on cgroup v2"

# create enables the root's controllers down the path: a parent cgroup
# without pids in its subtree_control is no obstacle, and check says so.
echo -pids >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
mkdir -p /sys/fs/cgroup/ckparent
findings '.linux.cgroupsPath = "/ckparent/c1" | .linux.resources.pids = {"limit": 10} | .process.args = ["true"]'
check "a parent without pids enabled: fine, as for create" same "$rc:$out" "0:"
timeout 60 "$husk" --root "$work/root" create --bundle "$work/b" ck1 </dev/null >/dev/null 2>"$work/create.err"
check "create agrees" test -e /sys/fs/cgroup/ckparent/c1/pids.max
timeout 60 "$husk" --root "$work/root" delete --force ck1 </dev/null >/dev/null 2>&1
rmdir /sys/fs/cgroup/ckparent 2>/dev/null

check "check created no cgroup" test ! -e /sys/fs/cgroup/husk-check
echo +pids >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null

# Rootless: what is delegated to the caller's own cgroup counts, not the
# root's controllers.  The caller sits in deleg/user, below a parent that
# delegates memory only.
mkdir -p /sys/fs/cgroup/deleg/user
echo +memory >/sys/fs/cgroup/deleg/cgroup.subtree_control
findings '.linux.resources.pids = {"limit": 10} | .linux.resources.memory = {"limit": 100000000}'
all=$(sh -c 'echo $$ >/sys/fs/cgroup/deleg/user/cgroup.procs && exec timeout 60 "$0" --rootless true check --bundle "$1"' \
  "$husk" "$work/b" 2>&1 </dev/null)
rc=$?
out=$(grep -E '^(error|warning): ' <<<"$all" || true)
check "rootless: a controller not delegated to the caller's cgroup" same "$rc:$out" \
  "1:error: linux.resources.pids: the pids controller is not available in /sys/fs/cgroup/deleg/user (not enabled in the parent's cgroup.subtree_control)"
findings '.linux.resources.pids = {"limit": 10}'
check "as root the same limit is fine (create enables pids down the path)" same "$rc:$out" "0:"
rmdir /sys/fs/cgroup/deleg/user /sys/fs/cgroup/deleg 2>/dev/null

# Root of the VM holds CAP_SYS_RESOURCE (the host's bounding set lacks it).
hard=$(ulimit -Hn)
findings ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $((hard + 1))}]"
if capsh --has-b=cap_sys_resource 2>/dev/null; then
  check "an rlimit above the caller's hard limit is fine with CAP_SYS_RESOURCE" same "$rc:$out" "0:"
else
  check "an rlimit above the caller's hard limit # SKIP CAP_SYS_RESOURCE not in the bounding set" true
fi

findings '.process.capabilities.bounding += ["CAP_SYS_RESOURCE"] | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}'
if capsh --has-b=cap_sys_resource 2>/dev/null; then
  check "CAP_SYS_RESOURCE in the bounding set: no warning here" same "$rc:$out" "0:"
else
  check "CAP_SYS_RESOURCE # SKIP not in the bounding set" true
fi

rm -rf "$work"
echo "1..$n"
exit $((failed > 0))
