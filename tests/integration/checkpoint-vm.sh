#!/bin/bash
# checkpoint and restore with CRIU, in the VM (../shared/tools/run-in-vm.sh:
# Debian's 6.1 kernel, where CRIU 3.17 works; on this host's kernel its vDSO
# check fails).  One boot runs every scenario for husk (counted, TAP) and for
# runc (the reference: "# runc: ok ..." comment lines, not counted):
#   a counter checkpointed and restored keeps counting from where it stopped;
#   --leave-running; a memory limit, a tmpfs and a bind mount restored;
#   restore --detach --pid-file; restore in the foreground returns the
#   workload's status; errors; --pre-dump/--parent-path and runc's other
#   flags; a terminal with --console-socket; podman's `container
#   checkpoint` / `restore`.
# Usage (from a built tree): tests/integration/checkpoint-vm.sh [HUSK]
# Inside the VM (what the script re-runs itself as): checkpoint-vm.sh --inside HUSK
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
husk=${2:-${1:-$top/husk}}
if [ "${1:-}" != --inside ]; then
  vm=${RUN_IN_VM:-$top/../shared/tools/run-in-vm.sh}
  [ -x "$vm" ] || vm=/work/shared/tools/run-in-vm.sh
  [ -x "$vm" ] || { echo "1..0 # SKIP no VM tool at $vm"; exit 0; }
  command -v criu >/dev/null || [ -x /usr/sbin/criu ] ||
    { echo "1..0 # SKIP criu is not installed (contrib/install-deps.sh)"; exit 0; }
  # One vCPU: multi-vCPU TCG hangs on a loaded host.  A guest that dies at
  # boot (TCG: "IO-APIC + timer doesn't work") before printing a TAP line is
  # booted once more.
  out=$(mktemp)
  for try in 1 2; do
    "$vm" --cpus 1 --mem 2G --timeout 1200 --tmpfs /run/husk --tmpfs /var/lib/containers \
      --tmpfs /run/containers -- "$0" --inside "$(realpath "$husk")" >"$out" 2>&1
    rc=$?
    [ $rc = 125 ] && ! grep -qE '^(not )?ok ' "$out" && [ $try = 1 ] && continue
    break
  done
  cat "$out"
  rm -f "$out"
  exit $rc
fi
export PATH=$PATH:/usr/sbin:/sbin

n=0 failed=0 rt=husk
# check DESCRIPTION COMMAND...: a TAP line for husk, a comment for runc.
check() {
  if [ "$rt" = husk ]; then
    n=$((n + 1))
    if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
  else
    if "${@:2}"; then echo "# runc: ok - $1"; else echo "# runc: not ok - $1"; fi
  fi
}

if ! criu check >/dev/null 2>&1; then
  echo "1..0 # SKIP criu check fails in the VM: $(criu check 2>&1 | grep Error | head -2 | tr '\n' ' ')"
  exit 0
fi

work=$(mktemp -d /tmp/husk-ckpt.XXXXXX)
"$top/contrib/make-busybox-bundle.sh" "$husk" "$work/base" >/dev/null
exec {pipe}<> <(:) # the containers' stdio: a pipe, as runc's tests use

# bundle NAME ARGS [JQ-FILTER]: a copy of the busybox bundle running ARGS.
bundle() {
  local b=$work/$rt-$1
  rm -rf "$b"
  cp -a "$work/base" "$b"
  jq --arg s "$2" ".root.readonly=false | .process.terminal=false | .process.args=[\"sh\",\"-c\",\$s] | ${3:-.}" \
    "$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
  echo "$b"
}
R() { "$rtbin" --root "/run/$rt-ckpt" "$@"; }
state_pid() { R state "$1" 2>/dev/null | jq -r .pid; }
state_status() { R state "$1" 2>/dev/null | jq -r .status; }
# wait_value FILE: the first non-zero number FILE holds, within 5 s.
wait_value() {
  local v
  for _ in $(seq 1 100); do
    v=$(cat "$1" 2>/dev/null)
    [ -n "$v" ] && [ "$v" != 0 ] && { echo "$v"; return; }
    sleep 0.05
  done
  echo 0
}
gt() { [ "${1:-0}" -gt "${2:-0}" ] 2>/dev/null; }
# run_in BUNDLE ARGS...: the runtime in the bundle, stdio on the pipe.
run_in() { (cd "$1" && shift && R "$@" <&$pipe >&$pipe 2>&$pipe); }
t0=$(date +%s)
elapsed() { echo "# $(($(date +%s) - t0)) s: $*"; }
counter='i=0; while :; do i=$((i+1)); echo $i > FILE; sleep 0.1; done'

