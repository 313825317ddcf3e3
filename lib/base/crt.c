/* crt.c: winpipe's calls into the C runtime's fd table. POSIX says a bad fd is EBADF; UCRT
 * (and newer msvcrt builds) instead call the invalid-parameter handler, whose default ends the
 * process. Every CRT call that may see a bad fd goes through here, with a no-op handler for the
 * current thread only, so the application's own handler is left alone. */
#include "winpipe-internal.h"

#ifdef _UCRT
/* UCRT exports it (api-ms-win-crt-runtime), but mingw-w64 10's headers do not declare it: without
 * this prototype gcc would take the returned handler for an int and cut it to 32 bits. */
_invalid_parameter_handler __cdecl
_set_thread_local_invalid_parameter_handler(_invalid_parameter_handler handler);

static void wp_crt__ignore(const wchar_t *e, const wchar_t *f, const wchar_t *file,
                           unsigned int line, uintptr_t r)
{
    (void)e; (void)f; (void)file; (void)line; (void)r;
}
#define WP_CRT_QUIET_BEGIN \
    _invalid_parameter_handler wp__old = _set_thread_local_invalid_parameter_handler(wp_crt__ignore)
#define WP_CRT_QUIET_END _set_thread_local_invalid_parameter_handler(wp__old)
#else
#define WP_CRT_QUIET_BEGIN do { } while (0)
#define WP_CRT_QUIET_END do { } while (0)
#endif

HANDLE wp_crt_handle(int fd)
{
    if (fd < 0 || fd >= WP_FD_MAX)
        return INVALID_HANDLE_VALUE;
    int saved = errno;
    WP_CRT_QUIET_BEGIN;
    intptr_t h = _get_osfhandle(fd);
    WP_CRT_QUIET_END;
    errno = saved;
    /* -2 is what the CRT reports for 0-2 of a process without standard handles. */
    if (h == -1 || h == -2 || h == 0)
        return INVALID_HANDLE_VALUE;
    return (HANDLE)h;
}

int wp_crt_close(int fd)
{
    int saved = errno;
    WP_CRT_QUIET_BEGIN;
    int r = _close(fd);
    WP_CRT_QUIET_END;
    int e = errno;
    errno = saved;
    return r == 0 ? 0 : -(e ? e : EBADF);
}

int wp_crt_dup2(int fd, int fd2)
{
    int saved = errno;
    WP_CRT_QUIET_BEGIN;
    int r = _dup2(fd, fd2);
    WP_CRT_QUIET_END;
    int e = errno;
    errno = saved;
    return r == 0 ? 0 : -(e ? e : EBADF);
}

/* Gives h an fd number: the lowest free one, as POSIX requires of every new fd. */
int wp_crt_open_handle(HANDLE h, int crt_flags)
{
    int saved = errno;
    WP_CRT_QUIET_BEGIN;
    int fd = _open_osfhandle((intptr_t)h, crt_flags);
    WP_CRT_QUIET_END;
    int e = errno;
    errno = saved;
    /* On failure h is still the caller's. A full table is this process's: POSIX's EMFILE,
     * where Wine's msvcrt says ENFILE. WP_FD_MAX is the CRT's own limit, so a successful fd is
     * always below it. */
    return fd < 0 ? -(e && e != ENFILE ? e : EMFILE) : fd;
}
