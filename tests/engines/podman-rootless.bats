#!/usr/bin/env bats
# Rootless podman (Debian's 4.3) with husk, and with Debian's runc as the
# reference (issue 11): a test user made here, with subuid/subgid ranges of
# its own, runs podman with its storage in its home (vfs), the cgroupfs
# manager, file events, XDG_RUNTIME_DIR a directory it owns and a local
# image it imports.  podman runs the runtime as root of the user namespace
# it makes for the user (newuidmap/newgidmap over the subordinate ranges).
#   - no slirp4netns here: every container runs with --network none;
#   - on a cgroup v1/hybrid host podman runs rootless containers without a
#     cgroup and ignores limits (it says so); on a pure cgroup v2 host
#     (the VM: tests/integration/rootless-cgroup2-vm.sh runs the tests whose
#     name has "[vm]") the file delegates a cgroup to the user as systemd
#     does, podman runs from a leaf in it and --pids-limit is checked in
#     the container's cgroup below it.  PM_DEBUG=1: podman's
# debug log in the output.

load helpers
load ../integration/test-user
load ../integration/user-manager

IMG=localhost/husk-busybox:rootless

# setup_file's reasons to skip (bats 1.8's `skip` in setup_file is
# reported as a failure): each test skips with it.
why_not() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (to make the test user)"; return; }
	# Each test names its runtime: run once, in tests/run-tests' husk pass.
	[ "$ENGINE_RUNTIME" = husk ] || { echo "runs husk and runc (the reference) itself: ENGINE_RUNTIME=husk only"; return; }
	command -v podman >/dev/null || { echo "podman is not installed (contrib/install-deps.sh)"; return; }
	command -v useradd >/dev/null || { echo "no useradd"; return; }
	command -v setpriv >/dev/null || { echo "no setpriv"; return; }
	command -v newuidmap >/dev/null || { echo "no newuidmap (package uidmap): rootless podman needs it"; return; }
	[ -x "$HUSK_BIN" ] || { echo "no husk at $HUSK_BIN"; return; }
}

setup_file() {
	export SKIP_WHY
	SKIP_WHY=$(why_not)
	[ -z "$SKIP_WHY" ] || return 0
	export PRT="$BATS_FILE_TMPDIR/prl"
	test_user_make "hpr$$" "$PRT" subids
	export PR_USER=$TU_USER PR_UID=$TU_UID PR_GID=$TU_GID PR_SUBUID=$TU_SUBUID
	mkdir -p "$PRT/home/run" "$PRT/home/.config/containers"
	# The shipped snippet as the user's containers.conf, naming the copy.
	sed -e "s#^husk = .*#husk = [\"$PRT/husk\"]#" "$CONTRIB/engines/containers.conf" \
		>"$PRT/home/.config/containers/containers.conf"
	engine_rootfs_tar "$PRT/home/busybox.tar"
	chown -R "$PR_USER:$PR_GID" "$PRT/home"
	chmod 700 "$PRT/home/run"
	# pure cgroup v2: a subtree delegated as systemd does (Delegate=yes)
	export DELEG=
	if cgroup_v2 && grep -qw pids /sys/fs/cgroup/cgroup.controllers; then
		DELEG="husk-prl-deleg-$$"
		local D="/sys/fs/cgroup/$DELEG" f
		echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
		mkdir "$D"
		for f in "" cgroup.procs cgroup.subtree_control cgroup.threads; do
			chown "$PR_UID:$PR_GID" "$D/$f"
		done
		setpriv --reuid="$PR_UID" --regid="$PR_GID" --init-groups sh -c \
			"mkdir '$D/shell' && echo '+memory +pids' >'$D/cgroup.subtree_control'"
	fi
	pm husk import --change 'CMD ["/bin/sh"]' "$PRT/home/busybox.tar" "$IMG" >/dev/null
	# pure cgroup v2 without systemd as init (the VM): the user's own
	# systemd manager and session bus, for --cgroup-manager systemd
	export UM_WHY_NOT
	UM_WHY_NOT=$(user_manager_why_not)
	command -v dbus-daemon >/dev/null || UM_WHY_NOT=${UM_WHY_NOT:-"no dbus-daemon (package dbus): podman needs a session bus"}
	[ -n "$UM_WHY_NOT" ] || user_manager_start "$PR_UID" "$PR_GID" "$PRT/home" "$PRT/home/run" "$PRT/manager.log"
}

