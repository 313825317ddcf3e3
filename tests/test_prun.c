/* test_prun: examples/prun, the parallel command runner, run as a user runs it: 50 jobs whose
 * output outgrows the pipes (every line whole, once, in order, under its job's name), exit
 * statuses and signals reported, programs that cannot start, input fed to jobs byte for byte,
 * commands read from stdin, usage errors, Ctrl-C passed on to the running jobs, and -t's
 * time-out ending a job's whole process group (SIGTERM, then SIGKILL after the grace).
 *
 * The runner is found at $WINPIPE_PRUN, else in the build tree ($WINPIPE_TEST_BUILDDIR, which
 * make check sets); its jobs are tests/child (see tests/spawn_util.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "spawn_util.h"

/* ---- running the runner ---- */

static const char *prun_path(void)
{
    static char path[4096];
    const char *env = getenv("WINPIPE_PRUN");
    const char *top = getenv("WINPIPE_TEST_BUILDDIR");
    if (env && *env)
        return env;
    if (!top || !*top)
        fail_msg("neither WINPIPE_PRUN nor WINPIPE_TEST_BUILDDIR is set (make check sets it)");
#ifdef _WIN32
    /* libtool leaves a DLL-linked program in .libs/ and a wrapper in its place */
    snprintf(path, sizeof path, "%s\\examples\\.libs\\prun.exe", top);
    if (GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES)
        snprintf(path, sizeof path, "%s\\examples\\prun.exe", top);
#else
    snprintf(path, sizeof path, "%s/examples/prun", top);
#endif
    return path;
}

struct text {
    char *p; /* NUL-terminated */
    size_t len, cap;
};

struct proc {
    pid_t pid;
    int in, out, err; /* the test's ends; -1 once closed */
    struct text o, e;
};

static void text_add(struct text *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->len, p, n);
    t->len += n;
    t->p[t->len] = '\0';
}

/* Starts argv with its fds 0, 1 and 2 on pipes. */
static void proc_start(struct proc *p, char *const argv[])
{
    int fds[3];
    memset(p, 0, sizeof *p);
    p->pid = su_spawn_piped(argv, fds);
    p->in = fds[0];
    p->out = fds[1];
    p->err = fds[2];
}

static void proc_write(struct proc *p, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(p->in, s, n);
        if (w <= 0)
            fail_msg("write to the runner's stdin: %s", strerror(errno));
        s += w;
        n -= (size_t)w;
    }
}

/* One round of poll: takes what stdout and stderr have. 0 once both are at EOF. */
static int proc_pump(struct proc *p, int timeout_ms)
{
    struct pollfd pf[2] = { { p->out, POLLIN, 0 }, { p->err, POLLIN, 0 } };
    int *fd[2] = { &p->out, &p->err };
    struct text *t[2] = { &p->o, &p->e };
    static char buf[65536];
    if (p->out < 0 && p->err < 0)
        return 0;
    if (poll(pf, 2, timeout_ms) < 0 && errno != EINTR)
        fail_msg("poll: %s", strerror(errno));
    for (int k = 0; k < 2; k++) {
        ssize_t n;
        if (*fd[k] < 0 || !pf[k].revents)
            continue;
        n = read(*fd[k], buf, sizeof buf);
        if (n < 0)
            fail_msg("read of the runner's output: %s", strerror(errno));
        if (n == 0) {
            wp_close(*fd[k]);
            *fd[k] = -1;
        }
        text_add(t[k], buf, (size_t)n);
        wp_progress();
    }
    return 1;
}

/* Closes the runner's stdin, takes its output to EOF, reaps it: its wait status. */
static int proc_finish(struct proc *p)
{
    if (p->in >= 0)
        wp_close(p->in);
    p->in = -1;
    while (proc_pump(p, 1000))
        ;
    return su_reap(p->pid);
}

static void proc_free(struct proc *p)
{
    free(p->o.p);
    free(p->e.p);
}

