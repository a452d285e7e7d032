#!/usr/bin/env bats
# The flags of runc's create and run that the conformance suite does not
# cover: --preserve-fds, LISTEN_FDS, --no-pivot, --no-new-keyring,
# run --detach/--keep, signal forwarding, and that a failed create leaves
# nothing behind.

bats_require_minimum_version 1.5.0

load helpers


setup_file() {
	setup_busybox_base
}

setup() {
	setup_root
	ID="lc$$-$BATS_TEST_NUMBER"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
}

teardown() {
	husk delete --force "$ID" >/dev/null 2>&1 || true
	husk delete --force "$ID-b" >/dev/null 2>&1 || true
}

# make_config SCRIPT [JQ-FILTER]
make_config() {
	jq --arg rootfs "$BASE/rootfs" --arg s "$1" '
		.root = {path: $rootfs, readonly: true}
		| .process.terminal = false
		| .process.args = ["sh", "-c", $s]
		| '"${2:-.}" "$BASE/config.json" >"$BUNDLE/config.json"
}

# --preserve-fds N: fds 3..3+N-1 of husk reach the process, nothing else.
@test "create/run --preserve-fds passes fds 3.. and no other" {
	make_config 'ls /proc/self/fd | tr "\n" " "; echo; cat <&3; cat <&4'
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	run --separate-stderr husk run --preserve-fds 2 --bundle "$BUNDLE" "$ID" \
		3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5<"$BATS_TEST_TMPDIR/f4"
	[ "$status" -eq 0 ]
	# ls itself holds one more fd for /proc/self/fd
	[[ "$output" == "0 1 2 3 4 5 "* ]] || [[ "$output" == "0 1 2 3 4 "* ]]
	[[ "$output" == *three*four* ]]
	# fd 5 was not passed: ls shows exactly 0-4 plus its own directory fd
	run --separate-stderr husk run --preserve-fds 2 --bundle "$BUNDLE" "$ID" \
		3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5<"$BATS_TEST_TMPDIR/f4" 6<"$BATS_TEST_TMPDIR/f4"
	[ "$(echo "$output" | head -1 | wc -w)" -eq 6 ]
}

# Without --preserve-fds an fd of the caller does not leak into the container.
@test "run: the caller's fds beyond stdio do not reach the container" {
	make_config 'ls /proc/self/fd | tr "\n" " "'
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID" 7<"$BASE/config.json"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

# systemd socket activation: LISTEN_FDS fds are passed and announced.
@test "run with LISTEN_FDS passes the fds and sets LISTEN_FDS/LISTEN_PID" {
	make_config 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3'
	echo activated >"$BATS_TEST_TMPDIR/sock"
	LISTEN_FDS=1 run --separate-stderr "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" \
		3<"$BATS_TEST_TMPDIR/sock"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 1" ]
	[ "${lines[1]}" = "activated" ]
}

# --no-pivot: the rootfs is moved onto / and chrooted; the container still
# sees its own root and none of the host's files.
@test "run --no-pivot jails the process in the rootfs" {
	make_config 'test -e /bin/busybox && ! test -e /husk-host-marker && echo jailed'
	touch /husk-host-marker-$$
	run --separate-stderr husk run --no-pivot --bundle "$BUNDLE" "$ID"
	rm -f /husk-host-marker-$$
	[ "$status" -eq 0 ]
	[ "$output" = "jailed" ]
}

# A new session keyring named after the container by default (so the
# container can't read the caller's session keys); --no-new-keyring keeps the
# caller's, and no keyring of that name appears.
@test "run: a new session keyring unless --no-new-keyring" {
	[ -r /proc/keys ] || skip "no /proc/keys on this kernel"
	# /proc/keys is in the default maskedPaths
	make_config 'grep -c "keyring *$0:" /proc/keys || true' \
		'.process.args += ["'"$ID"'"] | .linux.maskedPaths -= ["/proc/keys"]'
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" -ge 1 ]
	ID2="${ID}nk"
	make_config 'grep -c "keyring *$0:" /proc/keys || true' \
		'.process.args += ["'"$ID2"'"] | .linux.maskedPaths -= ["/proc/keys"]'
	run --separate-stderr husk run --no-new-keyring --bundle "$BUNDLE" "$ID2"
	[ "$status" -eq 0 ]
	[ "$output" -eq 0 ]
}

# run --detach returns while the container runs; --keep keeps a stopped one.
@test "run --detach leaves a running container; run --keep leaves a stopped one" {
	make_config 'sleep 1000'
	husk run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run husk state "$ID"
	[[ "$output" == *'"status": "running"'* ]]
	husk delete --force "$ID"
	make_config 'exit 3'
	run husk run --keep --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 3 ]
	run husk state "$ID"
	[[ "$output" == *'"status": "stopped"'* ]]
	husk delete "$ID"
	run husk state "$ID"
	[ "$status" -ne 0 ]
}

