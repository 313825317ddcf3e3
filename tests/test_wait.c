/* test_wait: waitpid/wait status encoding, WNOHANG, ECHILD, waitpid(-1) over more than 64
 * children and from several threads, kill() with SIGTERM/SIGKILL/SIGINT/0, of a group, of pid 0
 * and -1, and SIGPIPE's default action in a child. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helper.h"
#include "spawn_util.h"

#ifdef _WIN32
#include <winpipe.h>
#endif

static pid_t start(const char *cmd, const char *arg)
{
    char *args[] = { (char *)cmd, (char *)arg, NULL };
    return su_spawn(NULL, NULL, args);
}

/* A child that has exited with code and is not reaped: a zombie. It runs `child exit CODE`
 * with its fd 1 on a pipe and is known to be gone when the pipe gives EOF (its last handle
 * closes as it ends), not after a sleep, which a loaded machine can outlast. */
static pid_t start_zombie(const char *code)
{
    posix_spawn_file_actions_t fa;
    char *args[] = { "exit", (char *)code, NULL }, c;
    int p[2];
    pid_t pid;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    assert_rc(read(p[0], &c, 1), 0);
    wp_close(p[0]);
    return pid;
}

static void exit_codes_are_wexitstatus_low_8_bits(void **state)
{
    static const char *codes[] = { "0", "1", "42", "255", "256", "257" };
    static const int want[] = { 0, 1, 42, 255, 0, 1 };
    (void)state;
    for (int i = 0; i < 6; i++) {
        int st = su_reap(start("exit", codes[i]));
        assert_true(WIFEXITED(st));
        assert_false(WIFSIGNALED(st));
        assert_int_equal(WEXITSTATUS(st), want[i]);
    }
}

static void crash_is_wifsignaled_sigsegv(void **state)
{
    (void)state;
    int st = su_reap(start("crash", NULL));
    assert_false(WIFEXITED(st));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSEGV);
}

static void exact_exit_code_is_reachable(void **state)
{
#ifdef _WIN32
    unsigned int code = 0;
    int st;
    (void)state;
    pid_t pid = start("exit", "0xFFFFFFFF");
    assert_rc(winpipe_waitpid_exit_code(pid, &st, 0, &code), pid);
    assert_int_equal(code, 0xFFFFFFFFu);
    assert_int_equal(WEXITSTATUS(st), 255);
    pid = start("crash", NULL);
    assert_rc(winpipe_waitpid_exit_code(pid, &st, 0, &code), pid);
    assert_int_equal(code, 0xC0000005u);
    pid = start("exit", "0xC000013A");
    assert_rc(winpipe_waitpid_exit_code(pid, &st, 0, &code), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGINT);
#else
    (void)state;
    skip();
#endif
}

static void wnohang_returns_0_while_running_then_the_pid(void **state)
{
    int st = -1;
    (void)state;
    pid_t pid = start("sleep", "300");
    assert_rc(waitpid(pid, &st, WNOHANG), 0);
    assert_int_equal(st, -1);
    assert_rc(waitpid(pid, &st, 0), pid);
    assert_int_equal(st, 0);
}

static void echild_for_unknown_and_reaped_pids(void **state)
{
    int st;
    (void)state;
    assert_errno(waitpid(-1, &st, WNOHANG), ECHILD);
    assert_errno(waitpid(-1, &st, 0), ECHILD);
    pid_t pid = start("exit", "0");
    su_reap(pid);
    assert_errno(waitpid(pid, &st, 0), ECHILD);
    assert_errno(waitpid(pid, &st, WNOHANG), ECHILD);
    assert_errno(wait(&st), ECHILD);
}

static void bad_options_are_einval(void **state)
{
    int st;
    (void)state;
    pid_t pid = start("exit", "0");
    assert_errno(waitpid(pid, &st, 0x4000), EINVAL);
    su_reap(pid);
}

#define MANY 70

