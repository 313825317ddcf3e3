/* <fcntl.h> wrapper: mingw-w64's own header, then O_NONBLOCK, O_CLOEXEC, F_*, FD_CLOEXEC and
 * winpipe's fcntl(). On a POSIX host it is the system header and nothing else. */
#include_next <fcntl.h>

#if defined(_WIN32) && !defined(WINPIPE_FCNTL_H)
#define WINPIPE_FCNTL_H
#include <winpipe.h>
#ifndef WINPIPE_BUILDING
#undef fcntl
#define fcntl winpipe_fcntl
#endif
#endif
