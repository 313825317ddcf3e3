/* <time.h> wrapper: mingw-w64's own header (which brings winpthreads' nanosleep), then
 * nanosleep from winpipe, which a signal's handler ends with EINTR as POSIX says
 * (compat-docs/signal.md). On a POSIX host it is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#include_next <time.h>

#if defined(_WIN32) && !defined(WINPIPE_TIME_H) && !defined(WINPIPE_BUILDING)
#define WINPIPE_TIME_H
/* winpthreads' declaration first, whatever mingw's <time.h> chose to include: after the macro
 * below it would declare winpipe_nanosleep. */
#include <pthread_time.h>
#include <winpipe.h>
#undef nanosleep
#define nanosleep winpipe_nanosleep
#endif
