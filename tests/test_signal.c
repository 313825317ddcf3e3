/* test_signal: SIGPIPE on writes to a pipe without readers, with SIG_IGN and with a handler.
 *
 * Not tested here: SIGPIPE's default action (SIG_DFL) terminates the process, so checking it
 * needs a child process (fork/posix_spawn + waitpid for WIFSIGNALED/WTERMSIG == SIGPIPE); that
 * comes with the process tests. Every test here leaves SIG_DFL behind (group teardown too). */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "helper.h"

static volatile sig_atomic_t sigpipe_count;
static volatile sig_atomic_t last_signal;

static void count_sigpipe(int sig)
{
    sigpipe_count++;
    last_signal = sig;
}

static void other_handler(int sig)
{
    (void)sig;
}

/* A pipe whose only read end is already closed. */
static void readerless_pipe(int p[2], int flags)
{
    wp_pipe(p, flags);
    wp_close(p[0]);
    p[0] = -1;
}

static void install(void (*h)(int))
{
    if (signal(SIGPIPE, h) == SIG_ERR)
        fail_msg("signal(SIGPIPE, ...) returned SIG_ERR (errno %d)", errno);
}

static int reset_state(void **state)
{
    sigpipe_count = 0;
    last_signal = 0;
    return wp_setup(state);
}

static int restore_default(void **state)
{
    signal(SIGPIPE, SIG_DFL);
    return wp_teardown(state);
}

#define SIG_TEST(f) WP_TEST_FIXTURES(f, reset_state, restore_default)

/* ---- SIG_IGN ------------------------------------------------------------------------------- */

static void ignored_sigpipe_write_to_readerless_pipe_fails_with_epipe(void **state)
{
    int p[2];
    (void)state;
    install(SIG_IGN);
    readerless_pipe(p, 0);
    assert_errno(write(p[1], "x", 1), EPIPE);
    assert_errno(write(p[1], "again", 5), EPIPE);
    wp_close(p[1]);
}

static void ignored_sigpipe_nonblocking_write_to_readerless_pipe_fails_with_epipe(void **state)
{
    static unsigned char big[100000];
    int p[2];
    (void)state;
    install(SIG_IGN);
    readerless_pipe(p, O_NONBLOCK);
    assert_errno(write(p[1], "x", 1), EPIPE); /* EPIPE, not EAGAIN */
    assert_errno(write(p[1], big, sizeof big), EPIPE);
    wp_close(p[1]);
}

static void ignored_sigpipe_write_fails_with_epipe_when_reader_closes_with_data_unread(
    void **state)
{
    int p[2];
    (void)state;
    install(SIG_IGN);
    wp_pipe(p, 0);
    assert_rc(write(p[1], "unread", 6), 6);
    wp_close(p[0]);
    assert_errno(write(p[1], "x", 1), EPIPE);
    wp_close(p[1]);
}

/* ---- handler --------------------------------------------------------------------------------- */

static void handler_is_called_once_per_epipe_write_and_write_fails_with_epipe(void **state)
{
    int p[2], i;
    (void)state;
    readerless_pipe(p, 0);
    for (i = 1; i <= 3; i++) {
        /* Re-installed before every write, so this test does not depend on whether delivery
         * resets the disposition (see handler_stays_installed_after_delivery). */
        install(count_sigpipe);
        assert_errno(write(p[1], "x", 1), EPIPE);
        assert_int_equal(sigpipe_count, i);
        assert_int_equal(last_signal, SIGPIPE);
    }
    wp_close(p[1]);
}

static void handler_stays_installed_after_delivery(void **state)
{
    int p[2];
    (void)state;
    /* glibc's signal() has BSD semantics: the handler is not reset to SIG_DFL on delivery. */
    install(count_sigpipe);
    readerless_pipe(p, 0);
    assert_errno(write(p[1], "1", 1), EPIPE);
    assert_errno(write(p[1], "2", 1), EPIPE);
    assert_errno(write(p[1], "3", 1), EPIPE);
    assert_int_equal(sigpipe_count, 3);
    assert_true(signal(SIGPIPE, SIG_IGN) == count_sigpipe);
    wp_close(p[1]);
}

