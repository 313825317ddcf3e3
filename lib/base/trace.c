/* trace.c: WINPIPE_TRACE, one line per call of a public function: its arguments, its result and
 * errno. For a porter debugging a program that behaves differently on Windows.
 *
 *   WINPIPE_TRACE unset, empty or 0   off (the cost is one test of a variable per call)
 *   WINPIPE_TRACE=1                    lines go to the process's standard error handle
 *   WINPIPE_TRACE=PATH                 lines are appended to the file PATH (a process tree can
 *                                      share one file: each line is one appending write)
 * Read once per process, on the first traced call; standard error is looked up for each line.
 * A program that reads its own standard error from a pipe reads its trace too. A line looks like
 *   winpipe[1234.56] read(3, 0x22fe40, 4096) = -1 EAGAIN
 * with the process and thread id. Lines are written with WriteFile on the handle itself, never
 * through stdio or winpipe's own write: tracing a call must not change what the program sees.
 * errno and the thread's last Win32 error are left as the traced call set them. */
#define __USE_MINGW_ANSI_STDIO 1 /* C99 formats (%zu, %lld) whichever CRT this is built for */
#include "winpipe-internal.h"
#include <stdarg.h>
#include <stdio.h>

#define WP_TRACE_LINE 1024

volatile LONG wp_trace_state = -1; /* -1 not read yet, 0 off, 1 on */
static HANDLE wp_trace_file; /* WINPIPE_TRACE=PATH; NULL: standard error */
static SRWLOCK wp_trace_lock = SRWLOCK_INIT; /* one line at a time: threads' lines never mix */
static INIT_ONCE wp_trace_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wp_trace__open(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    wchar_t v[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"WINPIPE_TRACE", v, MAX_PATH);
    (void)once; (void)param; (void)ctx;
    if (n == 0 || n >= MAX_PATH || (v[0] == L'0' && v[1] == 0)) {
        wp_trace_state = 0;
        return TRUE;
    }
    if (v[0] == L'1' && v[1] == 0) {
        wp_trace_state = 1;
        return TRUE;
    }
    wp_trace_file = CreateFileW(v, FILE_APPEND_DATA,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                                OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    wp_trace_state = wp_trace_file != INVALID_HANDLE_VALUE;
    return TRUE;
}

/* The first call reads the variable (and may open the file): the traced call's own last error
 * must survive that. */
int wp_trace__enabled(void)
{
    DWORD saved_error = GetLastError();
    InitOnceExecuteOnce(&wp_trace_once, wp_trace__open, NULL, NULL);
    SetLastError(saved_error);
    return wp_trace_state > 0;
}

static const struct { int err; const char *name; } wp_trace_names[] = {
    { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
    { EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { ENOEXEC, "ENOEXEC" },
    { EBADF, "EBADF" }, { ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
    { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
    { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
    { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" }, { ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" },
    { EROFS, "EROFS" }, { EPIPE, "EPIPE" }, { ERANGE, "ERANGE" }, { ENAMETOOLONG, "ENAMETOOLONG" },
    { ENOSYS, "ENOSYS" }, { ENOTSOCK, "ENOTSOCK" }, { EOPNOTSUPP, "EOPNOTSUPP" },
};

const char *wp_trace_errname(int err)
{
    for (size_t i = 0; i < sizeof wp_trace_names / sizeof wp_trace_names[0]; i++)
        if (wp_trace_names[i].err == err)
            return wp_trace_names[i].name;
    return NULL;
}

/* Appends to buf (of WP_TRACE_LINE bytes, holding *len) what fmt says; truncates. */
static void wp_trace__add(char *buf, size_t *len, const char *fmt, va_list ap)
{
    if (*len >= WP_TRACE_LINE - 1)
        return;
    int n = vsnprintf(buf + *len, WP_TRACE_LINE - *len, fmt, ap);
    if (n > 0)
        *len += (size_t)n < WP_TRACE_LINE - *len ? (size_t)n : WP_TRACE_LINE - 1 - *len;
}

static void wp_trace__addf(char *buf, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wp_trace__add(buf, len, fmt, ap);
    va_end(ap);
}

/* Writes one line: "winpipe[PID.TID] " call " = " result. OVERLAPPED with an event of its own,
 * so that an overlapped standard error handle (a winpipe pipe end a parent gave) works too. */
static void wp_trace__emit(const char *call, const char *result)
{
    char line[WP_TRACE_LINE];
    size_t len = 0;
    wp_trace__addf(line, &len, "winpipe[%lu.%lu] %s = %s", GetCurrentProcessId(),
                   GetCurrentThreadId(), call, result);
    if (len > WP_TRACE_LINE - 2)
        len = WP_TRACE_LINE - 2;
    line[len++] = '\n';
    AcquireSRWLockExclusive(&wp_trace_lock);
    /* Standard error as it is now: the program may have closed or redirected fd 2 since (the
     * C runtime keeps the standard handle in step), and an old handle value may name
     * something else by now. */
    HANDLE out = wp_trace_file ? wp_trace_file : GetStdHandle(STD_ERROR_HANDLE);
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    OVERLAPPED ov = { .Offset = 0xFFFFFFFF, .OffsetHigh = 0xFFFFFFFF, .hEvent = wp_ov_event(ev) };
    DWORD done;
    /* Done at once on a synchronous handle (and on a console, which ignores the OVERLAPPED);
     * an overlapped one may pend. */
    if (ev && out && out != INVALID_HANDLE_VALUE) {
        if (!WriteFile(out, line, (DWORD)len, &done, &ov) && GetLastError() == ERROR_IO_PENDING)
            GetOverlappedResult(out, &ov, &done, TRUE);
    }
    if (ev)
        CloseHandle(ev);
    ReleaseSRWLockExclusive(&wp_trace_lock);
}

/* The traced call's own words, formatted. */
static void wp_trace__call(char *call, const char *fmt, va_list ap)
{
    size_t len = 0;
    wp_trace__add(call, &len, fmt, ap);
}

long long wp_trace_ret(long long r, const char *fmt, ...)
{
    if (!wp_tracing())
        return r;
    int saved_errno = errno;
    DWORD saved_error = GetLastError(); /* wp_tracing() keeps it too */
    char call[WP_TRACE_LINE], result[64];
    va_list ap;
    va_start(ap, fmt);
    wp_trace__call(call, fmt, ap);
    va_end(ap);
    if (r == -1) {
        const char *name = wp_trace_errname(saved_errno);
        if (name)
            snprintf(result, sizeof result, "-1 %s", name);
        else
            snprintf(result, sizeof result, "-1 errno %d", saved_errno);
    } else {
        snprintf(result, sizeof result, "%lld", r);
    }
    wp_trace__emit(call, result);
    errno = saved_errno;
    SetLastError(saved_error);
    return r;
}

int wp_trace_err(int err, const char *fmt, ...)
{
    if (!wp_tracing())
        return err;
    int saved_errno = errno;
    DWORD saved_error = GetLastError(); /* wp_tracing() keeps it too */
    char call[WP_TRACE_LINE], result[64];
    const char *name = wp_trace_errname(err);
    va_list ap;
    va_start(ap, fmt);
    wp_trace__call(call, fmt, ap);
    va_end(ap);
    if (err == 0)
        snprintf(result, sizeof result, "0");
    else if (name)
        snprintf(result, sizeof result, "%s", name);
    else
        snprintf(result, sizeof result, "error %d", err);
    wp_trace__emit(call, result);
    errno = saved_errno;
    SetLastError(saved_error);
    return err;
}

/* poll()'s fds and events (or revents) as "[3:IN|HUP, 4:OUT]": at most 16 entries. */
const char *wp_trace_pollfds(char *buf, size_t size, const struct pollfd *fds, nfds_t n, int rev)
{
    static const struct { short bit; const char *name; } bits[] = {
        { POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLERR, "ERR" },
        { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
    };
    size_t len = 0;
    if (!fds)
        return "NULL";
    len += (size_t)snprintf(buf, size, "[");
    for (nfds_t i = 0; i < n && i < 16 && len < size; i++) {
        short ev = rev ? fds[i].revents : fds[i].events;
        len += (size_t)snprintf(buf + len, size - len, "%s%d:", i ? ", " : "", fds[i].fd);
        int any = 0;
        for (size_t b = 0; b < sizeof bits / sizeof bits[0] && len < size; b++)
            if (ev & bits[b].bit)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", any++ ? "|" : "",
                                        bits[b].name);
        if (!any && len < size)
            len += (size_t)snprintf(buf + len, size - len, "0");
    }
    if (len < size)
        snprintf(buf + len, size - len, n > 16 ? ", ...]" : "]");
    buf[size - 1] = 0;
    return buf;
}
