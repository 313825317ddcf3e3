#!/bin/bash
# stress.sh: runs chosen test programs of a configured build tree many times, several at once,
# beside CPU hogs, to bring out rare failures (races, time-outs under load). Keeps the whole log
# of every failing run and ends with a summary. A tool for finding flakes, not part of CI.
#
# usage: tools/stress.sh [OPTION...] BUILDDIR TEST...
#   BUILDDIR   a configured build tree (_build/native, _build/win, _build/win-ucrt)
#   TEST       a test program, as in Makefile.am's TESTS: tests/test_spawn (or test_spawn)
# options:
#   -n RUNS    runs of each TEST (default 200)
#   -j N       runs at once (default 2)
#   -H N       CPU hogs (busy loops) beside the runs (default 1; 0 = none)
#   -C         a parallel compile as the hog instead: `make -B -j2` of the library, in a loop
#   -o DIR     where the logs of failing runs go (default BUILDDIR/stress/DATE)
#   -e V=X     an extra environment variable for every run (repeatable; set after the
#              Makefile's, so it may replace one), e.g. -e WINPIPE_SPAWN_CYCLES=20 to shorten
#              test_spawn's 500 spawn-and-reap cycles, or -e WINEDEBUG=err+all to keep Wine's
#              own error lines in the logs (the Makefile silences them)
#   -t SECONDS start no new run after this many seconds (default 0: no limit); the summary
#              says how many runs were done
#   -B         do not build: run the programs as they are (e.g. an older build while the
#              sources change)
#   -h         this text
#
# Each run is what `make check` runs for that test: the Makefile's own test environment
# (AM_TESTS_ENVIRONMENT: WINE, WINEPREFIX, WINEPATH through WINPIPE_DLL_DIRS,
# WINPIPE_TEST_BUILDDIR, CMOCKA_MESSAGE_OUTPUT, ...) and its LOG_COMPILER, tools/run-test.sh. The
# programs are built first (make check TESTS=). Run the whole thing under `nice -n 19` on a
# shared machine: the hogs inherit it.
#
# A run failed if it exited non-zero or printed a cmocka FAILED/ERROR line. The summary names,
# for each failed run, the test case and how it died: the cmocka failure, the watchdog, the
# run-test.sh time-out, or the exit status (under Wine an exit status of 5 is an access
# violation, 0xC0000005, that killed the process; natively 128+N is signal N).
set -u

usage() { sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; }

runs=200
par=2
hogs=1
compile_hog=
outdir=
limit=0
no_build=
extra_env=()
while getopts 'n:j:H:Co:e:t:Bh' opt; do
    case $opt in
        n) runs=$OPTARG ;;
        j) par=$OPTARG ;;
        H) hogs=$OPTARG ;;
        C) compile_hog=1 ;;
        o) outdir=$OPTARG ;;
        e) extra_env+=("$OPTARG") ;;
        t) limit=$OPTARG ;;
        B) no_build=1 ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -lt 2 ]; then
    usage >&2
    exit 2
