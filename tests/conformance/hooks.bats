#!/usr/bin/env bats
# config.md POSIX-platform Hooks; runtime.md Lifecycle steps 3-13

bats_require_minimum_version 1.5.0
load helpers

HOOK_SCRIPT='#!/bin/sh
# hook.sh NAME DIR [EXIT [SLEEP]]: record NAME, stdin (the state), env, namespaces
name=$1 dir=$2
cat >"$dir/state.$name"
echo "$name" >>"$dir/order"
env >"$dir/env.$name"
echo "$*" >"$dir/args.$name"
for n in mnt net pid; do echo "$n $(readlink /proc/self/ns/$n)"; done >"$dir/ns.$name"
[ -n "$4" ] && exec sleep "$4"
exit "${3:-0}"
'

setup() {
	common_setup
	share
	printf '%s' "$HOOK_SCRIPT" >"$T/hook.sh"
	chmod 755 "$T/hook.sh"
	# startContainer hooks resolve in the container's namespace
	cp "$T/hook.sh" "$BUNDLE/rootfs/hook.sh"
}

# hook KIND [EXIT [SLEEP [TIMEOUT]]]: append a hook of KIND that records itself
hook() {
	local kind=$1 code=${2:-0} sl=${3:-} to=${4:-} path=$T/hook.sh dir=$SHARED
	if [ "$kind" = startContainer ]; then
		path=/hook.sh
		dir=/shared
	fi
	cfg --arg k "$kind" --arg p "$path" --arg d "$dir" --arg c "$code" --arg s "$sl" --arg t "$to" '
	  .hooks[$k] += [{"path": $p, "args": (["hook.sh", $k, $d, $c] + (if $s != "" then [$s] else [] end)),
	                  "env": ["HOOK_ENV=" + $k, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}
	                 + (if $t != "" then {"timeout": ($t | tonumber)} else {} end)]'
}

all_hooks() {
	for k in prestart createRuntime createContainer startContainer poststart poststop; do hook "$k"; done
}

order() { tr '\n' ' ' <"$SHARED/order" 2>/dev/null | sed 's/ $//'; }
hstate() { jq -r "$2" "$SHARED/state.$1"; }

@test "config.md Hooks: create runs prestart, createRuntime, createContainer in that order" {
	all_hooks
	sleeper
	created
	o=$(order)
	[[ "$o" == "prestart createRuntime createContainer"* ]] || { echo "order: $o" >&2; false; }
	[[ "$o" != *startContainer* ]] || { echo "startContainer ran at create: $o" >&2; false; }
}

@test "config.md Hooks: all hooks run in lifecycle order (poststart at start, poststop at delete)" {
	runc_fails "poststart hooks run during create, not start"
	all_hooks
	cmd 'while [ ! -e /shared/go ]; do sleep 0.1; done'
	created
	eq "$(order)" "prestart createRuntime createContainer" "after create"
	rt start "$CID"
	eq "$(order)" "prestart createRuntime createContainer startContainer poststart" "after start"
	touch "$SHARED/go"
	wait_status stopped
	eq "$(order)" "prestart createRuntime createContainer startContainer poststart" "after exit"
	rt delete "$CID"
	eq "$(order)" "prestart createRuntime createContainer startContainer poststart poststop" "after delete"
}

@test "config.md Hooks: poststart sees the container running (state status)" {
	runc_fails "poststart hooks run during create and get status created"
	hook poststart
	sleeper
	started
	eq "$(hstate poststart .status)" running "poststart status"
}

@test "config.md Hooks: every hook gets the state on stdin (ociVersion, id, bundle)" {
	all_hooks
	cmd 'true'
	started
	wait_status stopped
	rt delete "$CID"
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		eq "$(hstate "$k" .id)" "$CID" "$k id"
		eq "$(hstate "$k" .bundle)" "$BUNDLE" "$k bundle"
		[ -n "$(hstate "$k" .ociVersion)" ]
	done
}

@test "config.md Hooks: runtime-namespace hooks get the runtime's view of the pid" {
	hook prestart
	hook createRuntime
	hook poststart
	sleeper
	started
	pid=$(state_pid)
	for k in prestart createRuntime poststart; do
		eq "$(hstate "$k" .pid)" "$pid" "$k pid"
	done
}

@test "config.md Hooks: the status in the state passed to hooks" {
	all_hooks
	cmd 'true'
	started
	wait_status stopped
	rt delete "$CID"
	# runtime.md State: "created: the runtime has finished the create
	# operation (after step 2 in the lifecycle)"; these hooks are steps 3-5,
	# after the environment was created (crun: created; runc 1.1: creating)
	for k in prestart createRuntime createContainer; do
		s=$(hstate "$k" .status)
		if is_runc; then
			[[ "$s" == creating || "$s" == created ]] || { echo "$k: status $s" >&2; false; }
		else
			eq "$s" created "$k status"
		fi
	done
	# created, or a runtime-defined state for "being started"
	s=$(hstate startContainer .status)
	[[ "$s" != creating && "$s" != running && "$s" != stopped ]] || { echo "startContainer: status $s" >&2; false; }
	eq "$(hstate poststop .status)" stopped "poststop status"
}

@test "config.md Hooks: hook args and env are passed as configured" {
	hook prestart
	sleeper
	created
	eq "$(cat "$SHARED/args.prestart")" "prestart $SHARED 0" args
	grep -qx 'HOOK_ENV=prestart' "$SHARED/env.prestart"
}

@test "config.md Hooks: prestart, createRuntime, poststart and poststop run in the runtime namespace" {
	for k in prestart createRuntime poststart poststop; do hook "$k"; done
	cmd 'true'
	started
	wait_status stopped
	rt delete "$CID"
	for k in prestart createRuntime poststart poststop; do
		eq "$(awk '$1 == "mnt" {print $2}' "$SHARED/ns.$k")" "$(readlink /proc/self/ns/mnt)" "$k mnt ns"
		eq "$(awk '$1 == "net" {print $2}' "$SHARED/ns.$k")" "$(readlink /proc/self/ns/net)" "$k net ns"
	done
}

@test "config.md Hooks: createContainer and startContainer run in the container namespace" {
	hook createContainer
	hook startContainer
	sleeper
	started
	pid=$(state_pid)
	for k in createContainer startContainer; do
		eq "$(awk '$1 == "mnt" {print $2}' "$SHARED/ns.$k")" "$(readlink "/proc/$pid/ns/mnt")" "$k mnt ns"
		eq "$(awk '$1 == "net" {print $2}' "$SHARED/ns.$k")" "$(readlink "/proc/$pid/ns/net")" "$k net ns"
	done
}

@test "config.md Hooks: startContainer path resolves in the container (rootfs) namespace" {
	hook startContainer
	rm "$T/hook.sh" # only the copy inside the rootfs exists
	cmd 'true'
	started
	wait_status stopped
	eq "$(order)" startContainer
}

@test "config.md Hooks: createContainer runs before pivot_root (sees the host's bundle path)" {
	cfg --arg b "$BUNDLE" '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "test -d \($b)/rootfs/bin && echo seen >\($b)/../shared/cc"]}]'
	sleeper
	created
	eq "$(cat "$SHARED/cc")" seen
}

@test "runtime.md Lifecycle: a failing prestart hook fails create and leaves no container" {
	hook prestart 1
	sleeper
	create_ctr
	failed_cleanly
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "runtime.md Lifecycle: a failing createRuntime hook fails create and leaves no container" {
	hook createRuntime 1
	sleeper
	create_ctr
	failed_cleanly
}

@test "runtime.md Lifecycle: a failing createContainer hook fails create and leaves no container" {
	hook createContainer 1
	sleeper
	create_ctr
	failed_cleanly
}

@test "runtime.md Lifecycle: a failing createRuntime hook still runs poststop (step 12-13)" {
	hook createRuntime 1
	hook poststop
	sleeper
	create_ctr
	[ "$status" -ne 0 ]
	eq "$(order)" "createRuntime poststop"
}

@test "runtime.md Lifecycle: a failing startContainer hook fails start and the program does not run" {
	hook startContainer 1
	cmd 'echo ran >/shared/ran; while :; do sleep 1; done'
	created
	runc_fails "start exits 0 when a startContainer hook fails (the program does not run)"
	run rt start "$CID"
	[ "$status" -ne 0 ]
	sleep 0.3
	[ ! -e "$SHARED/ran" ]
	no_procs
}

@test "runtime.md Lifecycle: a failing poststart hook fails start and stops the container" {
	runc_fails "poststart hooks run during create, so create fails instead"
	hook poststart 1
	sleeper
	created
	run rt start "$CID"
	[ "$status" -ne 0 ]
	no_procs
}

# Step 9: "If any poststart hook fails, the runtime MUST generate an error,
# stop the container, and continue the lifecycle at step 12" — destroy, then
# step 13, the poststop hooks.
@test "runtime.md Lifecycle 9: after a failing poststart hook the container is destroyed, poststop runs" {
	runc_fails "poststart hooks run during create, so create fails instead"
	hook poststart 1
	hook poststop
	sleeper
	created
	run rt start "$CID"
	[ "$status" -ne 0 ]
	no_procs
	no_state
	eq "$(order)" "poststart poststop" "hooks run"
}

@test "runtime.md Lifecycle: a failing poststop hook is only a warning; delete succeeds" {
	hook poststop 1
	cmd 'true'
	started
	wait_status stopped
	rt delete "$CID"
	no_state
}

@test "runtime.md Lifecycle: after a failing poststop hook the remaining poststop hooks run" {
	runc_fails "it stops at the first failing poststop hook"
	hook poststop 1
	hook poststop
	cmd 'true'
	started
	wait_status stopped
	rt delete "$CID"
	no_state
	eq "$(order)" "poststop poststop"
}

@test "runtime.md Lifecycle: poststop runs on delete, not when the process exits" {
	hook poststop
	cmd 'true'
	started
	wait_status stopped
	sleep 0.3
	[ ! -e "$SHARED/order" ]
	rt delete "$CID"
	eq "$(order)" poststop
}

@test "runtime.md Lifecycle: run (create+start+delete) runs poststop" {
	hook poststop
	cmd 'true'
	run_ctr
	ok
	eq "$(order)" poststop
}

@test "runtime.md Lifecycle: delete --force of a running container runs poststop" {
	hook poststop
	sleeper
	started
	rt delete --force "$CID"
	eq "$(order)" poststop
	eq "$(hstate poststop .status)" stopped
}

@test "config.md Hooks: a hook exceeding its timeout fails create quickly and leaves no container" {
	hook prestart 0 20 1
	sleeper
	start=$SECONDS
	create_ctr
	elapsed=$((SECONDS - start))
	failed_cleanly
	[ "$elapsed" -lt 10 ] || { echo "create took ${elapsed}s with a 1s hook timeout" >&2; false; }
	pgrep -f "hook.sh prestart $SHARED" && { echo "hook still running" >&2; false; } || true
}

@test "config.md Hooks: a hook timeout of 0 is an error" {
	hook prestart 0 "" 0
	sleeper
	create_ctr
	failed_cleanly
}

@test "config.md Hooks: a hook with a relative path is an error" {
	cfg '.hooks.prestart = [{"path": "bin/true"}]'
	sleeper
	create_ctr
	failed_cleanly
}

# config.md leaves a hook's environment to `env`; without one runc and crun
# give the hook the runtime's environment (Go's exec.Cmd with a nil Env),
# and hooks such as nvidia-container-runtime-hook rely on PATH from it.
@test "runc behaviour: a hook without env gets the runtime's environment; env: [] gets none" {
	cfg --arg p "$T/hook.sh" --arg d "$SHARED" '
	  .hooks.prestart = [{"path": $p, "args": ["hook.sh", "noenv", $d]},
	                     {"path": $p, "args": ["hook.sh", "emptyenv", $d], "env": []}]'
	sleeper
	HUSK_HOOK_ENV_MARK=from-the-runtime created
	grep -qx 'HUSK_HOOK_ENV_MARK=from-the-runtime' "$SHARED/env.noenv"
	! grep -q 'HUSK_HOOK_ENV_MARK' "$SHARED/env.emptyenv"
}
