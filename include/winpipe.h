/* winpipe.h: winpipe's public interface. Every POSIX function winpipe provides exists here under
 * a winpipe_ name; the wrapper headers beside this one (<unistd.h>, <fcntl.h>, <signal.h>, ...)
 * route the POSIX names to them, so ported code compiles unchanged. On a POSIX host this header
 * declares nothing: the system's own functions are the real thing. */

/* A system header for the compiler, like the wrappers that include it, so that ported code
 * building with -Wpedantic -Werror gets no warning from it; winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#ifndef WINPIPE_H
#define WINPIPE_H

#ifdef _WIN32

#include <stddef.h>
#include <sys/types.h>
#include <fcntl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WINPIPE_VERSION "0.1.0"

/* POSIX constants mingw-w64 lacks. Values are Linux's where no CRT flag is involved;
 * O_CLOEXEC is the CRT's own _O_NOINHERIT so that _open(…, O_CLOEXEC) means the same. */
#ifndef O_NONBLOCK
#define O_NONBLOCK 0x40000000
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
#ifndef O_ACCMODE
#define O_ACCMODE (_O_RDONLY | _O_WRONLY | _O_RDWR)
#endif
/* One by one: another header may have defined some (see <fcntl.h>, which defines them first). */
#ifndef F_DUPFD
#define F_DUPFD 0
#endif
#ifndef F_GETFD
#define F_GETFD 1
#endif
#ifndef F_SETFD
#define F_SETFD 2
#endif
#ifndef F_GETFL
#define F_GETFL 3
#endif
#ifndef F_SETFL
#define F_SETFL 4
#endif
#ifndef F_DUPFD_CLOEXEC
#define F_DUPFD_CLOEXEC 1030
#endif
#ifndef FD_CLOEXEC
#define FD_CLOEXEC 1
#endif
#ifndef PIPE_BUF
#define PIPE_BUF 4096
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif

/* A process that winpipe ends "by a signal" (SIGPIPE's default action, kill()) exits with this
 * code; winpipe's waitpid() reports it as WIFSIGNALED with WTERMSIG == sig. */
#define WINPIPE_SIGNAL_EXIT_CODE(sig) (0xE0570000u | ((unsigned)(sig) & 0xffu))

int winpipe_pipe(int fds[2]);
int winpipe_pipe2(int fds[2], int flags);
/* msvcrt's _pipe signature: size in bytes (0: 64 KiB), mode _O_BINARY/_O_TEXT/_O_NOINHERIT. */
int winpipe__pipe(int *fds, unsigned int size, int mode);

ssize_t winpipe_read(int fd, void *buf, size_t count);
ssize_t winpipe_write(int fd, const void *buf, size_t count);
int winpipe_close(int fd);

/* <unistd.h>'s sysconf() names, with Linux's values. */
#ifndef _SC_ARG_MAX
#define _SC_ARG_MAX 0
#endif
#ifndef _SC_OPEN_MAX
#define _SC_OPEN_MAX 4
#endif
#ifndef _SC_PAGESIZE
#define _SC_PAGESIZE 30
#endif
#ifndef _SC_PAGE_SIZE
#define _SC_PAGE_SIZE _SC_PAGESIZE
#endif
#ifndef _SC_NPROCESSORS_CONF
#define _SC_NPROCESSORS_CONF 83
#endif
#ifndef _SC_NPROCESSORS_ONLN
#define _SC_NPROCESSORS_ONLN 84
#endif
/* _SC_OPEN_MAX and getdtablesize(): the C runtime's fd limit, 2048 (msvcrt) or 8192 (UCRT). */
long winpipe_sysconf(int name);
int winpipe_getdtablesize(void);

int winpipe_dup(int fd);
int winpipe_dup2(int fd, int fd2);
int winpipe_dup3(int fd, int fd2, int flags);
int winpipe_fcntl(int fd, int cmd, ...);

/* fclose() that also lets go of winpipe's state for the stream's fd (see <stdio.h>). */
struct _iobuf;
int winpipe_fclose(struct _iobuf *stream);

typedef void (*winpipe_sighandler_t)(int);
winpipe_sighandler_t winpipe_signal(int sig, winpipe_sighandler_t handler);
int winpipe_raise(int sig);

/* ---- signal.c: <signal.h>'s sigaction, masks and siginfo_t, with Linux's values ---- */
#define WINPIPE_SA_NOCLDSTOP 0x00000001
#define WINPIPE_SA_NOCLDWAIT 0x00000002
#define WINPIPE_SA_SIGINFO 0x00000004
#define WINPIPE_SA_ONSTACK 0x08000000
#define WINPIPE_SA_RESTART 0x10000000
#define WINPIPE_SA_NODEFER 0x40000000
#define WINPIPE_SA_RESETHAND 0x80000000

