/* wp_test.h: how the tests register a test case (WP_TEST and its variants), apart from the
 * rest of helper.h so that test_headers, which includes only the POSIX headers under test, can
 * use it too. Needs <cmocka.h> (and what cmocka.h needs) first. */
#ifndef WINPIPE_TESTS_WP_TEST_H
#define WINPIPE_TESTS_WP_TEST_H

/*
 * Test registration. WP_TEST(fn) runs fn between the per-test fixtures wp_setup and wp_teardown,
 * which arm and disarm the watchdog under the test's name, and checks for leaks when fn
 * returns (not after a failure or skip(): what a failed test left open is no news):
 *
 *   A leak is an fd (Linux: an entry of /proc/self/fd) or a handle (Windows: a handle value of
 *   this process) open when fn returns that was not open when it started. Handles that close
 *   asynchronously (a child's reaping, a linger write finishing, Wine's thread pool freeing an
 *   idle wait thread after 5 s) are given WP_LEAK_SETTLE_MS to go. Each leak left fails the
 *   test, described (fd and what it refers to; handle value and object type).
 *
 *   Objects made once per process (or per thread, for the main thread) on first use are no
 *   leak, and are made before the first test's snapshot, so that they are in every test's
 *   "before": winpipe's \Device\NamedPipe root handle and completion port, a trace file, the
 *   thread pool's first wait thread and its event -- by one warm-up before the first test: a
 *   pipe with a byte through it and a poll, one child spawned and reaped, and (Windows) one
 *   thread-pool wait that stays registered, so that the pool's first wait thread never goes
 *   idle; Winsock's per-thread state (Wine: an event for each thread that connected a socket)
 *   -- by sock_util.h's sk_startup, which makes and closes a first loopback pair.
 *
 *   Windows: auto-reset events are the threading runtime's, not winpipe's (winpipe makes only
 *   manual-reset events: lib/ofd.c, lib/trace.c, WSACreateEvent) nor the tests': winpthreads
 *   makes one, for good, the first time two threads contend for one of its internal mutexes
 *   (which happens in whichever test happens to create and join threads at the wrong moment),
 *   and Wine's thread pool one per extra wait thread. The check lets up to
 *   WP_RUNTIME_OBJECTS_MAX of them pass over a program's life and counts any further one as a
 *   leak, so that a test leaking one each time is still caught.
 *
 * WP_TEST_FIXTURES(fn, setup, teardown): the same with a program's own fixtures, which must
 * call wp_setup and wp_teardown. WP_TEST_KNOWN_LEAK(fn, why): for a test that shows a known
 * winpipe leak, `why` naming the lib/ bug: the test fails if the leak is gone (remove the mark
 * with the fix) and passes if it is still there.
 */
struct wp_test {
    const char *name;
    void (*fn)(void **state);
    const char *known_leak;
};
void wp_run_test(void **state);
int wp_setup(void **state);
int wp_teardown(void **state);
#define WP_TEST_FIXTURES(f, setup, teardown)                                                  \
    { #f, wp_run_test, setup, teardown, (void *)&(struct wp_test){ #f, f, NULL } }
#define WP_TEST(f) WP_TEST_FIXTURES(f, wp_setup, wp_teardown)
#define WP_TEST_KNOWN_LEAK(f, why)                                                            \
    { #f, wp_run_test, wp_setup, wp_teardown, (void *)&(struct wp_test){ #f, f, why } }
/* The name of the test running, as WP_TEST registered it ("?" outside one). */
const char *wp_test_name(void **state);

#endif
