#!/usr/bin/env bats
# Rootless husk with --systemd-cgroup through the test user's own systemd
# *user* manager (issue 11), on a pure cgroup v2 host only
# (tests/integration/rootless-cgroup2-vm.sh runs it in the VM).  The file
# lays out what logind and user@.service make for a logged-in user: the
# cgroup /user.slice/user-UID.slice/user@UID.service delegated to the user
# (memory, pids, cpu, as Debian's user@.service says), $XDG_RUNTIME_DIR, and
# `systemd --user` running there as the user.  As the user, husk must ask
# that manager for a transient scope in its user.slice (runc's default for
# rootless), with the limits applied, and delete must stop the scope.

bats_require_minimum_version 1.5.0

load helpers
load test-user
load user-manager

why_not() {
	user_manager_why_not
	command -v useradd >/dev/null || { echo "no useradd"; return; }
}

setup_file() {
	export SKIP_WHY
	SKIP_WHY=$(why_not)
	[ -z "$SKIP_WHY" ] || return 0
	export TOP="$BATS_FILE_TMPDIR/sdu"
	test_user_make "hsd$$" "$TOP"
	export SU_USER=$TU_USER SU_UID=$TU_UID SU_GID=$TU_GID SU_HUSK=$TU_HUSK
	export XDG="$TOP/home/run"
	user_manager_start "$SU_UID" "$SU_GID" "$TOP/home" "$XDG" "$TOP/manager.log"
	export MGR=$UM_MGR
}

teardown_file() {
	if [ -z "${SU_USER:-}" ]; then return 0; fi
	test_user_remove "$SU_USER"
	user_manager_stop
	rm -rf "$TOP"
}

setup() {
	[ -z "$SKIP_WHY" ] || skip "$SKIP_WHY"
	ID="sd$$-$BATS_TEST_NUMBER"
	B="$TOP/home/b$BATS_TEST_NUMBER"
}

teardown() {
	if [ -z "${SU_USER:-}" ]; then return 0; fi
	as_user "$SU_HUSK" --systemd-cgroup delete --force "$ID" >/dev/null 2>&1 || true
	rm -rf "$B"
}

# as_user CMD...: CMD as the test user with its login environment, from a
# leaf of the manager's tree, as a terminal of a desktop session runs.
as_user() {
	(cd "$TOP/home" && as_user_in "$UM_TERM" HOME="$TOP/home" XDG_RUNTIME_DIR="$XDG" USER="$SU_USER" \
		PATH="$PATH" "$@")
}

# from_outside CMD...: the same from a cgroup the user does not own (as an
# ssh session's scope): with no system manager here to help, the user
# manager cannot move a process from there.
from_outside() {
	(cd "$TOP/home" && as_user_in "/user.slice/user-$SU_UID.slice/session-t.scope" HOME="$TOP/home" \
		XDG_RUNTIME_DIR="$XDG" USER="$SU_USER" PATH="$PATH" "$@")
}

# bundle CGROUPSPATH: $B as the user, `husk spec --rootless`, `sleep 1000`,
# a 64 MiB memory limit and 20 pids; no cgroupsPath when CGROUPSPATH is "".
bundle() {
	as_user mkdir -p "$B"
	as_user cp -a "$TOP/home/base/rootfs" "$B/rootfs"
	as_user "$SU_HUSK" spec --rootless --bundle "$B"
	python3 - "$B/config.json" "$1" <<-'PY'
		import json, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["process"]["args"] = ["sleep", "1000"]
		c["process"]["terminal"] = False
		if sys.argv[2]:
		    c["linux"]["cgroupsPath"] = sys.argv[2]
		c["linux"]["resources"] = {"memory": {"limit": 67108864}, "pids": {"limit": 20}}
		json.dump(c, open(p, "w"), indent=1)
	PY
}

@test "[vm] the test user's systemd --user manager is up" {
	run cat "$TOP/manager.log.state"
	[[ "$output" == running || "$output" == degraded ]] || {
		cat "$TOP/manager.log"
		false
	}
}

@test "[vm] --systemd-cgroup as a user: a scope of the user manager's user.slice, limits applied, delete stops it" {
	bundle "user.slice:husk:$ID"
	as_user "$SU_HUSK" --systemd-cgroup run -d --bundle "$B" "$ID" </dev/null
	local pid cg="$MGR/user.slice/husk-$ID.scope"
	pid=$(as_user "$SU_HUSK" state "$ID" | jq .pid)
	run cat "/proc/$pid/cgroup"
	[ "$output" = "0::$cg" ]
	as_user systemctl --user is-active --quiet "husk-$ID.scope"
	[ "$(as_user systemctl --user show -p Delegate --value "husk-$ID.scope")" = yes ]
	[ "$(cat "/sys/fs/cgroup$cg/memory.max")" = 67108864 ]
	[ "$(cat "/sys/fs/cgroup$cg/pids.max")" = 20 ]
	# the unit knows the limits too (a daemon-reload would not undo them)
	[ "$(as_user systemctl --user show -p TasksMax --value "husk-$ID.scope")" = 20 ]
	# exec and ps work in it
	run as_user "$SU_HUSK" exec "$ID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = "0::$cg" ]
	run as_user "$SU_HUSK" ps "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *sleep* ]]
	# pause and resume freeze the scope's cgroup, which is the user's
	as_user "$SU_HUSK" pause "$ID"
	[ "$(as_user "$SU_HUSK" state "$ID" | jq -r .status)" = paused ]
	grep -qx "frozen 1" "/sys/fs/cgroup$cg/cgroup.events"
	as_user "$SU_HUSK" resume "$ID"
	[ "$(as_user "$SU_HUSK" state "$ID" | jq -r .status)" = running ]
	as_user "$SU_HUSK" --systemd-cgroup delete --force "$ID"
	! as_user systemctl --user is-active --quiet "husk-$ID.scope"
	[ ! -e "/sys/fs/cgroup$cg" ]
	[ -z "$(as_user "$SU_HUSK" list -q)" ]
}

