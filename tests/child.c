/* child: the one helper program the spawn and wait tests start. It reports what a child sees.
 *
 *   child argv                 argv[0..argc-1], each followed by a NUL byte, on fd 1
 *   child env                  the environment, each string followed by a NUL byte, on fd 1
 *   child fds N [OUTFD]        one character per fd 0..N-1 on OUTFD (default 1), then '\n':
 *                              '-' closed; natively 'o' open; on Windows 's' a synchronous
 *                              handle, 'a' an overlapped one (NtQueryInformationFile
 *                              FileModeInformation), 'o' open but no file object (console)
 *   child handles H...         Windows: '1' or '0' per handle value H (hex): does this process
 *                              hold such a handle? (a leaked handle). Natively always '0'.
 *   child exit CODE            exits with CODE (Windows: all 32 bits, ExitProcess)
 *   child crash                dereferences NULL (SIGSEGV / 0xC0000005)
 *   child sleep MS             sleeps, then exits 0
 *   child cat                  copies fd 0 to fd 1 until EOF
 *   child write N [FD]         writes N bytes ('a'..'z' repeated) to FD (default 1), exits 0
 *   child echo FD TEXT         writes TEXT to FD, exits 0
 *   child cwd                  the current directory, UTF-8, on fd 1
 *   child sigpipe              SIGPIPE to SIG_DFL, then writes to fd 1 until that kills it
 *   child nbwrite N            O_NONBLOCK on fd 1, writes N bytes (byte i is i % 251) with
 *                              winpipe's write, retrying on EAGAIN, and exits at once
 *
 * All output is binary. On Windows the child uses the C runtime's own _read/_write and
 * _get_osfhandle, as an ordinary program not linked with winpipe would (only `sigpipe` goes
 * and `nbwrite` go through winpipe's write, whose SIGPIPE and write-behind they test); argv and env come from the wide C runtime
 * so that UTF-8 round-trips exactly.
 *
 * How tests find it: the environment variable WINPIPE_CHILD if set, else "child" (Windows:
 * "child.exe") in the directory of the test executable itself (see tests/spawn_util.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#include <winternl.h>
#else
#include <time.h>
extern char **environ;
#endif

static int child_raw_write(int fd, const void *buf, size_t n)
{
#ifdef _WIN32
    return _write(fd, buf, (unsigned)n);
#else
    return (int)write(fd, buf, n);
#endif
}

static int child_raw_read(int fd, void *buf, size_t n)
{
#ifdef _WIN32
    return _read(fd, buf, (unsigned)n);
#else
    return (int)read(fd, buf, n);
#endif
}

static void child_put(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        int r = child_raw_write(fd, p, n);
        if (r <= 0)
            exit(3);
        p += r;
        n -= (size_t)r;
    }
}

#ifdef _WIN32
typedef struct { int newmode; } child_startupinfo;
extern int __wgetmainargs(int *, wchar_t ***, wchar_t ***, int, child_startupinfo *);

static void child_put_wide(const wchar_t *w, int with_nul)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *u = malloc(n > 0 ? n : 1);
    WideCharToMultiByte(CP_UTF8, 0, w, -1, u, n, NULL, NULL);
    child_put(1, u, strlen(u) + (with_nul ? 1 : 0));
    free(u);
}

static LONG WINAPI child_unhandled(EXCEPTION_POINTERS *ep)
{
    TerminateProcess(GetCurrentProcess(), ep->ExceptionRecord->ExceptionCode);
    return EXCEPTION_CONTINUE_SEARCH;
}

static char child_fd_state(int fd)
{
    intptr_t h = _get_osfhandle(fd);
    IO_STATUS_BLOCK iosb;
    ULONG mode = 0;
    if (h == -1 || h == -2 || h == 0)
        return '-';
    if (NtQueryInformationFile((HANDLE)h, &iosb, &mode, sizeof mode, (FILE_INFORMATION_CLASS)16) < 0)
        return 'o';
    return (mode & 0x30) ? 's' : 'a';
}
#else
static char child_fd_state(int fd)
{
    return fcntl(fd, F_GETFD) == -1 ? '-' : 'o';
}
#endif

static int child_argv(int argc, char **argv)
{
#ifdef _WIN32
    wchar_t **wargv, **wenv;
    child_startupinfo si = { 0 };
    (void)argc; (void)argv;
    if (__wgetmainargs(&argc, &wargv, &wenv, 0, &si) < 0)
        return 4;
    for (int i = 0; i < argc; i++)
        child_put_wide(wargv[i], 1);
#else
    for (int i = 0; i < argc; i++)
        child_put(1, argv[i], strlen(argv[i]) + 1);
#endif
    return 0;
}

static int child_env(void)
{
#ifdef _WIN32
    wchar_t *blk = GetEnvironmentStringsW();
    for (wchar_t *p = blk; *p; p += wcslen(p) + 1)
        child_put_wide(p, 1);
    FreeEnvironmentStringsW(blk);
#else
    for (char **e = environ; *e; e++)
        child_put(1, *e, strlen(*e) + 1);
#endif
    return 0;
}

static int child_fds(int n, int out)
{
    char buf[1025];
    if (n < 0 || n > 1024)
        return 2;
    for (int i = 0; i < n; i++)
        buf[i] = child_fd_state(i);
    buf[n] = '\n';
    child_put(out, buf, (size_t)n + 1);
    return 0;
}

static int child_handles(int argc, char **argv)
{
    char buf[256];
    int n = 0;
    for (int i = 2; i < argc && n < 255; i++) {
#ifdef _WIN32
        DWORD info;
        HANDLE h = (HANDLE)(uintptr_t)strtoull(argv[i], NULL, 16);
        buf[n++] = GetHandleInformation(h, &info) ? '1' : '0';
#else
        (void)argv;
        buf[n++] = '0';
#endif
    }
    buf[n++] = '\n';
    child_put(1, buf, (size_t)n);
    return 0;
}

static void child_sleep(unsigned long ms)
{
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
#endif
}

static int child_cat(void)
{
    char buf[65536];
    int r;
    while ((r = child_raw_read(0, buf, sizeof buf)) > 0)
        child_put(1, buf, (size_t)r);
    return r < 0 ? 3 : 0;
}

static int child_write(unsigned long n, int fd)
{
    char buf[4096];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)('a' + i % 26);
    while (n) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        child_put(fd, buf, k);
        n -= k;
    }
    return 0;
}

static int child_cwd(void)
{
#ifdef _WIN32
    wchar_t buf[4096];
    if (!GetCurrentDirectoryW(4096, buf))
        return 3;
    child_put_wide(buf, 0);
#else
    char buf[4096];
    if (!getcwd(buf, sizeof buf))
        return 3;
    child_put(1, buf, strlen(buf));
#endif
    return 0;
}

static int child_sigpipe(void)
{
    char buf[512] = { 0 };
    signal(SIGPIPE, SIG_DFL);
    /* write is winpipe's on Windows (its SIGPIPE), the system's natively. */
    for (int i = 0; i < 100000; i++)
        if (write(1, buf, sizeof buf) < 0)
            return 100 + (errno & 0x7f);
    return 5;
}