/* Runs the runner with args (NULL-terminated) and input on its stdin; its wait status. */
static int run_prun(struct proc *p, const char *input, char *const *args)
{
    char *argv[128];
    int n = 0;
    argv[n++] = (char *)prun_path();
    while (*args && n < 127)
        argv[n++] = *args++;
    argv[n] = NULL;
    proc_start(p, argv);
    if (input)
        proc_write(p, input, strlen(input));
    return proc_finish(p);
}

/* A command line running the child helper: "[NAME ]'CHILD' " and the rest. malloc'ed. */
static char *child_cmd(const char *name, const char *fmt, ...)
{
    char rest[512], *cmd;
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    assert_null(strchr(su_child(), '\''));
    n = strlen(su_child()) + strlen(rest) + (name ? strlen(name) : 0) + 8;
    cmd = malloc(n);
    snprintf(cmd, n, "%s%s'%s' %s", name ? name : "", name ? " " : "", su_child(), rest);
    return cmd;
}

/* ---- reading what it printed ---- */

/* How many lines of t are exactly line (without the newline); all if line is NULL. */
static int count_lines(const struct text *t, const char *line)
{
    int count = 0;
    size_t want = line ? strlen(line) : 0;
    for (const char *p = t->p ? t->p : "", *end = p + t->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (!line || (n == want && memcmp(p, line, n) == 0))
            count++;
        p += n + 1;
    }
    return count;
}

static void assert_has_line(const struct text *t, const char *line)
{
    if (count_lines(t, line) != 1)
        fail_msg("expected the line '%s' once in:\n%s", line, t->p ? t->p : "");
}

static void assert_exit(int status, int code, const struct proc *p)
{
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
        fail_msg("expected exit %d, got status 0x%x; stdout:\n%s\nstderr:\n%s", code, status,
                 p->o.p ? p->o.p : "", p->e.p ? p->e.p : "");
}

/* Line i of `child lines N LEN`: i, a space, 'a' + i % 26 to LEN bytes (no newline). */
static void child_line(char *buf, long i, long len)
{
    int k = sprintf(buf, "%ld ", i);
    memset(buf + k, 'a' + (int)(i % 26), (size_t)(len - k));
    buf[len] = '\0';
}

/* The child helper's file name: the default job names are "NAME#NUMBER". */
static const char *child_base(void)
{
    const char *base = su_child();
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    return base;
}

/* ---- 50 jobs, more output than the pipes hold ---- */

#define MANY_JOBS 50
#define MANY_LINES 640L
#define MANY_LEN(job) (160L + (job)) /* a line of one job never fits another's */

/* `lines ... 1,1,1,2`: every fourth line goes to stderr. */
static int many_fd(long i)
{
    return (i - 1) % 4 == 3 ? 2 : 1;
}

/* The job's next line on fd after line *last; fails if it is not content. */
static void many_check_line(int job, int fd, long *last, const char *content, size_t n)
{
    char want[300];
    long i = *last + 1;
    while (i <= MANY_LINES && many_fd(i) != fd)
        i++;
    if (i > MANY_LINES)
        fail_msg("job%02d: fd %d has a line after its last one: '%.*s'", job, fd, (int)n, content);
    child_line(want, i, MANY_LEN(job));
    if (n != strlen(want) || memcmp(content, want, n) != 0)
        fail_msg("job%02d: fd %d's line %ld is '%.*s', not '%s'", job, fd, i, (int)n, content,
                 want);
    *last = i;
}

/* The last line the job writes to fd. */
static long many_last(int fd)
{
    long i = MANY_LINES;
    while (many_fd(i) != fd)
        i--;
    return i;
}

/* "jobNN" at p: NN, else -1. */
static int many_job(const char *p, size_t n)
{
    if (n < 6 || memcmp(p, "job", 3) != 0 || p[3] < '0' || p[3] > '9' || p[4] < '0' || p[4] > '9')
        return -1;
    int job = (p[3] - '0') * 10 + (p[4] - '0');
    return job < MANY_JOBS ? job : -1;
}

