#!/bin/sh
# The LOG_COMPILER of `make check`: runs one test program with a time-out, natively or, when
# the Makefile exported WINE (mingw build), under Wine.
#   usage: run-test.sh PROGRAM [ARG...]
# Environment (set by Makefile.am's AM_TESTS_ENVIRONMENT):
#   WINPIPE_TEST_TIMEOUT  seconds before the test is killed (default 120)
#   WINE, WINEPREFIX      Wine loader and the build's own prefix; unset for a native build
#   WINPIPE_DLL_DIRS      colon-separated Unix directories holding the DLLs the test needs
#   WINPIPE_TEST_BUILDDIR the top build directory; the test sees it as a path of its own
#                         platform (Z:\... under Wine), e.g. to find a child helper program
set -u

prog=$1
shift
limit=${WINPIPE_TEST_TIMEOUT:-120}

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
    set -- "$WINE" "$prog" "$@"
else
    set -- "$prog" "$@"
fi

# timeout(1) signals its whole process group, so children a test spawned die with it.
timeout -k 10 "$limit" "$@"
rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "run-test: $prog killed after its time-out of ${limit} s (exit $rc)"
fi
exit "$rc"