@test "[vm] --systemd-cgroup as a user without cgroupsPath: user.slice:husk:<id>, as runc" {
	bundle ""
	as_user "$SU_HUSK" --systemd-cgroup run -d --bundle "$B" "$ID" </dev/null
	local pid
	pid=$(as_user "$SU_HUSK" state "$ID" | jq .pid)
	run cat "/proc/$pid/cgroup"
	[ "$output" = "0::$MGR/user.slice/husk-$ID.scope" ]
	as_user "$SU_HUSK" --systemd-cgroup delete --force "$ID"
	[ ! -e "/sys/fs/cgroup$MGR/user.slice/husk-$ID.scope" ]
}

@test "[vm] --systemd-cgroup as a user whose manager is not there: an error naming it, nothing left" {
	bundle "user.slice:husk:$ID"
	local empty="$TOP/home/empty-run"
	as_user mkdir -p "$empty"
	run as_user env XDG_RUNTIME_DIR="$empty" "$SU_HUSK" --root "$XDG/husk" --systemd-cgroup run -d \
		--bundle "$B" "$ID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd user manager"* ]]
	[[ "$output" == *"$empty/systemd/private"* ]]
	[ -z "$(as_user "$SU_HUSK" list -q)" ]
	[ ! -e "/sys/fs/cgroup$MGR/user.slice/husk-$ID.scope" ]
}

@test "[vm] --systemd-cgroup as a user, from a cgroup it does not own, with no system manager to move the init: refused, nothing left" {
	bundle "user.slice:husk:$ID"
	run from_outside "$SU_HUSK" --systemd-cgroup run -d --bundle "$B" "$ID" </dev/null
	[ "$status" -ne 0 ]
	echo "$output"
	[[ "$output" == *"husk-$ID.scope"* ]]
	[ -z "$(as_user "$SU_HUSK" list -q)" ]
	! as_user systemctl --user is-active --quiet "husk-$ID.scope"
	[ ! -e "/sys/fs/cgroup$MGR/user.slice/husk-$ID.scope" ]
}

@test "[vm] --systemd-cgroup as a user through the session bus (dbus-daemon) when the private socket is not reachable" {
	[ -S "$XDG/bus" ] || skip "no dbus-daemon (package dbus) for a session bus"
	bundle "user.slice:husk:$ID"
	local other="$TOP/home/other-run"
	as_user mkdir -p "$other"
	as_user env XDG_RUNTIME_DIR="$other" DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG/bus" \
		"$SU_HUSK" --root "$XDG/husk" --systemd-cgroup run -d --bundle "$B" "$ID" </dev/null
	local pid
	pid=$(as_user "$SU_HUSK" state "$ID" | jq .pid)
	[ "$(cat "/proc/$pid/cgroup")" = "0::$MGR/user.slice/husk-$ID.scope" ]
	as_user systemctl --user is-active --quiet "husk-$ID.scope"
	as_user env XDG_RUNTIME_DIR="$other" DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG/bus" \
		"$SU_HUSK" --root "$XDG/husk" --systemd-cgroup delete --force "$ID"
	! as_user systemctl --user is-active --quiet "husk-$ID.scope"
}

@test "[vm] runc (reference): --systemd-cgroup as a user, the same scope and limits" {
	[ -S "$XDG/bus" ] || skip "no dbus-daemon (package dbus): runc needs the session bus"
	bundle "user.slice:husk:$ID"
	local cg="$MGR/user.slice/husk-$ID.scope"
	as_user env DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG/bus" runc --root "$XDG/runc" --systemd-cgroup \
		run -d --bundle "$B" "$ID" </dev/null
	local pid
	pid=$(as_user runc --root "$XDG/runc" state "$ID" | jq .pid)
	[ "$(cat "/proc/$pid/cgroup")" = "0::$cg" ]
	[ "$(cat "/sys/fs/cgroup$cg/pids.max")" = 20 ]
	as_user env DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG/bus" runc --root "$XDG/runc" --systemd-cgroup \
		delete --force "$ID"
	[ ! -e "/sys/fs/cgroup$cg" ]
}
