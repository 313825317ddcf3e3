/* test_pgroup: process groups: POSIX_SPAWN_SETPGROUP (a new group, joining one) and
 * POSIX_SPAWN_SETSID, getpgrp/getpgid/setpgid, and kill(-pgid), kill(0), killpg and
 * waitpid(-pgid) reaching every process of a group — a grandchild started by a program that
 * knows nothing of winpipe (tests/plain.c) included, which holds its parent's output pipe until
 * the group's signal ends it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helper.h"
#include "spawn_util.h"

static void attr_group(posix_spawnattr_t *attr, short flags, pid_t pgroup)
{
    assert_int_equal(posix_spawnattr_init(attr), 0);
    assert_int_equal(posix_spawnattr_setflags(attr, flags), 0);
    assert_int_equal(posix_spawnattr_setpgroup(attr, pgroup), 0);
}

/* The child helper sleeping, in group pgroup (-1: the caller's group). */
static pid_t start_sleeper(pid_t pgroup)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "60000", NULL };
    if (pgroup < 0)
        return su_spawn(NULL, NULL, args);
    attr_group(&attr, POSIX_SPAWN_SETPGROUP, pgroup);
    pid_t pid = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    return pid;
}

/* "plain tree|orphan 600000" in a new group with its stdout on a pipe; *out is our read end.
 * Returns once its "G PID" line came: the grandchild is running; *grandchild its pid. */
static pid_t start_plain(const char *how, int *out, long *grandchild)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    /* Ten minutes: should a signal not reach the grandchild, the watchdog ends the test long
     * before the grandchild's own end would bring EOF. */
    char *argv[] = { (char *)su_plain(), (char *)how, "600000", NULL }, line[64];
    size_t got = 0;
    int p[2];
    pid_t pid;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    attr_group(&attr, POSIX_SPAWN_SETPGROUP, 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, &attr, argv, environ), 0);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    while (got < sizeof line - 1 && (got == 0 || line[got - 1] != '\n')) {
        ssize_t r = read(p[0], line + got, 1);
        if (r != 1)
            fail_msg("plain %s: read %zd (errno %d) after %zu bytes", how, r, errno, got);
        got++;
    }
    line[got] = 0;
    assert_int_equal(sscanf(line, "G %ld", grandchild), 1);
    *out = p[0];
    return pid;
}

/* Reads fd to EOF, which comes once every process holding the pipe has ended. */
static void assert_eof_then_close(int fd)
{
    size_t len;
    char *rest = su_read_all(fd, &len);
    assert_int_equal(len, 0);
    free(rest);
    wp_close(fd);
}

static void assert_signaled(int st, int sig)
{
    if (!WIFSIGNALED(st) || WTERMSIG(st) != sig)
        fail_msg("status %#x: expected the signal %d", st, sig);
}

static void getpgid_of_self_and_children(void **state)
{
    (void)state;
    pid_t me = getpgrp();
    assert_true(me > 0);
    assert_rc(getpgid(0), me);
    assert_rc(getpgid(getpid()), me);
    pid_t member = start_sleeper(-1), leader = start_sleeper(0);
    assert_rc(getpgid(member), me);
    assert_rc(getpgid(leader), leader);
    assert_ok(kill(member, SIGKILL));
    assert_ok(kill(leader, SIGKILL));
    su_reap(member);
    su_reap(leader);
    assert_errno(getpgid(member), ESRCH);
    assert_errno(getpgid(leader), ESRCH);
    assert_errno(getpgid(-1), ESRCH);
}

/* POSIX_SPAWN_SETPGROUP with a group's id: the child joins it. The id of a process that leads
 * no group names none: EPERM, as for setpgid. */
static void setpgroup_joins_an_existing_group(void **state)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "60000", NULL };
    pid_t pid;
    (void)state;
    pid_t leader = start_sleeper(0), member = start_sleeper(-1);
    pid_t joiner = start_sleeper(leader), own = start_sleeper(getpgrp());
    assert_rc(getpgid(joiner), leader);
    assert_rc(getpgid(own), getpgrp());
    attr_group(&attr, POSIX_SPAWN_SETPGROUP, member);
    assert_int_equal(posix_spawn(&pid, su_child(), NULL, &attr, args, environ), EPERM);
    assert_int_equal(posix_spawnattr_setpgroup(&attr, -3), 0);
    assert_int_equal(posix_spawn(&pid, su_child(), NULL, &attr, args, environ), EINVAL);
    /* glibc: setsid(), then setpgid(), which a session leader may not */
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSID),
                     0);
    assert_int_equal(posix_spawnattr_setpgroup(&attr, 0), 0);
    assert_int_equal(posix_spawn(&pid, su_child(), NULL, &attr, args, environ), EPERM);
    posix_spawnattr_destroy(&attr);
    assert_ok(killpg(leader, SIGKILL));
    assert_signaled(su_reap(leader), SIGKILL);
    assert_signaled(su_reap(joiner), SIGKILL);
    assert_rc(waitpid(member, NULL, WNOHANG), 0);
    assert_ok(kill(member, SIGKILL));
    assert_ok(kill(own, SIGKILL));
    su_reap(member);
    su_reap(own);
}