/* Every stdout line is "jobNN| " and that job's next stdout line. */
static void many_check_stdout(const struct text *t, long *last)
{
    for (const char *p = t->p, *end = p + t->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int job = many_job(p, n);
        if (!nl || job < 0 || memcmp(p + 5, "| ", 2) != 0)
            fail_msg("a stdout line that is no job's: '%.*s'", (int)n, p);
        many_check_line(job, 1, &last[job], p + 7, n - 7);
        p += n + 1;
    }
}

/* Every stderr line is "jobNN! " and that job's next stderr line, or its one report, which
 * comes after its last stderr line. */
static void many_check_stderr(const struct text *t, long *last, int *reported)
{
    for (const char *p = t->p, *end = p + t->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int job = many_job(p, n);
        if (!nl || job < 0)
            fail_msg("a stderr line that is no job's: '%.*s'", (int)n, p);
        if (n == 13 && memcmp(p + 5, ": exit 0", 8) == 0) {
            assert_int_equal(reported[job], 0);
            assert_int_equal(last[job], many_last(2));
            reported[job] = 1;
        } else if (memcmp(p + 5, "! ", 2) == 0) {
            many_check_line(job, 2, &last[job], p + 7, n - 7);
        } else {
            fail_msg("job%02d: unexpected stderr line '%.*s'", job, (int)n, p);
        }
        p += n + 1;
    }
}

static void fifty_jobs_lines_arrive_whole_once_and_in_order(void **state)
{
    char *args[MANY_JOBS + 4] = { "-j", "8", "-n" };
    long last_out[MANY_JOBS] = { 0 }, last_err[MANY_JOBS] = { 0 };
    int reported[MANY_JOBS] = { 0 };
    struct proc p;
    int st;
    (void)state;
    /* More than a pipe holds, on stdout alone: */
    assert_true((MANY_LINES * 3 / 4) * (MANY_LEN(0) + 1) > 65536);
    for (int j = 0; j < MANY_JOBS; j++) {
        char name[8];
        snprintf(name, sizeof name, "job%02d", j);
        args[3 + j] = child_cmd(name, "lines %ld %ld 1,1,1,2", MANY_LINES, MANY_LEN(j));
    }
    st = run_prun(&p, NULL, args);
    assert_exit(st, 0, &p);
    many_check_stdout(&p.o, last_out);
    many_check_stderr(&p.e, last_err, reported);
    for (int j = 0; j < MANY_JOBS; j++) {
        if (last_out[j] != many_last(1) || last_err[j] != many_last(2) || !reported[j])
            fail_msg("job%02d: stdout ended at line %ld, stderr at %ld, reported %d", j,
                     last_out[j], last_err[j], reported[j]);
        free(args[3 + j]);
    }
    proc_free(&p);
}

/* ---- exit statuses and signals ---- */

static void a_failing_job_makes_the_exit_status_1(void **state)
{
    char *ok = child_cmd("ok", "lines 2 20"), *bad = child_cmd("bad", "exit 3");
    char *args[] = { "-n", ok, bad, NULL };
    char l1[32], l2[32], want[80];
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, args), 1, &p);
    child_line(l1, 1, 20);
    child_line(l2, 2, 20);
    snprintf(want, sizeof want, "ok| %s\nok| %s\n", l1, l2);
    assert_string_equal(p.o.p, want);
    assert_int_equal(count_lines(&p.e, NULL), 3);
    assert_has_line(&p.e, "ok: exit 0");
    assert_has_line(&p.e, "bad: exit 3");
    /* The summary comes last. */
    assert_true(p.e.len >= 25 && strcmp(p.e.p + p.e.len - 25, "prun: 1 of 2 jobs failed\n") == 0);
    proc_free(&p);
    free(ok);
    free(bad);
}

static void quiet_reports_only_the_failures(void **state)
{
    char *ok = child_cmd("ok", "exit 0"), *bad = child_cmd("bad", "exit 1");
    char *args[] = { "-q", "-n", ok, bad, NULL };
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, args), 1, &p);
    assert_int_equal(p.o.len, 0);
    assert_string_equal(p.e.p, "bad: exit 1\nprun: 1 of 2 jobs failed\n");
    proc_free(&p);
    free(ok);
    free(bad);
}

