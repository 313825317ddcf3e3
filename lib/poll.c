/* poll.c: POSIX poll() that sleeps until something happens, on every kind of fd, with no limit on
 * how many.
 *
 * Windows cannot wait on a pipe handle (it is always signalled), so readiness comes from
 * operations: an overlapped pipe end's probe (a pending zero-byte read, io.c) and its write-behind
 * signal an event when they complete. Probes persist between calls and are re-armed only after a
 * read consumed them, so a check costs system calls only for fds that are ready. Each fd that is
 * not ready names one handle that will be signalled when it may be ("wake"): the probe's event,
 * the write-behind's, a socket's WSAEventSelect event, the console input handle, or the thread
 * blocked in a zero-byte read of a synchronous pipe.
 *
 * Two ways to sleep on them:
 *  - up to 64 wakes, none of them already on the port: WaitForMultipleObjects on the wakes, the
 *    cheapest wait there is (one request to Wine's server against three for a port);
 *  - otherwise one process-wide I/O completion port: overlapped ends join it and their
 *    completions post packets; other wakes are bridged to it by thread-pool waits. Then there is
 *    no limit on fds, and a call's cost grows with the ready fds, not the watched ones. The port
 *    is not one call's alone: one polling thread (the leader) waits on it, the others sleep on a
 *    condition variable, and every packet advances an epoch and wakes them all to check again. */
#include "winpipe-internal.h"
#include <poll.h>

#define WP_POLLIN_BITS (POLLIN | POLLRDNORM)
#define WP_POLLOUT_BITS (POLLOUT | POLLWRNORM)

static HANDLE wp_port;
static INIT_ONCE wp_port_once = INIT_ONCE_STATIC_INIT;
static SRWLOCK wp_poll_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE wp_poll_cv = CONDITION_VARIABLE_INIT;
static unsigned long long wp_poll_epoch;
static int wp_poll_leader;

/* A synchronous pipe end has no overlapped probe: a thread of its own blocks in a zero-byte read
 * (which consumes nothing) and is cancelled when the call ends. */
struct wp_syncwatch {
    HANDLE h;
    HANDLE thread;
};

/* One fd's part of a call: what the call holds and must undo. */
struct wp_pollent {
    struct wp_ofd *ofd;
    HANDLE wake;      /* not ready: signalled when it may be (NULL: news comes as a port packet) */
    HANDLE wait;      /* port mode: thread-pool wait bridging wake to the port */
    HANDLE sock_ev;   /* socket: WSAEventSelect's event */
    struct wp_syncwatch *sw;
    int unarmed;      /* not ready, and nothing will wake the call for it: look again soon */
};

/* How often an fd without a wake-up is looked at again. Only when the system refused what a
 * wake-up needs (a watcher thread): better late than a poll(-1) that never returns. */
#define WP_POLL_UNARMED_MS 10

static BOOL CALLBACK wp_poll__make_port(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once; (void)param; (void)ctx;
    wp_port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    return wp_port != NULL;
}

static VOID CALLBACK wp_poll__post(PVOID arg, BOOLEAN timed_out)
{
    (void)arg; (void)timed_out;
    PostQueuedCompletionStatus(wp_port, 0, 0, NULL);
}

/* Has h's signalled state posted to the port, once, for the rest of this call. 0: the system
 * refused the wait, and nothing will post for h. */
static int wp_poll__bridge(struct wp_pollent *e, HANDLE h)
{
    if (!e->wait
        && !RegisterWaitForSingleObject(&e->wait, h, wp_poll__post, NULL, INFINITE,
                                        WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD)) {
        e->wait = NULL;
        return 0;
    }
    return 1;
}

static void wp_poll__unbridge(struct wp_pollent *e)
{
    if (e->wait)
        UnregisterWaitEx(e->wait, INVALID_HANDLE_VALUE);
    e->wait = NULL;
}

static int wp_poll__pipe_closing(HANDLE h)
{
    /* FilePipeLocalInformation (24): NamedPipeState 4 is FILE_PIPE_CLOSING_STATE, the other end
     * is gone. Not WriteQuotaAvailable: Wine always says 0, and Windows lowers it while a read
     * is pending. */
    struct { ULONG type, config, max_inst, cur_inst, in_quota, read_avail, out_quota, write_avail,
             state, end; } info;
    IO_STATUS_BLOCK iosb;
    if (NtQueryInformationFile(h, &iosb, &info, sizeof info, (FILE_INFORMATION_CLASS)24) < 0)
        return 0;
    return info.state == 4;
}

