/* test_pidfd: process fds: pidfd_open() and what an fd of it does (poll/select readable once the
 * process ended, read/write EINVAL, close/dup/fcntl), pidfd_send_signal(), and waitid() with
 * P_PID, P_PGID, P_ALL and P_PIDFD, WEXITED, WNOHANG and WNOWAIT. Natively: Linux's own, through
 * <sys/pidfd.h> (glibc 2.36) or the system call. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "spawn_util.h"

#if defined(_WIN32) || defined(__has_include)
#if defined(_WIN32) || __has_include(<sys/pidfd.h>)
#include <sys/pidfd.h>
#define HAVE_SYS_PIDFD 1
#endif
#endif
#if !defined(_WIN32) && !defined(HAVE_SYS_PIDFD)
/* A C library without the wrappers: the system calls. */
#include <sys/syscall.h>
#define PIDFD_NONBLOCK O_NONBLOCK
static int pidfd_open(pid_t pid, unsigned int flags)
{
    return (int)syscall(SYS_pidfd_open, pid, flags);
}
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned int flags)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_SIGNAL_THREAD /* Linux 6.9's, newer than some C libraries' headers */
#define PIDFD_SIGNAL_THREAD (1u << 0)
#define PIDFD_SIGNAL_THREAD_GROUP (1u << 1)
#define PIDFD_SIGNAL_PROCESS_GROUP (1u << 2)
#endif

static pid_t start(char *const *args)
{
    return su_spawn(NULL, NULL, args);
}

static pid_t start_sleeper(void)
{
    char *args[] = { "sleep", "60000", NULL };
    return start(args);
}

/* poll() of one fd for POLLIN, timeout ms: its revents (0: timed out). */
static short poll_one(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    int r = poll(&p, 1, ms);
    assert_true(r == 0 || r == 1);
    wp_progress();
    return r ? p.revents : 0;
}

static void assert_killed(int st, int sig)
{
    if (!WIFSIGNALED(st) || WTERMSIG(st) != sig)
        fail_msg("status %#x: expected the signal %d", st, sig);
}

/* ---- pidfd_open ---- */

static void pidfd_open_errors_are_linuxs(void **state)
{
    (void)state;
    assert_errno(pidfd_open(0, 0), EINVAL);
    assert_errno(pidfd_open(-1, 0), EINVAL);
    pid_t pid = start_sleeper();
    assert_errno(pidfd_open(pid, 1), EINVAL);
    assert_ok(kill(pid, SIGKILL));
    su_reap(pid);
    /* reaped: no such process (the pid is not reused this soon) */
    assert_errno(pidfd_open(pid, 0), ESRCH);
}

