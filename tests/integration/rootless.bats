#!/usr/bin/env bats
# husk for an ordinary user, directly (issue 11): a test user made here runs
# `husk spec --rootless` and the lifecycle under its own user namespace,
# without a cgroup it cannot write, with state under $XDG_RUNTIME_DIR/husk;
# Debian's runc runs the same bundles as the reference.

bats_require_minimum_version 1.5.0

load helpers
load test-user

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (to make the test user)"
	command -v useradd >/dev/null || skip "no useradd"
	command -v setpriv >/dev/null || skip "no setpriv"
	export TOP="$BATS_FILE_TMPDIR/rl"
	test_user_make "hrl$$" "$TOP" subids
	export RL_USER=$TU_USER RL_UID=$TU_UID RL_GID=$TU_GID RL_HUSK=$TU_HUSK
	export RL_SUBUID=$TU_SUBUID RL_SUBGID=$TU_SUBGID
	# a file only root may read
	echo "root-only" >"$TOP/secret"
	chmod 600 "$TOP/secret"
}

teardown_file() {
	[ -n "${RL_USER:-}" ] || return 0
	test_user_remove "$RL_USER"
}

setup() {
	ID="rl$$-$BATS_TEST_NUMBER"
	B="$TOP/home/b$BATS_TEST_NUMBER"
	XDG="$TOP/home/run"
}

teardown() {
	undelegate "husk-rl-$$" || true
	as_user "$RL_HUSK" delete --force "$ID" >/dev/null 2>&1 || true
	as_user runc --root "$XDG/runc" delete --force "$ID" >/dev/null 2>&1 || true
	rm -rf "$B"
}

# as_user CMD...: CMD as the test user, in its home, with its runtime dir.
as_user() {
	(cd "$TOP/home" && setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env HOME="$TOP/home" XDG_RUNTIME_DIR="$XDG" USER="$RL_USER" "$@")
}

# bundle ARGS...: $B with the rootfs and `husk spec --rootless` as the user,
# process.args = ARGS, no terminal.
bundle() {
	as_user mkdir -p "$B"
	as_user cp -a "$TOP/home/base/rootfs" "$B/rootfs"
	as_user "$RL_HUSK" spec --rootless --bundle "$B"
	local args
	args=$(printf '%s\n' "$@" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().splitlines()))')
	edit_config "c['process']['args']=$args; c['process']['terminal']=False"
}

# edit_config PYTHON: change config.json (as `c`), keeping it the user's.
edit_config() {
	python3 - "$B/config.json" "$1" <<-'PY'
		import json, sys
		p = sys.argv[1]
		c = json.load(open(p))
		exec(sys.argv[2])
		json.dump(c, open(p, "w"), indent=1)
	PY
}

@test "rootless: spec --rootless + run: id -u is 0, the user's uid is mapped to 0 (runc alike)" {
	bundle sh -c 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map'
	run -0 as_user "$RL_HUSK" run -b "$B" "$ID"
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $RL_UID 1" ]
	[ "$(echo ${lines[2]})" = "0 $RL_GID 1" ]
	husk_out="$output"
	run -0 as_user runc --root "$XDG/runc" run -b "$B" "$ID"
	[ "$output" = "$husk_out" ]
}

@test "rootless: no cgroup the user cannot write, no error, nothing of root's touched" {
	bundle sh -c 'cat /proc/self/cgroup'
	[ ! -e /sys/fs/cgroup/memory/husk-"$ID" ]
	run -0 as_user "$RL_HUSK" run -b "$B" "$ID"
	# the container stays in the caller's cgroup: no husk-<id> anywhere
	[[ "$output" != *"/husk-$ID"* ]]
	run -0 find /sys/fs/cgroup -maxdepth 3 -name "*$ID"
	[ -z "$output" ]
	[ ! -e "/run/husk/$ID" ]
}

