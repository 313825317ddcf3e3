/* <signal.h> wrapper: mingw-w64's own header, then SIGPIPE and winpipe's signal()/raise(), which
 * handle SIGPIPE themselves (msvcrt knows no SIGPIPE) and pass every other signal to the CRT.
 * On a POSIX host it is the system header and nothing else. */
#include_next <signal.h>

#if defined(_WIN32) && !defined(WINPIPE_SIGNAL_H)
#define WINPIPE_SIGNAL_H
#include <winpipe.h>
#ifndef WINPIPE_BUILDING
#undef signal
#undef raise
#define signal winpipe_signal
#define raise winpipe_raise
#endif
#endif
