/* crtfile.c: what the C runtime reads and writes by itself, keeping its position and text mode:
 * disk files, NUL and other character devices, and under Wine a Unix pipe a process was started
 * with. POSIX says a regular file never blocks, and poll() calls each of them always ready. The
 * console's output is one of these too (console.c adds its input). */
#include "winpipe-internal.h"

ssize_t wp_crtfile_read(struct wp_ofd *ofd, int fd, void *buf, size_t n)
{
    (void)ofd;
    if (!buf)
        return -EFAULT;
    int r = _read(fd, buf, wp_clamp(n, INT_MAX));
    return r < 0 ? -errno : r;
}

ssize_t wp_crtfile_write(struct wp_ofd *ofd, int fd, const void *buf, size_t n)
{
    (void)ofd;
    int r = _write(fd, buf, wp_clamp(n, INT_MAX));
    return r < 0 ? -errno : r;
}

static short wp_crtfile__poll(struct wp_ofd *ofd, int fd, short events, struct wp_wake *w)
{
    (void)ofd; (void)fd; (void)w;
    return events & (WP_POLLIN_BITS | WP_POLLOUT_BITS);
}

const struct wp_kind wp_crtfile_kind = {
    .name = "file or device",
    .read = wp_crtfile_read,
    .write = wp_crtfile_write,
    .poll = wp_crtfile__poll,
};