/* Not ready: *wake is the probe's event, which its completion signals. */
static short wp_poll__async_read(struct wp_ofd *ofd, short events, HANDLE *wake)
{
    DWORD err;
    *wake = ofd->probe.ov.hEvent;
    /* The common case of a large set, an idle pipe whose probe pends, needs no lock: a state
     * read stale only sends this call to its wait, which the probe's completion ends. */
    if (ofd->probe.state == WP_OP_PENDING && !HasOverlappedIoCompleted(&ofd->probe.ov))
        return 0;
    AcquireSRWLockExclusive(&ofd->probe_lock);
    int ready = wp_probe(ofd, &err);
    *wake = ofd->probe.ov.hEvent;
    ReleaseSRWLockExclusive(&ofd->probe_lock);
    if (!ready)
        return 0;
    if (err == 0) /* data; POSIX adds POLLHUP when no writer is left */
        return (events & WP_POLLIN_BITS)
               | (!wp_pipe_peer_alive(ofd) && wp_poll__pipe_closing(ofd->h) ? POLLHUP : 0);
    if (err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED)
        return POLLHUP;
    return POLLERR;
}

/* Not ready: *wake is wr_ev, which the pending write — write-behind or another thread's blocking
 * write — signals when it completes. */
static short wp_poll__async_write(struct wp_ofd *ofd, short events, HANDLE *wake)
{
    int busy = 1;
    /* No event to be had: say so rather than sleep with nothing to wake this call. */
    if (!(*wake = wp_ofd_event(&ofd->wr_ev)))
        return POLLERR;
    if (ofd->wb.state == WP_OP_PENDING && !HasOverlappedIoCompleted(&ofd->wb.ov))
        return 0; /* as for the probe: no lock needed to see it still pends */
    if (TryAcquireSRWLockExclusive(&ofd->wr_lock)) {
        if (ofd->wb.state == WP_OP_PENDING && HasOverlappedIoCompleted(&ofd->wb.ov))
            wp_wb_reap(ofd);
        busy = ofd->wb.state == WP_OP_PENDING;
        ReleaseSRWLockExclusive(&ofd->wr_lock);
    }
    if (busy)
        return 0;
    /* Linux: a write end whose reader is gone is POLLERR, with POLLOUT unless the pipe is full —
     * and a pipe stays full of what the reader left. Here that is the write-behind it left. */
    if (wp_pipe_peer_alive(ofd) || !wp_poll__pipe_closing(ofd->h))
        return events & WP_POLLOUT_BITS;
    return POLLERR | (ofd->wb_discarded ? 0 : (events & WP_POLLOUT_BITS));
}

/* A probe issued before its handle joined the port may complete without a packet (Wine binds
 * an operation to the port its handle had when it was issued): issue it again. A cancelled read
 * has taken nothing; one that completed first keeps its result. */
static void wp_poll__reissue_probe_locked(struct wp_ofd *ofd)
{
    DWORD n;
    if (ofd->probe.state == WP_OP_PENDING) {
        CancelIoEx(ofd->h, &ofd->probe.ov);
        if (GetOverlappedResult(ofd->h, &ofd->probe.ov, &n, TRUE))
            ofd->probe.err = 0;
        else
            ofd->probe.err = GetLastError();
        ofd->probe.state = ofd->probe.err == ERROR_OPERATION_ABORTED ? WP_OP_IDLE : WP_OP_DONE;
    }
}

/* Once per description, whichever polling thread comes first: Windows refuses a second
 * association of a handle (ERROR_INVALID_PARAMETER, even with the same port), which would leave
 * the loser thinking the handle can never join. The state is published after the probe is
 * issued again, so no thread waits for a packet from the old probe. The probe's lock keeps the
 * handle itself still: spawn may swap an untouched pipe's handles under it (spawn.c). */
static SRWLOCK wp_poll_join_lock = SRWLOCK_INIT;

static void wp_poll__join_port(struct wp_ofd *ofd)
{
    AcquireSRWLockExclusive(&wp_poll_join_lock);
    if (ofd->port_state == 0) {
        AcquireSRWLockExclusive(&ofd->probe_lock);
        int joined = CreateIoCompletionPort(ofd->h, wp_port, 0, 0) != NULL;
        if (joined)
            wp_poll__reissue_probe_locked(ofd);
        ofd->port_state = joined ? 1 : -1;
        ReleaseSRWLockExclusive(&ofd->probe_lock);
    }
    ReleaseSRWLockExclusive(&wp_poll_join_lock);
}

