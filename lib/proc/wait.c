/* wait.c: the child table (pid → process handle) that posix_spawn fills, and waitpid() and
 * wait() over it; kill.c asks it which children a pid names. A child is reaped exactly once: its
 * entry leaves the table under the lock, and its handle is closed when the last waiter blocked
 * on it has let go. A child's end sends SIGCHLD (signal.c), and, with SIGCHLD ignored or
 * SA_NOCLDWAIT, reaps it at once. */
#include "winpipe-internal.h"
#include <limits.h>
#include <signal.h>

struct wp_child {
    DWORD pid;
    HANDLE h;
    HANDLE wait;    /* thread-pool wait: marks the child exited and wakes waitpid(-1); NULL if
                     * it could not be registered (waitpid then asks the child itself) */
    DWORD pgid;     /* the process group it was started in (pgroup.c) */
    int own_group;  /* started in a console process group of its own (kill.c's Ctrl-Break) */
    int exited;     /* set by the thread-pool wait */
    int reaped;     /* out of the table */
    int refs;       /* waitpid(pid) calls blocked on h; the table lock guards it */
    struct wp_pidfd_reap *reap; /* its pidfds' "reaped" mark, once one was opened (NULL) */
    struct wp_child *next;
    unsigned long long key;     /* its thread-pool wait's callback finds it by this */
    struct wp_child *live_next; /* on wp_wait_live until destroyed */
};

static SRWLOCK wp_wait_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE wp_wait_cv = CONDITION_VARIABLE_INIT;
static struct wp_child *wp_children;
/* Every child not yet destroyed, reaped or not, and the last key given; the lock guards both. */
static struct wp_child *wp_wait_live;
static unsigned long long wp_wait_last_key;

/* ---- status words ---- */

/* Linux's wait status for a Windows exit code. POSIX says a process ended by a signal reports
 * WIFSIGNALED; Windows has exit codes only: winpipe's signal code, and the NTSTATUS of an
 * exception nobody handled, become the signal Linux would have sent. */
static int wp_wait__signal(DWORD code)
{
    if ((code & 0xffffff00u) == WINPIPE_SIGNAL_EXIT_CODE(0) && (code & 0x7f) != 0
        && (code & 0xff) < 0x7f)
        return code & 0x7f;
    switch (code) {
    case 0xC0000005: /* access violation */
    case 0xC0000006: /* in-page error */
    case 0xC00000FD: /* stack overflow */
    case 0xC000008C: /* array bounds exceeded */
        return SIGSEGV;
    case 0xC000001D: /* illegal instruction */
    case 0xC0000096: /* privileged instruction */
        return SIGILL;
    case 0xC000008D: case 0xC000008E: case 0xC000008F: case 0xC0000090: case 0xC0000091:
    case 0xC0000092: case 0xC0000093: /* floating-point faults */
    case 0xC0000094: /* integer divide by zero */
    case 0xC0000095: /* integer overflow */
        return SIGFPE;
    case 0xC000013A: /* STATUS_CONTROL_C_EXIT: the default Ctrl-C/Ctrl-Break action */
        return SIGINT;
    case 0xC0000409: /* fail-fast (UCRT's abort) */
    case 0xC0000374: /* heap corruption */
        return SIGABRT;
    case 0x80000003: /* breakpoint */
        return 5;    /* SIGTRAP */
    default:
        return 0;
    }
}

uint32_t wp_wait_status(DWORD code)
{
    int sig = wp_wait__signal(code);
    return sig ? (uint32_t)sig : (code & 0xff) << 8;
}

/* ---- the table ---- */

static void wp_wait__destroy(struct wp_child *c, int in_callback);

/* SIGCHLD's information for a child that ended: how (CLD_EXITED or CLD_KILLED) and its exit
 * status or the signal. */
static struct wp_sigrec wp_wait__sigchld(DWORD pid, DWORD code)
{
    int sig = wp_wait__signal(code);
    struct wp_sigrec rec = { SIGCHLD, sig ? CLD_KILLED : CLD_EXITED, (int32_t)pid,
                             sig ? sig : (int32_t)(code & 0xff) };
    return rec;
}

