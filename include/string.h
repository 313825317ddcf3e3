/* <string.h> wrapper: mingw-w64's own header, then strsignal() from winpipe (the C runtime has
 * none). On a POSIX host it is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#include_next <string.h>

#if defined(_WIN32) && !defined(WINPIPE_STRING_H)
#define WINPIPE_STRING_H
#ifdef __cplusplus
extern "C" {
#endif
char *winpipe_strsignal(int sig);
#ifdef __cplusplus
}
#endif
#ifndef WINPIPE_BUILDING
#undef strsignal
#define strsignal winpipe_strsignal
#endif
#endif
