/* plain: a helper program that knows nothing of winpipe (not linked with it, built without its
 * headers): what the process-group tests need of a program of the outside world, one that starts
 * a process of its own the way any Windows program does (CreateProcess, inheriting its handles)
 * and keeps the output pipe it was given open.
 *
 *   plain [-i] sleep MS     sleeps MS milliseconds, then exits 0
 *   plain [-i] tree MS      starts "plain [-i] sleep MS", which inherits every fd (handle), writes
 *                           "G PID\n" (the grandchild's pid) on fd 1, sleeps MS, exits 0
 *   plain [-i] orphan MS    the same, but exits 0 at once, leaving the grandchild behind
 *   -i                      ignore SIGTERM (natively; a Windows process cannot: winpipe's kill
 *                           ends it)
 *
 * Natively it is an ordinary POSIX program (posix_spawn); on Windows it uses CreateProcessW and
 * the C runtime's _write only. Exit 2: bad usage, 3: the grandchild could not start. */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <spawn.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
#endif

static void plain_sleep(long ms)
{
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
#endif
}

static void plain_say(const char *s)
{
#ifdef _WIN32
    (void)_write(1, s, (unsigned)strlen(s));
#else
    (void)!write(1, s, strlen(s));
#endif
}

/* Starts "self [-i] sleep MS" with every inheritable handle (fd) of this process; its pid. */
static long plain_start(const char *self, int ignore, const char *ms)
{
#ifdef _WIN32
    wchar_t path[MAX_PATH], cmd[MAX_PATH + 64];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    (void)self;
    GetModuleFileNameW(NULL, path, MAX_PATH);
    _snwprintf(cmd, MAX_PATH + 64, L"\"%ls\" %ls sleep %hs", path, ignore ? L"-i" : L"", ms);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    if (!CreateProcessW(path, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        return -1;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return (long)pi.dwProcessId;
#else
    char *argv[] = { (char *)self, ignore ? "-i" : "sleep", ignore ? "sleep" : (char *)ms,
                     ignore ? (char *)ms : NULL, NULL };
    pid_t pid;
    return posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) == 0 ? (long)pid : -1;
#endif
}

int main(int argc, char **argv)
{
    int ignore = argc > 1 && strcmp(argv[1], "-i") == 0;
    char line[32];
    if (argc != 3 + ignore)
        return 2;
    const char *cmd = argv[1 + ignore], *ms = argv[2 + ignore];
    if (ignore)
        signal(SIGTERM, SIG_IGN);
    if (strcmp(cmd, "sleep") == 0) {
        plain_sleep(atol(ms));
        return 0;
    }
    if (strcmp(cmd, "tree") != 0 && strcmp(cmd, "orphan") != 0)
        return 2;
    long pid = plain_start(argv[0], ignore, ms);
    if (pid < 0)
        return 3;
    snprintf(line, sizeof line, "G %ld\n", pid);
    plain_say(line);
    if (strcmp(cmd, "tree") == 0)
        plain_sleep(atol(ms));
    return 0;
}
