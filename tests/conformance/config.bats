#!/usr/bin/env bats
# config.md: root, mounts, process, user, hostname, domainname, annotations

bats_require_minimum_version 1.5.0
load helpers

# ------------------------------------------------------------------- Root ---

@test "config.md Root: root.path relative to the bundle is the container's /" {
	mv "$BUNDLE/rootfs" "$BUNDLE/other-root"
	echo "$MARK" >"$BUNDLE/other-root/etc/marker"
	cfg '.root.path = "other-root"'
	cmd 'cat /etc/marker'
	run_ctr
	ok
	eq "$output" "$MARK"
}

@test "config.md Root: root.path may be absolute" {
	mv "$BUNDLE/rootfs" "$T/abs-root"
	echo "$MARK" >"$T/abs-root/etc/marker"
	cfg --arg p "$T/abs-root" '.root.path = $p'
	cmd 'cat /etc/marker'
	run_ctr
	ok
	eq "$output" "$MARK"
}

@test "config.md Root: root.readonly makes / read-only (EROFS)" {
	cfg '.root.readonly = true'
	cmd 'touch /newfile'
	run_ctr
	[ "$status" -ne 0 ]
	contains "$stderr" "Read-only file system"
	[ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "config.md Root: root.readonly false leaves / writable" {
	cmd 'touch /newfile && echo ok'
	run_ctr
	ok
	[ -e "$BUNDLE/rootfs/newfile" ]
}

# ----------------------------------------------------------------- Mounts ---

@test "config.md Mounts: entries are mounted in order (a later mount hides an earlier one)" {
	mkdir -p "$T/a" "$T/b"
	echo A >"$T/a/who"
	echo B >"$T/b/who"
	cfg --arg a "$T/a" --arg b "$T/b" '.mounts += [
	  {"destination": "/data", "type": "bind", "source": $a, "options": ["rbind"]},
	  {"destination": "/data", "type": "bind", "source": $b, "options": ["rbind"]}]'
	cmd 'cat /data/who'
	run_ctr
	ok
	eq "$output" B
}

@test "config.md Mounts: a later mount can nest inside an earlier one" {
	mkdir -p "$T/b"
	echo B >"$T/b/who"
	cfg --arg b "$T/b" '.mounts += [
	  {"destination": "/outer", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
	  {"destination": "/outer/inner", "type": "bind", "source": $b, "options": ["rbind"]}]'
	cmd 'cat /outer/inner/who; grep -c " /outer" /proc/self/mountinfo'
	run_ctr
	ok
	eq "$(echo $output)" "B 2"
}

@test "config.md Mounts: bind mount with ro is read-only" {
	mkdir -p "$T/vol"
	echo data >"$T/vol/f"
	cfg --arg s "$T/vol" '.mounts += [{"destination": "/vol", "type": "bind", "source": $s, "options": ["rbind", "ro"]}]'
	cmd 'cat /vol/f; touch /vol/new'
	run_ctr
	[ "$status" -ne 0 ]
	eq "$output" data
	contains "$stderr" "Read-only file system"
	[ ! -e "$T/vol/new" ]
}

@test "config.md Mounts: bind mount rw writes through to the source" {
	mkdir -p "$T/vol"
	cfg --arg s "$T/vol" '.mounts += [{"destination": "/vol", "type": "none", "source": $s, "options": ["bind", "rw"]}]'
	cmd 'echo written >/vol/f'
	run_ctr
	ok
	eq "$(cat "$T/vol/f")" written
}

@test "config.md Mounts: tmpfs options (size, mode) are applied" {
	cfg '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=2m", "mode=1770"]}]'
	cmd 'grep " /scratch " /proc/mounts; stat -c %a /scratch'
	run_ctr
	ok
	line=$(head -1 <<<"$output")
	contains "$line" "tmpfs /scratch tmpfs"
	contains "$line" "nosuid"
	contains "$line" "nodev"
	contains "$line" "size=2048k"
	contains "$line" "mode=1770"
	eq "$(tail -1 <<<"$output")" 1770 mode
}

@test "config.md Mounts: option strings ro, noexec, nosuid, nodev, noatime appear in the mount flags" {
	cfg '.mounts += [{"destination": "/flags", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "noexec", "nosuid", "nodev", "noatime"]}]'
	cmd 'grep " /flags " /proc/self/mountinfo'
	run_ctr
	ok
	opts=$(awk '{print $6}' <<<"$output")
	for o in ro noexec nosuid nodev noatime; do
		[[ ",$opts," == *",$o,"* ]] || { echo "missing $o in $opts" >&2; false; }
	done
}

@test "config.md Mounts: a missing destination is created" {
	cfg '.mounts += [{"destination": "/new/deep/dir", "type": "tmpfs", "source": "tmpfs"}]'
	cmd 'grep -c " /new/deep/dir " /proc/mounts'
	run_ctr
	ok
	eq "$output" 1
	[ -d "$BUNDLE/rootfs/new/deep/dir" ]
}

@test "config.md Mounts: a file bind mount gets a file destination" {
	echo filedata >"$T/single"
	cfg --arg s "$T/single" '.mounts += [{"destination": "/etc/single", "type": "bind", "source": $s, "options": ["bind", "ro"]}]'
	cmd 'cat /etc/single'
	run_ctr
	ok
	eq "$output" filedata
}

# A destination under a symlink must be resolved inside the rootfs (or the
# create refused): the host directory the link names must stay untouched.
@test "config.md Mounts: a symlink in the rootfs used as destination stays inside the rootfs (absolute link)" {
	mkdir -p "$T/escape"
	# /evil -> the host path of a directory; a careless runtime mounts on the host dir
	ln -s "$T/escape" "$BUNDLE/rootfs/evil"
	cfg '.mounts += [{"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	cmd 'echo inside >/evil/sub/f && cat /evil/sub/f'
	run_ctr
	if [ "$status" -eq 0 ]; then
		eq "$output" inside
		# it was resolved inside the rootfs
		[ -d "$BUNDLE/rootfs$T/escape/sub" ]
	else
		failed_cleanly
	fi
	# nothing was created on the host
	eq "$(ls -A "$T/escape")" "" "host dir content"
}

@test "config.md Mounts: a symlink in the rootfs used as destination stays inside the rootfs (../ link)" {
	mkdir -p "$T/escape"
	ln -s "../../../../../../../../../../../../..$T/escape" "$BUNDLE/rootfs/evil"
	cfg '.mounts += [{"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	cmd 'echo inside >/evil/sub/f'
	run_ctr
	[ "$status" -eq 0 ] || failed_cleanly
	eq "$(ls -A "$T/escape")" "" "host dir content"
}

@test "config.md Mounts: a symlink to an existing host dir used as destination is resolved in the rootfs" {
	mkdir -p "$T/escape/sub" "$BUNDLE/rootfs$T/escape/sub"
	ln -s "$T/escape" "$BUNDLE/rootfs/evil"
	cfg '.mounts += [{"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	cmd 'echo inside >/evil/sub/f && grep -c " '"$T"'/escape/sub " /proc/self/mountinfo'
	run_ctr
	ok
	eq "$output" 1
	eq "$(ls -A "$T/escape/sub")" "" "host dir content"
}

@test "config.md Mounts: relative destination is interpreted relative to /" {
	cfg '.mounts += [{"destination": "reldest", "type": "tmpfs", "source": "tmpfs"}]'
	cmd 'grep -c " /reldest " /proc/mounts'
	run_ctr
	ok
	eq "$output" 1
}

@test "config.md Mounts: no mount is visible on the host after the container is gone" {
	mkdir -p "$T/vol"
	cfg --arg s "$T/vol" '.mounts += [{"destination": "/vol", "type": "bind", "source": $s, "options": ["rbind"]}]'
	cmd 'true'
	run_ctr
	ok
	no_mounts
}

# ---------------------------------------------------------------- Process ---

@test "config.md Process: args are passed verbatim" {
	cfg --arg m "$MARK" '.process.args = ["sh", "-c", "for a in \"$@\"; do echo \"[$a]\"; done", $m, "a b", "", "*", "$HOME"]'
	run_ctr
	ok
	eq "$output" $'[a b]\n[]\n[*]\n[$HOME]'
}

@test "config.md Process: args[0] is looked up like execvp (PATH)" {
	cfg --arg m "$MARK" '.process.args = ["echo", "via-path", $m]'
	run_ctr
	ok
	eq "$output" "via-path $MARK"
}

@test "config.md Process: env is the program's environment" {
	cfg '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
	cmd 'env | sort'
	run_ctr
	ok
	contains "$output" "FOO=bar baz"
	contains "$output" "EMPTY="
	contains "$output" "PATH=/bin"
}

@test "config.md Process: cwd is the working directory" {
	cfg '.process.cwd = "/etc"'
	cmd 'pwd'
	run_ctr
	ok
	eq "$output" /etc
}

@test "config.md Process: terminal false leaves stdio as given (no tty)" {
	cmd 'if [ -t 0 ] || [ -t 1 ]; then echo tty; else echo notty; fi'
	run_ctr
	ok
	eq "$output" notty
}

@test "config.md Process: rlimits soft and hard values are set" {
	cfg '.process.rlimits = [
	  {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
	  {"type": "RLIMIT_CORE", "soft": 1024, "hard": 4096},
	  {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
	  {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192}]'
	cmd 'cat /proc/self/limits'
	run_ctr
	ok
	lim() { grep "^$1" <<<"$output" | sed "s/^$1 *//" | awk '{print $1, $2}'; }
	eq "$(lim 'Max open files')" "512 1024" NOFILE
	eq "$(lim 'Max core file size')" "1024 4096" CORE
	eq "$(lim 'Max processes')" "300 400" NPROC
	eq "$(lim 'Max msgqueue size')" "4096 8192" MSGQUEUE
}

@test "config.md Process: an unknown rlimit type is an error" {
	sleeper
	cfg '.process.rlimits = [{"type": "RLIMIT_NONSENSE", "soft": 1, "hard": 1}]'
	create_ctr
	failed_cleanly
}

@test "config.md Process: duplicated rlimits entries are an error" {
	sleeper
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}, {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 300}]'
	create_ctr
	failed_cleanly
}

