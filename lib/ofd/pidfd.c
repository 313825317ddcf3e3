/* pidfd.c: a process fd (pidfd_open, proc/procfd.c): the kind of description that stands for a
 * process. It holds a handle of its own to the process, so its pid can never name another
 * process (Windows keeps a process's id while a handle to it is open: that is what Linux added
 * pidfds for). poll() reports it readable once the process has ended, and POLLHUP once it has
 * been reaped (for a child of this process: the child table marks it). It reads and writes
 * nothing: EINVAL, as Linux.
 *
 * Waking poll(): in event mode the process handle itself, signalled when the process ends. With
 * poll's completion port (more than 64 fds), the description arms once for its life a wait that
 * posts a packet to the port when the process ends: Windows 8's wait completion packet, or,
 * where the system has none (Wine 8), a thread-pool wait whose callback posts the same packet.
 * The packet names the description by a key; the poll that takes it marks the description ended
 * (wp_pidfd__packet), so that a poll() over many idle pidfds asks the system nothing per pidfd. */
#include "winpipe-internal.h"

/* The child table's mark that a child was reaped, shared with its pidfds. */
struct wp_pidfd_reap {
    LONG refs;
    volatile LONG reaped;
};

/* Port mode's wait: none yet, being armed by one polling thread, or armed for good. */
enum { WP_PIDFD_UNARMED, WP_PIDFD_ARMING, WP_PIDFD_ARMED };

struct wp_pidfd {
    HANDLE h;                   /* the process: SYNCHRONIZE, and what else the opener got */
    DWORD pid;
    struct wp_pidfd_reap *reap; /* NULL: no child of ours, never marked */
    volatile LONG ended;        /* seen ended */
    volatile LONG armed;        /* WP_PIDFD_*: port mode's wait */
    HANDLE pkt;                 /* armed: the wait completion packet, or NULL and... */
    HANDLE wait;                /* ...the thread-pool wait that posts in its stead */
    unsigned long long key;     /* what the packet names it by (wait.c says why not a pointer) */
    struct wp_pidfd *live_next; /* on wp_pidfd_live until released */
};

/* Every pidfd description not yet released, and the last key given. */
static SRWLOCK wp_pidfd_lock = SRWLOCK_INIT;
static struct wp_pidfd *wp_pidfd_live;
static unsigned long long wp_pidfd_last_key;
static HANDLE wp_pidfd_port; /* poll's completion port, the same for every call */

struct wp_pidfd_reap *wp_pidfd_reap_new(void)
{
    struct wp_pidfd_reap *r = calloc(1, sizeof *r);
    if (r)
        r->refs = 1;
    return r;
}

void wp_pidfd_reap_ref(struct wp_pidfd_reap *r)
{
    InterlockedIncrement(&r->refs);
}

void wp_pidfd_reap_unref(struct wp_pidfd_reap *r)
{
    if (r && InterlockedDecrement(&r->refs) == 0)
        free(r);
}

void wp_pidfd_reap_set(struct wp_pidfd_reap *r)
{
    InterlockedExchange(&r->reaped, 1);
}

/* A packet from a pidfd's wait: arg is its key. A packet that comes after the description was
 * released (queued before, or from a late callback: Wine 8 was seen to make one, proc/wait.c)
 * finds nothing and does nothing. */
static void wp_pidfd__packet(ULONG_PTR arg)
{
    AcquireSRWLockShared(&wp_pidfd_lock);
    struct wp_pidfd *p = wp_pidfd_live;
    while (p && p->key != arg)
        p = p->live_next;
    if (p)
        InterlockedExchange(&p->ended, 1);
    ReleaseSRWLockShared(&wp_pidfd_lock);
}

static const struct wp_port_sink wp_pidfd_sink = { wp_pidfd__packet };

/* The thread pool's stand-in for a wait completion packet: the callback posts the packet. */
static VOID CALLBACK wp_pidfd__ended_cb(PVOID arg, BOOLEAN timed_out)
{
    (void)timed_out;
    PostQueuedCompletionStatus(wp_pidfd_port, 0, (ULONG_PTR)&wp_pidfd_sink, (LPOVERLAPPED)arg);
}

/* A wait completion packet for p. For a handle already signalled the system says so: the
 * process is marked ended now (whether a packet comes too Microsoft does not say; one that comes
 * changes nothing). */
static int wp_pidfd__arm_packet(struct wp_pidfd *p)
{
    int already;
    HANDLE pkt = wp_nt_waitpkt_new();
    if (!pkt)
        return 0;
    if (wp_nt_waitpkt_arm(pkt, wp_pidfd_port, p->h, (ULONG_PTR)&wp_pidfd_sink, (ULONG_PTR)p->key,
                          &already) < 0) {
        wp_nt_waitpkt_free(pkt);
        return 0;
    }
    p->pkt = pkt;
    if (already)
        InterlockedExchange(&p->ended, 1);
    return 1;
}

