/* ofd.c: the open file description (struct wp_ofd) that POSIX shares between dup'ed fds: its
 * kind, O_NONBLOCK, its own handle for overlapped I/O, and the operations that outlive a call.
 * It also keeps the list of descriptions with a write-behind still pending, so that no byte a
 * write() reported is lost when the fd is closed or the process exits. */
#include "winpipe-internal.h"

static SRWLOCK wp_wb_lock = SRWLOCK_INIT;
static struct wp_ofd *wp_wb_head;

struct wp_ofd *wp_ofd_new(enum wp_kind kind, HANDLE h, int accmode, int nonblock)
{
    struct wp_ofd *ofd = calloc(1, sizeof *ofd);
    if (!ofd)
        return NULL;
    ofd->refs = 1;
    ofd->kind = kind;
    ofd->h = h;
    ofd->accmode = accmode;
    ofd->nonblock = nonblock;
    InitializeSRWLock(&ofd->rd_lock);
    InitializeSRWLock(&ofd->probe_lock);
    InitializeSRWLock(&ofd->wr_lock);
    return ofd;
}

/* Events are made on first use (most descriptions never need all of them), by whichever thread
 * comes first: poll() may ask outside the locks that guard the operations. */
HANDLE wp_ofd_event(HANDLE *slot)
{
    HANDLE ev = *(HANDLE volatile *)slot;
    if (ev)
        return ev;
    if (!(ev = CreateEventW(NULL, TRUE, FALSE, NULL)))
        return NULL;
    HANDLE had = InterlockedCompareExchangePointer(slot, ev, NULL);
    if (had) {
        CloseHandle(ev);
        return had;
    }
    return ev;
}

static int wp_ofd__accmode(HANDLE h)
{
    PUBLIC_OBJECT_BASIC_INFORMATION info;
    ULONG len;
    if (NtQueryObject(h, ObjectBasicInformation, &info, sizeof info, &len) < 0)
        return O_RDWR;
    int r = (info.GrantedAccess & FILE_READ_DATA) != 0;
    int w = (info.GrantedAccess & FILE_WRITE_DATA) != 0;
    return r && w ? O_RDWR : w ? O_WRONLY : O_RDONLY;
}

static int wp_ofd__is_overlapped(HANDLE h)
{
    IO_STATUS_BLOCK iosb;
    ULONG mode = 0;
    /* FileModeInformation (16): FILE_SYNCHRONOUS_IO_ALERT 0x10 / _NONALERT 0x20. */
    if (NtQueryInformationFile(h, &iosb, &mode, sizeof mode, (FILE_INFORMATION_CLASS)16) < 0)
        return 0;
    return (mode & 0x30) == 0;
}

