/* test_spawn: posix_spawn/posix_spawnp, file actions and attributes: what the child gets (argv,
 * environment, exactly which fds and no other handle, also in the fallback for a refused handle
 * list and with two threads spawning, synchronous pipe ends, its directory), the program search,
 * batch files, errors, and no leaked handles. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>

#include "helper.h"
#include "spawn_util.h"

#include <time.h>

#ifdef _WIN32
#include <io.h>
#include <direct.h>
#include <windows.h>
#include <winpipe.h>
#define SU_EXE ".exe"
/* The child reads the system's environment, which is UTF-16: set it there, from UTF-8. */
static int su_setenv(const char *name, const char *value)
{
    wchar_t wn[256], wv[8192];
    MultiByteToWideChar(CP_UTF8, 0, name, -1, wn, 256);
    MultiByteToWideChar(CP_UTF8, 0, value ? value : "", -1, wv, 8192);
    return SetEnvironmentVariableW(wn, value ? wv : NULL) ? 0 : -1;
}
#define setenv(n, v, o) su_setenv(n, v)
#define unsetenv(n) su_setenv(n, NULL)
#define mkdir(d, m) _mkdir(d)
#else
#include <sys/stat.h>
#define SU_EXE ""
/* glibc 2.36 has only the _np spellings of POSIX 2024's addchdir and addfchdir. */
#define posix_spawn_file_actions_addchdir posix_spawn_file_actions_addchdir_np
#define posix_spawn_file_actions_addfchdir posix_spawn_file_actions_addfchdir_np
#endif

#ifdef _WIN32
/* WINPIPE_FORCE_NO_HANDLE_LIST=1 makes winpipe's posix_spawn take the path it uses when the
 * system refuses PROC_THREAD_ATTRIBUTE_HANDLE_LIST (read per call). */
static void force_no_handle_list(int on)
{
    assert_int_equal(su_setenv("WINPIPE_FORCE_NO_HANDLE_LIST", on ? "1" : NULL), 0);
}
#endif

/* ---- argv ---- */

/* Runs child argv with args and checks that its argv[1..] are exactly args. */
static void check_argv(char *const *args)
{
    char *a[64];
    size_t len, off = 0;
    int status, i;
    a[0] = "argv";
    for (i = 0; args[i]; i++)
        a[i + 1] = args[i];
    a[i + 1] = NULL;
    char *out = su_run(NULL, a, &len, &status);
    /* Say what came back when the child did not end well: a child that never reached main
     * (a loader failure: no output) differs from one that failed on the way out. */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child argv ended with wait status 0x%x after %zu bytes of output", status,
                 len);
    /* argv[0] (the child's path), "argv", then args. */
    off += strlen(out) + 1;
    assert_true(off <= len);
    assert_string_equal(out + off, "argv");
    off += strlen(out + off) + 1;
    for (i = 0; args[i]; i++) {
        if (off >= len)
            fail_msg("child saw %d arguments, expected more (next: '%s')", i, args[i]);
        if (strcmp(out + off, args[i]) != 0)
            fail_msg("argument %d: child saw '%s', sent '%s'", i, out + off, args[i]);
        off += strlen(out + off) + 1;
    }
    assert_int_equal(off, len);
    free(out);
}

static void argv_reaches_the_child_exactly_for_hard_cases(void **state)
{
    char *cases[][8] = {
        { "plain", NULL },
        { "", NULL },
        { "", "", "", NULL },
        { "two words", "tab\there", "nl\nin", NULL },
        { "\"", "\"\"", "a\"b", "\"quoted\"", NULL },
        { "\\", "\\\\", "a\\", "a\\\\", "\\\"", "\\\\\"", NULL },
        { "end\\ ", "dir\\sub\\", "C:\\Program Files\\x\\", "\\\\server\\share", NULL },
        { "ümlaut", "日本語", "emoji 😀", "mixed \"ä\\\"", NULL },
        { "*", "?", "%PATH%", "a&b|c<d>e^f", "(x)", NULL },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_argv(cases[i]);
}

/* Deterministic generator over the characters that matter to the quoting rules. */
static unsigned long rng_state = 12345;
static unsigned rng(void)
{
    rng_state = rng_state * 1103515245UL + 12345UL;
    return (unsigned)(rng_state >> 16) & 0x7fff;
}

static void argv_round_trips_for_generated_vectors(void **state)
{
    static const char *alphabet[] = { "a", "b", " ", "\t", "\"", "\\", "\\\\", "x y", "é", "'",
                                      "*", "%", "=", ";" };
    static char storage[16][64];
    int vectors = 0;
    (void)state;
    for (int v = 0; v < 300; v++) {
        char *args[17];
        int nargs = (int)(rng() % 16);
        for (int i = 0; i < nargs; i++) {
            int n = (int)(rng() % 10);
            storage[i][0] = 0;
            for (int k = 0; k < n; k++)
                strcat(storage[i], alphabet[rng() % (sizeof alphabet / sizeof alphabet[0])]);
            args[i] = storage[i];
        }
        args[nargs] = NULL;
        check_argv(args);
        vectors++;
    }
    assert_int_equal(vectors, 300);
}

/* ---- environment ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Wine's loader adds its own variables (WINE*, SystemDrive, SystemRoot) to every process
 * environment, even an empty one; Windows passes the block exactly. The child, linked with
 * winpipe, adds WINPIPE_SIGNAL: where its signal channel is (compat-docs/signal.md). */
static int wine_added(const char *var)
{
#ifdef _WIN32
    if (strncmp(var, "WINPIPE_SIGNAL=", 15) == 0)
        return 1;
    if (!GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version"))
        return 0;
    return strncmp(var, "WINE", 4) == 0 || strncmp(var, "SystemDrive=", 12) == 0
           || strncmp(var, "SystemRoot=", 11) == 0;
#else
    (void)var;
    return 0;
#endif
}

/* The child's environment as a sorted, NULL-terminated array (pointers into *buf). */
static char **child_env(char *const envp[], char **buf, int *n)
{
    char *argv[4] = { (char *)su_child(), "env", NULL };
    int p[2], count = 0;
    size_t len;
    pid_t pid;
    posix_spawn_file_actions_t fa;
    char **list;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    *buf = su_read_all(p[0], &len);
    wp_close(p[0]);
    assert_int_equal(su_reap(pid), 0);
    list = calloc(len + 1, sizeof *list);
    for (size_t off = 0; off < len; off += strlen(*buf + off) + 1)
        if (!wine_added(*buf + off))
            list[count++] = *buf + off;
    qsort(list, (size_t)count, sizeof *list, cmp_str);
    *n = count;
    return list;
}

static void envp_reaches_the_child_exactly(void **state)
{
    char *envp[] = { "A=1", "WINPIPE_TEST=two words", "UTF8=ünïcødé", "EMPTY=",
                     "Z_LAST=x=y", NULL };
    char *sorted[] = { "A=1", "EMPTY=", "UTF8=ünïcødé", "WINPIPE_TEST=two words", "Z_LAST=x=y" };
    char *buf;
    int n;
    (void)state;
    char **env = child_env(envp, &buf, &n);
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(env[i], sorted[i]);
    free(env);
    free(buf);
}

static void empty_envp_gives_an_empty_environment(void **state)
{
    char *envp[] = { NULL };
    char *buf;
    int n;
    (void)state;
    free(child_env(envp, &buf, &n));
    free(buf);
    assert_int_equal(n, 0);
}

static void environ_passes_the_parents_environment(void **state)
{
    char *buf;
    int n, found = 0;
    (void)state;
    assert_int_equal(setenv("WINPIPE_SPAWN_MARK", "from parent ä", 1), 0);
    char **env = child_env(environ, &buf, &n);
    for (int i = 0; i < n; i++)
        found += strcmp(env[i], "WINPIPE_SPAWN_MARK=from parent ä") == 0;
    assert_int_equal(found, 1);
    free(env);
    free(buf);
    unsetenv("WINPIPE_SPAWN_MARK");
}

/* ---- fds ---- */

/* The child's report on fds 0..n-1, written to its fd out, after fa. Open states are reduced to
 * 'o' unless exact. */
static void child_fds(posix_spawn_file_actions_t *fa, int n, char *report, int exact)
{
    char nbuf[16];
    char *args[] = { "fds", nbuf, NULL };
    size_t len;
    int status;
    snprintf(nbuf, sizeof nbuf, "%d", n);
    char *out = su_run(fa, args, &len, &status);
    assert_int_equal(status, 0);
    assert_int_equal(len, (size_t)n + 1);
    for (int i = 0; i < n; i++)
        report[i] = exact || out[i] == '-' ? out[i] : 'o';
    report[n] = 0;
    free(out);
}

static void check_child_gets_exactly_the_fds_without_cloexec(void)
{
    int keep[2], drop[2], top;
    char rep[32], want[32];
    posix_spawn_file_actions_t fa;
    wp_pipe(keep, 0);
    wp_pipe(drop, O_CLOEXEC);
    top = drop[1] + 1;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    child_fds(&fa, top + 2, rep, 0);
    posix_spawn_file_actions_destroy(&fa);
    /* 0 and 2 as the test has them, 1 the capture pipe; keep both ends; drop neither. */
    memset(want, 'o', (size_t)top + 2);
    want[top + 2] = 0;
    for (int fd = 3; fd < top + 2; fd++) {
        errno = 0;
        int fl = fcntl(fd, F_GETFD);
        if (fl == -1 || (fl & FD_CLOEXEC))
            want[fd] = '-';
    }
    want[0] = fcntl(0, F_GETFD) == -1 || (fcntl(0, F_GETFD) & FD_CLOEXEC) ? '-' : 'o';
    want[2] = fcntl(2, F_GETFD) == -1 || (fcntl(2, F_GETFD) & FD_CLOEXEC) ? '-' : 'o';
    assert_int_equal(want[keep[0]], 'o');
    assert_int_equal(want[drop[0]], '-');
    assert_string_equal(rep, want);
    wp_close_pipe(keep);
    wp_close_pipe(drop);
}

static void child_gets_exactly_the_fds_without_cloexec(void **state)
{
    (void)state;
    check_child_gets_exactly_the_fds_without_cloexec();
}

/* A pipe the parent made without FD_CLOEXEC, closed for the child by actions: the child holds
 * it in no form (no fd, no stray handle), so the parent's reader sees EOF while the child
 * still runs. */
static void check_closed_fds_do_not_reach_the_child(void)
{
    int p[2];
    char buf[1];
    char *args[] = { "sleep", "20000", NULL };
    posix_spawn_file_actions_t fa;
    struct pollfd pf;
    wp_pipe(p, 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, p[0]), 0);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, p[1]), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    pf.fd = p[0];
    pf.events = POLLIN;
    pf.revents = 0;
    assert_int_equal(poll(&pf, 1, 5000), 1);
    assert_rc(read(p[0], buf, 1), 0);
    wp_close(p[0]);
    assert_ok(kill(pid, SIGKILL));
    assert_true(WIFSIGNALED(su_reap(pid)));
}

