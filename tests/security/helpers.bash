# Shared setup of the escape probes (tests/security): each test plays an
# attacker — a hostile image or config — against the runtime under test.
# RUNTIME (default: husk of this tree) is what is attacked; REFERENCE_RUNTIME
# (runc when installed) is attacked the same way where that is safe, as the
# reference.

bats_require_minimum_version 1.5.0

RUNTIME="${RUNTIME:-${HUSK:-$BATS_TEST_DIRNAME/../../husk}}"
CONTRIB="$BATS_TEST_DIRNAME/../../contrib"

# sec_setup_file: a busybox bundle shared by the file's tests.
sec_setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	export BASE="$BATS_FILE_TMPDIR/base"
	sh "$CONTRIB/make-busybox-bundle.sh" "$RUNTIME" "$BASE" >/dev/null
}

# sec_setup: a private --root, an ID and an empty bundle directory per test.
sec_setup() {
	ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$ROOT"
	ID="sec$$-$BATS_TEST_NUMBER"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
}

sec_teardown() {
	rt delete --force "$ID" >/dev/null 2>&1 || true
}

# rt ARGS...: the runtime under test with this test's state root.
rt() {
	"$RUNTIME" --root "$ROOT" "$@"
}

# ref ARGS...: the reference runtime (runc) with its own state root.
ref() {
	mkdir -p "$BATS_TEST_TMPDIR/ref-root"
	runc --root "$BATS_TEST_TMPDIR/ref-root" "$@"
}

# make_config SCRIPT [JQ-FILTER]: config.json of `spec` running `sh -c SCRIPT`
# on a private copy-free read-only view of the shared rootfs.
make_config() {
	jq --arg rootfs "$BASE/rootfs" --arg s "$1" '
		.root = {path: $rootfs, readonly: true}
		| .process.terminal = false
		| .process.args = ["sh", "-c", $s]
		| '"${2:-.}" "$BASE/config.json" >"$BUNDLE/config.json"
}

# own_rootfs: give this test a writable rootfs of its own (the attack plants
# files in the image); sets ROOTFS.
own_rootfs() {
	ROOTFS="$BATS_TEST_TMPDIR/rootfs"
	cp -a "$BASE/rootfs" "$ROOTFS"
}
