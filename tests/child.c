/* child: the one helper program the spawn, wait and prun tests start. It reports what a child
 * sees, and writes and waits as a test's child needs.
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
 *   child crash [handled]      writes to read-only data (SIGSEGV / 0xC0000005); "handled": with a
 *                              SIGSEGV handler (sigaction) that writes "handler 11\n" on fd 1 and
 *                              exits 7
 *   child abort [handled|ignored]  abort(); "handled": with a SIGABRT handler that writes
 *                              "handler N\n" (N: SIGABRT) on fd 1 and returns; "ignored": SIGABRT ignored
 *   child sleep MS             sleeps, then exits 0
 *   child cat                  copies fd 0 to fd 1 until EOF
 *   child write N [FD]         writes N bytes ('a'..'z' repeated) to FD (default 1), exits 0
 *   child echo FD TEXT         writes TEXT to FD, exits 0
 *   child cwd                  the current directory, UTF-8, on fd 1
 *   child sigpipe              SIGPIPE to SIG_DFL, then writes to fd 1 until that kills it
 *   child nbwrite N            O_NONBLOCK on fd 1, writes N bytes (byte i is i % 251) with
 *                              winpipe's write, retrying on EAGAIN, and exits at once
 *   child nbfill FD NOTEFD HOW O_NONBLOCK on FD, writes 64 KiB pieces (byte i is i % 251) with
 *                              winpipe's write until one gets EAGAIN, writes the count they
 *                              reported ("%ld\n") to NOTEFD, and ends at once with exit(0)
 *                              (HOW "exit") or _exit(0) (HOW "_exit")
 *   child lines N LEN [FDS [MS]]  N numbered lines: line i (from 1) is LEN bytes -- i in
 *                              decimal, a space, then 'a' + i % 26 repeated -- and '\n'. It goes
 *                              to FDS[(i - 1) % count] (FDS a comma-separated list, default "1"),
 *                              written in 4000-byte pieces that cut lines anywhere; with MS > 0
 *                              each line is written whole and followed by a pause of MS ms
 *   child interrupt PROG [ARG...]  runs PROG with this process's fds 1 and 2 and no stdin; when
 *                              a byte or EOF arrives on fd 0, interrupts it as a terminal's Ctrl-C
 *                              would, and exits with its exit code (100 + the signal if one ended
 *                              it). Natively: SIGINT to PROG. Windows: PROG runs in a console of
 *                              its own without a window and gets CTRL_C_EVENT through it (ended
 *                              by winpipe's SIGINT exit code or STATUS_CONTROL_C_EXIT: 102).
 *   child nbio read|write FD OUTFD  what the child sees of an O_NONBLOCK its parent set on FD's
 *                              open file description: "F B E\n" on OUTFD at once (B: 1 if F_GETFL
 *                              of FD has O_NONBLOCK, else 0; E: errno if F_GETFL failed, else
 *                              0), then one read of 1 byte on FD through winpipe and
 *                              "R RESULT ERRNO\n" (ERRNO 0 unless RESULT < 0); for write, writes
 *                              of 1 byte until one fails or 2 were accepted, and
 *                              "R RESULT ERRNO ACCEPTED\n" (RESULT the last write's)
 *   child sigrecv OUTFD END SIG...  catches each SIG (numbers; END too) with an SA_SIGINFO handler
 *                              that passes it to the main loop through a pipe; writes "ready\n"
 *                              on OUTFD, then one line "SIG CODE PID\n" (si_code, si_pid) per
 *                              signal caught, and exits 0 after END's line
 *   child sigstate OUTFD       the signals it starts with: "mask: N N ...\nign: N N ...\n" on OUTFD
 *                              (the blocked ones, then those whose action is SIG_IGN, 1-64)
 *   child alarm SECS           alarm(SECS), then sleeps 60 s and exits 5 (SIGALRM should end it)
 *   child pgrp [setpgid]       "PID PGRP\n" on fd 1: getpid() and getpgrp(); with setpgid, then
 *                              setpgid(0, 0) and getpgrp() again: "PID PGRP RESULT PGRP2\n"
 *   child tree PLAIN 0|N|J     runs "PLAIN tree 600000" (tests/plain.c, a program without
 *                              winpipe that starts a grandchild holding the same stdout) with
 *                              its stdout on a pipe: 0 in this process's own group, N and J in
 *                              a new group (J: Windows, first putting this process into a job
 *                              that forbids breaking away); reads its "G PID" line, catches
 *                              SIGTERM, sends it with kill(0, SIGTERM) (0) or kill(-pid,
 *                              SIGTERM) (N, J), reads the pipe to EOF, reaps the child and
 *                              writes "WTERMSIG HANDLED\n" (0 if it exited) on fd 1
 *   child closed-stderr PATH   calls winpipe's close(-1), closes fd 2 (its handle goes too),
 *                              opens PATH until a handle gets the old standard error's value
 *                              (Windows; exit 6 if none does), writes "data" to it, calls
 *                              close(-1) again (which WINPIPE_TRACE=1 would trace to standard
 *                              error) and exits 0. PATH must hold exactly "data" afterwards.
 *
 * All output is binary. On Windows the child uses the C runtime's own _read/_write and
 * _get_osfhandle, as an ordinary program not linked with winpipe would (only `sigpipe`,
 * `nbwrite`, `nbfill` and `nbio` go through winpipe's fcntl, read and write, which they test);
 * argv and env come from the wide C runtime so that UTF-8 round-trips exactly.
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
#include <spawn.h>
#include <sys/wait.h>

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

/* A handler for a fault or abort(): says so on fd 1 (write is async-signal-safe). */
static void child_say_handled(int sig)
{
    char msg[16];
    int n = snprintf(msg, sizeof msg, "handler %d\n", sig);
    (void)!child_raw_write(1, msg, (size_t)n);
    if (sig == SIGSEGV)
        _exit(7);
}

