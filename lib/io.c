/* io.c: read() and write() with POSIX semantics on every kind of fd.
 *
 * Overlapped pipe ends (winpipe's own) carry two operations that outlive a call:
 *  - the probe, a zero-byte read: pending means "the pipe is empty", complete means "data or EOF
 *    is there". It consumes nothing, so a non-blocking read never takes bytes it cannot return,
 *    and poll() waits on the same probe.
 *  - the write-behind: POSIX says a non-blocking write writes what fits, and Windows cannot tell
 *    how much fits (WriteQuotaAvailable is unreliable) nor take back a pending write (cancelling
 *    it may leave bytes already visible to the reader). So a non-blocking write is issued from a
 *    private copy; if it pends, it is reported as written and owns the copy until the reader has
 *    taken it, and later non-blocking writes get EAGAIN until then. A pending write is never
 *    cancelled: close() and exit wait for it (ofd.c). */
#include "winpipe-internal.h"

#define WP_IO_MAX 0x40000000u /* most bytes given to one ReadFile/WriteFile */

static DWORD wp_io__clamp(size_t n, DWORD max)
{
    return n > max ? max : (DWORD)n;
}

/* Reads and writes on a pipe whose other end is gone fail in these ways. */
static int wp_io__is_broken(DWORD err)
{
    return err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA || err == ERROR_PIPE_NOT_CONNECTED;
}

/* ---- overlapped pipe ends ---- */

/* The probe's state machine, shared by non-blocking read() and poll(). Returns 1 when data or
 * EOF is there (*err: 0 for data, else the Win32 error a read would get), 0 while the pipe is
 * empty. The result stays DONE until a read consumes it. Caller holds probe_lock. */
int wp_probe(struct wp_ofd *ofd, DWORD *err)
{
    static char none;
    struct wp_op *p = &ofd->probe;

    if (p->state == WP_OP_PENDING) {
        if (!HasOverlappedIoCompleted(&p->ov))
            return 0; /* pending: the pipe is empty */
        p->err = RtlNtStatusToDosError((NTSTATUS)p->ov.Internal);
        /* Wine (and Windows, for a handle on no completion port) cancels a thread's I/O when
         * the thread exits. A zero-byte read takes nothing: issue it again. */
        p->state = p->err == ERROR_OPERATION_ABORTED ? WP_OP_IDLE : WP_OP_DONE;
    }
    if (p->state == WP_OP_IDLE) {
        if (!wp_ofd_event(&p->ov.hEvent))
            return (*err = ERROR_NOT_ENOUGH_MEMORY), 1;
        memset(&p->ov, 0, offsetof(OVERLAPPED, hEvent));
        /* Not tagged: on the completion port, the probe's completion is poll()'s wake-up. */
        if (ReadFile(ofd->h, &none, 0, NULL, &p->ov))
            p->err = 0;
        else if ((p->err = GetLastError()) == ERROR_IO_PENDING) {
            p->state = WP_OP_PENDING;
            return 0;
        }
        p->state = WP_OP_DONE;
    }
    *err = p->err;
    return 1;
}

/* Non-blocking read: -EAGAIN while the probe pends; else the probe's result is consumed. */
static int wp_io__probe(struct wp_ofd *ofd)
{
    DWORD err;
    int r = -EAGAIN;
    AcquireSRWLockExclusive(&ofd->probe_lock);
    if (wp_probe(ofd, &err)) {
        ofd->probe.state = WP_OP_IDLE;
        r = 0;
    }
    ReleaseSRWLockExclusive(&ofd->probe_lock);
    return r;
}

/* One overlapped read. A non-blocking caller only gets here when the probe saw data; if another
 * reader took it meanwhile, the read pends and is cancelled: a cancelled read has taken nothing,
 * and one that completed first returns its bytes. */
