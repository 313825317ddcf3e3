/* io.c: read() and write() with POSIX semantics on every kind of fd: the fd's description does
 * the work through its kind (ofd/); what is the same for every kind is here: the access mode, a
 * buffer that cannot be, a count of 0, SIGPIPE, and EINTR or restart after a signal. */
#include "winpipe-internal.h"

/* Linux checks the whole range before anything else and gives EFAULT for one that leaves the
 * process's address space (a count above SSIZE_MAX always does). Windows would copy what the
 * pipe takes from the start of it — 64 KiB past the end of a smaller buffer. */
static int wp_io__range_ok(const void *buf, size_t n)
{
    static uintptr_t top;
    if (!top) {
        SYSTEM_INFO si;
        GetSystemInfo(&si);
        top = (uintptr_t)si.lpMaximumApplicationAddress;
    }
    uintptr_t b = (uintptr_t)buf;
    return n <= SSIZE_MAX && b + n >= b && (n == 0 || b + (n - 1) <= top);
}

ssize_t wp_io_read(int fd, void *buf, size_t n)
{
    struct wp_ofd *ofd;
    ssize_t r = wp_fdtab_get(fd, &ofd);
    if (r < 0)
        return r;
    if (!ofd->kind->read)
        r = -EINVAL; /* a kind that reads nothing (a process fd): Linux's EINVAL, before all */
    else if (ofd->accmode == O_WRONLY)
        r = -EBADF;
    else if (!wp_io__range_ok(buf, n))
        r = -EFAULT;
    else if (n == 0)
        r = 0;
    else
        r = ofd->kind->read(ofd, fd, buf, n);
    wp_ofd_unref(ofd);
    return r;
}

ssize_t wp_io_write(int fd, const void *buf, size_t n)
{
    struct wp_ofd *ofd;
    ssize_t r = wp_fdtab_get(fd, &ofd);
    if (r < 0)
        return r;
    if (!ofd->kind->write)
        r = -EINVAL;
    else if (ofd->accmode == O_RDONLY)
        r = -EBADF;
    else if (!wp_io__range_ok(buf, n))
        r = -EFAULT;
    else if (n == 0)
        r = 0;
    else if (!buf)
        r = -EFAULT;
    else
        r = ofd->kind->write(ofd, fd, buf, n);
    wp_ofd_unref(ofd);
    return r;
}

/* What a signal does to a read or write: the kind gave -EINTR when one interrupted it before
 * anything moved; the handlers of what is pending for this thread run now (as Linux runs them
 * on the way back from the call), and the call fails with EINTR, or starts again if every
 * handler that ran was installed with SA_RESTART (or none ran: another thread took it). */
static int wp_io__again(ssize_t r)
{
    int d = wp_signal_deliver();
    return r == -EINTR && !(d & WP_INTR_NORESTART);
}

ssize_t winpipe_read(int fd, void *buf, size_t count)
{
    ssize_t r;
    do
        r = wp_io_read(fd, buf, count);
    while (wp_io__again(r));
    return (ssize_t)wp_trace_ret(wp_ret(r), "read(%d, 0x%llx, %zu)", fd, WP_TRACE_PTR(buf),
                                 count);
}

ssize_t winpipe_write(int fd, const void *buf, size_t count)
{
    ssize_t r;
    do
        r = wp_io_write(fd, buf, count);
    while (wp_io__again(r));
    if (r == -EPIPE) {
        if (wp_tracing()) {
            errno = EPIPE;
            wp_trace_ret(-1, "write(%d, 0x%llx, %zu): SIGPIPE", fd, WP_TRACE_PTR(buf), count);
        }
        /* POSIX: SIGPIPE first; the write fails with EPIPE if the process lives */
        wp_signal_pipe();
    }
    return (ssize_t)wp_trace_ret(wp_ret(r), "write(%d, 0x%llx, %zu)", fd, WP_TRACE_PTR(buf),
                                 count);
}