/* The live child whose wait has this key, or NULL: it was destroyed. Lock held. */
static struct wp_child *wp_wait__live_locked(unsigned long long key)
{
    struct wp_child *c = wp_wait_live;
    while (c && c->key != key)
        c = c->live_next;
    return c;
}

/* The thread pool saw the child end: the child is marked exited, waitpid(-1) wakes, and SIGCHLD
 * goes to the process (signal.c), after the mark, so that its handler's waitpid finds the
 * child. POSIX: with SIGCHLD ignored (no signal then) or SA_NOCLDWAIT, an ended child is reaped
 * by itself and never reported.
 * The callback's argument is the child's key, not its address: Wine 8 was seen to run a wait's
 * callback after UnregisterWaitEx(…, INVALID_HANDLE_VALUE) had returned and the child was freed,
 * when a newer child had the same address — which then looked ended, and waitpid reported a
 * running child's STILL_ACTIVE (259) as exit status 3 (1 in about 1,000 spawns on a busy
 * machine). A key that names no live child is such a late call, and does nothing. */
static VOID CALLBACK wp_wait__exited(PVOID arg, BOOLEAN timed_out)
{
    DWORD code = 0, pgid = 0;
    int action = wp_signal_child_action(), gone = 0, reaped = 0;
    (void)timed_out;
    AcquireSRWLockExclusive(&wp_wait_lock);
    struct wp_child *c = wp_wait__live_locked((uintptr_t)arg);
    if (!c) {
        ReleaseSRWLockExclusive(&wp_wait_lock);
        return;
    }
    GetExitCodeProcess(c->h, &code);
    struct wp_sigrec rec = wp_wait__sigchld(c->pid, code);
    pgid = c->pgid;
    c->exited = 1;
    if ((action & WP_CHILD_AUTOREAP) && !c->reaped) {
        for (struct wp_child **link = &wp_children; *link; link = &(*link)->next)
            if (*link == c) {
                *link = c->next;
                break;
            }
        c->reaped = reaped = 1;
        if (c->reap)
            wp_pidfd_reap_set(c->reap);
        gone = c->refs == 0;
    }
    WakeAllConditionVariable(&wp_wait_cv);
    ReleaseSRWLockExclusive(&wp_wait_lock);
    if (action & WP_CHILD_NOTIFY)
        wp_signal_send(&rec);
    if (gone)
        wp_wait__destroy(c, 1);
    if (reaped)
        wp_pgroup_reaped(pgid);
}

struct wp_child *wp_wait_new(void)
{
    return calloc(1, sizeof(struct wp_child));
}

void wp_wait_discard(struct wp_child *c)
{
    free(c);
}

/* The thread-pool wait is registered under the lock, so that its callback (which takes the lock)
 * finds the child in the table even if it has already ended. */
void wp_wait_add(struct wp_child *c, DWORD pid, HANDLE process, DWORD pgid, int own_group)
{
    c->pid = pid;
    c->h = process;
    c->pgid = pgid;
    c->own_group = own_group;
    AcquireSRWLockExclusive(&wp_wait_lock);
    c->next = wp_children;
    wp_children = c;
    c->key = ++wp_wait_last_key;
    c->live_next = wp_wait_live;
    wp_wait_live = c;
    /* Not WT_EXECUTEINWAITTHREAD: the callback takes the table's lock, which a wait thread
     * should not wait for; and under stress Wine 8 once crashed in its thread pool
     * (tp_object_cancel) while such a wait was unregistered after it had fired. */
    if (!RegisterWaitForSingleObject(&c->wait, process, wp_wait__exited,
                                     (PVOID)(uintptr_t)c->key, INFINITE, WT_EXECUTEONLYONCE))
        c->wait = NULL;
    ReleaseSRWLockExclusive(&wp_wait_lock);
}

/* Called without the table lock: the thread-pool callback takes it. From that callback itself
 * the wait is let go without waiting for the callback to end. */