static void closed_fds_do_not_reach_the_child(void **state)
{
    (void)state;
    check_closed_fds_do_not_reach_the_child();
}

/* The fallback for a system that refuses the handle list inherits every inheritable handle:
 * the child must still get exactly its fds, and none of the parent's others. */
static void fallback_child_gets_exactly_its_fds_and_no_other_handle(void **state)
{
#ifdef _WIN32
    (void)state;
    force_no_handle_list(1);
    check_child_gets_exactly_the_fds_without_cloexec();
    check_closed_fds_do_not_reach_the_child();
    force_no_handle_list(0);
#else
    (void)state;
    skip(); /* winpipe's fallback; Linux has no handle list to refuse */
#endif
}

static void file_actions_dup2_close_and_dup2_onto_itself(void **state)
{
    int a[2], b[2];
    char rep[32];
    posix_spawn_file_actions_t fa;
    (void)state;
    wp_pipe(a, O_CLOEXEC);
    wp_pipe(b, 0);
    assert_true(b[1] < 20);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, a[0], 20), 0); /* new fd 20 */
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, a[1], a[1]), 0); /* clears CLOEXEC */
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, b[0]), 0);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, 25), 0); /* not open: ignored */
    child_fds(&fa, 22, rep, 0);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rep[20], 'o');
    assert_int_equal(rep[21], '-');
    assert_int_equal(rep[a[0]], '-');
    assert_int_equal(rep[a[1]], 'o');
    assert_int_equal(rep[b[0]], '-');
    assert_int_equal(rep[b[1]], 'o');
    wp_close_pipe(a);
    wp_close_pipe(b);
}

static void fd_above_2_is_usable_in_the_child(void **state)
{
    int p[2];
    char buf[16] = { 0 };
    char *args[] = { "echo", "7", "hello fd 7", NULL };
    posix_spawn_file_actions_t fa;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 7), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    wp_read_exact(p[0], buf, 10);
    assert_string_equal(buf, "hello fd 7");
    assert_rc(read(p[0], buf, 1), 0);
    wp_close(p[0]);
    assert_int_equal(su_reap(pid), 0);
}

static void addopen_gives_the_child_a_file(void **state)
{
    char path[64], buf[32] = { 0 };
    char *args[] = { "echo", "5", "into a file", NULL };
    posix_spawn_file_actions_t fa;
    int fd;
    (void)state;
    snprintf(path, sizeof path, "wp-spawn-open-%d.txt", (int)getpid());
    unlink(path);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 5, path, O_WRONLY | O_CREAT | O_TRUNC,
                                                      0644), 0);
    assert_int_equal(su_reap(su_spawn(&fa, NULL, args)), 0);
    posix_spawn_file_actions_destroy(&fa);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_rc(read(fd, buf, sizeof buf), 11);
    assert_string_equal(buf, "into a file");
    close(fd);
    unlink(path);
}

static void addopen_dev_null_as_stdin_reads_eof(void **state)
{
    char *args[] = { "cat", NULL };
    posix_spawn_file_actions_t fa;
    size_t len;
    int status;
    (void)state;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
    free(su_run(&fa, args, &len, &status));
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(status, 0);
    assert_int_equal(len, 0);
}

static void pipes_on_stdin_and_stdout_carry_data(void **state)
{
    int in[2], out[2];
    char *args[] = { "cat", NULL };
    posix_spawn_file_actions_t fa;
    size_t len;
    (void)state;
    wp_pipe(in, O_CLOEXEC);
    wp_pipe(out, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in[0], 0), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out[1], 1), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(in[0]);
    wp_close(out[1]);
    assert_rc(write(in[1], "through the child\n", 18), 18);
    wp_close(in[1]);
    char *got = su_read_all(out[0], &len);
    wp_close(out[0]);
    assert_int_equal(len, 18);
    assert_string_equal(got, "through the child\n");
    free(got);
    assert_int_equal(su_reap(pid), 0);
}

