#!/usr/bin/env bats
# pause/resume, update, ps and events against real cgroups: the container's
# cgroup files are read back to check what the commands did.  Runs on the
# host's layout (v1 or hybrid) and, through cgroups-v2-vm.sh, in a VM with a
# pure cgroup v2 hierarchy; the cg_* helpers below read either layout.
# Messages and exit codes are runc 1.1.5's.

bats_require_minimum_version 1.5.0

load helpers

CONTRIB="$BATS_TEST_DIRNAME/../../contrib"

# One busybox rootfs for the whole file; each test has its own config.json
# (pointing at it) and its own /data directory bind-mounted read-write.
setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	export ROOTFS_BUNDLE="$BATS_FILE_TMPDIR/base"
	sh "$CONTRIB/make-busybox-bundle.sh" "$HUSK" "$ROOTFS_BUNDLE" >/dev/null
}

teardown_file() {
	# husk removes each container's cgroup; the parent stays behind.
	local d
	for d in /sys/fs/cgroup/husk-bats-cg /sys/fs/cgroup/*/husk-bats-cg; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
}

setup() {
	setup_root
	ID="cg$$-$BATS_TEST_NUMBER"
	CGPATH="/husk-bats-cg/$ID"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	DATA="$BATS_TEST_TMPDIR/data"
	mkdir -p "$BUNDLE" "$DATA"
}

teardown() {
	# A frozen process cannot die until thawed (v1 freezer).
	husk resume "$ID" >/dev/null 2>&1 || true
	husk delete --force "$ID" >/dev/null 2>&1 || true
	# the caller's own cgroup of a test (empty once its subshell is gone)
	if [ -n "${CALLER_CG:-}" ]; then
		rmdir "$CALLER_CG" 2>/dev/null || true
	fi
}

# make_config SCRIPT [PYTHON-EXPR...]: config.json running `sh -c SCRIPT`
# with /data bound to $DATA and cgroupsPath $CGPATH; each PYTHON-EXPR is run
# with the config as `c` to adjust it.
make_config() {
	local script=$1
	shift
	python3 - "$ROOTFS_BUNDLE/config.json" "$BUNDLE/config.json" "$ROOTFS_BUNDLE/rootfs" \
		"$DATA" "$CGPATH" "$script" "$@" <<'PY'
import json, sys
src, dst, rootfs, data, cgpath, script, *exprs = sys.argv[1:]
c = json.load(open(src))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", script]
c["mounts"].append({"destination": "/data", "type": "bind", "source": data,
                    "options": ["rbind", "rw"]})
c["linux"]["cgroupsPath"] = cgpath
c["linux"].setdefault("resources", {})
for e in exprs:
    exec(e)
json.dump(c, open(dst, "w"), indent=1)
PY
}

# run_container SCRIPT [PYTHON-EXPR...]: make_config, then `husk run -d`.
run_container() {
	make_config "$@"
	husk run -d --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/stdout" \
		2>"$BATS_TEST_TMPDIR/stderr" || {
		cat "$BATS_TEST_TMPDIR/stderr" >&2
		return 1
	}
}

init_pid() {
	husk state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}

status_of() {
	husk state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
}

# status_is STATUS: the container's status now (for wait_for, which needs a
# command it can re-run, not a value computed once).
status_is() {
	[ "$(status_of)" = "$1" ]
}

# wait_for CMD...: retry for up to $WAIT_SECS (10) seconds.
wait_for() {
	local i
	for i in $(seq 1 $((${WAIT_SECS:-10} * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# count_above N: the counter has gone past N (read anew on every call; the
# file may be caught empty between its truncation and the write).
count_above() {
	local now
	now=$(count)
	[ -n "$now" ] && [ "$now" -gt "$1" ]
}

COUNTER='i=0; while :; do i=$((i+1)); echo $i >/data/count; sleep 0.05; done'

# ----------------------------------------------------------- cgroup files ---

cg_v2() { [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; }

# cg_dir CONTROLLER: the container's cgroup directory for that controller.
cg_dir() {
	if cg_v2; then
		echo "/sys/fs/cgroup$CGPATH"
		return
	fi
	local d
	for d in "/sys/fs/cgroup/$1" /sys/fs/cgroup/*,"$1" /sys/fs/cgroup/"$1",*; do
		if [ -d "$d$CGPATH" ]; then
			echo "$d$CGPATH"
			return
		fi
	done
	echo "no $1 hierarchy holds $CGPATH" >&2
	return 1
}

# The limit as a number of bytes, or "max" when there is none.
cg_memory_limit() {
	local v
	if cg_v2; then
		cat "$(cg_dir memory)/memory.max"
	else
		v=$(cat "$(cg_dir memory)/memory.limit_in_bytes")
		# v1 says "no limit" with the largest page-aligned value
		[ "$v" -ge 9223372036854000000 ] && echo max || echo "$v"
	fi
}

cg_pids_max() { cat "$(cg_dir pids)/pids.max"; }

# "QUOTA PERIOD" with QUOTA "max" when unlimited (v2's cpu.max format).
cg_cpu_max() {
	if cg_v2; then
		cat "$(cg_dir cpu)/cpu.max"
	else
		local q p
		q=$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")
		p=$(cat "$(cg_dir cpu)/cpu.cfs_period_us")
		[ "$q" = -1 ] && q=max
		echo "$q $p"
	fi
}

cg_frozen() {
	if cg_v2; then
		grep -qx 'frozen 1' "$(cg_dir freezer)/cgroup.events"
	else
		[ "$(cat "$(cg_dir freezer)/freezer.state")" = FROZEN ]
	fi
}

cg_oom_kills() {
	if cg_v2; then
		awk '$1 == "oom_kill" {print $2}' "$(cg_dir memory)/memory.events"
	else
		awk '$1 == "oom_kill" {print $2}' "$(cg_dir memory)/memory.oom_control"
	fi
}

# the value of linux.resources.PATH (dotted) in the container's config copy
saved_resource() {
	python3 - "$ROOT/$ID/config.json" "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["linux"]["resources"]
for k in sys.argv[2].split("."):
    v = v[k]
print(v)
PY
}

count() { cat "$DATA/count" 2>/dev/null || echo 0; }

# ------------------------------------------------------------ pause/resume ---

@test "pause: stops the processes, state and list say paused; resume restarts them" {
	run_container "$COUNTER"
	wait_for test -s "$DATA/count"

	run husk pause "$ID"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	cg_frozen
	[ "$(status_of)" = paused ]
	run husk list
	[[ "$output" == *"$ID "*paused* ]]

	local before after
	before=$(count)
	sleep 0.5
	after=$(count)
	[ "$before" = "$after" ]

	run husk resume "$ID"
	[ "$status" -eq 0 ]
	! cg_frozen
	[ "$(status_of)" = running ]
	wait_for count_above "${after:-0}"
}

@test "pause/resume: wrong states give runc's messages" {
	run_container "$COUNTER"
	run husk resume "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not paused"* ]]

	husk pause "$ID"
	run husk pause "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	husk resume "$ID"

	husk kill "$ID" KILL
	wait_for status_is stopped
	run husk pause "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	run husk resume "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not paused"* ]]
}

@test "pause/resume: a missing container and a missing argument" {
	run husk pause nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
	run husk resume nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
	run husk pause
	[ "$status" -eq 1 ]
	[[ "$output" == *"Incorrect Usage."* ]]
}

@test "pause: a created container can be paused and resumes to created" {
	make_config "$COUNTER"
	husk create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	husk pause "$ID"
	[ "$(status_of)" = paused ]
	cg_frozen
	husk resume "$ID"
	[ "$(status_of)" = created ]
	husk start "$ID"
	wait_for test -s "$DATA/count"
}

# ------------------------------------------------------------------ update ---

@test "update: --memory, --pids-limit, --cpu-quota/--cpu-period reach the cgroup and the config" {
	run_container "$COUNTER"
	run husk update --memory 100M --pids-limit 50 --cpu-quota 20000 --cpu-period 100000 "$ID"
	[ "$status" -eq 0 ]
	[ "$(cg_memory_limit)" = 104857600 ]
	[ "$(cg_pids_max)" = 50 ]
	[ "$(cg_cpu_max)" = "20000 100000" ]
	# later reads (and a later failed update's rollback) see the new values
	[ "$(saved_resource memory.limit)" = 104857600 ]
	[ "$(saved_resource pids.limit)" = 50 ]
	[ "$(saved_resource cpu.quota)" = 20000 ]

	# a second update merges: the earlier limits stay recorded
	husk update --pids-limit 60 "$ID"
	[ "$(cg_pids_max)" = 60 ]
	[ "$(saved_resource memory.limit)" = 104857600 ]
}

@test "update: memory sizes take runc's suffixes, -1 removes the limit" {
	run_container "$COUNTER"
	husk update --memory 1.5g "$ID"
	[ "$(cg_memory_limit)" = 1610612736 ]
	husk update --memory 300m "$ID"
	[ "$(cg_memory_limit)" = 314572800 ]
	husk update --memory "200 MiB" "$ID"
	[ "$(cg_memory_limit)" = 209715200 ]
	husk update --memory -1 "$ID"
	[ "$(cg_memory_limit)" = max ]
	# 0 leaves the limit alone, as in runc
	husk update --memory 64m "$ID"
	husk update --memory 0 "$ID"
	[ "$(cg_memory_limit)" = 67108864 ]
}

@test "update: a paused container can be updated" {
	run_container "$COUNTER"
	husk pause "$ID"
	run husk update --pids-limit 42 "$ID"
	[ "$status" -eq 0 ]
	[ "$(cg_pids_max)" = 42 ]
	[ "$(status_of)" = paused ]
}

@test "update: invalid values fail with the flag named and change nothing" {
	run_container "$COUNTER"
	husk update --memory 64m --pids-limit 30 "$ID"

	run husk update --pids-limit 99 --memory 10x "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid value for memory: invalid size: '10x'"* ]]

	run husk update --cpu-period abc --pids-limit 99 "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid value for cpu-period: strconv.ParseUint: parsing "abc": invalid syntax'* ]]

	run husk update --cpu-quota 1.5 "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid value for cpu-quota: strconv.ParseInt: parsing "1.5": invalid syntax'* ]]

	run husk update --memory-swap lots "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid value for memory-swap: invalid size: 'lots'"* ]]

	# typed flags are usage errors, as urfave/cli makes them in runc
	run husk update --pids-limit many --memory 1g "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Incorrect Usage: invalid value \"many\" for flag -pids-limit: parse error"* ]]
	run husk update --blkio-weight 70000 "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid value "70000" for flag -blkio-weight: value out of range'* ]]

	[ "$(cg_memory_limit)" = 67108864 ]
	[ "$(cg_pids_max)" = 30 ]
	[ "$(saved_resource pids.limit)" = 30 ]
}

@test "update: a value the kernel refuses sets the earlier ones back" {
	run_container "$COUNTER"
	husk update --memory 64m "$ID"
	# cpuset.cpus takes only CPUs that exist
	run husk update --memory 128m --cpuset-cpus 4095 "$ID"
	if [ "$status" -eq 0 ]; then
		skip "no cpuset controller for the container's cgroup"
	fi
	[[ "$output" == *cpus* ]]
	[ "$(cg_memory_limit)" = 67108864 ]
	[ "$(saved_resource memory.limit)" = 67108864 ]
}

@test "update: -r reads a linux.resources object from a file or stdin" {
	run_container "$COUNTER"
	cat >"$BATS_TEST_TMPDIR/res.json" <<-'EOF'
		{"memory": {"limit": 209715200}, "pids": {"limit": 77},
		 "cpu": {"quota": 30000, "period": 100000}}
	EOF
	run husk update -r "$BATS_TEST_TMPDIR/res.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$(cg_memory_limit)" = 209715200 ]
	[ "$(cg_pids_max)" = 77 ]
	[ "$(cg_cpu_max)" = "30000 100000" ]

	# "-" is stdin; the other flags are ignored then
	run husk update -r - --pids-limit 5 "$ID" <<<'{"pids": {"limit": 88}}'
	[ "$status" -eq 0 ]
	[ "$(cg_pids_max)" = 88 ]

	# errors name the field (or the line) and change nothing
	run husk update -r - "$ID" <<<'{"memory": {"limit": "lots"}}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"stdin: memory.limit: "* ]]
	run husk update -r - "$ID" <<<'{"pids": '
	[ "$status" -eq 1 ]
	[[ "$output" == *"stdin: "*"invalid JSON"* ]]
	run husk update -r "$BATS_TEST_TMPDIR/nonexistent.json" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *nonexistent.json* ]]
	[ "$(cg_memory_limit)" = 209715200 ]
	[ "$(cg_pids_max)" = 88 ]
}

@test "update: a stopped or missing container" {
	run_container "$COUNTER"
	husk kill "$ID" KILL
	wait_for status_is stopped
	run husk update --memory 64m "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	run husk update --memory 64m nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
}

@test "update: --kernel-memory is accepted and ignored with a warning, RDT refused" {
	run_container "$COUNTER"
	run husk update --kernel-memory 10m "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Kernel memory settings are ignored"* ]]
	if [ ! -e /sys/fs/resctrl/info/L3 ]; then
		run husk update --l3-cache-schema "L3:0=f" "$ID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"Intel RDT/CAT: l3 cache schema is not enabled"* ]]
	fi
}

@test "update: a process over the pids limit cannot fork" {
	# ash gives up on a failed fork: the loop runs in a subshell of its own
	run_container 'while [ ! -e /data/go ]; do sleep 0.1; done
		(i=0; while [ $i -lt 20 ]; do sleep 1000 & i=$((i+1)); done; wait)
		echo $? >/data/done; sleep 1000'
	husk update --pids-limit 5 "$ID"
	touch "$DATA/go"
	wait_for test -e "$DATA/done"
	grep -q "can't fork" "$BATS_TEST_TMPDIR/stderr"
	run husk ps --format json "$ID"
	local n
	n=$(echo "$output" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$n" -le 5 ]
}

# ---------------------------------------------------------------------- ps ---

@test "ps: --format json lists the init's pid" {
	run_container "$COUNTER"
	local pid
	pid=$(init_pid)
	run husk ps --format json "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\[[0-9,]+\]$ ]]
	echo "$output" | python3 -c "import json,sys; assert $pid in json.load(sys.stdin)"
}

@test "ps: the table is ps -ef's header and the container's lines" {
	run_container "$COUNTER"
	local pid
	pid=$(init_pid)
	run husk ps "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*CMD* ]]
	local line found=0
	for line in "${lines[@]:1}"; do
		[[ "$line" == *"/data/count"* ]] || [[ "$line" == *sleep* ]]
		[ "$(echo "$line" | awk '{print $2}')" = "$pid" ] && found=1
	done
	[ "$found" = 1 ]

	# ps options after the ID
	run husk ps "$ID" -o pid,comm
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*COMMAND* ]]
	[[ "$output" == *"$pid sh"* ]]
	run husk ps "$ID" -o comm
	[ "$status" -eq 1 ]
	[[ "$output" == *"couldn't find PID field in ps output"* ]]
}

@test "ps: bad format, missing ID, stopped container" {
	run_container "$COUNTER"
	run husk ps --format xml "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid format option"* ]]
	run husk ps
	[ "$status" -eq 1 ]
	[[ "$output" == *'"ps" requires a minimum of 1 argument(s)'* ]]
	husk kill "$ID" KILL
	wait_for status_is stopped
	run husk ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = null ]
}

# ------------------------------------------------------------------ events ---

@test "events --stats: one stats event with runc's keys" {
	run_container "$COUNTER" 'c["linux"]["resources"]["pids"] = {"limit": 64}'
	run husk events --stats "$ID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | python3 -c '
import json, sys
e = json.load(sys.stdin)
assert e["type"] == "stats" and e["id"] == sys.argv[1], e
d = e["data"]
for k in ("cpu", "memory", "pids", "blkio", "hugetlb"):
    assert k in d, k
assert "usage" in d["cpu"] and "kernel" in d["cpu"]["usage"]
assert d["cpu"]["usage"]["total"] > 0
assert d["memory"]["usage"]["usage"] > 0
assert d["pids"]["current"] >= 1 and d["pids"]["limit"] == 64
' "$ID"
}

@test "events: streams stats every --interval and exits when the container stops" {
	run_container "$COUNTER"
	(sleep 1.6; "$HUSK" --root "$ROOT" kill "$ID" KILL) &
	run timeout 10 "$HUSK" --root "$ROOT" events --interval 300ms "$ID"
	wait
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 3 ]
	[[ "${lines[0]}" == '{"type":"stats","id":"'"$ID"'","data":{'* ]]
}

@test "events: bad interval, stopped container" {
	run_container "$COUNTER"
	run husk events --interval 5 "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid value "5" for flag -interval: parse error'* ]]
	husk kill "$ID" KILL
	wait_for status_is stopped
	run husk events --stats "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with id $ID is not running"* ]]
	run husk events "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with id $ID is not running"* ]]
}

@test "events: a memory hog over the limit is OOM-killed and reported" {
	# swap as large as the limit: no swapping instead of the kill.  The hog
	# raises its oom_score_adj to 1000 (lowering the init's would need
	# CAP_SYS_RESOURCE, which this machine lacks), so the OOM killer picks it
	# and never the init shell.
	run_container 'while [ ! -e /data/go ]; do sleep 0.1; done
		(echo 1000 >/proc/self/oom_score_adj; head -c 300m /dev/zero | tail)
		echo $? >/data/hog; sleep 1000' \
		'c["linux"]["resources"]["memory"] = {"limit": 33554432, "swap": 33554432}'
	"$HUSK" --root "$ROOT" events --interval 1h "$ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	local events_pid=$!
	sleep 0.5
	touch "$DATA/go"
	# slow under emulation (the v2 VM): filling 32 MiB and reclaiming first
	WAIT_SECS=180 wait_for test -e "$DATA/hog"
	wait_for grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events"
	kill "$events_pid"
	wait "$events_pid" || true
	grep -qx '{"type":"oom","id":"'"$ID"'"}' "$BATS_TEST_TMPDIR/events"
	[ "$(cg_oom_kills)" -ge 1 ]
	# the container lives on: only the hog was killed
	[ "$(status_of)" = running ]
}

# linux.resources.cpu.realtimeRuntime with cgroupsPath /husk/<id> (husk's
# default until 2026-12): on v1 the parent /husk starts with no real-time
# budget, which made every such container fail; runc and crun give it.
# (v2 has no rt controller.)
@test "cgroup v1: realtimeRuntime works under /husk/<id> (/husk gets the budget)" {
	cg_v2 && skip "cgroup v2 has no cpu.rt_runtime_us (husk refuses realtime there, as runc)"
	[ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "no v1 cpu.rt_runtime_us (kernel without RT_GROUP_SCHED)"
	make_config 'cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us 2>/dev/null; sleep 30' \
		'c["linux"]["cgroupsPath"] = "/husk/'"$ID"'"' \
		'c["linux"]["resources"]["cpu"] = {"realtimeRuntime": 20000, "realtimePeriod": 500000}'
	# /husk as a fresh host has it: no budget (ignored when a child still uses some)
	echo 0 >/sys/fs/cgroup/cpu/husk/cpu.rt_runtime_us 2>/dev/null || true
	run --separate-stderr husk run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$status $stderr"
	[ "$status" -eq 0 ]
	[ "$(cat "/sys/fs/cgroup/cpu/husk/$ID/cpu.rt_runtime_us")" = 20000 ]
	[ "$(cat "/sys/fs/cgroup/cpu/husk/$ID/cpu.rt_period_us")" = 500000 ]
	# /husk holds at least the container's share of its own period
	[ "$(cat /sys/fs/cgroup/cpu/husk/cpu.rt_runtime_us)" -ge 40000 ]
	# a second container fits beside it
	ID2=$ID-b
	make_config 'sleep 30' \
		'c["linux"]["cgroupsPath"] = "/husk/'"$ID2"'"' \
		'c["linux"]["resources"]["cpu"] = {"realtimeRuntime": 20000, "realtimePeriod": 500000}'
	run --separate-stderr husk run -d --bundle "$BUNDLE" "$ID2" </dev/null
	husk delete --force "$ID2" >/dev/null 2>&1 || true
	echo "second: $status $stderr"
	[ "$status" -eq 0 ]
}

# cpu.shares is a uint64 in config.json, but the kernel's range is 2..262144:
# 2^64-1 used to be written (and reported) as -1.
@test "cpu.shares outside 2..262144 is refused with the range, at create and update" {
	make_config 'sleep 30' 'c["linux"]["resources"]["cpu"] = {"shares": 12345678}'
	sed -i 's/12345678/18446744073709551615/' "$BUNDLE/config.json"
	run --separate-stderr husk run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.resources.cpu.shares: 18446744073709551615 is outside 2..262144"* ]]
	[[ "$stderr" != *'"-1"'* ]]
	[ -z "$(husk list -q)" ]
	run_container 'sleep 30'
	run --separate-stderr husk update --cpu-share 18446744073709551615 "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"18446744073709551615 is outside 2..262144"* ]]
}

# ---------------------------------------------------------- cgroup mounts ---

# from_own_cgroup DIR CMD...: run CMD in a subshell that first moves itself
# into the cgroup DIR (made here, removed by teardown), the way conmon sits
# in a cgroup of its own when podman calls the runtime.
from_own_cgroup() {
	CALLER_CG=$1
	shift
	mkdir -p "$CALLER_CG"
	(
		echo "$BASHPID" >"$CALLER_CG/cgroup.procs"
		"$@"
	)
}

# runs_read N WANT FILE: `husk run` the bundle N times; each run must print
# WANT; prints what the runs that didn't saw.
runs_read() {
	local n=$1 want=$2 i out
	for i in $(seq 1 "$n"); do
		out=$(husk run --bundle "$BUNDLE" "$ID" </dev/null 2>&1) || out="failed: $out"
		[ "$out" = "$want" ] || echo "run $i: $out"
	done
}

@test "cgroup mount without a cgroup namespace (v1): /sys/fs/cgroup/memory is the container's cgroup, also from a caller in a cgroup of its own" {
	[ "$(stat -fc %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ] || skip "needs a v1 memory hierarchy"
	# podman's default on v1: the host's cgroup namespace, a `cgroup` mount;
	# the init binds its cgroup while husk still moves it out of the
	# caller's (which has no limit)
	make_config 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes' \
		'c["linux"]["resources"]["memory"] = {"limit": 67108864}' \
		'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]' \
		'assert any(m.get("type") == "cgroup" for m in c["mounts"])'
	from_own_cgroup "/sys/fs/cgroup/memory/husk-test-caller-$$" \
		runs_read 24 67108864 >"$BATS_TEST_TMPDIR/wrong"
	if [ -s "$BATS_TEST_TMPDIR/wrong" ]; then
		echo "runs whose /sys/fs/cgroup/memory was not the container's cgroup:" >&2
		cat "$BATS_TEST_TMPDIR/wrong" >&2
		return 1
	fi
}

# config.md "cgroup" mount on v1: a tmpfs with each host hierarchy bound
# beneath. Every one of them is nosuid, nodev and noexec, read-only when the
# mount says "ro" (runc's spec default) and writable when it doesn't; husk
# sets the flags on the whole tree at once where it can.
@test "cgroup mount (v1): the tmpfs and every hierarchy are nosuid,nodev,noexec, and ro as the mount says" {
	[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "needs a v1 or hybrid host (this one is pure cgroup v2)"
	local opts script='awk '\''$5 ~ "^/sys/fs/cgroup" {print $5, $6}'\'' /proc/self/mountinfo'
	for opts in ro rw; do
		make_config "$script" \
			'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]' \
			'm = [m for m in c["mounts"] if m.get("type") == "cgroup"][0]' \
			'm["options"] = ["nosuid", "noexec", "nodev", "relatime"] + (["ro"] if "'"$opts"'" == "ro" else [])'
		run husk run --bundle "$BUNDLE" "$ID"
		[ "$status" -eq 0 ]
		local hier=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d | wc -l)
		# the tmpfs and one mount per host hierarchy
		[ "$(grep -c '^/sys/fs/cgroup' <<<"$output")" -eq $((hier + 1)) ] || {
			echo "$output" >&2
			false
		}
		local bad=$(grep -v "^/sys/fs/cgroup[^ ]* $opts,nosuid,nodev,noexec,relatime$" <<<"$output")
		[ -z "$bad" ] || {
			echo "mount options not $opts,nosuid,nodev,noexec,relatime: $bad" >&2
			false
		}
	done
}

# The init is in its cgroup (every hierarchy), in its own network namespace,
# when the prestart and createRuntime hooks run (runtime.md lifecycle 3-4:
# after the environment is created): a CNI plugin in a hook joins that
# netns. On a v1-only host husk makes the cgroup after the clone and the init
# makes the netns itself, so this is what orders them.
@test "hooks: prestart and createRuntime see the init in its cgroup and its own network namespace" {
	local hook='pid=$(sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p"); { cat /proc/$pid/cgroup; readlink /proc/$pid/ns/net; } >"'"$DATA"'/$0"'
	make_config 'true' \
		'c["hooks"] = {k: [{"path": "/bin/sh", "args": [k, "-c", '"$(jq -Rn --arg h "$hook" '$h')"']}] for k in ("prestart", "createRuntime")}'
	husk run --bundle "$BUNDLE" "$ID"
	local k
	for k in prestart createRuntime; do
		[ -s "$DATA/$k" ] || { echo "the $k hook wrote nothing" >&2; false; }
		# every hierarchy but the unified one of a hybrid host (none there)
		local wrong=$(grep -v '^0::' "$DATA/$k" | grep -v '^net:' | grep -v ":$CGPATH\$" || true)
		[ -z "$wrong" ] || { echo "$k: not in $CGPATH: $wrong" >&2; false; }
		grep -q ":$CGPATH\$" "$DATA/$k" || { echo "$k: no cgroup listed: $(cat "$DATA/$k")" >&2; false; }
		grep -q '^net:\[' <<<"$(tail -1 "$DATA/$k")"
		[ "$(tail -1 "$DATA/$k")" != "$(readlink /proc/self/ns/net)" ] || {
			echo "$k: the init is in the host's network namespace" >&2
			false
		}
	done
}

# A bind mount whose source is the container's own cgroup directory, first
# of the mounts: on a v1-only host that directory is made after the clone,
# and the init waits for it before such a mount (the parent usually wins
# that race anyway: this checks the combination works, it can't force the
# init ahead).
@test "a bind of the container's own cgroup directory (v1) finds it made" {
	[ -d /sys/fs/cgroup/memory ] || skip "needs a v1 memory hierarchy"
	make_config 'cat /mnt/cg/memory.limit_in_bytes' \
		'c["linux"]["resources"]["memory"] = {"limit": 67108864}' \
		'c["mounts"].insert(0, {"destination": "/mnt/cg", "type": "bind", "source": "/sys/fs/cgroup/memory'"$CGPATH"'", "options": ["rbind", "ro"]})'
	run husk run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
	[ "$output" = 67108864 ]
}
