/* aliases.c: the POSIX names as real symbols, for code that reaches them without winpipe's
 * headers: configure's AC_CHECK_FUNCS link tests, and msvcrt's _pipe replaced by relinking.
 * Names msvcrt itself exports (read, write, close, dup, dup2) are not defined here: the wrapper
 * headers route them, and a second definition would clash with the CRT's import library. */
#include "winpipe-internal.h"
#include <stdarg.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/time.h>

/* <io.h> declares _pipe dllimport; this definition is meant to replace it. gcc warns about the
 * dropped attribute under -Wattributes, clang under -Winconsistent-dllimport (which gcc lacks). */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winconsistent-dllimport"
#else
#pragma GCC diagnostic ignored "-Wattributes"
#endif

int pipe(int fds[2]);
int pipe2(int fds[2], int flags);
#ifndef DLL_EXPORT
/* Code compiled against <io.h> calls _pipe through __imp__pipe, the import-table slot. The static
 * library fills that slot itself so that relinking reaches winpipe; the DLL's import library
 * makes the same slot from the DLL's export. */
int (*__imp__pipe)(int *, unsigned int, int) = winpipe__pipe;
#endif

int dup3(int fd, int fd2, int flags);
int fcntl(int fd, int cmd, ...);
long sysconf(int name);
int getdtablesize(void);

long sysconf(int name)
{
    return winpipe_sysconf(name);
}

int getdtablesize(void)
{
    return winpipe_getdtablesize();
}

int pipe(int fds[2])
{
    return winpipe_pipe(fds);
}

int pipe2(int fds[2], int flags)
{
    return winpipe_pipe2(fds, flags);
}

int _pipe(int *fds, unsigned int size, int mode)
{
    return winpipe__pipe(fds, size, mode);
}

int dup3(int fd, int fd2, int flags)
{
    return winpipe_dup3(fd, fd2, flags);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    int arg = (cmd == F_GETFD || cmd == F_GETFL) ? 0 : va_arg(ap, int);
    va_end(ap);
    return winpipe_fcntl(fd, cmd, arg);
}

int poll(void *fds, unsigned long nfds, int timeout);

int poll(void *fds, unsigned long nfds, int timeout)
{
    return winpipe_poll(fds, nfds, timeout);
}

int ppoll(void *fds, unsigned long nfds, const struct timespec *timeout, const _sigset_t *mask);

int ppoll(void *fds, unsigned long nfds, const struct timespec *timeout, const _sigset_t *mask)
{
    return winpipe_ppoll(fds, nfds, timeout, mask);
}

/* select itself is Winsock's (see the top); pselect is no one else's. */
int pselect(int nfds, void *r, void *w, void *e, const struct timespec *timeout,
            const _sigset_t *mask);

int pselect(int nfds, void *r, void *w, void *e, const struct timespec *timeout,
            const _sigset_t *mask)
{
    return winpipe_pselect(nfds, r, w, e, timeout, mask);
}

/* ---- signal.c, sigthread.c: the signal functions the C runtime lacks (it has signal, raise) ---- */
int sigaction(int sig, const struct winpipe_sigaction *act, struct winpipe_sigaction *old);
int sigprocmask(int how, const _sigset_t *set, _sigset_t *old);
int sigpending(_sigset_t *set);
int sigsuspend(const _sigset_t *mask);
char *strsignal(int sig);
void psignal(int sig, const char *s);
int siginterrupt(int sig, int flag);
unsigned int alarm(unsigned int seconds);
int setitimer(int which, const struct itimerval *value, struct itimerval *old);
int getitimer(int which, struct itimerval *value);
int sigtimedwait(const _sigset_t *set, winpipe_siginfo_t *info, const struct timespec *timeout);
int sigwaitinfo(const _sigset_t *set, winpipe_siginfo_t *info);
int sigwait(const _sigset_t *set, int *sig);
int pause(void);

int sigaction(int sig, const struct winpipe_sigaction *act, struct winpipe_sigaction *old)
{
    return winpipe_sigaction(sig, act, old);
}

int sigprocmask(int how, const _sigset_t *set, _sigset_t *old)
{
    return winpipe_sigprocmask(how, set, old);
}

int sigpending(_sigset_t *set)
{
    return winpipe_sigpending(set);
}

int sigsuspend(const _sigset_t *mask)
{
    return winpipe_sigsuspend(mask);
}