/* An ordinary child gets synchronous pipe ends in the common case: a fresh pipe, one end
 * dup2'ed onto 0/1/2, the parent's copy closed after the spawn. */
static void fresh_pipe_ends_reach_the_child_synchronous(void **state)
{
#ifdef _WIN32
    char *args[] = { "fds", "3", "2", NULL }, *argv[8];
    char buf[8] = { 0 };
    int fds[3];
    (void)state;
    su_argv(argv, args);
    pid_t pid = su_spawn_piped(argv, fds);
    wp_close(fds[0]);
    wp_read_exact(fds[2], buf, 4);
    assert_string_equal(buf, "sss\n");
    assert_rc(read(fds[1], buf, 1), 0);
    assert_int_equal(su_reap(pid), 0);
    wp_close(fds[1]);
    wp_close(fds[2]);
#else
    (void)state;
    skip();
#endif
}

/* A pipe the parent has already used cannot be swapped: the child gets the overlapped end. */
static void used_pipe_ends_still_work_in_the_child(void **state)
{
    int p[2];
    char buf[8];
    char *args[] = { "echo", "1", "ok", NULL };
    posix_spawn_file_actions_t fa;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    assert_rc(write(p[1], "x", 1), 1);
    assert_rc(read(p[0], buf, 1), 1);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    wp_read_exact(p[0], buf, 2);
    assert_memory_equal(buf, "ok", 2);
    assert_rc(read(p[0], buf, 1), 0);
    wp_close(p[0]);
    assert_int_equal(su_reap(pid), 0);
}

/* The parent keeps using both ends of a pipe whose child end was swapped. */
static void parent_keeps_using_a_swapped_pipe(void **state)
{
    int p[2];
    char buf[8];
    char *args[] = { "echo", "1", "cd", NULL };
    posix_spawn_file_actions_t fa;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    pid_t pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(su_reap(pid), 0);
    assert_rc(write(p[1], "ab", 2), 2);
    wp_read_exact(p[0], buf, 4);
    assert_memory_equal(buf, "cdab", 4);
    wp_close(p[1]);
    assert_rc(read(p[0], buf, 1), 0);
    wp_close(p[0]);
}

static void addchdir_sets_the_childs_directory(void **state)
{
    char dir[128], *cwd_before;
    char *args[] = { "cwd", NULL };
    posix_spawn_file_actions_t fa;
    size_t len;
    int status;
    (void)state;
    snprintf(dir, sizeof dir, "wp-spawn-dir-%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0755), 0);
    cwd_before = getcwd(NULL, 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addchdir_np(&fa, dir), 0);
    char *out = su_run(&fa, args, &len, &status);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(status, 0);
    char want[4200];
    snprintf(want, sizeof want, "%s%c%s", cwd_before,
#ifdef _WIN32
             '\\',
#else
             '/',
#endif
             dir);
    assert_string_equal(out, want);
    free(out);
    free(cwd_before);
    rmdir(dir);
}

/* An fd open on directory dir, read-only. mingw's open() cannot open a directory: on Windows a
 * handle from CreateFileW with FILE_FLAG_BACKUP_SEMANTICS, made an fd with _open_osfhandle. */
static int open_dir_fd(const char *dir)
{
#ifdef _WIN32
    HANDLE h = CreateFileA(dir, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    int fd = _open_osfhandle((intptr_t)h, _O_RDONLY);
#else
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
    assert_true(fd >= 0);
    return fd;
}

/* getcwd()/dir with the platform's separator: the directory a child there reports. */
static void child_dir(char *want, size_t n, const char *dir)
{
    char *cwd = getcwd(NULL, 0);
#ifdef _WIN32
    snprintf(want, n, "%s\\%s", cwd, dir);
#else
    snprintf(want, n, "%s/%s", cwd, dir);
#endif
    free(cwd);
}

/* Runs child `cwd` after fa and checks that it reports dir. */
static void check_child_cwd(posix_spawn_file_actions_t *fa, const char *dir)
{
    char *args[] = { "cwd", NULL }, want[4200];
    size_t len;
    int status;
    char *out = su_run(fa, args, &len, &status);
    assert_int_equal(status, 0);
    child_dir(want, sizeof want, dir);
    assert_string_equal(out, want);
    free(out);
}

/* Checks that file path holds exactly content (less than 64 bytes). */
static void check_file(const char *path, const char *content)
{
    char buf[64] = { 0 };
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_rc(read(fd, buf, sizeof buf - 1), (long long)strlen(content));
    assert_string_equal(buf, content);
    close(fd);
}

/* addfchdir (and its _np spelling) moves the child into the directory an fd is open on; later
 * actions' relative paths, with '/' or not, are relative to it. */
static void addfchdir_sets_the_childs_directory(void **state)
{
    char dir[64], sub[96], file[128];
    char *args[] = { "echo", "5", "via fchdir", NULL };
    posix_spawn_file_actions_t fa;
    (void)state;
    snprintf(dir, sizeof dir, "wp-spawn-fdir-%d", (int)getpid());
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(file, sizeof file, "%s/out.txt", sub);
    unlink(file); /* left by a failed run */
    rmdir(sub);
    rmdir(dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    int dfd = open_dir_fd(dir);

    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir_np(&fa, dfd), 0);
    check_child_cwd(&fa, dir);
    posix_spawn_file_actions_destroy(&fa);

    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir(&fa, dfd), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 5, "sub/out.txt",
                                                      O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
    assert_int_equal(su_reap(su_spawn(&fa, NULL, args)), 0);
    posix_spawn_file_actions_destroy(&fa);
    check_file(file, "via fchdir");

    close(dfd);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
}

/* addopen of a directory read-only works as open() does there, and addfchdir can use it. */
static void addopen_of_a_directory_then_addfchdir(void **state)
{
    char dir[64];
    posix_spawn_file_actions_t fa;
    (void)state;
    snprintf(dir, sizeof dir, "wp-spawn-odir-%d", (int)getpid());
    rmdir(dir); /* left by a failed run */
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 9, dir, O_RDONLY, 0), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir(&fa, 9), 0);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, 9), 0);
    check_child_cwd(&fa, dir);
    posix_spawn_file_actions_destroy(&fa);
    rmdir(dir);
}

/* posix_spawn's result for child `exit 0` after fa (a started child is reaped). */
static int spawn_result(posix_spawn_file_actions_t *fa)
{
    char *args[] = { "exit", "0", NULL };
    char *argv[64];
    pid_t pid;
    su_argv(argv, args);
    int r = posix_spawn(&pid, argv[0], fa, NULL, argv, environ);
    if (r == 0)
        su_reap(pid);
    return r;
}

/* As Linux gives them: EBADF for an fd not open when the action runs, ENOTDIR for an fd open
 * on something other than a directory (a file, a pipe). */
