#!/usr/bin/env bats
# config-linux.md: namespaces, user/time namespaces, devices, sysctl,
# seccomp, rootfs propagation, masked/readonly paths, personality

bats_require_minimum_version 1.5.0
load helpers

# the runtime namespace: the ns of the shell that calls the runtime
host_ns() { readlink "/proc/self/ns/$1"; }

# ----------------------------------------------------------- Namespaces ----

@test "config-linux.md Namespaces: each listed namespace without path is new" {
	cfg '.linux.namespaces = [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}]'
	cmd 'for n in pid net ipc uts mnt cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	run_ctr
	ok
	for n in pid net ipc uts mnt cgroup; do
		got=$(awk -v n="$n" '$1 == n {print $2}' <<<"$output")
		[ -n "$got" ]
		[ "$got" != "$(host_ns "$n")" ] || { echo "$n namespace is the host's: $got" >&2; false; }
	done
}

@test "config-linux.md Namespaces: a type not listed is inherited from the runtime namespace" {
	cfg '.linux.namespaces = [{"type": "pid"}, {"type": "mount"}] | del(.hostname)'
	cmd 'for n in net ipc uts; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	run_ctr
	ok
	for n in net ipc uts; do
		eq "$(awk -v n="$n" '$1 == n {print $2}' <<<"$output")" "$(host_ns "$n")" "$n ns"
	done
}

@test "config-linux.md Namespaces: without a mount namespace the container is in the runtime's, its mounts under the rootfs, removed by delete" {
	# runc 1.1.5 refuses maskedPaths/readonlyPaths there ("unable to restrict
	# sys entries without a private MNT namespace") and leaves its mounts
	runc_fails "maskedPaths without a mount namespace; mounts left after delete"
	echo secret >"$BUNDLE/rootfs/etc/secret"
	cfg '.linux.namespaces -= [{"type": "mount"}]
	  | .linux.maskedPaths += ["/etc/secret"] | .linux.readonlyPaths += ["/etc"]
	  | .mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}]'
	cmd 'readlink /proc/self/ns/mnt; echo "[$(cat /etc/secret)]"; touch /etc/x 2>/dev/null || echo "etc ro"
	     grep -E " /(proc|dev|mnt) " /proc/self/mountinfo | cut -d" " -f5,9'
	CIDS+=("$CID")
	# only ever inside a private mount namespace of the test's own: the
	# container's mounts go into the namespace that runs the runtime
	unshare -m --propagation private sh -c '
		readlink /proc/self/ns/mnt >"$5/ns"
		cat /proc/self/mountinfo >"$5/before"
		"$2" --root "$3" run --keep --bundle "$1" "$4" </dev/null >"$5/out" 2>"$5/err"
		echo $? >"$5/rc"
		cat /proc/self/mountinfo >"$5/during"
		"$2" --root "$3" delete "$4" 2>>"$5/err"
		echo $? >"$5/delrc"
		cat /proc/self/mountinfo >"$5/after"' _ "$BUNDLE" "$RUNTIME" "$ROOT" "$CID" "$T"
	cat "$T/err"
	eq "$(cat "$T/rc")" 0 "run exit code"
	eq "$(cat "$T/out")" "$(cat "$T/ns")
[]
etc ro
/proc proc
/dev tmpfs
/mnt tmpfs" "what the container saw"
	grep -q " $BUNDLE/rootfs/mnt " "$T/during" || { echo "no mount at $BUNDLE/rootfs/mnt in the runtime's namespace" >&2; false; }
	eq "$(cat "$T/delrc")" 0 "delete exit code"
	# the mount table is what it was: no mount left, no propagation changed
	diff "$T/before" "$T/after"
}

@test "config-linux.md Namespaces: pid namespace makes the process pid 1" {
	cmd 'echo $$'
	run_ctr
	ok
	eq "$output" 1
}

