/* idle.c: the CPU a thread blocked in poll(-1) on an idle pipe burns, against the floor of a
 * thread blocked in a raw synchronous ReadFile (issue 3; goal: poll < 0.5 % of a core).
 *
 * For each variant a thread blocks for --seconds (default 5) while the main thread sleeps;
 * then a byte written into the pipe ends the wait and the thread is joined. Measured over the
 * sleep, in % of one core:
 *   thread   GetThreadTimes (user + kernel) of the blocked thread
 *   process  GetProcessTimes of the whole process
 *   server   wineserver's utime + stime from /proc/PID/stat, when --wineserver-pid PID is
 *            given (read through Wine's Z: drive; 10 ms ticks): under Wine, waits are served
 *            by wineserver, whose CPU is in no Windows process's times.
 * Variants, alternated within each round: winpipe (pipe() + poll(POLLIN, -1)) and raw
 * (CreatePipe() + ReadFile of 1 byte). Final line (machine-readable, medians):
 *   idle: winpipe X % raw Y % server winpipe A % raw B %   (thread CPU; server with a PID)
 * Usage: idle.exe [--seconds N] [--rounds N] [--wineserver-pid PID] */
#include <poll.h> /* first: it brings <winsock2.h>, which must precede <windows.h> */
#include <windows.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_NAME "idle"
#include "bench.h"

#define MAX_ROUNDS 100

enum variant { WINPIPE, RAW, NVARIANTS };
static const char *const names[NVARIANTS] = { "winpipe", "raw" };

struct waiter {
    enum variant v;
    int fd;
    HANDLE rh;
    int result; /* poll()'s or ReadFile's outcome, checked after the join */
};

static int server_pid;

static double ft_s(FILETIME a, FILETIME b)
{
    ULARGE_INTEGER x = { .LowPart = a.dwLowDateTime, .HighPart = a.dwHighDateTime };
    ULARGE_INTEGER y = { .LowPart = b.dwLowDateTime, .HighPart = b.dwHighDateTime };
    return (double)(x.QuadPart + y.QuadPart) / 1e7; /* 100 ns units */
}

static double thread_cpu(HANDLE t)
{
    FILETIME c, e, k, u;
    if (!GetThreadTimes(t, &c, &e, &k, &u))
        bench_die("GetThreadTimes");
    return ft_s(k, u);
}

static double process_cpu(void)
{
    FILETIME c, e, k, u;
    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u))
        bench_die("GetProcessTimes");
    return ft_s(k, u);
}

/* wineserver's utime + stime in seconds, or -1 when unknown. */
static double server_cpu(void)
{
    char path[64], line[1024];
    unsigned long long ut, st;
    if (!server_pid)
        return -1;
    snprintf(path, sizeof path, "Z:\\proc\\%d\\stat", server_pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    fclose(f);
    /* After "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime. */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / 100.0; /* USER_HZ */
}

static DWORD WINAPI wait_thread(LPVOID arg)
{
    struct waiter *w = arg;
    if (w->v == WINPIPE) {
        struct pollfd p = { w->fd, POLLIN, 0 };
        w->result = poll(&p, 1, -1) == 1 && p.revents == POLLIN;
    } else {
        char c;
        DWORD n;
        w->result = ReadFile(w->rh, &c, 1, &n, NULL) && n == 1;
    }
    return 0;
}

/* One blocked wait of `secs`; fills the three CPU shares, in % of one core. */
static void run(enum variant v, double secs, double pct[3])
{
    struct waiter w = { .v = v };
    int fds[2];
    HANDLE wh;
    if (v == WINPIPE) {
        if (pipe(fds) < 0)
            bench_die("pipe");
        w.fd = fds[0];
    } else if (!CreatePipe(&w.rh, &wh, NULL, 65536)) {
        bench_die("CreatePipe");
    }
    HANDLE th = CreateThread(NULL, 0, wait_thread, &w, 0, NULL);
    if (!th)
        bench_die("CreateThread");
    Sleep(200); /* let it reach its wait */

    double t0 = bench_now(), th0 = thread_cpu(th), p0 = process_cpu(), s0 = server_cpu();
    Sleep((DWORD)(secs * 1000));
    double t1 = bench_now(), th1 = thread_cpu(th), p1 = process_cpu(), s1 = server_cpu();

    if (v == WINPIPE ? write(fds[1], "x", 1) != 1 : !WriteFile(wh, "x", 1, &(DWORD){ 0 }, NULL))
        bench_die("write");
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    if (!w.result)
        bench_die(v == WINPIPE ? "poll" : "ReadFile");
    if (v == WINPIPE) {
        close(fds[0]);
        close(fds[1]);
    } else {
        CloseHandle(w.rh);
        CloseHandle(wh);
    }
    double wall = t1 - t0;
    pct[0] = 100 * (th1 - th0) / wall;
    pct[1] = 100 * (p1 - p0) / wall;
    pct[2] = s0 < 0 || s1 < 0 ? -1 : 100 * (s1 - s0) / wall;
}

int main(int argc, char **argv)
{
    double secs = 5;
    int rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--wineserver-pid"))
            server_pid = atoi(argv[i + 1]);
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || secs <= 0) {
        fprintf(stderr, "usage: idle.exe [--seconds N] [--rounds N<=%d] [--wineserver-pid PID]\n",
                MAX_ROUNDS);
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    if (server_pid && server_cpu() < 0) {
        printf("idle: cannot read Z:\\proc\\%d\\stat; no wineserver figures\n", server_pid);
        server_pid = 0;
    }

    static const char *const what[3] = { "thread", "process", "server" };
    static double pct[NVARIANTS][3][MAX_ROUNDS];
    printf("idle: a thread blocked %.1f s on an idle pipe, %d rounds; CPU in %% of one core\n",
           secs, rounds);
    for (int r = 0; r < rounds; r++) {
        printf("round %d:", r + 1);
        for (int k = 0; k < NVARIANTS; k++) {
            enum variant v = (enum variant)((k + r) % NVARIANTS);
            double one[3];
            run(v, secs, one);
            printf("  %s thread %.3f process %.3f", names[v], one[0], one[1]);
            if (server_pid)
                printf(" server %.3f", one[2]);
            for (int m = 0; m < 3; m++)
                pct[v][m][r] = one[m];
        }
        printf("\n");
    }
    double med[NVARIANTS][3];
    for (int v = 0; v < NVARIANTS; v++) {
        printf("%-8s", names[v]);
        for (int m = 0; m < (server_pid ? 3 : 2); m++) {
            med[v][m] = bench_median(pct[v][m], rounds);
            printf(" %s median %.3f %% (range %.3f-%.3f)", what[m], med[v][m], pct[v][m][0],
                   pct[v][m][rounds - 1]);
        }
        printf("\n");
    }
    printf("idle: winpipe %.3f %% raw %.3f %%", med[WINPIPE][0], med[RAW][0]);
    if (server_pid)
        printf(" server winpipe %.3f %% raw %.3f %%", med[WINPIPE][2], med[RAW][2]);
    printf("\n");
    return 0;
}
