/* wb.c: the write-behind of an overlapped pipe end, and the process's list of them.
 *
 * POSIX says a non-blocking write writes what fits, and Windows can tell neither how much fits
 * (WriteQuotaAvailable is unreliable) nor take back a pending write (cancelling it may leave bytes
 * already visible to the reader). So a non-blocking write is issued from a private copy; if it
 * pends, it is reported as written and owns the copy until the reader has taken it, and later
 * non-blocking writes get EAGAIN until then. A pending write is never cancelled: close() lingers
 * until it is done, and thread and process exit wait for it, so that no byte write() reported
 * is lost. Only a process ended from outside (TerminateProcess) loses what it had pending.
 *
 * Its owner (opipe.c) serialises every call on one write-behind with its write lock, except
 * wp_wb_pending() and wp_wb_posts(), which only read. */
#include "winpipe-internal.h"
#include <assert.h>

/* IDLE: nothing issued yet. PENDING: a write owns buf, maybe completed (HasOverlappedIoCompleted
 * tells). DONE: the last write completed, its result reaped into err; buf is free. */
enum wp_wb_state { WP_WB_IDLE, WP_WB_PENDING, WP_WB_DONE };

struct wp_wb {
    enum wp_wb_state state;
    HANDLE h;           /* the pipe end: its owner's, open until wp_wb_close's done() */
    HANDLE ev;          /* the owner's write event: no other write uses it while one pends */
    OVERLAPPED ov;
    char *buf;          /* WP_WRITE_BEHIND_MAX bytes, from the first write */
    DWORD err;          /* DONE: the write's Win32 result (0: all of it is in the pipe) */
    int discarded;      /* a write's bytes were left when the reader went */
    int on_port;        /* issued after the handle joined poll's completion port */
    DWORD tid;          /* the thread that issued it: its exit would cancel it */
    HANDLE linger;      /* closed while pending: the thread-pool wait that ends it */
    void (*done)(void *);
    void *done_arg;
    struct wp_wb *next, *prev; /* on the list while PENDING */
};

static SRWLOCK wp_wb_lock = SRWLOCK_INIT;
static struct wp_wb *wp_wb_head;
static INIT_ONCE wp_wb_exit_once = INIT_ONCE_STATIC_INIT;
static DWORD wp_wb_fls = FLS_OUT_OF_INDEXES; /* a slot whose callback runs as a thread ends */

static void wp_wb__track(struct wp_wb *wb)
{
    AcquireSRWLockExclusive(&wp_wb_lock);
    wb->prev = NULL;
    wb->next = wp_wb_head;
    if (wp_wb_head)
        wp_wb_head->prev = wb;
    wp_wb_head = wb;
    ReleaseSRWLockExclusive(&wp_wb_lock);
}

static void wp_wb__untrack(struct wp_wb *wb)
{
    AcquireSRWLockExclusive(&wp_wb_lock);
    if (wb->prev)
        wb->prev->next = wb->next;
    else
        wp_wb_head = wb->next;
    if (wb->next)
        wb->next->prev = wb->prev;
    wb->next = wb->prev = NULL;
    ReleaseSRWLockExclusive(&wp_wb_lock);
}

static void wp_wb__at_exit(void)
{
    wp_wb_flush(0);
}

static void wp_wb__flush_at_detach(void);

/* A thread that issued a write-behind is ending, or the process with it: the callback of a fiber
 * local storage slot, which Windows and Wine run in the ending thread before its I/O is cancelled,
 * also at _exit() and ExitProcess in a program linked statically, where Wine 8 calls no TLS
 * callback with DLL_PROCESS_DETACH (measured). */
static void NTAPI wp_wb__thread_done(PVOID value)
{
    (void)value;
    if (wp_nt_process_ending())
        wp_wb__flush_at_detach();
    else
        wp_wb_flush(GetCurrentThreadId());
}

static BOOL CALLBACK wp_wb__arm_exit(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once; (void)param; (void)ctx;
    /* exit() runs it while every thread still lives; ExitProcess would first end the other
     * threads, and closing the handles would cancel their writes. */
    atexit(wp_wb__at_exit);
    wp_wb_fls = FlsAlloc(wp_wb__thread_done);
    return TRUE;
}

