/* pipe.c: pipe(), pipe2() and the msvcrt-compatible _pipe(): a pair of overlapped pipe ends
 * (base/ntpipe.c), each with its own open file description (ofd/opipe.c) and a CRT fd; and, for
 * spawn, the remaking of a pipe whose end a child gets, so that the child's end is synchronous. */
#include "winpipe-internal.h"

/* An fd on a duplicate of one end's handle, its inheritability FD_CLOEXEC's opposite from the
 * start. Table lock held. */
static int wp_pipe__install(HANDLE h, struct wp_ofd *ofd, int flags, int crt_flags)
{
    HANDLE fd_h;
    BOOL inherit = !(flags & O_CLOEXEC);
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &fd_h, 0, inherit,
                         DUPLICATE_SAME_ACCESS))
        return wp_last_error();
    int fd = wp_fdtab_install_locked(fd_h, crt_flags | (inherit ? 0 : _O_NOINHERIT), ofd);
    if (fd < 0)
        CloseHandle(fd_h);
    return fd;
}

/* The two fds; on failure neither. Table lock held. */
static int wp_pipe__install_both(HANDLE rd, HANDLE wr, struct wp_ofd *ro, struct wp_ofd *wo,
                                 int fds[2], int flags, int crt_flags)
{
    int fd0 = wp_pipe__install(rd, ro, flags, crt_flags);
    if (fd0 < 0)
        return fd0;
    int fd1 = wp_pipe__install(wr, wo, flags, crt_flags);
    if (fd1 < 0) {
        wp_fdtab_unbind_locked(fd0);
        wp_crt_close(fd0);
        return fd1;
    }
    fds[0] = fd0;
    fds[1] = fd1;
    return 0;
}

static int wp_pipe__fds(int fds[2], int flags, DWORD size, int crt_flags)
{
    HANDLE rd, wr;
    int nonblock = (flags & O_NONBLOCK) != 0;
    if (!fds)
        return -EFAULT;
    int r = wp_ntpipe_pair(&rd, &wr, size, 0, 0);
    if (r < 0)
        return r;
    /* The descriptions take the handles (and close them on failure). */
    struct wp_ofd *ro = wp_opipe_new(rd, O_RDONLY, nonblock);
    struct wp_ofd *wo = wp_opipe_new(wr, O_WRONLY, nonblock);
    if (!ro || !wo) {
        if (ro)
            wp_ofd_unref(ro);
        if (wo)
            wp_ofd_unref(wo);
        return -ENOMEM;
    }
    wp_ofd_link(ro, wo);
    wp_fdtab_lock();
    r = wp_pipe__install_both(rd, wr, ro, wo, fds, flags, crt_flags);
    wp_fdtab_unlock();
    wp_ofd_unref(ro);
    wp_ofd_unref(wo);
    return r;
}

/* ---- a child's end ----
 * The common case pipe2 → adddup2 onto the child's fd → close in the parent: an ordinary child
 * wants a synchronous end (several Windows programs break on an overlapped standard handle), and
 * winpipe's are overlapped, a mode Windows fixes when an end is opened. A pipe nobody has used yet
 * is empty and known to this process alone: it is remade, with the child's end synchronous, and
 * every parent fd of either end is pointed at the new pipe, so that nothing else changes for the
 * parent. Any other pipe is shared as it is. */

/* The other end of e's pipe among the parent's fds (a reference), or NULL. Table lock held. */
static struct wp_ofd *wp_pipe__peer(struct wp_ofd *e, const int *parent_fds, int n)
{
    for (int i = 0; i < n; i++) {
        struct wp_ofd *o;
        if (wp_fdtab_get_locked(parent_fds[i], &o) < 0)
            continue;
        if (wp_ofd_same_pipe(e, o))
            return o;
        wp_ofd_unref(o);
    }
    return NULL;
}

/* 1 when only the parent's fds (and the caller, with one reference) hold o: no call is in flight
 * on it, and none can start while the table lock is held. Table lock held. */
