/* prun: a parallel command runner -- think `xargs -P` whose output stays readable. One file, the
 * whole program: options, splitting command lines, the jobs, and the poll() loop that moves every
 * child's output, whole line by whole line, to the runner's own stdout and stderr.
 *
 * Plain POSIX with no Windows code: built with mingw-w64 against winpipe's wrapper headers, the
 * same source runs on Windows (tools/demo.sh shows it under Wine).
 *
 *   prun [-j N] [-n] [-q] [-t SECONDS] [COMMAND...]      (prun -h for the details) */
#define _GNU_SOURCE /* pipe2() and environ on glibc */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* environ comes from <unistd.h> (POSIX.1-2024; glibc with _GNU_SOURCE), on mingw from
 * <stdlib.h>, where it is a macro for a CRT function: no declaration of its own here, which
 * would redeclare that function (clang warns). */

#define DEFAULT_JOBS 4
#define MAX_JOBS 1024
#define CHUNK 65536      /* bytes read from a child, or fed to one, at a time */
#define GRACE_S 2        /* -t: from SIGTERM to SIGKILL, for a job's group that outlives it */
#define MAX_TIMEOUT 86400

static const char usage_text[] =
    "usage: prun [-j N] [-n] [-q] [-t SECONDS] [COMMAND...]\n"
    "Runs each COMMAND (one argument each; with none, one per line of standard input), up to\n"
    "N at a time, and prints the lines they write, each whole and prefixed with its job's\n"
    "name: \"NAME| line\" on standard output for what the job wrote there, \"NAME! line\" on\n"
    "standard error for its standard error. Each job's end is reported on standard error:\n"
    "\"NAME: exit 0\", \"NAME: killed by signal 9 (SIGKILL)\".\n"
    "  -j N  run up to N commands at once (default 4)\n"
    "  -n    the first word of each command is its job's name (default: PROGRAM#NUMBER)\n"
    "  -q    report only the jobs that failed\n"
    "  -t SECONDS  a job still running after SECONDS is timed out: SIGTERM to it and every\n"
    "        process it started (its process group), SIGKILL to what is left 2 s later\n"
    "A command is split into words as sh does -- 'single', \"double\" quotes and backslashes --\n"
    "but runs no shell and expands nothing; an unquoted # starts a comment. \"< FILE\" feeds FILE\n"
    "to the command's standard input; without it the command reads end of file at once.\n"
    "Ctrl-C (SIGINT) or SIGTERM is passed on to the running jobs, and no new one starts;\n"
    "a second one kills them.\n"
    "Exit status: 0 every job succeeded, 1 some failed (or output was lost), 2 usage error,\n"
    "128+N stopped by signal N.\n";

/* ---- growing byte buffers ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        static const char msg[] = "prun: out of memory\n";
        (void)!write(2, msg, sizeof msg - 1);
        exit(2);
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void buf_reserve(struct buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return;
    while (b->cap - b->len < more)
        b->cap = b->cap ? b->cap * 2 : 256;
    b->p = xrealloc(b->p, b->cap);
}

static void buf_add(struct buf *b, const char *p, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- command lines ---- */

struct cmd {
    char **argv;  /* NULL-terminated */
    int argc;
    char *name;   /* -n: the first word */
    char *input;  /* "< FILE": FILE */
};