static void setsid_starts_a_new_group(void **state)
{
    posix_spawnattr_t attr;
    char *args[] = { "sleep", "60000", NULL };
    (void)state;
    attr_group(&attr, POSIX_SPAWN_SETSID, 0);
    pid_t pid = su_spawn(NULL, &attr, args);
    posix_spawnattr_destroy(&attr);
    assert_rc(getpgid(pid), pid);
    assert_ok(kill(-pid, SIGTERM));
    assert_signaled(su_reap(pid), SIGTERM);
}

/* The child helper with args in a group of its own (POSIX_SPAWN_SETPGROUP), its stdout on a
 * pipe: its output, read to EOF; *pid its pid, *st its wait status. */
static char *run_in_new_group(char *const *args, pid_t *pid, int *st)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    int p[2];
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    attr_group(&attr, POSIX_SPAWN_SETPGROUP, 0);
    *pid = su_spawn(&fa, &attr, args);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    char *out = su_read_all(p[0], NULL);
    wp_close(p[0]);
    *st = su_reap(*pid);
    return out;
}

/* The child learns its group from its parent: getpgrp() in the child. */
static void a_child_knows_its_group(void **state)
{
    char *args[] = { "pgrp", NULL };
    long pid, pgrp;
    pid_t child;
    int st;
    (void)state;
    char *out = su_run(NULL, args, NULL, &st);
    assert_int_equal(sscanf(out, "%ld %ld", &pid, &pgrp), 2);
    assert_int_equal(pgrp, (long)getpgrp());
    free(out);
    /* in a group of its own: its pid */
    out = run_in_new_group(args, &child, &st);
    assert_int_equal(sscanf(out, "%ld %ld", &pid, &pgrp), 2);
    assert_int_equal(pid, (long)child);
    assert_int_equal(pgrp, (long)child);
    free(out);
}

/* setpgid(0, 0) in a child started in its parent's group: it leads a group of its own. */
static void setpgid_0_0_makes_a_child_lead_its_own_group(void **state)
{
    char *args[] = { "pgrp", "setpgid", NULL };
    long pid, before, after;
    int st, r;
    (void)state;
    char *out = su_run(NULL, args, NULL, &st);
    assert_int_equal(sscanf(out, "%ld %ld %d %ld", &pid, &before, &r, &after), 4);
    assert_int_equal(before, (long)getpgrp());
    assert_int_equal(r, 0);
    assert_int_equal(after, pid);
    free(out);
}

/* Linux: EACCES for a child that has called exec (every spawned child has), ESRCH for a
 * process that is no child, EINVAL for a negative argument. */
static void setpgid_errors_are_linuxs(void **state)
{
    (void)state;
    pid_t child = start_sleeper(-1);
    assert_errno(setpgid(child, child), EACCES);
    assert_errno(setpgid(child, 0), EACCES);
    assert_errno(setpgid(child, getpgrp()), EACCES);
    assert_errno(setpgid(-1, 0), EINVAL);
    assert_errno(setpgid(0, -1), EINVAL);
    assert_ok(kill(child, SIGKILL));
    su_reap(child);
    assert_errno(setpgid(child, 0), ESRCH);
    assert_errno(killpg(-1, 0), EINVAL);
}

/* The case: a job's program (knowing nothing of winpipe) started a grandchild that
 * holds the output pipe. kill(-pgid, SIGTERM) ends both, so the parent reads EOF. */
static void kill_of_a_group_ends_a_grandchild_that_holds_the_pipe(void **state)
{
    int out;
    long g;
    (void)state;
    pid_t pid = start_plain("tree", &out, &g);
    assert_ok(kill(-pid, 0));
    assert_ok(kill(-pid, SIGTERM));
    assert_eof_then_close(out);
    assert_signaled(su_reap(pid), SIGTERM);
}

/* A group outlives its leader: the leader exited and was reaped, its grandchild still holds the
 * pipe, and the group's id still reaches it. */
