#!/usr/bin/env bats
# Issue 7.6 — husk never changes a device node it did not create.
# When the container's /dev is a bind of a host directory, the default
# devices and linux.devices already exist there: they must be left as they
# are (mode, owner, the node itself), only checked to be the device asked
# for.  The "host" /dev here is a stand-in made by the test in a temporary
# directory, so a failing runtime damages nothing of the real host.

load helpers

setup_file() { sec_setup_file; }
setup() {
	sec_setup
	HOSTDEV="$BATS_TEST_TMPDIR/hostdev"
	mkdir -p "$HOSTDEV/pts" "$HOSTDEV/shm"
	mknod -m 0666 "$HOSTDEV/null" c 1 3
	mknod -m 0640 "$HOSTDEV/zero" c 1 5
	mknod -m 0600 "$HOSTDEV/tty" c 5 0
	mknod -m 0620 "$HOSTDEV/ptmx" c 5 2
	chown 1234:1234 "$HOSTDEV/null" "$HOSTDEV/zero"
}
teardown() { sec_teardown; }

# snapshot DIR: type, mode, owner and device numbers of every node in DIR.
snapshot() {
	(cd "$1" && stat -c '%n %F %a %u:%g %t:%T' null zero tty ptmx)
}

@test "config-linux.md devices: a host /dev bound in keeps its nodes' mode and owner" {
	before=$(snapshot "$HOSTDEV")
	make_config 'ls -ln /dev/null /dev/zero /dev/tty; echo > /dev/null && echo ok' \
		'.mounts = [.mounts[] | select(.destination != "/dev" and .destination != "/dev/pts")]
		 + [{destination: "/dev", type: "bind", source: "'"$HOSTDEV"'", options: ["rbind", "rw"]},
		    {destination: "/dev/pts", type: "devpts", source: "devpts",
		     options: ["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]}]
		| .linux.devices = [{path: "/dev/null", type: "c", major: 1, minor: 3,
		                     fileMode: 420, uid: 1000, gid: 1000}]'
	run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
	echo "$status $output $stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *ok* ]]
	after=$(snapshot "$HOSTDEV")
	echo "before: $before"
	echo "after:  $after"
	[ "$before" = "$after" ]
}

@test "config-linux.md devices: a node of the wrong device at a device path is refused, not changed" {
	rm "$HOSTDEV/zero"
	mknod -m 0640 "$HOSTDEV/zero" c 1 7 # /dev/full where /dev/zero is expected
	before=$(snapshot "$HOSTDEV")
	make_config 'true' \
		'.mounts = [.mounts[] | select(.destination != "/dev" and .destination != "/dev/pts")]
		 + [{destination: "/dev", type: "bind", source: "'"$HOSTDEV"'", options: ["rbind", "rw"]}]'
	run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
	echo "$status $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/dev/zero"*"is not that device"* ]]
	[ "$before" = "$(snapshot "$HOSTDEV")" ]
	[ ! -e "$ROOT/$ID" ]
}

@test "config-linux.md devices: nodes husk creates get fileMode, uid and gid" {
	make_config 'stat -c "%a %u:%g %t:%T" /dev/husktest /dev/null' \
		'.linux.devices = [{path: "/dev/husktest", type: "c", major: 1, minor: 3,
		                     fileMode: 416, uid: 1000, gid: 1001}]'
	run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
	echo "$status $output $stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "640 1000:1001 1:3" ]
	[ "${lines[1]}" = "666 0:0 1:3" ]
}
