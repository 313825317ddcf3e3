#!/bin/sh
# Shows winpipe at work: builds it for mingw-w64, installs it into a scratch tree with
# `make install DESTDIR=`, builds the plain POSIX program examples/demo.c against it with
# pkg-config -- once against the DLL, once statically -- and runs both under Wine.
#   tools/demo.sh            from tools/setup.sh on
#   WINPIPE_QUICK=1 tools/demo.sh   skip tools/setup.sh
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
host=x86_64-w64-mingw32
build=_build/win
out=_build/demo
root=$top/$out/root

say() { echo "demo.sh: $*"; }

[ -n "${WINPIPE_QUICK:-}" ] || sh tools/setup.sh
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
    mkdir -p m4
    autoreconf -fi
fi
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
    (cd "$build" && "$top/configure" -q --build="$("$top/build-aux/config.guess")" --host=$host)
fi
say "building winpipe for $host in $build"
make -C "$build" --no-print-directory -s -j2
rm -rf "$root"
mkdir -p "$out"
if ! make -C "$build" --no-print-directory install DESTDIR="$root" >"$out/install.log" 2>&1; then
    cat "$out/install.log"
    exit 1
fi
say "installed into $root"

# The installed winpipe.pc is relocatable: pkg-config finds everything from its location.
PKG_CONFIG_LIBDIR=$(dirname "$(find "$root" -name winpipe.pc | head -n 1)")
PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH
dll_dir=$(dirname "$(find "$root" -name 'libwinpipe*.dll' | head -n 1)")
cc=$host-gcc

run() { echo "+ $*"; "$@"; }
say "building examples/demo.c against the installed winpipe"
# winpthreads linked statically, so that only libwinpipe's DLL has to be found.
run $cc -Wall -Wextra -O2 -o $out/demo.exe examples/demo.c \
    $(pkg-config --cflags --libs winpipe) -Wl,-Bstatic -lpthread -Wl,-Bdynamic
run $cc -Wall -Wextra -O2 -static -o $out/demo-static.exe examples/demo.c \
    $(pkg-config --static --cflags --libs winpipe) -lpthread

# The build's own Wine prefix (make check uses it too); its wineserver is stopped on exit.
wine=$(sed -n 's/^WINE = //p' "$build/Makefile")
wineserver=$(sed -n 's/^WINESERVER = //p' "$build/Makefile")
make -C "$build" --no-print-directory -s wineprefix.stamp
WINEPREFIX=$top/$build/wineprefix
WINEDEBUG=-all
WINEDLLOVERRIDES='mscoree,mshtml,winemenubuilder.exe='
WINEPATH="Z:$(printf '%s' "$dll_dir" | tr / '\\')"
export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES WINEPATH
trap '"$wineserver" -k >/dev/null 2>&1 || :' EXIT

status=0
for exe in demo.exe demo-static.exe; do
    say "running $out/$exe under Wine"
    timeout 60 "$wine" "$out/$exe" || { status=1; say "$exe FAILED"; }
done
[ $status = 0 ] && say "both demos ran"
exit $status
