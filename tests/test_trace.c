/* test_trace: WINPIPE_TRACE logs each call of a public function, its result and errno, and
 * changes nothing the program sees.
 *
 * Windows-only: the variable is winpipe's; natively every case is skipped. This process traces
 * into a file named in main(), before its first winpipe call (the variable is read once per
 * process); children are started with WINPIPE_TRACE=1 and 0 to see standard error used, and
 * nothing written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "spawn_util.h"

#ifdef _WIN32
static char trace_path[MAX_PATH];

/* The trace file's lines after this process's prefix "winpipe[PID.TID] ", one string. */
static char *read_trace(void)
{
    FILE *f = fopen(trace_path, "rb");
    char prefix[64], line[2048];
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(f);
    snprintf(prefix, sizeof prefix, "winpipe[%lu.%lu] ", GetCurrentProcessId(),
             GetCurrentThreadId());
    out[0] = 0;
    while (fgets(line, sizeof line, f)) {
        size_t plen = strlen(prefix), len;
        if (strncmp(line, prefix, plen) != 0)
            continue;
        len = strlen(line + plen);
        if (n + len + 1 > cap)
            break;
        memcpy(out + n, line + plen, len + 1);
        n += len;
    }
    fclose(f);
    return out;
}

static void assert_traced(const char *trace, const char *line)
{
    if (!strstr(trace, line))
        fail_msg("not in the trace: \"%s\"\ntrace:\n%s", line, trace);
}

/* The child's standard error with WINPIPE_TRACE=value: `child nbwrite 5`. With overlapped, the
 * stderr pipe carries a byte first: a pipe already used reaches the child as the overlapped end
 * it is (compat-docs/spawn.md), so the trace writes through its OVERLAPPED path. */
static char *child_stderr(const char *value, int overlapped)
{
    char env[64], *args[] = { "nbwrite", "5", NULL }, *err, c;
    posix_spawn_file_actions_t fa;
    int out[2], errp[2], status;
    pid_t pid;

    wp_pipe(out, O_CLOEXEC);
    wp_pipe(errp, O_CLOEXEC);
    if (overlapped) {
        assert_int_equal(write(errp[1], "x", 1), 1);
        assert_int_equal(read(errp[0], &c, 1), 1);
    }
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out[1], 1), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, errp[1], 2), 0);
    snprintf(env, sizeof env, "WINPIPE_TRACE=%s", value);
    assert_int_equal(_putenv(env), 0);
    pid = su_spawn(&fa, NULL, args);
    snprintf(env, sizeof env, "WINPIPE_TRACE=%s", trace_path);
    assert_int_equal(_putenv(env), 0);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(out[1]);
    wp_close(errp[1]);
    free(su_read_all(out[0], NULL));
    err = su_read_all(errp[0], NULL);
    wp_close(out[0]);
    wp_close(errp[0]);
    status = su_reap(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return err;
}
#endif

