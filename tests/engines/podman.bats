#!/usr/bin/env bats
# podman (Debian's 4.3, conmon, netavark) with the runtime under test
# (ENGINE_RUNTIME=husk, or runc as the reference): podman's own
# containers.conf (built from contrib/engines/containers.conf), storage and
# networks under a temporary directory, the cgroupfs manager, file events and
# a local image made from a busybox rootfs.  Tests whose name has "[vm]" also
# run in the pure cgroup v2 VM (tests/engines/podman-vm.sh).

load helpers

IMG=localhost/husk-busybox:engines

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v podman >/dev/null || skip "podman is not installed (contrib/install-deps.sh)"
	[ -x "$RT_PATH" ] || skip "no runtime at $RT_PATH"
	export PT="$BATS_FILE_TMPDIR/podman"
	mkdir -p "$PT/networks"
	# cgroups of the file's containers (and their conmons) go below this
	# parent, removed by teardown_file.
	export CGPARENT="husk-engines-podman-$$"
	export BRIDGE="huskbr$$"
	BRIDGE=${BRIDGE:0:15}
	# podman sets its own RLIMIT_NPROC to 32768 and cannot raise a hard limit
	# (no CAP_SYS_RESOURCE in this machine's bounding set): its defaults for
	# root (nofile 1048576, nproc 4194304) would fail in the runtime.
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] && nofile=1048576
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
	cat >"$PT/engine-keys" <<-EOF
		runtime = "$RT_NAME"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PT/events.log"
		tmp_dir = "$PT/libpod-tmp"
		volume_path = "$PT/volumes"
	EOF
	{
		cat <<-EOF
			[containers]
			default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
			netns = "none"
			[network]
			network_backend = "netavark"
			network_config_dir = "$PT/networks"
			default_network = "husknet"
		EOF
		# The shipped snippet, with the tree's husk as the "husk" runtime;
		# the test's [engine] keys go right after its [engine] header.
		sed -e "/^\[engine\]\$/r $PT/engine-keys" \
			-e "s#^husk = .*#husk = [\"$HUSK_BIN\"]#" "$CONTRIB/engines/containers.conf"
	} >"$PT/containers.conf"
	cat >"$PT/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$PT/storage"
		runroot = "$PT/runroot"
	EOF
	# The default bridge network, with an interface name of this run's own
	# (podman 4.3 would pick podman0, which other podman users share).
	cat >"$PT/networks/husknet.json" <<-EOF
		{"name": "husknet", "id": "$(printf '%064d' $$)", "driver": "bridge",
		 "network_interface": "$BRIDGE", "created": "2025-01-01T00:00:00Z",
		 "subnets": [{"subnet": "10.250.$(($$ % 200 + 20)).0/24", "gateway": "10.250.$(($$ % 200 + 20)).1"}],
		 "ipv6_enabled": false, "internal": false, "dns_enabled": false,
		 "ipam_options": {"driver": "host-local"}}
	EOF
	export CONTAINERS_CONF="$PT/containers.conf" CONTAINERS_STORAGE_CONF="$PT/storage.conf"
	# netavark turns on IPv4 forwarding and adds global firewall chains:
	# teardown_file puts both back as they were.
	export FW_BEFORE IPFWD_BEFORE
	FW_BEFORE=$(netavark_fw_state)
	IPFWD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
	engine_rootfs_tar "$PT/busybox.tar"
	podman import --change 'CMD ["/bin/sh"]' "$PT/busybox.tar" "$IMG" >/dev/null
	rm -f "$PT/busybox.tar"
}

teardown_file() {
	[ -n "${PT:-}" ] || return 0
	podman rm -a -f -t 0 >/dev/null 2>&1 || true
	podman system reset -f >/dev/null 2>&1 || true
	umount_under "$PT"
	cg_rmdir_tree "$CGPARENT"
	ip link del "$BRIDGE" 2>/dev/null || true
	[ "${FW_BEFORE:-}" != absent ] || netavark_fw_remove
	[ -z "${IPFWD_BEFORE:-}" ] || echo "$IPFWD_BEFORE" >/proc/sys/net/ipv4/ip_forward
	rm -rf "$PT"
}

teardown() {
	[ -n "${PT:-}" ] || return 0
	podman rm -a -f -t 0 >/dev/null 2>&1 || true
}

