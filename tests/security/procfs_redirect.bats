#!/usr/bin/env bats
# The CVE-2025-52881 class: a mount of the config or a file of the image
# stands where the runtime later writes to procfs (oom_score_adj, sysctls,
# LSM attributes, the exec fifo through /proc/self/fd), and the write lands
# somewhere else.  Mount destinations must never resolve into the
# container's /proc (runc's rule) and every procfs write goes through a
# procfs handle checked to be real.

load helpers

setup_file() { sec_setup_file; }
setup() { sec_setup; NSPID=; }
teardown() {
	sec_teardown
	ref delete --force "ref$ID" >/dev/null 2>&1 || true
	[ -z "$NSPID" ] || kill "$NSPID" 2>/dev/null || true
}

# A network namespace of our own for the container to join: the host's
# sysctls are never touched.
make_netns() {
	unshare --net sleep 600 3>&- </dev/null >/dev/null 2>&1 &
	NSPID=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(readlink /proc/$NSPID/ns/net)" != "$(readlink /proc/self/ns/net)" ] && return 0
		sleep 0.1
	done
	return 1
}
somaxconn() { nsenter --net="/proc/$NSPID/ns/net" cat /proc/sys/net/core/somaxconn; }

# The attack of the issue: the image has /data -> /proc/self, a volume is
# bound at /data (so over /proc/<init>), and in the volume oom_score_adj is
# a symlink to /proc/sys/net/core/somaxconn; oomScoreAdj = 500.
redirect_bundle() {
	own_rootfs
	rm -rf "$ROOTFS/data"
	ln -s /proc/self "$ROOTFS/data"
	VOL="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$VOL"
	ln -s /proc/sys/net/core/somaxconn "$VOL/oom_score_adj"
	make_config "true"
}

@test "oomScoreAdj through a volume bound over /proc/self (image /data -> /proc/self) is refused; somaxconn of the joined netns is unchanged" {
	redirect_bundle
	make_netns
	jq --arg rootfs "$ROOTFS" --arg vol "$VOL" --arg ns "/proc/$NSPID/ns/net" '
		.root = {path: $rootfs, readonly: false} | .process.terminal = false
		| .process.oomScoreAdj = 500
		| .mounts += [{destination: "/data", type: "bind", source: $vol, options: ["bind"]}]
		| .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)
	' "$BASE/config.json" >"$BUNDLE/config.json"
	before=$(somaxconn)
	run rt create --bundle "$BUNDLE" "$ID"
	echo "$output"
	after=$(somaxconn)
	echo "somaxconn before=$before after=$after"
	[ "$after" = "$before" ]
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts[7].destination /data: resolves to /proc/"*"refused"* ]]
}

@test "reference: runc refuses the same volume over /proc/self" {
	command -v runc >/dev/null || skip "runc is not installed"
	redirect_bundle
	make_netns
	jq --arg rootfs "$ROOTFS" --arg vol "$VOL" --arg ns "/proc/$NSPID/ns/net" '
		.root = {path: $rootfs, readonly: false} | .process.terminal = false
		| .process.oomScoreAdj = 500
		| .mounts += [{destination: "/data", type: "bind", source: $vol, options: ["bind"]}]
		| .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)
	' "$BASE/config.json" >"$BUNDLE/config.json"
	before=$(somaxconn)
	run ref create --bundle "$BUNDLE" "ref$ID"
	echo "$output"
	[ "$(somaxconn)" = "$before" ]
	[ "$status" -ne 0 ]
	[[ "$output" == *"inside /proc"* ]]
}

@test "mount destinations in /proc: refused but for proc at /proc and lxcfs's files, as runc" {
	VOL="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$VOL"
	echo fake >"$BATS_TEST_TMPDIR/meminfo"
	for dest in /proc/sys/net /proc/1 /proc/self/attr /proc/../proc/sys; do
		make_config "true" ".mounts += [{destination: \"$dest\", type: \"bind\", source: \"$VOL\", options: [\"bind\"]}]"
		run rt run --bundle "$BUNDLE" "$ID"
		echo "$dest: $status $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"mounts[7].destination $dest: "*"/proc/"*", inside the container's /proc: refused"* ]]
		rt delete --force "$ID" >/dev/null 2>&1 || true
	done
	# not of type proc at /proc itself
	make_config "true" '.mounts[0] = {destination: "/proc", type: "tmpfs", source: "tmpfs"}'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "tmpfs at /proc: $status $output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts[0].destination /proc: is /proc, inside the container's /proc: refused"* ]]
	rt delete --force "$ID" >/dev/null 2>&1 || true
	# lxcfs's files stay allowed
	make_config "cat /proc/meminfo" ".mounts += [{destination: \"/proc/meminfo\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/meminfo\", options: [\"bind\"]}]"
	run -0 rt run --bundle "$BUNDLE" "$ID"
	[ "$output" = fake ]
}

