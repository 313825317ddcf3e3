/* opipe.c: an overlapped pipe end, winpipe's own (pipe()) or one a winpipe parent gave: reads,
 * blocking writes, readiness for poll(), and the probe, a zero-byte read whose machine lives here
 * alone. Pending means "the pipe is empty", complete means "data or EOF is there". It consumes
 * nothing, so a non-blocking read never takes bytes it cannot return, and poll() waits on the same
 * probe. Non-blocking writes go through the end's write-behind (wb.c).
 *
 * Its locks' place in the lock order: proc/spawn.c. */
#include "winpipe-internal.h"
#include <assert.h>

/* IDLE: none issued. PENDING: issued, maybe completed (HasOverlappedIoCompleted tells). DONE:
 * completed, its result in err (0: data), not yet consumed by a read. */
enum wp_probe_state { WP_PROBE_IDLE, WP_PROBE_PENDING, WP_PROBE_DONE };

/* What is asked of the probe's machine. */
enum wp_probe_ask {
    WP_PROBE_LOOK,   /* is data or EOF there? (issue the probe if none is) */
    WP_PROBE_TAKEN,  /* a read took what a completed probe saw: forget it */
    WP_PROBE_CANCEL, /* take a pending probe back (joining the port, closing) */
};

struct wp_opipe {
    HANDLE h;              /* the description's own non-inheritable handle */
    SRWLOCK rd_lock;       /* serialises reads */
    SRWLOCK probe_lock;    /* held around the probe's machine; after rd_lock */
    SRWLOCK wr_lock;       /* serialises writes and the write-behind */
    HANDLE rd_ev, wr_ev;   /* events of reads and of writes, made on first use */
    struct {
        enum wp_probe_state state;
        OVERLAPPED ov;
        DWORD err;
    } probe;
    struct wp_wb *wb;      /* from the first non-blocking write; wr_lock */
    int port_state;        /* 0 not yet, 1 on poll's completion port, -1 refused */
    volatile LONG used;    /* I/O issued, on the port, or given to a child: never remade */
};

static struct wp_opipe *wp_opipe__of(struct wp_ofd *ofd)
{
    return ofd->impl;
}

/* ---- the probe ---- */

static void wp_opipe__probe_issue(struct wp_opipe *op)
{
    static char none;
    if (!wp_win32_event_lazy(&op->probe.ov.hEvent)) {
        op->probe.state = WP_PROBE_DONE;
        op->probe.err = ERROR_NOT_ENOUGH_MEMORY;
        return;
    }
    op->used = 1;
    memset(&op->probe.ov, 0, offsetof(OVERLAPPED, hEvent));
    /* Not tagged: on the completion port, the probe's completion is poll()'s wake-up. */
    if (ReadFile(op->h, &none, 0, NULL, &op->probe.ov))
        op->probe.err = 0;
    else if ((op->probe.err = GetLastError()) == ERROR_IO_PENDING) {
        op->probe.state = WP_PROBE_PENDING;
        return;
    }
    op->probe.state = WP_PROBE_DONE;
}

/* The pending probe has completed (wait: after a cancel): its result. Wine (and Windows, for a
 * handle on no completion port) cancels a thread's I/O when the thread exits; a cancelled probe
 * has taken nothing, and is as if never issued. */
static void wp_opipe__probe_reap(struct wp_opipe *op, BOOL wait)
{
    DWORD n;
    op->probe.err = GetOverlappedResult(op->h, &op->probe.ov, &n, wait) ? 0 : GetLastError();
    op->probe.state = op->probe.err == ERROR_OPERATION_ABORTED ? WP_PROBE_IDLE : WP_PROBE_DONE;
}

/* The probe's machine, and the only writer of its state; the caller holds probe_lock. Returns 1
 * when data or EOF is there (*err: 0 for data, else the Win32 error a read would get), 0 while
 * the pipe is empty or when asked for no answer. */
