#!/usr/bin/env bats
# The Kubernetes path, at the CRI: containerd 1.6 with its CRI plugin and a
# runtime handler per runtime ("husk" from contrib/engines/containerd-config.toml,
# selected by BinaryName; "runc", Debian's, as the reference), driven by a
# minimal CRI client (tests/engines/cri/: the needed part of the public
# runtime/v1 api.proto, compiled with grpc_tools.protoc at test time) the way
# the kubelet drives it: RunPodSandbox with runtime_handler (host network: no
# CNI), CreateContainer, StartContainer, ExecSync, ContainerStatus,
# StopPodSandbox, RemovePodSandbox. The pause image is busybox `sleep infinity`.

load helpers

IMG=docker.io/library/husk-busybox:engines
PAUSE=docker.io/library/husk-pause:engines
PY=${ENGINE_PYTHON:-/usr/bin/python3}

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v containerd >/dev/null && command -v containerd-shim-runc-v2 >/dev/null ||
		skip "containerd is not installed (contrib/install-deps.sh)"
	"$PY" -c 'import grpc, grpc_tools' 2>/dev/null ||
		skip "no python3-grpcio and python3-grpc-tools for $PY (contrib/install-deps.sh)"
	[ -x "$RT_PATH" ] || skip "no runtime at $RT_PATH"
	export CT="$BATS_FILE_TMPDIR/cri"
	export CGPARENT="husk-engines-cri-$$"
	export GEN="$CT/gen"
	mkdir -p "$GEN" "$CT/logs"
	"$PY" -m grpc_tools.protoc -I "$BATS_TEST_DIRNAME/cri" --python_out="$GEN" \
		--grpc_python_out="$GEN" "$BATS_TEST_DIRNAME/cri/api.proto"
	containerd_start "$CT"
	engine_rootfs_tar "$CT/rootfs.tar"
	python3 "$BATS_TEST_DIRNAME/oci-image.py" "$CT/rootfs.tar" "$IMG" "$CT/image.tar"
	python3 "$BATS_TEST_DIRNAME/oci-image.py" "$CT/rootfs.tar" "$PAUSE" "$CT/pause.tar" sleep infinity
	$CTR -n k8s.io images import "$CT/image.tar" >/dev/null
	$CTR -n k8s.io images import "$CT/pause.tar" >/dev/null
	rm -f "$CT/rootfs.tar" "$CT/image.tar" "$CT/pause.tar"
	# The handler: for husk, the one of contrib/engines/runtimeclass.yaml (the
	# kubelet passes a RuntimeClass's handler as runtime_handler); for runc,
	# CRI's default "runc". Its state root is options.Root of the config.
	if [ "$RT_NAME" = husk ]; then
		HANDLER=$(sed -n 's/^handler: *//p' "$CONTRIB/engines/runtimeclass.yaml")
	else
		HANDLER=$RT_NAME
	fi
	export HANDLER RTROOT="$CT/$RT_NAME-root"
}

teardown_file() {
	[ -n "${CT:-}" ] || return 0
	containerd_stop "$CT"
	cg_rmdir_tree "$CGPARENT"
	rm -rf "$CT"
}

teardown() {
	[ -n "${CT:-}" ] || return 0
	local sb
	for sb in ${SANDBOXES:-}; do
		cri StopPodSandbox "{\"podSandboxId\": \"$sb\"}" >/dev/null 2>&1
		cri RemovePodSandbox "{\"podSandboxId\": \"$sb\"}" >/dev/null 2>&1
	done
}

# cri METHOD [JSON]: one CRI call; the response as JSON on stdout.
cri() {
	"$PY" "$BATS_TEST_DIRNAME/cri/cri.py" "$GEN" "$CT/containerd.sock" "$@"
}

# sandbox_config NAME: a pod on the host's network, cgroups below the file's.
sandbox_config() {
	cat <<-EOF
		{"metadata": {"name": "$1", "uid": "uid-$1", "namespace": "husk-engines"},
		 "logDirectory": "$CT/logs/$1",
		 "linux": {"cgroupParent": "/$CGPARENT",
		           "securityContext": {"namespaceOptions": {"network": "NODE"}}}}
	EOF
}

# run_sandbox NAME: RunPodSandbox with the handler of the runtime under test;
# sets SB (its ID) and SBCONF.
run_sandbox() {
	SBCONF=$(sandbox_config "$1")
	run -0 cri RunPodSandbox "{\"config\": $SBCONF, \"runtimeHandler\": \"$HANDLER\"}"
	SB=$(jq -r .podSandboxId <<<"$output")
	SANDBOXES="${SANDBOXES:-} $SB"
}

# create_container NAME LINUX-JSON CMD-JSON: CreateContainer in $SB; sets CID.
create_container() {
	run -0 cri CreateContainer "{\"podSandboxId\": \"$SB\", \"sandboxConfig\": $SBCONF,
		\"config\": {\"metadata\": {\"name\": \"$1\"}, \"image\": {\"image\": \"$IMG\"},
		             \"command\": $3, \"logPath\": \"$1.log\", \"linux\": $2}}"
	CID=$(jq -r .containerId <<<"$output")
}