@test "config-linux.md Namespaces: path joins an existing namespace (another container's)" {
	share
	sleeper
	started "$CID-a"
	pida=$(state_pid "$CID-a")
	want_net=$(readlink "/proc/$pida/ns/net")
	want_uts=$(readlink "/proc/$pida/ns/uts")
	want_ipc=$(readlink "/proc/$pida/ns/ipc")
	cfg --arg p "/proc/$pida/ns" '.linux.namespaces = [{"type": "pid"}, {"type": "mount"},
	  {"type": "network", "path": ($p + "/net")},
	  {"type": "uts", "path": ($p + "/uts")},
	  {"type": "ipc", "path": ($p + "/ipc")}] | del(.hostname)'
	cmd 'for n in net uts ipc; do readlink /proc/self/ns/$n; done'
	run_ctr "$CID-b"
	ok
	eq "$(echo $output)" "$want_net $want_uts $want_ipc"
}

@test "config-linux.md Namespaces: path joins a namespace bound to a file (unshare --net=FILE)" {
	touch "$T/netns"
	unshare --net="$T/netns" true
	want=$(nsenter --net="$T/netns" readlink /proc/self/ns/net)
	cfg --arg p "$T/netns" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	cmd 'readlink /proc/self/ns/net'
	run_ctr
	umount "$T/netns"
	ok
	eq "$output" "$want"
}

@test "config-linux.md Namespaces: a path of another namespace type is an error" {
	sleeper
	cfg '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
	create_ctr
	failed_cleanly
}

@test "config-linux.md Namespaces: a path that is not a namespace is an error" {
	sleeper
	touch "$T/notns"
	cfg --arg p "$T/notns" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	create_ctr
	failed_cleanly
}

@test "config-linux.md Namespaces: duplicated namespace types are an error" {
	sleeper
	cfg '.linux.namespaces += [{"type": "network"}]'
	create_ctr
	failed_cleanly
}

@test "config-linux.md Namespaces: cgroup namespace shows the container's cgroup as /" {
	# runc spec already lists a cgroup namespace on cgroup v2 hosts
	cfg 'if any(.linux.namespaces[]; .type == "cgroup") then . else .linux.namespaces += [{"type": "cgroup"}] end'
	cmd 'cat /proc/self/cgroup'
	run_ctr
	ok
	grep -qx '0::/' <<<"$output"
	# v1 hierarchies are rooted too
	if grep -v '^0::' <<<"$output" | grep -qv ':/$'; then
		echo "not rooted: $output" >&2
		false
	fi
}

@test "config-linux.md Namespaces: with a cgroup namespace, the cgroup mount at /sys/fs/cgroup is the container's cgroup" {
	# A cgroupfs mounted before the namespace exists shows the host's tree
	# (mountinfo root /../..): podman's default on cgroup v2, and
	# --cgroupns=private on v1.
	cfg 'if any(.linux.namespaces[]; .type == "cgroup") then . else .linux.namespaces += [{"type": "cgroup"}] end
	  | .linux.resources.memory = {"limit": 67108864}'
	jq -e '.mounts[] | select(.type == "cgroup" and .destination == "/sys/fs/cgroup")' "$BUNDLE/config.json" >/dev/null
	local limit_file v1=""
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		limit_file=/sys/fs/cgroup/memory.max
	else
		v1=1
		limit_file=/sys/fs/cgroup/memory/memory.limit_in_bytes
		# a host cgroup the container must not see
		mkdir "/sys/fs/cgroup/memory/$MARK"
	fi
	cmd "awk '\$5 ~ \"^/sys/fs/cgroup\" {print \"mount\", \$4, \$5}' /proc/self/mountinfo
	     echo limit \$(cat $limit_file)
	     for d in /sys/fs/cgroup/memory /sys/fs/cgroup; do [ -d \$d ] && echo ls \$d: \$(ls \$d); done"
	run_ctr
	[ -z "$v1" ] || rmdir "/sys/fs/cgroup/memory/$MARK"
	ok
	grep -q '^mount / /sys/fs/cgroup' <<<"$output" || { echo "no cgroup mount: $output" >&2; false; }
	# every mount there (v1: the tmpfs and each hierarchy) has root /
	if grep '^mount ' <<<"$output" | grep -v '^mount / '; then
		echo "not rooted at the container's cgroup: $output" >&2
		false
	fi
	eq "$(sed -n 's/^limit //p' <<<"$output")" 67108864 "$limit_file inside"
	if [ -n "$v1" ] && grep -q "$MARK" <<<"$output"; then
		echo "a host cgroup is listed: $output" >&2
		false
	fi
}

