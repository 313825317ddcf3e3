/* sigthread.c: the process's signal channel and winpipe's signal thread, which reads it, and the
 * sources that write to it: the console, the real-time timer (alarm, setitimer), and anyone in
 * this process (SIGCHLD, signal.c). Other winpipe processes write to it too: sigsend.c publishes
 * its write end.
 *
 * POSIX signals arrive between two instructions of a thread; Windows has nothing like it, and
 * runs a console's control handlers on a thread of their own. Here every signal for the process
 * is a 16-byte record {sig, code, pid, status} in one pipe — an NT unnamed pipe, with no name
 * anyone could take first, whose write end never blocks (PIPE_NOWAIT: a record fits whole or is
 * not written) — and one thread, started with the process, reads the records and gives each to
 * its taker (signal.c, which decides which thread runs the signal's action, or runs it on this
 * thread). A negative sig asks to hand an already pending signal out again. */
#include "winpipe-internal.h"
#include <limits.h>
#include <signal.h>
#include <sys/time.h>

#define WP_SIGTHREAD_PIPE_SIZE 65536 /* 4096 records before a sender finds it full */

static HANDLE wp_sigthread_rd, wp_sigthread_wr;
static HANDLE wp_sigthread_timer;
static wp_sigthread_take_fn wp_sigthread_take;
static wp_sigthread_generate_fn wp_sigthread_generate;
static int (*wp_sigthread_break_sig)(void);

/* ITIMER_REAL, which alarm() shares (as on Linux): when it is next due (wp_win32_clock_us; 0 when
 * disarmed) and its period in microseconds (0: once). */
static SRWLOCK wp_sigthread_alarm_lock = SRWLOCK_INIT;
static unsigned long long wp_sigthread_alarm_due, wp_sigthread_alarm_every;

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

/* ---- alarm and ITIMER_REAL ---- */

/* Sets the waitable timer to go off in us microseconds (0: cancels it); the due time is kept only
 * if the system took it. 0, or -E… when the timer could not be set: it is disarmed then, and its
 * period forgotten. Lock held. */
static int wp_sigthread__arm_locked(unsigned long long now, unsigned long long us)
{
    wp_sigthread_alarm_due = 0;
    if (wp_sigthread_timer && !us)
        CancelWaitableTimer(wp_sigthread_timer);
    if (!us)
        return 0;
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(us * 10) }; /* relative, 100 ns units */
    int r = !wp_sigthread_timer ? -EAGAIN /* no signal thread: no memory at start-up */
            : !SetWaitableTimer(wp_sigthread_timer, &due, 0, NULL, NULL, FALSE) ? wp_last_error()
            : 0;
    if (r == 0)
        wp_sigthread_alarm_due = now + us;
    else
        wp_sigthread_alarm_every = 0;
    return r;
}

/* What is left of the timer, in microseconds: 0 when disarmed, at least 1 while it is armed
 * (Linux never says 0 of a timer that has not fired). Lock held. */
static unsigned long long wp_sigthread__left_locked(unsigned long long now)
{
    if (!wp_sigthread_alarm_due)
        return 0;
    return wp_sigthread_alarm_due > now ? wp_sigthread_alarm_due - now : 1;
}

/* Sets ITIMER_REAL to go off in value microseconds, then every `every` (0: once; value 0
 * disarms it, and Linux then forgets the period too); what was left of it and its period before
 * go to *old_left and *old_every. */
static int wp_sigthread__set_timer(unsigned long long value, unsigned long long every,
                                   unsigned long long *old_left, unsigned long long *old_every)
{
    AcquireSRWLockExclusive(&wp_sigthread_alarm_lock);
    unsigned long long now = wp_win32_clock_us();
    *old_left = wp_sigthread__left_locked(now);
    *old_every = wp_sigthread_alarm_every;
    wp_sigthread_alarm_every = value ? every : 0;
    int r = wp_sigthread__arm_locked(now, value);
    ReleaseSRWLockExclusive(&wp_sigthread_alarm_lock);
    return r;
}

static void wp_sigthread__get_timer(unsigned long long *left, unsigned long long *every)
{
    AcquireSRWLockShared(&wp_sigthread_alarm_lock);
    unsigned long long now = wp_win32_clock_us();
    *left = wp_sigthread__left_locked(now);
    *every = wp_sigthread_alarm_every;
    ReleaseSRWLockShared(&wp_sigthread_alarm_lock);
}

/* POSIX: alarm(s) sends SIGALRM in s seconds, replacing any earlier alarm (0 cancels it), and
 * returns what was left of that one, in whole seconds (glibc rounds to the nearest, and says 1
 * rather than 0 for an alarm still due). Linux's alarm is ITIMER_REAL with no period; seconds
 * beyond what getitimer's tv_sec holds (a 32-bit long on Windows) are cut to it, as 32-bit Linux
 * cuts them to INT_MAX. alarm cannot fail: a timer that could not be set is no alarm. */