static void calls_are_traced_with_result_and_errno_kept(void **state)
{
    (void)state;
#ifdef _WIN32
    char line[256], buf[16], *trace;
    int p[2], q[2];
    struct pollfd pfd;

    assert_int_equal(pipe(p), 0);
    assert_int_equal(pipe2(q, O_NONBLOCK), 0);
    assert_int_equal(fcntl(q[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    assert_int_equal(fcntl(q[1], F_SETFD, FD_CLOEXEC), 0);
    errno = 0;
    assert_int_equal(read(q[0], buf, sizeof buf), -1);
    assert_int_equal(errno, EAGAIN);
    pfd = (struct pollfd){ q[0], POLLIN, 0 };
    assert_int_equal(poll(&pfd, 1, 0), 0);
    assert_int_equal(write(p[1], "abc", 3), 3);
    pfd = (struct pollfd){ p[0], POLLIN, 0 };
    assert_int_equal(poll(&pfd, 1, 0), 1);
    errno = 0;
    assert_int_equal(close(-1), -1);
    assert_int_equal(errno, EBADF); /* tracing the call left errno as the call set it */
    assert_int_equal(dup2(p[0], -2), -1);
    assert_int_equal(errno, EBADF);

    trace = read_trace();
    snprintf(line, sizeof line, "pipe([%d, %d]) = 0\n", p[0], p[1]);
    assert_traced(trace, line);
    snprintf(line, sizeof line, "pipe2([%d, %d], 0x%x) = 0\n", q[0], q[1], O_NONBLOCK);
    assert_traced(trace, line);
    snprintf(line, sizeof line, "fcntl(%d, F_GETFL) = %d\n", q[0], O_RDONLY | O_NONBLOCK);
    assert_traced(trace, line);
    snprintf(line, sizeof line, "fcntl(%d, F_SETFD, 1) = 0\n", q[1]);
    assert_traced(trace, line);
    snprintf(line, sizeof line, "read(%d, 0x%llx, %u) = -1 EAGAIN\n", q[0],
             (unsigned long long)(uintptr_t)buf, (unsigned)sizeof buf);
    assert_traced(trace, line);
    snprintf(line, sizeof line, "poll([%d:IN], 1, 0) -> [] = 0\n", q[0]);
    assert_traced(trace, line);
    snprintf(line, sizeof line, "write(%d, ", p[1]);
    assert_traced(trace, line);
    assert_traced(trace, ", 3) = 3\n");
    snprintf(line, sizeof line, "poll([%d:IN], 1, 0) -> [%d:IN] = 1\n", p[0], p[0]);
    assert_traced(trace, line);
    assert_traced(trace, "close(-1) = -1 EBADF\n");
    snprintf(line, sizeof line, "dup2(%d, -2) = -1 EBADF\n", p[0]);
    assert_traced(trace, line);
    free(trace);
    wp_close_pipe(p);
    wp_close_pipe(q);
#else
    skip(); /* Windows-only: WINPIPE_TRACE is winpipe's */
#endif
}

static void spawn_waitpid_and_kill_are_traced(void **state)
{
    (void)state;
#ifdef _WIN32
    char line[512], *trace, *args[] = { "exit", "3", NULL };
    pid_t pid = su_spawn(NULL, NULL, args);
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 3 << 8);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);

    trace = read_trace();
    /* The program in full; each argument up to 48 bytes. */
    snprintf(line, sizeof line, "posix_spawn(pid -> %d, \"%s\", fa 0x0, attr 0x0, [\"%.48s\", "
             "\"exit\", \"3\"]) = 0\n", (int)pid, su_child(), su_child());
    assert_traced(trace, line);
    snprintf(line, sizeof line, "waitpid(%d, 0x%llx, 0) -> status 0x300, exit code 0x3 = %d\n",
             (int)pid, (unsigned long long)(uintptr_t)&status, (int)pid);
    assert_traced(trace, line);
    snprintf(line, sizeof line, "kill(%d, 0) = -1 ESRCH\n", (int)pid);
    assert_traced(trace, line);
    free(trace);
#else
    skip(); /* Windows-only: WINPIPE_TRACE is winpipe's */
#endif
}

static void trace_1_writes_to_standard_error(void **state)
{
    (void)state;
#ifdef _WIN32
    for (int overlapped = 0; overlapped < 2; overlapped++) {
        char *err = child_stderr("1", overlapped);
        /* child nbwrite: O_NONBLOCK on fd 1, then its 5 bytes with winpipe's write. */
        if (!strstr(err, "] fcntl(1, F_SETFL, 0x40000000) = 0\n")
            || !strstr(err, "] write(1, ") || !strstr(err, ", 5) = 5\n")
            || strncmp(err, "winpipe[", 8))
            fail_msg("child's standard error (%s pipe):\n%s",
                     overlapped ? "overlapped" : "synchronous", err);
        free(err);
    }
#else
    skip(); /* Windows-only: WINPIPE_TRACE is winpipe's */
#endif
}

/* After close(2) the old standard error handle's value may name another object (here a file
 * the child creates next): the trace must not write into it. */
static void trace_1_after_close_of_fd_2_writes_into_no_reused_handle(void **state)
{
    (void)state;
#ifdef _WIN32
    char path[MAX_PATH], dir[MAX_PATH], buf[256], *args[] = { "closed-stderr", path, NULL };
    FILE *f;
    size_t n;
    int status = 6 << 8;
    GetTempPathA(sizeof dir, dir);
    snprintf(path, sizeof path, "%swinpipe-trace-reuse-%lu.bin", dir, GetCurrentProcessId());
    assert_int_equal(_putenv("WINPIPE_TRACE=1"), 0);
    /* 6 << 8: the old handle value never came back, so the child showed nothing. Another thread
     * of the child can take the freed value first and keep it (winpipe's signal thread makes its
     * event when it first runs, late on a busy machine): then the child is run again. */
    for (int tries = 0; tries < 8 && status == 6 << 8; tries++)
        status = su_reap(su_spawn(NULL, NULL, args));
    snprintf(buf, sizeof buf, "WINPIPE_TRACE=%s", trace_path);
    assert_int_equal(_putenv(buf), 0);
    assert_int_equal(status, 0);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    DeleteFileA(path);
    buf[n] = 0;
    assert_string_equal(buf, "data");
#else
    skip(); /* Windows-only: WINPIPE_TRACE is winpipe's */
#endif
}

static void trace_0_writes_nothing(void **state)
{
    (void)state;
#ifdef _WIN32
    char *err = child_stderr("0", 0);
    assert_string_equal(err, "");
    free(err);
#else
    skip(); /* Windows-only: WINPIPE_TRACE is winpipe's */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(calls_are_traced_with_result_and_errno_kept),
        WP_TEST(spawn_waitpid_and_kill_are_traced),
        WP_TEST(trace_1_writes_to_standard_error),
        WP_TEST(trace_1_after_close_of_fd_2_writes_into_no_reused_handle),
        WP_TEST(trace_0_writes_nothing),
    };
#ifdef _WIN32
    char env[MAX_PATH + 32], dir[MAX_PATH];
    int r;
    GetTempPathA(sizeof dir, dir);
    snprintf(trace_path, sizeof trace_path, "%swinpipe-trace-%lu.log", dir,
             GetCurrentProcessId());
    DeleteFileA(trace_path);
    snprintf(env, sizeof env, "WINPIPE_TRACE=%s", trace_path);
    _putenv(env);
    r = cmocka_run_group_tests(tests, NULL, NULL);
    DeleteFileA(trace_path);
    return r;
#else
    return cmocka_run_group_tests(tests, NULL, NULL);
#endif
}
