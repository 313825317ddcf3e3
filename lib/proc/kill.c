/* kill.c: kill() and killpg() — POSIX signals delivered to processes, the caller's children (the
 * child table, wait.c), the members of a process group (pgroup.c) and any process the system
 * lets the caller end.
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
 * reaches a child leading its own console process group as Ctrl-Break, whose default action
 * exits with STATUS_CONTROL_C_EXIT (also reported as SIGINT) and which the child may handle
 * (1: delivered so, through the console). A zombie exists, and a signal to it does nothing
 * (POSIX); Wine's TerminateProcess would also "succeed" on a dead process, so it is never
 * asked. */
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
        return 1;
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
        if (r >= 0)
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

/* ---- process groups ---- */

/* Rounds of listing a group's job and signalling what is new in it: a member being ended may
 * have started a process meanwhile, which the next round finds. */
#define WP_KILL_ROUNDS 8

struct wp_kill_group {
    int sig;
    int any;      /* a member took the signal */
    int err;      /* the first error, if none did */
    int console;  /* a child of ours had it as a console Ctrl-Break */
    DWORD *done;  /* pids signalled */
    int ndone, cap;
};

/* Signals and releases each target, and notes its pid. */
static void wp_kill__group_deliver(struct wp_kill_group *k, struct wp_wait_target *t, int n)
{
    for (int i = 0; i < n; i++) {
        int r = wp_kill__deliver(&t[i], k->sig);
        k->any |= r >= 0;
        k->console |= r == 1;
        if (r < 0 && k->err == -ESRCH)
            k->err = r;
        if (k->ndone == k->cap) {
            DWORD *p = realloc(k->done, (k->cap = k->cap ? 2 * k->cap : 32) * sizeof *p);
            if (p)
                k->done = p;
            else
                k->cap = k->ndone;
        }
        if (k->ndone < k->cap)
            k->done[k->ndone++] = t[i].pid;
        CloseHandle(t[i].h);
    }
    free(t);
}

/* The processes of group pgid's job that are not our children, round by round; -ESRCH: a group
 * this process does not know. */
static int wp_kill__group_job(struct wp_kill_group *k, DWORD pgid)
{
    int had;
    /* SIGKILL ends the whole job at once: no member can start another meanwhile. */
    if (k->sig == SIGKILL && wp_pgroup_terminate(pgid, WINPIPE_SIGNAL_EXIT_CODE(SIGKILL), &had)) {
        k->any |= had;
        return 0;
    }
    /* With a console, the Ctrl-Break reached the rest of the child's console group. */
    if (k->console && (k->sig == SIGINT || k->sig == SIGBREAK))
        return 0;
    for (int round = 0; round < WP_KILL_ROUNDS; round++) {
        struct wp_wait_target *t;
        int n, r = wp_pgroup_members(pgid, k->done, k->ndone, &t, &n);
        if (r < 0)
            return r;
        wp_kill__group_deliver(k, t, n);
        if (n == 0 || wp_kill__ignored(k->sig))
            break;
    }
    return 0;
}

/* POSIX's kill(-pgid, sig), and kill(0, sig) for the caller's own group: every process of the
 * group: the caller's children started in it (those that have exited unreaped too), then the
 * other processes its job holds, each as kill(pid, sig) would; the caller last, if it is in
 * the group. *known: the group is one this process knows (it has a child in it, or the group
 * is in pgroup.c's table). */
static int wp_kill__group(DWORD pgid, int sig, int *known)
{
    struct wp_kill_group k = { sig, 0, -ESRCH, 0, NULL, 0, 0 };
    struct wp_wait_target *t;
    int n, r = wp_wait_targets(-(pid_t)pgid, &t, &n);
    if (r < 0)
        return r;
    *known = n > 0;
    wp_kill__group_deliver(&k, t, n);
    r = wp_kill__group_job(&k, pgid);
    free(k.done);
    if (r != -ESRCH)
        *known = 1;
    if (r < 0 && r != -ESRCH)
        return r;
    if (pgid == wp_pgroup_self())
        return wp_kill__self(sig);
    return k.any ? 0 : k.err;
}

static int wp_kill(pid_t pid, int sig)
{
    struct wp_wait_target *t, other;
    int n, r, known;
    if (sig < 0 || sig > 64 || sig == SIGSTOP || sig == SIGTSTP)
        return -EINVAL;
    if (pid == INT_MIN)
        return -ESRCH; /* Linux: -INT_MIN names no group */
    if (pid == 0)
        return wp_kill__group(wp_pgroup_self(), sig, &known);
    if ((DWORD)pid == GetCurrentProcessId())
        return wp_kill__self(sig);
    if (pid < -1) {
        r = wp_kill__group((DWORD)-pid, sig, &known);
        if (known || (DWORD)-pid == wp_pgroup_self())
            return r;
        /* A group this process knows nothing of: its leader, if the system lets us find it
         * (any process); one of our children that leads no group is none (ESRCH, as Linux). */
        if (wp_wait_is_child((DWORD)-pid))
            return -ESRCH;
        pid = -pid;
    } else {
        /* -1: POSIX's every process the caller may signal but itself; those winpipe knows are
         * its children. > 0: our child, if it is one. */
        if ((r = wp_wait_targets(pid, &t, &n)) < 0)
            return r;
        if (n > 0 || pid == -1)
            return wp_kill__all(t, n, sig);
        free(t);
    }
    if ((r = wp_kill__other(pid, &other)) < 0)
        return r;
    r = wp_kill__deliver(&other, sig);
    CloseHandle(other.h);
    return r < 0 ? r : 0;
}

/* pidfd_send_signal: the process h, whose pid its pidfd keeps from reuse. Our unreaped child
 * gets what kill() gives it (a zombie: nothing, and 0; its console group's Ctrl-Break for
 * SIGINT); another process that has ended, or a child reaped since, is gone: ESRCH. */
int wp_kill_process(HANDLE h, DWORD pid, int sig)
{
    struct wp_wait_target *t, one = { h, pid, 0, 0 };
    int n, r;
    if (sig < 0 || sig > 64 || sig == SIGSTOP || sig == SIGTSTP)
        return -EINVAL;
    if (pid == GetCurrentProcessId())
        return wp_kill__self(sig);
    if ((r = wp_wait_targets((pid_t)pid, &t, &n)) < 0)
        return r;
    if (n > 0) {
        one.own_group = t[0].own_group;
        one.zombie = t[0].zombie;
    }
    for (int i = 0; i < n; i++)
        CloseHandle(t[i].h);
    free(t);
    if (n == 0 && WaitForSingleObject(h, 0) == WAIT_OBJECT_0)
        return -ESRCH;
    r = wp_kill__deliver(&one, sig);
    return r < 0 ? r : 0;
}

/* pidfd_send_signal's PIDFD_SIGNAL_PROCESS_GROUP: kill(-pgid, sig). */
int wp_kill_group(DWORD pgid, int sig)
{
    return wp_kill(-(pid_t)pgid, sig);
}

int winpipe_kill(pid_t pid, int sig)
{
    return (int)wp_trace_ret(wp_ret(wp_kill(pid, sig)), "kill(%d, %d)", (int)pid, sig);
}

/* glibc: kill(-pgrp, sig), so killpg(0, sig) is the caller's group and killpg(1, sig) is
 * kill(-1, sig); a negative pgrp is EINVAL. */
int winpipe_killpg(pid_t pgrp, int sig)
{
    int r = pgrp < 0 ? -EINVAL : wp_kill(-pgrp, sig);
    return (int)wp_trace_ret(wp_ret(r), "killpg(%d, %d)", (int)pgrp, sig);
}
