/* winpipe-internal.h: the interfaces between lib/ rooms, and the one place that includes
 * <windows.h> (with a fixed _WIN32_WINNT). Only lib/ includes this header.
 *
 * The rooms, each calling only the rooms above it in this list (tools/rooms.sh checks):
 *   base/  the Win32 floor: errors, the C runtime's fd calls, NT queries, pipe pairs, tracing
 *   ofd/   the open file description and one file per kind of it, behind struct wp_kind
 *   fd/    what an fd number means: the table, fcntl/dup/close, pipe()
 *   proc/  processes: spawn, the child's fd table, wait, kill, signals
 *   io/    read, write, poll, select
 * and lib/aliases.c, the POSIX names as real symbols, on top.
 *
 * Conventions: internal functions return 0 or a count on success and -E… on failure and never
 * touch errno; each public winpipe_ entry sets errno once, through wp_ret(). A module's functions
 * carry its file's name (wp_opipe_* in opipe.c); file-static helpers a double underscore. */
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

/* The C runtime's own fd limit, and so winpipe's (sysconf(_SC_OPEN_MAX)): every fd number is
 * range-checked against it. */
#ifdef _UCRT
#define WP_FD_MAX 8192            /* UCRT's fd table */
#else
#define WP_FD_MAX 2048            /* msvcrt's: 64 blocks of 32 */
#endif
#define WP_PIPE_SIZE 65536        /* default pipe capacity, as Linux */
#define WP_WRITE_BEHIND_MAX 65536 /* most a non-blocking write accepts at once */
#define WP_IO_MAX 0x40000000u     /* most bytes given to one ReadFile/WriteFile */

#define WP_POLLIN_BITS (POLLIN | POLLRDNORM)
#define WP_POLLOUT_BITS (POLLOUT | POLLWRNORM)

