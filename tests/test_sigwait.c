/* test_sigwait: waiting for a signal rather than for its handler. sigwait, sigwaitinfo and
 * sigtimedwait take a pending signal of their set (blocked by the caller, as POSIX wants) without
 * running its handler, with its siginfo; the lowest first; one sent later wakes them; another
 * signal's handler ends sigwaitinfo/sigtimedwait with EINTR, while sigwait waits on; time-outs
 * give EAGAIN and bad ones EINVAL. pause() returns -1 EINTR once a handler ran.
 *
 * Signals sent later come from a "sender" thread that blocks them all and sends
 * kill(getpid(), ...): the test's own thread is the only one that can take them. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

static volatile sig_atomic_t usr1_hits, usr2_hits;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_hits++;
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2_hits++;
}

static sigset_t set_of(int a, int b)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    return s;
}

static void block(int a, int b)
{
    sigset_t s = set_of(a, b);
    assert_ok(sigprocmask(SIG_BLOCK, &s, NULL));
}

static int setup(void **state)
{
    usr1_hits = usr2_hits = 0;
    wp_handle_signal(SIGUSR1, on_usr1, 0);
    wp_handle_signal(SIGUSR2, on_usr2, 0);
    return wp_setup(state);
}

/* Handlers back to SIG_DFL, nothing pending (discarded while ignored), nothing blocked. */
static int teardown(void **state)
{
    static const int sigs[] = { SIGUSR1, SIGUSR2 };
    wp_signals_to_default(sigs, 2);
    return wp_teardown(state);
}

/* ---- the sender ---- */

struct sender {
    pthread_t t;
    int sigs[2];      /* sent in this order, each after the one before was handled or taken */
    int n;
    volatile int taken; /* the test took the last one sent by sigwait (no handler runs) */
};

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (int i = 0; i < s->n; i++) {
        int before = usr1_hits + usr2_hits;
        wp_sleep_ms(100); /* let the test's thread be asleep in its call: not needed, but usual */
        kill(getpid(), s->sigs[i]);
        /* a signal whose handler runs is waited for; one the call takes is not */
        for (int spins = 0; i + 1 < s->n && usr1_hits + usr2_hits == before && spins < 6000;
             spins++)
            wp_sleep_ms(5);
    }
    return NULL;
}

static void sender_start(struct sender *s, int first, int second)
{
    s->sigs[0] = first;
    s->sigs[1] = second;
    s->n = second ? 2 : 1;
    assert_int_equal(pthread_create(&s->t, NULL, sender_main, s), 0);
}

static void sender_join(struct sender *s)
{
    assert_int_equal(pthread_join(s->t, NULL), 0);
}

/* ---- tests ---- */

/* Linux: EFAULT for no set, EINVAL for a time-out out of range, EAGAIN once it passed with
 * nothing pending; SIGKILL and SIGSTOP in the set are left out. */
static void sigtimedwait_errors_and_time_outs(void **state)
{
    sigset_t s = set_of(SIGUSR1, 0), kill_stop = set_of(SIGKILL, SIGSTOP);
    sigset_t *volatile no_set = NULL; /* not a constant: no compiler warning of a NULL */
    struct timespec zero = { 0, 0 }, short_wait = { 0, 50 * 1000 * 1000 };
    struct timespec bad_ns = { 0, 1000000000L }, neg_ns = { 0, -1 }, neg_s = { -1, 0 };
    (void)state;
    block(SIGUSR1, 0);
    assert_errno(sigtimedwait(no_set, NULL, &zero), EFAULT);
    assert_errno(sigtimedwait(&s, NULL, &bad_ns), EINVAL);
    assert_errno(sigtimedwait(&s, NULL, &neg_ns), EINVAL);
    assert_errno(sigtimedwait(&s, NULL, &neg_s), EINVAL);
    assert_errno(sigtimedwait(&s, NULL, &zero), EAGAIN);
    double t0 = wp_now_ms();
    assert_errno(sigtimedwait(&s, NULL, &short_wait), EAGAIN);
    assert_true(wp_now_ms() - t0 >= 45); /* not before the time-out: a floor, never a ceiling */
    assert_errno(sigtimedwait(&kill_stop, NULL, &zero), EAGAIN);
    assert_int_equal(usr1_hits, 0);
}

/* Pending before the call: taken at once, the lowest first, with its siginfo — raise() the
 * thread's own, kill() the process's, both SI_USER with si_pid the sender (glibc's sigtimedwait
 * turns raise's SI_TKILL, which a handler sees, into SI_USER) — and no handler runs. Nothing is
 * left pending. */
