/* signal.c: dispositions (signal, sigaction), masks (sigprocmask, pthread_sigmask, sigpending,
 * sigsuspend), the waits for a signal (sigsuspend, pause, sigwait, sigtimedwait), raise, the
 * process's pending set, and delivery: a signal's action run in a thread.
 * Where signals come from — the signal thread reading the process's channel, the console,
 * SIGCHLD, alarm, other processes — is sigthread.c's and sigsend.c's; they hand signals in through
 * wp_signal_generate() and wp_signal_dispatch(). What a thread is to a signal (its mask, its own
 * pending set, how to wake it) is base/intr.c's.
 *
 * POSIX delivers a signal to one thread that does not block it, between two instructions.
 * Windows cannot stop a thread there; winpipe delivers at points it controls: a thread asleep in
 * a call a signal may interrupt is woken and runs the handler itself (the call then fails with
 * EINTR or carries on, per SA_RESTART); a thread that raises a signal, unblocks one, or returns
 * from such a call runs what is pending for it; otherwise the signal thread runs the handler, at
 * once, beside the program's threads (compat-docs/signal.md).
 *
 * One disposition per signal, the C runtime's signals included: for SIGINT, SIGILL, SIGFPE,
 * SIGSEGV, SIGTERM, SIGBREAK and SIGABRT the C runtime's own signal() is given a trampoline (or
 * SIG_IGN/SIG_DFL alike), so that its raise(), abort() and fault handling reach the same one. */
#include "winpipe-internal.h"
#include <signal.h>
#include <stdio.h>

struct wp_sigdisp {
    void *handler;            /* SIG_DFL, SIG_IGN, or the sa_handler / sa_sigaction */
    unsigned long long mask;  /* blocked while it runs */
    int flags;                /* SA_* */
};

/* The dispositions, and the process's pending set with each signal's information. The set is
 * also read without the lock (base/intr.c's pending check): it changes only under it. */
static SRWLOCK wp_signal_lock = SRWLOCK_INIT;
static struct wp_sigdisp wp_signal_disp[WP_SIG_MAX + 1];
static volatile LONG64 wp_signal_pending;
static struct wp_sigrec wp_signal_info[WP_SIG_MAX + 1];
static INIT_ONCE wp_signal_once = INIT_ONCE_STATIC_INIT;

#define WP_SIG_BIT(sig) (1ULL << ((sig) - 1))
#define WP_SIG_UNBLOCKABLE (WP_SIG_BIT(SIGKILL) | WP_SIG_BIT(SIGSTOP))

static void __cdecl wp_signal__crt_trampoline(int sig);

static int wp_signal__valid(int sig)
{
    return sig >= 1 && sig <= WP_SIG_MAX;
}

static int wp_signal__crt_knows(int sig)
{
    switch (sig) {
    case SIGINT: case SIGILL: case SIGFPE: case SIGSEGV: case SIGTERM: case SIGBREAK: case SIGABRT:
        return 1;
    default:
        return 0;
    }
}

