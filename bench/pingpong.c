/* pingpong.c: 1-byte round trips over two pipes, between two threads and between two
 * processes, winpipe against raw Win32 (issue 3; goals: winpipe >= 0.8x raw, and with 1024 idle
 * pipes in the poll sets >= 0.5x the rate with none).
 *
 * The main thread writes a byte into pipe A and waits for the echo on pipe B; the echo side
 * waits on A and writes the byte back into B; --iters times (default 10,000), after one
 * untimed warm-up trip. The echo side is a thread of this process, or (proc-*) a child: this
 * program again, run as "pingpong.exe --echo-child poll|nopoll|raw ITERS", echoing from its
 * fd 0 (A) to its fd 1 (B). Starting the child and the warm-up trip are outside the clock.
 * Variants, alternated within each round:
 *   winpipe       pipe(); each side blocks in poll(POLLIN) on its read end, then read()s
 *   nopoll        pipe(); each side blocks in read() alone (tells poll's share of the cost)
 *   raw           CreatePipe(); each side blocks in a synchronous ReadFile
 *   proc-winpipe  as winpipe, the echo side a child made by posix_spawn() with A's read end
 *                 and B's write end dup2'ed onto its fds 0 and 1, reaped with waitpid()
 *   proc-nopoll   as nopoll, likewise
 *   proc-raw      as raw, the echo side a child made by CreateProcessW with the two ends as
 *                 its standard handles (STARTF_USESTDHANDLES), doing ReadFile/WriteFile on them
 *   idleN         as winpipe (threads), with N idle pipes' read ends added to each poll set
 *
 * Threads and processes differ for winpipe: with both ends of a pipe in one process, poll()
 * knows the writer is alive and skips the query of the pipe's state that POLLHUP otherwise
 * needs on every wake with data. A child's parent holds only its own ends, as does the child,
 * so proc-winpipe pays that query on both sides: its ratio is the cross-process figure.
 * The pipes of proc-winpipe carry one byte each way in the parent before the spawn: winpipe
 * gives a child a synchronous end of a pipe nobody has used yet (compat-docs/spawn.md), and
 * here the child is to run the same overlapped poll() path as the parent.
 *
 * Idle pipes: msvcrt has 2048 fds, so N = 1024 cannot give each side its own 1024 pipes with
 * both ends as fds. Both sides therefore poll the SAME N idle read ends (each poll() call still
 * scans N + 1 fds), and each idle write end is kept open as a bare HANDLE (a duplicate, its fd
 * closed) so that the read end sees neither data nor EOF: N + 4 fds in all.
 *
 * Usage: pingpong.exe [--iters N] [--rounds N]        threads and processes, as above
 *        pingpong.exe --scale [--iters N] [--rounds N] idle 0, 64, 256, 1024 (threads)
 *        pingpong.exe --idle N [--iters N] [--rounds N] winpipe with N idle, raw (threads)
 * Final lines (machine-readable; rates in round trips per second, medians):
 *   pingpong: winpipe X rt/s raw Y rt/s ratio X/Y                    (threads)
 *   pingpong-nopoll: winpipe X rt/s raw Y rt/s ratio X/Y             (threads)
 *   pingpong-processes: winpipe X rt/s raw Y rt/s ratio X/Y
 *   pingpong-processes-nopoll: winpipe X rt/s raw Y rt/s ratio X/Y
 *   scale: idle0 A rt/s idle64 B rt/s idle256 C rt/s idle1024 D rt/s ratio D/A */
#include <poll.h> /* first: it brings <winsock2.h>, which must precede <windows.h> */
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_NAME "pingpong"
#include "bench.h"

#define MAX_ROUNDS 100
#define MAX_IDLE 1024

extern char **environ;

enum mode { POLL, NOPOLL, RAW };

static const char *const mode_arg[] = { "poll", "nopoll", "raw" }; /* --echo-child's */

struct side {
    enum mode mode;
    int rfd, wfd;             /* winpipe */
    HANDLE rh, wh;            /* raw */
    struct pollfd *set;       /* idle read ends, then rfd last */
    int nset;
    long iters;
};

static int idle_fds[MAX_IDLE];
static HANDLE idle_wh[MAX_IDLE];
static wchar_t self_w[MAX_PATH]; /* this program, for the children */
static char self[3 * MAX_PATH];  /* the same in UTF-8, for posix_spawn */

/* Only the active pipe may be ready: say what else poll() reported. */
static void bad_poll(struct side *s, int r)
{
    fprintf(stderr, "pingpong: poll returned %d, active fd revents %#x\n", r,
            s->set[s->nset - 1].revents);
    for (int i = 0; i < s->nset - 1; i++)
        if (s->set[i].revents)
            fprintf(stderr, "  idle pipe %d (fd %d): revents %#x\n", i, s->set[i].fd,
                    s->set[i].revents);
    bench_die("poll");
}

