#!/bin/sh
# A test of `make check`, in every build: winpipe's headers compile without a warning under
# the strictest flags ported code uses, with this build's compiler (gcc natively and for
# mingw-w64, clang in the clang build). Prints cmocka-style case lines, which tools/test.sh
# counts.
#   - as a consumer sees them (-Wall -Wextra -Wpedantic -Werror): each header alone, then all
#     in one file. The wrappers' #include_next is a GCC extension -Wpedantic reports; the
#     headers mark themselves as system headers for that.
#   - as winpipe's own builds see them (WINPIPE_HEADER_WARNINGS: not system headers):
#     -Wall -Wextra -Werror, and with clang -Wpedantic too (less its #include_next warning,
#     which gcc cannot turn off alone), so that a real mistake in a header still fails here.
#
# Environment (Makefile.am, through SH_LOG_COMPILER): srcdir; WINPIPE_CC, the compiler and its
# flags for the C runtime as this build uses them; WINPIPE_HEADERS, the installed headers
# (include/NAME.h ...).
set -u

top_srcdir=$(cd "${srcdir:-.}" && pwd) || exit 1
cc=${WINPIPE_CC:?}
headers=$(for h in ${WINPIPE_HEADERS:?}; do echo "${h#include/}"; done)

scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT

# Is this clang? (It takes -Wno-gnu-include-next; gcc knows no such option.)
printf '#ifndef __clang__\n#error not clang\n#endif\nint x;\n' >"$scratch/is-clang.c"
# $cc may carry options: split on purpose.
# shellcheck disable=SC2086
if $cc -c -o "$scratch/is-clang.o" "$scratch/is-clang.c" 2>/dev/null; then
    own_flags="-Wall -Wextra -Wpedantic -Wno-gnu-include-next -Werror -DWINPIPE_HEADER_WARNINGS"
else
    own_flags="-Wall -Wextra -Werror -DWINPIPE_HEADER_WARNINGS"
fi
consumer_flags="-Wall -Wextra -Wpedantic -Werror"

passed=0
failed=0
count=0
for h in $headers; do count=$((count + 1)); done
echo "[==========] Running $((2 * count + 2)) test(s)."

# compile NAME FLAGS HEADER...: one case: a file including HEADER... compiles without warnings.
compile() {
    name=$1
    flags=$2
    shift 2
    src=$scratch/$name.c
    : >"$src"
    for h in "$@"; do echo "#include <$h>" >>"$src"; done
    echo 'int main(void) { return 0; }' >>"$src"
    echo "[ RUN      ] $name"
    # shellcheck disable=SC2086
    if out=$($cc $flags -I"$top_srcdir/include" -c -o "$scratch/$name.o" "$src" 2>&1) \
            && [ -z "$out" ]; then
        echo "[       OK ] $name"
        passed=$((passed + 1))
    else
        echo "$cc $flags: $*"
        echo "$out"
        echo "[  FAILED  ] $name"
        failed=$((failed + 1))
    fi
}

for h in $headers; do
    id=$(echo "$h" | tr '/.' '__')
    compile "consumer_strict_$id" "$consumer_flags" "$h"
done
# shellcheck disable=SC2086
compile consumer_strict_all_headers "$consumer_flags" $headers
for h in $headers; do
    id=$(echo "$h" | tr '/.' '__')
    compile "own_build_warnings_$id" "$own_flags" "$h"
done
# shellcheck disable=SC2086
compile own_build_warnings_all_headers "$own_flags" $headers

echo "[==========] $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ "$failed" = 0 ] || echo "[  FAILED  ] $failed test(s)."
[ "$failed" = 0 ]