# -------------------------------------------------------- User namespace ---

userns_cfg() {
	# the busybox rootfs is root-owned and world-readable; the bundle's
	# parents must be searchable by the mapped root
	local d=$T
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	cfg '.linux.namespaces += [{"type": "user"}]
	  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	  | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
	  | .mounts |= map(select(.type != "cgroup"))'
}

@test "config-linux.md User namespace mappings: uid_map and gid_map match the config" {
	userns_cfg
	cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u'
	run_ctr
	ok
	eq "$(echo $output)" "0 100000 65536 0 200000 65536 0"
	[ "$(readlink /proc/self/ns/user)" != "" ]
}

@test "config-linux.md User namespace mappings: the container's root is the mapped host uid" {
	userns_cfg
	sleeper
	started
	pid=$(state_pid)
	eq "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" 100000 "host uid"
	eq "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" 200000 "host gid"
	[ "$(readlink "/proc/$pid/ns/user")" != "$(host_ns user)" ]
}

# -------------------------------------------------------- Time namespace ---

@test "config-linux.md Offset for Time Namespace: timeOffsets are in /proc/self/timens_offsets" {
	[ -e /proc/self/timens_offsets ] || skip "kernel without time namespaces"
	skip_if_runc "the time namespace and linux.timeOffsets"
	cfg '.linux.namespaces += [{"type": "time"}]
	  | .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 172800, "nanosecs": 0}}'
	cmd 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime'
	run_ctr
	ok
	grep -qE '^monotonic +86400 +0$' <<<"$output"
	grep -qE '^boottime +172800 +0$' <<<"$output"
	host_up=$(cut -d. -f1 /proc/uptime)
	up=$(tail -1 <<<"$output")
	[ "$up" -ge $((host_up + 172800 - 5)) ]
}

# --------------------------------------------------------------- Devices ---

# dev_info PATH: "type major minor mode uid gid" via busybox stat (hex major/minor)
@test "config-linux.md Default Devices: null zero full random urandom tty exist with the right numbers" {
	cmd 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done'
	run_ctr
	ok
	eq "$output" "null character special file 1:3
zero character special file 1:5
full character special file 1:7
random character special file 1:8
urandom character special file 1:9
tty character special file 5:0"
}

@test "config-linux.md Default Devices: default devices are usable (read/write)" {
	cmd 'echo x >/dev/null && head -c 4 /dev/zero | od -An -tx1 && head -c 8 /dev/urandom | wc -c && head -c 1 /dev/random | wc -c'
	run_ctr
	ok
	eq "$(echo $output)" "00 00 00 00 8 1"
}

@test "config-linux.md Default Devices: /dev/ptmx is the container's /dev/pts/ptmx" {
	cmd 'if [ -L /dev/ptmx ]; then readlink /dev/ptmx; else stat -c "%t:%T" /dev/ptmx; fi'
	run_ctr
	ok
	[[ "$output" == "pts/ptmx" || "$output" == "/dev/pts/ptmx" || "$output" == "5:2" ]]
}

