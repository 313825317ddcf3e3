/* pidfd.c: a process fd (pidfd_open, proc/procfd.c): the kind of description that stands for a
 * process. It holds a handle of its own to the process, so its pid can never name another
 * process (Windows keeps a process's id while a handle to it is open: that is what Linux added
 * pidfds for). poll() reports it readable once the process has ended, and POLLHUP once it has
 * been reaped (for a child of this process: the child table marks it). It reads and writes
 * nothing: EINVAL, as Linux.
 *
 * Waking poll(): in event mode the process handle itself, signalled when the process ends. With
 * poll's completion port (more than 64 fds), a thread-pool wait registered once for the
 * description's life posts to the port when the process ends and marks it ended, so that a
 * poll() over many idle pidfds asks the system nothing per call. (Windows 8's
 * NtAssociateWaitCompletionPacket would do without the pool's wait threads, one per 63 waits;
 * Wine 8 does not export it, so it could not be tested here and is not used.) */
#include "winpipe-internal.h"

/* The child table's mark that a child was reaped, shared with its pidfds. */
struct wp_pidfd_reap {
    LONG refs;
    volatile LONG reaped;
};

struct wp_pidfd {
    HANDLE h;                   /* the process: SYNCHRONIZE, and what else the opener got */
    DWORD pid;
    struct wp_pidfd_reap *reap; /* NULL: no child of ours, never marked */
    volatile LONG ended;        /* seen ended */
    HANDLE volatile wait;       /* the thread-pool wait posting to port, once registered */
    HANDLE port;
    unsigned long long key;     /* the wait's callback finds it by this (wait.c says why) */
    struct wp_pidfd *live_next; /* on wp_pidfd_live until released */
};

/* Every pidfd description not yet released, and the last key given. */
static SRWLOCK wp_pidfd_lock = SRWLOCK_INIT;
static struct wp_pidfd *wp_pidfd_live;
static unsigned long long wp_pidfd_last_key;

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

/* arg is the description's key: a call that comes after the description was released (Wine 8
 * was seen to make one, proc/wait.c) finds nothing and does nothing. */
static VOID CALLBACK wp_pidfd__ended_cb(PVOID arg, BOOLEAN timed_out)
{
    struct wp_pidfd *p;
    (void)timed_out;
    AcquireSRWLockShared(&wp_pidfd_lock);
    for (p = wp_pidfd_live; p && p->key != (uintptr_t)arg; p = p->live_next)
        ;
    if (p) {
        InterlockedExchange(&p->ended, 1);
        PostQueuedCompletionStatus(p->port, 0, 0, NULL);
    }
    ReleaseSRWLockShared(&wp_pidfd_lock);
}

/* Port mode: the wait that posts to the port when the process ends, registered once (by
 * whichever polling thread comes first). 0: the system refused it. */
static int wp_pidfd__arm(struct wp_pidfd *p, HANDLE port)
{
    HANDLE wait;
    if (p->wait)
        return 1;
    p->port = port;
    if (!RegisterWaitForSingleObject(&wait, p->h, wp_pidfd__ended_cb, (PVOID)(uintptr_t)p->key,
                                     INFINITE, WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD))
        return 0;
    if (InterlockedCompareExchangePointer((PVOID volatile *)&p->wait, wait, NULL) != NULL)
        UnregisterWaitEx(wait, INVALID_HANDLE_VALUE); /* another thread's came first */
    return 1;
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
    if (wp_pidfd__ended(p, !w->port || !p->wait))
        return (short)((events & WP_POLLIN_BITS) | hup);
    if (!w->port || !wp_pidfd__arm(p, w->port))
        w->handle = p->h; /* event mode, or no wait: poll.c waits on (or bridges) the handle */
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