static void wp_wait__destroy(struct wp_child *c, int in_callback)
{
    AcquireSRWLockExclusive(&wp_wait_lock);
    struct wp_child **link = &wp_wait_live;
    while (*link != c)
        link = &(*link)->live_next;
    *link = c->live_next; /* from now on its wait's callback finds nothing */
    ReleaseSRWLockExclusive(&wp_wait_lock);
    wp_sigsend_forget(c->pid); /* its pid may name another process from now on */
    if (c->wait)
        UnregisterWaitEx(c->wait, in_callback ? NULL : INVALID_HANDLE_VALUE);
    CloseHandle(c->h);
    wp_pidfd_reap_unref(c->reap);
    free(c);
}

/* POSIX: pid > 0 that child; -1 any; 0 any in the caller's process group; < -1 any in group
 * -pid: the group each child was started in (a child cannot change it afterwards: it has
 * called exec). */
static int wp_wait__match(const struct wp_child *c, pid_t pid)
{
    if (pid > 0)
        return c->pid == (DWORD)pid;
    if (pid == -1)
        return 1;
    if (pid == 0)
        return c->pgid == wp_pgroup_self();
    return c->pgid == (DWORD)-(long long)pid;
}

/* A child without a thread-pool wait is always asked. */
static int wp_wait__done(struct wp_child *c, int poll)
{
    return c->exited || ((poll || !c->wait) && WaitForSingleObject(c->h, 0) == WAIT_OBJECT_0);
}

/* Takes c out of the table (lock held) and releases the lock; c's exit code in *code. Blocked
 * waiters wake to look again: a reap that asked the child itself may come before the
 * thread-pool wait's wake-up, which unregistering it then cancels, and a waitpid(-1) whose
 * last child this was must now fail with ECHILD. */
static pid_t wp_wait__reap_unlock(struct wp_child **link, DWORD *code)
{
    struct wp_child *c = *link;
    pid_t pid = c->pid;
    DWORD pgid = c->pgid;
    *link = c->next;
    c->reaped = 1;
    if (c->reap)
        wp_pidfd_reap_set(c->reap);
    if (!GetExitCodeProcess(c->h, code))
        *code = 0;
    int last = c->refs == 0;
    WakeAllConditionVariable(&wp_wait_cv);
    ReleaseSRWLockExclusive(&wp_wait_lock);
    if (last)
        wp_wait__destroy(c, 0);
    wp_pgroup_reaped(pgid);
    return pid;
}

/* Blocks on one child's handle outside the lock, until it ends or a signal is pending for this
 * thread (-EINTR); returns with the lock held again. */
static int wp_wait__block_on(struct wp_child *c)
{
    c->refs++;
    ReleaseSRWLockExclusive(&wp_wait_lock);
    int r = wp_intr_wait(&c->h, 1, INFINITE);
    AcquireSRWLockExclusive(&wp_wait_lock);
    if (--c->refs == 0 && c->reaped) {
        /* Reaped by another thread meanwhile: ours is the last reference. */
        ReleaseSRWLockExclusive(&wp_wait_lock);
        wp_wait__destroy(c, 0);
        AcquireSRWLockExclusive(&wp_wait_lock);
    }
    return r == -EINTR ? -EINTR : 0;
}

/* waitid's WNOWAIT: the child's exit code, and the child stays in the table. */
static pid_t wp_wait__peek_unlock(struct wp_child *c, DWORD *code)
{
    pid_t pid = c->pid;
    if (!GetExitCodeProcess(c->h, code))
        *code = 0;
    ReleaseSRWLockExclusive(&wp_wait_lock);
    return pid;
}

/* A signal's waker for waitpid(-1) (base/intr.c): its condition variable, woken under the table
 * lock, so that no wake-up falls between the look for a signal and the sleep. */
static void wp_wait__wake(void *arg)
{
    (void)arg;
    AcquireSRWLockExclusive(&wp_wait_lock);
    WakeAllConditionVariable(&wp_wait_cv);
    ReleaseSRWLockExclusive(&wp_wait_lock);
}

static pid_t wp_wait__any_locked(pid_t pid, int options, DWORD *code, struct wp_intr *t);

