#!/bin/sh
# A test of `make check`: winpipe programs whose standard output or input is a Unix pipe.
# Under Wine, a process started from a Unix shell with `| cat` gets a Unix pipe as a handle that
# says FILE_TYPE_PIPE but answers no named-pipe query; winpipe once took it for a socket, and
# every write() to it failed with EBADF. Natively the same commands check the test itself.
# Prints cmocka-style case lines, which tools/test.sh counts.
#
# Environment (Makefile.am): WINPIPE_TEST_BUILDDIR, and WINE for the mingw build.
set -u

builddir=${WINPIPE_TEST_BUILDDIR:?}
limit=${WINPIPE_TEST_TIMEOUT:-120}
exe=
[ -z "${WINE:-}" ] || exe=.exe
# Real executables, not libtool's wrappers (see tools/run-test.sh), and the DLL beside them.
real() {
    d=$(dirname "$1") b=$(basename "$1")
    if [ -f "$d/.libs/$b" ]; then
        for dll in "$builddir"/lib/.libs/*.dll; do
            t=$d/.libs/$(basename "$dll")
            [ -f "$dll" ] && ! cmp -s "$dll" "$t" 2>/dev/null \
                && { cp -p "$dll" "$t.$$" && mv -f "$t.$$" "$t"; } 2>/dev/null
        done
        echo "$d/.libs/$b"
    else
        echo "$1"
    fi
}
child=$(real "$builddir/tests/child$exe")
prun=$(real "$builddir/examples/prun$exe")
run() { timeout -k 10 "$limit" ${WINE:+"$WINE"} "$@"; }
# The runner splits its commands as sh does (a backslash escapes): Windows takes Z:/dir/prog too.
winpath() { if [ -n "${WINE:-}" ]; then printf 'Z:%s' "$1"; else printf '%s' "$1"; fi; }

passed=0
failed=0
check() {
    name=$1 got=$2 want=$3
    echo "[ RUN      ] $name"
    if [ "$got" = "$want" ]; then
        echo "[       OK ] $name"
        passed=$((passed + 1))
    else
        echo "got: $got"
        echo "want: $want"
        echo "[  FAILED  ] $name"
        failed=$((failed + 1))
    fi
}

echo "[==========] Running 3 test(s)."
# winpipe's write() with O_NONBLOCK (fcntl) on a standard output that is a Unix pipe.
got=$(run "$child" nbwrite 70000 | wc -c)
check nonblocking_write_to_a_unix_pipe_stdout "$got" 70000

# The runner's output, 100 lines of one job, through `| cat`.
got=$(run "$prun" "$(winpath "$child") lines 100 20" | grep -c '| ')
check runner_output_through_a_unix_pipe "$got" 100

# winpipe's read() on a standard input that is a Unix pipe: the runner reads its commands there.
got=$(printf '%s lines 7 20\n' "$(winpath "$child")" | run "$prun" | grep -c '| ')
check runner_commands_from_a_unix_pipe_stdin "$got" 7

echo "[==========] $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ "$failed" = 0 ] || echo "[  FAILED  ] $failed test(s)."
echo "unix-pipe.sh: $passed passed, $failed failed, 0 skipped"
[ "$failed" = 0 ]