static void get(struct side *s)
{
    char c;
    if (s->mode == RAW) {
        DWORD n;
        if (!ReadFile(s->rh, &c, 1, &n, NULL) || n != 1)
            bench_die("ReadFile");
        return;
    }
    if (s->mode == POLL) {
        int r = poll(s->set, s->nset, -1);
        if (r != 1 || s->set[s->nset - 1].revents != POLLIN)
            bad_poll(s, r);
    }
    if (read(s->rfd, &c, 1) != 1)
        bench_die("read");
}

static void put(struct side *s)
{
    if (s->mode == RAW) {
        DWORD n;
        if (!WriteFile(s->wh, "x", 1, &n, NULL) || n != 1)
            bench_die("WriteFile");
    } else if (write(s->wfd, "x", 1) != 1) {
        bench_die("write");
    }
}

static DWORD WINAPI echo(LPVOID arg)
{
    struct side *s = arg;
    for (long i = 0; i <= s->iters; i++) {
        get(s);
        put(s);
    }
    return 0;
}

/* The child's side: pipe A on fd 0 (the standard input handle), B on fd 1. */
static int echo_child(const char *how, long iters)
{
    struct pollfd set = { 0, POLLIN, 0 };
    struct side s = { .rfd = 0, .wfd = 1, .set = &set, .nset = 1, .iters = iters };
    int m = 0;
    while (m < 3 && strcmp(how, mode_arg[m]))
        m++;
    if (m == 3 || iters < 1)
        return 2;
    s.mode = (enum mode)m;
    s.rh = GetStdHandle(STD_INPUT_HANDLE);
    s.wh = GetStdHandle(STD_OUTPUT_HANDLE);
    echo(&s);
    return 0;
}

static struct pollfd *make_set(int fd, int nidle)
{
    struct pollfd *set = calloc(nidle + 1, sizeof *set);
    if (!set)
        bench_die("calloc");
    for (int i = 0; i < nidle; i++)
        set[i] = (struct pollfd){ idle_fds[i], POLLIN, 0 };
    set[nidle] = (struct pollfd){ fd, POLLIN, 0 };
    return set;
}

/* The main side's loop: one untimed warm-up trip (it also waits out a child's start-up), then
 * the timed trips. Returns round trips per second. */
static double trips(struct side *a, long iters)
{
    put(a);
    get(a);
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) {
        put(a);
        get(a);
    }
    return iters / (bench_now() - t0);
}

/* One measurement between two threads. */
static double run_threads(enum mode mode, int nidle, long iters)
{
    struct side a = { .mode = mode, .iters = iters }, b = a;
    int pa[2], pb[2];
    HANDLE ar, aw, br, bw;

    if (mode == RAW) {
        if (!CreatePipe(&ar, &aw, NULL, 65536) || !CreatePipe(&br, &bw, NULL, 65536))
            bench_die("CreatePipe");
        a.rh = br, a.wh = aw; /* main: writes A, reads B */
        b.rh = ar, b.wh = bw;
    } else {
        if (pipe(pa) < 0 || pipe(pb) < 0)
            bench_die("pipe");
        a.rfd = pb[0], a.wfd = pa[1];
        b.rfd = pa[0], b.wfd = pb[1];
        a.set = make_set(a.rfd, nidle), a.nset = nidle + 1;
        b.set = make_set(b.rfd, nidle), b.nset = nidle + 1;
    }
    HANDLE th = CreateThread(NULL, 0, echo, &b, 0, NULL);
    if (!th)
        bench_die("CreateThread");
    double rate = trips(&a, iters);
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    if (mode == RAW) {
        CloseHandle(ar), CloseHandle(aw), CloseHandle(br), CloseHandle(bw);
    } else {
        close(pa[0]), close(pa[1]), close(pb[0]), close(pb[1]);
        free(a.set), free(b.set);
    }
    return rate;
}

/* One byte through a new pipe, so that posix_spawn leaves it overlapped (see the top). */
static void use_pipe(int p[2])
{
    char c;
    if (write(p[1], "w", 1) != 1 || read(p[0], &c, 1) != 1)
        bench_die("warm-up byte");
}

