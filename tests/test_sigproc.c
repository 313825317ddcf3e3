/* test_sigproc: signals between processes. SIGCHLD when a child ends (with si_pid, si_code and
 * si_status), for many children ending at once, each reaped exactly once; SIGCHLD ignored or
 * SA_NOCLDWAIT reaps children by themselves. kill() from this process reaches another winpipe
 * process's handlers (tests/child.c sigrecv) or its default action, whose status waitpid
 * reports. A child starts with this process's mask and ignored signals, or with
 * posix_spawnattr_setsigmask's and setsigdefault's. alarm(), setitimer/getitimer (ITIMER_REAL, the
 * timer alarm uses too) and SIGALRM. A console's Ctrl-C. */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <poll.h>
#include <sys/time.h>

#include "helper.h"
#include "spawn_util.h"

static volatile sig_atomic_t hits;
static siginfo_t last_info;

/* SIGCHLD's handler: reaps every ended child, recording each once. */
enum { MAX_REAPED = 64 };
static volatile int n_reaped;
static pid_t reaped_pid[MAX_REAPED];
static int reaped_status[MAX_REAPED];

static void on_info(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    last_info = *si;
    hits++;
}

static void on_sigchld_reap(int sig)
{
    int saved = errno, st;
    pid_t pid;
    (void)sig;
    hits++;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0 && n_reaped < MAX_REAPED) {
        reaped_pid[n_reaped] = pid;
        reaped_status[n_reaped] = st;
        n_reaped++;
    }
    errno = saved;
}

static void on_count(int sig)
{
    (void)sig;
    hits++;
}

static void set_action(int sig, void (*h)(int), void (*ha)(int, siginfo_t *, void *), int flags)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    if (ha)
        act.sa_sigaction = ha;
    else
        act.sa_handler = h;
    act.sa_flags = flags | (ha ? SA_SIGINFO : 0);
    sigemptyset(&act.sa_mask);
    assert_ok(sigaction(sig, &act, NULL));
}

static void mask_sig(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    assert_ok(sigprocmask(how, &s, NULL));
}

/* Sleeps with every signal let in until the handler has run n times in all. */
static void suspend_until(int n)
{
    sigset_t none;
    sigemptyset(&none);
    while (hits < n)
        assert_errno(sigsuspend(&none), EINTR);
}

static const int touched[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGINT,
                               SIGQUIT };

/* A shell starts a background job with SIGINT and SIGQUIT ignored, and a child would inherit
 * that: every test starts from SIG_DFL. */
static int reset_state(void **state)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    hits = 0;
    n_reaped = 0;
    memset(&last_info, 0, sizeof last_info);
    return wp_setup(state);
}

static int restore_default(void **state)
{
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL); /* a test that failed may have left it running */
    wp_signals_to_default(touched, sizeof touched / sizeof touched[0]);
    return wp_teardown(state);
}

#define PROC_TEST(f) WP_TEST_FIXTURES(f, reset_state, restore_default)

/* A child that ends when its standard input reaches EOF (cat). */
static pid_t spawn_cat(int in_fd)
{
    posix_spawn_file_actions_t fa;
    char *args[] = { "cat", NULL };
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in_fd, 0), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* ---- SIGCHLD ---- */

