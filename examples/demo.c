/* A plain POSIX program, with no Windows code in it: built with mingw-w64 against winpipe it
 * runs on Windows unchanged. A producer thread writes numbered lines into a pipe; the main
 * thread reads them back with read() until end of file. */
#define _GNU_SOURCE /* pipe2() on glibc */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINES 5
#define READ_FD 10 /* where dup2() moves the read end */

static void *producer(void *arg)
{
    int fd = *(int *)arg;
    char line[32];

    for (int i = 1; i <= LINES; i++) {
        int n = snprintf(line, sizeof line, "line %d of %d\n", i, LINES);
        if (write(fd, line, (size_t)n) != n)
            perror("write");
    }
    close(fd); /* the reader sees end of file */
    return NULL;
}

static int fail(const char *what)
{
    perror(what);
    return 1;
}

int main(void)
{
    int fds[2];
    char buf[64];
    int lines = 0;
    pthread_t thread;
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) != 0)
        return fail("pipe2");
    printf("pipe2: read end %d, write end %d, FD_CLOEXEC %s\n", fds[0], fds[1],
           (fcntl(fds[0], F_GETFD) & FD_CLOEXEC) ? "set" : "clear");

    /* POSIX says dup2() clears FD_CLOEXEC on the new descriptor. */
    if (dup2(fds[0], READ_FD) != READ_FD)
        return fail("dup2");
    close(fds[0]);
    printf("dup2: read end moved to %d, FD_CLOEXEC %s\n", READ_FD,
           (fcntl(READ_FD, F_GETFD) & FD_CLOEXEC) ? "set" : "clear");

    /* Non-blocking, an empty pipe says EAGAIN instead of waiting. */
    int flags = fcntl(READ_FD, F_GETFL);
    if (flags < 0 || fcntl(READ_FD, F_SETFL, flags | O_NONBLOCK) != 0)
        return fail("fcntl F_SETFL");
    n = read(READ_FD, buf, sizeof buf);
    printf("non-blocking read of the empty pipe: %d (%s)\n", (int)n,
           n < 0 && errno == EAGAIN ? "EAGAIN" : "unexpected");
    if (fcntl(READ_FD, F_SETFL, flags) != 0)
        return fail("fcntl F_SETFL");

    if (pthread_create(&thread, NULL, producer, &fds[1]) != 0)
        return fail("pthread_create");
    while ((n = read(READ_FD, buf, sizeof buf - 1)) > 0) {
        buf[n] = '\0';
        for (char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
            lines++;
        printf("read %2d bytes: %s", (int)n, buf);
    }
    if (n < 0)
        return fail("read");
    printf("end of file after %d lines\n", lines);
    pthread_join(thread, NULL);
    close(READ_FD);

    if (lines != LINES) {
        fprintf(stderr, "demo: expected %d lines, got %d\n", LINES, lines);
        return 1;
    }
    puts("demo: ok");
    return 0;
}
