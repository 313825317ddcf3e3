/* procfd.c: pidfd_open() and pidfd_send_signal(): process fds (the kind is ofd/pidfd.c). Linux
 * added them so that a process can be named by something that cannot come to name another: on
 * Windows a pidfd holds a handle to the process, and Windows keeps the process's id from reuse
 * while a handle is open. waitid(P_PIDFD) is wait.c's. */
#include "winpipe-internal.h"

/* Our child: a handle from the child table, and the table's mark for POLLHUP once it is
 * reaped; another process: opened, if the system lets us, and still running (an ended process
 * that is no child of ours is gone, as POSIX sees it: Linux's ESRCH once its parent reaped it). */
static int wp_procfd__process(DWORD pid, HANDLE *h, struct wp_pidfd_reap **reap)
{
    *reap = NULL;
    int r = wp_wait_child_for_pidfd(pid, h, reap);
    if (r != -ESRCH)
        return r;
    if (pid == GetCurrentProcessId()) {
        *h = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION,
                         FALSE, pid);
        return *h ? 0 : wp_last_error();
    }
    *h = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                     pid);
    if (!*h && GetLastError() == ERROR_ACCESS_DENIED)
        *h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!*h)
        return GetLastError() == ERROR_ACCESS_DENIED ? -EPERM : -ESRCH;
    if (WaitForSingleObject(*h, 0) == WAIT_OBJECT_0) {
        CloseHandle(*h);
        return -ESRCH;
    }
    return 0;
}

/* Linux: EINVAL for a flag but PIDFD_NONBLOCK and for pid <= 0, ESRCH for no such process; the
 * fd has FD_CLOEXEC. */
static int wp_procfd_open(pid_t pid, unsigned int flags)
{
    struct wp_pidfd_reap *reap;
    HANDLE h;
    if ((flags & ~(unsigned)WINPIPE_PIDFD_NONBLOCK) || pid <= 0)
        return -EINVAL;
    int r = wp_procfd__process((DWORD)pid, &h, &reap);
    if (r < 0)
        return r;
    struct wp_ofd *ofd = wp_pidfd_new(h, (DWORD)pid, reap, (flags & WINPIPE_PIDFD_NONBLOCK) != 0);
    if (!ofd) {
        CloseHandle(h);
        wp_pidfd_reap_unref(reap);
        return -ENOMEM;
    }
    r = wp_fdtab_install_on_nul(ofd);
    wp_ofd_unref(ofd); /* the table holds it now, or nothing does */
    return r;
}

int winpipe_pidfd_open(pid_t pid, unsigned int flags)
{
    return (int)wp_trace_ret(wp_ret(wp_procfd_open(pid, flags)), "pidfd_open(%d, %#x)", (int)pid,
                             flags);
}

/* Linux 6.9's scopes: at most one of them. */
#define WP_PROCFD_SCOPES (WINPIPE_PIDFD_SIGNAL_THREAD | WINPIPE_PIDFD_SIGNAL_THREAD_GROUP \
                          | WINPIPE_PIDFD_SIGNAL_PROCESS_GROUP)

/* Linux, in its order: EINVAL for an unknown flag or more than one scope, EBADF for an fd that is
 * no pidfd, EINVAL for a siginfo (winpipe delivers none: compat-docs/process-groups.md); then
 * kill()'s answers (kill.c: a zombie takes it, a reaped process is ESRCH).
 * PIDFD_SIGNAL_PROCESS_GROUP is kill(-pid): the group whose id is the process's pid, ESRCH when
 * it leads none. POSIX has no thread of another process to aim at, and Linux's
 * PIDFD_SIGNAL_THREAD aims at its first thread: winpipe delivers it to the process, as
 * PIDFD_SIGNAL_THREAD_GROUP and no flag do (the same for a process of one thread). */
static int wp_procfd_send_signal(int pidfd, int sig, winpipe_siginfo_t *info, unsigned int flags)
{
    struct wp_ofd *ofd;
    unsigned int scope = flags & WP_PROCFD_SCOPES;
    if ((flags & ~(unsigned)WP_PROCFD_SCOPES) || (scope & (scope - 1)))
        return -EINVAL;
    int r = wp_fdtab_get(pidfd, &ofd);
    if (r < 0)
        return r;
    if (!wp_pidfd_is(ofd))
        r = -EBADF;
    else if (info)
        r = -EINVAL;
    else if (scope == WINPIPE_PIDFD_SIGNAL_PROCESS_GROUP)
        r = wp_kill_group(wp_pidfd_pid(ofd), sig);
    else
        r = wp_kill_process(wp_pidfd_handle(ofd), wp_pidfd_pid(ofd), sig);
    wp_ofd_unref(ofd);
    return r;
}

int winpipe_pidfd_send_signal(int pidfd, int sig, winpipe_siginfo_t *info, unsigned int flags)
{
    return (int)wp_trace_ret(wp_ret(wp_procfd_send_signal(pidfd, sig, info, flags)),
                             "pidfd_send_signal(%d, %d, 0x%llx, %#x)", pidfd, sig,
                             WP_TRACE_PTR(info), flags);
}
