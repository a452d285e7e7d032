#!/usr/bin/env bats
# containerd (Debian's 1.6) and ctr with the runtime under test
# (ENGINE_RUNTIME=husk, or runc as the reference), through containerd's runc
# shim (containerd-shim-runc-v2), which runs it as runc: --root, --log
# <bundle>/log.json --log-format json, create/start/exec/ps/pause/resume/
# kill/delete. The daemon runs from a config of its own
# (contrib/engines/containerd-config.toml appended), with its root, state and
# socket under a temporary directory, and is stopped by PID.
# ctr 1.6 picks the binary with --runc-binary; the BinaryName of the config
# file is what CRI uses (tests/engines/cri.bats).

load helpers

IMG=docker.io/library/husk-busybox:engines
NS=husk-engines

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v containerd >/dev/null && command -v containerd-shim-runc-v2 >/dev/null ||
		skip "containerd is not installed (contrib/install-deps.sh)"
	[ -x "$RT_PATH" ] || skip "no runtime at $RT_PATH"
	export CT="$BATS_FILE_TMPDIR/containerd"
	export CGPARENT="husk-engines-ctr-$$"
	export RTROOT="$CT/rt-root"
	containerd_start "$CT"
	engine_rootfs_tar "$CT/rootfs.tar"
	python3 "$BATS_TEST_DIRNAME/oci-image.py" "$CT/rootfs.tar" "$IMG" "$CT/image.tar"
	ctr --address "$CT/containerd.sock" -n "$NS" images import "$CT/image.tar" >/dev/null
	rm -f "$CT/rootfs.tar" "$CT/image.tar"
}

teardown_file() {
	[ -n "${CT:-}" ] || return 0
	containerd_stop "$CT"
	cg_rmdir_tree "$CGPARENT"
	rm -rf "$CT"
}

teardown() {
	[ -n "${CT:-}" ] || return 0
	local id
	for id in $(c tasks ls -q 2>/dev/null); do
		c tasks kill -s KILL "$id" >/dev/null 2>&1
		c tasks delete -f "$id" >/dev/null 2>&1
	done
	for id in $(c containers ls -q 2>/dev/null); do c containers delete "$id" >/dev/null 2>&1; done
}