@test "rootless: create/start/state/list/exec/ps/kill/delete; state under \$XDG_RUNTIME_DIR/husk, the user's" {
	bundle sleep 100
	# the init keeps its stdio: not bats' pipes
	as_user "$RL_HUSK" create -b "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	[ -d "$XDG/husk/$ID" ]
	[ "$(stat -c %u "$XDG/husk")" = "$RL_UID" ]
	[ "$(stat -c %u "$XDG/husk/$ID")" = "$RL_UID" ]
	run -0 find "$XDG/husk" ! -uid "$RL_UID"
	[ -z "$output" ]
	run -0 as_user "$RL_HUSK" state "$ID"
	[[ "$output" == *'"status": "created"'* ]]
	run -0 as_user "$RL_HUSK" start "$ID"
	run -0 as_user "$RL_HUSK" list
	[[ "$output" == *"$ID"*running*"$RL_USER"* ]]
	run -0 as_user "$RL_HUSK" exec "$ID" sh -c 'id -u; grep devpts /proc/self/mounts; ls /dev/null /dev/zero /dev/urandom'
	[ "${lines[0]}" = 0 ]
	[[ "$output" == *"devpts /dev/pts devpts"* ]]
	[[ "$output" != *"gid=5"* ]]
	run -0 as_user "$RL_HUSK" ps "$ID"
	[[ "$output" == *"sleep 100"* ]]
	run -0 as_user "$RL_HUSK" kill "$ID" KILL
	for _ in $(seq 50); do
		as_user "$RL_HUSK" state "$ID" | grep -q '"stopped"' && break
		sleep 0.1
	done
	run -0 as_user "$RL_HUSK" state "$ID"
	[[ "$output" == *'"status": "stopped"'* ]]
	run -0 as_user "$RL_HUSK" delete "$ID"
	[ ! -e "$XDG/husk/$ID" ]
}

@test "rootless: devices are the host's nodes, bind-mounted; /sys is the host's, read-only" {
	bundle sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c; grep " /sys " /proc/self/mounts; touch /sys/x 2>&1 || true'
	run -0 as_user "$RL_HUSK" run -b "$B" "$ID"
	[ "${lines[0]}" = 4 ]
	[[ "$output" == *"sysfs /sys sysfs ro,"* ]]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "rootless: a root-only file stays unreadable inside, bound in or not (runc alike)" {
	bundle sh -c 'cat /secret; echo rc=$?'
	edit_config "c['mounts'].append({'destination':'/secret','type':'none','source':'$TOP/secret','options':['bind','ro']})"
	run -0 as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" != *"root-only"* ]]
	[[ "$output" == *"rc=1"* ]]
	run -0 as_user runc --root "$XDG/runc" run -b "$B" "$ID"
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" != *"root-only"* ]]
}

@test "rootless: a memory limit husk cannot apply fails naming the limit and the reason, leaves nothing" {
	bundle true
	edit_config "c['linux']['resources']={'memory':{'limit':67108864}}"
	run -1 as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$output" == *"linux.resources.memory.limit: cannot be applied: /sys/fs/cgroup/memory"*" is not writable by uid $RL_UID (rootless, no delegated cgroup)"* ]]
	[ ! -e "$XDG/husk/$ID" ]
	run -0 find /sys/fs/cgroup -maxdepth 3 -name "$ID"
	[ -z "$output" ]
	run -0 as_user "$RL_HUSK" list -q
	[[ "$output" != *"$ID"* ]]
}

@test "rootless: a cgroupsPath without limits runs in the caller's cgroup, with a warning" {
	bundle true
	edit_config "c['linux']['cgroupsPath']='/husk-rl/$ID'"
	run -0 --separate-stderr as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$stderr" == *"linux.cgroupsPath \"/husk-rl/$ID\": not used"* ]]
	[ ! -e /sys/fs/cgroup/memory/husk-rl ]
}