int sigtimedwait(const _sigset_t *set, winpipe_siginfo_t *info, const struct timespec *timeout)
{
    return winpipe_sigtimedwait(set, info, timeout);
}

int sigwaitinfo(const _sigset_t *set, winpipe_siginfo_t *info)
{
    return winpipe_sigwaitinfo(set, info);
}

int sigwait(const _sigset_t *set, int *sig)
{
    return winpipe_sigwait(set, sig);
}

int pause(void)
{
    return winpipe_pause();
}

char *strsignal(int sig)
{
    return winpipe_strsignal(sig);
}

void psignal(int sig, const char *s)
{
    winpipe_psignal(sig, s);
}

int siginterrupt(int sig, int flag)
{
    return winpipe_siginterrupt(sig, flag);
}

unsigned int alarm(unsigned int seconds)
{
    return winpipe_alarm(seconds);
}

int setitimer(int which, const struct itimerval *value, struct itimerval *old)
{
    return winpipe_setitimer(which, value, old);
}

int getitimer(int which, struct itimerval *value)
{
    return winpipe_getitimer(which, value);
}

/* ---- spawn.c, wait.c: posix_spawn and friends, waitpid, wait, kill ---- */
typedef winpipe_posix_spawn_file_actions_t wp_fa_t;
typedef winpipe_posix_spawnattr_t wp_attr_t;
int posix_spawn(pid_t *pid, const char *path, const wp_fa_t *fa, const wp_attr_t *attr,
                char *const argv[], char *const envp[]);
int posix_spawnp(pid_t *pid, const char *file, const wp_fa_t *fa, const wp_attr_t *attr,
                 char *const argv[], char *const envp[]);
int posix_spawn_file_actions_init(wp_fa_t *fa);
int posix_spawn_file_actions_destroy(wp_fa_t *fa);
int posix_spawn_file_actions_addopen(wp_fa_t *fa, int fd, const char *path, int oflag,
                                     mode_t mode);
int posix_spawn_file_actions_addclose(wp_fa_t *fa, int fd);
int posix_spawn_file_actions_adddup2(wp_fa_t *fa, int fd, int newfd);
int posix_spawn_file_actions_addchdir(wp_fa_t *fa, const char *path);
int posix_spawn_file_actions_addfchdir(wp_fa_t *fa, int fd);
int posix_spawn_file_actions_addchdir_np(wp_fa_t *fa, const char *path);
int posix_spawn_file_actions_addfchdir_np(wp_fa_t *fa, int fd);
int posix_spawnattr_init(wp_attr_t *attr);
int posix_spawnattr_destroy(wp_attr_t *attr);
int posix_spawnattr_getflags(const wp_attr_t *attr, short *flags);
int posix_spawnattr_setflags(wp_attr_t *attr, short flags);
int posix_spawnattr_getpgroup(const wp_attr_t *attr, pid_t *pgroup);
int posix_spawnattr_setpgroup(wp_attr_t *attr, pid_t pgroup);
int posix_spawnattr_getsigmask(const wp_attr_t *attr, _sigset_t *mask);
int posix_spawnattr_setsigmask(wp_attr_t *attr, const _sigset_t *mask);
int posix_spawnattr_getsigdefault(const wp_attr_t *attr, _sigset_t *set);
int posix_spawnattr_setsigdefault(wp_attr_t *attr, const _sigset_t *set);
pid_t waitpid(pid_t pid, int *status, int options);
pid_t wait(int *status);
int kill(pid_t pid, int sig);

