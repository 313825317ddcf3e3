/* test_select: select() with fd_set from <sys/select.h> on pipes and sockets: ready sets, time-outs,
 * nfds, EBADF/EINVAL. Every expectation is what Linux reports (the native run is the judge). */
#define _GNU_SOURCE 1
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <io.h>
#else
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#endif
#include <sys/select.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>

#include "helper.h"
#include "sock_util.h"

/* A select() that should return but does not is failed after this long (plus its time-out). */
#define HANG_MS 10000.0

/* ---- select() in a thread, with a deadline ---------------------------------------------- */

struct selector {
    int nfds;
    fd_set r, w, e;
    int has_r, has_w, has_e, has_tv;
    struct timeval tv;
    int rc, err, done;
    double elapsed_ms;
    pthread_mutex_t mu;
    pthread_t th;
};

static void *selector_main(void *arg)
{
    struct selector *s = arg;
    double t0 = wp_now_ms();
    int rc, e;
    errno = 0;
    rc = select(s->nfds, s->has_r ? &s->r : NULL, s->has_w ? &s->w : NULL,
                s->has_e ? &s->e : NULL, s->has_tv ? &s->tv : NULL);
    e = errno;
    pthread_mutex_lock(&s->mu);
    s->elapsed_ms = wp_now_ms() - t0;
    s->rc = rc;
    s->err = e;
    s->done = 1;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* select() with the same arguments and results, run in a thread so that a hang fails the test
 * instead of the whole program; a select that does not return is left behind on purpose. */
static int run_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv,
                      double *elapsed_ms)
{
    struct selector *s = calloc(1, sizeof *s);
    double limit = HANG_MS, t0;
    int done = 0, rc;
    assert_non_null(s);
    s->nfds = nfds;
    if (r) s->r = *r, s->has_r = 1;
    if (w) s->w = *w, s->has_w = 1;
    if (e) s->e = *e, s->has_e = 1;
    if (tv) {
        s->tv = *tv;
        s->has_tv = 1;
        limit += (double)tv->tv_sec * 1000.0 + (double)tv->tv_usec / 1000.0;
    }
    pthread_mutex_init(&s->mu, NULL);
    assert_int_equal(pthread_create(&s->th, NULL, selector_main, s), 0);
    t0 = wp_now_ms();
    while (!done) {
        pthread_mutex_lock(&s->mu);
        done = s->done;
        pthread_mutex_unlock(&s->mu);
        if (!done && wp_now_ms() - t0 > limit)
            fail_msg("select(nfds %d) in a thread did not return within %.0f ms", nfds, limit);
        if (!done)
            wp_sleep_ms(2);
    }
    pthread_join(s->th, NULL);
    if (r) *r = s->r;
    if (w) *w = s->w;
    if (e) *e = s->e;
    if (tv) *tv = s->tv;
    if (elapsed_ms)
        *elapsed_ms = s->elapsed_ms;
    rc = s->rc;
    errno = s->err;
    pthread_mutex_destroy(&s->mu);
    free(s);
    return rc;
}

/* ---- a writer that acts later ----------------------------------------------------------- */

struct later {
    int fd;
    unsigned delay_ms;
    int close_it; /* else write one byte */
    char msg[128];
    pthread_t th;
};

static void *later_main(void *arg)
{
    struct later *l = arg;
    unsigned char c = 'L';
    wp_sleep_ms(l->delay_ms);
    if (l->close_it ? close(l->fd) != 0 : write(l->fd, &c, 1) != 1)
        snprintf(l->msg, sizeof l->msg, "%s(%d) failed: errno %d", l->close_it ? "close" : "write",
                 l->fd, errno);
    return NULL;
}

static void later_start(struct later *l, int fd, unsigned delay_ms, int close_it)
{
    l->fd = fd;
    l->delay_ms = delay_ms;
    l->close_it = close_it;
    l->msg[0] = 0;
    assert_int_equal(pthread_create(&l->th, NULL, later_main, l), 0);
}

static void later_join(struct later *l)
{
    pthread_join(l->th, NULL);
    if (l->msg[0])
        fail_msg("helper thread: %s", l->msg);
}

static int group_setup(void **state)
{
    if (sk_startup() < 0)
        return -1;
    return wp_group_ignore_sigpipe(state);
}

