/* select.c: POSIX select() as a front end to poll(): the fd sets become pollfds, and poll's
 * revents become set bits the way Linux does it (readable: IN, HUP or ERR; writable: OUT or
 * ERR; exceptional: PRI). */
#include "winpipe-internal.h"
#include <poll.h>
#include <sys/select.h>

#define WP_SEL_IN (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define WP_SEL_OUT (POLLOUT | POLLWRNORM | POLLERR)

static int wp_select__isset(winpipe_fd_set *s, int fd)
{
    return s && FD_ISSET(fd, s);
}

static short wp_select__events(int fd, winpipe_fd_set *r, winpipe_fd_set *w, winpipe_fd_set *e)
{
    return (wp_select__isset(r, fd) ? POLLIN : 0) | (wp_select__isset(w, fd) ? POLLOUT : 0)
           | (wp_select__isset(e, fd) ? POLLPRI : 0);
}

/* Keeps in each set only the fds that are ready in it; returns the bits counted, as POSIX. */
static int wp_select__results(struct pollfd *pfds, int n, winpipe_fd_set *r, winpipe_fd_set *w,
                              winpipe_fd_set *e)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        int fd = pfds[i].fd;
        short rev = pfds[i].revents, ev = pfds[i].events;
        if (r)
            FD_CLR(fd, r);
        if (w)
            FD_CLR(fd, w);
        if (e)
            FD_CLR(fd, e);
        if ((ev & POLLIN) && (rev & WP_SEL_IN))
            FD_SET(fd, r), count++;
        if ((ev & POLLOUT) && (rev & WP_SEL_OUT))
            FD_SET(fd, w), count++;
        if ((ev & POLLPRI) && (rev & POLLPRI))
            FD_SET(fd, e), count++;
    }
    return count;
}

static int wp_select(int nfds, winpipe_fd_set *r, winpipe_fd_set *w, winpipe_fd_set *e,
                     struct timeval *tv)
{
    if (nfds < 0 || nfds > FD_SETSIZE)
        return -EINVAL;
    if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0)) /* Linux takes tv_usec ≥ 10^6 as seconds */
        return -EINVAL;
    long long ms = -1;
    if (tv) {
        ms = (long long)tv->tv_sec * 1000 + ((long long)tv->tv_usec + 999) / 1000;
        if (ms > INT_MAX)
            ms = INT_MAX;
    }
    struct pollfd *pfds = calloc(nfds ? nfds : 1, sizeof *pfds);
    if (!pfds)
        return -ENOMEM;
    int n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = wp_select__events(fd, r, w, e);
        if (ev) {
            pfds[n].fd = fd;
            pfds[n].events = ev;
            n++;
        }
    }
    unsigned long long start = wp_win32_clock_us();
    int ready = wp_poll(pfds, n, (int)ms);
    for (int i = 0; ready > 0 && i < n; i++)
        if (pfds[i].revents & POLLNVAL)
            ready = -EBADF; /* POSIX: an fd in a set that is not open is EBADF */
    if (ready >= 0)
        ready = wp_select__results(pfds, n, r, w, e);
    free(pfds);
    if (tv && ready >= 0) { /* Linux leaves the time not slept in *timeout */
        long long left = ms - (long long)((wp_win32_clock_us() - start) / 1000);
        if (left < 0 || ready == 0)
            left = 0;
        tv->tv_sec = (long)(left / 1000);
        tv->tv_usec = (long)(left % 1000) * 1000;
    }
    return ready;
}

int winpipe_select(int nfds, winpipe_fd_set *readfds, winpipe_fd_set *writefds,
                   winpipe_fd_set *exceptfds, struct timeval *timeout)
{
    return (int)wp_trace_ret(wp_ret(wp_select(nfds, readfds, writefds, exceptfds, timeout)),
                             "select(%d, 0x%llx, 0x%llx, 0x%llx, 0x%llx)", nfds,
                             WP_TRACE_PTR(readfds), WP_TRACE_PTR(writefds),
                             WP_TRACE_PTR(exceptfds), WP_TRACE_PTR(timeout));
}
