/*
 * Shared helpers for winpipe's cmocka tests.
 *
 * The same sources build natively on Linux (against the system's own POSIX functions; that run
 * is the judge of what is correct) and for Windows with mingw-w64 against winpipe.
 *
 * Every test source defines _GNU_SOURCE before any include (pipe2/dup3 on glibc) and then
 * includes this header, which pulls in the standard headers cmocka needs.
 */
#ifndef WINPIPE_TESTS_HELPER_H
#define WINPIPE_TESTS_HELPER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

/* POSIX atomicity limit for pipe writes. Linux: 4096; tests use the constant when the platform's
 * <limits.h> does not define PIPE_BUF. */
#ifdef PIPE_BUF
#define WP_PIPE_BUF ((size_t)PIPE_BUF)
#else
#define WP_PIPE_BUF ((size_t)4096)
#endif

/* Linux's default pipe capacity; winpipe must accept at least this much before EAGAIN. */
#define WP_PIPE_CAPACITY ((size_t)65536)
/* Upper bound for what a non-blocking filler may get accepted before the first EAGAIN
 * (winpipe may hold one more pending write beyond its buffer). */
#define WP_PIPE_FILL_MAX ((size_t)262144)

/*
 * The watchdog: it catches hangs, not slowness.
 *
 * A test is hung when it has made no progress for WP_WATCHDOG_SECONDS times the speed factor.
 * Progress is any call of wp_progress(), which the helpers make: wp_pipe, wp_close,
 * wp_read_exact, wp_fill, wp_drain, wp_write_byte, wp_read_byte, su_spawn, su_reap,
 * su_read_all (spawn_util.h), and the loops of long tests. The speed factor is the time a fixed
 * piece of arithmetic takes divided by what it takes on an idle machine (WP_SPEED_REFERENCE_MS),
 * from 1 to WP_SPEED_FACTOR_MAX; the watchdog thread measures it when it starts and again every
 * few seconds, and uses the largest of its last three measurements (WINPIPE_TEST_SLOWDOWN=N in
 * the environment multiplies it further, e.g. for a run under a debugger). So a test that is only
 * slow under load passes, and a hung one is aborted at most WP_WATCHDOG_SECONDS *
 * WP_SPEED_FACTOR_MAX (* WINPIPE_TEST_SLOWDOWN) seconds after its last progress, printing
 * "WATCHDOG: test 'NAME' made no progress for N s" and exiting with 99. A test that makes
 * progress forever (a livelock) is aborted after WP_WATCHDOG_TOTAL_FACTOR times its no-progress
 * limit in all.
 *
 * The run-test.sh side: when WINPIPE_TEST_HEARTBEAT names a file, the watchdog thread touches it
 * every WP_HEARTBEAT_SECONDS while a test is armed and within its limit or progress was made,
 * and tools/run-test.sh kills the program only when the file has not been touched for
 * WINPIPE_TEST_TIMEOUT seconds: when this watchdog cannot act (a hang outside any test, or one
 * that stops the watchdog thread itself).
 */
#define WP_WATCHDOG_SECONDS 60u
#define WP_WATCHDOG_TOTAL_FACTOR 20u
#define WP_SPEED_FACTOR_MAX 8.0
#define WP_SPEED_REFERENCE_MS 15.0
#define WP_HEARTBEAT_SECONDS 2u

/*
 * assert_errno(call, err): the call must return exactly -1 and set errno to exactly err.
 * errno is cleared before the call; on failure both the return value and errno are printed.
 */
