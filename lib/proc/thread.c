/* thread.c: what a thread made by pthread_create takes from the thread that made it: its signal
 * mask. POSIX: "The signal mask shall be inherited from the creating thread." Windows knows no
 * creator of a thread, and winpipe does not link winpthreads: winpipe's <pthread.h> makes the
 * program's pthread_create (an inline function there) record the creator's mask here and start the
 * real one with winpipe_thread_start_run, which makes the new thread known with that mask before
 * the program's start routine runs. A thread made otherwise gets the first thread's (intr.c). */
#include "winpipe-internal.h"

struct winpipe_thread_start {
    void *(*fn)(void *);
    void *arg;
    unsigned long long mask;
};

/* An error number, as pthread_create returns: EAGAIN when there is no memory for the record or
 * the caller's own (POSIX: "lacked the necessary resources to create another thread"). */
int winpipe_thread_start_new(void *(*fn)(void *), void *arg, struct winpipe_thread_start **start)
{
    struct wp_intr *self = wp_intr_self();
    struct winpipe_thread_start *s = self ? malloc(sizeof *s) : NULL;
    *start = s;
    if (s) {
        s->fn = fn;
        s->arg = arg;
        s->mask = wp_intr_mask(self);
    }
    return wp_trace_err(s ? 0 : EAGAIN, "thread_start_new(0x%llx, 0x%llx) = 0x%llx, mask %#llx",
                        WP_TRACE_PTR(fn), WP_TRACE_PTR(arg), WP_TRACE_PTR(s), s ? s->mask : 0ULL);
}

/* pthread_create failed: the record is dropped unused. */
void winpipe_thread_start_free(struct winpipe_thread_start *start)
{
    free(start);
}

/* The new thread's start routine. Without memory for the thread's record it goes on unknown, as a
 * thread made by CreateThread would (the first thread's mask once it is met). The record is freed
 * before the program's routine runs, which may end the thread by pthread_exit. */
void *winpipe_thread_start_run(void *start)
{
    struct winpipe_thread_start s = *(struct winpipe_thread_start *)start;
    free(start);
    wp_intr_self_with(s.mask);
    return s.fn(s.arg);
}
