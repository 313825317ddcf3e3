/* <signal.h> wrapper: mingw-w64's own header, then what POSIX adds and the C runtime lacks, from
 * winpipe: the signal numbers (Linux's), sigset_t and its functions, struct sigaction and
 * siginfo_t, sigaction(), masks (sigprocmask, pthread_sigmask, sigpending, sigsuspend), psignal,
 * siginterrupt, kill; signal() and raise() are winpipe's too, sharing sigaction's dispositions (compat-docs/
 * signal.md). On a POSIX host it is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#include_next <signal.h>

#if defined(_WIN32) && !defined(WINPIPE_SIGNAL_H)
#define WINPIPE_SIGNAL_H
#include <errno.h>
#include <time.h> /* POSIX: <signal.h> gives struct timespec, for sigtimedwait */
#include <winpipe.h>
#ifndef WINPIPE_BUILDING
#undef signal
#undef raise
#define signal winpipe_signal
#define raise winpipe_raise
#endif

/* mingw's NSIG (23) counts the C runtime's signals; winpipe's go up to 64. */
#undef NSIG
#define NSIG 65
/* Real-time signals as glibc numbers them (its threads keep 32 and 33): code writes SIGRTMIN + n. */
#ifndef SIGRTMIN
#define SIGRTMIN 34
#endif
#ifndef SIGRTMAX
#define SIGRTMAX 64
#endif

/* ---- spawn.c, wait.c: kill(), and the signal numbers it and waitpid() speak (Linux's) ---- */
#ifndef SIGHUP
#define SIGHUP 1
#endif
#ifndef SIGQUIT
#define SIGQUIT 3
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef SIGUSR1
#define SIGUSR1 10
#endif
#ifndef SIGUSR2
#define SIGUSR2 12
#endif
#ifndef SIGALRM
#define SIGALRM 14
#endif
#ifndef SIGCHLD
#define SIGCHLD 17
#endif
/* kill() knows these too: SIGCONT, SIGURG and SIGWINCH do nothing (their default action);
 * SIGSTOP and SIGTSTP give EINVAL (Windows cannot stop a process). mingw's SIGBREAK (21) and
 * SIGABRT (22) take Linux's SIGTTIN and SIGTTOU numbers, which are therefore not defined. */
#ifndef SIGCONT
#define SIGCONT 18
#endif
#ifndef SIGSTOP
#define SIGSTOP 19
#endif
#ifndef SIGTSTP
#define SIGTSTP 20
#endif
#ifndef SIGURG
#define SIGURG 23
#endif
#ifndef SIGWINCH
#define SIGWINCH 28
#endif
/* The rest of Linux's numbers, for programs that name them (no source here sends them but kill). */
#ifndef SIGTRAP
#define SIGTRAP 5
#endif
#ifndef SIGBUS
#define SIGBUS 7
#endif
#ifndef SIGXCPU
#define SIGXCPU 24
#endif
#ifndef SIGXFSZ
#define SIGXFSZ 25
#endif
#ifndef SIGVTALRM
#define SIGVTALRM 26
#endif
#ifndef SIGPROF
#define SIGPROF 27
#endif
#ifndef SIGIO
#define SIGIO 29
#endif
#ifndef SIGPOLL
#define SIGPOLL SIGIO
#endif
#ifndef SIGPWR
#define SIGPWR 30
#endif
#ifndef SIGSYS
#define SIGSYS 31
#endif
#ifndef _POSIX
typedef _sigset_t sigset_t; /* mingw-w64 names it only under _POSIX */
#endif
/* The set of signals 1-64: bit sig - 1. */
#ifndef sigemptyset
static __inline int winpipe_sigset__bad(int sig)
{
    if (sig > 0 && sig <= 64)
        return 0;
    errno = EINVAL;
    return 1;
}
static __inline int sigemptyset(sigset_t *s) { *s = 0; return 0; }
static __inline int sigfillset(sigset_t *s) { *s = ~(sigset_t)0; return 0; }
static __inline int sigaddset(sigset_t *s, int sig)
{
    if (winpipe_sigset__bad(sig))
        return -1;
    *s |= (sigset_t)1 << (sig - 1);
    return 0;
}
static __inline int sigdelset(sigset_t *s, int sig)
{
    if (winpipe_sigset__bad(sig))
        return -1;
    *s &= ~((sigset_t)1 << (sig - 1));
    return 0;
}
static __inline int sigismember(const sigset_t *s, int sig)
{
    if (winpipe_sigset__bad(sig))
        return -1;
    return (*s >> (sig - 1)) & 1;
}
#endif

/* ---- sigaction, masks ---- */
#ifndef SIG_BLOCK
#define SIG_BLOCK 0
#endif
#ifndef SIG_UNBLOCK
#define SIG_UNBLOCK 1
#endif
#ifndef SIG_SETMASK
#define SIG_SETMASK 2
#endif
#define SA_NOCLDSTOP WINPIPE_SA_NOCLDSTOP
#define SA_NOCLDWAIT WINPIPE_SA_NOCLDWAIT
#define SA_SIGINFO WINPIPE_SA_SIGINFO
#define SA_ONSTACK WINPIPE_SA_ONSTACK
#define SA_RESTART WINPIPE_SA_RESTART
#define SA_NODEFER WINPIPE_SA_NODEFER
#define SA_RESETHAND WINPIPE_SA_RESETHAND
#define SA_NOMASK SA_NODEFER
#define SA_ONESHOT SA_RESETHAND
/* si_code, Linux's values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_TKILL (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6
typedef winpipe_siginfo_t siginfo_t;
#define sigval winpipe_sigval
/* As glibc does: the handler's two spellings are one union member's. */
#define sa_handler winpipe_sa_u.winpipe_sa_handler
#define sa_sigaction winpipe_sa_u.winpipe_sa_sigaction

#ifndef WINPIPE_BUILDING
#undef kill
#undef killpg
#undef sigaction
#undef sigprocmask
#undef pthread_sigmask
#undef sigpending
#undef sigsuspend
#undef sigtimedwait
#undef sigwaitinfo
#undef sigwait
#undef psignal
#undef siginterrupt
#define kill winpipe_kill
#define killpg winpipe_killpg
/* Both struct sigaction and sigaction() become winpipe_sigaction. */
#define sigaction winpipe_sigaction
#define sigprocmask winpipe_sigprocmask
/* mingw-w64's <signal.h> brings winpthreads' pthread_signal.h, whose pthread_sigmask is a
 * macro for 0: a mask that silently does nothing. */
#define pthread_sigmask winpipe_pthread_sigmask
#define sigpending winpipe_sigpending
#define sigsuspend winpipe_sigsuspend
#define sigtimedwait winpipe_sigtimedwait
#define sigwaitinfo winpipe_sigwaitinfo
#define sigwait winpipe_sigwait
#define psignal winpipe_psignal
#define siginterrupt winpipe_siginterrupt
#endif
#endif