scenarios() {
  # 1. The counter, checkpointed and restored.
  local b c1 c2 pid0 pid1 t
  b=$(bundle count "${counter//FILE//cnt}")
  run_in "$b" run -d c1
  sleep 1.5
  pid0=$(state_pid c1)
  check "checkpoint exits 0" R checkpoint --image-path "$work/$rt-img1" --work-path "$work/$rt-work1" c1
  check "the image directory holds CRIU's images" test -s "$work/$rt-img1/inventory.img"
  check "the checkpointed container is gone (runc destroys it)" test -z "$(state_status c1)"
  check "its init is gone" sh -c "! kill -0 $pid0 2>/dev/null"
  c1=$(cat "$b/rootfs/cnt")
  echo 0 >"$b/rootfs/cnt"
  check "restore -d exits 0" run_in "$b" restore -d --image-path "$work/$rt-img1" --work-path "$work/$rt-work1" c1
  c2=$(wait_value "$b/rootfs/cnt")
  check "the restored counter goes on from $c1 (first value after restore: $c2)" gt "$c2" "$c1"
  pid1=$(state_pid c1)
  check "state: running with the new init PID ($pid0 -> $pid1)" \
    sh -c "[ '$(state_status c1)' = running ] && [ '$pid1' != '$pid0' ] && kill -0 $pid1"
  check "exec works in the restored container" test -n "$(R exec c1 cat /cnt)"
  R delete -f c1 >/dev/null 2>&1

  elapsed counter
  # 2. --leave-running, then a restore of that image.
  b=$(bundle leave "${counter//FILE//cnt}")
  run_in "$b" run -d c2
  sleep 1
  pid0=$(state_pid c2)
  check "checkpoint --leave-running exits 0" R checkpoint --leave-running --image-path "$work/$rt-img2" c2
  check "--leave-running: still running with the same PID" \
    sh -c "[ '$(state_status c2)' = running ] && [ '$(state_pid c2)' = '$pid0' ]"
  c1=$(cat "$b/rootfs/cnt")
  sleep 0.5
  check "--leave-running: the counter goes on" gt "$(cat "$b/rootfs/cnt")" "$c1"
  R delete -f c2 >/dev/null 2>&1
  c1=$(cat "$b/rootfs/cnt")
  echo 0 >"$b/rootfs/cnt"
  check "restore of a --leave-running image" run_in "$b" restore -d --image-path "$work/$rt-img2" c2
  c2=$(wait_value "$b/rootfs/cnt")
  check "it counts on from the checkpoint, not from 1 ($c2)" gt "$c2" 3
  R delete -f c2 >/dev/null 2>&1

  elapsed leave-running
  # 3. A memory limit, a tmpfs and a bind mount of a host directory.
  mkdir -p "$work/$rt-shared"
  b=$(bundle mounts "echo tmpdata > /data/x; ${counter//FILE//shared/cnt}" \
    ".linux.resources.memory.limit=67108864 | .mounts += [{\"destination\":\"/data\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=4m\"]},{\"destination\":\"/shared\",\"type\":\"bind\",\"source\":\"$work/$rt-shared\",\"options\":[\"rbind\",\"rw\"]}]")
  run_in "$b" run -d c3
  sleep 1
  check "checkpoint with a tmpfs and a bind mount" R checkpoint --image-path "$work/$rt-img3" c3
  c1=$(cat "$work/$rt-shared/cnt")
  echo 0 >"$work/$rt-shared/cnt"
  check "restore with a tmpfs and a bind mount" run_in "$b" restore -d --image-path "$work/$rt-img3" c3
  pid1=$(state_pid c3)
  c2=$(wait_value "$work/$rt-shared/cnt")
  check "the bind mount is the host directory again (counter $c1 -> $c2)" gt "$c2" "$c1"
  check "the tmpfs is mounted at /data" R exec c3 grep -q ' /data tmpfs ' /proc/self/mounts
  check "the tmpfs keeps its content" test "$(R exec c3 cat /data/x)" = tmpdata
  t=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid1/cgroup")
  check "the restored init's cgroup ($t) has memory.max 64 MiB" \
    test "$(cat "/sys/fs/cgroup$t/memory.max" 2>/dev/null)" = 67108864
  check "it is the cgroup of the container's config" sh -c "[ '$t' != / ] && [ -n '$t' ]"
  R delete -f c3 >/dev/null 2>&1
  check "delete removes the restored container's cgroup" test ! -e "/sys/fs/cgroup$t"

  elapsed mounts
  # 4. restore --detach --pid-file.
  b=$(bundle pidf "${counter//FILE//cnt}")
  run_in "$b" run -d c4
  sleep 1
  R checkpoint --image-path "$work/$rt-img4" c4
  check "restore --detach --pid-file" run_in "$b" restore --detach --pid-file "$work/$rt-pid4" --image-path "$work/$rt-img4" c4
  check "the pid file names the restored init" test "$(cat "$work/$rt-pid4" 2>/dev/null)" = "$(state_pid c4)"
  R delete -f c4 >/dev/null 2>&1

  elapsed pid-file
  # 5. restore in the foreground: waits, returns the workload's status.
  b=$(bundle fg 'i=0; while [ $i -lt 25 ]; do i=$((i+1)); echo $i > /cnt; sleep 0.1; done; exit 7')
  run_in "$b" run -d c5
  sleep 1
  R checkpoint --image-path "$work/$rt-img5" c5
  run_in "$b" restore --image-path "$work/$rt-img5" c5
  check "restore without --detach returns the workload's status (7)" test $? = 7
  check "and removes the container" test -z "$(state_status c5)"
  R delete -f c5 >/dev/null 2>&1

  elapsed foreground
  # 6. Errors: a running ID, a missing image.
  b=$(bundle err "${counter//FILE//cnt}")
  run_in "$b" run -d c6
  check "restore of an ID that exists fails" sh -c "cd $b && ! $rtbin --root /run/$rt-ckpt restore -d --image-path $work/$rt-img1 c6 </dev/null >/dev/null 2>&1"
  R delete -f c6 >/dev/null 2>&1
  check "restore from a missing image directory fails, leaving nothing" \
    sh -c "cd $b && ! $rtbin --root /run/$rt-ckpt restore -d --image-path $work/nothing c7 </dev/null >/dev/null 2>&1 && [ -z \"\$($rtbin --root /run/$rt-ckpt list -q)\" ]"
  elapsed errors
  # 7. runc's other options, as CRIU takes them: pre-dump, then a dump on
  # top of it, with the flags podman and ctr pass.
  b=$(bundle opts "${counter//FILE//cnt}")
  run_in "$b" run -d c8
  sleep 1
  check "checkpoint --pre-dump" R checkpoint --pre-dump --image-path "$work/$rt-img8/pre" c8
  check "--pre-dump leaves it running" test "$(state_status c8)" = running
  check "checkpoint --parent-path ../pre --tcp-established --ext-unix-sk --file-locks --auto-dedup --manage-cgroups-mode soft --empty-ns network" \
    R checkpoint --parent-path ../pre --tcp-established --ext-unix-sk --file-locks --auto-dedup \
    --manage-cgroups-mode soft --empty-ns network --image-path "$work/$rt-img8/final" c8
  c1=$(cat "$b/rootfs/cnt")
  echo 0 >"$b/rootfs/cnt"
  check "restore --tcp-established --ext-unix-sk --file-locks --manage-cgroups-mode soft --empty-ns network --no-pivot" \
    run_in "$b" restore -d --tcp-established --ext-unix-sk --file-locks --manage-cgroups-mode soft \
    --empty-ns network --no-pivot --image-path "$work/$rt-img8/final" c8
  c2=$(wait_value "$b/rootfs/cnt")
  check "the counter goes on after pre-dump + dump ($c1 -> $c2)" gt "$c2" "$c1"
  R delete -f c8 >/dev/null 2>&1
  # What CRIU makes of an LSM profile here (reported, not counted).
  run_in "$b" restore -d --lsm-profile apparmor:unconfined --image-path "$work/$rt-img8/final" c8
  echo "# $rt restore --lsm-profile apparmor:unconfined: exit $? (state: $(state_status c8))"
  R delete -f c8 >/dev/null 2>&1

  elapsed options
  # 8. A terminal: at restore CRIU makes a new pty, whose master goes to
  # --console-socket.
  b=$(bundle tty "${counter//FILE//cnt}" '.process.terminal=true')
  rm -f "$work/$rt-tty.sock" "$work/$rt-tty.out"
  python3 - "$work/$rt-tty.sock" >"$work/$rt-tty.out" <<'PY' &
import array, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(2)
keep = []
for _ in range(2):
    c, _ = s.accept()
    fds = array.array("i")
    msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    keep.extend(fds)
    print("master", len(fds), flush=True)
time.sleep(600)
PY
  local receiver=$!
  for _ in $(seq 50); do [ -S "$work/$rt-tty.sock" ] && break; sleep 0.1; done
  (cd "$b" && R run -d --console-socket "$work/$rt-tty.sock" c9 </dev/null >/dev/null 2>&1)
  sleep 1
  check "checkpoint of a container with a terminal" R checkpoint --image-path "$work/$rt-img9" c9
  echo 0 >"$b/rootfs/cnt"
  check "restore --console-socket" sh -c "cd $b && $rtbin --root /run/$rt-ckpt restore -d --console-socket $work/$rt-tty.sock --image-path $work/$rt-img9 c9 </dev/null >/dev/null 2>&1"
  sleep 0.5
  check "the console socket got the new terminal's master" test "$(grep -c master "$work/$rt-tty.out")" = 2
  check "the restored counter goes on" gt "$(wait_value "$b/rootfs/cnt")" 3
  check "the restored init's stdin is a terminal" sh -c "$rtbin --root /run/$rt-ckpt exec c9 readlink /proc/1/fd/0 | grep -q '^/dev/pts/'"
  R delete -f c9 >/dev/null 2>&1
  kill "$receiver" 2>/dev/null
}