/* The wait of waitpid and waitid, for a child that pid matches (wp_wait__match), with waitid's
 * options: WEXITED (waitpid's always), WNOWAIT (the child stays), WNOHANG. POSIX lets a signal
 * interrupt it: -EINTR once one is pending for this thread. The interruptible section is left
 * outside the table lock, which its waker takes. */
static pid_t wp_wait__any(pid_t pid, int options, DWORD *code)
{
    struct wp_intr *t = (options & WINPIPE_WNOHANG) ? NULL : wp_intr_self();
    struct wp_intr_waker w = { wp_wait__wake, NULL }, *outer = NULL;
    if (t && pid <= 0)
        outer = wp_intr_enter(t, &w);
    pid_t r = wp_wait__any_locked(pid, options, code, t);
    if (t && pid <= 0)
        wp_intr_leave(t, outer);
    return r;
}

/* Takes the table lock, and has let it go when it returns.
 *
 * Without WEXITED (waitid with only WSTOPPED/WCONTINUED) there is nothing to report, ever: a
 * Windows process never stops nor continues. Linux then counts only the children still running:
 * it waits while one does, and answers ECHILD once none does (an ended, unreaped child counts
 * for nothing without WEXITED) — so such a wait ends when its children end, or with a signal. */
static pid_t wp_wait__any_locked(pid_t pid, int options, DWORD *code, struct wp_intr *t)
{
    int exits = (options & WINPIPE_WEXITED) != 0;
    AcquireSRWLockExclusive(&wp_wait_lock);
again:
    for (;;) {
        struct wp_child **link, *any = NULL;
        int unwatched = 0;
        /* A single child is asked directly; a scan of many trusts the thread-pool flags first,
         * and asks each child only when it must answer at once. */
        for (int poll = pid > 0; poll < 2; poll++) {
            any = NULL; /* without WEXITED, what the first scan took to run may have ended */
            unwatched = 0;
            for (link = &wp_children; *link; link = &(*link)->next) {
                if (!wp_wait__match(*link, pid))
                    continue;
                int done = wp_wait__done(*link, poll);
                if (!done || exits) {
                    any = *link;
                    unwatched |= !any->wait;
                }
                if (!done || !exits)
                    continue;
                if (!(wp_signal_child_action() & WP_CHILD_AUTOREAP))
                    return (options & WINPIPE_WNOWAIT) ? wp_wait__peek_unlock(*link, code)
                                                       : wp_wait__reap_unlock(link, code);
                /* POSIX: with SIGCHLD ignored or SA_NOCLDWAIT an ended child is reaped by
                 * itself, never reported: this wait found it before the thread pool did. */
                DWORD unused;
                wp_wait__reap_unlock(link, &unused);
                AcquireSRWLockExclusive(&wp_wait_lock);
                goto again;
            }
            if (!any || !(options & WINPIPE_WNOHANG))
                break;
        }
        if (!any || (options & WINPIPE_WNOHANG)) {
            ReleaseSRWLockExclusive(&wp_wait_lock);
            return any ? 0 : -ECHILD;
        }
        if (pid > 0 ? wp_wait__block_on(any) < 0 : t && wp_intr_pending(t)) {
            ReleaseSRWLockExclusive(&wp_wait_lock);
            return -EINTR;
        }
        if (pid <= 0) /* a child no thread-pool wait watches is asked again now and then */
            SleepConditionVariableSRW(&wp_wait_cv, &wp_wait_lock, unwatched ? 50 : INFINITE, 0);
    }
}

static pid_t wp_waitpid(pid_t pid, int options, DWORD *code)
{
    if (options & ~(WINPIPE_WNOHANG | WINPIPE_WUNTRACED | WINPIPE_WCONTINUED))
        return -EINVAL;
    if (pid == INT_MIN)
        return -ESRCH; /* Linux: -INT_MIN names no group */
    return wp_wait__any(pid, options | WINPIPE_WEXITED, code);
}

