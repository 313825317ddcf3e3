/* signal.c: signal() and raise() for the signals msvcrt does not know. The C runtime's own
 * signal() and raise() handle SIGINT, SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGBREAK and SIGABRT;
 * for every other signal 1-64 (SIGPIPE, SIGCHLD, SIGUSR1, SIGWINCH, ...) winpipe keeps the
 * disposition itself, and raise() or kill() of the process itself, or a write to a pipe whose
 * reader is gone (SIGPIPE), acts on it. Handlers stay installed after they run (BSD and glibc
 * semantics; msvcrt's own signal() resets them to SIG_DFL). Windows runs no handler
 * asynchronously: these signals only ever come from this process's own calls. */
#include "winpipe-internal.h"
#include <signal.h>

#define WP_SIG_MAX 64

/* Zero is SIG_DFL. */
static void (*volatile wp_sig_action[WP_SIG_MAX + 1])(int);

static int wp_signal__crt_knows(int sig)
{
    switch (sig) {
    case SIGINT: case SIGILL: case SIGFPE: case SIGSEGV: case SIGTERM: case SIGBREAK: case SIGABRT:
        return 1;
    default:
        return 0;
    }
}

/* POSIX: the default action of SIGCHLD, SIGCONT, SIGURG and SIGWINCH is to do nothing. */
int wp_signal_ignored_by_default(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static winpipe_sighandler_t wp_signal(int sig, winpipe_sighandler_t handler)
{
    if (wp_signal__crt_knows(sig)) {
        int saved = errno;
        errno = 0;
        winpipe_sighandler_t old = signal(sig, handler);
        if (old != SIG_ERR)
            errno = saved;
        else if (errno == 0)
            errno = EINVAL; /* the CRT says nothing for a handler it refuses */
        return old;
    }
    /* POSIX: SIGKILL and SIGSTOP can be neither caught nor ignored. */
    if (sig < 1 || sig > WP_SIG_MAX || sig == SIGKILL || sig == SIGSTOP || handler == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return InterlockedExchangePointer((PVOID volatile *)&wp_sig_action[sig], (PVOID)handler);
}

winpipe_sighandler_t winpipe_signal(int sig, winpipe_sighandler_t handler)
{
    winpipe_sighandler_t old = wp_signal(sig, handler);
    wp_trace_ret(old == SIG_ERR ? -1 : 0, "signal(%d, 0x%llx)", sig, WP_TRACE_PTR(handler));
    return old;
}

/* POSIX: the default action of SIGPIPE (and of kill()'s signals) ends the process "by the
 * signal", without atexit handlers or stdio flushing. Windows has no such thing: the process ends
 * with an exit code that winpipe's waitpid() reports as WIFSIGNALED. Bytes already reported
 * written stay: the kernel keeps them on Linux, so winpipe waits for its write-behinds first. */
static void wp_signal__exit(int sig)
{
    wp_wb_flush(0);
    TerminateProcess(GetCurrentProcess(), WINPIPE_SIGNAL_EXIT_CODE(sig));
}

/* The signal's action in this process, now: its handler, nothing, or its default action. */
int wp_signal_raise(int sig)
{
    if (sig == 0)
        return 0; /* the null signal: nothing to deliver (POSIX; Linux returns 0) */
    if (wp_signal__crt_knows(sig))
        return raise(sig) == 0 ? 0 : -EINVAL;
    if (sig < 1 || sig > WP_SIG_MAX)
        return -EINVAL;
    void (*action)(int) = wp_sig_action[sig];
    if (action == SIG_IGN)
        return 0;
    if (action != SIG_DFL) {
        action(sig);
        return 0;
    }
    if (wp_signal_ignored_by_default(sig))
        return 0;
    if (sig == SIGSTOP || sig == SIGTSTP)
        return -EINVAL; /* their default stops the process, which Windows cannot do */
    wp_signal__exit(sig);
    return 0;
}

int winpipe_raise(int sig)
{
    return (int)wp_trace_ret(wp_ret(wp_signal_raise(sig)), "raise(%d)", sig);
}

void wp_signal_pipe(void)
{
    wp_signal_raise(SIGPIPE);
}