@test "config-linux.md Default Devices: /dev/console is the pty when terminal is true (--console-socket)" {
	command -v python3 >/dev/null || skip "needs python3 for the console socket receiver"
	cat >"$T/recv.py" <<-'EOF'
		import os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(sys.argv[1]); s.listen(1); s.settimeout(30)
		c, _ = s.accept()
		_, fds, _, _ = socket.recv_fds(c, 1024, 1)
		out = open(sys.argv[2], "wb")
		while True:
		    try:
		        b = os.read(fds[0], 4096)
		    except OSError:
		        break
		    if not b:
		        break
		    out.write(b); out.flush()
	EOF
	python3 "$T/recv.py" "$T/console.sock" "$T/console.out" &
	recv=$!
	for _ in $(seq 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
	cfg '.process.terminal = true'
	cmd 'tty; stat -c "%F %t" /dev/console; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; sleep 0.5'
	CIDS+=("$CID")
	rt create --console-socket "$T/console.sock" --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>"$T/err" || { cat "$T/err" >&2; false; }
	rt start "$CID"
	wait_status stopped
	kill "$recv" 2>/dev/null || true
	wait "$recv" || true
	out=$(tr -d '\r' <"$T/console.out")
	contains "$out" "/dev/pts/0"
	# /dev/console is the pty (Unix98 pty slaves have major 136 = 0x88)
	contains "$out" "character special file 88"
	contains "$out" stdio-is-tty
}

@test "config-linux.md Devices: a linux.devices entry is created with type, numbers, fileMode, uid, gid" {
	cfg '.linux.devices = [{"path": "/dev/conf-null", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 1000, "gid": 1001}]'
	cmd 'stat -c "%F %t:%T %a %u %g" /dev/conf-null'
	run_ctr
	ok
	eq "$output" "character special file 1:3 660 1000 1001"
}

@test "config-linux.md Devices: a fileMode with the file type bits (podman's S_IFCHR|0600) gives the node those permissions" {
	# podman writes the st_mode of the host device: 8576 = 020600
	cfg '.linux.devices = [{"path": "/dev/conf-typed", "type": "c", "major": 1, "minor": 3, "fileMode": 8576}]'
	cmd 'stat -c "%F %t:%T %a" /dev/conf-typed'
	run_ctr
	ok
	eq "$output" "character special file 1:3 600"
}

@test "config-linux.md Devices: a block device entry" {
	cfg '.linux.devices = [{"path": "/dev/conf-blk", "type": "b", "major": 7, "minor": 200, "fileMode": 384}]'
	cmd 'stat -c "%F %t:%T %a" /dev/conf-blk'
	run_ctr
	ok
	eq "$output" "block special file 7:c8 600"
}

@test "config-linux.md Devices: a fifo (type p) entry" {
	cfg '.linux.devices = [{"path": "/dev/conf-fifo", "type": "p", "fileMode": 420}]'
	cmd 'stat -c "%F %a" /dev/conf-fifo'
	run_ctr
	ok
	eq "$output" "fifo 644"
}

@test "config-linux.md Devices: a device path outside /dev" {
	cfg '.linux.devices = [{"path": "/devs/sub/conf-null", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
	cmd 'stat -c "%F %t:%T" /devs/sub/conf-null'
	run_ctr
	ok
	eq "$output" "character special file 1:3"
}

@test "config-linux.md Devices: an existing file at path that does not match the device is an error" {
	sleeper
	echo regular >"$BUNDLE/rootfs/etc/clash"
	cfg '.linux.devices = [{"path": "/etc/clash", "type": "c", "major": 1, "minor": 3}]'
	runc_fails "it replaces a mismatching file at a device path instead of failing"
	create_ctr
	failed_cleanly
}

# ---------------------------------------------------- Dev symbolic links ---

@test "runtime-linux.md Dev symbolic links: /dev/stdout writes to the process's stdout" {
	cmd 'echo via-dev-stdout >/dev/stdout; echo via-dev-fd >/dev/fd/1'
	run_ctr
	ok
	eq "$output" $'via-dev-stdout\nvia-dev-fd'
}

# ---------------------------------------------------------------- Sysctl ---

@test "config-linux.md Sysctl: net.ipv4.ip_forward is set in the container's network namespace" {
	before=$(cat /proc/sys/net/ipv4/ip_forward)
	want=$((1 - before))
	cfg --arg v "$want" '.linux.sysctl = {"net.ipv4.ip_forward": $v}'
	cmd 'cat /proc/sys/net/ipv4/ip_forward'
	run_ctr
	ok
	eq "$output" "$want"
	eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$before" "host value"
}

@test "config-linux.md Sysctl: kernel.shmmax is set in the container's IPC namespace" {
	before=$(cat /proc/sys/kernel/shmmax)
	cfg '.linux.sysctl = {"kernel.shmmax": "4096000"}'
	cmd 'cat /proc/sys/kernel/shmmax'
	run_ctr
	ok
	eq "$output" 4096000
	eq "$(cat /proc/sys/kernel/shmmax)" "$before" "host value"
}

# --------------------------------------------------------------- Seccomp ---

mkdir_rule() { # mkdir_rule ACTION-JSON-FRAGMENT
	cfg ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],
	  \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], $1}]}"
}

