#!/usr/bin/env bats
# The command line: global flags, help, version, usage errors, and the
# commands of the foundation (spec, features, state, list).  Behaviour is
# checked against runc 1.1.5's where husk mirrors it.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	setup_root
}

# --help and -h print the NAME/USAGE/COMMANDS/GLOBAL OPTIONS help and exit 0.
@test "help: --help, -h and no arguments print the usage" {
	for args in --help -h ""; do
		run "$HUSK" $args
		[ "$status" -eq 0 ]
		[[ "$output" == *"NAME:"* ]]
		[[ "$output" == *"USAGE:"* ]]
		[[ "$output" == *"COMMANDS:"* ]]
		[[ "$output" == *"GLOBAL OPTIONS:"* ]]
		for flag in --debug --log --log-format --root --criu --systemd-cgroup --rootless; do
			[[ "$output" == *"$flag"* ]]
		done
	done
}

# Every command has help through `husk CMD --help`, `-h` and `husk help CMD`.
@test "help: each command answers --help, -h and help CMD" {
	for cmd in create start run exec kill delete state list ps pause resume update spec features events checkpoint restore; do
		run "$HUSK" "$cmd" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"husk $cmd - "* ]]
		run "$HUSK" "$cmd" -h
		[ "$status" -eq 0 ]
		run "$HUSK" help "$cmd"
		[ "$status" -eq 0 ]
		[[ "$output" == *"husk $cmd - "* ]]
	done
}

# --version names husk, the commit, the spec and the libraries, like runc's.
@test "version: --version and -v list version, commit, spec and libraries" {
	for flag in --version -v; do
		run "$HUSK" "$flag"
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" =~ ^husk\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
		[[ "$output" == *$'\ncommit: '* ]]
		[[ "$output" == *$'\nspec: 1.3.0'* ]]
		[[ "$output" == *$'\nlibseccomp: '* ]]
		[[ "$output" == *$'\nlibcap: '* ]]
		[[ "$output" == *$'\nyajl: '* ]]
		[[ "$output" == *$'\nlibmount: '* ]]
	done
}

# The default build links husk as a static PIE (configure.ac: no dynamic
# loader at each of its two execve per container); then nothing of glibc
# may need loading at run time: --version (libmount) and list's OWNER
# (/etc/passwd, no NSS) work without it. The ASan build is dynamic.
@test "build: a static husk runs without the dynamic loader, --version and list OWNER included" {
	if readelf -l "$HUSK" | grep -q INTERP; then
		# the config.h of the tree this husk was built in (the ASan build has its own)
		grep -qs '^#define HUSK_STATIC_EXE 1' "$(dirname "$HUSK")/config.h" &&
			{ echo "configured static, but $HUSK has a program interpreter"; return 1; }
		skip "$HUSK is linked dynamically (--disable-static-exe or the sanitizer build)"
	fi
	run readelf -d "$HUSK"
	[[ "$output" != *NEEDED* ]]
	run "$HUSK" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ $'\n'libmount:\ [0-9]+\.[0-9]+ ]]
	local root
	root=$(mktemp -d)
	mkdir -p "$root/c1"
	run "$HUSK" --root "$root" list
	rm -rf "$root"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == c1\ * ]]
	[[ "${lines[1]}" == *\ root ]]
}

# An unknown global flag: "Incorrect Usage" + help on stdout, the error on
# stderr, exit 1 (runc --bogus).
@test "usage: unknown global flag exits 1" {
	run --separate-stderr "$HUSK" --bogus
	[ "$status" -eq 1 ]
	[[ "$output" == "Incorrect Usage. flag provided but not defined: -bogus"* ]]
	[[ "$stderr" == *"flag provided but not defined: -bogus"* ]]
}

# An unknown command flag: runc list --bogus.
@test "usage: unknown command flag exits 1" {
	run --separate-stderr husk list --bogus
	[ "$status" -eq 1 ]
	[[ "$output" == "Incorrect Usage: flag provided but not defined: -bogus"* ]]
	[[ "$output" == *"husk list - "* ]]
}

# A flag that needs a value but has none.
@test "usage: a value flag at the end exits 1" {
	run --separate-stderr "$HUSK" --root
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"flag needs an argument: -root"* ]]
}

# An unknown command: runc prints "No help topic for 'X'" and exits 3.
@test "usage: unknown command exits 3 with No help topic" {
	run --separate-stderr "$HUSK" bogus
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"No help topic for 'bogus'"* ]]
	run --separate-stderr "$HUSK" help bogus
	[ "$status" -eq 3 ]
}

# checkpoint/restore: tests/integration/checkpoint.bats (flags, errors on a
# host without a usable CRIU) and checkpoint-vm.sh (CRIU at work, in the VM).

