#!/usr/bin/env bats
# husk check: every problem of a bundle at once, with its JSON path,
# severity and reason, and nothing created.  Each test breaks a good bundle
# (the busybox rootfs with `husk spec`'s config) in one way and expects the
# exact findings; one breaks it in all of those ways at once.  The host
# answers are this host's (hybrid cgroups, no CAP_SYS_RESOURCE in the
# bounding set, no AppArmor or SELinux); check-vm.sh asks pure cgroup v2.

bats_require_minimum_version 1.5.0

load helpers

SCHEMA="$BATS_TEST_DIRNAME/../../docs/husk-check.schema.json"

setup_file() {
	setup_busybox_base
}

setup() {
	setup_root
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
}

# v2, hybrid or v1: what check should say about this host.
cgroup_mode() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo v2
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo hybrid
	else
		echo v1
	fi
}

# make_config [JQ-FILTER]: the bundle's config.json, `husk spec`'s with the
# base rootfs and the filter applied.
make_config() {
	jq --arg rootfs "$BASE/rootfs" '.root.path = $rootfs | .process.terminal = false | '"${1:-.}" \
		"$BASE/config.json" >"$BUNDLE/config.json"
}

# findings [JQ-FILTER]: run check on the bundle made with the filter; $output
# keeps the error and warning lines only (notes are for check_notes).
findings() {
	make_config "${1:-.}"
	run husk check --bundle "$BUNDLE"
	CHECK_STATUS=$status
	CHECK_ALL=$output
	output=$(grep -E '^(error|warning): ' <<<"$CHECK_ALL" || true)
}

# expect STATUS LINE...: the findings are exactly these lines.
expect() {
	local want_status=$1
	shift
	local want
	want=$(printf '%s\n' "$@")
	if [ "$output" != "$want" ] || [ "$CHECK_STATUS" -ne "$want_status" ]; then
		echo "status $CHECK_STATUS, want $want_status"
		echo "--- got"
		echo "$CHECK_ALL"
		echo "--- want"
		echo "$want"
		return 1
	fi
}

@test "check: husk spec's bundle checks clean, notes only, exit 0" {
	findings
	expect 0 ""
	[[ "$CHECK_ALL" == *"note: this host has $(cgroup_mode) cgroups"* ]]
	[[ "$CHECK_ALL" == *"note: linux.seccomp: no seccomp filter"* ]]
	[[ "$CHECK_ALL" == *"0 errors, 0 warnings" ]]
}

@test "check: runc spec's default gets the same answer as husk spec's" {
	make_config
	husk check --bundle "$BUNDLE" >"$BATS_TEST_TMPDIR/husk.out"
	(cd "$BUNDLE" && rm config.json && runc spec)
	jq --arg rootfs "$BASE/rootfs" '.root.path = $rootfs | .process.terminal = false' \
		"$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
	run husk check --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/husk.out")" ]
}

