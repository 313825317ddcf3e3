/* poll.c: POSIX poll() that sleeps until something happens, on every kind of fd, with no limit on
 * how many.
 *
 * Each fd's kind says whether it is ready (struct wp_kind's poll, in ofd/) and, when it is not,
 * arms one handle that will be signalled when it may be (struct wp_wake): an overlapped end's
 * probe or write event, a socket's WSAEventSelect event, the console input handle, the thread
 * blocked in a zero-byte read of a synchronous end. This file only sleeps on them.
 *
 * Two ways to sleep on them:
 *  - up to 63 wakes, none of them already on the port: WaitForMultipleObjects on the wakes and
 *    the thread's own event, which a signal sets (base/intr.c), the cheapest wait there is (one
 *    request to Wine's server against three for a port);
 *  - otherwise one process-wide I/O completion port: overlapped ends join it and their
 *    completions post packets; other wakes are bridged to it by thread-pool waits. Then there is
 *    no limit on fds, and a call's cost grows with the ready fds, not the watched ones. The port
 *    is not one call's alone: one polling thread (the leader) waits on it, the others sleep on a
 *    condition variable, and every packet advances an epoch and wakes them all to check again; a
 *    signal for one of them posts a packet.
 * A signal whose handler runs ends the wait with EINTR; ppoll() sets the caller's mask for the
 * wait alone, inside the same interruptible section, so that a signal it unblocks cannot be
 * handled anywhere but here. */
#include "winpipe-internal.h"
#include <limits.h>
#include <poll.h>
#include <time.h>

static HANDLE wp_port;
static INIT_ONCE wp_port_once = INIT_ONCE_STATIC_INIT;
static SRWLOCK wp_poll_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE wp_poll_cv = CONDITION_VARIABLE_INIT;
static unsigned long long wp_poll_epoch;
static int wp_poll_leader;

/* One fd's part of a call: what the call holds and must undo. */
struct wp_pollent {
    struct wp_ofd *ofd;
    struct wp_wake wake; /* what its kind armed */
    HANDLE wait;         /* port mode: thread-pool wait bridging wake.handle to the port */
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

/* The revents of one fd now; when it is not ready, also arms its wake-up. */
static short wp_poll__check(struct wp_pollent *e, struct pollfd *p, int port)
{
    e->wake.port = port ? wp_port : NULL;
    e->wake.handle = NULL;
    e->wake.unarmed = 0;
    e->wake.sink = 0;
    return e->ofd->kind->poll(e->ofd, p->fd, p->events, &e->wake);
}

/* What a call armed for one fd's description, undone; the description let go. */
static void wp_poll__forget(struct wp_pollent *e, int fd)
{
    wp_poll__unbridge(e);
    if (e->ofd && e->ofd->kind->poll_end)
        e->ofd->kind->poll_end(e->ofd, fd, &e->wake);
    if (e->ofd)
        wp_ofd_unref(e->ofd);
    memset(e, 0, sizeof *e);
}

/* Linux looks each fd number up again on every scan: a number closed meanwhile is POLLNVAL, one
 * that another file took since reports that file. (Closing it wakes no one, there as here.) The
 * description found is held until the next scan, so that a close in another thread cannot free
 * it under this call. */
static void wp_poll__lookup(struct wp_pollent *ents, struct pollfd *fds, nfds_t n)
{
    nfds_t unknown = 0;
    wp_fdtab_lock_shared(); /* once for the whole set: a large set is mostly known fds */
    for (nfds_t i = 0; i < n; i++) {
        struct wp_ofd *now = NULL;
        if (fds[i].fd < 0 || wp_fdtab_get_known_locked(fds[i].fd, &now) < 0) {
            unknown += fds[i].fd >= 0;
            now = NULL;
        }
        if (now == ents[i].ofd) {
            if (now)
                wp_ofd_unref(now); /* the entry holds it already */
            continue;
        }
        wp_poll__forget(&ents[i], fds[i].fd);
        ents[i].ofd = now;
    }
    wp_fdtab_unlock_shared();
    for (nfds_t i = 0; unknown && i < n; i++)
        if (fds[i].fd >= 0 && !ents[i].ofd && wp_fdtab_get(fds[i].fd, &ents[i].ofd) < 0)
            ents[i].ofd = NULL;
}

/* What a scan found beside the ready count. */
struct wp_poll_scan {
    int unarmed; /* some fd that is not ready has no wake-up */
    int sink;    /* some fd that is not ready hears its news through a sink packet */
};

static int wp_poll__scan(struct wp_pollent *ents, struct pollfd *fds, nfds_t n, int port,
                         struct wp_poll_scan *found)
{
    int ready = 0;
    found->unarmed = found->sink = 0;
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < 0)
            fds[i].revents = 0;
        else if (!ents[i].ofd)
            fds[i].revents = POLLNVAL;
        else
            fds[i].revents = wp_poll__check(&ents[i], &fds[i], port);
        ready += fds[i].revents != 0;
        found->unarmed |= ents[i].wake.unarmed;
        found->sink |= ents[i].wake.sink;
    }
    return ready;
}

