/* A plain POSIX program, as a project that finds winpipe with configure would have it: no
 * Windows code. A non-blocking, close-on-exec pipe: flags, write, poll, read back. Built with
 * -Wall -Wextra -Wpedantic -Werror (Makefile.am), and it includes every header winpipe
 * installs, so that the build fails if one of them warns. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <winpipe.h>

static int fail(const char *what)
{
    printf("consumer: FAILED: %s (errno %d: %s)\n", what, errno, strerror(errno));
    return 1;
}

int main(void)
{
    static const char msg[] = "hello through winpipe";
    char buf[64];
    int fds[2];
    int flags;
    ssize_t n;

    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        return fail("pipe2(O_NONBLOCK|O_CLOEXEC)");
    for (int i = 0; i < 2; i++) {
        errno = 0;
        flags = fcntl(fds[i], F_GETFL);
        if (flags < 0 || !(flags & O_NONBLOCK))
            return fail(i ? "F_GETFL of the write end: no O_NONBLOCK"
                          : "F_GETFL of the read end: no O_NONBLOCK");
        flags = fcntl(fds[i], F_GETFD);
        if (flags < 0 || !(flags & FD_CLOEXEC))
            return fail(i ? "F_GETFD of the write end: no FD_CLOEXEC"
                          : "F_GETFD of the read end: no FD_CLOEXEC");
    }

    /* Empty: poll says nothing is readable, a non-blocking read says EAGAIN. */
    struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
    if (poll(&pfd, 1, 0) != 0)
        return fail("poll of the empty pipe is not 0");
    errno = 0;
    n = read(fds[0], buf, sizeof buf);
    if (n != -1 || (errno != EAGAIN && errno != EWOULDBLOCK))
        return fail("read of the empty pipe did not fail with EAGAIN");

    errno = 0;
    if (write(fds[1], msg, sizeof msg) != (ssize_t)sizeof msg)
        return fail("write");

    pfd.revents = 0;
    errno = 0;
    if (poll(&pfd, 1, 5000) != 1 || !(pfd.revents & POLLIN))
        return fail("poll after the write: not readable");

    errno = 0;
    n = read(fds[0], buf, sizeof buf);
    if (n != (ssize_t)sizeof msg || memcmp(buf, msg, sizeof msg) != 0)
        return fail("read back: not what was written");

    if (close(fds[1]) != 0 || close(fds[0]) != 0)
        return fail("close");

    /* <sys/time.h>'s interval timer, which mingw-w64 lacks: none is set yet. */
    struct itimerval timer;
    memset(&timer, 0x55, sizeof timer);
    if (getitimer(ITIMER_REAL, &timer) != 0 || timer.it_value.tv_sec != 0
        || timer.it_value.tv_usec != 0 || timer.it_interval.tv_sec != 0)
        return fail("getitimer(ITIMER_REAL): not a disarmed timer");
    printf("consumer: ok\n");
    return 0;
}