static void handler_is_called_for_nonblocking_dup_and_large_epipe_writes(void **state)
{
    static unsigned char big[200000];
    int p[2], d;
    (void)state;
    install(count_sigpipe);
    readerless_pipe(p, O_NONBLOCK);
    d = dup(p[1]);
    assert_true(d >= 0);
    assert_errno(write(p[1], big, sizeof big), EPIPE);
    assert_int_equal(sigpipe_count, 1);
    assert_errno(write(d, "x", 1), EPIPE);
    assert_int_equal(sigpipe_count, 2);
    wp_close(d);
    wp_close(p[1]);
}

static void handler_is_not_called_for_successful_or_eagain_writes(void **state)
{
    int p[2];
    size_t filled;
    (void)state;
    install(count_sigpipe);
    wp_pipe(p, O_NONBLOCK);
    assert_rc(write(p[1], "ok", 2), 2);
    filled = wp_fill(p[1], 0, 4096); /* ends with EAGAIN */
    assert_true(filled > 0);
    assert_errno(write(p[1], "x", 1), EAGAIN);
    assert_int_equal(sigpipe_count, 0);
    wp_close_pipe(p);
    assert_int_equal(sigpipe_count, 0);
}

static void zero_length_write_to_readerless_pipe_returns_0_without_sigpipe(void **state)
{
    int p[2];
    (void)state;
    /* Linux checks the length first: write(fd, buf, 0) returns 0, no EPIPE, no SIGPIPE. */
    install(count_sigpipe);
    readerless_pipe(p, 0);
    assert_rc(write(p[1], "x", 0), 0);
    assert_int_equal(sigpipe_count, 0);
    assert_errno(write(p[1], "x", 1), EPIPE);
    assert_int_equal(sigpipe_count, 1);
    wp_close(p[1]);
}

static void handler_is_called_when_reader_closes_with_data_unread(void **state)
{
    int p[2];
    (void)state;
    install(count_sigpipe);
    wp_pipe(p, 0);
    assert_rc(write(p[1], "unread", 6), 6);
    assert_int_equal(sigpipe_count, 0);
    wp_close(p[0]);
    assert_errno(write(p[1], "x", 1), EPIPE);
    assert_int_equal(sigpipe_count, 1);
    wp_close(p[1]);
}

/* ---- signal() and raise() ---------------------------------------------------------------------- */

static void signal_returns_the_previous_sigpipe_disposition(void **state)
{
    (void)state;
    install(SIG_DFL);
    assert_true(signal(SIGPIPE, count_sigpipe) == SIG_DFL);
    assert_true(signal(SIGPIPE, other_handler) == count_sigpipe);
    assert_true(signal(SIGPIPE, SIG_IGN) == other_handler);
    assert_true(signal(SIGPIPE, SIG_DFL) == SIG_IGN);
    assert_true(signal(SIGPIPE, SIG_DFL) == SIG_DFL);
}

static void raise_sigpipe_calls_the_handler_once(void **state)
{
    (void)state;
    install(count_sigpipe);
    assert_rc(raise(SIGPIPE), 0);
    assert_int_equal(sigpipe_count, 1);
    assert_int_equal(last_signal, SIGPIPE);
}

static void raise_ignored_sigpipe_returns_0(void **state)
{
    (void)state;
    install(SIG_IGN);
    assert_rc(raise(SIGPIPE), 0);
    assert_int_equal(sigpipe_count, 0);
}

/* ---- the other signals: SIGUSR1, SIGHUP, SIGCHLD, SIGWINCH ... ---------------------------- */

static volatile sig_atomic_t other_count;

static void count_other(int sig)
{
    other_count++;
    last_signal = sig;
}

/* POSIX: a handler installed with signal() runs when raise() or kill() of the process itself
 * sends the signal; SIG_IGN discards it. winpipe keeps these dispositions for the signals the C
 * runtime does not know. */
