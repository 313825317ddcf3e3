/* <signal.h> wrapper: mingw-w64's own header, then SIGPIPE and winpipe's signal()/raise(), which
 * handle SIGPIPE themselves (msvcrt knows no SIGPIPE) and pass every other signal to the CRT.
 * On a POSIX host it is the system header and nothing else. */

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
#include <winpipe.h>
#ifndef WINPIPE_BUILDING
#undef signal
#undef raise
#define signal winpipe_signal
#define raise winpipe_raise
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
#ifndef _POSIX
typedef _sigset_t sigset_t; /* mingw-w64 names it only under _POSIX */
#endif
/* Only posix_spawnattr_setsigmask/setsigdefault take a set; these fill one. */
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
/* ---- wait.c: siginfo_t, as waitid fills it (si_code: Linux's values) ---- */
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6
typedef winpipe_siginfo_t siginfo_t;
#define sigval winpipe_sigval
#ifndef WINPIPE_BUILDING
#undef kill
#undef killpg
#define kill winpipe_kill
#define killpg winpipe_killpg
#endif
#endif