# podman with the runtime under test: storage on the VM's tmpfs, a busybox
# image imported, no network.
podman_scenario() {
  command -v podman >/dev/null || { check "podman is installed # SKIP" true; return; }
  local P="podman --runtime $rtbin --cgroup-manager cgroupfs --events-backend file --storage-driver vfs --root $work/pm-storage --runroot $work/pm-run"
  if [ ! -e "$work/pm-imported" ]; then
    tar -C "$work/base/rootfs" -cf "$work/bb.tar" . &&
      $P import "$work/bb.tar" localhost/bb:ckpt >/dev/null 2>&1 && touch "$work/pm-imported"
  fi
  $P run -d --network none --name "pm-$rt" localhost/bb:ckpt sh -c "${counter//FILE//cnt}" >/dev/null 2>"$work/pm-$rt.err"
  sleep 1.5
  check "podman container checkpoint" sh -c "$P container checkpoint pm-$rt >/dev/null 2>>$work/pm-$rt.err"
  check "podman shows it exited" test "$($P inspect -f '{{.State.Status}}' "pm-$rt" 2>/dev/null)" = exited
  local c1 c2
  c1=$($P inspect -f '{{.State.Checkpointed}}' "pm-$rt" 2>/dev/null)
  check "podman container restore" sh -c "$P container restore pm-$rt >/dev/null 2>>$work/pm-$rt.err"
  check "podman shows it running" test "$($P inspect -f '{{.State.Status}}' "pm-$rt" 2>/dev/null)" = running
  c1=$($P exec "pm-$rt" cat /cnt 2>/dev/null)
  sleep 0.5
  c2=$($P exec "pm-$rt" cat /cnt 2>/dev/null)
  check "the restored container counts on ($c1 -> $c2)" sh -c "[ -n '$c1' ] && [ '$c2' -gt '$c1' ] && [ '$c1' -gt 5 ]"
  $P rm -f "pm-$rt" >/dev/null 2>&1
  [ "$rt" = husk ] && grep -v '^$' "$work/pm-$rt.err" | sed 's/^/# podman stderr: /' | head -20
}

for rt in husk runc; do
  if [ $rt = husk ]; then rtbin=$husk; else rtbin=$(command -v runc) || continue; fi
  echo "# --- $rt"
  scenarios
  podman_scenario
  elapsed podman
  for d in "$work"/$rt-work1; do
    [ "$rt" = husk ] && [ -d "$d" ] && grep -h "Error" "$d"/*.log 2>/dev/null | head -5 | sed 's/^/# criu: /'
  done
done
rm -rf "$work" 2>/dev/null
echo "1..$n"
exit $((failed > 0))
