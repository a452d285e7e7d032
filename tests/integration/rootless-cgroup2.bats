#!/usr/bin/env bats
# Rootless husk with a delegated cgroup v2 subtree (issue 11), on a pure
# cgroup v2 host only (tests/integration/rootless-cgroup2-vm.sh runs it in
# the VM; tests/run-tests does that).  The file delegates a subtree to a
# test user as systemd does for Delegate=yes: a directory under the root
# cgroup with memory and pids enabled for it, the directory and its
# cgroup.procs, cgroup.subtree_control and cgroup.threads chowned to the
# user, the user's shell in a leaf below it.  As the user, husk makes the
# container's cgroup there (cgroupsPath below the delegated directory) and
# applies memory.limit and pids.limit; Debian's runc is the reference.

bats_require_minimum_version 1.5.0

load helpers
load test-user

why_not() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (to make the test user and delegate)"; return; }
	[ -f /sys/fs/cgroup/cgroup.controllers ] ||
		{ echo "not a pure cgroup v2 host (run tests/integration/rootless-cgroup2-vm.sh)"; return; }
	grep -qw memory /sys/fs/cgroup/cgroup.controllers && grep -qw pids /sys/fs/cgroup/cgroup.controllers ||
		{ echo "no memory or pids controller in /sys/fs/cgroup/cgroup.controllers"; return; }
	command -v useradd >/dev/null || { echo "no useradd"; return; }
	command -v setpriv >/dev/null || { echo "no setpriv"; return; }
}

setup_file() {
	export SKIP_WHY
	SKIP_WHY=$(why_not)
	[ -z "$SKIP_WHY" ] || return 0
	export TOP="$BATS_FILE_TMPDIR/cg2"
	test_user_make "hcg$$" "$TOP"
	export RL_USER=$TU_USER RL_UID=$TU_UID RL_GID=$TU_GID RL_HUSK=$TU_HUSK
	# The delegation, as systemd makes it for a Delegate=yes unit.
	export DELEG="husk-rl-deleg-$$"
	local D="/sys/fs/cgroup/$DELEG" f
	echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
	mkdir "$D"
	for f in "" cgroup.procs cgroup.subtree_control cgroup.threads; do
		chown "$RL_UID:$RL_GID" "$D/$f"
	done
	# the rest the user does itself: a leaf for its shell, controllers
	# for its children
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups sh -c \
		"mkdir '$D/shell' && echo '+memory +pids' >'$D/cgroup.subtree_control'"
}

teardown_file() {
	if [ -z "${RL_USER:-}" ]; then return 0; fi
	test_user_remove "$RL_USER"
	[ -d "/sys/fs/cgroup/$DELEG" ] && find "/sys/fs/cgroup/$DELEG" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$TOP"
}

setup() {
	[ -z "$SKIP_WHY" ] || skip "$SKIP_WHY"
	ID="cg$$-$BATS_TEST_NUMBER"
	B="$TOP/home/b$BATS_TEST_NUMBER"
	XDG="$TOP/home/run"
}

teardown() {
	if [ -z "${RL_USER:-}" ]; then return 0; fi
	as_user "$RL_HUSK" delete --force "$ID" >/dev/null 2>&1 || true
	as_user runc --root "$XDG/runc" delete --force "$ID" >/dev/null 2>&1 || true
	rm -rf "$B"
}

# as_user CMD...: CMD as the test user, from a shell in the delegated
# subtree's leaf (the kernel lets the user move processes only between
# cgroups below a common ancestor it may write).
as_user() {
	(cd "$TOP/home" && echo $BASHPID >"/sys/fs/cgroup/$DELEG/shell/cgroup.procs" &&
		exec setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
			env HOME="$TOP/home" XDG_RUNTIME_DIR="$XDG" USER="$RL_USER" "$@")
}

# bundle SCRIPT: $B as the user, `husk spec --rootless`, process `sh -c
# SCRIPT`, the cgroup below the delegated directory with a 64 MiB memory
# limit and 20 pids.
bundle() {
	as_user mkdir -p "$B"
	as_user cp -a "$TOP/home/base/rootfs" "$B/rootfs"
	as_user "$RL_HUSK" spec --rootless --bundle "$B"
	python3 - "$B/config.json" "$1" "/$DELEG/$ID" <<-'PY'
		import json, sys
		p = sys.argv[1]
		c = json.load(open(p))
		c["process"]["args"] = ["sh", "-c", sys.argv[2]]
		c["process"]["terminal"] = False
		c["linux"]["cgroupsPath"] = sys.argv[3]
		c["linux"]["resources"] = {"memory": {"limit": 67108864}, "pids": {"limit": 20}}
		json.dump(c, open(p, "w"), indent=1)
	PY
}

# What the container prints: its cgroup, the limits read back there (husk,
# as crun, binds the container's own cgroup at /sys/fs/cgroup when it
# cannot mount cgroup2 without a cgroup namespace; runc binds the whole
# hierarchy: read the path /proc/self/cgroup names, or /sys/fs/cgroup), then
# a fork bomb of 100 sleeps (in a subshell, which dies at its first failed
# fork) and the cgroup's pids.current and pids.events' "max" count, read
# with shell builtins (no fork left).
SCRIPT='p=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "cgroup $p"
cg=/sys/fs/cgroup$p; [ -e "$cg/pids.max" ] || cg=/sys/fs/cgroup
read m <"$cg/memory.max"; echo "memory.max $m"
read p <"$cg/pids.max"; echo "pids.max $p"
(for i in $(seq 100); do sleep 30 & done) 2>/dev/null
read c <"$cg/pids.current"; echo "pids.current $c"
while read k v; do [ "$k" = max ] && echo "pids.events max $v"; done <"$cg/pids.events"
exit 0'

check_output() {
	echo "$output"
	[[ "$output" == *"cgroup /$DELEG/$ID"* ]]
	[[ "$output" == *"memory.max 67108864"* ]]
	[[ "$output" == *"pids.max 20"* ]]
	# 20 at the failed fork; the subshell that forked is gone after it
	local cur
	cur=$(sed -n 's/^pids.current //p' <<<"$output")
	[ "$cur" -ge 18 ] && [ "$cur" -le 20 ]
	[[ "$output" =~ "pids.events max "[1-9] ]]
	# the container's cgroup is gone with it
	[ ! -d "/sys/fs/cgroup/$DELEG/$ID" ]
}

@test "rootless cgroup v2 [vm] delegated: husk applies memory.limit and pids.limit; a fork bomb stops at pids.max" {
	bundle "$SCRIPT"
	run -0 as_user "$RL_HUSK" run -b "$B" "$ID"
	check_output
}

@test "rootless cgroup v2 [vm] delegated: runc (reference) alike" {
	command -v runc >/dev/null || skip "runc is not installed"
	bundle "$SCRIPT"
	run -0 as_user runc --root "$XDG/runc" run -b "$B" "$ID"
	check_output
}