static void addfchdir_errors_are_ebadf_and_enotdir(void **state)
{
    char path[64], dir[64];
    posix_spawn_file_actions_t fa;
    int p[2], r;
    (void)state;
    snprintf(path, sizeof path, "wp-spawn-notdir-%d.txt", (int)getpid());
    snprintf(dir, sizeof dir, "wp-spawn-cdir-%d", (int)getpid());
    int ffd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(ffd >= 0);
    wp_pipe(p, O_CLOEXEC);
    rmdir(dir); /* left by a failed run */
    assert_int_equal(mkdir(dir, 0755), 0);
    int dfd = open_dir_fd(dir);
    int closed = wp_lowest_free_fd(10);

    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir(&fa, closed), 0);
    assert_int_equal(spawn_result(&fa), EBADF);
    posix_spawn_file_actions_destroy(&fa);

    /* POSIX 2024: addfchdir itself fails with EBADF for a negative fd; glibc 2.36 takes it and
     * the spawn fails with EBADF instead. Either way the caller sees EBADF. */
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    r = posix_spawn_file_actions_addfchdir(&fa, -1);
    if (r == 0)
        r = spawn_result(&fa);
    assert_int_equal(r, EBADF);
    posix_spawn_file_actions_destroy(&fa);

    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir(&fa, ffd), 0);
    assert_int_equal(spawn_result(&fa), ENOTDIR);
    posix_spawn_file_actions_destroy(&fa);

    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir(&fa, p[0]), 0);
    assert_int_equal(spawn_result(&fa), ENOTDIR);
    posix_spawn_file_actions_destroy(&fa);

    /* A directory fd an earlier action closed is no longer open when addfchdir runs. */
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, dfd), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir(&fa, dfd), 0);
    assert_int_equal(spawn_result(&fa), EBADF);
    posix_spawn_file_actions_destroy(&fa);

    close(dfd);
    rmdir(dir);
    close(ffd);
    unlink(path);
    wp_close_pipe(p);
}

/* ---- errors ---- */

static void missing_program_is_enoent(void **state)
{
    char *argv[] = { "nope", NULL };
    pid_t pid = 12345;
    (void)state;
    assert_int_equal(posix_spawn(&pid, "./no-such-program-here", NULL, NULL, argv, environ),
                     ENOENT);
    assert_int_equal(posix_spawnp(&pid, "no-such-program-here", NULL, NULL, argv, environ),
                     ENOENT);
}

static void directory_is_eacces(void **state)
{
    char *argv[] = { "dir", NULL }, dir[64];
    pid_t pid;
    (void)state;
    snprintf(dir, sizeof dir, "./wp-spawn-isdir-%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(posix_spawn(&pid, dir, NULL, NULL, argv, environ), EACCES);
    rmdir(dir);
}

static void garbage_program_is_enoexec(void **state)
{
    char *argv[] = { "garbage", NULL };
    char path[64];
    pid_t pid;
    (void)state;
    snprintf(path, sizeof path, "./wp-garbage-%d%s", (int)getpid(), SU_EXE);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    assert_true(fd >= 0);
    char junk[512];
    memset(junk, 0x5a, sizeof junk);
    assert_rc(write(fd, junk, sizeof junk), 512);
    close(fd);
    assert_int_equal(posix_spawn(&pid, path, NULL, NULL, argv, environ), ENOEXEC);
    unlink(path);
}

/* A file Windows cannot run fails with ENOEXEC, as Linux's exec of one it cannot run. Wine runs
 * a Unix executable, such as /bin/sh (Z:\bin\sh), as a host process that is no Windows process:
 * its pid is no process and a blocking waitpid() on it never returns. So the test never blocks:
 * after a spawn that wrongly succeeded it polls with WNOHANG for a bounded time, then fails. */
static void unix_executable_under_wine_is_enoexec(void **state)
{
#ifdef _WIN32
    char *argv[] = { "sh", "-c", "exit 3", NULL };
    pid_t pid = -1, reaped = 0;
    int r, st = 0, k, ke;
    (void)state;
    if (GetFileAttributesA("/bin/sh") == INVALID_FILE_ATTRIBUTES)
        skip(); /* no /bin/sh: Windows proper, not Wine */
    r = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
    if (r == 0) {
        errno = 0;
        k = kill(pid, 0);
        ke = errno;
        for (int i = 0; i < 300 && pid > 0 && reaped == 0; i++) {
            reaped = waitpid(pid, &st, WNOHANG);
            if (reaped == 0)
                wp_sleep_ms(10);
        }
        fail_msg("posix_spawn(\"/bin/sh\") returned 0 with pid %d (kill(pid, 0): %d, errno %d; "
                 "waitpid(pid, WNOHANG) after 3 s: %d, status 0x%x), expected ENOEXEC",
                 (int)pid, k, ke, (int)reaped, (unsigned)st);
    }
    assert_int_equal(r, ENOEXEC);
#else
    (void)state;
    skip(); /* Linux runs /bin/sh */
#endif
}

static void bad_fd_in_an_action_is_ebadf(void **state)
{
    char *args[] = { "exit", "0", NULL };
    char *argv[64];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int closed = wp_lowest_free_fd(10);
    (void)state;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, -1, 1), EBADF);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, 1, -1), EBADF);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, -1), EBADF);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, -1, "x", O_RDONLY, 0), EBADF);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, closed, 1), 0);
    su_argv(argv, args);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), EBADF);
    posix_spawn_file_actions_destroy(&fa);
}

/* POSIX: an fd at or above the fd limit (sysconf(_SC_OPEN_MAX)) in addclose, adddup2 or addopen
 * is EBADF when the action is added; the highest fd below it is accepted. glibc takes any fd in
 * addfchdir (2.36: none checked) and the spawn fails with EBADF. */
static void file_action_fds_at_the_fd_limit_are_ebadf(void **state)
{
    char *args[] = { "exit", "0", NULL };
    char *argv[64];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int limit = (int)wp_fd_limit();
    (void)state;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, limit), EBADF);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, limit, 1), EBADF);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, 1, limit), EBADF);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, limit, "x", O_RDONLY, 0), EBADF);
    assert_int_equal(posix_spawn_file_actions_addclose(&fa, limit - 1), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, limit - 1, 1), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, 1, limit - 1), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, limit - 1, "x", O_RDONLY, 0), 0);
    assert_int_equal(posix_spawn_file_actions_destroy(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addfchdir(&fa, limit), 0);
    su_argv(argv, args);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), EBADF);
    assert_int_equal(posix_spawn_file_actions_destroy(&fa), 0);
}

static void failing_addopen_fails_the_spawn(void **state)
{
    char *args[] = { "exit", "0", NULL };
    char *argv[64];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    (void)state;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 3, "no-such-dir/x", O_RDONLY, 0), 0);
    su_argv(argv, args);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), ENOENT);
    posix_spawn_file_actions_destroy(&fa);
}

