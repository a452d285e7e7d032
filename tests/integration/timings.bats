#!/usr/bin/env bats
# HUSK_TIMINGS=1 and --debug: where the start-up time went, step by step, on
# stderr; nothing of it without them, and nothing of it reaches the workload.

bats_require_minimum_version 1.5.0

load helpers


setup_file() {
	setup_busybox_base
}

setup() {
	setup_root
	ID="tm$$-$BATS_TEST_NUMBER"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
	jq --arg rootfs "$BASE/rootfs" '
		.root = {path: $rootfs, readonly: true}
		| .process.terminal = false
		| .process.args = ["sh", "-c", "env; echo done"]' "$BASE/config.json" >"$BUNDLE/config.json"
}

teardown() {
	husk delete --force "$ID" >/dev/null 2>&1 || true
}

# The steps of husk and of the init, in the order they happen.
expect_steps() { # expect_steps FILE
	local steps
	steps=$(sed -n 's/^husk timings: \([^ ]*\) .*/\1/p' "$1" | tr '\n' ' ')
	for s in main re-exec+main parse state cgroup-create clone init:cgroup-attach \
		init:namespaces init:mounts init:pivot init:devices+masks init:seccomp \
		init:caps+user+execve started exited deleted; do
		[[ " $steps " == *" $s "* ]] || { echo "step $s missing from: $steps"; return 1; }
	done
	# each line: ms since the previous step, since the start, and the pid
	grep '^husk timings: ' "$1" | grep -vqE '^husk timings: \S+ +[0-9]+\.[0-9]{3} ms  \([0-9]+\.[0-9]{3} ms since husk started, pid [0-9]+\)$' && return 1
	# parse comes after the re-exec, deleted last
	[[ "$steps" == *"re-exec+main parse "* ]]
	[[ "$steps" == *" deleted " ]]
}

@test "HUSK_TIMINGS=1 run: every step on stderr, the workload's output and env untouched" {
	HUSK_TIMINGS=1 "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&-
	expect_steps "$BATS_TEST_TMPDIR/err"
	grep -qx done "$BATS_TEST_TMPDIR/out"
	! grep -q HUSK_TIMINGS "$BATS_TEST_TMPDIR/out"
	! grep -q 'husk timings' "$BATS_TEST_TMPDIR/out"
}

@test "--debug run prints the same steps; HUSK_TIMINGS=0 and none print nothing" {
	"$HUSK" --root "$ROOT" --debug run --bundle "$BUNDLE" "$ID" >/dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&-
	expect_steps "$BATS_TEST_TMPDIR/err"
	HUSK_TIMINGS=0 "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" >/dev/null 2>"$BATS_TEST_TMPDIR/err0" 3>&-
	"$HUSK" --root "$ROOT" --debug=false run --bundle "$BUNDLE" "$ID" >/dev/null 2>"$BATS_TEST_TMPDIR/err1" 3>&-
	[ ! -s "$BATS_TEST_TMPDIR/err0" ]
	[ ! -s "$BATS_TEST_TMPDIR/err1" ]
}

@test "HUSK_TIMINGS=1 create/start: the init's steps until it waits, then the rest" {
	HUSK_TIMINGS=1 "$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" >/dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&-
	grep -q '^husk timings: created ' "$BATS_TEST_TMPDIR/err"
	grep -q '^husk timings: init:mounts ' "$BATS_TEST_TMPDIR/err"
	husk start "$ID"
}
