/* pgid.c: getpgrp(), getpgid() and setpgid(): what a process may ask and change of process
 * groups. The groups themselves, and their jobs, are pgroup.c's; the group each child was started
 * in is in the child table (wait.c). */
#include "winpipe-internal.h"

pid_t winpipe_getpgrp(void)
{
    return (pid_t)wp_trace_ret(wp_pgroup_self(), "getpgrp()");
}

static long long wp_pgid__get(pid_t pid)
{
    DWORD pgid;
    int r;
    if (pid == 0 || (DWORD)pid == GetCurrentProcessId())
        return wp_pgroup_self();
    if (pid < 0)
        return -ESRCH;
    /* Not our child: the known group whose job holds it. Windows keeps no group id for a
     * process: one in no group this process knows gives EPERM, POSIX's error for a process
     * whose group the implementation does not disclose (another session's). */
    if ((r = wp_wait_child_pgid((DWORD)pid, &pgid)) == -ESRCH)
        r = wp_pgroup_of((DWORD)pid, &pgid);
    return r < 0 ? r : (long long)pgid;
}

pid_t winpipe_getpgid(pid_t pid)
{
    return (pid_t)wp_trace_ret(wp_ret(wp_pgid__get(pid)), "getpgid(%d)", (int)pid);
}

/* POSIX: a process may move itself, or a child that has not yet called exec, into a group of
 * its session. Every child of a winpipe process was started by posix_spawn and has "called
 * exec": Linux's EACCES. Of itself, see wp_pgroup_set_mine. */
static int wp_pgid__set(pid_t pid, pid_t pgid)
{
    DWORD me = GetCurrentProcessId();
    if (pid < 0 || pgid < 0)
        return -EINVAL;
    if (pid == 0)
        pid = (pid_t)me;
    if ((DWORD)pid != me)
        return wp_wait_is_child((DWORD)pid) ? -EACCES : -ESRCH;
    return wp_pgroup_set_mine(pgid == 0 ? me : (DWORD)pgid);
}

int winpipe_setpgid(pid_t pid, pid_t pgid)
{
    return (int)wp_trace_ret(wp_ret(wp_pgid__set(pid, pgid)), "setpgid(%d, %d)", (int)pid,
                             (int)pgid);
}