static void child_handle(int sig, void (*h)(int))
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = h;
    sigemptyset(&act.sa_mask);
    sigaction(sig, &act, NULL);
}

#ifdef _WIN32
static LPTOP_LEVEL_EXCEPTION_FILTER child_prev_filter;

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
    if (r < 0) {
        /* Which error, so that a rare failure in a test's log can be explained. */
        char msg[96];
#ifdef _WIN32
        int n = snprintf(msg, sizeof msg, "child cat: read: errno %d, Win32 error %lu\n", errno,
                         _doserrno);
#else
        int n = snprintf(msg, sizeof msg, "child cat: read: errno %d\n", errno);
#endif
        (void)!child_raw_write(2, msg, (size_t)n);
        return 3;
    }
    return 0;
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

static int child_nbfill(int fd, int note, const char *how)
{
    static unsigned char buf[65536];
    long total = 0;
    char msg[32];
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
        return 3;
    for (;;) {
        for (long i = 0; i < (long)sizeof buf; i++)
            buf[i] = (unsigned char)((total + i) % 251);
        ssize_t r = write(fd, buf, sizeof buf);
        if (r < 0 && errno == EAGAIN)
            break;
        if (r <= 0)
            return 4;
        total += r;
    }
    int len = snprintf(msg, sizeof msg, "%ld\n", total);
    if (child_raw_write(note, msg, (size_t)len) != len)
        return 5;
    if (strcmp(how, "_exit") == 0)
        _exit(0);
    exit(0);
}

/* ---- signals ---- */

static int child_sig_pipe[2];

/* Async-signal-safe: one record into the pipe the main loop reads. */
static void child_on_signal(int sig, siginfo_t *si, void *ctx)
{
    int rec[3] = { sig, si->si_code, (int)si->si_pid };
    (void)ctx;
    (void)!write(child_sig_pipe[1], rec, sizeof rec);
}

static int child_sigrecv(int argc, char **argv)
{
    int out = atoi(argv[2]), end = atoi(argv[3]);
    struct sigaction act;
    if (pipe(child_sig_pipe) != 0)
        return 3;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = child_on_signal;
    act.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&act.sa_mask);
    for (int i = 3; i < argc; i++)
        if (sigaction(atoi(argv[i]), &act, NULL) != 0)
            return 4;
    child_put(out, "ready\n", 6);
    for (;;) {
        int rec[3];
        size_t got = 0;
        while (got < sizeof rec) {
            ssize_t r = read(child_sig_pipe[0], (char *)rec + got, sizeof rec - got);
            if (r <= 0 && !(r < 0 && errno == EINTR))
                return 5;
            got += r > 0 ? (size_t)r : 0;
        }
        char line[64];
        int n = snprintf(line, sizeof line, "%d %d %d\n", rec[0], rec[1], rec[2]);
        child_put(out, line, (size_t)n);
        if (rec[0] == end)
            return 0;
    }
}