static void other_signals_run_their_handlers_on_raise_and_kill_of_self(void **state)
{
    static const int sigs[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGCONT, SIGURG,
                                SIGWINCH };
    (void)state;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        int sig = sigs[i];
        other_count = 0;
        assert_true(signal(sig, count_other) == SIG_DFL);
        assert_rc(raise(sig), 0);
        assert_int_equal(other_count, 1);
        assert_int_equal(last_signal, sig);
        assert_rc(kill(getpid(), sig), 0);
        assert_int_equal(other_count, 2);
        assert_true(signal(sig, SIG_IGN) == count_other);
        assert_rc(raise(sig), 0);
        assert_rc(kill(getpid(), sig), 0);
        assert_int_equal(other_count, 2);
        assert_true(signal(sig, SIG_DFL) == SIG_IGN);
    }
}

/* POSIX: the default action of SIGCHLD, SIGCONT, SIGURG and SIGWINCH does nothing. */
static void raise_of_signals_ignored_by_default_does_nothing(void **state)
{
    static const int sigs[] = { SIGCHLD, SIGCONT, SIGURG, SIGWINCH };
    (void)state;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        assert_true(signal(sigs[i], SIG_DFL) == SIG_DFL);
        assert_rc(raise(sigs[i]), 0);
        assert_rc(kill(getpid(), sigs[i]), 0);
    }
}

/* POSIX: 0 is the null signal. kill(pid, 0) only checks that the process exists; raise(0)
 * sends nothing and returns 0 (glibc: tgkill of this thread with 0). Numbers outside 0..64 are
 * no signal: -1 with EINVAL. */
static void raise_of_the_null_signal_returns_0(void **state)
{
    (void)state;
    assert_rc(raise(0), 0);
    assert_rc(kill(getpid(), 0), 0);
    assert_errno(raise(-1), EINVAL);
    assert_errno(raise(65), EINVAL);
}

/* POSIX: SIGKILL and SIGSTOP cannot be caught or ignored; numbers outside 1..64 are no signal. */
static void signal_refuses_sigkill_sigstop_and_bad_numbers(void **state)
{
    static const int bad[] = { SIGKILL, SIGSTOP, 0, -1, 65 };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        assert_true(signal(bad[i], count_other) == SIG_ERR);
        assert_int_equal(errno, EINVAL);
        errno = 0;
        assert_true(signal(bad[i], SIG_IGN) == SIG_ERR);
        assert_int_equal(errno, EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SIG_TEST(ignored_sigpipe_write_to_readerless_pipe_fails_with_epipe),
        SIG_TEST(ignored_sigpipe_nonblocking_write_to_readerless_pipe_fails_with_epipe),
        SIG_TEST(ignored_sigpipe_write_fails_with_epipe_when_reader_closes_with_data_unread),
        SIG_TEST(handler_is_called_once_per_epipe_write_and_write_fails_with_epipe),
        SIG_TEST(handler_stays_installed_after_delivery),
        SIG_TEST(handler_is_called_for_nonblocking_dup_and_large_epipe_writes),
        SIG_TEST(handler_is_not_called_for_successful_or_eagain_writes),
        SIG_TEST(zero_length_write_to_readerless_pipe_returns_0_without_sigpipe),
        SIG_TEST(handler_is_called_when_reader_closes_with_data_unread),
        SIG_TEST(signal_returns_the_previous_sigpipe_disposition),
        SIG_TEST(raise_sigpipe_calls_the_handler_once),
        SIG_TEST(raise_ignored_sigpipe_returns_0),
        SIG_TEST(other_signals_run_their_handlers_on_raise_and_kill_of_self),
        SIG_TEST(raise_of_signals_ignored_by_default_does_nothing),
        SIG_TEST(raise_of_the_null_signal_returns_0),
        SIG_TEST(signal_refuses_sigkill_sigstop_and_bad_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, wp_group_restore_sigpipe);
}