/* A pidfd has FD_CLOEXEC and O_RDWR; PIDFD_NONBLOCK is O_NONBLOCK in F_GETFL. */
static void pidfd_open_flags(void **state)
{
    (void)state;
    pid_t pid = start_sleeper();
    int fd = pidfd_open(pid, 0), nb = pidfd_open(pid, PIDFD_NONBLOCK);
    assert_true(fd >= 0);
    assert_true(nb >= 0);
    assert_rc(fcntl(fd, F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
    assert_rc(fcntl(nb, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
    assert_ok(fcntl(fd, F_SETFD, 0));
    assert_rc(fcntl(fd, F_GETFD), 0);
    assert_ok(kill(pid, SIGKILL));
    su_reap(pid);
    wp_close(fd);
    wp_close(nb);
}

/* read and write: EINVAL, as Linux's pidfd has neither. */
static void pidfd_read_and_write_are_einval(void **state)
{
    char c = 0;
    (void)state;
    pid_t pid = start_sleeper();
    int fd = pidfd_open(pid, 0);
    assert_true(fd >= 0);
    assert_errno(read(fd, &c, 1), EINVAL);
    assert_errno(write(fd, &c, 1), EINVAL);
    assert_ok(kill(pid, SIGKILL));
    su_reap(pid);
    assert_errno(read(fd, &c, 1), EINVAL);
    wp_close(fd);
}

/* Not readable while the process runs; POLLIN once it ended (a zombie); POLLIN|POLLHUP once it
 * is reaped. */
static void pidfd_polls_readable_once_the_process_ended(void **state)
{
    (void)state;
    pid_t pid = start_sleeper();
    int fd = pidfd_open(pid, 0);
    assert_true(fd >= 0);
    assert_int_equal(poll_one(fd, 0), 0);
    assert_int_equal(poll_one(fd, 50), 0);
    assert_ok(kill(pid, SIGTERM));
    assert_int_equal(poll_one(fd, -1), POLLIN);
    assert_int_equal(poll_one(fd, 0), POLLIN);
    assert_killed(su_reap(pid), SIGTERM);
    assert_int_equal(poll_one(fd, 0), POLLIN | POLLHUP);
    wp_close(fd);
}

/* select() sees the same: readable once ended. */
static void pidfd_selects_readable_once_the_process_ended(void **state)
{
    fd_set rd;
    struct timeval tv = { 0, 0 };
    (void)state;
    pid_t pid = start_sleeper();
    int fd = pidfd_open(pid, 0);
    assert_true(fd >= 0);
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    assert_rc(select(fd + 1, &rd, NULL, NULL, &tv), 0);
    assert_ok(kill(pid, SIGKILL));
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    assert_rc(select(fd + 1, &rd, NULL, NULL, NULL), 1);
    assert_true(FD_ISSET(fd, &rd));
    su_reap(pid);
    wp_close(fd);
}

/* dup'ed pidfds share the process: the copy still works after the first is closed. */
static void pidfd_dup_outlives_the_original(void **state)
{
    (void)state;
    pid_t pid = start_sleeper();
    int fd = pidfd_open(pid, 0);
    assert_true(fd >= 0);
    int d = dup(fd);
    assert_true(d >= 0 && d != fd);
    assert_rc(fcntl(d, F_GETFD), 0);
    wp_close(fd);
    assert_int_equal(poll_one(d, 0), 0);
    assert_ok(pidfd_send_signal(d, SIGKILL, NULL, 0));
    assert_int_equal(poll_one(d, -1), POLLIN);
    assert_killed(su_reap(pid), SIGKILL);
    wp_close(d);
}

/* ---- pidfd_send_signal ---- */

static void pidfd_send_signal_ends_the_process(void **state)
{
    (void)state;
    pid_t pid = start_sleeper();
    int fd = pidfd_open(pid, 0);
    assert_true(fd >= 0);
    assert_ok(pidfd_send_signal(fd, 0, NULL, 0));
    assert_ok(pidfd_send_signal(fd, SIGTERM, NULL, 0));
    assert_int_equal(poll_one(fd, -1), POLLIN);
    /* a zombie takes a signal, as kill() says; a reaped process is gone */
    assert_ok(pidfd_send_signal(fd, SIGKILL, NULL, 0));
    assert_killed(su_reap(pid), SIGTERM);
    assert_errno(pidfd_send_signal(fd, SIGKILL, NULL, 0), ESRCH);
    assert_errno(pidfd_send_signal(fd, 0, NULL, 0), ESRCH);
    wp_close(fd);
}

/* Linux checks the flags first, then the fd: EINVAL, EBADF (a pipe is no pidfd). */
static void pidfd_send_signal_errors_are_linuxs(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    /* 0x100: no flag of any Linux (6.9 added PIDFD_SIGNAL_THREAD 1, _THREAD_GROUP 2, _PROCESS_GROUP 4) */
    assert_errno(pidfd_send_signal(-1, SIGKILL, NULL, 0x100), EINVAL);
    assert_errno(pidfd_send_signal(-1, SIGKILL, NULL, 8), EINVAL);
    /* two scopes at once */
    assert_errno(pidfd_send_signal(-1, SIGKILL, NULL,
                                   PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP), EINVAL);
    assert_errno(pidfd_send_signal(-1, SIGKILL, NULL,
                                   PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP),
                 EINVAL);
    assert_errno(pidfd_send_signal(-1, SIGKILL, NULL, 0), EBADF);
    assert_errno(pidfd_send_signal(p[0], SIGKILL, NULL, 0), EBADF);
    wp_close_pipe(p);
}

static pid_t start_in_group(pid_t pgroup)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "60000", NULL };
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    assert_int_equal(posix_spawnattr_setpgroup(&attr, pgroup), 0);
    pid_t pid = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    return pid;
}

/* Linux 6.9's scopes. PIDFD_SIGNAL_THREAD and _THREAD_GROUP reach the process (a process of one
 * thread, here); PIDFD_SIGNAL_PROCESS_GROUP is kill(-pid): the group the process leads, every
 * member of it, and ESRCH for a process that leads none. */
static void pidfd_send_signal_scopes(void **state)
{
    (void)state;
    pid_t plain = start_sleeper();
    int fd = pidfd_open(plain, 0);
    assert_true(fd >= 0);
#ifndef _WIN32
    if (pidfd_send_signal(fd, 0, NULL, PIDFD_SIGNAL_THREAD_GROUP) < 0 && errno == EINVAL) {
        assert_ok(kill(plain, SIGKILL));
        su_reap(plain);
        wp_close(fd);
        skip(); /* a kernel before 6.9 knows no scope */
    }
#endif
    assert_ok(pidfd_send_signal(fd, 0, NULL, PIDFD_SIGNAL_THREAD));
    assert_ok(pidfd_send_signal(fd, 0, NULL, PIDFD_SIGNAL_THREAD_GROUP));
    /* in our group, leading none */
    assert_errno(pidfd_send_signal(fd, SIGTERM, NULL, PIDFD_SIGNAL_PROCESS_GROUP), ESRCH);
    assert_ok(pidfd_send_signal(fd, SIGTERM, NULL, PIDFD_SIGNAL_THREAD));
    assert_killed(su_reap(plain), SIGTERM);
    wp_close(fd);

    pid_t leader = start_in_group(0);
    pid_t member = start_in_group(leader);
    int lfd = pidfd_open(leader, 0), mfd = pidfd_open(member, 0);
    assert_true(lfd >= 0 && mfd >= 0);
    assert_errno(pidfd_send_signal(mfd, SIGTERM, NULL, PIDFD_SIGNAL_PROCESS_GROUP), ESRCH);
    assert_ok(pidfd_send_signal(lfd, SIGTERM, NULL, PIDFD_SIGNAL_PROCESS_GROUP));
    assert_killed(su_reap(member), SIGTERM);
    assert_killed(su_reap(leader), SIGTERM);
    wp_close(lfd);
    wp_close(mfd);
}

/* The point of a pidfd: after the child was reaped, nothing done through the pidfd reaches any
 * other process, whatever the pid now names. */
static void pidfd_after_reap_names_no_other_process(void **state)
{
    siginfo_t si;
    (void)state;
    pid_t pid = start_sleeper();
    int fd = pidfd_open(pid, 0);
    assert_true(fd >= 0);
    assert_ok(kill(pid, SIGKILL));
    su_reap(pid);
    assert_int_equal(poll_one(fd, 0), POLLIN | POLLHUP);
    assert_errno(pidfd_send_signal(fd, SIGKILL, NULL, 0), ESRCH);
    assert_errno(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG), ECHILD);
    assert_errno(waitpid(pid, NULL, WNOHANG), ECHILD);
    /* a new child is not reached through the old pidfd */
    pid_t other = start_sleeper();
    assert_errno(pidfd_send_signal(fd, SIGKILL, NULL, 0), ESRCH);
    assert_rc(waitpid(other, NULL, WNOHANG), 0);
    assert_ok(kill(other, SIGKILL));
    su_reap(other);
    wp_close(fd);
}

/* A process that is not our child (a grandchild, started by a program without winpipe):
 * pidfd_open works, poll reports it once it ended, and waitid cannot reap it. (Natively its
 * new parent reaps it, which adds POLLHUP at a moment of its choosing: only POLLIN is asserted.
 * On Windows nobody reaps it: winpipe never adds POLLHUP for a process that is not its child.) */
static void pidfd_of_a_process_that_is_not_a_child(void **state)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = { (char *)su_plain(), "tree", "600000", NULL }, line[64] = "";
    siginfo_t si;
    long g;
    int p[2];
    size_t got = 0;
    pid_t pid;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    assert_int_equal(posix_spawnattr_setpgroup(&attr, 0), 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, &attr, argv, environ), 0);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    while (got < sizeof line - 1 && (got == 0 || line[got - 1] != '\n'))
        assert_rc(read(p[0], line + got++, 1), 1);
    assert_int_equal(sscanf(line, "G %ld", &g), 1);
    int fd = pidfd_open((pid_t)g, 0);
    assert_true(fd >= 0);
    assert_int_equal(poll_one(fd, 0), 0);
    assert_errno(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG), ECHILD);
    assert_ok(kill(-pid, SIGKILL));
    assert_true(poll_one(fd, -1) & POLLIN);
    assert_killed(su_reap(pid), SIGKILL);
    char *rest = su_read_all(p[0], NULL);
    free(rest);
    wp_close(p[0]);
    assert_errno(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG), ECHILD);
    wp_close(fd);
}