static int wp_pidfd__arm_pool(struct wp_pidfd *p)
{
    return RegisterWaitForSingleObject(&p->wait, p->h, wp_pidfd__ended_cb,
                                       (PVOID)(uintptr_t)p->key, INFINITE,
                                       WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD) != 0;
}

/* Port mode: the wait that posts to the port when the process ends, armed once, by whichever
 * polling thread comes first. 0: not armed (by this call): the caller waits on the handle. */
static int wp_pidfd__arm(struct wp_pidfd *p, HANDLE port)
{
    if (p->armed == WP_PIDFD_ARMED)
        return 1;
    if (InterlockedCompareExchange(&p->armed, WP_PIDFD_ARMING, WP_PIDFD_UNARMED)
        != WP_PIDFD_UNARMED)
        return 0; /* another thread is arming it: this call bridges the handle meanwhile */
    wp_pidfd_port = port;
    if (wp_pidfd__arm_packet(p) || wp_pidfd__arm_pool(p)) {
        InterlockedExchange(&p->armed, WP_PIDFD_ARMED);
        return 1;
    }
    p->wait = NULL;
    InterlockedExchange(&p->armed, WP_PIDFD_UNARMED);
    return 0;
}

/* The process has ended. In port mode, once the wait is armed, its mark says so without
 * asking the system (ask == 0); otherwise the handle is asked. */
static int wp_pidfd__ended(struct wp_pidfd *p, int ask)
{
    if (p->ended)
        return 1;
    if (!ask || WaitForSingleObject(p->h, 0) != WAIT_OBJECT_0)
        return 0;
    InterlockedExchange(&p->ended, 1);
    return 1;
}

static short wp_pidfd__poll(struct wp_ofd *ofd, int fd, short events, struct wp_wake *w)
{
    struct wp_pidfd *p = ofd->impl;
    (void)fd;
    /* Linux: POLLIN (with POLLRDNORM) once the process has ended, POLLHUP once it is reaped. */
    short hup = p->reap && p->reap->reaped ? POLLHUP : 0;
    if (wp_pidfd__ended(p, !w->port || p->armed != WP_PIDFD_ARMED))
        return (short)((events & WP_POLLIN_BITS) | hup);
    if (!w->port || !wp_pidfd__arm(p, w->port))
        w->handle = p->h; /* event mode, or no wait: poll.c waits on (or bridges) the handle */
    else if (p->ended)
        /* arming found the process ended already: Microsoft does not say whether a packet is
         * queued then, so this call does not wait for one */
        return (short)((events & WP_POLLIN_BITS) | hup);
    else
        w->sink = 1; /* its end is told by a packet, to whichever call takes it */
    return 0;
}

static void wp_pidfd__release(void *impl)
{
    struct wp_pidfd *p = impl;
    AcquireSRWLockExclusive(&wp_pidfd_lock);
    struct wp_pidfd **link = &wp_pidfd_live;
    while (*link != p)
        link = &(*link)->live_next;
    *link = p->live_next;
    ReleaseSRWLockExclusive(&wp_pidfd_lock);
    if (p->pkt)
        wp_nt_waitpkt_free(p->pkt);
    if (p->wait)
        UnregisterWaitEx(p->wait, INVALID_HANDLE_VALUE);
    CloseHandle(p->h);
    wp_pidfd_reap_unref(p->reap);
    free(p);
}

/* read and write stay NULL: io.c's EINVAL, as Linux gives for a pidfd. */
static const struct wp_kind wp_pidfd_kind = {
    .name = "process",
    .poll = wp_pidfd__poll,
    .release = wp_pidfd__release,
};

/* A description for process pid: takes h, and a reference of reap (NULL: none). NULL without
 * memory (h and reap are then still the caller's). POSIX's access mode: O_RDWR, as Linux's. */
struct wp_ofd *wp_pidfd_new(HANDLE h, DWORD pid, struct wp_pidfd_reap *reap, int nonblock)
{
    struct wp_pidfd *p = calloc(1, sizeof *p);
    struct wp_ofd *ofd = p ? wp_ofd_new(&wp_pidfd_kind, p, O_RDWR, nonblock) : NULL;
    if (!ofd) {
        free(p);
        return NULL;
    }
    p->h = h;
    p->pid = pid;
    p->reap = reap;
    AcquireSRWLockExclusive(&wp_pidfd_lock);
    p->key = ++wp_pidfd_last_key;
    p->live_next = wp_pidfd_live;
    wp_pidfd_live = p;
    ReleaseSRWLockExclusive(&wp_pidfd_lock);
    return ofd;
}

int wp_pidfd_is(struct wp_ofd *ofd)
{
    return ofd->kind == &wp_pidfd_kind;
}

DWORD wp_pidfd_pid(struct wp_ofd *ofd)
{
    return ((struct wp_pidfd *)ofd->impl)->pid;
}

HANDLE wp_pidfd_handle(struct wp_ofd *ofd)
{
    return ((struct wp_pidfd *)ofd->impl)->h;
}