fi
build=$(cd "$1" && pwd) || exit 2
shift
tests=()
for t in "$@"; do
    case $t in
        tests/*) tests+=("$t") ;;
        *) tests+=("tests/$t") ;;
    esac
done
[ -f "$build/Makefile" ] || { echo "stress: $build is not a configured build tree" >&2; exit 2; }
[ -n "$outdir" ] || outdir=$build/stress/$(date +%Y%m%d-%H%M%S)
mkdir -p "$outdir" || exit 2
outdir=$(cd "$outdir" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/winpipe-stress.XXXXXX") || exit 2

say() { echo "stress: $*"; }

# The Makefile's test environment and log compiler, as make check expands them.
cat >"$work/print.mk" <<'EOF'
stress-print-env:
	$(info $(AM_TESTS_ENVIRONMENT))
	@:
stress-print-compiler:
	$(info $(LOG_COMPILER))
	@:
stress-print-wine:
	$(info $(WINE))
	@:
stress-print-exeext:
	$(info $(EXEEXT))
	@:
EOF
mk() { make -s --no-print-directory -C "$build" -f Makefile -f "$work/print.mk" "$@"; }
test_env=$(mk stress-print-env) || exit 2
log_compiler=$(mk stress-print-compiler) || exit 2
is_wine=$(mk stress-print-wine)
exeext=$(mk stress-print-exeext)
# As make check names them: tests/test_spawn.exe in a mingw build.
for i in "${!tests[@]}"; do
    tests[$i]=${tests[$i]%"$exeext"}$exeext
done

if [ -z "$no_build" ]; then
    say "building the test programs in $build"
    make -s --no-print-directory -C "$build" -j2 check TESTS= >"$work/build.log" 2>&1 \
        || { cat "$work/build.log"; echo "stress: build failed" >&2; exit 1; }
fi
if [ -n "$is_wine" ]; then
    make -s --no-print-directory -C "$build" wineprefix.stamp >>"$work/build.log" 2>&1 \
        || { cat "$work/build.log"; echo "stress: no Wine prefix" >&2; exit 1; }
fi
for t in "${tests[@]}"; do
    [ -f "$build/$t" ] || { echo "stress: no test program $build/$t" >&2; exit 2; }
done

hog_pids=()
start_hogs() {
    local i
    if [ -n "$compile_hog" ]; then
        ( while :; do make -s -B -C "$build" -j2 >/dev/null 2>&1 || sleep 1; done ) &
        hog_pids+=($!)
        return
    fi
    for ((i = 0; i < hogs; i++)); do
        ( while :; do :; done ) &
        hog_pids+=($!)
    done
}
run_pids=()
# descendants PID: every process below PID (run-test.sh's timeout(1) makes a process group of
# its own, so killing a run's group is not enough).
descendants() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}
stop_all() {
    local p
    for p in "${hog_pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${run_pids[@]}"; do
        kill $(descendants "$p") "$p" 2>/dev/null
    done
    wait 2>/dev/null
    if [ -n "$is_wine" ]; then
        make -s --no-print-directory -C "$build" wine-kill >/dev/null 2>&1
    fi
}
declare -A done_runs=() failed_runs=() run_secs=()
summary=()
# summarize [WHY]: the runs that ended (runs stopped half-way are not counted), per test, and how
# each failed run died; exit status 0 only if none failed.
summarize() {
    local t name r f avg s total_runs=0 total_failed=0
    echo
    echo "stress summary: $build, $(( $(date +%s) - ${t0:-$(date +%s)} )) s, $par at once," \
        "extra env: ${extra_env[*]:-none}${1:+ ($1)}"
    for t in "${tests[@]}"; do
        name=$(basename "$t")
        r=${done_runs[$name]:-0}
        f=${failed_runs[$name]:-0}
        total_runs=$((total_runs + r))
        total_failed=$((total_failed + f))
        avg=0
        [ "$r" -gt 0 ] && avg=$(( ${run_secs[$name]:-0} / r ))
        printf '  %-14s runs %4d  failures %3d  mean run %4d s\n' "$name" "$r" "$f" "$avg"
    done
    for s in "${summary[@]}"; do
        echo "  $s"
    done
    echo "stress: $total_runs runs, $total_failed failed"
    [ "$total_failed" = 0 ]
}
trap 'stop_all; summarize "stopped by a signal"; rm -rf "$work"; exit 130' INT TERM
trap 'rm -rf "$work"' EXIT

# run_one TEST N: one run of TEST; leaves its log and exit status in $work.
run_one() {
    local t=$1 n=$2 name
    name=$(basename "$t")
    (
        cd "$build" || exit 2
        eval "$test_env"
        for v in "${extra_env[@]}"; do
            export "${v?}"
        done
        s0=$(date +%s)
        # shellcheck disable=SC2086  # LOG_COMPILER is a command line
        $log_compiler "$t" >"$work/$name.$n.log" 2>&1
        echo "$? $(( $(date +%s) - s0 ))" >"$work/$name.$n.rc"
    )
}

# how LOG RC: one line saying how a failed run died. (Wine's programs end lines with CR LF.)
how() {
    local log=$1 rc=$2 case_ how_ text
    text=$(tr -d '\r' <"$log")
    case_=$(printf '%s\n' "$text" | sed -n 's/^\[  FAILED  \] \([A-Za-z_0-9]*\)$/\1/p' | head -n1)
    if [ -z "$case_" ]; then
        # The case running when the process died: the last RUN without its end line.
        case_=$(printf '%s\n' "$text" | awk '/^\[ RUN      \]/ { c = $NF }
            /^\[ *(OK|FAILED|ERROR|SKIPPED) *\]/ { c = "" } END { print c }')
    fi
    if printf '%s\n' "$text" | grep -q '^WATCHDOG:'; then
        how_="watchdog: $(printf '%s\n' "$text" | grep -m1 '^WATCHDOG:')"
    elif printf '%s\n' "$text" | grep -q '^run-test: '; then
        how_="run-test.sh: $(printf '%s\n' "$text" | grep -m1 '^run-test: ')"
    elif [ -n "$case_" ] && printf '%s\n' "$text" | grep -q -x "\[  FAILED  \] $case_"; then
        # What the case printed between its RUN and FAILED lines: the failure and its line.
        how_="cmocka: $(printf '%s\n' "$text" | awk -v c="$case_" '$0 == "[ RUN      ] " c { on = 1; next }
            on && $0 == "[  FAILED  ] " c { exit } on { printf "%s | ", $0 }' | cut -c1-400)"
    elif [ -n "$is_wine" ] && [ "$rc" = 5 ]; then
        how_="exit status 5: access violation (0xC0000005)"
    elif [ -z "$is_wine" ] && [ "$rc" -gt 128 ]; then
        how_="killed by signal $((rc - 128))"
    else
        how_="exit status $rc"
    fi
    echo "${case_:-(no test case running)}: $how_ (exit $rc)"
}

finish_one() {
    local t=$1 n=$2 name rc log bad
    name=$(basename "$t")
    log=$work/$name.$n.log
    read -r rc secs <"$work/$name.$n.rc" 2>/dev/null || { rc=255; secs=0; }
    done_runs[$name]=$(( ${done_runs[$name]:-0} + 1 ))
    run_secs[$name]=$(( ${run_secs[$name]:-0} + secs ))
    bad=
    [ "$rc" = 0 ] || bad=1
    tr -d '\r' <"$log" | grep -q -E '^\[  (FAILED  |ERROR   )\]' && bad=1
    if [ -n "$bad" ]; then
        failed_runs[$name]=$(( ${failed_runs[$name]:-0} + 1 ))
        cp "$log" "$outdir/$name.$n.log"
        summary+=("$name run $n: $(how "$log" "$rc") -> $outdir/$name.$n.log")
        say "FAILED $name run $n (exit $rc)"
    fi
    rm -f "$log" "$work/$name.$n.rc"
}

# The queue: runs interleaved across the tests, so that a time limit cuts all of them alike.
queue=()
for ((n = 1; n <= runs; n++)); do
    for t in "${tests[@]}"; do
        queue+=("$t $n")
    done
done

say "${#queue[@]} runs (${runs} of each of ${tests[*]}), $par at once, $([ -n "$compile_hog" ] \
    && echo 'a parallel compile' || echo "$hogs busy loop(s)") beside; failing logs in $outdir"
start_hogs
t0=$(date +%s)
declare -A running=()
next=0
while :; do
    while [ ${#running[@]} -lt "$par" ] && [ "$next" -lt ${#queue[@]} ]; do
        if [ "$limit" -gt 0 ] && [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then
            next=${#queue[@]}
            say "time limit of $limit s reached: no new runs"
            break
        fi
        item=${queue[$next]}
        next=$((next + 1))
        run_one ${item} &
        running[$!]=$item
        run_pids=("${!running[@]}")
    done
    [ ${#running[@]} -gt 0 ] || break
    wait -n 2>/dev/null
    for pid in "${!running[@]}"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            finish_one ${running[$pid]}
            unset "running[$pid]"
        fi
    done
    run_pids=("${!running[@]}")
    total_done=0
    for k in "${!done_runs[@]}"; do total_done=$((total_done + done_runs[$k])); done
    if [ $((total_done % 10)) = 0 ] && [ "$total_done" -gt 0 ] && [ "${last_report:-}" != "$total_done" ]; then
        last_report=$total_done
        say "$total_done runs done, $(( $(date +%s) - t0 )) s"
    fi
done
run_pids=()
stop_all
trap 'rm -rf "$work"' INT TERM
summarize
