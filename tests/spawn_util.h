/* spawn_util.h: what test_spawn and test_wait share: finding the child helper program
 * (tests/child.c) and running it with its output captured. Header-only; include after helper.h. */
#ifndef WINPIPE_TESTS_SPAWN_UTIL_H
#define WINPIPE_TESTS_SPAWN_UTIL_H

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef _WIN32
#include <windows.h>
#else
extern char **environ;
#endif

/* The child helper program: see wp_child_path. */
static inline const char *su_child(void)
{
    return wp_child_path();
}

/* WINPIPE_PLAIN, else tests/plain(.exe), the helper linked without winpipe: beside the child,
 * or (Windows) one folder up from it, where libtool leaves a program linked with no libtool
 * library while the others' real executables are in .libs. */
static inline const char *su_plain(void)
{
    static char path[4096 + 32];
    const char *env = getenv("WINPIPE_PLAIN"), *child = su_child();
    char *slash;
    if (env && *env)
        return env;
    if (path[0])
        return path;
    memcpy(path, child, strlen(child) + 1); /* su_child's is shorter than 4096 */
#ifdef _WIN32
    slash = strrchr(path, '\\');
    strcpy(slash ? slash + 1 : path, "plain.exe");
    if (GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES)
        strcpy(slash ? slash + 1 : path, "..\\plain.exe");
#else
    slash = strrchr(path, '/');
    strcpy(slash ? slash + 1 : path, "plain");
#endif
    return path;
}

/* The child's argv: the child's path, then args (NULL-terminated, at most 60). */
static inline void su_argv(char **argv, char *const *args)
{
    int n = 0;
    argv[n++] = (char *)su_child();
    while (args && args[n - 1] && n < 62) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
}

/* Spawns the child with args and optional actions/attributes, failing the test on error. */
static inline pid_t su_spawn(const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                      char *const *args)
{
    char *argv[64];
    pid_t pid = -1;
    int r;
    su_argv(argv, args);
    wp_progress();
    r = posix_spawn(&pid, argv[0], fa, attr, argv, environ);
    if (r != 0)
        fail_msg("posix_spawn(%s %s): %d (%s)", argv[0], args && args[0] ? args[0] : "", r,
                 strerror(r));
    assert_true(pid > 0);
    return pid;
}

/* Spawns argv (argv[0] the program's path) with its fds 0, 1 and 2 on three new pipes: fds[0]
 * is the parent's end to write its stdin, fds[1] and fds[2] the ends to read its stdout and
 * stderr (all O_CLOEXEC; the child's ends are closed here). Fails the test on error; the pid. */
static inline pid_t su_spawn_piped(char *const argv[], int fds[3])
{
    posix_spawn_file_actions_t fa;
    int in[2], out[2], err[2], r;
    pid_t pid = -1;
    wp_pipe(in, O_CLOEXEC);
    wp_pipe(out, O_CLOEXEC);
    wp_pipe(err, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in[0], 0), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out[1], 1), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, err[1], 2), 0);
    r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    if (r != 0)
        fail_msg("posix_spawn(%s): %d (%s)", argv[0], r, strerror(r));
    posix_spawn_file_actions_destroy(&fa);
    wp_progress();
    wp_close(in[0]);
    wp_close(out[1]);
    wp_close(err[1]);
    fds[0] = in[1];
    fds[1] = out[0];
    fds[2] = err[0];
    return pid;
}

/* waitpid(pid, &status, 0) that must return pid; the status. */
static inline int su_reap(pid_t pid)
{
    int status = -1;
    assert_rc(waitpid(pid, &status, 0), pid);
    wp_progress();
    return status;
}

/* Reads fd to EOF into a malloc'ed buffer (NUL-terminated); *len the byte count. */
static inline char *su_read_all(int fd, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        ssize_t r;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
        r = read(fd, buf + n, cap - n);
        if (r < 0)
            fail_msg("read(%d): %s", fd, strerror(errno));
        if (r == 0)
            break;
        n += (size_t)r;
        wp_progress();
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* Runs the child with fd 1 on a pipe (after the caller's actions, if any, which must not
 * touch fd 1) and returns its output; *status its wait status. */
static inline char *su_run(posix_spawn_file_actions_t *extra, char *const *args, size_t *len,
                    int *status)
{
    posix_spawn_file_actions_t own, *fa = extra ? extra : &own;
    int p[2];
    char *out;
    pid_t pid;
    wp_pipe(p, O_CLOEXEC);
    if (!extra)
        assert_int_equal(posix_spawn_file_actions_init(&own), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(fa, p[1], 1), 0);
    pid = su_spawn(fa, NULL, args);
    if (!extra)
        posix_spawn_file_actions_destroy(&own);
    wp_close(p[1]);
    out = su_read_all(p[0], len);
    wp_close(p[0]);
    *status = su_reap(pid);
    return out;
}

#endif
