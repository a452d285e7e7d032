#!/bin/sh
# Builds husk in the source tree: autogen, configure, make. Extra arguments go
# to configure. Usage: contrib/build.sh [CONFIGURE-ARGS...]
set -e
cd "$(dirname "$0")/.."
[ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] || ./autogen.sh
if [ ! -f Makefile ] || [ $# -gt 0 ]; then
  ./configure --enable-werror "$@"
fi
make -j"$(nproc)"
