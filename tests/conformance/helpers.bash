# Helpers for the OCI runtime-spec conformance suite (bats).
#
# The runtime under test is $RUNTIME (default: $HUSK, else `husk` on $PATH).
# Every test gets its own --root, bundle and scratch dir under $BATS_TEST_TMPDIR;
# teardown force-deletes every container the test made and fails the test if a
# container process or a mount under the test's dir is left behind.
#
# Run:  RUNTIME=runc bats --jobs 1 tests/conformance
#       RUNTIME=/path/to/husk bats --jobs 1 tests/conformance

RUNTIME=${RUNTIME:-${HUSK:-husk}}
REFERENCE=${REFERENCE:-runc}
# seconds any single runtime command may take before it counts as a hang
RT_TIMEOUT=${RT_TIMEOUT:-20}

# ---------------------------------------------------------------- runtime ---

# rt ARGS...: the runtime under test with this test's --root
rt() {
	timeout --kill-after=5 "$RT_TIMEOUT" "$RUNTIME" --root "$ROOT" "$@" 3>&-
}

# ref ARGS...: the reference runtime (side_by_side.bats) with its own --root
ref() {
	timeout --kill-after=5 "$RT_TIMEOUT" "$REFERENCE" --root "$REF_ROOT" "$@" 3>&-
}

# is_runc [BINARY]: true if BINARY (default $RUNTIME) is runc
is_runc() {
	local bin=${1:-$RUNTIME}
	[ "$(basename "$bin")" = runc ] && return 0
	"$bin" --version 2>/dev/null | head -1 | grep -q '^runc version'
}

# skip_if_runc WHAT: runc 1.1.5 lacks a feature the spec requires; the test
# still runs (and must pass) for every other runtime.
skip_if_runc() {
	if is_runc; then
		skip "runc 1.1.5 does not implement $1"
	fi
}

# runc_fails WHY: runc 1.1.5 implements the feature but gets this MUST wrong.
# Skipped for runc only (so a runc run stays green and documents it); set
# CONFORMANCE_STRICT=1 to run it anyway and see runc fail.
runc_fails() {
	if is_runc && [ -z "${CONFORMANCE_STRICT:-}" ]; then
		skip "runc 1.1.5 fails this: $1"
	fi
}

# ---------------------------------------------------------------- rootfs ----

# The busybox rootfs and base config.json are built once per bats run into
# $BATS_RUN_TMPDIR/conformance-cache (lock-protected), then copied per test.
_cache_dir() { echo "$BATS_RUN_TMPDIR/conformance-cache"; }