int posix_spawn(pid_t *pid, const char *path, const wp_fa_t *fa, const wp_attr_t *attr,
                char *const argv[], char *const envp[])
{
    return winpipe_posix_spawn(pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const wp_fa_t *fa, const wp_attr_t *attr,
                 char *const argv[], char *const envp[])
{
    return winpipe_posix_spawnp(pid, file, fa, attr, argv, envp);
}

int posix_spawn_file_actions_init(wp_fa_t *fa)
{
    return winpipe_posix_spawn_file_actions_init(fa);
}

int posix_spawn_file_actions_destroy(wp_fa_t *fa)
{
    return winpipe_posix_spawn_file_actions_destroy(fa);
}

int posix_spawn_file_actions_addopen(wp_fa_t *fa, int fd, const char *path, int oflag,
                                     mode_t mode)
{
    return winpipe_posix_spawn_file_actions_addopen(fa, fd, path, oflag, mode);
}

int posix_spawn_file_actions_addclose(wp_fa_t *fa, int fd)
{
    return winpipe_posix_spawn_file_actions_addclose(fa, fd);
}

int posix_spawn_file_actions_adddup2(wp_fa_t *fa, int fd, int newfd)
{
    return winpipe_posix_spawn_file_actions_adddup2(fa, fd, newfd);
}

int posix_spawn_file_actions_addchdir(wp_fa_t *fa, const char *path)
{
    return winpipe_posix_spawn_file_actions_addchdir(fa, path);
}

int posix_spawn_file_actions_addfchdir(wp_fa_t *fa, int fd)
{
    return winpipe_posix_spawn_file_actions_addfchdir(fa, fd);
}

int posix_spawn_file_actions_addchdir_np(wp_fa_t *fa, const char *path)
{
    return winpipe_posix_spawn_file_actions_addchdir(fa, path);
}

int posix_spawn_file_actions_addfchdir_np(wp_fa_t *fa, int fd)
{
    return winpipe_posix_spawn_file_actions_addfchdir(fa, fd);
}

int posix_spawnattr_init(wp_attr_t *attr)
{
    return winpipe_posix_spawnattr_init(attr);
}

int posix_spawnattr_destroy(wp_attr_t *attr)
{
    return winpipe_posix_spawnattr_destroy(attr);
}

int posix_spawnattr_getflags(const wp_attr_t *attr, short *flags)
{
    return winpipe_posix_spawnattr_getflags(attr, flags);
}

int posix_spawnattr_setflags(wp_attr_t *attr, short flags)
{
    return winpipe_posix_spawnattr_setflags(attr, flags);
}

int posix_spawnattr_getpgroup(const wp_attr_t *attr, pid_t *pgroup)
{
    return winpipe_posix_spawnattr_getpgroup(attr, pgroup);
}

int posix_spawnattr_setpgroup(wp_attr_t *attr, pid_t pgroup)
{
    return winpipe_posix_spawnattr_setpgroup(attr, pgroup);
}

int posix_spawnattr_getsigmask(const wp_attr_t *attr, _sigset_t *mask)
{
    return winpipe_posix_spawnattr_getsigmask(attr, mask);
}

int posix_spawnattr_setsigmask(wp_attr_t *attr, const _sigset_t *mask)
{
    return winpipe_posix_spawnattr_setsigmask(attr, mask);
}

int posix_spawnattr_getsigdefault(const wp_attr_t *attr, _sigset_t *set)
{
    return winpipe_posix_spawnattr_getsigdefault(attr, set);
}

int posix_spawnattr_setsigdefault(wp_attr_t *attr, const _sigset_t *set)
{
    return winpipe_posix_spawnattr_setsigdefault(attr, set);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    return winpipe_waitpid(pid, status, options);
}

pid_t wait(int *status)
{
    return winpipe_wait(status);
}

int kill(pid_t pid, int sig)
{
    return winpipe_kill(pid, sig);
}

/* ---- pgroup.c, pgid.c, kill.c: process groups ---- */
pid_t getpgrp(void);
pid_t getpgid(pid_t pid);
int setpgid(pid_t pid, pid_t pgid);
int killpg(pid_t pgrp, int sig);

pid_t getpgrp(void)
{
    return winpipe_getpgrp();
}

pid_t getpgid(pid_t pid)
{
    return winpipe_getpgid(pid);
}

int setpgid(pid_t pid, pid_t pgid)
{
    return winpipe_setpgid(pid, pgid);
}

int killpg(pid_t pgrp, int sig)
{
    return winpipe_killpg(pgrp, sig);
}

/* ---- procfd.c, wait.c: process fds and waitid ---- */
int pidfd_open(pid_t pid, unsigned int flags);
int pidfd_send_signal(int pidfd, int sig, winpipe_siginfo_t *info, unsigned int flags);
int waitid(int idtype, unsigned int id, winpipe_siginfo_t *info, int options);

int pidfd_open(pid_t pid, unsigned int flags)
{
    return winpipe_pidfd_open(pid, flags);
}

int pidfd_send_signal(int pidfd, int sig, winpipe_siginfo_t *info, unsigned int flags)
{
    return winpipe_pidfd_send_signal(pidfd, sig, info, flags);
}

int waitid(int idtype, unsigned int id, winpipe_siginfo_t *info, int options)
{
    return winpipe_waitid(idtype, id, info, options);
}