/* The port is needed past 63 wakes (the 64th handle is the thread's, for signals), and for
 * handles that joined it in an earlier call: their completions go to the port and signal no one
 * else. */
static int wp_poll__needs_port(struct wp_pollent *ents, nfds_t n)
{
    if (n > MAXIMUM_WAIT_OBJECTS - 1)
        return 1;
    for (nfds_t i = 0; i < n; i++)
        if (ents[i].ofd && ents[i].ofd->kind->on_port && ents[i].ofd->kind->on_port(ents[i].ofd))
            return 1;
    return 0;
}

/* How a signal wakes a polling thread (base/intr.c): its own event, which event mode waits on
 * too, and in port mode a packet, which wakes the leader and, through the epoch, every
 * follower, each of which looks for a signal of its own. */
struct wp_poll_waker {
    HANDLE ev;           /* the thread's; NULL: the thread has no record, nothing wakes it */
    volatile LONG port;  /* this call sleeps on the port */
};

static void wp_poll__wake(void *arg)
{
    struct wp_poll_waker *w = arg;
    SetEvent(w->ev);
    if (w->port)
        PostQueuedCompletionStatus(wp_port, 0, 0, NULL);
}

/* Event mode: sleeps until a wake is signalled, a signal comes, or ms pass. */
static void wp_poll__sleep_events(struct wp_pollent *ents, nfds_t n, DWORD ms, HANDLE intr)
{
    HANDLE hs[MAXIMUM_WAIT_OBJECTS];
    DWORD k = 0;
    for (nfds_t i = 0; i < n; i++)
        if (ents[i].wake.handle)
            hs[k++] = ents[i].wake.handle;
    if (intr)
        hs[k++] = intr;
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
        if (ents[i].wake.handle)
            all &= wp_poll__bridge(&ents[i], ents[i].wake.handle);
    }
    return all;
}

/* A packet of key key: a sink's is handed to it; key 0 only said "look again". */
static void wp_poll__packet(ULONG_PTR key, OVERLAPPED *ov)
{
    if (key)
        ((const struct wp_port_sink *)key)->packet((ULONG_PTR)ov);
}

/* Takes every packet the port holds now, without waiting, handing each sink's on. Returns how
 * many were taken. Only a leader takes (wp_poll__sleep says why). Packets of key 0 taken with
 * them only said "look again", which the leader's epoch tells every call anyway. */
static unsigned wp_poll__take_now(void)
{
    OVERLAPPED_ENTRY got[64];
    ULONG n = 0;
    unsigned total = 0;
    do {
        if (!GetQueuedCompletionStatusEx(wp_port, got, 64, &n, 0, FALSE))
            break;
        total += n;
        for (ULONG i = 0; i < n; i++)
            wp_poll__packet(got[i].lpCompletionKey, got[i].lpOverlapped);
    } while (n == 64);
    return total;
}

/* The leader's turn is over: news moves the epoch on, and every follower looks (one of them
 * takes over as leader). */
static void wp_poll__end_lead(int news)
{
    AcquireSRWLockExclusive(&wp_poll_lock);
    wp_poll_leader = 0;
    if (news)
        wp_poll_epoch++;
    ReleaseSRWLockExclusive(&wp_poll_lock);
    WakeAllConditionVariable(&wp_poll_cv);
}

/* For a call about to return without sleeping, whose fds hear of news only through sink packets:
 * what the port holds now is taken, unless a call sleeps on it (that leader takes each packet as
 * it comes). 1: something was taken, the caller looks again. */
static int wp_poll__take_queued(void)
{
    AcquireSRWLockExclusive(&wp_poll_lock);
    int lead = !wp_poll_leader;
    if (lead)
        wp_poll_leader = 1;
    ReleaseSRWLockExclusive(&wp_poll_lock);
    if (!lead)
        return 0;
    int news = wp_poll__take_now() > 0;
    wp_poll__end_lead(news);
    return news;
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
     * packet mostly says "look again" — the fds' own state says what happened. */
    DWORD bytes;
    ULONG_PTR key = 0;
    OVERLAPPED *ov = NULL;
    BOOL any = GetQueuedCompletionStatus(wp_port, &bytes, &key, &ov, ms) || ov != NULL;
    if (any && key) {
        /* a sink's, and what else is queued: many processes ending at once come back in one
         * call rather than one a call */
        wp_poll__packet(key, ov);
        wp_poll__take_now();
    }
    wp_poll__end_lead(any);
}

static unsigned long long wp_poll__epoch(void)
{
    AcquireSRWLockShared(&wp_poll_lock);
    unsigned long long e = wp_poll_epoch;
    ReleaseSRWLockShared(&wp_poll_lock);
    return e;
}

