/* test_eintr: a signal for a thread blocked in a call POSIX lets it interrupt — read and write
 * on a pipe, poll, select, waitpid, sigsuspend, ppoll, pselect, sleep, usleep, nanosleep — runs
 * its handler in that thread; the call then fails with EINTR (sleep: returns what was left), or,
 * with SA_RESTART, read, write and waitpid carry on (the others never do); siginterrupt turns
 * SA_RESTART off and on. The block-then-ppoll/pselect/sigsuspend pattern never loses a signal,
 * and a signal that finds no thread waiting is still handled.
 *
 * The signals come from a "kicker" thread that blocks them all and sends kill(getpid(), ...):
 * the test's own thread is the only one that can take them (the watchdog's blocks them too). */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/select.h>
#include <time.h>

#include "helper.h"
#include "spawn_util.h"

#ifdef _WIN32
#include <windows.h>
static unsigned long this_thread(void)
{
    return GetCurrentThreadId();
}
#else
#include <sys/syscall.h>
static unsigned long this_thread(void)
{
    return (unsigned long)syscall(SYS_gettid);
}
#endif

static volatile sig_atomic_t hits, hits_here;
static volatile unsigned long main_thread;

static void on_usr1(int sig)
{
    (void)sig;
    if (this_thread() == main_thread)
        hits_here++;
    hits++;
}

static void install(int flags)
{
    wp_handle_signal(SIGUSR1, on_usr1, flags);
}

static void mask_usr1(int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    assert_ok(sigprocmask(how, &s, NULL));
}

/* ---- the kicker ---- */

struct kicker {
    pthread_t t;
    int signals;          /* how many to send, each once the last was handled; 0: until done */
    int then_fd;          /* afterwards: write one byte to it (-1: nothing) */
    int drain_fd;         /* afterwards: read drain_count bytes from it (-1: nothing) */
    size_t drain_count;
    int close_fd;         /* afterwards: close it (-1: nothing) */
    volatile int done;    /* the test's call has returned */
};

static void *kicker_main(void *arg)
{
    struct kicker *k = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    wp_sleep_ms(50); /* most likely the test's thread is asleep in its call by then */
    if (k->signals == 0) {
        while (!k->done) {
            kill(getpid(), SIGUSR1);
            for (int i = 0; i < 20 && !k->done; i++)
                wp_sleep_ms(5);
        }
        return NULL;
    }
    for (int i = 1; i <= k->signals; i++) {
        kill(getpid(), SIGUSR1);
        while (hits < i)
            wp_sleep_ms(1);
        wp_sleep_ms(20);
    }
    if (k->then_fd >= 0)
        wp_write_byte(k->then_fd, 'x');
    if (k->drain_fd >= 0) {
        char buf[4096];
        ssize_t r;
        for (size_t got = 0; got < k->drain_count; got += (size_t)r)
            if ((r = read(k->drain_fd, buf, sizeof buf)) <= 0)
                break;
    }
    if (k->close_fd >= 0)
        wp_close(k->close_fd);
    return NULL;
}

static void kick(struct kicker *k, int signals)
{
    k->signals = signals;
    k->done = 0;
    assert_int_equal(pthread_create(&k->t, NULL, kicker_main, k), 0);
}

static void kick_stop(struct kicker *k)
{
    k->done = 1;
    assert_int_equal(pthread_join(k->t, NULL), 0);
}

static struct kicker kicker_none(void)
{
    struct kicker k;
    memset(&k, 0, sizeof k);
    k.then_fd = k.drain_fd = k.close_fd = -1;
    return k;
}

static int reset_state(void **state)
{
    hits = hits_here = 0;
    main_thread = this_thread();
    return wp_setup(state);
}

static int restore_default(void **state)
{
    static const int touched[] = { SIGUSR1 };
    wp_signals_to_default(touched, 1);
    return wp_teardown(state);
}