static int group_teardown(void **state)
{
    sk_cleanup();
    return wp_group_restore_sigpipe(state);
}

static int max2(int a, int b) { return a > b ? a : b; }

/* ============================================================================================ */
/* fd_set macros                                                                               */

static void fd_zero_set_isset_clr_work_on_fd_numbers(void **state)
{
    fd_set s;
    int fd;
    (void)state;
    FD_ZERO(&s);
    for (fd = 0; fd < FD_SETSIZE; fd++)
        assert_false(FD_ISSET(fd, &s));
    FD_SET(0, &s);
    FD_SET(63, &s);
    FD_SET(64, &s);
    FD_SET(FD_SETSIZE - 1, &s);
    for (fd = 0; fd < FD_SETSIZE; fd++)
        assert_int_equal(FD_ISSET(fd, &s) != 0,
                         fd == 0 || fd == 63 || fd == 64 || fd == FD_SETSIZE - 1);
    FD_CLR(63, &s);
    assert_false(FD_ISSET(63, &s));
    assert_true(FD_ISSET(64, &s));
    FD_ZERO(&s);
    assert_false(FD_ISSET(FD_SETSIZE - 1, &s));
}

static void fd_setsize_is_1024(void **state)
{
    (void)state;
    assert_int_equal(FD_SETSIZE, 1024);
    assert_true(sizeof(fd_set) * CHAR_BIT >= 1024);
}

/* ============================================================================================ */
/* Pipes                                                                                       */

static void empty_read_end_is_not_readable_with_zero_timeout(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    assert_rc(select(p[0] + 1, &r, NULL, NULL, &tv), 0);
    assert_false(FD_ISSET(p[0], &r));
    wp_close_pipe(p);
}

static void read_end_is_in_the_readable_set_after_write(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'a');
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    assert_rc(select(p[0] + 1, &r, NULL, NULL, &tv), 1);
    assert_true(FD_ISSET(p[0], &r));
    wp_close_pipe(p);
}

static void write_end_is_in_the_writable_set(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set w;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    assert_rc(select(p[1] + 1, NULL, &w, NULL, &tv), 1);
    assert_true(FD_ISSET(p[1], &w));
    wp_close_pipe(p);
}

static void select_returns_the_number_of_bits_set_across_all_sets(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r, w;
    int a[2], b[2];
    (void)state;
    wp_pipe(a, 0);
    wp_pipe(b, 0);
    wp_write_byte(a[1], 'a');
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(a[0], &r); /* ready */
    FD_SET(b[0], &r); /* not ready */
    FD_SET(a[1], &w); /* ready */
    FD_SET(b[1], &w); /* ready */
    assert_rc(select(max2(max2(a[0], a[1]), max2(b[0], b[1])) + 1, &r, &w, NULL, &tv), 3);
    assert_true(FD_ISSET(a[0], &r));
    assert_false(FD_ISSET(b[0], &r));
    assert_true(FD_ISSET(a[1], &w));
    assert_true(FD_ISSET(b[1], &w));
    wp_close_pipe(a);
    wp_close_pipe(b);
}

static void read_end_stays_out_of_the_writable_set_and_write_end_out_of_the_readable(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r, w;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'a');
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[1], &r);
    FD_SET(p[0], &w);
    assert_rc(select(max2(p[0], p[1]) + 1, &r, &w, NULL, &tv), 0);
    assert_false(FD_ISSET(p[1], &r));
    assert_false(FD_ISSET(p[0], &w));
    wp_close_pipe(p);
}

static void pipe_is_never_in_the_exception_set(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r, e;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'a');
    FD_ZERO(&r);
    FD_ZERO(&e);
    FD_SET(p[0], &r);
    FD_SET(p[0], &e);
    FD_SET(p[1], &e);
    assert_rc(select(max2(p[0], p[1]) + 1, &r, NULL, &e, &tv), 1);
    assert_true(FD_ISSET(p[0], &r));
    assert_false(FD_ISSET(p[0], &e));
    assert_false(FD_ISSET(p[1], &e));
    wp_close_pipe(p);
}

static void read_end_is_readable_after_writer_closed_and_read_gives_eof(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_close(p[1]);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    assert_rc(select(p[0] + 1, &r, NULL, NULL, &tv), 1);
    assert_true(FD_ISSET(p[0], &r));
    assert_rc(read(p[0], p, 1), 0);
    wp_close(p[0]);
}