/* ---- waitid ---- */

static void waitid_errors_are_linuxs(void **state)
{
    siginfo_t si;
    int p[2];
    (void)state;
    assert_errno(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
    assert_errno(waitid(P_ALL, 0, &si, 0), EINVAL);
    assert_errno(waitid(P_ALL, 0, &si, WNOHANG), EINVAL);
    assert_errno(waitid(P_ALL, 0, &si, WEXITED | 0x4000), EINVAL);
    assert_errno(waitid(P_PID, 0, &si, WEXITED), EINVAL);
    assert_errno(waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);
    assert_errno(waitid(P_PIDFD, (id_t)-1, &si, WEXITED), EINVAL);
    wp_pipe(p, O_CLOEXEC);
    assert_errno(waitid(P_PIDFD, (id_t)p[0], &si, WEXITED), EBADF);
    wp_close_pipe(p);
    assert_errno(waitid(P_PIDFD, 1000, &si, WEXITED), EBADF);
}

static void assert_info(const siginfo_t *si, pid_t pid, int code, int status)
{
    assert_int_equal(si->si_signo, SIGCHLD);
    assert_int_equal(si->si_pid, pid);
    assert_int_equal(si->si_code, code);
    assert_int_equal(si->si_status, status);
}

/* waitid with WNOHANG and nothing to report: 0, and a siginfo all zero (Linux's). */
static void assert_nothing_ready(idtype_t type, pid_t id, int options)
{
    siginfo_t si;
    memset(&si, 0x55, sizeof si);
    assert_ok(waitid(type, (id_t)id, &si, options | WNOHANG));
    assert_int_equal(si.si_pid, 0);
    assert_int_equal(si.si_signo, 0);
    assert_int_equal(si.si_status, 0);
}

/* P_PID: WNOHANG answers 0 with si_pid 0 while the child runs; WNOWAIT reports without
 * reaping, so that waitpid reaps it after. */
static void waitid_p_pid_wnowait_then_waitpid(void **state)
{
    char *args[] = { "exit", "7", NULL };
    siginfo_t si;
    int st;
    (void)state;
    pid_t s = start_sleeper();
    assert_nothing_ready(P_PID, s, WEXITED);
    pid_t pid = start(args);
    assert_ok(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT));
    assert_info(&si, pid, CLD_EXITED, 7);
    assert_ok(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG));
    assert_info(&si, pid, CLD_EXITED, 7);
    assert_rc(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);
    assert_errno(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG), ECHILD);
    assert_ok(kill(s, SIGKILL));
    assert_ok(waitid(P_PID, (id_t)s, &si, WEXITED));
    assert_info(&si, s, CLD_KILLED, SIGKILL);
    assert_errno(waitpid(s, NULL, WNOHANG), ECHILD);
}