static void cmd_free(struct cmd *c)
{
    for (int i = 0; i < c->argc; i++)
        free(c->argv[i]);
    free(c->argv);
    free(c->name);
    free(c->input);
    memset(c, 0, sizeof *c);
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The word in w ends: it is the input file after a '<', else the next argument. */
static void cmd_end_word(struct cmd *c, struct buf *w, int *redirect)
{
    char *word = xstrndup(w->p ? w->p : "", w->len);
    w->len = 0;
    if (*redirect) {
        c->input = word;
        *redirect = 0;
        return;
    }
    c->argv = xrealloc(c->argv, (size_t)(c->argc + 2) * sizeof *c->argv);
    c->argv[c->argc++] = word;
    c->argv[c->argc] = NULL;
}

/* A quoted part of a word, after its opening quote; returns where it ended, or NULL if it did
 * not. As sh: '...' keeps every character; "..." every one but \" and \\, which keep the second. */
static const char *cmd_quoted(const char *t, char quote, struct buf *w)
{
    for (; *t && *t != quote; t++) {
        if (quote == '"' && t[0] == '\\' && (t[1] == '"' || t[1] == '\\'))
            t++;
        buf_add(w, t, 1);
    }
    return *t ? t + 1 : NULL;
}

/* -n: the first word is the job's name. */
static const char *cmd_take_name(struct cmd *c)
{
    if (c->argc == 0)
        return c->input ? "no command" : NULL;
    if (c->argc == 1)
        return "a name but no command";
    c->name = c->argv[0];
    memmove(c->argv, c->argv + 1, (size_t)c->argc * sizeof *c->argv);
    c->argc--;
    return NULL;
}

/* Splits t into words as sh does with quotes, without expansions: a backslash outside quotes
 * keeps the next character, an unquoted # at a word's start begins a comment, an unquoted <
 * names the input file. Returns NULL, or what is wrong; c->argc is 0 for a blank line. */
static const char *cmd_parse(const char *t, int named, struct cmd *c)
{
    struct buf w = { 0 };
    int in_word = 0, redirect = 0;
    const char *err = NULL;
    memset(c, 0, sizeof *c);
    while (!err && *t) {
        char ch = *t++;
        if (is_blank(ch) || ch == '<') {
            if (in_word)
                cmd_end_word(c, &w, &redirect);
            in_word = 0;
            if (ch == '<' && (redirect || c->input))
                err = "more than one '<'";
            redirect |= ch == '<';
            continue;
        }
        if (ch == '#' && !in_word)
            break;
        in_word = 1;
        if (ch == '\'' || ch == '"') {
            t = cmd_quoted(t, ch, &w);
            err = t ? NULL : ch == '"' ? "no closing '\"'" : "no closing \"'\"";
        } else if (ch == '\\') {
            if (*t)
                buf_add(&w, t++, 1);
            else
                err = "a backslash at the end";
        } else {
            buf_add(&w, &ch, 1);
        }
    }
    if (!err && in_word)
        cmd_end_word(c, &w, &redirect);
    if (!err && redirect)
        err = "no file after '<'";
    if (!err && named)
        err = cmd_take_name(c);
    if (!err && c->argc == 0 && c->input)
        err = "no command";
    buf_free(&w);
    if (err)
        cmd_free(c);
    return err;
}

/* ---- the runner's state ---- */

enum { JOB_OUT, JOB_ERR }; /* a job's two output streams */

struct stream {
    int fd;           /* the runner's read end; -1 once closed */
    struct buf part;  /* what came after the last newline printed */
};

struct job {
    int used;
    char *name;
    pid_t pid;
    int reaped, status;  /* waitpid's status, once reaped */
    struct stream s[2];
    int in_fd;           /* the write end of the child's stdin while input remains, else -1 */
    FILE *in_file;
    char *in_buf;
    size_t in_off, in_len;
    int in_failed;       /* the input file could not be read to its end */
    time_t started;      /* -t: when it started; */
    time_t term_at;      /* when it was timed out (SIGTERM to its group), or 0 */
    int killed;          /* SIGKILL sent to its group after the grace */
};

struct runner {
    int max, named, quiet;
    int timeout;         /* -t SECONDS, or 0 */
    struct job *job;     /* max slots */
    struct pollfd *pfd;  /* poll's set ... */
    struct watch { struct job *job; int what; } *watch; /* ... and what each entry is for */
    int running, commands, failed;
    int stop_sig;        /* the signal that stopped the run, or 0 */
    int stopped, not_started;
    int stdout_gone;     /* the runner's stdout takes no more output */
    int stdout_error;    /* ... because a write to it failed (not EPIPE) */
    int sig_fd;          /* the self-pipe's read end */
    char **args;         /* commands from arguments, or NULL: from stdin */
    int nargs, next_arg;
    int stdin_eof;
    long lineno;
    struct buf pending;  /* bytes read from stdin, not yet a whole command */
    struct buf out;      /* the block of output being written */
};

static void runner_stop(struct runner *r, int sig);
static void say(const char *fmt, ...);

/* ---- output: whole lines, one write() per block ---- */

/* Writes all n bytes. The runner's stdout may be a pipe another process made non-blocking:
 * rather than tear a line, wait for room. Returns 0 or an errno value. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = { fd, POLLOUT, 0 };
            (void)poll(&pf, 1, -1);
        } else if (w < 0 && errno != EINTR) {
            return errno;
        } else if (w == 0) {
            return EIO;
        }
    }
    return 0;
}

/* stdout's reader gone (EPIPE: SIGPIPE is ignored) ends the run as SIGPIPE would have ended a
 * plain writer, and the jobs get the SIGPIPE their own writes would have got. Any other write
 * error loses the output but not the jobs: they run on, and the exit status says so. */
static void emit(struct runner *r, int fd, const char *p, size_t n)
{
    int err;
    if (fd == 1 && r->stdout_gone)
        return;
    err = write_all(fd, p, n);
    if (!err || fd != 1)
        return;
    r->stdout_gone = 1;
    if (err == EPIPE) {
        runner_stop(r, SIGPIPE);
    } else {
        r->stdout_error = 1;
        say("prun: writing to standard output: %s\n", strerror(err));
    }
}

/* A line on stderr: a report or an error. Through write() like every line the runner prints
 * (stdio would add its own buffering and, on Windows, the C runtime's text mode). */
static void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) { /* cut, but still one whole line */
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    (void)write_all(2, line, (size_t)n);
}