#define assert_errno(call, err)                                                               \
    do {                                                                                      \
        errno = 0;                                                                            \
        long long wp_r_ = (long long)(call);                                                  \
        int wp_e_ = errno;                                                                    \
        if (wp_r_ != -1 || wp_e_ != (err))                                                    \
            fail_msg("%s: expected -1 with errno %s (%d), got %lld with errno %d (%s)",       \
                     #call, #err, (int)(err), wp_r_, wp_e_, strerror(wp_e_));                 \
    } while (0)

/*
 * assert_rc(call, expected): the call must return exactly expected; on failure the return value
 * and errno are printed.
 */
#define assert_rc(call, expected)                                                             \
    do {                                                                                      \
        errno = 0;                                                                            \
        long long wp_r_ = (long long)(call);                                                  \
        int wp_e_ = errno;                                                                    \
        long long wp_x_ = (long long)(expected);                                              \
        if (wp_r_ != wp_x_)                                                                   \
            fail_msg("%s: expected %lld, got %lld (errno %d: %s)", #call, wp_x_, wp_r_,       \
                     wp_e_, strerror(wp_e_));                                                 \
    } while (0)

/* assert_ok(call): the call must return exactly 0 (close, fcntl(F_SET*), pipe, ...). */
#define assert_ok(call) assert_rc(call, 0)

#include "wp_test.h"

/* Group setup that ignores SIGPIPE (so writes to a reader-less pipe fail with EPIPE). */
int wp_group_ignore_sigpipe(void **state);
/* Group teardown that restores SIGPIPE to SIG_DFL. */
int wp_group_restore_sigpipe(void **state);
/* A test's signals back to SIG_DFL with nothing blocked: each of sigs[0..n-1] is ignored first,
 * so that one still pending is discarded, then the mask is emptied, then SIG_DFL again. */
void wp_signals_to_default(const int *sigs, size_t n);
/* sigaction(sig) with handler fn, flags and an empty sa_mask, failing the test on error. */
void wp_handle_signal(int sig, void (*fn)(int), int flags);

/* Arms the watchdog for the test `name`: hung after `seconds` (times the speed factor) without
 * progress. wp_setup arms it with WP_WATCHDOG_SECONDS; a test whose single steps take longer may
 * arm it again with more. */
void wp_watchdog_arm(const char *name, unsigned seconds);
void wp_watchdog_disarm(void);
/* Records progress of the running test (cheap: one clock read). Any thread may call it. */
void wp_progress(void);
/* The speed factor in use (1 on an idle machine). */
double wp_speed_factor(void);

/*
 * Snapshots of this process's open fds (Linux: /proc/self/fd) or handles (Windows: one
 * NtQuerySystemInformation(SystemExtendedHandleInformation) call filtered by process id, which
 * Wine answers too, unlike GetProcessHandleCount, which says 0 there. A first snapshot checks
 * it against probing every handle value 4, 8, 12, ... with GetHandleInformation up to 1024
 * unused values past the highest seen, and probing is used instead if the two disagree or the
 * query fails. Cost under Wine 8 with ~40 handles: the query 0.06 ms, probing 14-200 ms).
 */
struct wp_handles;
struct wp_handles *wp_handles_take(void);
void wp_handles_free(struct wp_handles *s);
size_t wp_handles_count(const struct wp_handles *s);
/* How many entries of `now` are not in `before`; describes them into desc (size bytes). */
size_t wp_handles_new(const struct wp_handles *before, const struct wp_handles *now, char *desc,
                      size_t size);
/* Auto-reset events (Windows) let pass as the threading runtime's, over a program's life
 * (WP_TEST in wp_test.h). */
#define WP_RUNTIME_OBJECTS_MAX 8u
/* Time left for what closes asynchronously before an fd or handle counts as leaked. */
#define WP_LEAK_SETTLE_MS 7000u
/* How many fds or handles are open now that were not in before, waiting up to settle_ms
 * (normally WP_LEAK_SETTLE_MS) for the number to reach 0; describes them into desc. */
size_t wp_leaks_since(const struct wp_handles *before, unsigned settle_ms, char *desc,
                      size_t size);
/* Sets the settling time the per-test check gives (default WP_LEAK_SETTLE_MS). */
void wp_set_leak_settle_ms(unsigned ms);
/* Fails the test if wp_leaks_since(before) finds any, naming them; frees before. */
void wp_assert_no_leak(struct wp_handles *before);
/* Number of open fds (Linux) or handles (Windows) of this process: a fresh snapshot's size. */
long wp_open_count(void);

/* The child helper program (tests/child.c): WINPIPE_CHILD, else child(.exe) beside this test
 * executable. */
const char *wp_child_path(void);

/* Lowest fd number >= from that is not open (probed with fcntl(F_GETFD) -> EBADF). */
int wp_lowest_free_fd(int from);

/*
 * The fd limit, learned as a program learns it: sysconf(_SC_OPEN_MAX) (Linux: RLIMIT_NOFILE's
 * soft limit; winpipe: its C runtime's fd table, 2048 for msvcrt and 8192 for UCRT). Natively it
 * first lowers the soft limit to WP_FD_LIMIT_NATIVE, so that filling the table stays cheap.
 * Tests that call it are registered with WP_TEST_FD_LIMIT, whose teardown closes every fd
 * wp_fd_fill opened and restores the limit, even when the test failed.
 */
#define WP_FD_LIMIT_NATIVE 256
long wp_fd_limit(void);
/* dup(fd) into every free number until EMFILE (any other result fails the test): the table is
 * full afterwards. Returns how many fds it opened. */
int wp_fd_fill(int fd);
/* Closes the n fds wp_fd_fill opened last; returns the lowest number it closed. */
int wp_fd_unfill(int n);
int wp_fd_limit_teardown(void **state);
#define WP_TEST_FD_LIMIT(f) WP_TEST_FIXTURES(f, wp_setup, wp_fd_limit_teardown)

/* Makes a pipe (pipe() if flags == 0, else pipe2(fds, flags)), failing the test on error. */
void wp_pipe(int fds[2], int flags);
/* Closes fd, failing the test unless close returns 0. */
void wp_close(int fd);
/* Closes both ends of a pipe. */
void wp_close_pipe(int fds[2]);
/* Sets or clears O_NONBLOCK via F_GETFL/F_SETFL, failing the test on error. */
void wp_set_nonblock(int fd, int on);

/* Deterministic test byte stream: byte at stream offset off. */
unsigned char wp_pattern(uint64_t off);
void wp_pattern_fill(unsigned char *buf, uint64_t off, size_t n);
/* Index of the first byte of buf that differs from the stream at off, or n if all match. */
size_t wp_pattern_check(const unsigned char *buf, uint64_t off, size_t n);

/* wp_fill, wp_drain and wp_read_exact fail the test on error: call them from the main (test)
 * thread only. wp_fill and wp_drain use static buffers. */

/*
 * Writes the pattern stream, starting at stream offset off, in chunks of `chunk` bytes to the
 * non-blocking write end wfd until write fails with EAGAIN. Any other failure, or a write
 * accepting 0 bytes, fails the test. Returns the number of bytes accepted.
 */
size_t wp_fill(int wfd, uint64_t off, size_t chunk);

/*
 * Reads from the non-blocking read end rfd until read fails with EAGAIN or returns 0 (EOF),
 * checking every byte against the pattern stream starting at off. Returns the byte count;
 * *eof (if not NULL) tells whether it stopped at EOF.
 */
size_t wp_drain(int rfd, uint64_t off, int *eof);

/* Reads exactly n bytes (blocking fd), looping over short reads; fails the test on error/EOF. */
void wp_read_exact(int rfd, void *buf, size_t n);

/* Writes / reads exactly one byte, failing the test otherwise. */
void wp_write_byte(int fd, unsigned char c);
unsigned char wp_read_byte(int fd);

/* A monotonic clock, in milliseconds. */
double wp_now_ms(void);
/* Sleeps for ms milliseconds. */
void wp_sleep_ms(unsigned ms);
/* A tiny back-off for retry loops (sched_yield or a few microseconds). */
void wp_backoff(unsigned attempt);

#endif
