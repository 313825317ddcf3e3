/* test_io: read() and write() on pipes: short reads, EAGAIN, EOF, capacity, PIPE_BUF atomicity,
 * zero-length I/O, bad fds and buffers, threaded transfer, O_NONBLOCK toggling. */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

#include "helper.h"

/* ---- short reads, EAGAIN, EOF ----------------------------------------------------------------- */

static void blocking_read_returns_available_bytes_without_waiting_for_full_count(void **state)
{
    char buf[1000];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_rc(write(p[1], "0123456789", 10), 10);
    assert_rc(read(p[0], buf, sizeof buf), 10); /* watchdog catches a wait for 1000 */
    assert_memory_equal(buf, "0123456789", 10);
    wp_close_pipe(p);
}

static void blocking_read_returns_all_bytes_of_two_buffered_writes(void **state)
{
    char buf[100];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_rc(write(p[1], "abc", 3), 3);
    assert_rc(write(p[1], "defg", 4), 4);
    assert_rc(read(p[0], buf, sizeof buf), 7);
    assert_memory_equal(buf, "abcdefg", 7);
    wp_close_pipe(p);
}

static void nonblocking_read_of_empty_pipe_fails_with_eagain(void **state)
{
    char buf[16];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN); /* EAGAIN exactly, never EWOULDBLOCK */
    assert_errno(read(p[0], buf, 1), EAGAIN);
    /* again after data came and went */
    assert_rc(write(p[1], "xy", 2), 2);
    assert_rc(read(p[0], buf, sizeof buf), 2);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close_pipe(p);
}

static void nonblocking_read_of_empty_pipe_without_writers_returns_0(void **state)
{
    char buf[16];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    wp_close(p[1]);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    wp_close(p[0]);
}

static void read_after_writers_gone_returns_remaining_data_then_0_repeatedly(void **state)
{
    char buf[16];
    int p[2], i;
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(write(p[1], "hello", 5), 5);
    wp_close(p[1]);
    assert_rc(read(p[0], buf, 2), 2);
    assert_memory_equal(buf, "he", 2);
    assert_rc(read(p[0], buf, sizeof buf), 3);
    assert_memory_equal(buf, "llo", 3);
    for (i = 0; i < 5; i++)
        assert_rc(read(p[0], buf, sizeof buf), 0);
    wp_close(p[0]);
}

/* ---- capacity -------------------------------------------------------------------------------- */

/*
 * Linux's capacity is 16 page slots, so the byte count before EAGAIN depends on the write size:
 * 65536 for chunks dividing or multiple of 4096 (1, 512, 4096, 65536), but e.g. 64000 for
 * chunks of 100 or 1000 and 54096 for chunks of 5000. Only the former are asserted here.
 */
static void fill_and_check(size_t chunk)
{
    unsigned char byte;
    int p[2], eof = 0;
    size_t filled, drained;
    wp_pipe(p, O_NONBLOCK);
    filled = wp_fill(p[1], 0, chunk);
    if (filled < WP_PIPE_CAPACITY || filled > WP_PIPE_FILL_MAX)
        fail_msg("chunk %zu: %zu bytes accepted before EAGAIN, expected %zu..%zu", chunk,
                 filled, WP_PIPE_CAPACITY, WP_PIPE_FILL_MAX);
    drained = wp_drain(p[0], 0, &eof); /* checks every byte against the stream */
    assert_int_equal(eof, 0);
    assert_int_equal(drained, filled);
    wp_close(p[1]);
    /* EOF at once after the last writer closed: 0, not EAGAIN */
    assert_rc(read(p[0], &byte, 1), 0);
    wp_close(p[0]);
}

static void nonblocking_fill_with_4096_byte_writes_accepts_64k_and_reads_back_in_order(void **s)
{
    (void)s;
    fill_and_check(4096);
}