@test "rootless: no XDG_RUNTIME_DIR and no --root is a clear error; --root works" {
	bundle true
	run -1 bash -c "cd '$TOP/home' && setpriv --reuid=$RL_UID --regid=$RL_GID --init-groups env -u XDG_RUNTIME_DIR '$RL_HUSK' list"
	[[ "$output" == *"XDG_RUNTIME_DIR is not set and no --root was given"* ]]
	run -0 bash -c "cd '$TOP/home' && setpriv --reuid=$RL_UID --regid=$RL_GID --init-groups env -u XDG_RUNTIME_DIR '$RL_HUSK' --root '$TOP/home/altroot' run -b '$B' '$ID'"
	[ -d "$TOP/home/altroot" ]
	[ "$(stat -c %u "$TOP/home/altroot")" = "$RL_UID" ]
}

@test "rootless: a wider mapping goes through newuidmap/newgidmap and /etc/subuid (runc alike)" {
	command -v newuidmap >/dev/null || skip "no newuidmap (package uidmap)"
	bundle sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	edit_config "
c['linux']['uidMappings']=[{'containerID':0,'hostID':$RL_UID,'size':1},{'containerID':1,'hostID':$RL_SUBUID,'size':65536}]
c['linux']['gidMappings']=[{'containerID':0,'hostID':$RL_GID,'size':1},{'containerID':1,'hostID':$RL_SUBGID,'size':65536}]"
	run -0 as_user "$RL_HUSK" run -b "$B" "$ID"
	[ "$(echo ${lines[1]})" = "1 $RL_SUBUID 65536" ]
	[ "$(echo ${lines[3]})" = "1 $RL_SUBGID 65536" ]
	husk_out="$output"
	run -0 as_user runc --root "$XDG/runc" run -b "$B" "$ID"
	[ "$output" = "$husk_out" ]
}

@test "rootless: a mapping outside /etc/subuid is refused with the reason, leaving nothing" {
	bundle true
	edit_config "c['linux']['uidMappings']=[{'containerID':0,'hostID':$RL_UID,'size':1},{'containerID':1,'hostID':1,'size':10}]"
	run -1 as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$output" == *"linux.uidMappings: newuidmap refused the mapping"*"/etc/subuid"* ]]
	[ ! -e "$XDG/husk/$ID" ]
}

@test "rootless: a husk binary the user can write is re-executed from a sealed copy (CVE-2019-5736)" {
	cp "$HUSK" "$TOP/home/husk-own"
	chown "$RL_UID" "$TOP/home/husk-own"
	bundle sleep 100
	as_user "$TOP/home/husk-own" run -b "$B" "$ID" </dev/null >/dev/null 2>&1 3>&- &
	local pid=""
	for _ in $(seq 50); do
		pid=$(as_user "$RL_HUSK" state "$ID" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null) && [ "$pid" != 0 ] && break
		sleep 0.1
	done
	[ -n "$pid" ]
	local parent
	parent=$(awk '{print $4}' "/proc/$pid/stat")
	run readlink "/proc/$parent/exe"
	[[ "$output" == "/memfd:"* ]]
	as_user "$RL_HUSK" kill "$ID" KILL
	wait || true
}

@test "rootless: a config without a user namespace is refused, saying why, leaving nothing" {
	bundle true
	edit_config "c['linux']['namespaces']=[n for n in c['linux']['namespaces'] if n['type']!='user']; del c['linux']['uidMappings']; del c['linux']['gidMappings']"
	run -1 as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$output" == *"linux.namespaces: uid $RL_UID is not root: a rootless container needs a user namespace"* ]]
	[ ! -e "$XDG/husk/$ID" ]
}