unsigned int winpipe_alarm(unsigned int seconds)
{
    unsigned long long left, every;
    if (seconds > LONG_MAX)
        seconds = LONG_MAX;
    (void)wp_sigthread__set_timer(seconds * 1000000ULL, 0, &left, &every);
    unsigned int r = (unsigned int)(left / 1000000 + (left % 1000000 >= 500000));
    r = r == 0 && left ? 1 : r;
    wp_trace_ret(r, "alarm(%u)", seconds);
    return r;
}

static unsigned long long wp_sigthread__us(const struct timeval *tv)
{
    return (unsigned long long)tv->tv_sec * 1000000ULL + (unsigned long long)tv->tv_usec;
}

static void wp_sigthread__timeval(unsigned long long us, struct timeval *tv)
{
    tv->tv_sec = (long)(us / 1000000);
    tv->tv_usec = (long)(us % 1000000);
}

/* Linux: a time with a negative part, or 1,000,000 microseconds or more, is EINVAL. */
static int wp_sigthread__valid(const struct timeval *tv)
{
    return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

/* POSIX: ITIMER_REAL counts real time and sends SIGALRM; ITIMER_VIRTUAL and ITIMER_PROF count the
 * process's CPU time, which Windows does not let a timer follow: EINVAL, as for a `which` not
 * known. Linux takes a NULL new value as a disarmed timer. */
static int wp_setitimer(int which, const struct itimerval *nv, struct itimerval *ov)
{
    unsigned long long left, every;
    if (which != ITIMER_REAL)
        return -EINVAL;
    if (nv && (!wp_sigthread__valid(&nv->it_value) || !wp_sigthread__valid(&nv->it_interval)))
        return -EINVAL;
    int r = wp_sigthread__set_timer(nv ? wp_sigthread__us(&nv->it_value) : 0,
                                    nv ? wp_sigthread__us(&nv->it_interval) : 0, &left, &every);
    if (r < 0)
        return r;
    if (ov) {
        wp_sigthread__timeval(left, &ov->it_value);
        wp_sigthread__timeval(every, &ov->it_interval);
    }
    return 0;
}

int winpipe_setitimer(int which, const struct itimerval *nv, struct itimerval *ov)
{
    return (int)wp_trace_ret(wp_ret(wp_setitimer(which, nv, ov)), "setitimer(%d, 0x%llx, 0x%llx)",
                             which, WP_TRACE_PTR(nv), WP_TRACE_PTR(ov));
}

static int wp_getitimer(int which, struct itimerval *cur)
{
    unsigned long long left, every;
    if (which != ITIMER_REAL)
        return -EINVAL;
    if (!cur)
        return -EFAULT;
    wp_sigthread__get_timer(&left, &every);
    wp_sigthread__timeval(left, &cur->it_value);
    wp_sigthread__timeval(every, &cur->it_interval);
    return 0;
}

int winpipe_getitimer(int which, struct itimerval *cur)
{
    return (int)wp_trace_ret(wp_ret(wp_getitimer(which, cur)), "getitimer(%d, 0x%llx)", which,
                             WP_TRACE_PTR(cur));
}

/* The timer went off: SIGALRM, unless the timer was disarmed or set again meanwhile. The signal
 * is made pending under the timer's lock, so that once setitimer or alarm has disarmed the timer
 * no SIGALRM of it is still on its way (Linux waits for a firing in progress); it is handed to a
 * thread after, as the handler may call alarm. A periodic timer is set again for its next due
 * time after the last one; a timer that went off early (the system's clock and winpipe's differ a
 * little) is set again for what is left. */
static void wp_sigthread__alarm_fired(struct wp_intr *self)
{
    struct wp_sigrec rec = { SIGALRM, SI_KERNEL, 0, 0 };
    int kept = 0;
    AcquireSRWLockExclusive(&wp_sigthread_alarm_lock);
    unsigned long long now = wp_win32_clock_us(), at = wp_sigthread_alarm_due;
    unsigned long long every = wp_sigthread_alarm_every;
    if (at && now + 1000 >= at) {
        kept = wp_sigthread_generate(&rec);
        /* POSIX: signals of the timer that would be pending at once are one signal. */
        unsigned long long next = every ? at + every : 0;
        if (next && next <= now)
            next += (now - next) / every * every + every;
        (void)wp_sigthread__arm_locked(now, next ? next - now : 0);
    } else if (at) {
        (void)wp_sigthread__arm_locked(now, at - now);
    }
    ReleaseSRWLockExclusive(&wp_sigthread_alarm_lock);
    rec.sig = -SIGALRM; /* pending already: to be handed out */
    if (kept)
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
void wp_sigthread_start(wp_sigthread_take_fn take, wp_sigthread_generate_fn generate,
                        int (*break_sig)(void))
{
    HANDLE rd, wr, ev, thread;
    wp_sigthread_take = take;
    wp_sigthread_generate = generate;
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