/* P_ALL reaps any child; P_PGID those of one group (0: the caller's). */
static void waitid_p_all_and_p_pgid(void **state)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "60000", NULL };
    siginfo_t si;
    (void)state;
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    assert_int_equal(posix_spawnattr_setpgroup(&attr, 0), 0);
    pid_t leader = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    pid_t mine = start_sleeper();
    assert_nothing_ready(P_PGID, leader, WEXITED);
    assert_ok(kill(mine, SIGTERM));
    assert_ok(waitid(P_PGID, 0, &si, WEXITED));
    assert_info(&si, mine, CLD_KILLED, SIGTERM);
    assert_errno(waitid(P_PGID, 0, &si, WEXITED | WNOHANG), ECHILD);
    assert_ok(kill(leader, SIGKILL));
    assert_ok(waitid(P_ALL, 0, &si, WEXITED));
    assert_info(&si, leader, CLD_KILLED, SIGKILL);
    assert_errno(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
}

/* P_PIDFD reaps the pidfd's child. */
static void waitid_p_pidfd(void **state)
{
    char *args[] = { "exit", "3", NULL };
    siginfo_t si;
    (void)state;
    pid_t pid = start(args);
    int fd = pidfd_open(pid, 0);
    assert_true(fd >= 0);
    assert_int_equal(poll_one(fd, -1), POLLIN);
    assert_ok(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOWAIT));
    assert_info(&si, pid, CLD_EXITED, 3);
    assert_ok(waitid(P_PIDFD, (id_t)fd, &si, WEXITED));
    assert_info(&si, pid, CLD_EXITED, 3);
    assert_errno(waitid(P_PIDFD, (id_t)fd, &si, WEXITED), ECHILD);
    wp_close(fd);
}

