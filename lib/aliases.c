/* aliases.c: the POSIX names as real symbols, for code that reaches them without winpipe's
 * headers: configure's AC_CHECK_FUNCS link tests, and msvcrt's _pipe replaced by relinking.
 * Names msvcrt itself exports (read, write, close, dup, dup2) are not defined here: the wrapper
 * headers route them, and a second definition would clash with the CRT's import library. */
#include "winpipe-internal.h"
#include <stdarg.h>
#include <poll.h>

/* <io.h> declares _pipe dllimport; this definition is meant to replace it. */
#pragma GCC diagnostic ignored "-Wattributes"

int pipe(int fds[2]);
int pipe2(int fds[2], int flags);
#ifndef DLL_EXPORT
/* Code compiled against <io.h> calls _pipe through __imp__pipe, the import-table slot. The static
 * library fills that slot itself so that relinking reaches winpipe; the DLL's import library
 * makes the same slot from the DLL's export. */
int (*__imp__pipe)(int *, unsigned int, int) = winpipe__pipe;
#endif

int dup3(int fd, int fd2, int flags);
int fcntl(int fd, int cmd, ...);

int pipe(int fds[2])
{
    return winpipe_pipe(fds);
}

int pipe2(int fds[2], int flags)
{
    return winpipe_pipe2(fds, flags);
}

int _pipe(int *fds, unsigned int size, int mode)
{
    return winpipe__pipe(fds, size, mode);
}

int dup3(int fd, int fd2, int flags)
{
    return winpipe_dup3(fd, fd2, flags);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    int arg = (cmd == F_GETFD || cmd == F_GETFL) ? 0 : va_arg(ap, int);
    va_end(ap);
    return winpipe_fcntl(fd, cmd, arg);
}

int poll(void *fds, unsigned long nfds, int timeout);

int poll(void *fds, unsigned long nfds, int timeout)
{
    return winpipe_poll(fds, nfds, timeout);
}
