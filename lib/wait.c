/* wait.c: the child table (pid → process handle) that posix_spawn fills, and waitpid(), wait()
 * and kill() over it. A child is reaped exactly once: its entry leaves the table under the lock,
 * and its handle is closed when the last waiter blocked on it has let go. */
#include "winpipe-internal.h"
#include <signal.h>

struct wp_child {
    DWORD pid;
    HANDLE h;
    HANDLE wait;    /* thread-pool wait: marks the child exited and wakes waitpid(-1) */
    int own_group;  /* started with POSIX_SPAWN_SETPGROUP: a process group of its own */
    int exited;     /* set by the thread-pool wait */
    int reaped;     /* out of the table */
    int refs;       /* waitpid(pid) calls blocked on h; the table lock guards it */
    struct wp_child *next;
};

static SRWLOCK wp_wait_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE wp_wait_cv = CONDITION_VARIABLE_INIT;
static struct wp_child *wp_children;

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

static VOID CALLBACK wp_wait__exited(PVOID arg, BOOLEAN timed_out)
{
    struct wp_child *c = arg;
    (void)timed_out;
    AcquireSRWLockExclusive(&wp_wait_lock);
    c->exited = 1;
    WakeAllConditionVariable(&wp_wait_cv);
    ReleaseSRWLockExclusive(&wp_wait_lock);
}

int wp_wait_add(DWORD pid, HANDLE process, int own_group)
{
    struct wp_child *c = calloc(1, sizeof *c);
    if (!c) {
        CloseHandle(process);
        return -ENOMEM;
    }
    c->pid = pid;
    c->h = process;
    c->own_group = own_group;
    /* Without the wait, waitpid(-1) still finds the child when it polls it. */
    if (!RegisterWaitForSingleObject(&c->wait, process, wp_wait__exited, c, INFINITE,
                                     WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD))
        c->wait = NULL;
    AcquireSRWLockExclusive(&wp_wait_lock);
    c->next = wp_children;
    wp_children = c;
    ReleaseSRWLockExclusive(&wp_wait_lock);
    return 0;
}

/* Called without the table lock: the thread-pool callback takes it. */
static void wp_wait__destroy(struct wp_child *c)
{
    if (c->wait)
        UnregisterWaitEx(c->wait, INVALID_HANDLE_VALUE);
    CloseHandle(c->h);
    free(c);
}

/* POSIX: pid > 0 that child; -1 any; 0 any in the caller's process group; < -1 any in group
 * -pid. A child started with POSIX_SPAWN_SETPGROUP leads a group of its own. */
static int wp_wait__match(const struct wp_child *c, pid_t pid)
{
    if (pid > 0)
        return c->pid == (DWORD)pid;
    if (pid == -1)
        return 1;
    if (pid == 0)
        return !c->own_group;
    return c->own_group && c->pid == (DWORD)-pid;
}

static int wp_wait__done(struct wp_child *c, int poll)
{
    return c->exited || (poll && WaitForSingleObject(c->h, 0) == WAIT_OBJECT_0);
}

/* Takes c out of the table (lock held) and releases the lock; c's exit code in *code. */
static pid_t wp_wait__reap_unlock(struct wp_child **link, DWORD *code)
{
    struct wp_child *c = *link;
    pid_t pid = c->pid;
    *link = c->next;
    c->reaped = 1;
    if (!GetExitCodeProcess(c->h, code))
        *code = 0;
    int last = c->refs == 0;
    ReleaseSRWLockExclusive(&wp_wait_lock);
    if (last)
        wp_wait__destroy(c);
    return pid;
}

/* Blocks on one child's handle outside the lock; returns with the lock held again. */
static void wp_wait__block_on(struct wp_child *c)
{
    c->refs++;
    ReleaseSRWLockExclusive(&wp_wait_lock);
    WaitForSingleObject(c->h, INFINITE);
    AcquireSRWLockExclusive(&wp_wait_lock);
    if (--c->refs == 0 && c->reaped) {
        /* Reaped by another thread meanwhile: ours is the last reference. */
        ReleaseSRWLockExclusive(&wp_wait_lock);
        wp_wait__destroy(c);
        AcquireSRWLockExclusive(&wp_wait_lock);
    }
}

static pid_t wp_waitpid(pid_t pid, int options, DWORD *code)
{
    if (options & ~(WINPIPE_WNOHANG | WINPIPE_WUNTRACED | WINPIPE_WCONTINUED))
        return -EINVAL;
    AcquireSRWLockExclusive(&wp_wait_lock);
    for (;;) {
        struct wp_child **link, *any = NULL;
        /* A single child is asked directly; a scan of many trusts the thread-pool flags first,
         * and asks each child only when it must answer at once. */
        for (int poll = pid > 0; poll < 2; poll++) {
            for (link = &wp_children; *link; link = &(*link)->next) {
                if (!wp_wait__match(*link, pid))
                    continue;
                any = *link;
                if (wp_wait__done(*link, poll))
                    return wp_wait__reap_unlock(link, code);
            }
            if (!any || !(options & WINPIPE_WNOHANG))
                break;
        }
        if (!any || (options & WINPIPE_WNOHANG)) {
            ReleaseSRWLockExclusive(&wp_wait_lock);
            return any ? 0 : -ECHILD;
        }
        if (pid > 0)
            wp_wait__block_on(any);
        else
            SleepConditionVariableSRW(&wp_wait_cv, &wp_wait_lock, INFINITE, 0);
    }
}

