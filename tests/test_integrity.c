/* test_integrity: tens of MiB streamed through a pipe between two threads with random write and
 * read sizes; every byte is checked against helper.c's pattern stream (wp_pattern). */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

#include "helper.h"

#define MAX_IO 200000u

/* xorshift64* for the I/O sizes */
static uint64_t xorshift64s(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

static size_t random_size(uint64_t *s)
{
    return 1 + (size_t)(xorshift64s(s) % MAX_IO);
}

/* ---- threads ------------------------------------------------------------------------------------ */

struct side {
    int fd;
    uint64_t total; /* writer: bytes to send */
    uint64_t size_seed;
    /* results */
    uint64_t done;
    unsigned long long calls, eagain;
    int err;
    long long bad_ret;
    int eof, eof_again;
    int closed; /* reader: closed its fd after an error, so that the writer stops (EPIPE) */
    uint64_t bad_off; /* UINT64_MAX if all matched */
};

static void reader_give_up(struct side *rd, ssize_t r)
{
    rd->err = errno ? errno : -1;
    rd->bad_ret = r;
    rd->closed = close(rd->fd) == 0;
}

/* Non-blocking writer: random sizes, retries EAGAIN with a tiny back-off, closes when done. */
static void *nonblocking_writer(void *arg)
{
    struct side *w = arg;
    unsigned char *buf = malloc(MAX_IO);
    uint64_t s = w->size_seed;
    unsigned attempt = 0;
    if (!buf) {
        w->err = ENOMEM;
        close(w->fd);
        return NULL;
    }
    while (w->done < w->total) {
        size_t n = random_size(&s), off = 0;
        if (n > w->total - w->done)
            n = (size_t)(w->total - w->done);
        wp_pattern_fill(buf, w->done, n);
        while (off < n) {
            ssize_t r;
            errno = 0;
            r = write(w->fd, buf + off, n - off);
            w->calls++;
            if (r == -1 && errno == EAGAIN) {
                w->eagain++;
                wp_backoff(attempt++);
                continue;
            }
            if (r <= 0 || (size_t)r > n - off) {
                w->err = errno ? errno : -1;
                w->bad_ret = r;
                goto out;
            }
            attempt = 0;
            off += (size_t)r;
            w->done += (uint64_t)r;
            wp_progress();
        }
    }
out:
    free(buf);
    if (close(w->fd) != 0 && !w->err)
        w->err = errno;
    return NULL;
}

/* Blocking reader: random sizes, checks every byte, stops at EOF and reads EOF once more. */
static void *blocking_reader(void *arg)
{
    struct side *rd = arg;
    unsigned char *buf = malloc(MAX_IO);
    uint64_t s = rd->size_seed;
    rd->bad_off = UINT64_MAX;
    if (!buf) {
        rd->err = ENOMEM;
        return NULL;
    }
    for (;;) {
        size_t n = random_size(&s), bad;
        ssize_t r;
        errno = 0;
        r = read(rd->fd, buf, n);
        rd->calls++;
        if (r == 0) {
            rd->eof = 1;
            break;
        }
        if (r < 0 || (size_t)r > n) {
            reader_give_up(rd, r);
            break;
        }
        bad = wp_pattern_check(buf, rd->done, (size_t)r);
        if (bad != (size_t)r && rd->bad_off == UINT64_MAX)
            rd->bad_off = rd->done + bad;
        rd->done += (uint64_t)r;
        wp_progress();
    }
    if (rd->eof)
        rd->eof_again = read(rd->fd, buf, 1) == 0;
    free(buf);
    return NULL;
}

/* Blocking writer: random sizes; each blocking write must be accepted completely. */
static void *blocking_writer(void *arg)
{
    struct side *w = arg;
    unsigned char *buf = malloc(MAX_IO);
    uint64_t s = w->size_seed;
    if (!buf) {
        w->err = ENOMEM;
        close(w->fd);
        return NULL;
    }
    while (w->done < w->total) {
        size_t n = random_size(&s);
        ssize_t r;
        if (n > w->total - w->done)
            n = (size_t)(w->total - w->done);
        wp_pattern_fill(buf, w->done, n);
        errno = 0;
        r = write(w->fd, buf, n);
        w->calls++;
        if (r != (ssize_t)n) {
            w->err = errno ? errno : -1;
            w->bad_ret = r;
            break;
        }
        w->done += n;
        wp_progress();
    }
    free(buf);
    if (close(w->fd) != 0 && !w->err)
        w->err = errno;
    return NULL;
}

/* Non-blocking reader: random sizes, retries EAGAIN with a tiny back-off. */
static void *nonblocking_reader(void *arg)
{
    struct side *rd = arg;
    unsigned char *buf = malloc(MAX_IO);
    uint64_t s = rd->size_seed;
    unsigned attempt = 0;
    rd->bad_off = UINT64_MAX;
    if (!buf) {
        rd->err = ENOMEM;
        return NULL;
    }
    for (;;) {
        size_t n = random_size(&s), bad;
        ssize_t r;
        errno = 0;
        r = read(rd->fd, buf, n);
        rd->calls++;
        if (r == -1 && errno == EAGAIN) {
            rd->eagain++;
            wp_backoff(attempt++);
            continue;
        }
        attempt = 0;
        if (r == 0) {
            rd->eof = 1;
            break;
        }
        if (r < 0 || (size_t)r > n) {
            reader_give_up(rd, r);
            break;
        }
        bad = wp_pattern_check(buf, rd->done, (size_t)r);
        if (bad != (size_t)r && rd->bad_off == UINT64_MAX)
            rd->bad_off = rd->done + bad;
        rd->done += (uint64_t)r;
        wp_progress();
    }
    if (rd->eof)
        rd->eof_again = read(rd->fd, buf, 1) == 0;
    free(buf);
    return NULL;
}

static void run_stream(uint64_t total, int writer_nonblocking)
{
    pthread_t tw, tr;
    struct side w, rd;
    int p[2];
    wp_pipe(p, 0);
    wp_set_nonblock(writer_nonblocking ? p[1] : p[0], 1);
    memset(&w, 0, sizeof w);
    memset(&rd, 0, sizeof rd);
    w.fd = p[1];
    w.total = total;
    w.size_seed = UINT64_C(0x0123456789ABCDEF);
    rd.fd = p[0];
    rd.size_seed = UINT64_C(0xFEDCBA9876543210);
    assert_int_equal(pthread_create(&tr, NULL,
                                    writer_nonblocking ? blocking_reader : nonblocking_reader,
                                    &rd), 0);
    assert_int_equal(pthread_create(&tw, NULL,
                                    writer_nonblocking ? nonblocking_writer : blocking_writer,
                                    &w), 0);
    assert_int_equal(pthread_join(tw, NULL), 0);
    assert_int_equal(pthread_join(tr, NULL), 0);
    print_message("writer: %llu bytes in %llu calls (%llu EAGAIN); reader: %llu bytes in %llu "
                  "calls (%llu EAGAIN)\n", (unsigned long long)w.done, w.calls, w.eagain,
                  (unsigned long long)rd.done, rd.calls, rd.eagain);
    if (w.err)
        fail_msg("writer failed after %llu bytes: returned %lld, errno %d (%s)",
                 (unsigned long long)w.done, w.bad_ret, w.err, strerror(w.err));
    if (rd.err)
        fail_msg("reader failed after %llu bytes: returned %lld, errno %d (%s)",
                 (unsigned long long)rd.done, rd.bad_ret, rd.err, strerror(rd.err));
    if (rd.bad_off != UINT64_MAX)
        fail_msg("wrong byte at stream offset %llu", (unsigned long long)rd.bad_off);
    assert_int_equal(w.done, total);
    assert_int_equal(rd.done, total);
    assert_int_equal(rd.eof, 1);
    assert_int_equal(rd.eof_again, 1);
    assert_int_equal(rd.closed, 0);
    wp_close(p[0]);
}

static void stream_64_mib_nonblocking_random_writes_blocking_random_reads_exact(void **s)
{
    (void)s;
    run_stream(((uint64_t)64 << 20) + 4099, 1);
}

static void stream_16_mib_blocking_random_writes_nonblocking_random_reads_exact(void **s)
{
    (void)s;
    run_stream(((uint64_t)16 << 20) + 777, 0);
}

static void stream_generator_is_deterministic_and_offset_addressable(void **state)
{
    unsigned char a[1000], b[1000];
    (void)state;
    wp_pattern_fill(a, 12345, sizeof a);
    wp_pattern_fill(b, 12345, 10);
    wp_pattern_fill(b + 10, 12355, sizeof b - 10);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(wp_pattern_check(a, 12345, sizeof a), sizeof a);
    a[777] ^= 1;
    assert_int_equal(wp_pattern_check(a, 12345, sizeof a), 777);
    assert_int_equal(wp_pattern_check(b, 12346, sizeof b) < 16, 1); /* shifted by one: caught */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(stream_generator_is_deterministic_and_offset_addressable),
        WP_TEST(stream_64_mib_nonblocking_random_writes_blocking_random_reads_exact),
        WP_TEST(stream_16_mib_blocking_random_writes_nonblocking_random_reads_exact),
    };
    return cmocka_run_group_tests(tests, wp_group_ignore_sigpipe, wp_group_restore_sigpipe);
}