# c ARGS...: ctr in the file's namespace. crun ARGS... IMAGE ID CMD...: ctr run
# with the runtime under test, its state root and a cgroup below the file's.
c() {
	ctr --address "$CT/containerd.sock" -n "$NS" "$@"
}
crun() {
	local args=() id
	while [ $# -gt 0 ] && [ "$1" != "$IMG" ]; do
		args+=("$1")
		shift
	done
	id=$2
	c run --runc-binary "$RT_PATH" --runc-root "$RTROOT" --cgroup "/$CGPARENT/$id" "${args[@]}" "$@"
}

# no_leftovers ID: no container, task, runtime state, mount, cgroup or shim
# of ID is left.
no_leftovers() {
	local id=$1
	run -0 c containers ls -q
	[[ "$output" != *"$id"* ]]
	[ ! -e "$RTROOT/$NS/$id" ] || { echo "runtime state left: $RTROOT/$NS/$id"; return 1; }
	! grep -q "/$id/" /proc/self/mountinfo || { grep "/$id/" /proc/self/mountinfo; return 1; }
	[ ! -d "/sys/fs/cgroup/memory/$CGPARENT/$id" ] && [ ! -d "/sys/fs/cgroup/$CGPARENT/$id" ] ||
		{ echo "cgroup left: $CGPARENT/$id"; return 1; }
	[ ! -e "$CT/state/io.containerd.runtime.v2.task/$NS/$id" ] || { echo "shim state left"; return 1; }
	! grep -qs -- "-id $id " /proc/[0-9]*/cmdline || { echo "shim of $id still running"; return 1; }
}

@test "ctr run --rm: output, the runtime's state root, nothing left" {
	# the runtime ran the container: its state dir existed while it ran
	run -0 crun --rm "$IMG" rm1 sh -c "echo hello; test -d /proc/1 && echo up"
	[ "$output" = "$(printf 'hello\nup')" ]
	[ -d "$RTROOT/$NS" ]
	no_leftovers rm1
}

@test "ctr run: the exit code" {
	run -5 crun --rm "$IMG" ex1 sh -c 'exit 5'
	run -0 crun --rm "$IMG" ex2 true
	no_leftovers ex1
}

@test "ctr run -d, task exec, ps, pause/resume, metrics, kill, delete: nothing left" {
	run -0 crun -d "$IMG" d1 sleep 600
	[ -d "$RTROOT/$NS/d1" ]
	run -4 c task exec --exec-id e2 d1 sh -c 'echo exec-ok; exit 4'
	[ "$output" = exec-ok ]
	run -0 c task exec --exec-id e3 --cwd /tmp d1 pwd
	[ "$output" = /tmp ]
	# task ps: the runtime's `ps --format json`
	pid=$(c task ls | awk '$1 == "d1" { print $2 }')
	run -0 c task ps d1
	[[ "$output" == *"$pid"* ]]
	run -0 c task pause d1
	run -0 c task ls
	[[ "$output" == *PAUSED* ]]
	run -0 c task resume d1
	run -0 c task ls
	[[ "$output" == *RUNNING* ]]
	run -0 c task metrics d1
	[[ "$output" == *memory* ]] || [[ "$output" == *pids* ]]
	run -0 c task kill -s KILL d1
	retry 25 sh -c "ctr --address $CT/containerd.sock -n $NS task ls | grep d1 | grep -q STOPPED"
	run -0 c task delete d1
	run -0 c containers delete d1
	no_leftovers d1
}

@test "ctr run -t: a terminal, typed input" {
	command -v expect >/dev/null || skip "expect is not installed"
	run -3 expect -c "
		set timeout 20
		spawn ctr --address $CT/containerd.sock -n $NS run -t --rm --runc-binary $RT_PATH --runc-root $RTROOT --cgroup /$CGPARENT/t1 $IMG t1 sh
		expect \"# \"
		send \"tty; echo typed-\\\$((40+2))\r\"
		expect \"typed-42\"
		send \"exit 3\r\"
		expect eof
		exit [lindex [wait] 3]" </dev/null
	[[ "$output" == */dev/pts/0* ]]
	no_leftovers t1
}

@test "ctr run --cap-drop of every default capability: none is left" {
	# ctr has no "ALL": drop each of containerd's default capabilities, which
	# leaves every set empty (containerd then writes "capabilities": {}).
	local drops=() cap
	for cap in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP \
		NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
		drops+=(--cap-drop "CAP_$cap")
	done
	run -0 crun --rm "${drops[@]}" "$IMG" cap1 grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status
	[ "$(grep -c ':	0000000000000000$' <<<"$output")" = 3 ] || { echo "$output"; false; }
	run -0 crun --rm --cap-drop CAP_NET_RAW "$IMG" cap2 grep CapEff /proc/self/status
	[ "$output" = "$(printf 'CapEff:\t00000000a80405fb')" ]
}

@test "ctr run --memory-limit: the limit on the host" {
	run -0 crun -d --memory-limit 67108864 "$IMG" m1 sleep 600
	pid=$(c task ls | awk '$1 == "m1" { print $2 }')
	run -0 cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)"
	[ "$output" = 67108864 ]
}

@test "ctr run: the runtime's error reaches the ctr user (through its JSON log)" {
	run -1 crun --rm "$IMG" err1 /no/such/binary
	echo "$output"
	[[ "$output" == *"OCI runtime create failed"* ]]
	[[ "$output" == *"/no/such/binary"* ]]
	# one runtime prefix at most, never "husk: husk:"
	[[ "$output" != *"$RT_NAME: $RT_NAME:"* ]]
	# and nothing left of the failed container but what ctr keeps
	c containers delete err1 >/dev/null 2>&1 || true
	no_leftovers err1
}
