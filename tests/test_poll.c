/* test_poll: poll() on pipes, sockets, files and bad fds: exact revents, time-outs that truly
 * sleep, 1000+ fds, several threads. Every expectation is what Linux reports (the native run is
 * the judge); Windows-only checks are skipped natively and the reverse, each with its reason. */
#define _GNU_SOURCE 1
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <io.h>
#else
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#endif
#include <poll.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>

#include "helper.h"
#include "sock_util.h"

/* A poll() that should return but does not is failed after this long (plus its time-out),
 * rather than left to the watchdog, which would end every later test too. */
#define HANG_MS 10000u

#ifndef SHUT_WR
#define SHUT_WR SD_SEND
#endif

/* ---- time -------------------------------------------------------------------------------- */

/* CPU time (user + system) this process has used, in ms. */
static double cpu_ms(void)
{
#ifdef _WIN32
    FILETIME c, e, k, u;
    ULARGE_INTEGER kk, uu;
    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u))
        fail_msg("GetProcessTimes: %lu", (unsigned long)GetLastError());
    kk.LowPart = k.dwLowDateTime;
    kk.HighPart = k.dwHighDateTime;
    uu.LowPart = u.dwLowDateTime;
    uu.HighPart = u.dwHighDateTime;
    return (double)(kk.QuadPart + uu.QuadPart) / 1e4;
#else
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
#endif
}

/* ---- poll() in a thread, with a deadline ---------------------------------------------------- */

struct poller {
    struct pollfd *fds;
    nfds_t n;
    int timeout;
    int rc, err, done;
    int entered; /* set (atomically) just before the call */
    double elapsed_ms;
    pthread_mutex_t mu;
    pthread_t th;
};

