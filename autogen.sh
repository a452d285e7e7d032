#!/bin/sh
# Generates ./configure from configure.ac and Makefile.am (autoreconf also
# installs build-aux/tap-driver.sh, which configure.ac asks for).
set -e
cd "$(dirname "$0")"
mkdir -p m4
exec autoreconf -fi
