/* stdio.c: fclose() for streams on winpipe fds. The CRT closes the stream's fd with its own
 * _close; the fd's open file description holds a handle of its own, which would keep the pipe end
 * open (no EOF for the reader, no EPIPE for the writer) until winpipe next saw that fd number. */
#include "winpipe-internal.h"
#include <stdio.h>

static int wp_fclose(FILE *stream)
{
    if (!stream)
        return fclose(stream); /* the CRT's answer; fflush(NULL) would flush every stream */
    int fd = _fileno(stream);
    /* The stream's buffer goes out through the fd before the description lets go. */
    fflush(stream);
    wp_fdtab_lock();
    if (fd >= 0 && fd < WP_FD_MAX)
        wp_fdtab_unbind_locked(fd);
    int r = fclose(stream);
    wp_fdtab_unlock();
    return r;
}

int winpipe_fclose(FILE *stream)
{
    int fd = stream ? _fileno(stream) : -1;
    return (int)wp_trace_ret(wp_fclose(stream), "fclose(0x%llx) fd %d", WP_TRACE_PTR(stream), fd);
}
