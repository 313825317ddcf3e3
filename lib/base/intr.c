/* intr.c: what a signal needs of a thread: its signal mask, the signals pending for it alone, and,
 * while it sleeps in a call POSIX lets a signal interrupt, how to wake it.
 *
 * POSIX gives every thread a mask and a pending set, and a signal sent to the process goes to one
 * thread that does not block it: a thread asleep in read(), poll() or waitpid() wakes, runs the
 * handler, and its call fails with EINTR or carries on. Windows has no such thing; here a thread
 * that sleeps interruptibly says how to wake it (a waker: set its event, wake a condition
 * variable, post a packet to poll's completion port) for as long as it sleeps, and checks for a
 * pending signal after saying so, so that no wake-up is lost between the check and the sleep.
 *
 * A thread is known here ("registered") from its first signal call or interruptible wait, one
 * made by pthread_create through winpipe's <pthread.h> from its start (proc/thread.c); the
 * thread that first initialises winpipe's signals is known from the start. Its record goes when
 * it ends (a fiber-local-storage callback). Dispositions, the process's pending set and delivery
 * itself are proc/signal.c's, which hands this file the pending set and its delivery function. */
#include "winpipe-internal.h"

struct wp_intr {
    DWORD tid;
    HANDLE ev;                           /* auto-reset: what the default waker sets */
    volatile LONG64 mask;                /* blocked signals: bit sig - 1 */
    volatile LONG64 waiting_mask;        /* in sigwait: the mask the wait set aside */
    volatile LONG64 pending;             /* signals raised in this thread, not yet delivered */
    int code[WP_SIG_MAX + 1];            /* each one's si_code (proc/signal.c's) */
    struct wp_intr_waker *volatile waker; /* set while it sleeps interruptibly */
    volatile LONG calling;               /* wakers of it being called now */
    int target;                          /* may take the process's signals */
    struct wp_intr *next, *prev;         /* the list of known threads */
};

static SRWLOCK wp_intr_lock = SRWLOCK_INIT; /* the list */
static struct wp_intr *wp_intr_head;        /* the first thread known comes first */
static DWORD wp_intr_fls = FLS_OUT_OF_INDEXES;
static INIT_ONCE wp_intr_once = INIT_ONCE_STATIC_INIT;
static volatile LONG64 wp_intr_new_mask;    /* what a thread known from now on starts with */
static volatile LONG64 *wp_intr_proc_pending; /* proc/signal.c's: pending for the process */
static int (*wp_intr_deliver_fn)(void);
static volatile LONG64 wp_intr_none;

/* The waker of a thread that sleeps on its own event (wp_intr_wait, sigsuspend): arg is it. */
void wp_intr_wake_event(void *arg)
{
    SetEvent((HANDLE)arg);
}

/* The thread is ending: its record leaves the list once no waker of it runs any more. */
static void NTAPI wp_intr__thread_done(PVOID value)
{
    struct wp_intr *t = value;
    if (!t)
        return;
    AcquireSRWLockExclusive(&wp_intr_lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        wp_intr_head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    ReleaseSRWLockExclusive(&wp_intr_lock);
    while (t->calling)
        Sleep(0);
    CloseHandle(t->ev);
    free(t);
}

static BOOL CALLBACK wp_intr__init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once; (void)param; (void)ctx;
    wp_intr_fls = FlsAlloc(wp_intr__thread_done);
    if (!wp_intr_proc_pending)
        wp_intr_proc_pending = &wp_intr_none;
    return wp_intr_fls != FLS_OUT_OF_INDEXES;
}

void wp_intr_setup(volatile LONG64 *proc_pending, int (*deliver)(void), unsigned long long mask)
{
    wp_intr_proc_pending = proc_pending;
    wp_intr_deliver_fn = deliver;
    wp_intr_new_mask = (LONG64)mask;
}

struct wp_intr *wp_intr_peek(void)
{
    if (wp_intr_fls == FLS_OUT_OF_INDEXES)
        return NULL;
    return FlsGetValue(wp_intr_fls);
}

/* Makes the calling thread's record, with mask, and makes the thread known. NULL without memory. */
static struct wp_intr *wp_intr__make(unsigned long long mask)
{
    struct wp_intr *t;
    if (!(t = calloc(1, sizeof *t)))
        return NULL;
    if (!(t->ev = CreateEventW(NULL, FALSE, FALSE, NULL))) {
        free(t);
        return NULL;
    }
    t->tid = GetCurrentThreadId();
    t->target = 1;
    t->mask = (LONG64)mask;
    AcquireSRWLockExclusive(&wp_intr_lock);
    struct wp_intr **link = &wp_intr_head, *prev = NULL;
    while (*link)
        prev = *link, link = &(*link)->next;
    *link = t;
    t->prev = prev;
    ReleaseSRWLockExclusive(&wp_intr_lock);
    FlsSetValue(wp_intr_fls, t);
    return t;
}