/* Prints the whole lines that came in s since old_len (and at EOF the rest, as a line of its
 * own) as one block, each line prefixed with the job's name. */
static void stream_print(struct runner *r, struct job *j, int k, size_t old_len, int at_eof)
{
    struct stream *s = &j->s[k];
    size_t end = s->part.len, start = 0, name_len = strlen(j->name);
    /* part has no newline before old_len: only the new bytes need a look. */
    while (!at_eof && end > old_len && s->part.p[end - 1] != '\n')
        end--;
    if (end == 0 || (!at_eof && end == old_len))
        return;
    r->out.len = 0;
    while (start < end) {
        char *nl = memchr(s->part.p + start, '\n', end - start);
        size_t stop = nl ? (size_t)(nl - s->part.p) : end;
        buf_add(&r->out, j->name, name_len);
        buf_add(&r->out, k == JOB_OUT ? "| " : "! ", 2);
        buf_add(&r->out, s->part.p + start, stop - start);
        buf_add(&r->out, "\n", 1);
        start = stop + 1;
    }
    emit(r, k == JOB_OUT ? 1 : 2, r->out.p, r->out.len);
    memmove(s->part.p, s->part.p + end, s->part.len - end);
    s->part.len -= end;
}

/* ---- a job's pipes ---- */

static void stream_close(struct runner *r, struct job *j, int k)
{
    struct stream *s = &j->s[k];
    if (s->fd < 0)
        return;
    stream_print(r, j, k, 0, 1); /* a last line without its newline gets one */
    close(s->fd);
    s->fd = -1;
    buf_free(&s->part);
}

/* One read from a job's stream: returns 1 after data, 0 at EOF (or an error, which ends the
 * stream the same way), -1 if there is nothing yet. */
