/* test_sigaction: one disposition per signal shared by sigaction() and signal() (the C runtime's
 * signals included, and its abort() and fault paths), SA_RESETHAND, SA_NODEFER, sa_mask and
 * SA_SIGINFO, masks (sigprocmask, pthread_sigmask, sigpending) with a pending signal delivered
 * when it is unblocked, raise() and kill() of the process itself, strsignal() and psignal().
 *
 * Every test leaves each signal it touched at SIG_DFL and the mask empty (teardown). */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>

#include "helper.h"
#include "spawn_util.h"

static volatile sig_atomic_t hits[65];
static volatile sig_atomic_t depth, max_depth;
static sigset_t seen_mask;
static siginfo_t seen_info[65];

static const int touched[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGCHLD,
                               SIGWINCH, SIGALRM, SIGSEGV, SIGFPE, SIGABRT, SIGPIPE };

static void on_sig(int sig)
{
    hits[sig]++;
}

static void on_sig_mask(int sig)
{
    sigprocmask(SIG_BLOCK, NULL, &seen_mask);
    hits[sig]++;
}

static void on_sig_info(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    seen_info[sig] = *si;
    hits[sig]++;
}

/* The first call raises its own signal again: with the signal blocked while the handler runs,
 * the second call comes after the first returns (depth stays 1). */
static void on_sig_reraise(int sig)
{
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    if (++hits[sig] == 1)
        raise(sig);
    depth--;
}

static void set_action(int sig, void (*h)(int), int flags, const int *mask_sigs)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = h;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    for (; mask_sigs && *mask_sigs; mask_sigs++)
        sigaddset(&act.sa_mask, *mask_sigs);
    assert_ok(sigaction(sig, &act, NULL));
}

static void set_info_action(int sig, int flags)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = on_sig_info;
    act.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&act.sa_mask);
    assert_ok(sigaction(sig, &act, NULL));
}

static void block(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    if (sig)
        sigaddset(&s, sig);
    assert_ok(sigprocmask(how, &s, NULL));
}

static int is_pending(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    assert_ok(sigpending(&s));
    return sigismember(&s, sig);
}

static int reset_state(void **state)
{
    memset((void *)hits, 0, sizeof hits);
    depth = max_depth = 0;
    return wp_setup(state);
}

/* Ignoring first discards anything still pending, so that SIG_DFL cannot end the test run. */
static int restore_default(void **state)
{
    wp_signals_to_default(touched, sizeof touched / sizeof touched[0]);
    return wp_teardown(state);
}

#define SIG_TEST(f) WP_TEST_FIXTURES(f, reset_state, restore_default)

/* ---- dispositions ---- */

static void sigaction_installs_and_reports_the_previous_action(void **state)
{
    static const int mask[] = { SIGUSR2, 0 };
    struct sigaction old;
    (void)state;
    memset(&old, 0xff, sizeof old);
    assert_ok(sigaction(SIGUSR1, NULL, &old));
    assert_true(old.sa_handler == SIG_DFL);
    set_action(SIGUSR1, on_sig, SA_RESTART, mask);
    memset(&old, 0, sizeof old);
    assert_ok(sigaction(SIGUSR1, NULL, &old));
    assert_true(old.sa_handler == on_sig);
    assert_int_equal(sigismember(&old.sa_mask, SIGUSR2), 1);
    assert_int_equal(sigismember(&old.sa_mask, SIGHUP), 0);
    assert_true(old.sa_flags & SA_RESTART);
    assert_false(old.sa_flags & (SA_SIGINFO | SA_RESETHAND | SA_NODEFER));
    assert_ok(raise(SIGUSR1));
    assert_int_equal(hits[SIGUSR1], 1);
}

/* POSIX: signal() and sigaction() set the same disposition; the C runtime's signals (SIGINT,
 * SIGTERM, SIGSEGV, SIGFPE, SIGABRT) are no different. */
static void signal_and_sigaction_share_one_disposition(void **state)
{
    static const int sigs[] = { SIGHUP, SIGUSR1, SIGINT, SIGTERM, SIGSEGV, SIGFPE, SIGABRT };
    struct sigaction old, ign;
    (void)state;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        int sig = sigs[i];
        signal(sig, SIG_DFL); /* a shell starts a background job with SIGINT ignored */
        assert_true(signal(sig, on_sig) == SIG_DFL);
        assert_ok(sigaction(sig, NULL, &old));
        assert_true(old.sa_handler == on_sig);
        assert_ok(raise(sig));
        assert_int_equal(hits[sig], 1);
        assert_ok(kill(getpid(), sig));
        assert_int_equal(hits[sig], 2);
        assert_ok(sigaction(sig, &ign, &old));
        assert_true(old.sa_handler == on_sig);
        assert_ok(raise(sig));
        assert_int_equal(hits[sig], 2);
        assert_true(signal(sig, SIG_DFL) == SIG_IGN);
    }
}