union winpipe_sigval {
    int sival_int;
    void *sival_ptr;
};

typedef struct {
    int si_signo;
    int si_errno;
    int si_code;     /* SI_USER (kill), SI_TKILL (raise), SI_KERNEL, CLD_EXITED, CLD_KILLED */
    pid_t si_pid;    /* the sender, or the child that ended (SIGCHLD) */
    unsigned int si_uid;
    int si_status;   /* SIGCHLD: the exit status, or the signal that ended the child */
    void *si_addr;
    union winpipe_sigval si_value;
} winpipe_siginfo_t;

/* The struct and the function share the name, as struct sigaction and sigaction() do. */
struct winpipe_sigaction {
    union {
        void (*winpipe_sa_handler)(int);
        void (*winpipe_sa_sigaction)(int, winpipe_siginfo_t *, void *);
    } winpipe_sa_u;
    _sigset_t sa_mask;
    int sa_flags;
    void (*sa_restorer)(void);
};

int winpipe_sigaction(int sig, const struct winpipe_sigaction *act, struct winpipe_sigaction *old);
int winpipe_sigprocmask(int how, const _sigset_t *set, _sigset_t *old);
int winpipe_pthread_sigmask(int how, const _sigset_t *set, _sigset_t *old); /* an error number */
int winpipe_sigpending(_sigset_t *set);
int winpipe_sigsuspend(const _sigset_t *mask);
struct timespec;
int winpipe_sigtimedwait(const _sigset_t *set, winpipe_siginfo_t *info,
                         const struct timespec *timeout);
int winpipe_sigwaitinfo(const _sigset_t *set, winpipe_siginfo_t *info);
int winpipe_sigwait(const _sigset_t *set, int *sig); /* an error number */
int winpipe_pause(void);
char *winpipe_strsignal(int sig);
void winpipe_psignal(int sig, const char *s);
int winpipe_siginterrupt(int sig, int flag);
unsigned int winpipe_alarm(unsigned int seconds);

/* ---- sleep.c: sleeps a signal's handler ends ---- */
unsigned int winpipe_sleep(unsigned int seconds);
int winpipe_usleep(unsigned int us); /* useconds_t, which mingw's <sys/types.h> may not give */
int winpipe_nanosleep(const struct timespec *req, struct timespec *rem);

/* ---- thread.c: <pthread.h>'s pthread_create gives the new thread its creator's signal mask ---- */
struct winpipe_thread_start;
/* Records fn, arg and the calling thread's mask; an error number (EAGAIN: no memory). */
int winpipe_thread_start_new(void *(*fn)(void *), void *arg, struct winpipe_thread_start **start);
void *winpipe_thread_start_run(void *start); /* the real pthread_create's start routine */
void winpipe_thread_start_free(struct winpipe_thread_start *start); /* it failed: unused */

/* ---- spawn.c, wait.c ---- */

/* <spawn.h>'s flags, with glibc's values. */
#define WINPIPE_POSIX_SPAWN_RESETIDS 0x01
#define WINPIPE_POSIX_SPAWN_SETPGROUP 0x02
#define WINPIPE_POSIX_SPAWN_SETSIGDEF 0x04
#define WINPIPE_POSIX_SPAWN_SETSIGMASK 0x08
#define WINPIPE_POSIX_SPAWN_SETSCHEDPARAM 0x10
#define WINPIPE_POSIX_SPAWN_SETSCHEDULER 0x20
#define WINPIPE_POSIX_SPAWN_SETSID 0x80

typedef struct {
    short flags;
    pid_t pgroup;
    _sigset_t sigmask, sigdefault;
} winpipe_posix_spawnattr_t;

struct winpipe_spawn_action;
typedef struct {
    int count, cap;
    struct winpipe_spawn_action *actions;
} winpipe_posix_spawn_file_actions_t;

/* The posix_spawn family returns 0 or a positive error number and leaves errno alone. */
int winpipe_posix_spawn(pid_t *pid, const char *path,
                        const winpipe_posix_spawn_file_actions_t *file_actions,
                        const winpipe_posix_spawnattr_t *attr, char *const argv[],
                        char *const envp[]);
int winpipe_posix_spawnp(pid_t *pid, const char *file,
                         const winpipe_posix_spawn_file_actions_t *file_actions,
                         const winpipe_posix_spawnattr_t *attr, char *const argv[],
                         char *const envp[]);