static int wp_opipe__probe(struct wp_opipe *op, enum wp_probe_ask ask, DWORD *err)
{
    if (op->probe.state == WP_PROBE_PENDING) {
        if (ask == WP_PROBE_CANCEL) {
            CancelIoEx(op->h, &op->probe.ov);
            wp_opipe__probe_reap(op, TRUE); /* one that completed first keeps its result */
        } else if (HasOverlappedIoCompleted(&op->probe.ov)) {
            wp_opipe__probe_reap(op, FALSE);
        } else {
            return 0; /* pending: the pipe is empty */
        }
    }
    if (op->probe.state == WP_PROBE_IDLE) {
        if (ask != WP_PROBE_LOOK)
            return 0;
        wp_opipe__probe_issue(op);
        if (op->probe.state == WP_PROBE_PENDING)
            return 0;
    }
    if (op->probe.state == WP_PROBE_DONE) {
        if (ask == WP_PROBE_TAKEN) {
            op->probe.state = WP_PROBE_IDLE;
            return 0;
        }
        *err = op->probe.err;
        return 1;
    }
    assert(!"unreachable: a probe state");
    return 0;
}

static int wp_opipe__probe_locked(struct wp_opipe *op, enum wp_probe_ask ask, DWORD *err)
{
    AcquireSRWLockExclusive(&op->probe_lock);
    int r = wp_opipe__probe(op, ask, err);
    ReleaseSRWLockExclusive(&op->probe_lock);
    return r;
}

/* ---- reads ---- */

/* One overlapped read. A non-blocking caller only gets here when the probe saw data; if another
 * reader took it meanwhile, the read pends and is cancelled: a cancelled read has taken nothing,
 * and one that completed first returns its bytes. A blocking read that a signal interrupts is
 * cancelled the same way: -EINTR if it took nothing (POSIX), else its bytes. */
static ssize_t wp_opipe__read_once(struct wp_opipe *op, void *buf, DWORD n, int nonblock)
{
    HANDLE ev = wp_win32_event_lazy(&op->rd_ev);
    OVERLAPPED ov = { .hEvent = wp_ov_event(ev) };
    DWORD got = 0, err = 0;
    int cancelled = 0;

    if (!ev)
        return -ENOMEM;
    op->used = 1;
    if (!ReadFile(op->h, buf, n, NULL, &ov)) {
        err = GetLastError();
        if (err != ERROR_IO_PENDING)
            return wp_errno_peer_gone(err) ? 0 : -wp_errno_from_win32(err);
        /* A wait that saw the event (0) saw the read complete: no second wait, which under Wine
         * is one more round trip to the server per blocking read. */
        int w = nonblock ? -EAGAIN : wp_intr_wait(&ev, 1, INFINITE);
        if (w == -EAGAIN || w == -EINTR) {
            CancelIoEx(op->h, &ov);
            cancelled = 1;
        }
        if (w != 0)
            WaitForSingleObject(ev, INFINITE);
    }
    if (!GetOverlappedResult(op->h, &ov, &got, FALSE)) {
        err = GetLastError();
        if (err == ERROR_OPERATION_ABORTED && cancelled)
            return nonblock ? -EAGAIN : -EINTR;
        return wp_errno_peer_gone(err) ? 0 : -wp_errno_from_win32(err);
    }
    return got;
}

static ssize_t wp_opipe__read(struct wp_ofd *ofd, int fd, void *buf, size_t n)
{
    struct wp_opipe *op = wp_opipe__of(ofd);
    int nonblock = ofd->nonblock;
    DWORD err;
    ssize_t r;
    (void)fd;

    if (nonblock) {
        /* A blocked reader in another thread holds the lock: to it the pipe is empty too. */
        if (!TryAcquireSRWLockExclusive(&op->rd_lock))
            return -EAGAIN;
        AcquireSRWLockExclusive(&op->probe_lock);
        int ready = wp_opipe__probe(op, WP_PROBE_LOOK, &err);
        if (ready)
            wp_opipe__probe(op, WP_PROBE_TAKEN, &err);
        ReleaseSRWLockExclusive(&op->probe_lock);
        if (!ready) {
            ReleaseSRWLockExclusive(&op->rd_lock);
            return -EAGAIN;
        }
    } else {
        AcquireSRWLockExclusive(&op->rd_lock);
    }
    r = buf ? wp_opipe__read_once(op, buf, wp_clamp(n, WP_IO_MAX), nonblock) : -EFAULT;
    /* Reads complete in order: a probe issued before this read has completed by now, and what
     * it saw is this read's. Forget it, or poll() would report data already taken. */
    if (r > 0)
        wp_opipe__probe_locked(op, WP_PROBE_TAKEN, &err);
    ReleaseSRWLockExclusive(&op->rd_lock);
    return r;
}

