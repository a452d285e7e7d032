#!/usr/bin/env bats
# runtime.md: state, lifecycle, operations, errors; runtime-linux.md

bats_require_minimum_version 1.5.0
load helpers

# ------------------------------------------------------------------ State ---

@test "runtime.md State: state JSON has ociVersion, id, status, pid, bundle" {
	sleeper
	created
	s=$(state_json)
	for k in ociVersion id status pid bundle; do
		jq -e --arg k "$k" 'has($k)' <<<"$s" >/dev/null || { echo "no $k in $s" >&2; false; }
	done
	eq "$(jq -r .id <<<"$s")" "$CID" id
	eq "$(jq -r .bundle <<<"$s")" "$BUNDLE" bundle
	eq "$(jq -r '.pid | type' <<<"$s")" number "pid type"
	# ociVersion is SemVer 2.0.0
	[[ "$(jq -r .ociVersion <<<"$s")" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]
}

@test "runtime.md State: bundle is an absolute path even when create was given a relative one" {
	sleeper
	CIDS+=("$CID")
	(cd "$T" && rt create --bundle bundle "$CID" </dev/null >/dev/null 2>&1)
	eq "$(state_json | jq -r .bundle)" "$BUNDLE" bundle
}

@test "runtime.md State: annotations from config.json appear in the state" {
	sleeper
	cfg '.annotations = {"org.example.key": "value-1"}'
	created
	eq "$(state_json | jq -r '.annotations["org.example.key"]')" value-1 annotation
}

@test "runtime.md Lifecycle: create leaves the container in state created with the init's pid" {
	sleeper
	created
	s=$(state_json)
	eq "$(jq -r .status <<<"$s")" created status
	pid=$(jq -r .pid <<<"$s")
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
}

@test "runtime.md Lifecycle: process.args is not run by create, only by start" {
	share
	cmd 'echo ran >/shared/ran; while :; do sleep 1; done'
	created
	sleep 0.5
	[ ! -e "$SHARED/ran" ]
	rt start "$CID"
	wait_file "$SHARED/ran"
}

@test "runtime.md Lifecycle: status goes created -> running -> stopped" {
	share
	cmd 'while [ ! -e /shared/go ]; do sleep 0.1; done'
	created
	eq "$(state_status)" created
	rt start "$CID"
	eq "$(state_status)" running
	touch "$SHARED/go"
	wait_status stopped
}

@test "runtime.md Lifecycle: updates to config.json after create do not affect the container" {
	share
	cmd 'echo first >/shared/out'
	created
	cmd 'echo second >/shared/out'
	rt start "$CID"
	wait_file "$SHARED/out"
	wait_status stopped
	eq "$(cat "$SHARED/out")" first
}

@test "runtime.md Lifecycle: the pid in the state is the process that runs the program" {
	sleeper
	started
	pid=$(state_pid)
	grep -q "$MARK" "/proc/$pid/cmdline"
}

# ------------------------------------------------------------ Operations ---

@test "runtime.md Query State: state of an unknown container fails" {
	run rt state does-not-exist
	[ "$status" -ne 0 ]
}

@test "runtime.md Query State: state without an id fails" {
	run rt state
	[ "$status" -ne 0 ]
}

@test "runtime.md Create: create without an id fails" {
	run rt create --bundle "$BUNDLE" </dev/null
	[ "$status" -ne 0 ]
	no_state
}

@test "runtime.md Create: a duplicate id fails and does not create a container" {
	sleeper
	created
	pid=$(state_pid)
	create_ctr "$CID"
	[ "$status" -ne 0 ]
	# the first container is untouched
	eq "$(state_status)" created
	eq "$(state_pid)" "$pid"
	eq "$(rt list -q)" "$CID"
}

@test "runtime.md Create: --pid-file holds the container's pid" {
	sleeper
	create_ctr "$CID" --pid-file "$T/pidfile"
	ok
	eq "$(cat "$T/pidfile")" "$(state_pid)" "pid file"
}

@test "runtime.md Create: a missing rootfs fails and leaves no state" {
	sleeper
	rm -rf "$BUNDLE/rootfs"
	create_ctr
	failed_cleanly
}

@test "runtime.md Create: a bundle without config.json fails and leaves no state" {
	rm "$BUNDLE/config.json"
	create_ctr
	failed_cleanly
}

@test "runtime.md Create: a bind mount with a missing source fails and leaves no state" {
	sleeper
	cfg --arg s "$T/nonexistent" '.mounts += [{"destination": "/x", "type": "bind", "source": $s, "options": ["bind"]}]'
	create_ctr
	failed_cleanly
}

@test "runtime.md Create: a property that cannot be applied fails (unknown namespace type)" {
	sleeper
	cfg '.linux.namespaces += [{"type": "nonsense"}]'
	create_ctr
	failed_cleanly
}

@test "runtime.md Start: start runs the program (output visible)" {
	cmd 'echo hello-from-start'
	started
	wait_status stopped
	eq "$(ctr_output)" hello-from-start
}

@test "runtime.md Start: start of a running container fails and has no effect" {
	sleeper
	started
	pid=$(state_pid)
	run rt start "$CID"
	[ "$status" -ne 0 ]
	eq "$(state_status)" running
	eq "$(state_pid)" "$pid"
}

@test "runtime.md Start: start of a stopped container fails" {
	cmd 'true'
	started
	wait_status stopped
	run rt start "$CID"
	[ "$status" -ne 0 ]
	eq "$(state_status)" stopped
}

@test "runtime.md Start: start of an unknown container fails" {
	run rt start does-not-exist
	[ "$status" -ne 0 ]
}

@test "runtime.md Start: start without process fails" {
	cfg 'del(.process)'
	create_ctr
	if [ "$status" -eq 0 ]; then
		# a runtime may accept the create; start MUST fail then
		run rt start "$CID"
		[ "$status" -ne 0 ]
	else
		failed_cleanly
	fi
}

@test "runtime.md Kill: kill sends the signal (TERM) to the container process" {
	share
	cmd 'trap "echo got-term >/shared/sig; exit 0" TERM; echo ready >/shared/ready; while :; do sleep 0.1; done'
	started
	wait_file "$SHARED/ready"
	rt kill "$CID" TERM
	wait_file "$SHARED/sig"
	eq "$(cat "$SHARED/sig")" got-term
	wait_status stopped
}

@test "runtime.md Kill: signal names KILL, SIGKILL and 9 are accepted" {
	for sig in KILL SIGKILL 9; do
		id="$CID-$sig"
		sleeper
		started "$id"
		rt kill "$id" "$sig"
		wait_status stopped "$id"
		rt delete "$id"
	done
}

@test "runtime.md Kill: kill of a created container is allowed" {
	sleeper
	created
	rt kill "$CID" KILL
	wait_status stopped
}

@test "runtime.md Kill: kill of a stopped container fails" {
	cmd 'true'
	started
	wait_status stopped
	run rt kill "$CID" KILL
	[ "$status" -ne 0 ]
	eq "$(state_status)" stopped
}

@test "runtime.md Kill: kill of an unknown container fails" {
	run rt kill does-not-exist KILL
	[ "$status" -ne 0 ]
}

@test "runtime.md Delete: delete of a running container without --force fails and has no effect" {
	sleeper
	started
	pid=$(state_pid)
	run rt delete "$CID"
	[ "$status" -ne 0 ]
	eq "$(state_status)" running
	kill -0 "$pid"
}

@test "runtime.md Delete: delete of a created container without --force fails and has no effect" {
	runc_fails "it deletes (kills) a created container without --force"
	sleeper
	created
	pid=$(state_pid)
	run rt delete "$CID"
	[ "$status" -ne 0 ]
	eq "$(state_status)" created
	kill -0 "$pid"
}

@test "runtime.md Delete: delete --force of a running container kills it and removes it" {
	sleeper
	started
	pid=$(state_pid)
	rt delete --force "$CID"
	run rt state "$CID"
	[ "$status" -ne 0 ]
	no_state
	no_procs
}

@test "runtime.md Delete: delete of a stopped container removes its state and resources" {
	cmd 'true'
	started
	wait_status stopped
	rt delete "$CID"
	run rt state "$CID"
	[ "$status" -ne 0 ]
	no_state
	no_mounts
}

@test "runtime.md Delete: delete of an unknown container fails" {
	run rt delete does-not-exist
	[ "$status" -ne 0 ]
}

@test "runtime.md Delete: resources not created by the container are not deleted (bind source)" {
	mkdir -p "$T/vol"
	echo keep >"$T/vol/file"
	cfg --arg s "$T/vol" '.mounts += [{"destination": "/vol", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]'
	cmd 'cat /vol/file'
	started
	wait_status stopped
	rt delete "$CID"
	eq "$(cat "$T/vol/file")" keep
}

# ------------------------------------------------------- run (runc CLI) ---

@test "runc CLI run: run returns the program's exit code" {
	cmd 'exit 42'
	run_ctr
	eq "$status" 42 "exit code"
}

@test "runc CLI run: run passes the program's stdout through" {
	cmd 'echo out-line; echo err-line >&2'
	run_ctr
	ok
	eq "$output" out-line stdout
	contains "$stderr" err-line
}

@test "runc CLI run: a container killed by a signal gives 128+signal" {
	sleeper
	CIDS+=("$CID")
	rt run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	runpid=$!
	wait_status running
	rt kill "$CID" KILL
	rc=0
	wait "$runpid" || rc=$?
	eq "$rc" $((128 + 9)) "exit code"
}

@test "runc CLI run: run --detach returns while the container runs" {
	sleeper
	CIDS+=("$CID")
	rt run --detach --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	eq "$(state_status)" running
}

@test "runc CLI run: run --keep keeps a stopped container's state" {
	cmd 'true'
	CIDS+=("$CID")
	rt run --keep --bundle "$BUNDLE" "$CID" </dev/null
	eq "$(state_status)" stopped
}

@test "runc CLI run: a run whose program cannot be executed fails and leaves no state" {
	cfg --arg m "$MARK" '.process.args = ["/no/such/binary", $m]'
	run_ctr
	failed_cleanly
}

@test "runc CLI list: list -q shows the containers of this --root" {
	sleeper
	created "$CID-a"
	created "$CID-b"
	eq "$(rt list -q | sort | tr '\n' ' ')" "$CID-a $CID-b " list
}

# -------------------------------------------------------- runtime-linux.md -

@test "runtime-linux.md File descriptors: only stdin, stdout and stderr are open" {
	cmd 'ls /proc/self/fd'
	run_ctr
	ok
	# ls itself opens one fd to read the directory (3)
	eq "$(echo $output)" "0 1 2 3" "fds"
}

@test "runtime-linux.md Dev symbolic links: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr" {
	cmd 'for l in fd stdin stdout stderr; do echo $l=$(readlink /dev/$l); done'
	run_ctr
	ok
	eq "$(echo $output)" "fd=/proc/self/fd stdin=/proc/self/fd/0 stdout=/proc/self/fd/1 stderr=/proc/self/fd/2"
}
