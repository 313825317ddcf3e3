/* <pthread.h> wrapper: winpthreads' own header, then pthread_create as an inline function that
 * gives the new thread its creator's signal mask, as POSIX says (compat-docs/signal.md). winpipe
 * does not link winpthreads: the call to the real pthread_create is compiled into the program,
 * which links winpthreads itself; winpipe only records the mask and runs the start routine
 * (winpipe_thread_start_*). On a POSIX host it is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#include_next <pthread.h>

#if defined(_WIN32) && !defined(WINPIPE_PTHREAD_H) && !defined(WINPIPE_BUILDING)
#define WINPIPE_PTHREAD_H
#include <errno.h>
#include <winpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Defined before the macro below, so that its own call is to winpthreads' pthread_create. Its
 * address is taken too where a program takes pthread_create's. __inline, as <signal.h>'s: also
 * in C89. */
static __inline int winpipe_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                                           void *(*start)(void *), void *arg)
{
    struct winpipe_thread_start *rec;
    int err = winpipe_thread_start_new(start, arg, &rec);
    if (err)
        return err;
    err = pthread_create(thread, attr, winpipe_thread_start_run, rec);
    if (err)
        winpipe_thread_start_free(rec);
    return err;
}

#ifdef __cplusplus
}
#endif

#undef pthread_create
#define pthread_create winpipe_pthread_create
/* winpthreads wraps these in macros of the same name (cancellation points), which would call
 * the plain names (winpipe's real symbols; sleep and nanosleep: mingw-w64's and winpthreads')
 * rather than the winpipe_ names <signal.h>, <unistd.h> and <time.h> give them. */
#undef pause
#undef sigwait
#undef sigwaitinfo
#undef sleep
#undef nanosleep
#define pause winpipe_pause
#define sigwait winpipe_sigwait
#define sigwaitinfo winpipe_sigwaitinfo
#define sleep winpipe_sleep
#define nanosleep winpipe_nanosleep
#endif