static void a_crashing_job_is_reported_killed_by_sigsegv(void **state)
{
    char *seg = child_cmd("seg", "crash");
    char *args[] = { "-n", seg, NULL };
    char want[80];
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, args), 1, &p);
    snprintf(want, sizeof want, "seg: killed by signal %d (SIGSEGV)\nprun: 1 of 1 job failed\n",
             SIGSEGV);
    assert_string_equal(p.e.p, want);
    proc_free(&p);
    free(seg);
}

/* POSIX: posix_spawnp's ENOENT is the job's failure, reported; the others run. */
static void a_missing_program_or_input_file_fails_only_that_job(void **state)
{
    char *ok = child_cmd("ok", "exit 0"), *in = child_cmd("in", "cat < test_prun-no-such.tmp");
    char *args[] = { "-n", "gone prun-test-no-such-program", in, ok, NULL };
    char want[160];
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, args), 1, &p);
    assert_int_equal(p.o.len, 0);
    assert_int_equal(count_lines(&p.e, NULL), 4);
    snprintf(want, sizeof want, "gone: cannot run 'prun-test-no-such-program': %s",
             strerror(ENOENT));
    assert_has_line(&p.e, want);
    snprintf(want, sizeof want, "in: cannot open 'test_prun-no-such.tmp': %s", strerror(ENOENT));
    assert_has_line(&p.e, want);
    assert_has_line(&p.e, "ok: exit 0");
    assert_has_line(&p.e, "prun: 2 of 3 jobs failed");
    proc_free(&p);
    free(ok);
    free(in);
}

/* ---- feeding stdin ---- */

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* The job's stream, rebuilt from its "NAME| " lines of t. */
static void job_stream(const struct text *t, const char *prefix, struct text *out)
{
    size_t plen = strlen(prefix);
    for (const char *p = t->p, *end = p + t->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n >= plen && memcmp(p, prefix, plen) == 0) {
            text_add(out, p + plen, n - plen);
            text_add(out, "\n", 1);
        }
        p += n + 1;
    }
}

/* Every byte value, \r, NUL and ^Z among them, 256 KiB: four times the pipe. A job's stdout
 * comes back as lines, so what the child echoed is its lines joined, and a last line without
 * a newline gets one. */
static void input_files_reach_the_jobs_byte_for_byte(void **state)
{
    size_t big_n = 262144;
    unsigned char *big = malloc(big_n);
    static const char small[] = "alpha\nbeta\r\n\ngamma";
    char *a = child_cmd("a", "cat < test_prun-big.tmp"), *b = child_cmd("b", "cat <test_prun-small.tmp");
    char *args[] = { "-n", a, b, NULL };
    struct text sa = { 0 }, sb = { 0 };
    struct proc p;
    (void)state;
    wp_pattern_fill(big, 0, big_n);
    big[big_n - 1] = '\n';
    write_file("test_prun-big.tmp", (char *)big, big_n);
    write_file("test_prun-small.tmp", small, sizeof small - 1);
    assert_exit(run_prun(&p, NULL, args), 0, &p);
    job_stream(&p.o, "a| ", &sa);
    job_stream(&p.o, "b| ", &sb);
    assert_int_equal(sa.len, big_n);
    assert_int_equal(wp_pattern_check((unsigned char *)sa.p, 0, big_n - 1), big_n - 1);
    assert_string_equal(sb.p, "alpha\nbeta\r\n\ngamma\n");
    assert_int_equal(count_lines(&p.o, NULL), count_lines(&sa, NULL) + 4);
    assert_int_equal(count_lines(&p.e, NULL), 2);
    assert_has_line(&p.e, "a: exit 0");
    assert_has_line(&p.e, "b: exit 0");
    remove("test_prun-big.tmp");
    remove("test_prun-small.tmp");
    free(big);
    free(sa.p);
    free(sb.p);
    proc_free(&p);
    free(a);
    free(b);
}

/* A child that exits without reading: the runner's write fails with EPIPE (SIGPIPE ignored),
 * and the rest of the file is dropped, as `cmd < file` would leave it unread. */
