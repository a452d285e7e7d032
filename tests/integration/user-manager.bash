# A systemd *user* manager for a test user, laid out as logind and
# user@UID.service make it for a login, on a pure cgroup v2 host where
# systemd is not init (the VM of ../shared/tools/run-in-vm.sh): the cgroup
# /user.slice/user-UID.slice/user@UID.service delegated to the user
# (memory, pids, cpu: Debian's Delegate=), a session bus at $XDG/bus
# (dbus-daemon, when installed: podman and runc talk to the manager over
# it) and `systemd --user` in that cgroup.  Used by
# tests/integration/rootless-systemd-user.bats and
# tests/engines/podman-rootless.bats.

# user_manager_why_not: why this host cannot have one (empty: it can).
user_manager_why_not() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (to delegate the user's cgroup)"; return; }
	[ -f /sys/fs/cgroup/cgroup.controllers ] ||
		{ echo "not a pure cgroup v2 host (the VM runs this: tests/integration/rootless-cgroup2-vm.sh)"; return; }
	[ -x /lib/systemd/systemd ] || { echo "systemd is not installed (/lib/systemd/systemd)"; return; }
	[ -d /run/systemd/system ] && { echo "systemd already runs this host: test on a real login instead"; return; }
	[ -w /run ] || { echo "/run is not writable (the user manager wants /run/systemd/system)"; return; }
	command -v setpriv >/dev/null || { echo "no setpriv"; return; }
}

# user_manager_start UID GID HOME XDG LOG: exports UM_MGR (the manager's
# cgroup) and UM_TERM (a leaf of the user's in that tree, as a terminal of
# a desktop session sits in); the manager's state ("running", ...) goes
# to LOG.state, its output to LOG.
user_manager_start() {
	local uid=$1 gid=$2 home=$3 xdg=$4 log=$5 f
	export UM_UID=$uid UM_GID=$gid UM_XDG=$xdg
	export UM_MGR="/user.slice/user-$uid.slice/user@$uid.service"
	export UM_TERM="$UM_MGR/husk-term"
	echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "/sys/fs/cgroup/user.slice/user-$uid.slice/session-t.scope"
	echo "+memory +pids +cpu" >/sys/fs/cgroup/user.slice/cgroup.subtree_control
	echo "+memory +pids +cpu" >"/sys/fs/cgroup/user.slice/user-$uid.slice/cgroup.subtree_control"
	mkdir "/sys/fs/cgroup$UM_MGR"
	for f in "" cgroup.procs cgroup.subtree_control cgroup.threads; do
		chown "$uid:$gid" "/sys/fs/cgroup$UM_MGR/$f"
	done
	# `systemd --user` refuses to start unless the system "has been booted
	# with systemd" (sd_booted: this directory); the VM's /run is its own.
	mkdir -p /run/systemd/system
	local env=(env -i HOME="$home" XDG_RUNTIME_DIR="$xdg" PATH=/usr/sbin:/usr/bin:/sbin:/bin)
	if command -v dbus-daemon >/dev/null; then
		# the session bus, from the login session's scope
		(echo $BASHPID >"/sys/fs/cgroup/user.slice/user-$uid.slice/session-t.scope/cgroup.procs" &&
			exec setpriv --reuid="$uid" --regid="$gid" --init-groups "${env[@]}" \
				dbus-daemon --session --address="unix:path=$xdg/bus" --nofork --nopidfile) \
			</dev/null >"$log.dbus" 2>&1 3>&- &
		for _ in $(seq 100); do [ -S "$xdg/bus" ] && break; sleep 0.1; done
		env+=(DBUS_SESSION_BUS_ADDRESS="unix:path=$xdg/bus")
	fi
	# The manager, as the user, in its cgroup; it moves itself to init.scope.
	(echo $BASHPID >"/sys/fs/cgroup$UM_MGR/cgroup.procs" &&
		exec setpriv --reuid="$uid" --regid="$gid" --init-groups "${env[@]}" \
			/lib/systemd/systemd --user --log-target=kmsg) </dev/null >"$log" 2>&1 3>&- &
	local manager=$! st=""
	for _ in $(seq 240); do
		st=$(setpriv --reuid="$uid" --regid="$gid" --init-groups env XDG_RUNTIME_DIR="$xdg" \
			timeout 5 systemctl --user is-system-running 2>&1) || true
		case "$st" in running | degraded) break ;; esac
		kill -0 $manager 2>/dev/null || break
		sleep 0.5
	done
	setpriv --reuid="$uid" --regid="$gid" --init-groups mkdir -p "/sys/fs/cgroup$UM_TERM"
	echo "$st" >"$log.state"
}

# user_manager_stop: after the user's processes are gone, its cgroups and
# the sd_booted marker.
user_manager_stop() {
	[ -n "${UM_UID:-}" ] || return 0
	find "/sys/fs/cgroup/user.slice/user-$UM_UID.slice" -depth -type d -exec rmdir {} + 2>/dev/null
	rmdir /sys/fs/cgroup/user.slice 2>/dev/null
	rmdir /run/systemd/system /run/systemd 2>/dev/null
	return 0
}

# as_user_in CGROUP USER-ENV... -- CMD...: run CMD as UM_UID from CGROUP (a
# path below /sys/fs/cgroup) with the login environment given.
as_user_in() {
	local cg=$1
	shift
	(echo $BASHPID >"/sys/fs/cgroup$cg/cgroup.procs" &&
		exec setpriv --reuid="$UM_UID" --regid="$UM_GID" --init-groups env "$@")
}