/* POSIX: SIGKILL and SIGSTOP can be neither caught nor ignored, but may be asked about. */
static void sigaction_refuses_sigkill_sigstop_and_bad_numbers(void **state)
{
    struct sigaction act, old;
    (void)state;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_sig;
    assert_errno(sigaction(SIGKILL, &act, NULL), EINVAL);
    assert_errno(sigaction(SIGSTOP, &act, NULL), EINVAL);
    act.sa_handler = SIG_IGN;
    assert_errno(sigaction(SIGKILL, &act, NULL), EINVAL);
    assert_errno(sigaction(0, &act, NULL), EINVAL);
    assert_errno(sigaction(65, &act, NULL), EINVAL);
    assert_errno(sigaction(-1, NULL, &old), EINVAL);
    assert_ok(sigaction(SIGKILL, NULL, &old));
    assert_true(old.sa_handler == SIG_DFL);
}

/* ---- masks and pending signals ---- */

static void a_blocked_signal_stays_pending_and_runs_when_unblocked(void **state)
{
    (void)state;
    set_action(SIGUSR1, on_sig, 0, NULL);
    block(SIG_BLOCK, SIGUSR1);
    assert_int_equal(is_pending(SIGUSR1), 0);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(hits[SIGUSR1], 0);
    assert_int_equal(is_pending(SIGUSR1), 1);
    block(SIG_UNBLOCK, SIGUSR1); /* POSIX: delivered before sigprocmask returns */
    assert_int_equal(hits[SIGUSR1], 1);
    assert_int_equal(is_pending(SIGUSR1), 0);
}

/* A standard signal is pending or not: sent three times while blocked, it runs once — for the
 * thread (raise) as for the process (kill), which are two pending sets. */
static void standard_signals_do_not_queue(void **state)
{
    (void)state;
    set_action(SIGUSR2, on_sig, 0, NULL);
    block(SIG_BLOCK, SIGUSR2);
    for (int i = 0; i < 3; i++)
        assert_ok(raise(SIGUSR2));
    assert_int_equal(hits[SIGUSR2], 0);
    block(SIG_UNBLOCK, SIGUSR2);
    assert_int_equal(hits[SIGUSR2], 1);
    block(SIG_BLOCK, SIGUSR2);
    for (int i = 0; i < 3; i++)
        assert_ok(kill(getpid(), SIGUSR2));
    assert_int_equal(hits[SIGUSR2], 1);
    block(SIG_UNBLOCK, SIGUSR2);
    assert_int_equal(hits[SIGUSR2], 2);
}

static void every_pending_signal_runs_when_the_mask_is_cleared(void **state)
{
    static const int sigs[] = { SIGUSR2, SIGHUP, SIGUSR1, SIGWINCH };
    sigset_t all, got;
    (void)state;
    sigemptyset(&all);
    for (size_t i = 0; i < 4; i++) {
        set_action(sigs[i], on_sig, 0, NULL);
        sigaddset(&all, sigs[i]);
    }
    assert_ok(sigprocmask(SIG_BLOCK, &all, NULL));
    for (size_t i = 0; i < 4; i++)
        assert_ok(raise(sigs[i]));
    assert_ok(sigpending(&got));
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(sigismember(&got, sigs[i]), 1);
        assert_int_equal(hits[sigs[i]], 0);
    }
    assert_ok(sigprocmask(SIG_UNBLOCK, &all, NULL));
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(hits[sigs[i]], 1);
}

/* POSIX: setting a pending signal's action to SIG_IGN discards it. */
static void ignoring_a_pending_signal_discards_it(void **state)
{
    (void)state;
    set_action(SIGUSR1, on_sig, 0, NULL);
    block(SIG_BLOCK, SIGUSR1);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(is_pending(SIGUSR1), 1);
    assert_true(signal(SIGUSR1, SIG_IGN) == on_sig);
    assert_int_equal(is_pending(SIGUSR1), 0);
    assert_true(signal(SIGUSR1, on_sig) == SIG_IGN);
    block(SIG_UNBLOCK, SIGUSR1);
    assert_int_equal(hits[SIGUSR1], 0);
}

