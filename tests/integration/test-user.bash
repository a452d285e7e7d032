# A plain user for the rootless tests (rootless.bats, rootless-cgroup2.bats,
# rootless-systemd-user.bats, ../engines/podman-rootless.bats): made in
# setup_file, removed in teardown_file, with everything it reads under a
# directory it may traverse.

# test_user_make NAME TOP [subids]: the user NAME with home TOP/home
# (TOP/home/run its XDG_RUNTIME_DIR, mode 700), a copy of husk it may run
# but not write (TOP/husk) and a busybox rootfs at TOP/home/base/rootfs,
# all its own.  With "subids": subordinate ranges of 65536 ids of its own
# in /etc/subuid and /etc/subgid (replacing any useradd wrote).  Exports
# TU_USER TU_UID TU_GID TU_HUSK (and TU_SUBUID TU_SUBGID).
test_user_make() {
	local name=$1 top=$2 d f start
	# podman chmods every parent of a rootfs that lacks the x bit and fails
	# on root's: give them all three.
	d=$(dirname "$top")
	while [ "$d" != "/" ] && [ "$d" != "/tmp" ]; do
		chmod a+x "$d"
		d=$(dirname "$d")
	done
	mkdir -p "$top/home/run"
	chmod 755 "$top"
	useradd -M -d "$top/home" -s /bin/sh "$name"
	export TU_USER=$name TU_UID TU_GID TU_HUSK="$top/husk"
	TU_UID=$(id -u "$name")
	TU_GID=$(id -g "$name")
	if [ "${3:-}" = subids ]; then
		for f in /etc/subuid /etc/subgid; do
			sed -i "/^$name:/d" "$f"
			start=$(awk -F: 'BEGIN{m=100000} {if ($2+$3>m) m=$2+$3} END{print m}' "$f")
			echo "$name:$start:65536" >>"$f"
		done
		export TU_SUBUID TU_SUBGID
		TU_SUBUID=$(awk -F: -v u="$name" '$1==u{print $2}' /etc/subuid)
		TU_SUBGID=$(awk -F: -v u="$name" '$1==u{print $2}' /etc/subgid)
	fi
	cp "${HUSK_BIN:-$HUSK}" "$TU_HUSK"
	chmod 755 "$TU_HUSK"
	sh "$BATS_TEST_DIRNAME/../../contrib/make-busybox-bundle.sh" "${HUSK_BIN:-$HUSK}" "$top/home/base" >/dev/null
	rm "$top/home/base/config.json"
	chown -R "$TU_UID:$TU_GID" "$top/home"
	chmod 700 "$top/home/run"
}

# test_user_remove NAME: its processes killed (a failed test's leftovers),
# then the user and its subordinate ranges.
test_user_remove() {
	local name=$1 uid pids
	uid=$(id -u "$name" 2>/dev/null) || return 0
	pids=$(ps -o pid= -u "$uid" 2>/dev/null)
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	for _ in $(seq 20); do [ -z "$(ps -o pid= -u "$uid")" ] && break; sleep 0.1; done
	userdel "$name" 2>/dev/null || true
	sed -i "/^$name:/d" /etc/subuid /etc/subgid
}