static void sigchld_tells_which_child_ended_and_how(void **state)
{
    char *exit3[] = { "exit", "3", NULL }, *sleeper[] = { "sleep", "30000", NULL };
    int st;
    (void)state;
    set_action(SIGCHLD, NULL, on_info, SA_RESTART);
    mask_sig(SIG_BLOCK, SIGCHLD);
    pid_t pid = su_spawn(NULL, NULL, exit3);
    suspend_until(1);
    assert_int_equal(last_info.si_signo, SIGCHLD);
    assert_int_equal(last_info.si_code, CLD_EXITED);
    assert_int_equal(last_info.si_pid, pid);
    assert_int_equal(last_info.si_status, 3);
    assert_rc(waitpid(pid, &st, 0), pid);
    assert_int_equal(WEXITSTATUS(st), 3);
    pid = su_spawn(NULL, NULL, sleeper);
    assert_ok(kill(pid, SIGTERM));
    suspend_until(2);
    assert_int_equal(last_info.si_code, CLD_KILLED);
    assert_int_equal(last_info.si_pid, pid);
    assert_int_equal(last_info.si_status, SIGTERM);
    assert_rc(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
}

/* Twenty children see EOF on one pipe at the same moment: SIGCHLDs coalesce (a standard signal
 * does not queue), and the handler's waitpid loop must still reap each exactly once. */
static void sigchld_for_many_children_ending_at_once_reaps_each_once(void **state)
{
    enum { N = 20 };
    pid_t pids[N];
    int p[2];
    (void)state;
    set_action(SIGCHLD, on_sigchld_reap, NULL, SA_RESTART | SA_NOCLDSTOP);
    mask_sig(SIG_BLOCK, SIGCHLD);
    wp_pipe(p, O_CLOEXEC);
    for (int i = 0; i < N; i++)
        pids[i] = spawn_cat(p[0]);
    wp_close(p[0]);
    wp_close(p[1]); /* every child sees EOF now */
    sigset_t none;
    sigemptyset(&none);
    while (n_reaped < N)
        assert_errno(sigsuspend(&none), EINTR);
    assert_int_equal(n_reaped, N);
    for (int i = 0; i < N; i++) {
        int seen = 0;
        for (int j = 0; j < N; j++)
            if (reaped_pid[j] == pids[i]) {
                seen++;
                assert_true(WIFEXITED(reaped_status[j]));
                assert_int_equal(WEXITSTATUS(reaped_status[j]), 0);
            }
        assert_int_equal(seen, 1);
    }
    assert_true(hits >= 1 && hits <= N);
    assert_errno(waitpid(-1, NULL, WNOHANG), ECHILD);
}

/* POSIX: with SIGCHLD ignored, an ended child is reaped by itself: waitpid waits for it to end,
 * then fails with ECHILD. */
static void sigchld_ignored_reaps_children_by_themselves(void **state)
{
    char *exit5[] = { "exit", "5", NULL };
    int in[2];
    (void)state;
    assert_true(signal(SIGCHLD, SIG_IGN) == SIG_DFL);
    pid_t pid = su_spawn(NULL, NULL, exit5);
    assert_errno(waitpid(pid, NULL, 0), ECHILD);
    wp_pipe(in, O_CLOEXEC);
    pid = spawn_cat(in[0]);
    wp_close(in[0]);
    assert_rc(waitpid(pid, NULL, WNOHANG), 0); /* still running: it is there */
    wp_close(in[1]);
    assert_errno(waitpid(-1, NULL, 0), ECHILD);
}

/* SA_NOCLDWAIT: the same, but the handler runs (Linux sends SIGCHLD). */
static void sa_nocldwait_reaps_children_and_still_sends_sigchld(void **state)
{
    char *exit5[] = { "exit", "5", NULL };
    (void)state;
    set_action(SIGCHLD, NULL, on_info, SA_NOCLDWAIT | SA_RESTART);
    mask_sig(SIG_BLOCK, SIGCHLD);
    pid_t pid = su_spawn(NULL, NULL, exit5);
    suspend_until(1);
    assert_int_equal(last_info.si_pid, pid);
    assert_int_equal(last_info.si_status, 5);
    assert_errno(waitpid(pid, NULL, 0), ECHILD);
}

/* ---- kill between processes ---- */

struct receiver {
    pid_t pid;
    int out;             /* its lines */
    char buf[4096];
    size_t len;
};

/* child sigrecv 1 END SIG...: started, and ready once its handlers are installed. */
static void receiver_start(struct receiver *r, const int *sigs, int end,
                           const posix_spawnattr_t *attr)
{
    char *args[24], nums[20][8];
    int p[2], n = 0;
    posix_spawn_file_actions_t fa;
    args[n++] = "sigrecv";
    args[n++] = "1";
    snprintf(nums[0], sizeof nums[0], "%d", end);
    args[n++] = nums[0];
    for (int i = 0; sigs && sigs[i]; i++) {
        snprintf(nums[i + 1], sizeof nums[0], "%d", sigs[i]);
        args[n++] = nums[i + 1];
    }
    args[n] = NULL;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    r->pid = su_spawn(&fa, attr, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    r->out = p[0];
    r->len = 0;
    char line[64];
    wp_read_exact(r->out, line, 6);
    line[6] = 0;
    assert_string_equal(line, "ready\n");
}

/* The receiver's next line, or NULL at EOF. */
static char *receiver_line(struct receiver *r)
{
    static char line[128];
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl) {
            size_t n = (size_t)(nl - r->buf);
            memcpy(line, r->buf, n);
            line[n] = 0;
            memmove(r->buf, nl + 1, r->len - n - 1);
            r->len -= n + 1;
            return line;
        }
        ssize_t got = read(r->out, r->buf + r->len, sizeof r->buf - r->len - 1);
        if (got < 0)
            fail_msg("read: %s", strerror(errno));
        if (got == 0)
            return NULL;
        r->len += (size_t)got;
    }
}