@test "config-linux.md Seccomp: SCMP_ACT_ERRNO with errnoRet returns that errno" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	mkdir_rule '"action": "SCMP_ACT_ERRNO", "errnoRet": 122'
	cmd 'mkdir /tmp/d; echo after'
	run_ctr
	ok
	eq "$output" after
	contains "$stderr" "Disk quota exceeded"
	[ ! -d "$BUNDLE/rootfs/tmp/d" ]
}

# A seccomp agent in python3: receives the container process state and the
# notify fd on listenerPath, records what it got, then closes the fd — the
# kernel then fails the notified syscall with ENOSYS.
@test "config-linux.md Seccomp: SCMP_ACT_NOTIFY sends the container process state and the fd to listenerPath" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	command -v python3 >/dev/null || skip "python3 is needed for the seccomp agent"
	sock="$T/agent.sock"
	python3 - "$sock" "$T/agent.out" <<'PY' &
import json, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1 << 16, 4)
state = json.loads(msg.decode())
kind = os.readlink("/proc/self/fd/%d" % fds[0]) if fds else "none"
with open(out, "w") as f:
    json.dump({"state": state, "nfds": len(fds), "kind": kind}, f)
for fd in fds:
    os.close(fd)
PY
	agent=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	cfg --arg p "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p,
	  "listenerMetadata": "conformance", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	cmd 'sleep 1; mkdir /tmp/d; echo after'
	run_ctr
	wait "$agent"
	ok
	eq "$output" after
	contains "$stderr" "Function not implemented"
	jq -e '.nfds == 1 and (.kind | test("seccomp")) and .state.fds == ["seccompFd"]
	  and .state.metadata == "conformance" and .state.pid > 0
	  and .state.state.ociVersion != null and (.state.state.id | length) > 0' "$T/agent.out"
}

@test "config-linux.md Seccomp: SCMP_ACT_ERRNO without errnoRet returns EPERM" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	mkdir_rule '"action": "SCMP_ACT_ERRNO"'
	cmd 'mkdir /tmp/d'
	run_ctr
	[ "$status" -ne 0 ]
	contains "$stderr" "Operation not permitted"
}

@test "config-linux.md Seccomp: defaultAction SCMP_ACT_ERRNO with an allow list" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
	[ -r "$hdr" ] || skip "needs $hdr (linux-libc-dev) for the syscall list"
	names=$(sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' "$hdr" | grep -vxE 'mkdir|mkdirat' | jq -R . | jq -s .)
	cfg --argjson n "$names" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 122,
	  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": $n, "action": "SCMP_ACT_ALLOW"}]}'
	cmd 'echo allowed; mkdir /tmp/d'
	run_ctr
	[ "$status" -ne 0 ]
	eq "$output" allowed
	contains "$stderr" "Disk quota exceeded"
}

@test "config-linux.md Seccomp: SCMP_ACT_KILL kills the process with SIGSYS (exit 128+31)" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	mkdir_rule '"action": "SCMP_ACT_KILL"'
	cmd 'exec mkdir /tmp/d'
	run_ctr
	eq "$status" $((128 + 31)) "exit code"
	eq "$output" ""
}

