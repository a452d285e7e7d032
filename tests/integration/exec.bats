#!/usr/bin/env bats
# husk exec: a new process in a running container sees the init's
# namespaces, root, mounts and cgroup, gets config.json's process attributes
# with runc's overrides, and husk exec returns its status.  Messages and
# exit codes are runc 1.1.5's.

bats_require_minimum_version 1.5.0

load helpers


# One busybox rootfs for the file; each test has its own config.json and a
# tmpfs at /tmp, so what one test writes there no other sees.
setup_file() {
	setup_busybox_base
}

setup() {
	setup_root
	ID="ex$$-$BATS_TEST_NUMBER"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
}

teardown() {
	husk resume "$ID" >/dev/null 2>&1 || true
	husk delete --force "$ID" >/dev/null 2>&1 || true
}

# make_config SCRIPT [JQ-FILTER]: the init runs `sh -c SCRIPT`; the filter
# adjusts the rest.  No ambient capabilities: without inheritable ones they
# cannot be raised and would only add warnings to stderr.
make_config() {
	jq --arg rootfs "$BASE/rootfs" --arg s "$1" '
		.root = {path: $rootfs, readonly: true}
		| .process.terminal = false
		| .process.args = ["sh", "-c", $s]
		| del(.process.capabilities.ambient)
		| .hostname = "exectest"
		| .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
		               options: ["nosuid", "nodev", "mode=1777"]}]
		| '"${2:-.}" "$BASE/config.json" >"$BUNDLE/config.json"
}

# start_container SCRIPT [JQ-FILTER]: make_config, then `husk run -d`.
start_container() {
	make_config "$@"
	husk run -d --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/init.out" \
		2>"$BATS_TEST_TMPDIR/init.err" || {
		cat "$BATS_TEST_TMPDIR/init.err" >&2
		return 1
	}
}

# A container whose init marks /tmp/ready once it is up, then sleeps.
start_sleeper() {
	start_container 'echo up > /tmp/ready; exec sleep 1000' "$@"
	wait_ready
}

wait_ready() {
	local i
	for i in $(seq 50); do
		husk exec "$ID" test -e /tmp/ready 2>/dev/null && return 0
		sleep 0.1
	done
	echo "the container's init did not get ready" >&2
	return 1
}

init_pid() { husk state "$ID" | jq -r .pid; }

@test "exec: same pid namespace, hostname, root and mounts as the init" {
	start_sleeper
	run --separate-stderr husk exec "$ID" sh -c 'cat /tmp/ready; hostname; ps -o pid,args'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = up ]
	[ "${lines[1]}" = exectest ]
	# pid 1 is the init's sleep: the same pid namespace
	[[ "$output" =~ [[:space:]]1\ sleep\ 1000 ]]
	# the same namespaces as the init, seen from the host
	pid=$(init_pid)
	husk exec -d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 100
	child=$(cat "$BATS_TEST_TMPDIR/pid")
	for ns in mnt pid net ipc uts; do
		[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/$child/ns/$ns)" ]
	done
	[ "$(readlink /proc/$pid/root)" = "$(readlink /proc/$child/root)" ] ||
		[ "$(stat -L -c %d:%i /proc/$pid/root/)" = "$(stat -L -c %d:%i /proc/$child/root/)" ]
}

@test "exec: the process is in the init's cgroup" {
	start_sleeper
	run husk exec "$ID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	inside=$output
	run husk exec "$ID" cat /proc/1/cgroup
	[ "$output" = "$inside" ]
	# and from the host's view
	husk exec -d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 100
	[ "$(cat /proc/$(init_pid)/cgroup)" = "$(cat /proc/$(cat "$BATS_TEST_TMPDIR/pid")/cgroup)" ]
}

@test "exec: capabilities of config.json; --cap adds one" {
	start_sleeper
	run husk exec "$ID" grep CapEff /proc/self/status
	[ "$status" -eq 0 ]
	[ "$output" = "$(husk exec "$ID" grep CapEff /proc/1/status)" ]
	# runc spec: AUDIT_WRITE, KILL, NET_BIND_SERVICE
	[ "$output" = $'CapEff:\t0000000020000420' ]
	run husk exec --cap CAP_SYS_ADMIN "$ID" grep -E 'Cap(Eff|Bnd)' /proc/self/status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'CapEff:\t0000000020200420' ]
	[ "${lines[1]}" = $'CapBnd:\t0000000020200420' ]
}