static int receiver_finish(struct receiver *r)
{
    wp_close(r->out);
    return su_reap(r->pid);
}

static void kill_runs_the_handler_of_another_process(void **state)
{
    static const int sigs[] = { SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGQUIT, SIGWINCH, SIGCHLD,
                                SIGCONT, SIGALRM, SIGPIPE, 0 };
    struct receiver r;
    char want[64];
    (void)state;
    receiver_start(&r, sigs, SIGHUP, NULL);
    for (int i = 0; sigs[i]; i++) {
        assert_ok(kill(r.pid, sigs[i]));
        snprintf(want, sizeof want, "%d %d %d", sigs[i], SI_USER, (int)getpid());
        char *line = receiver_line(&r);
        assert_non_null(line);
        assert_string_equal(line, want);
    }
    assert_ok(kill(r.pid, SIGHUP));
    snprintf(want, sizeof want, "%d %d %d", SIGHUP, SI_USER, (int)getpid());
    assert_string_equal(receiver_line(&r), want);
    assert_null(receiver_line(&r));
    int st = receiver_finish(&r);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* A signal the other process did not catch: its default action, which ends it (and waitpid says
 * by which signal), or, for SIGWINCH, SIGURG, SIGCHLD and SIGCONT, does nothing. */
static void kill_does_the_default_action_of_another_process(void **state)
{
    static const int ending[] = { SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGQUIT, SIGALRM, SIGPIPE,
                                  SIGKILL };
    static const int harmless[] = { SIGWINCH, SIGURG, SIGCHLD, SIGCONT };
    struct receiver r;
    char want[64];
    (void)state;
    for (size_t i = 0; i < sizeof ending / sizeof ending[0]; i++) {
        receiver_start(&r, NULL, SIGHUP, NULL);
        assert_ok(kill(r.pid, ending[i]));
        assert_null(receiver_line(&r));
        int st = receiver_finish(&r);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), ending[i]);
    }
    receiver_start(&r, NULL, SIGHUP, NULL);
    for (size_t i = 0; i < sizeof harmless / sizeof harmless[0]; i++)
        assert_ok(kill(r.pid, harmless[i]));
    assert_ok(kill(r.pid, SIGHUP));
    snprintf(want, sizeof want, "%d %d %d", SIGHUP, SI_USER, (int)getpid());
    assert_string_equal(receiver_line(&r), want); /* the first line: the others did nothing */
    int st = receiver_finish(&r);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* A child told to start with SIGUSR1 blocked gets it only once it unblocks it: never, here;
 * its SIGHUP still comes. */