static void nonblocking_fill_with_512_byte_writes_accepts_64k_and_reads_back_in_order(void **s)
{
    (void)s;
    fill_and_check(512);
}

static void nonblocking_fill_with_64_byte_writes_accepts_64k_and_reads_back_in_order(void **s)
{
    (void)s;
    fill_and_check(64);
}

static void nonblocking_fill_with_64k_writes_accepts_64k_and_reads_back_in_order(void **s)
{
    (void)s;
    fill_and_check(65536);
}

static void nonblocking_write_larger_than_pipe_buf_into_empty_pipe_accepts_part(void **state)
{
    static unsigned char buf[100000];
    int p[2];
    ssize_t r;
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    wp_pattern_fill(buf, 0, sizeof buf);
    errno = 0;
    r = write(p[1], buf, sizeof buf); /* Linux: 65536 */
    if (r <= 0 || (size_t)r > sizeof buf)
        fail_msg("write(100000) into empty non-blocking pipe returned %lld (errno %d: %s)",
                 (long long)r, errno, strerror(errno));
    assert_int_equal(wp_drain(p[0], 0, NULL), (size_t)r);
    wp_close_pipe(p);
}

/* ---- PIPE_BUF atomicity ---------------------------------------------------------------------- */

static void writes_up_to_pipe_buf_into_nearly_full_pipe_are_all_or_nothing(void **state)
{
    const size_t freed[] = { 1, 100, 2000, 4095, 4096, 4097, 10000 };
    const size_t sizes[] = { 4096, 4095, 3000, 2048, 1000, 100, 1 };
    static unsigned char rbuf[16384], wbuf[4096];
    size_t i, j, full_writes = 0, refused = 0;
    (void)state;
    assert_true(WP_PIPE_BUF >= 4096);
    for (i = 0; i < sizeof freed / sizeof freed[0]; i++) {
        int p[2];
        uint64_t written, read_off;
        wp_pipe(p, O_NONBLOCK);
        written = wp_fill(p[1], 0, 4096);
        /* make freed[i] bytes of room */
        wp_read_exact(p[0], rbuf, freed[i]);
        assert_int_equal(wp_pattern_check(rbuf, 0, freed[i]), freed[i]);
        read_off = freed[i];
        for (j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            ssize_t r;
            wp_pattern_fill(wbuf, written, sizes[j]);
            errno = 0;
            r = write(p[1], wbuf, sizes[j]);
            if (r == (ssize_t)sizes[j]) {
                written += sizes[j];
                full_writes++;
            } else if (r == -1 && errno == EAGAIN) {
                refused++;
            } else {
                fail_msg("room %zu: write(%zu) returned %lld (errno %d: %s): not all-or-nothing",
                         freed[i], sizes[j], (long long)r, errno, strerror(errno));
            }
        }
        /* everything accepted comes out in order, nothing else */
        assert_int_equal(wp_drain(p[0], read_off, NULL), written - read_off);
        wp_close_pipe(p);
    }
    /* The scenario must have exercised both outcomes (Linux: 5 full writes, 44 refused). */
    assert_true(full_writes > 0);
    assert_true(refused > 0);
}

/* ---- zero-length I/O ------------------------------------------------------------------------- */

static void zero_length_write_returns_0_and_writes_nothing(void **state)
{
    char buf[4];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(write(p[1], "abc", 0), 0);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close_pipe(p);
}

static void zero_length_write_into_full_nonblocking_pipe_returns_0(void **state)
{
    int p[2];
    size_t filled;
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    filled = wp_fill(p[1], 0, 4096);
    assert_rc(write(p[1], "abc", 0), 0);
    assert_int_equal(wp_drain(p[0], 0, NULL), filled);
    wp_close_pipe(p);
}

static void zero_length_read_of_empty_nonblocking_pipe_returns_0(void **state)
{
    char buf[4];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(read(p[0], buf, 0), 0);
    wp_close_pipe(p);
}