/* ---- writes ---- */

/* POSIX lets a signal interrupt a blocking write: EINTR before it wrote anything, else the count
 * written. Here a signal that comes while the write waits for the write-behind (nothing handed
 * over yet) ends it with -EINTR. Bytes given to a pending WriteFile are another matter: the
 * reader may already have taken some, and a cancelled write may report 0 bytes written under
 * Wine (duplicates or loss either way); so the handler runs here, in this thread, and the write
 * carries on, as if SA_RESTART were set (compat-docs/signal.md). */
static ssize_t wp_opipe__write_block(struct wp_opipe *op, const char *buf, size_t n)
{
    HANDLE ev = wp_win32_event_lazy(&op->wr_ev);
    size_t done = 0;

    if (!ev)
        return -ENOMEM;
    op->used = 1;
    if (op->wb && wp_wb_wait_intr(op->wb) == -EINTR)
        return -EINTR;
    while (done < n) {
        OVERLAPPED ov = { .hEvent = wp_ov_event(ev) };
        DWORD got = 0, err;
        if (!WriteFile(op->h, buf + done, wp_clamp(n - done, WP_IO_MAX), NULL, &ov)) {
            err = GetLastError();
            if (err != ERROR_IO_PENDING)
                goto fail;
            while (wp_intr_wait(&ev, 1, INFINITE) == -EINTR)
                wp_intr_deliver();
        }
        if (!GetOverlappedResult(op->h, &ov, &got, FALSE)) {
            err = GetLastError();
            goto fail;
        }
        done += got;
        continue;
    fail:
        if (done)
            return done;
        return wp_errno_peer_gone(err) ? -EPIPE : -wp_errno_from_win32(err);
    }
    return done;
}

static ssize_t wp_opipe__write_nonblock(struct wp_opipe *op, const void *buf, size_t n)
{
    HANDLE ev = wp_win32_event_lazy(&op->wr_ev);
    if (!ev || (!op->wb && !(op->wb = wp_wb_new(op->h, ev))))
        return -ENOMEM;
    op->used = 1;
    return wp_wb_write(op->wb, buf, n, op->port_state > 0);
}

static ssize_t wp_opipe__write(struct wp_ofd *ofd, int fd, const void *buf, size_t n)
{
    struct wp_opipe *op = wp_opipe__of(ofd);
    ssize_t r;
    (void)fd;
    if (ofd->nonblock) {
        if (!TryAcquireSRWLockExclusive(&op->wr_lock))
            return -EAGAIN;
        r = wp_opipe__write_nonblock(op, buf, n);
    } else {
        AcquireSRWLockExclusive(&op->wr_lock);
        r = wp_opipe__write_block(op, buf, n);
    }
    ReleaseSRWLockExclusive(&op->wr_lock);
    return r;
}

/* ---- readiness ---- */

/* Not ready: *wake is the probe's event, which its completion signals. */
static short wp_opipe__poll_read(struct wp_ofd *ofd, struct wp_opipe *op, short events,
                                 HANDLE *wake)
{
    DWORD err;
    *wake = op->probe.ov.hEvent;
    /* The common case of a large set, an idle pipe whose probe pends, needs no lock: a state
     * read stale only sends this call to its wait, which the probe's completion ends. */
    if (op->probe.state == WP_PROBE_PENDING && !HasOverlappedIoCompleted(&op->probe.ov))
        return 0;
    int ready = wp_opipe__probe_locked(op, WP_PROBE_LOOK, &err);
    *wake = op->probe.ov.hEvent;
    if (!ready)
        return 0;
    if (err == 0) /* data; POSIX adds POLLHUP when no writer is left */
        return (events & WP_POLLIN_BITS)
               | (!wp_ofd_peer_alive(ofd) && wp_nt_pipe_closing(op->h) ? POLLHUP : 0);
    return wp_errno_peer_gone(err) ? POLLHUP : POLLERR;
}