static int stream_read(struct runner *r, struct job *j, int k)
{
    struct stream *s = &j->s[k];
    size_t old_len = s->part.len;
    if (s->fd < 0)
        return 0;
    buf_reserve(&s->part, CHUNK);
    ssize_t n = read(s->fd, s->part.p + old_len, CHUNK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return -1;
    if (n <= 0) {
        stream_close(r, j, k);
        return 0;
    }
    s->part.len += (size_t)n;
    stream_print(r, j, k, old_len, 0);
    return 1;
}

static void input_end(struct job *j)
{
    if (j->in_fd >= 0)
        close(j->in_fd); /* the child reads EOF */
    if (j->in_file)
        fclose(j->in_file);
    free(j->in_buf);
    j->in_fd = -1;
    j->in_file = NULL;
    j->in_buf = NULL;
}

/* The input pipe has room (or its reader has gone): one non-blocking write. EPIPE (SIGPIPE is
 * ignored) means the child reads no more, as when `cmd < file` stops reading early. */
static void input_feed(struct job *j)
{
    if (j->in_off == j->in_len) {
        j->in_off = 0;
        j->in_len = fread(j->in_buf, 1, CHUNK, j->in_file);
        if (j->in_len == 0) {
            if (ferror(j->in_file)) {
                j->in_failed = 1;
                say("%s: cannot read its input\n", j->name);
            }
            input_end(j);
            return;
        }
    }
    ssize_t n = write(j->in_fd, j->in_buf + j->in_off, j->in_len - j->in_off);
    if (n > 0)
        j->in_off += (size_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
        input_end(j);
}

/* ---- starting a job ---- */

static int set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* A pipe for one of the child's standard fds; p[child] is the child's end. Both ends are
 * FD_CLOEXEC, so that no other child inherits them, and above 2: if the runner was started with
 * fd 0, 1 or 2 closed, an end with that number would be overwritten by the child's dup2s. Only
 * the runner's end stays O_NONBLOCK: each pipe end is an open file description of its own, which
 * the child shares, and a child whose stdout is non-blocking fails with EAGAIN once it fills. */
static int child_pipe(int p[2], int child)
{
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return errno;
    for (int i = 0; i < 2; i++) {
        int fd = p[i] < 3 ? fcntl(p[i], F_DUPFD_CLOEXEC, 3) : p[i];
        if (fd < 0 || (fd != p[i] && close(p[i]) != 0)) {
            int err = errno;
            close(p[0]);
            close(p[1]);
            return err;
        }
        p[i] = fd;
    }
    if (set_nonblock(p[child], 0) != 0) {
        int err = errno;
        close(p[0]);
        close(p[1]);
        return err;
    }
    return 0;
}

/* Each child leads a process group of its own, so that the terminal's Ctrl-C reaches only the
 * runner, which passes it on; and it gets the default action of the signals the runner
 * catches or ignores (POSIX: ignored signals stay ignored across exec). */
static void spawn_attr(posix_spawnattr_t *a)
{
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_init(a);
    posix_spawnattr_setflags(a, (short)(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF));
    posix_spawnattr_setpgroup(a, 0);
    posix_spawnattr_setsigdefault(a, &def);
}

/* posix_spawnp with the child's fds 0, 1 and 2 on new pipes. Returns 0 or an error number; on
 * success ends[] holds the runner's ends: stdin's write end and the two read ends. */
static int spawn_child(char **argv, pid_t *pid, int ends[3])
{
    int p[3][2], err = 0, made = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    while (made < 3 && !(err = child_pipe(p[made], made == 0 ? 0 : 1)))
        made++;
    if (!err) {
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
        posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
        posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
        spawn_attr(&attr);
        err = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
    }
    for (int i = 0; i < made; i++) {
        int runner_end = i == 0 ? 1 : 0;
        close(p[i][!runner_end]); /* the child has its own copy, if it started */
        ends[i] = p[i][runner_end];
        if (err)
            close(ends[i]);
    }
    return err;
}

/* The job's name: -n's, else the program's last path component (after '/', or '\\' as Windows
 * paths have it) and the job's number. */
static char *job_name(const struct cmd *c, int number)
{
    const char *base = c->argv[0];
    char *name;
    if (c->name)
        return xstrndup(c->name, strlen(c->name));
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    name = xrealloc(NULL, strlen(base) + 16);
    sprintf(name, "%s#%d", base, number);
    return name;
}

static struct job *free_slot(struct runner *r)
{
    for (int i = 0; i < r->max; i++)
        if (!r->job[i].used)
            return &r->job[i];
    return NULL; /* unreachable: called only while running < max */
}

/* Starts c in a free slot; a command that cannot start is reported and counted as failed. */
static void job_start(struct runner *r, struct cmd *c)
{
    struct job *j = free_slot(r);
    char *name = job_name(c, r->commands);
    FILE *in = NULL;
    int ends[3], err;
    if (c->input && !(in = fopen(c->input, "rb"))) {
        say("%s: cannot open '%s': %s\n", name, c->input, strerror(errno));
    } else if ((err = spawn_child(c->argv, &j->pid, ends)) != 0) {
        say("%s: cannot run '%s': %s\n", name, c->argv[0], strerror(err));
    } else {
        j->used = 1;
        j->name = name;
        j->reaped = 0;
        j->in_fd = ends[0];
        j->s[JOB_OUT].fd = ends[1];
        j->s[JOB_ERR].fd = ends[2];
        j->in_file = in;
        j->in_buf = in ? xrealloc(NULL, CHUNK) : NULL;
        j->in_off = j->in_len = 0;
        j->in_failed = 0;
        j->started = time(NULL);
        j->term_at = 0;
        j->killed = 0;
        if (!in)
            input_end(j); /* an empty stdin: EOF at once */
        r->running++;
        return;
    }
    if (in)
        fclose(in);
    free(name);
    r->failed++;
}

/* ---- ending a job ---- */

static const char *sig_name(int sig)
{
    static const struct { int sig; const char *name; } names[] = {
        { SIGHUP, "SIGHUP" },   { SIGINT, "SIGINT" },   { SIGQUIT, "SIGQUIT" },
        { SIGILL, "SIGILL" },   { SIGABRT, "SIGABRT" }, { SIGFPE, "SIGFPE" },
        { SIGKILL, "SIGKILL" }, { SIGSEGV, "SIGSEGV" }, { SIGPIPE, "SIGPIPE" },
        { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" }, { SIGUSR1, "SIGUSR1" },
        { SIGUSR2, "SIGUSR2" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    return NULL;
}

static void job_report(struct runner *r, struct job *j)
{
    int st = j->status;
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && !j->in_failed;
    if (!ok)
        r->failed++;
    if (ok && r->quiet)
        return;
    if (WIFSIGNALED(st) && sig_name(WTERMSIG(st)))
        say("%s: killed by signal %d (%s)\n", j->name, WTERMSIG(st), sig_name(WTERMSIG(st)));
    else if (WIFSIGNALED(st))
        say("%s: killed by signal %d\n", j->name, WTERMSIG(st));
    else
        say("%s: exit %d\n", j->name, WEXITSTATUS(st));
}

static void job_finish(struct runner *r, struct job *j)
{
    input_end(j);
    job_report(r, j);
    free(j->name);
    memset(j, 0, sizeof *j);
    r->running--;
}

/* Every child that has exited, reaped; the job learns its status. */
static void runner_reap(struct runner *r)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (int i = 0; i < r->max; i++)
            if (r->job[i].used && !r->job[i].reaped && r->job[i].pid == pid) {
                r->job[i].reaped = 1;
                r->job[i].status = status;
            }
}

/* A job ends once its child is reaped and both its streams are at EOF. After a stop (or -t's
 * SIGKILL to the job's group) the runner waits no longer for EOF than its child lives: a process the child left behind may hold the
 * pipes open. What is already in them (up to a few reads, should that process keep writing) is
 * still printed. */
static void runner_settle(struct runner *r)
{
    for (int i = 0; i < r->max; i++) {
        struct job *j = &r->job[i];
        if (!j->used || !j->reaped)
            continue;
        for (int k = JOB_OUT; (r->stop_sig || j->killed) && k <= JOB_ERR; k++) {
            for (int reads = 0; reads < 16 && stream_read(r, j, k) > 0; reads++)
                ;
            stream_close(r, j, k);
        }
        if (j->s[JOB_OUT].fd < 0 && j->s[JOB_ERR].fd < 0)
            job_finish(r, j);
    }
}

/* ---- -t: time-outs ---- */

/* The job's next deadline: its time-out, or the end of its grace; 0 for none. A job stays under
 * watch until it ends, its child reaped or not: what the child started in its group may hold
 * the pipes, and ignore SIGTERM. */
static time_t job_deadline(const struct runner *r, const struct job *j)
{
    if (!r->timeout || j->killed)
        return 0;
    return j->term_at ? j->term_at + GRACE_S : j->started + r->timeout;
}

/* Jobs past their deadline: SIGTERM to the job's group, then SIGKILL to what is left of it. */
static void runner_timeouts(struct runner *r)
{
    time_t now = time(NULL);
    for (int i = 0; i < r->max; i++) {
        struct job *j = &r->job[i];
        time_t d = j->used ? job_deadline(r, j) : 0;
        if (!d || now < d)
            continue;
        if (!j->term_at) {
            say("%s: timed out after %d s\n", j->name, r->timeout);
            j->term_at = now;
            (void)kill(-j->pid, SIGTERM);
        } else {
            j->killed = 1;
            (void)kill(-j->pid, SIGKILL);
        }
    }
}

/* poll's time-out in ms: until the nearest deadline, or `upto` (-1: none). */
static int runner_next_deadline(const struct runner *r, int upto)
{
    time_t now = time(NULL);
    for (int i = 0; i < r->max; i++) {
        time_t d = r->job[i].used ? job_deadline(r, &r->job[i]) : 0;
        if (!d)
            continue;
        long ms = d > now ? (long)(d - now) * 1000 : 0;
        if (upto < 0 || ms < upto)
            upto = (int)ms;
    }
    return upto;
}

/* ---- signals: the self-pipe ---- */

static int sig_wr = -1; /* the self-pipe's write end, for the handler */

/* Only async-signal-safe work: one byte, the signal's number, into the self-pipe; poll() in the
 * main loop wakes for it (SIGCHLD too: a child ended, and the loop reaps it). sigaction keeps
 * the handler installed, and SA_RESTART lets a write to stdout that the signal interrupted carry
 * on. */
static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    (void)!write(sig_wr, &b, 1);
    errno = saved;
}

static void catch_signal(int sig, int flags)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;
    act.sa_flags = SA_RESTART | flags;
    sigemptyset(&act.sa_mask);
    sigaction(sig, &act, NULL);
}

/* POSIX shells start background jobs with SIGINT ignored (and nohup ignores SIGHUP): a signal
 * ignored when the runner starts stays ignored. */
static void catch_unless_ignored(int sig)
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        catch_signal(sig, 0);
}

static int signals_init(struct runner *r)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return -1;
    r->sig_fd = p[0];
    sig_wr = p[1];
    signal(SIGPIPE, SIG_IGN); /* a write to a pipe whose reader left fails with EPIPE instead */
    catch_signal(SIGCHLD, SA_NOCLDSTOP);
    catch_unless_ignored(SIGINT);
    catch_unless_ignored(SIGTERM);
    return 0;
}

