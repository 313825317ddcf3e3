/* <sys/select.h> wrapper: POSIX select() for every kind of fd, built on winpipe's poll().
 *
 * Winsock has its own fd_set (a list of SOCKETs, 64 by default) and select() (sockets only).
 * This header includes <winsock2.h> first and then gives the names their POSIX meaning: fd_set is
 * a bitmap of FD_SETSIZE (1024) fds, FD_* work on fd numbers, and select() takes any fd — a socket
 * joins in once it is an fd (_open_osfhandle). On a POSIX host it is the system header. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#ifndef _WIN32
#include_next <sys/select.h>
#elif !defined(WINPIPE_SYS_SELECT_H)
#define WINPIPE_SYS_SELECT_H

#include <winsock2.h>
#include <winpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

#undef FD_SETSIZE
#define FD_SETSIZE 1024

typedef struct winpipe_fd_set {
    unsigned long long fds_bits[FD_SETSIZE / 64];
} winpipe_fd_set;

#undef fd_set
#define fd_set winpipe_fd_set

#undef FD_ZERO
#undef FD_SET
#undef FD_CLR
#undef FD_ISSET
#define WINPIPE_FD_BIT(fd) (1ULL << ((unsigned)(fd) % 64))
#define FD_ZERO(set) ((void)(*(set) = (winpipe_fd_set){ { 0 } }))
#define FD_SET(fd, set) ((void)((set)->fds_bits[(unsigned)(fd) / 64] |= WINPIPE_FD_BIT(fd)))
#define FD_CLR(fd, set) ((void)((set)->fds_bits[(unsigned)(fd) / 64] &= ~WINPIPE_FD_BIT(fd)))
#define FD_ISSET(fd, set) (((set)->fds_bits[(unsigned)(fd) / 64] & WINPIPE_FD_BIT(fd)) != 0)

int winpipe_select(int nfds, winpipe_fd_set *readfds, winpipe_fd_set *writefds,
                   winpipe_fd_set *exceptfds, struct timeval *timeout);

#ifdef __cplusplus
}
#endif

#ifndef WINPIPE_BUILDING
#undef select
#define select winpipe_select
#endif

#endif