@test "exec: --user, --additional-gids" {
	start_sleeper
	run husk exec -u 65534 "$ID" id
	[ "$status" -eq 0 ]
	[ "$output" = "uid=65534(nobody) gid=0(root) groups=0(root)" ] ||
		[ "$output" = "uid=65534(nobody) gid=0(root)" ]
	run husk exec --user 65534:65534 -g 5 --additional-gids 6 "$ID" id
	[ "$status" -eq 0 ]
	[[ "$output" == "uid=65534(nobody) gid=65534(nogroup) groups=5,6" ]]
	run husk exec -u abc "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: parsing abc as int for uid failed"* ]]
}

@test "exec: --env adds to config.json's env and replaces a name in place" {
	start_sleeper
	run husk exec -e FOO=bar --env TERM=dumb "$ID" env
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
	[ "${lines[1]}" = "TERM=dumb" ]
	[ "${lines[2]}" = "FOO=bar" ]
	run husk exec -e NOEQUALS "$ID" env
	[ "$status" -eq 255 ]
	[[ "$output" == *'invalid environment variable "NOEQUALS"'* ]]
}

@test "exec: --cwd" {
	start_sleeper
	run husk exec --cwd /tmp "$ID" pwd
	[ "$status" -eq 0 ]
	[ "$output" = /tmp ]
	run husk exec "$ID" pwd
	[ "$output" = / ]
}

@test "exec: the exit status is the process's; killed is 128+signal" {
	start_sleeper
	run husk exec "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run husk exec "$ID" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	run husk exec "$ID" true
	[ "$status" -eq 0 ]
}

@test "exec: signals to husk exec go to the process" {
	start_sleeper
	# the binary itself, not the husk() function: $! must be husk exec's pid
	"$HUSK" --root "$ROOT" exec "$ID" sh -c \
		'trap "exit 42" TERM; echo armed > /tmp/armed; while :; do sleep 0.1; done' &
	exec_pid=$!
	for i in $(seq 50); do
		husk exec "$ID" test -e /tmp/armed && break
		sleep 0.1
	done
	kill -TERM "$exec_pid"
	status=0
	wait "$exec_pid" || status=$?
	[ "$status" -eq 42 ]
}

@test "exec: --detach and --pid-file" {
	start_sleeper
	# Not through `run`: stdout a pipe whose reader exits at once would take
	# the detached process with it on some hosts (runc's alike).
	husk exec --detach --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 100 \
		>"$BATS_TEST_TMPDIR/out" 2>&1
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(tr '\0' ' ' </proc/$pid/cmdline)" = "sleep 100 " ]
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$(init_pid)/ns/pid)" ]
	# running, not a zombie of a gone husk
	grep -q '^State:.*[RS]' /proc/$pid/status
	run husk exec "$ID" ps -o args
	[[ "$output" == *"sleep 100"* ]]
}

@test "exec: --process takes the whole process from process.json" {
	start_sleeper
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
		{"args": ["sh", "-c", "echo $ZED; id -u; id -g; pwd"],
		 "env": ["PATH=/bin", "ZED=from-json"], "cwd": "/etc",
		 "user": {"uid": 1, "gid": 2}}
	EOF
	# flags describing the process are ignored with -p, as in runc
	run husk exec -p "$BATS_TEST_TMPDIR/process.json" -e ZED=flag --cwd /tmp "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = $'from-json\n1\n2\n/etc' ]
	echo '{"args": [], "cwd": "/"}' >"$BATS_TEST_TMPDIR/empty.json"
	run husk exec --process "$BATS_TEST_TMPDIR/empty.json" "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"args"* ]]
}

