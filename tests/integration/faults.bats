#!/usr/bin/env bats
# Faults and races (issue 10): a create killed at any point leaves either
# nothing or a container that `list` shows and `delete --force` removes
# completely; readers (`state`, `list`) never wait for a writer; a failing
# `start` leaves the container as it was.

bats_require_minimum_version 1.5.0

load helpers


setup_file() {
	setup_busybox_base
}

setup() {
	setup_root
	ID="ft$$-$BATS_TEST_NUMBER"
	CGPATH="/husk-faults-$$/$ID"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
	# the hook records its pid here and waits (no timeout: it would hang)
	cat >"$BATS_TEST_TMPDIR/hook.sh" <<-HOOK
		#!/bin/sh
		echo \$\$ >"$BATS_TEST_TMPDIR/hook.pid"
		exec sleep 600
	HOOK
	chmod 755 "$BATS_TEST_TMPDIR/hook.sh"
}

teardown() {
	husk delete --force "$ID" >/dev/null 2>&1 || true
	[ -f "$BATS_TEST_TMPDIR/hook.pid" ] && kill -9 "$(cat "$BATS_TEST_TMPDIR/hook.pid")" 2>/dev/null || true
	for d in /sys/fs/cgroup/*/husk-faults-$$ /sys/fs/cgroup/unified/husk-faults-$$ /sys/fs/cgroup/husk-faults-$$; do
		[ -d "$d" ] && rmdir "$d"/* "$d" 2>/dev/null || true
	done
}

# make_config SCRIPT [JQ-FILTER]
make_config() {
	jq --arg rootfs "$BASE/rootfs" --arg s "$1" --arg cg "$CGPATH" '
		.root = {path: $rootfs, readonly: true}
		| .process.terminal = false
		| .process.args = ["sh", "-c", $s]
		| .linux.cgroupsPath = $cg
		| '"${2:-.}" "$BASE/config.json" >"$BUNDLE/config.json"
}

# hook_config KIND: a config whose KIND hook waits forever (createContainer
# hooks run in the container's namespaces: the script is bound in).
hook_config() {
	make_config 'sleep 600'
	jq --arg k "$1" --arg p "$BATS_TEST_TMPDIR/hook.sh" --arg d "$BATS_TEST_TMPDIR" \
		'.hooks[$k] = [{path: $p}] | .mounts += [{destination: $d, type: "bind", source: $d, options: ["rbind"]}]' \
		"$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
}

wait_file() {
	for _ in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	echo "no $1" >&2
	return 1
}

# nothing_left: no state directory, cgroup directory or process of $ID
nothing_left() {
	[ ! -e "$ROOT/$ID" ] || { echo "state dir left" >&2; return 1; }
	for d in /sys/fs/cgroup/*"$CGPATH" /sys/fs/cgroup/unified"$CGPATH" /sys/fs/cgroup"$CGPATH"; do
		[ ! -d "$d" ] || { echo "cgroup left: $d" >&2; return 1; }
	done
	! pgrep -f "sleep 600" -P 1 >/dev/null 2>&1 || true
}

# kill_create_in_hook KIND: SIGKILL `husk create` while its KIND hook runs.
kill_create_in_hook() {
	hook_config "$1"
	"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&- &
	local creator=$!
	wait_file "$BATS_TEST_TMPDIR/hook.pid"
	local hook
	hook=$(cat "$BATS_TEST_TMPDIR/hook.pid")
	# readers do not wait for the create's lock
	run timeout 5 "$HUSK" --root "$ROOT" state "$ID"
	echo "state during $1: $status $output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = creating ]
	run timeout 5 "$HUSK" --root "$ROOT" list -q
	[ "$status" -eq 0 ]
	[ "$output" = "$ID" ]
	kill -9 "$creator"
	wait "$creator" || true
	# the hook dies with the runtime that ran it
	for _ in $(seq 50); do kill -0 "$hook" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$hook" 2>/dev/null
	# list shows what is left, stopped; delete --force removes it all
	run timeout 5 "$HUSK" --root "$ROOT" list
	echo "list after kill: $output"
	[[ "$output" == *"$ID"*stopped* ]]
	run husk delete --force "$ID"
	[ "$status" -eq 0 ]
	nothing_left
	# and the ID can be used again
	rm -f "$BATS_TEST_TMPDIR/hook.pid"
	make_config 'true'
	run husk run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	nothing_left
}

@test "create killed during a prestart hook: list shows it, delete -f removes all, the ID is free" {
	kill_create_in_hook prestart
}

@test "create killed during a createRuntime hook: the same" {
	kill_create_in_hook createRuntime
}

@test "create killed during a createContainer hook (run by the init): the same" {
	kill_create_in_hook createContainer
}

@test "create killed in its first milliseconds: nothing left, or a container delete -f removes" {
	make_config 'sleep 600'
	for delay in 0 0.001 0.002 0.005 0.01 0.02 0.03 0.05; do
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&- &
		local creator=$!
		sleep "$delay"
		kill -9 "$creator" 2>/dev/null || true
		wait "$creator" || true
		run timeout 5 "$HUSK" --root "$ROOT" list -q
		[ "$status" -eq 0 ]
		run husk delete --force "$ID"
		echo "delay $delay: delete $status $output"
		[ "$status" -eq 0 ]
		nothing_left
	done
}

# A full state filesystem at `start`: start fails, and the workload did not
# run; the container stays created and can still be started.
@test "start: when the state cannot be written, the workload does not run and the container stays created" {
	make_config 'echo ran >/tmp/ran; sleep 600' '.root.readonly = false'
	rm -f "$BASE/rootfs/tmp/ran"
	mkdir -p "$BATS_TEST_TMPDIR/small"
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o size=64k tmpfs "$1" &&
		"$2" --root "$1/root" create --bundle "$3" "$4" </dev/null >/dev/null 2>&1 &&
		dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null
		"$2" --root "$1/root" start "$4"; echo "start=$?"
		sleep 0.3
		[ -e "$5/tmp/ran" ] && echo "the workload ran"
		"$2" --root "$1/root" state "$4" | jq -r .status
		rm "$1/fill"
		"$2" --root "$1/root" start "$4"; echo "start-again=$?"
		"$2" --root "$1/root" delete --force "$4"
	' sh "$BATS_TEST_TMPDIR/small" "$HUSK" "$BUNDLE" "$ID" "$BASE/rootfs" >"$BATS_TEST_TMPDIR/out" 2>&1
	cat "$BATS_TEST_TMPDIR/out"
	grep -q '^start=1$' "$BATS_TEST_TMPDIR/out"
	! grep -q 'the workload ran' "$BATS_TEST_TMPDIR/out"
	grep -qx created "$BATS_TEST_TMPDIR/out"
	grep -q '^start-again=0$' "$BATS_TEST_TMPDIR/out"
	rm -f "$BASE/rootfs/tmp/ran"
}

# A config without a /proc mount: create used to report success and the init
# died at once ("open exec fifo"); now the fifo is reached through a procfs
# of husk's own, and the workload runs.
@test "a config without a /proc mount runs (create succeeds only when the workload can start)" {
	make_config 'echo "no proc: $(ls /proc | wc -l)"' \
		'.mounts = [.mounts[] | select(.destination != "/proc")] | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID"
	echo "$status $output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "no proc: 0" ]
}

# No process.env at all: the sanitizer build runs this too (a memcpy from a
# NULL env aborted every such run under UBSan).
@test "a config without process.env runs, with HOME and nothing else in its environment" {
	make_config 'env' 'del(.process.env)'
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID"
	echo "$status $output $stderr"
	[ "$status" -eq 0 ]
	# busybox sh itself adds PWD, SHLVL and a default PATH
	[ "$(echo "$output" | grep -vc '^PWD=\|^SHLVL=\|^PATH=\|^HOME=')" -eq 0 ]
	[[ "$output" == *"HOME=/root"* ]]
}
