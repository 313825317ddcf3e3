/* <poll.h> wrapper: POSIX poll() for every kind of fd, from winpipe.
 *
 * Winsock declares its own `struct pollfd` (with a SOCKET fd) and the POLL* bits. This header
 * includes <winsock2.h> so the two live side by side: the POLL* values are Winsock's, and
 * `struct pollfd` is POSIX's, with an int fd. If <winsock2.h> came first, its struct already
 * holds the name, and POSIX's is spelled struct winpipe_pollfd behind a macro.
 * On a POSIX host it is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#ifndef _WIN32
#include_next <poll.h>
#elif !defined(WINPIPE_POLL_H)
#define WINPIPE_POLL_H

#ifdef _WINSOCK2API_
#define pollfd winpipe_pollfd
#include <winsock2.h>
#else
#define pollfd winpipe_wsa_pollfd_
#include <winsock2.h>
#undef pollfd
#endif
#include <winpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pollfd {
    int fd;
    short events;
    short revents;
};

typedef unsigned long nfds_t;

int winpipe_poll(struct pollfd *fds, nfds_t nfds, int timeout);

#ifdef __cplusplus
}
#endif

#ifndef WINPIPE_BUILDING
#undef poll
#define poll winpipe_poll
#endif

#endif