static void zero_length_read_of_empty_blocking_pipe_returns_0_without_waiting(void **state)
{
    char buf[4];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_rc(read(p[0], buf, 0), 0); /* a hang here is caught by the watchdog */
    wp_close_pipe(p);
}

static void zero_length_read_returns_0_and_consumes_nothing(void **state)
{
    char buf[4];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(write(p[1], "abc", 3), 3);
    assert_rc(read(p[0], buf, 0), 0);
    assert_rc(read(p[0], buf, sizeof buf), 3);
    assert_memory_equal(buf, "abc", 3);
    wp_close_pipe(p);
}

/* ---- bad fds ----------------------------------------------------------------------------------- */

static void read_write_close_on_minus_1_fail_with_ebadf(void **state)
{
    char buf[4] = "abc";
    (void)state;
    assert_errno(read(-1, buf, sizeof buf), EBADF);
    assert_errno(write(-1, buf, sizeof buf), EBADF);
    assert_errno(close(-1), EBADF);
}

static void read_write_close_on_100000_fail_with_ebadf(void **state)
{
    char buf[4] = "abc";
    (void)state;
    assert_errno(read(100000, buf, sizeof buf), EBADF);
    assert_errno(write(100000, buf, sizeof buf), EBADF);
    assert_errno(close(100000), EBADF);
}

static void read_write_close_on_closed_pipe_fds_fail_with_ebadf(void **state)
{
    char buf[4] = "abc";
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_close_pipe(p);
    assert_errno(read(p[0], buf, sizeof buf), EBADF);
    assert_errno(write(p[1], buf, sizeof buf), EBADF);
    assert_errno(close(p[0]), EBADF);
    assert_errno(close(p[1]), EBADF);
}

/* ---- bad buffers ----------------------------------------------------------------------------- */

static void read_into_null_buffer_from_pipe_with_data_fails_with_efault(void **state)
{
    /* Linux checks emptiness first: on an EMPTY non-blocking pipe read(fd, NULL, n) gives
     * EAGAIN, so only the pipe-with-data case is asserted. The data stays in the pipe. */
    char *volatile nullbuf = NULL;
    char buf[8];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(write(p[1], "abc", 3), 3);
    assert_errno(read(p[0], nullbuf, 10), EFAULT);
    assert_rc(read(p[0], buf, sizeof buf), 3);
    assert_memory_equal(buf, "abc", 3);
    wp_close_pipe(p);
}

static void write_from_null_buffer_to_pipe_with_data_fails_with_efault(void **state)
{
    char *volatile nullbuf = NULL;
    char buf[16];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(write(p[1], "abc", 3), 3);
    assert_errno(write(p[1], nullbuf, 10), EFAULT);
    assert_errno(write(p[1], nullbuf, 5000), EFAULT);
    /* nothing of the failed writes arrived */
    assert_rc(read(p[0], buf, sizeof buf), 3);
    assert_memory_equal(buf, "abc", 3);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close_pipe(p);
}

static void write_from_null_buffer_to_empty_pipe_fails_with_efault(void **state)
{
    char *volatile nullbuf = NULL;
    char buf[16];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_errno(write(p[1], nullbuf, 10), EFAULT);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close_pipe(p);
}

/* ---- counts and ranges no address space holds ------------------------------------------------- */

/* Linux checks (buf, count) against the address space before it looks at the pipe: a count above
 * SSIZE_MAX, or a range that wraps past the top of the address space, is EFAULT whether the pipe
 * is blocking or not, empty or not, and before EAGAIN, EOF or EPIPE. Both are cheap to refuse
 * before touching the buffer. Each call gets a fresh pipe; every call that does not give -1 with
 * EFAULT is printed, then the test fails. */
enum { BAD_EMPTY, BAD_DATA, BAD_PEER_GONE };

/* At least what a non-blocking write copies at once (64 KiB): a write that wrongly takes the
 * count stays inside it. */