static void *poller_main(void *arg)
{
    struct poller *p = arg;
    double t0 = wp_now_ms();
    int rc, e;
    errno = 0;
    __atomic_store_n(&p->entered, 1, __ATOMIC_RELEASE);
    rc = poll(p->fds, p->n, p->timeout);
    e = errno;
    pthread_mutex_lock(&p->mu);
    p->elapsed_ms = wp_now_ms() - t0;
    p->rc = rc;
    p->err = e;
    p->done = 1;
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Starts poll() over a copy of fds in a new thread. */
static struct poller *poller_start(const struct pollfd *fds, nfds_t n, int timeout)
{
    struct poller *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->fds = calloc(n ? n : 1, sizeof *p->fds);
    assert_non_null(p->fds);
    if (n)
        memcpy(p->fds, fds, n * sizeof *fds);
    p->n = n;
    p->timeout = timeout;
    pthread_mutex_init(&p->mu, NULL);
    assert_int_equal(pthread_create(&p->th, NULL, poller_main, p), 0);
    return p;
}

static int poller_done(struct poller *p)
{
    int d;
    pthread_mutex_lock(&p->mu);
    d = p->done;
    pthread_mutex_unlock(&p->mu);
    return d;
}

/* Waits for the poll to return, at most its time-out plus HANG_MS; then copies revents back into
 * fds, sets errno and *elapsed_ms (if not NULL) and returns poll's result. A poll that does not
 * return fails the test; its thread and copy are then left behind on purpose (it may still wake
 * later and must not touch freed memory). */
static int poller_end(struct poller *p, struct pollfd *fds, double *elapsed_ms)
{
    double limit = HANG_MS + (p->timeout > 0 ? p->timeout : 0);
    double t0 = wp_now_ms();
    int rc;
    nfds_t i;
    while (!poller_done(p)) {
        if (wp_now_ms() - t0 > limit)
            fail_msg("poll(nfds %lu, timeout %d) in a thread did not return within %.0f ms",
                     (unsigned long)p->n, p->timeout, limit);
        wp_sleep_ms(2);
    }
    pthread_join(p->th, NULL);
    for (i = 0; i < p->n; i++)
        fds[i].revents = p->fds[i].revents;
    if (elapsed_ms)
        *elapsed_ms = p->elapsed_ms;
    rc = p->rc;
    errno = p->err;
    pthread_mutex_destroy(&p->mu);
    free(p->fds);
    free(p);
    return rc;
}

/* poll() with a hang guard: same result as poll(), run in a thread. */
static int run_poll(struct pollfd *fds, nfds_t n, int timeout, double *elapsed_ms)
{
    return poller_end(poller_start(fds, n, timeout), fds, elapsed_ms);
}

/* The result of a poll() call must be `expected`; on failure the nonzero revents are shown. */
static void check_poll_rc(int rc, int err, int expected, const struct pollfd *p, nfds_t n,
                          const char *call, int line)
{
    char buf[512];
    size_t len = 0;
    nfds_t i;
    int shown = 0;
    if (rc == expected)
        return;
    buf[0] = 0;
    for (i = 0; i < n && shown < 8; i++)
        if (p[i].revents) {
            len += (size_t)snprintf(buf + len, sizeof buf - len, " [%lu] fd %d: 0x%x;",
                                    (unsigned long)i, p[i].fd,
                                    (unsigned)(unsigned short)p[i].revents);
            shown++;
        }
    fail_msg("line %d: %s returned %d (errno %d), expected %d; revents:%s", line, call, rc, err,
             expected, shown ? buf : " all 0");
}

#define assert_poll(call, expected, fdsp, n)                                                   \
    do {                                                                                      \
        int wp_rc_;                                                                           \
        errno = 0;                                                                            \
        wp_rc_ = (call);                                                                      \
        check_poll_rc(wp_rc_, errno, (expected), (fdsp), (n), #call, __LINE__);               \
    } while (0)

/* ---- delayed actions in another thread ------------------------------------------------------ */

enum act_kind { ACT_WRITE, ACT_CLOSE, ACT_READ_N, ACT_SHUT_WR };

struct act {
    enum act_kind kind;
    int fd;
    unsigned delay_ms;
    unsigned char byte; /* ACT_WRITE: the one byte written */
    size_t n;           /* ACT_READ_N: bytes to read (pattern stream from offset 0) */
    char msg[256];      /* first failure, reported by act_join */
    pthread_t th;
};

static int sock_shutdown_wr(int fd);

static void *act_main(void *arg)
{
    static unsigned char buf[1 << 16];
    struct act *a = arg;
    ssize_t r;
    size_t got = 0;
    wp_sleep_ms(a->delay_ms);
    errno = 0;
    switch (a->kind) {
    case ACT_WRITE:
        if ((r = write(a->fd, &a->byte, 1)) != 1)
            snprintf(a->msg, sizeof a->msg, "write(%d, 1) returned %lld (errno %d)", a->fd,
                     (long long)r, errno);
        break;
    case ACT_CLOSE:
        if ((r = close(a->fd)) != 0)
            snprintf(a->msg, sizeof a->msg, "close(%d) returned %lld (errno %d)", a->fd,
                     (long long)r, errno);
        break;
    case ACT_SHUT_WR:
        if ((r = sock_shutdown_wr(a->fd)) != 0)
            snprintf(a->msg, sizeof a->msg, "shutdown(%d, SHUT_WR) returned %lld (errno %d)",
                     a->fd, (long long)r, errno);
        break;
    case ACT_READ_N:
        while (got < a->n) {
            size_t want = a->n - got < sizeof buf ? a->n - got : sizeof buf;
            size_t bad;
            r = read(a->fd, buf, want);
            if (r <= 0) {
                snprintf(a->msg, sizeof a->msg, "read(%d) after %zu of %zu bytes returned %lld "
                         "(errno %d)", a->fd, got, a->n, (long long)r, errno);
                break;
            }
            bad = wp_pattern_check(buf, got, (size_t)r);
            if (bad != (size_t)r) {
                snprintf(a->msg, sizeof a->msg, "wrong byte at stream offset %zu", got + bad);
                break;
            }
            got += (size_t)r;
        }
        break;
    }
    return NULL;
}

static void act_start(struct act *a, enum act_kind kind, int fd, unsigned delay_ms)
{
    a->kind = kind;
    a->fd = fd;
    a->delay_ms = delay_ms;
    a->msg[0] = 0;
    assert_int_equal(pthread_create(&a->th, NULL, act_main, a), 0);
}

static void act_join(struct act *a)
{
    pthread_join(a->th, NULL);
    if (a->msg[0])
        fail_msg("helper thread: %s", a->msg);
}

/* ---- small helpers ------------------------------------------------------------------------- */

/* poll() over one fd with timeout 0; returns revents, checks the count matches. */
static short poll1(int fd, short events)
{
    struct pollfd p = { fd, events, 0x5a5a };
    int rc;
    errno = 0;
    rc = poll(&p, 1, 0);
    if (rc != (p.revents != 0))
        fail_msg("poll(fd %d, events 0x%x, 0) returned %d (errno %d) with revents 0x%x", fd,
                 (unsigned)events, rc, errno, (unsigned)(unsigned short)p.revents);
    return p.revents;
}

#define assert_revents(fd, events, expected)                                                   \
    do {                                                                                      \
        short wp_got_ = poll1((fd), (events));                                                \
        if (wp_got_ != (short)(expected))                                                     \
            fail_msg("poll(%s, events %s): revents 0x%x, expected %s (0x%x)", #fd, #events,   \
                     (unsigned)(unsigned short)wp_got_, #expected,                             \
                     (unsigned)(unsigned short)(expected));                                    \
    } while (0)

/* ---- sockets (sock_util.h): the pair, and shutdown(SHUT_WR) on an fd ------------------------ */

#ifdef _WIN32
static int sock_shutdown_wr(int fd) { return shutdown((SOCKET)_get_osfhandle(fd), SD_SEND); }
#else
static int sock_shutdown_wr(int fd) { return shutdown(fd, SHUT_WR); }
#endif

static int group_setup(void **state)
{
    if (sk_startup() < 0)
        return -1;
    srand((unsigned)time(NULL));
    return wp_group_ignore_sigpipe(state);
}

static int group_teardown(void **state)
{
    sk_cleanup();
    return wp_group_restore_sigpipe(state);
}

/* ============================================================================================ */
/* Pipes: exact revents                                                                        */

static void empty_read_end_poll_0_returns_0_with_revents_0(void **state)
{
    struct pollfd p;
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    p.fd = fds[0];
    p.events = POLLIN;
    p.revents = 0x5a5a;
    assert_poll(poll(&p, 1, 0), 0, &p, 1);
    assert_int_equal(p.revents, 0);
    wp_close_pipe(fds);
}

static void read_end_after_write_is_exactly_pollin(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_revents(fds[0], POLLIN, 0);
    wp_write_byte(fds[1], 'a');
    assert_revents(fds[0], POLLIN, POLLIN);
    wp_close_pipe(fds);
}

static void read_end_written_before_its_first_poll_is_exactly_pollin(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    assert_revents(fds[0], POLLIN, POLLIN);
    wp_close_pipe(fds);
}

static void read_end_keeps_pollin_while_data_remains_and_loses_it_when_drained(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_rc(write(fds[1], "xy", 2), 2);
    assert_revents(fds[0], POLLIN, POLLIN);
    assert_int_equal(wp_read_byte(fds[0]), 'x');
    assert_revents(fds[0], POLLIN, POLLIN);
    assert_int_equal(wp_read_byte(fds[0]), 'y');
    assert_revents(fds[0], POLLIN, 0);
    wp_write_byte(fds[1], 'z');
    assert_revents(fds[0], POLLIN, POLLIN);
    wp_close_pipe(fds);
}

static void read_end_with_pollin_pollout_requested_gives_only_pollin(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_revents(fds[0], POLLIN | POLLOUT, 0);
    wp_write_byte(fds[1], 'a');
    assert_revents(fds[0], POLLIN | POLLOUT, POLLIN);
    wp_close_pipe(fds);
}

static void read_end_with_pollrdnorm_requested_gives_pollrdnorm(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    assert_revents(fds[0], POLLRDNORM, POLLRDNORM);
    assert_revents(fds[0], POLLIN | POLLPRI, POLLIN);
    wp_close_pipe(fds);
}

static void write_end_of_empty_pipe_is_exactly_pollout(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_revents(fds[1], POLLOUT, POLLOUT);
    assert_revents(fds[1], POLLIN | POLLOUT, POLLOUT);
    assert_revents(fds[1], POLLWRNORM, POLLWRNORM);
    wp_close_pipe(fds);
}

static void write_end_with_only_pollin_requested_gives_0(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_revents(fds[1], POLLIN, 0);
    wp_write_byte(fds[1], 'a');
    assert_revents(fds[1], POLLIN, 0);
    wp_close_pipe(fds);
}

static void write_end_of_partly_filled_pipe_is_pollout(void **state)
{
    unsigned char buf[1000];
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_pattern_fill(buf, 0, sizeof buf);
    assert_rc(write(fds[1], buf, sizeof buf), sizeof buf);
    assert_revents(fds[1], POLLOUT, POLLOUT);
    wp_close_pipe(fds);
}

static void read_end_with_data_after_writer_closed_is_pollin_pollhup(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    wp_close(fds[1]);
    assert_revents(fds[0], POLLIN, POLLIN | POLLHUP);
    wp_close(fds[0]);
}

/* A writer this process still holds through a dup (winpipe then knows it is there without
 * asking Windows) keeps POLLHUP away; the last one closed brings it, with the data still there.
 * The same for a reader kept through a dup, and POLLERR. */
static void pollhup_and_pollerr_wait_for_the_last_dup_of_the_other_end(void **state)
{
    int fds[2], wdup, rdup;
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    wdup = dup(fds[1]);
    assert_true(wdup >= 0);
    wp_close(fds[1]);
    assert_revents(fds[0], POLLIN, POLLIN);
    wp_close(wdup);
    assert_revents(fds[0], POLLIN, POLLIN | POLLHUP);
    wp_close(fds[0]);

    wp_pipe(fds, 0);
    rdup = dup(fds[0]);
    assert_true(rdup >= 0);
    wp_close(fds[0]);
    assert_revents(fds[1], POLLOUT, POLLOUT);
    wp_close(rdup);
    assert_revents(fds[1], POLLOUT, POLLOUT | POLLERR);
    wp_close(fds[1]);
}

static void read_end_drained_after_writer_closed_is_pollhup_only(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    wp_close(fds[1]);
    assert_int_equal(wp_read_byte(fds[0]), 'a');
    assert_revents(fds[0], POLLIN, POLLHUP);
    assert_revents(fds[0], POLLIN | POLLOUT, POLLHUP);
    assert_rc(read(fds[0], fds, 1), 0);
    assert_revents(fds[0], POLLIN, POLLHUP);
    wp_close(fds[0]);
}

static void read_end_of_never_written_pipe_after_writer_closed_is_pollhup_only(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_revents(fds[0], POLLIN, 0); /* the poll sees it open and empty first */
    wp_close(fds[1]);
    assert_revents(fds[0], POLLIN, POLLHUP);
    wp_close(fds[0]);
}

static void read_end_after_writer_closed_gives_pollhup_even_with_events_0(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    assert_revents(fds[0], 0, 0);
    wp_close(fds[1]);
    /* Linux: POLLHUP is reported whether requested or not, with data left or drained. */
    assert_revents(fds[0], 0, POLLHUP);
    assert_int_equal(wp_read_byte(fds[0]), 'a');
    assert_revents(fds[0], 0, POLLHUP);
    wp_close(fds[0]);
}

static void write_end_after_reader_closed_is_pollout_pollerr(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_close(fds[0]);
    assert_revents(fds[1], POLLOUT, POLLOUT | POLLERR);
    assert_revents(fds[1], POLLIN | POLLOUT, POLLOUT | POLLERR);
    wp_close(fds[1]);
}

static void write_end_after_reader_closed_gives_pollerr_even_with_events_0(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_revents(fds[1], 0, 0);
    wp_close(fds[0]);
    assert_revents(fds[1], 0, POLLERR);
    assert_revents(fds[1], POLLIN, POLLERR);
    wp_close(fds[1]);
}

static void write_end_with_unread_data_after_reader_closed_is_pollout_pollerr(void **state)
{
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    assert_rc(write(fds[1], "abc", 3), 3);
    wp_close(fds[0]);
    assert_revents(fds[1], POLLOUT, POLLOUT | POLLERR);
    wp_close(fds[1]);
}

static void full_nonblocking_write_end_is_not_pollout(void **state)
{
    int fds[2];
    size_t n;
    (void)state;
    wp_pipe(fds, O_NONBLOCK);
    n = wp_fill(fds[1], 0, 4096);
    assert_true(n >= WP_PIPE_CAPACITY);
    assert_revents(fds[1], POLLOUT, 0);
    assert_revents(fds[0], POLLIN, POLLIN);
    wp_close_pipe(fds);
}

static void full_write_end_becomes_pollout_when_reader_drains(void **state)
{
    struct pollfd p;
    struct act reader;
    double el;
    int fds[2];
    size_t n;
    (void)state;
    wp_pipe(fds, 0);
    wp_set_nonblock(fds[1], 1);
    n = wp_fill(fds[1], 0, 4096);
    assert_revents(fds[1], POLLOUT, 0);
    /* The reader (blocking) drains everything after 100 ms while poll(-1) sleeps. */
    reader.n = n;
    act_start(&reader, ACT_READ_N, fds[0], 100);
    p.fd = fds[1];
    p.events = POLLOUT;
    p.revents = 0;
    assert_poll(run_poll(&p, 1, -1, &el), 1, &p, 1);
    assert_int_equal(p.revents, POLLOUT);
    act_join(&reader);
    assert_revents(fds[1], POLLOUT, POLLOUT);
    wp_close_pipe(fds);
}

static void full_write_end_first_polled_when_full_wakes_when_reader_drains(void **state)
{
    /* As above, but the write end's first poll ever is the sleeping one (no earlier poll(0)). */
    struct pollfd p;
    struct act reader;
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_set_nonblock(fds[1], 1);
    reader.n = wp_fill(fds[1], 0, 4096);
    act_start(&reader, ACT_READ_N, fds[0], 100);
    p.fd = fds[1];
    p.events = POLLOUT;
    p.revents = 0;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    assert_int_equal(p.revents, POLLOUT);
    act_join(&reader);
    wp_close_pipe(fds);
}

static void full_write_end_after_reader_closed_is_pollerr_only(void **state)
{
    /* Linux: the unread data still fills the pipe, so no POLLOUT; the write would fail: POLLERR. */
    int fds[2];
    (void)state;
    wp_pipe(fds, O_NONBLOCK);
    wp_fill(fds[1], 0, 4096);
    wp_close(fds[0]);
    assert_revents(fds[1], POLLOUT, POLLERR);
    assert_errno(write(fds[1], "x", 1), EPIPE);
    wp_close(fds[1]);
}

static void dup_of_read_end_reports_the_same_pollin(void **state)
{
    int fds[2], d;
    (void)state;
    wp_pipe(fds, 0);
    d = dup(fds[0]);
    assert_true(d >= 0);
    assert_revents(d, POLLIN, 0);
    wp_write_byte(fds[1], 'a');
    assert_revents(d, POLLIN, POLLIN);
    assert_revents(fds[0], POLLIN, POLLIN);
    wp_close(d);
    wp_close_pipe(fds);
}

static void same_fd_twice_in_one_call_is_reported_and_counted_twice(void **state)
{
    struct pollfd p[2];
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    p[0].fd = p[1].fd = fds[0];
    p[0].events = POLLIN;
    p[1].events = POLLIN | POLLOUT;
    p[0].revents = p[1].revents = 0;
    assert_poll(poll(p, 2, 0), 2, p, 2);
    assert_int_equal(p[0].revents, POLLIN);
    assert_int_equal(p[1].revents, POLLIN);
    wp_close_pipe(fds);
}

static void poll_counts_ready_fds_not_bits(void **state)
{
    struct pollfd p[3];
    int a[2], b[2];
    (void)state;
    wp_pipe(a, 0);
    wp_pipe(b, 0);
    wp_write_byte(a[1], 'a');
    p[0].fd = a[0]; p[0].events = POLLIN;  /* ready */
    p[1].fd = b[0]; p[1].events = POLLIN;  /* not ready */
    p[2].fd = a[1]; p[2].events = POLLOUT; /* ready */
    p[0].revents = p[1].revents = p[2].revents = 0x5a5a;
    assert_poll(poll(p, 3, 0), 2, p, 3);
    assert_int_equal(p[0].revents, POLLIN);
    assert_int_equal(p[1].revents, 0);
    assert_int_equal(p[2].revents, POLLOUT);
    wp_close_pipe(a);
    wp_close_pipe(b);
}

/* ============================================================================================ */
/* Sleeping and time-outs                                                                      */

static void poll_minus1_on_empty_pipe_wakes_when_another_thread_writes(void **state)
{
    struct pollfd p;
    struct act w;
    double t0, el;
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    t0 = wp_now_ms();
    w.byte = 'w';
    act_start(&w, ACT_WRITE, fds[1], 200);
    p.fd = fds[0];
    p.events = POLLIN;
    p.revents = 0;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    el = wp_now_ms() - t0;
    assert_int_equal(p.revents, POLLIN);
    if (el < 150)
        fail_msg("poll(-1) returned after %.1f ms, before the write at 200 ms", el);
    act_join(&w);
    assert_int_equal(wp_read_byte(fds[0]), 'w');
    wp_close_pipe(fds);
}

static void poll_minus1_wakes_when_a_write_follows_a_nonblocking_read_that_got_eagain(void **state)
{
    /* The fd's first wait-relevant operation is a non-blocking read, not a poll. */
    struct pollfd p;
    struct act w;
    unsigned char c;
    int fds[2];
    (void)state;
    wp_pipe(fds, O_NONBLOCK);
    assert_errno(read(fds[0], &c, 1), EAGAIN);
    w.byte = 'e';
    act_start(&w, ACT_WRITE, fds[1], 200);
    p.fd = fds[0];
    p.events = POLLIN;
    p.revents = 0;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    assert_int_equal(p.revents, POLLIN);
    act_join(&w);
    assert_int_equal(wp_read_byte(fds[0]), 'e');
    wp_close_pipe(fds);
}

static void poll_minus1_wakes_with_pollhup_when_the_writer_closes(void **state)
{
    struct pollfd p;
    struct act c;
    double el;
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    act_start(&c, ACT_CLOSE, fds[1], 200);
    p.fd = fds[0];
    p.events = POLLIN;
    p.revents = 0;
    assert_poll(run_poll(&p, 1, -1, &el), 1, &p, 1);
    assert_int_equal(p.revents, POLLHUP);
    act_join(&c);
    wp_close(fds[0]);
}

static void poll_minus1_on_full_write_end_wakes_with_pollerr_when_the_reader_closes(void **state)
{
    struct pollfd p;
    struct act c;
    int fds[2];
    (void)state;
    wp_pipe(fds, O_NONBLOCK);
    wp_fill(fds[1], 0, 4096);
    act_start(&c, ACT_CLOSE, fds[0], 200);
    p.fd = fds[1];
    p.events = POLLOUT;
    p.revents = 0;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    assert_int_equal(p.revents, POLLERR); /* Linux: still full, so no POLLOUT */
    act_join(&c);
    wp_close(fds[1]);
}

static void poll_timeout_300_on_idle_pipe_returns_0_not_before_300_ms(void **state)
{
    struct pollfd p;
    double el;
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    p.fd = fds[0];
    p.events = POLLIN;
    p.revents = 0x5a5a;
    assert_poll(run_poll(&p, 1, 300, &el), 0, &p, 1);
    assert_int_equal(p.revents, 0);
    if (el < 300.0)
        fail_msg("poll(timeout 300) returned 0 after only %.3f ms", el);
    wp_close_pipe(fds);
}

static void poll_timeout_300_on_two_idle_pipes_and_a_write_end_of_a_full_pipe_returns_0(void **state)
{
    struct pollfd p[3];
    double el;
    int a[2], b[2], c[2];
    (void)state;
    wp_pipe(a, 0);
    wp_pipe(b, 0);
    wp_pipe(c, O_NONBLOCK);
    wp_fill(c[1], 0, 4096);
    p[0].fd = a[0]; p[0].events = POLLIN;
    p[1].fd = b[0]; p[1].events = POLLIN;
    p[2].fd = c[1]; p[2].events = POLLOUT;
    assert_poll(run_poll(p, 3, 300, &el), 0, p, 3);
    assert_int_equal(p[0].revents, 0);
    assert_int_equal(p[1].revents, 0);
    assert_int_equal(p[2].revents, 0);
    if (el < 300.0)
        fail_msg("poll(timeout 300) returned 0 after only %.3f ms", el);
    wp_close_pipe(a);
    wp_close_pipe(b);
    wp_close_pipe(c);
}

static void poll_timeout_1_returns_0_not_before_1_ms(void **state)
{
    struct pollfd p;
    double el;
    int fds[2], i;
    (void)state;
    wp_pipe(fds, 0);
    for (i = 0; i < 20; i++) {
        p.fd = fds[0];
        p.events = POLLIN;
        assert_poll(run_poll(&p, 1, 1, &el), 0, &p, 1);
        if (el < 1.0)
            fail_msg("poll(timeout 1) returned 0 after only %.3f ms", el);
    }
    wp_close_pipe(fds);
}

static void poll_timeout_0_on_idle_pipe_does_not_block(void **state)
{
    struct pollfd p[2];
    int fds[2], i;
    (void)state;
    wp_pipe(fds, 0);
    for (i = 0; i < 50; i++) {
        p[0].fd = fds[0];
        p[0].events = POLLIN;
        p[1].fd = -1;
        p[1].events = POLLIN;
        /* run_poll fails the test if the call sleeps (HANG_MS): timeout 0 must not. */
        assert_poll(run_poll(p, 2, 0, NULL), 0, p, 2);
        assert_int_equal(p[0].revents, 0);
    }
    wp_close_pipe(fds);
}

static void poll_with_nfds_0_and_timeout_100_sleeps_at_least_100_ms_and_returns_0(void **state)
{
    double el;
    struct pollfd unused = { -1, 0, 0 };
    (void)state;
    assert_poll(run_poll(&unused, 0, 100, &el), 0, &unused, 0);
    if (el < 100.0)
        fail_msg("poll(nfds 0, timeout 100) returned after only %.3f ms", el);
}

static void poll_with_null_fds_nfds_0_timeout_0_returns_0(void **state)
{
    (void)state;
    assert_poll(poll(NULL, 0, 0), 0, NULL, 0);
}

static void poll_timeout_1000_on_idle_pipe_uses_under_100_ms_of_cpu(void **state)
{
    /* It truly sleeps: a 1 ms sleep loop burns 15-20 % of a core under Wine. */
    struct pollfd p;
    double c0, used;
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    p.fd = fds[0];
    p.events = POLLIN;
    p.revents = 0;
    c0 = cpu_ms();
    assert_poll(poll(&p, 1, 1000), 0, &p, 1);
    used = cpu_ms() - c0;
    if (used >= 100.0)
        fail_msg("poll(timeout 1000) on an idle pipe used %.1f ms of CPU", used);
    wp_close_pipe(fds);
}

static void poll_with_nfds_0_and_timeout_1000_uses_under_100_ms_of_cpu(void **state)
{
    double c0, used;
    (void)state;
    c0 = cpu_ms();
    assert_poll(poll(NULL, 0, 1000), 0, NULL, 0);
    used = cpu_ms() - c0;
    if (used >= 100.0)
        fail_msg("poll(nfds 0, timeout 1000) used %.1f ms of CPU", used);
}

/* ============================================================================================ */
/* fds: negative, bad, files, devices, errors                                                  */

static void negative_fd_gets_revents_0_and_is_not_counted(void **state)
{
    struct pollfd p[3];
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    wp_write_byte(fds[1], 'a');
    p[0].fd = -1;      p[0].events = POLLIN | POLLOUT; p[0].revents = 0x5a5a;
    p[1].fd = fds[0];  p[1].events = POLLIN;           p[1].revents = 0x5a5a;
    p[2].fd = -12345;  p[2].events = POLLIN;           p[2].revents = 0x5a5a;
    assert_poll(poll(p, 3, 0), 1, p, 3);
    assert_int_equal(p[0].revents, 0);
    assert_int_equal(p[1].revents, POLLIN);
    assert_int_equal(p[2].revents, 0);
    wp_close_pipe(fds);
}

static void only_negative_fds_with_timeout_100_sleeps_and_returns_0(void **state)
{
    struct pollfd p[2] = { { -1, POLLIN, 0 }, { -2, POLLOUT, 0 } };
    double el;
    (void)state;
    assert_poll(run_poll(p, 2, 100, &el), 0, p, 2);
    assert_int_equal(p[0].revents, 0);
    assert_int_equal(p[1].revents, 0);
    if (el < 100.0)
        fail_msg("poll over negative fds, timeout 100, returned after %.3f ms", el);
}

static void never_opened_fd_gives_pollnval_and_is_counted(void **state)
{
    struct pollfd p[2];
    int bad;
    (void)state;
    bad = wp_lowest_free_fd(1000);
    assert_errno(fcntl(bad, F_GETFD), EBADF);
    p[0].fd = bad; p[0].events = POLLIN; p[0].revents = 0;
    p[1].fd = -1;  p[1].events = POLLIN; p[1].revents = 0;
    assert_poll(poll(p, 2, 0), 1, p, 2);
    assert_int_equal(p[0].revents, POLLNVAL);
    assert_revents(bad, 0, POLLNVAL);
    assert_revents(bad, POLLOUT, POLLNVAL);
}

static void just_closed_pipe_fd_gives_pollnval(void **state)
{
    int fds[2], was;
    (void)state;
    wp_pipe(fds, 0);
    was = fds[0];
    wp_close(fds[0]);
    assert_revents(was, POLLIN, POLLNVAL);
    wp_close(fds[1]);
}

static void bad_fd_makes_poll_minus1_return_at_once(void **state)
{
    struct pollfd p[2];
    int fds[2];
    (void)state;
    wp_pipe(fds, 0);
    p[0].fd = fds[0];                 p[0].events = POLLIN;
    p[1].fd = wp_lowest_free_fd(1000); p[1].events = POLLIN;
    assert_poll(run_poll(p, 2, -1, NULL), 1, p, 2);
    assert_int_equal(p[0].revents, 0);
    assert_int_equal(p[1].revents, POLLNVAL);
    wp_close_pipe(fds);
}

static void regular_file_is_pollin_pollout(void **state)
{
    FILE *f = tmpfile();
    int fd;
    (void)state;
    assert_non_null(f);
    fd = fileno(f);
    assert_true(fd >= 0);
    assert_revents(fd, POLLIN | POLLOUT, POLLIN | POLLOUT);
    assert_revents(fd, POLLIN, POLLIN);
    assert_revents(fd, POLLOUT, POLLOUT);
    assert_revents(fd, 0, 0);
    fclose(f);
}

static void null_device_is_pollin_pollout(void **state)
{
#ifdef _WIN32
    int fd = open("NUL", O_RDWR);
#else
    int fd = open("/dev/null", O_RDWR);
#endif
    (void)state;
    assert_true(fd >= 0);
    assert_revents(fd, POLLIN | POLLOUT, POLLIN | POLLOUT);
    assert_revents(fd, POLLIN, POLLIN);
    wp_close(fd);
}

/* Through a pointer: the compiler would otherwise reject the deliberately bad arguments. */
static int (*volatile poll_unchecked)(struct pollfd *, nfds_t, int) = poll;

static void null_fds_with_nfds_1_fails_with_efault(void **state)
{
    (void)state;
    assert_errno(poll_unchecked(NULL, 1, 0), EFAULT);
}

static void nfds_above_the_fd_limit_fails_with_einval(void **state)
{
    struct pollfd p = { -1, 0, 0 };
    (void)state;
    /* POSIX: EINVAL when nfds > OPEN_MAX; checked before the array is read. */
    assert_errno(poll_unchecked(&p, (nfds_t)1 << 30, 0), EINVAL);
}

/* ---- many fds ---------------------------------------------------------------------------------
 * Linux: 1100 pipes (2200 fds, past FD_SETSIZE). msvcrt allows 2048 fds in all: 1000 pipes. */
#ifdef _WIN32
#define MANY 1000
#else
#define MANY 1100
#endif

static int many_p[MANY][2];
static int many_is_open; /* a failed test leaves its pipes open: the next one closes them */

static void many_close(void)
{
    int i;
    for (i = 0; i < MANY; i++) {
        close(many_p[i][0]);
        close(many_p[i][1]);
    }
    many_is_open = 0;
}

/* Opens MANY pipes; returns 0 (after skip()) if the fd limit cannot reach 2 * MANY + 64. */
static int many_open(void)
{
    int i;
#ifndef _WIN32
    struct rlimit rl;
    rlim_t need = 2 * MANY + 64;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need * 4 ? need * 4
                                                                             : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    if (rl.rlim_cur < need) {
        print_message("skipped: RLIMIT_NOFILE cannot be raised to %lu (hard limit %lu)\n",
                      (unsigned long)need, (unsigned long)rl.rlim_max);
        return 0;
    }
#endif
    if (many_is_open)
        many_close();
    for (i = 0; i < MANY; i++)
        wp_pipe(many_p[i], 0);
    many_is_open = 1;
    return 1;
}


static void many_read_ends(struct pollfd *p)
{
    int i;
    for (i = 0; i < MANY; i++) {
        p[i].fd = many_p[i][0];
        p[i].events = POLLIN;
        p[i].revents = 0x5a5a;
    }
}

/* Exactly entry `want` has revents `bits`; all others 0. */
static void assert_only(const struct pollfd *p, int n, int want, short bits)
{
    int i;
    for (i = 0; i < n; i++) {
        short exp = i == want ? bits : 0;
        if (p[i].revents != exp)
            fail_msg("entry %d (fd %d): revents 0x%x, expected 0x%x (the ready one is %d)", i,
                     p[i].fd, (unsigned)(unsigned short)p[i].revents,
                     (unsigned)(unsigned short)exp, want);
    }
}

static void poll_over_many_read_ends_reports_exactly_the_one_with_data(void **state)
{
    static struct pollfd p[MANY];
    int k;
    (void)state;
    if (!many_open()) {
        skip();
        return;
    }
    many_read_ends(p);
    assert_poll(poll(p, MANY, 0), 0, p, MANY);
    k = rand() % MANY;
    wp_write_byte(many_p[k][1], 'k');
    many_read_ends(p);
    assert_poll(poll(p, MANY, 0), 1, p, MANY);
    assert_only(p, MANY, k, POLLIN);
    many_close();
}

static void poll_minus1_over_many_read_ends_wakes_for_the_one_written_later(void **state)
{
    static struct pollfd p[MANY];
    struct act w;
    double t0, el;
    int k, j;
    (void)state;
    if (!many_open()) {
        skip();
        return;
    }
    k = rand() % MANY;
    wp_write_byte(many_p[k][1], 'k');
    many_read_ends(p);
    assert_poll(run_poll(p, MANY, -1, NULL), 1, p, MANY);
    assert_only(p, MANY, k, POLLIN);
    assert_int_equal(wp_read_byte(many_p[k][0]), 'k');
    do
        j = rand() % MANY;
    while (j == k);
    w.byte = 'j';
    t0 = wp_now_ms(); /* before the writer starts: a late poll thread cannot shorten el */
    act_start(&w, ACT_WRITE, many_p[j][1], 200);
    many_read_ends(p);
    assert_poll(run_poll(p, MANY, -1, NULL), 1, p, MANY);
    el = wp_now_ms() - t0;
    act_join(&w);
    assert_only(p, MANY, j, POLLIN);
    if (el < 150.0)
        fail_msg("poll(-1) returned after %.1f ms, before the write at 200 ms", el);
    many_close();
}

static void poll_over_more_than_1024_entries_and_fds_reports_only_the_ready_one(void **state)
{
    /* Every read end (POLLIN) and write end (POLLIN too, which a write end never reports):
     * 2 * MANY entries, fd numbers past 1024. */
    static struct pollfd p[2 * MANY];
    struct act w;
    int i, k, maxfd = 0;
    (void)state;
    if (!many_open()) {
        skip();
        return;
    }
    for (i = 0; i < MANY; i++) {
        p[2 * i].fd = many_p[i][0];
        p[2 * i + 1].fd = many_p[i][1];
        p[2 * i].events = p[2 * i + 1].events = POLLIN;
        maxfd = many_p[i][1] > maxfd ? many_p[i][1] : maxfd;
    }
    assert_true(maxfd > 1024);
    assert_poll(poll(p, 2 * MANY, 0), 0, p, 2 * MANY);
    k = rand() % MANY;
    w.byte = 'x';
    act_start(&w, ACT_WRITE, many_p[k][1], 100);
    assert_poll(run_poll(p, 2 * MANY, 5000, NULL), 1, p, 2 * MANY);
    act_join(&w);
    assert_only(p, 2 * MANY, 2 * k, POLLIN);
    many_close();
}

/* ============================================================================================ */
/* Threads                                                                                     */

static void two_threads_polling_different_pipes_each_wake_for_their_own(void **state)
{
    struct pollfd pa = { 0, POLLIN, 0 }, pb = { 0, POLLIN, 0 };
    struct poller *ta, *tb;
    int a[2], b[2];
    (void)state;
    wp_pipe(a, 0);
    wp_pipe(b, 0);
    pa.fd = a[0];
    pb.fd = b[0];
    ta = poller_start(&pa, 1, -1);
    tb = poller_start(&pb, 1, -1);
    wp_sleep_ms(100);
    wp_write_byte(a[1], 'a');
    assert_rc(poller_end(ta, &pa, NULL), 1);
    assert_int_equal(pa.revents, POLLIN);
    wp_sleep_ms(100);
    if (poller_done(tb))
        fail_msg("the thread polling pipe b returned although only pipe a was written");
    wp_write_byte(b[1], 'b');
    assert_rc(poller_end(tb, &pb, NULL), 1);
    assert_int_equal(pb.revents, POLLIN);
    wp_close_pipe(a);
    wp_close_pipe(b);
}

static void two_threads_polling_the_same_pipe_both_wake(void **state)
{
    struct pollfd pa = { 0, POLLIN, 0 }, pb = { 0, POLLIN, 0 };
    struct poller *ta, *tb;
    int fds[2], round;
    (void)state;
    wp_pipe(fds, 0);
    for (round = 0; round < 20; round++) {
        pa.fd = pb.fd = fds[0];
        ta = poller_start(&pa, 1, -1);
        tb = poller_start(&pb, 1, -1);
        wp_sleep_ms(round == 0 ? 100 : (unsigned)(round % 4) * 5);
        wp_write_byte(fds[1], 's');
        assert_rc(poller_end(ta, &pa, NULL), 1);
        assert_rc(poller_end(tb, &pb, NULL), 1);
        assert_int_equal(pa.revents, POLLIN);
        assert_int_equal(pb.revents, POLLIN);
        assert_int_equal(wp_read_byte(fds[0]), 's');
    }
    wp_close_pipe(fds);
}

static void closing_a_polled_fd_in_another_thread_neither_crashes_nor_hangs_the_poller(void **state)
{
    struct pollfd p = { 0, POLLIN, 0 };
    struct poller *t;
    int fds[2], rc;
    (void)state;
    wp_pipe(fds, 0);
    p.fd = fds[0];
    t = poller_start(&p, 1, 500);
    wp_sleep_ms(100);
    wp_close(fds[0]);
    rc = poller_end(t, &p, NULL);
    /* Linux keeps the file for the call and returns 0 at the time-out; POSIX leaves it open,
     * so POLLNVAL is accepted too. */
    if (!(rc == 0 && p.revents == 0) && !(rc == 1 && p.revents == POLLNVAL))
        fail_msg("poll returned %d with revents 0x%x", rc, (unsigned)(unsigned short)p.revents);
    wp_close(fds[1]);
}

static void closing_one_polled_fd_does_not_stop_poll_minus1_waking_for_another(void **state)
{
    struct pollfd p[2];
    struct poller *t;
    int a[2], b[2], rc, entered;
    (void)state;
    /* The close must come while poll() sleeps. A loaded machine can start the poll thread only
     * after it (the poll then rightly reports POLLNVAL at once): such a round is done again. */
    for (int round = 0;; round++) {
        wp_pipe(a, 0);
        wp_pipe(b, 0);
        p[0].fd = a[0]; p[0].events = POLLIN;
        p[1].fd = b[0]; p[1].events = POLLIN;
        t = poller_start(p, 2, -1);
        wp_sleep_ms(100);
        entered = __atomic_load_n(&t->entered, __ATOMIC_ACQUIRE);
        wp_close(a[0]);
        wp_sleep_ms(100);
        wp_write_byte(b[1], 'b');
        rc = poller_end(t, p, NULL);
        if (entered)
            break;
        if (round == 20)
            fail_msg("the poll thread never started within 100 ms in 20 rounds");
        wp_close(a[1]);
        wp_close_pipe(b);
    }
    assert_int_equal(p[1].revents, POLLIN);
    /* Linux: POLLNVAL for the closed one once the call re-checks it (rc 2); 0 is accepted. */
    if (p[0].revents != 0 && p[0].revents != POLLNVAL)
        fail_msg("closed fd: revents 0x%x", (unsigned)(unsigned short)p[0].revents);
    assert_int_equal(rc, 1 + (p[0].revents != 0));
    wp_close(a[1]);
    wp_close_pipe(b);
}

/* Linux looks each fd number up again on every scan of the set, after a wake-up as at the
 * time-out: an fd another thread closed meanwhile is POLLNVAL, and one whose number a new pipe
 * took reports that pipe. Here the main thread closes a polled read end and wakes the poller
 * through a second pipe, listed first: any scan that sees the wake-up byte sees what the number
 * means by then, so the result is exact. (Without a wake-up the same holds at the time-out,
 * provided the other thread was done by then.) */

/* poll(-1) in a thread over wake's read end, then a's, both made here. The thread must be in
 * poll() before the caller changes a: one that starts later (a loaded machine) would see the new
 * state in its first scan, before any wake-up, on Linux too. So a round whose thread has not
 * entered poll() within 100 ms is ended (through wake) and done again. */
static struct poller *poll_wake_and_a(int wake[2], int a[2], struct pollfd p[2])
{
    for (int round = 0;; round++) {
        wp_pipe(wake, 0);
        wp_pipe(a, 0);
        p[0].fd = wake[0]; p[0].events = POLLIN; p[0].revents = 0;
        p[1].fd = a[0]; p[1].events = POLLIN; p[1].revents = 0;
        struct poller *t = poller_start(p, 2, -1);
        wp_sleep_ms(100); /* entered, and most likely asleep by now */
        if (__atomic_load_n(&t->entered, __ATOMIC_ACQUIRE))
            return t;
        if (round == 20)
            fail_msg("the poll thread never started within 100 ms in 20 rounds");
        wp_write_byte(wake[1], 'w');
        poller_end(t, p, NULL);
        wp_close_pipe(a);
        wp_close_pipe(wake);
    }
}

static void poll_sees_a_polled_fd_closed_meanwhile_as_pollnval(void **state)
{
    struct pollfd p[2];
    int wake[2], a[2], rc;
    (void)state;
    struct poller *t = poll_wake_and_a(wake, a, p);
    wp_close(a[0]);
    wp_write_byte(wake[1], 'w');
    rc = poller_end(t, p, NULL);
    if (rc != 2 || p[0].revents != POLLIN || p[1].revents != POLLNVAL)
        fail_msg("poll returned %d with revents 0x%x (wake-up pipe), 0x%x (closed fd %d); "
                 "expected 2, POLLIN, POLLNVAL", rc, (unsigned)(unsigned short)p[0].revents,
                 (unsigned)(unsigned short)p[1].revents, a[0]);
    wp_close(a[1]);
    wp_close_pipe(wake);
}

static void poll_sees_a_new_pipe_that_took_a_polled_fds_number(void **state)
{
    struct pollfd p[2];
    int wake[2], a[2], b[2], rc;
    (void)state;
    struct poller *t = poll_wake_and_a(wake, a, p);
    wp_close(a[0]);
    wp_pipe(b, 0);
    wp_write_byte(b[1], 'b');
    wp_write_byte(wake[1], 'w');
    rc = poller_end(t, p, NULL);
    if (b[0] != a[0])
        fail_msg("the new pipe's read end is fd %d, not the freed %d", b[0], a[0]);
    if (rc != 2 || p[0].revents != POLLIN || p[1].revents != POLLIN)
        fail_msg("poll returned %d with revents 0x%x (wake-up pipe), 0x%x (fd %d, now a new "
                 "pipe with data); expected 2, POLLIN, POLLIN", rc,
                 (unsigned)(unsigned short)p[0].revents, (unsigned)(unsigned short)p[1].revents,
                 b[0]);
    assert_int_equal(wp_read_byte(b[0]), 'b');
    wp_close(a[1]);
    wp_close_pipe(b);
    wp_close_pipe(wake);
}

#define PINGPONG_ROUNDS 2000

struct pingpong {
    int in, out; /* the echo thread reads `in`, writes `out` */
    char msg[256];
};

static void *pingpong_echo(void *arg)
{
    struct pingpong *pp = arg;
    int i;
    for (i = 0; i < PINGPONG_ROUNDS; i++) {
        struct pollfd p = { pp->in, POLLIN, 0 };
        unsigned char c = 0, want = wp_pattern((uint64_t)i);
        int rc = poll(&p, 1, -1);
        if (rc != 1 || p.revents != POLLIN) {
            snprintf(pp->msg, sizeof pp->msg, "echo round %d: poll returned %d, revents 0x%x",
                     i, rc, (unsigned)(unsigned short)p.revents);
            break;
        }
        if (read(pp->in, &c, 1) != 1 || c != want) {
            snprintf(pp->msg, sizeof pp->msg, "echo round %d: read 0x%02x, expected 0x%02x", i,
                     c, want);
            break;
        }
        c = (unsigned char)~c;
        if (write(pp->out, &c, 1) != 1) {
            snprintf(pp->msg, sizeof pp->msg, "echo round %d: write failed (errno %d)", i,
                     errno);
            break;
        }
    }
    if (pp->msg[0]) /* wake the main side so that it fails instead of hanging */
        close(pp->out);
    return NULL;
}

static void pingpong_2000_round_trips_with_poll_before_each_read_deliver_exact_bytes(void **state)
{
    struct pingpong pp;
    pthread_t th;
    int to[2], back[2], i;
    char fail[256] = "";
    (void)state;
    wp_pipe(to, 0);
    wp_pipe(back, 0);
    pp.in = to[0];
    pp.out = back[1];
    pp.msg[0] = 0;
    assert_int_equal(pthread_create(&th, NULL, pingpong_echo, &pp), 0);
    for (i = 0; i < PINGPONG_ROUNDS && !fail[0]; i++) {
        struct pollfd p = { back[0], POLLIN, 0 };
        unsigned char c = wp_pattern((uint64_t)i), r = 0;
        int rc;
        wp_write_byte(to[1], c);
        rc = poll(&p, 1, -1);
        if (rc != 1 || p.revents != POLLIN)
            snprintf(fail, sizeof fail, "main round %d: poll returned %d, revents 0x%x", i, rc,
                     (unsigned)(unsigned short)p.revents);
        else if (read(back[0], &r, 1) != 1 || r != (unsigned char)~c)
            snprintf(fail, sizeof fail, "main round %d: read 0x%02x, expected 0x%02x", i, r,
                     (unsigned char)~c);
    }
    if (fail[0])
        wp_close(to[1]); /* wake the echo thread */
    pthread_join(th, NULL);
    if (pp.msg[0])
        fail_msg("%s", pp.msg);
    if (fail[0])
        fail_msg("%s", fail);
    wp_close(to[0]);
    wp_close(to[1]);
    wp_close(back[0]);
    wp_close(back[1]);
}

/* ============================================================================================ */
/* Sockets (connected loopback TCP)                                                            */

static void socket_is_pollout_and_not_pollin_when_nothing_was_sent(void **state)
{
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    assert_revents(s[0], POLLIN | POLLOUT, POLLOUT);
    assert_revents(s[0], POLLIN, 0);
    assert_revents(s[0], POLLOUT, POLLOUT);
    wp_close(s[0]);
    wp_close(s[1]);
}

static void socket_is_pollin_after_peer_sends(void **state)
{
    struct pollfd p;
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    wp_write_byte(s[1], 'q');
    p.fd = s[0];
    p.events = POLLIN;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1); /* loopback delivery may take a moment */
    assert_int_equal(p.revents, POLLIN);
    assert_revents(s[0], POLLIN | POLLOUT, POLLIN | POLLOUT);
    assert_int_equal(wp_read_byte(s[0]), 'q');
    assert_revents(s[0], POLLIN, 0);
    wp_close(s[0]);
    wp_close(s[1]);
}

static void socket_poll_minus1_wakes_when_peer_sends_later(void **state)
{
    struct pollfd p;
    struct act w;
    double t0, el;
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    w.byte = 'l';
    t0 = wp_now_ms(); /* before the writer starts: a late poll thread cannot shorten el */
    act_start(&w, ACT_WRITE, s[1], 200);
    p.fd = s[0];
    p.events = POLLIN;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    el = wp_now_ms() - t0;
    act_join(&w);
    assert_int_equal(p.revents, POLLIN);
    if (el < 150.0)
        fail_msg("poll(-1) returned after %.1f ms, before the send at 200 ms", el);
    assert_int_equal(wp_read_byte(s[0]), 'l');
    wp_close(s[0]);
    wp_close(s[1]);
}

static void socket_after_peer_shutdown_wr_is_pollin_and_reads_eof(void **state)
{
    struct pollfd p;
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    assert_int_equal(sock_shutdown_wr(s[1]), 0);
    p.fd = s[0];
    p.events = POLLIN;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    /* Linux: a received FIN is POLLIN (POLLRDHUP if asked), not POLLHUP: we can still send. */
    assert_int_equal(p.revents, POLLIN);
    assert_revents(s[0], POLLIN | POLLOUT, POLLIN | POLLOUT);
    assert_revents(s[0], 0, 0);
    assert_rc(read(s[0], s, 1), 0);
    assert_revents(s[0], POLLIN, POLLIN);
    wp_close(s[0]);
    wp_close(s[1]);
}

static void socket_poll_minus1_wakes_when_peer_shuts_down_later(void **state)
{
    struct pollfd p;
    struct act w;
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    act_start(&w, ACT_SHUT_WR, s[1], 200);
    p.fd = s[0];
    p.events = POLLIN;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    act_join(&w);
    assert_int_equal(p.revents, POLLIN);
    wp_close(s[0]);
    wp_close(s[1]);
}

static void socket_with_data_after_peer_close_is_pollin_then_reads_data_and_eof(void **state)
{
    struct pollfd p;
    int s[2];
    (void)state;
    sk_tcp_pair(s);
    wp_write_byte(s[1], 'd');
    wp_close(s[1]);
    p.fd = s[0];
    p.events = POLLIN;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    assert_int_equal(p.revents, POLLIN);
    /* The FIN may trail the data: wait until the data is read and EOF is what remains. */
    assert_int_equal(wp_read_byte(s[0]), 'd');
    p.revents = 0;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    assert_int_equal(p.revents, POLLIN);
    assert_revents(s[0], POLLIN | POLLOUT, POLLIN | POLLOUT);
    assert_rc(read(s[0], s, 1), 0);
    wp_close(s[0]);
}

static void socket_and_pipe_in_one_call_each_report_their_own(void **state)
{
    struct pollfd p[3];
    int s[2], fds[2];
    (void)state;
    sk_tcp_pair(s);
    wp_pipe(fds, 0);
    wp_write_byte(s[1], 's');
    p[0].fd = s[0];   p[0].events = POLLIN;
    assert_poll(run_poll(p, 1, -1, NULL), 1, p, 1);
    p[1].fd = fds[0]; p[1].events = POLLIN;
    p[2].fd = fds[1]; p[2].events = POLLOUT;
    assert_poll(poll(p, 3, 0), 2, p, 3);
    assert_int_equal(p[0].revents, POLLIN);
    assert_int_equal(p[1].revents, 0);
    assert_int_equal(p[2].revents, POLLOUT);
    assert_int_equal(wp_read_byte(s[0]), 's');
    p[2].events = 0;
    wp_write_byte(fds[1], 'p');
    assert_poll(poll(p, 3, 0), 1, p, 3);
    assert_int_equal(p[0].revents, 0);
    assert_int_equal(p[1].revents, POLLIN);
    assert_int_equal(p[2].revents, 0);
    wp_close_pipe(fds);
    wp_close(s[0]);
    wp_close(s[1]);
}

/* ============================================================================================ */
/* Windows only / native only                                                                  */

static void win_synchronous_createpipe_ends_report_pollin_and_pollhup(void **state)
{
#ifdef _WIN32
    /* A pipe winpipe did not create (synchronous CreatePipe ends, as a parent without winpipe
     * hands them down) gets no overlapped probe: poll must still report and sleep correctly. */
    HANDLE r, w;
    struct pollfd p;
    struct act wr;
    double t0, el;
    int rfd, wfd;
    (void)state;
    assert_true(CreatePipe(&r, &w, NULL, 0));
    rfd = _open_osfhandle((intptr_t)r, _O_RDONLY);
    wfd = _open_osfhandle((intptr_t)w, _O_WRONLY);
    assert_true(rfd >= 0 && wfd >= 0);
    assert_revents(rfd, POLLIN, 0);
    assert_revents(wfd, POLLOUT, POLLOUT);
    wp_write_byte(wfd, 'a');
    assert_revents(rfd, POLLIN, POLLIN);
    assert_int_equal(wp_read_byte(rfd), 'a');
    assert_revents(rfd, POLLIN, 0);
    wr.byte = 'b';
    t0 = wp_now_ms(); /* before the writer starts: a late poll thread cannot shorten el */
    act_start(&wr, ACT_WRITE, wfd, 200);
    p.fd = rfd;
    p.events = POLLIN;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    el = wp_now_ms() - t0;
    act_join(&wr);
    assert_int_equal(p.revents, POLLIN);
    if (el < 150.0)
        fail_msg("poll(-1) returned after %.1f ms, before the write at 200 ms", el);
    assert_int_equal(wp_read_byte(rfd), 'b');
    wp_close(wfd);
    assert_revents(rfd, POLLIN, POLLHUP);
    wp_close(rfd);
#else
    (void)state;
    skip(); /* Windows only: CreatePipe's synchronous handles have no POSIX counterpart */
#endif
}

static void win_synchronous_createpipe_read_end_poll_minus1_wakes_on_writer_close(void **state)
{
#ifdef _WIN32
    HANDLE r, w;
    struct pollfd p;
    struct act c;
    int rfd, wfd;
    (void)state;
    assert_true(CreatePipe(&r, &w, NULL, 0));
    rfd = _open_osfhandle((intptr_t)r, _O_RDONLY);
    wfd = _open_osfhandle((intptr_t)w, _O_WRONLY);
    assert_true(rfd >= 0 && wfd >= 0);
    act_start(&c, ACT_CLOSE, wfd, 200);
    p.fd = rfd;
    p.events = POLLIN;
    assert_poll(run_poll(&p, 1, -1, NULL), 1, &p, 1);
    act_join(&c);
    assert_int_equal(p.revents, POLLHUP);
    wp_close(rfd);
#else
    (void)state;
    skip(); /* Windows only: see win_synchronous_createpipe_ends_report_pollin_and_pollhup */
#endif
}

static void win_poll_over_more_than_64_pipes_wakes_for_the_last_one(void **state)
{
#ifdef _WIN32
    /* WaitForMultipleObjects stops at 64 handles: the 100th pipe must still wake poll(-1). */
    struct pollfd p[100];
    int fds[100][2], i;
    struct act w;
    (void)state;
    for (i = 0; i < 100; i++) {
        wp_pipe(fds[i], 0);
        p[i].fd = fds[i][0];
        p[i].events = POLLIN;
    }
    w.byte = 'z';
    act_start(&w, ACT_WRITE, fds[99][1], 100);
    assert_poll(run_poll(p, 100, -1, NULL), 1, p, 100);
    act_join(&w);
    assert_only(p, 100, 99, POLLIN);
    for (i = 0; i < 100; i++)
        wp_close_pipe(fds[i]);
#else
    (void)state;
    skip(); /* Windows only: the 64-handle wait limit does not exist natively (many-fd tests cover Linux) */
#endif
}

#ifdef _WIN32
/* The child side of win_console_key_press_is_pollin: test_poll.exe --console-child, started in
 * a console of its own. It writes key events into that console's input buffer and reports on
 * fd 1 what poll() said of CONIN$ as an fd: "NAME=RESULT/REVENTS" per step. */
static int console_key(HANDLE h, BOOL down)
{
    INPUT_RECORD r;
    DWORD n = 0;
    memset(&r, 0, sizeof r);
    r.EventType = KEY_EVENT;
    r.Event.KeyEvent.bKeyDown = down;
    r.Event.KeyEvent.wRepeatCount = 1;
    r.Event.KeyEvent.wVirtualKeyCode = 'A';
    r.Event.KeyEvent.uChar.UnicodeChar = L'a';
    return WriteConsoleInputW(h, &r, 1, &n) && n == 1;
}

static DWORD WINAPI console_key_later(LPVOID h)
{
    Sleep(300);
    console_key(h, TRUE);
    return 0;
}

static const char *console_revents(short r)
{
    return r == POLLIN ? "IN" : r == 0 ? "0" : "other";
}

static int console_child(void)
{
    HANDLE h = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    char out[256];
    size_t len = 0;
    struct pollfd p;
    int fd, r;
    HANDLE th;
    if (h == INVALID_HANDLE_VALUE)
        return 2; /* no console */
    fd = _open_osfhandle((intptr_t)h, _O_RDONLY);
    p.fd = fd;
    p.events = POLLIN;
    FlushConsoleInputBuffer(h);
    r = poll(&p, 1, 0);
    len += snprintf(out + len, sizeof out - len, "empty=%d/%s", r, console_revents(p.revents));
    console_key(h, FALSE); /* a key release is an input event, but nothing to read */
    r = poll(&p, 1, 0);
    len += snprintf(out + len, sizeof out - len, " release=%d/%s", r, console_revents(p.revents));
    console_key(h, TRUE);
    r = poll(&p, 1, 0);
    len += snprintf(out + len, sizeof out - len, " press=%d/%s", r, console_revents(p.revents));
    FlushConsoleInputBuffer(h);
    th = CreateThread(NULL, 0, console_key_later, h, 0, NULL);
    r = poll(&p, 1, 20000); /* sleeps until the other thread's key press */
    len += snprintf(out + len, sizeof out - len, " later=%d/%s\n", r, console_revents(p.revents));
    WaitForSingleObject(th, INFINITE);
    return write(1, out, len) == (ssize_t)len ? 0 : 3;
}
#endif

/* POSIX: a terminal is readable when input is waiting. On Windows that is a key press in the
 * console's input buffer; other input events are not data. The child gets a console with no
 * window (CREATE_NO_WINDOW; under Wine a headless one), so the test needs no terminal. */
static void win_console_key_press_is_pollin(void **state)
{
#ifdef _WIN32
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    WCHAR exe[MAX_PATH], cmd[MAX_PATH + 32];
    HANDLE r, w;
    char out[256];
    DWORD n, total = 0, code;
    (void)state;
    assert_true(GetModuleFileNameW(NULL, exe, MAX_PATH) > 0);
    _snwprintf(cmd, MAX_PATH + 32, L"\"%ls\" --console-child", exe);
    assert_true(CreatePipe(&r, &w, &sa, 0));
    SetHandleInformation(r, HANDLE_FLAG_INHERIT, 0);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = w;
    si.hStdError = w;
    assert_true(CreateProcessW(exe, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi));
    CloseHandle(w);
    while (total < sizeof out - 1 && ReadFile(r, out + total, sizeof out - 1 - total, &n, NULL) && n)
        total += n;
    out[total] = 0;
    CloseHandle(r);
    assert_int_equal(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
    assert_true(GetExitCodeProcess(pi.hProcess, &code));
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    assert_int_equal(code, 0);
    assert_string_equal(out, "empty=0/0 release=0/0 press=1/IN later=1/IN\n");
#else
    (void)state;
    skip(); /* Windows only: console input records; a Linux terminal is a different device (pty) */
#endif
}

static void native_unix_socketpair_is_pollin_after_send(void **state)
{
#ifndef _WIN32
    int s[2];
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    assert_revents(s[0], POLLIN | POLLOUT, POLLOUT);
    wp_write_byte(s[1], 'u');
    assert_revents(s[0], POLLIN | POLLOUT, POLLIN | POLLOUT);
    wp_close(s[1]);
    assert_int_equal(wp_read_byte(s[0]), 'u');
    wp_close(s[0]);
#else
    (void)state;
    skip(); /* native only: Wine 8 has no AF_UNIX sockets (WSAEAFNOSUPPORT), winpipe no socketpair */
#endif
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        /* pipes */
        WP_TEST(empty_read_end_poll_0_returns_0_with_revents_0),
        WP_TEST(read_end_after_write_is_exactly_pollin),
        WP_TEST(read_end_written_before_its_first_poll_is_exactly_pollin),
        WP_TEST(read_end_keeps_pollin_while_data_remains_and_loses_it_when_drained),
        WP_TEST(read_end_with_pollin_pollout_requested_gives_only_pollin),
        WP_TEST(read_end_with_pollrdnorm_requested_gives_pollrdnorm),
        WP_TEST(write_end_of_empty_pipe_is_exactly_pollout),
        WP_TEST(write_end_with_only_pollin_requested_gives_0),
        WP_TEST(write_end_of_partly_filled_pipe_is_pollout),
        WP_TEST(read_end_with_data_after_writer_closed_is_pollin_pollhup),
        WP_TEST(pollhup_and_pollerr_wait_for_the_last_dup_of_the_other_end),
        WP_TEST(read_end_drained_after_writer_closed_is_pollhup_only),
        WP_TEST(read_end_of_never_written_pipe_after_writer_closed_is_pollhup_only),
        WP_TEST(read_end_after_writer_closed_gives_pollhup_even_with_events_0),
        WP_TEST(write_end_after_reader_closed_is_pollout_pollerr),
        WP_TEST(write_end_after_reader_closed_gives_pollerr_even_with_events_0),
        WP_TEST(write_end_with_unread_data_after_reader_closed_is_pollout_pollerr),
        WP_TEST(full_nonblocking_write_end_is_not_pollout),
        WP_TEST(full_write_end_becomes_pollout_when_reader_drains),
        WP_TEST(full_write_end_first_polled_when_full_wakes_when_reader_drains),
        WP_TEST(full_write_end_after_reader_closed_is_pollerr_only),
        WP_TEST(dup_of_read_end_reports_the_same_pollin),
        WP_TEST(same_fd_twice_in_one_call_is_reported_and_counted_twice),
        WP_TEST(poll_counts_ready_fds_not_bits),
        /* sleeping */
        WP_TEST(poll_minus1_on_empty_pipe_wakes_when_another_thread_writes),
        WP_TEST(poll_minus1_wakes_when_a_write_follows_a_nonblocking_read_that_got_eagain),
        WP_TEST(poll_minus1_wakes_with_pollhup_when_the_writer_closes),
        WP_TEST(poll_minus1_on_full_write_end_wakes_with_pollerr_when_the_reader_closes),
        WP_TEST(poll_timeout_300_on_idle_pipe_returns_0_not_before_300_ms),
        WP_TEST(poll_timeout_300_on_two_idle_pipes_and_a_write_end_of_a_full_pipe_returns_0),
        WP_TEST(poll_timeout_1_returns_0_not_before_1_ms),
        WP_TEST(poll_timeout_0_on_idle_pipe_does_not_block),
        WP_TEST(poll_with_nfds_0_and_timeout_100_sleeps_at_least_100_ms_and_returns_0),
        WP_TEST(poll_with_null_fds_nfds_0_timeout_0_returns_0),
        WP_TEST(poll_timeout_1000_on_idle_pipe_uses_under_100_ms_of_cpu),
        WP_TEST(poll_with_nfds_0_and_timeout_1000_uses_under_100_ms_of_cpu),
        /* fds */
        WP_TEST(negative_fd_gets_revents_0_and_is_not_counted),
        WP_TEST(only_negative_fds_with_timeout_100_sleeps_and_returns_0),
        WP_TEST(never_opened_fd_gives_pollnval_and_is_counted),
        WP_TEST(just_closed_pipe_fd_gives_pollnval),
        WP_TEST(bad_fd_makes_poll_minus1_return_at_once),
        WP_TEST(regular_file_is_pollin_pollout),
        WP_TEST(null_device_is_pollin_pollout),
        WP_TEST(null_fds_with_nfds_1_fails_with_efault),
        WP_TEST(nfds_above_the_fd_limit_fails_with_einval),
        WP_TEST(poll_over_many_read_ends_reports_exactly_the_one_with_data),
        WP_TEST(poll_minus1_over_many_read_ends_wakes_for_the_one_written_later),
        WP_TEST(poll_over_more_than_1024_entries_and_fds_reports_only_the_ready_one),
        /* threads */
        WP_TEST(two_threads_polling_different_pipes_each_wake_for_their_own),
        WP_TEST(two_threads_polling_the_same_pipe_both_wake),
        WP_TEST(closing_a_polled_fd_in_another_thread_neither_crashes_nor_hangs_the_poller),
        WP_TEST(closing_one_polled_fd_does_not_stop_poll_minus1_waking_for_another),
        WP_TEST(poll_sees_a_polled_fd_closed_meanwhile_as_pollnval),
        WP_TEST(poll_sees_a_new_pipe_that_took_a_polled_fds_number),
        WP_TEST(pingpong_2000_round_trips_with_poll_before_each_read_deliver_exact_bytes),
        /* sockets */
        WP_TEST(socket_is_pollout_and_not_pollin_when_nothing_was_sent),
        WP_TEST(socket_is_pollin_after_peer_sends),
        WP_TEST(socket_poll_minus1_wakes_when_peer_sends_later),
        WP_TEST(socket_after_peer_shutdown_wr_is_pollin_and_reads_eof),
        WP_TEST(socket_poll_minus1_wakes_when_peer_shuts_down_later),
        WP_TEST(socket_with_data_after_peer_close_is_pollin_then_reads_data_and_eof),
        WP_TEST(socket_and_pipe_in_one_call_each_report_their_own),
        /* one system only */
        WP_TEST(win_synchronous_createpipe_ends_report_pollin_and_pollhup),
        WP_TEST(win_synchronous_createpipe_read_end_poll_minus1_wakes_on_writer_close),
        WP_TEST(win_poll_over_more_than_64_pipes_wakes_for_the_last_one),
        WP_TEST(win_console_key_press_is_pollin),
        WP_TEST(native_unix_socketpair_is_pollin_after_send),
    };
#ifdef _WIN32
    if (argc > 1 && strcmp(argv[1], "--console-child") == 0)
        return console_child();
#endif
    if (argc > 1) /* a test name pattern, for running one test */
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