static short wp_poll__async(struct wp_pollent *e, short events, int port)
{
    struct wp_ofd *ofd = e->ofd;
    HANDLE rd_wake = NULL, wr_wake = NULL;
    short r = 0;
    if (port && ofd->port_state == 0)
        wp_poll__join_port(ofd);
    if (ofd->accmode != O_WRONLY)
        r |= wp_poll__async_read(ofd, events, &rd_wake);
    if (ofd->accmode != O_RDONLY)
        r |= wp_poll__async_write(ofd, events, &wr_wake);
    if (r)
        return r;
    /* On the port, the probe's and a write-behind's completions post packets — except on a
     * handle already on another port (an end inherited, with its file object, from a parent
     * that polled it), and for a write-behind issued before the handle joined, or a blocking
     * write (its completion is kept off the port): those wake through their events. */
    int posts = port && ofd->port_state > 0;
    if (rd_wake)
        e->wake = posts ? NULL : rd_wake;
    else
        e->wake = posts && ofd->wb.state == WP_OP_PENDING && ofd->wb.on_port ? NULL : wr_wake;
    return 0;
}

static DWORD WINAPI wp_poll__sync_watch(LPVOID arg)
{
    static char none;
    DWORD n;
    ReadFile(((struct wp_syncwatch *)arg)->h, &none, 0, &n, NULL);
    return 0; /* the thread's end is the wake */
}

static void wp_poll__sync_end(struct wp_syncwatch *sw)
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

static short wp_poll__sync(struct wp_pollent *e, int fd, short events)
{
    HANDLE h = wp_crt_handle(fd);
    DWORD avail;
    if (e->ofd->accmode == O_WRONLY) /* a synchronous write blocks: see compat-docs */
        return (events & WP_POLLOUT_BITS) | (wp_poll__pipe_closing(h) ? POLLERR : 0);
    if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
        return POLLHUP;
    if (avail)
        return events & WP_POLLIN_BITS;
    /* A watcher whose read returned saw data someone else took: start another. */
    if (e->sw && (!e->sw->thread || WaitForSingleObject(e->sw->thread, 0) == WAIT_OBJECT_0)) {
        wp_poll__sync_end(e->sw);
        e->sw = NULL;
    }
    if (!e->sw && (e->sw = calloc(1, sizeof *e->sw))) {
        if (DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &e->sw->h, 0, FALSE,
                            DUPLICATE_SAME_ACCESS))
            e->sw->thread = CreateThread(NULL, 0, wp_poll__sync_watch, e->sw, 0, NULL);
    }
    e->wake = e->sw ? e->sw->thread : NULL;
    e->unarmed = !e->wake;
    return 0;
}

/* POSIX: console input is readable when a key press is waiting. Other input events (focus,
 * mouse, key releases) signal the console handle too; they are read away, or the wait would spin. */
static int wp_poll__console_has_key(HANDLE h)
{
    INPUT_RECORD rec;
    DWORD n;
    while (PeekConsoleInputW(h, &rec, 1, &n) && n == 1) {
        if (rec.EventType == KEY_EVENT && rec.Event.KeyEvent.bKeyDown)
            return 1;
        ReadConsoleInputW(h, &rec, 1, &n);
    }
    return 0;
}

static short wp_poll__console(struct wp_pollent *e, int fd, short events)
{
    HANDLE h = wp_crt_handle(fd);
    DWORD n;
    if (!GetNumberOfConsoleInputEvents(h, &n)) /* an output buffer */
        return events & WP_POLLOUT_BITS;
    if (wp_poll__console_has_key(h))
        return events & WP_POLLIN_BITS;
    e->wake = h;
    return 0;
}

static short wp_poll__socket(struct wp_pollent *e, int fd, short events)
{
    SOCKET s = (SOCKET)wp_crt_handle(fd);
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
    r |= p.revents & (POLLERR | POLLNVAL);
    if (r)
        return r;
    /* Only the events asked for: FD_WRITE fires at once on a writable socket and would use up
     * the one-shot wait. The wait is armed anew on every check that finds nothing. */
    long net = ((events & POLLIN) ? FD_READ | FD_ACCEPT | FD_CLOSE : 0)
               | ((events & POLLOUT) ? FD_WRITE | FD_CONNECT | FD_CLOSE : 0)
               | ((events & POLLPRI) ? FD_OOB : 0);
    if (!e->sock_ev && (e->sock_ev = WSACreateEvent()) == WSA_INVALID_EVENT) {
        e->sock_ev = NULL;
        return POLLERR;
    }
    /* Level-triggered: reset, then select; Winsock signals at once what is already true. */
    WSAResetEvent(e->sock_ev);
    WSAEventSelect(s, e->sock_ev, net);
    e->wake = e->sock_ev;
    return 0;
}