static void waitpid_any_reaps_more_than_64_children_each_once(void **state)
{
    pid_t pids[MANY];
    int seen[MANY] = { 0 }, st;
    char code[8];
    (void)state;
    for (int i = 0; i < MANY; i++) {
        snprintf(code, sizeof code, "%d", i);
        pids[i] = start("exit", code);
    }
    for (int n = 0; n < MANY; n++) {
        pid_t pid = waitpid(-1, &st, 0);
        int i;
        wp_progress();
        for (i = 0; i < MANY && pids[i] != pid; i++)
            ;
        if (i == MANY)
            fail_msg("waitpid(-1) returned %ld (errno %d)", (long)pid, errno);
        assert_int_equal(seen[i], 0);
        seen[i] = 1;
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), i);
    }
    assert_errno(waitpid(-1, &st, 0), ECHILD);
}

static void waitpid_of_a_process_that_is_not_a_child_is_echild(void **state)
{
    int st;
    (void)state;
    pid_t pid = start("sleep", "200");
    assert_errno(waitpid(getpid(), &st, 0), ECHILD);
    assert_errno(waitpid(getpid(), &st, WNOHANG), ECHILD);
    assert_rc(waitpid(pid, &st, 0), pid);
}

/* Linux: no process or group can have the id INT_MIN stands for (its negation overflows). */
static void waitpid_and_kill_of_int_min_are_esrch(void **state)
{
    int st;
    (void)state;
    pid_t pid = start("sleep", "200");
    assert_errno(waitpid(INT_MIN, &st, WNOHANG), ESRCH);
    assert_errno(waitpid(INT_MIN, &st, 0), ESRCH);
    assert_errno(kill(INT_MIN, 0), ESRCH);
    assert_errno(kill(INT_MIN, SIGTERM), ESRCH);
    assert_rc(waitpid(pid, &st, 0), pid);
    assert_int_equal(st, 0);
}

#define REAPED 24

struct reaper {
    pid_t got[REAPED];
    int n, err;
};

static void *reaper_thread(void *arg)
{
    struct reaper *r = arg;
    int st;
    for (;;) {
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            r->err = errno;
            return NULL;
        }
        if (r->n < REAPED)
            r->got[r->n] = pid;
        r->n++;
        wp_progress();
    }
}

/* Two threads in waitpid(-1) while the main thread reaps some children by pid: each child is
 * reaped exactly once, and every waiter ends with ECHILD once none is left. */
static void waitpid_from_several_threads_reaps_each_child_once(void **state)
{
    pid_t pids[REAPED];
    struct reaper r[2];
    pthread_t t[2];
    int seen[REAPED] = { 0 }, st, main_got = 0;
    char ms[16];
    (void)state;
    memset(r, 0, sizeof r);
    for (int i = 0; i < REAPED; i++) {
        snprintf(ms, sizeof ms, "%d", (i % 6) * 40);
        pids[i] = start("sleep", ms);
    }
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&t[k], NULL, reaper_thread, &r[k]), 0);
    for (int i = 0; i < REAPED; i += 3) {
        errno = 0;
        pid_t got = waitpid(pids[i], &st, 0);
        wp_progress();
        if (got == pids[i]) {
            seen[i]++;
            main_got++;
        } else if (got != -1 || errno != ECHILD) {
            fail_msg("waitpid(%ld): %ld, errno %d", (long)pids[i], (long)got, errno);
        }
    }
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        assert_int_equal(r[k].err, ECHILD);
        assert_true(r[k].n <= REAPED);
        for (int j = 0; j < r[k].n; j++) {
            int i;
            for (i = 0; i < REAPED && pids[i] != r[k].got[j]; i++)
                ;
            if (i == REAPED)
                fail_msg("a thread reaped %ld, no child of this test", (long)r[k].got[j]);
            seen[i]++;
        }
    }
    for (int i = 0; i < REAPED; i++)
        if (seen[i] != 1)
            fail_msg("child %d (%ld) reaped %d times", i, (long)pids[i], seen[i]);
    assert_int_equal(main_got + r[0].n + r[1].n, REAPED);
}

/* kill(-pgid): Linux signals process group pgid. A child started without POSIX_SPAWN_SETPGROUP
 * is in the caller's group and leads none, so ESRCH, and it is not touched. */
