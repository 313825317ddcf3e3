#!/bin/sh
# The LOG_COMPILER of `make check`: runs one test program with a time-out, natively or, when
# the Makefile exported WINE (mingw build), under Wine.
#   usage: run-test.sh PROGRAM [ARG...]
# The time-out counts from the program's last sign of progress, not from its start, so that a
# program that is slow under load is not killed while it progresses: the program gets a
# heartbeat file (WINPIPE_TEST_HEARTBEAT) that its watchdog thread (tests/helper.c) touches
# while a test is within the watchdog's own limit or progress is made, and the program is killed
# when the file has not been touched for WINPIPE_TEST_TIMEOUT seconds: a hang the in-process
# watchdog cannot catch (outside any test, or one that stops the watchdog thread itself). A
# program that never touches it (no test helper) gets WINPIPE_TEST_TIMEOUT from its start.
# WINPIPE_TEST_MAX_SECONDS (default 7200) bounds the whole run all the same.
# Environment (set by Makefile.am's AM_TESTS_ENVIRONMENT):
#   WINPIPE_TEST_TIMEOUT  seconds without a heartbeat before the test is killed (default 300)
#   WINE, WINEPREFIX      Wine loader and the build's own prefix; unset for a native build
#   WINPIPE_DLL_DIRS      colon-separated Unix directories holding the DLLs the test needs
#   WINPIPE_TEST_BUILDDIR the top build directory; the test sees it as a path of its own
#                         platform (Z:\... under Wine), e.g. to find a child helper program
set -u

prog=$1
shift
limit=${WINPIPE_TEST_TIMEOUT:-300}
max=${WINPIPE_TEST_MAX_SECONDS:-7200}
heartbeat=$(mktemp "${TMPDIR:-/tmp}/winpipe-heartbeat.XXXXXX") || exit 1
trap 'rm -f "$heartbeat" "$heartbeat.stale"' EXIT
WINPIPE_TEST_HEARTBEAT=$heartbeat

# Wine maps the Unix root to drive Z:.
wine_path() { printf 'Z:%s' "$1" | tr / '\\'; }

if [ -n "${WINE:-}" ]; then
    # For a program linked against the uninstalled DLL, libtool leaves the real executable in
    # .libs/ and puts a wrapper executable in its place. The wrapper's path translation does
    # not work for a Linux-to-mingw cross build, so run the real one and let Wine find the
    # DLL through WINEPATH.
    dir=$(dirname "$prog")
    base=$(basename "$prog")
    in_libs=
    if [ -f "$dir/.libs/$base" ]; then
        prog=$dir/.libs/$base
        in_libs=1
    fi
    winepath=
    old_ifs=$IFS
    IFS=:
    for d in ${WINPIPE_DLL_DIRS:-}; do
        [ -n "$d" ] || continue
        winepath="$winepath${winepath:+;}$(wine_path "$d")"
        # A copy beside the program too: Windows looks for DLLs in the program's directory
        # first, so its children (the spawn tests' child helper) find the DLL even when a test
        # gives them an environment of their own, without WINEPATH.
        for dll in "$d"/*.dll; do
            [ -n "$in_libs" ] && [ -f "$dll" ] || continue
            target=$(dirname "$prog")/$(basename "$dll")
            # Whenever it differs (a stale copy made by hand must not win), and by rename:
            # tests running at once may be loading it.
            cmp -s "$dll" "$target" 2>/dev/null \
                || { cp -p "$dll" "$target.$$" && mv -f "$target.$$" "$target"; } 2>/dev/null || :
        done
    done
    IFS=$old_ifs
    WINEPATH="$winepath${WINEPATH:+;$WINEPATH}"
    export WINEPATH
    if [ -n "${WINPIPE_TEST_BUILDDIR:-}" ]; then
        WINPIPE_TEST_BUILDDIR=$(wine_path "$WINPIPE_TEST_BUILDDIR")
        export WINPIPE_TEST_BUILDDIR
    fi
    WINPIPE_TEST_HEARTBEAT=$(wine_path "$heartbeat")
    set -- "$WINE" "$prog" "$@"
else
    set -- "$prog" "$@"
fi
export WINPIPE_TEST_HEARTBEAT

# timeout(1) signals its whole process group, so children a test spawned die with it; a TERM
# sent to timeout itself goes to that group too.
timeout -k 10 "$max" "$@" &
tpid=$!
# The heartbeat's watcher: its output goes nowhere (a sleep it leaves behind for a moment must
# not hold the log open); what it saw goes into $heartbeat.stale.
(
    while sleep 5; do
        age=$(( $(date +%s) - $(stat -c %Y "$heartbeat" 2>/dev/null || date +%s) ))
        if [ "$age" -gt "$limit" ]; then
            echo "$age" >"$heartbeat.stale"
            kill -TERM "$tpid"
            exit 0
        fi
    done
) >/dev/null 2>&1 &
wpid=$!
wait "$tpid"
rc=$?
kill "$wpid" 2>/dev/null
if [ -f "$heartbeat.stale" ]; then
    echo "run-test: $prog killed: no progress for $(cat "$heartbeat.stale") s (WINPIPE_TEST_TIMEOUT=$limit; exit $rc)"
elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "run-test: $prog killed after WINPIPE_TEST_MAX_SECONDS=$max s (exit $rc)"
fi
exit "$rc"
