/* <fcntl.h> wrapper: mingw-w64's own header, then O_NONBLOCK, O_CLOEXEC, F_*, FD_CLOEXEC and
 * winpipe's fcntl(). On a POSIX host it is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif

/* The F_ commands come first, before #include_next: winpipe's fcntl() reads these values, and
 * another wrapper stacked on this one in either order (gnulib's fcntl-h module defines F_DUPFD 1,
 * F_GETFD 2, ... for mingw) must find them defined rather than define its own. */
#if defined(_WIN32) && !defined(F_DUPFD) && !defined(F_GETFD) && !defined(F_SETFD) \
    && !defined(F_GETFL) && !defined(F_SETFL)
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#endif
#if defined(_WIN32) && !defined(F_DUPFD_CLOEXEC)
#define F_DUPFD_CLOEXEC 1030 /* gnulib's is 0x40000000 */
#endif

#include_next <fcntl.h>

#if defined(_WIN32) && !defined(WINPIPE_FCNTL_H)
#define WINPIPE_FCNTL_H
#include <winpipe.h>
#ifndef WINPIPE_BUILDING
#undef fcntl
#define fcntl winpipe_fcntl
#endif
#endif