static ssize_t wp_io__read_async_once(struct wp_ofd *ofd, void *buf, DWORD n, int nonblock)
{
    HANDLE ev = wp_ofd_event(&ofd->rd_ev);
    OVERLAPPED ov = { .hEvent = wp_ov_event(ev) };
    DWORD got = 0, err = 0;

    if (!ev)
        return -ENOMEM;
    if (!ReadFile(ofd->h, buf, n, NULL, &ov)) {
        err = GetLastError();
        if (err != ERROR_IO_PENDING)
            return wp_io__is_broken(err) ? 0 : -wp_errno_from_win32(err);
        if (nonblock)
            CancelIoEx(ofd->h, &ov);
        WaitForSingleObject(ev, INFINITE);
    }
    if (!GetOverlappedResult(ofd->h, &ov, &got, FALSE)) {
        err = GetLastError();
        if (err == ERROR_OPERATION_ABORTED && nonblock)
            return -EAGAIN;
        return wp_io__is_broken(err) ? 0 : -wp_errno_from_win32(err);
    }
    return got;
}

static ssize_t wp_io__read_async(struct wp_ofd *ofd, void *buf, size_t n)
{
    int nonblock = ofd->nonblock;
    ssize_t r;

    if (nonblock) {
        /* A blocked reader in another thread holds the lock: to it the pipe is empty too. */
        if (!TryAcquireSRWLockExclusive(&ofd->rd_lock))
            return -EAGAIN;
        r = wp_io__probe(ofd);
        if (r < 0) {
            ReleaseSRWLockExclusive(&ofd->rd_lock);
            return r;
        }
    } else {
        AcquireSRWLockExclusive(&ofd->rd_lock);
    }
    r = buf ? wp_io__read_async_once(ofd, buf, wp_io__clamp(n, WP_IO_MAX), nonblock) : -EFAULT;
    /* Reads complete in order: a probe issued before this read has completed by now, and what
     * it saw is this read's. Forget it, or poll() would report data already taken. */
    if (r > 0) {
        AcquireSRWLockExclusive(&ofd->probe_lock);
        if (ofd->probe.state != WP_OP_IDLE && HasOverlappedIoCompleted(&ofd->probe.ov))
            ofd->probe.state = WP_OP_IDLE;
        ReleaseSRWLockExclusive(&ofd->probe_lock);
    }
    ReleaseSRWLockExclusive(&ofd->rd_lock);
    return r;
}

/* The write-behind has completed: its bytes are in the pipe, or the reader is gone, which
 * discards them as Linux discards what is left in a pipe nobody reads. */
void wp_wb_reap(struct wp_ofd *ofd)
{
    DWORD n;
    if (!GetOverlappedResult(ofd->h, &ofd->wb.ov, &n, FALSE) && wp_io__is_broken(GetLastError()))
        ofd->wb_discarded = 1;
    ofd->wb.state = WP_OP_IDLE;
    wp_wb_untrack(ofd);
}

static ssize_t wp_io__write_nonblock(struct wp_ofd *ofd, const void *buf, size_t n)
{
    struct wp_op *wb = &ofd->wb;
    HANDLE ev = wp_ofd_event(&ofd->wr_ev);
    DWORD len = wp_io__clamp(n, WP_WRITE_BEHIND_MAX);

    if (wb->state == WP_OP_PENDING) {
        if (!HasOverlappedIoCompleted(&wb->ov))
            return -EAGAIN;
        wp_wb_reap(ofd);
    }
    if (!ev || (!wb->buf && !(wb->buf = malloc(WP_WRITE_BEHIND_MAX))))
        return -ENOMEM;
    memcpy(wb->buf, buf, len);
    memset(&wb->ov, 0, sizeof wb->ov);
    wb->ov.hEvent = ev; /* not tagged: on the completion port, this wakes poll() for POLLOUT */
    if (WriteFile(ofd->h, wb->buf, len, NULL, &wb->ov))
        return (ssize_t)wb->ov.InternalHigh;
    DWORD err = GetLastError();
    if (err != ERROR_IO_PENDING)
        return wp_io__is_broken(err) ? -EPIPE : -wp_errno_from_win32(err);
    wb->state = WP_OP_PENDING;
    wb->on_port = ofd->port_state > 0;
    wb->tid = GetCurrentThreadId();
    wp_wb_track(ofd);
    return len;
}