# Global flags take one or two dashes and "--flag value" or "--flag=value".
@test "usage: -root, --root=DIR and --root DIR are the same" {
	for args in "-root $ROOT" "--root=$ROOT" "-root=$ROOT" "--root $ROOT"; do
		run "$HUSK" $args list -q
		[ "$status" -eq 0 ]
	done
	fake_container c1 stopped 0
	run "$HUSK" -root="$ROOT" list -q
	[ "$output" = "c1" ]
}

# The runc compatibility flags are accepted.
@test "usage: --systemd-cgroup, --criu, --rootless, --debug are accepted" {
	run "$HUSK" --root "$ROOT" --debug --systemd-cgroup --criu /bin/false --rootless=auto list
	[ "$status" -eq 0 ]
	run "$HUSK" --root "$ROOT" --debug=false list
	[ "$status" -eq 0 ]
}

# husk spec writes runc's config.json, differing only in ociVersion.
@test "spec: config.json equals runc spec apart from ociVersion" {
	cd "$BATS_TEST_TMPDIR"
	run "$HUSK" spec
	[ "$status" -eq 0 ]
	[ -f config.json ]
	[ "$(jq -r .ociVersion config.json)" = "1.3.0" ]
	if ! command -v runc >/dev/null; then
		skip "runc is not installed"
	fi
	mkdir runc-bundle
	runc spec --bundle runc-bundle
	diff <(jq -S 'del(.ociVersion)' config.json) <(jq -S 'del(.ociVersion)' runc-bundle/config.json)
	# Byte for byte too: same indentation, no final newline.
	diff <(sed 1,2d config.json) <(sed 1,2d runc-bundle/config.json)
}

# The generated config validates against the OCI config schema.
@test "spec: config.json validates against config-schema.json" {
	run husk spec --bundle "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	validate_json config-schema.json "$BATS_TEST_TMPDIR/config.json"
}

# An existing config.json is kept: runc's message, exit 1.
@test "spec: refuses to overwrite config.json" {
	cd "$BATS_TEST_TMPDIR"
	echo '{}' >config.json
	run --separate-stderr "$HUSK" spec
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"File config.json exists. Remove it first"* ]]
	[ "$(cat config.json)" = "{}" ]
}

# -b names the bundle; --rootless gives runc's rootless variant.
@test "spec: --rootless with -b matches runc spec --rootless" {
	mkdir "$BATS_TEST_TMPDIR/b"
	run "$HUSK" spec --rootless -b "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	local cfg="$BATS_TEST_TMPDIR/b/config.json"
	validate_json config-schema.json "$cfg"
	[ "$(jq -r '.linux.namespaces | map(.type) | index("user") != null' "$cfg")" = true ]
	[ "$(jq -r '.linux.namespaces | map(.type) | index("network")' "$cfg")" = null ]
	[ "$(jq -r '.linux.uidMappings[0].hostID' "$cfg")" = "$(id -u)" ]
	if command -v runc >/dev/null; then
		mkdir "$BATS_TEST_TMPDIR/r"
		runc spec --rootless -b "$BATS_TEST_TMPDIR/r"
		diff <(jq -S 'del(.ociVersion)' "$cfg") <(jq -S 'del(.ociVersion)' "$BATS_TEST_TMPDIR/r/config.json")
	fi
}

# husk features validates against features-schema.json and has the key lists.
@test "features: validates and lists versions, capabilities, seccomp" {
	run --separate-stderr "$HUSK" features
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/features.json"
	validate_json features-schema.json "$BATS_TEST_TMPDIR/features.json"
	local f="$BATS_TEST_TMPDIR/features.json"
	[ "$(jq -r .ociVersionMin "$f")" = "1.0.0" ]
	[ "$(jq -r .ociVersionMax "$f")" = "1.3.0" ]
	[ "$(jq -r '.linux.capabilities | index("CAP_SYS_ADMIN") != null' "$f")" = true ]
	[ "$(jq -r '.linux.seccomp.archs | length > 0' "$f")" = true ]
	[ "$(jq -r '.mountOptions | index("rbind") != null' "$f")" = true ]
}

