#!/usr/bin/env bats
# checkpoint and restore on this host, where CRIU cannot work (CRIU 3.17's
# vDSO check fails on the 6.18 kernel): runc's flags, their errors, the
# features document, and the clear error of a host without a usable CRIU
# that leaves no image directory and no container behind.  The scenarios
# with a working CRIU run in the VM: tests/integration/checkpoint-vm.sh.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_root
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
}

teardown() {
	for id in $("$HUSK" --root "$ROOT" list -q 2>/dev/null); do
		"$HUSK" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done
}

# busybox_bundle ARGS: a bundle running `sh -c ARGS`, without a terminal.
busybox_bundle() {
	"$BATS_TEST_DIRNAME/../../contrib/make-busybox-bundle.sh" "$HUSK" "$BUNDLE" >/dev/null
	jq --arg s "$1" '.process.terminal=false | .process.args=["sh","-c",$s]' \
		"$BUNDLE/config.json" >"$BUNDLE/c.json"
	mv "$BUNDLE/c.json" "$BUNDLE/config.json"
}

# criu_unusable: CRIU is installed and its check fails here (this host).
criu_unusable() {
	command -v criu >/dev/null || [ -x /usr/sbin/criu ] || return 1
	! PATH=$PATH:/usr/sbin criu check >/dev/null 2>&1
}

@test "checkpoint --help lists runc's flags" {
	run "$HUSK" checkpoint --help
	[ "$status" -eq 0 ]
	for f in image-path work-path parent-path leave-running tcp-established tcp-skip-in-flight \
		link-remap ext-unix-sk shell-job lazy-pages status-fd page-server file-locks pre-dump \
		manage-cgroups-mode empty-ns auto-dedup; do
		[[ "$output" == *"--$f"* ]]
	done
}

@test "restore --help lists runc's flags" {
	run "$HUSK" restore --help
	[ "$status" -eq 0 ]
	for f in console-socket image-path work-path tcp-established ext-unix-sk shell-job file-locks \
		manage-cgroups-mode "bundle value, -b" "detach, -d" pid-file no-subreaper no-pivot empty-ns \
		auto-dedup lazy-pages lsm-profile lsm-mount-context; do
		[[ "$output" == *"--$f"* ]]
	done
}

@test "checkpoint and restore take exactly one container ID" {
	for cmd in checkpoint restore; do
		run --separate-stderr husk "$cmd"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"\"$cmd\" requires exactly 1 argument(s)"* ]]
		run --separate-stderr husk "$cmd" --bogus x
		[ "$status" -eq 1 ]
		[[ "$output" == *"flag provided but not defined: -bogus"* ]]
	done
}

@test "checkpoint: bad option values are refused with runc's messages, before anything" {
	busybox_bundle "sleep 100"
	(cd "$BUNDLE" && "$HUSK" --root "$ROOT" run -d c1 </dev/null >/dev/null 2>&1 3>&-)
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr husk checkpoint --manage-cgroups-mode bogus c1
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: invalid manage-cgroups-mode value" ]
	run --separate-stderr husk checkpoint --empty-ns pid c1
	[ "$status" -eq 1 ]
	[ "$stderr" = 'husk: namespace "pid" is not supported' ]
	run --separate-stderr husk checkpoint --page-server nocolon c1
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: Use --page-server ADDRESS:PORT to specify page server" ]
	run --separate-stderr husk checkpoint --page-server 10.0.0.1:port c1
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: Invalid port number" ]
	run --separate-stderr husk checkpoint --parent-path /abs c1
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: --parent-path must be relative" ]
	[ ! -e "$BATS_TEST_TMPDIR/checkpoint" ]
	[ "$(husk state c1 | jq -r .status)" = running ]
}

@test "checkpoint: a missing container, a created one" {
	run --separate-stderr husk checkpoint --image-path "$BATS_TEST_TMPDIR/img" nope
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: container does not exist" ]
	busybox_bundle "sleep 100"
	(cd "$BUNDLE" && "$HUSK" --root "$ROOT" create c2 </dev/null >/dev/null 2>&1 3>&-)
	run --separate-stderr husk checkpoint --image-path "$BATS_TEST_TMPDIR/img" c2
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: Container cannot be checkpointed in created state" ]
	[ ! -e "$BATS_TEST_TMPDIR/img" ]
}

@test "checkpoint on a host where CRIU cannot work: criu check's reason, no image directory" {
	criu_unusable || skip "CRIU works on this host: the VM test covers checkpoint"
	busybox_bundle "sleep 100"
	(cd "$BUNDLE" && "$HUSK" --root "$ROOT" run -d c3 </dev/null >/dev/null 2>&1 3>&-)
	local before
	before=$(ls -d /tmp/husk-criu-check.* 2>/dev/null | wc -l)
	run --separate-stderr husk checkpoint --image-path "$BATS_TEST_TMPDIR/img" \
		--work-path "$BATS_TEST_TMPDIR/work" c3
	[ "$status" -eq 1 ]
	[[ "$stderr" == "husk: criu cannot work on this host: criu check: Error ("* ]]
	[[ "$stderr" == *vdso* ]] # this kernel: CRIU 3.17's vDSO check
	[ ! -e "$BATS_TEST_TMPDIR/img" ]
	[ ! -e "$BATS_TEST_TMPDIR/work" ]
	[ "$(husk state c3 | jq -r .status)" = running ]
	[ "$(ls -d /tmp/husk-criu-check.* 2>/dev/null | wc -l)" = "$before" ] # CRIU's check directory is gone
}