static void kill_of_a_group_reaches_only_a_child_that_leads_one(void **state)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "30000", NULL };
    int st;
    (void)state;
    pid_t plain = start("sleep", "30000");
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    pid_t leader = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    assert_errno(kill(-plain, 0), ESRCH);
    assert_errno(kill(-plain, SIGTERM), ESRCH);
    assert_rc(waitpid(plain, &st, WNOHANG), 0);
    assert_ok(kill(-leader, 0));
    assert_ok(kill(-leader, SIGTERM));
    st = su_reap(leader);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    assert_ok(kill(plain, SIGKILL));
    st = su_reap(plain);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
}

static volatile sig_atomic_t got_sigterm;

static void on_sigterm(int sig)
{
    (void)sig;
    got_sigterm++;
}

/* kill(0, sig): every process in the caller's group, the caller included. On Windows that is
 * the caller's children not started in a group of their own, and the caller. */
static void kill_0_signals_the_callers_group_and_the_caller(void **state)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "30000", NULL };
    int st;
    (void)state;
#ifndef _WIN32
    /* The test runner (timeout(1), make) shares this group: a group of our own first. */
    assert_ok(setpgid(0, 0));
#endif
    pid_t member = start("sleep", "30000");
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    pid_t other = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    assert_ok(kill(0, 0));
    got_sigterm = 0;
    signal(SIGTERM, on_sigterm);
    assert_ok(kill(0, SIGTERM));
    signal(SIGTERM, SIG_DFL);
    assert_int_equal(got_sigterm, 1);
    st = su_reap(member);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    assert_rc(waitpid(other, &st, WNOHANG), 0);
    assert_ok(kill(other, SIGKILL));
    su_reap(other);
    assert_errno(kill(0, 65), EINVAL);
}

/* kill(-1, sig): POSIX's every process the caller may signal; winpipe's the caller's unreaped
 * children (in any group), not the caller; ESRCH when there are none. */
static void kill_minus_1_signals_every_child_but_not_the_caller(void **state)
{
#ifdef _WIN32
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "30000", NULL };
    int st;
    (void)state;
    assert_errno(kill(-1, 0), ESRCH);
    assert_errno(kill(-1, SIGTERM), ESRCH);
    pid_t member = start("sleep", "30000");
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    pid_t other = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    assert_ok(kill(-1, 0));
    got_sigterm = 0;
    signal(SIGTERM, on_sigterm);
    assert_ok(kill(-1, SIGTERM));
    signal(SIGTERM, SIG_DFL);
    assert_int_equal(got_sigterm, 0);
    st = su_reap(member);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    st = su_reap(other);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    assert_errno(kill(-1, 65), EINVAL);
#else
    (void)state;
    skip(); /* natively it would signal every process of this user */
#endif
}

static void kill_sigterm_and_sigkill_are_wtermsig(void **state)
{
    static const int sigs[] = { SIGTERM, SIGKILL };
    (void)state;
    for (int i = 0; i < 2; i++) {
        pid_t pid = start("sleep", "30000");
        assert_ok(kill(pid, sigs[i]));
        int st = su_reap(pid);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), sigs[i]);
    }
}

static void kill_0_checks_existence(void **state)
{
    (void)state;
    pid_t pid = start_zombie("0");
    /* A zombie still exists. */
    assert_ok(kill(pid, 0));
    su_reap(pid);
    assert_errno(kill(pid, 0), ESRCH);
    assert_errno(kill(pid, SIGTERM), ESRCH);
}

static void kill_a_zombie_changes_nothing(void **state)
{
    (void)state;
    pid_t pid = start_zombie("4");
    assert_ok(kill(pid, SIGKILL));
    int st = su_reap(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 4);
}

/* Signals whose default action is to continue or to ignore (Linux's numbers, which winpipe's
 * kill speaks and its <signal.h> defines) leave a running child running. */
