/* winpipe.h: winpipe's public interface. Every POSIX function winpipe provides exists here under
 * a winpipe_ name; the wrapper headers beside this one (<unistd.h>, <fcntl.h>, <signal.h>, ...)
 * route the POSIX names to them, so ported code compiles unchanged. On a POSIX host this header
 * declares nothing: the system's own functions are the real thing. */
#ifndef WINPIPE_H
#define WINPIPE_H

#ifdef _WIN32

#include <stddef.h>
#include <sys/types.h>
#include <fcntl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WINPIPE_VERSION "0.1.0"

/* POSIX constants mingw-w64 lacks. Values are Linux's where no CRT flag is involved;
 * O_CLOEXEC is the CRT's own _O_NOINHERIT so that _open(…, O_CLOEXEC) means the same. */
#ifndef O_NONBLOCK
#define O_NONBLOCK 0x40000000
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
#ifndef O_ACCMODE
#define O_ACCMODE (_O_RDONLY | _O_WRONLY | _O_RDWR)
#endif
#ifndef F_DUPFD
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#endif
#ifndef F_DUPFD_CLOEXEC
#define F_DUPFD_CLOEXEC 1030
#endif
#ifndef FD_CLOEXEC
#define FD_CLOEXEC 1
#endif
#ifndef PIPE_BUF
#define PIPE_BUF 4096
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif

/* A process that winpipe ends "by a signal" (SIGPIPE's default action, kill()) exits with this
 * code; winpipe's waitpid() reports it as WIFSIGNALED with WTERMSIG == sig. */
#define WINPIPE_SIGNAL_EXIT_CODE(sig) (0xE0570000u | ((unsigned)(sig) & 0xffu))

int winpipe_pipe(int fds[2]);
int winpipe_pipe2(int fds[2], int flags);
/* msvcrt's _pipe signature: size in bytes (0: 64 KiB), mode _O_BINARY/_O_TEXT/_O_NOINHERIT. */
int winpipe__pipe(int *fds, unsigned int size, int mode);

ssize_t winpipe_read(int fd, void *buf, size_t count);
ssize_t winpipe_write(int fd, const void *buf, size_t count);
int winpipe_close(int fd);

int winpipe_dup(int fd);
int winpipe_dup2(int fd, int fd2);
int winpipe_dup3(int fd, int fd2, int flags);
int winpipe_fcntl(int fd, int cmd, ...);

typedef void (*winpipe_sighandler_t)(int);
winpipe_sighandler_t winpipe_signal(int sig, winpipe_sighandler_t handler);
int winpipe_raise(int sig);

#ifdef __cplusplus
}
#endif

#endif /* _WIN32 */
#endif /* WINPIPE_H */
