#!/bin/sh
# winpipe's test command: sets up the machine, then builds and runs every test four times:
# natively (_build/native, against the system's POSIX functions) and cross-compiled for
# mingw-w64 once per C runtime with gcc (_build/win for msvcrt, _build/win-ucrt for UCRT) and
# once with clang and lld for UCRT, as MSYS2's CLANG64 builds (_build/win-clang); the last
# three under Wine. It always runs all four, then closes with one line:
#   winpipe: N passed, N failed, N skipped
# counted from cmocka's per-case lines in every test log; a test program that crashed, timed
# out or exited non-zero without a FAILED line counts as one failed, a build that failed as one.
# Exits non-zero if anything failed or nothing ran.
#
#   tools/test.sh            everything, from tools/setup.sh and autoreconf on
#   tools/test.sh --quick    (or WINPIPE_QUICK=1) skip setup and reuse configured build dirs
# WINPIPE_JOBS (default 2) sets make's -j.
set -u

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
quick=${WINPIPE_QUICK:-}
case ${1:-} in
    --quick) quick=1 ;;
    "") ;;
    *) echo "usage: tools/test.sh [--quick]" >&2; exit 2 ;;
esac
jobs=${WINPIPE_JOBS:-2}

passed=0
failed=0
skipped=0
problems=

say() { echo "test.sh: $*"; }
now() { date +%s; }
fail_step() { failed=$((failed + 1)); problems="$problems
  $1"; say "FAILED: $1"; }

start=$(now)
if [ -z "$quick" ]; then
    sh tools/setup.sh || fail_step "tools/setup.sh"
fi
if [ -z "$quick" ] || [ ! -x configure ]; then
    mkdir -p m4
    autoreconf -fi || fail_step "autoreconf -fi"
fi
say "setup and autoreconf: $(( $(now) - start )) s"

# build NAME CONFIGURE-ARG...: configure (unless quick and done), build and run the tests.
build() {
    name=$1
    shift
    dir=_build/$name
    t0=$(now)
    mkdir -p "$dir"
    # Stale logs of an earlier run must not be counted if this build fails before its tests.
    rm -f "$dir"/tests/*.log "$dir"/tests/*.trs
    say "=== $name build ($dir) ==="
    if [ -n "$quick" ] && [ -f "$dir/Makefile" ]; then
        :
    elif ! (cd "$dir" && "$top/configure" -q "$@"); then
        fail_step "$name: configure (see $dir/config.log)"
        return
    fi
    if ! make -C "$dir" --no-print-directory -j"$jobs" check; then
        # Either tests failed (counted from the logs below) or the build itself did.
        if ! ls "$dir"/tests/*.trs >/dev/null 2>&1; then
            fail_step "$name: build"
        fi
    fi
    say "$name build and tests: $(( $(now) - t0 )) s"
}

# count DIR: add the cmocka results of every test log in DIR to the totals, and print the
# result lines of each test that did not pass. cmocka's markers are matched anywhere in a line:
# Wine writes its own messages to the same log and may put one at the start of a marker's line.
count() {
    for trs in "$1"/tests/*.trs; do
        [ -f "$trs" ] || continue
        log=${trs%.trs}.log
        result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
        read -r ok bad skip <<EOF
$(awk '
            /^\[==========\] Running /   { in_run = 1; next }
            /^\[==========\] .* run\./   { in_run = 0; next }
            in_run && /\[       OK \] /  { ok++ }
            in_run && /\[  FAILED  \] /  { bad++ }
            in_run && /\[  SKIPPED \] /  { skip++ }
            END { printf "%d %d %d\n", ok, bad, skip }' "$log")
EOF
        case $result in
            PASS|XFAIL) ;;
            SKIP) [ $((ok + bad + skip)) -gt 0 ] || skip=1 ;;
            *) [ "$bad" -gt 0 ] || bad=1 ;;
        esac
        passed=$((passed + ok))
        failed=$((failed + bad))
        skipped=$((skipped + skip))
        if [ "$bad" -gt 0 ]; then
            problems="$problems
  $log ($result)"
            echo "---- $log ($result) ----"
            if grep -q '^\[' "$log"; then
                grep -v '^\[ RUN      \]\|^\[       OK \]' "$log" | head -n 60
            else
                tail -n 30 "$log"
            fi
        fi
    done
}

# Natively, then for Windows once per C runtime (each has its own fd table, so winpipe is
# built for one or the other: configure --with-crt).
build native
build win --build="$(build-aux/config.guess)" --host=x86_64-w64-mingw32
build win-ucrt --build="$(build-aux/config.guess)" --host=x86_64-w64-mingw32 --with-crt=ucrt

# clang for mingw-w64: Debian's clang does not find mingw's libgcc, whose directory is named
# like 12-win32 rather than a version, so a clang config file names it. Options in a config
# file that a step does not use draw no warning, as -L in CC would on every compile.
clang_cfg=$top/_build/x86_64-w64-mingw32-clang.cfg
if libgcc=$(x86_64-w64-mingw32-gcc -print-libgcc-file-name 2>/dev/null) && [ -f "$libgcc" ]; then
    printf '%s\n' --target=x86_64-w64-mingw32 -fuse-ld=lld "-L$(dirname "$libgcc")" >"$clang_cfg"
    build win-clang --build="$(build-aux/config.guess)" --host=x86_64-w64-mingw32 \
        --with-crt=ucrt CC="clang --config $clang_cfg"
else
    fail_step "win-clang: no libgcc from x86_64-w64-mingw32-gcc (run tools/setup.sh)"
fi

count _build/native
count _build/win
count _build/win-ucrt
count _build/win-clang

# No wineserver of this run may linger (make check stops it unless a test failed).
for dir in _build/win _build/win-ucrt _build/win-clang; do
    if [ -f $dir/Makefile ]; then
        make -C $dir --no-print-directory -s wine-kill >/dev/null 2>&1
    fi
done

say "total time: $(( $(now) - start )) s"
if [ -n "$problems" ]; then
    say "failures:$problems"
fi
status=0
if [ "$failed" -gt 0 ]; then
    status=1
elif [ $((passed + skipped)) -eq 0 ]; then
    say "no test ran"
    status=1
fi
echo "winpipe: $passed passed, $failed failed, $skipped skipped"
exit "$status"