int winpipe_posix_spawn_file_actions_init(winpipe_posix_spawn_file_actions_t *fa);
int winpipe_posix_spawn_file_actions_destroy(winpipe_posix_spawn_file_actions_t *fa);
int winpipe_posix_spawn_file_actions_addopen(winpipe_posix_spawn_file_actions_t *fa, int fd,
                                             const char *path, int oflag, mode_t mode);
int winpipe_posix_spawn_file_actions_addclose(winpipe_posix_spawn_file_actions_t *fa, int fd);
int winpipe_posix_spawn_file_actions_adddup2(winpipe_posix_spawn_file_actions_t *fa, int fd,
                                             int newfd);
int winpipe_posix_spawn_file_actions_addchdir(winpipe_posix_spawn_file_actions_t *fa,
                                              const char *path);
int winpipe_posix_spawn_file_actions_addfchdir(winpipe_posix_spawn_file_actions_t *fa, int fd);
int winpipe_posix_spawnattr_init(winpipe_posix_spawnattr_t *attr);
int winpipe_posix_spawnattr_destroy(winpipe_posix_spawnattr_t *attr);
int winpipe_posix_spawnattr_getflags(const winpipe_posix_spawnattr_t *attr, short *flags);
int winpipe_posix_spawnattr_setflags(winpipe_posix_spawnattr_t *attr, short flags);
int winpipe_posix_spawnattr_getpgroup(const winpipe_posix_spawnattr_t *attr, pid_t *pgroup);
int winpipe_posix_spawnattr_setpgroup(winpipe_posix_spawnattr_t *attr, pid_t pgroup);
int winpipe_posix_spawnattr_getsigmask(const winpipe_posix_spawnattr_t *attr, _sigset_t *mask);
int winpipe_posix_spawnattr_setsigmask(winpipe_posix_spawnattr_t *attr, const _sigset_t *mask);
int winpipe_posix_spawnattr_getsigdefault(const winpipe_posix_spawnattr_t *attr, _sigset_t *set);
int winpipe_posix_spawnattr_setsigdefault(winpipe_posix_spawnattr_t *attr, const _sigset_t *set);

/* <sys/wait.h>: status words as Linux encodes them. */
#define WINPIPE_WNOHANG 1
#define WINPIPE_WUNTRACED 2
#define WINPIPE_WCONTINUED 8

pid_t winpipe_waitpid(pid_t pid, int *status, int options);
pid_t winpipe_wait(int *status);
/* waitpid() that also gives the child's exact 32-bit exit code (an NTSTATUS for a crash,
 * WINPIPE_SIGNAL_EXIT_CODE(sig) for a process ended by a signal). */
pid_t winpipe_waitpid_exit_code(pid_t pid, int *status, int options, unsigned int *exit_code);
int winpipe_kill(pid_t pid, int sig);

/* Process groups (<unistd.h>, killpg in <signal.h>): each group is a Windows job object. */
pid_t winpipe_getpgrp(void);
pid_t winpipe_getpgid(pid_t pid);
int winpipe_setpgid(pid_t pid, pid_t pgid);
int winpipe_killpg(pid_t pgrp, int sig);

/* Process fds (<sys/pidfd.h>) and waitid (<sys/wait.h>), with Linux's values. A pidfd is an fd
 * that poll() and select() report readable once its process has ended. */
#define WINPIPE_PIDFD_NONBLOCK O_NONBLOCK
#define WINPIPE_PIDFD_SIGNAL_THREAD (1u << 0)
#define WINPIPE_PIDFD_SIGNAL_THREAD_GROUP (1u << 1)
#define WINPIPE_PIDFD_SIGNAL_PROCESS_GROUP (1u << 2)
#define WINPIPE_P_ALL 0
#define WINPIPE_P_PID 1
#define WINPIPE_P_PGID 2
#define WINPIPE_P_PIDFD 3
#define WINPIPE_WSTOPPED 2
#define WINPIPE_WEXITED 4
#define WINPIPE_WNOWAIT 0x01000000
int winpipe_pidfd_open(pid_t pid, unsigned int flags);
int winpipe_pidfd_send_signal(int pidfd, int sig, winpipe_siginfo_t *info, unsigned int flags);
int winpipe_waitid(int idtype, unsigned int id, winpipe_siginfo_t *info, int options);

#ifdef __cplusplus
}
#endif

#endif /* _WIN32 */
#endif /* WINPIPE_H */