static void signals_read(struct runner *r)
{
    unsigned char b[16];
    ssize_t n = read(r->sig_fd, b, sizeof b);
    for (ssize_t i = 0; i < n; i++)
        if (b[i] != SIGCHLD) /* a child ended: runner_step reaps it after every poll */
            runner_stop(r, b[i]);
}

/* Stops the run: no new job starts, and every running child gets the signal. The second stop
 * sends SIGKILL. The child leads its own process group, so -pid reaches what it started too,
 * as the terminal's Ctrl-C would have. */
static void runner_stop(struct runner *r, int sig)
{
    int forward = r->stop_sig ? SIGKILL : sig;
    if (!r->stop_sig) {
        r->stop_sig = sig;
        r->stopped = r->running;
        r->not_started = r->args ? r->nargs - r->next_arg : 0;
    }
    for (int i = 0; i < r->max; i++)
        if (r->job[i].used && !r->job[i].reaped)
            (void)kill(-r->job[i].pid, forward);
}

/* ---- where commands come from ---- */

/* The next command line (malloc'ed) in *line: 1; 0 if stdin has no whole line yet; -1 if no
 * command is left. */
static int source_next(struct runner *r, char **line)
{
    struct buf *b = &r->pending;
    char *nl = b->len ? memchr(b->p, '\n', b->len) : NULL;
    size_t n = nl ? (size_t)(nl - b->p) : b->len;
    if (r->args) {
        if (r->next_arg == r->nargs)
            return -1;
        *line = xstrndup(r->args[r->next_arg], strlen(r->args[r->next_arg]));
        r->next_arg++;
        return 1;
    }
    if (!nl && !(r->stdin_eof && n > 0))
        return r->stdin_eof ? -1 : 0;
    *line = xstrndup(b->p, n);
    n += nl ? 1 : 0;
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    r->lineno++;
    return 1;
}

