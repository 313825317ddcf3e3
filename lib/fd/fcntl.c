/* fcntl.c: fcntl(), dup(), dup2(), dup3() and close(): what an fd number means. The CRT does
 * the numbering (its _dup2 also rebinds 0-2 to the process's standard handles); winpipe keeps
 * the open file description shared, as POSIX says, and FD_CLOEXEC as the inheritability of the
 * fd's own handle, which is per fd as POSIX says FD_CLOEXEC is. */
#include "winpipe-internal.h"
#include <stdio.h>
#include <stdarg.h>

static int wp_fcntl__set_cloexec(HANDLE h, int cloexec)
{
    if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, cloexec ? 0 : HANDLE_FLAG_INHERIT))
        return wp_last_error();
    return 0;
}

/* fd2 becomes a copy of fd (fd2 < 0: the lowest free number ≥ min). Table lock held. */
static int wp_fcntl__dup_locked(int fd, int fd2, int min, int cloexec)
{
    struct wp_ofd *ofd;
    int r = wp_fdtab_get_locked(fd, &ofd);
    if (r < 0)
        return r;
    if (fd2 < 0) {
        for (fd2 = min; fd2 < WP_FD_MAX && wp_crt_handle(fd2) != INVALID_HANDLE_VALUE; fd2++)
            ;
        if (fd2 == WP_FD_MAX) {
            wp_ofd_unref(ofd);
            return -EMFILE;
        }
    }
    r = wp_crt_dup2(fd, fd2);
    if (r == 0) {
        HANDLE h = wp_crt_handle(fd2);
        wp_fdtab_bind_locked(fd2, h, ofd);
        /* The CRT decides inheritance its own way: say it exactly. */
        r = wp_fcntl__set_cloexec(h, cloexec);
        if (r == 0)
            r = fd2;
        else {
            wp_fdtab_unbind_locked(fd2);
            wp_crt_close(fd2);
        }
    }
    wp_ofd_unref(ofd);
    return r;
}

static int wp_fcntl__dup(int fd, int fd2, int min, int cloexec)
{
    wp_fdtab_lock();
    int r = wp_fcntl__dup_locked(fd, fd2, min, cloexec);
    wp_fdtab_unlock();
    return r;
}

static int wp_fcntl__getfd_unlocked(int fd)
{
    DWORD info;
    HANDLE h = wp_crt_handle(fd);
    if (h == INVALID_HANDLE_VALUE)
        return -EBADF;
    if (!GetHandleInformation(h, &info))
        return 0; /* console pseudo-handles of old Windows: not inheritable as handles */
    return (info & HANDLE_FLAG_INHERIT) ? 0 : FD_CLOEXEC;
}

/* FD_CLOEXEC is the handle's inheritability, which spawn's fallback (no handle list) switches
 * off for a moment under the table's lock: read and set it under the lock too, or a change made
 * meanwhile would be undone, or a switched-off flag read. */
static int wp_fcntl__getfd(int fd)
{
    wp_fdtab_lock_shared();
    int r = wp_fcntl__getfd_unlocked(fd);
    wp_fdtab_unlock_shared();
    return r;
}

static int wp_fcntl__setfd(int fd, int arg)
{
    HANDLE h;
    int r = -EBADF;
    wp_fdtab_lock_shared();
    if ((h = wp_crt_handle(fd)) != INVALID_HANDLE_VALUE)
        r = wp_fcntl__set_cloexec(h, arg & FD_CLOEXEC);
    wp_fdtab_unlock_shared();
    return r;
}

static int wp_fcntl__getfl(int fd)
{
    struct wp_ofd *ofd;
    int r = wp_fdtab_get(fd, &ofd);
    if (r < 0)
        return r;
    r = ofd->accmode | (ofd->nonblock ? O_NONBLOCK : 0);
    wp_ofd_unref(ofd);
    return r;
}

/* POSIX: F_SETFL changes the status flags; the access mode bits are ignored. Of the status
 * flags winpipe keeps O_NONBLOCK; others are ignored as Linux ignores those it cannot change. */
static int wp_fcntl__setfl(int fd, int arg)
{
    struct wp_ofd *ofd;
    int r = wp_fdtab_get(fd, &ofd);
    if (r < 0)
        return r;
    InterlockedExchange(&ofd->nonblock, (arg & O_NONBLOCK) != 0);
    wp_ofd_unref(ofd);
    return 0;
}