#define EINTR_TEST(f) WP_TEST_FIXTURES(f, reset_state, restore_default)

/* ---- read ---- */

static void read_fails_with_eintr_after_the_handler_ran_in_its_thread(void **state)
{
    struct kicker k = kicker_none();
    int p[2];
    char c;
    (void)state;
    install(0);
    wp_pipe(p, 0);
    kick(&k, 0);
    assert_errno(read(p[0], &c, 1), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1); /* the one that interrupted it ran here */
    wp_close_pipe(p);
}

static void read_with_sa_restart_carries_on_and_returns_the_data(void **state)
{
    struct kicker k = kicker_none();
    int p[2];
    char c = 0;
    (void)state;
    install(SA_RESTART);
    wp_pipe(p, 0);
    k.then_fd = p[1];
    kick(&k, 3);
    assert_rc(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'x');
    kick_stop(&k);
    assert_int_equal(hits, 3);
    wp_close_pipe(p);
}

/* ---- siginterrupt ---- */

/* glibc marks siginterrupt deprecated (sigaction's SA_RESTART says the same); ported code still
 * calls it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static int sig_interrupt(int sig, int flag)
{
    return siginterrupt(sig, flag);
}
#pragma GCC diagnostic pop

static int usr1_restarts(void)
{
    struct sigaction act;
    assert_ok(sigaction(SIGUSR1, NULL, &act));
    assert_ptr_equal(act.sa_handler, on_usr1);
    return (act.sa_flags & SA_RESTART) != 0;
}

/* signal() installs with SA_RESTART; siginterrupt(sig, 1) turns it off and keeps the handler,
 * and signal() remembers the choice (glibc's); siginterrupt(sig, 0) turns it back on. */
static void siginterrupt_turns_sa_restart_off_and_signal_remembers_it(void **state)
{
    (void)state;
    assert_ptr_not_equal(signal(SIGUSR1, on_usr1), SIG_ERR);
    assert_int_equal(usr1_restarts(), 1);
    assert_ok(sig_interrupt(SIGUSR1, 1));
    assert_int_equal(usr1_restarts(), 0);
    assert_ptr_equal(signal(SIGUSR1, on_usr1), on_usr1);
    assert_int_equal(usr1_restarts(), 0);
    assert_ok(sig_interrupt(SIGUSR1, 0));
    assert_int_equal(usr1_restarts(), 1);
    assert_ptr_equal(signal(SIGUSR1, on_usr1), on_usr1);
    assert_int_equal(usr1_restarts(), 1);
    /* what sigaction refuses */
    assert_errno(sig_interrupt(0, 1), EINVAL);
    assert_errno(sig_interrupt(-1, 0), EINVAL);
    assert_errno(sig_interrupt(65, 1), EINVAL);
    assert_errno(sig_interrupt(SIGKILL, 1), EINVAL);
    assert_errno(sig_interrupt(SIGSTOP, 0), EINVAL);
}

/* The old way to have a blocking read interrupted: signal(), then siginterrupt(sig, 1). */
static void read_fails_with_eintr_after_siginterrupt_and_restarts_after_it_is_undone(void **state)
{
    struct kicker k = kicker_none();
    int p[2];
    char c = 0;
    (void)state;
    assert_ptr_not_equal(signal(SIGUSR1, on_usr1), SIG_ERR);
    assert_ok(sig_interrupt(SIGUSR1, 1));
    wp_pipe(p, 0);
    kick(&k, 0);
    assert_errno(read(p[0], &c, 1), EINTR);
    kick_stop(&k);
    assert_ok(sig_interrupt(SIGUSR1, 0));
    hits = 0;
    k = kicker_none();
    k.then_fd = p[1];
    kick(&k, 2);
    assert_rc(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'x');
    kick_stop(&k);
    assert_true(hits >= 2); /* both ran, and the read went on; one of the first kicker's may too */
    wp_close_pipe(p);
}