/* The exit-time waits know of this thread's write-behinds from its first one on. */
static void wp_wb__arm(void)
{
    InitOnceExecuteOnce(&wp_wb_exit_once, wp_wb__arm_exit, NULL, NULL);
    if (wp_wb_fls != FLS_OUT_OF_INDEXES && !FlsGetValue(wp_wb_fls))
        FlsSetValue(wp_wb_fls, (PVOID)1);
}

/* A write's bytes, issued; the list and the exit-time wait know of it from now on. */
static ssize_t wp_wb__issue(struct wp_wb *wb, const void *buf, DWORD len, int on_port)
{
    memcpy(wb->buf, buf, len);
    memset(&wb->ov, 0, sizeof wb->ov);
    wb->ov.hEvent = wb->ev; /* not tagged: on the completion port, this wakes poll() for POLLOUT */
    if (WriteFile(wb->h, wb->buf, len, NULL, &wb->ov)) {
        wb->state = WP_WB_DONE;
        wb->err = 0;
        return (ssize_t)wb->ov.InternalHigh;
    }
    DWORD err = GetLastError();
    if (err != ERROR_IO_PENDING) {
        wb->state = WP_WB_DONE;
        wb->err = err;
        return wp_errno_peer_gone(err) ? -EPIPE : -wp_errno_from_win32(err);
    }
    wp_wb__arm();
    wb->state = WP_WB_PENDING;
    wb->on_port = on_port;
    wb->tid = GetCurrentThreadId();
    wp_wb__track(wb);
    return len;
}

/* The machine, and the only writer of wb->state. It advances as far as it can without waiting:
 * a completed write is reaped (PENDING → DONE), its bytes in the pipe, or discarded because the
 * reader is gone (as Linux discards what is left in a pipe nobody reads). Given bytes (len > 0),
 * a free machine issues them; a busy one answers -EAGAIN. Returns the count issued, or 0 when
 * only asked to advance. */
static ssize_t wp_wb__step(struct wp_wb *wb, const void *buf, DWORD len, int on_port)
{
    if (wb->state == WP_WB_PENDING) {
        DWORD n;
        if (!HasOverlappedIoCompleted(&wb->ov))
            return len ? -EAGAIN : 0;
        wb->err = GetOverlappedResult(wb->h, &wb->ov, &n, FALSE) ? 0 : GetLastError();
        if (wp_errno_peer_gone(wb->err))
            wb->discarded = 1;
        wb->state = WP_WB_DONE;
        wp_wb__untrack(wb);
    }
    if (wb->state == WP_WB_IDLE || wb->state == WP_WB_DONE)
        return len ? wp_wb__issue(wb, buf, len, on_port) : 0;
    assert(!"unreachable: a write-behind state");
    return -EIO;
}

struct wp_wb *wp_wb_new(HANDLE h, HANDLE ev)
{
    struct wp_wb *wb = calloc(1, sizeof *wb);
    if (!wb)
        return NULL;
    if (!(wb->buf = malloc(WP_WRITE_BEHIND_MAX))) {
        free(wb);
        return NULL;
    }
    wb->h = h;
    wb->ev = ev;
    return wb;
}

/* A non-blocking write of up to WP_WRITE_BEHIND_MAX bytes: the count, -EAGAIN while the last
 * one pends, -EPIPE when the reader is gone. */
ssize_t wp_wb_write(struct wp_wb *wb, const void *buf, size_t n, int on_port)
{
    return wp_wb__step(wb, buf, wp_clamp(n, WP_WRITE_BEHIND_MAX), on_port);
}

/* 1 while a write pends (reaping one that is done). */
int wp_wb_busy(struct wp_wb *wb)
{
    wp_wb__step(wb, NULL, 0, 0);
    return wb->state == WP_WB_PENDING;
}

/* Without the owner's lock: a state read stale only sends poll() to its wait, which the write's
 * completion ends. */
int wp_wb_pending(struct wp_wb *wb)
{
    return wb->state == WP_WB_PENDING && !HasOverlappedIoCompleted(&wb->ov);
}

/* 1: the pending write's completion comes as a packet on poll's completion port. */
int wp_wb_posts(struct wp_wb *wb)
{
    return wb->state == WP_WB_PENDING && wb->on_port;
}

/* Linux: a write end whose reader is gone is POLLERR, with POLLOUT unless the pipe is full —
 * and a pipe stays full of what the reader left. Here that is the write-behind it left. */