static void spawnattr_flags_round_trip_and_reject_unknown_bits(void **state)
{
    posix_spawnattr_t attr;
    short flags = -1;
    pid_t pg = -1;
    sigset_t set, got;
    (void)state;
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_getflags(&attr, &flags), 0);
    assert_int_equal(flags, 0);
    assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                                         | POSIX_SPAWN_SETSIGDEF), 0);
    assert_int_equal(posix_spawnattr_getflags(&attr, &flags), 0);
    assert_int_equal(flags, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    assert_int_equal(posix_spawnattr_setflags(&attr, 0x4000), EINVAL);
    assert_int_equal(posix_spawnattr_getpgroup(&attr, &pg), 0);
    assert_int_equal(pg, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    assert_int_equal(posix_spawnattr_setsigmask(&attr, &set), 0);
    assert_int_equal(posix_spawnattr_getsigmask(&attr, &got), 0);
    assert_int_equal(sigismember(&got, SIGTERM), 1);
    assert_int_equal(posix_spawnattr_setsigdefault(&attr, &set), 0);
    assert_int_equal(posix_spawnattr_getsigdefault(&attr, &got), 0);
    assert_int_equal(sigismember(&got, SIGTERM), 1);
    /* A spawn with all of them set works. */
    char *args[] = { "exit", "3", NULL };
    assert_int_equal(WEXITSTATUS(su_reap(su_spawn(NULL, &attr, args))), 3);
    assert_int_equal(posix_spawnattr_destroy(&attr), 0);
}

/* ---- program search ---- */

static void spawnp_searches_path_and_slash_names_are_not_searched(void **state)
{
    char dir[4096], *old, *slash;
    char *argv[] = { "child", "exit", "7", NULL };
    pid_t pid;
    (void)state;
    strcpy(dir, su_child());
    slash = strrchr(dir, '/');
#ifdef _WIN32
    char *bs = strrchr(dir, '\\');
    if (!slash || (bs && bs > slash))
        slash = bs;
#endif
    *slash = 0;
    old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    char path[4200];
#ifdef _WIN32
    snprintf(path, sizeof path, "C:\\nonexistent-wp;%s", dir);
#else
    snprintf(path, sizeof path, "/nonexistent-wp:%s", dir);
#endif
    setenv("PATH", path, 1);
    assert_int_equal(posix_spawnp(&pid, "child", NULL, NULL, argv, environ), 0);
    assert_int_equal(WEXITSTATUS(su_reap(pid)), 7);
    /* A name with a slash is a path: "sub/child" is not looked up in PATH. */
    assert_int_equal(posix_spawnp(&pid, "wp-no-dir/child", NULL, NULL, argv, environ), ENOENT);
    if (old)
        setenv("PATH", old, 1);
    free(old);
}

static void spawn_of_a_path_without_extension_finds_the_program(void **state)
{
    char path[4096];
    char *argv[] = { "child", "exit", "9", NULL };
    pid_t pid;
    (void)state;
    strcpy(path, su_child());
#ifdef _WIN32
    path[strlen(path) - 4] = 0; /* without .exe */
#endif
    assert_int_equal(posix_spawn(&pid, path, NULL, NULL, argv, environ), 0);
    assert_int_equal(WEXITSTATUS(su_reap(pid)), 9);
}

/* The directory of the child helper program. */
static void child_program_dir(char *dir, size_t n)
{
    char *slash;
    snprintf(dir, n, "%s", su_child());
    slash = strrchr(dir, '/');
#ifdef _WIN32
    char *bs = strrchr(dir, '\\');
    if (!slash || (bs && bs > slash))
        slash = bs;
#endif
    *slash = 0;
}

/* POSIX: an empty element of PATH (leading, trailing, or two separators together) is the
 * current directory. */
static void spawnp_empty_path_element_is_the_current_directory(void **state)
{
    char dir[4096], path[64], *cwd_before, *old;
    char *argv[] = { "child", "exit", "5", NULL };
#ifdef _WIN32
    static const char *paths[] = { "C:\\nonexistent-wp;", ";C:\\nonexistent-wp",
                                   "C:\\nonexistent-wp;;C:\\nonexistent-wp2" };
#else
    static const char *paths[] = { "/nonexistent-wp:", ":/nonexistent-wp",
                                   "/nonexistent-wp::/nonexistent-wp2" };
#endif
    pid_t pid;
    (void)state;
    child_program_dir(dir, sizeof dir);
    cwd_before = getcwd(NULL, 0);
    old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    assert_int_equal(chdir(dir), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s", paths[i]);
        setenv("PATH", path, 1);
        int r = posix_spawnp(&pid, "child", NULL, NULL, argv, environ);
        if (r != 0)
            fail_msg("PATH '%s': posix_spawnp: %d", path, r);
        assert_int_equal(WEXITSTATUS(su_reap(pid)), 5);
    }
    /* Without the empty element the current directory is not searched. */
    setenv("PATH", paths[1] + 1, 1);
    assert_int_equal(posix_spawnp(&pid, "child", NULL, NULL, argv, environ), ENOENT);
    assert_int_equal(chdir(cwd_before), 0);
    if (old)
        setenv("PATH", old, 1);
    free(old);
    free(cwd_before);
}

/* posix_spawnp searches the caller's PATH; envp (here without any PATH) is only what the
 * child gets. */
static void spawnp_searches_the_callers_path_when_envp_has_none(void **state)
{
    char dir[4096], *old, *buf;
    char *argv[] = { "child", "env", NULL };
    char *envp[] = { "ONLY=1", NULL };
    posix_spawn_file_actions_t fa;
    size_t len;
    pid_t pid;
    int p[2], n = 0;
    (void)state;
    child_program_dir(dir, sizeof dir);
    old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", dir, 1);
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    assert_int_equal(posix_spawnp(&pid, "child", &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    if (old)
        setenv("PATH", old, 1);
    free(old);
    wp_close(p[1]);
    buf = su_read_all(p[0], &len);
    wp_close(p[0]);
    assert_int_equal(su_reap(pid), 0);
    for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
        if (wine_added(buf + off))
            continue;
        assert_string_equal(buf + off, "ONLY=1");
        n++;
    }
    assert_int_equal(n, 1);
    free(buf);
}

/* ---- batch files (Windows) ---- */

static void batch_files_get_safe_arguments_or_einval(void **state)
{
#ifdef _WIN32
    char bat[64];
    snprintf(bat, sizeof bat, "wp-spawn-test-%d.bat", (int)getpid());
    FILE *f = fopen(bat, "w");
    char *ok[] = { bat, "one", "two words", "a&b", NULL };
    char *bad1[] = { bat, "x\" & echo INJECTED", NULL };
    char *bad2[] = { bat, "%PATH%", NULL };
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int p[2];
    size_t len;
    (void)state;
    assert_non_null(f);
    fputs("@echo off\r\necho %1 %2 %3\r\n", f);
    fclose(f);
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    assert_int_equal(posix_spawn(&pid, bat, &fa, NULL, ok, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    char *out = su_read_all(p[0], &len);
    wp_close(p[0]);
    assert_int_equal(su_reap(pid), 0);
    assert_string_equal(out, "one \"two words\" \"a&b\"\r\n");
    free(out);
    assert_int_equal(posix_spawn(&pid, bat, NULL, NULL, bad1, environ), EINVAL);
    assert_int_equal(posix_spawn(&pid, bat, NULL, NULL, bad2, environ), EINVAL);
    unlink(bat);
#else
    (void)state;
    skip();
#endif
}

/* Windows opens "x.bat." and "x.bat " as x.bat, and CreateProcess runs such a name through
 * cmd.exe with the command line as given (CVE-2024-43402 in Rust's std): winpipe must see a
 * batch file there too, and quote or refuse its arguments. */
static void batch_file_names_with_trailing_dots_or_spaces_are_batch_files(void **state)
{
#ifdef _WIN32
    static const char *suffixes[] = { ".bat.", ".bat ", ".BAT. ." };
    char bat[64], names[3][80];
    /* the process's own names: runs of the suite at once (tools/stress.sh) share the directory */
    snprintf(bat, sizeof bat, "wp-spawn-dot-%d", (int)getpid());
    for (int i = 0; i < 3; i++)
        snprintf(names[i], sizeof names[i], "%s%s", bat, suffixes[i]);
    strcat(bat, ".bat");
    FILE *f = fopen(bat, "w");
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int p[2];
    size_t len;
    (void)state;
    assert_non_null(f);
    fputs("@echo off\r\necho %1\r\n", f);
    fclose(f);
    for (int i = 0; i < 3; i++) {
        char *ok[] = { (char *)names[i], "a&b", NULL };
        char *bad[] = { (char *)names[i], "x\" & echo INJECTED", NULL };
        wp_pipe(p, O_CLOEXEC);
        assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
        assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
        int r = posix_spawn(&pid, names[i], &fa, NULL, ok, environ);
        if (r != 0)
            fail_msg("posix_spawn('%s'): %d", names[i], r);
        posix_spawn_file_actions_destroy(&fa);
        wp_close(p[1]);
        char *out = su_read_all(p[0], &len);
        wp_close(p[0]);
        assert_int_equal(su_reap(pid), 0);
        assert_string_equal(out, "\"a&b\"\r\n");
        free(out);
        assert_int_equal(posix_spawn(&pid, names[i], NULL, NULL, bad, environ), EINVAL);
    }
    unlink(bat);
#else
    (void)state;
    skip(); /* Windows only: Linux runs no batch files */
#endif
}

/* glibc crashes on these NULL arguments (it dereferences them); winpipe returns EINVAL. */
static void null_arguments_are_einval(void **state)
{
#ifdef _WIN32
    char *argv[] = { "x", NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    short flags;
    pid_t pid, pg;
    sigset_t set;
    (void)state;
    assert_int_equal(posix_spawn(&pid, NULL, NULL, NULL, argv, environ), EINVAL);
    assert_int_equal(posix_spawnp(&pid, NULL, NULL, NULL, argv, environ), EINVAL);
    assert_int_equal(posix_spawn(&pid, su_child(), NULL, NULL, NULL, environ), EINVAL);
    assert_int_equal(posix_spawnp(&pid, "child", NULL, NULL, NULL, environ), EINVAL);
    assert_int_equal(posix_spawn_file_actions_init(NULL), EINVAL);
    assert_int_equal(posix_spawn_file_actions_destroy(NULL), EINVAL);
    assert_int_equal(posix_spawn_file_actions_addclose(NULL, 3), EINVAL);
    assert_int_equal(posix_spawn_file_actions_adddup2(NULL, 3, 4), EINVAL);
    assert_int_equal(posix_spawn_file_actions_addfchdir(NULL, 3), EINVAL);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 3, NULL, O_RDONLY, 0), EINVAL);
    assert_int_equal(posix_spawn_file_actions_addchdir(&fa, NULL), EINVAL);
    assert_int_equal(posix_spawn_file_actions_destroy(&fa), 0);
    assert_int_equal(posix_spawnattr_init(NULL), EINVAL);
    assert_int_equal(posix_spawnattr_destroy(NULL), EINVAL);
    assert_int_equal(posix_spawnattr_init(&attr), 0);
    assert_int_equal(posix_spawnattr_getflags(&attr, NULL), EINVAL);
    assert_int_equal(posix_spawnattr_getflags(NULL, &flags), EINVAL);
    assert_int_equal(posix_spawnattr_getpgroup(&attr, NULL), EINVAL);
    assert_int_equal(posix_spawnattr_setpgroup(NULL, 0), EINVAL);
    assert_int_equal(posix_spawnattr_getpgroup(NULL, &pg), EINVAL);
    assert_int_equal(posix_spawnattr_setsigmask(&attr, NULL), EINVAL);
    assert_int_equal(posix_spawnattr_getsigmask(&attr, NULL), EINVAL);
    assert_int_equal(posix_spawnattr_setsigdefault(&attr, NULL), EINVAL);
    assert_int_equal(posix_spawnattr_getsigdefault(NULL, &set), EINVAL);
    assert_int_equal(posix_spawnattr_destroy(&attr), 0);
#else
    (void)state;
    skip(); /* glibc crashes on NULL here: nothing native to compare with */
#endif
}

/* ---- O_NONBLOCK in the child ---- */

/* POSIX keeps O_NONBLOCK on the open file description, which a spawned child shares: the
 * child's F_GETFL shows it, and its read of the empty pipe (or write into the full one) fails
 * with EAGAIN at once. A winpipe writer's first write into a full pipe may instead be accepted
 * as its description's write-behind (one per description, compat-docs/read-write.md), and its
 * next one gets EAGAIN; Linux accepts none. The child (child nbio) reports over a pipe of its own; one still blocked
 * in the call after NBIO_HANG_MS is released by the parent (a byte written, or the pipe drained)
 * so that the test fails instead of hanging. */
#define NBIO_HANG_MS 5000

#ifdef _WIN32
#define NBIO_WRITE_BEHIND 1 /* writes a full pipe may accept: one write-behind */
#else
#define NBIO_WRITE_BEHIND 0
#endif

struct nbio_report {
    int flag, flag_err; /* O_NONBLOCK in the child's F_GETFL (1/0), errno if F_GETFL failed */
    long r;             /* the read's or the last write's result */
    int err, blocked, status;
    int accepted;       /* writes the child got through before one failed */
};

/* Reads one line from fd into buf (at most n - 1 bytes, NUL-terminated) a byte at a time; waits at
 * most ms (-1: no limit) for it to start. 0 on time-out, -1 at EOF, else 1. */
static int nbio_line(int fd, char *buf, size_t n, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    size_t len = 0;
    if (ms >= 0 && poll(&p, 1, ms) == 0)
        return 0;
    while (len + 1 < n) {
        ssize_t r = read(fd, buf + len, 1);
        if (r <= 0)
            break;
        if (buf[len++] == '\n')
            break;
    }
    buf[len] = 0;
    return len ? 1 : -1;
}

static void nbio_release_writer(int rfd);

/* Runs child nbio OP CHILD_FD 4 with fd as CHILD_FD; release() unblocks a child blocked in OP. */
static void nbio_run(const char *op, int fd, int child_fd, void (*release)(int), int release_fd,
                     struct nbio_report *rep)
{
    char fdarg[16], line[64];
    char *args[] = { "nbio", (char *)op, fdarg, "4", NULL };
    posix_spawn_file_actions_t fa;
    int rp[2], got;
    pid_t pid;
    memset(rep, 0, sizeof *rep);
    snprintf(fdarg, sizeof fdarg, "%d", child_fd);
    wp_pipe(rp, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, fd, child_fd), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, rp[1], 4), 0);
    pid = su_spawn(&fa, NULL, args);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(rp[1]);
    if (nbio_line(rp[0], line, sizeof line, -1) != 1
        || sscanf(line, "F %d %d", &rep->flag, &rep->flag_err) != 2)
        fail_msg("child nbio %s %d: no F_GETFL report ('%s')", op, child_fd, line);
    got = nbio_line(rp[0], line, sizeof line, NBIO_HANG_MS);
    if (got == 0) {
        rep->blocked = 1;
        release(release_fd);
        got = nbio_line(rp[0], line, sizeof line, -1);
    }
    if (got != 1 || sscanf(line, "R %ld %d %d", &rep->r, &rep->err, &rep->accepted) < 2)
        fail_msg("child nbio %s %d: no result report ('%s')", op, child_fd, line);
    wp_close(rp[0]);
    /* A write the child got through is in the pipe only once the reader takes it: the child's
     * exit waits for it, and closing the reader ends that wait. */
    if (release == nbio_release_writer)
        wp_close(release_fd);
    rep->status = su_reap(pid);
}

/* 1 (and the report printed) unless the child saw O_NONBLOCK and got EAGAIN at once. */
static int nbio_wrong(const char *op, int child_fd, const struct nbio_report *rep)
{
    if (rep->flag == 1 && !rep->blocked && rep->r == -1 && rep->err == EAGAIN && rep->status == 0
        && rep->accepted <= NBIO_WRITE_BEHIND)
        return 0;
    print_error("child's fd %d: F_GETFL %s O_NONBLOCK (errno %d); its %s of 1 byte %s %ld, "
                "errno %d (%s), expected -1 with EAGAIN at once; exit status 0x%x\n", child_fd,
                rep->flag == 1 ? "has" : "lacks", rep->flag_err, op,
                rep->blocked ? "blocked until the parent released it, then returned"
                             : "returned", rep->r, rep->err, strerror(rep->err),
                (unsigned)rep->status);
    if (rep->accepted > NBIO_WRITE_BEHIND)
        print_error("child's fd %d: %d writes into the full pipe were accepted, at most %d may\n",
                    child_fd, rep->accepted, NBIO_WRITE_BEHIND);
    return 1;
}

static void nbio_release_reader(int wfd)
{
    wp_write_byte(wfd, 'r');
}

static void nbio_release_writer(int rfd)
{
    static char buf[65536];
    assert_true(read(rfd, buf, sizeof buf) > 0);
}

/* A pipe whose read end (or write end, the pipe then full) has O_NONBLOCK goes to each child as
 * each of child_fds; fails listing every child that did not see it. */
static void nbio_both(int is_write, const int child_fds[2])
{
    const char *op = is_write ? "write" : "read";
    struct nbio_report rep;
    int p[2], wrong = 0;
    for (int i = 0; i < 2; i++) {
        wp_pipe(p, O_CLOEXEC);
        wp_set_nonblock(p[is_write], 1);
        if (is_write)
            assert_true(wp_fill(p[1], 0, 4096) >= WP_PIPE_CAPACITY);
        nbio_run(op, p[is_write], child_fds[i],
                 is_write ? nbio_release_writer : nbio_release_reader, p[!is_write], &rep);
        wp_close(p[1]);
        if (!is_write) /* a writer's test closed the read end itself */
            wp_close(p[0]);
        wrong += nbio_wrong(op, child_fds[i], &rep);
    }
    if (wrong)
        fail_msg("%d of 2 children did not see O_NONBLOCK (listed above)", wrong);
}

static void o_nonblock_on_a_read_end_reaches_the_child(void **state)
{
    static const int child_fds[2] = { 0, 3 };
    (void)state;
    nbio_both(0, child_fds);
}

static void o_nonblock_on_a_write_end_reaches_the_child(void **state)
{
    static const int child_fds[2] = { 1, 3 };
    (void)state;
    nbio_both(1, child_fds);
}

/* ---- concurrency and leaks ---- */

/* Quick spawns the quick thread completes during each slow child's life. */
#define QUICK_PER_SLOW 3
/* No quick spawn completing for this long (times the speed factor) while a slow child lives:
 * its EOF is waiting for that child, which holds the pipe. A hang guard, not a measure. */
#define STALL_SECONDS 30

struct racer {
    long quick_done; /* quick spawns completed (atomic) */
    int stop;        /* the slow thread is done (atomic) */
    int quick_failed, slow_ok;
    char msg[160];
};

/* One spawn of the child with args, its stdout on a pipe read to EOF and reaped: 0, or -1. */
static int race_spawn(char **args)
{
    int p[2];
    char buf[4];
    posix_spawn_file_actions_t fa;
    char *argv[64];
    pid_t pid;
    int st;
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    su_argv(argv, args);
    int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    while (r == 0 && read(p[0], buf, sizeof buf) > 0)
        ;
    close(p[0]);
    if (r != 0 || waitpid(pid, &st, 0) != pid || st != 0)
        return -1;
    return 0;
}

/* The quick thread's children write and exit at once, until the slow thread is done. */
static void *quick_thread(void *arg)
{
    struct racer *r = arg;
    char *quick[] = { "echo", "1", "q", NULL };
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        if (race_spawn(quick) < 0) {
            __atomic_store_n(&r->quick_failed, 1, __ATOMIC_RELEASE);
            return NULL;
        }
        __atomic_add_fetch(&r->quick_done, 1, __ATOMIC_RELEASE);
        wp_progress();
    }
    return NULL;
}