# run forwards SIGTERM to the container's process and returns 128+15 when
# that kills it.
@test "run forwards SIGTERM to the container" {
	make_config 'trap "exit 42" TERM; echo ready >/tmp/ready 2>/dev/null; while :; do sleep 0.1; done' \
		'.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs"}]'
	# husk itself, not a subshell running the husk() function, gets the signal
	"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
	runner=$!
	for _ in $(seq 100); do
		husk state "$ID" 2>/dev/null | grep -q running && break
		sleep 0.1
	done
	sleep 0.3
	kill -TERM "$runner"
	wait "$runner" || rc=$?
	cat "$BATS_TEST_TMPDIR/out" >&2
	[ "${rc:-0}" -eq 42 ]
}

# A failing create (here: a bad mount source) leaves no state, no cgroup,
# no process, no mount.
@test "a failed create leaves no state directory, cgroup, process or mount" {
	make_config 'sleep 1000' '.mounts += [{destination: "/x", type: "bind", source: "/nonexistent-husk-src", options: ["bind"]}] | .linux.cgroupsPath = "/husk-lc-test-'"$$"'"'
	run --separate-stderr husk create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/nonexistent-husk-src"* ]]
	[ ! -e "$ROOT/$ID" ]
	for c in /sys/fs/cgroup/*/husk-lc-test-$$ /sys/fs/cgroup/husk-lc-test-$$; do
		[ ! -e "$c" ]
	done
	! grep -q "$BASE/rootfs" /proc/self/mountinfo
}

# start and delete take poststart/poststop hooks from the config copy of
# create (runtime.md "Create": later changes to config.json don't count);
# they parse it only when it has such hooks. A copy made unreadable after
# create shows which command reads it.
@test "start and delete read the config copy only for poststart and poststop hooks" {
	make_config 'true'
	husk create --bundle "$BUNDLE" "$ID"
	jq -e '.husk.poststartHooks == 0 and .husk.poststopHooks == 0' "$ROOT/$ID/state.json"
	echo 'not json' >"$ROOT/$ID/config.json"
	husk start "$ID"
	husk delete --force "$ID"
	[ ! -e "$ROOT/$ID" ]

	make_config 'true' '.hooks.poststop = [{path: "/bin/sh", args: ["sh", "-c", "echo stopped >'"$BATS_TEST_TMPDIR"'/poststop"]}]'
	husk create --bundle "$BUNDLE" "$ID"
	cp "$ROOT/$ID/config.json" "$BATS_TEST_TMPDIR/copy"
	echo 'not json' >"$ROOT/$ID/config.json"
	husk start "$ID" # no poststart hooks: the copy is not read
	jq '.hooks.poststop[0].args[2] |= sub("stopped"; "from-copy")' "$BATS_TEST_TMPDIR/copy" >"$ROOT/$ID/config.json"
	make_config 'true' # the bundle's config.json without hooks: not what delete reads
	husk delete --force "$ID"
	[ "$(cat "$BATS_TEST_TMPDIR/poststop")" = from-copy ]
}

# delete removes the cgroup directories create made, parents of a nested
# cgroupsPath included, and nothing it did not make.
@test "delete removes the nested cgroupsPath directories create made" {
	top="husk-lc-nest-$$"
	base=/sys/fs/cgroup/pids # v1 and hybrid hosts; cgroup v2: the unified root
	[ -d "$base" ] || base=/sys/fs/cgroup
	mkdir -p "$base/$top-keep"
	make_config 'sleep 1000' '.linux.cgroupsPath = "/'"$top"'/a/b"'
	husk run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ -d "$base/$top/a/b" ]
	husk delete --force "$ID"
	for c in /sys/fs/cgroup/*/"$top" /sys/fs/cgroup/"$top"; do
		[ ! -e "$c" ]
	done
	# a cgroup husk did not make stays
	[ -d "$base/$top-keep" ]
	rmdir "$base/$top-keep"
}