static void a_signal_the_child_blocks_waits(void **state)
{
    static const int sigs[] = { SIGUSR1, 0 };
    posix_spawnattr_t attr;
    sigset_t mask;
    struct receiver r;
    char want[64];
    (void)state;
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    assert_int_equal(posix_spawnattr_setsigmask(&attr, &mask), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK), 0);
    receiver_start(&r, sigs, SIGHUP, &attr);
    posix_spawnattr_destroy(&attr);
    assert_ok(kill(r.pid, SIGUSR1));
    assert_ok(kill(r.pid, SIGHUP));
    snprintf(want, sizeof want, "%d %d %d", SIGHUP, SI_USER, (int)getpid());
    assert_string_equal(receiver_line(&r), want);
    int st = receiver_finish(&r);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* A process without winpipe inherits this one's WINPIPE_SIGNAL, which names this process: kill()
 * must not take it for the child's channel. The child (cmd.exe reading commands from a pipe that
 * stays open) ends by the signal, as any process without winpipe does; had the signal gone into
 * this process's channel instead, the child would never end (the watchdog's failure). */
static void kill_of_a_process_without_winpipe_ends_it(void **state)
{
#ifdef _WIN32
    char *argv[] = { "cmd.exe", "/q", NULL };
    posix_spawn_file_actions_t fa;
    int in[2], st;
    pid_t pid;
    (void)state;
    set_action(SIGUSR1, on_count, NULL, SA_RESTART);
    wp_pipe(in, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in[0], 0), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0), 0);
    assert_int_equal(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(in[0]);
    assert_ok(kill(pid, SIGUSR1));
    assert_rc(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGUSR1);
    assert_int_equal(hits, 0);
    wp_close(in[1]);
#else
    (void)state;
    skip(); /* Linux: every process takes signals alike */
#endif
}

/* ---- what a child starts with ---- */

/* child sigstate: its "mask: ..." and "ign: ..." lines. */
static void child_sigstate(const posix_spawnattr_t *attr, char *mask, char *ign, size_t size)
{
    char *args[] = { "sigstate", "1", NULL };
    int p[2];
    posix_spawn_file_actions_t fa;
    size_t len;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    pid_t pid = su_spawn(&fa, attr, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    char *out = su_read_all(p[0], &len);
    wp_close(p[0]);
    assert_int_equal(su_reap(pid), 0);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    *nl = 0;
    snprintf(mask, size, "%s", out);
    snprintf(ign, size, "%s", nl + 1);
    if ((nl = strchr(ign, '\n')))
        *nl = 0;
    free(out);
}

/* " N " is in the list (after its "name:"). */
static int listed(const char *list, int sig)
{
    char want[16];
    const char *p = strchr(list, ':');
    size_t n = (size_t)snprintf(want, sizeof want, " %d", sig);
    for (p = p ? p + 1 : list; (p = strstr(p, want)); p += n)
        if (p[n] == ' ' || p[n] == 0)
            return 1;
    return 0;
}

static void a_child_starts_with_the_callers_mask_and_ignored_signals(void **state)
{
    char mask[512], ign[512];
    (void)state;
    mask_sig(SIG_BLOCK, SIGUSR2);
    assert_true(signal(SIGUSR1, SIG_IGN) == SIG_DFL);
    assert_true(signal(SIGHUP, on_count) == SIG_DFL);
    child_sigstate(NULL, mask, ign, sizeof mask);
    assert_string_equal(mask, "mask: 12");
    assert_int_equal(listed(ign, SIGUSR1), 1);
    assert_int_equal(listed(ign, SIGHUP), 0); /* a handler: SIG_DFL in the child */
    assert_int_equal(listed(ign, SIGUSR2), 0);
}

static void spawn_attributes_set_the_childs_mask_and_defaults(void **state)
{
    char mask[512], ign[512];
    posix_spawnattr_t attr;
    sigset_t set;
    (void)state;
    mask_sig(SIG_BLOCK, SIGUSR2);
    assert_true(signal(SIGUSR1, SIG_IGN) == SIG_DFL);
    assert_true(signal(SIGALRM, SIG_IGN) == SIG_DFL);
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    assert_int_equal(posix_spawnattr_setsigmask(&attr, &set), 0);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    assert_int_equal(posix_spawnattr_setsigdefault(&attr, &set), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK
                                                         | POSIX_SPAWN_SETSIGDEF), 0);
    child_sigstate(&attr, mask, ign, sizeof mask);
    posix_spawnattr_destroy(&attr);
    assert_string_equal(mask, "mask: 1 15");
    assert_int_equal(listed(ign, SIGUSR1), 0);
    assert_int_equal(listed(ign, SIGALRM), 1);
}