static void input_a_job_does_not_read_is_dropped(void **state)
{
    size_t n = 1 << 20;
    char *data = malloc(n);
    char *quit = child_cmd("quit", "exit 0 < test_prun-unread.tmp");
    char *args[] = { "-n", quit, NULL };
    struct proc p;
    (void)state;
    memset(data, 'x', n);
    write_file("test_prun-unread.tmp", data, n);
    assert_exit(run_prun(&p, NULL, args), 0, &p);
    assert_int_equal(p.o.len, 0);
    assert_string_equal(p.e.p, "quit: exit 0\n");
    remove("test_prun-unread.tmp");
    free(data);
    proc_free(&p);
    free(quit);
}

/* ---- commands from stdin ---- */

/* Lines of stdin as commands, split as sh splits words (but never by a shell); a comment,
 * blank lines, CRLF, and a last line without its newline. */
static void commands_from_stdin_are_split_as_sh_splits_words(void **state)
{
    char *lines3 = child_cmd(NULL, "lines 3 20");
    char *argv_cmd = child_cmd(NULL, "argv one 'two  three' \"four \\\"4\\\" \\\\\" five\\ six '' "
                                     "x#y # a comment");
    char *lines2 = child_cmd(NULL, "lines 2 12");
    char input[8192], want[8192], line[32];
    char *args[] = { "-j", "1", NULL };
    static const char argv_want[] = "argv\0one\0two  three\0four \"4\" \\\0five six\0\0x#y";
    struct proc p;
    size_t n = 0;
    (void)state;
    snprintf(input, sizeof input, "# a comment line\n%s\n\n   \t\n%s\r\n%s", lines3, argv_cmd,
             lines2);
    assert_exit(run_prun(&p, input, args), 0, &p);
    /* -j 1: the jobs' output in their order. */
    for (long i = 1; i <= 3; i++) {
        child_line(line, i, 20);
        n += (size_t)sprintf(want + n, "%s#1| %s\n", child_base(), line);
    }
    n += (size_t)sprintf(want + n, "%s#2| %s", child_base(), su_child());
    want[n++] = '\0';
    memcpy(want + n, argv_want, sizeof argv_want);
    n += sizeof argv_want; /* the child ends each argument with a NUL */
    want[n++] = '\n';
    for (long i = 1; i <= 2; i++) {
        child_line(line, i, 12);
        n += (size_t)sprintf(want + n, "%s#3| %s\n", child_base(), line);
    }
    assert_int_equal(p.o.len, n);
    assert_memory_equal(p.o.p, want, n);
    snprintf(want, sizeof want, "%s#1: exit 0\n%s#2: exit 0\n%s#3: exit 0\n", child_base(),
             child_base(), child_base());
    assert_string_equal(p.e.p, want);
    proc_free(&p);
    free(lines3);
    free(argv_cmd);
    free(lines2);
}

/* A line that cannot be split fails as a job does; the others run. */
static void a_bad_line_on_stdin_fails_and_the_rest_run(void **state)
{
    char *ok = child_cmd(NULL, "exit 0");
    char input[4096], want[4096];
    char *args[] = { NULL };
    struct proc p;
    (void)state;
    snprintf(input, sizeof input, "%s 'open\n%s\n", ok, ok);
    assert_exit(run_prun(&p, input, args), 1, &p);
    snprintf(want, sizeof want, "prun: line 1: no closing \"'\"\n%s#2: exit 0\n"
                                "prun: 1 of 2 jobs failed\n", child_base());
    assert_string_equal(p.e.p, want);
    proc_free(&p);
    free(ok);
}

/* ---- usage ---- */

