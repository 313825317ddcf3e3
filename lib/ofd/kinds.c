/* kinds.c: the one place that knows every kind of description, and picks one for a handle that
 * winpipe did not make itself: inherited, the console, a file, NUL, a socket. (pipe() makes its
 * overlapped ends directly, fd/pipe.c.) */
#include "winpipe-internal.h"

/* A socket answers getsockopt (once the program started Winsock, as it must to have one). */
static int wp_kinds__is_socket(HANDLE h)
{
    int type, len = sizeof type;
    return getsockopt((SOCKET)h, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

/* The kind for h; NULL: an overlapped pipe end, which needs a description of its own. */
static const struct wp_kind *wp_kinds__classify(HANDLE h)
{
    DWORD mode, flags;
    switch (GetFileType(h)) {
    case FILE_TYPE_CHAR:
        return GetConsoleMode(h, &mode) ? &wp_console_kind : &wp_crtfile_kind;
    case FILE_TYPE_PIPE:
        if (GetNamedPipeInfo(h, &flags, NULL, NULL, NULL))
            return wp_nt_is_overlapped(h) ? NULL : &wp_spipe_kind;
        /* Sockets are FILE_TYPE_PIPE too, without pipe information. So is, under Wine, a Unix
         * pipe or FIFO a process was started with (wine prog.exe | cat): the C runtime's own
         * reads and writes work on it, and poll() calls it always ready, as a file. */
        return wp_kinds__is_socket(h) ? &wp_socket_kind : &wp_crtfile_kind;
    default: /* disk files, and what the system cannot say */
        return &wp_crtfile_kind;
    }
}

/* The description of crt_h, the handle behind a C runtime fd. */
int wp_kinds_for_handle(HANDLE crt_h, struct wp_ofd **out)
{
    const struct wp_kind *kind = wp_kinds__classify(crt_h);
    int accmode = wp_nt_accmode(crt_h);
    HANDLE own;

    if (kind) {
        *out = wp_ofd_new(kind, NULL, accmode, 0);
        return *out ? 0 : -ENOMEM;
    }
    /* An overlapped end does I/O on a handle of its own, which the fd's closing cannot take
     * away from a call in flight. */
    if (!DuplicateHandle(GetCurrentProcess(), crt_h, GetCurrentProcess(), &own, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return wp_last_error();
    if (!(*out = wp_opipe_new(own, accmode, 0)))
        return -ENOMEM;
    return 0;
}