static int wp_fcntl(int fd, int cmd, intptr_t arg)
{
    if (wp_crt_handle(fd) == INVALID_HANDLE_VALUE)
        return -EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg < 0 || arg >= WP_FD_MAX)
            return -EINVAL;
        return wp_fcntl__dup(fd, -1, (int)arg, cmd == F_DUPFD_CLOEXEC);
    case F_GETFD:
        return wp_fcntl__getfd(fd);
    case F_SETFD:
        return wp_fcntl__setfd(fd, (int)arg);
    case F_GETFL:
        return wp_fcntl__getfl(fd);
    case F_SETFL:
        return wp_fcntl__setfl(fd, (int)arg);
    default:
        return -EINVAL;
    }
}

/* For WINPIPE_TRACE: a command's name, and its argument as the command means it. */
static const char *wp_fcntl__trace(char *buf, size_t size, int cmd, intptr_t arg)
{
    static const char *const names[] = { "F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL" };
    if (cmd == F_GETFD || cmd == F_GETFL)
        snprintf(buf, size, "%s", names[cmd]);
    else if (cmd == F_SETFL)
        snprintf(buf, size, "F_SETFL, %#x", (unsigned)arg);
    else if (cmd >= 0 && cmd < 5)
        snprintf(buf, size, "%s, %d", names[cmd], (int)arg);
    else if (cmd == F_DUPFD_CLOEXEC)
        snprintf(buf, size, "F_DUPFD_CLOEXEC, %d", (int)arg);
    else
        snprintf(buf, size, "%d, %d", cmd, (int)arg);
    return buf;
}

int winpipe_fcntl(int fd, int cmd, ...)
{
    char what[48];
    va_list ap;
    va_start(ap, cmd);
    /* Every command winpipe knows takes an int or nothing; reading an int is safe for all. */
    intptr_t arg = (cmd == F_GETFD || cmd == F_GETFL) ? 0 : va_arg(ap, int);
    va_end(ap);
    int r = (int)wp_ret(wp_fcntl(fd, cmd, arg));
    if (!wp_tracing())
        return r;
    return (int)wp_trace_ret(r, "fcntl(%d, %s)", fd, wp_fcntl__trace(what, sizeof what, cmd, arg));
}

int winpipe_dup(int fd)
{
    return (int)wp_trace_ret(wp_ret(wp_fcntl__dup(fd, -1, 0, 0)), "dup(%d)", fd);
}

static int wp_fcntl__dup2(int fd, int fd2)
{
    /* POSIX: dup2(fd, fd) checks fd and returns it, changing nothing. */
    if (fd == fd2)
        return wp_crt_handle(fd) == INVALID_HANDLE_VALUE ? -EBADF : fd;
    if (fd2 < 0 || fd2 >= WP_FD_MAX)
        return -EBADF;
    return wp_fcntl__dup(fd, fd2, 0, 0);
}

int winpipe_dup2(int fd, int fd2)
{
    return (int)wp_trace_ret(wp_ret(wp_fcntl__dup2(fd, fd2)), "dup2(%d, %d)", fd, fd2);
}

static int wp_fcntl__dup3(int fd, int fd2, int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (fd == fd2)
        return -EINVAL;
    if (fd2 < 0 || fd2 >= WP_FD_MAX)
        return -EBADF;
    return wp_fcntl__dup(fd, fd2, 0, (flags & O_CLOEXEC) != 0);
}

int winpipe_dup3(int fd, int fd2, int flags)
{
    return (int)wp_trace_ret(wp_ret(wp_fcntl__dup3(fd, fd2, flags)), "dup3(%d, %d, %#x)", fd,
                             fd2, flags);
}

static int wp_fcntl__close(int fd)
{
    if (fd < 0 || fd >= WP_FD_MAX)
        return -EBADF;
    wp_fdtab_lock();
    wp_fdtab_unbind_locked(fd);
    int r = wp_crt_close(fd);
    wp_fdtab_unlock();
    return r;
}

int winpipe_close(int fd)
{
    return (int)wp_trace_ret(wp_ret(wp_fcntl__close(fd)), "close(%d)", fd);
}