static void a_group_outlives_its_leader(void **state)
{
    int out, st;
    long g;
    (void)state;
    pid_t pid = start_plain("orphan", &out, &g);
    st = su_reap(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_ok(kill(-pid, 0));
    assert_rc(getpgid((pid_t)g), pid);
    assert_ok(killpg(pid, SIGKILL));
    assert_eof_then_close(out);
}

/* waitpid(-pgid) reaps the children in group pgid, and only them; waitpid(0) those in the
 * caller's group. */
static void waitpid_of_a_group_reaps_its_children_only(void **state)
{
    int st;
    (void)state;
    pid_t leader = start_sleeper(0), joiner = start_sleeper(leader), mine = start_sleeper(-1);
    assert_rc(waitpid(-leader, &st, WNOHANG), 0);
    assert_ok(kill(-leader, SIGKILL));
    pid_t a = waitpid(-leader, &st, 0);
    assert_signaled(st, SIGKILL);
    pid_t b = waitpid(-leader, &st, 0);
    assert_signaled(st, SIGKILL);
    assert_true((a == leader && b == joiner) || (a == joiner && b == leader));
    assert_errno(waitpid(-leader, &st, WNOHANG), ECHILD);
    assert_errno(waitpid(-leader, &st, 0), ECHILD);
    assert_rc(waitpid(0, &st, WNOHANG), 0);
    assert_ok(kill(mine, SIGTERM));
    assert_rc(waitpid(0, &st, 0), mine);
    assert_signaled(st, SIGTERM);
    assert_errno(waitpid(0, &st, WNOHANG), ECHILD);
}

/* The child helper's "tree PLAIN how", started in a group of its own (so that its kill(0)
 * stays in it): it runs a program without winpipe whose grandchild holds the output pipe, ends
 * their group with SIGTERM, and says how its child ended and whether its own SIGTERM handler
 * ran. */
static void check_child_tree(const char *how, int handled_wanted)
{
    char *args[] = { "tree", (char *)su_plain(), (char *)how, NULL };
    int st, sig, handled;
    pid_t pid;
    char *out = run_in_new_group(args, &pid, &st);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(sscanf(out, "%d %d", &sig, &handled), 2);
    assert_int_equal(sig, SIGTERM);
    assert_int_equal(handled, handled_wanted);
    free(out);
}

/* kill(0, sig) in a process reaches the program it started in its group and that program's
 * grandchild, and its own handler runs. */
static void kill_0_reaches_the_callers_whole_group(void **state)
{
    (void)state;
    check_child_tree("0", 1);
}

/* The same from the child helper with kill(-pgid) of a group it started. */
static void a_child_kills_the_group_it_started(void **state)
{
    (void)state;
    check_child_tree("N", 0);
}

/* Windows: with no job for a group (WINPIPE_FORCE_NO_JOB=1: as on Windows 7 for a caller
 * already in a job), a group holds the children winpipe started in it, not what they start:
 * kill(-pgid) ends the leader, and the grandchild lives on. */
static void without_jobs_a_group_holds_only_its_leader(void **state)
{
#ifdef _WIN32
    int out;
    long g;
    (void)state;
    SetEnvironmentVariableA("WINPIPE_FORCE_NO_JOB", "1");
    pid_t pid = start_plain("tree", &out, &g);
    SetEnvironmentVariableA("WINPIPE_FORCE_NO_JOB", NULL);
    assert_ok(kill(-pid, SIGTERM));
    assert_signaled(su_reap(pid), SIGTERM);
    assert_ok(kill((pid_t)g, 0));
    assert_errno(getpgid((pid_t)g), EPERM);
    assert_ok(kill((pid_t)g, SIGKILL));
    assert_eof_then_close(out);
#else
    (void)state;
    skip(); /* Windows: what winpipe does where the system gives no job */
#endif
}

/* Windows: a process in a job that forbids breaking away (as a CI system may make) still
 * starts a group that holds its whole tree: the child cannot leave the caller's job, and the
 * group's job nests inside it. */
static void a_caller_in_a_strict_job_still_makes_whole_groups(void **state)
{
    (void)state;
#ifdef _WIN32
    check_child_tree("J", 0);
#else
    skip(); /* Windows job objects */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(getpgid_of_self_and_children),
        WP_TEST(setpgroup_joins_an_existing_group),
        WP_TEST(setsid_starts_a_new_group),
        WP_TEST(a_child_knows_its_group),
        WP_TEST(setpgid_0_0_makes_a_child_lead_its_own_group),
        WP_TEST(setpgid_errors_are_linuxs),
        WP_TEST(kill_of_a_group_ends_a_grandchild_that_holds_the_pipe),
        WP_TEST(a_group_outlives_its_leader),
        WP_TEST(waitpid_of_a_group_reaps_its_children_only),
        WP_TEST(kill_0_reaches_the_callers_whole_group),
        WP_TEST(a_child_kills_the_group_it_started),
        WP_TEST(without_jobs_a_group_holds_only_its_leader),
        WP_TEST(a_caller_in_a_strict_job_still_makes_whole_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
