/* bench.h: what the benchmark programs share: a monotonic clock in seconds, the median of a
 * round's figures, and dying with the failed call's errno and Win32 error. Header-only; define
 * BENCH_NAME (the program's name, for messages) before including it. */
#ifndef WINPIPE_BENCH_H
#define WINPIPE_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

static inline double bench_now(void)
{
#ifdef _WIN32
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
#endif
}

static inline int bench__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v; returns the median. v[0] and v[n-1] are then the range. */
static inline double bench_median(double *v, int n)
{
    qsort(v, n, sizeof *v, bench__cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#ifdef _WIN32
static inline void bench_die(const char *what)
{
    fprintf(stderr, "%s: %s failed (errno %d, Win32 %lu)\n", BENCH_NAME, what, errno,
            GetLastError());
    exit(1);
}
#endif

#endif
