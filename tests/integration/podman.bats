#!/usr/bin/env bats
# podman with husk set up the way contrib/engines/containers.conf says, in a
# podman store of the test's own (--root/--runroot under the test's tmpdir).
# Skipped where podman or conmon is missing.

bats_require_minimum_version 1.5.0

load helpers

CONTRIB="$BATS_TEST_DIRNAME/../../contrib"

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v podman >/dev/null && command -v conmon >/dev/null || skip "needs podman and conmon"
	setup_busybox_base
	# the shipped snippet, with the binary under test as the runtime "husk"
	export CONF="$BATS_FILE_TMPDIR/containers.conf"
	local husk_abs
	husk_abs=$(realpath "$HUSK")
	sed "s|^husk = .*|husk = [\"$husk_abs\"]|" "$CONTRIB/engines/containers.conf" >"$CONF"
	grep -q "^husk = \[\"$husk_abs\"\]" "$CONF"
}

setup() {
	STORE="$BATS_TEST_TMPDIR/store"
	NAME="husk-podman-$$-$BATS_TEST_NUMBER"
	mkdir -p "$STORE/tmp"
}

teardown() {
	podman_husk rm -f "$NAME" >/dev/null 2>&1 || true
}

# podman_husk ARGS...: podman on the test's store with runtime husk; the
# ulimits podman asks for by default (1048576) can't be raised everywhere
podman_husk() {
	CONTAINERS_CONF="$CONF" timeout 120 podman --root "$STORE/root" --runroot "$STORE/run" \
		--tmpdir "$STORE/tmp" --storage-driver vfs --events-backend none --cgroup-manager cgroupfs \
		--runtime husk "$@"
}

RUN_OPTS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# podman prefixes the runtime's error with the runtime's name.  It reads
# the message from the --log-format json file of runtimes listed in
# runtime_supports_json, and from their stderr ("husk: <msg>") otherwise,
# which read "husk: husk: <msg>".
@test "podman: a missing binary reads husk: exec /nonexistent, one prefix" {
	run -127 --separate-stderr podman_husk run --rm "${RUN_OPTS[@]}" --rootfs "$BASE/rootfs" /nonexistent
	echo "$stderr"
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"Error: husk: exec /nonexistent: No such file or directory"* ]]
	[[ "$stderr" != *"husk: husk:"* ]]
}

@test "podman: exec of a missing binary reads husk: exec failed, one prefix" {
	podman_husk run -d --name "$NAME" "${RUN_OPTS[@]}" --rootfs "$BASE/rootfs" sleep 1000 >/dev/null
	run -127 --separate-stderr podman_husk exec "$NAME" /nonexistent
	echo "$stderr"
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"Error: husk: exec failed: exec /nonexistent: No such file or directory"* ]]
	[[ "$stderr" != *"husk: husk:"* ]]
}