static int wp_poll__wait(struct wp_pollent *ents, struct pollfd *fds, nfds_t n, int timeout,
                         struct wp_intr *t, struct wp_poll_waker *w)
{
    unsigned long long deadline = timeout > 0 ? wp_win32_clock_us() + timeout * 1000ULL : 0;
    int port = 0, expired = 0, slept = 0;
    for (;;) {
        wp_poll__lookup(ents, fds, n);
        port = port || wp_poll__needs_port(ents, n);
        w->port = port; /* before the epoch is read: a signal's packet then moves it on */
        unsigned long long seen = port ? wp_poll__epoch() : 0;
        struct wp_poll_scan found;
        int ready = wp_poll__scan(ents, fds, n, port, &found);
        /* POSIX: 0 only once the whole time-out has passed, and then after one more look */
        if (ready || timeout == 0 || expired) {
            /* a call that has not slept took no packet (one that slept had a leader take them):
             * what sink packets are queued is taken now, so that their news is in this answer */
            if (port && found.sink && !slept && wp_poll__take_queued())
                ready = wp_poll__scan(ents, fds, n, port, &found);
            return ready;
        }
        /* POSIX: a signal whose handler runs ends the wait with EINTR, SA_RESTART or not (Linux
         * never restarts poll); a ready fd comes first. */
        if (t && wp_intr_pending(t) && (wp_signal_deliver() & WP_INTR_RAN))
            return -EINTR;
        DWORD ms = INFINITE;
        if (timeout > 0) {
            unsigned long long now = wp_win32_clock_us();
            ms = now >= deadline ? 0 : (DWORD)((deadline - now + 999) / 1000);
        }
        if (found.unarmed && ms > WP_POLL_UNARMED_MS)
            ms = WP_POLL_UNARMED_MS;
        if (port) {
            if (!wp_poll__bridge_all(ents, n) && ms > WP_POLL_UNARMED_MS)
                ms = WP_POLL_UNARMED_MS;
            wp_poll__sleep(seen, ms);
            slept = 1;
        } else {
            wp_poll__sleep_events(ents, n, ms, w->ev);
        }
        expired = timeout > 0 && wp_win32_clock_us() >= deadline;
    }
}

static void wp_poll__release(struct wp_pollent *ents, struct pollfd *fds, nfds_t n)
{
    for (nfds_t i = 0; i < n; i++)
        wp_poll__forget(&ents[i], fds[i].fd);
}

/* The whole call sleeps interruptibly (base/intr.c): from before the mask is set (ppoll) to
 * after it is put back, a signal wakes this thread rather than go elsewhere. */
static int wp_poll__interruptible(struct wp_pollent *ents, struct pollfd *fds, nfds_t n,
                                  int timeout, const unsigned long long *mask)
{
    struct wp_intr *t = wp_intr_self();
    struct wp_poll_waker pw = { t ? wp_intr_event(t) : NULL, 0 };
    struct wp_intr_waker w = { wp_poll__wake, &pw };
    if (!t) /* no memory for this thread's record: poll as if no signal could come */
        return mask ? -ENOMEM : wp_poll__wait(ents, fds, n, timeout, NULL, &pw);
    struct wp_intr_waker *outer = wp_intr_enter(t, &w);
    unsigned long long saved = mask ? wp_signal_wait_mask(t, *mask) : 0;
    int r = wp_poll__wait(ents, fds, n, timeout, t, &pw);
    if (mask)
        wp_signal_restore_mask(t, saved);
    wp_intr_leave(t, outer);
    return r;
}

/* poll(), and with a mask ppoll(): the mask is this thread's for the wait alone. */
int wp_poll_mask(struct pollfd *fds, nfds_t n, int timeout, const unsigned long long *mask)
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
    int r = wp_poll__interruptible(ents, fds, n, timeout, mask);
    wp_poll__release(ents, fds, n);
    if (ents != small)
        free(ents);
    /* What is pending and unblocked now (the mask put back) runs before the call returns. */
    wp_signal_deliver();
    return r;
}

int wp_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    return wp_poll_mask(fds, n, timeout, NULL);
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

/* POSIX: a time-out of tv_sec < 0, or tv_nsec outside 0-999999999, is EINVAL; a NULL one waits
 * for ever. The wait is rounded up to whole milliseconds. */
int wp_poll_timespec_ms(const struct timespec *ts, int *ms)
{
    if (!ts) {
        *ms = -1;
        return 0;
    }
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
        return -EINVAL;
    long long v = (long long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
    *ms = v > INT_MAX ? INT_MAX : (int)v;
    return 0;
}

static int wp_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                    const _sigset_t *sigmask)
{
    int ms, r = wp_poll_timespec_ms(ts, &ms);
    if (r < 0)
        return r;
    unsigned long long mask = sigmask ? (unsigned long long)*sigmask : 0;
    return wp_poll_mask(fds, n, ms, sigmask ? &mask : NULL);
}

int winpipe_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                  const _sigset_t *sigmask)
{
    char in[256], out[256];
    if (wp_tracing())
        wp_trace_pollfds(in, sizeof in, fds, nfds, 0);
    int r = (int)wp_ret(wp_ppoll(fds, nfds, timeout, sigmask));
    if (!wp_tracing())
        return r;
    return (int)wp_trace_ret(r, "ppoll(%s, %lu, 0x%llx, %#llx) -> %s", in, (unsigned long)nfds,
                             WP_TRACE_PTR(timeout), sigmask ? (unsigned long long)*sigmask : 0ULL,
                             r > 0 ? wp_trace_pollfds(out, sizeof out, fds, nfds, 1) : "[]");
}