/* Linux keeps a blocked signal pending even when its action is to ignore it (the action may
 * change before it is unblocked); unblocked, it is discarded. SIGCHLD's default ignores it. */
static void a_blocked_ignored_signal_is_pending_until_unblocked(void **state)
{
    (void)state;
    assert_true(signal(SIGUSR1, SIG_IGN) == SIG_DFL);
    block(SIG_BLOCK, SIGUSR1);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(is_pending(SIGUSR1), 1);
    block(SIG_UNBLOCK, SIGUSR1);
    assert_int_equal(is_pending(SIGUSR1), 0);
    block(SIG_BLOCK, SIGCHLD);
    assert_ok(raise(SIGCHLD));
    assert_int_equal(is_pending(SIGCHLD), 1);
    block(SIG_UNBLOCK, SIGCHLD);
    assert_int_equal(is_pending(SIGCHLD), 0);
    /* Unblocked and ignored, a signal is discarded when it is sent. */
    assert_ok(raise(SIGUSR1));
    assert_ok(raise(SIGCHLD));
    block(SIG_BLOCK, SIGUSR1);
    assert_int_equal(is_pending(SIGUSR1), 0);
    assert_int_equal(is_pending(SIGCHLD), 0);
}

static void sigprocmask_refuses_a_bad_how_and_never_blocks_sigkill_or_sigstop(void **state)
{
    sigset_t set, old;
    (void)state;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    assert_errno(sigprocmask(99, &set, NULL), EINVAL);
    assert_ok(sigprocmask(99, NULL, &old)); /* no set: how is not looked at (Linux) */
    assert_int_equal(sigismember(&old, SIGUSR1), 0);
    errno = 0;
    assert_int_equal(pthread_sigmask(99, &set, NULL), EINVAL);
    assert_int_equal(errno, 0); /* an error number, errno untouched */
    sigaddset(&set, SIGKILL);
    sigaddset(&set, SIGSTOP);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
    assert_ok(sigprocmask(SIG_SETMASK, NULL, &old));
    assert_int_equal(sigismember(&old, SIGUSR1), 1);
    assert_int_equal(sigismember(&old, SIGKILL), 0);
    assert_int_equal(sigismember(&old, SIGSTOP), 0);
    sigfillset(&set);
    assert_ok(sigprocmask(SIG_SETMASK, &set, &old));
    assert_int_equal(sigismember(&old, SIGUSR1), 1);
    assert_int_equal(sigismember(&old, SIGUSR2), 0);
    assert_ok(sigprocmask(SIG_SETMASK, NULL, &old));
    assert_int_equal(sigismember(&old, SIGTERM), 1);
    assert_int_equal(sigismember(&old, SIGKILL), 0);
}

struct mask_probe {
    int had_usr2, had_usr1;
};