/* Not ready: *wake is wr_ev, which the pending write — write-behind or another thread's blocking
 * write — signals when it completes; *posts: its completion comes as a port packet too. */
static short wp_opipe__poll_write(struct wp_ofd *ofd, struct wp_opipe *op, short events,
                                  HANDLE *wake, int *posts)
{
    int busy = 1;
    /* No event to be had: say so rather than sleep with nothing to wake this call. */
    if (!(*wake = wp_win32_event_lazy(&op->wr_ev)))
        return POLLERR;
    if (!(op->wb && wp_wb_pending(op->wb)) && TryAcquireSRWLockExclusive(&op->wr_lock)) {
        busy = op->wb && wp_wb_busy(op->wb);
        ReleaseSRWLockExclusive(&op->wr_lock);
    }
    if (busy) {
        *posts = op->wb && wp_wb_posts(op->wb);
        return 0;
    }
    /* Linux: a write end whose reader is gone is POLLERR, with POLLOUT unless the pipe is full —
     * and a pipe stays full of what the reader left. Here that is the write-behind it left. */
    if (wp_ofd_peer_alive(ofd) || !wp_nt_pipe_closing(op->h))
        return events & WP_POLLOUT_BITS;
    return POLLERR | (op->wb && wp_wb_discarded(op->wb) ? 0 : (events & WP_POLLOUT_BITS));
}

/* Once per description, whichever polling thread comes first: Windows refuses a second
 * association of a handle (ERROR_INVALID_PARAMETER, even with the same port), which would leave
 * the loser thinking the handle can never join. A probe issued before the handle joined may
 * complete without a packet (Wine binds an operation to the port its handle had when it was
 * issued): it is cancelled, to be issued again, and the state is published after that, so that
 * no thread waits for a packet from the old probe. */
static SRWLOCK wp_opipe_join_lock = SRWLOCK_INIT;

static void wp_opipe__join_port(struct wp_opipe *op, HANDLE port)
{
    DWORD err;
    AcquireSRWLockExclusive(&wp_opipe_join_lock);
    if (op->port_state == 0) {
        AcquireSRWLockExclusive(&op->probe_lock);
        op->used = 1;
        int joined = CreateIoCompletionPort(op->h, port, 0, 0) != NULL;
        if (joined)
            wp_opipe__probe(op, WP_PROBE_CANCEL, &err);
        op->port_state = joined ? 1 : -1;
        ReleaseSRWLockExclusive(&op->probe_lock);
    }
    ReleaseSRWLockExclusive(&wp_opipe_join_lock);
}

static short wp_opipe__poll(struct wp_ofd *ofd, int fd, short events, struct wp_wake *w)
{
    struct wp_opipe *op = wp_opipe__of(ofd);
    HANDLE rd_wake = NULL, wr_wake = NULL;
    int wr_posts = 0;
    short r = 0;
    (void)fd;
    if (w->port && op->port_state == 0)
        wp_opipe__join_port(op, w->port);
    if (ofd->accmode != O_WRONLY)
        r |= wp_opipe__poll_read(ofd, op, events, &rd_wake);
    if (ofd->accmode != O_RDONLY)
        r |= wp_opipe__poll_write(ofd, op, events, &wr_wake, &wr_posts);
    if (r)
        return r;
    /* On the port, the probe's and a write-behind's completions post packets — except on a
     * handle already on another port (an end inherited, with its file object, from a parent
     * that polled it), and for a write-behind issued before the handle joined, or a blocking
     * write (its completion is kept off the port): those wake through their events. */
    int posts = w->port && op->port_state > 0;
    if (rd_wake)
        w->handle = posts ? NULL : rd_wake;
    else
        w->handle = posts && wr_posts ? NULL : wr_wake;
    return 0;
}