/* One measurement against a winpipe child: posix_spawn, waitpid. */
static double run_proc_winpipe(enum mode mode, long iters)
{
    struct side a = { .mode = mode };
    struct pollfd set;
    int pa[2], pb[2], status;
    char n[24], *argv[] = { self, "--echo-child", (char *)mode_arg[mode], n, NULL };
    posix_spawn_file_actions_t fa;
    pid_t pid;

    /* O_CLOEXEC: of the four ends, the child gets only the two dup2'ed onto its 0 and 1. */
    if (pipe2(pa, O_CLOEXEC) < 0 || pipe2(pb, O_CLOEXEC) < 0)
        bench_die("pipe2");
    use_pipe(pa);
    use_pipe(pb);
    snprintf(n, sizeof n, "%ld", iters);
    int e = posix_spawn_file_actions_init(&fa);
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, pa[0], 0);
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, pb[1], 1);
    if (!e)
        e = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e)
        errno = e, bench_die("posix_spawn");
    close(pa[0]), close(pb[1]); /* the child's ends: now only the child holds them */
    a.rfd = pb[0], a.wfd = pa[1];
    set = (struct pollfd){ a.rfd, POLLIN, 0 };
    a.set = &set, a.nset = 1;
    double rate = trips(&a, iters);
    if (waitpid(pid, &status, 0) != pid)
        bench_die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pingpong: echo child (%s) ended with status %#x\n", mode_arg[mode],
                status);
        exit(1);
    }
    close(pa[1]), close(pb[0]);
    return rate;
}

/* One measurement against a raw child: CreateProcessW with the child's ends as its standard
 * handles, the only handles made inheritable (and a duplicate of our stderr for its errors). */
static double run_proc_raw(long iters)
{
    struct side a = { .mode = RAW };
    HANDLE ar, aw, br, bw, err = NULL;
    STARTUPINFOW si = { .cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES };
    PROCESS_INFORMATION pi;
    wchar_t cmd[MAX_PATH + 64];
    DWORD code;

    if (!CreatePipe(&ar, &aw, NULL, 65536) || !CreatePipe(&br, &bw, NULL, 65536))
        bench_die("CreatePipe");
    if (!SetHandleInformation(ar, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)
        || !SetHandleInformation(bw, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
        bench_die("SetHandleInformation");
    if (!DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_ERROR_HANDLE),
                         GetCurrentProcess(), &err, 0, TRUE, DUPLICATE_SAME_ACCESS))
        err = NULL; /* no stderr to give: the exit code still tells */
    si.hStdInput = ar, si.hStdOutput = bw, si.hStdError = err;
    swprintf(cmd, sizeof cmd / sizeof *cmd, L"\"%ls\" --echo-child raw %ld", self_w, iters);
    if (!CreateProcessW(self_w, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        bench_die("CreateProcessW");
    CloseHandle(pi.hThread);
    CloseHandle(ar), CloseHandle(bw); /* the child's ends */
    if (err)
        CloseHandle(err);
    a.rh = br, a.wh = aw;
    double rate = trips(&a, iters);
    if (WaitForSingleObject(pi.hProcess, INFINITE) != WAIT_OBJECT_0
        || !GetExitCodeProcess(pi.hProcess, &code))
        bench_die("waiting for the echo child");
    if (code != 0) {
        fprintf(stderr, "pingpong: echo child (raw) exited with code %lu\n", code);
        exit(1);
    }
    CloseHandle(pi.hProcess);
    CloseHandle(aw), CloseHandle(br);
    return rate;
}

static void make_idle(int n)
{
    for (int i = 0; i < n; i++) {
        int p[2];
        if (pipe(p) < 0)
            bench_die("pipe (idle)");
        if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)_get_osfhandle(p[1]),
                             GetCurrentProcess(), &idle_wh[i], 0, FALSE, DUPLICATE_SAME_ACCESS))
            bench_die("DuplicateHandle");
        close(p[1]);
        idle_fds[i] = p[0];
    }
    /* Arm the idle ends' probes from this thread, which outlives every run. Wine cancels a
     * thread's pending I/O when the thread exits (Windows too, for a handle on no completion
     * port): probes armed by an echo thread would be cancelled after each run, and the next
     * run's first poll() would issue them all again. winpipe does that correctly (it reports
     * no POLLERR for a cancelled probe), but it is work the figures should not include. */
    if (n) {
        struct pollfd *set = make_set(-1, n);
        if (poll(set, n, 0) != 0)
            bench_die("poll (arming idle pipes)");
        free(set);
    }
}

struct variant {
    char name[16];
    enum mode mode;
    int proc; /* the echo side is a child process */
    int nidle;
    double rate[MAX_ROUNDS];
    double med;
};

static double run(const struct variant *x, long iters)
{
    if (!x->proc)
        return run_threads(x->mode, x->nidle, iters);
    return x->mode == RAW ? run_proc_raw(iters) : run_proc_winpipe(x->mode, iters);
}

static double median_of(const struct variant *v, int nv, const char *name)
{
    for (int i = 0; i < nv; i++)
        if (!strcmp(v[i].name, name))
            return v[i].med;
    abort(); /* unreachable: every name asked for is in the run */
}

