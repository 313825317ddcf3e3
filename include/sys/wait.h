/* <sys/wait.h> wrapper: waitpid(), wait() and waitid() from winpipe, with status words encoded as Linux
 * encodes them (exit code & 0xff in bits 8-15, a terminating signal in bits 0-6).
 * mingw-w64 has no <sys/wait.h>; on a POSIX host this is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#ifndef _WIN32
#include_next <sys/wait.h>
#elif !defined(WINPIPE_SYS_WAIT_H)
#define WINPIPE_SYS_WAIT_H
#include <signal.h>
#include <winpipe.h>

#define WNOHANG WINPIPE_WNOHANG
#define WUNTRACED WINPIPE_WUNTRACED
#define WCONTINUED WINPIPE_WCONTINUED
#define WSTOPPED WINPIPE_WSTOPPED
#define WEXITED WINPIPE_WEXITED
#define WNOWAIT WINPIPE_WNOWAIT

/* waitid's id types, Linux's values (P_PIDFD: an fd from pidfd_open) */
typedef enum {
    P_ALL = WINPIPE_P_ALL,
    P_PID = WINPIPE_P_PID,
    P_PGID = WINPIPE_P_PGID,
    P_PIDFD = WINPIPE_P_PIDFD
} idtype_t;
#ifndef WINPIPE_HAVE_ID_T
#define WINPIPE_HAVE_ID_T
typedef unsigned int id_t;
#endif

#define WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WTERMSIG(s) ((s) & 0x7f)
#define WSTOPSIG(s) WEXITSTATUS(s)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (((signed char)(((s) & 0x7f) + 1) >> 1) > 0)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define WIFCONTINUED(s) ((s) == 0xffff)
#define WCOREDUMP(s) ((s) & 0x80)

#ifndef WINPIPE_BUILDING
#undef wait
#undef waitpid
#undef waitid
#define wait winpipe_wait
#define waitpid winpipe_waitpid
#define waitid winpipe_waitid
#endif
#endif