_build_cache() {
	local cache tmp bb spec_tool a
	cache=$(_cache_dir)
	[ -e "$cache/ready" ] && return 0
	exec 9>"$BATS_RUN_TMPDIR/conformance-cache.lock"
	flock 9
	if [ ! -e "$cache/ready" ]; then
		tmp=$(mktemp -d "$BATS_RUN_TMPDIR/cache.XXXXXX")
		bb=$(command -v busybox)
		[ -n "$bb" ] || { echo "busybox (busybox-static) is required" >&2; return 1; }
		if ldd "$bb" >/dev/null 2>&1; then
			echo "busybox at $bb is dynamically linked; install busybox-static" >&2
			return 1
		fi
		local r=$tmp/rootfs
		mkdir -p "$r"/{bin,sbin,etc,dev,proc,sys,tmp,root,home,mnt,run,var,usr/bin,usr/sbin}
		chmod 1777 "$r/tmp"
		cp "$bb" "$r/bin/busybox"
		for a in $("$r/bin/busybox" --list); do
			[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
		done
		cat >"$r/etc/passwd" <<-'EOF'
			root:x:0:0:root:/root:/bin/sh
			daemon:x:1:1:daemon:/usr/sbin:/bin/sh
			nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
		EOF
		cat >"$r/etc/group" <<-'EOF'
			root:x:0:
			daemon:x:1:
			tty:x:5:
			users:x:100:
			nogroup:x:65534:
		EOF
		echo "conformance" >"$r/etc/hostname"
		# base config: `runc spec` when runc is there (the reference), else the
		# runtime's own `spec`
		spec_tool=$REFERENCE
		command -v "$spec_tool" >/dev/null 2>&1 || spec_tool=$RUNTIME
		(cd "$tmp" && "$spec_tool" spec) || { echo "$spec_tool spec failed" >&2; return 1; }
		jq '.process.terminal = false
		    | .root.readonly = false
		    | .process.args = ["sh", "-c", "true"]
		    | .hostname = "conformance"' "$tmp/config.json" >"$tmp/config.base.json"
		rm -f "$tmp/config.json"
		rm -rf "$cache"
		mv "$tmp" "$cache"
		touch "$cache/ready"
	fi
	exec 9>&-
}

# ---------------------------------------------------------------- per test --

# _smoke: once per bats run, check that the runtime does not hang on a
# trivial `run`. If it hangs, every test fails at once (instead of each one
# waiting for its timeouts, which would take the suite past CI's limit).
_smoke() {
	local cache f d rc=0
	cache=$(_cache_dir)
	f=$cache/smoke.$(basename "$RUNTIME")
	exec 8>"$BATS_RUN_TMPDIR/conformance-smoke.lock"
	flock 8
	if [ ! -e "$f" ]; then
		d=$(mktemp -d "$BATS_RUN_TMPDIR/smoke.XXXXXX")
		cp -a "$cache/rootfs" "$d/rootfs"
		cp "$cache/config.base.json" "$d/config.json"
		timeout --kill-after=3 "${SMOKE_TIMEOUT:-20}" "$RUNTIME" --root "$d/root" run --bundle "$d" smoke </dev/null >"$d/out" 2>&1 3>&- || rc=$?
		timeout 5 "$RUNTIME" --root "$d/root" delete --force smoke >/dev/null 2>&1 3>&- || true
		echo "$rc" >"$f"
		rm -rf "$d" 2>/dev/null || true
	fi
	exec 8>&-
	rc=$(cat "$f")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "$RUNTIME hangs on a trivial 'run' (timed out in the suite's smoke check); failing fast" >&2
		return 1
	fi
}

common_setup() {
	_build_cache || return 1
	_smoke || return 1
	T=$BATS_TEST_TMPDIR
	ROOT=$T/root
	BUNDLE=$T/bundle
	SHARED=$T/shared # bind-mounted at /shared by `share`
	MARK="hkconf${$}t${BATS_TEST_NUMBER}r${RANDOM}"
	CID="c${BATS_TEST_NUMBER}-${RANDOM}"
	CIDS=()
	mkdir -p "$ROOT" "$BUNDLE" "$SHARED"
	chmod 755 "$T"
	cp -a "$(_cache_dir)/rootfs" "$BUNDLE/rootfs"
	cp "$(_cache_dir)/config.base.json" "$BUNDLE/config.json"
	: >"$T/pids"
}

setup() { common_setup; }

# _cleanup_ctrs ROOTDIR RUNNER: kill and delete all containers under a --root
_cleanup_ctrs() {
	local runner=$1 id
	local ids
	ids=$("$runner" list -q 2>/dev/null || true)
	for id in $ids "${CIDS[@]}"; do
		"$runner" kill "$id" KILL >/dev/null 2>&1 || true
		"$runner" delete --force "$id" >/dev/null 2>&1 || true
	done
}

common_teardown() {
	local leak=""
	[ -n "${ROOT:-}" ] || return 0
	_cleanup_ctrs rt
	[ -n "${REF_ROOT:-}" ] && _cleanup_ctrs ref
	# container processes left behind?
	local p pids=""
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		pids=$(pgrep -f "$MARK" || true)
		for p in $(sort -u "$T/pids"); do
			if [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
				pids="$pids $p"
			fi
		done
		[ -z "${pids// /}" ] && break
		sleep 0.2
	done
	if [ -n "${pids// /}" ]; then
		leak="processes left behind: $(ps -o pid=,args= -p "${pids// /,}" 2>/dev/null | tr '\n' ';')"
		kill -9 $pids 2>/dev/null || true
	fi
	# runtime processes still running with this test's --root?
	pids=$(pgrep -f -- "--root $ROOT" || true)
	if [ -n "$pids" ]; then
		leak="$leak runtime processes left behind: $pids"
		kill -9 $pids 2>/dev/null || true
	fi
	# mounts under the test dir in the runtime's mount namespace?
	local m
	m=$(awk -v t="$T" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r)
	if [ -n "$m" ]; then
		leak="$leak mounts left behind: $m"
		for p in $m; do umount -l "$p" 2>/dev/null || true; done
	fi
	rm -rf "$BUNDLE" "$ROOT" 2>/dev/null || true
	if [ -n "$leak" ]; then
		echo "teardown: $leak" >&2
		return 1
	fi
}

teardown() { common_teardown; }

# ---------------------------------------------------------------- config ----

# cfg [JQ-OPTIONS] FILTER: edit the bundle's config.json in place with jq
cfg() {
	local f=$BUNDLE/config.json
	jq "$@" "$f" >"$f.new" && mv "$f.new" "$f"
}

# cmd SCRIPT: the container runs `sh -c SCRIPT`; $0 is the test's marker so a
# leftover process can be found with pgrep -f.
cmd() {
	cfg --arg s "$1" --arg m "$MARK" '.process.args = ["sh", "-c", $s, $m]'
}

# sleeper: a container that waits (and keeps the marker in its cmdline)
sleeper() {
	cmd 'while :; do sleep 1; done'
}

# share [OPTS-JSON]: bind-mount $SHARED at /shared (rw)
share() {
	cfg --arg s "$SHARED" '.mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]'
}

# ---------------------------------------------------------------- actions ---

# run_ctr [ID]: `run` in the foreground with bats' run: $status, $output
# (stdout only), $stderr
run_ctr() {
	local id=${1:-$CID}
	CIDS+=("$id")
	run --separate-stderr rt run --bundle "$BUNDLE" "$id" </dev/null
}

# create_ctr [ID] [EXTRA ARGS...]: create; the container's stdio goes to
# $T/<id>.out and $T/<id>.err. Sets $status. Never fails by itself.
create_ctr() {
	local id=${1:-$CID}
	shift || true
	CIDS+=("$id")
	status=0
	rt create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$T/$id.out" 2>"$T/$id.err" || status=$?
	return 0
}

# created [ID]: create, must succeed
created() {
	local id=${1:-$CID}
	create_ctr "$id"
	if [ "$status" -ne 0 ]; then
		echo "create $id failed ($status): $(cat "$T/$id.err")" >&2
		return 1
	fi
	state_pid "$id" >/dev/null
}

# started [ID]: create + start, must succeed
started() {
	local id=${1:-$CID}
	created "$id" || return 1
	rt start "$id" || { echo "start $id failed" >&2; return 1; }
}

# state_json [ID]: the runtime's state JSON (records the pid for teardown)
state_json() {
	local id=${1:-$CID} s
	s=$(rt state "$id") || return 1
	jq -r '.pid // empty' <<<"$s" >>"$T/pids" 2>/dev/null || true
	echo "$s"
}

state_status() { state_json "${1:-$CID}" | jq -r .status; }
state_pid() { state_json "${1:-$CID}" | jq -r .pid; }

# wait_status STATUS [ID] [SECONDS]: poll until the container has STATUS
wait_status() {
	local want=$1 id=${2:-$CID} secs=${3:-10} i s
	for ((i = 0; i < secs * 10; i++)); do
		s=$(state_status "$id" 2>/dev/null || true)
		[ "$s" = "$want" ] && return 0
		sleep 0.1
	done
	echo "container $id: status '$s', wanted '$want'" >&2
	return 1
}

# ctr_output [ID]: what the created/started container wrote to stdout
ctr_output() { cat "$T/${1:-$CID}.out"; }

# wait_file FILE [SECONDS]
wait_file() {
	local f=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		[ -s "$f" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $f" >&2
	return 1
}

# no_state: the runtime lists no containers in this test's --root
no_state() {
	local l
	l=$(rt list -q 2>/dev/null || true)
	if [ -n "$l" ]; then
		echo "containers left in state: $l" >&2
		return 1
	fi
	# nothing but (possibly) empty dirs / lock files in --root
	local left
	left=$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	if [ -n "$left" ]; then
		echo "state dirs left in $ROOT: $left" >&2
		return 1
	fi
}

# no_procs: no process carries this test's marker
no_procs() {
	local p
	for _ in $(seq 20); do
		p=$(pgrep -f "$MARK" || true)
		[ -z "$p" ] && return 0
		sleep 0.1
	done
	echo "processes left: $(ps -o pid=,args= -p "${p//$'\n'/,}")" >&2
	return 1
}

# no_mounts: nothing of this test is mounted in the runtime's namespace
no_mounts() {
	local m
	m=$(awk -v t="$T" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo)
	if [ -n "$m" ]; then
		echo "mounts left: $m" >&2
		return 1
	fi
}

# failed_cleanly: the last command failed and left no state, process or mount
failed_cleanly() {
	if [ "$status" -eq 0 ]; then
		echo "expected a failure, got exit 0" >&2
		return 1
	fi
	no_state && no_procs && no_mounts
}

# ---------------------------------------------------------------- asserts ---

# eq GOT WANT [WHAT]
eq() {
	if [ "$1" != "$2" ]; then
		echo "${3:-value}: got '$1', want '$2'" >&2
		return 1
	fi
}

# contains HAYSTACK NEEDLE
contains() {
	if [[ "$1" != *"$2"* ]]; then
		printf 'expected to find %q in:\n%s\n' "$2" "$1" >&2
		return 1
	fi
}

# ok: the last `run` exited 0 (prints stderr otherwise)
ok() {
	if [ "$status" -ne 0 ]; then
		echo "exit $status; stdout: $output; stderr: ${stderr:-}" >&2
		return 1
	fi
}

# capability bit numbers (capabilities(7))
declare -gA CAPNUM=(
	[CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_DAC_READ_SEARCH]=2 [CAP_FOWNER]=3
	[CAP_FSETID]=4 [CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8
	[CAP_LINUX_IMMUTABLE]=9 [CAP_NET_BIND_SERVICE]=10 [CAP_NET_BROADCAST]=11
	[CAP_NET_ADMIN]=12 [CAP_NET_RAW]=13 [CAP_IPC_LOCK]=14 [CAP_IPC_OWNER]=15
	[CAP_SYS_MODULE]=16 [CAP_SYS_RAWIO]=17 [CAP_SYS_CHROOT]=18 [CAP_SYS_PTRACE]=19
	[CAP_SYS_PACCT]=20 [CAP_SYS_ADMIN]=21 [CAP_SYS_BOOT]=22 [CAP_SYS_NICE]=23
	[CAP_SYS_RESOURCE]=24 [CAP_SYS_TIME]=25 [CAP_SYS_TTY_CONFIG]=26 [CAP_MKNOD]=27
	[CAP_LEASE]=28 [CAP_AUDIT_WRITE]=29 [CAP_AUDIT_CONTROL]=30 [CAP_SETFCAP]=31
	[CAP_MAC_OVERRIDE]=32 [CAP_MAC_ADMIN]=33 [CAP_SYSLOG]=34 [CAP_WAKE_ALARM]=35
	[CAP_BLOCK_SUSPEND]=36 [CAP_AUDIT_READ]=37 [CAP_PERFMON]=38 [CAP_BPF]=39
	[CAP_CHECKPOINT_RESTORE]=40
)

# capmask CAP...: the /proc/PID/status hex mask (16 digits) of these caps
capmask() {
	local m=0 c
	for c in "$@"; do
		m=$((m | (1 << ${CAPNUM[$c]})))
	done
	printf '%016x\n' "$m"
}