static char bad_range_buf[1 << 17];

/* One call; 1 if it did not give -1 with EFAULT. */
static int bad_range_call(int is_write, int nonblock, int st, void *buf, size_t count,
                          const char *what)
{
    static const char *const states[] = { "empty", "with data", "other end closed" };
    int p[2], e;
    ssize_t r;
    wp_pipe(p, nonblock ? O_NONBLOCK : 0);
    if (st == BAD_DATA)
        wp_write_byte(p[1], 'd');
    if (st == BAD_PEER_GONE)
        wp_close(p[is_write ? 0 : 1]);
    errno = 0;
    r = is_write ? write(p[1], buf, count) : read(p[0], buf, count);
    e = errno;
    if (r != -1 || e != EFAULT)
        print_error("  %s(%s), %s pipe, %s: %lld, errno %d (%s)\n", is_write ? "write" : "read",
                    what, nonblock ? "non-blocking" : "blocking", states[st], (long long)r, e,
                    strerror(e));
    /* The read end first: a write wrongly taken then fails instead of keeping close waiting. */
    if (!(st == BAD_PEER_GONE && is_write))
        wp_close(p[0]);
    if (!(st == BAD_PEER_GONE && !is_write))
        wp_close(p[1]);
    return r != -1 || e != EFAULT;
}

/* Every pipe state and mode for one (buf, count), the empty read and the reader-less write
 * included; how many calls gave no EFAULT. */
static int bad_range_all(void *buf, size_t count, const char *what)
{
    int bad = 0;
    for (int nonblock = 0; nonblock < 2; nonblock++) {
        for (int st = BAD_EMPTY; st <= BAD_PEER_GONE; st++) {
            bad += bad_range_call(1, nonblock, st, buf, count, what);
            bad += bad_range_call(0, nonblock, st, buf, count, what);
        }
    }
    return bad;
}

static void counts_above_ssize_max_are_efault(void **state)
{
    /* volatile: the compiler would warn of counts larger than any object */
    volatile size_t max = SIZE_MAX, above = (size_t)SSIZE_MAX + 1;
    volatile size_t to_wrap = SIZE_MAX - (size_t)(uintptr_t)bad_range_buf + 2; /* ends at 1 */
    int bad;
    (void)state;
    bad = bad_range_all(bad_range_buf, max, "buf, SIZE_MAX");
    bad += bad_range_all(bad_range_buf, above, "buf, SSIZE_MAX + 1");
    bad += bad_range_all(bad_range_buf, to_wrap, "buf, to 1 past the top");
    if (bad)
        fail_msg("%d of 36 calls did not give -1 with EFAULT (listed above)", bad);
}

/* A small count from the last bytes of the address space wraps too. Registered last: a
 * winpipe that reads such a buffer may end the program. */
static void a_range_wrapping_past_the_top_is_efault(void **state)
{
    void *volatile top = (void *)(UINTPTR_MAX - 7);
    int bad;
    (void)state;
    bad = bad_range_all(top, 16, "UINTPTR_MAX - 7, 16");
    if (bad)
        fail_msg("%d of 12 calls did not give -1 with EFAULT (listed above)", bad);
}

/* ---- threads ----------------------------------------------------------------------------------- */

#define MIB ((size_t)1 << 20)

struct writer_arg {
    int fd;
    size_t total;
    size_t chunk;
    unsigned delay_ms;
    /* results */
    size_t written;
    int err;
    long long bad_ret;
};

/* Blocking writer: every write must return its full count (no signals here). */
static void *blocking_writer(void *arg)
{
    struct writer_arg *a = arg;
    unsigned char *buf = malloc(a->chunk);
    if (!buf) {
        a->err = ENOMEM;
        return NULL;
    }
    if (a->delay_ms)
        wp_sleep_ms(a->delay_ms);
    while (a->written < a->total) {
        size_t n = a->total - a->written < a->chunk ? a->total - a->written : a->chunk;
        ssize_t r;
        wp_pattern_fill(buf, a->written, n);
        errno = 0;
        r = write(a->fd, buf, n);
        if (r != (ssize_t)n) {
            a->bad_ret = r;
            a->err = errno ? errno : -1;
            break;
        }
        a->written += n;
    }
    free(buf);
    close(a->fd);
    return NULL;
}

