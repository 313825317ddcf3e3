/* sock_util.h: what test_poll and test_select share for sockets: a connected loopback TCP pair
 * made into two fds the way ported code does it (Windows: _open_osfhandle on the SOCKET), and
 * Winsock's start-up. Loopback TCP on both systems, so the tests are the same (Wine has no
 * AF_UNIX). Header-only; include after helper.h and the socket headers. */
#ifndef WINPIPE_TESTS_SOCK_UTIL_H
#define WINPIPE_TESTS_SOCK_UTIL_H

#include <string.h>

#ifdef _WIN32
typedef SOCKET sk_raw;
#define SK_BAD INVALID_SOCKET
static inline void sk_raw_close(sk_raw s) { closesocket(s); }
static inline int sk_raw_to_fd(sk_raw s)
{
    int fd = _open_osfhandle((intptr_t)s, 0);
    if (fd < 0)
        fail_msg("_open_osfhandle(socket) failed: errno %d", errno);
    return fd;
}
#else
typedef int sk_raw;
#define SK_BAD (-1)
static inline void sk_raw_close(sk_raw s) { close(s); }
static inline int sk_raw_to_fd(sk_raw s) { return s; }
#endif

/* fds[0] the connecting end, fds[1] the accepted one. */
static inline void sk_tcp_pair(int fds[2])
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    sk_raw l, c, s;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l != SK_BAD);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    c = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c != SK_BAD);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    s = accept(l, NULL, NULL);
    assert_true(s != SK_BAD);
    sk_raw_close(l);
    fds[0] = sk_raw_to_fd(c);
    fds[1] = sk_raw_to_fd(s);
}

/* Winsock needs starting before the first socket; 0 or -1, as a cmocka group setup. A first
 * loopback pair, made and closed here, is the main thread's first use of sockets: Wine's
 * ws2_32 makes an event for each thread that makes a connection, kept until the thread ends,
 * and the per-test leak check must find it in every test's "before". */
static inline int sk_startup(void)
{
    int fds[2];
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return -1;
#endif
    sk_tcp_pair(fds);
    close(fds[0]);
    close(fds[1]);
    return 0;
}

static inline void sk_cleanup(void)
{
#ifdef _WIN32
    WSACleanup();
#endif
}

#endif