static void write_end_is_writable_after_reader_closed_and_write_gives_epipe(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set w;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_close(p[0]);
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    assert_rc(select(p[1] + 1, NULL, &w, NULL, &tv), 1);
    assert_true(FD_ISSET(p[1], &w));
    assert_errno(write(p[1], "x", 1), EPIPE);
    wp_close(p[1]);
}

static void full_nonblocking_write_end_is_not_writable(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set w;
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    wp_fill(p[1], 0, 4096);
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    assert_rc(select(p[1] + 1, NULL, &w, NULL, &tv), 0);
    assert_false(FD_ISSET(p[1], &w));
    wp_close_pipe(p);
}

static void fd_numbers_above_64_work(void **state)
{
    /* Winsock's own fd_set holds 64 sockets: select must take fd numbers, as many as FD_SETSIZE. */
    struct timeval tv = { 0, 0 };
    int p[60][2], i, top;
    fd_set r;
    (void)state;
    for (i = 0; i < 60; i++)
        wp_pipe(p[i], 0);
    top = p[59][0];
    assert_true(top > 64);
    wp_write_byte(p[59][1], 't');
    FD_ZERO(&r);
    for (i = 0; i < 60; i++)
        FD_SET(p[i][0], &r);
    assert_rc(select(top + 1, &r, NULL, NULL, &tv), 1);
    for (i = 0; i < 60; i++)
        assert_int_equal(FD_ISSET(p[i][0], &r) != 0, i == 59);
    for (i = 0; i < 60; i++)
        wp_close_pipe(p[i]);
}

/* ============================================================================================ */
/* Time-outs and sleeping                                                                      */

static void timeout_300_ms_returns_0_after_at_least_300_ms_with_sets_cleared(void **state)
{
    struct timeval tv = { 0, 300000 };
    double el;
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    assert_rc(run_select(p[0] + 1, &r, NULL, NULL, &tv, &el), 0);
    assert_false(FD_ISSET(p[0], &r));
    if (el < 300.0)
        fail_msg("select(timeout 300 ms) returned 0 after only %.3f ms", el);
    /* Linux: the time not slept is left in *timeout; none is left after a full time-out. */
    assert_int_equal(tv.tv_sec, 0);
    assert_int_equal(tv.tv_usec, 0);
    wp_close_pipe(p);
}

static void timeout_in_seconds_and_microseconds_adds_up(void **state)
{
    struct timeval tv = { 1, 100000 };
    double el;
    (void)state;
    assert_rc(run_select(0, NULL, NULL, NULL, &tv, &el), 0);
    if (el < 1100.0)
        fail_msg("select(timeout 1.1 s) returned after only %.3f ms", el);
}

static void nfds_0_with_null_sets_and_timeout_100_ms_sleeps_and_returns_0(void **state)
{
    struct timeval tv = { 0, 100000 };
    double el;
    (void)state;
    assert_rc(run_select(0, NULL, NULL, NULL, &tv, &el), 0);
    if (el < 100.0)
        fail_msg("select(0, NULL, NULL, NULL, 100 ms) returned after only %.3f ms", el);
}

static void early_return_leaves_the_unslept_time_in_timeout(void **state)
{
    struct timeval tv = { 5, 0 };
    long long left;
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'a');
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    assert_rc(run_select(p[0] + 1, &r, NULL, NULL, &tv, NULL), 1);
    left = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
    if (left > 5000000 || left < 4000000)
        fail_msg("timeout left: %lld us, expected a little under 5 s (Linux updates it)", left);
    wp_close_pipe(p);
}

static void null_timeout_sleeps_until_another_thread_writes(void **state)
{
    struct later w;
    double t0, el;
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    t0 = wp_now_ms();
    later_start(&w, p[1], 200, 0);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    assert_rc(run_select(p[0] + 1, &r, NULL, NULL, NULL, NULL), 1);
    el = wp_now_ms() - t0;
    later_join(&w);
    assert_true(FD_ISSET(p[0], &r));
    if (el < 150.0)
        fail_msg("select(NULL timeout) returned after %.1f ms, before the write at 200 ms", el);
    assert_int_equal(wp_read_byte(p[0]), 'L');
    wp_close_pipe(p);
}