static int source_has_more(struct runner *r)
{
    if (r->stop_sig)
        return 0;
    if (r->args)
        return r->next_arg < r->nargs;
    return !r->stdin_eof || r->pending.len > 0;
}

/* stdin is polled only while a free slot waits for a command: the runner reads commands no
 * faster than it runs them, as xargs does. */
static int source_wants_stdin(struct runner *r)
{
    return !r->args && !r->stdin_eof && !r->stop_sig && r->running < r->max
           && !(r->pending.len && memchr(r->pending.p, '\n', r->pending.len));
}

static void source_fill(struct runner *r)
{
    char tmp[4096];
    ssize_t n = read(0, tmp, sizeof tmp);
    if (n > 0) {
        buf_add(&r->pending, tmp, (size_t)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (n < 0)
            say("prun: reading commands: %s\n", strerror(errno));
        r->stdin_eof = 1;
    }
}

/* ---- the loop ---- */

static void runner_start_jobs(struct runner *r)
{
    char *line;
    while (!r->stop_sig && r->running < r->max && source_next(r, &line) == 1) {
        struct cmd c;
        const char *err = cmd_parse(line, r->named, &c);
        if (err || c.argc > 0)
            r->commands++;
        if (err) {
            say("prun: line %ld: %s\n", r->lineno, err);
            r->failed++;
        } else if (c.argc > 0) {
            job_start(r, &c);
        }
        cmd_free(&c);
        free(line);
    }
}

enum { W_SIG, W_STDIN, W_OUT, W_ERR, W_IN };

static void watch_fd(struct runner *r, int *n, int fd, short events, struct job *j, int what)
{
    r->pfd[*n].fd = fd;
    r->pfd[*n].events = events;
    r->pfd[*n].revents = 0;
    r->watch[*n].job = j;
    r->watch[*n].what = what;
    (*n)++;
}

/* poll's set, and *timeout: the next -t deadline, or -1. A job whose output has ended and
 * whose child still runs needs no time-out: SIGCHLD's byte on the self-pipe wakes poll when the
 * child ends. */
static int runner_watch(struct runner *r, int *timeout)
{
    int n = 0;
    *timeout = -1;
    watch_fd(r, &n, r->sig_fd, POLLIN, NULL, W_SIG);
    if (source_wants_stdin(r))
        watch_fd(r, &n, 0, POLLIN, NULL, W_STDIN);
    for (int i = 0; i < r->max; i++) {
        struct job *j = &r->job[i];
        if (!j->used)
            continue;
        if (j->s[JOB_OUT].fd >= 0)
            watch_fd(r, &n, j->s[JOB_OUT].fd, POLLIN, j, W_OUT);
        if (j->s[JOB_ERR].fd >= 0)
            watch_fd(r, &n, j->s[JOB_ERR].fd, POLLIN, j, W_ERR);
        if (j->in_fd >= 0)
            watch_fd(r, &n, j->in_fd, POLLOUT, j, W_IN);
    }
    *timeout = runner_next_deadline(r, *timeout);
    return n;
}

static void runner_dispatch(struct runner *r, int n)
{
    for (int i = 0; i < n; i++) {
        if (!r->pfd[i].revents)
            continue;
        switch (r->watch[i].what) {
        case W_SIG: signals_read(r); break;
        case W_STDIN: source_fill(r); break;
        case W_OUT: stream_read(r, r->watch[i].job, JOB_OUT); break;
        case W_ERR: stream_read(r, r->watch[i].job, JOB_ERR); break;
        case W_IN: input_feed(r->watch[i].job); break;
        }
    }
}

/* One round: start what may start, wait for something to happen, handle it. 0 when done. */
static int runner_step(struct runner *r)
{
    int timeout, n;
    runner_start_jobs(r);
    if (r->running == 0 && !source_has_more(r))
        return 0;
    n = runner_watch(r, &timeout);
    if (poll(r->pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
        say("prun: poll: %s\n", strerror(errno));
        exit(2);
    }
    runner_dispatch(r, n);
    runner_timeouts(r);
    runner_reap(r);
    runner_settle(r);
    return 1;
}

static int runner_summary(struct runner *r)
{
    if (r->stop_sig) {
        const char *name = sig_name(r->stop_sig);
        char rest[64] = "";
        if (r->args) /* commands still on stdin are not counted: the runner stopped reading */
            snprintf(rest, sizeof rest, ", %d not started", r->not_started);
        say("prun: stopped by %s: %d running job%s stopped%s\n", name ? name : "a signal",
            r->stopped, r->stopped == 1 ? "" : "s", rest);
        return 128 + r->stop_sig;
    }
    if (r->failed)
        say("prun: %d of %d job%s failed\n", r->failed, r->commands,
            r->commands == 1 ? "" : "s");
    return r->failed || r->stdout_error ? 1 : 0;
}

/* ---- options ---- */

static int usage_error(const char *fmt, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, what);
    say("prun: %s\n(prun -h for help)\n", msg);
    return -1;
}

/* -j N, -t SECONDS: a whole number from 1 to max into *out; bad is the usage message. */
static int parse_number(const char *s, long max, int *out, const char *bad)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || n < 1 || n > max)
        return usage_error(bad, s);
    *out = (int)n;
    return 0;
}

