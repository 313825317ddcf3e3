/* pidfd.c: process fds in poll() (issue 12).
 *
 * latency: a child (this program with --child) waits for a byte on its stdin, then exits; the
 *   parent polls the child's pidfd and its stdout pipe in one poll() and notes, from the moment
 *   it wrote the byte, when each first reports: the pidfd POLLIN (the process ended) and the
 *   pipe's EOF (POLLHUP/POLLIN with nothing to read). Both in the same run, the same child.
 *   Final line: `pidfd-latency: pidfd X us pipe-eof Y us ratio X/Y` (medians; goal <= 1.5).
 * idle: poll() round trips between two threads over two pipes (as pingpong.c), each side's poll
 *   set holding N idle pidfds (pidfd_open of one sleeping child, N times: N descriptions, N
 *   handles), N = 0 and 1024, alternated within each round.
 *   Final line: `pidfd-idle: idle0 A rt/s idle1024 B rt/s ratio B/A` (goal >= 0.5).
 * Usage: pidfd.exe [--rounds N] [--children N] [--iters N] */
#include <poll.h> /* first: it brings <winsock2.h>, which must precede <windows.h> */
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_NAME "pidfd"
#include "bench.h"

#define MAX_ROUNDS 100
#define IDLE_N 1024

static char self[MAX_PATH];

static pid_t spawn_self(char *mode, int in_fd, int out_fd)
{
    posix_spawn_file_actions_t fa;
    char *argv[] = { self, mode, NULL };
    pid_t pid;
    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    int r = posix_spawn(&pid, self, &fa, NULL, argv, NULL);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0) {
        errno = r;
        bench_die("posix_spawn");
    }
    return pid;
}

/* One child: the two latencies in microseconds. */
static void one_exit(double *pidfd_us, double *eof_us)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
        bench_die("pipe2");
    pid_t pid = spawn_self("--child", in[0], out[1]);
    close(in[0]);
    close(out[1]);
    int pfd = pidfd_open(pid, 0);
    if (pfd < 0)
        bench_die("pidfd_open");
    char c;
    /* the child says it is ready (and so past its start-up) */
    if (read(out[0], &c, 1) != 1)
        bench_die("read ready");
    double t0 = bench_now();
    if (write(in[1], "x", 1) != 1)
        bench_die("write");
    *pidfd_us = *eof_us = -1;
    while (*pidfd_us < 0 || *eof_us < 0) {
        struct pollfd p[2] = { { *pidfd_us < 0 ? pfd : -1, POLLIN, 0 },
                               { *eof_us < 0 ? out[0] : -1, POLLIN, 0 } };
        if (poll(p, 2, -1) < 1)
            bench_die("poll");
        double t = bench_now();
        if (p[0].revents)
            *pidfd_us = (t - t0) * 1e6;
        if (p[1].revents) {
            if (read(out[0], &c, 1) != 0)
                bench_die("EOF expected");
            *eof_us = (t - t0) * 1e6;
        }
    }
    if (waitpid(pid, NULL, 0) != pid)
        bench_die("waitpid");
    close(pfd);
    close(in[1]);
    close(out[0]);
}

/* ---- idle pidfds in a ping-pong ---- */

struct side {
    int rd, wr, n_idle, iters;
    int *idle;
};

static void pingpong_side(struct side *s, int first)
{
    struct pollfd *p = calloc((size_t)s->n_idle + 1, sizeof *p);
    char c = 'x';
    for (int i = 0; i < s->n_idle; i++)
        p[i + 1] = (struct pollfd){ s->idle[i], POLLIN, 0 };
    for (int k = 0; k < s->iters; k++) {
        if (first && write(s->wr, &c, 1) != 1)
            bench_die("write");
        p[0] = (struct pollfd){ s->rd, POLLIN, 0 };
        if (poll(p, (nfds_t)s->n_idle + 1, -1) != 1 || p[0].revents != POLLIN)
            bench_die("poll (an idle pidfd was ready?)");
        if (read(s->rd, &c, 1) != 1)
            bench_die("read");
        if (!first && write(s->wr, &c, 1) != 1)
            bench_die("write");
    }
    free(p);
}