/* The last write may still be pending in winpipe's write-behind when this returns: exit must
 * not lose it. */
static int child_nbwrite(long n)
{
    static unsigned char buf[16384];
    long done = 0;
    if (fcntl(1, F_SETFL, O_NONBLOCK) != 0)
        return 3;
    while (done < n) {
        long len = n - done < (long)sizeof buf ? n - done : (long)sizeof buf;
        for (long i = 0; i < len; i++)
            buf[i] = (unsigned char)((done + i) % 251);
        ssize_t r = write(1, buf, (size_t)len);
        if (r < 0 && errno == EAGAIN) {
#ifdef _WIN32
            Sleep(1);
#else
            usleep(1000);
#endif
            continue;
        }
        if (r <= 0)
            return 4;
        done += r;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
#ifdef _WIN32
    for (int fd = 0; fd < 3; fd++)
        if (_get_osfhandle(fd) != -1)
            _setmode(fd, _O_BINARY);
    /* No error dialogs or debugger for the crash command: end with the exception's code, as
     * Windows does when no debugger is configured. */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    SetUnhandledExceptionFilter(child_unhandled);
#endif
    if (strcmp(cmd, "argv") == 0)
        return child_argv(argc, argv);
    if (strcmp(cmd, "env") == 0)
        return child_env();
    if (strcmp(cmd, "fds") == 0 && argc > 2)
        return child_fds(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 1);
    if (strcmp(cmd, "handles") == 0)
        return child_handles(argc, argv);
    if (strcmp(cmd, "exit") == 0 && argc > 2) {
#ifdef _WIN32
        ExitProcess((UINT)strtoul(argv[2], NULL, 0));
#else
        exit((int)strtoul(argv[2], NULL, 0));
#endif
    }
    if (strcmp(cmd, "crash") == 0) {
        /* A write to read-only data: an access violation everywhere (page 0 is not always
         * unmapped), through a volatile pointer so that no compiler turns it into a trap. */
        static const char readonly[16] = "read only";
        char *volatile p = (char *)readonly;
        *p = 1;
        return 6;
    }
    if (strcmp(cmd, "sleep") == 0 && argc > 2) {
        child_sleep(strtoul(argv[2], NULL, 0));
        return 0;
    }
    if (strcmp(cmd, "cat") == 0)
        return child_cat();
    if (strcmp(cmd, "write") == 0 && argc > 2)
        return child_write(strtoul(argv[2], NULL, 0), argc > 3 ? atoi(argv[3]) : 1);
    if (strcmp(cmd, "echo") == 0 && argc > 3) {
        child_put(atoi(argv[2]), argv[3], strlen(argv[3]));
        return 0;
    }
    if (strcmp(cmd, "cwd") == 0)
        return child_cwd();
    if (strcmp(cmd, "sigpipe") == 0)
        return child_sigpipe();
    if (strcmp(cmd, "nbwrite") == 0 && argc > 2)
        return child_nbwrite(atol(argv[2]));
    fprintf(stderr, "child: unknown command '%s'\n", cmd);
    return 2;
}
