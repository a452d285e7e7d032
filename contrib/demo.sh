#!/bin/sh
# Builds husk and shows it at work on a busybox bundle made from Debian's
# busybox-static. Run as root on Debian 12. Usage: contrib/demo.sh
set -e
cd "$(dirname "$0")/.."
contrib/install-deps.sh
contrib/build.sh
husk=$PWD/husk
demo=$PWD/demo
root=$demo/state
contrib/make-busybox-bundle.sh "$husk" "$demo/bundle"
echo "== husk --version"
"$husk" --version
echo "== the demo bundle's config (from husk spec): process.args"
jq -c .process.args "$demo/bundle/config.json"
echo "== husk run husk-demo: a shell in the container prints its hostname, pid and uid map"
jq '.process.terminal=false | .process.args=["sh","-c","echo hello from a husk container: $(hostname), pid $$; cat /proc/self/uid_map"]' \
  "$demo/bundle/config.json" >"$demo/bundle/config.json.new"
mv "$demo/bundle/config.json.new" "$demo/bundle/config.json"
if "$husk" --root "$root" run --bundle "$demo/bundle" husk-demo; then
  echo "== the container ran and was deleted; husk list:"
  "$husk" --root "$root" list
else
  echo "== husk run failed (see the error above)"; exit 1
fi
