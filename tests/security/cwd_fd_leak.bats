#!/usr/bin/env bats
# CVE-2024-21626: a directory fd that reaches the container's init or an
# `exec`ed process (the cgroup v2 directory husk opens, one the caller
# leaked) and process.cwd = /proc/self/fd/N: the workload starts in a host
# directory and walks to the host's files.  The attack plants a marker in
# a host directory and checks that the workload never reads it.

load helpers

setup_file() { sec_setup_file; }
setup() {
	sec_setup
	# The host side: a directory the caller leaks, with a marker in it.
	HOSTDIR="$BATS_TEST_TMPDIR/hostside"
	mkdir -p "$HOSTDIR"
	MARK="host-marker-$$-$RANDOM"
	echo "$MARK" >"$HOSTDIR/marker"
	# From wherever the cwd is: the marker there, then up to the host's /
	# (8 levels is more than /sys/fs/cgroup/husk-<id> or the temp dir) and
	# the marker by its host path.  A cgroup directory as cwd says so.
	REL="${HOSTDIR#/}/marker"
	PROBE="[ -e cgroup.procs ] && echo IN-A-CGROUP-DIR; cat marker 2>/dev/null; cd ../../../../../../../..; cat ./$REL 2>/dev/null; pwd; exit 0"
}
teardown() {
	rt delete --force "$ID" >/dev/null 2>&1 || true
	for n in 3 4 5 6 7 8 9 10 11 12; do rt delete --force "$ID-$n" >/dev/null 2>&1 || true; done
}

is_cgroup2() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }

@test "run: process.cwd=/proc/self/fd/N (N=3..12) with a directory fd leaked by the caller (9) never reaches the host" {
	for n in 3 4 5 6 7 8 9 10 11 12; do
		make_config "$PROBE" ".process.cwd = \"/proc/self/fd/$n\""
		run rt run --bundle "$BUNDLE" "$ID-$n" 9<"$HOSTDIR"
		echo "N=$n status=$status: $output"
		[[ "$output" != *"$MARK"* ]]
		[[ "$output" != *IN-A-CGROUP-DIR* ]]
		if [ "$n" = 9 ]; then
			[ "$status" -ne 0 ]
			[[ "$output" == *"process.cwd /proc/self/fd/9"* ]]
		fi
	done
}

@test "run: a preserved directory fd as process.cwd is refused: the cwd must be inside the root" {
	# --preserve-fds keeps fd 3 open on purpose: only the check after chdir
	# (getcwd says "(unreachable)") stands between the workload and the host.
	make_config "$PROBE" '.process.cwd = "/proc/self/fd/3"'
	run rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$HOSTDIR"
	echo "$output"
	[[ "$output" != *"$MARK"* ]]
	[[ "$output" != *IN-A-CGROUP-DIR* ]]
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.cwd /proc/self/fd/3"*"outside the container's root"* ]]
}

@test "run --no-pivot: a preserved directory fd as process.cwd is refused too (chroot)" {
	make_config "$PROBE" '.process.cwd = "/proc/self/fd/3"'
	run rt run --no-pivot --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$HOSTDIR"
	echo "$output"
	[[ "$output" != *"$MARK"* ]]
	[[ "$output" != *IN-A-CGROUP-DIR* ]]
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.cwd /proc/self/fd/3"*"outside the container's root"* ]]
}

@test "exec --cwd /proc/self/fd/N (N=3..12) with a directory fd leaked by the caller never reaches the host" {
	make_config "sleep 600"
	rt run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	for n in 3 4 5 6 7 8 9 10 11 12; do
		run rt exec --cwd "/proc/self/fd/$n" "$ID" sh -c "$PROBE" 9<"$HOSTDIR"
		echo "N=$n status=$status: $output"
		[[ "$output" != *"$MARK"* ]]
		[[ "$output" != *IN-A-CGROUP-DIR* ]]
		if [ "$n" = 9 ]; then
			[ "$status" -ne 0 ]
			[[ "$output" == *"process.cwd /proc/self/fd/9"* ]]
		fi
	done
	# and a preserved one: refused by the check after chdir
	run rt exec --preserve-fds 1 --cwd /proc/self/fd/3 "$ID" sh -c "$PROBE" 3<"$HOSTDIR"
	echo "preserved: status=$status: $output"
	[[ "$output" != *"$MARK"* ]]
	[[ "$output" != *IN-A-CGROUP-DIR* ]]
	[ "$status" -ne 0 ]
	[[ "$output" == *"outside the container's root"* ]]
}

@test "cgroup v2: the cgroup directory fd does not reach process.cwd of run or exec" {
	is_cgroup2 || skip "needs a cgroup v2 host (husk opens the cgroup directory only there); run in the VM"
	# No fd leaked by the caller here: whatever is found is the runtime's.
	for n in 3 4 5 6 7 8 9 10 11 12; do
		make_config "$PROBE" ".process.cwd = \"/proc/self/fd/$n\""
		run rt run --bundle "$BUNDLE" "$ID-$n"
		echo "run N=$n status=$status: $output"
		[[ "$output" != *"$MARK"* ]]
		[[ "$output" != *IN-A-CGROUP-DIR* ]]
	done
	make_config "sleep 600"
	rt run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	for n in 3 4 5 6 7 8 9 10 11 12; do
		run rt exec --cwd "/proc/self/fd/$n" "$ID" sh -c "$PROBE"
		echo "exec N=$n status=$status: $output"
		[[ "$output" != *"$MARK"* ]]
		[[ "$output" != *IN-A-CGROUP-DIR* ]]
	done
}

@test "reference: runc refuses process.cwd through a leaked directory fd" {
	command -v runc >/dev/null || skip "runc is not installed"
	make_config "$PROBE" '.process.cwd = "/proc/self/fd/9"'
	run ref run --bundle "$BUNDLE" "ref$ID" 9<"$HOSTDIR"
	echo "$output"
	ref delete --force "ref$ID" >/dev/null 2>&1 || true
	[[ "$output" != *"$MARK"* ]]
	[[ "$output" != *IN-A-CGROUP-DIR* ]]
	[ "$status" -ne 0 ]
}
