/* <sys/pidfd.h> wrapper: pidfd_open() and pidfd_send_signal() from winpipe, as newer glibc
 * declares them. mingw-w64 has no <sys/pidfd.h>; on a POSIX host this is the system header and
 * nothing else (glibc 2.36 and later). */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#ifndef _WIN32
#include_next <sys/pidfd.h>
#elif !defined(WINPIPE_SYS_PIDFD_H)
#define WINPIPE_SYS_PIDFD_H
#include <fcntl.h>
#include <signal.h>
#include <winpipe.h>

#define PIDFD_NONBLOCK WINPIPE_PIDFD_NONBLOCK
#define PIDFD_SIGNAL_THREAD WINPIPE_PIDFD_SIGNAL_THREAD
#define PIDFD_SIGNAL_THREAD_GROUP WINPIPE_PIDFD_SIGNAL_THREAD_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP WINPIPE_PIDFD_SIGNAL_PROCESS_GROUP

#ifndef WINPIPE_BUILDING
#undef pidfd_open
#undef pidfd_send_signal
#define pidfd_open winpipe_pidfd_open
#define pidfd_send_signal winpipe_pidfd_send_signal
#endif
#endif
