#!/bin/sh
# rooms.sh: the calls between lib/ files, read from the built objects' symbols with nm, and a
# check of the house's one rule: every file calls only files of its own room or of a room below
# it, and no files call each other in a loop.
#
# A second rule is checked the same way: every global a file defines is named for that file
# (wp_fdtab_get in fdtab.c, wp_opipe_* in opipe.c) or is public (winpipe_*); aliases.c alone
# defines the POSIX names.
#
#   tools/rooms.sh [BUILD_DIR]    (default: the current directory; a mingw build that has made
#                                  lib/libwinpipe.la)
# Environment: NM (default: x86_64-w64-mingw32-nm, else nm).
#
# The rooms, lowest first (lib/winpipe-internal.h says what each owns):
#   base  ofd  fd  proc  io  and lib/aliases.c on top
# Prints each room's files and what each file takes from the others (file -> file: symbols), then
# "rooms: ok", or each arrow that runs up a room and each loop, and exits 1. Calls through a
# function pointer (struct wp_kind, a callback) are no arrow: they are how a lower room is
# handed work by a higher one. Inline functions of the internal header leave no symbol either.
set -u

dir=${1:-.}
nm=${NM:-}
if [ -z "$nm" ]; then
    nm=nm
    command -v x86_64-w64-mingw32-nm >/dev/null 2>&1 && nm=x86_64-w64-mingw32-nm
fi

# The library's objects, as the build's Makefile names them (libtool's .lo beside the non-PIC .o
# this reads): files a source tree no longer has may still lie in an old build directory.
objs=$(printf 'wp-rooms-objects:\n\t@echo $(lib_libwinpipe_la_OBJECTS)\n' \
       | ${MAKE:-make} -s --no-print-directory -C "$dir" -f Makefile -f - wp-rooms-objects \
             2>/dev/null | tr ' ' '\n' | sed -n 's/\.lo$/.o/p')
for o in $objs; do
    if [ ! -f "$dir/$o" ]; then
        echo "rooms: $dir/$o is missing (build lib/libwinpipe.la first)" >&2
        exit 2
    fi
done
if [ -z "$objs" ]; then
    echo "rooms: no objects under $dir/lib (build lib/libwinpipe.la first)" >&2
    exit 2
fi

for o in $objs; do
    rel=${o#lib/}
    o=$dir/$o
    room=${rel%/*}
    [ "$room" = "$rel" ] && room=top
    file=$room/${rel##*libwinpipe_la-}
    file=${file%.o}.c
    [ "$room" = top ] && file=${file#top/}
    # "D file symbol" for each global it defines, "U file symbol" for each it takes.
    "$nm" -g --defined-only "$o" | awk -v f="$file" 'NF >= 3 { print "D", f, $3, $2 }'
    "$nm" -u "$o" | awk -v f="$file" '{ print "U", f, $NF }'
done | awk '
function rank(f,   r) {
    r = f; sub(/\/.*/, "", r)
    if (r == "base") return 1
    if (r == "ofd") return 2
    if (r == "fd") return 3
    if (r == "proc") return 4
    if (r == "io") return 5
    return 6
}
function prefix_ok(f, s,   b) {
    b = f; sub(/.*\//, "", b); sub(/\.c$/, "", b)
    return b == "aliases" || s ~ /^winpipe_/ || s == "wp_" b || index(s, "wp_" b "_") == 1
}
$1 == "D" {
    def[$3] = $2; files[$2] = 1
    if ($4 ~ /^[TDBR]$/ && $3 !~ /^\./ && !prefix_ok($2, $3)) misnamed[++nm] = $2 ": " $3
    next
}
$1 == "U" { use[++nu] = $2 " " $3; files[$2] = 1 }
END {
    for (i = 1; i <= nu; i++) {
        split(use[i], p, " ")
        if (!(p[2] in def) || def[p[2]] == p[1]) continue
        e = p[1] " -> " def[p[2]]
        if (!(e in syms)) { edges[++ne] = e; syms[e] = p[2] } else syms[e] = syms[e] ", " p[2]
        reach[p[1], def[p[2]]] = 1
    }
    n = 0
    for (f in files) names[++n] = f
    # A sorted listing: rooms from the top down, files by name.
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (rank(names[j]) > rank(names[i]) \
            || (rank(names[j]) == rank(names[i]) && names[j] < names[i])) {
            t = names[i]; names[i] = names[j]; names[j] = t
        }
    bad = 0
    for (i = 1; i <= n; i++) {
        f = names[i]
        printf "%s\n", f
        for (k = 1; k <= ne; k++) {
            split(edges[k], q, " -> ")
            if (q[1] != f) continue
            mark = rank(q[2]) > rank(q[1]) ? "   <- UP A ROOM" : ""
            if (mark != "") bad++
            printf "    -> %s: %s%s\n", q[2], syms[edges[k]], mark
        }
    }
    # Loops: the transitive closure (a few dozen files) and every pair that reaches both ways.
    for (k = 1; k <= n; k++) for (i = 1; i <= n; i++) if (reach[names[i], names[k]])
        for (j = 1; j <= n; j++) if (reach[names[k], names[j]]) reach[names[i], names[j]] = 1
    for (i = 1; i <= n; i++) {
        if (!reach[names[i], names[i]]) continue
        printf "LOOP through %s:", names[i]
        bad++
        for (j = 1; j <= n; j++)
            if (j != i && reach[names[i], names[j]] && reach[names[j], names[i]]) printf " %s", names[j]
        printf "\n"
    }
    for (i = 1; i <= nm; i++) {
        printf "NOT NAMED FOR ITS FILE %s\n", misnamed[i]
        bad++
    }
    if (bad) {
        printf "rooms: %d problem(s): a file calls only its room or those below, in no loop,\n" \
               "       and names its globals for itself\n", bad
        exit 1
    }
    printf "rooms: ok (%d files, %d arrows, no arrow up a room, no loop, globals named for their files)\n", \
           n, ne
}'