static void final_line(const char *label, double winpipe, double raw)
{
    printf("%s: winpipe %.0f rt/s raw %.0f rt/s ratio %.2f\n", label, winpipe, raw,
           winpipe / raw);
}

int main(int argc, char **argv)
{
    long iters = 10000;
    int rounds = 5, scale = 0, idle = -1;
    if (argc == 4 && !strcmp(argv[1], "--echo-child"))
        return echo_child(argv[2], atol(argv[3]));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale"))
            scale = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--iters"))
            iters = atol(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--idle"))
            idle = atoi(argv[++i]);
        else
            rounds = 0;
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || iters < 1 || idle > MAX_IDLE) {
        fprintf(stderr, "usage: pingpong.exe [--scale | --idle N<=%d] [--iters N] "
                        "[--rounds N<=%d]\n", MAX_IDLE, MAX_ROUNDS);
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!GetModuleFileNameW(NULL, self_w, MAX_PATH)
        || !WideCharToMultiByte(CP_UTF8, 0, self_w, -1, self, sizeof self, NULL, NULL))
        bench_die("GetModuleFileNameW");

    static struct variant v[6];
    int nv = 0, procs = !scale && idle <= 0;
    if (scale) {
        static const int ns[] = { 0, 64, 256, 1024 };
        for (int i = 0; i < 4; i++) {
            v[nv] = (struct variant){ .mode = POLL, .nidle = ns[i] };
            snprintf(v[nv++].name, sizeof v[0].name, "idle%d", ns[i]);
        }
    } else if (idle > 0) {
        v[nv] = (struct variant){ .mode = POLL, .nidle = idle };
        snprintf(v[nv++].name, sizeof v[0].name, "idle%d", idle);
        v[nv++] = (struct variant){ "raw", RAW, 0, 0, { 0 }, 0 };
    } else {
        v[nv++] = (struct variant){ "winpipe", POLL, 0, 0, { 0 }, 0 };
        v[nv++] = (struct variant){ "nopoll", NOPOLL, 0, 0, { 0 }, 0 };
        v[nv++] = (struct variant){ "raw", RAW, 0, 0, { 0 }, 0 };
        v[nv++] = (struct variant){ "proc-winpipe", POLL, 1, 0, { 0 }, 0 };
        v[nv++] = (struct variant){ "proc-nopoll", NOPOLL, 1, 0, { 0 }, 0 };
        v[nv++] = (struct variant){ "proc-raw", RAW, 1, 0, { 0 }, 0 };
    }
    int most = 0;
    for (int i = 0; i < nv; i++)
        most = v[i].nidle > most ? v[i].nidle : most;
    make_idle(most);

    printf("pingpong: %ld one-byte round trips between two threads%s, %d rounds\n", iters,
           procs ? " and (proc-*) two processes" : "", rounds);
    if (most)
        printf("idle pipes: both sides poll the same %d idle read ends (msvcrt's 2048 fds "
               "cannot hold 2 x 1024 pipes); their write ends are open HANDLEs without fds\n",
               most);
    for (int r = 0; r < rounds; r++) {
        printf("round %d:", r + 1);
        for (int k = 0; k < nv; k++) {
            struct variant *x = &v[(k + r) % nv]; /* rotate: no variant always first */
            x->rate[r] = run(x, iters);
            printf("  %s %.0f", x->name, x->rate[r]);
        }
        printf("  rt/s\n");
    }
    for (int i = 0; i < nv; i++) {
        v[i].med = bench_median(v[i].rate, rounds);
        printf("%-12s median %.0f rt/s, range %.0f-%.0f\n", v[i].name, v[i].med, v[i].rate[0],
               v[i].rate[rounds - 1]);
    }
    if (scale) {
        printf("scale:");
        for (int i = 0; i < nv; i++)
            printf(" %s %.0f rt/s", v[i].name, v[i].med);
        printf(" ratio %.2f\n", v[3].med / v[0].med);
    } else if (idle > 0) {
        final_line("pingpong-idle", v[0].med, v[1].med);
    } else {
        final_line("pingpong", median_of(v, nv, "winpipe"), median_of(v, nv, "raw"));
        final_line("pingpong-nopoll", median_of(v, nv, "nopoll"), median_of(v, nv, "raw"));
        final_line("pingpong-processes", median_of(v, nv, "proc-winpipe"),
                   median_of(v, nv, "proc-raw"));
        final_line("pingpong-processes-nopoll", median_of(v, nv, "proc-nopoll"),
                   median_of(v, nv, "proc-raw"));
    }
    for (int i = 0; i < most; i++)
        close(idle_fds[i]), CloseHandle(idle_wh[i]);
    return 0;
}