# ------------------------------------------------------------ Linux Process -

@test "config.md Linux Process: capabilities sets match /proc/self/status" {
	cfg '.process.capabilities = {
	  "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"],
	  "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
	  "effective": ["CAP_CHOWN", "CAP_KILL"],
	  "inheritable": ["CAP_KILL", "CAP_NET_RAW"],
	  "ambient": ["CAP_KILL"]}'
	cmd 'grep ^Cap /proc/self/status'
	run_ctr
	ok
	cap() { grep "^$1:" <<<"$output" | awk '{print $2}'; }
	eq "$(cap CapBnd)" "$(capmask CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_SETUID)" CapBnd
	eq "$(cap CapInh)" "$(capmask CAP_KILL CAP_NET_RAW)" CapInh
	eq "$(cap CapAmb)" "$(capmask CAP_KILL)" CapAmb
	# as root, execve recomputes P' = (P inheritable & F) | (F permitted & bounding) | ambient...
	# uid 0 with no file caps: P'(permitted) = (inheritable | bounding) & ...; the spec's
	# observable contract is the bounding, inheritable and ambient sets above
}

@test "config.md Linux Process: capabilities of a non-root process (permitted, effective via ambient)" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}
	  | .process.capabilities = {
	  "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
	  "permitted": ["CAP_CHOWN", "CAP_KILL"],
	  "effective": ["CAP_CHOWN", "CAP_KILL"],
	  "inheritable": ["CAP_CHOWN", "CAP_KILL"],
	  "ambient": ["CAP_CHOWN", "CAP_KILL"]}'
	cmd 'grep ^Cap /proc/self/status'
	run_ctr
	ok
	cap() { grep "^$1:" <<<"$output" | awk '{print $2}'; }
	want=$(capmask CAP_CHOWN CAP_KILL)
	eq "$(cap CapPrm)" "$want" CapPrm
	eq "$(cap CapEff)" "$want" CapEff
	eq "$(cap CapAmb)" "$want" CapAmb
	eq "$(cap CapBnd)" "$(capmask CAP_CHOWN CAP_KILL CAP_NET_RAW)" CapBnd
}

