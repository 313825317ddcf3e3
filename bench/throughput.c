/* throughput.c: bulk pipe throughput, winpipe against raw Win32 (issue 2; goal: blocking
 * winpipe >= 0.9x raw).
 *
 * A writer thread streams --mib MiB (default 256) in 64 KiB chunks; the reader (main thread)
 * reads with a 64 KiB buffer until it has everything. The clock runs from the writer's start
 * to the reader's last byte. Variants, alternated within each round so that the VM's noise
 * hits them alike:
 *   winpipe   pipe() + blocking write()/read()
 *   nonblock  pipe(), the write end O_NONBLOCK; the writer polls POLLOUT after EAGAIN
 *   raw       CreatePipe(&r, &w, NULL, 65536) + synchronous WriteFile/ReadFile
 * Each round prints its figures; the last lines give the medians (and ranges) and are
 * machine-readable:
 *   throughput: winpipe X MB/s raw Y MB/s ratio X/Y
 *   throughput-nonblock: winpipe X MB/s raw Y MB/s ratio X/Y
 * MB is 10^6 bytes. Usage: throughput.exe [--mib N] [--rounds N] */
#include <poll.h> /* first: it brings <winsock2.h>, which must precede <windows.h> */
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_NAME "throughput"
#include "bench.h"

#define CHUNK 65536

enum variant { WINPIPE, NONBLOCK, RAW, NVARIANTS };
static const char *const names[NVARIANTS] = { "winpipe", "nonblock", "raw" };

struct job {
    enum variant v;
    int wfd;
    HANDLE wh;
    long long total;
    long long eagain, polls; /* nonblock: how often the writer had to wait */
};

static DWORD WINAPI writer(LPVOID arg)
{
    struct job *j = arg;
    static char buf[CHUNK];
    memset(buf, 'x', sizeof buf);
    for (long long left = j->total; left > 0;) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        if (j->v == RAW) {
            DWORD put;
            if (!WriteFile(j->wh, buf, (DWORD)n, &put, NULL))
                bench_die("WriteFile");
            left -= put;
            continue;
        }
        ssize_t put = write(j->wfd, buf, n);
        if (put < 0 && errno == EAGAIN && j->v == NONBLOCK) {
            struct pollfd p = { j->wfd, POLLOUT, 0 };
            j->eagain++;
            if (poll(&p, 1, -1) < 0)
                bench_die("poll");
            j->polls++;
            continue;
        }
        if (put < 0)
            bench_die("write");
        left -= put;
    }
    return 0;
}

/* One transfer; returns MB/s. */
static double run(struct job *j)
{
    static char buf[CHUNK];
    int fds[2] = { -1, -1 };
    HANDLE rh = NULL;
    long long got = 0;

    j->eagain = j->polls = 0;
    if (j->v == RAW) {
        if (!CreatePipe(&rh, &j->wh, NULL, CHUNK))
            bench_die("CreatePipe");
    } else {
        if (pipe(fds) < 0)
            bench_die("pipe");
        if (j->v == NONBLOCK && fcntl(fds[1], F_SETFL, O_NONBLOCK) < 0)
            bench_die("fcntl");
        j->wfd = fds[1];
    }
    double t0 = bench_now();
    HANDLE th = CreateThread(NULL, 0, writer, j, 0, NULL);
    if (!th)
        bench_die("CreateThread");
    while (got < j->total) {
        if (j->v == RAW) {
            DWORD n;
            if (!ReadFile(rh, buf, CHUNK, &n, NULL))
                bench_die("ReadFile");
            got += n;
        } else {
            ssize_t n = read(fds[0], buf, CHUNK);
            if (n <= 0)
                bench_die("read");
            got += n;
        }
    }
    double t = bench_now() - t0;
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    if (j->v == RAW) {
        CloseHandle(rh);
        CloseHandle(j->wh);
    } else {
        close(fds[0]);
        close(fds[1]);
    }
    return (double)j->total / t / 1e6;
}

int main(int argc, char **argv)
{
    long long mib = 256;
    int rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mib"))
            mib = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[i + 1]);
    }
    if (rounds < 1 || rounds > 100 || mib < 1) {
        fprintf(stderr, "usage: throughput.exe [--mib N] [--rounds N<=100]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);

    double mbs[NVARIANTS][100];
    printf("throughput: %lld MiB in %d-byte chunks, %d rounds\n", mib, CHUNK, rounds);
    for (int r = 0; r < rounds; r++) {
        printf("round %d:", r + 1);
        for (int k = 0; k < NVARIANTS; k++) {
            /* Rotate the order so that no variant always runs first. */
            enum variant v = (enum variant)((k + r) % NVARIANTS);
            struct job j = { .v = v, .total = mib << 20 };
            mbs[v][r] = run(&j);
            printf("  %s %.1f MB/s", names[v], mbs[v][r]);
            if (v == NONBLOCK)
                printf(" (%lld EAGAIN)", j.eagain);
        }
        printf("\n");
    }

    double med[NVARIANTS];
    for (int v = 0; v < NVARIANTS; v++) {
        med[v] = bench_median(mbs[v], rounds);
        printf("%-8s median %.1f MB/s, range %.1f-%.1f\n", names[v], med[v], mbs[v][0],
               mbs[v][rounds - 1]);
    }
    printf("throughput: winpipe %.1f MB/s raw %.1f MB/s ratio %.2f\n", med[WINPIPE], med[RAW],
           med[WINPIPE] / med[RAW]);
    printf("throughput-nonblock: winpipe %.1f MB/s raw %.1f MB/s ratio %.2f\n", med[NONBLOCK],
           med[RAW], med[NONBLOCK] / med[RAW]);
    return 0;
}
