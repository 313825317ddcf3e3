#!/bin/sh
# A test of `make check` in the mingw build: winpipe as a configure-based project finds it.
# Installs this build with `make install DESTDIR=`, then builds tests/consumer -- a small
# Autotools project that uses PKG_CHECK_MODULES([WINPIPE], [winpipe]) and AC_CHECK_FUNCS --
# against that tree twice, linked to the DLL and statically, checks config.h and the linkage,
# and runs the program under Wine. Prints cmocka-style case lines, which tools/test.sh counts,
# and ends with "consumer.sh: N passed, N failed, N skipped". Exits 0 only if all passed.
#
# Environment (set by Makefile.am: AM_TESTS_ENVIRONMENT, and CONSUMER_TEST_ENV through
# SH_LOG_COMPILER; srcdir by automake's test harness):
#   srcdir, WINPIPE_TEST_BUILDDIR   the source tree and the top build directory
#   MAKE, WINPIPE_HOST, WINPIPE_BUILD, WINPIPE_BINDIR, WINPIPE_LIBDIR, WINPIPE_INCLUDEDIR,
#   OBJDUMP, WINPIPE_TEST_CRT       what this build was configured with
#   WINPIPE_GIVEN_CC, WINPIPE_LDFLAGS   the compiler as configure was given it (before the C
#                                   runtime's flags, which the consumer gets from winpipe.pc
#                                   alone) and LDFLAGS: the consumer is built with both
#   WINE, WINEPREFIX, WINEDEBUG, WINEDLLOVERRIDES, WINPIPE_TEST_TIMEOUT   as for every test
# Its scratch directory, tests/consumer.dir in the build tree, is kept for a look after a
# failure; `make clean` removes it.
set -u

top_srcdir=$(cd "${srcdir:-.}" && pwd) || exit 1
builddir=${WINPIPE_TEST_BUILDDIR:-$(pwd)}
host=${WINPIPE_HOST:?}
build=${WINPIPE_BUILD:?}
make_cmd=${MAKE:-make}
objdump=${OBJDUMP:-$host-objdump}
limit=${WINPIPE_TEST_TIMEOUT:-120}
want_crt=${WINPIPE_TEST_CRT:-msvcrt}
cc=${WINPIPE_GIVEN_CC:-$host-gcc}
ldflags=${WINPIPE_LDFLAGS:-}

scratch=$builddir/tests/consumer.dir
root=$scratch/root
src=$scratch/src

# pkg-config as a cross configure finds it: the host-prefixed one if there is one. Only the
# installed tree may be searched, and its winpipe.pc is relocatable: no sysroot.
pkg_config=$(command -v "$host-pkg-config" || command -v pkg-config) || pkg_config=pkg-config
PKG_CONFIG_LIBDIR=$root$WINPIPE_LIBDIR/pkgconfig
PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG CONFIG_SITE
# Sub-makes get none of the flags or variable overrides of the `make check` running this.
MAKEFLAGS=
MFLAGS=
unset MAKELEVEL
export MAKEFLAGS MFLAGS

# The functions configure must find: the list in tests/consumer/configure.ac.
funcs=$(sed -n 's/^m4_define(\[CONSUMER_FUNCS\], \[\(.*\)\])$/\1/p' \
    "$top_srcdir/tests/consumer/configure.ac")

cases=13
passed=0
failed=0
skipped=0
broken=   # set once a step failed that the later ones need

case_ok() { echo "[       OK ] $1"; passed=$((passed + 1)); }
case_failed() { echo "[  FAILED  ] $1"; failed=$((failed + 1)); }
# run_case NAME COMMAND...: one test case; skipped if an earlier step it needs failed.
run_case() {
    name=$1
    shift
    echo "[ RUN      ] $name"
    if [ -n "$broken" ]; then
        echo "skipped: $broken failed"
        echo "[  SKIPPED ] $name"
        skipped=$((skipped + 1))
    elif "$@"; then
        case_ok "$name"
    else
        case_failed "$name"
        broken=$name
    fi
}
# show_log FILE: the end of a log, for a failed step.
show_log() { echo "--- last lines of $1:"; tail -n 25 "$1"; }

step_install() {
    rm -rf "$scratch" && mkdir -p "$scratch" || return 1
    if ! (cd "$builddir" && $make_cmd install DESTDIR="$root") >"$scratch/install.log" 2>&1; then
        show_log "$scratch/install.log"
        return 1
    fi
    ok=0
    for f in "$WINPIPE_LIBDIR/pkgconfig/winpipe.pc" "$WINPIPE_LIBDIR/libwinpipe.a" \
             "$WINPIPE_LIBDIR/libwinpipe.dll.a" "$WINPIPE_INCLUDEDIR/winpipe/unistd.h" \
             "$WINPIPE_INCLUDEDIR/winpipe/sys/wait.h"; do
        [ -f "$root$f" ] || { echo "not installed: \$DESTDIR$f"; ok=1; }
    done
    dll=$(ls "$root$WINPIPE_BINDIR"/libwinpipe*.dll 2>/dev/null | head -n 1)
    [ -n "$dll" ] || { echo "no libwinpipe*.dll in \$DESTDIR$WINPIPE_BINDIR"; ok=1; }
    return $ok
}