@test "config.md Linux Process: no capabilities at all gives empty sets" {
	cfg '.process.capabilities = {"bounding": [], "permitted": [], "effective": [], "inheritable": [], "ambient": []}'
	cmd 'grep ^Cap /proc/self/status'
	run_ctr
	ok
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		eq "$(grep "^$c:" <<<"$output" | awk '{print $2}')" 0000000000000000 "$c"
	done
}

@test "config.md Linux Process: a capability missing from the bounding set cannot be used" {
	cfg '.process.capabilities = {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"], "effective": ["CAP_KILL"]}'
	cmd 'chown 1:1 /tmp'
	run_ctr
	[ "$status" -ne 0 ]
	contains "$stderr" "Operation not permitted"
}

@test "config.md Linux Process: noNewPrivileges true sets NoNewPrivs" {
	cfg '.process.noNewPrivileges = true'
	cmd 'grep ^NoNewPrivs /proc/self/status'
	run_ctr
	ok
	eq "$(echo $output)" "NoNewPrivs: 1"
}

@test "config.md Linux Process: noNewPrivileges false leaves NoNewPrivs unset" {
	cfg '.process.noNewPrivileges = false'
	cmd 'grep ^NoNewPrivs /proc/self/status'
	run_ctr
	ok
	eq "$(echo $output)" "NoNewPrivs: 0"
}

