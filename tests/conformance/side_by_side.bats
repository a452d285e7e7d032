#!/usr/bin/env bats
# The runtime under test ($RUNTIME, e.g. husk) next to the reference
# ($REFERENCE, default runc) on the same bundles: same state JSON keys and
# status values, same exit codes for run/kill/delete/start and their errors.
# Runs only when both binaries exist and differ.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	command -v "$RUNTIME" >/dev/null 2>&1 || skip "RUNTIME=$RUNTIME not found"
	command -v "$REFERENCE" >/dev/null 2>&1 || skip "REFERENCE=$REFERENCE not found"
	if is_runc "$RUNTIME"; then
		skip "RUNTIME is runc itself; set RUNTIME=husk REFERENCE=runc"
	fi
	common_setup
	REF_ROOT=$T/refroot
	mkdir -p "$REF_ROOT"
}

# on RUNNER ARGS...: RUNNER is rt (runtime under test) or ref (reference)
on() {
	local r=$1
	shift
	"$r" "$@" </dev/null
}

# rc RUNNER ARGS...: print the exit code
rc() {
	local c=0
	on "$@" >/dev/null 2>&1 || c=$?
	echo "$c"
}

# same WHAT SCENARIO: run SCENARIO with rt and with ref, compare its output
same() {
	local what=$1 scenario=$2 a b
	a=$("$scenario" rt)
	b=$("$scenario" ref)
	if [ "$a" != "$b" ]; then
		printf '%s differs\n  %s: %s\n  %s: %s\n' "$what" "$RUNTIME" "$a" "$REFERENCE" "$b" >&2
		return 1
	fi
}

keys() { jq -c 'keys' ; }

# ------------------------------------------------------------- scenarios ---

sc_state_created() {
	local r=$1
	CIDS+=("$CID")
	on "$r" create --bundle "$BUNDLE" "$CID" >/dev/null 2>&1
	on "$r" state "$CID" | jq -c '{keys: keys, status, pidtype: (.pid | type), id, bundle}'
}

sc_state_running() {
	local r=$1
	on "$r" create --bundle "$BUNDLE" "$CID" >/dev/null 2>&1
	on "$r" start "$CID"
	on "$r" state "$CID" | jq -c '{keys: keys, status, pidtype: (.pid | type)}'
}

sc_state_stopped() {
	local r=$1 i s
	on "$r" create --bundle "$BUNDLE" "$CID" >/dev/null 2>&1
	on "$r" kill "$CID" KILL
	for i in $(seq 50); do
		s=$(on "$r" state "$CID" | jq -r .status)
		[ "$s" = stopped ] && break
		sleep 0.1
	done
	# pid may be 0 or absent for a stopped container; compare the rest
	on "$r" state "$CID" | jq -c '{keys: (keys - ["pid"]), status}'
}

sc_run_exit() {
	local r=$1
	cmd 'exit 7'
	rc "$r" run --bundle "$BUNDLE" "$CID"
}

sc_run_killed() {
	local r=$1 p c=0 i
	sleeper
	on "$r" run --bundle "$BUNDLE" "$CID" >/dev/null 2>&1 &
	p=$!
	for i in $(seq 50); do
		[ "$(on "$r" state "$CID" 2>/dev/null | jq -r .status)" = running ] && break
		sleep 0.1
	done
	on "$r" kill "$CID" KILL
	wait "$p" || c=$?
	echo "$c"
}

sc_errors() {
	local r=$1
	sleeper
	echo "state-unknown $(rc "$r" state nope)"
	echo "start-unknown $(rc "$r" start nope)"
	echo "kill-unknown $(rc "$r" kill nope KILL)"
	echo "delete-unknown $(rc "$r" delete nope)"
	on "$r" create --bundle "$BUNDLE" "$CID" >/dev/null 2>&1
	echo "create-duplicate $(rc "$r" create --bundle "$BUNDLE" "$CID")"
	echo "start $(rc "$r" start "$CID")"
	echo "start-running $(rc "$r" start "$CID")"
	echo "delete-running $(rc "$r" delete "$CID")"
	echo "kill-bad-signal $(rc "$r" kill "$CID" NOSUCHSIG)"
	echo "kill-running $(rc "$r" kill "$CID" KILL)"
	sleep 0.5
	echo "kill-stopped $(rc "$r" kill "$CID" KILL)"
	echo "start-stopped $(rc "$r" start "$CID")"
	echo "delete-stopped $(rc "$r" delete "$CID")"
	echo "delete-again $(rc "$r" delete "$CID")"
	echo "delete-force-unknown $(rc "$r" delete --force nope)"
	# not compared: delete of a created container without --force (runc
	# deletes it and exits 0; runtime.md says it MUST fail) - see runtime.bats
}

