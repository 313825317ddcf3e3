/* fdtab.c: the map from CRT fd numbers to winpipe's open file descriptions. The fds are the
 * C runtime's own (so _get_osfhandle, fdopen and _dup2 onto 0-2 work); this table keeps what
 * the CRT lacks. An entry remembers the CRT handle it was made for: if code closes the fd with
 * the CRT's own _close and the number is reused, the handle differs and the entry is dropped.
 *
 * Every change of what an fd number means (create, dup, close) holds the table lock across the
 * CRT call and the entry. Its place in the lock order: proc/spawn.c. */
#include "winpipe-internal.h"

struct wp_fdent {
    struct wp_ofd *ofd;
    HANDLE h; /* the CRT handle this entry was made for */
};

static struct wp_fdent wp_fdtab[WP_FD_MAX];
static SRWLOCK wp_fdtab_srw = SRWLOCK_INIT;

void wp_fdtab_lock(void)
{
    AcquireSRWLockExclusive(&wp_fdtab_srw);
}

void wp_fdtab_unlock(void)
{
    ReleaseSRWLockExclusive(&wp_fdtab_srw);
}

void wp_fdtab_bind_locked(int fd, HANDLE h, struct wp_ofd *ofd)
{
    wp_fdtab_unbind_locked(fd);
    wp_ofd_ref(ofd);
    wp_fdtab[fd].ofd = ofd;
    wp_fdtab[fd].h = h;
}

void wp_fdtab_unbind_locked(int fd)
{
    struct wp_ofd *ofd = wp_fdtab[fd].ofd;
    wp_fdtab[fd].ofd = NULL;
    wp_fdtab[fd].h = NULL;
    if (ofd)
        wp_ofd_unref(ofd);
}

/* The description of a valid fd, made now for an fd winpipe has not seen before. */
int wp_fdtab_get_locked(int fd, struct wp_ofd **out)
{
    HANDLE h = wp_crt_handle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        if (fd >= 0 && fd < WP_FD_MAX)
            wp_fdtab_unbind_locked(fd);
        return -EBADF;
    }
    if (!wp_fdtab[fd].ofd || wp_fdtab[fd].h != h) {
        struct wp_ofd *ofd;
        int r = wp_kinds_for_handle(h, &ofd);
        if (r < 0)
            return r;
        /* POSIX: a child shares its parent's description, O_NONBLOCK with it (base/inherit.c) */
        if (wp_inherit_fd_flags(fd, h) & WP_INHERIT_NONBLOCK)
            ofd->nonblock = 1;
        wp_fdtab_bind_locked(fd, h, ofd);
        wp_ofd_unref(ofd);
    }
    *out = wp_fdtab[fd].ofd;
    wp_ofd_ref(*out);
    return 0;
}

void wp_fdtab_lock_shared(void)
{
    AcquireSRWLockShared(&wp_fdtab_srw);
}

void wp_fdtab_unlock_shared(void)
{
    ReleaseSRWLockShared(&wp_fdtab_srw);
}

/* The common case, an fd winpipe knows, under the shared lock: 0, or -1 to take the slow way. */
int wp_fdtab_get_known_locked(int fd, struct wp_ofd **out)
{
    if (fd < 0 || fd >= WP_FD_MAX)
        return -1;
    struct wp_fdent e = wp_fdtab[fd];
    if (!e.ofd || e.h != wp_crt_handle(fd))
        return -1;
    wp_ofd_ref(e.ofd);
    *out = e.ofd;
    return 0;
}

int wp_fdtab_get(int fd, struct wp_ofd **out)
{
    if (fd < 0 || fd >= WP_FD_MAX)
        return -EBADF;
    AcquireSRWLockShared(&wp_fdtab_srw);
    int r = wp_fdtab_get_known_locked(fd, out);
    ReleaseSRWLockShared(&wp_fdtab_srw);
    if (r == 0)
        return 0;
    wp_fdtab_lock();
    r = wp_fdtab_get_locked(fd, out);
    wp_fdtab_unlock();
    return r;
}

/* Gives h the lowest free fd number and binds it to ofd. On failure h is still the caller's. */
int wp_fdtab_install_locked(HANDLE h, int crt_flags, struct wp_ofd *ofd)
{
    int fd = wp_crt_open_handle(h, crt_flags);
    if (fd >= 0)
        wp_fdtab_bind_locked(fd, h, ofd);
    return fd;
}

/* A new fd for ofd, the lowest free number, with FD_CLOEXEC, over a handle of NUL of its own:
 * what an fd stands on when its description holds no handle the C runtime could take (a
 * process: _open_osfhandle refuses a handle whose file type is unknown). The C runtime closes,
 * dups and fdopen()s it like any device. */
int wp_fdtab_install_on_nul(struct wp_ofd *ofd)
{
    HANDLE h = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                           NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return wp_last_error();
    wp_fdtab_lock();
    int fd = wp_fdtab_install_locked(h, _O_RDWR | _O_BINARY | _O_NOINHERIT, ofd);
    wp_fdtab_unlock();
    if (fd < 0)
        CloseHandle(h);
    return fd;
}
