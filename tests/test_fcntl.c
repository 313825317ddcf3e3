/* test_fcntl: dup, dup2, dup3 and fcntl (F_GETFL/F_SETFL/F_GETFD/F_SETFD/F_DUPFD/
 * F_DUPFD_CLOEXEC) on pipe fds and on a regular file fd. */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

#include "helper.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <sys/resource.h>
#endif

/* ---- dup ------------------------------------------------------------------------------------- */

static void dup_returns_lowest_free_fd(void **state)
{
    int p[2], hole[2], expect, d;
    (void)state;
    wp_pipe(p, 0);
    wp_pipe(hole, 0);
    wp_close(hole[0]); /* a hole below hole[1] */
    expect = wp_lowest_free_fd(0);
    assert_int_equal(expect, hole[0]);
    d = dup(p[1]);
    assert_int_equal(d, expect);
    expect = wp_lowest_free_fd(0);
    assert_rc(dup(p[1]), expect); /* next one goes above hole[1] */
    assert_true(expect > hole[1]);
    wp_close(expect);
    wp_close(d);
    wp_close(hole[1]);
    wp_close_pipe(p);
}

static void dup_on_bad_fd_fails_with_ebadf(void **state)
{
    int p[2];
    (void)state;
    assert_errno(dup(-1), EBADF);
    assert_errno(dup(100000), EBADF);
    wp_pipe(p, 0);
    wp_close_pipe(p);
    assert_errno(dup(p[0]), EBADF);
    assert_errno(dup(p[1]), EBADF);
}

static void dup_keeps_access_mode_of_each_end(void **state)
{
    int p[2], r, w;
    (void)state;
    wp_pipe(p, 0);
    r = dup(p[0]);
    w = dup(p[1]);
    assert_true(r >= 0);
    assert_true(w >= 0);
    assert_rc(fcntl(r, F_GETFL), O_RDONLY);
    assert_rc(fcntl(w, F_GETFL), O_WRONLY);
    wp_close(r);
    wp_close(w);
    wp_close_pipe(p);
}

static void dup_shares_o_nonblock_with_original_both_ways(void **state)
{
    char buf[4];
    int p[2], d;
    (void)state;
    wp_pipe(p, 0);
    d = dup(p[0]);
    assert_true(d >= 0);
    /* set via the dup, seen via the original: one open file description */
    assert_ok(fcntl(d, F_SETFL, O_NONBLOCK));
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    /* cleared via the original, seen via the dup */
    assert_ok(fcntl(p[0], F_SETFL, 0));
    assert_rc(fcntl(d, F_GETFL), O_RDONLY);
    wp_close(d);
    wp_close_pipe(p);
}