static int wp_pipe__idle(struct wp_ofd *o, const int *parent_fds, int n)
{
    LONG bound = 0;
    for (int i = 0; i < n; i++) {
        struct wp_ofd *x;
        if (wp_fdtab_get_locked(parent_fds[i], &x) < 0)
            continue;
        bound += x == o;
        wp_ofd_unref(x);
    }
    return o->refs == bound + 1;
}

/* A temporary fd on a copy of h, made for every parent fd before any is changed, so that running
 * out of handles or fds leaves the pipe as it was. */
static int wp_pipe__temp_fd(HANDLE h)
{
    HANDLE nh;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &nh, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return wp_last_error();
    int tmp = wp_crt_open_handle(nh, _O_BINARY | _O_NOINHERIT);
    if (tmp < 0)
        CloseHandle(nh);
    return tmp;
}

/* Points parent fd f at tmp's handle (same FD_CLOEXEC), keeping its number: the CRT can only
 * change an fd's handle through _dup2. Table lock held. */
static void wp_pipe__rebind(int f, int tmp, struct wp_ofd *ofd)
{
    DWORD info = 0;
    GetHandleInformation(wp_crt_handle(f), &info);
    int r = wp_crt_dup2(tmp, f);
    wp_crt_close(tmp);
    if (r < 0)
        return; /* only out of memory: f's C runtime handle stays the old pipe's, which a child
                 * spawned later would get instead of this description's pipe */
    SetHandleInformation(wp_crt_handle(f), HANDLE_FLAG_INHERIT, info & HANDLE_FLAG_INHERIT);
    wp_fdtab_bind_locked(f, wp_crt_handle(f), ofd);
}

/* tmp[i]: a temporary fd for parent_fds[i] if it is e's or p's, else -1. 0, or -E… with none
 * left open. */
static int wp_pipe__temp_fds(struct wp_ofd *e, struct wp_ofd *p, HANDLE e_h, HANDLE p_h,
                             const int *parent_fds, int n, int *tmp)
{
    int r = 0, filled = 0;
    for (; r >= 0 && filled < n; filled++) {
        struct wp_ofd *o;
        tmp[filled] = -1;
        if (wp_fdtab_get_locked(parent_fds[filled], &o) < 0)
            continue;
        if (o == e || o == p)
            r = tmp[filled] = wp_pipe__temp_fd(o == e ? e_h : p_h);
        wp_ofd_unref(o);
    }
    for (int i = 0; r < 0 && i < filled; i++)
        if (tmp[i] >= 0)
            wp_crt_close(tmp[i]);
    return r < 0 ? r : 0;
}

/* The remaking itself: e is the child's end, p the other; both pristine and idle. */
static void wp_pipe__remake(struct wp_ofd *e, struct wp_ofd *p, const int *parent_fds, int n)
{
    int e_reads = e->accmode == O_RDONLY;
    HANDLE rd, wr;
    int *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp || wp_ntpipe_pair(&rd, &wr, wp_opipe_capacity(e_reads ? e : p), e_reads,
                               !e_reads) < 0) {
        free(tmp);
        return;
    }
    HANDLE e_h = e_reads ? rd : wr, p_h = e_reads ? wr : rd;
    if (wp_pipe__temp_fds(e, p, e_h, p_h, parent_fds, n, tmp) < 0) {
        /* no remaking: the child gets the overlapped end, as when the pipe is not pristine */
        CloseHandle(rd);
        CloseHandle(wr);
        free(tmp);
        return;
    }
    wp_opipe_rehandle(p, p_h);
    wp_ofd_set_kind(e, &wp_spipe_kind, NULL); /* its I/O goes through the fd's handle now */
    CloseHandle(e_h);                         /* each fd has a copy */
    for (int i = 0; i < n; i++) {
        struct wp_ofd *o;
        if (tmp[i] < 0)
            continue;
        if (wp_fdtab_get_locked(parent_fds[i], &o) < 0) {
            wp_crt_close(tmp[i]);
            continue;
        }
        wp_pipe__rebind(parent_fds[i], tmp[i], o);
        wp_ofd_unref(o);
    }
    free(tmp);
}

