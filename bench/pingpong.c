/* pingpong.c: 1-byte round trips between two threads over two pipes, winpipe against raw
 * Win32 (issue 3; goals: winpipe >= 0.8x raw, and with 1024 idle pipes in the poll sets
 * >= 0.5x the rate with none).
 *
 * The main thread writes a byte into pipe A and waits for the echo on pipe B; the echo thread
 * waits on A and writes the byte back into B; --iters times (default 10,000), after one
 * untimed warm-up trip. Variants, alternated within each round:
 *   winpipe   pipe(); each side blocks in poll(POLLIN) on its read end, then read()s
 *   nopoll    pipe(); each side blocks in read() alone (tells poll's share of the cost)
 *   raw       CreatePipe(); each side blocks in a synchronous ReadFile
 *   idleN     as winpipe, with N idle pipes' read ends added to each side's poll set
 *
 * Idle pipes: msvcrt has 2048 fds, so N = 1024 cannot give each side its own 1024 pipes with
 * both ends as fds. Both sides therefore poll the SAME N idle read ends (each poll() call still
 * scans N + 1 fds), and each idle write end is kept open as a bare HANDLE (a duplicate, its fd
 * closed) so that the read end sees neither data nor EOF: N + 4 fds in all.
 *
 * Usage: pingpong.exe [--iters N] [--rounds N]        winpipe, nopoll, raw
 *        pingpong.exe --scale [--iters N] [--rounds N] idle 0, 64, 256, 1024
 *        pingpong.exe --idle N [--iters N] [--rounds N] winpipe with N idle, raw
 * Final lines (machine-readable; rates in round trips per second, medians):
 *   pingpong: winpipe X rt/s raw Y rt/s ratio X/Y
 *   pingpong-nopoll: winpipe X rt/s raw Y rt/s ratio X/Y
 *   scale: idle0 A rt/s idle64 B rt/s idle256 C rt/s idle1024 D rt/s ratio D/A */
#include <poll.h> /* first: it brings <winsock2.h>, which must precede <windows.h> */
#include <windows.h>
#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_NAME "pingpong"
#include "bench.h"

#define MAX_ROUNDS 100
#define MAX_IDLE 1024

enum mode { POLL, NOPOLL, RAW };

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

/* One measurement; returns round trips per second. */
static double run(enum mode mode, int nidle, long iters)
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
    put(&a); /* warm-up: arms the idle pipes' probes outside the clock */
    get(&a);
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) {
        put(&a);
        get(&a);
    }
    double t = bench_now() - t0;
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    if (mode == RAW) {
        CloseHandle(ar), CloseHandle(aw), CloseHandle(br), CloseHandle(bw);
    } else {
        close(pa[0]), close(pa[1]), close(pb[0]), close(pb[1]);
        free(a.set), free(b.set);
    }
    return iters / t;
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
    /* Arm the idle ends' probes from this thread, which outlives every run: a probe armed by an
     * echo thread is cancelled when that thread exits, and winpipe then reports POLLERR on an
     * idle pipe (a winpipe bug, reported; Wine cancels a thread's pending I/O at its exit). */
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
    int nidle;
    double rate[MAX_ROUNDS];
    double med;
};

int main(int argc, char **argv)
{
    long iters = 10000;
    int rounds = 5, scale = 0, idle = -1;
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

    static struct variant v[4];
    int nv = 0;
    if (scale) {
        static const int ns[] = { 0, 64, 256, 1024 };
        for (int i = 0; i < 4; i++) {
            v[nv] = (struct variant){ .mode = POLL, .nidle = ns[i] };
            snprintf(v[nv++].name, sizeof v[0].name, "idle%d", ns[i]);
        }
    } else {
        v[nv++] = (struct variant){ "winpipe", POLL, idle < 0 ? 0 : idle, { 0 }, 0 };
        if (idle > 0)
            snprintf(v[0].name, sizeof v[0].name, "idle%d", idle);
        else
            v[nv++] = (struct variant){ "nopoll", NOPOLL, 0, { 0 }, 0 };
        v[nv++] = (struct variant){ "raw", RAW, 0, { 0 }, 0 };
    }
    int most = 0;
    for (int i = 0; i < nv; i++)
        most = v[i].nidle > most ? v[i].nidle : most;
    make_idle(most);

    printf("pingpong: %ld one-byte round trips between two threads, %d rounds\n", iters, rounds);
    if (most)
        printf("idle pipes: both sides poll the same %d idle read ends (msvcrt's 2048 fds "
               "cannot hold 2 x 1024 pipes); their write ends are open HANDLEs without fds\n",
               most);
    for (int r = 0; r < rounds; r++) {
        printf("round %d:", r + 1);
        for (int k = 0; k < nv; k++) {
            struct variant *x = &v[(k + r) % nv]; /* rotate: no variant always first */
            x->rate[r] = run(x->mode, x->nidle, iters);
            printf("  %s %.0f", x->name, x->rate[r]);
        }
        printf("  rt/s\n");
    }
    for (int i = 0; i < nv; i++) {
        v[i].med = bench_median(v[i].rate, rounds);
        printf("%-9s median %.0f rt/s, range %.0f-%.0f\n", v[i].name, v[i].med, v[i].rate[0],
               v[i].rate[rounds - 1]);
    }
    if (scale) {
        printf("scale:");
        for (int i = 0; i < nv; i++)
            printf(" %s %.0f rt/s", v[i].name, v[i].med);
        printf(" ratio %.2f\n", v[3].med / v[0].med);
    } else {
        printf("pingpong%s: winpipe %.0f rt/s raw %.0f rt/s ratio %.2f\n",
               idle > 0 ? "-idle" : "", v[0].med, v[nv - 1].med, v[0].med / v[nv - 1].med);
        if (idle <= 0)
            printf("pingpong-nopoll: winpipe %.0f rt/s raw %.0f rt/s ratio %.2f\n", v[1].med,
                   v[2].med, v[1].med / v[2].med);
    }
    for (int i = 0; i < most; i++)
        close(idle_fds[i]), CloseHandle(idle_wh[i]);
    return 0;
}