# prun ARGS...: podman run with the file's cgroup parent.
prun() {
	podman run --cgroup-parent "/$CGPARENT" "$@"
}

# inside_cg FILE-V1 FILE-V2: a shell command printing a cgroup file of the
# container's own cgroup, seen inside it. v1: the runtime mounts (or binds)
# the container's cgroup at /sys/fs/cgroup/<controller>; v2: a cgroup2 mount
# whose root is the namespace's root (all of the host's with --cgroupns host).
inside_cg() {
	if cgroup_v2; then
		echo "cat /sys/fs/cgroup\$(sed -n 's/^0:://p' /proc/self/cgroup)/$2"
	else
		echo "cat /sys/fs/cgroup/$1"
	fi
}

# no_leftovers ID: nothing of container ID remains: runtime state, mounts,
# cgroups.
no_leftovers() {
	local id=$1
	[ ! -e "/run/$RT_NAME/$id" ] || { echo "state left: /run/$RT_NAME/$id"; return 1; }
	! grep -q "$id" /proc/self/mountinfo || { grep "$id" /proc/self/mountinfo; return 1; }
	[ -z "$(cg_leftovers "$id")" ] || { cg_leftovers "$id"; return 1; }
}

@test "podman [vm] run --rm: output, the runtime in use, nothing left" {
	run -0 prun --name rm1 --rm "$IMG" echo hello from busybox
	[ "$output" = "hello from busybox" ]
	run -0 podman create --cgroup-parent "/$CGPARENT" "$IMG" true
	id=$output
	run -0 podman inspect -f '{{.OCIRuntime}}' "$id"
	[ "$output" = "$RT_NAME" ]
	run -0 podman start -a "$id"
	run -0 podman rm "$id"
	no_leftovers "$id"
}

@test "podman [vm] exit codes: 5, 126 (not executable), 127 (not found)" {
	run -5 prun --rm "$IMG" sh -c 'exit 5'
	run -126 prun --rm "$IMG" /etc
	echo "$output"
	[[ "$output" == *"/etc"* ]] && [[ "$output" != *"$RT_NAME: $RT_NAME:"* ]]
	run -127 prun --rm "$IMG" /no/such/binary
	echo "$output"
	[[ "$output" == *"/no/such/binary"* ]] && [[ "$output" != *"$RT_NAME: $RT_NAME:"* ]]
	run -127 prun --rm "$IMG" nosuchcommand
	[[ "$output" != *"$RT_NAME: $RT_NAME:"* ]]
}

@test "podman run -d, exec -u -e -w, logs, stop, rm: nothing left" {
	run -0 prun -d "$IMG" sh -c 'echo started; trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done'
	id=$output
	run -0 podman exec -u 65534:65534 -e FOO=bar -w /tmp "$id" sh -c 'echo $(id -u):$(id -g) $FOO $(pwd)'
	[ "$output" = "65534:65534 bar /tmp" ]
	run -3 podman exec "$id" sh -c 'exit 3'
	run -127 podman exec "$id" nosuchcommand
	echo "$output"
	[[ "$output" == *nosuchcommand* ]] && [[ "$output" != *"$RT_NAME: $RT_NAME:"* ]]
	run -126 podman exec "$id" /etc
	echo "$output"
	[[ "$output" != *"$RT_NAME: $RT_NAME:"* ]]
	retry 25 sh -c "podman logs $id | grep -q started"
	run -0 podman stop -t 5 "$id"
	run -0 podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id"
	[ "$output" = "exited 0" ]
	run -0 podman logs "$id"
	[[ "$output" == *bye* ]]
	run -0 podman rm "$id"
	no_leftovers "$id"
}