# winpipe.pc must lead into DESTDIR, to the configured libdir and includedir.
step_pc() {
    ok=0
    for v in libdir includedir; do
        got=$("$pkg_config" --variable=$v winpipe) || { echo "$pkg_config cannot read winpipe.pc"; return 1; }
        case $v in libdir) want=$root$WINPIPE_LIBDIR ;; *) want=$root$WINPIPE_INCLUDEDIR ;; esac
        got_real=$(cd "$got" 2>/dev/null && pwd -P)
        want_real=$(cd "$want" && pwd -P)
        if [ "$got_real" != "$want_real" ]; then
            echo "winpipe.pc: $v=$got is not $want"
            ok=1
        fi
    done
    crt=$("$pkg_config" --variable=crt winpipe)
    if [ "$crt" != "$want_crt" ]; then
        echo "winpipe.pc: crt=$crt, but this build was configured --with-crt=$want_crt"
        ok=1
    fi
    echo "$pkg_config --cflags --libs winpipe: $("$pkg_config" --cflags --libs winpipe)"
    echo "$pkg_config --static --libs winpipe: $("$pkg_config" --static --libs winpipe)"
    return $ok
}

step_autoreconf() {
    cp -R "$top_srcdir/tests/consumer" "$src" && chmod -R u+w "$src" || return 1
    if ! (cd "$src" && autoreconf -fi) >"$scratch/autoreconf.log" 2>&1; then
        show_log "$scratch/autoreconf.log"
        return 1
    fi
}

# configure_variant dll|static
step_configure() {
    dir=$scratch/$1
    mkdir -p "$dir" || return 1
    if [ "$1" = static ]; then
        set -- "PKG_CONFIG=$pkg_config --static" "LDFLAGS=$ldflags${ldflags:+ }-static"
    else
        set -- "PKG_CONFIG=$pkg_config" "LDFLAGS=$ldflags"
    fi
    set -- "$@" "CC=$cc"
    if ! (cd "$dir" && "$src/configure" --host="$host" --build="$build" "$@") \
            >"$dir/configure.out" 2>&1; then
        show_log "$dir/configure.out"
        return 1
    fi
    for f in winpipe $funcs; do
        grep "^checking for $f\.\.\. " "$dir/configure.out"
    done
}

step_config_h() {
    ok=0
    for f in $funcs; do
        macro=HAVE_$(echo "$f" | tr 'a-z' 'A-Z')
        if grep -q "^#define $macro 1\$" "$scratch/$1/config.h"; then
            echo "config.h: $macro 1"
        else
            echo "config.h: $macro not defined to 1"
            ok=1
        fi
    done
    return $ok
}

step_build() {
    if ! $make_cmd -C "$scratch/$1" >"$scratch/$1/make.log" 2>&1; then
        show_log "$scratch/$1/make.log"
        return 1
    fi
    [ -f "$scratch/$1/consumer.exe" ] || { echo "no consumer.exe"; return 1; }
}

# The DLL build must import libwinpipe-0.dll (copied beside it, as a program ships it); the
# static one must not.
step_linkage() {
    exe=$scratch/$1/consumer.exe
    imports=$("$objdump" -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr '\n' ' ')
    echo "consumer.exe ($1) imports: $imports"
    # Built for the C runtime winpipe was built for (winpipe.pc hands UCRT's specs file on).
    case "$want_crt:$imports" in
        ucrt:*[Mm][Ss][Vv][Cc][Rr][Tt].[Dd][Ll][Ll]*) echo "a UCRT consumer imports msvcrt.dll"; return 1 ;;
        ucrt:*api-ms-win-crt-*) ;;
        ucrt:*) echo "a UCRT consumer imports no api-ms-win-crt-* DLL"; return 1 ;;
        msvcrt:*api-ms-win-crt-*) echo "an msvcrt consumer imports UCRT"; return 1 ;;
        msvcrt:*[Mm][Ss][Vv][Cc][Rr][Tt].[Dd][Ll][Ll]*) ;;
        *) echo "consumer.exe imports no C runtime for $want_crt"; return 1 ;;
    esac
    case "$1:$imports" in
        dll:*libwinpipe*) cp "$dll" "$scratch/$1/" ;;
        static:*libwinpipe*) echo "the static build imports winpipe's DLL"; return 1 ;;
        dll:*) echo "the DLL build does not import winpipe's DLL"; return 1 ;;
        static:*) return 0 ;;
    esac
}

step_run() {
    if [ -z "${WINE:-}" ]; then
        echo "WINE is not set"
        return 1
    fi
    out=$(cd "$scratch/$1" && timeout -k 10 "$limit" "$WINE" ./consumer.exe 2>&1)
    rc=$?
    echo "$out"
    [ "$rc" = 0 ] || { echo "consumer.exe exited with $rc"; return 1; }
    echo "$out" | grep -qx 'consumer: ok.\{0,1\}' || { echo "no 'consumer: ok'"; return 1; }
}

start=$(date +%s)
echo "[==========] Running $cases test(s)."
run_case consumer_install step_install
run_case consumer_pc_resolves_in_destdir step_pc
run_case consumer_autoreconf step_autoreconf
common_broken=$broken
for variant in dll static; do
    broken=$common_broken
    run_case consumer_${variant}_configure_finds_functions step_configure $variant
    run_case consumer_${variant}_config_h step_config_h $variant
    run_case consumer_${variant}_build step_build $variant
    run_case consumer_${variant}_linkage step_linkage $variant
    run_case consumer_${variant}_runs_under_wine step_run $variant
done
echo "[==========] $((passed + failed + skipped)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ "$failed" = 0 ] || echo "[  FAILED  ] $failed test(s)."
echo "consumer.sh: $passed passed, $failed failed, $skipped skipped ($(( $(date +%s) - start )) s)"
[ "$failed" = 0 ] && [ "$skipped" = 0 ] && [ "$passed" = "$cases" ]