static void *mask_thread(void *arg)
{
    struct mask_probe *p = arg;
    sigset_t cur, s;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    p->had_usr2 = sigismember(&cur, SIGUSR2);
    p->had_usr1 = sigismember(&cur, SIGUSR1);
    sigemptyset(&s);
    sigaddset(&s, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    return NULL;
}

/* POSIX: a thread's mask is its own, and a new thread starts with its creator's. */
static void masks_are_per_thread_and_a_new_thread_starts_with_its_creators(void **state)
{
    struct mask_probe p = { -1, -1 };
    pthread_t t;
    sigset_t cur;
    (void)state;
    block(SIG_BLOCK, SIGUSR2);
    assert_int_equal(pthread_create(&t, NULL, mask_thread, &p), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(p.had_usr2, 1);
    assert_int_equal(p.had_usr1, 0);
    assert_ok(sigprocmask(SIG_BLOCK, NULL, &cur));
    assert_int_equal(sigismember(&cur, SIGUSR2), 1);
    assert_int_equal(sigismember(&cur, SIGHUP), 0);
}

/* The tests below synchronise with pthread barriers, not with winpipe calls: a thread winpipe has
 * not met yet must not be met early by the test itself. */

/* A thread that waits for its creator's go, then reports its own mask. */
struct mask_report {
    pthread_barrier_t *go;
    int usr1, usr2, hup;
    int rc;
};

static void *report_mask_after_go(void *arg)
{
    struct mask_report *r = arg;
    sigset_t cur;
    pthread_barrier_wait(r->go);
    sigemptyset(&cur);
    r->rc = pthread_sigmask(SIG_BLOCK, NULL, &cur);
    r->usr1 = sigismember(&cur, SIGUSR1);
    r->usr2 = sigismember(&cur, SIGUSR2);
    r->hup = sigismember(&cur, SIGHUP);
    return NULL;
}

/* POSIX: the new thread's mask is its creator's when pthread_create ran, whatever the creator
 * does with its own afterwards. */
static void a_new_thread_has_its_creators_mask_of_when_it_was_created(void **state)
{
    pthread_barrier_t go;
    struct mask_report r = { &go, -1, -1, -1, -1 };
    pthread_t t;
    (void)state;
    assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
    block(SIG_SETMASK, SIGUSR1);
    assert_int_equal(pthread_create(&t, NULL, report_mask_after_go, &r), 0);
    block(SIG_SETMASK, SIGUSR2);
    pthread_barrier_wait(&go);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_barrier_destroy(&go);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.usr1, 1);
    assert_int_equal(r.usr2, 0);
    assert_int_equal(r.hup, 0);
}

struct creator {
    struct mask_report inner;
    int rc;
};

/* Blocks SIGUSR2 and unblocks SIGHUP for itself, then makes a thread and waits for its report. */
static void *create_with_own_mask(void *arg)
{
    struct creator *c = arg;
    pthread_barrier_t go;
    pthread_t t;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    c->inner.go = &go;
    if ((c->rc = pthread_sigmask(SIG_SETMASK, &s, NULL)) != 0
            || (c->rc = pthread_barrier_init(&go, NULL, 1)) != 0)
        return NULL;
    if ((c->rc = pthread_create(&t, NULL, report_mask_after_go, &c->inner)) == 0)
        c->rc = pthread_join(t, NULL);
    pthread_barrier_destroy(&go);
    return NULL;
}

/* POSIX: a thread made by a thread other than the first gets that thread's mask. */
static void a_thread_made_by_another_thread_has_that_threads_mask(void **state)
{
    struct creator c = { { NULL, -1, -1, -1, -1 }, -1 };
    pthread_t t;
    sigset_t cur;
    (void)state;
    block(SIG_SETMASK, SIGHUP);
    assert_int_equal(pthread_create(&t, NULL, create_with_own_mask, &c), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.inner.rc, 0);
    assert_int_equal(c.inner.usr2, 1);
    assert_int_equal(c.inner.hup, 0);
    assert_int_equal(c.inner.usr1, 0);
    assert_ok(sigprocmask(SIG_BLOCK, NULL, &cur));
    assert_int_equal(sigismember(&cur, SIGHUP), 1);
    assert_int_equal(sigismember(&cur, SIGUSR2), 0);
}

/* ---- the classic pattern: workers block a signal, one thread waits for it ---- */

static pthread_t designated;
static volatile sig_atomic_t hits_designated, hits_other;

static void on_usr1_where(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), designated))
        hits_designated++;
    else
        hits_other++;
}

struct worker {
    pthread_barrier_t *ready;
    int fd;          /* polled for POLLIN until it is readable or hung up */
    int kill_after;  /* then kill(getpid(), SIGUSR1) */
    int usr1, poll_rc, revents, kill_rc;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pollfd p = { w->fd, POLLIN, 0 };
    sigset_t cur;
    pthread_barrier_wait(w->ready);
    sigemptyset(&cur);
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    w->usr1 = sigismember(&cur, SIGUSR1);
    pthread_barrier_wait(w->ready);
    w->poll_rc = poll(&p, 1, -1);
    w->revents = p.revents;
    if (w->kill_after)
        w->kill_rc = kill(getpid(), SIGUSR1);
    return NULL;
}

/* The first thread blocks SIGUSR1 while it makes two workers (so that they never take it), as
 * libraries do around pthread_create, and puts its mask back. Later it blocks SIGUSR1 for itself
 * and waits for it in ppoll() with a mask that lets it in, on a pipe nobody writes. The workers
 * sleep in poll(); one wakes and sends SIGUSR1 to the process. POSIX: only the thread in ppoll()
 * does not block it, so its handler runs there, once, and ppoll() fails with EINTR; neither
 * worker runs it. (ppoll's time-out only ends a wait a lost signal would make endless.) */