struct reader_arg {
    int fd;
    unsigned delay_ms;
    size_t max_read;
    /* results */
    size_t got;
    int eof;
    int err;
    size_t bad_off; /* (size_t)-1 if all bytes matched */
};

/* Blocking reader: reads until EOF (or until max_read bytes if max_read != 0, in ONE read when
 * max_read is given), checking the stream. */
static void *blocking_reader(void *arg)
{
    struct reader_arg *a = arg;
    size_t cap = a->max_read ? a->max_read : 70001; /* odd size: reads straddle writes */
    unsigned char *buf = malloc(cap);
    a->bad_off = (size_t)-1;
    if (!buf) {
        a->err = ENOMEM;
        return NULL;
    }
    if (a->delay_ms)
        wp_sleep_ms(a->delay_ms);
    for (;;) {
        ssize_t r;
        size_t bad;
        errno = 0;
        r = read(a->fd, buf, cap);
        if (r == 0) {
            a->eof = 1;
            break;
        }
        if (r < 0) {
            a->err = errno;
            break;
        }
        bad = wp_pattern_check(buf, a->got, (size_t)r);
        if (bad != (size_t)r && a->bad_off == (size_t)-1)
            a->bad_off = a->got + bad;
        a->got += (size_t)r;
        if (a->max_read)
            break;
    }
    free(buf);
    return NULL;
}

static void blocking_writer_thread_transfers_1_mib_exactly_to_reader(void **state)
{
    pthread_t t;
    struct writer_arg w;
    int p[2], eof = 0, read_err = 0;
    size_t got = 0, bad_off = (size_t)-1;
    static unsigned char buf[70001];
    (void)state;
    wp_pipe(p, 0);
    memset(&w, 0, sizeof w);
    w.fd = p[1];
    w.total = MIB;
    w.chunk = 100000;
    assert_int_equal(pthread_create(&t, NULL, blocking_writer, &w), 0);
    for (;;) {
        ssize_t r;
        errno = 0;
        r = read(p[0], buf, sizeof buf);
        if (r == 0) {
            eof = 1;
            break;
        }
        if (r < 0) {
            read_err = errno;
            break;
        }
        if (bad_off == (size_t)-1 && wp_pattern_check(buf, got, (size_t)r) != (size_t)r)
            bad_off = got + wp_pattern_check(buf, got, (size_t)r);
        got += (size_t)r;
    }
    if (!eof)
        close(p[0]); /* unblocks the writer (EPIPE) so that the join cannot hang */
    assert_int_equal(pthread_join(t, NULL), 0);
    if (read_err)
        fail_msg("read failed after %zu bytes: errno %d (%s)", got, read_err,
                 strerror(read_err));
    if (bad_off != (size_t)-1)
        fail_msg("wrong byte at stream offset %zu", bad_off);
    if (w.err)
        fail_msg("writer: write returned %lld, errno %d after %zu bytes", w.bad_ret, w.err,
                 w.written);
    assert_int_equal(w.written, MIB);
    assert_int_equal(eof, 1);
    assert_int_equal(got, MIB);
    wp_close(p[0]);
}

