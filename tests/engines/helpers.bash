# Shared setup of the engine tests (tests/engines): podman, containerd and
# the CRI run the OCI runtime named by ENGINE_RUNTIME the way they run runc.
#   ENGINE_RUNTIME=husk (default): this tree's husk (or $HUSK)
#   ENGINE_RUNTIME=runc: Debian's runc, the reference
# Each file has its own engine state under a temporary directory and removes
# everything it made (containers, storage, mounts, cgroups, networks).

bats_require_minimum_version 1.5.0

TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
CONTRIB="$TOP/contrib"
ENGINE_RUNTIME="${ENGINE_RUNTIME:-husk}"
case "$ENGINE_RUNTIME" in
husk)
	RT_NAME=husk
	RT_PATH="${HUSK:-$TOP/husk}"
	;;
runc)
	RT_NAME=runc
	RT_PATH="$(command -v runc || echo /usr/sbin/runc)"
	;;
*)
	RT_NAME="$(basename "$ENGINE_RUNTIME")"
	RT_PATH="$ENGINE_RUNTIME"
	;;
esac
# Engines keep one name per runtime: make it absolute.
case "$RT_PATH" in /*) ;; *) RT_PATH="$PWD/$RT_PATH" ;; esac
HUSK_BIN="${HUSK:-$TOP/husk}"
case "$HUSK_BIN" in /*) ;; *) HUSK_BIN="$PWD/$HUSK_BIN" ;; esac

cgroup_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# engine_rootfs_tar FILE: a busybox root filesystem as a tar (the image).
engine_rootfs_tar() {
	local d="$BATS_FILE_TMPDIR/image-bundle"
	sh "$CONTRIB/make-busybox-bundle.sh" "$HUSK_BIN" "$d" >/dev/null
	mkdir -p "$d/rootfs/root" "$d/rootfs/var/tmp" "$d/rootfs/run"
	tar -C "$d/rootfs" -cf "$1" .
	rm -rf "$d"
}

# cg_file PID CONTROLLER FILE-V1 FILE-V2: the host path of a cgroup file of
# the cgroup PID is in (v1: that controller's hierarchy; v2: the unified one).
cg_file() {
	local pid=$1 ctrl=$2 f1=$3 f2=$4 p
	if cgroup_v2; then
		p=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$p/$f2"
	else
		p=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup/$ctrl$p/$f1"
	fi
}

# cg_rmdir_tree NAME: remove the cgroup directories NAME (a top-level cgroup
# the test made, e.g. its --cgroup-parent) in every hierarchy, children first.
cg_rmdir_tree() {
	local d
	for d in "/sys/fs/cgroup/$1" /sys/fs/cgroup/*/"$1"; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

# cg_leftovers PATTERN: the cgroup directories whose name contains PATTERN.
cg_leftovers() {
	find /sys/fs/cgroup -maxdepth 5 -type d -name "*$1*" 2>/dev/null || true
}

# umount_under DIR: lazily unmount everything mounted at or below DIR.
umount_under() {
	local m
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# mounts_under DIR: how many mounts are at or below DIR.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1' /proc/self/mountinfo | wc -l
}

# retry N CMD...: run CMD up to N times, 0.2 s apart, until it succeeds.
retry() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# median: the median of the numbers on stdin.
median() {
	sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# now_ms: a monotonic-enough clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# containerd_start DIR: containerd with its root, state, socket and config
# under DIR (and CRI's handlers: "runc" with its state under DIR, "husk" from
# contrib/engines/containerd-config.toml with the tree's husk), started in
# the background; CTR is the ctr command for it. containerd_stop stops it.
containerd_start() {
	CT=$1
	mkdir -p "$CT/cni/net.d" "$CT/cni/bin"
	[ -d /run/containerd ] && echo 1 >"$CT/had-run-containerd"
	cat >"$CT/config.toml" <<-EOF
		version = 2
		root = "$CT/root"
		state = "$CT/state"
		disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
		[grpc]
		  address = "$CT/containerd.sock"
		[ttrpc]
		  address = "$CT/containerd.sock.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$CT/opt"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "docker.io/library/husk-pause:engines"
		  # no CAP_SYS_RESOURCE here: the sandbox's oomScoreAdj (-998) would be refused
		  restrict_oom_score_adj = true
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "$CT/cni/bin"
		    conf_dir = "$CT/cni/net.d"
		  # Debian's runc as CRI's default handler, as built in, with its state here
		  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		    runtime_type = "io.containerd.runc.v2"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
		      Root = "$CT/runc-root"
	EOF
	# The shipped snippet: BinaryName is the tree's husk, its state root here.
	sed -e "s#^\([[:space:]]*\)BinaryName = .*#\1BinaryName = \"$HUSK_BIN\"\n\1Root = \"$CT/husk-root\"#" \
		"$CONTRIB/engines/containerd-config.toml" >>"$CT/config.toml"
	grep -q "Root = \"$CT/husk-root\"" "$CT/config.toml"
	containerd --config "$CT/config.toml" >"$CT/containerd.log" 2>&1 &
	echo $! >"$CT/containerd.pid"
	CTR="ctr --address $CT/containerd.sock"
	retry 50 $CTR version >/dev/null 2>&1 || { tail -20 "$CT/containerd.log"; return 1; }
}

# containerd_stop DIR: kill every task left, stop the daemon and its shims
# (by PID), unmount what is left under DIR.
containerd_stop() {
	local CT=$1 ns id pid p
	[ -f "$CT/containerd.pid" ] || return 0
	CTR="ctr --address $CT/containerd.sock"
	for ns in $($CTR namespaces ls -q 2>/dev/null); do
		for id in $($CTR -n "$ns" tasks ls -q 2>/dev/null); do
			$CTR -n "$ns" tasks kill -s KILL "$id" >/dev/null 2>&1
			$CTR -n "$ns" tasks delete -f "$id" >/dev/null 2>&1
		done
		for id in $($CTR -n "$ns" containers ls -q 2>/dev/null); do
			$CTR -n "$ns" containers delete "$id" >/dev/null 2>&1
		done
	done
	pid=$(cat "$CT/containerd.pid")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	# shims of this daemon (their -address is our socket)
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "-address $CT/containerd.sock " &&
			kill -9 "${p#/proc/}" 2>/dev/null
	done
	umount_under "$CT"
	if [ ! -f "$CT/had-run-containerd" ]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
	fi
	rm -f "$CT/containerd.pid"
}

# netavark_fw_state: "present" when netavark's global firewall chains exist.
netavark_fw_state() {
	command -v iptables-save >/dev/null || return 0
	iptables-save 2>/dev/null | grep -q '^:NETAVARK' && echo present || echo absent
}

# netavark_fw_remove: remove the global chains and jumps netavark adds on its
# first bridge and never removes (its per-network rules go with the network).
# Only for a run that found none, so another podman user's stay.
netavark_fw_remove() {
	command -v iptables >/dev/null || return 0
	iptables -D FORWARD -m comment --comment "netavark firewall plugin rules" -j NETAVARK_FORWARD 2>/dev/null
	iptables -F NETAVARK_FORWARD 2>/dev/null && iptables -X NETAVARK_FORWARD 2>/dev/null
	iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT 2>/dev/null
	iptables -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT 2>/dev/null
	iptables -t nat -D POSTROUTING -j NETAVARK-HOSTPORT-MASQ 2>/dev/null
	local c
	for c in DNAT MASQ SETMARK; do
		iptables -t nat -F "NETAVARK-HOSTPORT-$c" 2>/dev/null && iptables -t nat -X "NETAVARK-HOSTPORT-$c" 2>/dev/null
	done
	return 0
}