static inline long long wp_ret(long long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

static inline DWORD wp_clamp(size_t n, DWORD max)
{
    return n > max ? max : (DWORD)n;
}

/* =========================================================================================== */
/* base/: the Win32 floor. Knows no fd number and no description.                              */

/* ---- base/errno.c: the one Win32/NTSTATUS/Winsock → errno table ---- */
int wp_errno_from_win32(DWORD err);
int wp_errno_from_nt(NTSTATUS st);
int wp_errno_from_wsa(int wsa_err);
int wp_errno_peer_gone(DWORD err); /* a pipe's other end is gone: the one definition */
static inline int wp_last_error(void) { return -wp_errno_from_win32(GetLastError()); }

/* ---- base/crt.c: C runtime calls that must not trip its invalid-parameter handler ---- */
HANDLE wp_crt_handle(int fd); /* INVALID_HANDLE_VALUE for a closed or out-of-range fd */
int wp_crt_close(int fd);
int wp_crt_dup2(int fd, int fd2);
int wp_crt_open_handle(HANDLE h, int crt_flags);

/* ---- base/win32.c: small Win32 helpers every room uses ---- */
HANDLE wp_win32_event_lazy(HANDLE *slot);    /* a manual-reset event made on first use, or NULL */
unsigned long long wp_win32_clock_us(void);  /* the one monotonic clock */
int wp_win32_utf8_to_wide(const char *s, wchar_t **out);
char *wp_win32_wide_to_utf8(const wchar_t *w); /* malloc'ed; NULL without memory */
int wp_win32_is_pseudo_handle(HANDLE h);     /* console pseudo-handles of Windows 7 and older */
/* An OVERLAPPED's event with the low bit set: the completion is never queued to a completion
 * port the handle may be associated with; only the event is signalled. */
static inline HANDLE wp_ov_event(HANDLE ev) { return (HANDLE)((ULONG_PTR)ev | 1); }

/* ---- base/nt.c: the NT queries and calls winpipe makes, one named struct each ---- */
/* FilePipeLocalInformation */
struct wp_nt_pipe_local {
    ULONG type, config, max_instances, cur_instances, in_quota, read_avail, out_quota,
        write_avail, state, end;
};
int wp_nt_pipe_local(HANDLE h, struct wp_nt_pipe_local *info); /* 0 or -E… */
int wp_nt_pipe_closing(HANDLE h);  /* 1: the other end is gone (FILE_PIPE_CLOSING_STATE) */
int wp_nt_is_overlapped(HANDLE h); /* FileModeInformation: not synchronous */
int wp_nt_accmode(HANDLE h);       /* O_RDONLY, O_WRONLY or O_RDWR from the granted access */
int wp_nt_process_ending(void);    /* ExitProcess has begun */
int wp_nt_pipe_server(HANDLE *h, DWORD size, int sync); /* a new unnamed pipe's read end */
int wp_nt_pipe_client(HANDLE server, HANDLE *h, int sync); /* its write end */
int wp_nt_pipe_nowait(HANDLE h);   /* PIPE_NOWAIT: a write that does not fit writes nothing */
int wp_nt_process_env(HANDLE process, wchar_t **out, size_t *len); /* another's environment */
/* Windows 8's wait completion packets; wp_nt_waitpkt_new() is NULL where the system has none */
HANDLE wp_nt_waitpkt_new(void);
int wp_nt_waitpkt_arm(HANDLE pkt, HANDLE port, HANDLE h, ULONG_PTR key, ULONG_PTR arg,
                      int *already);
void wp_nt_waitpkt_free(HANDLE pkt);

/* ---- base/inherit.c: what a winpipe parent gives a child beyond the C runtime's fds ---- */
#define WP_INHERIT_NONBLOCK 0x01 /* the fd's description has O_NONBLOCK */
size_t wp_inherit_size(int nfds);
struct wp_inherit_proc {
    unsigned long long sigmask, sigign; /* the child's signal mask and ignored signals */
    DWORD pgid;                         /* its process group; 0: a new one it leads */
    HANDLE job;                         /* the group's job, inherited by the child; or NULL */
};
void wp_inherit_write(BYTE *dst, int nfds, const unsigned char *flags,
                      const struct wp_inherit_proc *p);
int wp_inherit_fd_flags(int fd, HANDLE h); /* the parent's flags for fd, once; 0: none */
int wp_inherit_signals(unsigned long long *mask, unsigned long long *ignored); /* 0: none given */
int wp_inherit_group(DWORD *pgid, HANDLE *job); /* 1: the parent placed us in a group */

/* ---- base/intr.c: what a signal needs of a thread: its mask, its own pending set, and how to
 * wake it while it sleeps in a call a signal may interrupt ---- */
#define WP_SIG_MAX 64
struct wp_intr;
struct wp_intr_waker {
    void (*fn)(void *arg);
    void *arg;
};
enum { WP_INTR_RAN = 1, WP_INTR_NORESTART = 2 };         /* what wp_intr_deliver() did */
enum { WP_INTR_WOKE, WP_INTR_AWAKE, WP_INTR_BLOCKED };   /* what wp_intr_wake_one() found */
void wp_intr_setup(volatile LONG64 *proc_pending, int (*deliver)(void), unsigned long long mask);
struct wp_intr *wp_intr_self(void);  /* this thread's record, made on first use; NULL: no memory */
struct wp_intr *wp_intr_self_with(unsigned long long mask); /* … made with mask if new */
struct wp_intr *wp_intr_peek(void);  /* this thread's record, or NULL if it has none */
void wp_intr_not_target(struct wp_intr *t);
int wp_intr_is_first(const struct wp_intr *t);
unsigned long long wp_intr_mask(const struct wp_intr *t);
unsigned long long wp_intr_set_mask(struct wp_intr *t, unsigned long long mask, int base);
void wp_intr_set_wait_masks(struct wp_intr *t, unsigned long long mask,
                            unsigned long long waiting); /* sigwait's */
void wp_intr_raise(struct wp_intr *t, int sig, int code);
unsigned long long wp_intr_own_pending(const struct wp_intr *t);
int wp_intr_take(struct wp_intr *t, int sig, int *code);
void wp_intr_discard(int sig);
int wp_intr_pending(const struct wp_intr *t);
struct wp_intr_waker *wp_intr_enter(struct wp_intr *t, struct wp_intr_waker *w);
void wp_intr_leave(struct wp_intr *t, struct wp_intr_waker *outer);
void wp_intr_wake_event(void *ev);
int wp_intr_wake_one(int sig);
int wp_intr_blocked_by_all(int sig);
HANDLE wp_intr_event(const struct wp_intr *t);
int wp_intr_wait(const HANDLE *h, DWORD n, DWORD ms); /* index, -ETIMEDOUT, -EINTR, -E… */
int wp_intr_deliver(void);

/* ---- base/ntpipe.c: a pipe pair (NT unnamed, or a named fallback), non-inheritable ---- */
int wp_ntpipe_pair(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync);

/* ---- base/trace.c: WINPIPE_TRACE. Public entries return through wp_trace_ret (a -1/errno result)
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

/* =========================================================================================== */
/* ofd/: the open file description (what POSIX shares between dup'ed fds) and its kinds.       */

struct wp_ofd;

/* One poll() call's part for one fd: what the kind armed, for poll.c to sleep on and undo. */
struct wp_wake {
    HANDLE port;    /* in: poll's completion port, or NULL when poll waits on handles */
    HANDLE handle;  /* out, not ready: signalled when the fd may be (NULL: a port packet comes) */
    int unarmed;    /* out, not ready: nothing will wake the call for this fd; look again soon */
    int sink;       /* out, not ready: its news comes as a sink packet (struct wp_port_sink),
                     * which only a call that takes from the port sees */
    void *state;    /* the kind's own, kept across the call's checks; poll_end frees it */
};

/* A packet on poll's completion port that tells more than "look again": its key is a sink (pipes'
 * completions and plain wake-ups have key 0), and the poll that takes it hands the sink the
 * packet's argument, where an OVERLAPPED pointer would be. */
struct wp_port_sink {
    void (*packet)(ULONG_PTR arg);
};

/* What a kind of description does; every kind's file defines one (wp_opipe_kind, …). */
struct wp_kind {
    const char *name;
    /* NULL: the kind reads (writes) nothing, and read (write) gives EINVAL */
    ssize_t (*read)(struct wp_ofd *ofd, int fd, void *buf, size_t n);        /* n > 0 */
    ssize_t (*write)(struct wp_ofd *ofd, int fd, const void *buf, size_t n); /* n > 0, buf */
    /* revents now; 0 when not ready, with w->handle (or a port packet) armed to say when. */
    short (*poll)(struct wp_ofd *ofd, int fd, short events, struct wp_wake *w);
    void (*poll_end)(struct wp_ofd *ofd, int fd, struct wp_wake *w); /* NULL: nothing to undo */
    int (*on_port)(struct wp_ofd *ofd); /* NULL or 0: completions still signal its events */
    void (*release)(void *impl); /* the description is gone: free the kind's state (NULL: none) */
};

/* Both ends of one pipe() while this process holds them: an end whose description is alive here
 * keeps its handle open, so the pipe has that reader or writer, and poll() need not ask. */
struct wp_pipe_link {
    LONG refs;
    volatile LONG reader, writer;
};

struct wp_ofd {
    LONG refs;                    /* fd table entries + calls in flight */
    const struct wp_kind *kind;   /* changed only by wp_ofd_set_kind */
    void *impl;                   /* the kind's own state, defined in the kind's file */
    int accmode;                  /* O_RDONLY, O_WRONLY or O_RDWR */
    volatile LONG nonblock;
    struct wp_pipe_link *link;    /* both ends of one pipe() (NULL: not known) */
};

/* ---- ofd/ofd.c ---- */
struct wp_ofd *wp_ofd_new(const struct wp_kind *kind, void *impl, int accmode, int nonblock);
void wp_ofd_ref(struct wp_ofd *ofd);
void wp_ofd_unref(struct wp_ofd *ofd);
void wp_ofd_set_kind(struct wp_ofd *ofd, const struct wp_kind *kind, void *impl);
void wp_ofd_link(struct wp_ofd *rd, struct wp_ofd *wr);
int wp_ofd_peer_alive(struct wp_ofd *ofd);
int wp_ofd_same_pipe(struct wp_ofd *a, struct wp_ofd *b);

/* ---- ofd/kinds.c: the one place that knows every kind ---- */
int wp_kinds_for_handle(HANDLE crt_h, struct wp_ofd **out);

/* ---- ofd/opipe.c: an overlapped pipe end (winpipe's own, or a winpipe parent's) ---- */
extern const struct wp_kind wp_opipe_kind;
struct wp_ofd *wp_opipe_new(HANDLE h, int accmode, int nonblock); /* takes h; NULL: no memory */
int wp_opipe_is(struct wp_ofd *ofd);
int wp_opipe_pristine(struct wp_ofd *ofd);
void wp_opipe_mark_shared(struct wp_ofd *ofd);
DWORD wp_opipe_capacity(struct wp_ofd *ofd);
void wp_opipe_rehandle(struct wp_ofd *ofd, HANDLE h);

/* ---- ofd/wb.c: the write-behind of an overlapped end ---- */
struct wp_wb;
struct wp_wb *wp_wb_new(HANDLE h, HANDLE ev); /* borrows the end's handle and write event */
ssize_t wp_wb_write(struct wp_wb *wb, const void *buf, size_t n, int on_port);
int wp_wb_busy(struct wp_wb *wb);
int wp_wb_pending(struct wp_wb *wb);
void wp_wb_wait(struct wp_wb *wb);
int wp_wb_wait_intr(struct wp_wb *wb); /* -EINTR: a signal is pending for this thread */
int wp_wb_posts(struct wp_wb *wb);
int wp_wb_discarded(struct wp_wb *wb);
void wp_wb_close(struct wp_wb *wb, void (*done)(void *), void *arg);
void wp_wb_flush(DWORD tid);

/* ---- ofd/pidfd.c: a process fd ---- */
struct wp_pidfd_reap; /* the child table's "reaped" mark of a child, shared with its pidfds */
struct wp_pidfd_reap *wp_pidfd_reap_new(void);
void wp_pidfd_reap_ref(struct wp_pidfd_reap *r);
void wp_pidfd_reap_unref(struct wp_pidfd_reap *r); /* NULL: nothing */
void wp_pidfd_reap_set(struct wp_pidfd_reap *r);
struct wp_ofd *wp_pidfd_new(HANDLE h, DWORD pid, struct wp_pidfd_reap *reap, int nonblock);
int wp_pidfd_is(struct wp_ofd *ofd);
DWORD wp_pidfd_pid(struct wp_ofd *ofd);
HANDLE wp_pidfd_handle(struct wp_ofd *ofd);

/* ---- ofd/spipe.c, socket.c, console.c, crtfile.c: the kinds the C runtime's handle serves ---- */
extern const struct wp_kind wp_spipe_kind;
extern const struct wp_kind wp_socket_kind;
extern const struct wp_kind wp_console_kind;
extern const struct wp_kind wp_crtfile_kind;
ssize_t wp_crtfile_read(struct wp_ofd *ofd, int fd, void *buf, size_t n); /* console.c's too */
ssize_t wp_crtfile_write(struct wp_ofd *ofd, int fd, const void *buf, size_t n);

/* =========================================================================================== */
/* fd/: what an fd number means.                                                                */

/* ---- fd/fdtab.c: fd number → open file description ---- */
void wp_fdtab_lock(void);
void wp_fdtab_unlock(void);
void wp_fdtab_lock_shared(void);
void wp_fdtab_unlock_shared(void);
int wp_fdtab_get(int fd, struct wp_ofd **out); /* takes a reference */
int wp_fdtab_get_known_locked(int fd, struct wp_ofd **out);
int wp_fdtab_get_locked(int fd, struct wp_ofd **out);
void wp_fdtab_bind_locked(int fd, HANDLE h, struct wp_ofd *ofd); /* the table takes a reference */
void wp_fdtab_unbind_locked(int fd);
int wp_fdtab_install_locked(HANDLE h, int crt_flags, struct wp_ofd *ofd);
int wp_fdtab_install_on_nul(struct wp_ofd *ofd); /* an fd (FD_CLOEXEC) for a handle-less kind */

/* ---- fd/pipe.c ---- */
void wp_pipe_give_to_child_locked(int src_fd, const int *parent_fds, int n);

/* =========================================================================================== */
/* proc/: processes.                                                                            */

/* ---- proc/cmdline.c: argv, envp and program search for CreateProcessW, as pure functions ---- */
enum { WP_PROBE_NONE, WP_PROBE_FILE, WP_PROBE_DIR };
typedef int (*wp_probe_fn)(const wchar_t *path); /* WP_PROBE_… for a path */
int wp_cmdline_argv(char *const argv[], wchar_t **out);
int wp_cmdline_batch(const char *script, char *const argv[], wchar_t **out);
int wp_cmdline_env(char *const envp[], wchar_t **out);
int wp_cmdline_search(const char *file, int search, const char *path, const char *pathext,
                      const char *cwd, wp_probe_fn probe, wchar_t **out);
int wp_cmdline_is_batch(const wchar_t *path);

/* ---- proc/spawn_actions.c ---- */
enum wp_action_kind { WP_ACTION_OPEN, WP_ACTION_CLOSE, WP_ACTION_DUP2, WP_ACTION_CHDIR,
                      WP_ACTION_FCHDIR };
struct winpipe_spawn_action {
    enum wp_action_kind kind;
    int fd, newfd;
    int oflag;
    mode_t mode;
    char *path; /* OPEN, CHDIR: owned */
};

/* ---- proc/spawn_fds.c: the child's fd table and how the child receives it ---- */
struct wp_spawn_fds {
    HANDLE std[3];      /* the child's 0-2: its standard handles (NULL: closed) */
    HANDLE *inherit;    /* each handle the child inherits once, no pseudo-handle */
    int n_inherit;
    BYTE *crt;          /* the C runtime's lpReserved2 block */
    WORD crt_size;
    char *cwd;          /* after addchdir/addfchdir, UTF-8; NULL: the parent's */
    unsigned long long sig_mask, sig_ign; /* in: the child's signal mask and ignored signals */
    void *priv;         /* spawn_fds.c's own */
};
int wp_spawn_fds_make(struct wp_spawn_fds *c, const winpipe_posix_spawn_file_actions_t *fa,
                      DWORD pgid, HANDLE job);
void wp_spawn_fds_started(struct wp_spawn_fds *c); /* the child has its copies: close ours */
void wp_spawn_fds_free(struct wp_spawn_fds *c);

/* ---- proc/wait.c: the child table ---- */
struct wp_child;
struct wp_child *wp_wait_new(void);        /* a record, made before the child starts; or NULL */
void wp_wait_discard(struct wp_child *c);  /* one wp_wait_add will not take */
/* takes pid's process handle; pgid: its process group; own_group: it leads a console group */
void wp_wait_add(struct wp_child *c, DWORD pid, HANDLE process, DWORD pgid, int own_group);
uint32_t wp_wait_status(DWORD exit_code);  /* Linux's wait status */
/* One child kill() may signal: a handle of its own, and what kill needs to know. */
struct wp_wait_target {
    HANDLE h;
    DWORD pid;
    int own_group; /* leads its own process group (POSIX_SPAWN_SETPGROUP) */
    int zombie;    /* exited, not reaped */
};
int wp_wait_targets(pid_t pid, struct wp_wait_target **out, int *n);
int wp_wait_is_child(DWORD pid);
int wp_wait_child_pgid(DWORD pid, DWORD *pgid); /* -ESRCH: no such child */
int wp_wait_child_for_pidfd(DWORD pid, HANDLE *h, struct wp_pidfd_reap **reap);

/* ---- proc/pgroup.c: process groups as job objects ---- */
/* Where a spawn puts its child: CreateProcessW's flags, its group, the group's job. */
struct wp_pgroup_spawn {
    DWORD flags;  /* CREATE_SUSPENDED, CREATE_NEW_PROCESS_GROUP, CREATE_BREAKAWAY_FROM_JOB */
    DWORD pgid;   /* the child's group; 0: a new one it leads */
    HANDLE job;   /* the group's job (the plan's own handle), or NULL */
    int assign;   /* the child is to be assigned to job before it runs (it is suspended) */
    ULONG_PTR key; /* a new group's job's completion key */
};
DWORD wp_pgroup_self(void); /* this process's pgid */
int wp_pgroup_plan(short aflags, pid_t pgroup, struct wp_pgroup_spawn *g);
void wp_pgroup_place(struct wp_pgroup_spawn *g, HANDLE process, HANDLE thread, DWORD pid);
void wp_pgroup_plan_free(struct wp_pgroup_spawn *g);
void wp_pgroup_reaped(DWORD pgid); /* the child table reaped a child started in group pgid */
int wp_pgroup_members(DWORD pgid, const DWORD *skip, int nskip, struct wp_wait_target **out,
                      int *n); /* -ESRCH: a group this process does not know */
int wp_pgroup_terminate(DWORD pgid, UINT code, int *had);
int wp_pgroup_of(DWORD pid, DWORD *pgid);
int wp_pgroup_set_mine(DWORD pgid);

/* ---- proc/kill.c ---- */
int wp_kill_process(HANDLE h, DWORD pid, int sig); /* a pidfd's process; -ESRCH once ended */
int wp_kill_group(DWORD pgid, int sig);              /* kill(-pgid, sig) */

/* ---- proc/signal.c: dispositions, masks, the process's pending set, delivery ---- */
/* One signal as it travels: a record of the signal channel (sigthread.c), siginfo_t's source. */
struct wp_sigrec {
    int32_t sig, code, pid, status;
};
void wp_signal_pipe(void);                  /* a write found no reader: SIGPIPE */
int wp_signal_raise(int sig);               /* raise(): for this thread, delivered now */
int wp_signal_kill_self(int sig);           /* kill(getpid(), sig) */
int wp_signal_ignored_by_default(int sig);  /* SIGCHLD, SIGCONT, SIGURG, SIGWINCH */
enum { WP_CHILD_NOTIFY = 1, WP_CHILD_AUTOREAP = 2 };
int wp_signal_child_action(void);           /* what a child's end does: WP_CHILD_* */
void wp_signal_spawn_state(const winpipe_posix_spawnattr_t *attr, unsigned long long *mask,
                           unsigned long long *ignored);
int wp_signal_deliver(void);                /* WP_INTR_RAN | WP_INTR_NORESTART */
int wp_signal_generate(const struct wp_sigrec *rec);
int wp_signal_send(const struct wp_sigrec *rec); /* from a thread that takes no signal */
void wp_signal_dispatch(struct wp_intr *self, int sig);
unsigned long long wp_signal_wait_mask(struct wp_intr *t, unsigned long long mask);
void wp_signal_restore_mask(struct wp_intr *t, unsigned long long mask);

/* ---- proc/sigthread.c: the signal channel, the signal thread, the console, alarm ---- */
typedef void (*wp_sigthread_take_fn)(const struct wp_sigrec *rec, struct wp_intr *self);
typedef int (*wp_sigthread_generate_fn)(const struct wp_sigrec *rec); /* 0: discarded */
void wp_sigthread_start(wp_sigthread_take_fn take, wp_sigthread_generate_fn generate,
                        int (*break_sig)(void));
int wp_sigthread_post(const struct wp_sigrec *rec); /* never blocks; -EAGAIN: full */

/* ---- proc/sigsend.c: a signal for another winpipe process, through its channel ---- */
#define WP_SIGSEND_NONE 1 /* the target has no channel this process can reach */
void wp_sigsend_publish(HANDLE channel);
int wp_sigsend(DWORD pid, int sig);
void wp_sigsend_forget(DWORD pid); /* a child reaped: its channel, if kept, goes */

/* =========================================================================================== */
/* io/: read, write, poll, select.                                                              */

ssize_t wp_io_read(int fd, void *buf, size_t n);
ssize_t wp_io_write(int fd, const void *buf, size_t n);
int wp_poll(struct pollfd *fds, nfds_t n, int timeout);
int wp_poll_mask(struct pollfd *fds, nfds_t n, int timeout, const unsigned long long *mask);
struct timespec;
int wp_poll_timespec_ms(const struct timespec *ts, int *ms);

#endif
