/* kill.c: kill() — POSIX signals delivered to processes, the caller's children (the child
 * table, wait.c) and any process the system lets the caller end.
 *
 * Signals (Linux's numbers) whose default action does not end a process: SIGCONT continues a
 * stopped one (a Windows process never is), SIGCHLD, SIGURG and SIGWINCH are ignored. SIGSTOP
 * and SIGTSTP stop it, which Windows cannot do: POSIX's EINVAL for an unsupported signal.
 * (21 and 22, Linux's SIGTTIN and SIGTTOU, are mingw's SIGBREAK and SIGABRT.) The numbers
 * come from winpipe's <signal.h>. */
#include "winpipe-internal.h"
#include <limits.h>
#include <signal.h>

static int wp_kill__ignored(int sig)
{
    return sig == 0 || wp_signal_ignored_by_default(sig);
}

/* A process that is not our child, if the system lets us open it and it still runs. */
static int wp_kill__other(pid_t pid, struct wp_wait_target *t)
{
    memset(t, 0, sizeof *t);
    t->pid = (DWORD)pid;
    t->h = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                       (DWORD)pid);
    if (!t->h)
        return GetLastError() == ERROR_ACCESS_DENIED ? -EPERM : -ESRCH;
    if (WaitForSingleObject(t->h, 0) == WAIT_OBJECT_0) {
        /* Exited, and not our child to reap: as gone as POSIX can see. */
        CloseHandle(t->h);
        return -ESRCH;
    }
    return 0;
}

/* A winpipe process gets the signal through its channel (sigsend.c). Any other process: POSIX's
 * default action ends it; Windows can only end it, so kill()
 * ends it with the exit code that waitpid() reports as WIFSIGNALED with that signal; SIGINT
 * reaches a child leading its own process group as Ctrl-Break, whose default action exits with
 * STATUS_CONTROL_C_EXIT (also reported as SIGINT) and which the child may handle. A zombie
 * exists, and a signal to it does nothing (POSIX); Wine's TerminateProcess would also
 * "succeed" on a dead process, so it is never asked. */
static int wp_kill__deliver(const struct wp_wait_target *t, int sig)
{
    if (sig == 0 || t->zombie)
        return 0; /* sig 0: the existence check alone */
    /* A winpipe process takes the signal itself: its handler, or its default action. */
    if (sig != SIGKILL && wp_sigsend(t->pid, sig) != WP_SIGSEND_NONE)
        return 0;
    if (wp_kill__ignored(sig))
        return 0;
    if ((sig == SIGINT || sig == SIGBREAK) && t->own_group
        && GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, t->pid))
        return 0;
    if (TerminateProcess(t->h, WINPIPE_SIGNAL_EXIT_CODE(sig)))
        return 0;
    /* Windows refuses to terminate a process that has just exited. */
    return WaitForSingleObject(t->h, 0) == WAIT_OBJECT_0 ? 0 : -EPERM;
}

/* Signals and releases every target: 0 if one at least took the signal (POSIX's rule for
 * several processes), else the first error, or ESRCH for none. */
static int wp_kill__all(struct wp_wait_target *t, int n, int sig)
{
    int ok = 0, err = -ESRCH;
    for (int i = 0; i < n; i++) {
        int r = wp_kill__deliver(&t[i], sig);
        if (r == 0)
            ok = 1;
        else if (err == -ESRCH)
            err = r;
        CloseHandle(t[i].h);
    }
    free(t);
    return ok ? 0 : err;
}

/* kill() of this process: a signal for the process (signal.c). */
static int wp_kill__self(int sig)
{
    return wp_signal_kill_self(sig);
}

/* POSIX's kill(0, sig) and, for a caller leading a group, kill(-getpid(), sig): every process
 * of the caller's group, the caller too. Windows lists no group's members: those winpipe knows
 * are the caller's children not started in a group of their own; the caller comes last. */
static int wp_kill__own_group(int sig)
{
    struct wp_wait_target *t;
    int n, r = wp_wait_targets(0, &t, &n);
    if (r < 0)
        return r;
    wp_kill__all(t, n, sig);
    return wp_kill__self(sig);
}

static int wp_kill(pid_t pid, int sig)
{
    struct wp_wait_target *t, other;
    int n, r;
    if (sig < 0 || sig > 64 || sig == SIGSTOP || sig == SIGTSTP)
        return -EINVAL;
    if (pid == INT_MIN)
        return -ESRCH; /* Linux: -INT_MIN names no group */
    if (pid == 0 || (pid < -1 && (DWORD)-pid == GetCurrentProcessId()))
        return wp_kill__own_group(sig);
    if ((DWORD)pid == GetCurrentProcessId())
        return wp_kill__self(sig);
    /* -1: POSIX's every process the caller may signal but itself; those winpipe knows are its
     * children. > 0 or < -1: our child, the one leading group -pid, if there is one. */
    if ((r = wp_wait_targets(pid, &t, &n)) < 0)
        return r;
    if (n > 0 || pid == -1)
        return wp_kill__all(t, n, sig);
    free(t);
    /* Not our child: any process the system lets us end. For pid < -1 only the group's leader
     * can be found; one of our children that leads no group is none (ESRCH, as Linux says). */
    if (pid < -1) {
        if (wp_wait_is_child((DWORD)-pid))
            return -ESRCH;
        pid = -pid;
    }
    if ((r = wp_kill__other(pid, &other)) < 0)
        return r;
    r = wp_kill__deliver(&other, sig);
    CloseHandle(other.h);
    return r;
}

int winpipe_kill(pid_t pid, int sig)
{
    return (int)wp_trace_ret(wp_ret(wp_kill(pid, sig)), "kill(%d, %d)", (int)pid, sig);
}