static void writer_closing_right_after_filling_write_loses_no_byte(void **state)
{
    unsigned char byte;
    int p[2], eof = 0;
    size_t filled;
    (void)state;
    size_t drained;
    wp_pipe(p, O_NONBLOCK);
    filled = wp_fill(p[1], 0, 4096);
    wp_close(p[1]); /* immediately after the last accepted write */
    drained = wp_drain(p[0], 0, &eof); /* checks every byte against the stream */
    /* Linux ends this drain at EOF. winpipe may end it at one EAGAIN: the closed write end stays
     * open until its last write-behind is drained, and then closes on another thread (see
     * compat-docs/read-write.md). Either way: every byte, then EOF for a blocking read. */
#ifndef _WIN32
    assert_int_equal(eof, 1);
#endif
    assert_int_equal(drained, filled);
    wp_set_nonblock(p[0], 0);
    assert_rc(read(p[0], &byte, 1), 0);
    wp_close(p[0]);
}

static void writer_closing_right_after_nonblocking_writes_loses_no_byte_to_reader_thread(
    void **state)
{
    pthread_t t;
    struct reader_arg ra;
    static unsigned char buf[65536];
    int p[2];
    size_t total = 0;
    unsigned attempt = 0;
    (void)state;
    wp_pipe(p, 0);
    wp_set_nonblock(p[1], 1);
    memset(&ra, 0, sizeof ra);
    ra.fd = p[0];
    assert_int_equal(pthread_create(&t, NULL, blocking_reader, &ra), 0);
    while (total < MIB) {
        size_t n = MIB - total < sizeof buf ? MIB - total : sizeof buf;
        ssize_t r;
        wp_pattern_fill(buf, total, n);
        errno = 0;
        r = write(p[1], buf, n);
        if (r == -1 && errno == EAGAIN) {
            wp_backoff(attempt++);
            continue;
        }
        if (r <= 0)
            fail_msg("write returned %lld (errno %d: %s) after %zu bytes", (long long)r, errno,
                     strerror(errno), total);
        attempt = 0;
        total += (size_t)r;
    }
    wp_close(p[1]); /* right after the last successful write: pending data must survive */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(ra.err, 0);
    assert_int_equal(ra.bad_off, (size_t)-1);
    assert_int_equal(ra.got, MIB);
    assert_int_equal(ra.eof, 1);
    wp_close(p[0]);
}

struct filler_arg {
    int fd;
    pthread_mutex_t lock;
    pthread_cond_t done;
    /* results */
    int finished;
    size_t filled;
    int err; /* errno of the write that ended the fill: EAGAIN expected */
};

/* Non-blocking writer that fills the pipe with the pattern stream until EAGAIN, says how much
 * it wrote and returns at once: its thread ends with the write end open and the last bytes it
 * was told were written possibly still on their way into the pipe. */