/* Completions of a handle on the port go to the port (and signal no one else). */
static int wp_opipe__on_port(struct wp_ofd *ofd)
{
    return wp_opipe__of(ofd)->port_state != 0;
}

/* ---- the description's life ---- */

static void wp_opipe__destroy(void *arg)
{
    struct wp_opipe *op = arg;
    if (op->h)
        CloseHandle(op->h);
    if (op->rd_ev)
        CloseHandle(op->rd_ev);
    if (op->wr_ev)
        CloseHandle(op->wr_ev);
    if (op->probe.ov.hEvent)
        CloseHandle(op->probe.ov.hEvent);
    free(op);
}

/* Windows completes a pending operation only after CloseHandle has cancelled it, and writes into
 * its OVERLAPPED then: the probe is taken back first. A write-behind's bytes keep the handle
 * open until they are in the pipe (wb.c). */
static void wp_opipe__release(void *impl)
{
    struct wp_opipe *op = impl;
    DWORD err;
    wp_opipe__probe_locked(op, WP_PROBE_CANCEL, &err);
    if (op->wb)
        wp_wb_close(op->wb, wp_opipe__destroy, op);
    else
        wp_opipe__destroy(op);
}

const struct wp_kind wp_opipe_kind = {
    .name = "overlapped pipe end",
    .read = wp_opipe__read,
    .write = wp_opipe__write,
    .poll = wp_opipe__poll,
    .on_port = wp_opipe__on_port,
    .release = wp_opipe__release,
};

struct wp_ofd *wp_opipe_new(HANDLE h, int accmode, int nonblock)
{
    struct wp_opipe *op = calloc(1, sizeof *op);
    struct wp_ofd *ofd = op ? wp_ofd_new(&wp_opipe_kind, op, accmode, nonblock) : NULL;
    if (!ofd) {
        free(op);
        CloseHandle(h);
        return NULL;
    }
    op->h = h;
    InitializeSRWLock(&op->rd_lock);
    InitializeSRWLock(&op->probe_lock);
    InitializeSRWLock(&op->wr_lock);
    return ofd;
}

int wp_opipe_is(struct wp_ofd *ofd)
{
    return ofd->kind == &wp_opipe_kind;
}

/* Nothing ever issued on it, never on poll()'s port, never given to a child: the pipe is empty
 * and only this process knows it, so it may be remade (fd/pipe.c). */
int wp_opipe_pristine(struct wp_ofd *ofd)
{
    return wp_opipe_is(ofd) && !wp_opipe__of(ofd)->used;
}

void wp_opipe_mark_shared(struct wp_ofd *ofd)
{
    if (wp_opipe_is(ofd))
        wp_opipe__of(ofd)->used = 1;
}

/* The pipe's buffer size, as it was made. */
DWORD wp_opipe_capacity(struct wp_ofd *ofd)
{
    struct wp_nt_pipe_local info;
    if (wp_nt_pipe_local(wp_opipe__of(ofd)->h, &info) < 0 || info.in_quota == 0)
        return WP_PIPE_SIZE;
    return info.in_quota;
}

/* A pristine end takes h, the same end of a new pipe, in place of its own. */
void wp_opipe_rehandle(struct wp_ofd *ofd, HANDLE h)
{
    struct wp_opipe *op = wp_opipe__of(ofd);
    AcquireSRWLockExclusive(&op->rd_lock);
    AcquireSRWLockExclusive(&op->probe_lock);
    AcquireSRWLockExclusive(&op->wr_lock);
    CloseHandle(op->h);
    op->h = h;
    ReleaseSRWLockExclusive(&op->wr_lock);
    ReleaseSRWLockExclusive(&op->probe_lock);
    ReleaseSRWLockExclusive(&op->rd_lock);
}