int wp_wb_discarded(struct wp_wb *wb)
{
    return wb->discarded;
}

/* A blocking write comes after the write-behind: POSIX keeps one description's writes in order. */
void wp_wb_wait(struct wp_wb *wb)
{
    if (wb->state == WP_WB_PENDING)
        WaitForSingleObject(wb->ev, INFINITE);
    wp_wb__step(wb, NULL, 0, 0);
}

static void wp_wb__free(struct wp_wb *wb)
{
    void (*done)(void *) = wb->done;
    void *arg = wb->done_arg;
    free(wb->buf);
    free(wb);
    done(arg);
}

/* Thread-pool callback: the write-behind of a closed end has finished. */
static VOID CALLBACK wp_wb__linger_done(PVOID arg, BOOLEAN timed_out)
{
    struct wp_wb *wb = arg;
    (void)timed_out;
    UnregisterWait(wb->linger);
    wp_wb__step(wb, NULL, 0, 0);
    wp_wb__free(wb);
}

/* The end is closed (its last fd gone): POSIX close() does not wait for the reader, but the bytes
 * of a pending write live in this process. done(arg), which closes the handle, runs once they are
 * in the pipe — now if they are already, so that the reader sees EOF at once. */
void wp_wb_close(struct wp_wb *wb, void (*done)(void *), void *arg)
{
    wb->done = done;
    wb->done_arg = arg;
    wp_wb__step(wb, NULL, 0, 0);
    if (wb->state == WP_WB_PENDING
        && RegisterWaitForSingleObject(&wb->linger, wb->ev, wp_wb__linger_done, wb, INFINITE,
                                       WT_EXECUTEONLYONCE))
        return;
    wp_wb_wait(wb); /* no thread-pool wait to be had: wait here rather than lose bytes */
    wp_wb__free(wb);
}

/* Waits until every pending write-behind (tid 0) or those thread tid issued is in the pipe, or
 * its reader is gone. At process exit closing the handles would cancel them, and at thread exit
 * Windows cancels the thread's I/O on handles on no completion port and Wine on every handle —
 * and Wine then reports 0 bytes written even when the reader took some, so a cancelled
 * write-behind could not be issued again exactly. */
void wp_wb_flush(DWORD tid)
{
    AcquireSRWLockShared(&wp_wb_lock);
    for (struct wp_wb *wb = wp_wb_head; wb; wb = wb->next)
        if (!tid || wb->tid == tid)
            WaitForSingleObject(wb->ev, INFINITE);
    ReleaseSRWLockShared(&wp_wb_lock);
}

/* _exit() and ExitProcess end the other threads first, then run the TLS callbacks with
 * DLL_PROCESS_DETACH before they close the handles: this thread's write-behinds can still be
 * waited for. A thread ended in the middle may have held the list's lock: then nothing is
 * waited for rather than wait forever. */
static void wp_wb__flush_at_detach(void)
{
    if (!TryAcquireSRWLockShared(&wp_wb_lock))
        return;
    for (struct wp_wb *wb = wp_wb_head; wb; wb = wb->next)
        WaitForSingleObject(wb->ev, INFINITE);
    ReleaseSRWLockShared(&wp_wb_lock);
}

/* A TLS callback, so that the static library and the DLL both get thread and process exit
 * without a DllMain of winpipe's own. It runs before the thread's I/O is cancelled. A DLL that
 * is unloaded (reserved NULL) takes its slot's callback with it. */
static void NTAPI wp_wb__tls(PVOID module, DWORD reason, PVOID reserved)
{
    (void)module;
    if (reason == DLL_THREAD_DETACH)
        wp_wb_flush(GetCurrentThreadId());
    else if (reason == DLL_PROCESS_DETACH)
        wp_wb__flush_at_detach();
    if (reason == DLL_PROCESS_DETACH && !reserved && wp_wb_fls != FLS_OUT_OF_INDEXES)
        FlsFree(wp_wb_fls);
}

extern const IMAGE_TLS_DIRECTORY _tls_used; /* the CRT's TLS directory: keeps callbacks linked */
__attribute__((used, section(".CRT$XLW")))
const PIMAGE_TLS_CALLBACK wp_wb_tls_callback = wp_wb__tls;
__attribute__((used)) static const void *wp_wb_tls_ref = &_tls_used;
