/* sigthread.c: the process's signal channel and winpipe's signal thread, which reads it, and the
 * sources that write to it: the console, alarm()'s timer, and anyone in this process (SIGCHLD,
 * signal.c). Other winpipe processes write to it too: sigsend.c publishes its write end.
 *
 * POSIX signals arrive between two instructions of a thread; Windows has nothing like it, and
 * runs a console's control handlers on a thread of their own. Here every signal for the process
 * is a 16-byte record {sig, code, pid, status} in one pipe — an NT unnamed pipe, with no name
 * anyone could take first, whose write end never blocks (PIPE_NOWAIT: a record fits whole or is
 * not written) — and one thread, started with the process, reads the records and gives each to
 * its taker (signal.c, which decides which thread runs the signal's action, or runs it on this
 * thread). A negative sig asks to hand an already pending signal out again. */
#include "winpipe-internal.h"
#include <signal.h>

#define WP_SIGTHREAD_PIPE_SIZE 65536 /* 4096 records before a sender finds it full */

static HANDLE wp_sigthread_rd, wp_sigthread_wr;
static HANDLE wp_sigthread_timer;
static wp_sigthread_take_fn wp_sigthread_take;
static int (*wp_sigthread_break_sig)(void);

/* alarm(): when the timer is due (wp_win32_clock_us), 0 when none is set. */
static SRWLOCK wp_sigthread_alarm_lock = SRWLOCK_INIT;
static unsigned long long wp_sigthread_alarm_due;

/* Hands a record to the signal thread: 0, -EAGAIN when the channel is full (4096 records the
 * thread has not read yet), -ENOSYS when there is no channel. Never blocks. */
int wp_sigthread_post(const struct wp_sigrec *rec)
{
    DWORD n = 0;
    if (!wp_sigthread_wr)
        return -ENOSYS;
    if (!WriteFile(wp_sigthread_wr, rec, sizeof *rec, &n, NULL))
        return wp_last_error();
    return n == sizeof *rec ? 0 : -EAGAIN;
}

/* ---- the console ---- */

/* Windows runs this on a thread of its own for each console event. POSIX has no consoles; a
 * terminal's signals are the nearest: Ctrl-C is SIGINT; Ctrl-Break is mingw's SIGBREAK if the
 * program gave SIGBREAK an action, else SIGINT (as a terminal's Ctrl-\ would be SIGQUIT, a
 * second way to interrupt); closing the console window hangs the terminal up: SIGHUP; logoff
 * and shutdown are SIGTERM, as init sends. */
static BOOL WINAPI wp_sigthread__console(DWORD event)
{
    struct wp_sigrec rec = { 0, SI_KERNEL, 0, 0 };
    switch (event) {
    case CTRL_C_EVENT: rec.sig = SIGINT; break;
    case CTRL_BREAK_EVENT: rec.sig = wp_sigthread_break_sig(); break;
    case CTRL_CLOSE_EVENT: rec.sig = SIGHUP; break;
    case CTRL_LOGOFF_EVENT: case CTRL_SHUTDOWN_EVENT: rec.sig = SIGTERM; break;
    default: return FALSE;
    }
    if (wp_sigthread_post(&rec) < 0)
        return FALSE; /* Windows' own default: the process ends */
    /* Windows ends the process once this returns from a close, logoff or shutdown event (or
     * after its time-out): not returning gives the signal's handler that time. */
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT)
        Sleep(INFINITE);
    return TRUE;
}

/* ---- alarm ---- */

/* POSIX: alarm(s) sends SIGALRM in s seconds, replacing any earlier alarm (0 cancels it), and
 * returns what was left of that one, in whole seconds (glibc rounds to the nearest, and says 1
 * rather than 0 for an alarm still due). */
unsigned int winpipe_alarm(unsigned int seconds)
{
    unsigned long long now = wp_win32_clock_us(), left = 0;
    AcquireSRWLockExclusive(&wp_sigthread_alarm_lock);
    if (wp_sigthread_alarm_due > now)
        left = wp_sigthread_alarm_due - now;
    wp_sigthread_alarm_due = 0;
    if (seconds && wp_sigthread_timer) {
        LARGE_INTEGER due = { .QuadPart = -(LONGLONG)seconds * 10000000LL };
        if (SetWaitableTimer(wp_sigthread_timer, &due, 0, NULL, NULL, FALSE))
            wp_sigthread_alarm_due = now + seconds * 1000000ULL;
    } else if (wp_sigthread_timer) {
        CancelWaitableTimer(wp_sigthread_timer);
    }
    ReleaseSRWLockExclusive(&wp_sigthread_alarm_lock);
    unsigned int r = (unsigned int)(left / 1000000 + (left % 1000000 >= 500000));
    r = r == 0 && left ? 1 : r;
    wp_trace_ret(r, "alarm(%u)", seconds);
    return r;
}

