/* <unistd.h> wrapper: mingw-w64's own header, then winpipe's pipe/read/write/close/dup family,
 * alarm(), sleep() and usleep() and the process-group calls under the POSIX names. On a POSIX host it is the system
 * header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#include_next <unistd.h>

#if defined(_WIN32) && !defined(WINPIPE_UNISTD_H)
#define WINPIPE_UNISTD_H
#include <winpipe.h>
#ifndef WINPIPE_BUILDING
#undef pipe
#undef pipe2
#undef read
#undef write
#undef close
#undef dup
#undef dup2
#undef dup3
#undef sysconf
#undef getdtablesize
#undef alarm
#define alarm winpipe_alarm
#undef sleep
#undef usleep
#define sleep winpipe_sleep
#define usleep winpipe_usleep
#undef pause
#define pause winpipe_pause
#undef getpgrp
#undef getpgid
#undef setpgid
#define getpgrp winpipe_getpgrp
#define getpgid winpipe_getpgid
#define setpgid winpipe_setpgid
#define sysconf winpipe_sysconf
#define getdtablesize winpipe_getdtablesize
#define pipe winpipe_pipe
#define pipe2 winpipe_pipe2
#define read winpipe_read
#define write winpipe_write
#define close winpipe_close
#define dup winpipe_dup
#define dup2 winpipe_dup2
#define dup3 winpipe_dup3
#endif
#endif