# The default cgroupsPath is /husk-<id>, one level below each hierarchy's
# root as with runc and crun: create makes one directory per hierarchy,
# delete removes it.
@test "the default cgroupsPath is /husk-<id>, and delete removes it" {
	make_config 'cat /proc/self/cgroup' 'del(.linux.cgroupsPath)'
	run husk run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	# every hierarchy (the unified one of a hybrid host too; with v1
	# hierarchies only, the kernel's unmounted cgroup2 line stays "0::/")
	local unmanaged='^$'
	[ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] ||
		[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || unmanaged='^0::/$'
	local wrong=$(grep -v ":/husk-$ID\$" <<<"$output" | grep -v "$unmanaged" || true)
	[ -z "$wrong" ] || { echo "not in /husk-$ID: $wrong"; return 1; }
	for c in /sys/fs/cgroup/*/husk-$ID /sys/fs/cgroup/husk-$ID; do
		[ ! -e "$c" ] || { echo "left behind: $c"; return 1; }
	done
}

# cgroupsPath /husk/<id> (the default of husk until 2026-12, so the state of
# containers created by an older husk has it): "/husk" is husk's own and
# goes with the last container in it, whichever created it. Two containers,
# the first created deleted first: the second's delete used to leave /husk
# behind in every hierarchy (found by the conformance suite's `list` test).
@test "delete of /husk/<id> containers leaves no /husk, in whatever order" {
	for c in /sys/fs/cgroup/*/husk /sys/fs/cgroup/husk; do
		[ ! -e "$c" ] || skip "$c exists already (another husk container on this host): the test needs it absent"
	done
	make_config 'sleep 1000' '.linux.cgroupsPath = "/husk/'"$ID"'"'
	husk create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	make_config 'sleep 1000' '.linux.cgroupsPath = "/husk/'"$ID-b"'"'
	husk create --bundle "$BUNDLE" "$ID-b" </dev/null >/dev/null 2>&1
	base=/sys/fs/cgroup/pids
	[ -d "$base" ] || base=/sys/fs/cgroup
	[ -d "$base/husk/$ID" ] && [ -d "$base/husk/$ID-b" ]
	husk delete --force "$ID"
	[ -d "$base/husk/$ID-b" ]
	husk delete --force "$ID-b"
	for c in /sys/fs/cgroup/*/husk /sys/fs/cgroup/husk; do
		[ ! -e "$c" ] || { echo "left behind: $c"; return 1; }
	done
}

# Concurrent commands on one container are serialised: of 8 creates of one
# ID exactly one succeeds, the others fail cleanly, and the state is whole.
@test "concurrent creates of one ID: exactly one wins, state.json stays valid" {
	make_config 'sleep 1000'
	local pids=() wins=0 pid
	for i in 1 2 3 4 5 6 7 8; do
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err$i" 3>&- &
		pids+=($!)
	done
	# each by its pid: `jobs -p` leaves out a job that has ended already
	# (a fast winner), which then counts for nothing
	for pid in "${pids[@]}"; do
		wait "$pid" && wins=$((wins + 1))
	done
	echo "wins: $wins"
	grep -H . "$BATS_TEST_TMPDIR"/err* || true
	[ "$wins" -eq 1 ]
	jq -e '.status == "created"' <(husk state "$ID")
	grep -h . "$BATS_TEST_TMPDIR"/err* | grep -v "already exists" && false
	[ "$(ls "$ROOT" | wc -l)" -eq 1 ]
}

# The state (which carries the annotations) goes to the init over the sync
# socket: a config of 100 000 annotations (2.7 MB) used to fail with
# "sync message 3: Message too long".
@test "create/run: a config with 100 000 annotations works; state lists them all" {
	make_config 'echo ran; sleep 30'
	python3 - "$BUNDLE/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["annotations"] = {"key.%d" % i: "value-%d" % i for i in range(100000)}
json.dump(c, open(sys.argv[1], "w"))
PY
	run --separate-stderr husk run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(husk state "$ID" | jq '.annotations | length')" -eq 100000 ]
	[ "$(husk state "$ID" | jq -r '.annotations["key.99999"]')" = value-99999 ]
}

# ------------------------------------------------------- error messages ---

# Every error reaches stderr once, as "husk: <msg>"; with --log-format json
# the log's msg is the bare message: engines add the runtime's name
# themselves (podman: "<runtime>: <msg>").  ERRLOG: the --log file.

# json_msgs FILE: the msg of each line of a --log-format json file; fails
# unless the whole file is one JSON object (podman json.Unmarshal's it).
json_msgs() {
	python3 - "$1" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
json.loads(text)  # podman reads the file as one document
for line in text.splitlines():
    print(json.loads(line)["msg"])
PY
}

# husk_logged ARGS...: husk ARGS with --log $ERRLOG --log-format json
husk_logged() {
	"$HUSK" --root "$ROOT" --log "$ERRLOG" --log-format json "$@"
}

@test "errors: a missing binary fails create and run with one husk: prefix, bare in the json log" {
	ERRLOG="$BATS_TEST_TMPDIR/log.json"
	make_config true '.process.args = ["/nonexistent"]'
	local want="exec /nonexistent: No such file or directory"
	run --separate-stderr husk create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ "$stderr" = "husk: $want" ]
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ "$stderr" = "husk: $want" ]
	for cmd in create run; do
		rm -f "$ERRLOG"
		run --separate-stderr husk_logged "$cmd" --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[ "$stderr" = "husk: $want" ]
		run json_msgs "$ERRLOG"
		[ "$status" -eq 0 ]
		[ "$output" = "$want" ]
	done
}

@test "errors: an execve that fails at start has one husk: prefix, bare in the json log" {
	ERRLOG="$BATS_TEST_TMPDIR/log.json"
	# executable, so create's check passes; execve says ENOEXEC
	local bad="/bin/husk-garbage-$$"
	printf 'garbage' >"$BASE/rootfs$bad"
	chmod 755 "$BASE/rootfs$bad"
	make_config true ".process.args = [\"$bad\"]"
	local want="exec $bad: Exec format error"
	husk create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/create.err"
	run --separate-stderr husk start "$ID"
	[ "$status" -ne 0 ]
	[ "$stderr" = "husk: $want" ]
	husk delete --force "$ID"
	husk create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>>"$BATS_TEST_TMPDIR/create.err"
	run --separate-stderr husk_logged start "$ID"
	[ "$status" -ne 0 ]
	[ "$stderr" = "husk: $want" ]
	run json_msgs "$ERRLOG"
	[ "$output" = "$want" ]
	# the init itself printed nothing on the container's stderr
	husk delete --force "$ID"
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID"
	rm -f "$BASE/rootfs$bad"
	[ "$status" -ne 0 ]
	[ "$stderr" = "husk: $want" ]
	[ ! -s "$BATS_TEST_TMPDIR/create.err" ]
}

@test "errors: exec of a missing binary has one husk: prefix, bare in the json log" {
	ERRLOG="$BATS_TEST_TMPDIR/log.json"
	make_config 'sleep 1000'
	husk run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	local want="exec failed: exec /nonexistent: No such file or directory"
	for detach in "" -d; do
		rm -f "$ERRLOG"
		run --separate-stderr husk exec $detach "$ID" /nonexistent
		[ "$status" -eq 255 ]
		[ "$stderr" = "husk: $want" ]
		run --separate-stderr husk_logged exec $detach "$ID" /nonexistent
		[ "$status" -eq 255 ]
		[ "$stderr" = "husk: $want" ]
		run json_msgs "$ERRLOG"
		[ "$status" -eq 0 ]
		[ "$output" = "$want" ]
	done
}

# runc's default config asks for ambient capabilities it leaves out of
# inheritable; for a uid other than 0 the kernel will not raise them.  The
# warning is create's (its stderr and --log), never the workload's stderr
# after start (engines log that stream as the container's).
@test "warnings: ambient caps a non-root user cannot get are warned of at create, not in the workload's stderr" {
	make_config 'echo workload' '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities.ambient = .process.capabilities.bounding
		| .process.capabilities.inheritable = []'
	"$HUSK" --root "$ROOT" --log "$BATS_TEST_TMPDIR/log" create --bundle "$BUNDLE" "$ID" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&-
	run -0 cat "$BATS_TEST_TMPDIR/err"
	[[ "$output" == *"process.capabilities.ambient: CAP_KILL cannot be raised for uid 1000: it is missing from process.capabilities.inheritable"* ]]
	local before=$output
	grep -q 'level=warning msg="process.capabilities.ambient: CAP_KILL cannot' "$BATS_TEST_TMPDIR/log"
	husk start "$ID"
	for _ in $(seq 50); do grep -q workload "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	grep -q workload "$BATS_TEST_TMPDIR/out"
	# nothing more on the stream the workload owns now
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "$before" ]
	# uid 0: the kernel recomputes the sets at execve; nothing to say
	husk delete --force "$ID"
	make_config true '.process.capabilities.ambient = .process.capabilities.bounding
		| .process.capabilities.inheritable = []'
	run -0 --separate-stderr "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	[ -z "$stderr" ]
}
