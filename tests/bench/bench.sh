#!/bin/bash
# Start-up time and memory of husk against runc and crun, in one run on the
# same busybox bundle: N times `run` of a container whose process is `true`.
# Reports mean wall time per container and the runtime's peak RSS (the
# largest of the runtime processes, from /usr/bin/time -f %M), and the ratios.
# Usage: tests/bench/bench.sh [N]   (as root; needs runc, crun, time, jq)
set -euo pipefail
n=${1:-50}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/husk-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$top/contrib/make-busybox-bundle.sh" "$top/husk" "$work/bundle" >/dev/null
jq '.ociVersion="1.0.2" | .process.terminal=false | .process.args=["true"]' "$work/bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"

# crun 1.8 refuses hybrid cgroup hosts unless the near-empty cgroup2 tree is
# hidden: a private mount namespace with a tmpfs on it (changes nothing on the
# host).  Every runtime runs in the same wrapper, so they pay the same cost
# and see the same cgroup layout.
wrap() { # wrap NAME COMMAND...
  shift
  if [ -d /sys/fs/cgroup/unified ]; then
    unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$@"' sh "$@"
  else
    "$@"
  fi
}

bench_one() { # bench_one NAME BINARY → prints "mean_ms peak_rss_kb"
  local name=$1 bin=$2 root=$work/root-$1 start end rss max=0
  mkdir -p "$root"
  start=$(date +%s%N)
  for i in $(seq "$n"); do
    wrap "$name" "$bin" --root "$root" run --bundle "$work/bundle" "b$i" >/dev/null 2>&1
  done
  end=$(date +%s%N)
  for i in 1 2 3; do
    rss=$( { wrap "$name" /usr/bin/time -f %M "$bin" --root "$root" run --bundle "$work/bundle" "m$i" >/dev/null; } 2>&1 | tail -1)
    [ "$rss" -gt "$max" ] && max=$rss
  done
  echo "$(( (end - start) / n / 1000 )) $max"
}

declare -A us rss
for rt in husk runc crun; do
  bin=$rt
  [ $rt = husk ] && bin=$top/husk
  command -v "$bin" >/dev/null || { echo "$rt: not installed, skipped"; continue; }
  read -r us[$rt] rss[$rt] < <(bench_one $rt "$bin")
  printf '%-5s %8.2f ms/container  peak RSS %6d KiB\n' $rt "$(echo "${us[$rt]} / 1000" | bc -l)" "${rss[$rt]}"
done
for rt in runc crun; do
  [ -n "${us[$rt]:-}" ] && [ -n "${us[husk]:-}" ] || continue
  printf 'husk/%s: time %.2f, peak RSS %.2f\n' $rt \
    "$(echo "${us[husk]} / ${us[$rt]}" | bc -l)" "$(echo "${rss[husk]} / ${rss[$rt]}" | bc -l)"
done