@test "config-linux.md Seccomp: SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	mkdir_rule '"action": "SCMP_ACT_KILL_PROCESS"'
	cmd 'exec mkdir /tmp/d'
	run_ctr
	eq "$status" $((128 + 31)) "exit code"
}

@test "config-linux.md Seccomp: an argument condition restricts the rule" {
	# deny kill(_, SIGUSR2) only; kill(_, 0) stays allowed
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122,
	  "args": [{"index": 1, "value": 12, "op": "SCMP_CMP_EQ"}]}]}'
	cmd 'trap "echo got-usr2" USR2; kill -0 $$ && echo sig0-ok; kill -USR2 $$ || echo usr2-denied'
	run_ctr
	ok
	eq "$output" $'sig0-ok\nusr2-denied'
	contains "$stderr" "Disk quota exceeded"
}

@test "config-linux.md Seccomp: an action that takes no errno but has errnoRet is an error" {
	sleeper
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 5}]}'
	runc_fails "it accepts errnoRet on SCMP_ACT_KILL"
	create_ctr
	failed_cleanly
}

@test "config-linux.md Seccomp: an unknown action is an error" {
	sleeper
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_NONSENSE"}'
	create_ctr
	failed_cleanly
}

@test "config-linux.md Seccomp: a profile for another architecture only does not filter native syscalls" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	# libseccomp always keeps the native arch in a filter; the rules are
	# compiled for it too, so a deny rule still applies (runc behaviour).
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_AARCH64"],
	  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	cmd 'mkdir /tmp/d && echo made'
	run_ctr
	if [ "$status" -eq 0 ]; then
		eq "$output" made
	else
		# either the deny rule applies natively, or create failed cleanly
		if [[ "$stderr" == *"Disk quota exceeded"* ]]; then :; else failed_cleanly; fi
	fi
}

# ------------------------------------------------- Rootfs mount propagation -

root_propagation() { awk '$5 == "/" {for (i = 7; $i != "-"; i++) printf "%s ", $i; print ""}' <<<"$1"; }

@test "config-linux.md Rootfs Mount Propagation: private" {
	cfg '.linux.rootfsPropagation = "private"'
	cmd 'cat /proc/self/mountinfo'
	run_ctr
	ok
	p=$(root_propagation "$output")
	[[ "$p" != *shared:* && "$p" != *master:* ]] || { echo "/ propagation: $p" >&2; false; }
}

@test "config-linux.md Rootfs Mount Propagation: shared puts / in a peer group" {
	runc_fails "/ is not in a peer group (no shared:N in mountinfo)"
	cfg '.linux.rootfsPropagation = "shared"'
	cmd 'cat /proc/self/mountinfo'
	run_ctr
	ok
	p=$(root_propagation "$output")
	contains "$p" "shared:"
}

@test "config-linux.md Rootfs Mount Propagation: unbindable" {
	runc_fails "create fails: bind of the rootfs onto itself gives EINVAL"
	cfg '.linux.rootfsPropagation = "unbindable"'
	cmd 'cat /proc/self/mountinfo'
	run_ctr
	ok
	p=$(root_propagation "$output")
	contains "$p" "unbindable"
}

@test "config-linux.md Rootfs Mount Propagation: slave receives mounts from the host" {
	# in a private mount namespace of our own, make the bundle a shared mount
	# so that a slave root has a master
	runc_fails "/ is private (no master:N), a mount made in the runtime namespace does not reach the container"
	share
	cfg '.linux.rootfsPropagation = "slave"'
	cmd 'while [ ! -e /shared/go ]; do sleep 0.1; done; grep -c " /mnt " /proc/self/mountinfo; echo done'
	CIDS+=("$CID")
	unshare -m --propagation private sh -c '
		mount --bind "$1" "$1" && mount --make-shared "$1"
		timeout 30 "$2" --root "$3" run --bundle "$1" "$4" </dev/null >"$5/out" 2>"$5/err" &
		for i in $(seq 100); do [ "$(timeout 5 "$2" --root "$3" state "$4" 2>/dev/null | grep -c running)" = 1 ] && break; sleep 0.1; done
		mount -t tmpfs none "$1/rootfs/mnt"
		touch "$5/shared/go"
		wait $!' _ "$BUNDLE" "$RUNTIME" "$ROOT" "$CID" "$T"
	eq "$(cat "$T/out" | tr '\n' ' ')" "1 done " "mount seen in the container"
}