static void dup_new_fd_has_fd_cloexec_clear_and_cloexec_stays_per_fd(void **state)
{
    int p[2], d;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    d = dup(p[1]);
    assert_true(d >= 0);
    assert_rc(fcntl(d, F_GETFD), 0);
    assert_rc(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    /* clearing on the original does not touch the dup, and setting on the dup not the original */
    assert_ok(fcntl(p[1], F_SETFD, 0));
    assert_ok(fcntl(d, F_SETFD, FD_CLOEXEC));
    assert_rc(fcntl(p[1], F_GETFD), 0);
    assert_rc(fcntl(d, F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    wp_close(d);
    wp_close_pipe(p);
}

static void data_written_via_dup_of_write_end_is_read_via_read_end(void **state)
{
    char buf[16];
    int p[2], d;
    (void)state;
    wp_pipe(p, 0);
    d = dup(p[1]);
    assert_true(d >= 0);
    assert_rc(write(d, "via dup", 7), 7);
    assert_rc(write(p[1], "+orig", 5), 5);
    assert_rc(read(p[0], buf, sizeof buf), 12);
    assert_memory_equal(buf, "via dup+orig", 12);
    wp_close(d);
    wp_close_pipe(p);
}

static void dup_of_read_end_consumes_from_the_same_pipe(void **state)
{
    char buf[16];
    int p[2], d;
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    d = dup(p[0]);
    assert_true(d >= 0);
    assert_rc(write(p[1], "abcdef", 6), 6);
    assert_rc(read(d, buf, 4), 4);
    assert_memory_equal(buf, "abcd", 4);
    assert_rc(read(p[0], buf, sizeof buf), 2);
    assert_memory_equal(buf, "ef", 2);
    assert_errno(read(d, buf, sizeof buf), EAGAIN);
    wp_close(d);
    wp_close_pipe(p);
}

static void closing_original_keeps_dup_working(void **state)
{
    char buf[16];
    int p[2], dr, dw;
    (void)state;
    wp_pipe(p, 0);
    dr = dup(p[0]);
    dw = dup(p[1]);
    assert_true(dr >= 0);
    assert_true(dw >= 0);
    wp_close(p[0]);
    wp_close(p[1]);
    assert_rc(write(dw, "still", 5), 5);
    assert_rc(read(dr, buf, sizeof buf), 5);
    assert_memory_equal(buf, "still", 5);
    wp_close(dw);
    assert_rc(read(dr, buf, sizeof buf), 0);
    wp_close(dr);
}

static void pipe_reaches_eof_only_after_all_write_fds_are_closed(void **state)
{
    char buf[4];
    int p[2], d1, d2, d3;
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    d1 = dup(p[1]);
    d2 = fcntl(p[1], F_DUPFD, 0);
    d3 = dup2(p[1], wp_lowest_free_fd(60));
    assert_true(d1 >= 0);
    assert_true(d2 >= 0);
    assert_true(d3 >= 60);
    wp_close(p[1]);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close(d2);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close(d1);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close(d3);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    wp_close(p[0]);
}

static void write_fails_with_epipe_only_after_all_read_fds_are_closed(void **state)
{
    int p[2], d;
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    d = dup(p[0]);
    assert_true(d >= 0);
    wp_close(p[0]);
    assert_rc(write(p[1], "x", 1), 1);
    wp_close(d);
    assert_errno(write(p[1], "x", 1), EPIPE);
    wp_close(p[1]);
}

/* ---- dup2 ------------------------------------------------------------------------------------ */

static void dup2_onto_open_fd_closes_it_first(void **state)
{
    char buf[8];
    int a[2], b[2];
    (void)state;
    wp_pipe(a, 0);
    wp_pipe(b, 0);
    /* a[1] (the only writer of pipe a) is replaced by a copy of b's write end */
    assert_rc(dup2(b[1], a[1]), a[1]);
    assert_rc(read(a[0], buf, sizeof buf), 0); /* pipe a lost its only writer: EOF */
    assert_rc(write(a[1], "to b", 4), 4);
    assert_rc(read(b[0], buf, sizeof buf), 4);
    assert_memory_equal(buf, "to b", 4);
    wp_close(a[0]);
    wp_close(a[1]);
    wp_close_pipe(b);
}

static void dup2_onto_same_fd_returns_it_and_changes_nothing(void **state)
{
    char c = 0;
    int p[2];
    (void)state;
    wp_pipe(p, O_CLOEXEC | O_NONBLOCK);
    assert_rc(dup2(p[0], p[0]), p[0]);
    assert_rc(dup2(p[1], p[1]), p[1]);
    assert_rc(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    assert_rc(write(p[1], "k", 1), 1);
    assert_rc(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'k');
    wp_close_pipe(p);
}

static void dup2_new_fd_has_fd_cloexec_clear(void **state)
{
    int p[2], target;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    target = wp_lowest_free_fd(70);
    assert_rc(dup2(p[1], target), target);
    assert_rc(fcntl(target, F_GETFD), 0);
    assert_rc(fcntl(target, F_GETFL), O_WRONLY);
    assert_rc(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    wp_close(target);
    wp_close_pipe(p);
}

static void dup2_with_bad_oldfd_fails_with_ebadf_and_leaves_newfd_open(void **state)
{
    char c = 0;
    int p[2], closed[2];
    (void)state;
    wp_pipe(p, 0);
    wp_pipe(closed, 0);
    wp_close_pipe(closed); /* closed[0] is now a closed fd no one reuses here */
    assert_errno(dup2(-1, p[1]), EBADF);
    assert_errno(dup2(100000, p[1]), EBADF);
    assert_errno(dup2(closed[0], p[1]), EBADF);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY);
    assert_rc(write(p[1], "o", 1), 1);
    assert_rc(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'o');
    wp_close_pipe(p);
}

static void dup2_of_closed_fd_onto_itself_fails_with_ebadf(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_close_pipe(p);
    assert_errno(dup2(p[0], p[0]), EBADF);
    assert_errno(dup2(-1, -1), EBADF);
}

static void dup2_onto_negative_or_huge_fd_fails_with_ebadf(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_errno(dup2(p[0], -1), EBADF);
    assert_errno(dup2(p[0], -100), EBADF);
    assert_errno(dup2(p[0], INT_MAX), EBADF); /* >= OPEN_MAX */
    wp_close_pipe(p);
}

/* ---- dup3 ------------------------------------------------------------------------------------ */

static void dup3_onto_same_fd_fails_with_einval(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_errno(dup3(p[0], p[0], 0), EINVAL);
    assert_errno(dup3(p[1], p[1], O_CLOEXEC), EINVAL);
    assert_rc(fcntl(p[0], F_GETFD), 0); /* untouched */
    wp_close_pipe(p);
}

static void dup3_o_cloexec_sets_fd_cloexec_on_new_fd_only(void **state)
{
    int p[2], target;
    (void)state;
    wp_pipe(p, 0);
    target = wp_lowest_free_fd(80);
    assert_rc(dup3(p[1], target, O_CLOEXEC), target);
    assert_rc(fcntl(target, F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(target, F_GETFL), O_WRONLY);
    assert_rc(fcntl(p[1], F_GETFD), 0);
    wp_close(target);
    wp_close_pipe(p);
}

static void dup3_without_flags_gives_fd_cloexec_clear(void **state)
{
    int p[2], target;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    target = wp_lowest_free_fd(80);
    assert_rc(dup3(p[0], target, 0), target);
    assert_rc(fcntl(target, F_GETFD), 0);
    assert_rc(fcntl(target, F_GETFL), O_RDONLY);
    /* dup3 onto an open fd replaces it, and can set the flag there */
    assert_rc(dup3(p[1], target, O_CLOEXEC), target);
    assert_rc(fcntl(target, F_GETFL), O_WRONLY);
    assert_rc(fcntl(target, F_GETFD), FD_CLOEXEC);
    wp_close(target);
    wp_close_pipe(p);
}

static void dup3_with_other_flag_fails_with_einval_and_leaves_target_alone(void **state)
{
    const int bad[] = { O_NONBLOCK, O_APPEND, O_NONBLOCK | O_CLOEXEC, O_RDWR };
    int p[2], q[2];
    size_t i;
    (void)state;
    wp_pipe(p, 0);
    wp_pipe(q, 0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        if (dup3(p[1], q[1], bad[i]) != -1 || errno != EINVAL)
            fail_msg("dup3(.., .., 0x%x): expected -1/EINVAL, got errno %d (%s)",
                     (unsigned)bad[i], errno, strerror(errno));
    }
    /* q[1] is still q's write end */
    assert_rc(write(q[1], "q", 1), 1);
    wp_set_nonblock(p[0], 1);
    {
        char c = 0;
        assert_errno(read(p[0], &c, 1), EAGAIN);
        assert_rc(read(q[0], &c, 1), 1);
        assert_int_equal(c, 'q');
    }
    wp_close_pipe(p);
    wp_close_pipe(q);
}

static void dup3_with_bad_fds_fails_with_ebadf(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_errno(dup3(-1, p[0], 0), EBADF);
    assert_errno(dup3(100000, p[0], O_CLOEXEC), EBADF);
    assert_errno(dup3(p[0], -1, 0), EBADF);
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY);
    wp_close_pipe(p);
}

/* ---- F_DUPFD / F_DUPFD_CLOEXEC ---------------------------------------------------------------- */

static void f_dupfd_returns_lowest_free_fd_at_or_above_min(void **state)
{
    int p[2], base, expect;
    (void)state;
    wp_pipe(p, 0);
    base = wp_lowest_free_fd(50);
    /* occupy base and base + 2; base + 1 is the answer */
    assert_rc(dup2(p[0], base), base);
    assert_rc(dup2(p[0], base + 2), base + 2);
    expect = wp_lowest_free_fd(base);
    assert_int_equal(expect, base + 1); /* unless something else owns base + 1 */
    assert_rc(fcntl(p[1], F_DUPFD, base), expect);
    assert_rc(fcntl(expect, F_GETFL), O_WRONLY);
    /* min below every free fd: plain lowest free */
    {
        int low = wp_lowest_free_fd(0);
        assert_rc(fcntl(p[1], F_DUPFD, 0), low);
        wp_close(low);
    }
    wp_close(expect);
    wp_close(base);
    wp_close(base + 2);
    wp_close_pipe(p);
}

static void f_dupfd_new_fd_has_fd_cloexec_clear(void **state)
{
    int p[2], d;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    d = fcntl(p[0], F_DUPFD, 0);
    assert_true(d >= 0);
    assert_rc(fcntl(d, F_GETFD), 0);
    assert_rc(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    wp_close(d);
    wp_close_pipe(p);
}

static void f_dupfd_cloexec_sets_fd_cloexec_at_lowest_free_at_or_above_min(void **state)
{
    int p[2], expect;
    (void)state;
    wp_pipe(p, 0);
    expect = wp_lowest_free_fd(90);
    assert_rc(fcntl(p[1], F_DUPFD_CLOEXEC, 90), expect);
    assert_rc(fcntl(expect, F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(expect, F_GETFL), O_WRONLY);
    assert_rc(fcntl(p[1], F_GETFD), 0);
    wp_close(expect);
    wp_close_pipe(p);
}

static void f_dupfd_with_negative_or_huge_min_fails_with_einval(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_errno(fcntl(p[0], F_DUPFD, -1), EINVAL);
    assert_errno(fcntl(p[0], F_DUPFD_CLOEXEC, -5), EINVAL);
    assert_errno(fcntl(p[0], F_DUPFD, INT_MAX), EINVAL); /* >= OPEN_MAX */
    wp_close_pipe(p);
}

/* ---- the fd limit ----------------------------------------------------------------------------- */

/* POSIX: sysconf(_SC_OPEN_MAX) is how many fds a process may have, and getdtablesize() says the
 * same (Linux: RLIMIT_NOFILE). Windows: the C runtime's fd table ends at 2048 (msvcrt) or 8192
 * (UCRT). The fd below the limit can be had; the limit itself is EBADF to dup2 and dup3. */
static void the_fd_limit_is_sysconf_open_max_and_getdtablesize(void **state)
{
    int p[2], limit = (int)wp_fd_limit();
    (void)state;
#if !defined(_WIN32) || defined(_SC_OPEN_MAX)
    assert_int_equal(getdtablesize(), limit);
#endif
#if defined(_WIN32) && defined(_UCRT)
    assert_int_equal(limit, 8192);
#elif defined(_WIN32)
    assert_int_equal(limit, 2048);
#else
    struct rlimit rl;
    assert_ok(getrlimit(RLIMIT_NOFILE, &rl));
    assert_int_equal(limit, rl.rlim_cur);
#endif
    wp_pipe(p, 0);
    assert_rc(dup2(p[0], limit - 1), limit - 1);
    assert_rc(fcntl(limit - 1, F_GETFL), O_RDONLY);
    wp_close(limit - 1);
    assert_errno(dup2(p[0], limit), EBADF);
    assert_errno(dup3(p[0], limit, O_CLOEXEC), EBADF);
    wp_close_pipe(p);
}

/* POSIX: with every fd up to the limit open, dup and F_DUPFD fail with EMFILE (msvcrt's _dup
 * says EBADF); the number freed next is the one they give. */
static void dup_and_f_dupfd_with_the_table_full_are_emfile(void **state)
{
    int p[2], limit, freed;
    (void)state;
    wp_pipe(p, 0);
    limit = (int)wp_fd_limit();
    assert_true(wp_fd_fill(p[0]) > 0);
    assert_errno(dup(p[0]), EMFILE);
    assert_errno(fcntl(p[0], F_DUPFD, 0), EMFILE);
    assert_errno(fcntl(p[0], F_DUPFD_CLOEXEC, 0), EMFILE);
    assert_errno(fcntl(p[0], F_DUPFD, limit - 1), EMFILE);
    freed = wp_fd_unfill(1);
    assert_rc(fcntl(p[0], F_DUPFD_CLOEXEC, 0), freed);
    wp_close(freed);
    assert_rc(dup(p[0]), freed);
    wp_close(freed);
    wp_close_pipe(p);
}

/* POSIX: F_DUPFD's lowest number must be below the limit: EINVAL otherwise. */
static void f_dupfd_from_the_fd_limit_up_is_einval(void **state)
{
    int p[2], limit = (int)wp_fd_limit();
    (void)state;
    wp_pipe(p, 0);
    assert_errno(fcntl(p[0], F_DUPFD, limit), EINVAL);
    assert_errno(fcntl(p[0], F_DUPFD_CLOEXEC, limit), EINVAL);
    assert_errno(fcntl(p[0], F_DUPFD, limit + 1), EINVAL);
    assert_rc(fcntl(p[0], F_DUPFD, limit - 1), limit - 1);
    wp_close(limit - 1);
    wp_close_pipe(p);
}

/* ---- fcntl errors and flags ---------------------------------------------------------------------- */

static void fcntl_with_unknown_cmd_fails_with_einval(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_errno(fcntl(p[0], 99999), EINVAL);
    assert_errno(fcntl(p[1], 99999, 0), EINVAL);
    wp_close_pipe(p);
}

static void fcntl_on_bad_fd_fails_with_ebadf(void **state)
{
    int p[2], fds[3] = { -1, 100000, -1 };
    size_t i;
    (void)state;
    wp_pipe(p, 0);
    wp_close_pipe(p);
    fds[2] = p[0]; /* a closed fd */
    for (i = 0; i < 3; i++) {
        int fd = fds[i];
        assert_errno(fcntl(fd, F_GETFL), EBADF);
        assert_errno(fcntl(fd, F_SETFL, O_NONBLOCK), EBADF);
        assert_errno(fcntl(fd, F_GETFD), EBADF);
        assert_errno(fcntl(fd, F_SETFD, FD_CLOEXEC), EBADF);
        assert_errno(fcntl(fd, F_DUPFD, 0), EBADF);
        assert_errno(fcntl(fd, F_DUPFD_CLOEXEC, 0), EBADF);
    }
}

static void f_setfl_ignores_access_mode_bits(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_ok(fcntl(p[0], F_SETFL, O_WRONLY | O_NONBLOCK));
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    assert_ok(fcntl(p[0], F_SETFL, O_RDWR));
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY);
    assert_ok(fcntl(p[1], F_SETFL, O_RDONLY | O_NONBLOCK));
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    assert_ok(fcntl(p[1], F_SETFL, O_RDWR));
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY);
    {
        char c = 0; /* the read end still cannot be written, the write end still works */
        assert_errno(write(p[0], "x", 1), EBADF);
        assert_rc(write(p[1], "y", 1), 1);
        assert_rc(read(p[0], &c, 1), 1);
        assert_int_equal(c, 'y');
    }
    wp_close_pipe(p);
}

static void f_setfd_keeps_only_the_fd_cloexec_bit(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_ok(fcntl(p[0], F_SETFD, FD_CLOEXEC | 0x100));
    assert_rc(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    assert_ok(fcntl(p[0], F_SETFD, 0x100 & ~FD_CLOEXEC));
    assert_rc(fcntl(p[0], F_GETFD), 0);
    wp_close_pipe(p);
}

/* ---- concurrency ------------------------------------------------------------------------------- */

#define CONC_THREADS 4
#define CONC_ITERATIONS 2000

struct conc_arg {
    unsigned char tag;
    int iterations;
    int failed_step;
    int failed_iter;
    int err;
    long long ret;
};

#define CONC_CHECK(step, expr, expect)                                                        \
    do {                                                                                      \
        long long r_;                                                                         \
        errno = 0;                                                                            \
        r_ = (long long)(expr);                                                               \
        if (r_ != (long long)(expect)) {                                                      \
            a->failed_step = (step);                                                          \
            a->failed_iter = i;                                                               \
            a->err = errno;                                                                   \
            a->ret = r_;                                                                      \
            return NULL;                                                                      \
        }                                                                                     \
    } while (0)

static void *conc_worker(void *arg)
{
    struct conc_arg *a = arg;
    int i;
    for (i = 0; i < a->iterations; i++) {
        int x[2], y[2], d;
        unsigned char c = 0;
        CONC_CHECK(1, pipe(x), 0);
        CONC_CHECK(2, pipe2(y, i % 2 ? O_CLOEXEC : 0), 0);
        d = dup(x[0]);
        CONC_CHECK(3, d >= 0, 1);
        /* y[1] becomes a second writer of pipe x; y loses its only writer */
        CONC_CHECK(4, dup2(x[1], y[1]), y[1]);
        CONC_CHECK(5, fcntl(y[1], F_GETFD), 0);
        CONC_CHECK(6, write(y[1], &a->tag, 1), 1);
        CONC_CHECK(7, read(d, &c, 1), 1);
        CONC_CHECK(8, c, a->tag);
        CONC_CHECK(9, read(y[0], &c, 1), 0);
        CONC_CHECK(10, close(x[1]), 0);
        CONC_CHECK(11, write(y[1], &a->tag, 1), 1);
        CONC_CHECK(12, close(y[1]), 0);
        CONC_CHECK(13, read(x[0], &c, 1), 1);
        CONC_CHECK(14, c, a->tag);
        CONC_CHECK(15, read(d, &c, 1), 0); /* all writers of x gone */
        CONC_CHECK(16, close(x[0]), 0);
        CONC_CHECK(17, close(d), 0);
        CONC_CHECK(18, close(y[0]), 0);
    }
    return NULL;
}

static void concurrent_pipe_dup2_close_in_4_threads_is_correct_and_leak_free(void **state)
{
    pthread_t t[CONC_THREADS];
    struct conc_arg a[CONC_THREADS];
    struct wp_handles *before;
    int before_free, i;
    (void)state;
    /* Warm-up so lazily created state is not counted as a leak. */
    memset(a, 0, sizeof a);
    a[0].tag = 0xA0;
    a[0].iterations = 50;
    assert_int_equal(pthread_create(&t[0], NULL, conc_worker, &a[0]), 0);
    assert_int_equal(pthread_join(t[0], NULL), 0);
    assert_int_equal(a[0].failed_step, 0);

    before = wp_handles_take();
    before_free = wp_lowest_free_fd(0);
    memset(a, 0, sizeof a);
    for (i = 0; i < CONC_THREADS; i++) {
        a[i].tag = (unsigned char)(0x41 + i);
        a[i].iterations = CONC_ITERATIONS;
        assert_int_equal(pthread_create(&t[i], NULL, conc_worker, &a[i]), 0);
    }
    for (i = 0; i < CONC_THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (i = 0; i < CONC_THREADS; i++)
        if (a[i].failed_step)
            fail_msg("thread %d failed at step %d of iteration %d: got %lld, errno %d (%s)", i,
                     a[i].failed_step, a[i].failed_iter, a[i].ret, a[i].err,
                     strerror(a[i].err));
    assert_int_equal(wp_lowest_free_fd(0), before_free);
    wp_assert_no_leak(before);
}

/* ---- regular file ------------------------------------------------------------------------------ */

static void fcntl_and_dup_work_on_a_regular_file_fd(void **state)
{
    char buf[16];
    FILE *f;
    int fd, d, e, target;
    (void)state;
    f = tmpfile();
    assert_non_null(f);
    fd = fileno(f);
    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
    assert_rc(fcntl(fd, F_GETFD), 0);

    d = dup(fd);
    assert_true(d >= 0);
    assert_int_not_equal(d, fd);
    assert_int_equal(fcntl(d, F_GETFL) & O_ACCMODE, O_RDWR);
    assert_rc(fcntl(d, F_GETFD), 0);
    assert_ok(fcntl(d, F_SETFD, FD_CLOEXEC));
    assert_rc(fcntl(d, F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(fd, F_GETFD), 0);

    e = fcntl(fd, F_DUPFD_CLOEXEC, 40);
    assert_true(e >= 40);
    assert_rc(fcntl(e, F_GETFD), FD_CLOEXEC);
    target = wp_lowest_free_fd(100);
    assert_rc(dup2(fd, target), target);
    assert_rc(fcntl(target, F_GETFD), 0);

    /* all four share one file offset */
    assert_rc(write(fd, "abc", 3), 3);
    assert_rc(write(d, "def", 3), 3);
    assert_rc(write(e, "g", 1), 1);
    assert_rc(write(target, "h", 1), 1);
    wp_close(d);
    wp_close(e);
    wp_close(target);

    rewind(f);
    memset(buf, 0, sizeof buf);
    assert_int_equal(fread(buf, 1, sizeof buf, f), 8);
    assert_memory_equal(buf, "abcdefgh", 8);
    assert_int_equal(fclose(f), 0);
}

/* ---- Windows specifics --------------------------------------------------------------------------- */

#ifdef _WIN32
static int inheritable(int fd)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    DWORD fl = 0;
    if (h == INVALID_HANDLE_VALUE || !GetHandleInformation(h, &fl))
        fail_msg("no valid handle behind fd %d", fd);
    return (fl & HANDLE_FLAG_INHERIT) != 0;
}
#endif

static void win_duplicated_handles_follow_fd_cloexec(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2], d, d2, d3, d4;
    wp_pipe(p, O_CLOEXEC);
    d = dup(p[1]);
    assert_true(d >= 0);
    assert_true(inheritable(d));
    assert_false(inheritable(p[1]));
    d2 = fcntl(p[1], F_DUPFD_CLOEXEC, 0);
    assert_true(d2 >= 0);
    assert_false(inheritable(d2));
    d3 = wp_lowest_free_fd(100);
    assert_rc(dup3(p[1], d3, O_CLOEXEC), d3);
    assert_false(inheritable(d3));
    d4 = wp_lowest_free_fd(110);
    assert_rc(dup2(p[1], d4), d4);
    assert_true(inheritable(d4));
    wp_close(d);
    wp_close(d2);
    wp_close(d3);
    wp_close(d4);
    wp_close_pipe(p);
#else
    skip(); /* HANDLE_FLAG_INHERIT via _get_osfhandle: Windows only */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(dup_returns_lowest_free_fd),
        WP_TEST(dup_on_bad_fd_fails_with_ebadf),
        WP_TEST(dup_keeps_access_mode_of_each_end),
        WP_TEST(dup_shares_o_nonblock_with_original_both_ways),
        WP_TEST(dup_new_fd_has_fd_cloexec_clear_and_cloexec_stays_per_fd),
        WP_TEST(data_written_via_dup_of_write_end_is_read_via_read_end),
        WP_TEST(dup_of_read_end_consumes_from_the_same_pipe),
        WP_TEST(closing_original_keeps_dup_working),
        WP_TEST(pipe_reaches_eof_only_after_all_write_fds_are_closed),
        WP_TEST(write_fails_with_epipe_only_after_all_read_fds_are_closed),
        WP_TEST(dup2_onto_open_fd_closes_it_first),
        WP_TEST(dup2_onto_same_fd_returns_it_and_changes_nothing),
        WP_TEST(dup2_new_fd_has_fd_cloexec_clear),
        WP_TEST(dup2_with_bad_oldfd_fails_with_ebadf_and_leaves_newfd_open),
        WP_TEST(dup2_of_closed_fd_onto_itself_fails_with_ebadf),
        WP_TEST(dup2_onto_negative_or_huge_fd_fails_with_ebadf),
        WP_TEST(dup3_onto_same_fd_fails_with_einval),
        WP_TEST(dup3_o_cloexec_sets_fd_cloexec_on_new_fd_only),
        WP_TEST(dup3_without_flags_gives_fd_cloexec_clear),
        WP_TEST(dup3_with_other_flag_fails_with_einval_and_leaves_target_alone),
        WP_TEST(dup3_with_bad_fds_fails_with_ebadf),
        WP_TEST(f_dupfd_returns_lowest_free_fd_at_or_above_min),
        WP_TEST(f_dupfd_new_fd_has_fd_cloexec_clear),
        WP_TEST(f_dupfd_cloexec_sets_fd_cloexec_at_lowest_free_at_or_above_min),
        WP_TEST(f_dupfd_with_negative_or_huge_min_fails_with_einval),
        WP_TEST_FD_LIMIT(the_fd_limit_is_sysconf_open_max_and_getdtablesize),
        WP_TEST_FD_LIMIT(dup_and_f_dupfd_with_the_table_full_are_emfile),
        WP_TEST_FD_LIMIT(f_dupfd_from_the_fd_limit_up_is_einval),
        WP_TEST(fcntl_with_unknown_cmd_fails_with_einval),
        WP_TEST(fcntl_on_bad_fd_fails_with_ebadf),
        WP_TEST(f_setfl_ignores_access_mode_bits),
        WP_TEST(f_setfd_keeps_only_the_fd_cloexec_bit),
        WP_TEST(concurrent_pipe_dup2_close_in_4_threads_is_correct_and_leak_free),
        WP_TEST(fcntl_and_dup_work_on_a_regular_file_fd),
        WP_TEST(win_duplicated_handles_follow_fd_cloexec),
    };
    return cmocka_run_group_tests(tests, wp_group_ignore_sigpipe, wp_group_restore_sigpipe);
}