@test "podman run -it and exec -it: a terminal, typed input" {
	command -v expect >/dev/null || skip "expect is not installed"
	# run -it: the runtime hands the pty to conmon over the console socket.
	run -7 expect -c "
		set timeout 20
		spawn podman run -it --rm --cgroup-parent /$CGPARENT $IMG sh
		expect \"# \"
		send \"tty; echo typed-\\\$((40+2))\r\"
		expect \"typed-42\"
		send \"exit 7\r\"
		expect eof
		exit [lindex [wait] 3]" </dev/null
	[[ "$output" == */dev/pts/0* ]]
	# exec -it into a detached container.
	run -0 prun -d "$IMG" sleep 600
	id=$output
	run -0 expect -c "
		set timeout 20
		spawn podman exec -it $id sh
		expect \"# \"
		send \"test -t 0 && echo is-a-tty-\\\$((6*7))\r\"
		expect \"is-a-tty-42\"
		send \"exit\r\"
		expect eof" </dev/null
	run -7 expect -c "
		set timeout 20
		spawn podman run -it --rm --cgroup-parent /$CGPARENT $IMG sh -c {read x; exit \$x}
		send \"7\r\"
		expect eof
		exit [lindex [wait] 3]" </dev/null
}

@test "podman [vm] --memory: the limit on the host and inside, host cgroupns" {
	run -0 prun -d --memory 64m --cgroupns host "$IMG" sleep 600
	id=$output
	pid=$(podman inspect -f '{{.State.Pid}}' "$id")
	run -0 cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)"
	[ "$output" = 67108864 ]
	run -0 podman exec "$id" sh -c "$(inside_cg memory/memory.limit_in_bytes memory.max)"
	[ "$output" = 67108864 ]
}

@test "podman [vm] --memory: the limit on the host and inside, private cgroupns" {
	run -0 prun -d --memory 64m --cgroupns private "$IMG" sleep 600
	id=$output
	pid=$(podman inspect -f '{{.State.Pid}}' "$id")
	run -0 cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)"
	[ "$output" = 67108864 ]
	# The container's cgroup is the root of its namespace, and its
	# cgroupfs is mounted from inside that namespace.
	run -0 podman exec "$id" cat /proc/self/cgroup
	if cgroup_v2; then
		[ "$output" = "0::/" ]
	else
		grep -q '^[0-9]*:memory:/$' <<<"$output"
	fi
	run -0 podman exec "$id" sh -c "$(inside_cg memory/memory.limit_in_bytes memory.max)"
	[ "$output" = 67108864 ]
}

@test "podman [vm] --memory, ENGINE_RACE_LOOPS (10) times with host and private cgroupns: always the limit inside (races)" {
	local ns i f
	f=$(inside_cg memory/memory.limit_in_bytes memory.max)
	for ns in host private; do
		for i in $(seq "${ENGINE_RACE_LOOPS:-10}"); do
			run -0 prun --rm --memory 32m --cgroupns "$ns" "$IMG" sh -c "$f"
			[ "$output" = 33554432 ] || { echo "$ns run $i: $output"; false; }
		done
	done
}

@test "podman [vm] --pids-limit and --cpus" {
	run -0 prun --rm --pids-limit 42 "$IMG" sh -c "$(inside_cg pids/pids.max pids.max)"
	[ "$output" = 42 ]
	if cgroup_v2; then
		run -0 prun --rm --cpus 0.5 "$IMG" sh -c "$(inside_cg x cpu.max)"
		[ "$output" = "50000 100000" ]
	else
		run -0 prun --rm --cpus 0.5 "$IMG" cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
		[ "$output" = "$(printf '50000\n100000')" ]
	fi
}

@test "podman [vm] --user, --env, --read-only, --tmpfs" {
	run -0 prun --rm --user 65534:65534 "$IMG" id
	[ "$output" = "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" ]
	run -0 prun --rm --user nobody "$IMG" id -u
	[ "$output" = 65534 ]
	run -0 prun --rm --env FOO=bar --env 'SPACED=a b' "$IMG" sh -c 'echo "$FOO|$SPACED"'
	[ "$output" = "bar|a b" ]
	run -0 prun --rm --read-only "$IMG" sh -c 'touch /x 2>/dev/null && echo writable; touch /tmp/y && echo tmp-ok'
	[ "$output" = tmp-ok ]
	run -0 prun --rm --tmpfs /scratch:size=1m "$IMG" sh -c 'grep " /scratch " /proc/mounts; touch /scratch/z'
	[[ "$output" == "tmpfs /scratch tmpfs "*size=1024k* ]]
}