# ------------------------------------------------- Masked / Readonly paths -

@test "config-linux.md Masked Paths: a masked file reads empty, a masked directory is empty" {
	echo secret >"$BUNDLE/rootfs/etc/secret"
	mkdir -p "$BUNDLE/rootfs/etc/secretdir"
	echo secret >"$BUNDLE/rootfs/etc/secretdir/f"
	cfg '.linux.maskedPaths += ["/etc/secret", "/etc/secretdir"]'
	cmd 'echo "[$(cat /etc/secret)]"; echo "[$(ls -A /etc/secretdir)]"'
	run_ctr
	ok
	eq "$output" $'[]\n[]'
}

@test "config-linux.md Masked Paths: /proc/kcore and /sys/firmware of the default list are masked" {
	cmd 'echo "[$(head -c 16 /proc/kcore 2>/dev/null | wc -c)]"; echo "[$(ls -A /sys/firmware 2>/dev/null)]"'
	run_ctr
	ok
	eq "$output" $'[0]\n[]'
}

@test "config-linux.md Masked Paths: a masked path that does not exist is not an error" {
	cfg '.linux.maskedPaths += ["/does/not/exist"]'
	cmd 'echo fine'
	run_ctr
	ok
	eq "$output" fine
}

@test "config-linux.md Readonly Paths: writes fail with EROFS" {
	mkdir -p "$BUNDLE/rootfs/etc/rodir"
	cfg '.linux.readonlyPaths += ["/etc/rodir"]'
	cmd 'echo ok >/tmp/writable && touch /etc/rodir/f'
	run_ctr
	[ "$status" -ne 0 ]
	contains "$stderr" "Read-only file system"
}

@test "config-linux.md Readonly Paths: /proc/sys of the default list is read-only" {
	cmd 'echo 1 >/proc/sys/kernel/shmmax'
	run_ctr
	[ "$status" -ne 0 ]
	contains "$stderr" "Read-only file system"
}

# ----------------------------------------------------------- Personality ---

@test "config-linux.md Personality: LINUX32 makes uname -m report a 32-bit CPU" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
	skip_if_runc "linux.personality"
	cfg '.linux.personality = {"domain": "LINUX32"}'
	cmd 'uname -m'
	run_ctr
	ok
	eq "$output" i686
}

@test "config-linux.md Personality: LINUX keeps the native machine" {
	cfg '.linux.personality = {"domain": "LINUX"}'
	cmd 'uname -m'
	run_ctr
	ok
	eq "$output" "$(uname -m)"
}

# -------------------------------------------------------- Memory policy ---

@test "config-linux.md Memory policy: memoryPolicy MPOL_BIND node 0 is applied" {
	skip_if_runc "linux.memoryPolicy"
	[ -d /sys/devices/system/node/node0 ] || skip "no NUMA node 0"
	cfg '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	cmd 'grep -m1 -o " bind:0" /proc/self/numa_maps'
	run_ctr
	ok
	eq "$output" " bind:0"
}

