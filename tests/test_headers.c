/* test_headers: the POSIX names winpipe provides come from the POSIX headers alone.
 *
 * Only <unistd.h> <fcntl.h> <signal.h> <limits.h> <stdio.h> are included for the API (plus the
 * standard headers cmocka itself needs), and of the test helper only wp_test.h, which includes
 * nothing. Also built against the static library (WINPIPE_TEST_STATIC). */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>

/* cmocka's prerequisites */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "wp_test.h"

/* Compile-level: each function exists with its POSIX type. Taking the address also checks
 * that the name is a real function, not only a function-like macro. (Locals, not static
 * initialisers: the address of a DLL import need not be a constant expression.) */
static void pipe_family_functions_have_posix_types(void **state)
{
    int (*volatile f_pipe)(int[2]) = pipe;
    int (*volatile f_pipe2)(int[2], int) = pipe2;
    ssize_t (*volatile f_read)(int, void *, size_t) = read;
    ssize_t (*volatile f_write)(int, const void *, size_t) = write;
    int (*volatile f_close)(int) = close;
    int (*volatile f_dup)(int) = dup;
    int (*volatile f_dup2)(int, int) = dup2;
    int (*volatile f_dup3)(int, int, int) = dup3;
    int (*volatile f_fcntl)(int, int, ...) = fcntl;
    (void)state;
    assert_non_null(f_pipe);
    assert_non_null(f_pipe2);
    assert_non_null(f_read);
    assert_non_null(f_write);
    assert_non_null(f_close);
    assert_non_null(f_dup);
    assert_non_null(f_dup2);
    assert_non_null(f_dup3);
    assert_non_null(f_fcntl);
}

static void ssize_t_is_signed_and_as_wide_as_size_t(void **state)
{
    ssize_t minus_one = -1;
    (void)state;
    assert_true(minus_one < 0);
    assert_int_equal(sizeof(ssize_t), sizeof(size_t));
}

static void o_nonblock_and_o_cloexec_are_nonzero_distinct_bits_outside_access_mode(void **s)
{
    (void)s;
    assert_int_not_equal(O_NONBLOCK, 0);
    assert_int_not_equal(O_CLOEXEC, 0);
    assert_int_not_equal(O_NONBLOCK, O_CLOEXEC);
    assert_int_equal(O_NONBLOCK & O_CLOEXEC, 0);
    assert_int_equal(O_NONBLOCK & (O_RDONLY | O_WRONLY | O_RDWR), 0);
    assert_int_equal(O_CLOEXEC & (O_RDONLY | O_WRONLY | O_RDWR), 0);
}

static void f_commands_are_pairwise_distinct(void **state)
{
    const int cmds[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD, F_DUPFD_CLOEXEC };
    size_t i, j, n = sizeof cmds / sizeof cmds[0];
    (void)state;
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (cmds[i] == cmds[j])
                fail_msg("F_ commands #%u and #%u are both %d", (unsigned)i, (unsigned)j,
                         cmds[i]);
}

static void fd_cloexec_sigpipe_and_sig_ign_are_defined(void **state)
{
    void (*ign)(int) = SIG_IGN;
    (void)state;
    assert_int_not_equal(FD_CLOEXEC, 0);
    assert_true(SIGPIPE > 0);
    assert_true(ign != SIG_DFL);
}

static void small_round_trip_through_pipe2_dup_and_fcntl(void **state)
{
    char buf[16];
    int p[2] = { -1, -1 };
    int d, d2, d3, i;
    ssize_t n;
    void (*old)(int);
    (void)state;

    old = signal(SIGPIPE, SIG_IGN);
    assert_true(old != SIG_ERR);

    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    assert_int_equal(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    assert_int_equal(fcntl(p[1], F_SETFD, 0), 0);
    assert_int_equal(fcntl(p[1], F_GETFD), 0);

    d = dup(p[1]);
    assert_true(d >= 0);
    d2 = fcntl(p[1], F_DUPFD_CLOEXEC, 20);
    assert_true(d2 >= 20);
    assert_int_equal(fcntl(d2, F_GETFD), FD_CLOEXEC);
    d3 = fcntl(p[1], F_DUPFD, 30);
    assert_true(d3 >= 30);
    assert_int_equal(dup2(d3, d3), d3);
    assert_int_equal(dup3(p[1], d3, O_CLOEXEC), d3);

    n = write(d, "headers", 7);
    assert_int_equal(n, 7);
    assert_int_equal(close(d), 0);
    assert_int_equal(close(d2), 0);
    assert_int_equal(close(d3), 0);
    assert_int_equal(close(p[1]), 0);
    n = read(p[0], buf, sizeof buf);
    assert_int_equal(n, 7);
    for (i = 0; i < 7; i++)
        assert_int_equal(buf[i], "headers"[i]);
    n = read(p[0], buf, sizeof buf);
    assert_int_equal(n, 0);
    assert_int_equal(close(p[0]), 0);

    assert_int_equal(pipe(p), 0);
    assert_int_equal(close(p[0]), 0);
    n = write(p[1], "x", 1);
    assert_int_equal(n, -1); /* EPIPE; errno is checked in test_signal */
    assert_int_equal(close(p[1]), 0);

    assert_true(signal(SIGPIPE, old) == SIG_IGN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(pipe_family_functions_have_posix_types),
        WP_TEST(ssize_t_is_signed_and_as_wide_as_size_t),
        WP_TEST(o_nonblock_and_o_cloexec_are_nonzero_distinct_bits_outside_access_mode),
        WP_TEST(f_commands_are_pairwise_distinct),
        WP_TEST(fd_cloexec_sigpipe_and_sig_ign_are_defined),
        WP_TEST(small_round_trip_through_pipe2_dup_and_fcntl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