static void kill_with_a_signal_ignored_by_default_leaves_the_child_running(void **state)
{
    static const int sigs[] = { SIGCONT, SIGURG, SIGWINCH, SIGCHLD };
    int st;
    (void)state;
    pid_t pid = start("sleep", "30000");
    for (int i = 0; i < 4; i++)
        assert_ok(kill(pid, sigs[i]));
    wp_sleep_ms(200);
    assert_rc(waitpid(pid, &st, WNOHANG), 0);
    assert_ok(kill(pid, SIGKILL));
    st = su_reap(pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
}

/* SIGSTOP and SIGTSTP stop a process; Windows cannot, and POSIX says EINVAL for a signal the
 * implementation does not support. The child is left as it was. */
static void kill_with_a_stop_signal_is_einval(void **state)
{
#ifdef _WIN32
    int st;
    (void)state;
    pid_t pid = start("sleep", "30000");
    assert_errno(kill(pid, SIGSTOP), EINVAL);
    assert_errno(kill(pid, SIGTSTP), EINVAL);
    assert_rc(waitpid(pid, &st, WNOHANG), 0);
    assert_ok(kill(pid, SIGKILL));
    su_reap(pid);
#else
    (void)state;
    skip(); /* Linux stops the child: nothing winpipe can match */
#endif
}

static void kill_invalid_signal_is_einval(void **state)
{
    (void)state;
    pid_t pid = start("sleep", "100");
    assert_errno(kill(pid, -1), EINVAL);
    assert_errno(kill(pid, 1000), EINVAL);
    su_reap(pid);
}

static void sigint_reaches_a_child_in_its_own_process_group(void **state)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "30000", NULL };
    (void)state;
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    assert_int_equal(posix_spawnattr_setpgroup(&attr, 0), 0);
    pid_t pid = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    wp_sleep_ms(200);
    assert_ok(kill(pid, SIGINT));
    int st = su_reap(pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGINT);
}

static void sigpipe_default_action_ends_the_child_by_the_signal(void **state)
{
    int p[2];
    posix_spawn_file_actions_t fa;
    char *args[] = { "sigpipe", NULL };
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    wp_close(p[0]); /* no reader, in the parent or the child */
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    int st = su_reap(pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGPIPE);
}

/* Reads fd to EOF, checking each byte against the child's nbwrite/nbfill stream (byte i is
 * i % 251); the count. */
static size_t read_251_to_eof(int fd)
{
    static unsigned char buf[65536];
    size_t total = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != (unsigned char)((total + (size_t)i) % 251))
                fail_msg("byte %zu is %u, expected %u", total + (size_t)i, buf[i],
                         (unsigned)((total + (size_t)i) % 251));
        total += (size_t)r;
    }
    assert_int_equal(r, 0);
    return total;
}

/* The child's last non-blocking writes may still sit in winpipe's write-behind when it exits;
 * POSIX keeps such bytes in the pipe. The read end is polled before the spawn so that the pair
 * is not swapped for one with a synchronous child end: the child writes through an overlapped
 * end, the case that has a write-behind. */