static void wp_poll__socket_end(struct wp_pollent *e, int fd)
{
    SOCKET s = (SOCKET)wp_crt_handle(fd);
    u_long nonblock = e->ofd->nonblock;
    /* WSAEventSelect left the socket non-blocking; give it back its own mode. */
    WSAEventSelect(s, NULL, 0);
    ioctlsocket(s, FIONBIO, &nonblock);
    WSACloseEvent(e->sock_ev);
}

/* The revents of one fd now; when it is not ready, also arms its wake-up. */
static short wp_poll__check(struct wp_pollent *e, struct pollfd *p, int port)
{
    short ev = p->events;
    e->wake = NULL;
    e->unarmed = 0;
    switch (e->ofd->kind) {
    case WP_PIPE_ASYNC: return wp_poll__async(e, ev, port);
    case WP_PIPE_SYNC: return wp_poll__sync(e, p->fd, ev);
    case WP_CONSOLE: return wp_poll__console(e, p->fd, ev);
    case WP_SOCKET: return wp_poll__socket(e, p->fd, ev);
    default: /* files and devices never block, as POSIX says */
        return ev & (WP_POLLIN_BITS | WP_POLLOUT_BITS);
    }
}

/* The ready count; *unarmed: some fd that is not ready has no wake-up. */
static int wp_poll__scan(struct wp_pollent *ents, struct pollfd *fds, nfds_t n, int port,
                         int *unarmed)
{
    int ready = 0;
    *unarmed = 0;
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < 0)
            fds[i].revents = 0;
        else if (!ents[i].ofd)
            fds[i].revents = POLLNVAL;
        else
            fds[i].revents = wp_poll__check(&ents[i], &fds[i], port);
        ready += fds[i].revents != 0;
        *unarmed |= ents[i].unarmed;
    }
    return ready;
}

/* The port is needed past 64 wakes, and for handles that joined it in an earlier call: their
 * completions go to the port and signal no one else. */
static int wp_poll__needs_port(struct wp_pollent *ents, nfds_t n)
{
    if (n > MAXIMUM_WAIT_OBJECTS)
        return 1;
    for (nfds_t i = 0; i < n; i++)
        if (ents[i].ofd && ents[i].ofd->kind == WP_PIPE_ASYNC && ents[i].ofd->port_state != 0)
            return 1;
    return 0;
}

/* Event mode: sleeps until a wake is signalled or ms pass. */
static void wp_poll__sleep_events(struct wp_pollent *ents, nfds_t n, DWORD ms)
{
    HANDLE hs[MAXIMUM_WAIT_OBJECTS];
    DWORD k = 0;
    for (nfds_t i = 0; i < n; i++)
        if (ents[i].wake)
            hs[k++] = ents[i].wake;
    if (k)
        WaitForMultipleObjects(k, hs, FALSE, ms);
    else
        Sleep(ms); /* nothing to wait for: POSIX makes poll a plain sleep */
}

/* Port mode: wakes that post no packet of their own are bridged, afresh after every check.
 * Returns 0 if one could not be: that fd must be looked at again soon. */
static int wp_poll__bridge_all(struct wp_pollent *ents, nfds_t n)
{
    int all = 1;
    for (nfds_t i = 0; i < n; i++) {
        wp_poll__unbridge(&ents[i]);
        if (ents[i].wake)
            all &= wp_poll__bridge(&ents[i], ents[i].wake);
    }
    return all;
}

static unsigned long long wp_poll__now_us(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (!freq.QuadPart)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (unsigned long long)(now.QuadPart / freq.QuadPart) * 1000000ULL
           + (unsigned long long)(now.QuadPart % freq.QuadPart) * 1000000ULL / freq.QuadPart;
}

/* Sleeps until the port has news or ms pass (INFINITE: forever), as leader or follower. */
static void wp_poll__sleep(unsigned long long seen_epoch, DWORD ms)
{
    AcquireSRWLockExclusive(&wp_poll_lock);
    if (wp_poll_epoch != seen_epoch) {
        ReleaseSRWLockExclusive(&wp_poll_lock);
        return;
    }
    if (wp_poll_leader) {
        SleepConditionVariableSRW(&wp_poll_cv, &wp_poll_lock, ms, 0);
        ReleaseSRWLockExclusive(&wp_poll_lock);
        return;
    }
    wp_poll_leader = 1;
    ReleaseSRWLockExclusive(&wp_poll_lock);

    /* One packet a time: taking more makes Wine ask the server once more per wake-up, and a
     * packet only says "look again" — the fds' own state says what happened. */
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *ov;
    BOOL any = GetQueuedCompletionStatus(wp_port, &bytes, &key, &ov, ms) || ov != NULL;

    AcquireSRWLockExclusive(&wp_poll_lock);
    wp_poll_leader = 0;
    if (any)
        wp_poll_epoch++;
    ReleaseSRWLockExclusive(&wp_poll_lock);
    WakeAllConditionVariable(&wp_poll_cv); /* news, or a follower must take over as leader */
}