static void only_the_thread_that_unblocks_a_signal_in_ppoll_takes_it(void **state)
{
    pthread_barrier_t ready;
    int go[2], quiet[2], never[2], rc, err;
    sigset_t usr1, old, none;
    struct worker killer, sleeper;
    struct timespec hang = { 30, 0 };
    pthread_t tk, ts;
    (void)state;
    set_action(SIGUSR1, on_usr1_where, 0, NULL);
    designated = pthread_self();
    hits_designated = hits_other = 0;
    wp_pipe(go, 0);
    wp_pipe(quiet, 0);
    wp_pipe(never, 0);
    killer = (struct worker){ &ready, go[0], 1, -1, -2, 0, -2 };
    sleeper = (struct worker){ &ready, quiet[0], 0, -1, -2, 0, -2 };
    assert_int_equal(pthread_barrier_init(&ready, NULL, 3), 0);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);
    assert_int_equal(pthread_create(&tk, NULL, worker_main, &killer), 0);
    assert_int_equal(pthread_create(&ts, NULL, worker_main, &sleeper), 0);
    assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
    pthread_barrier_wait(&ready); /* the workers look at their masks now */
    pthread_barrier_wait(&ready);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
    wp_write_byte(go[1], 'g');
    struct pollfd p = { never[0], POLLIN, 0 };
    sigemptyset(&none);
    errno = 0;
    rc = ppoll(&p, 1, &hang, &none);
    err = errno;
    wp_close(quiet[1]);
    assert_int_equal(pthread_join(tk, NULL), 0);
    assert_int_equal(pthread_join(ts, NULL), 0);
    pthread_barrier_destroy(&ready);
    assert_int_equal(rc, -1);
    assert_int_equal(err, EINTR);
    assert_int_equal(killer.usr1, 1);
    assert_int_equal(sleeper.usr1, 1);
    assert_int_equal(killer.poll_rc, 1);
    assert_int_equal(killer.revents, POLLIN);
    assert_int_equal(killer.kill_rc, 0);
    assert_int_equal(sleeper.poll_rc, 1);
    assert_int_equal(sleeper.revents, POLLHUP);
    assert_int_equal(hits_designated, 1);
    assert_int_equal(hits_other, 0);
    assert_false(is_pending(SIGUSR1));
    wp_close_pipe(go);
    wp_close(quiet[0]);
    wp_close_pipe(never);
}

/* ---- what runs while a handler runs ---- */

static void the_signal_and_sa_mask_are_blocked_while_the_handler_runs(void **state)
{
    static const int mask[] = { SIGUSR2, 0 };
    sigset_t after;
    (void)state;
    set_action(SIGUSR1, on_sig_mask, 0, mask);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(hits[SIGUSR1], 1);
    assert_int_equal(sigismember(&seen_mask, SIGUSR1), 1);
    assert_int_equal(sigismember(&seen_mask, SIGUSR2), 1);
    assert_int_equal(sigismember(&seen_mask, SIGHUP), 0);
    assert_ok(sigprocmask(SIG_BLOCK, NULL, &after));
    assert_int_equal(sigismember(&after, SIGUSR1), 0);
    assert_int_equal(sigismember(&after, SIGUSR2), 0);
    set_action(SIGUSR1, on_sig_mask, SA_NODEFER, NULL);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(hits[SIGUSR1], 2);
    assert_int_equal(sigismember(&seen_mask, SIGUSR1), 0);
}

static void a_signal_raised_by_its_handler_runs_after_it_returns(void **state)
{
    (void)state;
    set_action(SIGUSR1, on_sig_reraise, 0, NULL);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(hits[SIGUSR1], 2);
    assert_int_equal(max_depth, 1);
    memset((void *)hits, 0, sizeof hits);
    depth = max_depth = 0;
    set_action(SIGUSR1, on_sig_reraise, SA_NODEFER, NULL);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(hits[SIGUSR1], 2);
    assert_int_equal(max_depth, 2);
}

static void sa_resethand_runs_the_handler_once_then_the_default(void **state)
{
    struct sigaction old;
    (void)state;
    set_action(SIGWINCH, on_sig, SA_RESETHAND, NULL);
    assert_ok(raise(SIGWINCH));
    assert_ok(raise(SIGWINCH)); /* SIGWINCH's default does nothing */
    assert_int_equal(hits[SIGWINCH], 1);
    assert_ok(sigaction(SIGWINCH, NULL, &old));
    assert_true(old.sa_handler == SIG_DFL);
}

