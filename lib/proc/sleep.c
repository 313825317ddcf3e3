/* sleep.c: sleep, usleep and nanosleep — sleeps that a signal's handler ends.
 *
 * POSIX says a sleep ends early when a signal's handler runs in the sleeping thread: nanosleep
 * and usleep fail with EINTR (never restarted, SA_RESTART or not), sleep returns the seconds it
 * did not sleep. Windows' Sleep is woken by nothing winpipe can send, so a handler would run on
 * the signal thread instead and the sleep go on to its end; here the thread sleeps interruptibly
 * (base/intr.c), as in poll with no fds. */
#include "winpipe-internal.h"
#include <time.h>

#define WP_SLEEP_MAX_S 100000000000ULL /* about 3,000 years: as good as forever, and no overflow */

/* Sleeps until due (wp_win32_clock_us): 0, or -EINTR once a signal's handler ran in this thread,
 * with what was left in *left. Never ends before due otherwise; once due, a signal no longer ends
 * it (Linux: the expired timer wins), and its handler runs as the call returns. */
static int wp_sleep__until(unsigned long long due, unsigned long long *left)
{
    struct wp_intr *t = wp_intr_self();
    HANDLE ev = t ? wp_intr_event(t) : NULL;
    struct wp_intr_waker w = { wp_intr_wake_event, ev };
    struct wp_intr_waker *outer = t ? wp_intr_enter(t, &w) : NULL;
    unsigned long long now;
    int r = 0;
    for (;;) {
        now = wp_win32_clock_us();
        if (now >= due)
            break;
        if (t && wp_intr_pending(t) && (wp_signal_deliver() & WP_INTR_RAN)) {
            r = -EINTR;
            break;
        }
        unsigned long long ms = (due - now + 999) / 1000;
        DWORD wait = ms > 0x7fffffff ? 0x7fffffff : (DWORD)ms;
        if (t)
            WaitForSingleObject(ev, wait);
        else
            Sleep(wait); /* no memory for this thread's record: no signal can reach it */
    }
    if (t) {
        wp_intr_leave(t, outer);
        /* a signal that came after the last look was only told to wake this thread: its action
         * is this thread's to run, now (as poll does) */
        wp_signal_deliver();
    }
    now = wp_win32_clock_us();
    *left = r && due > now ? due - now : 0;
    return r;
}

static int wp_sleep__us(unsigned long long us, unsigned long long *left)
{
    return wp_sleep__until(wp_win32_clock_us() + us, left);
}

/* Linux: EINVAL for tv_nsec outside 0–999,999,999 or a negative tv_sec; EFAULT for no request.
 * On EINTR what was left goes to *rem (if given). */
static int wp_nanosleep(const struct timespec *req, struct timespec *rem)
{
    unsigned long long left;
    if (!req)
        return -EFAULT;
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
        return -EINVAL;
    unsigned long long s = (unsigned long long)req->tv_sec;
    s = s > WP_SLEEP_MAX_S ? WP_SLEEP_MAX_S : s;
    /* rounded up: a sleep is never shorter than asked */
    int r = wp_sleep__us(s * 1000000ULL + ((unsigned long long)req->tv_nsec + 999) / 1000, &left);
    if (r == -EINTR && rem) {
        rem->tv_sec = (time_t)(left / 1000000);
        rem->tv_nsec = (long)(left % 1000000 * 1000);
    }
    return r;
}

int winpipe_nanosleep(const struct timespec *req, struct timespec *rem)
{
    return (int)wp_trace_ret(wp_ret(wp_nanosleep(req, rem)), "nanosleep(0x%llx, 0x%llx)",
                             WP_TRACE_PTR(req), WP_TRACE_PTR(rem));
}

int winpipe_usleep(unsigned int us)
{
    unsigned long long left;
    return (int)wp_trace_ret(wp_ret(wp_sleep__us(us, &left)), "usleep(%u)", (unsigned)us);
}

/* glibc's sleep returns the whole seconds left, cut down (0.7 s left: 0), and leaves errno EINTR
 * when a handler ended it. */
unsigned int winpipe_sleep(unsigned int seconds)
{
    unsigned long long left;
    (void)wp_ret(wp_sleep__us(seconds * 1000000ULL, &left));
    unsigned int r = (unsigned int)(left / 1000000);
    wp_trace_ret(r, "sleep(%u)", seconds);
    return r;
}
