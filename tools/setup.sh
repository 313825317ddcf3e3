#!/bin/sh
# Installs everything winpipe's build and tests need on a fresh Debian machine, from Debian's
# packages only, and builds cmocka for the mingw target from Debian's cmocka source package.
# Idempotent: a second run with everything in place only checks and returns.
set -eu

DEPS=${WINPIPE_DEPS:-/var/cache/winpipe-deps}
# clang and lld: the clang build (tools/test.sh's _build/win-clang), clang targeting mingw-w64
# with mingw-w64's headers and libraries, as MSYS2's CLANG64 builds.
PKGS="mingw-w64 wine64 autoconf automake libtool pkg-config libcmocka-dev make cmake dpkg-dev clang lld"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# cmocka for x86_64-w64-mingw32, built from Debian's own source package, once per C runtime:
# $DEPS/mingw64 for msvcrt and $DEPS/mingw64-ucrt for UCRT (configure --with-crt=ucrt; the
# compiler is pointed at UCRT by the specs file tools/ucrt-specs.sh writes). Built with mingw's
# C99 printf (__USE_MINGW_ANSI_STDIO), so that its messages print %zu and %lld right on either
# CRT, and its header says so, so that the compiler checks test formats against it: gnu_printf
# for gcc, printf for clang (which has no gnu_printf and checks C99 formats as printf). clang
# links the gcc-built UCRT library as it is (configure checks that cmocka links).
# The marker names this recipe: change it when the recipe changes, and cmocka is rebuilt. A
# build also leaves the markers of older recipes that it fulfils, so that an older checkout
# sharing this directory does not build it again: OLD_MARKERS.
MARKER=.winpipe-cmocka-ansi-stdio-clang
OLD_MARKERS=.winpipe-cmocka-ansi-stdio
here=$(cd "$(dirname "$0")" && pwd)
src=

fetch_cmocka() {
    [ -z "$src" ] || return 0
    if ! apt-get source --print-uris cmocka >/dev/null 2>&1; then
        # No deb-src entry: add one for the release's own suites.
        . /etc/os-release
        cat <<SRC | $SUDO tee /etc/apt/sources.list.d/winpipe-deb-src.sources >/dev/null
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        $SUDO apt-get update -qq
    fi
    src=$(mktemp -d)
    (cd "$src" && apt-get source -qq --download-only cmocka >/dev/null 2>&1 \
        && dpkg-source -x --skip-patches ./cmocka_*.dsc cmocka >/dev/null 2>&1 \
        || dpkg-source -x ./cmocka_*.dsc cmocka >/dev/null)
    h=$src/cmocka/include/cmocka.h
    sed -i 's/__format__ (__printf__,/__format__ (WINPIPE_CMOCKA_PRINTF,/' "$h"
    grep -q 'WINPIPE_CMOCKA_PRINTF,' "$h" || { echo "setup: cmocka.h has no printf format attribute" >&2; exit 1; }
    { cat <<'HDR'
/* winpipe's tools/setup.sh: this cmocka prints with mingw's C99 printf, which gcc checks as
 * gnu_printf; clang has no gnu_printf and checks C99 formats as printf. */
#ifndef WINPIPE_CMOCKA_PRINTF
#ifdef __clang__
#define WINPIPE_CMOCKA_PRINTF __printf__
#else
#define WINPIPE_CMOCKA_PRINTF __gnu_printf__
#endif
#endif
HDR
      cat "$h"; } >"$h.new" && mv "$h.new" "$h"
    cat > "$src/mingw.cmake" <<TC
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
TC
}

# build_cmocka DIR CRT: cmocka's static library for CRT (msvcrt or ucrt) installed in $DEPS/DIR.
build_cmocka() {
    dir=$1
    crt=$2
    marker="$DEPS/$dir/$MARKER"
    if [ -f "$marker" ] && [ -f "$DEPS/$dir/lib/libcmocka-static.a" ]; then
        return 0
    fi
    fetch_cmocka
    flags=-D__USE_MINGW_ANSI_STDIO=1
    if [ "$crt" = ucrt ]; then
        sh "$here/ucrt-specs.sh" x86_64-w64-mingw32-gcc "$src/ucrt.specs"
        flags="$flags -specs=$src/ucrt.specs"
    fi
    rm -rf "$src/build-$crt" "$src/stage-$crt"
    cmake -S "$src/cmocka" -B "$src/build-$crt" -DCMAKE_TOOLCHAIN_FILE="$src/mingw.cmake" \
        -DCMAKE_INSTALL_PREFIX="$DEPS/$dir" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS="$flags" \
        -DBUILD_SHARED_LIBS=OFF -DWITH_STATIC_LIB=ON -DUNIT_TESTING=OFF \
        -DWITH_EXAMPLES=OFF -DPICKY_DEVELOPER=OFF >/dev/null
    cmake --build "$src/build-$crt" -j2 >/dev/null
    # Staged, then swapped in at once: a build using the old copy meanwhile is not disturbed.
    DESTDIR="$src/stage-$crt" cmake --install "$src/build-$crt" >/dev/null
    rm -f "$src/stage-$crt$DEPS/$dir"/.winpipe-cmocka-*
    touch "$src/stage-$crt$marker"
    for m in $OLD_MARKERS; do touch "$src/stage-$crt$DEPS/$dir/$m"; done
    mkdir -p "$DEPS"
    rm -rf "$DEPS/$dir.old"
    [ ! -d "$DEPS/$dir" ] || mv "$DEPS/$dir" "$DEPS/$dir.old"
    mv "$src/stage-$crt$DEPS/$dir" "$DEPS/$dir"
    rm -rf "$DEPS/$dir.old"
    echo "setup: cmocka for mingw ($crt) installed in $DEPS/$dir"
}

build_cmocka mingw64 msvcrt
build_cmocka mingw64-ucrt ucrt
[ -z "$src" ] || rm -rf "$src"
echo "setup: ready (WINPIPE_DEPS=$DEPS)"