static void usage_errors_exit_2_before_anything_runs(void **state)
{
    char *open_quote = child_cmd(NULL, "exit 0 \"open");
    char *ok = child_cmd(NULL, "exit 0");
    char *unknown[] = { "-x", ok, NULL }, *zero[] = { "-j", "0", ok, NULL };
    char *missing[] = { "-j", NULL }, *bad[] = { ok, open_quote, NULL };
    char *nameless[] = { "-n", "lonely", NULL };
    char want[4200];
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, unknown), 2, &p);
    assert_string_equal(p.e.p, "prun: unknown option '-x'\n(prun -h for help)\n");
    proc_free(&p);
    assert_exit(run_prun(&p, NULL, zero), 2, &p);
    assert_string_equal(p.e.p, "prun: -j wants a number of jobs from 1 to 1024, not '0'\n"
                               "(prun -h for help)\n");
    proc_free(&p);
    assert_exit(run_prun(&p, NULL, missing), 2, &p);
    assert_string_equal(p.e.p, "prun: -j wants a number\n(prun -h for help)\n");
    proc_free(&p);
    /* Every argument is checked first: the good command before the bad one never ran. */
    assert_exit(run_prun(&p, NULL, bad), 2, &p);
    snprintf(want, sizeof want, "prun: command 2 (%s): no closing '\"'\n", open_quote);
    assert_string_equal(p.e.p, want);
    assert_int_equal(p.o.len, 0);
    proc_free(&p);
    assert_exit(run_prun(&p, NULL, nameless), 2, &p);
    assert_string_equal(p.e.p, "prun: command 1 (lonely): a name but no command\n");
    proc_free(&p);
    free(open_quote);
    free(ok);
}

/* ---- Ctrl-C ---- */

/* `child interrupt` runs the runner and, when told on its stdin, interrupts it as a terminal's
 * Ctrl-C would: natively SIGINT to the runner alone (each job leads a process group of its
 * own, so it gets nothing unless the runner passes it on); on Windows CTRL_C_EVENT through a
 * console the runner has to itself, which children in process groups of their own ignore.
 * The two running jobs sleep 30 s after their first line: the runner must stop them, report
 * them killed by SIGINT, start neither waiting job, and exit 130 itself -- not by the signal. */
static void ctrl_c_stops_the_running_jobs_and_starts_no_more(void **state)
{
    char *one = child_cmd("one", "lines 1 20 1 30000"), *two = child_cmd("two", "lines 1 20 1 30000");
    char *three = child_cmd("three", "lines 1 20"), *four = child_cmd("four", "lines 1 20");
    char *argv[] = { (char *)su_child(), "interrupt", (char *)prun_path(), "-j", "2", "-n",
                     one, two, three, four, NULL };
    char line[32], want[64];
    struct proc p;
    time_t start;
    int st;
    (void)state;
    proc_start(&p, argv);
    child_line(line, 1, 20);
    while (count_lines(&p.o, NULL) < 2 && proc_pump(&p, 1000))
        ;
    snprintf(want, sizeof want, "one| %s", line);
    assert_has_line(&p.o, want);
    snprintf(want, sizeof want, "two| %s", line);
    assert_has_line(&p.o, want);
    start = time(NULL);
    proc_write(&p, "!", 1);
    st = proc_finish(&p);
    assert_true(time(NULL) - start < 20); /* not the 30 s the jobs sleep */
    assert_exit(st, 130, &p);
    assert_int_equal(count_lines(&p.o, NULL), 2);
    snprintf(want, sizeof want, "one: killed by signal %d (SIGINT)", SIGINT);
    assert_has_line(&p.e, want);
    snprintf(want, sizeof want, "two: killed by signal %d (SIGINT)", SIGINT);
    assert_has_line(&p.e, want);
    assert_has_line(&p.e, "prun: stopped by SIGINT: 2 running jobs stopped, 2 not started");
    assert_int_equal(count_lines(&p.e, NULL), 3);
    proc_free(&p);
    free(one);
    free(two);
    free(three);
    free(four);
}

/* ---- -t: time-outs ---- */

static void assert_line_count(const struct text *t, int n)
{
    if (count_lines(t, NULL) != n)
        fail_msg("expected %d lines, got %d:\n%s", n, count_lines(t, NULL), t->p ? t->p : "");
}

/* A command line running the helper without winpipe (tests/plain.c): "NAME 'PLAIN' REST". */
static char *plain_cmd(const char *name, const char *rest)
{
    size_t n = strlen(name) + strlen(su_plain()) + strlen(rest) + 8;
    char *cmd = malloc(n);
    assert_null(strchr(su_plain(), '\''));
    snprintf(cmd, n, "%s '%s' %s", name, su_plain(), rest);
    return cmd;
}