/* Without WEXITED (only WSTOPPED or WCONTINUED) nothing of an exit is reported, and Linux counts
 * only the children still running: WNOHANG answers 0 while one runs; a child that has ended but
 * is not reaped is ECHILD at once, blocking or not; a blocking wait lasts while a matching child
 * runs and answers ECHILD once none does. The ended children stay for waitpid. */
static void waitid_without_wexited_waits_only_for_running_children(void **state)
{
    char *quick[] = { "exit", "5", NULL };
    char *brief[] = { "sleep", "300", NULL };
    siginfo_t si;
    int st;
    (void)state;
    pid_t s = start_sleeper();
    assert_nothing_ready(P_PID, s, WSTOPPED);
    assert_nothing_ready(P_ALL, 0, WCONTINUED);

    pid_t z = start(quick);
    int fd = pidfd_open(z, 0);
    assert_true(fd >= 0);
    assert_int_equal(poll_one(fd, -1), POLLIN); /* ended, not reaped */
    assert_errno(waitid(P_PID, (id_t)z, &si, WSTOPPED | WNOHANG), ECHILD);
    assert_errno(waitid(P_PID, (id_t)z, &si, WSTOPPED), ECHILD);
    assert_errno(waitid(P_PIDFD, (id_t)fd, &si, WCONTINUED | WNOWAIT), ECHILD);
    wp_close(fd);

    /* blocks while the child runs; its end is no stop: ECHILD */
    pid_t b = start(brief);
    assert_errno(waitid(P_PID, (id_t)b, &si, WSTOPPED), ECHILD);
    assert_rc(waitpid(b, &st, WNOHANG), b);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);

    /* P_ALL: blocks until the sleeper, killed meanwhile, has ended too */
    assert_ok(kill(s, SIGKILL));
    assert_errno(waitid(P_ALL, 0, &si, WSTOPPED | WCONTINUED), ECHILD);
    assert_rc(waitpid(s, &st, WNOHANG), s);
    assert_killed(st, SIGKILL);
    assert_rc(waitpid(z, &st, WNOHANG), z);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 5);
    assert_errno(waitid(P_ALL, 0, &si, WSTOPPED | WNOHANG), ECHILD);
}

/* ---- past 64 fds ---- */

#define IDLE_PIPES 66 /* their read ends, with a pidfd: poll's completion port */

/* Polls set (n fds, the pidfd last) with timeout ms until the pidfd is readable; every other fd
 * reported must be ready for what it asked. No progress is reported meanwhile: a poll that never
 * sees the process's end is a hang the watchdog catches. */
static void poll_until_ended(struct pollfd *set, nfds_t n, int ms)
{
    for (;;) {
        int r = poll(set, n, ms);
        assert_true(r >= 0);
        if (set[n - 1].revents) {
            assert_int_equal(set[n - 1].revents, POLLIN);
            return;
        }
        wp_sleep_ms(1);
    }
}

/* Past 64 fds a pidfd's end comes to poll() as a packet on its completion port. A poll that does
 * not sleep — a time-out of 0, or another fd ready at every call — must still report it (Linux
 * does, at once). */
static void pidfd_end_reaches_polls_that_never_sleep(void **state)
{
    char *brief[] = { "sleep", "200", NULL };
    struct pollfd set[IDLE_PIPES + 2];
    int pipes[IDLE_PIPES][2], out[2];
    siginfo_t si;
    (void)state;
    for (int i = 0; i < IDLE_PIPES; i++) {
        wp_pipe(pipes[i], O_CLOEXEC);
        set[i] = (struct pollfd){ pipes[i][0], POLLIN, 0 };
    }
    /* a time-out of 0, the process ending between two calls */
    pid_t a = start(brief);
    int afd = pidfd_open(a, 0);
    assert_true(afd >= 0);
    set[IDLE_PIPES] = (struct pollfd){ afd, POLLIN, 0 };
    assert_int_equal(poll(set, IDLE_PIPES + 1, 0), 0);
    assert_ok(waitid(P_PIDFD, (id_t)afd, &si, WEXITED | WNOWAIT));
    poll_until_ended(set, IDLE_PIPES + 1, 0);
    wp_progress();

    /* poll(-1) with a pipe always writable: every call returns at once */
    pid_t b = start(brief);
    int bfd = pidfd_open(b, 0);
    assert_true(bfd >= 0);
    wp_pipe(out, O_CLOEXEC);
    set[IDLE_PIPES] = (struct pollfd){ out[1], POLLOUT, 0 };
    set[IDLE_PIPES + 1] = (struct pollfd){ bfd, POLLIN, 0 };
    poll_until_ended(set, IDLE_PIPES + 2, -1);
    assert_int_equal(set[IDLE_PIPES].revents, POLLOUT);
    wp_progress();

    assert_int_equal(su_reap(a), 0);
    assert_int_equal(su_reap(b), 0);
    wp_close(afd);
    wp_close(bfd);
    wp_close_pipe(out);
    for (int i = 0; i < IDLE_PIPES; i++)
        wp_close_pipe(pipes[i]);
}