pid_t winpipe_waitpid_exit_code(pid_t pid, int *status, int options, unsigned int *exit_code)
{
    DWORD code = 0;
    pid_t r;
    /* A signal's handlers run here; the wait carries on if each had SA_RESTART (POSIX). */
    do
        r = wp_waitpid(pid, options, &code);
    while (!(wp_signal_deliver() & WP_INTR_NORESTART) && r == -EINTR);
    if (r > 0) {
        if (status)
            *status = (int)wp_wait_status(code);
        if (exit_code)
            *exit_code = code;
    }
    r = (pid_t)wp_ret(r);
    if (r > 0)
        return (pid_t)wp_trace_ret(r, "waitpid(%d, 0x%llx, %#x) -> status %#x, exit code %#lx",
                                   (int)pid, WP_TRACE_PTR(status), options,
                                   (unsigned)wp_wait_status(code), (unsigned long)code);
    return (pid_t)wp_trace_ret(r, "waitpid(%d, 0x%llx, %#x)", (int)pid, WP_TRACE_PTR(status),
                               options);
}

pid_t winpipe_waitpid(pid_t pid, int *status, int options)
{
    return winpipe_waitpid_exit_code(pid, status, options, NULL);
}

pid_t winpipe_wait(int *status)
{
    return winpipe_waitpid_exit_code(-1, status, 0, NULL);
}

/* ---- waitid ---- */

/* The pid a pidfd stands for, for P_PIDFD: Linux's EBADF for an fd that is none. Its handle
 * keeps the pid from being reused, so the pid names no other child. */
static long long wp_wait__pidfd_pid(int fd)
{
    struct wp_ofd *ofd;
    long long r = wp_fdtab_get(fd, &ofd);
    if (r < 0)
        return r;
    r = wp_pidfd_is(ofd) ? (long long)wp_pidfd_pid(ofd) : -EBADF;
    wp_ofd_unref(ofd);
    return r;
}

/* The siginfo_t POSIX says waitid fills: SIGCHLD, CLD_EXITED with the exit status, or
 * CLD_KILLED (CLD_DUMPED with a core) with the signal; all zero for WNOHANG and no child. */
static void wp_wait__siginfo(winpipe_siginfo_t *info, pid_t pid, DWORD code)
{
    uint32_t st = wp_wait_status(code);
    memset(info, 0, sizeof *info);
    if (pid <= 0)
        return;
    info->si_signo = SIGCHLD;
    info->si_pid = pid;
    if (st & 0x7f) {
        info->si_code = st & 0x80 ? CLD_DUMPED : CLD_KILLED;
        info->si_status = st & 0x7f;
    } else {
        info->si_code = CLD_EXITED;
        info->si_status = (st >> 8) & 0xff;
    }
}

/* Linux's checks, in its order: the options, then the id for its type. */
static int wp_waitid(int idtype, unsigned int uid, winpipe_siginfo_t *info, int options)
{
    DWORD code = 0;
    pid_t pid;
    int id = (int)uid; /* id_t, read as Linux reads it: a 32-bit pid_t (mingw's is 64-bit) */
    if (options & ~(WINPIPE_WNOHANG | WINPIPE_WEXITED | WINPIPE_WSTOPPED | WINPIPE_WCONTINUED
                    | WINPIPE_WNOWAIT))
        return -EINVAL;
    if (!(options & (WINPIPE_WEXITED | WINPIPE_WSTOPPED | WINPIPE_WCONTINUED)))
        return -EINVAL;
    switch (idtype) {
    case WINPIPE_P_ALL:
        pid = -1;
        break;
    case WINPIPE_P_PID:
        if (id <= 0)
            return -EINVAL;
        pid = id;
        break;
    case WINPIPE_P_PGID:
        /* Linux: 0 is the caller's group */
        if (id < 0)
            return -EINVAL;
        pid = id == 0 ? 0 : -id;
        if (pid == -1)
            return -ECHILD; /* group 1: no Windows process leads it */
        break;
    case WINPIPE_P_PIDFD: {
        if (id < 0)
            return -EINVAL;
        long long p = wp_wait__pidfd_pid(id);
        if (p < 0)
            return (int)p;
        pid = (pid_t)p;
        break;
    }
    default:
        return -EINVAL;
    }
    pid = wp_wait__any(pid, options, &code);
    if (pid < 0)
        return pid;
    if (info)
        wp_wait__siginfo(info, pid, code);
    return 0;
}