static int child_sigstate(int out)
{
    char buf[1024];
    sigset_t cur;
    int n = 0;
    if (sigprocmask(SIG_BLOCK, NULL, &cur) != 0)
        return 3;
    n += snprintf(buf + n, sizeof buf - (size_t)n, "mask:");
    for (int sig = 1; sig <= 64; sig++)
        if (sigismember(&cur, sig) == 1)
            n += snprintf(buf + n, sizeof buf - (size_t)n, " %d", sig);
    n += snprintf(buf + n, sizeof buf - (size_t)n, "\nign:");
    for (int sig = 1; sig <= 64; sig++) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            n += snprintf(buf + n, sizeof buf - (size_t)n, " %d", sig);
    }
    n += snprintf(buf + n, sizeof buf - (size_t)n, "\n");
    child_put(out, buf, (size_t)n);
    return 0;
}

/* The call may block where it should not: the first line goes out before it. */
static int child_nbio(int is_write, int fd, int out)
{
    char line[64], c = 'c';
    int fl, n;
    long r;
    errno = 0;
    fl = fcntl(fd, F_GETFL);
    n = sprintf(line, "F %d %d\n", fl == -1 ? 0 : (fl & O_NONBLOCK) != 0, fl == -1 ? errno : 0);
    child_put(out, line, (size_t)n);
    errno = 0;
    if (!is_write) {
        r = (long)read(fd, &c, 1);
        n = sprintf(line, "R %ld %d\n", r, r < 0 ? errno : 0);
    } else {
        int accepted = 0;
        while ((r = (long)write(fd, &c, 1)) == 1 && accepted < 2)
            accepted++;
        n = sprintf(line, "R %ld %d %d\n", r, r < 0 ? errno : 0, accepted);
    }
    child_put(out, line, (size_t)n);
    return 0;
}

/* lines: each fd's output, written in 4000-byte pieces that end wherever they fill. */
struct child_lines_out {
    int fd;
    size_t n;
    char buf[4000];
};

static void child_lines_put(struct child_lines_out *o, const char *p, size_t n)
{
    while (n) {
        size_t k = sizeof o->buf - o->n < n ? sizeof o->buf - o->n : n;
        memcpy(o->buf + o->n, p, k);
        o->n += k;
        p += k;
        n -= k;
        if (o->n == sizeof o->buf) {
            child_put(o->fd, o->buf, o->n);
            o->n = 0;
        }
    }
}

/* The buffer of fd, one per distinct fd. */
static struct child_lines_out *child_lines_for(struct child_lines_out *out, int *nout, int fd)
{
    for (int i = 0; i < *nout; i++)
        if (out[i].fd == fd)
            return &out[i];
    out[*nout].fd = fd;
    return &out[(*nout)++];
}