teardown_file() {
	if [ -z "${PR_USER:-}" ]; then return 0; fi
	pm husk rm -a -f -t 0 >/dev/null 2>&1 || true
	# what is left of the user's (podman's pause process, a conmon)
	test_user_remove "$PR_USER"
	[ -z "${DELEG:-}" ] || [ ! -d "/sys/fs/cgroup/$DELEG" ] ||
		find "/sys/fs/cgroup/$DELEG" -depth -type d -exec rmdir {} + 2>/dev/null || true
	user_manager_stop
	rm -rf "$PRT"
}

setup() {
	[ -z "$SKIP_WHY" ] || skip "$SKIP_WHY"
}

teardown() {
	if [ -z "${PR_USER:-}" ]; then return 0; fi
	pm husk rm -a -f -t 0 >/dev/null 2>&1 || true
}

# pm RUNTIME ARGS...: rootless podman as the test user, in its home, with
# its runtime dir and a clean environment; RUNTIME is husk (the name the
# shipped containers.conf gives the copy) or runc (Debian's).
pm() {
	local rt=$1
	shift
	(cd "$PRT/home" &&
		if [ -n "$DELEG" ]; then echo $BASHPID >"/sys/fs/cgroup/$DELEG/shell/cgroup.procs"; fi &&
		setpriv --reuid="$PR_UID" --regid="$PR_GID" --init-groups \
		env -i PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		HOME="$PRT/home" USER="$PR_USER" LOGNAME="$PR_USER" \
		XDG_RUNTIME_DIR="$PRT/home/run" XDG_CONFIG_HOME="$PRT/home/.config" \
		podman --runtime "$rt" --root "$PRT/home/storage" --runroot "$PRT/home/run/storage" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
		--tmpdir "$PRT/home/run/libpod" ${PM_DEBUG:+--log-level debug} "$@" 2>&1)
}