static void null_timeout_wakes_readable_when_the_writer_closes(void **state)
{
    struct later c;
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    later_start(&c, p[1], 200, 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    assert_rc(run_select(p[0] + 1, &r, NULL, NULL, NULL, NULL), 1);
    later_join(&c);
    assert_true(FD_ISSET(p[0], &r));
    assert_rc(read(p[0], p, 1), 0);
    wp_close(p[0]);
}

/* ============================================================================================ */
/* nfds and errors                                                                             */

static void fds_at_or_above_nfds_are_not_examined(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'a');
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    /* nfds == p[0]: the ready read end is just outside the range. */
    assert_rc(select(p[0], &r, NULL, NULL, &tv), 0);
    wp_close_pipe(p);
}

static void closed_fd_in_read_set_fails_with_ebadf(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    int p[2], bad;
    (void)state;
    wp_pipe(p, 0);
    bad = p[0];
    wp_close(p[0]);
    FD_ZERO(&r);
    FD_SET(bad, &r);
    assert_errno(select(bad + 1, &r, NULL, NULL, &tv), EBADF);
    wp_close(p[1]);
}

static void closed_fd_fails_with_ebadf_even_when_another_fd_is_ready(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    int p[2], bad;
    (void)state;
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'a');
    bad = wp_lowest_free_fd(p[1] + 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(bad, &r);
    assert_errno(select(bad + 1, &r, NULL, NULL, &tv), EBADF);
    wp_close_pipe(p);
}

static void closed_fd_in_write_or_except_set_fails_with_ebadf(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set w, e;
    int bad;
    (void)state;
    bad = wp_lowest_free_fd(100);
    FD_ZERO(&w);
    FD_SET(bad, &w);
    assert_errno(select(bad + 1, NULL, &w, NULL, &tv), EBADF);
    FD_ZERO(&e);
    FD_SET(bad, &e);
    assert_errno(select(bad + 1, NULL, NULL, &e, &tv), EBADF);
}

static void closed_fd_at_or_above_nfds_is_ignored(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    int bad;
    (void)state;
    bad = wp_lowest_free_fd(100);
    FD_ZERO(&r);
    FD_SET(bad, &r);
    assert_rc(select(bad, &r, NULL, NULL, &tv), 0);
}

static void negative_nfds_fails_with_einval(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r;
    (void)state;
    FD_ZERO(&r);
    assert_errno(select(-1, &r, NULL, NULL, &tv), EINVAL);
}

static void negative_timeout_fails_with_einval(void **state)
{
    struct timeval tv;
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = -1;
    tv.tv_usec = 0;
    assert_errno(select(p[0] + 1, &r, NULL, NULL, &tv), EINVAL);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = -1;
    assert_errno(select(p[0] + 1, &r, NULL, NULL, &tv), EINVAL);
    wp_close_pipe(p);
}

static void tv_usec_of_a_whole_second_or_more_is_accepted(void **state)
{
    /* Linux normalises tv_usec >= 1000000 into seconds instead of failing with EINVAL. */
    struct timeval tv;
    fd_set r;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_write_byte(p[1], 'a');
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 1000000;
    assert_rc(select(p[0] + 1, &r, NULL, NULL, &tv), 1);
    assert_true(FD_ISSET(p[0], &r));
    wp_close_pipe(p);
}

/* ============================================================================================ */
/* Sockets                                                                                     */