# delegate DIR: the cgroup /DIR in every hierarchy, owned by the test user
# (cpuset initialised from its parent).
delegate() {
	local h
	for h in /sys/fs/cgroup/*/; do
		[ -e "$h/cgroup.procs" ] || continue
		mkdir -p "$h$1"
		if [ -e "$h$1/cpuset.cpus" ]; then
			cat "${h}cpuset.cpus" >"$h$1/cpuset.cpus"
			cat "${h}cpuset.mems" >"$h$1/cpuset.mems"
		fi
		chown -R "$RL_UID" "$h$1"
	done
}

undelegate() {
	local h
	for _ in $(seq 20); do
		for h in /sys/fs/cgroup/*/; do
			if [ -d "$h$1" ]; then
				find "$h$1" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
				rmdir "$h$1" 2>/dev/null || true
			fi
		done
		ls -d /sys/fs/cgroup/*/"$1" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}

@test "rootless: a delegated cgroup (owned by the user, the caller inside it on v2) gets the limit" {
	local dir="husk-rl-$$"
	[ -d /sys/fs/cgroup/memory ] || skip "no v1 memory hierarchy (this test is for the hybrid host)"
	delegate "$dir"
	bundle sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null; grep -E ":memory:|^0::" /proc/self/cgroup'
	edit_config "c['linux']['cgroupsPath']='/$dir/$ID'; c['linux']['resources']={'memory':{'limit':67108864}}"
	local v2=/sys/fs/cgroup/unified
	[ -e /sys/fs/cgroup/cgroup.controllers ] && v2=/sys/fs/cgroup
	# a caller outside the delegated v2 subtree cannot move the init into it
	run -1 as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$output" == *"linux.resources.memory.limit: cannot be applied: $v2/cgroup.procs is not writable by uid $RL_UID"* ]]
	# the caller inside it (a shell this test starts and moves)
	run -0 sh -c "echo \$\$ >$v2/$dir/cgroup.procs; cd '$TOP/home' && exec setpriv --reuid=$RL_UID --regid=$RL_GID --init-groups env XDG_RUNTIME_DIR='$XDG' '$RL_HUSK' run -b '$B' '$ID'"
	undelegate "$dir"
	[ "${lines[0]}" = 67108864 ]
	[[ "$output" == *":memory:/$dir/$ID"* ]]
	[[ "$output" == *"0::/$dir/$ID"* ]]
}

@test "rootless: devpts gid=5 with gid 5 unmapped is refused naming the option (runc alike)" {
	bundle true
	edit_config "[m['options'].append('gid=5') for m in c['mounts'] if m['destination']=='/dev/pts']"
	run -1 as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$output" == *"(/dev/pts): gid=5: gid 5 is not mapped in the container's user namespace (linux.gidMappings)"* ]]
	[ ! -e "$XDG/husk/$ID" ]
	run -1 as_user runc --root "$XDG/runc" run -b "$B" "$ID"
	[[ "$output" == *"cannot specify gid= mount options for unmapped gid"* ]]
}

@test "rootless: a new network namespace has loopback up; kill --all reaches every process" {
	bundle sh -c 'sleep 100 & sleep 100'
	edit_config "c['linux']['namespaces'].append({'type':'network'})"
	as_user "$RL_HUSK" run -d -b "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	run -0 as_user "$RL_HUSK" exec "$ID" ifconfig lo
	[[ "$output" == *"inet addr:127.0.0.1"* ]]
	[[ "$output" == *"UP"* ]]
	run -0 as_user "$RL_HUSK" ps "$ID"
	[ "$(grep -c 'sleep 100' <<<"$output")" -eq 2 ]
	run -0 as_user "$RL_HUSK" kill --all "$ID" KILL
	for _ in $(seq 50); do
		as_user "$RL_HUSK" state "$ID" | grep -q '"stopped"' && break
		sleep 0.1
	done
	run -0 as_user "$RL_HUSK" state "$ID"
	[[ "$output" == *'"status": "stopped"'* ]]
	run -1 pgrep -u "$RL_UID" -f "sleep 100"
}

@test "rootless: a sysfs mount without a network namespace of its own works (runc 1.1.5 fails)" {
	bundle sh -c 'grep " /sys " /proc/self/mounts'
	edit_config "c['mounts']=[m if m['destination']!='/sys' else {'destination':'/sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']} for m in c['mounts']]"
	run -0 as_user "$RL_HUSK" run -b "$B" "$ID"
	[[ "$output" == *" /sys sysfs ro,"* ]]
}