static void *filling_writer(void *arg)
{
    struct filler_arg *a = arg;
    static unsigned char buf[4096];
    size_t filled = 0;
    ssize_t r;
    for (;;) {
        wp_pattern_fill(buf, filled, sizeof buf);
        errno = 0;
        r = write(a->fd, buf, sizeof buf);
        if (r <= 0)
            break;
        filled += (size_t)r;
    }
    pthread_mutex_lock(&a->lock);
    a->err = r == 0 ? -1 : errno;
    a->filled = filled;
    a->finished = 1;
    pthread_cond_signal(&a->done);
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* POSIX: bytes a write() accepted are in the pipe, whatever becomes of the thread that wrote
 * them. Windows cancels an exiting thread's pending I/O (Wine on every handle): winpipe's TLS
 * callback makes the thread wait for its own write-behinds first (lib/init.c), so a build whose
 * compiler or linker dropped the callback never gets the last bytes here (the watchdog ends the
 * wait). The reader waits a little first, so that the thread is most likely exiting by then, and
 * reads while it exits: that exit may be waiting for room. */
static void writer_thread_exiting_right_after_filling_writes_loses_no_byte(void **state)
{
    pthread_t t;
    struct filler_arg fa;
    static unsigned char buf[1 << 17];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_set_nonblock(p[1], 1);
    memset(&fa, 0, sizeof fa);
    fa.fd = p[1];
    assert_int_equal(pthread_mutex_init(&fa.lock, NULL), 0);
    assert_int_equal(pthread_cond_init(&fa.done, NULL), 0);
    assert_int_equal(pthread_create(&t, NULL, filling_writer, &fa), 0);
    pthread_mutex_lock(&fa.lock);
    while (!fa.finished)
        pthread_cond_wait(&fa.done, &fa.lock);
    pthread_mutex_unlock(&fa.lock);
    assert_int_equal(fa.err, EAGAIN);
    assert_true(fa.filled > 0 && fa.filled <= sizeof buf);
    wp_sleep_ms(200);
    wp_read_exact(p[0], buf, fa.filled);
    assert_int_equal(wp_pattern_check(buf, 0, fa.filled), fa.filled);
    assert_int_equal(pthread_join(t, NULL), 0);
    /* Nothing more than was accepted, and the write end still open: EAGAIN, not EOF. */
    wp_set_nonblock(p[0], 1);
    assert_errno(read(p[0], buf, 1), EAGAIN);
    wp_close(p[1]);
    wp_set_nonblock(p[0], 0);
    assert_rc(read(p[0], buf, 1), 0);
    wp_close(p[0]);
    pthread_cond_destroy(&fa.done);
    pthread_mutex_destroy(&fa.lock);
}

/* ---- O_NONBLOCK toggling at run time ----------------------------------------------------------- */

static void clearing_o_nonblock_makes_read_wait_for_a_late_writer(void **state)
{
    pthread_t t;
    struct writer_arg w;
    static unsigned char buf[64];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    wp_set_nonblock(p[0], 1);
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_set_nonblock(p[0], 0);
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY);
    memset(&w, 0, sizeof w);
    w.fd = p[1];
    w.total = 5;
    w.chunk = 5;
    w.delay_ms = 200;
    assert_int_equal(pthread_create(&t, NULL, blocking_writer, &w), 0);
    /* blocks until the writer's 5 bytes arrive (no EAGAIN, no 0) */
    assert_rc(read(p[0], buf, sizeof buf), 5);
    assert_int_equal(wp_pattern_check(buf, 0, 5), 5);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.err, 0);
    assert_rc(read(p[0], buf, sizeof buf), 0); /* writer closed its end */
    /* and switching back on gives EAGAIN-free EOF, still 0 */
    wp_set_nonblock(p[0], 1);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    wp_close(p[0]);
}

static void clearing_o_nonblock_makes_write_to_full_pipe_wait_for_a_late_reader(void **state)
{
    pthread_t t;
    struct reader_arg ra;
    unsigned char one;
    int p[2], eof = 0;
    size_t filled, rest;
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    filled = wp_fill(p[1], 0, 4096);
    wp_pattern_fill(&one, filled, 1);
    assert_errno(write(p[1], &one, 1), EAGAIN);
    wp_set_nonblock(p[1], 0);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY);
    memset(&ra, 0, sizeof ra);
    ra.fd = p[0];
    ra.delay_ms = 200;
    ra.max_read = 1 << 20; /* one read, taking whatever is there */
    assert_int_equal(pthread_create(&t, NULL, blocking_reader, &ra), 0);
    /* blocks until the reader made room, then succeeds completely */
    assert_rc(write(p[1], &one, 1), 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(ra.err, 0);
    assert_int_equal(ra.bad_off, (size_t)-1);
    assert_true(ra.got > 0);
    wp_close(p[1]);
    rest = wp_drain(p[0], ra.got, &eof);
    assert_int_equal(ra.got + rest, filled + 1);
    assert_int_equal(eof, 1);
    wp_close(p[0]);
}

/* ---- stdio on pipe fds ----------------------------------------------------------------------- */