static ssize_t wp_io__write_block(struct wp_ofd *ofd, const char *buf, size_t n)
{
    HANDLE ev = wp_ofd_event(&ofd->wr_ev);
    size_t done = 0;

    if (!ev)
        return -ENOMEM;
    if (ofd->wb.state == WP_OP_PENDING) {
        WaitForSingleObject(ev, INFINITE);
        wp_wb_reap(ofd);
    }
    while (done < n) {
        OVERLAPPED ov = { .hEvent = wp_ov_event(ev) };
        DWORD got = 0, err;
        if (!WriteFile(ofd->h, buf + done, wp_io__clamp(n - done, WP_IO_MAX), NULL, &ov)) {
            err = GetLastError();
            if (err != ERROR_IO_PENDING)
                goto fail;
            WaitForSingleObject(ev, INFINITE);
        }
        if (!GetOverlappedResult(ofd->h, &ov, &got, FALSE)) {
            err = GetLastError();
            goto fail;
        }
        done += got;
        continue;
    fail:
        if (done)
            return done;
        return wp_io__is_broken(err) ? -EPIPE : -wp_errno_from_win32(err);
    }
    return done;
}

static ssize_t wp_io__write_async(struct wp_ofd *ofd, const void *buf, size_t n)
{
    ssize_t r;
    if (ofd->nonblock) {
        if (!TryAcquireSRWLockExclusive(&ofd->wr_lock))
            return -EAGAIN;
        r = wp_io__write_nonblock(ofd, buf, n);
    } else {
        AcquireSRWLockExclusive(&ofd->wr_lock);
        r = wp_io__write_block(ofd, buf, n);
    }
    ReleaseSRWLockExclusive(&ofd->wr_lock);
    return r;
}

/* ---- synchronous pipe ends (inherited from a parent without winpipe) ---- */

/* Windows fixes an end's mode when it is opened: a synchronous end cannot be waited on without
 * blocking, so O_NONBLOCK reads ask PeekNamedPipe first and take no more than is there. */
static ssize_t wp_io__read_sync(HANDLE h, void *buf, size_t n, int nonblock)
{
    DWORD got = 0, avail = 0;
    DWORD len = wp_io__clamp(n, WP_IO_MAX);

    if (nonblock) {
        if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
            return wp_io__is_broken(GetLastError()) ? 0 : wp_last_error();
        if (avail == 0)
            return -EAGAIN;
        len = avail < len ? avail : len;
    }
    if (!buf)
        return -EFAULT;
    if (!ReadFile(h, buf, len, &got, NULL))
        return wp_io__is_broken(GetLastError()) ? 0 : wp_last_error();
    return got;
}

static ssize_t wp_io__write_sync(HANDLE h, const void *buf, size_t n)
{
    DWORD got = 0;
    if (!WriteFile(h, buf, wp_io__clamp(n, WP_IO_MAX), &got, NULL))
        return wp_io__is_broken(GetLastError()) ? -EPIPE : wp_last_error();
    return got;
}

/* ---- sockets ---- */

static int wp_io__wsa_error(void)
{
    int e = WSAGetLastError();
    switch (e) {
    case WSAEWOULDBLOCK: return -EAGAIN;
    case WSAECONNRESET: return -ECONNRESET;
    case WSAECONNABORTED: return -ECONNABORTED;
    case WSAENOTCONN: return -ENOTCONN;
    case WSAESHUTDOWN: return -EPIPE;
    case WSAEINTR: return -EINTR;
    case WSAEFAULT: return -EFAULT;
    case WSAENOTSOCK: return -EBADF;
    default: return -wp_errno_from_win32(e);
    }
}