/* ---- SA_SIGINFO ---- */

static void sa_siginfo_tells_the_signal_its_origin_and_the_sender(void **state)
{
    (void)state;
    set_info_action(SIGUSR1, 0);
    set_info_action(SIGUSR2, 0);
    assert_ok(raise(SIGUSR1));
    assert_int_equal(hits[SIGUSR1], 1);
    assert_int_equal(seen_info[SIGUSR1].si_signo, SIGUSR1);
    assert_int_equal(seen_info[SIGUSR1].si_code, SI_TKILL); /* raise is tgkill on Linux */
    assert_int_equal(seen_info[SIGUSR1].si_pid, getpid());
    assert_ok(kill(getpid(), SIGUSR2));
    assert_int_equal(hits[SIGUSR2], 1);
    assert_int_equal(seen_info[SIGUSR2].si_signo, SIGUSR2);
    assert_int_equal(seen_info[SIGUSR2].si_code, SI_USER);
    assert_int_equal(seen_info[SIGUSR2].si_pid, getpid());
}

static void kill_of_the_process_itself_runs_the_handler_before_it_returns(void **state)
{
    (void)state;
    set_action(SIGHUP, on_sig, 0, NULL);
    set_action(SIGTERM, on_sig, 0, NULL);
    assert_ok(kill(getpid(), SIGHUP));
    assert_int_equal(hits[SIGHUP], 1);
    assert_ok(kill(getpid(), SIGTERM));
    assert_int_equal(hits[SIGTERM], 1);
}

/* ---- the C runtime's own paths: abort(), faults ---- */

/* POSIX: abort() ends the process by SIGABRT, after a handler if there is one (and whether
 * SIGABRT is ignored or not). The C runtime's abort() gets there through winpipe's SIGABRT. */
static void abort_ends_the_process_by_sigabrt_after_its_handler(void **state)
{
    char *plain[] = { "abort", NULL }, *handled[] = { "abort", "handled", NULL };
    char *ignored[] = { "abort", "ignored", NULL };
    size_t len;
    int st;
    (void)state;
    free(su_run(NULL, plain, &len, &st));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
    char want[32];
    snprintf(want, sizeof want, "handler %d\n", SIGABRT); /* mingw's SIGABRT is 22 */
    char *out = su_run(NULL, handled, &len, &st);
    assert_string_equal(out, want);
    free(out);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
    free(su_run(NULL, ignored, &len, &st));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
}

/* A fault runs the SIGSEGV handler installed with sigaction (here one that exits); without one,
 * the process ends by SIGSEGV. */
static void a_fault_runs_the_sigsegv_handler(void **state)
{
    char *handled[] = { "crash", "handled", NULL }, *plain[] = { "crash", NULL };
    size_t len;
    int st;
    (void)state;
    char *out = su_run(NULL, handled, &len, &st);
    assert_string_equal(out, "handler 11\n");
    free(out);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);
    free(su_run(NULL, plain, &len, &st));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSEGV);
}

/* Real-time signals, SIGRTMIN (glibc's 34: its threads keep 32 and 33) to SIGRTMAX (64), named
 * as SIGRTMIN + n: each takes a handler, from raise and from kill, and stays pending while
 * blocked. (Linux queues them; winpipe does not: one is sent while blocked.) */
static void realtime_signals_from_sigrtmin_to_sigrtmax_take_handlers(void **state)
{
    int sigs[3];
    sigset_t block, pending;
    (void)state;
    sigs[0] = SIGRTMIN; /* glibc's SIGRTMIN is a call, not a constant */
    sigs[1] = SIGRTMIN + 1;
    sigs[2] = SIGRTMAX;
    assert_int_equal(SIGRTMIN, 34);
    assert_int_equal(SIGRTMAX, 64);
    assert_string_equal(strsignal(SIGRTMIN), "Real-time signal 0");
    for (int i = 0; i < 3; i++) {
        int sig = sigs[i];
        set_action(sig, on_sig, 0, NULL);
        assert_ok(raise(sig));
        assert_int_equal(hits[sig], 1);
        assert_ok(kill(getpid(), sig));
        assert_int_equal(hits[sig], 2);
        sigemptyset(&block);
        sigaddset(&block, sig);
        assert_ok(sigprocmask(SIG_BLOCK, &block, NULL));
        assert_ok(kill(getpid(), sig));
        assert_int_equal(hits[sig], 2);
        assert_ok(sigpending(&pending));
        assert_int_equal(sigismember(&pending, sig), 1);
        assert_ok(sigprocmask(SIG_UNBLOCK, &block, NULL));
        assert_int_equal(hits[sig], 3);
        assert_true(signal(sig, SIG_DFL) == on_sig);
    }
}