static void child_exiting_right_after_nonblocking_writes_loses_no_byte(void **state)
{
    enum { N = 300000 };
    int p[2];
    posix_spawn_file_actions_t fa;
    char n_arg[16], *args[] = { "nbwrite", n_arg, NULL };
    struct pollfd pf;
    (void)state;
    snprintf(n_arg, sizeof n_arg, "%d", N);
    wp_pipe(p, O_CLOEXEC);
    pf.fd = p[0];
    pf.events = POLLIN;
    assert_int_equal(poll(&pf, 1, 0), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    wp_sleep_ms(300); /* the child fills the pipe and waits for room */
    assert_int_equal(read_251_to_eof(p[0]), N);
    int st = su_reap(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    wp_close(p[0]);
}

/* A child handed an overlapped end (of a pipe its parent has used already, so that it is not
 * remade with a synchronous child end) that never calls pipe() or posix_spawn() itself fills
 * the pipe with non-blocking writes and ends at once, with exit() or _exit(). POSIX: what
 * write() reported is in the pipe (Linux: 65,536 reported, 65,536 read). winpipe's last write
 * may still be its write-behind then, which the child's exit must wait for; the parent reads
 * only a while after the child said how much it wrote, so nothing else drains it meanwhile. */
static void check_no_byte_lost_at_exit(const char *prog, const char *how)
{
    int data[2], note[2];
    posix_spawn_file_actions_t fa;
    char *argv[] = { (char *)prog, "nbfill", "3", "4", (char *)how, NULL }, msg[32];
    size_t len = 0;
    pid_t pid;
    wp_pipe(data, O_CLOEXEC);
    wp_pipe(note, O_CLOEXEC);
    wp_write_byte(data[1], 'x');
    assert_int_equal(wp_read_byte(data[0]), 'x');
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, data[1], 3), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, note[1], 4), 0);
    assert_int_equal(posix_spawn(&pid, prog, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(data[1]);
    wp_close(note[1]);
    while (len < sizeof msg - 1 && read(note[0], msg + len, 1) == 1 && msg[len] != '\n')
        len++;
    msg[len] = 0;
    long reported = strtol(msg, NULL, 10);
    assert_true(reported >= 65536);
    wp_sleep_ms(500);
    assert_int_equal(read_251_to_eof(data[0]), (size_t)reported);
    int st = su_reap(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    wp_close(data[0]);
    wp_close(note[0]);
}

static void child_that_never_made_a_pipe_loses_no_byte_at_exit(void **state)
{
    (void)state;
    check_no_byte_lost_at_exit(su_child(), "exit");
}

static void child_that_never_made_a_pipe_loses_no_byte_at__exit(void **state)
{
    (void)state;
    check_no_byte_lost_at_exit(su_child(), "_exit");
}

/* Windows: the same with the child linked to winpipe statically (tests/child_static), where
 * other exit hooks run than in a program using the DLL. */
static void static_child_that_never_made_a_pipe_loses_no_byte_at__exit(void **state)
{
#ifdef _WIN32
    char path[4096], *slash;
    (void)state;
    /* Beside the child; libtool leaves a program linked statically one folder up from the
     * real executables of programs linked to the DLL (.libs). */
    snprintf(path, sizeof path - 32, "%s", su_child());
    slash = strrchr(path, '\\');
    strcpy(slash ? slash + 1 : path, "child_static.exe");
    if (GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES)
        strcpy(slash ? slash + 1 : path, "..\\child_static.exe");
    check_no_byte_lost_at_exit(path, "_exit");
    check_no_byte_lost_at_exit(path, "exit");
#else
    (void)state;
    skip(); /* Windows: how a statically linked program ends; Linux has one way */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(exit_codes_are_wexitstatus_low_8_bits),
        WP_TEST(crash_is_wifsignaled_sigsegv),
        WP_TEST(exact_exit_code_is_reachable),
        WP_TEST(wnohang_returns_0_while_running_then_the_pid),
        WP_TEST(echild_for_unknown_and_reaped_pids),
        WP_TEST(bad_options_are_einval),
        WP_TEST(waitpid_any_reaps_more_than_64_children_each_once),
        WP_TEST(waitpid_of_a_process_that_is_not_a_child_is_echild),
        WP_TEST(waitpid_and_kill_of_int_min_are_esrch),
        WP_TEST(waitpid_from_several_threads_reaps_each_child_once),
        WP_TEST(kill_of_a_group_reaches_only_a_child_that_leads_one),
        WP_TEST(kill_0_signals_the_callers_group_and_the_caller),
        WP_TEST(kill_minus_1_signals_every_child_but_not_the_caller),
        WP_TEST(kill_sigterm_and_sigkill_are_wtermsig),
        WP_TEST(child_that_never_made_a_pipe_loses_no_byte_at_exit),
        WP_TEST(child_that_never_made_a_pipe_loses_no_byte_at__exit),
        WP_TEST(static_child_that_never_made_a_pipe_loses_no_byte_at__exit),
        WP_TEST(kill_0_checks_existence),
        WP_TEST(kill_a_zombie_changes_nothing),
        WP_TEST(kill_invalid_signal_is_einval),
        WP_TEST(kill_with_a_signal_ignored_by_default_leaves_the_child_running),
        WP_TEST(kill_with_a_stop_signal_is_einval),
        WP_TEST(sigint_reaches_a_child_in_its_own_process_group),
        WP_TEST(sigpipe_default_action_ends_the_child_by_the_signal),
        WP_TEST(child_exiting_right_after_nonblocking_writes_loses_no_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