@test "check: creates nothing (no state, no cgroup) and needs no --root" {
	findings '.linux.cgroupsPath = "/husk-check-probe"'
	expect 0 ""
	[ -z "$(ls -A "$ROOT")" ]
	for d in /sys/fs/cgroup/*/; do
		[ ! -e "$d/husk-check-probe" ]
	done
	run "$HUSK" --root /nonexistent/root check --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
}

# ---- the config against the spec ----------------------------------------

@test "check spec: an unknown namespace type (the parser's enum)" {
	findings '.linux.namespaces += [{"type": "pidd"}]'
	expect 1 'error: linux.namespaces[5].type: unknown namespace "pidd"'
}

@test "check spec: a value of the wrong type" {
	findings '.hostname = 7'
	expect 1 'error: hostname: expected a string, got 7'
}

@test "check spec: a required field missing" {
	findings 'del(.process.cwd)'
	expect 1 'error: process.cwd: required field missing'
}

@test "check spec: a relative process.cwd" {
	findings '.process.cwd = "tmp"'
	expect 1 'error: process.cwd: must be an absolute path, got "tmp"'
}

@test "check spec: unknown capabilities, every one of them" {
	findings '.process.capabilities.bounding += ["CAP_BOGUS", "CAP_NOPE"]'
	expect 1 'error: process.capabilities.bounding[3]: unknown capability "CAP_BOGUS"' \
		'error: process.capabilities.bounding[4]: unknown capability "CAP_NOPE"'
}

@test "check spec: rlimits, soft above hard and duplicated" {
	findings '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 2, "hard": 1},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	expect 1 'error: process.rlimits[0].soft: 2 is above the hard limit 1' \
		'error: process.rlimits[1].type: duplicate rlimit "RLIMIT_CORE" (also process.rlimits[0])'
}

@test "check spec: create's rules across fields (sysctl, hostname, time offsets)" {
	findings '.linux.sysctl = {"vm.swappiness": "1", "net.ipv4.ip_forward": "1"}
		| .linux.namespaces -= [{"type": "network"}, {"type": "uts"}] | .hostname = "h"
		| .linux.timeOffsets = {"boottime": {"secs": 1}}'
	expect 1 'error: linux.sysctl: sysctl "vm.swappiness" is not in a separate kernel namespace: setting it would change the host' \
		'error: linux.sysctl: sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace (linux.namespaces has no "network")' \
		'error: hostname: unable to set the hostname without a private UTS namespace' \
		'error: linux.timeOffsets: needs a new time namespace' \
		'warning: linux.namespaces: no network namespace: the container can bind host ports and reach host-only services (127.0.0.1, abstract sockets)'
}

@test "check spec: cgroup values no version accepts, all of them" {
	findings '.linux.resources.cpu = {"shares": 1, "period": 5} | .linux.resources.memory = {"limit": -5}'
	expect 1 'error: linux.resources.memory.limit: invalid value -5' \
		'error: linux.resources.cpu.shares: 1 is outside 2..262144' \
		'error: linux.resources.cpu.period: 5 is outside 1000..1000000 us'
}

# ---- the bundle against its image ---------------------------------------

@test "check bundle: root.path that does not exist" {
	findings '.root.path = "/nonexistent/rootfs"'
	expect 1 'error: root.path: /nonexistent/rootfs: No such file or directory'
}

@test "check bundle: process.args[0] not on the config's PATH, or not executable" {
	findings '.process.args = ["nosuch"] | .process.env = ["PATH=/bin:/usr/bin"]'
	expect 1 'error: process.args[0]: "nosuch": executable file not found in the rootfs on $PATH (/bin:/usr/bin)'
	printf 'x' >"$BASE/rootfs/tmp/noexec"
	findings '.process.args = ["/tmp/noexec"]'
	rm -f "$BASE/rootfs/tmp/noexec"
	expect 1 'error: process.args[0]: "/tmp/noexec" is in the rootfs but not executable (no x bit)'
	# found through a symlink inside the rootfs (bin/sh -> busybox)
	findings '.process.args = ["sh"] | .process.env = ["PATH=/nope:/bin"]'
	expect 0 ""
}

@test "check bundle: process.user not mapped by a new user namespace; no passwd entry" {
	findings '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .process.user = {"uid": 5000, "gid": 0, "additionalGids": [7000]}'
	expect 1 'error: process.user.uid: 5000 is not mapped by linux.uidMappings' \
		'error: process.user.additionalGids[0]: 7000 is not mapped by linux.gidMappings'
	[[ "$CHECK_ALL" == *"note: process.user.uid: 5000 has no entry in the rootfs's /etc/passwd"* ]]
}

@test "check bundle: a missing process.cwd is a note (husk creates it), a file is an error" {
	findings '.process.cwd = "/work/dir"'
	expect 0 ""
	[[ "$CHECK_ALL" == *"note: process.cwd: /work/dir does not exist in the rootfs: husk creates it"* ]]
	findings '.process.cwd = "/etc/passwd"'
	expect 1 'error: process.cwd: /etc/passwd is not a directory in the rootfs'
}

@test "check bundle: a bind mount whose source is not on the host" {
	findings '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent/src", "options": ["rbind"]}]'
	expect 1 'error: mounts[7].source: /nonexistent/src: No such file or directory on the host'
	# relative to the bundle
	mkdir "$BUNDLE/data"
	findings '.mounts += [{"destination": "/data", "type": "bind", "source": "data", "options": ["rbind"]}]'
	expect 0 ""
}

@test "check bundle: a device whose type is not the host node's" {
	findings '.linux.devices = [{"path": "/dev/null", "type": "b", "major": 1, "minor": 3}]'
	expect 1 'error: linux.devices[0].type: "b", but the host'"'"'s /dev/null (1:3) is a character device'
}

# ---- the config against this host --------------------------------------

@test "check host: a namespace path of the wrong type" {
	findings '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "/proc/self/ns/uts" else . end]'
	expect 1 'error: linux.namespaces[1].path: /proc/self/ns/uts is not a network namespace'
	findings '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "/nonexistent" else . end]'
	expect 1 'error: linux.namespaces[1].path: /nonexistent: No such file or directory'
}

@test "check host: an idmapped mount of a filesystem without idmapped mounts" {
	findings '.mounts += [{"destination": "/p", "type": "bind", "source": "/proc", "options": ["rbind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
	expect 1 'error: mounts[7]: an idmapped mount of /proc, whose filesystem (magic 0x9fa0) does not support idmapped mounts'
	# ext4, xfs, btrfs, tmpfs (6.3) have them
	mkdir "$BUNDLE/data"
	if [[ "$(stat -f -c %T "$BUNDLE/data")" =~ ^(ext2/ext3|xfs|btrfs|tmpfs)$ ]]; then
		findings '.mounts += [{"destination": "/d", "type": "bind", "source": "data", "options": ["rbind", "idmap"],
			"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
			"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
		expect 0 ""
	fi
}

@test "check host (hybrid): linux.resources.unified needs cgroup v2" {
	[ "$(cgroup_mode)" = hybrid ] || skip "this host has $(cgroup_mode) cgroups (check-vm.sh asks v2)"
	findings '.linux.resources.unified = {"memory.high": "1G"}'
	expect 1 'error: linux.resources.unified requires cgroup v2'
}

@test "check host (hybrid): every limit whose v1 controller is not mounted" {
	[ "$(cgroup_mode)" = hybrid ] || skip "this host has $(cgroup_mode) cgroups (check-vm.sh asks v2)"
	for c in hugetlb net_cls net_prio; do
		! grep -qw "$c" <(awk '$9 == "cgroup" {print $NF}' /proc/self/mountinfo) ||
			skip "the $c controller is mounted here"
	done
	findings '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 1}]
		| .linux.resources.network = {"classID": 1, "priorities": [{"name": "lo", "priority": 1}]}
		| .linux.resources.memory = {"limit": 1000000}'
	expect 1 'error: linux.resources.hugepageLimits[0].pageSize: the hugetlb controller is not mounted (no cgroup v1 hierarchy under /sys/fs/cgroup has it)' \
		'error: linux.resources.network.classID: the net_cls controller is not mounted (no cgroup v1 hierarchy under /sys/fs/cgroup has it)' \
		'error: linux.resources.network.priorities: the net_prio controller is not mounted (no cgroup v1 hierarchy under /sys/fs/cgroup has it)'
}

@test "check host: seccomp architectures and system calls libseccomp does not know" {
	findings '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_FOO"],
		"syscalls": [{"names": ["getpid", "no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]}'
	expect 1 'error: linux.seccomp.architectures[1]: unknown seccomp architecture "SCMP_ARCH_FOO"' \
		"warning: linux.seccomp.syscalls[0].names[1]: \"no_such_syscall\" is not a system call libseccomp $(pkg-config --modversion libseccomp) knows on this architecture: its rule is skipped"
}

@test "check host: a capability outside the caller's bounding set" {
	grep -q '^CapBnd:.*' /proc/self/status
	if capsh --has-b=cap_sys_resource 2>/dev/null; then
		skip "CAP_SYS_RESOURCE is in this host's bounding set (the test uses its absence)"
	fi
	findings '.process.capabilities.bounding += ["CAP_SYS_RESOURCE"]'
	# (and with more than the default capabilities, no seccomp is a warning)
	expect 2 'warning: process.capabilities.bounding[3]: CAP_SYS_RESOURCE is not in the caller'"'"'s bounding set: it cannot be granted' \
		'warning: linux.seccomp: no seccomp filter: every system call of the host kernel is reachable (keyctl, bpf, userfaultfd, unshare, ...)'
}

@test "check host: AppArmor and SELinux asked for on a host without them" {
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled here"
	findings '.process.apparmorProfile = "husk-test" | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	expect 1 'error: process.apparmorProfile: husk-test: apparmorProfile is set but AppArmor is not enabled on this host' \
		'error: process.selinuxLabel: system_u:system_r:container_t:s0: selinuxLabel is set but SELinux is not enabled on this host'
}

@test "check host: an rlimit above the caller's hard limit, without CAP_SYS_RESOURCE" {
	capsh --has-b=cap_sys_resource 2>/dev/null && skip "CAP_SYS_RESOURCE is in the bounding set here"
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "the hard RLIMIT_NOFILE is unlimited here"
	findings ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $((hard + 1))}]"
	expect 1 "error: process.rlimits[0].hard: $((hard + 1)) is above the caller's hard RLIMIT_NOFILE $hard (raising it needs CAP_SYS_RESOURCE, which the caller lacks)"
	findings ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $hard}]"
	expect 0 ""
}

@test "check host: rootless, as a plain user (no --root needed)" {
	command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
	local dir
	dir=$(mktemp -d /tmp/husk-check-rl.XXXXXX)
	chmod 755 "$dir"
	cp -a "$BASE/rootfs" "$dir/rootfs"
	(cd "$dir" && "$HUSK" spec --rootless && jq '.process.terminal = false' config.json >c && mv c config.json)
	jq '.linux.uidMappings[0].hostID = 65534 | .linux.gidMappings[0].hostID = 65534' "$dir/config.json" >"$dir/c" &&
		mv "$dir/c" "$dir/config.json"
	# a copy nobody may run (the build under test can sit in a directory
	# only root may enter, as tests/run-tests' ASan build does)
	cp "$HUSK" "$dir/husk"
	chmod -R a+rX "$dir"
	run setpriv --reuid=65534 --regid=65534 --clear-groups env -u XDG_RUNTIME_DIR "$dir/husk" check --bundle "$dir"
	local rootless_status=$status rootless_out=$output
	jq 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces -= [{"type": "user"}]' \
		"$dir/config.json" >"$dir/c" && mv "$dir/c" "$dir/config.json"
	run setpriv --reuid=65534 --regid=65534 --clear-groups env -u XDG_RUNTIME_DIR "$dir/husk" check --bundle "$dir"
	rm -rf "$dir"
	echo "$rootless_out"
	# husk spec --rootless: no network namespace, by design, is the one warning
	[ "$rootless_status" -eq 2 ]
	[ "$(grep -cE '^(error|warning):' <<<"$rootless_out")" -eq 1 ]
	[[ "$rootless_out" == *"warning: linux.namespaces: no network namespace"* ]]
	[ "$status" -eq 1 ]
	[[ "$output" == *'error: linux.namespaces: uid 65534 is not root: a rootless container needs a user namespace'* ]]
}

# ---- risky choices -----------------------------------------------------

@test "check risk: all capabilities, and then no seccomp is a warning too" {
	# every capability this kernel knows, whatever the caller's bounding set
	local last all
	last=$(cat /proc/sys/kernel/cap_last_cap)
	all=$(capsh --decode="$(printf '%x' $(((1 << (last + 1)) - 1)))" | sed 's/^.*=//' | tr ',' '\n' |
		tr a-z A-Z | jq -R . | jq -sc .)
	[ "$(jq length <<<"$all")" -eq $((last + 1)) ]
	findings ".process.capabilities.bounding = $all | .process.capabilities.effective = $all
		| .process.capabilities.permitted = $all"
	[[ "$output" == *'warning: process.capabilities: every capability is kept'* ]]
	[[ "$output" == *'warning: linux.seccomp: no seccomp filter: every system call of the host kernel is reachable (keyctl, bpf, userfaultfd, unshare, ...)'* ]]
}

@test "check risk: host namespaces, each naming what it opens" {
	findings '.linux.namespaces = [{"type": "mount"}, {"type": "uts"}]'
	expect 2 'warning: linux.namespaces: no pid namespace: the container sees and can signal every host process its user may signal' \
		'warning: linux.namespaces: no network namespace: the container can bind host ports and reach host-only services (127.0.0.1, abstract sockets)' \
		'warning: linux.namespaces: no ipc namespace: the container can read and write the host'"'"'s shared memory and message queues'
}

@test "check risk: writable /sys and /proc/sys, no masked paths" {
	findings '.mounts = [.mounts[] | if .destination == "/sys" then .options -= ["ro"] else . end]
		| .linux.readonlyPaths -= ["/proc/sys"] | .linux.maskedPaths = []'
	expect 2 'warning: mounts[5]: /sys is writable: the container can change kernel settings of the host (add "ro" to options)' \
		'warning: linux.readonlyPaths: /proc/sys is not read-only: the container can change the host'"'"'s non-namespaced sysctls (kernel.*, vm.*)' \
		'warning: linux.maskedPaths: no masked paths: /proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware and the like are readable in the container'
}

@test "check risk: binding the host's / and a daemon socket; every device allowed" {
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$BATS_TEST_TMPDIR/daemon.sock"
	findings '.mounts += [{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind", "ro"]},
		{"destination": "/run/d.sock", "type": "bind", "source": "'"$BATS_TEST_TMPDIR"'/daemon.sock", "options": ["bind"]}]
		| .linux.resources.devices = [{"allow": true, "access": "rwm"}]'
	expect 2 "warning: mounts[7]: binds the host's / into the container: every host file its user can reach" \
		"warning: mounts[8]: binds the socket $BATS_TEST_TMPDIR/daemon.sock: whoever can talk to a daemon socket (docker.sock, containerd.sock, ...) can usually start a privileged container, i.e. owns the host" \
		'warning: linux.resources.devices[0]: allows every device: with a node for it (mknod needs CAP_MKNOD) the container can read and write host disks and memory (/dev/sda, /dev/mem)'
}

# ---- all at once, JSON, create/run ----------------------------------------

ALL_AT_ONCE='.linux.namespaces += [{"type": "pidd"}] | .hostname = 7
	| .process.cwd = "tmp" | .process.capabilities.bounding += ["CAP_BOGUS"]
	| .process.rlimits = [{"type": "RLIMIT_CORE", "soft": 2, "hard": 1}]
	| .linux.sysctl = {"vm.swappiness": "1"} | .linux.resources.cpu = {"shares": 1}
	| .process.args = ["nosuch"]
	| .mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent/src", "options": ["rbind"]}]
	| .linux.devices = [{"path": "/dev/null", "type": "b", "major": 1, "minor": 3}]
	| .linux.resources.unified = {"memory.high": "1G"}
	| .process.selinuxLabel = "x"
	| .linux.maskedPaths = []'

@test "check: a bundle wrong in all those ways at once gets every finding" {
	[ "$(cgroup_mode)" = hybrid ] || skip "this host has $(cgroup_mode) cgroups: linux.resources.unified is no error"
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
	findings "$ALL_AT_ONCE"
	expect 1 'error: hostname: expected a string, got 7' \
		'error: linux.namespaces[5].type: unknown namespace "pidd"' \
		'error: process.cwd: must be an absolute path, got "tmp"' \
		'error: process.rlimits[0].soft: 2 is above the hard limit 1' \
		'error: process.capabilities.bounding[3]: unknown capability "CAP_BOGUS"' \
		'error: linux.sysctl: sysctl "vm.swappiness" is not in a separate kernel namespace: setting it would change the host' \
		'error: linux.resources.cpu.shares: 1 is outside 2..262144' \
		'error: mounts[7].source: /nonexistent/src: No such file or directory on the host' \
		'error: linux.devices[0].type: "b", but the host'"'"'s /dev/null (1:3) is a character device' \
		'error: process.args[0]: "nosuch": executable file not found in the rootfs on $PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)' \
		'error: linux.resources.unified requires cgroup v2' \
		'error: process.selinuxLabel: x: selinuxLabel is set but SELinux is not enabled on this host' \
		'warning: linux.maskedPaths: no masked paths: /proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware and the like are readable in the container'
	[[ "$CHECK_ALL" == *$'\n12 errors, 1 warning' ]]
}

@test "check --format json: validates against docs/husk-check.schema.json, same findings" {
	for filter in . "$ALL_AT_ONCE" '.linux.namespaces = [{"type": "mount"}]'; do
		make_config "$filter"
		run -0 --separate-stderr bash -c '"$0" check --format json --bundle "$1" | python3 "$2" "$3"' \
			"$HUSK" "$BUNDLE" "$BATS_TEST_DIRNAME/check-schema.py" "$SCHEMA"
		[ "$output" = valid ]
	done
	# the same findings as the text, in the same order
	make_config "$ALL_AT_ONCE"
	run --separate-stderr husk check --format json --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
	local from_json from_text
	from_json=$(jq -r '.findings[] | select(.severity != "note") | .path as $p
		| if $p == "" or (.message | startswith($p)) then "\(.severity): \(.message)"
		  else "\(.severity): \($p): \(.message)" end' <<<"$output")
	from_text=$(husk check --bundle "$BUNDLE" | grep -E '^(error|warning): ' || true)
	[ "$(sort <<<"$from_json")" = "$(sort <<<"$from_text")" ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
	[ "$(jq .errors <<<"$output")" -eq 12 ]
}

@test "check: exit 2 for warnings only; bad --format and a missing bundle are usage errors" {
	findings '.linux.maskedPaths = []'
	[ "$CHECK_STATUS" -eq 2 ]
	run --separate-stderr husk check --format yaml --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: invalid format: yaml (expected text or json)" ]
	run --separate-stderr husk check --bundle "$BATS_TEST_TMPDIR/nonexistent"
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: bundle $BATS_TEST_TMPDIR/nonexistent: No such file or directory" ]
	echo '{"ociVersion": ' >"$BUNDLE/config.json"
	run --separate-stderr husk check --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
	[ "$output" = $'error: line 1: invalid JSON: parse error: premature EOF\n1 error, 0 warnings' ]
}

@test "create and run still stop at the first problem, and point at husk check" {
	make_config "$ALL_AT_ONCE"
	for cmd in create run; do
		run --separate-stderr husk "$cmd" --bundle "$BUNDLE" "ck$$"
		[ "$status" -eq 1 ]
		[ "$stderr" = "husk: config.json: hostname: expected a string, got 7
husk: \`husk check --bundle $BUNDLE\` lists every problem of this bundle" ]
		[ -z "$(ls -A "$ROOT")" ]
	done
	# not for errors that are not about config.json (tests match those exactly)
	make_config '.process.args = ["/nonexistent"]'
	run --separate-stderr husk create --bundle "$BUNDLE" "ck$$"
	[ "$status" -ne 0 ]
	[ "$stderr" = "husk: exec /nonexistent: No such file or directory" ]
}

@test "husk help check and husk check --help describe it" {
	run -0 "$HUSK" help check
	[[ "$output" == *"husk check - report every problem of a bundle before it runs"* ]]
	[[ "$output" == *"--format"* ]]
	[[ "$output" == *"Exit status: 0 nothing wrong, 1 errors"* ]]
	run -0 "$HUSK" check --help
	[[ "$output" == *"--bundle value, -b value"* ]]
}