@test "config-linux.md Network Devices: netDevices moves a host interface into the container" {
	skip_if_runc "linux.netDevices"
	# the "host" interface lives in a network namespace made for this test
	touch "$T/hostns"
	unshare --net="$T/hostns" true
	# a dummy where the kernel has the driver, else one end of a veth pair
	nsenter --net="$T/hostns" ip link add conf0 type dummy 2>/dev/null ||
		nsenter --net="$T/hostns" ip link add conf0 type veth peer name conf0p
	CIDS+=("$CID")
	cfg '.linux.netDevices = {"conf0": {"name": "ctr0"}}'
	cmd 'cat /sys/class/net/ctr0/operstate; ip -o link show ctr0 | grep -c ctr0'
	out=$(nsenter --net="$T/hostns" "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null 2>&1) || rc=$?
	umount "$T/hostns"
	[ "${rc:-0}" = 0 ] || { echo "$out" >&2; false; }
	contains "$out" 1
}

# ------------------------------------------------------------ idmap mounts -

@test "config.md Mounts: idmap applies the mount's uidMappings/gidMappings" {
	skip_if_runc "the idmap mount option"
	userns_cfg
	mkdir -p "$T/vol" "$BUNDLE/rootfs/vol"
	touch "$T/vol/rootfile"
	chown 0:0 "$T/vol/rootfile"
	cfg --arg s "$T/vol" '.mounts += [{"destination": "/vol", "type": "bind", "source": $s, "options": ["bind", "idmap"],
	  "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
	  "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]}]'
	cmd 'stat -c "%u:%g" /vol/rootfile /etc/passwd'
	run_ctr
	ok
	# through the idmapped mount host 0 is the container's 0; the plain rootfs
	# file (owned by host 0, unmapped) is the overflow id
	eq "$(echo $output)" "0:0 65534:65534"
}

@test "config.md Mounts: idmap without mappings and without a user namespace is an error" {
	sleeper
	mkdir -p "$T/vol"
	cfg --arg s "$T/vol" '.mounts += [{"destination": "/vol", "type": "bind", "source": $s, "options": ["bind", "idmap"]}]'
	runc_fails "it ignores the idmap option"
	create_ctr
	failed_cleanly
}

# --------------------------------------------------------------- Cgroups ---

# host_cgroup_file PID CONTROLLER FILE-V1 FILE-V2: the host path of a cgroup
# file of PID, cgroup v1 (hybrid) or v2
host_cgroup_file() {
	local pid=$1 ctrl=$2 f1=$3 f2=$4 p
	p=$(awk -F: -v c="$ctrl" '$2 == c {print $3}' "/proc/$pid/cgroup")
	if [ -n "$p" ] && [ -e "/sys/fs/cgroup/$ctrl$p/$f1" ]; then
		echo "/sys/fs/cgroup/$ctrl$p/$f1"
		return
	fi
	p=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
	for base in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ -e "$base$p/$f2" ] && { echo "$base$p/$f2"; return; }
	done
	echo "no $f1/$f2 for pid $pid" >&2
	return 1
}

@test "config-linux.md Cgroups Path: the container is placed in cgroupsPath, removed on delete" {
	cg="/hkconf-$CID"
	cfg --arg p "$cg" '.linux.cgroupsPath = $p'
	sleeper
	created
	pid=$(state_pid)
	grep -E ":$cg\$" "/proc/$pid/cgroup"
	rt delete --force "$CID"
	for d in /sys/fs/cgroup/*"$cg" /sys/fs/cgroup/"$cg"; do
		[ ! -d "$d" ] || { echo "cgroup $d left behind" >&2; false; }
	done
}

@test "config-linux.md PIDs: resources.pids.limit is the cgroup's pids.max" {
	cfg '.linux.resources.pids = {"limit": 42}'
	sleeper
	created
	f=$(host_cgroup_file "$(state_pid)" pids pids.max pids.max)
	eq "$(cat "$f")" 42 "$f"
}

@test "config-linux.md Memory: resources.memory.limit is the cgroup's memory limit" {
	cfg '.linux.resources.memory = {"limit": 67108864}'
	sleeper
	created
	f=$(host_cgroup_file "$(state_pid)" memory memory.limit_in_bytes memory.max)
	eq "$(cat "$f")" 67108864 "$f"
}
