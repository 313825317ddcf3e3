#!/bin/sh
# Builds winpipe's benchmark programs (bench/*.c) from the sources with the mingw-w64 compiler,
# runs them under Wine and prints every figure, then a summary of the machine-readable lines.
#   usage: tools/bench.sh [PROGRAM...]
#   (default: throughput pingpong scale idle spawn signal pidfd)
# PROGRAM is throughput, pingpong, scale (pingpong --scale), idle, spawn, signal or pidfd. Extra
# arguments for every program may be given in BENCH_ARGS (e.g. BENCH_ARGS="--rounds 3").
# Environment: WINE (default /usr/lib/wine/wine64 or wine), WINEPREFIX (default
# /tmp/wp-bench-$(id -u); created on first use, ~5 s), BENCH_OUT (build directory, default
# /tmp/winpipe-bench-$(id -u)), CC (default x86_64-w64-mingw32-gcc).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_OUT:-/tmp/winpipe-bench-$(id -u)}
cc=${CC:-x86_64-w64-mingw32-gcc}
if [ -z "${WINE:-}" ]; then
    if [ -x /usr/lib/wine/wine64 ]; then WINE=/usr/lib/wine/wine64; else WINE=wine; fi
fi
WINEPREFIX=${WINEPREFIX:-/tmp/wp-bench-$(id -u)}
WINEDEBUG=-all
export WINEPREFIX WINEDEBUG
server=$(dirname "$WINE")/wineserver
[ -x "$server" ] || server=wineserver

[ $# -gt 0 ] || set -- throughput pingpong scale idle spawn signal pidfd
lib=$(ls "$top"/lib/*.c "$top"/lib/*/*.c 2>/dev/null) # the library's sources, every room
mkdir -p "$out"

build() {
    echo "bench: building $1.exe"
    "$cc" -O2 -Wall -Wextra -I"$top/include" -I"$top/lib" "$top/bench/$1.c" $lib \
        -lntdll -lws2_32 -ladvapi32 -static -pthread -o "$out/$1.exe"
}

built=
for p in "$@"; do
    case $p in
    throughput|idle|signal|pidfd) build "$p" ;;
    spawn)
        build spawn
        echo "bench: building child.exe (tests/child.c), the spawned program"
        "$cc" -O2 -I"$top/include" -I"$top/lib" "$top/tests/child.c" $lib \
            -lntdll -lws2_32 -ladvapi32 -static -pthread -o "$out/child.exe"
        ;;
    pingpong|scale)
        case $built in *pingpong*) ;; *) build pingpong; built="$built pingpong" ;; esac ;;
    *) echo "bench: unknown program $p" >&2; exit 2 ;;
    esac
done

# One wineserver for the whole run, started persistent (if one already serves the prefix, -p
# fails and that one is used) and ended at exit.
"$server" -p 2>/dev/null || true
trap '"$server" -k 2>/dev/null || true' EXIT
"$WINE" cmd /c exit >/dev/null 2>&1 || true # creates the prefix on first use

# The pid of the prefix's wineserver: the one whose directory is named after the prefix's
# device and inode in hex (wineserver's own naming).
find_server() {
    key=server-$(stat -c %D "$WINEPREFIX")-$(printf '%x' "$(stat -c %i "$WINEPREFIX")")
    for pid in $(pgrep -u "$(id -u)" wineserver || true); do
        case $(readlink "/proc/$pid/cwd" 2>/dev/null) in
        */"$key") echo "$pid" ;;
        esac
    done
}

log=$out/bench.log
: >"$log"
for p in "$@"; do
    echo
    echo "== $p"
    case $p in
    scale) cmd="$out/pingpong.exe --scale" ;;
    idle)
        server_pid=$(find_server)
        [ -n "$server_pid" ] || echo "bench: wineserver not found; idle gives no server figures"
        cmd="$out/idle.exe${server_pid:+ --wineserver-pid $server_pid}"
        ;;
    *) cmd="$out/$p.exe" ;;
    esac
    # shellcheck disable=SC2086 # split on purpose; $out must hold no spaces
    "$WINE" $cmd ${BENCH_ARGS:-} | tee -a "$log"
done

echo
echo "== summary (medians)"
grep -E '^([a-z-]+: winpipe |scale: |pidfd-[a-z]+: )' "$log" || true