static unsigned long long wp_poll__epoch(void)
{
    AcquireSRWLockShared(&wp_poll_lock);
    unsigned long long e = wp_poll_epoch;
    ReleaseSRWLockShared(&wp_poll_lock);
    return e;
}

static int wp_poll__wait(struct wp_pollent *ents, struct pollfd *fds, nfds_t n, int timeout)
{
    unsigned long long deadline = timeout > 0 ? wp_poll__now_us() + timeout * 1000ULL : 0;
    int port = wp_poll__needs_port(ents, n);
    for (;;) {
        unsigned long long seen = port ? wp_poll__epoch() : 0;
        int unarmed;
        int ready = wp_poll__scan(ents, fds, n, port, &unarmed);
        if (ready || timeout == 0)
            return ready;
        DWORD ms = INFINITE;
        if (timeout > 0) {
            unsigned long long now = wp_poll__now_us();
            if (now >= deadline)
                return 0; /* POSIX: 0 only once the whole time-out has passed */
            ms = (DWORD)((deadline - now + 999) / 1000);
        }
        if (unarmed && ms > WP_POLL_UNARMED_MS)
            ms = WP_POLL_UNARMED_MS;
        if (port) {
            if (!wp_poll__bridge_all(ents, n) && ms > WP_POLL_UNARMED_MS)
                ms = WP_POLL_UNARMED_MS;
            wp_poll__sleep(seen, ms);
        } else {
            wp_poll__sleep_events(ents, n, ms);
        }
    }
}

static void wp_poll__release(struct wp_pollent *ents, struct pollfd *fds, nfds_t n)
{
    for (nfds_t i = 0; i < n; i++) {
        struct wp_pollent *e = &ents[i];
        wp_poll__unbridge(e);
        if (e->sock_ev)
            wp_poll__socket_end(e, fds[i].fd);
        if (e->sw)
            wp_poll__sync_end(e->sw);
        if (e->ofd)
            wp_ofd_unref(e->ofd);
    }
}

int wp_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    struct wp_pollent small[16], *ents = small;
    if (n > WP_FD_MAX)
        return -EINVAL;
    if (n && !fds)
        return -EFAULT;
    if (!InitOnceExecuteOnce(&wp_port_once, wp_poll__make_port, NULL, NULL))
        return -ENOMEM;
    if (n > 16 && !(ents = calloc(n, sizeof *ents)))
        return -ENOMEM;
    if (n <= 16)
        memset(small, 0, sizeof small);
    /* Each fd's description is held for the whole call: closing the fd in another thread
     * neither frees it under this call nor wakes it, as on Linux. */
    nfds_t unknown = 0;
    wp_fdtab_lock_shared(); /* once for the whole set: a large set is mostly known fds */
    for (nfds_t i = 0; i < n; i++)
        if (fds[i].fd >= 0 && wp_fd_get_known_locked(fds[i].fd, &ents[i].ofd) < 0)
            unknown++;
    wp_fdtab_unlock_shared();
    for (nfds_t i = 0; unknown && i < n; i++)
        if (fds[i].fd >= 0 && !ents[i].ofd && wp_fd_get(fds[i].fd, &ents[i].ofd) < 0)
            ents[i].ofd = NULL;
    int r = wp_poll__wait(ents, fds, n, timeout);
    wp_poll__release(ents, fds, n);
    if (ents != small)
        free(ents);
    return r;
}

int winpipe_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    char in[256], out[256];
    if (wp_tracing())
        wp_trace_pollfds(in, sizeof in, fds, nfds, 0);
    int r = (int)wp_ret(wp_poll(fds, nfds, timeout));
    if (!wp_tracing())
        return r;
    return (int)wp_trace_ret(r, "poll(%s, %lu, %d) -> %s", in, (unsigned long)nfds, timeout,
                             r > 0 ? wp_trace_pollfds(out, sizeof out, fds, nfds, 1) : "[]");
}
