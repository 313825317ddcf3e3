/* test_sigwait: waiting for a signal rather than for its handler. sigwait, sigwaitinfo and
 * sigtimedwait take a pending signal of their set (blocked by the caller, as POSIX wants) without
 * running its handler, with its siginfo; the lowest first; one sent later wakes them; another
 * signal's handler ends sigwaitinfo/sigtimedwait with EINTR, while sigwait waits on; time-outs
 * give EAGAIN and bad ones EINVAL. pause() returns -1 EINTR once a handler ran. A signal of the
 * set that is ignored still reaches the call (the caller blocks it: Linux queues it), SIGCHLD of
 * a child that ends during the wait among them; another signal's handler runs after the call,
 * with the caller's mask back. A thread that sigwaits takes the signals every thread blocks.
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
#include "spawn_util.h"

static volatile sig_atomic_t usr1_hits, usr2_hits;
static volatile sig_atomic_t usr1_blocked_in_handler = -1; /* what on_usr2_raise_usr1 saw */

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

/* SIGUSR2's handler that looks whether SIGUSR1 is blocked while it runs, then raises SIGUSR1. */
static void on_usr2_raise_usr1(int sig)
{
    sigset_t cur;
    (void)sig;
    usr2_hits++;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    usr1_blocked_in_handler = sigismember(&cur, SIGUSR1);
    raise(SIGUSR1);
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
    usr1_blocked_in_handler = -1;
    wp_handle_signal(SIGUSR1, on_usr1, 0);
    wp_handle_signal(SIGUSR2, on_usr2, 0);
    return wp_setup(state);
}

/* Handlers back to SIG_DFL, nothing pending (discarded while ignored), nothing blocked. */
static int teardown(void **state)
{
    static const int sigs[] = { SIGUSR1, SIGUSR2, SIGCHLD };
    wp_signals_to_default(sigs, 3);
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
        /* Let the test's thread be asleep in its call (it makes it right after starting this
         * thread): a call that takes the signal finds it pending either way, but one that waits
         * for a handler (pause, EINTR) would wait on if the handler ran before it. So longer on
         * a slow machine. */
        wp_sleep_ms((unsigned)(100 * wp_speed_factor()));
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

/* The set's signal is ignored (SIG_IGN, or SIGCHLD at SIG_DFL) and blocked, as a caller of
 * sigwait blocks it: Linux does not discard a blocked signal, nor one that only the wait lets
 * through (the task's real_blocked), so the call takes it. */
static void an_ignored_signal_of_the_set_sent_during_the_wait_is_taken(void **state)
{
    sigset_t s = set_of(SIGUSR1, 0), pending;
    struct timespec long_wait = { 600, 0 };
    struct sender snd;
    siginfo_t si;
    (void)state;
    block(SIGUSR1, 0);
    assert_ptr_not_equal(signal(SIGUSR1, SIG_IGN), SIG_ERR);
    memset(&si, 0, sizeof si);
    sender_start(&snd, SIGUSR1, 0);
    assert_rc(sigtimedwait(&s, &si, &long_wait), SIGUSR1);
    assert_int_equal(si.si_signo, SIGUSR1);
    assert_int_equal(si.si_code, SI_USER);
    sender_join(&snd);
    assert_ok(sigpending(&pending));
    assert_int_equal(sigismember(&pending, SIGUSR1), 0);
}

/* The usual way to wait for a child with a time-out: SIGCHLD blocked (at SIG_DFL, whose action
 * is to do nothing), sigtimedwait({SIGCHLD}) while the child runs. Its end wakes the call with
 * CLD_EXITED, the child's pid and exit status; waitpid then reaps it. */
static void sigtimedwait_for_sigchld_sees_a_child_end_during_the_wait(void **state)
{
    sigset_t s = set_of(SIGCHLD, 0);
    struct timespec long_wait = { 600, 0 };
    char *args[] = { "sleep", "300", NULL };
    siginfo_t si;
    int status = -1;
    pid_t pid;
    (void)state;
    block(SIGCHLD, 0);
    pid = su_spawn(NULL, NULL, args);
    memset(&si, 0, sizeof si);
    int r = sigtimedwait(&s, &si, &long_wait);
    assert_int_equal(r, SIGCHLD);
    assert_int_equal(si.si_signo, SIGCHLD);
    assert_int_equal(si.si_code, CLD_EXITED);
    assert_int_equal(si.si_pid, pid);
    assert_int_equal(si.si_status, 0);
    assert_rc(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Linux wakes the call for the other signal, puts the caller's mask back, returns EINTR and then
 * runs the handler: the set is blocked again while it runs, so a signal of the set that the
 * handler raises stays pending for the next call rather than being acted on. */
static void another_signals_handler_runs_with_the_callers_mask_back(void **state)
{
    sigset_t s = set_of(SIGUSR1, 0), pending;
    struct timespec zero = { 0, 0 };
    struct sender snd;
    (void)state;
    block(SIGUSR1, 0);
    wp_handle_signal(SIGUSR2, on_usr2_raise_usr1, 0);
    sender_start(&snd, SIGUSR2, 0);
    assert_errno(sigwaitinfo(&s, NULL), EINTR);
    sender_join(&snd);
    assert_int_equal(usr2_hits, 1);
    assert_int_equal(usr1_blocked_in_handler, 1);
    assert_int_equal(usr1_hits, 0);
    assert_ok(sigpending(&pending));
    assert_int_equal(sigismember(&pending, SIGUSR1), 1);
    assert_rc(sigtimedwait(&s, NULL, &zero), SIGUSR1);
    assert_int_equal(usr1_hits, 0);
}

/* The daemon pattern: every thread blocks the signals, one thread takes them with sigwait. A
 * signal sent to the process and a child's SIGCHLD (at SIG_DFL: its action is to do nothing)
 * both reach that thread; no handler runs. */
struct waiter {
    sigset_t set;
    int got[2];
    int r[2];
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    for (int i = 0; i < 2; i++)
        w->r[i] = sigwait(&w->set, &w->got[i]);
    return NULL;
}

static void a_thread_that_sigwaits_takes_the_processs_signals(void **state)
{
    struct waiter w;
    char *args[] = { "exit", "0", NULL };
    pthread_t t;
    int status = -1;
    pid_t pid;
    (void)state;
    block(SIGUSR1, SIGCHLD); /* before the thread starts: it inherits the mask */
    w.set = set_of(SIGUSR1, SIGCHLD);
    w.got[0] = w.got[1] = 0;
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    assert_ok(kill(getpid(), SIGUSR1));
    pid = su_spawn(NULL, NULL, args);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.r[0], 0);
    assert_int_equal(w.r[1], 0);
    /* the child may end before the kill arrives: either order */
    assert_int_equal(w.got[0] + w.got[1], SIGUSR1 + SIGCHLD);
    assert_true(w.got[0] == SIGUSR1 || w.got[0] == SIGCHLD);
    assert_rc(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
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
        WP_TEST_FIXTURES(an_ignored_signal_of_the_set_sent_during_the_wait_is_taken, setup,
                         teardown),
        WP_TEST_FIXTURES(sigtimedwait_for_sigchld_sees_a_child_end_during_the_wait, setup,
                         teardown),
        WP_TEST_FIXTURES(another_signals_handler_runs_with_the_callers_mask_back, setup,
                         teardown),
        WP_TEST_FIXTURES(a_thread_that_sigwaits_takes_the_processs_signals, setup, teardown),
        WP_TEST_FIXTURES(pause_returns_after_a_handler, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
