/* bench/spawn: spawn-and-reap rate of a trivial child (tests/child "exit 0"), winpipe's
 * posix_spawn + waitpid against raw CreateProcessW + WaitForSingleObject, in one run, with the
 * ratio (goal: >= 0.9). Natively only the posix_spawn rate is printed.
 *   usage: spawn [--rounds R] [CHILD [N]]
 *   (CHILD default: child(.exe) beside this program; N spawns of each kind per round, default 50;
 *   R rounds, default 2, alternating the two kinds). Final line (Windows):
 *   spawn: winpipe X spawns/s raw Y spawns/s ratio X/Y */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#else
extern char **environ;
#endif

#define BENCH_NAME "spawn"
#include "bench.h"

static double bench_posix_spawn(const char *child, int n)
{
    char *argv[] = { (char *)child, "exit", "0", NULL };
    double t0 = bench_now();
    for (int i = 0; i < n; i++) {
        pid_t pid, got;
        int st = -1, r = posix_spawn(&pid, child, NULL, NULL, argv, environ);
        if (r != 0) {
            fprintf(stderr, "spawn %d: posix_spawn(%s): %s\n", i, child, strerror(r));
            exit(1);
        }
        if ((got = waitpid(pid, &st, 0)) != pid || st != 0) {
            fprintf(stderr, "spawn %d: waitpid(%d) = %d, status %#x\n", i, (int)pid, (int)got, st);
            exit(1);
        }
    }
    return n / (bench_now() - t0);
}

#ifdef _WIN32
static double bench_raw(const char *child, int n)
{
    wchar_t app[4096], cmd[4200];
    MultiByteToWideChar(CP_UTF8, 0, child, -1, app, 4096);
    double t0 = bench_now();
    for (int i = 0; i < n; i++) {
        STARTUPINFOW si;
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        PROCESS_INFORMATION pi;
        DWORD code = 1;
        _snwprintf(cmd, 4200, L"\"%ls\" exit 0", app);
        if (!CreateProcessW(app, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
            fprintf(stderr, "CreateProcessW: %lu\n", GetLastError());
            exit(1);
        }
        WaitForSingleObject(pi.hProcess, INFINITE);
        GetExitCodeProcess(pi.hProcess, &code);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    }
    return n / (bench_now() - t0);
}
#endif

int main(int argc, char **argv)
{
    char child[4096];
    const char *self = argv[0];
    int rounds = 2;
    if (argc > 2 && strcmp(argv[1], "--rounds") == 0) {
        rounds = atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 50;
    if (rounds < 1 || n < 1) {
        fprintf(stderr, "usage: spawn [--rounds R] [CHILD [N]]\n");
        return 2;
    }
    if (argc > 1) {
        snprintf(child, sizeof child, "%s", argv[1]);
    } else {
        char *slash;
        snprintf(child, sizeof child, "%s", self);
        slash = strrchr(child, '/');
#ifdef _WIN32
        if (strrchr(child, '\\') > slash)
            slash = strrchr(child, '\\');
        snprintf(slash ? slash + 1 : child, 64, "child.exe");
#else
        snprintf(slash ? slash + 1 : child, 64, "child");
#endif
    }
    /* A warm-up of each, unmeasured: the first processes pay for the system's caches. */
    bench_posix_spawn(child, 5);
#ifdef _WIN32
    bench_raw(child, 5);
#endif
    /* Interleaved rounds, so that a noisy machine disturbs both sides alike. */
    double ws = 0;
#ifdef _WIN32
    double raw = 0;
#endif
    for (int round = 0; round < rounds; round++) {
        ws += bench_posix_spawn(child, n);
#ifdef _WIN32
        raw += bench_raw(child, n);
#endif
    }
    printf("posix_spawn+waitpid:          %8.1f spawns/s\n", ws / rounds);
#ifdef _WIN32
    printf("CreateProcessW+WaitForSingle: %8.1f spawns/s\n", raw / rounds);
    printf("spawn: winpipe %.1f spawns/s raw %.1f spawns/s ratio %.2f\n", ws / rounds,
           raw / rounds, ws / raw);
#endif
    return 0;
}