@test "exec: --tty with --console-socket hands over the pty master" {
	command -v python3 >/dev/null || skip "needs python3"
	start_sleeper
	sock="$BATS_TEST_TMPDIR/console.sock"
	python3 - "$sock" >"$BATS_TEST_TMPDIR/console.out" <<-'PY' &
		import array, os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(sys.argv[1]); s.listen(1)
		c, _ = s.accept()
		fds = array.array("i")
		msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
		for level, kind, data in anc:
		    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
		        fds.frombytes(data[:fds.itemsize])
		print("name=" + msg.decode())
		out = b""
		while True:
		    try:
		        d = os.read(fds[0], 4096)
		    except OSError:
		        break
		    if not d:
		        break
		    out += d
		print("output=" + out.decode().replace("\r", ""))
	PY
	receiver=$!
	for i in $(seq 50); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	run husk exec -t -d --console-socket "$sock" "$ID" sh -c 'tty; echo hello'
	[ "$status" -eq 0 ]
	wait "$receiver"
	run cat "$BATS_TEST_TMPDIR/console.out"
	[ "${lines[0]}" = "name=/dev/ptmx" ]
	[[ "${lines[1]}" =~ ^output=/dev/pts/[0-9]+$ ]]
	[ "${lines[2]}" = hello ]
}

@test "exec: --tty in the foreground relays the pty" {
	start_sleeper
	run husk exec -t "$ID" sh -c 'tty; echo relayed' </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" =~ /dev/pts/[0-9]+ ]]
	[[ "$output" == *relayed* ]]
}

@test "exec: runc's terminal and console socket checks" {
	start_sleeper
	run husk exec -t -d "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: cannot allocate tty if runc will detach without setting console socket" ]]
	run husk exec -d --console-socket "$BATS_TEST_TMPDIR/x.sock" "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: cannot use console socket if runc will not detach or allocate tty" ]]
}

@test "exec: no husk fd reaches the process; --preserve-fds passes some" {
	start_sleeper
	run husk exec "$ID" ls /proc/self/fd
	[ "$status" -eq 0 ]
	# 0 1 2, and ls's own directory fd
	[ "$(echo $output)" = "0 1 2 3" ]
	run husk exec --preserve-fds 1 "$ID" sh -c 'cat <&3' 3<<<"passed"
	[ "$status" -eq 0 ]
	[ "$output" = passed ]
	# without --preserve-fds an open fd 3 stays outside
	run husk exec "$ID" sh -c 'ls /proc/self/fd' 3<<<"kept out"
	[ "$(echo $output)" = "0 1 2 3" ] # 3: ls's directory, not ours
	run husk exec "$ID" sh -c 'cat <&3' 3<<<"kept out"
	[ "$status" -ne 0 ]
}

@test "exec: nothing is left behind after the process exits" {
	start_sleeper
	for i in 1 2 3; do husk exec "$ID" true; done
	run husk exec "$ID" ps -o pid,args
	# the init, and ps itself
	[ "${#lines[@]}" -eq 3 ]
	# no husk children or zombies of ours
	! pgrep -P $$ -f "husk --root $ROOT exec" >/dev/null
}

@test "exec: missing binary fails and names it" {
	start_sleeper
	run husk exec "$ID" no-such-binary
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: "*"no-such-binary"*"executable file not found in \$PATH"* ]]
	run husk exec "$ID" /no/such/file
	[ "$status" -eq 255 ]
	[[ "$output" == *"/no/such/file"* ]]
	run husk exec "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: process args cannot be empty" ]]
}

@test "exec: a stopped container, an unknown one" {
	start_container 'true'
	for i in $(seq 50); do
		[ "$(husk state "$ID" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	run husk exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: cannot exec in a stopped container" ]]
	run husk exec nonexistent true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: container does not exist" ]]
	run husk exec
	[ "$status" -eq 1 ]
	[[ "$output" == *'"exec" requires a minimum of 1 argument(s)'* ]]
}

@test "exec: a created container (not started yet)" {
	make_config 'sleep 1000'
	husk create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run husk exec "$ID" echo early
	[ "$status" -eq 0 ]
	[ "$output" = early ]
	[ "$(husk state "$ID" | jq -r .status)" = created ]
}

