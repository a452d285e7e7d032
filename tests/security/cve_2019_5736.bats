#!/usr/bin/env bats
# CVE-2019-5736: a container overwrites the runtime's binary on the host.
#
# The image holds /bin/evil = "#!/proc/self/exe" and the runtime's shared
# libraries, so a process that runs /bin/evil runs the runtime's own binary
# again, inside the container. The attacker (cve_2019_5736_attack.c, static)
# opens /proc/<pid>/exe of such a process — or of a created init it can
# reach — O_PATH, waits until the file is no longer busy and reopens
# /proc/self/fd/N for writing. Each variant attacks a temporary copy of the
# runtime (never the build output or /usr/bin) ROUNDS times, each round on a
# fresh copy, counts the rounds in which the copy changed, and checks both
# that none did and that the write was refused with the error of the
# runtime's defence (EROFS: husk runs from a read-only bind mount of itself;
# EPERM on write from its fall-back, a sealed memfd copy). runc, when
# installed, is attacked the same way as the reference (runc 1.1 runs from a
# read-only bind of its binary, or a sealed memfd copy where it can't bind).
#
# The runtime running as /bin/evil lives for a millisecond or two; so that
# the attacker wins that race every time, not just often, the image also
# makes every dynamically linked program started in it sleep 50 ms first
# (/etc/ld.so.preload, which an image controls; busybox and the attacker are
# static).

load helpers

ROUNDS=${CVE_2019_5736_ROUNDS:-5}

setup_file() {
	sec_setup_file
	cc -static -O2 -o "$BATS_FILE_TMPDIR/attack" "$BATS_TEST_DIRNAME/cve_2019_5736_attack.c"
	printf '#include <unistd.h>\n__attribute__((constructor)) static void slow(void) { usleep(50000); }\n' |
		cc -shared -fPIC -O2 -x c -o "$BATS_FILE_TMPDIR/slow.so" -
}

setup() {
	sec_setup
	# The attacked image: busybox, the attacker, /bin/evil and the shared
	# libraries of every runtime that will run as /bin/evil's interpreter.
	own_rootfs
	cp "$BATS_FILE_TMPDIR/attack" "$ROOTFS/attack"
	printf '#!/proc/self/exe\n' >"$ROOTFS/bin/evil"
	chmod 755 "$ROOTFS/bin/evil"
	mkdir -p "$ROOTFS/lib"
	cp "$BATS_FILE_TMPDIR/slow.so" "$ROOTFS/lib/cve-slow.so"
	echo /lib/cve-slow.so >"$ROOTFS/etc/ld.so.preload"
	local bins=("$RUNTIME")
	command -v runc >/dev/null && bins+=("$(command -v runc)")
	ldd "${bins[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && NF == 2 {print $1}' | sort -u | while read -r lib; do
		cp -L --parents "$lib" "$ROOTFS/"
	done
	CIDS=()
}

teardown() {
	local cid
	for cid in "${CIDS[@]}"; do
		# The pristine runtimes clean up, whatever became of the copy.
		rt delete --force "$cid" >/dev/null 2>&1 || true
		ref delete --force "$cid" >/dev/null 2>&1 || true
	done
	sec_teardown
}

# use_runtime husk|runc: VICTIM becomes a fresh temporary copy of it, run
# with this test's state root by `victim`.
use_runtime() {
	KIND=$1
	local src=$RUNTIME
	[ "$KIND" = runc ] && src=$(command -v runc)
	mkdir -p "$BATS_TEST_TMPDIR/victim"
	VICTIM="$BATS_TEST_TMPDIR/victim/$KIND"
	rm -f "$VICTIM"
	cp "$src" "$VICTIM"
	VICTIM_SUM=$(sha256sum <"$VICTIM")
	VROOT=$ROOT
	[ "$KIND" = runc ] && VROOT="$BATS_TEST_TMPDIR/ref-root" && mkdir -p "$VROOT"
	return 0
}

victim() {
	"$VICTIM" --root "$VROOT" "$@"
}

# config FILTER: the bundle's config, on the attacked rootfs, then FILTER.
config() {
	make_config "true" '.root = {path: "'"$ROOTFS"'", readonly: false} | '"$1"
}