/* The calling thread's record, made (and the thread known) on first use; NULL without memory. */
struct wp_intr *wp_intr_self(void)
{
    struct wp_intr *t;
    if (!InitOnceExecuteOnce(&wp_intr_once, wp_intr__init, NULL, NULL))
        return NULL;
    if ((t = FlsGetValue(wp_intr_fls)))
        return t;
    /* POSIX: a new thread inherits its creator's mask. Windows says nothing of who created a
     * thread: one winpipe first meets here (made by CreateThread or _beginthreadex) gets the
     * first thread's mask, as most threads are made by it. A thread made by pthread_create
     * through winpipe's <pthread.h> was made known with its creator's (wp_intr_self_with). */
    return wp_intr__make((unsigned long long)wp_intr_new_mask);
}

/* The calling thread, new, starts with its creator's mask (proc/thread.c): made known with it,
 * at once, so that no signal is handed to it under another mask first. */
struct wp_intr *wp_intr_self_with(unsigned long long mask)
{
    struct wp_intr *t;
    if (!InitOnceExecuteOnce(&wp_intr_once, wp_intr__init, NULL, NULL))
        return NULL;
    if ((t = FlsGetValue(wp_intr_fls))) { /* met already: only the thread itself sets its mask */
        InterlockedExchange64(&t->mask, (LONG64)mask);
        return t;
    }
    return wp_intr__make(mask);
}

/* winpipe's own signal thread takes no signal for the process: it is the one that hands them out. */
void wp_intr_not_target(struct wp_intr *t)
{
    t->target = 0;
}

unsigned long long wp_intr_mask(const struct wp_intr *t)
{
    return (unsigned long long)t->mask;
}

/* Only the thread itself changes its mask. base: also what threads known later start with. */
unsigned long long wp_intr_set_mask(struct wp_intr *t, unsigned long long mask, int base)
{
    unsigned long long old = (unsigned long long)InterlockedExchange64(&t->mask, (LONG64)mask);
    if (base && t == wp_intr_head)
        wp_intr_new_mask = (LONG64)mask;
    return old;
}

/* Linux's real_blocked: sigwait lets its set through for the wait (mask), yet what the caller
 * blocked counts as blocked meanwhile (waiting; 0 when the wait is over), so a signal whose action
 * is to ignore it is kept for the wait, not discarded. Both change at once, under the lock
 * wp_intr_blocked_by_all reads them under: it never sees the block in neither. */
void wp_intr_set_wait_masks(struct wp_intr *t, unsigned long long mask, unsigned long long waiting)
{
    AcquireSRWLockExclusive(&wp_intr_lock);
    InterlockedExchange64(&t->mask, (LONG64)mask);
    InterlockedExchange64(&t->waiting_mask, (LONG64)waiting);
    ReleaseSRWLockExclusive(&wp_intr_lock);
}

int wp_intr_is_first(const struct wp_intr *t)
{
    return t == wp_intr_head;
}

/* ---- the signals pending for the thread alone ---- */

void wp_intr_raise(struct wp_intr *t, int sig, int code)
{
    t->code[sig] = code;
    InterlockedOr64(&t->pending, (LONG64)(1ULL << (sig - 1)));
}

unsigned long long wp_intr_own_pending(const struct wp_intr *t)
{
    return (unsigned long long)t->pending;
}

/* Takes sig from the thread's pending set: 1 and its si_code if it was there. */
int wp_intr_take(struct wp_intr *t, int sig, int *code)
{
    LONG64 bit = (LONG64)(1ULL << (sig - 1));
    if (!(InterlockedAnd64(&t->pending, ~bit) & bit))
        return 0;
    *code = t->code[sig];
    return 1;
}

/* POSIX: a signal whose action becomes "ignore" is discarded, from every thread's pending set. */
void wp_intr_discard(int sig)
{
    LONG64 bit = (LONG64)(1ULL << (sig - 1));
    AcquireSRWLockShared(&wp_intr_lock);
    for (struct wp_intr *t = wp_intr_head; t; t = t->next)
        InterlockedAnd64(&t->pending, ~bit);
    ReleaseSRWLockShared(&wp_intr_lock);
}

/* A signal that this thread does not block is pending, for it or for the process. */
int wp_intr_pending(const struct wp_intr *t)
{
    return ((*wp_intr_proc_pending | t->pending) & ~t->mask) != 0;
}

/* ---- interruptible sleep ---- */

/* From enter to leave the thread sleeps interruptibly, woken by w. Sections nest: the innermost
 * waker is the one called. */
struct wp_intr_waker *wp_intr_enter(struct wp_intr *t, struct wp_intr_waker *w)
{
    return InterlockedExchangePointer((PVOID volatile *)&t->waker, w);
}