static DWORD WINAPI echo_thread(LPVOID arg)
{
    pingpong_side(arg, 0);
    return 0;
}

/* Round trips per second with n idle pidfds in each side's poll set. */
static double pingpong(int *idle, int n, int iters)
{
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0)
        bench_die("pipe");
    struct side main_side = { b[0], a[1], n, iters, idle }, echo = { a[0], b[1], n, iters, idle };
    HANDLE th = CreateThread(NULL, 0, echo_thread, &echo, 0, NULL);
    if (!th)
        bench_die("CreateThread");
    double t0 = bench_now();
    pingpong_side(&main_side, 1);
    double t1 = bench_now();
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
    return iters / (t1 - t0);
}

int main(int argc, char **argv)
{
    int rounds = 5, children = 20, iters = 2000;
    if (argc > 1 && strcmp(argv[1], "--child") == 0) {
        char c;
        if (write(1, "r", 1) != 1 || read(0, &c, 1) != 1)
            return 1;
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--sleeper") == 0) {
        Sleep(INFINITE);
        return 0;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--children") == 0)
            children = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--iters") == 0)
            iters = atoi(argv[i + 1]);
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || children < 1 || iters < 1) {
        fprintf(stderr, "usage: pidfd.exe [--rounds 1-%d] [--children N] [--iters N]\n",
                MAX_ROUNDS);
        return 2;
    }
    GetModuleFileNameA(NULL, self, sizeof self);

    /* latency */
    int total = rounds * children;
    double *lp = calloc((size_t)total, sizeof *lp), *le = calloc((size_t)total, sizeof *le);
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < children; i++)
            one_exit(&lp[r * children + i], &le[r * children + i]);
        printf("round %d: pidfd %.0f us pipe-eof %.0f us (last child)\n", r + 1,
               lp[r * children + children - 1], le[r * children + children - 1]);
        fflush(stdout);
    }
    double mp = bench_median(lp, total), me = bench_median(le, total);
    printf("latency: pidfd median %.0f us [%.0f..%.0f], pipe EOF median %.0f us [%.0f..%.0f]\n",
           mp, lp[0], lp[total - 1], me, le[0], le[total - 1]);

    /* idle pidfds */
    pid_t sleeper = spawn_self("--sleeper", -1, -1);
    int *idle = malloc(IDLE_N * sizeof *idle);
    for (int i = 0; i < IDLE_N; i++)
        if ((idle[i] = pidfd_open(sleeper, 0)) < 0)
            bench_die("pidfd_open (idle)");
    double r0[MAX_ROUNDS], r1[MAX_ROUNDS];
    pingpong(idle, IDLE_N, iters / 10); /* arms the idle pidfds' waits once, outside the clock */
    for (int r = 0; r < rounds; r++) {
        if (r % 2) {
            r1[r] = pingpong(idle, IDLE_N, iters);
            r0[r] = pingpong(idle, 0, iters);
        } else {
            r0[r] = pingpong(idle, 0, iters);
            r1[r] = pingpong(idle, IDLE_N, iters);
        }
        printf("round %d: idle0 %.0f rt/s idle%d %.0f rt/s\n", r + 1, r0[r], IDLE_N, r1[r]);
        fflush(stdout);
    }
    double m0 = bench_median(r0, rounds), m1 = bench_median(r1, rounds);
    for (int i = 0; i < IDLE_N; i++)
        close(idle[i]);
    free(idle);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);

    printf("pidfd-latency: pidfd %.0f us pipe-eof %.0f us ratio %.2f\n", mp, me, mp / me);
    printf("pidfd-idle: idle0 %.0f rt/s idle%d %.0f rt/s ratio %.2f\n", m0, IDLE_N, m1, m1 / m0);
    free(lp);
    free(le);
    return 0;
}