static void stdio_fdopen_fputs_fgets_round_trip_then_eof(void **state)
{
    char line[64];
    FILE *out, *in;
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    out = fdopen(p[1], "wb"); /* "b": no newline translation on Windows, ignored by POSIX */
    assert_non_null(out);
    in = fdopen(p[0], "rb");
    assert_non_null(in);
    assert_true(fputs("first line\n", out) >= 0);
    assert_true(fputs("second\n", out) >= 0);
    assert_int_equal(fflush(out), 0);
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "first line\n");
    assert_true(fputs("no newline at end", out) >= 0);
    assert_int_equal(fclose(out), 0); /* closes p[1]: the reader sees EOF after the data */
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "second\n");
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "no newline at end");
    assert_null(fgets(line, sizeof line, in));
    assert_true(feof(in));
    assert_false(ferror(in));
    assert_int_equal(fclose(in), 0);
    assert_errno(close(p[0]), EBADF); /* fclose closed the fds */
    assert_errno(close(p[1]), EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(blocking_read_returns_available_bytes_without_waiting_for_full_count),
        WP_TEST(blocking_read_returns_all_bytes_of_two_buffered_writes),
        WP_TEST(nonblocking_read_of_empty_pipe_fails_with_eagain),
        WP_TEST(nonblocking_read_of_empty_pipe_without_writers_returns_0),
        WP_TEST(read_after_writers_gone_returns_remaining_data_then_0_repeatedly),
        WP_TEST(nonblocking_fill_with_4096_byte_writes_accepts_64k_and_reads_back_in_order),
        WP_TEST(nonblocking_fill_with_512_byte_writes_accepts_64k_and_reads_back_in_order),
        WP_TEST(nonblocking_fill_with_64k_writes_accepts_64k_and_reads_back_in_order),
        WP_TEST(nonblocking_write_larger_than_pipe_buf_into_empty_pipe_accepts_part),
        WP_TEST(writes_up_to_pipe_buf_into_nearly_full_pipe_are_all_or_nothing),
        WP_TEST(zero_length_write_returns_0_and_writes_nothing),
        WP_TEST(zero_length_write_into_full_nonblocking_pipe_returns_0),
        WP_TEST(zero_length_read_of_empty_nonblocking_pipe_returns_0),
        WP_TEST(zero_length_read_of_empty_blocking_pipe_returns_0_without_waiting),
        WP_TEST(zero_length_read_returns_0_and_consumes_nothing),
        WP_TEST(read_write_close_on_minus_1_fail_with_ebadf),
        WP_TEST(read_write_close_on_100000_fail_with_ebadf),
        WP_TEST(read_write_close_on_closed_pipe_fds_fail_with_ebadf),
        WP_TEST(read_into_null_buffer_from_pipe_with_data_fails_with_efault),
        WP_TEST(write_from_null_buffer_to_pipe_with_data_fails_with_efault),
        WP_TEST(write_from_null_buffer_to_empty_pipe_fails_with_efault),
        WP_TEST(blocking_writer_thread_transfers_1_mib_exactly_to_reader),
        WP_TEST(writer_closing_right_after_filling_write_loses_no_byte),
        WP_TEST(writer_closing_right_after_nonblocking_writes_loses_no_byte_to_reader_thread),
        WP_TEST(writer_thread_exiting_right_after_filling_writes_loses_no_byte),
        WP_TEST(clearing_o_nonblock_makes_read_wait_for_a_late_writer),
        WP_TEST(clearing_o_nonblock_makes_write_to_full_pipe_wait_for_a_late_reader),
        /* last: the slowest test (1024 writes of 64 bytes) and stdio, which goes through the CRT */
        WP_TEST(nonblocking_fill_with_64_byte_writes_accepts_64k_and_reads_back_in_order),
        WP_TEST(stdio_fdopen_fputs_fgets_round_trip_then_eof),
        WP_TEST(counts_above_ssize_max_are_efault),
        WP_TEST(a_range_wrapping_past_the_top_is_efault), /* last: see there */
    };
    return cmocka_run_group_tests(tests, wp_group_ignore_sigpipe, wp_group_restore_sigpipe);
}