@test "a symlink of the image may not lead a mount into /sys; a /sys destination as written stays allowed (as runc)" {
	own_rootfs
	ln -s /sys/kernel "$ROOTFS/sysk"
	VOL="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$VOL"
	echo inside >"$VOL/file"
	make_config "true"
	jq --arg rootfs "$ROOTFS" --arg vol "$VOL" '
		.root = {path: $rootfs, readonly: false} | .process.terminal = false
		| .mounts += [{destination: "/sysk/mm", type: "bind", source: $vol, options: ["bind"]}]
	' "$BASE/config.json" >"$BUNDLE/config.json"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts[7].destination /sysk/mm: resolves to /sys/kernel/mm through a symlink, inside the container's /sys: refused"* ]]
	rt delete --force "$ID" >/dev/null 2>&1 || true
	jq --arg rootfs "$ROOTFS" --arg vol "$VOL" '
		.root = {path: $rootfs, readonly: false} | .process.terminal = false
		| .process.args = ["cat", "/sys/kernel/mm/file"]
		| .mounts += [{destination: "/sys/kernel/mm", type: "bind", source: $vol, options: ["bind"]}]
	' "$BASE/config.json" >"$BUNDLE/config.json"
	run -0 rt run --bundle "$BUNDLE" "$ID"
	[ "$output" = inside ]
}

@test "proc mounted through a symlink of the image is refused (an ordinary directory is required, as runc)" {
	own_rootfs
	rm -rf "$ROOTFS/proc"
	mkdir -p "$ROOTFS/elsewhere"
	ln -s /elsewhere "$ROOTFS/proc"
	jq --arg rootfs "$ROOTFS" '.root = {path: $rootfs, readonly: false} | .process.terminal = false | .process.args = ["true"]' \
		"$BASE/config.json" >"$BUNDLE/config.json"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts[0].destination /proc: resolves to /elsewhere through a symlink: proc must be mounted on an ordinary directory"* ]]
}

@test "oom_score_adj, sysctls and the exec fifo go to the real procfs, not to a fake /proc of the image" {
	# No proc at /proc: the image's /proc holds look-alike files.  They must
	# stay untouched, and the values must reach the real procfs (read back
	# through a proc mounted at /realproc).
	own_rootfs
	mkdir -p "$ROOTFS/proc/self" "$ROOTFS/proc/sys/net/core" "$ROOTFS/realproc"
	echo 0 >"$ROOTFS/proc/self/oom_score_adj"
	echo 7 >"$ROOTFS/proc/sys/net/core/somaxconn"
	jq --arg rootfs "$ROOTFS" '
		.root = {path: $rootfs, readonly: false} | .process.terminal = false
		| .process.oomScoreAdj = 500
		| .linux.sysctl = {"net.core.somaxconn": "1234"}
		| .process.args = ["sh", "-c", "cat /realproc/self/oom_score_adj /realproc/sys/net/core/somaxconn"]
		| .mounts |= map(if .destination == "/proc" then .destination = "/realproc" else . end)
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
	' "$BASE/config.json" >"$BUNDLE/config.json"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$(cat "$ROOTFS/proc/self/oom_score_adj")" = 0 ]
	[ "$(cat "$ROOTFS/proc/sys/net/core/somaxconn")" = 7 ]
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '500\n1234')" ]
}

@test "reference: runc refuses a bind at /proc/sys/net and allows /proc/meminfo and /sys/kernel/mm" {
	command -v runc >/dev/null || skip "runc is not installed"
	VOL="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$VOL"
	echo fake >"$BATS_TEST_TMPDIR/meminfo"
	make_config "true" ".mounts += [{destination: \"/proc/sys/net\", type: \"bind\", source: \"$VOL\", options: [\"bind\"]}]"
	run ref run --bundle "$BUNDLE" "ref$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"inside /proc"* ]]
	ref delete --force "ref$ID" >/dev/null 2>&1 || true
	make_config "true" ".mounts += [{destination: \"/proc/meminfo\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/meminfo\", options: [\"bind\"]}]"
	run -0 ref run --bundle "$BUNDLE" "ref$ID"
	ref delete --force "ref$ID" >/dev/null 2>&1 || true
	make_config "true" ".mounts += [{destination: \"/sys/kernel/mm\", type: \"bind\", source: \"$VOL\", options: [\"bind\"]}]"
	run -0 ref run --bundle "$BUNDLE" "ref$ID"
}