# wait_result REGEX SECONDS: wait until the attacker's report matches.
wait_result() {
	local i
	for i in $(seq $(($2 * 20))); do
		grep -Eq "$1" "$ROOTFS/result" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

VERDICT='^(OVERWRITTEN|BLOCKED|TIMEOUT)'

# One round's end: the report, and whether the copy changed.
end_round() {
	local cid=$1
	wait_result "$VERDICT" 5 || true
	echo "$KIND round $r: $(tr '\n' '|' <"$ROOTFS/result" 2>/dev/null)"
	if [ "$(sha256sum <"$VICTIM")" != "$VICTIM_SUM" ]; then
		overwritten=$((overwritten + 1))
		use_runtime "$KIND" # a fresh copy for the next round
	fi
	cat "$ROOTFS/result" >>"$BATS_TEST_TMPDIR/results-$KIND" 2>/dev/null || true
	rm -f "$ROOTFS/result"
	# The pristine runtime deletes (the copy may be garbage by now).
	if [ "$KIND" = runc ]; then ref delete --force "$cid" >/dev/null 2>&1 || true; else
		rt delete --force "$cid" >/dev/null 2>&1 || true; fi
}

# attack_exec FILTER: the workload is the attacker; the admin runs
# `exec CTR /bin/evil` until the attacker caught one (at most 60 times: on a
# loaded host a faster exec leaves the attacker a small window, and 30
# attempts once all lost the race in one round).
attack_exec() {
	local cid i
	config '.process.args = ["/attack", "evil", "20", "/result"] | '"$1"
	for r in $(seq "$ROUNDS"); do
		cid="$ID-$KIND-$r"
		CIDS+=("$cid")
		rm -f "$ROOTFS/result"
		victim run -d --bundle "$BUNDLE" "$cid" </dev/null >/dev/null 2>&1
		wait_result '^READY' 10
		for i in $(seq 60); do
			victim exec "$cid" /bin/evil </dev/null >/dev/null 2>&1 || true
			wait_result '^GOT' 0 || continue
			wait_result "$VERDICT" 5
			break
		done
		end_round "$cid"
	done
}

# attack_start FILTER: the init's process is /bin/evil; the attacker, a
# second process exec'd into the created container, watches the init's pid
# (visible without a pid namespace) and opens its exe as soon as the init's
# execve at `start` makes it dumpable. A lost race (the target lives for a
# millisecond or two) is retried on a new container, at most 5 per round.
attack_start() {
	local cid pid i
	config '.process.args = ["/bin/evil"] | '"$1"
	for r in $(seq "$ROUNDS"); do
		for i in $(seq 5); do
			cid="$ID-$KIND-$r-$i"
			CIDS+=("$cid")
			rm -f "$ROOTFS/result"
			victim create --bundle "$BUNDLE" "$cid" </dev/null >/dev/null 2>&1
			pid=$(victim state "$cid" | jq .pid)
			victim exec -d "$cid" /attack "$pid" 5 /result </dev/null >/dev/null 2>&1
			wait_result '^READY' 10
			victim start "$cid" </dev/null >/dev/null 2>&1 || true
			wait_result '^GOT' 1 && break
			echo "$KIND round $r: attempt $i lost the race"
			[ "$KIND" = runc ] && ref delete --force "$cid" >/dev/null 2>&1
			[ "$KIND" = husk ] && rt delete --force "$cid" >/dev/null 2>&1
		done
		end_round "$cid"
	done
}

# attack_init FILTER: the attacker, exec'd into a created container, opens
# the init's /proc/1/exe; then the admin starts the container (the init's
# execve makes the runtime's file no longer busy).
attack_init() {
	local cid
	config '.process.args = ["sleep", "5"] | '"$1"
	for r in $(seq "$ROUNDS"); do
		cid="$ID-$KIND-$r"
		CIDS+=("$cid")
		rm -f "$ROOTFS/result"
		victim create --bundle "$BUNDLE" "$cid" </dev/null >/dev/null 2>&1
		victim exec -d "$cid" /attack 1 10 /result </dev/null >/dev/null 2>&1
		wait_result '^GOT' 10 || true
		victim start "$cid" </dev/null >/dev/null 2>&1 || true
		end_round "$cid"
	done
}

# run_variant ATTACK FILTER: ATTACK against husk, then against runc; every
# round must have found its target, none may have changed the binary, and
# the write must have failed with the runtime's error.
run_variant() {
	local kind expect
	for kind in husk runc; do
		[ $kind = runc ] && ! command -v runc >/dev/null && continue
		use_runtime $kind
		overwritten=0
		"$1" "$2"
		echo "$kind: overwritten in $overwritten of $ROUNDS rounds"
		eval "overwritten_$kind=$overwritten"
	done
	for kind in husk runc; do
		[ -f "$BATS_TEST_TMPDIR/results-$kind" ] || continue
		[ "$(eval echo \$overwritten_$kind)" -eq 0 ]
		[ "$(grep -c '^GOT' "$BATS_TEST_TMPDIR/results-$kind")" -eq "$ROUNDS" ]
		# EROFS: a read-only bind mount of the binary (husk as root; runc
		# 1.1 where it can); EPERM on write: a sealed memfd copy (husk's
		# fall-back; runc where the bind fails, e.g. in the VM).
		[ "$(grep -Ec '^BLOCKED (open: Read-only file system|write: Operation not permitted)$' \
			"$BATS_TEST_TMPDIR/results-$kind")" -eq "$ROUNDS" ]
	done
}

NO_PIDNS='.linux.namespaces |= map(select(.type != "pid"))'
PTRACE='.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
USERNS_0_0='.linux.namespaces += [{type: "user"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 0, size: 65536}]'

@test "cve-2019-5736: exec CTR /bin/evil (default config) cannot overwrite the runtime" {
	run_variant attack_exec .
}

@test "cve-2019-5736: start of a /bin/evil init without a pid namespace cannot overwrite the runtime" {
	run_variant attack_start "$NO_PIDNS"
}

@test "cve-2019-5736: a created init reached with CAP_SYS_PTRACE cannot be used to overwrite the runtime" {
	run_variant attack_init "$PTRACE"
}

@test "cve-2019-5736: a created init in a user namespace mapping 0 to 0, reached with CAP_SYS_PTRACE, cannot be used to overwrite the runtime" {
	run_variant attack_init "$USERNS_0_0 | $PTRACE"
}

@test "cve-2019-5736: exec CTR /bin/evil in a user namespace mapping 0 to 0 cannot overwrite the runtime" {
	run_variant attack_exec "$USERNS_0_0"
}