sc_create_errors() {
	local r=$1
	sleeper
	cp "$BUNDLE/config.json" "$T/config.saved"
	cfg '.root.path = "missing-rootfs"'
	echo "missing-rootfs $(rc "$r" create --bundle "$BUNDLE" "$CID-1") $(on "$r" list -q | wc -l)"
	cp "$T/config.saved" "$BUNDLE/config.json"
	cfg '.hooks.prestart = [{"path": "/bin/false"}]'
	echo "failing-hook $(rc "$r" create --bundle "$BUNDLE" "$CID-2") $(on "$r" list -q | wc -l)"
	cp "$T/config.saved" "$BUNDLE/config.json"
	cfg --arg m "$MARK" '.process.args = ["/no/such/binary", $m]'
	echo "bad-binary-run $(rc "$r" run --bundle "$BUNDLE" "$CID-3") $(on "$r" list -q | wc -l)"
	cp "$T/config.saved" "$BUNDLE/config.json"
}

# runc's sysctl validation: kernel.hostname conflicts with the config's
# hostname (husk refuses kernel.domainname too, for runtime-spec 1.3's
# domainname field, which runc 1.1.5 predates); keys of namespaces the container does not own would change
# the host.  The output is "case exit-code containers-left".
sc_sysctl_refusals() {
	local r=$1
	cmd 'true'
	cp "$BUNDLE/config.json" "$T/config.saved"
	for c in 'kernel.hostname|.' 'vm.swappiness|.' \
		'net.ipv4.ip_forward|.linux.namespaces -= [{"type": "network"}]' \
		'kernel.shmmax|.linux.namespaces -= [{"type": "ipc"}]'; do
		cp "$T/config.saved" "$BUNDLE/config.json"
		cfg --arg k "${c%%|*}" '.linux.sysctl = {($k): "1"} | '"${c#*|}"
		echo "${c%%|*} $(rc "$r" run --bundle "$BUNDLE" "$CID") $(on "$r" list -q | wc -l)"
	done
	cp "$T/config.saved" "$BUNDLE/config.json"
}

# What `exec` without a terminal gives the process: its own session and
# process group inside the container (runc: setsid), not the caller's (0).
sc_exec_pgrp() {
	local r=$1
	sleeper
	on "$r" run -d --bundle "$BUNDLE" "$CID" >/dev/null 2>&1
	on "$r" exec "$CID" sh -c 'set -- $(cat /proc/$$/stat); [ "$1" = "$5" ] && [ "$1" = "$6" ] && echo "own session and group" || echo "pid $1 pgrp $5 session $6"'
	# husk must match runc, and runc's answer is the one above
	on "$r" kill "$CID" KILL
}

# The loopback interface of a new network namespace: runc and crun bring it
# up (the kernel creates it down); ping 127.0.0.1 needs it.
sc_loopback() {
	local r=$1
	cmd 'ip link show lo | grep -q "<LOOPBACK,UP" && echo "lo up" || echo "lo down"; ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1 && echo "ping ok" || echo "ping failed"'
	on "$r" run --bundle "$BUNDLE" "$CID"
}

# HOME when process.env has none: the container's /etc/passwd entry of the
# user, "/" without one; a HOME in env is kept.  For run and for exec.
sc_home() {
	local r=$1 u
	cp "$BUNDLE/config.json" "$T/config.home"
	for u in '0|.' '65534|.' '1234|.' '0|.process.env += ["HOME=/custom"]'; do
		cp "$T/config.home" "$BUNDLE/config.json"
		cfg --argjson u "${u%%|*}" '.process.user = {uid: $u, gid: $u} | .process.args = ["sh", "-c", "echo $HOME"] | '"${u#*|}"
		echo "run ${u%%|*} ${u#*|}: $(on "$r" run --bundle "$BUNDLE" "$CID" 2>/dev/null)"
	done
	cp "$T/config.home" "$BUNDLE/config.json"
	sleeper
	on "$r" run -d --bundle "$BUNDLE" "$CID" >/dev/null 2>&1
	echo "exec 0: $(on "$r" exec "$CID" sh -c 'echo $HOME')"
	echo "exec 65534: $(on "$r" exec -u 65534 "$CID" sh -c 'echo $HOME')"
	echo "exec 1234: $(on "$r" exec -u 1234 "$CID" sh -c 'echo $HOME')"
	echo "exec env: $(on "$r" exec -e HOME=/x "$CID" sh -c 'echo $HOME')"
	on "$r" kill "$CID" KILL
}