# An empty root: the table header only, "null" as JSON, nothing with -q.
@test "list: empty root prints the header, null, or nothing" {
	run husk list
	[ "$status" -eq 0 ]
	[ "$output" = "ID          PID         STATUS      BUNDLE      CREATED     OWNER" ]
	run husk list --format json
	[ "$output" = "null" ]
	run husk list -f json
	[ "$output" = "null" ]
	run husk list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# A root that does not exist is an empty list, not an error.
@test "list: missing root prints the header" {
	run "$HUSK" --root "$BATS_TEST_TMPDIR/nope" list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

# An unknown --format is runc's "invalid format option".
@test "list: bad --format fails" {
	run --separate-stderr husk list --format xml
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid format option"* ]]
}

# Containers are listed sorted, tabwriter-aligned; a dead init shows stopped, pid 0.
@test "list: table, json and quiet with containers" {
	sleep 100 &
	local pid=$!
	fake_container b-live created "$pid"
	fake_container a-dead running 999999999
	run husk list
	kill "$pid"
	[ "$status" -eq 0 ]
	# Column width: the widest cell + 3, at least 12 (runc's tabwriter).
	[ "${lines[0]}" = "ID          PID         STATUS      BUNDLE        CREATED                          OWNER" ]
	[ "${lines[1]}" = "a-dead      0           stopped     /srv/a-dead   2024-01-02T03:04:05.123456789Z   $(id -un)" ]
	[[ "${lines[2]}" == "b-live      $pid"*"created "* ]]
	run husk list -q
	[ "$output" = $'a-dead\nb-live' ]
	run husk list -f json
	[ "$(echo "$output" | jq -r '.[0].owner')" = "$(id -un)" ]
	[ "$(echo "$output" | jq -r 'map(.id) | join(",")')" = "a-dead,b-live" ]
}

# state prints runc's document: two-space indent, runc's field order,
# annotations sorted, owner empty, no final newline.
@test "state: prints the OCI state like runc" {
	fake_container c1 running 999999999
	run husk state c1
	[ "$status" -eq 0 ]
	expected='{
  "ociVersion": "1.3.0",
  "id": "c1",
  "pid": 0,
  "status": "stopped",
  "bundle": "/srv/c1",
  "rootfs": "/srv/c1/rootfs",
  "created": "2024-01-02T03:04:05.123456789Z",
  "annotations": {
    "a.key": "1",
    "b.key": "2"
  },
  "owner": ""
}'
	[ "$output" = "$expected" ]
	husk state c1 >"$BATS_TEST_TMPDIR/state.json"
	validate_json state-schema.json "$BATS_TEST_TMPDIR/state.json"
}

# An unknown container: runc's "container does not exist", exit 1.
@test "state: unknown ID says container does not exist" {
	run --separate-stderr husk state nothere
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container does not exist"* ]]
}

# No ID: usage and "requires exactly 1 argument(s)", exit 1, like runc.
@test "state: missing ID is a usage error" {
	run --separate-stderr husk state
	[ "$status" -eq 1 ]
	[[ "$output" == "Incorrect Usage."* ]]
	[[ "$stderr" == *'"state" requires exactly 1 argument(s)'* ]]
}

# IDs that are not runc's format are refused before touching the filesystem.
@test "state: bad IDs are rejected with runc's message" {
	for id in ../etc a/b . .. /abs 'sp ace' 'caf'$'\xc3\xa9' "$(printf 'a%.0s' {1..256})"; do
		run --separate-stderr husk state "$id"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"invalid container ID format"* ]]
	done
	run --separate-stderr husk state ""
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container id cannot be empty"* ]]
}

# --log appends the error as logrus text; stderr still gets it.
@test "log: --log writes the error in text format" {
	local log="$BATS_TEST_TMPDIR/husk.log"
	run --separate-stderr "$HUSK" --root "$ROOT" --log "$log" state nothere
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container does not exist"* ]]
	grep -E '^time="[^"]+" level=error msg="container does not exist"$' "$log"
}

# --log-format json writes one JSON object per line.
@test "log: --log-format json writes JSON lines" {
	local log="$BATS_TEST_TMPDIR/husk.json"
	run "$HUSK" --root "$ROOT" --log "$log" --log-format json state nothere
	[ "$status" -eq 1 ]
	[ "$(jq -r .level "$log")" = error ]
	[ "$(jq -r .msg "$log")" = "container does not exist" ]
	[ "$(jq -r '.time | length > 0' "$log")" = true ]
}

# An unknown --log-format is an error (runc: "invalid log-format: X").
@test "log: invalid --log-format fails" {
	run --separate-stderr "$HUSK" --root "$ROOT" --log-format xml list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid log-format: xml"* ]]
}

# What a user typed may be echoed in an error: bytes that are not UTF-8
# become U+FFFD, on stderr and in the --log-format json log (valid JSON).
@test "errors: invalid UTF-8 in an argument is printed as U+FFFD, the JSON log stays valid" {
	run --separate-stderr "$HUSK" --root "$ROOT" --log "$BATS_TEST_TMPDIR/log.json" --log-format json \
		spec --bundle $'/nonexistent\xff\xc0\x80dir'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *$'/nonexistent\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbddir'* ]]
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]' \
		"$BATS_TEST_TMPDIR/log.json"
	grep -q 'nonexistent' "$BATS_TEST_TMPDIR/log.json"
}
