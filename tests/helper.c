/* Shared helpers for winpipe's cmocka tests; see helper.h. */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>

#include "helper.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <sys/resource.h>
#endif

/* Unbuffered output for every test program that links this helper: a test process that dies
 * (a crash in another thread, TerminateProcess) still leaves each cmocka line it printed in its
 * log, which names the test that was running. */
__attribute__((constructor)) static void wp_unbuffered_output(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Watchdog                                                                                   */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static int wd_armed;
static time_t wd_deadline;
static unsigned wd_seconds;
static char wd_name[128];

static void *wd_thread(void *arg)
{
    sigset_t all;
    (void)arg;
    /* A signal for the process goes to a thread of the test's, never to this one (Linux would
     * pick any thread that does not block it). */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        wp_sleep_ms(250);
        pthread_mutex_lock(&wd_lock);
        if (wd_armed && time(NULL) > wd_deadline) {
            fprintf(stderr, "\nWATCHDOG: test '%s' still running after %u s: hung, aborting\n",
                    wd_name, wd_seconds);
            fflush(stderr);
            fflush(stdout);
            _exit(99);
        }
        pthread_mutex_unlock(&wd_lock);
    }
    return NULL;
}

static void wd_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, wd_thread, NULL) != 0) {
        fprintf(stderr, "WATCHDOG: cannot start watchdog thread\n");
        _exit(98);
    }
    pthread_detach(t);
}

void wp_watchdog_arm(const char *name, unsigned seconds)
{
    pthread_once(&wd_once, wd_start);
    pthread_mutex_lock(&wd_lock);
    snprintf(wd_name, sizeof wd_name, "%s", name ? name : "?");
    wd_seconds = seconds;
    wd_deadline = time(NULL) + (time_t)seconds;
    wd_armed = 1;
    pthread_mutex_unlock(&wd_lock);
}

void wp_watchdog_disarm(void)
{
    pthread_mutex_lock(&wd_lock);
    wd_armed = 0;
    pthread_mutex_unlock(&wd_lock);
}

int wp_setup(void **state)
{
    wp_watchdog_arm(state && *state ? (const char *)*state : "?", WP_WATCHDOG_SECONDS);
    return 0;
}

int wp_teardown(void **state)
{
    (void)state;
    wp_watchdog_disarm();
    return 0;
}

int wp_group_ignore_sigpipe(void **state)
{
    (void)state;
    return signal(SIGPIPE, SIG_IGN) == SIG_ERR ? -1 : 0;
}