# hostname and domainname with the UTS namespace joined by path: set in the
# joined namespace (runc and crun).  The namespace is held by a sleep the
# test starts in a new UTS namespace of its own.
sc_joined_uts() {
	local r=$1 holder dom=${2:-}
	unshare --uts sleep 30 &
	holder=$!
	sleep 0.2
	# runc 1.1.5 predates runtime-spec's domainname: compared only with $2
	cfg --arg p "/proc/$holder/ns/uts" --arg d "$dom" '.hostname = "joined-host"
	  | if $d != "" then .domainname = $d else . end
	  | .linux.namespaces = [.linux.namespaces[] | if .type == "uts" then .path = $p else . end]'
	cmd 'echo "$(hostname) $(cat /proc/sys/kernel/domainname)"'
	echo "inside: $(on "$r" run --bundle "$BUNDLE" "$CID" 2>&1)"
	echo "holder: $(nsenter -t "$holder" -u hostname) $(nsenter -t "$holder" -u cat /proc/sys/kernel/domainname)"
	echo "host unchanged: $([ "$(hostname)" != joined-host ] && echo yes)"
	kill "$holder"
	wait "$holder" 2>/dev/null || true
}

# process.cwd that the image lacks: created (runc, crun) rather than an
# error; what the process sees there.
sc_missing_cwd() {
	local r=$1
	rm -rf "$BUNDLE/rootfs/made"
	cfg '.process.cwd = "/made/by/runtime" | .process.user = {uid: 1000, gid: 1000}'
	cmd 'pwd'
	echo "$(on "$r" run --bundle "$BUNDLE" "$CID" 2>/dev/null)"
	stat -c '%a' "$BUNDLE/rootfs/made" "$BUNDLE/rootfs/made/by/runtime"
}

# A mount at "/" (another tree bound over the rootfs) and the mounts after
# it: runc mounts by path, so they land on the new "/", not under it.
sc_mount_over_root() {
	local r=$1
	rm -rf "$T/root2"
	cp -a "$BUNDLE/rootfs" "$T/root2"
	echo two >"$T/root2/etc/which"
	cp "$BUNDLE/config.json" "$T/config.saved"
	cfg --arg s "$T/root2" '.mounts = [{"destination": "/", "type": "bind", "source": $s, "options": ["rbind"]}]
	  + .mounts + [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}]'
	cmd 'cat /etc/which; grep -E " /(mnt|proc|dev|dev/pts|sys) " /proc/self/mountinfo | cut -d" " -f5,9'
	on "$r" run --bundle "$BUNDLE" "$CID" 2>&1
	cp "$T/config.saved" "$BUNDLE/config.json"
}

# A file bind mount whose destination is a dangling symlink of the image:
# a file is made at the link's target (inside the rootfs) and mounted on.
sc_bind_dangling_link() {
	local r=$1
	rm -rf "$BUNDLE/rootfs/etc/target.conf"
	ln -sfn /etc/target.conf "$BUNDLE/rootfs/etc/link.conf"
	echo hostfile >"$T/srcfile"
	cp "$BUNDLE/config.json" "$T/config.saved"
	cfg --arg s "$T/srcfile" '.mounts += [{"destination": "/etc/link.conf", "type": "bind", "source": $s, "options": ["bind"]}]'
	cmd 'cat /etc/link.conf /etc/target.conf'
	on "$r" run --bundle "$BUNDLE" "$CID" 2>&1
	echo "made: $(stat -c %F "$BUNDLE/rootfs/etc/target.conf" 2>&1)"
	cp "$T/config.saved" "$BUNDLE/config.json"
}

