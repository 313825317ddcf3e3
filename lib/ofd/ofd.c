/* ofd.c: the open file description (struct wp_ofd) that POSIX shares between dup'ed fds: its
 * references, its kind (what reads, writes and polls it, in the kind's own file), O_NONBLOCK and
 * the access mode, and the link between the two ends of one pipe(). */
#include "winpipe-internal.h"

struct wp_ofd *wp_ofd_new(const struct wp_kind *kind, void *impl, int accmode, int nonblock)
{
    struct wp_ofd *ofd = calloc(1, sizeof *ofd);
    if (!ofd)
        return NULL;
    ofd->refs = 1;
    ofd->kind = kind;
    ofd->impl = impl;
    ofd->accmode = accmode;
    ofd->nonblock = nonblock;
    return ofd;
}

void wp_ofd_ref(struct wp_ofd *ofd)
{
    InterlockedIncrement(&ofd->refs);
}

/* A description is going away: its end of the pipe no longer counts as held here. Before the
 * kind lets go of its handle, so that poll() never thinks it still open. */
static void wp_ofd__unlink(struct wp_ofd *ofd)
{
    struct wp_pipe_link *link = ofd->link;
    if (!link)
        return;
    ofd->link = NULL;
    InterlockedExchange(ofd->accmode == O_RDONLY ? &link->reader : &link->writer, 0);
    if (InterlockedDecrement(&link->refs) == 0)
        free(link);
}

void wp_ofd_unref(struct wp_ofd *ofd)
{
    if (InterlockedDecrement(&ofd->refs) != 0)
        return;
    wp_ofd__unlink(ofd);
    if (ofd->kind->release)
        ofd->kind->release(ofd->impl);
    free(ofd);
}

/* The one place a description changes kind (spawn gives a child a synchronous end in place of an
 * overlapped one, fd/pipe.c). The caller makes sure no call is in flight on it. */
void wp_ofd_set_kind(struct wp_ofd *ofd, const struct wp_kind *kind, void *impl)
{
    const struct wp_kind *old = ofd->kind;
    void *old_impl = ofd->impl;
    ofd->kind = kind;
    ofd->impl = impl;
    if (old->release)
        old->release(old_impl);
}

/* Ties the two new ends of a pipe together; without memory they stay untied, and poll() asks
 * Windows instead. */
void wp_ofd_link(struct wp_ofd *rd, struct wp_ofd *wr)
{
    struct wp_pipe_link *link = calloc(1, sizeof *link);
    if (!link)
        return;
    link->refs = 2;
    link->reader = link->writer = 1;
    rd->link = wr->link = link;
}

/* 1: this process holds the other end of ofd's pipe open, so POSIX's "no writer" (POLLHUP) or
 * "no reader" (POLLERR, EPIPE) cannot be true now; 0: not known, ask Windows. */
int wp_ofd_peer_alive(struct wp_ofd *ofd)
{
    struct wp_pipe_link *link = ofd->link;
    if (!link)
        return 0;
    return ofd->accmode == O_RDONLY ? link->writer != 0 : link->reader != 0;
}

int wp_ofd_same_pipe(struct wp_ofd *a, struct wp_ofd *b)
{
    return a != b && a->link && a->link == b->link;
}
