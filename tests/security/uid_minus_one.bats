#!/usr/bin/env bats
# Issue 7.5 — uid or gid 4294967295 must not run as root.
# To setresuid(2) (uid_t)-1 means "leave unchanged": a process asked to run
# as that uid would stay uid 0.  husk refuses it, naming the field; runc
# refuses it too ("uids and gids must be in range 0-2147483647").

load helpers

setup_file() { sec_setup_file; }
setup() { sec_setup; }
teardown() { sec_teardown; }

@test "process.user.uid 4294967295 is refused, naming the field (and runc refuses it)" {
	make_config 'id -u' '.process.user.uid = 4294967295'
	run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
	echo "$status $output $stderr"
	[ "$status" -ne 0 ]
	[ "$output" != 0 ]
	[[ "$stderr" == *"process.user.uid: 4294967295 is not a user ID"* ]]
	[ ! -e "$ROOT/$ID" ]
	if command -v runc >/dev/null; then
		run --separate-stderr ref run --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[ "$output" != 0 ]
	fi
}

@test "process.user.gid and additionalGids 4294967295 are refused" {
	make_config 'id -g' '.process.user.gid = 4294967295'
	run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ "$output" != 0 ]
	[[ "$stderr" == *"process.user.gid: 4294967295 is not a group ID"* ]]
	make_config 'id -G' '.process.user.additionalGids = [4294967295]'
	run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"process.user.additionalGids[0]: 4294967295 is not a group ID"* ]]
}

@test "exec -u 4294967295 and exec -p with that uid are refused; the process never runs as root" {
	make_config 'sleep 60' '.process.user = {uid: 65534, gid: 65534}'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null
	run --separate-stderr rt exec -u 4294967295 "$ID" id -u
	echo "$status $output $stderr"
	[ "$status" -ne 0 ]
	[ "$output" != 0 ]
	[[ "$stderr" == *"--user 4294967295: 4294967295 is not a user ID"* ]]
	run --separate-stderr rt exec -u 0:4294967295 "$ID" id -g
	[ "$status" -ne 0 ]
	[ "$output" != 0 ]
	jq -n '{args: ["id", "-u"], cwd: "/", user: {uid: 4294967295, gid: 0}}' >"$BATS_TEST_TMPDIR/p.json"
	run --separate-stderr rt exec -p "$BATS_TEST_TMPDIR/p.json" "$ID"
	echo "$status $output $stderr"
	[ "$status" -ne 0 ]
	[ "$output" != 0 ]
	[[ "$stderr" == *"user.uid: 4294967295 is not a user ID"* ]]
	# the largest real uid still works
	run --separate-stderr rt exec -u 4294967294 "$ID" id -u
	[ "$status" -eq 0 ]
	[ "$output" = 4294967294 ]
}