/* The case: a job (a program without winpipe) whose grandchild holds its output pipe
 * runs past -t: SIGTERM reaches the job's whole process group, so both end, the runner sees EOF
 * and exits. (No quick job beside it: on a loaded machine even a quick one may outlast 1 s.) */
static void timeout_ends_the_jobs_whole_group(void **state)
{
    char *slow = plain_cmd("slow", "tree 600000");
    char *args[] = { "-n", "-t", "1", slow, NULL };
    char want[64];
    long g;
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, args), 1, &p);
    assert_int_equal(sscanf(p.o.p ? p.o.p : "", "slow| G %ld\n", &g), 1);
    assert_line_count(&p.o, 1);
    assert_has_line(&p.e, "slow: timed out after 1 s");
    snprintf(want, sizeof want, "slow: killed by signal %d (SIGTERM)", SIGTERM);
    assert_has_line(&p.e, want);
    assert_has_line(&p.e, "prun: 1 of 1 job failed");
    assert_line_count(&p.e, 3);
    proc_free(&p);
    free(slow);
}

/* A job whose processes ignore SIGTERM (plain -i, and its grandchild) get SIGKILL after the
 * grace. Natively the job ends by SIGKILL; on Windows no process can ignore winpipe's SIGTERM
 * from outside (kill() of a program without winpipe is TerminateProcess), so it ends by that. */
static void timeout_sigkills_a_group_that_ignores_sigterm(void **state)
{
    char *stubborn = plain_cmd("stubborn", "-i tree 600000");
    char *args[] = { "-n", "-t", "1", stubborn, NULL };
    char want[64];
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, args), 1, &p);
    assert_line_count(&p.o, 1);
    assert_has_line(&p.e, "stubborn: timed out after 1 s");
#ifdef _WIN32
    snprintf(want, sizeof want, "stubborn: killed by signal %d (SIGTERM)", SIGTERM);
#else
    snprintf(want, sizeof want, "stubborn: killed by signal %d (SIGKILL)", SIGKILL);
#endif
    assert_has_line(&p.e, want);
    assert_has_line(&p.e, "prun: 1 of 1 job failed");
    assert_line_count(&p.e, 3);
    proc_free(&p);
    free(stubborn);
}

static void timeout_usage_errors(void **state)
{
    char *ok = child_cmd(NULL, "exit 0");
    char *zero[] = { "-t", "0", ok, NULL }, *missing[] = { "-t", NULL };
    struct proc p;
    (void)state;
    assert_exit(run_prun(&p, NULL, zero), 2, &p);
    assert_string_equal(p.e.p, "prun: -t wants a number of seconds from 1 to 86400, not '0'\n"
                               "(prun -h for help)\n");
    proc_free(&p);
    assert_exit(run_prun(&p, NULL, missing), 2, &p);
    assert_string_equal(p.e.p, "prun: -t wants a number of seconds\n(prun -h for help)\n");
    proc_free(&p);
    free(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(fifty_jobs_lines_arrive_whole_once_and_in_order),
        WP_TEST(a_failing_job_makes_the_exit_status_1),
        WP_TEST(quiet_reports_only_the_failures),
        WP_TEST(a_crashing_job_is_reported_killed_by_sigsegv),
        WP_TEST(a_missing_program_or_input_file_fails_only_that_job),
        WP_TEST(input_files_reach_the_jobs_byte_for_byte),
        WP_TEST(input_a_job_does_not_read_is_dropped),
        WP_TEST(commands_from_stdin_are_split_as_sh_splits_words),
        WP_TEST(a_bad_line_on_stdin_fails_and_the_rest_run),
        WP_TEST(usage_errors_exit_2_before_anything_runs),
        WP_TEST(ctrl_c_stops_the_running_jobs_and_starts_no_more),
        WP_TEST(timeout_ends_the_jobs_whole_group),
        WP_TEST(timeout_sigkills_a_group_that_ignores_sigterm),
        WP_TEST(timeout_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