pid_t winpipe_waitpid_exit_code(pid_t pid, int *status, int options, unsigned int *exit_code)
{
    DWORD code = 0;
    pid_t r = wp_waitpid(pid, options, &code);
    if (r > 0) {
        if (status)
            *status = (int)wp_wait_status(code);
        if (exit_code)
            *exit_code = code;
    }
    return (pid_t)wp_ret(r);
}

pid_t winpipe_waitpid(pid_t pid, int *status, int options)
{
    return winpipe_waitpid_exit_code(pid, status, options, NULL);
}

pid_t winpipe_wait(int *status)
{
    return winpipe_waitpid_exit_code(-1, status, 0, NULL);
}

/* ---- kill ---- */

/* A process handle for pid with *own_group: our unreaped child's (duplicated), or any other
 * process's that the system lets us open. *zombie: an unreaped child that has exited. */
static int wp_kill__open(pid_t pid, HANDLE *h, int *own_group, int *zombie)
{
    *own_group = *zombie = 0;
    AcquireSRWLockShared(&wp_wait_lock);
    for (struct wp_child *c = wp_children; c; c = c->next) {
        if (c->pid != (DWORD)pid)
            continue;
        *own_group = c->own_group;
        *zombie = WaitForSingleObject(c->h, 0) == WAIT_OBJECT_0;
        BOOL ok = DuplicateHandle(GetCurrentProcess(), c->h, GetCurrentProcess(), h, 0, FALSE,
                                  DUPLICATE_SAME_ACCESS);
        ReleaseSRWLockShared(&wp_wait_lock);
        return ok ? 0 : wp_last_error();
    }
    ReleaseSRWLockShared(&wp_wait_lock);
    *h = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                     (DWORD)pid);
    if (!*h)
        return GetLastError() == ERROR_ACCESS_DENIED ? -EPERM : -ESRCH;
    if (WaitForSingleObject(*h, 0) == WAIT_OBJECT_0) {
        /* Exited, and not our child to reap: as gone as POSIX can see. */
        CloseHandle(*h);
        return -ESRCH;
    }
    return 0;
}

/* POSIX: a signal's default action ends the process. Windows can only end it, so kill()
 * ends it with the exit code that waitpid() reports as WIFSIGNALED with that signal; SIGINT
 * reaches a child leading its own process group as Ctrl-Break, whose default action exits with
 * STATUS_CONTROL_C_EXIT (also reported as SIGINT) and which the child may handle. */
static int wp_kill__deliver(HANDLE h, pid_t pid, int sig, int own_group)
{
    if (sig == 0 || sig == SIGCHLD)
        return 0; /* existence check; SIGCHLD's default action is to ignore it */
    if ((sig == SIGINT || sig == SIGBREAK) && own_group
        && GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, (DWORD)pid))
        return 0;
    if (TerminateProcess(h, WINPIPE_SIGNAL_EXIT_CODE(sig)))
        return 0;
    /* Windows refuses to terminate a process that has just exited. */
    return WaitForSingleObject(h, 0) == WAIT_OBJECT_0 ? 0 : -EPERM;
}

/* kill() of this process: the C runtime's signals through raise(), so its handlers run. */
static int wp_kill__self(int sig)
{
    switch (sig) {
    case 0: case SIGCHLD:
        return 0;
    case SIGPIPE:
        wp_sigpipe();
        return 0;
    case SIGINT: case SIGILL: case SIGFPE: case SIGSEGV: case SIGTERM: case SIGBREAK: case SIGABRT:
        return raise(sig) == 0 ? 0 : -EINVAL;
    default:
        wp_exit_signalled(sig);
        return 0;
    }
}

static int wp_kill(pid_t pid, int sig)
{
    HANDLE h;
    int own_group, zombie;
    if (sig < 0 || sig > 64)
        return -EINVAL;
    /* Windows has no process groups to signal but console groups, which reach only Ctrl-Break. */
    if (pid == 0 || pid == -1)
        return -ENOSYS;
    if (pid < -1)
        pid = -pid; /* the group led by -pid: only its leader is known here */
    if ((DWORD)pid == GetCurrentProcessId())
        return wp_kill__self(sig);
    int r = wp_kill__open(pid, &h, &own_group, &zombie);
    if (r < 0)
        return r;
    /* POSIX: a zombie still exists, and a signal to it does nothing. Wine's TerminateProcess
     * also "succeeds" on a dead process, so never ask it. */
    if (!zombie)
        r = wp_kill__deliver(h, pid, sig, own_group);
    CloseHandle(h);
    return r;
}

int winpipe_kill(pid_t pid, int sig)
{
    return (int)wp_ret(wp_kill(pid, sig));
}