static int child_lines(long n, long len, const char *fds, unsigned long ms)
{
    static struct child_lines_out out[8];
    static char line[65537];
    struct child_lines_out *to[8];
    int count = 0, nout = 0;
    if (len < 12 || len > 65536)
        return 2;
    for (const char *p = fds; *p && count < 8; p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
        to[count++] = child_lines_for(out, &nout, atoi(p));
    for (long i = 1; i <= n; i++) {
        struct child_lines_out *o = to[(i - 1) % count];
        int k = sprintf(line, "%ld ", i);
        memset(line + k, 'a' + (int)(i % 26), (size_t)(len - k));
        line[len] = '\n';
        child_lines_put(o, line, (size_t)len + 1);
        if (ms) {
            child_put(o->fd, o->buf, o->n);
            o->n = 0;
            child_sleep(ms);
        }
    }
    for (int i = 0; i < nout; i++)
        child_put(out[i].fd, out[i].buf, out[i].n);
    return 0;
}

#ifdef _WIN32
/* PROG's command line is this process's own past its first two words, exactly as the parent
 * quoted it (argv[0] is quoted only as a whole; "interrupt" never is). */
static wchar_t *child_rest_of_command_line(void)
{
    wchar_t *p = GetCommandLineW();
    if (*p == L'"')
        p = wcschr(p + 1, L'"') ? wcschr(p + 1, L'"') + 1 : p + wcslen(p);
    for (int word = 0; word < 2; word++) {
        while (*p && *p != L' ' && *p != L'\t')
            p++;
        while (*p == L' ' || *p == L'\t')
            p++;
    }
    return p;
}

/* Windows has no signals to send: Ctrl-C comes from a console. A process without one cannot
 * make one under Wine (AllocConsole fails), but CREATE_NO_WINDOW gives PROG one, which this
 * process then attaches to. Wine reports a process without a console as attached to one
 * (AttachConsole: ERROR_ACCESS_DENIED) until it calls FreeConsole. */
static int child_interrupt(void)
{
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    DWORD code = 5;
    char b;
    SetHandleInformation(GetStdHandle(STD_INPUT_HANDLE), HANDLE_FLAG_INHERIT, 0);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    SetHandleInformation(si.hStdOutput, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    SetHandleInformation(si.hStdError, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    if (!CreateProcessW(NULL, child_rest_of_command_line(), NULL, NULL, TRUE, CREATE_NO_WINDOW,
                        NULL, NULL, &si, &pi))
        return 3;
    (void)child_raw_read(0, &b, 1);
    FreeConsole();
    if (!AttachConsole(pi.dwProcessId) || !SetConsoleCtrlHandler(NULL, TRUE)
        || !GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)) {
        TerminateProcess(pi.hProcess, 4);
        return 4;
    }
    FreeConsole();
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    /* ended by a signal (winpipe's code for it, or Windows' for a Ctrl-C): 100 + the signal */
    if ((code & 0xffffff00u) == 0xE0570000u)
        return 100 + (int)(code & 0x7f);
    if (code == 0xC000013Au)
        return 100 + SIGINT;
    return (int)code;
}
#else
static int child_interrupt(char **argv)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st = 0;
    char b;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclose(&fa, 0);
    if (posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0)
        return 3;
    (void)child_raw_read(0, &b, 1);
    kill(pid, SIGINT);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}
#endif

static int child_pgrp(int set)
{
    char line[96];
    long pid = (long)getpid(), before = (long)getpgrp();
    int n;
    if (!set)
        n = sprintf(line, "%ld %ld\n", pid, before);
    else {
        int r = setpgid(0, 0);
        n = sprintf(line, "%ld %ld %d %ld\n", pid, before, r, (long)getpgrp());
    }
    child_put(1, line, (size_t)n);
    return 0;
}

static volatile sig_atomic_t child_terms;

static void child_on_term(int sig)
{
    (void)sig;
    child_terms++;
}

#ifdef _WIN32
/* A job as a CI system might put a process in: no breaking away from it. */
static int child_enter_strict_job(void)
{
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
    HANDLE job = CreateJobObjectW(NULL, NULL);
    memset(&li, 0, sizeof li);
    return job && SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof li)
           && AssignProcessToJobObject(job, GetCurrentProcess());
}
#endif

static int child_tree(const char *plain, char how)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = { (char *)plain, "tree", "600000", NULL }, buf[256];
    int p[2], st = 0, n;
    size_t got = 0;
    ssize_t r;
    pid_t pid;
#ifdef _WIN32
    if (how == 'J' && !child_enter_strict_job())
        return 7;
#endif
    if (pipe2(p, O_CLOEXEC) != 0)
        return 3;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawnattr_init(&attr);
    if (how != '0')
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    if (posix_spawn(&pid, plain, &fa, &attr, argv, environ) != 0)
        return 3;
    close(p[1]);
    while (!memchr(buf, '\n', got) && (r = read(p[0], buf + got, sizeof buf - got)) > 0)
        got += (size_t)r;
    if (got < 3 || buf[0] != 'G')
        return 4;
    signal(SIGTERM, child_on_term);
    if (kill(how == '0' ? 0 : -pid, SIGTERM) != 0)
        return 5;
    while (read(p[0], buf, sizeof buf) > 0)
        ;
    if (waitpid(pid, &st, 0) != pid)
        return 6;
    n = sprintf(buf, "%d %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0, (int)child_terms);
    child_put(1, buf, (size_t)n);
    return 0;
}