/* spawn gives a child the parent's fd src_fd; parent_fds are all the parent's open fds. After
 * this, src_fd's pipe is shared with a child and never remade again. Table lock held. */
void wp_pipe_give_to_child_locked(int src_fd, const int *parent_fds, int n)
{
    struct wp_ofd *e, *p = NULL;
    if (wp_fdtab_get_locked(src_fd, &e) < 0)
        return;
    /* An end with O_NONBLOCK stays overlapped: a winpipe child then honours the flag it is
     * given (a synchronous end's writes would block), and a child without winpipe cannot. */
    if (wp_opipe_pristine(e) && !e->nonblock)
        p = wp_pipe__peer(e, parent_fds, n);
    if (p && wp_opipe_pristine(p) && wp_pipe__idle(e, parent_fds, n)
        && wp_pipe__idle(p, parent_fds, n))
        wp_pipe__remake(e, p, parent_fds, n);
    if (p) {
        wp_opipe_mark_shared(p);
        wp_ofd_unref(p);
    }
    wp_opipe_mark_shared(e);
    wp_ofd_unref(e);
}

/* "[3, 4]" once made; the array's address if not. */
#define WP_PIPE_TRACE(name, r, fds, fmt, ...)                                                  \
    ((r) == 0 ? (int)wp_trace_ret(r, name "([%d, %d]" fmt ")", (fds)[0], (fds)[1], __VA_ARGS__) \
              : (int)wp_trace_ret(r, name "(0x%llx" fmt ")", WP_TRACE_PTR(fds), __VA_ARGS__))

/* pipe2's flags: O_NONBLOCK and O_CLOEXEC as POSIX; O_BINARY, which code written for Windows
 * and POSIX alike passes (winpipe's pipes are binary anyway), and O_TEXT, which makes the C
 * runtime's own view of the fds text mode, as _pipe(…, _O_TEXT) does (winpipe's read and write
 * stay binary, as POSIX). */
static int wp_pipe__pipe2(int fds[2], int flags)
{
    if ((flags & ~(O_NONBLOCK | O_CLOEXEC | _O_BINARY | _O_TEXT))
        || (flags & (_O_BINARY | _O_TEXT)) == (_O_BINARY | _O_TEXT))
        return -EINVAL;
    return wp_pipe__fds(fds, flags, WP_PIPE_SIZE, (flags & _O_TEXT) ? _O_TEXT : _O_BINARY);
}

int winpipe_pipe2(int fds[2], int flags)
{
    int r = (int)wp_ret(wp_pipe__pipe2(fds, flags));
    return WP_PIPE_TRACE("pipe2", r, fds, ", %#x", flags);
}

int winpipe_pipe(int fds[2])
{
    int r = (int)wp_ret(wp_pipe__fds(fds, 0, WP_PIPE_SIZE, _O_BINARY));
    return WP_PIPE_TRACE("pipe", r, fds, "%s", "");
}

/* msvcrt's _pipe: mode _O_BINARY or _O_TEXT (kept on the CRT's fd, so its own _read/_write and
 * stdio translate; winpipe's read/write are always binary, as POSIX), _O_NOINHERIT. */
static int wp_pipe__crt(int *fds, unsigned int size, int mode)
{
    if (mode & ~(_O_BINARY | _O_TEXT | _O_NOINHERIT))
        return -EINVAL;
    int flags = (mode & _O_NOINHERIT) ? O_CLOEXEC : 0;
    int crt = (mode & _O_TEXT) ? _O_TEXT : _O_BINARY;
    return wp_pipe__fds(fds, flags, size ? size : WP_PIPE_SIZE, crt);
}

int winpipe__pipe(int *fds, unsigned int size, int mode)
{
    int r = (int)wp_ret(wp_pipe__crt(fds, size, mode));
    return WP_PIPE_TRACE("_pipe", r, fds, ", %u, %#x", size, mode);
}
