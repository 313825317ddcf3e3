/* <sys/time.h> wrapper: mingw-w64's own header (struct timeval, gettimeofday), then POSIX's
 * interval timers, which mingw-w64 lacks: struct itimerval, ITIMER_REAL/VIRTUAL/PROF and
 * setitimer/getitimer from winpipe (ITIMER_REAL only; compat-docs/signal.md). On a POSIX host it
 * is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#include_next <sys/time.h>

#if defined(_WIN32) && !defined(WINPIPE_SYS_TIME_H)
#define WINPIPE_SYS_TIME_H
#include <winpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Linux's values */
#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2

struct itimerval {
    struct timeval it_interval; /* the period; 0: the timer goes off once */
    struct timeval it_value;    /* until it next goes off; 0: disarmed */
};

int winpipe_setitimer(int which, const struct itimerval *value, struct itimerval *old);
int winpipe_getitimer(int which, struct itimerval *value);

#ifdef __cplusplus
}
#endif

#ifndef WINPIPE_BUILDING
#undef setitimer
#undef getitimer
#define setitimer winpipe_setitimer
#define getitimer winpipe_getitimer
#endif
#endif