/* The waker of the section left may be running in another thread: it must be done before the
 * caller's stack, where it lives, is left. (So no lock a waker takes may be held here.) */
void wp_intr_leave(struct wp_intr *t, struct wp_intr_waker *outer)
{
    InterlockedExchangePointer((PVOID volatile *)&t->waker, outer);
    while (t->calling)
        Sleep(0);
}

/* Wakes one known thread that does not block sig and sleeps interruptibly (the first thread
 * before others, as Linux prefers the main thread). WP_INTR_WOKE: one was woken, and delivers the
 * signal itself; WP_INTR_AWAKE: none sleeps, but one does not block it; WP_INTR_BLOCKED: every
 * known thread blocks it. */
int wp_intr_wake_one(int sig)
{
    unsigned long long bit = 1ULL << (sig - 1);
    struct wp_intr *chosen = NULL;
    struct wp_intr_waker *w = NULL;
    int awake = 0;
    AcquireSRWLockShared(&wp_intr_lock);
    for (struct wp_intr *t = wp_intr_head; t && !chosen; t = t->next) {
        if (!t->target || (t->mask & bit))
            continue;
        awake = 1;
        InterlockedIncrement(&t->calling);
        if ((w = t->waker))
            chosen = t;
        else
            InterlockedDecrement(&t->calling);
    }
    ReleaseSRWLockShared(&wp_intr_lock);
    if (!chosen)
        return awake ? WP_INTR_AWAKE : WP_INTR_BLOCKED;
    /* Its record and its waker stay while calling is counted (leave and thread end wait). */
    w->fn(w->arg);
    InterlockedDecrement(&chosen->calling);
    return WP_INTR_WOKE;
}

/* 1: every known thread blocks sig (none would take it now), or set it aside for a sigwait. */
int wp_intr_blocked_by_all(int sig)
{
    unsigned long long bit = 1ULL << (sig - 1);
    int all = 1;
    AcquireSRWLockShared(&wp_intr_lock);
    for (struct wp_intr *t = wp_intr_head; t && all; t = t->next)
        if (t->target && !((t->mask | t->waiting_mask) & bit))
            all = 0;
    ReleaseSRWLockShared(&wp_intr_lock);
    return all;
}

HANDLE wp_intr_event(const struct wp_intr *t)
{
    return t->ev;
}

/* Waits for one of h[0..n-1] (n < MAXIMUM_WAIT_OBJECTS) or ms (INFINITE: forever): its index,
 * -ETIMEDOUT, or -EINTR once a signal this thread does not block is pending (not delivered: the
 * caller undoes what it started, then delivers). A wake-up whose signal another thread took
 * meanwhile goes back to sleep. */
int wp_intr_wait(const HANDLE *h, DWORD n, DWORD ms)
{
    HANDLE hs[MAXIMUM_WAIT_OBJECTS];
    struct wp_intr *t = wp_intr_self();
    if (!t) { /* no memory for the record: an uninterruptible wait */
        DWORD r = WaitForMultipleObjects(n, h, FALSE, ms);
        return r < WAIT_OBJECT_0 + n ? (int)(r - WAIT_OBJECT_0) : r == WAIT_TIMEOUT ? -ETIMEDOUT : wp_last_error();
    }
    unsigned long long deadline = ms == INFINITE ? 0 : wp_win32_clock_us() + ms * 1000ULL;
    struct wp_intr_waker self = { wp_intr_wake_event, t->ev };
    struct wp_intr_waker *outer = wp_intr_enter(t, &self);
    int r;
    if (n)
        memcpy(hs, h, n * sizeof *h);
    hs[n] = t->ev;
    for (;;) {
        if (wp_intr_pending(t)) {
            r = -EINTR;
            break;
        }
        DWORD left = INFINITE;
        if (ms != INFINITE) {
            unsigned long long now = wp_win32_clock_us();
            left = now >= deadline ? 0 : (DWORD)((deadline - now + 999) / 1000);
        }
        DWORD w = WaitForMultipleObjects(n + 1, hs, FALSE, left);
        if (w < WAIT_OBJECT_0 + n) {
            r = (int)(w - WAIT_OBJECT_0);
            break;
        }
        if (w == WAIT_OBJECT_0 + n)
            continue;
        r = w == WAIT_TIMEOUT ? -ETIMEDOUT : wp_last_error();
        break;
    }
    wp_intr_leave(t, outer);
    return r;
}

/* Runs the handlers of the signals pending for this thread (proc/signal.c's delivery): 0 if none
 * ran, else WP_INTR_RAN, with WP_INTR_NORESTART if one was installed without SA_RESTART. */
int wp_intr_deliver(void)
{
    return wp_intr_deliver_fn ? wp_intr_deliver_fn() : 0;
}