/* A socket answers getsockopt (once the program started Winsock, as it must to have one). */
static int wp_ofd__is_socket(HANDLE h)
{
    int type, len = sizeof type;
    return getsockopt((SOCKET)h, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

static enum wp_kind wp_ofd__classify(HANDLE h)
{
    DWORD mode, flags;
    switch (GetFileType(h)) {
    case FILE_TYPE_DISK:
        return WP_FILE;
    case FILE_TYPE_CHAR:
        return GetConsoleMode(h, &mode) ? WP_CONSOLE : WP_CHAR;
    case FILE_TYPE_PIPE:
        if (GetNamedPipeInfo(h, &flags, NULL, NULL, NULL))
            return wp_ofd__is_overlapped(h) ? WP_PIPE_ASYNC : WP_PIPE_SYNC;
        /* Sockets are FILE_TYPE_PIPE too, without pipe information. So is, under Wine, a Unix
         * pipe or FIFO a process was started with (wine prog.exe | cat): the C runtime's own
         * reads and writes work on it, and poll() calls it always ready, as a file. */
        return wp_ofd__is_socket(h) ? WP_SOCKET : WP_OTHER;
    default:
        return WP_OTHER;
    }
}

/* A description for an fd winpipe did not create: inherited, the console, a file, NUL. */
int wp_ofd_for_handle(HANDLE crt_h, struct wp_ofd **out)
{
    enum wp_kind kind = wp_ofd__classify(crt_h);
    HANDLE own = NULL;
    if (kind == WP_PIPE_ASYNC
        && !DuplicateHandle(GetCurrentProcess(), crt_h, GetCurrentProcess(), &own, 0, FALSE,
                            DUPLICATE_SAME_ACCESS))
        return wp_last_error();
    *out = wp_ofd_new(kind, own, wp_ofd__accmode(crt_h), 0);
    if (!*out) {
        if (own)
            CloseHandle(own);
        return -ENOMEM;
    }
    return 0;
}

void wp_ofd_ref(struct wp_ofd *ofd)
{
    InterlockedIncrement(&ofd->refs);
}

static void wp_ofd__destroy(struct wp_ofd *ofd)
{
    /* Windows completes a pending operation only after CloseHandle has cancelled it, and
     * writes into its OVERLAPPED then: wait for that before freeing. */
    if (ofd->probe.state == WP_OP_PENDING) {
        DWORD n;
        CancelIoEx(ofd->h, &ofd->probe.ov);
        GetOverlappedResult(ofd->h, &ofd->probe.ov, &n, TRUE);
    }
    wp_pipe_link_drop(ofd); /* before the handle closes: poll() may not think it still open */
    if (ofd->h)
        CloseHandle(ofd->h);
    if (ofd->rd_ev)
        CloseHandle(ofd->rd_ev);
    if (ofd->wr_ev)
        CloseHandle(ofd->wr_ev);
    if (ofd->probe.ov.hEvent)
        CloseHandle(ofd->probe.ov.hEvent);
    free(ofd->wb.buf);
    free(ofd);
}

/* Thread-pool callback: the write-behind of a description no fd refers to has finished. */
static VOID CALLBACK wp_ofd__linger_done(PVOID arg, BOOLEAN timed_out)
{
    struct wp_ofd *ofd = arg;
    (void)timed_out;
    AcquireSRWLockExclusive(&ofd->wr_lock);
    UnregisterWait(ofd->linger_wait);
    wp_wb_reap(ofd);
    ReleaseSRWLockExclusive(&ofd->wr_lock);
    wp_ofd__destroy(ofd);
}

void wp_ofd_unref(struct wp_ofd *ofd)
{
    if (InterlockedDecrement(&ofd->refs) != 0)
        return;
    /* POSIX close() does not wait for the reader; but the bytes of a pending write-behind
     * live in this process. Keep the handle open until they are in the pipe, then close. */
    AcquireSRWLockExclusive(&ofd->wr_lock);
    if (ofd->wb.state == WP_OP_PENDING && HasOverlappedIoCompleted(&ofd->wb.ov))
        wp_wb_reap(ofd); /* done already: close now, so the reader sees EOF at once */
    if (ofd->wb.state == WP_OP_PENDING
        && RegisterWaitForSingleObject(&ofd->linger_wait, ofd->wr_ev, wp_ofd__linger_done,
                                       ofd, INFINITE, WT_EXECUTEONLYONCE)) {
        ReleaseSRWLockExclusive(&ofd->wr_lock);
        return;
    }
    if (ofd->wb.state == WP_OP_PENDING) {
        /* No thread-pool wait to be had: wait here rather than lose bytes. */
        WaitForSingleObject(ofd->wr_ev, INFINITE);
        wp_wb_reap(ofd);
    }
    ReleaseSRWLockExclusive(&ofd->wr_lock);
    wp_ofd__destroy(ofd);
}

void wp_wb_track(struct wp_ofd *ofd)
{
    AcquireSRWLockExclusive(&wp_wb_lock);
    ofd->wb_prev = NULL;
    ofd->wb_next = wp_wb_head;
    if (wp_wb_head)
        wp_wb_head->wb_prev = ofd;
    wp_wb_head = ofd;
    ReleaseSRWLockExclusive(&wp_wb_lock);
}

void wp_wb_untrack(struct wp_ofd *ofd)
{
    AcquireSRWLockExclusive(&wp_wb_lock);
    if (ofd->wb_prev)
        ofd->wb_prev->wb_next = ofd->wb_next;
    else
        wp_wb_head = ofd->wb_next;
    if (ofd->wb_next)
        ofd->wb_next->wb_prev = ofd->wb_prev;
    ofd->wb_next = ofd->wb_prev = NULL;
    ReleaseSRWLockExclusive(&wp_wb_lock);
}

/* Waits until every accepted write-behind (tid 0) or those thread tid issued is in the pipe, or
 * its reader is gone. Runs at process exit, where closing the handles would cancel them, and at
 * thread exit, where Windows cancels the thread's I/O on handles on no completion port and Wine
 * on every handle — and Wine then reports 0 bytes written even when the reader took some, so
 * a cancelled write-behind could not be issued again exactly. */
void wp_flush_pending_writes(DWORD tid)
{
    AcquireSRWLockShared(&wp_wb_lock);
    for (struct wp_ofd *o = wp_wb_head; o; o = o->wb_next)
        if (!tid || o->wb.tid == tid)
            WaitForSingleObject(o->wr_ev, INFINITE);
    ReleaseSRWLockShared(&wp_wb_lock);
}