int wp_group_restore_sigpipe(void **state)
{
    (void)state;
    return signal(SIGPIPE, SIG_DFL) == SIG_ERR ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Resource counting                                                                          */

long wp_open_count(void)
{
#ifdef _WIN32
    DWORD n = 0;
    if (!GetProcessHandleCount(GetCurrentProcess(), &n))
        fail_msg("GetProcessHandleCount failed: %lu", (unsigned long)GetLastError());
    return (long)n;
#else
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    struct dirent *e;
    if (!d)
        fail_msg("opendir(/proc/self/fd): %s", strerror(errno));
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
#endif
}

int wp_lowest_free_fd(int from)
{
    int fd;
    for (fd = from < 0 ? 0 : from; fd < 1000000; fd++) {
        errno = 0;
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
            return fd;
    }
    fail_msg("no free fd found from %d", from);
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* The fd limit                                                                               */

static int fdl_fds[16384]; /* what wp_fd_fill opened, in order */
static int fdl_n;
#ifndef _WIN32
static struct rlimit fdl_saved;
static int fdl_lowered;
#endif

long wp_fd_limit(void)
{
#if defined(_WIN32) && !defined(_SC_OPEN_MAX)
    fail_msg("winpipe lacks sysconf(_SC_OPEN_MAX)");
    return -1;
#else
    long n;
#ifndef _WIN32
    if (!fdl_lowered) {
        struct rlimit rl;
        assert_ok(getrlimit(RLIMIT_NOFILE, &fdl_saved));
        rl = fdl_saved;
        if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > WP_FD_LIMIT_NATIVE)
            rl.rlim_cur = WP_FD_LIMIT_NATIVE;
        assert_ok(setrlimit(RLIMIT_NOFILE, &rl));
        fdl_lowered = 1;
    }
#endif
    errno = 0;
    n = sysconf(_SC_OPEN_MAX);
    if (n <= 0)
        fail_msg("sysconf(_SC_OPEN_MAX): %ld (errno %d: %s)", n, errno, strerror(errno));
    return n;
#endif
}

int wp_fd_fill(int fd)
{
    int n = 0;
    for (;;) {
        errno = 0;
        int r = dup(fd);
        if (r == -1 && errno == EMFILE)
            return n;
        if (r < 0)
            fail_msg("filling the fd table: dup(%d) after %d new fds (the last %d) returned %d "
                     "(errno %d: %s), expected EMFILE once full", fd, n,
                     fdl_n ? fdl_fds[fdl_n - 1] : -1, r, errno, strerror(errno));
        if (fdl_n == (int)(sizeof fdl_fds / sizeof fdl_fds[0])) {
            close(r);
            fail_msg("filling the fd table: %d fds open and still no EMFILE", fdl_n);
        }
        fdl_fds[fdl_n++] = r;
        n++;
    }
}

int wp_fd_unfill(int n)
{
    int lowest = -1;
    if (n > fdl_n)
        fail_msg("wp_fd_unfill(%d): only %d filled", n, fdl_n);
    while (n-- > 0) {
        int fd = fdl_fds[--fdl_n];
        wp_close(fd);
        if (lowest < 0 || fd < lowest)
            lowest = fd;
    }
    return lowest;
}

int wp_fd_limit_teardown(void **state)
{
    while (fdl_n > 0)
        close(fdl_fds[--fdl_n]);
#ifndef _WIN32
    if (fdl_lowered && setrlimit(RLIMIT_NOFILE, &fdl_saved) == 0)
        fdl_lowered = 0;
#endif
    return wp_teardown(state);
}

/* ------------------------------------------------------------------------------------------ */
/* Pipes                                                                                      */

void wp_pipe(int fds[2], int flags)
{
    fds[0] = fds[1] = -1;
    if (flags == 0)
        assert_ok(pipe(fds));
    else
        assert_ok(pipe2(fds, flags));
    assert_true(fds[0] >= 0);
    assert_true(fds[1] >= 0);
    assert_int_not_equal(fds[0], fds[1]);
}

void wp_close(int fd)
{
    assert_ok(close(fd));
}

void wp_close_pipe(int fds[2])
{
    wp_close(fds[0]);
    wp_close(fds[1]);
}

void wp_set_nonblock(int fd, int on)
{
    int fl;
    errno = 0;
    fl = fcntl(fd, F_GETFL);
    if (fl == -1)
        fail_msg("fcntl(%d, F_GETFL): %s", fd, strerror(errno));
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    assert_ok(fcntl(fd, F_SETFL, fl));
}

/* ------------------------------------------------------------------------------------------ */
/* Pattern stream                                                                             */

unsigned char wp_pattern(uint64_t off)
{
    /* Multiplicative hash of the offset: any shift, loss or duplication shows up at once. */
    uint64_t x = (off + 1) * UINT64_C(0x9E3779B97F4A7C15);
    x ^= x >> 29;
    return (unsigned char)(x >> 24);
}

void wp_pattern_fill(unsigned char *buf, uint64_t off, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        buf[i] = wp_pattern(off + i);
}

size_t wp_pattern_check(const unsigned char *buf, uint64_t off, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (buf[i] != wp_pattern(off + i))
            return i;
    return n;
}

size_t wp_fill(int wfd, uint64_t off, size_t chunk)
{
    static unsigned char buf[1 << 16];
    size_t total = 0;
    if (chunk == 0 || chunk > sizeof buf)
        fail_msg("wp_fill: bad chunk %zu", chunk);
    for (;;) {
        ssize_t r;
        wp_pattern_fill(buf, off + total, chunk);
        errno = 0;
        r = write(wfd, buf, chunk);
        if (r == -1 && errno == EAGAIN)
            return total;
        if (r <= 0)
            fail_msg("wp_fill: write(%d, %zu) after %zu bytes returned %lld (errno %d: %s)", wfd,
                     chunk, total, (long long)r, errno, strerror(errno));
        if ((size_t)r > chunk)
            fail_msg("wp_fill: write returned %lld for %zu bytes", (long long)r, chunk);
        total += (size_t)r;
        if (total > (size_t)64 << 20)
            fail_msg("wp_fill: %zu bytes accepted without EAGAIN", total);
    }
}

size_t wp_drain(int rfd, uint64_t off, int *eof)
{
    static unsigned char buf[1 << 16];
    size_t total = 0;
    if (eof)
        *eof = 0;
    for (;;) {
        ssize_t r;
        size_t bad;
        errno = 0;
        r = read(rfd, buf, sizeof buf);
        if (r == -1 && errno == EAGAIN)
            return total;
        if (r == 0) {
            if (eof)
                *eof = 1;
            return total;
        }
        if (r < 0)
            fail_msg("wp_drain: read(%d) after %zu bytes: errno %d (%s)", rfd, total, errno,
                     strerror(errno));
        if ((size_t)r > sizeof buf)
            fail_msg("wp_drain: read returned %lld for %zu bytes", (long long)r, sizeof buf);
        bad = wp_pattern_check(buf, off + total, (size_t)r);
        if (bad != (size_t)r)
            fail_msg("wp_drain: wrong byte at stream offset %llu: got 0x%02x, expected 0x%02x",
                     (unsigned long long)(off + total + bad), buf[bad],
                     wp_pattern(off + total + bad));
        total += (size_t)r;
    }
}

void wp_read_exact(int rfd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r;
        errno = 0;
        r = read(rfd, (char *)buf + got, n - got);
        if (r <= 0)
            fail_msg("wp_read_exact: read(%d, %zu) after %zu of %zu bytes returned %lld "
                     "(errno %d: %s)", rfd, n - got, got, n, (long long)r, errno,
                     strerror(errno));
        got += (size_t)r;
    }
}

void wp_write_byte(int fd, unsigned char c)
{
    assert_rc(write(fd, &c, 1), 1);
}

unsigned char wp_read_byte(int fd)
{
    unsigned char c = 0;
    assert_rc(read(fd, &c, 1), 1);
    return c;
}

/* ------------------------------------------------------------------------------------------ */
/* Time                                                                                       */

double wp_now_ms(void)
{
#ifdef _WIN32
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
#endif
}

void wp_sleep_ms(unsigned ms)
{
#ifdef _WIN32
    Sleep(ms);
#else
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
#endif
}

void wp_backoff(unsigned attempt)
{
    if (attempt < 16) {
        sched_yield();
    } else {
#ifdef _WIN32
        Sleep(0);
        if (attempt > 64)
            Sleep(1);
#else
        struct timespec ts = { 0, 20000L };
        nanosleep(&ts, NULL);
#endif
    }
}
