#!/bin/sh
# Writes a gcc specs file that makes a mingw-w64 gcc link the Universal C Runtime (UCRT)
# instead of msvcrt.dll:  tools/ucrt-specs.sh CC OUTFILE
# Debian 12's mingw-w64 gcc links msvcrt and rejects -mcrtdll=ucrt, but mingw-w64 ships libucrt.a:
# swapping -lmsvcrt for -lucrt in the link spec, and defining _UCRT and __MSVCRT_VERSION__=0xE00
# for the preprocessor as a UCRT toolchain does, gives programs that import only
# api-ms-win-crt-*.dll. Used by configure (--with-crt=ucrt) and tools/setup.sh (cmocka), and
# installed with a UCRT build so that winpipe.pc hands it to consumers (-specs=FILE).
set -eu
[ $# = 2 ] || { echo "usage: $0 CC OUTFILE" >&2; exit 2; }
cc=$1
out=$2
# $cc may carry options (CC="gcc -m64"): split on purpose.
# shellcheck disable=SC2086
$cc -dumpspecs >"$out.tmp"
sed -i -e 's/-lmsvcrt\([^a-z0-9_-]\|$\)/-lucrt\1/g' \
    -e '/^\*cpp:$/{n;s/$/ -D_UCRT -D__MSVCRT_VERSION__=0xE00/;}' "$out.tmp"
if ! grep -q -- '-lucrt' "$out.tmp" || ! grep -q -- '-D_UCRT' "$out.tmp" \
    || grep -q -- '-lmsvcrt' "$out.tmp"; then
    echo "$0: $cc's specs have no -lmsvcrt link or no *cpp entry to change" >&2
    rm -f "$out.tmp"
    exit 1
fi
mv "$out.tmp" "$out"
