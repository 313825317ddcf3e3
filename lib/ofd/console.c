/* console.c: the console. Reads and writes go through the C runtime (crtfile.c), which keeps its
 * text mode; what is the console's own is readiness. POSIX: console input is readable when a key
 * press is waiting; the input handle is signalled by every input event. */
#include "winpipe-internal.h"

/* Other input events (focus, mouse, key releases) signal the console handle too; they are read
 * away, or the wait would spin. */
static int wp_console__has_key(HANDLE h)
{
    INPUT_RECORD rec;
    DWORD n;
    while (PeekConsoleInputW(h, &rec, 1, &n) && n == 1) {
        if (rec.EventType == KEY_EVENT && rec.Event.KeyEvent.bKeyDown)
            return 1;
        ReadConsoleInputW(h, &rec, 1, &n);
    }
    return 0;
}

static short wp_console__poll(struct wp_ofd *ofd, int fd, short events, struct wp_wake *w)
{
    HANDLE h = wp_crt_handle(fd);
    DWORD n;
    (void)ofd;
    if (!GetNumberOfConsoleInputEvents(h, &n)) /* an output buffer */
        return events & WP_POLLOUT_BITS;
    if (wp_console__has_key(h))
        return events & WP_POLLIN_BITS;
    w->handle = h;
    return 0;
}

const struct wp_kind wp_console_kind = {
    .name = "console",
    .read = wp_crtfile_read,
    .write = wp_crtfile_write,
    .poll = wp_console__poll,
};