/* ---- alarm ---- */

static void alarm_interrupts_a_blocking_read(void **state)
{
    int p[2];
    char c;
    (void)state;
    set_action(SIGALRM, on_count, NULL, 0);
    wp_pipe(p, 0);
    assert_int_equal(alarm(1), 0);
    assert_errno(read(p[0], &c, 1), EINTR);
    assert_int_equal(hits, 1);
    assert_int_equal(alarm(0), 0);
    wp_close_pipe(p);
}

/* alarm() returns the seconds left of the alarm it replaces (rounded; a busy machine may let
 * one go by between two calls), and alarm(0) cancels it. */
static void alarm_returns_the_time_left_and_0_cancels(void **state)
{
    (void)state;
    set_action(SIGALRM, on_count, NULL, 0);
    assert_int_equal(alarm(100), 0);
    unsigned left = alarm(50);
    assert_true(left == 100 || left == 99);
    left = alarm(0);
    assert_true(left == 50 || left == 49);
    assert_int_equal(alarm(0), 0);
    assert_int_equal(hits, 0);
}

static void sigalrm_default_action_ends_the_process(void **state)
{
    char *args[] = { "alarm", "1", NULL };
    (void)state;
    pid_t pid = su_spawn(NULL, NULL, args);
    int st = su_reap(pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGALRM);
}

/* ---- setitimer, getitimer: ITIMER_REAL ---- */

static struct itimerval itimer_val(long s, long us, long every_s, long every_us)
{
    struct itimerval v;
    v.it_value.tv_sec = s;
    v.it_value.tv_usec = us;
    v.it_interval.tv_sec = every_s;
    v.it_interval.tv_usec = every_us;
    return v;
}

static void itimer_set(long s, long us, long every_s, long every_us, struct itimerval *old)
{
    struct itimerval v = itimer_val(s, us, every_s, every_us);
    assert_ok(setitimer(ITIMER_REAL, &v, old));
}