# Destinations and device paths with a trailing slash name the same path
# as without: a tmpfs at /mnt/, a file bind at /etc/hostfile/, a device at
# /dev/mynull/.
sc_trailing_slash() {
	local r=$1
	rm -rf "$BUNDLE/rootfs/etc/hostfile"
	echo hostfile >"$T/srcfile"
	cp "$BUNDLE/config.json" "$T/config.saved"
	cfg --arg s "$T/srcfile" '.mounts += [{"destination": "/mnt/", "type": "tmpfs", "source": "tmpfs"},
	    {"destination": "/etc/hostfile/", "type": "bind", "source": $s, "options": ["bind"]}]
	  | .linux.devices = [{"path": "/dev/mynull/", "type": "c", "major": 1, "minor": 3}]'
	cmd 'cat /etc/hostfile; stat -c "%n %F %t,%T" /dev/mynull; grep -E " /(mnt|etc/hostfile) " /proc/self/mountinfo | cut -d" " -f5'
	on "$r" run --bundle "$BUNDLE" "$CID" 2>&1
	echo "made: $(stat -c %F "$BUNDLE/rootfs/etc/hostfile" 2>&1)"
	cp "$T/config.saved" "$BUNDLE/config.json"
}

# A tmpfs over a directory of the image keeps the directory's mode; a new
# mount point gets tmpfs's default (1777).
sc_tmpfs_mode() {
	local r=$1
	rm -rf "$BUNDLE/rootfs/new"
	mkdir -p "$BUNDLE/rootfs/data" "$BUNDLE/rootfs/sticky"
	chmod 0710 "$BUNDLE/rootfs/data"
	chmod 2750 "$BUNDLE/rootfs/sticky"
	cp "$BUNDLE/config.json" "$T/config.saved"
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs"},
	  {"destination": "/sticky", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]},
	  {"destination": "/new/dir", "type": "tmpfs", "source": "tmpfs"}]'
	cmd 'stat -c "%n %a" /data /sticky /new/dir'
	on "$r" run --bundle "$BUNDLE" "$CID" 2>&1
	cp "$T/config.saved" "$BUNDLE/config.json"
}

# Bind sources only the runtime's credentials reach (below a 0700 root
# directory), in a container with a user namespace: runc opens them before
# the namespace, so they mount.
sc_bind_private_source() {
	local r=$1 d=$T
	# the bundle's parents searchable by the mapped root (not the source's)
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	mkdir -p "$T/private/sub" "$BUNDLE/rootfs/vol"
	echo topsecret >"$T/private/sub/f"
	touch "$BUNDLE/rootfs/etc/f"
	chmod 0700 "$T/private"
	cp "$BUNDLE/config.json" "$T/config.saved"
	cfg --arg d "$T/private/sub" '.linux.namespaces += [{"type": "user"}]
	  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	  | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
	  | .mounts |= map(select(.type != "cgroup"))
	  | .mounts += [{"destination": "/vol", "type": "bind", "source": $d, "options": ["rbind", "ro"]},
	      {"destination": "/etc/f", "type": "bind", "source": ($d + "/f"), "options": ["bind"]}]'
	cmd 'ls /vol; cat /etc/f; touch /vol/x 2>/dev/null || echo "vol read-only"'
	on "$r" run --bundle "$BUNDLE" "$CID" 2>&1
	cp "$T/config.saved" "$BUNDLE/config.json"
}

sc_list_format() {
	local r=$1
	sleeper
	on "$r" create --bundle "$BUNDLE" "$CID" >/dev/null 2>&1
	on "$r" list -q
	on "$r" list --format json | jq -c '.[] | {keys: (keys - ["created", "pid", "owner"]), status}'
}

# ----------------------------------------------------------------- tests ---

@test "side by side: state of a created container (keys, status, pid type, id, bundle)" {
	same "state (created)" sc_state_created
}

@test "side by side: state of a running container (keys, status)" {
	sleeper
	same "state (running)" sc_state_running
}

@test "side by side: state of a stopped container (keys, status)" {
	sleeper
	same "state (stopped)" sc_state_stopped
}

@test "side by side: run returns the program's exit code" {
	same "run exit code" sc_run_exit
}

@test "side by side: run of a killed container returns 128+9" {
	same "run exit code after kill" sc_run_killed
}

@test "side by side: exit codes of state/start/kill/delete and their errors" {
	same "exit codes" sc_errors
}

@test "side by side: failing create/run give the same exit codes and leave no container" {
	same "create errors" sc_create_errors
}

@test "side by side: list -q and list --format json" {
	same "list" sc_list_format
}

