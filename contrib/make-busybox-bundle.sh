#!/bin/sh
# Makes an OCI bundle whose rootfs is Debian's static busybox, with the default
# config of `husk spec`. Usage: contrib/make-busybox-bundle.sh HUSK DIR
set -e
husk=$1 dir=$2
[ -n "$husk" ] && [ -n "$dir" ] || { echo "usage: $0 HUSK DIR" >&2; exit 2; }
rm -rf "$dir"
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" \
  "$dir/rootfs/tmp" "$dir/rootfs/etc"
cp /bin/busybox "$dir/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$dir/rootfs/bin/$applet" ] || ln -s busybox "$dir/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/rootfs/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$dir/rootfs/etc/passwd"
echo 'root:x:0:' >"$dir/rootfs/etc/group"
echo 'nogroup:x:65534:' >>"$dir/rootfs/etc/group"
"$husk" spec --bundle "$dir"
