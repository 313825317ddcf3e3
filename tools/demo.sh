#!/bin/sh
# Shows winpipe at work: builds it for mingw-w64, installs it into a scratch tree with
# `make install DESTDIR=`, builds the plain POSIX parallel command runner examples/prun.c
# against it with pkg-config -- once against the DLL, once statically -- and runs both under
# Wine on a handful of real commands whose output interleaves live. Exits 0 only if every run
# ends as expected.
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
say "building examples/prun.c against the installed winpipe"
run $cc -Wall -Wextra -O2 -o $out/prun.exe examples/prun.c $(pkg-config --cflags --libs winpipe)
run $cc -Wall -Wextra -O2 -static -o $out/prun-static.exe examples/prun.c \
    $(pkg-config --static --cflags --libs winpipe)
# The jobs' program: the test suite's child helper, whose `lines N LEN FDS MS` prints numbered
# lines with a pause after each.
run $cc -O2 -static -o $out/child.exe tests/child.c $(pkg-config --static --cflags --libs winpipe)
printf 'pear\napple\nfig\nbanana\n' >$out/fruit.txt

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

# Runs prun under Wine and checks its exit status.
#   prun EXE WANT_STATUS ARG...
prun() {
    exe=$1 want=$2
    shift 2
    say "running $out/$exe under Wine (exit status $want expected)"
    got=0
    timeout 120 "$wine" "$out/$exe" "$@" || got=$?
    [ "$got" = "$want" ] && return 0
    say "$exe exited $got, not $want"
    status=1
}

# Two slow jobs from the child helper and some of Wine's own programs, four at a time: each
# line arrives whole under its job's name as the job prints it, stdout as "name|", stderr as
# "name!"; `find` reads its input from the file through a pipe the runner feeds.
child=$out/child.exe
status=0
for exe in prun.exe prun-static.exe; do
    prun $exe 0 -j 4 -n \
        "tick $child lines 6 28 1 400" \
        "tock $child lines 4 34 1,2 700" \
        "host hostname" \
        "user whoami" \
        "ver cmd /c ver" \
        "grep find \"an\" < $out/fruit.txt"
done
# What failing looks like: an exit status, a crash (reported as SIGSEGV), a missing program.
prun prun-static.exe 1 -n "fails $child exit 3" "crashes $child crash" "missing no-such-program"
[ $status = 0 ] && say "every run ended as expected"
exit $status