static long long itimer_us(const struct timeval *tv)
{
    assert_in_range(tv->tv_usec, 0, 999999);
    return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* What getitimer says is left (*left) and the period, in microseconds. */
static long long itimer_get(long long *left)
{
    struct itimerval cur;
    memset(&cur, 0x55, sizeof cur);
    assert_ok(getitimer(ITIMER_REAL, &cur));
    *left = itimer_us(&cur.it_value);
    return itimer_us(&cur.it_interval);
}

static void itimer_assert_disarmed(void)
{
    long long left;
    assert_int_equal(itimer_get(&left), 0);
    assert_int_equal(left, 0);
}

/* SIGALRM blocked and then ignored: one still pending from the timer is dropped, not delivered
 * by the next test's default action. */
static void itimer_drop_pending_sigalrm(void)
{
    assert_ptr_not_equal(signal(SIGALRM, SIG_IGN), SIG_ERR);
    mask_sig(SIG_UNBLOCK, SIGALRM);
}

static void setitimer_sends_sigalrm_every_period_until_disarmed(void **state)
{
    struct itimerval old;
    (void)state;
    set_action(SIGALRM, on_count, NULL, 0);
    mask_sig(SIG_BLOCK, SIGALRM);
    itimer_set(0, 20000, 0, 20000, NULL);
    suspend_until(3);
    itimer_set(0, 0, 0, 0, &old);
    /* the period exactly; what was left at most one period (Linux says 0 while a SIGALRM of
     * the timer is pending: it sets the timer again when the signal is taken) */
    assert_int_equal(itimer_us(&old.it_interval), 20000);
    assert_in_range(itimer_us(&old.it_value), 0, 20000);
    itimer_assert_disarmed();
    itimer_drop_pending_sigalrm();
    /* disarmed: a 20 ms timer that still ran would be heard in 200 ms (on a busy machine it
     * might not be, and the test would pass without showing it) */
    set_action(SIGALRM, on_count, NULL, 0);
    int before = hits;
    assert_int_equal(poll(NULL, 0, 200), 0);
    assert_int_equal(hits, before);
}

static void setitimer_without_a_period_sends_sigalrm_once(void **state)
{
    (void)state;
    set_action(SIGALRM, on_count, NULL, 0);
    mask_sig(SIG_BLOCK, SIGALRM);
    itimer_set(0, 50000, 0, 0, NULL);
    suspend_until(1);
    itimer_assert_disarmed();
    itimer_drop_pending_sigalrm();
}

/* getitimer tells what is left (counting down; a busy machine may let seconds go by) and the
 * period; alarm() shares the timer: it returns what setitimer set, and sets no period. */
static void getitimer_tells_what_is_left_and_alarm_shares_the_timer(void **state)
{
    struct itimerval old;
    long long left;
    (void)state;
    set_action(SIGALRM, on_count, NULL, 0);
    itimer_set(100, 0, 0, 0, NULL);
    assert_int_equal(itimer_get(&left), 0);
    assert_in_range(left, 90000000, 100000000);
    itimer_set(50, 0, 2, 500000, &old);
    assert_in_range(itimer_us(&old.it_value), 90000000, 100000000);
    assert_int_equal(itimer_us(&old.it_interval), 0);
    assert_int_equal(itimer_get(&left), 2500000);
    assert_in_range(left, 40000000, 50000000);
    unsigned prev = alarm(30);
    assert_in_range(prev, 40, 50);
    assert_int_equal(itimer_get(&left), 0); /* alarm's timer has no period */
    assert_in_range(left, 20000000, 30000000);
    prev = alarm(0);
    assert_in_range(prev, 20, 30);
    itimer_assert_disarmed();
    /* Linux forgets the period of a timer set with no time left: it is disarmed */
    itimer_set(0, 0, 1, 0, NULL);
    itimer_assert_disarmed();
    assert_int_equal(hits, 0);
}

/* Linux: EINVAL for a time with a negative part or 1,000,000 microseconds or more, and for an
 * unknown timer; EFAULT for getitimer with no place for the answer; a NULL new value disarms. */
static void setitimer_refuses_bad_times_and_timers(void **state)
{
    struct itimerval v, old;
    long long left;
    const long bad[][4] = {
        { 0, 1000000, 0, 0 }, { 0, -1, 0, 0 }, { -1, 0, 0, 0 },
        { 1, 0, 0, 1000000 }, { 1, 0, 0, -1 }, { 1, 0, -1, 0 },
    };
    (void)state;
    set_action(SIGALRM, on_count, NULL, 0);
    itimer_set(100, 0, 0, 0, NULL);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = itimer_val(bad[i][0], bad[i][1], bad[i][2], bad[i][3]);
        assert_errno(setitimer(ITIMER_REAL, &v, &old), EINVAL);
        assert_int_equal(itimer_get(&left), 0); /* the timer as it was */
        assert_in_range(left, 90000000, 100000000);
    }
    v = itimer_val(1, 0, 1, 0);
    assert_errno(setitimer(7, &v, NULL), EINVAL);
    assert_errno(setitimer(-1, &v, NULL), EINVAL);
    assert_errno(getitimer(7, &old), EINVAL);
    assert_errno(getitimer(ITIMER_REAL, NULL), EFAULT);
    assert_ok(setitimer(ITIMER_REAL, NULL, &old));
    assert_in_range(itimer_us(&old.it_value), 90000000, 100000000);
    itimer_assert_disarmed();
    assert_int_equal(hits, 0);
}

/* Windows-specific: a timer of the process's CPU time cannot be made; POSIX's error for a timer
 * the implementation does not know. Linux has them. */