/* ---- sleep, usleep, nanosleep ---- */

/* Never restarted, SA_RESTART or not (Linux's signal(7) lists them); what was left goes to rem. */
static void nanosleep_fails_with_eintr_and_tells_what_was_left(void **state)
{
    struct kicker k = kicker_none();
    struct timespec req = { 30, 0 }, rem = { -1, -1 };
    (void)state;
    install(SA_RESTART);
    kick(&k, 0);
    assert_errno(nanosleep(&req, &rem), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    assert_in_range(rem.tv_nsec, 0, 999999999);
    assert_in_range(rem.tv_sec, 20, 29); /* less than asked, yet most of it (a busy machine) */
}

static void usleep_fails_with_eintr(void **state)
{
    struct kicker k = kicker_none();
    (void)state;
    install(SA_RESTART);
    kick(&k, 0);
    assert_errno(usleep(30000000), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
}

/* sleep returns the whole seconds it did not sleep (glibc cuts the rest off). */
static void sleep_returns_the_seconds_left_when_a_handler_ran(void **state)
{
    struct kicker k = kicker_none();
    (void)state;
    install(0);
    kick(&k, 0);
    errno = 0;
    unsigned left = sleep(30);
    int err = errno;
    kick_stop(&k);
    assert_true(hits_here >= 1);
    assert_in_range(left, 20, 29);
    assert_int_equal(err, EINTR); /* glibc leaves it so */
}

/* A signal the thread blocks stays pending and ends no sleep, which lasts at least what was asked;
 * a sleep of 0 returns at once. */
static void a_blocked_signal_ends_no_sleep(void **state)
{
    struct timespec req = { 0, 50000000 }, zero = { 0, 0 }, rem = { 77, 77 };
    (void)state;
    install(0);
    mask_usr1(SIG_BLOCK);
    assert_ok(kill(getpid(), SIGUSR1));
    double start = wp_now_ms();
    assert_ok(nanosleep(&req, &rem));
    double slept = wp_now_ms() - start;
    if (slept < 49.999)
        fail_msg("nanosleep of 50 ms returned after %.3f ms", slept);
    assert_ok(usleep(1000));
    assert_int_equal(sleep(0), 0);
    assert_ok(nanosleep(&zero, &rem));
    assert_int_equal(rem.tv_sec, 77); /* written only when interrupted */
    assert_int_equal(rem.tv_nsec, 77);
    assert_int_equal(hits, 0);
    mask_usr1(SIG_UNBLOCK);
    assert_int_equal(hits, 1);
}

/* Linux: EINVAL for tv_nsec outside 0–999,999,999 or a negative tv_sec, EFAULT for no request. */
static void nanosleep_refuses_bad_times(void **state)
{
    struct timespec bad[] = { { 0, 1000000000 }, { 0, -1 }, { -1, 0 } };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_errno(nanosleep(&bad[i], NULL), EINVAL);
    assert_errno(nanosleep(NULL, NULL), EFAULT);
}

/* ---- write ---- */

/* A blocking write to a pipe that is full: nothing written yet, so EINTR. */
static void write_to_a_full_pipe_fails_with_eintr(void **state)
{
    struct kicker k = kicker_none();
    int p[2];
    (void)state;
    install(0);
    wp_pipe(p, O_NONBLOCK);
    assert_true(wp_fill(p[1], 0, 4096) > 0);
    wp_set_nonblock(p[1], 0);
    kick(&k, 0);
    assert_errno(write(p[1], "y", 1), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    wp_close_pipe(p);
}

static void write_with_sa_restart_completes_once_the_reader_drains(void **state)
{
    struct kicker k = kicker_none();
    int p[2];
    (void)state;
    install(SA_RESTART);
    wp_pipe(p, O_NONBLOCK);
    size_t filled = wp_fill(p[1], 0, 4096);
    assert_true(filled > 0);
    wp_set_nonblock(p[1], 0);
    wp_set_nonblock(p[0], 0);
    k.drain_fd = p[0];
    k.drain_count = filled + 1; /* and the byte written now */
    kick(&k, 3);
    assert_rc(write(p[1], "y", 1), 1);
    kick_stop(&k);
    assert_int_equal(hits, 3);
    wp_close_pipe(p);
}

/* ---- poll, select ---- */

static void poll_fails_with_eintr_even_with_sa_restart(void **state)
{
    struct kicker k = kicker_none();
    int p[2];
    struct pollfd pfd;
    (void)state;
    install(SA_RESTART);
    wp_pipe(p, 0);
    pfd.fd = p[0];
    pfd.events = POLLIN;
    kick(&k, 0);
    assert_errno(poll(&pfd, 1, -1), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    hits_here = 0;
    kick(&k, 0);
    assert_errno(poll(&pfd, 1, 600000), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    wp_close_pipe(p);
}

/* Past 63 fds winpipe's poll sleeps on a completion port: a signal must reach it there too. */
static void poll_of_many_fds_fails_with_eintr(void **state)
{
    enum { N = 80 };
    struct kicker k = kicker_none();
    int p[N][2];
    struct pollfd pfd[N];
    (void)state;
    install(0);
    for (int i = 0; i < N; i++) {
        wp_pipe(p[i], 0);
        pfd[i].fd = p[i][0];
        pfd[i].events = POLLIN;
    }
    kick(&k, 0);
    assert_errno(poll(pfd, N, -1), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    for (int i = 0; i < N; i++)
        wp_close_pipe(p[i]);
}

static void select_fails_with_eintr_even_with_sa_restart(void **state)
{
    struct kicker k = kicker_none();
    int p[2];
    fd_set rs;
    (void)state;
    install(SA_RESTART);
    wp_pipe(p, 0);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    kick(&k, 0);
    assert_errno(select(p[0] + 1, &rs, NULL, NULL, NULL), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    wp_close_pipe(p);
}

/* A ready fd comes first: poll reports it, and the pending signal's handler runs as it returns. */
static void poll_reports_a_ready_fd_and_runs_the_pending_handler(void **state)
{
    int p[2];
    struct pollfd pfd;
    (void)state;
    install(0);
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'r');
    mask_usr1(SIG_BLOCK);
    assert_ok(kill(getpid(), SIGUSR1));
    pfd.fd = p[0];
    pfd.events = POLLIN;
    sigset_t none;
    sigemptyset(&none);
    struct timespec ts = { 5, 0 };
    assert_rc(ppoll(&pfd, 1, &ts, &none), 1);
    assert_int_equal(pfd.revents, POLLIN);
    assert_int_equal(hits, 0); /* the mask is back: it stays pending */
    mask_usr1(SIG_UNBLOCK);
    assert_int_equal(hits, 1);
    wp_close_pipe(p);
}

/* ---- waitpid ---- */

/* A child that ends when its standard input reaches EOF. */
static pid_t spawn_cat(int *in)
{
    int p[2];
    posix_spawn_file_actions_t fa;
    char *args[] = { "cat", NULL };
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[0], 0), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[0]);
    *in = p[1];
    return pid;
}

static void waitpid_fails_with_eintr(void **state)
{
    struct kicker k = kicker_none();
    int in, st;
    (void)state;
    install(0);
    pid_t pid = spawn_cat(&in);
    kick(&k, 0);
    assert_errno(waitpid(pid, &st, 0), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    hits_here = 0;
    kick(&k, 0);
    assert_errno(waitpid(-1, &st, 0), EINTR);
    kick_stop(&k);
    assert_true(hits_here >= 1);
    wp_close(in);
    assert_int_equal(su_reap(pid), 0);
}

static void waitpid_with_sa_restart_carries_on_until_the_child_ends(void **state)
{
    struct kicker k = kicker_none();
    int in, st = -1;
    (void)state;
    install(SA_RESTART);
    pid_t pid = spawn_cat(&in);
    k.close_fd = in;
    kick(&k, 3);
    assert_rc(waitpid(pid, &st, 0), pid);
    kick_stop(&k);
    assert_int_equal(hits, 3);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    hits = 0;
    pid = spawn_cat(&in);
    k.close_fd = in;
    kick(&k, 2);
    assert_rc(waitpid(-1, &st, 0), pid);
    kick_stop(&k);
    assert_int_equal(hits, 2);
}

/* ---- sigsuspend, ppoll, pselect: the mask for the wait alone ---- */

static void sigsuspend_runs_the_pending_handler_and_fails_with_eintr(void **state)
{
    struct kicker k = kicker_none();
    sigset_t none, cur;
    (void)state;
    install(SA_RESTART);
    mask_usr1(SIG_BLOCK);
    sigemptyset(&none);
    kick(&k, 1); /* sent while it is blocked, or while sigsuspend waits */
    assert_errno(sigsuspend(&none), EINTR);
    kick_stop(&k);
    assert_int_equal(hits, 1);
    assert_int_equal(hits_here, 1);
    assert_ok(sigprocmask(SIG_BLOCK, NULL, &cur));
    assert_int_equal(sigismember(&cur, SIGUSR1), 1); /* the mask is back */
}

static void ppoll_and_pselect_let_a_blocked_signal_in_for_the_wait_alone(void **state)
{
    int p[2];
    struct pollfd pfd;
    fd_set rs;
    sigset_t none;
    struct timespec ts = { 0, 30 * 1000 * 1000 };
    (void)state;
    install(SA_RESTART);
    wp_pipe(p, 0);
    pfd.fd = p[0];
    pfd.events = POLLIN;
    sigemptyset(&none);
    mask_usr1(SIG_BLOCK);
    assert_ok(kill(getpid(), SIGUSR1));
    /* Without a mask it stays blocked: the time-out passes. */
    assert_rc(ppoll(&pfd, 1, &ts, NULL), 0);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    assert_rc(pselect(p[0] + 1, &rs, NULL, NULL, &ts, NULL), 0);
    assert_int_equal(hits, 0);
    assert_errno(ppoll(&pfd, 1, NULL, &none), EINTR);
    assert_int_equal(hits, 1);
    assert_ok(kill(getpid(), SIGUSR1));
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    assert_errno(pselect(p[0] + 1, &rs, NULL, NULL, NULL, &none), EINTR);
    assert_int_equal(hits, 2);
    assert_int_equal(hits_here, 2);
    wp_close_pipe(p);
}

static void ppoll_and_pselect_refuse_a_bad_time_out(void **state)
{
    struct timespec neg = { -1, 0 }, big = { 0, 1000000000L };
    fd_set rs;
    (void)state;
    FD_ZERO(&rs);
    assert_errno(ppoll(NULL, 0, &neg, NULL), EINVAL);
    assert_errno(ppoll(NULL, 0, &big, NULL), EINVAL);
    assert_errno(pselect(0, &rs, NULL, NULL, &neg, NULL), EINVAL);
    assert_errno(pselect(0, &rs, NULL, NULL, &big, NULL), EINVAL);
}

/* The pattern of real programs: keep the signal blocked, look at what its handler set, and wait
 * with it unblocked. A signal that comes between the look and the wait must end the wait. Each
 * round the kicker sends one signal once the last was handled; a signal lost would hang here
 * (the watchdog would say so). */
enum { WAIT_PPOLL, WAIT_PSELECT, WAIT_SIGSUSPEND };

struct race {
    int rounds;
};

static void *race_kicker(void *arg)
{
    struct race *r = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (int i = 1; i <= r->rounds; i++) {
        kill(getpid(), SIGUSR1);
        for (unsigned spin = 0; hits < i; spin++)
            wp_backoff(spin);
    }
    return NULL;
}

static void race_rounds(int how, int rounds)
{
    struct race r = { rounds };
    pthread_t t;
    sigset_t none;
    sigemptyset(&none);
    hits = 0;
    mask_usr1(SIG_BLOCK);
    assert_int_equal(pthread_create(&t, NULL, race_kicker, &r), 0);
    for (int i = 1; i <= rounds; i++) {
        while (hits < i) {
            int rc;
            if (how == WAIT_PPOLL)
                rc = ppoll(NULL, 0, NULL, &none);
            else if (how == WAIT_PSELECT)
                rc = pselect(0, NULL, NULL, NULL, NULL, &none);
            else
                rc = sigsuspend(&none);
            assert_int_equal(rc, -1);
            assert_int_equal(errno, EINTR);
        }
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(hits, rounds);
    mask_usr1(SIG_UNBLOCK);
}

static void block_then_ppoll_never_loses_a_signal(void **state)
{
    (void)state;
    install(0);
    race_rounds(WAIT_PPOLL, 2000);
}

static void block_then_pselect_never_loses_a_signal(void **state)
{
    (void)state;
    install(0);
    race_rounds(WAIT_PSELECT, 2000);
}

static void block_then_sigsuspend_never_loses_a_signal(void **state)
{
    (void)state;
    install(0);
    race_rounds(WAIT_SIGSUSPEND, 2000);
}

/* ---- no thread waiting ---- */

/* The only thread that may take the signal is busy (not in any call): the handler still runs,
 * soon (on Linux between two of its instructions; winpipe: on its signal thread). */
static void a_signal_is_handled_while_no_thread_waits(void **state)
{
    struct kicker k = kicker_none();
    volatile unsigned long spins = 0;
    (void)state;
    install(0);
    kick(&k, 1);
    while (hits < 1)
        spins++;
    kick_stop(&k);
    assert_int_equal(hits, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        EINTR_TEST(read_fails_with_eintr_after_the_handler_ran_in_its_thread),
        EINTR_TEST(read_with_sa_restart_carries_on_and_returns_the_data),
        EINTR_TEST(siginterrupt_turns_sa_restart_off_and_signal_remembers_it),
        EINTR_TEST(read_fails_with_eintr_after_siginterrupt_and_restarts_after_it_is_undone),
        EINTR_TEST(nanosleep_fails_with_eintr_and_tells_what_was_left),
        EINTR_TEST(usleep_fails_with_eintr),
        EINTR_TEST(sleep_returns_the_seconds_left_when_a_handler_ran),
        EINTR_TEST(a_blocked_signal_ends_no_sleep),
        EINTR_TEST(nanosleep_refuses_bad_times),
        EINTR_TEST(write_to_a_full_pipe_fails_with_eintr),
        EINTR_TEST(write_with_sa_restart_completes_once_the_reader_drains),
        EINTR_TEST(poll_fails_with_eintr_even_with_sa_restart),
        EINTR_TEST(poll_of_many_fds_fails_with_eintr),
        EINTR_TEST(select_fails_with_eintr_even_with_sa_restart),
        EINTR_TEST(poll_reports_a_ready_fd_and_runs_the_pending_handler),
        EINTR_TEST(waitpid_fails_with_eintr),
        EINTR_TEST(waitpid_with_sa_restart_carries_on_until_the_child_ends),
        EINTR_TEST(sigsuspend_runs_the_pending_handler_and_fails_with_eintr),
        EINTR_TEST(ppoll_and_pselect_let_a_blocked_signal_in_for_the_wait_alone),
        EINTR_TEST(ppoll_and_pselect_refuse_a_bad_time_out),
        EINTR_TEST(block_then_ppoll_never_loses_a_signal),
        EINTR_TEST(block_then_pselect_never_loses_a_signal),
        EINTR_TEST(block_then_sigsuspend_never_loses_a_signal),
        EINTR_TEST(a_signal_is_handled_while_no_thread_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