/* A handle value freed by closing fd 2 is soon reused: by the file here (opened without an fd,
 * so that fd 2 stays closed), which nothing traced to standard error may reach. */
static int child_closed_stderr(const char *path)
{
    (void)close(-1); /* a first call, traced while standard error is still open */
#ifdef _WIN32
    /* Opened until one gets the old value (Windows hands out freed values again soon); the
     * file stays open under every other value too, so that only it can be written through. */
    HANDLE old = GetStdHandle(STD_ERROR_HANDLE), h = INVALID_HANDLE_VALUE;
    DWORD done;
    close(2);
    for (int i = 0; i < 256 && h != old; i++) {
        h = CreateFileA(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                        i ? OPEN_EXISTING : CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        if (h == INVALID_HANDLE_VALUE)
            return 3;
    }
    if (h != old)
        return 6; /* the old value never came back: nothing to show */
    if (!WriteFile(h, "data", 4, &done, NULL) || done != 4)
        return 3;
#else
    close(2);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite("data", 1, 4, f) != 4 || fflush(f) != 0)
        return 3;
#endif
    errno = 0;
    if (close(-1) != -1 || errno != EBADF)
        return 4;
#ifdef _WIN32
    return CloseHandle(h) ? 0 : 5;
#else
    return fclose(f) == 0 ? 0 : 5;
#endif
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
    child_prev_filter = SetUnhandledExceptionFilter(child_unhandled);
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
    if (strcmp(cmd, "abort") == 0) {
        if (argc > 2 && strcmp(argv[2], "handled") == 0)
            child_handle(SIGABRT, child_say_handled);
        if (argc > 2 && strcmp(argv[2], "ignored") == 0)
            child_handle(SIGABRT, SIG_IGN);
        abort();
    }
    if (strcmp(cmd, "crash") == 0) {
        if (argc > 2 && strcmp(argv[2], "handled") == 0) {
            child_handle(SIGSEGV, child_say_handled);
#ifdef _WIN32
            /* the C runtime's filter, which turns the fault into its SIGSEGV */
            SetUnhandledExceptionFilter(child_prev_filter);
#endif
        }
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
    if (strcmp(cmd, "nbfill") == 0 && argc > 4)
        return child_nbfill(atoi(argv[2]), atoi(argv[3]), argv[4]);
    if (strcmp(cmd, "nbio") == 0 && argc > 4)
        return child_nbio(strcmp(argv[2], "write") == 0, atoi(argv[3]), atoi(argv[4]));
    if (strcmp(cmd, "sigrecv") == 0 && argc > 3)
        return child_sigrecv(argc, argv);
    if (strcmp(cmd, "sigstate") == 0 && argc > 2)
        return child_sigstate(atoi(argv[2]));
    if (strcmp(cmd, "alarm") == 0 && argc > 2) {
        alarm((unsigned)atoi(argv[2]));
        child_sleep(60000);
        return 5;
    }
    if (strcmp(cmd, "pgrp") == 0)
        return child_pgrp(argc > 2);
    if (strcmp(cmd, "tree") == 0 && argc > 3)
        return child_tree(argv[2], argv[3][0]);
    if (strcmp(cmd, "closed-stderr") == 0 && argc > 2)
        return child_closed_stderr(argv[2]);
    if (strcmp(cmd, "lines") == 0 && argc > 3)
        return child_lines(atol(argv[2]), atol(argv[3]), argc > 4 ? argv[4] : "1",
                           argc > 5 ? strtoul(argv[5], NULL, 0) : 0);
#ifdef _WIN32
    if (strcmp(cmd, "interrupt") == 0 && argc > 2)
        return child_interrupt();
#else
    if (strcmp(cmd, "interrupt") == 0 && argc > 2)
        return child_interrupt(argv);
#endif
    fprintf(stderr, "child: unknown command '%s'\n", cmd);
    return 2;
}