static void socket_and_pipe_in_one_call_each_reported_in_their_sets(void **state)
{
    struct timeval tv = { 0, 0 };
    fd_set r, w;
    int s[2], p[2], top;
    (void)state;
    sk_tcp_pair(s);
    wp_pipe(p, 0);
    top = max2(max2(s[0], s[1]), max2(p[0], p[1]));
    wp_write_byte(s[1], 's');
    /* Wait until the byte has crossed the loopback connection. */
    FD_ZERO(&r);
    FD_SET(s[0], &r);
    assert_rc(run_select(s[0] + 1, &r, NULL, NULL, NULL, NULL), 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(s[0], &r);
    FD_SET(p[0], &r);
    FD_SET(s[0], &w);
    FD_SET(p[1], &w);
    assert_rc(select(top + 1, &r, &w, NULL, &tv), 3);
    assert_true(FD_ISSET(s[0], &r));
    assert_false(FD_ISSET(p[0], &r));
    assert_true(FD_ISSET(s[0], &w));
    assert_true(FD_ISSET(p[1], &w));
    assert_int_equal(wp_read_byte(s[0]), 's');
    wp_write_byte(p[1], 'p');
    FD_ZERO(&r);
    FD_SET(s[0], &r);
    FD_SET(p[0], &r);
    assert_rc(select(top + 1, &r, NULL, NULL, &tv), 1);
    assert_false(FD_ISSET(s[0], &r));
    assert_true(FD_ISSET(p[0], &r));
    wp_close_pipe(p);
    wp_close(s[0]);
    wp_close(s[1]);
}

static void socket_null_timeout_wakes_when_peer_sends_later(void **state)
{
    struct later w;
    double t0, el;
    fd_set r;
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    t0 = wp_now_ms(); /* before the writer starts: a late select thread cannot shorten el */
    later_start(&w, s[1], 200, 0);
    FD_ZERO(&r);
    FD_SET(s[0], &r);
    assert_rc(run_select(s[0] + 1, &r, NULL, NULL, NULL, NULL), 1);
    el = wp_now_ms() - t0;
    later_join(&w);
    assert_true(FD_ISSET(s[0], &r));
    if (el < 150.0)
        fail_msg("select returned after %.1f ms, before the send at 200 ms", el);
    assert_int_equal(wp_read_byte(s[0]), 'L');
    wp_close(s[0]);
    wp_close(s[1]);
}

static void socket_is_readable_after_peer_close_and_read_gives_eof(void **state)
{
    fd_set r;
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    wp_close(s[1]);
    FD_ZERO(&r);
    FD_SET(s[0], &r);
    assert_rc(run_select(s[0] + 1, &r, NULL, NULL, NULL, NULL), 1);
    assert_true(FD_ISSET(s[0], &r));
    assert_rc(read(s[0], s, 1), 0);
    wp_close(s[0]);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(fd_zero_set_isset_clr_work_on_fd_numbers),
        WP_TEST(fd_setsize_is_1024),
        WP_TEST(empty_read_end_is_not_readable_with_zero_timeout),
        WP_TEST(read_end_is_in_the_readable_set_after_write),
        WP_TEST(write_end_is_in_the_writable_set),
        WP_TEST(select_returns_the_number_of_bits_set_across_all_sets),
        WP_TEST(read_end_stays_out_of_the_writable_set_and_write_end_out_of_the_readable),
        WP_TEST(pipe_is_never_in_the_exception_set),
        WP_TEST(read_end_is_readable_after_writer_closed_and_read_gives_eof),
        WP_TEST(write_end_is_writable_after_reader_closed_and_write_gives_epipe),
        WP_TEST(full_nonblocking_write_end_is_not_writable),
        WP_TEST(fd_numbers_above_64_work),
        WP_TEST(timeout_300_ms_returns_0_after_at_least_300_ms_with_sets_cleared),
        WP_TEST(timeout_in_seconds_and_microseconds_adds_up),
        WP_TEST(nfds_0_with_null_sets_and_timeout_100_ms_sleeps_and_returns_0),
        WP_TEST(early_return_leaves_the_unslept_time_in_timeout),
        WP_TEST(null_timeout_sleeps_until_another_thread_writes),
        WP_TEST(null_timeout_wakes_readable_when_the_writer_closes),
        WP_TEST(fds_at_or_above_nfds_are_not_examined),
        WP_TEST(closed_fd_in_read_set_fails_with_ebadf),
        WP_TEST(closed_fd_fails_with_ebadf_even_when_another_fd_is_ready),
        WP_TEST(closed_fd_in_write_or_except_set_fails_with_ebadf),
        WP_TEST(closed_fd_at_or_above_nfds_is_ignored),
        WP_TEST(negative_nfds_fails_with_einval),
        WP_TEST(negative_timeout_fails_with_einval),
        WP_TEST(tv_usec_of_a_whole_second_or_more_is_accepted),
        WP_TEST(socket_and_pipe_in_one_call_each_reported_in_their_sets),
        WP_TEST(socket_null_timeout_wakes_when_peer_sends_later),
        WP_TEST(socket_is_readable_after_peer_close_and_read_gives_eof),
    };
    if (argc > 1) /* a test name pattern, for running one test */
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