/* The timer went off: SIGALRM, unless the alarm was cancelled or set again meanwhile. */
static void wp_sigthread__alarm_fired(struct wp_intr *self)
{
    struct wp_sigrec rec = { SIGALRM, SI_KERNEL, 0, 0 };
    AcquireSRWLockExclusive(&wp_sigthread_alarm_lock);
    int due = wp_sigthread_alarm_due && wp_win32_clock_us() + 1000 >= wp_sigthread_alarm_due;
    if (due)
        wp_sigthread_alarm_due = 0;
    ReleaseSRWLockExclusive(&wp_sigthread_alarm_lock);
    if (due)
        wp_sigthread_take(&rec, self);
}

/* ---- the thread ---- */

/* Reads whole records (a write is all of one, or nothing) and hands each out; a read may still
 * end inside one, so a part is kept for the next. */
static DWORD WINAPI wp_sigthread__main(void *arg)
{
    static BYTE buf[64 * sizeof(struct wp_sigrec)];
    OVERLAPPED ov = { .hEvent = arg };
    struct wp_intr *self = wp_intr_self();
    size_t have = 0;
    if (self) {
        wp_intr_not_target(self);
        /* a handler run here is interrupted by nothing */
        wp_intr_set_mask(self, ~0ULL, 0);
    }
    for (;;) {
        HANDLE hs[2] = { ov.hEvent, wp_sigthread_timer };
        DWORD got = 0;
        if (!ReadFile(wp_sigthread_rd, buf + have, sizeof buf - have, NULL, &ov)
            && GetLastError() != ERROR_IO_PENDING)
            return 1; /* cannot be: this process holds the write end */
        while (WaitForMultipleObjects(2, hs, FALSE, INFINITE) == WAIT_OBJECT_0 + 1)
            wp_sigthread__alarm_fired(self);
        if (!GetOverlappedResult(wp_sigthread_rd, &ov, &got, FALSE))
            return 1;
        have += got;
        size_t done = 0;
        for (; have - done >= sizeof(struct wp_sigrec); done += sizeof(struct wp_sigrec)) {
            struct wp_sigrec rec;
            memcpy(&rec, buf + done, sizeof rec);
            wp_sigthread_take(&rec, self);
        }
        memmove(buf, buf + done, have - done);
        have -= done;
    }
}

/* Once, at start-up (signal.c): the channel, the timer and the thread; then the console handler
 * and the channel's address in the environment (sigsend.c), from which other winpipe processes'
 * kill() finds it. Without them (no memory, no thread) signals come only from this process's own
 * raise() and kill(), and a kill() from elsewhere does the signal's default action (sigsend.c). */
void wp_sigthread_start(wp_sigthread_take_fn take, int (*break_sig)(void))
{
    HANDLE rd, wr, ev, thread;
    wp_sigthread_take = take;
    wp_sigthread_break_sig = break_sig;
    if (wp_ntpipe_pair(&rd, &wr, WP_SIGTHREAD_PIPE_SIZE, 0, 1) < 0)
        return;
    if (wp_nt_pipe_nowait(wr) < 0 || !(ev = CreateEventW(NULL, TRUE, FALSE, NULL))
        || !(wp_sigthread_timer = CreateWaitableTimerW(NULL, FALSE, NULL))) {
        CloseHandle(rd);
        CloseHandle(wr);
        return;
    }
    wp_sigthread_rd = rd;
    if (!(thread = CreateThread(NULL, 64 * 1024, wp_sigthread__main, ev,
                                STACK_SIZE_PARAM_IS_A_RESERVATION, NULL))) {
        CloseHandle(wr);
        return;
    }
    CloseHandle(thread);
    wp_sigthread_wr = wr;
    SetConsoleCtrlHandler(wp_sigthread__console, TRUE);
    wp_sigsend_publish(wr);
}
