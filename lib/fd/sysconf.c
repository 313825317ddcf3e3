/* sysconf.c: sysconf() and getdtablesize(), for what a ported program asks of the system's
 * limits; above all the fd limit (_SC_OPEN_MAX), which is the C runtime's own table's, and which
 * every fd winpipe checks is held against. mingw-w64 has neither function. */
#include "winpipe-internal.h"

static long wp_sysconf__cpus(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (long)si.dwNumberOfProcessors;
}

static long wp_sysconf(int name)
{
    SYSTEM_INFO si;
    switch (name) {
    case _SC_OPEN_MAX:
        return WP_FD_MAX;
    case _SC_ARG_MAX:
        return 32767; /* CreateProcessW's command line, in UTF-16 units with the NUL */
    case _SC_PAGESIZE:
        GetSystemInfo(&si);
        return (long)si.dwPageSize;
    case _SC_NPROCESSORS_CONF:
    case _SC_NPROCESSORS_ONLN:
        return wp_sysconf__cpus();
    default:
        return -EINVAL; /* POSIX: a name the implementation does not know */
    }
}

long winpipe_sysconf(int name)
{
    return (long)wp_trace_ret(wp_ret(wp_sysconf(name)), "sysconf(%d)", name);
}

int winpipe_getdtablesize(void)
{
    return WP_FD_MAX;
}