@test "restore on a host where CRIU cannot work: the reason, and nothing is left" {
	criu_unusable || skip "CRIU works on this host: the VM test covers restore"
	busybox_bundle "sleep 100"
	mkdir "$BATS_TEST_TMPDIR/img"
	run --separate-stderr husk restore -d --bundle "$BUNDLE" --image-path "$BATS_TEST_TMPDIR/img" c4
	[ "$status" -eq 1 ]
	[[ "$stderr" == "husk: criu cannot work on this host: criu check: Error ("* ]]
	[ -z "$(husk list -q)" ]
	[ ! -e "$ROOT/c4" ]
	[ ! -e /sys/fs/cgroup/memory/husk-c4 ]
	[ ! -e /sys/fs/cgroup/pids/husk-c4 ]
}

@test "restore: a missing image directory, a terminal without --console-socket" {
	busybox_bundle "sleep 100"
	run --separate-stderr husk restore -d --bundle "$BUNDLE" --image-path "$BATS_TEST_TMPDIR/none" c5
	[ "$status" -eq 1 ]
	[[ "$stderr" == "husk: image-path $BATS_TEST_TMPDIR/none: No such file or directory" ]]
	mkdir "$BATS_TEST_TMPDIR/img"
	jq '.process.terminal=true' "$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	run --separate-stderr husk restore -d --bundle "$BUNDLE" --image-path "$BATS_TEST_TMPDIR/img" c5
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot allocate tty if runc will detach without setting console socket"* ]]
	run --separate-stderr husk restore -d --bundle "$BUNDLE/nothing" --image-path "$BATS_TEST_TMPDIR/img" c5
	[ "$status" -eq 1 ]
	[ -z "$(husk list -q)" ]
}

@test "--criu names a binary that is not there: said so, nothing written" {
	busybox_bundle "sleep 100"
	(cd "$BUNDLE" && "$HUSK" --root "$ROOT" run -d c6 </dev/null >/dev/null 2>&1 3>&-)
	run --separate-stderr "$HUSK" --root "$ROOT" --criu /nonexistent/criu checkpoint \
		--image-path "$BATS_TEST_TMPDIR/img" c6
	[ "$status" -eq 1 ]
	[ "$stderr" = "husk: cannot run /nonexistent/criu: not found or not executable (Debian package: criu)" ]
	[ ! -e "$BATS_TEST_TMPDIR/img" ]
	run "$HUSK" --criu /nonexistent/criu features
	[ "$status" -eq 0 ]
	[ "$(jq -r '.annotations["io.github.husk-runtime.husk.checkpoint.enabled"]' <<<"$output")" = false ]
	[[ "$(jq -r '.annotations["io.github.husk-runtime.husk.checkpoint.missing"]' <<<"$output")" == *"/nonexistent/criu"* ]]
}

@test "features: checkpoint support as CRIU reports it on this host" {
	run "$HUSK" features
	[ "$status" -eq 0 ]
	local enabled runc_key
	enabled=$(jq -r '.annotations["io.github.husk-runtime.husk.checkpoint.enabled"]' <<<"$output")
	runc_key=$(jq -r '.annotations["org.opencontainers.runc.checkpoint.enabled"]' <<<"$output")
	[ "$enabled" = "$runc_key" ]
	if criu_unusable; then
		[ "$enabled" = false ]
		[ "$(jq -r '.annotations["io.github.husk-runtime.husk.checkpoint.criu"]' <<<"$output")" = 3.17.1 ]
		[[ "$(jq -r '.annotations["io.github.husk-runtime.husk.checkpoint.missing"]' <<<"$output")" == *"criu check: Error"* ]]
	elif command -v criu >/dev/null || [ -x /usr/sbin/criu ]; then
		[ "$enabled" = true ]
	fi
}

# CRIU refuses to dump a session leader outside the container's pid
# namespace: the init has a session of its own, as runc's (nsexec's setsid).
@test "the init without a terminal leads its own session and process group, as runc's" {
	busybox_bundle 'set -- $(cat /proc/1/stat); echo "pgrp $5 session $6"'
	run "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" s1 3>&-
	[ "$status" -eq 0 ]
	[ "$output" = "pgrp 1 session 1" ]
	if command -v runc >/dev/null; then
		run runc --root "$BATS_TEST_TMPDIR/runc" run --bundle "$BUNDLE" s1 3>&-
		[ "$status" -eq 0 ]
		[ "$output" = "pgrp 1 session 1" ]
	fi
}