@test "podman [vm] --cap-drop ALL keeps no capability; --cap-add adds back one" {
	run -0 prun --rm --cap-drop ALL "$IMG" grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status
	[ "$(grep -c ':	0000000000000000$' <<<"$output")" = 4 ] || { echo "$output"; false; }
	run -0 prun --rm --cap-drop ALL --cap-add NET_RAW "$IMG" grep -E '^Cap(Eff|Bnd)' /proc/self/status
	[ "$output" = "$(printf 'CapEff:\t0000000000002000\nCapBnd:\t0000000000002000')" ]
	# as a user: nothing, not even in the bounding set of the default caps
	run -0 prun --rm --cap-drop ALL --user 65534 "$IMG" grep CapEff /proc/self/status
	[ "$output" = "$(printf 'CapEff:\t0000000000000000')" ]
	# runtime error path: a capability drop must not make setuid fail
	run -0 prun --rm --cap-drop SETUID,SETGID --user 65534 "$IMG" id -u
	[ "$output" = 65534 ]
}

@test "podman --privileged: every capability, the host's devices" {
	bnd=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
	run -0 prun --rm --privileged "$IMG" sh -c 'grep CapEff /proc/self/status; test -c /dev/loop-control -o -c /dev/kmsg && echo host-devices'
	[ "$output" = "$(printf 'CapEff:\t%s\nhost-devices' "$bnd")" ]
}

@test "podman --device: a host device, mode and cgroup access" {
	run -0 prun --rm --device /dev/null:/dev/xnull "$IMG" sh -c 'echo x >/dev/xnull && stat -c "%F %t:%T %a" /dev/xnull'
	[ "$output" = "character special file 1:3 666" ]
	run -0 prun --rm --device /dev/zero:/dev/xzero:r "$IMG" sh -c 'head -c 3 /dev/xzero | wc -c'
	[ "$output" = 3 ]
}

@test "podman --network none and the default bridge (netavark)" {
	run -0 prun --rm --network none "$IMG" sh -c 'ls /sys/class/net | tr "\n" " "'
	[ "$output" = "lo " ]
	command -v netavark >/dev/null || [ -x /usr/lib/podman/netavark ] || skip "netavark is not installed"
	gw=$(jq -r '.subnets[0].gateway' "$PT/networks/husknet.json")
	run -0 prun --rm --network bridge "$IMG" sh -c "ip -4 -o addr show eth0; ping -c 1 -W 3 $gw"
	[[ "$output" == *"eth0    inet 10.250."* ]]
	[[ "$output" == *"1 packets received"* ]]
	# netavark removes the bridge and its firewall rules with the last container
	run ip link show "$BRIDGE"
	[ "$status" -ne 0 ]
	if command -v iptables-save >/dev/null; then
		run -0 iptables-save
		[[ "$output" != *"${gw%.1}.0/24"* ]]
	fi
}

@test "podman -v rw and :ro" {
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	echo host >"$BATS_TEST_TMPDIR/vol/in"
	run -0 prun --rm -v "$BATS_TEST_TMPDIR/vol:/data" "$IMG" sh -c 'cat /data/in; echo container >/data/out'
	[ "$output" = host ]
	[ "$(cat "$BATS_TEST_TMPDIR/vol/out")" = container ]
	run -0 prun --rm -v "$BATS_TEST_TMPDIR/vol:/data:ro" "$IMG" sh -c 'cat /data/in; echo x 2>/dev/null >/data/out2 || echo refused'
	[[ "$output" == *refused ]]
	[ ! -e "$BATS_TEST_TMPDIR/vol/out2" ]
}

@test "podman --init: catatonit is PID 1 and reaps" {
	[ -x /usr/libexec/podman/catatonit ] || skip "catatonit is not installed"
	run -0 prun --rm --init "$IMG" sh -c 'readlink /proc/1/exe; (sleep 0.1 &); sleep 1; cat /proc/[0-9]*/stat | awk "\$3 == \"Z\"" | wc -l'
	[ "$output" = "$(printf '/run/podman-init\n0')" ]
}