static void itimer_virtual_and_prof_are_einval(void **state)
{
    (void)state;
#ifdef _WIN32
    struct itimerval v = itimer_val(1, 0, 0, 0), cur;
    assert_errno(setitimer(ITIMER_VIRTUAL, &v, NULL), EINVAL);
    assert_errno(setitimer(ITIMER_PROF, &v, NULL), EINVAL);
    assert_errno(getitimer(ITIMER_VIRTUAL, &cur), EINVAL);
    assert_errno(getitimer(ITIMER_PROF, &cur), EINVAL);
#else
    skip(); /* Windows-only: Linux has CPU-time timers */
#endif
}

/* ---- the console ---- */

/* child interrupt runs PROG and sends it a terminal's Ctrl-C (Windows: CTRL_C_EVENT through a
 * console of its own) when told on its stdin. PROG: child sigrecv 1 END SIG... */
static int interrupt_receiver(const char *end, const char *sig, char *line, size_t size)
{
    char *argv[] = { (char *)su_child(), "interrupt", (char *)su_child(), "sigrecv", "1",
                     (char *)end, (char *)sig, NULL };
    int in[2], out[2];
    pid_t pid;
    posix_spawn_file_actions_t fa;
    size_t len;
    wp_pipe(in, O_CLOEXEC);
    wp_pipe(out, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in[0], 0), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out[1], 1), 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(in[0]);
    wp_close(out[1]);
    char ready[7];
    wp_read_exact(out[0], ready, 6);
    ready[6] = 0;
    assert_string_equal(ready, "ready\n");
    wp_write_byte(in[1], '!');
    char *rest = su_read_all(out[0], &len);
    snprintf(line, size, "%s", rest);
    free(rest);
    wp_close(in[1]);
    wp_close(out[0]);
    return su_reap(pid);
}

static void ctrl_c_runs_the_sigint_handler(void **state)
{
    char line[128], sig[8];
    (void)state;
    snprintf(sig, sizeof sig, "%d", SIGINT);
    int st = interrupt_receiver(sig, sig, line, sizeof line);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(strncmp(line, "2 ", 2) == 0); /* si_code: SI_USER natively, SI_KERNEL here */
}

static void ctrl_c_ends_a_process_by_sigint(void **state)
{
    char line[128], hup[8];
    (void)state;
    snprintf(hup, sizeof hup, "%d", SIGHUP);
    int st = interrupt_receiver(hup, hup, line, sizeof line);
    assert_string_equal(line, "");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 100 + SIGINT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PROC_TEST(sigchld_tells_which_child_ended_and_how),
        PROC_TEST(sigchld_for_many_children_ending_at_once_reaps_each_once),
        PROC_TEST(sigchld_ignored_reaps_children_by_themselves),
        PROC_TEST(sa_nocldwait_reaps_children_and_still_sends_sigchld),
        PROC_TEST(kill_runs_the_handler_of_another_process),
        PROC_TEST(kill_does_the_default_action_of_another_process),
        PROC_TEST(a_signal_the_child_blocks_waits),
        PROC_TEST(kill_of_a_process_without_winpipe_ends_it),
        PROC_TEST(a_child_starts_with_the_callers_mask_and_ignored_signals),
        PROC_TEST(spawn_attributes_set_the_childs_mask_and_defaults),
        PROC_TEST(alarm_interrupts_a_blocking_read),
        PROC_TEST(alarm_returns_the_time_left_and_0_cancels),
        PROC_TEST(sigalrm_default_action_ends_the_process),
        PROC_TEST(setitimer_sends_sigalrm_every_period_until_disarmed),
        PROC_TEST(setitimer_without_a_period_sends_sigalrm_once),
        PROC_TEST(getitimer_tells_what_is_left_and_alarm_shares_the_timer),
        PROC_TEST(setitimer_refuses_bad_times_and_timers),
        PROC_TEST(itimer_virtual_and_prof_are_einval),
        PROC_TEST(ctrl_c_runs_the_sigint_handler),
        PROC_TEST(ctrl_c_ends_a_process_by_sigint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