static ssize_t wp_io__read_socket(HANDLE h, void *buf, size_t n)
{
    int r = recv((SOCKET)h, buf, (int)wp_io__clamp(n, INT_MAX), 0);
    return r == SOCKET_ERROR ? wp_io__wsa_error() : r;
}

static ssize_t wp_io__write_socket(HANDLE h, const void *buf, size_t n)
{
    int r = send((SOCKET)h, buf, (int)wp_io__clamp(n, INT_MAX), 0);
    return r == SOCKET_ERROR ? wp_io__wsa_error() : r;
}

/* ---- consoles, files, devices: the CRT keeps their position and text mode ---- */

static ssize_t wp_io__read_crt(int fd, void *buf, size_t n)
{
    int r = _read(fd, buf, wp_io__clamp(n, INT_MAX));
    return r < 0 ? -errno : r;
}

static ssize_t wp_io__write_crt(int fd, const void *buf, size_t n)
{
    int r = _write(fd, buf, wp_io__clamp(n, INT_MAX));
    return r < 0 ? -errno : r;
}

/* ---- entry points ---- */

ssize_t wp_read(int fd, void *buf, size_t n)
{
    struct wp_ofd *ofd;
    ssize_t r = wp_fd_get(fd, &ofd);
    if (r < 0)
        return r;
    if (ofd->accmode == O_WRONLY)
        r = -EBADF;
    else if (n == 0)
        r = 0;
    else if (ofd->kind == WP_PIPE_ASYNC)
        r = wp_io__read_async(ofd, buf, n);
    else if (ofd->kind == WP_PIPE_SYNC)
        r = wp_io__read_sync(wp_crt_handle(fd), buf, n, ofd->nonblock);
    else if (!buf)
        r = -EFAULT;
    else if (ofd->kind == WP_SOCKET)
        r = wp_io__read_socket(wp_crt_handle(fd), buf, n);
    else
        r = wp_io__read_crt(fd, buf, n);
    wp_ofd_unref(ofd);
    return r;
}

ssize_t wp_write(int fd, const void *buf, size_t n)
{
    struct wp_ofd *ofd;
    ssize_t r = wp_fd_get(fd, &ofd);
    if (r < 0)
        return r;
    if (ofd->accmode == O_RDONLY)
        r = -EBADF;
    else if (n == 0)
        r = 0;
    else if (!buf)
        r = -EFAULT;
    else if (ofd->kind == WP_PIPE_ASYNC)
        r = wp_io__write_async(ofd, buf, n);
    else if (ofd->kind == WP_PIPE_SYNC)
        r = wp_io__write_sync(wp_crt_handle(fd), buf, n);
    else if (ofd->kind == WP_SOCKET)
        r = wp_io__write_socket(wp_crt_handle(fd), buf, n);
    else
        r = wp_io__write_crt(fd, buf, n);
    wp_ofd_unref(ofd);
    return r;
}

ssize_t winpipe_read(int fd, void *buf, size_t count)
{
    return (ssize_t)wp_trace_ret(wp_ret(wp_read(fd, buf, count)), "read(%d, 0x%llx, %zu)", fd,
                                 WP_TRACE_PTR(buf), count);
}

ssize_t winpipe_write(int fd, const void *buf, size_t count)
{
    ssize_t r = wp_write(fd, buf, count);
    if (r == -EPIPE) {
        if (wp_tracing()) {
            errno = EPIPE;
            wp_trace_ret(-1, "write(%d, 0x%llx, %zu): SIGPIPE", fd, WP_TRACE_PTR(buf), count);
        }
        wp_sigpipe(); /* POSIX: SIGPIPE first; the write fails with EPIPE if the process lives */
    }
    return (ssize_t)wp_trace_ret(wp_ret(r), "write(%d, 0x%llx, %zu)", fd, WP_TRACE_PTR(buf),
                                 count);
}