@test "podman pause/unpause, top, stats --no-stream" {
	run -0 prun -d "$IMG" sleep 600
	id=$output
	pid=$(podman inspect -f '{{.State.Pid}}' "$id")
	run -0 podman pause "$id"
	run -0 podman inspect -f '{{.State.Status}}' "$id"
	[ "$output" = paused ]
	if cgroup_v2; then
		[ "$(cat "$(cg_file "$pid" x x cgroup.freeze)")" = 1 ]
	else
		[ "$(cat "$(cg_file "$pid" freezer freezer.state x)")" = FROZEN ]
	fi
	run -0 podman unpause "$id"
	run -0 podman inspect -f '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run -0 podman top "$id" pid args
	[[ "$output" == *"sleep 600"* ]]
	run -0 podman stats --no-stream --format '{{.ID}} {{.PIDs}}' "$id"
	[ "$output" = "${id:0:12} 1" ]
}

@test "podman update --memory" {
	podman update --help >/dev/null 2>&1 || skip "podman $(podman version -f '{{.Client.Version}}') has no update command"
	run -0 prun -d --memory 64m "$IMG" sleep 600
	id=$output
	pid=$(podman inspect -f '{{.State.Pid}}' "$id")
	run -0 podman update --memory 128m "$id"
	run -0 cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)"
	[ "$output" = 134217728 ]
}

@test "podman kill -s, restart" {
	run -0 prun -d "$IMG" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'
	id=$output
	retry 25 sh -c "podman logs $id | grep -q ready"
	run -0 podman kill -s USR1 "$id"
	retry 25 sh -c "podman logs $id | grep -q got-usr1"
	pid1=$(podman inspect -f '{{.State.Pid}}' "$id")
	run -0 podman restart -t 1 "$id"
	run -0 podman inspect -f '{{.State.Status}} {{.State.Pid}}' "$id"
	[[ "$output" == "running "* ]]
	[ "${output#running }" != "$pid1" ]
	run -0 podman kill -s KILL "$id"
	run -0 podman wait "$id"
	[ "$output" = 137 ]
}

@test "podman [vm] seccomp: the default profile and unconfined" {
	run -0 prun --rm "$IMG" grep '^Seccomp:' /proc/self/status
	[ "$output" = "$(printf 'Seccomp:\t2')" ]
	# the default profile refuses what it does not list (keyctl => EPERM/ENOSYS)
	run -0 prun --rm --security-opt seccomp=unconfined "$IMG" grep '^Seccomp:' /proc/self/status
	[ "$output" = "$(printf 'Seccomp:\t0')" ]
}

@test "podman: after rm of every container, no runtime state, mount or cgroup is left" {
	ids=()
	for a in "--memory 32m" "--cgroupns private" "--pids-limit 10" "--init"; do
		run -0 prun -d $a "$IMG" sleep 600
		ids+=("$output")
	done
	run -0 podman rm -f -t 0 "${ids[@]}"
	for id in "${ids[@]}"; do no_leftovers "$id"; done
	# the layers' overlay mounts are gone too: only the image store is left
	run -0 podman ps -aq
	[ -z "$output" ]
	[ "$(mounts_under "$PT/storage/overlay")" -le 1 ]
}

@test "podman [vm] timing: median of 10 'podman run --rm IMAGE true', husk and runc in the same run" {
	[ "$RT_NAME" = husk ] || skip "measured in the husk run"
	[ -z "${ENGINE_NO_BENCH:-}" ] || skip "ENGINE_NO_BENCH is set (the VM emulates its CPU: timings mean nothing there)"
	command -v runc >/dev/null || skip "no runc"
	local i t0 r
	: >"$BATS_TEST_TMPDIR/husk" && : >"$BATS_TEST_TMPDIR/runc"
	for i in $(seq 10); do
		for r in husk runc; do
			t0=$(now_ms)
			podman --runtime "$r" run --rm --cgroup-parent "/$CGPARENT" "$IMG" true
			echo $(($(now_ms) - t0)) >>"$BATS_TEST_TMPDIR/$r"
		done
	done
	h=$(median <"$BATS_TEST_TMPDIR/husk")
	c=$(median <"$BATS_TEST_TMPDIR/runc")
	echo "# podman run --rm true, median of 10: husk ${h} ms, runc ${c} ms" >&3
	[ -z "${ENGINE_BENCH_OUT:-}" ] || echo "podman run --rm true (median of 10, $(cgroup_v2 && echo v2 || echo v1)): husk ${h} ms, runc ${c} ms" >>"$ENGINE_BENCH_OUT"
}
