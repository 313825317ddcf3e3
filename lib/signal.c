/* signal.c: SIGPIPE, which msvcrt does not know. winpipe_signal() keeps SIGPIPE's disposition and
 * passes every other signal to the CRT; a write to a pipe whose reader is gone calls
 * wp_sigpipe(). Handlers stay installed after they run (BSD and glibc semantics; msvcrt's own
 * signal() resets them to SIG_DFL). */
#include "winpipe-internal.h"
#include <signal.h>

static void (*volatile wp_sigpipe_action)(int) = SIG_DFL;

static winpipe_sighandler_t wp_signal(int sig, winpipe_sighandler_t handler)
{
    if (sig != SIGPIPE)
        return signal(sig, handler);
    if (handler == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return InterlockedExchangePointer((PVOID volatile *)&wp_sigpipe_action, (PVOID)handler);
}

winpipe_sighandler_t winpipe_signal(int sig, winpipe_sighandler_t handler)
{
    winpipe_sighandler_t old = wp_signal(sig, handler);
    wp_trace_ret(old == SIG_ERR ? -1 : 0, "signal(%d, 0x%llx)", sig, WP_TRACE_PTR(handler));
    return old;
}

int winpipe_raise(int sig)
{
    if (sig != SIGPIPE)
        return (int)wp_trace_ret(raise(sig), "raise(%d)", sig);
    wp_trace_ret(0, "raise(%d): SIGPIPE", sig);
    wp_sigpipe();
    return 0;
}

void wp_sigpipe(void)
{
    void (*action)(int) = wp_sigpipe_action;
    if (action == SIG_IGN)
        return;
    if (action == SIG_DFL)
        wp_exit_signalled(SIGPIPE);
    else
        action(SIGPIPE);
}

/* POSIX: the default action of SIGPIPE (and of kill()'s signals) ends the process "by the
 * signal", without atexit handlers or stdio flushing. Windows has no such thing: the process ends
 * with an exit code that winpipe's waitpid() reports as WIFSIGNALED. Bytes already reported
 * written stay: the kernel keeps them on Linux, so winpipe waits for its write-behinds first. */
void wp_exit_signalled(int sig)
{
    wp_flush_pending_writes(0);
    TerminateProcess(GetCurrentProcess(), WINPIPE_SIGNAL_EXIT_CODE(sig));
}
