/* <stdio.h> wrapper: mingw-w64's own header, then winpipe's fclose(). The CRT closes a stream's
 * fd with its own _close, which winpipe cannot see: winpipe_fclose() first lets go of winpipe's
 * state for that fd, so that a pipe end closed with fclose() is closed for its peer at once.
 * On a POSIX host it is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#include_next <stdio.h>

#if defined(_WIN32) && !defined(WINPIPE_STDIO_H)
#define WINPIPE_STDIO_H
#include <winpipe.h>
#ifndef WINPIPE_BUILDING
#undef fclose
#define fclose winpipe_fclose
#endif
#endif