/* POSIX: the default action of SIGCHLD, SIGCONT, SIGURG and SIGWINCH is to do nothing. */
int wp_signal_ignored_by_default(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static int wp_signal__lowest(unsigned long long set)
{
    for (int sig = 1; sig <= WP_SIG_MAX; sig++)
        if (set & WP_SIG_BIT(sig))
            return sig;
    return 0;
}

/* ---- set-up ---- */

static void wp_signal__crt_follow(int sig);

static BOOL CALLBACK wp_signal__setup(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    static const int crt_sigs[] = { SIGINT, SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGBREAK, SIGABRT };
    (void)once; (void)ctx;
    wp_intr_setup(&wp_signal_pending, wp_signal_deliver, param ? *(unsigned long long *)param : 0);
    for (size_t i = 0; i < sizeof crt_sigs / sizeof crt_sigs[0]; i++)
        wp_signal__crt_follow(crt_sigs[i]);
    return TRUE;
}

static struct wp_intr *wp_signal__self(void)
{
    InitOnceExecuteOnce(&wp_signal_once, wp_signal__setup, NULL, NULL);
    return wp_intr_self();
}

static void wp_signal__take_record(const struct wp_sigrec *rec, struct wp_intr *self);
static int wp_signal__break_sig(void);

/* At start-up, in the thread that starts the process (a DLL's: the one that loads it), which is
 * known from now on, with the mask a winpipe parent gave it: the signals that parent ignored
 * stay ignored, the C runtime's signals follow winpipe's dispositions, and the signal thread
 * runs, even in a program that never calls a signal function. */
static void wp_signal__inherit_ignored(unsigned long long set);

__attribute__((constructor)) static void wp_signal__start(void)
{
    unsigned long long mask = 0, ignored = 0;
    wp_inherit_signals(&mask, &ignored);
    InitOnceExecuteOnce(&wp_signal_once, wp_signal__setup, &mask, NULL);
    wp_intr_self();
    wp_signal__inherit_ignored(ignored);
    wp_sigthread_start(wp_signal__take_record, wp_signal_generate, wp_signal__break_sig);
}

/* ---- dispositions ---- */

/* Caller holds the lock. */
static int wp_signal__ignored_locked(int sig)
{
    void *h = wp_signal_disp[sig].handler;
    return h == (void *)SIG_IGN || (h == (void *)SIG_DFL && wp_signal_ignored_by_default(sig));
}

/* The C runtime's disposition follows winpipe's. A fault's SIG_DFL stays the runtime's own (the
 * process ends with the exception's code, which waitpid reports as the signal); every other
 * signal reaches winpipe's action through the trampoline, even at SIG_DFL, so that the runtime's
 * raise(SIGTERM) or abort() end the process by the signal as Linux does, not with exit code 3;
 * SIGABRT, as abort() needs, even when ignored. */
static void wp_signal__crt_follow(int sig)
{
    if (!wp_signal__crt_knows(sig))
        return;
    AcquireSRWLockShared(&wp_signal_lock);
    void *h = wp_signal_disp[sig].handler;
    ReleaseSRWLockShared(&wp_signal_lock);
    int fault = sig == SIGSEGV || sig == SIGFPE || sig == SIGILL;
    if (h == (void *)SIG_DFL && fault)
        signal(sig, SIG_DFL);
    else if (h == (void *)SIG_IGN && sig != SIGABRT)
        signal(sig, SIG_IGN);
    else
        signal(sig, wp_signal__crt_trampoline);
}

/* POSIX: setting a pending signal's action to ignore it discards it. */
static void wp_signal__discard_locked(int sig)
{
    InterlockedAnd64(&wp_signal_pending, ~(LONG64)WP_SIG_BIT(sig));
    wp_intr_discard(sig);
}

static void wp_signal__set_locked(int sig, void *handler, unsigned long long mask, int flags)
{
    wp_signal_disp[sig].handler = handler;
    wp_signal_disp[sig].mask = mask & ~WP_SIG_UNBLOCKABLE;
    wp_signal_disp[sig].flags = flags;
    if (wp_signal__ignored_locked(sig))
        wp_signal__discard_locked(sig);
}

static int wp_sigaction(int sig, const struct winpipe_sigaction *act,
                        struct winpipe_sigaction *old)
{
    if (!wp_signal__valid(sig) || (act && (sig == SIGKILL || sig == SIGSTOP)))
        return -EINVAL; /* POSIX: they can be neither caught nor ignored (but asked about) */
    wp_signal__self();
    AcquireSRWLockExclusive(&wp_signal_lock);
    struct wp_sigdisp prev = wp_signal_disp[sig];
    if (act)
        wp_signal__set_locked(sig, (void *)act->sa_handler, act->sa_mask, act->sa_flags);
    ReleaseSRWLockExclusive(&wp_signal_lock);
    if (act)
        wp_signal__crt_follow(sig);
    if (old) {
        memset(old, 0, sizeof *old);
        old->sa_handler = (winpipe_sighandler_t)prev.handler;
        old->sa_mask = prev.mask;
        old->sa_flags = prev.flags;
    }
    return 0;
}

int winpipe_sigaction(int sig, const struct winpipe_sigaction *act, struct winpipe_sigaction *old)
{
    return (int)wp_trace_ret(wp_ret(wp_sigaction(sig, act, old)),
                             "sigaction(%d, 0x%llx (0x%llx, %#x), 0x%llx)", sig, WP_TRACE_PTR(act),
                             act ? WP_TRACE_PTR(act->sa_handler) : 0ULL,
                             act ? (unsigned)act->sa_flags : 0u, WP_TRACE_PTR(old));
}

/* The signals siginterrupt() last said should interrupt calls (glibc's _sigintr): signal()
 * installs their handlers without SA_RESTART. */
static volatile LONG64 wp_signal_interrupting;

/* glibc's signal() has BSD semantics: the handler stays installed, the signal is blocked while
 * it runs, and interrupted calls restart (SA_RESTART) unless siginterrupt() said otherwise.
 * (msvcrt's resets it to SIG_DFL.) */
static winpipe_sighandler_t wp_signal(int sig, winpipe_sighandler_t handler)
{
    struct winpipe_sigaction act, old;
    if (handler == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    int interrupting = wp_signal__valid(sig)
                       && ((unsigned long long)wp_signal_interrupting & WP_SIG_BIT(sig));
    act.sa_flags = interrupting ? 0 : SA_RESTART;
    int r = wp_sigaction(sig, &act, &old);
    if (r < 0) {
        errno = -r;
        return SIG_ERR;
    }
    return old.sa_handler;
}

winpipe_sighandler_t winpipe_signal(int sig, winpipe_sighandler_t handler)
{
    winpipe_sighandler_t old = wp_signal(sig, handler);
    wp_trace_ret(old == SIG_ERR ? -1 : 0, "signal(%d, 0x%llx)", sig, WP_TRACE_PTR(handler));
    return old;
}

/* POSIX (XSI, marked obsolete): siginterrupt(sig, 1) makes calls interrupted by sig's handler
 * fail with EINTR (SA_RESTART off), siginterrupt(sig, 0) makes them carry on; the handler is
 * kept, and so is the choice for a later signal(). EINVAL for what sigaction refuses (an unknown
 * signal, SIGKILL, SIGSTOP), as glibc, which builds it from sigaction too. */
static int wp_siginterrupt(int sig, int flag)
{
    struct winpipe_sigaction act;
    int r = wp_sigaction(sig, NULL, &act);
    if (r < 0)
        return r;
    if (flag) {
        InterlockedOr64(&wp_signal_interrupting, (LONG64)WP_SIG_BIT(sig));
        act.sa_flags &= ~SA_RESTART;
    } else {
        InterlockedAnd64(&wp_signal_interrupting, (LONG64)~WP_SIG_BIT(sig));
        act.sa_flags |= SA_RESTART;
    }
    return wp_sigaction(sig, &act, NULL);
}

int winpipe_siginterrupt(int sig, int flag)
{
    return (int)wp_trace_ret(wp_ret(wp_siginterrupt(sig, flag)), "siginterrupt(%d, %d)", sig, flag);
}

/* What a child's end does (wait.c). POSIX: with SIGCHLD ignored or SA_NOCLDWAIT the child is
 * reaped by itself; Linux sends no SIGCHLD when it is ignored, and sends it with SA_NOCLDWAIT. */
int wp_signal_child_action(void)
{
    AcquireSRWLockShared(&wp_signal_lock);
    struct wp_sigdisp d = wp_signal_disp[SIGCHLD];
    ReleaseSRWLockShared(&wp_signal_lock);
    if (d.handler == (void *)SIG_IGN)
        return WP_CHILD_AUTOREAP;
    return WP_CHILD_NOTIFY | ((d.flags & SA_NOCLDWAIT) ? WP_CHILD_AUTOREAP : 0);
}

/* What a child of posix_spawn starts with (base/inherit.c carries it): POSIX's exec keeps the
 * caller's mask and the signals it ignores (a handler becomes SIG_DFL); POSIX_SPAWN_SETSIGMASK
 * gives the mask, POSIX_SPAWN_SETSIGDEF sets the signals it names back to SIG_DFL. */
void wp_signal_spawn_state(const winpipe_posix_spawnattr_t *attr, unsigned long long *mask,
                           unsigned long long *ignored)
{
    struct wp_intr *t = wp_signal__self();
    short flags = attr ? attr->flags : 0;
    *mask = (flags & WINPIPE_POSIX_SPAWN_SETSIGMASK) ? (unsigned long long)attr->sigmask
            : t ? wp_intr_mask(t) : 0;
    *mask &= ~WP_SIG_UNBLOCKABLE;
    *ignored = 0;
    AcquireSRWLockShared(&wp_signal_lock);
    for (int sig = 1; sig <= WP_SIG_MAX; sig++)
        if (wp_signal_disp[sig].handler == (void *)SIG_IGN)
            *ignored |= WP_SIG_BIT(sig);
    ReleaseSRWLockShared(&wp_signal_lock);
    if (flags & WINPIPE_POSIX_SPAWN_SETSIGDEF)
        *ignored &= ~(unsigned long long)attr->sigdefault;
}

/* At start-up: what a winpipe parent ignored (and did not ask reset) stays ignored. */
static void wp_signal__inherit_ignored(unsigned long long set)
{
    for (int sig = 1; sig <= WP_SIG_MAX; sig++) {
        if (!(set & WP_SIG_BIT(sig)) || sig == SIGKILL || sig == SIGSTOP)
            continue;
        AcquireSRWLockExclusive(&wp_signal_lock);
        wp_signal__set_locked(sig, (void *)SIG_IGN, 0, 0);
        ReleaseSRWLockExclusive(&wp_signal_lock);
        wp_signal__crt_follow(sig);
    }
}

/* ---- actions ---- */

/* POSIX: a signal whose default action ends the process ends it "by the signal", without atexit
 * handlers or stdio flushing. Windows has no such thing: the process ends with an exit code that
 * winpipe's waitpid() reports as WIFSIGNALED. Bytes already reported written stay: the kernel
 * keeps them on Linux, so winpipe waits for its write-behinds first. */
static void wp_signal__exit(int sig)
{
    wp_wb_flush(0);
    TerminateProcess(GetCurrentProcess(), WINPIPE_SIGNAL_EXIT_CODE(sig));
}

static void wp_signal__call(const struct wp_sigdisp *d, const struct wp_sigrec *rec)
{
    if (!(d->flags & SA_SIGINFO)) {
        ((void (*)(int))d->handler)(rec->sig);
        return;
    }
    winpipe_siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = rec->sig;
    si.si_code = rec->code;
    si.si_pid = rec->pid;
    si.si_status = rec->status;
    ((void (*)(int, winpipe_siginfo_t *, void *))d->handler)(rec->sig, &si, NULL);
}

/* sig's action in thread t, whose mask let it through: its handler (with sa_mask, and sig
 * itself unless SA_NODEFER, blocked meanwhile), nothing, or its default action. WP_INTR_RAN when
 * a handler ran, with WP_INTR_NORESTART if it was installed without SA_RESTART. */
static int wp_signal__act(struct wp_intr *t, const struct wp_sigrec *rec)
{
    int sig = rec->sig, reset = 0;
    AcquireSRWLockExclusive(&wp_signal_lock);
    struct wp_sigdisp d = wp_signal_disp[sig];
    if (d.handler != (void *)SIG_DFL && d.handler != (void *)SIG_IGN
        && (d.flags & SA_RESETHAND)) {
        wp_signal__set_locked(sig, (void *)SIG_DFL, 0, 0); /* POSIX: reset on entry */
        reset = 1;
    }
    ReleaseSRWLockExclusive(&wp_signal_lock);
    if (reset)
        wp_signal__crt_follow(sig);
    if (d.handler == (void *)SIG_IGN)
        return 0;
    if (d.handler == (void *)SIG_DFL) {
        /* SIGSTOP and SIGTSTP would stop the process, which Windows cannot do */
        if (!wp_signal_ignored_by_default(sig) && sig != SIGSTOP && sig != SIGTSTP)
            wp_signal__exit(sig);
        return 0;
    }
    unsigned long long during = d.mask | ((d.flags & SA_NODEFER) ? 0 : WP_SIG_BIT(sig));
    unsigned long long saved = wp_intr_set_mask(t, wp_intr_mask(t) | during, 0);
    wp_signal__call(&d, rec);
    /* POSIX: the mask the handler found is back when it returns, whatever it did to it. */
    wp_intr_set_mask(t, saved, 0);
    return WP_INTR_RAN | ((d.flags & SA_RESTART) ? 0 : WP_INTR_NORESTART);
}

/* Takes the lowest signal of allowed pending for t: its own first, then the process's. 0: none. */
static int wp_signal__take_of(struct wp_intr *t, unsigned long long allowed, struct wp_sigrec *rec)
{
    int sig = wp_signal__lowest(wp_intr_own_pending(t) & allowed);
    memset(rec, 0, sizeof *rec);
    if (sig && wp_intr_take(t, sig, &rec->code)) {
        rec->sig = sig;
        rec->pid = (int32_t)GetCurrentProcessId();
        return sig;
    }
    AcquireSRWLockExclusive(&wp_signal_lock);
    sig = wp_signal__lowest((unsigned long long)wp_signal_pending & allowed);
    if (sig) {
        InterlockedAnd64(&wp_signal_pending, ~(LONG64)WP_SIG_BIT(sig));
        *rec = wp_signal_info[sig];
    }
    ReleaseSRWLockExclusive(&wp_signal_lock);
    return sig;
}

/* Takes the lowest signal pending for t that t does not block. 0: none. */
static int wp_signal__take(struct wp_intr *t, struct wp_sigrec *rec)
{
    return wp_signal__take_of(t, ~wp_intr_mask(t), rec);
}

/* Runs, in this thread, the action of every signal pending for it that it does not block (what
 * Linux does on the way back from a system call). WP_INTR_RAN / WP_INTR_NORESTART as act. */
int wp_signal_deliver(void)
{
    struct wp_intr *t = wp_intr_peek();
    struct wp_sigrec rec;
    int r = 0;
    if (!t)
        return 0;
    while (wp_intr_pending(t) && wp_signal__take(t, &rec))
        r |= wp_signal__act(t, &rec);
    return r;
}

/* ---- generation: a signal for the process ---- */

/* Makes rec's signal pending for the process; 0 if it is discarded instead (ignored, and not
 * blocked by every thread: Linux keeps a blocked ignored signal pending, also one a sigwait set
 * aside its block for). Standard signals do not queue: a signal already pending keeps its first
 * information. */
int wp_signal_generate(const struct wp_sigrec *rec)
{
    int sig = rec->sig;
    if (!wp_signal__valid(sig))
        return 0;
    /* set up, but the calling thread is not made known: it may be the pool's (wp_signal_send) */
    InitOnceExecuteOnce(&wp_signal_once, wp_signal__setup, NULL, NULL);
    AcquireSRWLockExclusive(&wp_signal_lock);
    int keep = !wp_signal__ignored_locked(sig) || wp_intr_blocked_by_all(sig);
    if (keep && !(wp_signal_pending & WP_SIG_BIT(sig))) {
        wp_signal_info[sig] = *rec;
        InterlockedOr64(&wp_signal_pending, (LONG64)WP_SIG_BIT(sig));
    }
    ReleaseSRWLockExclusive(&wp_signal_lock);
    return keep;
}

/* On the signal thread (self: its record): hands sig, pending for the process, to a thread —
 * wakes one that sleeps interruptibly and does not block it; or, when the threads that do not
 * block it are busy elsewhere, runs its action here, now; or, while every thread blocks it,
 * leaves it pending. */
void wp_signal_dispatch(struct wp_intr *self, int sig)
{
    if (!wp_signal__valid(sig) || wp_intr_wake_one(sig) != WP_INTR_AWAKE)
        return;
    struct wp_sigrec rec;
    AcquireSRWLockExclusive(&wp_signal_lock);
    int mine = (wp_signal_pending & WP_SIG_BIT(sig)) != 0;
    if (mine) {
        InterlockedAnd64(&wp_signal_pending, ~(LONG64)WP_SIG_BIT(sig));
        rec = wp_signal_info[sig];
    }
    ReleaseSRWLockExclusive(&wp_signal_lock);
    if (mine)
        wp_signal__act(self, &rec);
}

/* A signal for the process from a thread that takes none (a thread-pool callback: a child's
 * end, wait.c): made pending here, and a thread asleep in an interruptible call that does not
 * block it is woken at once, as the signal thread would. Only when none sleeps does the signal
 * thread get it, to run its action there: the channel's hop is spent on no other case. 0, or
 * -E… when the signal thread could not be reached (the signal stays pending). */
int wp_signal_send(const struct wp_sigrec *rec)
{
    if (!wp_signal_generate(rec) || wp_intr_wake_one(rec->sig) != WP_INTR_AWAKE)
        return 0;
    struct wp_sigrec again = *rec;
    again.sig = -rec->sig;
    return wp_sigthread_post(&again);
}

/* Hands a record to the signal thread; 0, or -E… if there is none. */
static int wp_signal__post(int sig, int code)
{
    struct wp_sigrec rec = { sig, code, (int32_t)GetCurrentProcessId(), 0 };
    return wp_sigthread_post(&rec);
}

/* The signal thread's taker: a record from the channel. A negative signal was pending already
 * and is to be handed out again (a thread that was woken for it blocks it now). */
static void wp_signal__take_record(const struct wp_sigrec *rec, struct wp_intr *self)
{
    if (rec->sig < 0)
        wp_signal_dispatch(self, -rec->sig);
    else if (wp_signal_generate(rec))
        wp_signal_dispatch(self, rec->sig);
}

/* Ctrl-Break: mingw's SIGBREAK if the program gave it an action, else SIGINT (sigthread.c). */
static int wp_signal__break_sig(void)
{
    AcquireSRWLockShared(&wp_signal_lock);
    int own = wp_signal_disp[SIGBREAK].handler != (void *)SIG_DFL;
    ReleaseSRWLockShared(&wp_signal_lock);
    return own ? SIGBREAK : SIGINT;
}

/* ---- masks ---- */

/* Signals of set pending for the process, which this thread may have been woken for and now
 * blocks, go to the signal thread to be handed out again (to a thread that does not block them). */
static void wp_signal__hand_on(unsigned long long set)
{
    unsigned long long again = set & (unsigned long long)wp_signal_pending;
    for (int sig = 1; again && sig <= WP_SIG_MAX; sig++)
        if (again & WP_SIG_BIT(sig))
            wp_signal__post(-sig, 0);
}

static void wp_signal__set_mask(struct wp_intr *t, unsigned long long mask, int base)
{
    mask &= ~WP_SIG_UNBLOCKABLE;
    unsigned long long old = wp_intr_set_mask(t, mask, base);
    wp_signal__hand_on(mask & ~old);
}

/* What a call that sets a mask for its wait (ppoll, pselect, sigsuspend) puts back. */
void wp_signal_restore_mask(struct wp_intr *t, unsigned long long mask)
{
    wp_signal__set_mask(t, mask, 0);
}

/* The mask for the wait of ppoll, pselect or sigsuspend, which the caller sleeps in (inside
 * wp_intr_enter/leave) before it is set: a signal it unblocks can only wake it. Returns the old. */
unsigned long long wp_signal_wait_mask(struct wp_intr *t, unsigned long long mask)
{
    return wp_intr_set_mask(t, mask & ~WP_SIG_UNBLOCKABLE, 0);
}

static int wp_sigmask(int how, const _sigset_t *set, _sigset_t *old)
{
    struct wp_intr *t = wp_signal__self();
    if (!t)
        return -ENOMEM;
    unsigned long long cur = wp_intr_mask(t), mask;
    if (set) {
        if (how == SIG_BLOCK)
            mask = cur | *set;
        else if (how == SIG_UNBLOCK)
            mask = cur & ~*set;
        else if (how == SIG_SETMASK)
            mask = *set;
        else
            return -EINVAL;
        wp_signal__set_mask(t, mask, 1);
    }
    if (old)
        *old = cur;
    /* POSIX: a pending signal it unblocked is delivered before sigprocmask returns. */
    wp_signal_deliver();
    return 0;
}

int winpipe_sigprocmask(int how, const _sigset_t *set, _sigset_t *old)
{
    return (int)wp_trace_ret(wp_ret(wp_sigmask(how, set, old)), "sigprocmask(%d, %#llx, 0x%llx)",
                             how, set ? (unsigned long long)*set : 0ULL, WP_TRACE_PTR(old));
}

int winpipe_pthread_sigmask(int how, const _sigset_t *set, _sigset_t *old)
{
    return wp_trace_err(-wp_sigmask(how, set, old), "pthread_sigmask(%d, %#llx, 0x%llx)", how,
                        set ? (unsigned long long)*set : 0ULL, WP_TRACE_PTR(old));
}

static int wp_sigpending(_sigset_t *set)
{
    struct wp_intr *t = wp_signal__self();
    if (!t)
        return -ENOMEM;
    *set = ((unsigned long long)wp_signal_pending | wp_intr_own_pending(t)) & wp_intr_mask(t);
    return 0;
}

int winpipe_sigpending(_sigset_t *set)
{
    return (int)wp_trace_ret(wp_ret(wp_sigpending(set)), "sigpending(0x%llx)", WP_TRACE_PTR(set));
}

/* POSIX: sleeps with the given mask until a signal's handler has run, then fails with EINTR. */
static int wp_sigsuspend(const _sigset_t *mask)
{
    struct wp_intr *t = wp_signal__self();
    if (!t)
        return -ENOMEM;
    HANDLE ev = wp_intr_event(t);
    struct wp_intr_waker w = { wp_intr_wake_event, ev };
    struct wp_intr_waker *outer = wp_intr_enter(t, &w);
    unsigned long long saved = wp_signal_wait_mask(t, *mask);
    while (!(wp_signal_deliver() & WP_INTR_RAN))
        WaitForSingleObject(ev, INFINITE);
    wp_signal_restore_mask(t, saved);
    wp_intr_leave(t, outer);
    return -EINTR;
}

int winpipe_sigsuspend(const _sigset_t *mask)
{
    return (int)wp_trace_ret(wp_ret(wp_sigsuspend(mask)), "sigsuspend(%#llx)",
                             (unsigned long long)*mask);
}

/* pause(): sigsuspend with the mask the thread has. */
int winpipe_pause(void)
{
    struct wp_intr *t = wp_signal__self();
    _sigset_t mask = t ? (_sigset_t)wp_intr_mask(t) : 0;
    int r = t ? wp_sigsuspend(&mask) : -ENOMEM;
    return (int)wp_trace_ret(wp_ret(r), "pause()");
}

/* ---- sigwait: a signal taken rather than delivered ---- */

/* One sleep of sigtimedwait with want let through: a signal of want taken (rec filled); -EINTR
 * once another signal the thread lets through is pending (not acted on: the caller does that
 * with its own mask back); -EAGAIN once due (0: none) has passed. POSIX says the caller blocks
 * want; Linux lets it through for the wait, so the waiting thread is the one woken, and counts
 * what the caller blocked as blocked meanwhile (real_blocked), so an ignored signal of want is
 * kept for the wait rather than discarded. Returns with the caller's mask back. */
static int wp_sigwait__sleep(struct wp_intr *t, unsigned long long want, struct wp_sigrec *rec,
                             unsigned long long due)
{
    HANDLE ev = wp_intr_event(t);
    unsigned long long caller = wp_intr_mask(t);
    wp_intr_set_wait_masks(t, caller & ~want & ~WP_SIG_UNBLOCKABLE, caller);
    int r;
    for (;;) {
        if (wp_signal__take_of(t, want, rec)) {
            r = rec->sig;
            break;
        }
        if (wp_intr_pending(t)) {
            r = -EINTR;
            break;
        }
        unsigned long long now = wp_win32_clock_us();
        if (due && now >= due) {
            r = -EAGAIN;
            break;
        }
        unsigned long long ms = !due ? INFINITE : (due - now + 999) / 1000;
        WaitForSingleObject(ev, ms >= INFINITE ? INFINITE - 1 : (DWORD)ms);
    }
    wp_intr_set_wait_masks(t, caller, 0);
    return r;
}

/* Linux's sigtimedwait: the first signal of set to be pending is taken, its handler not run.
 * Woken by another signal, Linux puts the caller's mask back, looks at set once more, and runs
 * that signal's action on the way out: a handler's ends the call with EINTR (never restarted,
 * SA_RESTART or not); winpipe lets an action that is none (the signal ignored meanwhile) wait
 * on, where Linux would answer EINTR. A zero time-out never sleeps: EAGAIN, the other signal's
 * action on the way out. SIGKILL and SIGSTOP in set are left out, as Linux does. us: the
 * time-out (0: look once; ~0ULL: none). */
static int wp_sigwait__timed(const _sigset_t *set, struct wp_sigrec *rec, unsigned long long us)
{
    struct wp_intr *t = wp_signal__self();
    if (!t)
        return -ENOMEM;
    unsigned long long want = (unsigned long long)*set & ~WP_SIG_UNBLOCKABLE;
    /* us == 0: look once (due is now, already passed when looked at) */
    unsigned long long due = us == ~0ULL ? 0 : wp_win32_clock_us() + us;
    struct wp_intr_waker w = { wp_intr_wake_event, wp_intr_event(t) };
    struct wp_intr_waker *outer = wp_intr_enter(t, &w);
    int r;
    while ((r = wp_sigwait__sleep(t, want, rec, due)) == -EINTR) {
        if (wp_signal__take_of(t, want, rec)) {
            r = rec->sig;
            break;
        }
        int ran = wp_signal_deliver();
        if (us == 0) {
            r = -EAGAIN;
            break;
        }
        if (ran & WP_INTR_RAN)
            break;
    }
    /* only now: a signal of the set handed on before the look above could have gone elsewhere */
    wp_signal__hand_on(want & wp_intr_mask(t));
    wp_intr_leave(t, outer);
    return r;
}

/* Linux: EINVAL for a time-out with tv_nsec outside [0, 1e9) or a negative tv_sec. */
static int wp_sigwait__timeout_us(const struct timespec *ts, unsigned long long *us)
{
    if (!ts) {
        *us = ~0ULL;
        return 0;
    }
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
        return -EINVAL;
    unsigned long long sec = (unsigned long long)ts->tv_sec;
    /* beyond 30 years: as good as none, and no sum below can wrap */
    *us = sec > 1000000000ULL ? ~0ULL : sec * 1000000ULL + (ts->tv_nsec + 999) / 1000;
    return 0;
}

static int wp_sigtimedwait(const _sigset_t *set, winpipe_siginfo_t *info,
                           const struct timespec *ts)
{
    struct wp_sigrec rec;
    unsigned long long us;
    if (!set)
        return -EFAULT;
    int r = wp_sigwait__timeout_us(ts, &us);
    if (r < 0 || (r = wp_sigwait__timed(set, &rec, us)) < 0)
        return r;
    if (info) {
        memset(info, 0, sizeof *info);
        info->si_signo = rec.sig;
        /* glibc folds the kernel's SI_TKILL (raise's tgkill) into SI_USER here, and here only:
         * a handler still sees SI_TKILL */
        info->si_code = rec.code == SI_TKILL ? SI_USER : rec.code;
        info->si_pid = rec.pid;
        info->si_status = rec.status;
    }
    return r;
}

int winpipe_sigtimedwait(const _sigset_t *set, winpipe_siginfo_t *info, const struct timespec *ts)
{
    int r = wp_sigtimedwait(set, info, ts);
    wp_signal_deliver(); /* what the wait let through and the mask now lets through */
    return (int)wp_trace_ret(wp_ret(r), "sigtimedwait(0x%llx, 0x%llx, 0x%llx)",
                             WP_TRACE_PTR(set), WP_TRACE_PTR(info), WP_TRACE_PTR(ts));
}

int winpipe_sigwaitinfo(const _sigset_t *set, winpipe_siginfo_t *info)
{
    return winpipe_sigtimedwait(set, info, NULL);
}

/* POSIX: an error number, not -1 and errno; glibc's waits again after a handler's EINTR. */
int winpipe_sigwait(const _sigset_t *set, int *sig)
{
    int r;
    do
        r = wp_sigtimedwait(set, NULL, NULL);
    while (r == -EINTR);
    wp_signal_deliver();
    if (r > 0 && sig)
        *sig = r;
    return wp_trace_err(r < 0 ? -r : 0, "sigwait(0x%llx, 0x%llx) -> %d", WP_TRACE_PTR(set),
                        WP_TRACE_PTR(sig), r);
}

/* ---- raise ---- */

/* A signal for this thread alone (raise, SIGPIPE): its action runs here before the call returns,
 * unless the thread blocks it (then it stays pending for the thread). */
static int wp_signal__raise(int sig, int code)
{
    if (sig == 0)
        return 0; /* the null signal: nothing to deliver (POSIX; Linux returns 0) */
    if (!wp_signal__valid(sig))
        return -EINVAL;
    if (sig == SIGSTOP || sig == SIGTSTP)
        return -EINVAL; /* their default stops the process, which Windows cannot do */
    struct wp_intr *t = wp_signal__self();
    if (!t)
        return -ENOMEM;
    AcquireSRWLockShared(&wp_signal_lock);
    int discard = wp_signal__ignored_locked(sig) && !(wp_intr_mask(t) & WP_SIG_BIT(sig));
    ReleaseSRWLockShared(&wp_signal_lock);
    if (!discard) {
        wp_intr_raise(t, sig, code);
        wp_signal_deliver();
    }
    return 0;
}

int wp_signal_raise(int sig)
{
    return wp_signal__raise(sig, SI_TKILL);
}

int winpipe_raise(int sig)
{
    return (int)wp_trace_ret(wp_ret(wp_signal_raise(sig)), "raise(%d)", sig);
}

/* POSIX: a write to a pipe without a reader sends SIGPIPE to the thread that wrote. */
void wp_signal_pipe(void)
{
    wp_signal__raise(SIGPIPE, SI_USER);
}

/* kill() of this process: a signal for the process, delivered to the calling thread before
 * kill returns if it does not block it (POSIX), else handed to the signal thread. */
int wp_signal_kill_self(int sig)
{
    struct wp_sigrec rec = { sig, SI_USER, (int32_t)GetCurrentProcessId(), 0 };
    if (sig == 0)
        return 0;
    if (!wp_signal__valid(sig) || sig == SIGSTOP || sig == SIGTSTP)
        return -EINVAL;
    struct wp_intr *t = wp_signal__self();
    if (!t)
        return -ENOMEM;
    if (!wp_signal_generate(&rec))
        return 0;
    if (!(wp_intr_mask(t) & WP_SIG_BIT(sig)))
        wp_signal_deliver();
    else
        wp_signal__post(-sig, 0); /* to a thread that does not block it */
    return 0;
}

/* The C runtime called a handler: its raise() or abort(), a fault (through mingw's exception
 * filter), or — SIGINT and SIGBREAK — its console handler, on a thread of the system's. Faults
 * and abort cannot wait: their action runs now, mask or not (Linux ends a process whose fault
 * signal is blocked), and abort() ends the process by SIGABRT once a handler returns (POSIX).
 * The console's Ctrl-C is for the process, like any other source. */
static void __cdecl wp_signal__crt_trampoline(int sig)
{
    wp_signal__crt_follow(sig); /* the C runtime reset it to SIG_DFL before the call */
    if ((sig == SIGINT || sig == SIGBREAK) && !wp_intr_peek()) {
        wp_signal__post(sig, SI_KERNEL);
        return;
    }
    if (sig == SIGINT || sig == SIGBREAK || sig == SIGTERM) {
        wp_signal__raise(sig, SI_TKILL);
        return;
    }
    struct wp_intr *t = wp_signal__self();
    struct wp_sigrec rec = { sig, sig == SIGABRT ? SI_TKILL : SI_KERNEL,
                             (int32_t)GetCurrentProcessId(), 0 };
    if (t)
        wp_signal__act(t, &rec);
    if (sig == SIGABRT)
        wp_signal__exit(SIGABRT);
}

/* ---- names ---- */

/* glibc's descriptions, under mingw's numbers where they differ (6 and 22 are both SIGABRT,
 * 21 SIGBREAK). */
static const char *const wp_signal_names[WP_SIG_MAX + 1] = {
    [SIGHUP] = "Hangup", [SIGINT] = "Interrupt", [SIGQUIT] = "Quit",
    [SIGILL] = "Illegal instruction", [SIGTRAP] = "Trace/breakpoint trap",
    [SIGABRT_COMPAT] = "Aborted", [SIGBUS] = "Bus error",
    [SIGFPE] = "Floating point exception", [SIGKILL] = "Killed",
    [SIGUSR1] = "User defined signal 1", [SIGSEGV] = "Segmentation fault",
    [SIGUSR2] = "User defined signal 2", [SIGPIPE] = "Broken pipe", [SIGALRM] = "Alarm clock",
    [SIGTERM] = "Terminated", [16] = "Stack fault", [SIGCHLD] = "Child exited",
    [SIGCONT] = "Continued", [SIGSTOP] = "Stopped (signal)", [SIGTSTP] = "Stopped",
    [SIGBREAK] = "Break", [SIGABRT] = "Aborted", [SIGURG] = "Urgent I/O condition",
    [SIGXCPU] = "CPU time limit exceeded", [SIGXFSZ] = "File size limit exceeded",
    [SIGVTALRM] = "Virtual timer expired", [SIGPROF] = "Profiling timer expired",
    [SIGWINCH] = "Window changed", [SIGIO] = "I/O possible", [SIGPWR] = "Power failure",
    [SIGSYS] = "Bad system call",
};

/* glibc's SIGRTMIN is 34: "Real-time signal 0" up to 30, made once. */
static char wp_signal_rt_names[WP_SIG_MAX - 34 + 1][24];
static INIT_ONCE wp_signal_rt_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wp_signal__rt_names(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once; (void)param; (void)ctx;
    for (int sig = 34; sig <= WP_SIG_MAX; sig++)
        snprintf(wp_signal_rt_names[sig - 34], sizeof wp_signal_rt_names[0],
                 "Real-time signal %d", sig - 34);
    return TRUE;
}

/* POSIX lets the next call overwrite strsignal's string: that of a number that is no signal. */
char *winpipe_strsignal(int sig)
{
    static char unknown[32];
    if (sig >= 1 && sig <= WP_SIG_MAX && wp_signal_names[sig])
        return (char *)wp_signal_names[sig];
    if (sig >= 34 && sig <= WP_SIG_MAX) {
        InitOnceExecuteOnce(&wp_signal_rt_once, wp_signal__rt_names, NULL, NULL);
        return wp_signal_rt_names[sig - 34];
    }
    snprintf(unknown, sizeof unknown, "Unknown signal %d", sig);
    return unknown;
}

void winpipe_psignal(int sig, const char *s)
{
    if (s && *s)
        fprintf(stderr, "%s: %s\n", s, winpipe_strsignal(sig));
    else
        fprintf(stderr, "%s\n", winpipe_strsignal(sig));
}