@test "CRI: RunPodSandbox with runtime_handler, the runtime runs the sandbox" {
	run -0 cri Version
	[ "$(jq -r .runtimeApiVersion <<<"$output")" = v1 ]
	run_sandbox pod1
	run -0 cri PodSandboxStatus "{\"podSandboxId\": \"$SB\"}"
	[ "$(jq -r .status.state <<<"$output")" = SANDBOX_READY ]
	[ "$(jq -r .status.runtimeHandler <<<"$output")" = "$HANDLER" ]
	# the shim ran the handler's binary with --root under this test's state
	[ -f "$RTROOT/k8s.io/$SB/state.json" ] || [ -d "$RTROOT/k8s.io/$SB" ]
	run -0 "$RT_PATH" --root "$RTROOT/k8s.io" state "$SB"
	[ "$(jq -r .status <<<"$output")" = running ]
}

@test "CRI: CreateContainer, StartContainer, ExecSync, ContainerStatus, Stop/RemovePodSandbox: nothing left" {
	run_sandbox pod2
	create_container c1 '{"resources": {"memoryLimitInBytes": 67108864}}' '["sh", "-c", "echo started; exec sleep 600"]'
	run -0 cri StartContainer "{\"containerId\": \"$CID\"}"
	run -0 "$RT_PATH" --root "$RTROOT/k8s.io" state "$CID"
	[ "$(jq -r .status <<<"$output")" = running ]
	pid=$(jq -r .pid <<<"$output")
	run -0 cri ExecSync "{\"containerId\": \"$CID\", \"cmd\": [\"sh\", \"-c\", \"echo out; echo err >&2; exit 3\"], \"timeout\": 30}"
	[ "$(jq -r .stdoutText <<<"$output")" = out ]
	[ "$(jq -r .stderrText <<<"$output")" = err ]
	[ "$(jq -r .exitCode <<<"$output")" = 3 ]
	run -0 cri ContainerStatus "{\"containerId\": \"$CID\"}"
	[ "$(jq -r .status.state <<<"$output")" = CONTAINER_RUNNING ]
	run -0 cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)"
	[ "$output" = 67108864 ]
	grep -q started "$CT/logs/pod2/c1.log"
	# the container's process ran in the sandbox's namespaces (pid, ipc)
	spid=$("$RT_PATH" --root "$RTROOT/k8s.io" state "$SB" | jq -r .pid)
	[ "$(readlink "/proc/$pid/ns/ipc")" = "$(readlink "/proc/$spid/ns/ipc")" ]
	run -0 cri StopPodSandbox "{\"podSandboxId\": \"$SB\"}"
	run -0 cri ContainerStatus "{\"containerId\": \"$CID\"}"
	[ "$(jq -r .status.state <<<"$output")" = CONTAINER_EXITED ]
	run -0 cri RemovePodSandbox "{\"podSandboxId\": \"$SB\"}"
	run cri ContainerStatus "{\"containerId\": \"$CID\"}"
	[ "$status" -ne 0 ]
	# nothing left: runtime state, mounts, cgroups, tasks
	[ ! -e "$RTROOT/k8s.io/$SB" ] && [ ! -e "$RTROOT/k8s.io/$CID" ]
	! grep -qE "$SB|$CID" /proc/self/mountinfo
	[ -z "$(cg_leftovers "$CID")" ] && [ -z "$(cg_leftovers "$SB")" ]
	run -0 ctr --address "$CT/containerd.sock" -n k8s.io tasks ls -q
	[ -z "$output" ]
}

@test "CRI: capabilities.drop_capabilities [ALL] leaves CapEff 0" {
	run_sandbox pod3
	create_container capdrop '{"securityContext": {"capabilities": {"dropCapabilities": ["ALL"]}}}' '["sleep", "600"]'
	run -0 cri StartContainer "{\"containerId\": \"$CID\"}"
	run -0 cri ExecSync "{\"containerId\": \"$CID\", \"cmd\": [\"grep\", \"Cap\", \"/proc/self/status\"], \"timeout\": 30}"
	caps=$(jq -r .stdoutText <<<"$output")
	echo "$caps"
	grep -q "^CapEff:	0000000000000000$" <<<"$caps"
	grep -q "^CapBnd:	0000000000000000$" <<<"$caps"
	# and drop ALL + add one keeps that one
	create_container capadd '{"securityContext": {"capabilities": {"dropCapabilities": ["ALL"], "addCapabilities": ["NET_BIND_SERVICE"]}}}' '["sleep", "600"]'
	run -0 cri StartContainer "{\"containerId\": \"$CID\"}"
	run -0 cri ExecSync "{\"containerId\": \"$CID\", \"cmd\": [\"grep\", \"CapEff\", \"/proc/self/status\"], \"timeout\": 30}"
	[ "$(jq -r .stdoutText <<<"$output")" = "$(printf 'CapEff:\t0000000000000400')" ]
}

@test "CRI: a container whose command is missing fails with the runtime's message" {
	run_sandbox pod4
	create_container bad '{}' '["/no/such/binary"]'
	run cri StartContainer "{\"containerId\": \"$CID\"}"
	[ "$status" -ne 0 ]
	echo "$output"
	[[ "$output" == *"/no/such/binary"* ]]
	[[ "$output" != *"$RT_NAME: $RT_NAME:"* ]]
}