/* Returns the index of the first command argument, or -1 (usage error), or 0 (-h: done). */
static int parse_options(struct runner *r, int argc, char **argv)
{
    int i;
    r->max = DEFAULT_JOBS;
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *o = argv[i] + 1;
        if (strcmp(argv[i], "--") == 0)
            return i + 1;
        if (strcmp(argv[i], "--help") == 0)
            o = "h";
        for (; *o; o++) {
            if (*o == 'n') {
                r->named = 1;
            } else if (*o == 'q') {
                r->quiet = 1;
            } else if (*o == 'h') {
                (void)write_all(1, usage_text, sizeof usage_text - 1);
                return 0;
            } else if (*o == 'j' || *o == 't') {
                const char *v = o[1] ? o + 1 : argv[++i];
                if (!v)
                    return usage_error(*o == 'j' ? "-j wants a number%s"
                                                 : "-t wants a number of seconds%s", "");
                if (*o == 'j' ? parse_number(v, MAX_JOBS, &r->max,
                                             "-j wants a number of jobs from 1 to 1024, not '%s'")
                              : parse_number(v, MAX_TIMEOUT, &r->timeout,
                                             "-t wants a number of seconds from 1 to 86400, not '%s'"))
                    return -1;
                break;
            } else {
                char opt[2] = { *o, 0 };
                return usage_error("unknown option '-%s'", opt);
            }
        }
    }
    return i;
}

/* Commands given as arguments are all checked before any runs. */
static int check_commands(struct runner *r)
{
    for (int i = 0; i < r->nargs; i++) {
        struct cmd c;
        const char *err = cmd_parse(r->args[i], r->named, &c);
        cmd_free(&c);
        if (err) {
            say("prun: command %d (%s): %s\n", i + 1, r->args[i], err);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct runner r;
    int first = parse_options(&r, argc, argv);
    if (first <= 0)
        return first == 0 ? 0 : 2;
    if (first < argc) {
        r.args = argv + first;
        r.nargs = argc - first;
    }
    if (check_commands(&r) != 0)
        return 2;
    r.job = xrealloc(NULL, (size_t)r.max * sizeof *r.job);
    memset(r.job, 0, (size_t)r.max * sizeof *r.job);
    r.pfd = xrealloc(NULL, (size_t)(2 + 3 * r.max) * sizeof *r.pfd);
    r.watch = xrealloc(NULL, (size_t)(2 + 3 * r.max) * sizeof *r.watch);
    if (signals_init(&r) != 0) {
        say("prun: pipe2: %s\n", strerror(errno));
        return 2;
    }
    while (runner_step(&r))
        ;
    return runner_summary(&r);
}
