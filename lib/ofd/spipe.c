/* spipe.c: a synchronous pipe end, as a parent without winpipe gives one, or as spawn makes the
 * parent's copy of a child's end (fd/pipe.c). Its I/O goes through the fd's own handle.
 *
 * Windows fixes an end's mode when it is opened: a synchronous end cannot be waited on without
 * blocking. So O_NONBLOCK reads ask PeekNamedPipe first and take no more than is there, and poll()
 * has a thread of its own block in a zero-byte read (which consumes nothing), cancelled when the
 * call ends. A synchronous write blocks until the reader has taken it: see compat-docs. */
#include "winpipe-internal.h"

static ssize_t wp_spipe__read(struct wp_ofd *ofd, int fd, void *buf, size_t n)
{
    HANDLE h = wp_crt_handle(fd);
    DWORD got = 0, avail = 0;
    DWORD len = wp_clamp(n, WP_IO_MAX);

    if (ofd->nonblock) {
        if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
            return wp_errno_peer_gone(GetLastError()) ? 0 : wp_last_error();
        if (avail == 0)
            return -EAGAIN;
        len = avail < len ? avail : len;
    }
    if (!buf)
        return -EFAULT;
    if (!ReadFile(h, buf, len, &got, NULL))
        return wp_errno_peer_gone(GetLastError()) ? 0 : wp_last_error();
    return got;
}

static ssize_t wp_spipe__write(struct wp_ofd *ofd, int fd, const void *buf, size_t n)
{
    DWORD got = 0;
    (void)ofd;
    if (!WriteFile(wp_crt_handle(fd), buf, wp_clamp(n, WP_IO_MAX), &got, NULL))
        return wp_errno_peer_gone(GetLastError()) ? -EPIPE : wp_last_error();
    return got;
}

/* The watcher of one poll() call: a duplicate of the end, and the thread blocked reading it. */
struct wp_spipe_watch {
    HANDLE h;
    HANDLE thread;
};

static DWORD WINAPI wp_spipe__watch(LPVOID arg)
{
    static char none;
    DWORD n;
    ReadFile(((struct wp_spipe_watch *)arg)->h, &none, 0, &n, NULL);
    return 0; /* the thread's end is the wake */
}

static void wp_spipe__watch_end(struct wp_spipe_watch *sw)
{
    if (sw->thread) {
        /* The thread may not be in its read yet when first cancelled: try until it ends. */
        while (WaitForSingleObject(sw->thread, 1) == WAIT_TIMEOUT)
            CancelSynchronousIo(sw->thread);
        CloseHandle(sw->thread);
    }
    if (sw->h)
        CloseHandle(sw->h);
    free(sw);
}

static struct wp_spipe_watch *wp_spipe__watch_start(HANDLE h)
{
    struct wp_spipe_watch *sw = calloc(1, sizeof *sw);
    if (sw && DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &sw->h, 0, FALSE,
                              DUPLICATE_SAME_ACCESS))
        sw->thread = CreateThread(NULL, 0, wp_spipe__watch, sw, 0, NULL);
    return sw;
}

static short wp_spipe__poll(struct wp_ofd *ofd, int fd, short events, struct wp_wake *w)
{
    HANDLE h = wp_crt_handle(fd);
    struct wp_spipe_watch *sw = w->state;
    DWORD avail;
    if (ofd->accmode == O_WRONLY)
        return (events & WP_POLLOUT_BITS) | (wp_nt_pipe_closing(h) ? POLLERR : 0);
    if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
        return POLLHUP;
    if (avail)
        return events & WP_POLLIN_BITS;
    /* A watcher whose read returned saw data someone else took: start another. */
    if (sw && (!sw->thread || WaitForSingleObject(sw->thread, 0) == WAIT_OBJECT_0)) {
        wp_spipe__watch_end(sw);
        sw = NULL;
    }
    if (!sw)
        sw = wp_spipe__watch_start(h);
    w->state = sw;
    w->handle = sw ? sw->thread : NULL;
    w->unarmed = !w->handle;
    return 0;
}

static void wp_spipe__poll_end(struct wp_ofd *ofd, int fd, struct wp_wake *w)
{
    (void)ofd; (void)fd;
    if (w->state)
        wp_spipe__watch_end(w->state);
    w->state = NULL;
}

const struct wp_kind wp_spipe_kind = {
    .name = "synchronous pipe end",
    .read = wp_spipe__read,
    .write = wp_spipe__write,
    .poll = wp_spipe__poll,
    .poll_end = wp_spipe__poll_end,
};