static void a_pending_signal_is_taken_not_delivered(void **state)
{
    sigset_t both = set_of(SIGUSR1, SIGUSR2), pending;
    siginfo_t si;
    struct timespec zero = { 0, 0 };
    int sig = 0;
    (void)state;
    block(SIGUSR1, SIGUSR2);
    assert_ok(kill(getpid(), SIGUSR2));
    assert_ok(raise(SIGUSR1));
    memset(&si, 0x55, sizeof si);
    assert_rc(sigwaitinfo(&both, &si), SIGUSR1);
    assert_int_equal(si.si_signo, SIGUSR1);
    assert_int_equal(si.si_code, SI_USER);
    assert_int_equal(si.si_pid, getpid());
    memset(&si, 0x55, sizeof si);
    assert_rc(sigtimedwait(&both, &si, &zero), SIGUSR2);
    assert_int_equal(si.si_signo, SIGUSR2);
    assert_int_equal(si.si_code, SI_USER);
    assert_int_equal(si.si_pid, getpid());
    assert_ok(sigpending(&pending));
    assert_int_equal(sigismember(&pending, SIGUSR1), 0);
    assert_int_equal(sigismember(&pending, SIGUSR2), 0);
    /* sigwait: an error number, the signal in *sig */
    assert_ok(raise(SIGUSR2));
    assert_int_equal(sigwait(&both, &sig), 0);
    assert_int_equal(sig, SIGUSR2);
    assert_int_equal(usr1_hits + usr2_hits, 0);
}

/* A signal sent later, from another thread, wakes the call. */
static void a_signal_sent_later_wakes_the_wait(void **state)
{
    sigset_t s = set_of(SIGUSR1, 0);
    struct sender snd;
    siginfo_t si;
    int sig = 0;
    (void)state;
    block(SIGUSR1, 0);
    sender_start(&snd, SIGUSR1, 0);
    assert_rc(sigwaitinfo(&s, &si), SIGUSR1);
    assert_int_equal(si.si_code, SI_USER);
    sender_join(&snd);
    sender_start(&snd, SIGUSR1, 0);
    assert_int_equal(sigwait(&s, &sig), 0);
    assert_int_equal(sig, SIGUSR1);
    sender_join(&snd);
    assert_int_equal(usr1_hits, 0);
}

/* Another signal the thread lets through runs its handler; sigwaitinfo and sigtimedwait then
 * fail with EINTR (SA_RESTART or not: Linux never restarts them), sigwait waits on. */
static void another_signals_handler_interrupts_sigwaitinfo_not_sigwait(void **state)
{
    sigset_t s = set_of(SIGUSR1, 0);
    struct timespec long_wait = { 600, 0 };
    struct sender snd;
    int sig = 0;
    (void)state;
    block(SIGUSR1, 0);
    wp_handle_signal(SIGUSR2, on_usr2, SA_RESTART);
    sender_start(&snd, SIGUSR2, 0);
    assert_errno(sigwaitinfo(&s, NULL), EINTR);
    sender_join(&snd);
    assert_int_equal(usr2_hits, 1);
    sender_start(&snd, SIGUSR2, 0);
    assert_errno(sigtimedwait(&s, NULL, &long_wait), EINTR);
    sender_join(&snd);
    assert_int_equal(usr2_hits, 2);
    sender_start(&snd, SIGUSR2, SIGUSR1);
    assert_int_equal(sigwait(&s, &sig), 0);
    assert_int_equal(sig, SIGUSR1);
    sender_join(&snd);
    assert_int_equal(usr2_hits, 3);
    assert_int_equal(usr1_hits, 0);
}

/* pause(): -1 with EINTR once a handler ran. */
static void pause_returns_after_a_handler(void **state)
{
    struct sender snd;
    (void)state;
    sender_start(&snd, SIGUSR1, 0);
    assert_errno(pause(), EINTR);
    sender_join(&snd);
    assert_int_equal(usr1_hits, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST_FIXTURES(sigtimedwait_errors_and_time_outs, setup, teardown),
        WP_TEST_FIXTURES(a_pending_signal_is_taken_not_delivered, setup, teardown),
        WP_TEST_FIXTURES(a_signal_sent_later_wakes_the_wait, setup, teardown),
        WP_TEST_FIXTURES(another_signals_handler_interrupts_sigwaitinfo_not_sigwait, setup,
                         teardown),
        WP_TEST_FIXTURES(pause_returns_after_a_handler, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