@test "side by side: linux.sysctl keys runc refuses (kernel.hostname, kernel.domainname, host namespaces)" {
	same "sysctl refusals" sc_sysctl_refusals
	cfg '.linux.sysctl = {"kernel.hostname": "x"}'
	run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
	[[ "$stderr" == *'linux.sysctl: sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'* ]]
	cfg '.linux.sysctl = {"kernel.domainname": "x"}'
	run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'linux.sysctl: sysctl "kernel.domainname" is not allowed as it conflicts with the OCI "domainname" field'* ]]
	[ -z "$(rt list -q)" ]
}

@test "side by side: exec without a terminal runs in a session and process group of its own" {
	same "exec process group" sc_exec_pgrp
}

@test "side by side: the loopback interface of a new network namespace is up" {
	same "loopback" sc_loopback
	CID=$CID-2
	out=$(sc_loopback rt)
	echo "$out"
	[[ "$out" == "lo up"* ]]
}

@test "side by side: HOME comes from the container's /etc/passwd when process.env has none" {
	sed -i 's|^nobody:.*|nobody:x:65534:65534:nobody:/nonexistent:/bin/sh|' "$BUNDLE/rootfs/etc/passwd"
	same "HOME" sc_home
	CID=$CID-2
	out=$(sc_home rt)
	echo "$out"
	[[ "$out" == *"run 0 .: /root"* ]]
	[[ "$out" == *"run 65534 .: /nonexistent"* ]]
	[[ "$out" == *"run 1234 .: /"$'\n'* ]]
	[[ "$out" == *"exec 65534: /nonexistent"* ]]
}

@test "side by side: hostname and domainname are set in a UTS namespace joined by path" {
	same "joined UTS" sc_joined_uts
	CID=$CID-2
	out=$(sc_joined_uts rt joined.dom)
	echo "$out"
	[ "$out" = "inside: joined-host joined.dom
holder: joined-host joined.dom
host unchanged: yes" ]
}

@test "side by side: a process.cwd missing from the image is created" {
	same "missing cwd" sc_missing_cwd
	CID=$CID-2
	out=$(sc_missing_cwd rt)
	echo "$out"
	[[ "$out" == "/made/by/runtime"* ]]
	# owned by the process user, as crun does (runc 1.1.5 leaves them root's,
	# so the workload could not write to its own working directory)
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/made/by/runtime")" = 1000:1000 ]
}

@test "side by side: a mount at / does not hide the mounts after it" {
	same "mount over /" sc_mount_over_root
	CID=$CID-2
	out=$(sc_mount_over_root rt)
	echo "$out"
	[[ "$out" == "two"* ]]
	[[ "$out" == *"/mnt tmpfs"* ]]
	[[ "$out" == *"/proc proc"* ]]
}

@test "side by side: a file bind mount on a dangling symlink makes a file at its target" {
	same "bind on a dangling symlink" sc_bind_dangling_link
	CID=$CID-2
	out=$(sc_bind_dangling_link rt)
	echo "$out"
	[ "$out" = "hostfile
hostfile
made: regular empty file" ]
}

@test "side by side: a trailing slash in a mount destination or device path is the same path" {
	same "trailing slash" sc_trailing_slash
	CID=$CID-2
	out=$(sc_trailing_slash rt)
	echo "$out"
	[ "$out" = "hostfile
/dev/mynull character special file 1,3
/mnt
/etc/hostfile
made: regular empty file" ]
}

@test "side by side: a tmpfs over a directory of the image keeps its mode unless the options give one" {
	same "tmpfs mode" sc_tmpfs_mode
	CID=$CID-2
	out=$(sc_tmpfs_mode rt)
	echo "$out"
	[ "$out" = "/data 710
/sticky 2750
/new/dir 1777" ]
	# mode= in the options wins (runc 1.1.5 chmods the mount afterwards;
	# runc 1.2 and crun keep the option's)
	CID=$CID-3
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["mode=750"]}]'
	cmd 'stat -c %a /data'
	run_ctr
	ok
	eq "$output" 750
}

@test "side by side: bind sources are opened with the runtime's credentials in a user namespace" {
	same "root-only bind source" sc_bind_private_source
	CID=$CID-2
	out=$(sc_bind_private_source rt)
	echo "$out"
	[ "$out" = "f
topsecret
vol read-only" ]
}