/* The slow thread's children (`cat` on a pipe) live until it closes their stdin, which it does
 * once the quick thread has completed QUICK_PER_SLOW spawns beside each: a quick pipe's handle
 * that leaked into a slow child would keep that quick child's EOF from coming while the slow
 * child lives, and the quick thread would stall. */
static void *slow_thread(void *arg)
{
    struct racer *r = arg;
    char *cat[] = { "cat", NULL }, *argv[64];
    for (int i = 0; i < 3 && !r->msg[0]; i++) {
        posix_spawn_file_actions_t fa;
        int s[2], st;
        pid_t pid;
        long start, seen;
        double last;
        if (pipe2(s, O_CLOEXEC) != 0)
            break;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, s[0], 0);
        su_argv(argv, cat);
        int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(s[0]);
        start = seen = __atomic_load_n(&r->quick_done, __ATOMIC_ACQUIRE);
        last = wp_now_ms();
        while (rc == 0 && !__atomic_load_n(&r->quick_failed, __ATOMIC_ACQUIRE)) {
            long now_done = __atomic_load_n(&r->quick_done, __ATOMIC_ACQUIRE);
            if (now_done - start >= QUICK_PER_SLOW)
                break;
            if (now_done != seen) {
                seen = now_done;
                last = wp_now_ms();
            } else if (wp_now_ms() - last > 1000.0 * STALL_SECONDS * wp_speed_factor()) {
                snprintf(r->msg, sizeof r->msg, "slow child %d: no quick spawn completed for "
                         "%.0f s while it lived: a quick child's pipe leaked into it", i,
                         (wp_now_ms() - last) / 1000.0);
                break;
            }
            wp_sleep_ms(5);
        }
        close(s[1]); /* the slow child's EOF: it ends */
        if (rc == 0 && waitpid(pid, &st, 0) == pid && st == 0)
            r->slow_ok++;
    }
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void check_concurrent_spawns(void)
{
    pthread_t a, b;
    struct racer r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pthread_create(&a, NULL, quick_thread, &r), 0);
    assert_int_equal(pthread_create(&b, NULL, slow_thread, &r), 0);
    pthread_join(b, NULL);
    pthread_join(a, NULL);
    if (r.msg[0])
        fail_msg("%s", r.msg);
    assert_int_equal(r.quick_failed, 0);
    assert_int_equal(r.slow_ok, 3);
    assert_true(r.quick_done >= 3 * QUICK_PER_SLOW);
}

