/* winpipe-internal.h: the interfaces between lib/ modules, and the one place that includes
 * <windows.h> (with a fixed _WIN32_WINNT). Only lib/ includes this header.
 *
 * Conventions: internal functions return 0 or a count on success and -E… on failure and never
 * touch errno; each public winpipe_ entry sets errno once, through wp_ret(). */
#ifndef WINPIPE_INTERNAL_H
#define WINPIPE_INTERNAL_H

#define WINPIPE_BUILDING 1
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0601 /* Windows 7: CancelIoEx, PROC_THREAD_ATTRIBUTE_HANDLE_LIST */

#include <winsock2.h>
#include <windows.h>
#include <winternl.h>
#include <errno.h>
#include <io.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "winpipe.h"
#include <poll.h> /* after <winsock2.h>: POSIX struct pollfd is struct winpipe_pollfd here */

#define WP_FD_MAX 8192            /* UCRT's fd limit; msvcrt's is 2048 */
#define WP_PIPE_SIZE 65536        /* default pipe capacity, as Linux */
#define WP_WRITE_BEHIND_MAX 65536 /* most a non-blocking write accepts at once */

static inline long long wp_ret(long long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* An OVERLAPPED's event with the low bit set: the completion is never queued to a completion
 * port the handle may be associated with; only the event is signalled. */
static inline HANDLE wp_ov_event(HANDLE ev) { return (HANDLE)((ULONG_PTR)ev | 1); }

/* ---- errno.c: the one Win32/NTSTATUS → errno table ---- */
int wp_errno_from_win32(DWORD err);
int wp_errno_from_nt(NTSTATUS st);
static inline int wp_last_error(void) { return -wp_errno_from_win32(GetLastError()); }

/* ---- crt.c: calls into the C runtime that must not trip its invalid-parameter handler ---- */
HANDLE wp_crt_handle(int fd);   /* INVALID_HANDLE_VALUE for a closed or out-of-range fd */
int wp_crt_close(int fd);
int wp_crt_dup2(int fd, int fd2);
int wp_crt_open_handle(HANDLE h, int crt_flags);

/* ---- ofd.c: the open file description, shared by every fd dup'ed from one another ---- */
enum wp_kind {
    WP_PIPE_ASYNC, /* an overlapped pipe end: winpipe's own, or one inherited from a winpipe parent */
    WP_PIPE_SYNC,  /* a synchronous pipe end (inherited from a parent without winpipe) */
    WP_CONSOLE,
    WP_FILE,       /* a disk file */
    WP_CHAR,       /* NUL and other character devices */
    WP_SOCKET,
    WP_OTHER
};

/* IDLE: nothing issued. PENDING: issued, maybe completed (HasOverlappedIoCompleted tells).
 * DONE: completed, result in err (0: success), not yet consumed. */
enum wp_op_state { WP_OP_IDLE, WP_OP_PENDING, WP_OP_DONE };

/* One overlapped operation that outlives the call that started it. */
struct wp_op {
    enum wp_op_state state;
    OVERLAPPED ov;
    DWORD err;        /* WP_OP_DONE: the Win32 result */
    int on_port;      /* issued after the handle joined poll's completion port */
    DWORD tid;        /* the thread that issued it: its exit would cancel it */
    char *buf;        /* write-behind only: the bytes the pending write owns */
};

struct wp_ofd {
    LONG refs;             /* fd table entries + calls in flight */
    enum wp_kind kind;
    int accmode;           /* O_RDONLY, O_WRONLY or O_RDWR */
    volatile LONG nonblock;
    HANDLE h;              /* WP_PIPE_ASYNC: the description's own non-inheritable handle */
    SRWLOCK rd_lock;       /* serialises reads */
    SRWLOCK probe_lock;    /* held briefly around the probe's state changes; after rd_lock */
    SRWLOCK wr_lock;       /* serialises writes and the write-behind */
    HANDLE rd_ev, wr_ev;   /* events for reads and writes, created on first use */
    struct wp_op probe;    /* zero-byte read: "data or EOF is there" without consuming */
    struct wp_op wb;       /* write-behind: a non-blocking write accepted while the pipe was full;
                            * it signals wr_ev, which no other write uses while it pends */
    int wb_discarded;      /* a write-behind's bytes were left when the reader went (poll.c) */
    int port_state;        /* poll.c: 0 not yet, 1 on the completion port, -1 refused */
    HANDLE linger_wait;    /* thread-pool wait that ends a closed description's write-behind */
    struct wp_ofd *wb_next, *wb_prev; /* on the list of descriptions with a write-behind */
    struct wp_pipe_link *link; /* pipe.c: shared by both ends of one pipe() (NULL: not known) */
    LONG64 pipe_id;        /* spawn.c: one value for both ends of one pipe() (0: not known) */
    volatile LONG spawned; /* spawn.c: given to a child, so its pipe can no longer be replaced */
};

struct wp_ofd *wp_ofd_new(enum wp_kind kind, HANDLE h, int accmode, int nonblock);
int wp_ofd_for_handle(HANDLE crt_h, struct wp_ofd **out);
void wp_ofd_ref(struct wp_ofd *ofd);
void wp_ofd_unref(struct wp_ofd *ofd);
HANDLE wp_ofd_event(HANDLE *slot);
void wp_wb_track(struct wp_ofd *ofd);
void wp_wb_untrack(struct wp_ofd *ofd);
void wp_flush_pending_writes(DWORD tid);

/* ---- fdtab.c: fd number → open file description ---- */
void wp_fdtab_lock(void);
void wp_fdtab_unlock(void);
int wp_fd_get(int fd, struct wp_ofd **out);      /* takes a reference */
void wp_fdtab_lock_shared(void);
void wp_fdtab_unlock_shared(void);
int wp_fd_get_known_locked(int fd, struct wp_ofd **out);
int wp_fd_get_locked(int fd, struct wp_ofd **out);
void wp_fd_bind_locked(int fd, HANDLE h, struct wp_ofd *ofd); /* the table takes a reference */
void wp_fd_unbind_locked(int fd);
int wp_fd_install_locked(HANDLE h, int crt_flags, struct wp_ofd *ofd);

/* ---- pipe.c ---- */
/* Both ends of one pipe() while this process holds them: an end whose description is alive here
 * keeps its handle open, so the pipe has that reader or writer, and poll() need not ask. */
struct wp_pipe_link {
    LONG refs;
    volatile LONG reader, writer;
};
void wp_pipe_link_drop(struct wp_ofd *ofd);
int wp_pipe_peer_alive(struct wp_ofd *ofd);
int wp_pipe_pair(HANDLE *rd, HANDLE *wr, DWORD size);
int wp_pipe_unnamed(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync);

/* ---- io.c ---- */
ssize_t wp_read(int fd, void *buf, size_t n);
ssize_t wp_write(int fd, const void *buf, size_t n);
void wp_wb_reap(struct wp_ofd *ofd);
int wp_probe(struct wp_ofd *ofd, DWORD *err);

/* ---- poll.c ---- */
int wp_poll(struct pollfd *fds, nfds_t n, int timeout);

/* ---- signal.c ---- */
void wp_sigpipe(void);
int wp_signal_raise(int sig);               /* the signal's action in this process, now */
int wp_signal_ignored_by_default(int sig);  /* SIGCHLD, SIGCONT, SIGURG, SIGWINCH */
void wp_exit_signalled(int sig);

/* ---- cmdline.c: argv, envp and program search for CreateProcessW, as pure functions ---- */
enum { WP_PROBE_NONE, WP_PROBE_FILE, WP_PROBE_DIR };
typedef int (*wp_probe_fn)(const wchar_t *path); /* WP_PROBE_… for a path */
int wp_utf8_to_wide(const char *s, wchar_t **out);
int wp_cmdline_argv(char *const argv[], wchar_t **out);
int wp_cmdline_batch(const char *script, char *const argv[], wchar_t **out);
int wp_cmdline_env(char *const envp[], wchar_t **out);
int wp_cmdline_search(const char *file, int search, const char *path, const char *pathext,
                      const char *cwd, wp_probe_fn probe, wchar_t **out);
int wp_cmdline_is_batch(const wchar_t *path);

/* ---- spawn_actions.c, spawn.c ---- */
enum wp_action_kind { WP_ACTION_OPEN, WP_ACTION_CLOSE, WP_ACTION_DUP2, WP_ACTION_CHDIR,
                      WP_ACTION_FCHDIR };
struct winpipe_spawn_action {
    enum wp_action_kind kind;
    int fd, newfd;
    int oflag;
    mode_t mode;
    char *path; /* OPEN, CHDIR: owned */
};
void wp_spawn_pair_locked(int rd_fd, int wr_fd); /* pipe.c: these two fds are one pipe's ends */

/* ---- wait.c: the child table ---- */
struct wp_child;
struct wp_child *wp_wait_new(void);        /* a record, made before the child starts; or NULL */
void wp_wait_discard(struct wp_child *c);  /* one wp_wait_add will not take */
void wp_wait_add(struct wp_child *c, DWORD pid, HANDLE process, int own_group); /* takes both */
uint32_t wp_wait_status(DWORD exit_code);  /* Linux's wait status */

/* ---- init.c ---- */
void wp_init(void);

/* ---- trace.c: WINPIPE_TRACE. Public entries return through wp_trace_ret (a -1/errno result)
 * or wp_trace_err (an error number, as posix_spawn returns); each returns its first argument. */
extern volatile LONG wp_trace_state;
int wp_trace__enabled(void);
static inline int wp_tracing(void)
{
    return wp_trace_state > 0 || (wp_trace_state < 0 && wp_trace__enabled());
}
/* trace.c formats with mingw's C99 printf: gcc checks that as gnu_printf; clang knows no
 * gnu_printf and checks C99 formats as printf (as mingw's own <stdio.h> does for clang). */
#ifdef __clang__
#define WP_PRINTF_FORMAT(f, a) __attribute__((format(printf, f, a)))
#else
#define WP_PRINTF_FORMAT(f, a) __attribute__((format(gnu_printf, f, a)))
#endif
long long wp_trace_ret(long long r, const char *fmt, ...) WP_PRINTF_FORMAT(2, 3);
int wp_trace_err(int err, const char *fmt, ...) WP_PRINTF_FORMAT(2, 3);
const char *wp_trace_errname(int err);
#define WP_TRACE_PTR(p) ((unsigned long long)(uintptr_t)(p)) /* printed "0x%llx": one way */
const char *wp_trace_pollfds(char *buf, size_t size, const struct pollfd *fds, nfds_t n, int rev);

#endif