/* ---- names ---- */

static void strsignal_names_signals_as_glibc_does(void **state)
{
    static const struct { int sig; const char *name; } names[] = {
        { SIGHUP, "Hangup" }, { SIGINT, "Interrupt" }, { SIGQUIT, "Quit" },
        { SIGILL, "Illegal instruction" }, { SIGABRT, "Aborted" },
        { SIGFPE, "Floating point exception" }, { SIGKILL, "Killed" },
        { SIGUSR1, "User defined signal 1" }, { SIGSEGV, "Segmentation fault" },
        { SIGUSR2, "User defined signal 2" }, { SIGPIPE, "Broken pipe" },
        { SIGALRM, "Alarm clock" }, { SIGTERM, "Terminated" }, { SIGCHLD, "Child exited" },
        { SIGCONT, "Continued" }, { SIGSTOP, "Stopped (signal)" }, { SIGTSTP, "Stopped" },
        { SIGURG, "Urgent I/O condition" }, { SIGWINCH, "Window changed" },
        { 40, "Real-time signal 6" }, { 64, "Real-time signal 30" },
        { 99, "Unknown signal 99" }, { -3, "Unknown signal -3" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_string_equal(strsignal(names[i].sig), names[i].name);
}

/* psignal(sig, s): "s: description\n" on standard error, or the description alone. */
static void psignal_writes_the_description_to_standard_error(void **state)
{
    int p[2], saved;
    char buf[128];
    (void)state;
    wp_pipe(p, 0);
    fflush(stderr);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(p[1], 2), 2);
    psignal(SIGTERM, "prog");
    psignal(SIGINT, NULL);
    psignal(SIGUSR1, "");
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    wp_close(saved);
    wp_close(p[1]);
    const char *want = "prog: Terminated\nInterrupt\nUser defined signal 1\n";
    wp_read_exact(p[0], buf, strlen(want));
    buf[strlen(want)] = 0;
    assert_string_equal(buf, want);
    wp_close(p[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SIG_TEST(sigaction_installs_and_reports_the_previous_action),
        SIG_TEST(signal_and_sigaction_share_one_disposition),
        SIG_TEST(sigaction_refuses_sigkill_sigstop_and_bad_numbers),
        SIG_TEST(a_blocked_signal_stays_pending_and_runs_when_unblocked),
        SIG_TEST(standard_signals_do_not_queue),
        SIG_TEST(every_pending_signal_runs_when_the_mask_is_cleared),
        SIG_TEST(ignoring_a_pending_signal_discards_it),
        SIG_TEST(a_blocked_ignored_signal_is_pending_until_unblocked),
        SIG_TEST(sigprocmask_refuses_a_bad_how_and_never_blocks_sigkill_or_sigstop),
        SIG_TEST(masks_are_per_thread_and_a_new_thread_starts_with_its_creators),
        SIG_TEST(a_new_thread_has_its_creators_mask_of_when_it_was_created),
        SIG_TEST(a_thread_made_by_another_thread_has_that_threads_mask),
        SIG_TEST(only_the_thread_that_unblocks_a_signal_in_ppoll_takes_it),
        SIG_TEST(the_signal_and_sa_mask_are_blocked_while_the_handler_runs),
        SIG_TEST(a_signal_raised_by_its_handler_runs_after_it_returns),
        SIG_TEST(sa_resethand_runs_the_handler_once_then_the_default),
        SIG_TEST(sa_siginfo_tells_the_signal_its_origin_and_the_sender),
        SIG_TEST(kill_of_the_process_itself_runs_the_handler_before_it_returns),
        SIG_TEST(abort_ends_the_process_by_sigabrt_after_its_handler),
        SIG_TEST(a_fault_runs_the_sigsegv_handler),
        SIG_TEST(realtime_signals_from_sigrtmin_to_sigrtmax_take_handlers),
        SIG_TEST(strsignal_names_signals_as_glibc_does),
        SIG_TEST(psignal_writes_the_description_to_standard_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