static void concurrent_spawns_do_not_leak_into_each_others_children(void **state)
{
    (void)state;
    check_concurrent_spawns();
}

static void fallback_concurrent_spawns_do_not_leak_into_each_others_children(void **state)
{
#ifdef _WIN32
    (void)state;
    force_no_handle_list(1);
    check_concurrent_spawns();
    force_no_handle_list(0);
#else
    (void)state;
    skip(); /* winpipe's fallback; Linux has no handle list to refuse */
#endif
}

static void spawn_and_reap_with_pipes_leaks_nothing(void **state)
{
    char *args[] = { "cat", NULL };
    struct wp_handles *before = NULL;
    long count_before = 0;
    int cycles = getenv("WINPIPE_SPAWN_CYCLES") ? atoi(getenv("WINPIPE_SPAWN_CYCLES")) : 500;
    (void)state;
    /* One cycle first: lazily made process-wide objects (thread pool, pipe root) are no leak. */
    for (int i = 0; i <= cycles; i++) {
        int in[2], out[2];
        char buf[4];
        posix_spawn_file_actions_t fa;
        if (i == 1) {
            before = wp_handles_take();
            count_before = (long)wp_handles_count(before);
        }
        wp_pipe(in, O_CLOEXEC);
        wp_pipe(out, O_CLOEXEC);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        pid_t pid = su_spawn(&fa, NULL, args);
        posix_spawn_file_actions_destroy(&fa);
        wp_close(in[0]);
        wp_close(out[1]);
        assert_rc(write(in[1], "z", 1), 1);
        wp_close(in[1]);
        wp_read_exact(out[0], buf, 1);
        wp_close(out[0]);
        assert_int_equal(su_reap(pid), 0);
    }
    if (before) {
        print_message("%d spawn-and-reap cycles: %ld fds/handles open before, %ld after\n",
                      cycles, count_before, wp_open_count());
        wp_assert_no_leak(before);
    }
}

