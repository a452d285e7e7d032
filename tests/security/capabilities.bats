#!/usr/bin/env bats
# Issue 7.4 — absent capability sets must keep no capability.
# config.md "process.capabilities": each set is the list of capabilities
# that are kept; an absent set (or no capabilities object at all) keeps none.
# What engines write: podman --cap-drop ALL and Kubernetes drop: [ALL] give
# "capabilities": {} or sets with only some keys.  runc and crun give 0.

load helpers

setup_file() { sec_setup_file; }
setup() { sec_setup; }
teardown() { sec_teardown; }

CAPS_SCRIPT='grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status | tr -s "\t " " "'
ZERO="CapInh: 0000000000000000
CapPrm: 0000000000000000
CapEff: 0000000000000000
CapBnd: 0000000000000000
CapAmb: 0000000000000000"

# caps_with RUNNER JQ-FILTER: the capability lines the workload sees.
caps_with() {
	make_config "$CAPS_SCRIPT" "$2"
	run --separate-stderr "$1" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || { echo "$1 run: $status $stderr"; return 1; }
	echo "$output"
}

@test "config.md capabilities: no capabilities object keeps no capability (run, and runc)" {
	out=$(caps_with rt 'del(.process.capabilities) | .process.noNewPrivileges = false')
	echo "husk: $out"
	[ "$out" = "$ZERO" ]
	if command -v runc >/dev/null; then
		out=$(caps_with ref 'del(.process.capabilities) | .process.noNewPrivileges = false')
		echo "runc: $out"
		[ "$out" = "$ZERO" ]
	fi
}

@test "config.md capabilities: {} (podman --cap-drop ALL, Kubernetes drop: [ALL]) keeps none" {
	out=$(caps_with rt '.process.capabilities = {} | .process.noNewPrivileges = false')
	echo "husk: $out"
	[ "$out" = "$ZERO" ]
	if command -v runc >/dev/null; then
		out=$(caps_with ref '.process.capabilities = {} | .process.noNewPrivileges = false')
		[ "$out" = "$ZERO" ]
	fi
}

@test "config.md capabilities: only effective+permitted given: no bounding set, nothing after execve" {
	f='.process.capabilities = {effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]} | .process.noNewPrivileges = false'
	out=$(caps_with rt "$f")
	echo "husk: $out"
	[ "$out" = "$ZERO" ]
	if command -v runc >/dev/null; then
		out=$(caps_with ref "$f")
		echo "runc: $out"
		[ "$out" = "$ZERO" ]
	fi
}

@test "config.md capabilities: a non-root user without a capabilities object has none" {
	out=$(caps_with rt 'del(.process.capabilities) | .process.user = {uid: 65534, gid: 65534}')
	echo "$out"
	[ "$out" = "$ZERO" ]
}

@test "config.md capabilities: the listed sets are exactly what is kept" {
	f='.process.capabilities = {bounding: ["CAP_CHOWN","CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	out=$(caps_with rt "$f")
	echo "$out"
	# CAP_CHOWN is bit 0, CAP_KILL bit 5; uid 0's execve recomputes permitted
	# and effective from the bounding set
	[[ "$out" == *"CapBnd: 0000000000000021"* ]]
	[[ "$out" == *"CapInh: 0000000000000000"* ]]
	[[ "$out" == *"CapAmb: 0000000000000000"* ]]
}

# exec: the process of `exec` gets the container's (empty) sets, --cap adds
# only the named capability.
@test "exec into a container without a capabilities object: no capability; --cap adds just it" {
	make_config 'sleep 60' 'del(.process.capabilities)'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null
	run --separate-stderr rt exec "$ID" sh -c "$CAPS_SCRIPT"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$output" = "$ZERO" ]
	run --separate-stderr rt exec --cap CAP_KILL "$ID" sh -c "$CAPS_SCRIPT"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *"CapBnd: 0000000000000020"* ]]
	[[ "$output" == *"CapEff: 0000000000000020"* ]]
	[[ "$output" == *"CapPrm: 0000000000000020"* ]]
	[[ "$output" == *"CapInh: 0000000000000000"* ]]
	# exec -p with a process.json that has no capabilities: none either
	jq -n '{args: ["sh", "-c", $s], cwd: "/", user: {uid: 0, gid: 0}}' --arg s "$CAPS_SCRIPT" \
		>"$BATS_TEST_TMPDIR/process.json"
	run --separate-stderr rt exec -p "$BATS_TEST_TMPDIR/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$ZERO" ]
}

@test "exec into a container with {} capabilities: no capability" {
	make_config 'sleep 60' '.process.capabilities = {}'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null
	run --separate-stderr rt exec "$ID" sh -c "$CAPS_SCRIPT"
	[ "$status" -eq 0 ]
	[ "$output" = "$ZERO" ]
}
