/* socket.c: a socket that is an fd (_open_osfhandle of a SOCKET): reads and writes through
 * recv/send, and readiness through WSAPoll, with WSAEventSelect's event as poll()'s wake-up. */
#include "winpipe-internal.h"

static ssize_t wp_socket__read(struct wp_ofd *ofd, int fd, void *buf, size_t n)
{
    (void)ofd;
    if (!buf)
        return -EFAULT;
    int r = recv((SOCKET)wp_crt_handle(fd), buf, (int)wp_clamp(n, INT_MAX), 0);
    return r == SOCKET_ERROR ? -wp_errno_from_wsa(WSAGetLastError()) : r;
}

static ssize_t wp_socket__write(struct wp_ofd *ofd, int fd, const void *buf, size_t n)
{
    (void)ofd;
    int r = send((SOCKET)wp_crt_handle(fd), buf, (int)wp_clamp(n, INT_MAX), 0);
    return r == SOCKET_ERROR ? -wp_errno_from_wsa(WSAGetLastError()) : r;
}

/* revents now, from WSAPoll; -1 when Winsock fails. */
static short wp_socket__now(SOCKET s, short events)
{
    WSAPOLLFD p = { s, (short)(events & (POLLRDNORM | POLLWRNORM)), 0 };
    if (events & POLLIN)
        p.events |= POLLRDNORM;
    if (events & POLLOUT)
        p.events |= POLLWRNORM;
    if (WSAPoll(&p, 1, 0) < 0)
        return POLLERR;
    short r = 0;
    /* Winsock reports a peer's shutdown as POLLHUP without POLLRDNORM; Linux reports a TCP
     * half-close as readable (EOF), and POLLHUP only once both directions are shut. */
    if (p.revents & (POLLRDNORM | POLLHUP))
        r |= events & WP_POLLIN_BITS;
    if (p.revents & POLLWRNORM)
        r |= events & WP_POLLOUT_BITS;
    return r | (p.revents & (POLLERR | POLLNVAL));
}

/* One poll() call's WSAEventSelect: its event, and the socket it selects on (the fd may name
 * another file by the time the call ends). */
struct wp_socket_watch {
    WSAEVENT ev;
    SOCKET s;
};

static short wp_socket__poll(struct wp_ofd *ofd, int fd, short events, struct wp_wake *w)
{
    SOCKET s = (SOCKET)wp_crt_handle(fd);
    struct wp_socket_watch *sw = w->state;
    short r = wp_socket__now(s, events);
    (void)ofd;
    if (r)
        return r;
    /* Only the events asked for: FD_WRITE fires at once on a writable socket and would use up
     * the one-shot wait. The wait is armed anew on every check that finds nothing. */
    long net = ((events & POLLIN) ? FD_READ | FD_ACCEPT | FD_CLOSE : 0)
               | ((events & POLLOUT) ? FD_WRITE | FD_CONNECT | FD_CLOSE : 0)
               | ((events & POLLPRI) ? FD_OOB : 0);
    if (!sw) {
        if (!(sw = calloc(1, sizeof *sw)))
            return POLLERR;
        if ((sw->ev = WSACreateEvent()) == WSA_INVALID_EVENT) {
            free(sw);
            return POLLERR;
        }
        w->state = sw;
    }
    sw->s = s;
    /* Level-triggered: reset, then select; Winsock signals at once what is already true. */
    WSAResetEvent(sw->ev);
    WSAEventSelect(s, sw->ev, net);
    w->handle = sw->ev;
    return 0;
}

static void wp_socket__poll_end(struct wp_ofd *ofd, int fd, struct wp_wake *w)
{
    struct wp_socket_watch *sw = w->state;
    u_long nonblock = ofd->nonblock;
    (void)fd;
    if (!sw)
        return;
    /* WSAEventSelect left the socket non-blocking; give it back its own mode. */
    WSAEventSelect(sw->s, NULL, 0);
    ioctlsocket(sw->s, FIONBIO, &nonblock);
    WSACloseEvent(sw->ev);
    free(sw);
    w->state = NULL;
}

const struct wp_kind wp_socket_kind = {
    .name = "socket",
    .read = wp_socket__read,
    .write = wp_socket__write,
    .poll = wp_socket__poll,
    .poll_end = wp_socket__poll_end,
};