int winpipe_waitid(int idtype, unsigned int id, winpipe_siginfo_t *info, int options)
{
    int r;
    /* As waitpid: a signal's handlers run here, and the wait carries on after SA_RESTART ones. */
    do
        r = wp_waitid(idtype, id, info, options);
    while (!(wp_signal_deliver() & WP_INTR_NORESTART) && r == -EINTR);
    return (int)wp_trace_ret(wp_ret(r),
                             "waitid(%d, %u, 0x%llx, %#x)", idtype, id, WP_TRACE_PTR(info),
                             options);
}

/* ---- for pidfd_open (procfd.c) ---- */

/* A handle of our unreaped child pid (duplicated) and its pidfds' reaped mark (a reference);
 * -ESRCH: no such child, -ENOMEM. */
int wp_wait_child_for_pidfd(DWORD pid, HANDLE *h, struct wp_pidfd_reap **reap)
{
    int r = -ESRCH;
    AcquireSRWLockExclusive(&wp_wait_lock);
    for (struct wp_child *c = wp_children; c && r == -ESRCH; c = c->next) {
        if (c->pid != pid)
            continue;
        if (!c->reap && !(c->reap = wp_pidfd_reap_new()))
            r = -ENOMEM;
        else if (!DuplicateHandle(GetCurrentProcess(), c->h, GetCurrentProcess(), h, 0, FALSE,
                                  DUPLICATE_SAME_ACCESS))
            r = wp_last_error();
        else {
            wp_pidfd_reap_ref(c->reap);
            *reap = c->reap;
            r = 0;
        }
    }
    ReleaseSRWLockExclusive(&wp_wait_lock);
    return r;
}

/* ---- for kill() ---- */

/* Our unreaped children that pid selects, as waitpid's pid does (> 0 that child, 0 those in the
 * caller's group, -1 all, < -1 those in group -pid), with duplicated handles, so that they are
 * signalled outside the lock. */
int wp_wait_targets(pid_t pid, struct wp_wait_target **out, int *n)
{
    int cap = 0;
    *out = NULL;
    *n = 0;
    AcquireSRWLockShared(&wp_wait_lock);
    for (struct wp_child *c = wp_children; c; c = c->next)
        cap += wp_wait__match(c, pid);
    if (cap && !(*out = calloc(cap, sizeof **out))) {
        ReleaseSRWLockShared(&wp_wait_lock);
        return -ENOMEM;
    }
    for (struct wp_child *c = wp_children; c; c = c->next) {
        struct wp_wait_target *t = *out + *n;
        if (!wp_wait__match(c, pid)
            || !DuplicateHandle(GetCurrentProcess(), c->h, GetCurrentProcess(), &t->h, 0, FALSE,
                                DUPLICATE_SAME_ACCESS))
            continue;
        t->pid = c->pid;
        t->own_group = c->own_group;
        t->zombie = WaitForSingleObject(c->h, 0) == WAIT_OBJECT_0;
        (*n)++;
    }
    ReleaseSRWLockShared(&wp_wait_lock);
    return 0;
}

/* 1: pid is an unreaped child of ours. */
int wp_wait_is_child(DWORD pid)
{
    int found = 0;
    AcquireSRWLockShared(&wp_wait_lock);
    for (struct wp_child *c = wp_children; c && !found; c = c->next)
        found = c->pid == pid;
    ReleaseSRWLockShared(&wp_wait_lock);
    return found;
}

/* ---- for pgid.c ---- */

/* The group our unreaped child pid was started in; -ESRCH: no such child. */
int wp_wait_child_pgid(DWORD pid, DWORD *pgid)
{
    int r = -ESRCH;
    AcquireSRWLockShared(&wp_wait_lock);
    for (struct wp_child *c = wp_children; c && r < 0; c = c->next)
        if (c->pid == pid) {
            *pgid = c->pgid;
            r = 0;
        }
    ReleaseSRWLockShared(&wp_wait_lock);
    return r;
}