/* A command line Windows cannot take (over 32766 UTF-16 units; here one argument of 200000
 * bytes) fails with E2BIG, every time and without harm to the process; Linux too (one argument
 * longer than MAX_ARG_STRLEN, 128 KiB). Many times, and a spawn that works afterwards, so that
 * heap damage shows. Both registered last: a corrupted heap may end the program. */
enum { E2BIG_LEN = 200000, E2BIG_TIMES = 20 };

static char *e2big_arg(void)
{
    char *arg = malloc(E2BIG_LEN + 1);
    assert_non_null(arg);
    memset(arg, 'a', E2BIG_LEN);
    arg[E2BIG_LEN] = 0;
    return arg;
}

/* E2BIG_TIMES spawns of path with argv, each E2BIG; then the child runs as it should. */
static void e2big_every_time(const char *path, char **argv)
{
    char *ok[] = { "exit", "7", NULL };
    pid_t pid = -1;
    for (int i = 0; i < E2BIG_TIMES; i++) {
        int r = posix_spawn(&pid, path, NULL, NULL, argv, environ);
        if (r != E2BIG)
            fail_msg("spawn %d of %s with a %d-byte argument: %d (%s), expected E2BIG", i, path,
                     E2BIG_LEN, r, strerror(r));
    }
    assert_int_equal(WEXITSTATUS(su_reap(su_spawn(NULL, NULL, ok))), 7);
}

static void overlong_command_line_is_e2big_every_time(void **state)
{
    char *arg = e2big_arg(), *args[] = { "argv", arg, NULL }, *argv[64];
    (void)state;
    su_argv(argv, args);
    e2big_every_time(argv[0], argv);
    free(arg);
}

/* Windows: a batch file's command line is cmd.exe's, with the same limit. */
static void overlong_batch_file_command_line_is_e2big_every_time(void **state)
{
#ifdef _WIN32
    char bat[64];
    snprintf(bat, sizeof bat, "wp-spawn-e2big-%d.bat", (int)getpid());
    char *arg = e2big_arg(), *argv[] = { bat, arg, NULL };
    FILE *f = fopen(bat, "w");
    (void)state;
    assert_non_null(f);
    fputs("@echo off\r\nexit 0\r\n", f);
    fclose(f);
    e2big_every_time(bat, argv);
    unlink(bat);
    free(arg);
#else
    (void)state;
    skip(); /* Linux runs no batch files */
#endif
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(argv_reaches_the_child_exactly_for_hard_cases),
        WP_TEST(argv_round_trips_for_generated_vectors),
        WP_TEST(envp_reaches_the_child_exactly),
        WP_TEST(empty_envp_gives_an_empty_environment),
        WP_TEST(environ_passes_the_parents_environment),
        WP_TEST(child_gets_exactly_the_fds_without_cloexec),
        WP_TEST(closed_fds_do_not_reach_the_child),
        WP_TEST(fallback_child_gets_exactly_its_fds_and_no_other_handle),
        WP_TEST(file_actions_dup2_close_and_dup2_onto_itself),
        WP_TEST(fd_above_2_is_usable_in_the_child),
        WP_TEST(addopen_gives_the_child_a_file),
        WP_TEST(addopen_dev_null_as_stdin_reads_eof),
        WP_TEST(pipes_on_stdin_and_stdout_carry_data),
        WP_TEST(fresh_pipe_ends_reach_the_child_synchronous),
        WP_TEST(used_pipe_ends_still_work_in_the_child),
        WP_TEST(parent_keeps_using_a_swapped_pipe),
        WP_TEST(addchdir_sets_the_childs_directory),
        WP_TEST(addfchdir_sets_the_childs_directory),
        WP_TEST(addopen_of_a_directory_then_addfchdir),
        WP_TEST(addfchdir_errors_are_ebadf_and_enotdir),
        WP_TEST(missing_program_is_enoent),
        WP_TEST(directory_is_eacces),
        WP_TEST(garbage_program_is_enoexec),
        WP_TEST(unix_executable_under_wine_is_enoexec),
        WP_TEST(bad_fd_in_an_action_is_ebadf),
        WP_TEST_FD_LIMIT(file_action_fds_at_the_fd_limit_are_ebadf),
        WP_TEST(failing_addopen_fails_the_spawn),
        WP_TEST(spawnattr_flags_round_trip_and_reject_unknown_bits),
        WP_TEST(spawnp_searches_path_and_slash_names_are_not_searched),
        WP_TEST(spawn_of_a_path_without_extension_finds_the_program),
        WP_TEST(spawnp_empty_path_element_is_the_current_directory),
        WP_TEST(spawnp_searches_the_callers_path_when_envp_has_none),
        WP_TEST(batch_files_get_safe_arguments_or_einval),
        WP_TEST(batch_file_names_with_trailing_dots_or_spaces_are_batch_files),
        WP_TEST(null_arguments_are_einval),
        WP_TEST(o_nonblock_on_a_read_end_reaches_the_child),
        WP_TEST(o_nonblock_on_a_write_end_reaches_the_child),
        WP_TEST(concurrent_spawns_do_not_leak_into_each_others_children),
        WP_TEST(fallback_concurrent_spawns_do_not_leak_into_each_others_children),
        WP_TEST(spawn_and_reap_with_pipes_leaks_nothing),
        /* last: a damaged heap may end the program (see there) */
        WP_TEST(overlong_command_line_is_e2big_every_time),
        WP_TEST(overlong_batch_file_command_line_is_e2big_every_time),
    };
    if (argc > 1) /* a test name pattern, for running one test */
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
