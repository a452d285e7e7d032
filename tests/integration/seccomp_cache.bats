#!/usr/bin/env bats
# linux.seccomp is compiled by the runtime, once per profile, and kept in a
# cache directory (seccomp_cache.c; here $HUSK_SECCOMP_CACHE, a test's own):
# the second container with the same profile loads the stored BPF. What the container sees must not change:
# config-linux.md "Seccomp" holds for the cached filter as for a fresh one,
# in `run`, `create`+`start` and `exec`.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
	setup_busybox_base
}

setup() {
	setup_root
	export HUSK_SECCOMP_CACHE="$BATS_TEST_TMPDIR/cache"
	CACHE=$HUSK_SECCOMP_CACHE
	ID="sc$$-$BATS_TEST_NUMBER"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
	# mkdir fails with EROFS (30), rmdir with the default EPERM; x86 and
	# x32 too, as engines' profiles list them.
	jq --arg rootfs "$BASE/rootfs" '
		.root = {path: $rootfs, readonly: false}
		| .process.terminal = false
		| .process.args = ["sh", "-c", "mkdir /made 2>&1; rmdir /tmp 2>&1; grep ^Seccomp: /proc/self/status"]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
			syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 30},
				{names: ["rmdir"], action: "SCMP_ACT_ERRNO"}]}' \
		"$BASE/config.json" >"$BUNDLE/config.json"
}

teardown() {
	for c in "$ID" "$ID-b"; do husk delete --force "$c" >/dev/null 2>&1 || true; done
}

filtered() { # the output of the bundle's process under the profile
	[[ "$1" == *"Read-only file system"* ]] && [[ "$1" == *"Operation not permitted"* ]] &&
		[[ "$1" == *"Seccomp:"*2* ]]
}

@test "seccomp cache: the first run compiles and stores, the second loads it; both are filtered" {
	cd "$BUNDLE"
	run husk run "$ID"
	[ "$status" -eq 0 ]
	filtered "$output"
	[ "$(stat -c %a "$CACHE")" = 700 ]
	[ "$(find "$CACHE" -type f | wc -l)" -eq 1 ]
	local entry mtime
	entry=$(find "$CACHE" -type f)
	mtime=$(stat -c %Y.%i "$entry")
	run husk run "$ID"
	[ "$status" -eq 0 ]
	filtered "$output"
	# found, not written again
	[ "$(stat -c %Y.%i "$entry")" = "$mtime" ]
	[ "$(find "$CACHE" -type f | wc -l)" -eq 1 ]
	# the state root holds containers only: nothing left after run
	[ -z "$(ls -A "$ROOT")" ]
}

@test "seccomp cache: the stored filter is the one loaded (an entry changed on disk is what runs)" {
	cd "$BUNDLE"
	husk run "$ID" >/dev/null
	local entry
	entry=$(find "$CACHE" -type f)
	# The stored program's "RET ERRNO(EROFS)" (BPF_RET|BPF_K, 0x00050000|30)
	# turned into ERRNO(EOPNOTSUPP): mkdir then fails with that errno. Proof
	# that run took the BPF from the cache and did not compile again. (Not
	# a filter that denies everything: a process that cannot even exit_group
	# spins.)
	python3 - "$entry" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
magic = b"husk-seccomp-bpf 1\n"
assert b.startswith(magic)
off = len(magic)
(key_len,) = struct.unpack_from("<I", b, off)
off += 4 + key_len
flags, count = struct.unpack_from("<II", b, off)
off += 8
assert len(b) == off + 8 * count
changed = 0
for i in range(count):
    code, jt, jf, k = struct.unpack_from("<HBBI", b, off + 8 * i)
    if code == 0x06 and k == 0x00050000 | 30:
        struct.pack_into("<HBBI", b, off + 8 * i, code, jt, jf, 0x00050000 | 95)
        changed += 1
assert changed > 0
open(p, "wb").write(bytes(b))
PY
	run husk run "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not supported"* ]]
	[[ "$output" != *"Read-only file system"* ]]
	rm -f "$entry"
	run husk run "$ID"
	[ "$status" -eq 0 ]
	filtered "$output"
}

@test "seccomp cache: create+start and exec load the cached filter" {
	cd "$BUNDLE"
	husk run "$ID" >/dev/null
	jq '.process.args = ["sleep", "100"]' config.json >c.json && mv c.json config.json
	husk create "$ID-b"
	husk start "$ID-b"
	run husk exec "$ID-b" sh -c "mkdir /x 2>&1; rmdir /tmp 2>&1; grep ^Seccomp: /proc/self/status"
	[ "$status" -eq 0 ]
	filtered "$output"
	[ "$(find "$CACHE" -type f | wc -l)" -eq 1 ]
}

@test "seccomp cache: a profile libseccomp refuses fails create before the init, naming the field; nothing left" {
	cd "$BUNDLE"
	jq '.linux.seccomp.syscalls[1] = {names: ["rmdir"], action: "SCMP_ACT_ALLOW", errnoRet: 1}' \
		config.json >c.json && mv c.json config.json
	run husk create "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[1]"* ]]
	[ ! -e "$ROOT/$ID" ]
	[ -z "$(ls -d /sys/fs/cgroup/*/husk/"$ID" 2>/dev/null)" ]
	[ "$(find "$CACHE" -type f 2>/dev/null | wc -l)" -eq 0 ]
}

@test "seccomp cache: a cache directory others can write is neither read nor written" {
	cd "$BUNDLE"
	mkdir -m 0777 "$CACHE"
	# an entry planted there would let anyone choose a container's filter
	run husk run "$ID"
	[ "$status" -eq 0 ]
	filtered "$output"
	[ "$(find "$CACHE" -type f | wc -l)" -eq 0 ]
}

@test "seccomp cache: HUSK_SECCOMP_CACHE empty turns it off; a cache directory with a missing parent is no error" {
	cd "$BUNDLE"
	HUSK_SECCOMP_CACHE= run husk run "$ID"
	[ "$status" -eq 0 ]
	filtered "$output"
	[ ! -e "$CACHE" ]
	HUSK_SECCOMP_CACHE="$BATS_TEST_TMPDIR/no/such/dir" run husk run "$ID"
	[ "$status" -eq 0 ]
	filtered "$output"
}
