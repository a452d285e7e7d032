#!/bin/bash
# --systemd-cgroup against a real systemd: inside the pure cgroup v2 VM
# (../shared/tools/run-in-vm.sh), systemd runs as PID 1 of private cgroup, pid
# and mount namespaces with its own /run and an empty target; husk, run from
# systemd's init.scope in those namespaces, must start its container in a
# transient scope unit "husk-<id>.scope" under the slice of cgroupsPath, and
# delete must stop the unit.  Prints TAP.
# Usage (from a built tree): tests/integration/systemd-vm.sh [HUSK]
# Inside the VM (what the script re-runs itself as): systemd-vm.sh --inside HUSK
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
husk=${2:-${1:-$top/husk}}
if [ "${1:-}" != --inside ]; then
  vm=${RUN_IN_VM:-$top/../shared/tools/run-in-vm.sh}
  [ -x "$vm" ] || { echo "1..0 # SKIP no VM tool at $vm"; exit 0; }
  [ -x /lib/systemd/systemd ] || { echo "1..0 # SKIP systemd is not installed (/lib/systemd/systemd)"; exit 0; }
  exec "$vm" --mem 1G --timeout 600 -- "$0" --inside "$husk"
fi

n=0 failed=0
check() { # check DESCRIPTION COMMAND...
  n=$((n + 1))
  if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}

work=$(mktemp -d /tmp/husk-sd.XXXXXX)
"$top/contrib/make-busybox-bundle.sh" "$husk" "$work/bundle" >/dev/null
jq '.process.terminal=false | .process.args=["sleep","1000"] | .linux.cgroupsPath="system.slice:husk:sd1"' \
  "$work/bundle/config.json" >"$work/c.json" && mv "$work/c.json" "$work/bundle/config.json"

mkdir -p /sys/fs/cgroup/sdtest
cat >"$work/inner.sh" <<'IN'
#!/bin/sh
echo $$ > /sys/fs/cgroup/sdtest/cgroup.procs
exec unshare --cgroup --fork --pid --mount --mount-proc --propagation private sh -c '
  mount -t tmpfs tmpfs /run
  mkdir -p /run/systemd/system
  printf "[Unit]\nDescription=husk test\nDefaultDependencies=no\n" > /run/systemd/system/husk-test.target
  umount /sys/fs/cgroup 2>/dev/null; mount -t cgroup2 cgroup2 /sys/fs/cgroup
  exec env container=husk-test /lib/systemd/systemd --system --unit=husk-test.target --log-target=kmsg
' </dev/null
IN
chmod +x "$work/inner.sh"
"$work/inner.sh" >"$work/sd.log" 2>&1 &
up=$!
sleep 1
sd=$(ps --ppid $up -o pid= | tr -d ' ')
for _ in $(seq 1 240); do
  st=$(nsenter -t "$sd" -m -p -C timeout 5 systemctl is-system-running 2>&1)
  case "$st" in running | degraded) break ;; esac
  sleep 0.5
done
check "systemd is up in its namespaces ($st)" test "$st" = running -o "$st" = degraded

# in_sd CMD: run CMD in systemd's namespaces, from its init.scope (a process
# outside the cgroup namespace's root could not be moved by systemd).
in_sd() {
  sh -c "echo \$\$ > /sys/fs/cgroup/sdtest/init.scope/cgroup.procs && exec nsenter -t $sd -m -p -C sh -c '$1'"
}
H="$husk --systemd-cgroup --root /run/husk"
check "husk run --systemd-cgroup starts the container" \
  in_sd "$H run -d --bundle $work/bundle sd1 </dev/null >/dev/null"
pid=$(in_sd "$H state sd1" | jq .pid)
check "the init is in /system.slice/husk-sd1.scope" \
  in_sd "grep -qx 0::/system.slice/husk-sd1.scope /proc/$pid/cgroup"
check "systemd knows the scope as active" in_sd "systemctl is-active --quiet husk-sd1.scope"
check "the scope is delegated" in_sd "test \"\$(systemctl show -p Delegate --value husk-sd1.scope)\" = yes"
check "delete --force stops the scope" in_sd "$H delete --force sd1"
check "the scope is gone" in_sd "! systemctl is-active --quiet husk-sd1.scope"
check "its cgroup is gone" in_sd "test ! -e /sys/fs/cgroup/system.slice/husk-sd1.scope"
check "no state is left" in_sd "test -z \"\$($H list -q)\""
kill -9 "$sd" 2>/dev/null
rm -rf "$work"
echo "1..$n"
exit $((failed > 0))