# An engine's /dev/null stdin (conmon's) is the host's: CRIU cannot find
# its mount in the container.  As runc (reOpenDevNull), the init reopens it
# from the container's /dev: its mount is one the container sees.
@test "stdio that is the host's /dev/null is the container's /dev/null, as runc's" {
	busybox_bundle 'm=$(awk "/^mnt_id/ { print \$2 }" /proc/1/fdinfo/0); grep -q "^$m " /proc/1/mountinfo && echo in-container >/res || echo "mount $m not in the container" >/res'
	jq '.root.readonly=false' "$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	local rt
	for rt in "$HUSK" runc; do
		command -v "$rt" >/dev/null || continue
		rm -f "$BUNDLE/rootfs/res"
		"$rt" --root "$BATS_TEST_TMPDIR/$(basename "$rt")" run -d --bundle "$BUNDLE" n1 </dev/null >/dev/null 2>&1 3>&-
		for _ in $(seq 50); do [ -s "$BUNDLE/rootfs/res" ] && break; sleep 0.1; done
		"$rt" --root "$BATS_TEST_TMPDIR/$(basename "$rt")" delete -f n1 >/dev/null 2>&1 || true
		echo "$rt: $(cat "$BUNDLE/rootfs/res")"
		[ "$(cat "$BUNDLE/rootfs/res")" = in-container ]
	done
}

# fake_criu: tests/integration/fake-criu.py speaks CRIU's RPC protocol with
# Debian's pycriu, so that husk's side of the conversation runs here.
fake_criu() {
	[ -f /usr/lib/python3/dist-packages/pycriu/rpc_pb2.py ] || skip "needs pycriu (Debian package criu)"
	FAKE="$BATS_TEST_DIRNAME/fake-criu.py"
	export FAKE_CRIU_LOG="$BATS_TEST_TMPDIR/criu-requests.log"
}

@test "checkpoint over the RPC protocol (fake CRIU): the request runc's way, the notification answered, the container destroyed" {
	fake_criu
	busybox_bundle "sleep 100"
	(cd "$BUNDLE" && "$HUSK" --root "$ROOT" run -d f1 </dev/null >/dev/null 2>&1 3>&-)
	local pid
	pid=$(husk state f1 | jq .pid)
	run --separate-stderr "$HUSK" --root "$ROOT" --criu "$FAKE" checkpoint --image-path "$BATS_TEST_TMPDIR/ck/img" f1
	[ "$status" -eq 0 ]
	[ -z "$output" ] # nothing of CRIU's on stdout
	[ -f "$BATS_TEST_TMPDIR/ck/img/pages-1.img" ]
	[ "$(cat "$BATS_TEST_TMPDIR/ck/img/descriptors.json")" = '["/dev/null","/dev/null","/dev/null"]' ]
	local dump
	dump=$(grep '^type: DUMP' "$FAKE_CRIU_LOG")
	[[ "$dump" == *"pid: $pid "* ]]
	[[ "$dump" == *"root: \"$BUNDLE/rootfs\""* ]]
	[[ "$(tr -s ' ' <<<"$dump")" == *'ext_mnt { key: "/proc/keys" val: "/dev/null" }'* ]]
	[[ "$dump" == *"freeze_cgroup: \"/sys/fs/cgroup/freezer/husk-f1\""* ]]
	[[ "$dump" == *"orphan_pts_master: true"* ]]
	[[ "$dump" == *"empty_ns: 1073741824"* ]] # CLONE_NEWNET, as runc
	grep -q '^type: NOTIFY notify_success: true' "$FAKE_CRIU_LOG"
	run husk state f1
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
	# its init is killed (a zombie until its reaper collects it)
	[ ! -e "/proc/$pid" ] || [ "$(awk '{ print $3 }' "/proc/$pid/stat")" = Z ]
}

@test "checkpoint: CRIU's own failure message; the image directory is left as it was" {
	fake_criu
	busybox_bundle "sleep 100"
	(cd "$BUNDLE" && "$HUSK" --root "$ROOT" run -d f2 </dev/null >/dev/null 2>&1 3>&-)
	mkdir "$BATS_TEST_TMPDIR/img"
	touch "$BATS_TEST_TMPDIR/img/kept"
	FAKE_CRIU_DUMP=fail run --separate-stderr "$HUSK" --root "$ROOT" --criu "$FAKE" checkpoint \
		--image-path "$BATS_TEST_TMPDIR/img" f2
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"husk: criu failed: type DUMP: fake dump failure"* ]]
	[ "$(ls "$BATS_TEST_TMPDIR/img")" = kept ]
	# made with its parents (runc's MkdirAll), all removed again
	FAKE_CRIU_DUMP=fail run "$HUSK" --root "$ROOT" --criu "$FAKE" checkpoint \
		--image-path "$BATS_TEST_TMPDIR/new/a/img" f2
	[ "$status" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/new" ]
	[ "$(husk state f2 | jq -r .status)" = running ]
}