@test "config.md Linux Process: oomScoreAdj set is the process's oom_score_adj" {
	cfg '.process.oomScoreAdj = 123'
	cmd 'cat /proc/self/oom_score_adj'
	run_ctr
	ok
	eq "$output" 123
}

@test "config.md Linux Process: oomScoreAdj unset leaves oom_score_adj unchanged" {
	cfg 'del(.process.oomScoreAdj)'
	cmd 'cat /proc/self/oom_score_adj'
	CIDS+=("$CID")
	# the caller's value (raising it needs no privilege) must reach the container
	out=$(
		echo 77 >/proc/self/oom_score_adj
		rt run --bundle "$BUNDLE" "$CID" </dev/null
	)
	eq "$out" 77
}

@test "config.md Linux Process: scheduler policy and nice are applied" {
	skip_if_runc "process.scheduler"
	cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
	# /proc/self/stat: field 19 nice, field 41 policy (SCHED_BATCH = 3)
	cmd 'set -- $(cat /proc/self/stat); shift 18; nice=$1; shift 22; echo "$nice $1"'
	run_ctr
	ok
	eq "$output" "5 3"
}

@test "config.md Linux Process: ioPriority is applied" {
	skip_if_runc "process.ioPriority"
	cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	cmd 'ionice -p $$'
	run_ctr
	ok
	eq "$output" "best-effort: prio 6"
}

@test "config.md Linux Process: execCPUAffinity final applies to exec'd processes" {
	skip_if_runc "process.execCPUAffinity"
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	sleeper
	started
	jq --arg m "$MARK" '.process | .args = ["sh", "-c", "grep ^Cpus_allowed_list /proc/self/status", $m]
	  | .execCPUAffinity = {"final": "1"}' "$BUNDLE/config.json" >"$T/process.json"
	run --separate-stderr rt exec --process "$T/process.json" "$CID"
	ok
	eq "$(echo $output)" "Cpus_allowed_list: 1"
}

# ------------------------------------------------------------------- User ---

@test "config.md User: uid and gid" {
	cfg '.process.user = {"uid": 1000, "gid": 1001}'
	cmd 'id -u; id -g'
	run_ctr
	ok
	eq "$(echo $output)" "1000 1001"
}

@test "config.md User: additionalGids are the supplementary groups" {
	cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 100, 2000]}'
	cmd 'grep ^Groups: /proc/self/status'
	run_ctr
	ok
	eq "$(echo $output)" "Groups: 5 100 2000"
}

@test "config.md User: umask is applied" {
	cfg '.process.user.umask = 63'
	cmd 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run_ctr
	ok
	eq "$(echo $output)" "0077 600"
}

@test "config.md User: nobody (65534) from /etc/passwd" {
	cfg '.process.user = {"uid": 65534, "gid": 65534}'
	cmd 'whoami; id -gn'
	run_ctr
	ok
	eq "$(echo $output)" "nobody nogroup"
}

# ---------------------------------------------------- Hostname, Domainname -

@test "config.md Hostname: hostname is set in the container's UTS namespace" {
	cfg '.hostname = "conf-host-1"'
	cmd 'hostname; cat /proc/sys/kernel/hostname'
	run_ctr
	ok
	eq "$(echo $output)" "conf-host-1 conf-host-1"
	[ "$(hostname)" != conf-host-1 ]
}

@test "config.md Domainname: domainname is set in the container's UTS namespace" {
	skip_if_runc "domainname"
	cfg '.domainname = "conf.example"'
	cmd 'cat /proc/sys/kernel/domainname'
	run_ctr
	ok
	eq "$output" conf.example
}

# ------------------------------------------------------------ Extensibility -

@test "config.md Extensibility: unknown properties are ignored" {
	cfg '.unknownTopLevel = {"x": 1} | .process.unknownProcessField = "y" | .linux.unknownLinuxField = [1]'
	cmd 'echo fine'
	run_ctr
	ok
	eq "$output" fine
}

@test "config.md Valid values: an invalid value is an error (mount destination not a string)" {
	sleeper
	cfg '.mounts += [{"destination": 42, "type": "tmpfs", "source": "tmpfs"}]'
	create_ctr
	failed_cleanly
}