@test "exec: a paused container needs --ignore-paused" {
	start_sleeper
	husk pause "$ID" || skip "pause is not available"
	run husk exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: cannot exec in a paused container (use --ignore-paused to override)" ]]
	# frozen with the container until resumed
	husk exec --ignore-paused "$ID" sh -c 'echo thawed > /tmp/thawed' &
	exec_pid=$!
	sleep 0.5
	husk resume "$ID"
	wait "$exec_pid"
	run husk exec "$ID" cat /tmp/thawed
	[ "$output" = thawed ]
}

@test "exec: --no-new-privs, and --no-new-privs=false over config.json" {
	start_sleeper '.process.noNewPrivileges = false'
	run husk exec "$ID" grep NoNewPrivs /proc/self/status
	[ "$output" = $'NoNewPrivs:\t0' ]
	run husk exec --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
	[ "$output" = $'NoNewPrivs:\t1' ]
	husk delete --force "$ID"
	start_sleeper '.process.noNewPrivileges = true'
	run husk exec --no-new-privs=false "$ID" grep NoNewPrivs /proc/self/status
	[ "$output" = $'NoNewPrivs:\t0' ]
}

@test "exec: --cgroup: a sub-cgroup, and the per-controller form is refused" {
	start_sleeper
	run husk exec --cgroup memory:sub "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"--cgroup memory:sub: per-controller sub-cgroups are not supported"* ]]
	run husk exec --cgroup ../escape "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *'--cgroup ../escape: ".." leaves the container'* ]]
	run husk exec --cgroup does-not-exist "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"does-not-exist"* ]]

	# make "sub" below the init's cgroup in every hierarchy, then exec there
	dirs=$(python3 - "$(init_pid)" <<-'PY'
		import os, sys
		mounts = {}
		for line in open("/proc/self/mountinfo"):
		    pre, post = line.split(" - ")
		    f = pre.split()
		    fstype, _, opts = post.split()[:3]
		    if fstype == "cgroup2":
		        mounts[""] = (f[3], f[4])
		    elif fstype == "cgroup":
		        for o in opts.split(","):
		            mounts.setdefault(o, (f[3], f[4]))
		for line in open("/proc/%s/cgroup" % sys.argv[1]):
		    _, ctrls, path = line.rstrip("\n").split(":", 2)
		    for c in ctrls.split(",") if ctrls else [""]:
		        if c in mounts:
		            root, mnt = mounts[c]
		            print(os.path.join(mnt, os.path.relpath(path, root), "sub"))
		            break
	PY
	)
	for d in $dirs; do
		mkdir -p "$d"
		# cpuset needs its cpus and mems before it takes a process
		if [ -e "$d/cpuset.cpus" ] && [ -e "$d/../cpuset.cpus" ]; then
			cat "$d/../cpuset.cpus" >"$d/cpuset.cpus"
			cat "$d/../cpuset.mems" >"$d/cpuset.mems"
		fi
	done
	run husk exec --cgroup sub "$ID" cat /proc/self/cgroup
	for d in $dirs; do rmdir "$d"; done
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '/sub$')" -eq "$(echo "$output" | wc -l)" ]
}

@test "exec: a container with its own user namespace" {
	# the mapped root (host uid 200000) must reach the rootfs: open up the
	# bats directories (only those) on the way to it
	d=$BASE
	while [ "${d#"$BATS_RUN_TMPDIR"}" != "$d" ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	[ -x "$d" ] || skip "$d is not searchable for a mapped user"
	start_sleeper '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys" and .type != "cgroup"
		                        and .destination != "/dev/mqueue"))'
	run husk exec "$ID" sh -c 'id -u; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ +0\ +200000\ +65536$ ]]
	husk exec -d --pid-file "$BATS_TEST_TMPDIR/pid" -u 1000 "$ID" sleep 100
	child=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(readlink /proc/$(init_pid)/ns/user)" = "$(readlink /proc/$child/ns/user)" ]
	# uid 1000 in the container is 201000 on the host
	grep -q "^Uid:[[:space:]]*201000" /proc/$child/status
}