# pm_sd RUNTIME ARGS...: pm with podman's default for a systemd login,
# --cgroup-manager systemd, from a leaf of the user manager's tree, the
# session bus in the environment.
pm_sd() {
	local rt=$1
	shift
	(cd "$PRT/home" && as_user_in "$UM_TERM" -i PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		HOME="$PRT/home" USER="$PR_USER" LOGNAME="$PR_USER" \
		XDG_RUNTIME_DIR="$PRT/home/run" XDG_CONFIG_HOME="$PRT/home/.config" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=$PRT/home/run/bus" \
		podman --runtime "$rt" --root "$PRT/home/storage" --runroot "$PRT/home/run/storage" \
		--storage-driver vfs --cgroup-manager systemd --events-backend file \
		--tmpdir "$PRT/home/run/libpod" ${PM_DEBUG:+--log-level debug} "$@" 2>&1)
}

# scenario_systemd RUNTIME: podman asks the user manager for the
# container's scope (the runtime gets --systemd-cgroup and
# "user.slice:libpod:<id>"); --pids-limit lands there.
scenario_systemd() {
	[ -z "$UM_WHY_NOT" ] || skip "$UM_WHY_NOT"
	local name=sd-$1
	run -0 pm_sd "$1" run -d --name "$name" --network none --pids-limit 10 "$IMG" sleep 300
	local id=${lines[-1]}
	run -0 pm_sd "$1" inspect -f '{{.State.Pid}}' "$name"
	local pid=$output
	run -0 cat "/proc/$pid/cgroup"
	[[ "$output" == "0::$UM_MGR/user.slice/libpod-$id.scope"* ]]
	run -0 pm_sd "$1" exec "$name" cat /sys/fs/cgroup/pids.max
	[ "$output" = 10 ]
	run -0 pm_sd "$1" rm -f -t 0 "$name"
	[ ! -e "/sys/fs/cgroup$UM_MGR/user.slice/libpod-$id.scope" ]
}

# scenario_run RUNTIME: run --rm as root of the user namespace, the user's
# uid mapped to 0 and the subordinate range after it.
scenario_run() {
	run -0 pm "$1" run --rm --network none "$IMG" sh -c 'id -u; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $PR_UID 1" ]
	[ "$(echo ${lines[2]})" = "1 $PR_SUBUID 65536" ]
	run -0 pm "$1" ps -a -q
	[ -z "$output" ]
}

# scenario_lifecycle RUNTIME: -d, exec, stop, rm; the runtime's state is
# under the user's XDG_RUNTIME_DIR, nothing under root's /run.
scenario_lifecycle() {
	local rt=$1 name=lc-$(basename "$1")
	run -0 pm "$rt" run -d --name "$name" --network none "$IMG" sleep 300
	local id=$output
	run -0 pm "$rt" inspect -f '{{.State.Status}} {{.OCIRuntime}}' "$name"
	[ "$output" = "running $rt" ]
	run -0 pm "$rt" exec "$name" sh -c 'echo exec as $(id -u); cat /proc/1/cmdline | tr "\0" " "'
	[ "${lines[0]}" = "exec as 0" ]
	[ "${lines[1]}" = "sleep 300 " ]
	run -0 pm "$rt" exec -t "$name" tty
	[ "${output%$'\r'}" = /dev/pts/0 ]
	[ -d "$PRT/home/run/$rt/$id" ]
	[ ! -e "/run/$rt/$id" ]
	run -0 pm "$rt" stop -t 1 "$name"
	run -0 pm "$rt" inspect -f '{{.State.Status}}' "$name"
	[ "$output" = exited ]
	run -0 pm "$rt" rm "$name"
	[ ! -e "$PRT/home/run/$rt/$id" ]
}

# scenario_tty RUNTIME: -t gives the container a terminal.
scenario_tty() {
	run -0 pm "$1" run --rm -t --network none "$IMG" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo ok'
	[ "${lines[0]%$'\r'}" = /dev/pts/0 ]
	[ "${lines[1]%$'\r'}" = ok ]
}

# scenario_pids RUNTIME: --pids-limit 10 in the container's cgroup (pure
# cgroup v2 with the delegated cgroup as --cgroup-parent), or podman's own
# warning that it ignores limits (cgroup v1: rootless has no cgroup).
scenario_pids() {
	if [ -n "$DELEG" ]; then
		run -0 pm "$1" run --rm --network none --cgroup-parent "/$DELEG" --pids-limit 10 "$IMG" \
			sh -c 'p=$(sed -n "s/^0:://p" /proc/self/cgroup); echo $p; cat /sys/fs/cgroup$p/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
		[ "${lines[-1]}" = 10 ]
	elif cgroup_v2; then
		skip "cgroup v2 without the pids controller to delegate"
	else
		run -0 pm "$1" run --rm --network none --pids-limit 10 "$IMG" true
		[[ "$output" == *"Resource limits are not supported and ignored on cgroups V1 rootless systems"* ]]
	fi
}

@test "podman rootless [vm] husk: run --rm: id -u 0, the user's uid and subuid range mapped" {
	scenario_run husk
}

@test "podman rootless [vm] runc (reference): run --rm" {
	scenario_run runc
}

@test "podman rootless husk: run -d, exec (and exec -t), stop, rm; state in XDG_RUNTIME_DIR" {
	scenario_lifecycle husk
}

@test "podman rootless runc (reference): run -d, exec, stop, rm" {
	scenario_lifecycle runc
}

@test "podman rootless husk: run -t: a terminal" {
	scenario_tty husk
}

@test "podman rootless runc (reference): run -t" {
	scenario_tty runc
}

@test "podman rootless [vm] husk: --pids-limit" {
	scenario_pids husk
}

@test "podman rootless [vm] runc (reference): --pids-limit" {
	scenario_pids runc
}

@test "podman rootless [vm] husk: --cgroup-manager systemd: a scope of the user manager, --pids-limit in it" {
	scenario_systemd husk
}

@test "podman rootless [vm] runc (reference): --cgroup-manager systemd" {
	scenario_systemd runc
}