/* ---- many ---- */

#define MANY 256

/* The case: MANY children, each with a pidfd and its stdout pipe, all in one poll().
 * Each child writes its line and exits; each pipe is read to EOF and each exit is seen exactly
 * once (reaped through its pidfd, then the pidfd closed). */
static void many_pidfds_and_pipes_in_one_poll(void **state)
{
    static struct pollfd fds[2 * MANY];
    static pid_t pids[MANY];
    static char got[MANY][32];
    static size_t len[MANY];
    int open_fds = 0, exits = 0;
    (void)state;
    for (int i = 0; i < MANY; i++) {
        char line[32];
        snprintf(line, sizeof line, "child %d\n", i);
        char *args[] = { "echo", "1", line, NULL };
        posix_spawn_file_actions_t fa;
        int p[2];
        wp_pipe(p, O_CLOEXEC);
        assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
        assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
        pids[i] = su_spawn(&fa, NULL, args);
        posix_spawn_file_actions_destroy(&fa);
        wp_close(p[1]);
        fds[2 * i] = (struct pollfd){ p[0], POLLIN, 0 };
        int pfd = pidfd_open(pids[i], 0);
        if (pfd < 0)
            fail_msg("pidfd_open(%d) of child %d: errno %d", (int)pids[i], i, errno);
        fds[2 * i + 1] = (struct pollfd){ pfd, POLLIN, 0 };
        open_fds += 2;
    }
    while (open_fds > 0) {
        int n = poll(fds, 2 * MANY, -1);
        assert_true(n > 0);
        wp_progress();
        for (int k = 0; k < 2 * MANY; k++) {
            int i = k / 2;
            if (fds[k].fd < 0 || !fds[k].revents)
                continue;
            if (k % 2 == 0) {
                char buf[64];
                ssize_t r = read(fds[k].fd, buf, sizeof buf);
                assert_true(r >= 0);
                if (r == 0) {
                    wp_close(fds[k].fd);
                    fds[k].fd = -1;
                    open_fds--;
                    continue;
                }
                assert_true(len[i] + (size_t)r < sizeof got[i]);
                memcpy(got[i] + len[i], buf, (size_t)r);
                len[i] += (size_t)r;
            } else {
                siginfo_t si;
                assert_int_equal(fds[k].revents, POLLIN);
                assert_ok(waitid(P_PIDFD, (id_t)fds[k].fd, &si, WEXITED | WNOHANG));
                assert_info(&si, pids[i], CLD_EXITED, 0);
                exits++;
                wp_close(fds[k].fd);
                fds[k].fd = -1;
                open_fds--;
            }
        }
    }
    assert_int_equal(exits, MANY);
    for (int i = 0; i < MANY; i++) {
        char want[32];
        snprintf(want, sizeof want, "child %d\n", i);
        assert_string_equal(got[i], want);
    }
    assert_errno(waitpid(-1, NULL, WNOHANG), ECHILD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(pidfd_open_errors_are_linuxs),
        WP_TEST(pidfd_open_flags),
        WP_TEST(pidfd_read_and_write_are_einval),
        WP_TEST(pidfd_polls_readable_once_the_process_ended),
        WP_TEST(pidfd_selects_readable_once_the_process_ended),
        WP_TEST(pidfd_dup_outlives_the_original),
        WP_TEST(pidfd_send_signal_ends_the_process),
        WP_TEST(pidfd_send_signal_errors_are_linuxs),
        WP_TEST(pidfd_send_signal_scopes),
        WP_TEST(pidfd_after_reap_names_no_other_process),
        WP_TEST(pidfd_of_a_process_that_is_not_a_child),
        WP_TEST(waitid_errors_are_linuxs),
        WP_TEST(waitid_p_pid_wnowait_then_waitpid),
        WP_TEST(waitid_p_all_and_p_pgid),
        WP_TEST(waitid_p_pidfd),
        WP_TEST(waitid_without_wexited_waits_only_for_running_children),
        WP_TEST(pidfd_end_reaches_polls_that_never_sleep),
        WP_TEST(many_pidfds_and_pipes_in_one_poll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
