/* signal.c: how long a signal takes between two winpipe processes, against a 1-byte round trip
 * through a pipe between the same two processes in the same run (issue 11; goal: no more than
 * 2x the pipe).
 *
 * Variants, alternated within each round:
 *   pipe   the parent writes a byte into pipe A; the child, blocked in read() on A (its fd 0),
 *          writes it back into pipe B (its fd 1); the parent reads it
 *   kill   the parent sends kill(child, SIGUSR1); the child, blocked in the same read(), runs
 *          its handler (sigaction, SA_RESTART), which writes a byte into B; the parent reads it
 *          (the child's read() then carries on)
 * and, per iteration a fresh child ("--exit-child"):
 *   exit   the parent writes a byte into A; the child reads it, writes it back into B and
 *          exits; the parent reads the echo (t1 - t0: the pipe round trip), then waits in
 *          sigsuspend() for SIGCHLD's handler (t2 - t1: from the child's exit to the handler,
 *          give or take the child's own exit path)
 * The children are this program again. Starting a child and one warm-up trip are outside the
 * clock.
 *
 * Usage: signal.exe [--iters N] [--rounds N]     (defaults 2000 and 5; exit: iters / 20)
 * Final lines (medians, microseconds per trip):
 *   signal-kill: winpipe X us pipe Y us ratio X/Y
 *   signal-sigchld: winpipe X us pipe Y us ratio X/Y */
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_NAME "signal"
#include "bench.h"

#define MAX_ROUNDS 100

static char self[MAX_PATH];

static void on_usr1(int sig)
{
    char c = 's';
    (void)sig;
    (void)!write(1, &c, 1);
}

static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
    (void)sig;
    chld = 1;
}

static void catch(int sig, void (*h)(int))
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = h;
    act.sa_flags = SA_RESTART;
    sigemptyset(&act.sa_mask);
    if (sigaction(sig, &act, NULL) != 0)
        bench_die("sigaction");
}

/* The echo child: a byte on fd 0 comes back on fd 1; SIGUSR1's handler writes one too; EOF ends
 * it. --exit-child: one byte echoed, then exit. */
static int child_main(int once)
{
    char c;
    if (!once)
        catch(SIGUSR1, on_usr1);
    c = 'r';
    if (write(1, &c, 1) != 1) /* ready: the handler is installed */
        return 1;
    for (;;) {
        ssize_t n = read(0, &c, 1);
        if (n <= 0)
            return n == 0 ? 0 : 1;
        if (write(1, &c, 1) != 1)
            return 1;
        if (once)
            return 0;
    }
}

static void read_byte(int fd)
{
    char c;
    if (read(fd, &c, 1) != 1)
        bench_die("read");
}

static void write_byte(int fd)
{
    char c = 'p';
    if (write(fd, &c, 1) != 1)
        bench_die("write");
}

/* A child with pipe A's read end on its fd 0 and B's write end on its fd 1; *to and *from are
 * the parent's ends. Waits for its "ready" byte. */
static pid_t spawn_child(const char *mode, int *to, int *from)
{
    int a[2], b[2];
    pid_t pid;
    char *argv[] = { self, (char *)mode, NULL };
    posix_spawn_file_actions_t fa;
    if (pipe2(a, O_CLOEXEC) != 0 || pipe2(b, O_CLOEXEC) != 0)
        bench_die("pipe2");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, a[0], 0);
    posix_spawn_file_actions_adddup2(&fa, b[1], 1);
    int e = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        errno = e;
        bench_die("posix_spawn");
    }
    close(a[0]);
    close(b[1]);
    *to = a[1];
    *from = b[0];
    read_byte(*from);
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        bench_die("waitpid");
}

/* pipe and kill against one echo child: mean microseconds per trip of each. */
static void round_kill(int iters, int kill_first, double *pipe_us, double *kill_us)
{
    int to, from;
    pid_t pid = spawn_child("--echo-child", &to, &from);
    write_byte(to); /* warm-up */
    read_byte(from);
    for (int v = 0; v < 2; v++) {
        int use_kill = (v == 0) == kill_first;
        double t0 = bench_now();
        for (int i = 0; i < iters; i++) {
            if (use_kill) {
                if (kill(pid, SIGUSR1) != 0)
                    bench_die("kill");
            } else {
                write_byte(to);
            }
            read_byte(from);
        }
        double us = (bench_now() - t0) * 1e6 / iters;
        *(use_kill ? kill_us : pipe_us) = us;
    }
    close(to);
    close(from);
    reap(pid);
}

/* exit: fresh children; mean microseconds of the echo, and of exit to SIGCHLD's handler. */
static void round_exit(int iters, double *pipe_us, double *chld_us)
{
    double echo = 0, exit_to_handler = 0;
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &block, NULL);
    for (int i = 0; i < iters; i++) {
        int to, from;
        pid_t pid = spawn_child("--exit-child", &to, &from);
        chld = 0;
        double t0 = bench_now();
        write_byte(to);
        read_byte(from);
        double t1 = bench_now();
        while (!chld)
            sigsuspend(&none);
        double t2 = bench_now();
        echo += t1 - t0;
        exit_to_handler += t2 - t1;
        close(to);
        close(from);
        reap(pid);
    }
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    *pipe_us = echo * 1e6 / iters;
    *chld_us = exit_to_handler * 1e6 / iters;
}

int main(int argc, char **argv)
{
    int iters = 2000, rounds = 5;
    static double pk[MAX_ROUNDS], kk[MAX_ROUNDS], pe[MAX_ROUNDS], ce[MAX_ROUNDS];
    if (argc >= 2 && strcmp(argv[1], "--echo-child") == 0)
        return child_main(0);
    if (argc >= 2 && strcmp(argv[1], "--exit-child") == 0)
        return child_main(1);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--iters") == 0)
            iters = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
    }
    if (iters < 20 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: signal.exe [--iters N>=20] [--rounds 1-%d]\n", MAX_ROUNDS);
        return 2;
    }
    if (!GetModuleFileNameA(NULL, self, sizeof self))
        bench_die("GetModuleFileNameA");
    catch(SIGCHLD, on_chld);
    for (int r = 0; r < rounds; r++) {
        round_kill(iters, r % 2, &pk[r], &kk[r]);
        round_exit(iters / 20, &pe[r], &ce[r]);
        printf("round %d: pipe %.1f us kill %.1f us | echo %.1f us exit-to-sigchld %.1f us\n",
               r + 1, pk[r], kk[r], pe[r], ce[r]);
        fflush(stdout);
    }
    double mpk = bench_median(pk, rounds), mkk = bench_median(kk, rounds);
    double mpe = bench_median(pe, rounds), mce = bench_median(ce, rounds);
    printf("kill: %.1f us (%.1f-%.1f); pipe %.1f us (%.1f-%.1f)\n", mkk, kk[0], kk[rounds - 1],
           mpk, pk[0], pk[rounds - 1]);
    printf("sigchld: %.1f us (%.1f-%.1f); pipe %.1f us (%.1f-%.1f)\n", mce, ce[0],
           ce[rounds - 1], mpe, pe[0], pe[rounds - 1]);
    printf("signal-kill: winpipe %.1f us pipe %.1f us ratio %.2f\n", mkk, mpk, mkk / mpk);
    printf("signal-sigchld: winpipe %.1f us pipe %.1f us ratio %.2f\n", mce, mpe, mce / mpe);
    return 0;
}
