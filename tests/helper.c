/* Shared helpers for winpipe's cmocka tests; see helper.h. */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>

#include "helper.h"

#ifdef _WIN32
#include <windows.h>
#include <winternl.h>
#else
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
extern char **environ;
#endif

/* Unbuffered output for every test program that links this helper: a test process that dies
 * (a crash in another thread, TerminateProcess) still leaves each cmocka line it printed in its
 * log, which names the test that was running. */
__attribute__((constructor)) static void wp_unbuffered_output(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Watchdog                                                                                   */

/* No mutex: winpthreads makes an event for a mutex the first time two threads contend for it,
 * and the leak check would see it appear in whichever test that happened. The watchdog's state
 * is atomics instead: the name is written while disarmed, then published by arming. */
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static int wd_armed;
static long long wd_armed_ms, wd_progress_ms; /* wp_now_ms() when armed, at the last progress */
static unsigned wd_seconds;
static char wd_name[128];
static int wd_factor_milli = 1000; /* the measured speed factor, in thousandths */
static double wd_slowdown = 1.0;

void wp_progress(void)
{
    __atomic_store_n(&wd_progress_ms, (long long)wp_now_ms(), __ATOMIC_RELAXED);
}

double wp_speed_factor(void)
{
    return __atomic_load_n(&wd_factor_milli, __ATOMIC_RELAXED) / 1000.0 * wd_slowdown;
}

/* A fixed piece of arithmetic (WP_SPEED_REFERENCE_MS on an idle machine here): how long it takes
 * now, over that, is how much slower than idle this machine runs. */
static double wd_measure(void)
{
    volatile unsigned sink;
    unsigned acc = 0;
    double t0 = wp_now_ms(), f;
    for (uint64_t i = 0; i < 40000000; i++)
        acc += wp_pattern(i);
    sink = acc;
    (void)sink;
    f = (wp_now_ms() - t0) / WP_SPEED_REFERENCE_MS;
    return f < 1.0 ? 1.0 : f > WP_SPEED_FACTOR_MAX ? WP_SPEED_FACTOR_MAX : f;
}

#ifdef _WIN32
static HANDLE wd_heartbeat_file = INVALID_HANDLE_VALUE;

static void wd_heartbeat_open(void)
{
    const char *path = getenv("WINPIPE_TEST_HEARTBEAT");
    if (path && *path)
        wd_heartbeat_file = CreateFileA(path, FILE_WRITE_ATTRIBUTES,
                                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                        NULL, OPEN_EXISTING, 0, NULL);
}

static void wd_heartbeat(void)
{
    FILETIME now;
    if (wd_heartbeat_file == INVALID_HANDLE_VALUE)
        return;
    GetSystemTimeAsFileTime(&now);
    SetFileTime(wd_heartbeat_file, NULL, NULL, &now);
}
#else
static void wd_heartbeat_open(void)
{
}

/* Natively by path: no fd, so no test sees one more open. */
static void wd_heartbeat(void)
{
    const char *path = getenv("WINPIPE_TEST_HEARTBEAT");
    if (path && *path)
        utimensat(AT_FDCWD, path, NULL, 0);
}
#endif

static void *wd_thread(void *arg)
{
    double recent[3] = { 1.0, 1.0, 1.0 };
    double last_measure = wp_now_ms(), last_beat = 0;
    long long beat_progress = -1;
    unsigned n = 0;
    sigset_t all;
    (void)arg;
    /* A signal for the process goes to a thread of the test's, never to this one (Linux would
     * pick any thread that does not block it). */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    recent[0] = recent[1] = recent[2] = wp_speed_factor() / wd_slowdown;
    for (;;) {
        double now, factor, limit, idle, total;
        long long progress, armed_at;
        wp_sleep_ms(250);
        now = wp_now_ms();
        if (now - last_measure >= 5000) {
            recent[n++ % 3] = wd_measure();
            factor = recent[0] > recent[1] ? recent[0] : recent[1];
            factor = factor > recent[2] ? factor : recent[2];
            __atomic_store_n(&wd_factor_milli, (int)(factor * 1000), __ATOMIC_RELAXED);
            last_measure = now = wp_now_ms();
        }
        progress = __atomic_load_n(&wd_progress_ms, __ATOMIC_RELAXED);
        if (!__atomic_load_n(&wd_armed, __ATOMIC_ACQUIRE)) {
            if (progress != beat_progress && now - last_beat >= 1000.0 * WP_HEARTBEAT_SECONDS) {
                wd_heartbeat();
                beat_progress = progress;
                last_beat = now;
            }
            continue;
        }
        armed_at = __atomic_load_n(&wd_armed_ms, __ATOMIC_RELAXED);
        limit = 1000.0 * wd_seconds * wp_speed_factor();
        idle = now - (double)(progress > armed_at ? progress : armed_at);
        total = now - (double)armed_at;
        if (idle > limit || total > limit * WP_WATCHDOG_TOTAL_FACTOR) {
            fprintf(stderr, "\nWATCHDOG: test '%s' %s %.0f s (limit %.0f s: %u s x speed "
                    "factor %.1f): hung, aborting\n", wd_name,
                    idle > limit ? "made no progress for" : "still running after",
                    (idle > limit ? idle : total) / 1000.0,
                    (idle > limit ? limit : limit * WP_WATCHDOG_TOTAL_FACTOR) / 1000.0,
                    wd_seconds, wp_speed_factor());
            fflush(stderr);
            fflush(stdout);
            _exit(99);
        }
        if (now - last_beat >= 1000.0 * WP_HEARTBEAT_SECONDS) {
            wd_heartbeat(); /* armed and within its limit: this watchdog answers for it */
            last_beat = now;
        }
    }
    return NULL;
}

static void wd_start(void)
{
    pthread_t t;
    const char *slow = getenv("WINPIPE_TEST_SLOWDOWN");
    if (slow && atof(slow) >= 1.0)
        wd_slowdown = atof(slow);
    wd_factor_milli = (int)(wd_measure() * 1000);
    wd_heartbeat_open();
    if (pthread_create(&t, NULL, wd_thread, NULL) != 0) {
        fprintf(stderr, "WATCHDOG: cannot start watchdog thread\n");
        _exit(98);
    }
    pthread_detach(t);
}

void wp_watchdog_arm(const char *name, unsigned seconds)
{
    pthread_once(&wd_once, wd_start);
    __atomic_store_n(&wd_armed, 0, __ATOMIC_RELEASE);
    snprintf(wd_name, sizeof wd_name, "%s", name ? name : "?");
    wd_seconds = seconds;
    __atomic_store_n(&wd_armed_ms, (long long)wp_now_ms(), __ATOMIC_RELAXED);
    __atomic_store_n(&wd_armed, 1, __ATOMIC_RELEASE);
}

void wp_watchdog_disarm(void)
{
    __atomic_store_n(&wd_armed, 0, __ATOMIC_RELEASE);
    wp_progress();
}

/* ------------------------------------------------------------------------------------------ */
/* Per-test fixtures and the leak check                                                       */

static void wp_warm_up(void);
static pthread_once_t warm_up_once = PTHREAD_ONCE_INIT;
static struct wp_handles *test_before; /* this test's snapshot, taken when its body starts */
static unsigned leak_settle_ms = WP_LEAK_SETTLE_MS;

void wp_set_leak_settle_ms(unsigned ms)
{
    leak_settle_ms = ms;
}

const char *wp_test_name(void **state)
{
    const struct wp_test *t = state ? *state : NULL;
    return t && t->name ? t->name : "?";
}

int wp_setup(void **state)
{
    wp_watchdog_arm(wp_test_name(state), WP_WATCHDOG_SECONDS);
    return 0;
}

int wp_teardown(void **state)
{
    (void)state;
    wp_handles_free(test_before);
    test_before = NULL;
    wp_watchdog_disarm();
    return 0;
}

static void wp_fd_fill_close(void);

void wp_run_test(void **state)
{
    const struct wp_test *t = *state;
    char desc[1024];
    size_t leaks;
    pthread_once(&warm_up_once, wp_warm_up);
    wp_handles_free(test_before);
    test_before = wp_handles_take();
    t->fn(state);
    wp_fd_fill_close(); /* what wp_fd_fill opened is the test's to close, not a leak */
    leaks = wp_leaks_since(test_before, leak_settle_ms, desc, sizeof desc);
    if (t->known_leak) {
        if (leaks == 0)
            fail_msg("known leak gone (%s): remove WP_TEST_KNOWN_LEAK", t->known_leak);
        print_message("known leak (%s): %zu left open:%s\n", t->known_leak, leaks, desc);
    } else if (leaks) {
        fail_msg("leak: %zu fd(s)/handle(s) open after the test that were not before:%s",
                 leaks, desc);
    }
}

#ifdef _WIN32
static void CALLBACK wp_never_called(PVOID arg, BOOLEAN timed_out)
{
    (void)arg;
    (void)timed_out;
}
#endif

/* Makes what a program makes once per process on first use (see WP_TEST in helper.h). */
static void wp_warm_up(void)
{
    int p[2];
    char c;
    struct pollfd pfd;
    pid_t pid;
    char *argv[] = { (char *)wp_child_path(), "exit", "0", NULL };
    if (pipe(p) == 0) {
        pfd = (struct pollfd){ p[0], POLLIN, 0 };
        (void)poll(&pfd, 1, 1); /* a poll that sleeps: the completion port */
        if (write(p[1], "w", 1) == 1 && poll(&pfd, 1, -1) == 1)
            (void)!read(p[0], &c, 1);
        close(p[0]);
        close(p[1]);
    }
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
        (void)waitpid(pid, NULL, 0);
#ifdef _WIN32
    {
        /* Wine's thread pool frees a wait thread (and its event) 5 s after its last wait:
         * this wait keeps the first one for the process's life. */
        static HANDLE ev, wait;
        ev = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (!ev || !RegisterWaitForSingleObject(&wait, ev, wp_never_called, NULL, INFINITE,
                                                WT_EXECUTEDEFAULT))
            fprintf(stderr, "helper: no thread-pool wait for the leak check's warm-up\n");
    }
#endif
}

int wp_group_ignore_sigpipe(void **state)
{
    (void)state;
    return signal(SIGPIPE, SIG_IGN) == SIG_ERR ? -1 : 0;
}

int wp_group_restore_sigpipe(void **state)
{
    (void)state;
    return signal(SIGPIPE, SIG_DFL) == SIG_ERR ? -1 : 0;
}

void wp_handle_signal(int sig, void (*fn)(int), int flags)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = fn;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    assert_int_equal(sigaction(sig, &act, NULL), 0);
}

void wp_signals_to_default(const int *sigs, size_t n)
{
    sigset_t none;
    for (size_t i = 0; i < n; i++)
        signal(sigs[i], SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (size_t i = 0; i < n; i++)
        signal(sigs[i], SIG_DFL);
}

/* ------------------------------------------------------------------------------------------ */
/* Resource counting                                                                          */

struct wp_handles {
    size_t n, cap;
    uintptr_t *v; /* ascending */
};

static struct wp_handles *handles_new(void)
{
    struct wp_handles *s = calloc(1, sizeof *s);
    if (!s)
        fail_msg("out of memory");
    return s;
}

static void handles_add(struct wp_handles *s, uintptr_t v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            fail_msg("out of memory");
    }
    s->v[s->n++] = v;
}

static int cmp_uintptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static int handles_has(const struct wp_handles *s, uintptr_t v)
{
    return bsearch(&v, s->v, s->n, sizeof *s->v, cmp_uintptr) != NULL;
}

void wp_handles_free(struct wp_handles *s)
{
    if (s) {
        free(s->v);
        free(s);
    }
}

size_t wp_handles_count(const struct wp_handles *s)
{
    return s->n;
}

#ifdef _WIN32
/* ntdll's SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX and SYSTEM_HANDLE_INFORMATION_EX (class 64). */
struct sys_handle {
    PVOID object;
    ULONG_PTR pid, value;
    ULONG access;
    USHORT backtrace, type;
    ULONG attributes, reserved;
};
struct sys_handles {
    ULONG_PTR count, reserved;
    struct sys_handle h[1];
};
typedef LONG(NTAPI *query_system_fn)(ULONG, PVOID, ULONG, PULONG);
typedef LONG(NTAPI *query_object_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);

static FARPROC ntdll_fn(const char *name)
{
    return GetProcAddress(GetModuleHandleA("ntdll.dll"), name);
}

/* All handles of this process in one call; 0 if the system refuses. */
static int handles_by_query(struct wp_handles *s)
{
    static query_system_fn query;
    static ULONG size = 1 << 18;
    DWORD me = GetCurrentProcessId();
    struct sys_handles *all;
    LONG st;
    if (!query && !(query = (query_system_fn)(void (*)(void))ntdll_fn("NtQuerySystemInformation")))
        return 0;
    for (;;) {
        ULONG got = 0;
        all = malloc(size);
        if (!all)
            return 0;
        st = query(64 /* SystemExtendedHandleInformation */, all, size, &got);
        if (st != (LONG)0xC0000004 /* STATUS_INFO_LENGTH_MISMATCH */)
            break;
        free(all);
        size = got > size ? got + 65536 : size * 2;
    }
    if (st != 0) {
        free(all);
        return 0;
    }
    for (ULONG_PTR i = 0; i < all->count; i++)
        if (all->h[i].pid == me)
            handles_add(s, all->h[i].value);
    free(all);
    return 1;
}

/* Every handle value 4, 8, ... that GetHandleInformation accepts, up to 256 unused values past
 * the highest handle ever seen. */
static void handles_by_probing(struct wp_handles *s)
{
    static uintptr_t highest;
    uintptr_t v, gap = 0;
    DWORD flags;
    for (v = 4; v <= highest || gap < 256; v += 4) {
        if (GetHandleInformation((HANDLE)v, &flags)) {
            handles_add(s, v);
            gap = 0;
            if (v > highest)
                highest = v;
        } else {
            gap++;
        }
    }
}

static int handles_equal(const struct wp_handles *a, const struct wp_handles *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof *a->v) == 0);
}

/* 1: the one-call query, 0: probing. The query is asked for only with WINPIPE_LEAK_QUERY=1:
 * under load, with other test programs running in the same Wine prefix, Wine 8's wineserver
 * crashed once right after a test had held 2048 handles, on a snapshot made with it (the
 * system-wide list); probing asks about one handle of this process at a time. When asked for,
 * the first snapshot compares the two (a few tries, since a thread may open or close a handle in
 * between). */
static int use_query(void)
{
    static int decided = -1;
    const char *env = getenv("WINPIPE_LEAK_QUERY");
    if (decided < 0 && !(env && strcmp(env, "1") == 0))
        decided = 0;
    for (int attempt = 0; decided < 0 && attempt < 5; attempt++) {
        struct wp_handles *q = handles_new(), *p = handles_new();
        if (!handles_by_query(q)) {
            decided = 0;
        } else {
            handles_by_probing(p);
            qsort(q->v, q->n, sizeof *q->v, cmp_uintptr);
            if (handles_equal(p, q))
                decided = 1;
        }
        wp_handles_free(q);
        wp_handles_free(p);
    }
    if (decided < 0) {
        fprintf(stderr, "helper: the system's handle list differs from probing: probing\n");
        decided = 0;
    }
    return decided;
}

/* Describes handle v into out; 1 if it is the threading runtime's own (below). */
static int describe(uintptr_t v, char *out, size_t size)
{
    static query_object_fn query;
    union {
        UNICODE_STRING name; /* PUBLIC_OBJECT_TYPE_INFORMATION starts with it */
        char buf[1024];
    } info;
    char type[64] = "?";
    const char *kind = "";
    int runtime = 0;
    ULONG got = 0;
    if (!query)
        query = (query_object_fn)(void (*)(void))ntdll_fn("NtQueryObject");
    if (query && query((HANDLE)v, 2 /* ObjectTypeInformation */, &info, sizeof info, &got) == 0)
        WideCharToMultiByte(CP_UTF8, 0, info.name.Buffer, info.name.Length / 2, type,
                            sizeof type - 1, NULL, NULL);
    if (strcmp(type, "Event") == 0) {
        /* Whose it may be: winpipe's are manual-reset, a thread pool's or a winpthreads
         * mutex's auto-reset. */
        typedef LONG(NTAPI * query_event_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
        static query_event_fn query_event;
        struct {
            LONG type; /* NotificationEvent 0, SynchronizationEvent 1 */
            LONG state;
        } ev;
        if (!query_event)
            query_event = (query_event_fn)(void (*)(void))ntdll_fn("NtQueryEvent");
        if (query_event && query_event((HANDLE)v, 0, &ev, sizeof ev, &got) == 0) {
            kind = ev.type == 0 ? (ev.state ? " (manual-reset, set)" : " (manual-reset, unset)")
                                : (ev.state ? " (auto-reset, set)" : " (auto-reset, unset)");
            runtime = ev.type == 1;
        }
    }
    if (strcmp(type, "File") == 0) {
        switch (GetFileType((HANDLE)v)) {
        case FILE_TYPE_PIPE: kind = " (pipe)"; break;
        case FILE_TYPE_DISK: kind = " (disk file)"; break;
        case FILE_TYPE_CHAR: kind = " (character device)"; break;
        default: break;
        }
    }
    snprintf(out, size, "handle 0x%llx: %s%s", (unsigned long long)v, type, kind);
    return runtime;
}
#else
static int describe(uintptr_t v, char *out, size_t size)
{
    char link[64], target[256];
    ssize_t n;
    snprintf(link, sizeof link, "/proc/self/fd/%llu", (unsigned long long)v);
    n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    snprintf(out, size, "fd %llu: %s", (unsigned long long)v, n > 0 ? target : "?");
    return 0;
}
#endif

/* The threading runtime's own objects let pass so far (see wp_test.h), at most
 * WP_RUNTIME_OBJECTS_MAX over the program's life. */
static uintptr_t runtime_passed[WP_RUNTIME_OBJECTS_MAX];
static unsigned runtime_passed_n;

static int runtime_passed_has(uintptr_t v)
{
    for (unsigned i = 0; i < runtime_passed_n; i++)
        if (runtime_passed[i] == v)
            return 1;
    return 0;
}

struct wp_handles *wp_handles_take(void)
{
    struct wp_handles *s = handles_new();
#ifdef _WIN32
    if (!use_query() || !handles_by_query(s)) {
        s->n = 0;
        handles_by_probing(s);
    }
#else
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d)
        fail_msg("opendir(/proc/self/fd): %s", strerror(errno));
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            handles_add(s, (uintptr_t)strtoull(e->d_name, NULL, 10));
    closedir(d);
#endif
    qsort(s->v, s->n, sizeof *s->v, cmp_uintptr);
    return s;
}

/* What is open in now and not in before: the count of the others (returned, described into
 * desc) and of the threading runtime's objects not let pass yet (*runtime; their values into
 * rv, up to WP_RUNTIME_OBJECTS_MAX). */
static size_t handles_diff(const struct wp_handles *before, const struct wp_handles *now,
                           char *desc, size_t size, size_t *runtime, uintptr_t *rv)
{
    size_t count = 0, used = 0;
    *runtime = 0;
    if (size)
        desc[0] = 0;
    for (size_t i = 0; i < now->n; i++) {
        char one[320];
        uintptr_t v = now->v[i];
        if (handles_has(before, v))
            continue;
        if (describe(v, one, sizeof one)) {
            if (runtime_passed_has(v))
                continue;
            if (*runtime < WP_RUNTIME_OBJECTS_MAX)
                rv[*runtime] = v;
            ++*runtime;
        } else {
            count++;
        }
        if (size && used + strlen(one) + 3 < size)
            used += (size_t)snprintf(desc + used, size - used, " %s;", one);
    }
    return count;
}

size_t wp_handles_new(const struct wp_handles *before, const struct wp_handles *now, char *desc,
                      size_t size)
{
    uintptr_t rv[WP_RUNTIME_OBJECTS_MAX];
    size_t runtime, n = handles_diff(before, now, desc, size, &runtime, rv);
    return n + runtime;
}

size_t wp_leaks_since(const struct wp_handles *before, unsigned settle_ms, char *desc,
                      size_t size)
{
    double start = wp_now_ms();
    unsigned pause = 5;
    for (;;) {
        uintptr_t rv[WP_RUNTIME_OBJECTS_MAX];
        struct wp_handles *now = wp_handles_take();
        size_t runtime, n = handles_diff(before, now, desc, size, &runtime, rv);
        wp_handles_free(now);
        if (n == 0 && runtime <= WP_RUNTIME_OBJECTS_MAX - runtime_passed_n) {
            /* Only the runtime's, within what may pass: they pass for good. */
            for (size_t i = 0; i < runtime; i++)
                runtime_passed[runtime_passed_n++] = rv[i];
            if (size)
                desc[0] = 0;
            return 0;
        }
        if (wp_now_ms() - start >= settle_ms)
            return n + runtime;
        wp_sleep_ms(pause);
        if (pause < 500)
            pause *= 2;
    }
}

void wp_assert_no_leak(struct wp_handles *before)
{
    char desc[1024];
    size_t n = wp_leaks_since(before, WP_LEAK_SETTLE_MS, desc, sizeof desc);
    wp_handles_free(before);
    if (n)
        fail_msg("%zu fd(s)/handle(s) open that were not before:%s", n, desc);
}

long wp_open_count(void)
{
    struct wp_handles *s = wp_handles_take();
    long n = (long)s->n;
    wp_handles_free(s);
    return n;
}

const char *wp_child_path(void)
{
    static char path[4096];
    const char *env = getenv("WINPIPE_CHILD");
    char *slash;
    if (env && *env)
        return env;
    if (path[0])
        return path;
#ifdef _WIN32
    GetModuleFileNameA(NULL, path, sizeof path - 16);
    slash = strrchr(path, '\\');
    strcpy(slash ? slash + 1 : path, "child.exe");
#else
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
    path[n > 0 ? n : 0] = 0;
    slash = strrchr(path, '/');
    strcpy(slash ? slash + 1 : path, "child");
#endif
    return path;
}

int wp_lowest_free_fd(int from)
{
    int fd;
    for (fd = from < 0 ? 0 : from; fd < 1000000; fd++) {
        errno = 0;
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
            return fd;
    }
    fail_msg("no free fd found from %d", from);
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* The fd limit                                                                               */

static int fdl_fds[16384]; /* what wp_fd_fill opened, in order */
static int fdl_n;
#ifndef _WIN32
static struct rlimit fdl_saved;
static int fdl_lowered;
#endif

long wp_fd_limit(void)
{
#if defined(_WIN32) && !defined(_SC_OPEN_MAX)
    fail_msg("winpipe lacks sysconf(_SC_OPEN_MAX)");
    return -1;
#else
    long n;
#ifndef _WIN32
    if (!fdl_lowered) {
        struct rlimit rl;
        assert_ok(getrlimit(RLIMIT_NOFILE, &fdl_saved));
        rl = fdl_saved;
        if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > WP_FD_LIMIT_NATIVE)
            rl.rlim_cur = WP_FD_LIMIT_NATIVE;
        assert_ok(setrlimit(RLIMIT_NOFILE, &rl));
        fdl_lowered = 1;
    }
#endif
    errno = 0;
    n = sysconf(_SC_OPEN_MAX);
    if (n <= 0)
        fail_msg("sysconf(_SC_OPEN_MAX): %ld (errno %d: %s)", n, errno, strerror(errno));
    return n;
#endif
}

int wp_fd_fill(int fd)
{
    int n = 0;
    for (;;) {
        errno = 0;
        int r = dup(fd);
        if (r == -1 && errno == EMFILE)
            return n;
        if (r < 0)
            fail_msg("filling the fd table: dup(%d) after %d new fds (the last %d) returned %d "
                     "(errno %d: %s), expected EMFILE once full", fd, n,
                     fdl_n ? fdl_fds[fdl_n - 1] : -1, r, errno, strerror(errno));
        if (fdl_n == (int)(sizeof fdl_fds / sizeof fdl_fds[0])) {
            close(r);
            fail_msg("filling the fd table: %d fds open and still no EMFILE", fdl_n);
        }
        fdl_fds[fdl_n++] = r;
        n++;
    }
}

int wp_fd_unfill(int n)
{
    int lowest = -1;
    if (n > fdl_n)
        fail_msg("wp_fd_unfill(%d): only %d filled", n, fdl_n);
    while (n-- > 0) {
        int fd = fdl_fds[--fdl_n];
        wp_close(fd);
        if (lowest < 0 || fd < lowest)
            lowest = fd;
    }
    return lowest;
}

static void wp_fd_fill_close(void)
{
    while (fdl_n > 0)
        close(fdl_fds[--fdl_n]);
}

int wp_fd_limit_teardown(void **state)
{
    wp_fd_fill_close();
#ifndef _WIN32
    if (fdl_lowered && setrlimit(RLIMIT_NOFILE, &fdl_saved) == 0)
        fdl_lowered = 0;
#endif
    return wp_teardown(state);
}

/* ------------------------------------------------------------------------------------------ */
/* Pipes                                                                                      */

void wp_pipe(int fds[2], int flags)
{
    wp_progress();
    fds[0] = fds[1] = -1;
    if (flags == 0)
        assert_ok(pipe(fds));
    else
        assert_ok(pipe2(fds, flags));
    assert_true(fds[0] >= 0);
    assert_true(fds[1] >= 0);
    assert_int_not_equal(fds[0], fds[1]);
}

void wp_close(int fd)
{
    wp_progress();
    assert_ok(close(fd));
}

void wp_close_pipe(int fds[2])
{
    wp_close(fds[0]);
    wp_close(fds[1]);
}

void wp_set_nonblock(int fd, int on)
{
    int fl;
    errno = 0;
    fl = fcntl(fd, F_GETFL);
    if (fl == -1)
        fail_msg("fcntl(%d, F_GETFL): %s", fd, strerror(errno));
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    assert_ok(fcntl(fd, F_SETFL, fl));
}

/* ------------------------------------------------------------------------------------------ */
/* Pattern stream                                                                             */

unsigned char wp_pattern(uint64_t off)
{
    /* Multiplicative hash of the offset: any shift, loss or duplication shows up at once. */
    uint64_t x = (off + 1) * UINT64_C(0x9E3779B97F4A7C15);
    x ^= x >> 29;
    return (unsigned char)(x >> 24);
}

void wp_pattern_fill(unsigned char *buf, uint64_t off, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        buf[i] = wp_pattern(off + i);
}

size_t wp_pattern_check(const unsigned char *buf, uint64_t off, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (buf[i] != wp_pattern(off + i))
            return i;
    return n;
}

size_t wp_fill(int wfd, uint64_t off, size_t chunk)
{
    static unsigned char buf[1 << 16];
    size_t total = 0;
    if (chunk == 0 || chunk > sizeof buf)
        fail_msg("wp_fill: bad chunk %zu", chunk);
    for (;;) {
        ssize_t r;
        wp_pattern_fill(buf, off + total, chunk);
        errno = 0;
        r = write(wfd, buf, chunk);
        if (r == -1 && errno == EAGAIN)
            return total;
        if (r <= 0)
            fail_msg("wp_fill: write(%d, %zu) after %zu bytes returned %lld (errno %d: %s)", wfd,
                     chunk, total, (long long)r, errno, strerror(errno));
        if ((size_t)r > chunk)
            fail_msg("wp_fill: write returned %lld for %zu bytes", (long long)r, chunk);
        total += (size_t)r;
        wp_progress();
        if (total > (size_t)64 << 20)
            fail_msg("wp_fill: %zu bytes accepted without EAGAIN", total);
    }
}

size_t wp_drain(int rfd, uint64_t off, int *eof)
{
    static unsigned char buf[1 << 16];
    size_t total = 0;
    if (eof)
        *eof = 0;
    for (;;) {
        ssize_t r;
        size_t bad;
        errno = 0;
        r = read(rfd, buf, sizeof buf);
        if (r == -1 && errno == EAGAIN)
            return total;
        if (r == 0) {
            if (eof)
                *eof = 1;
            return total;
        }
        if (r < 0)
            fail_msg("wp_drain: read(%d) after %zu bytes: errno %d (%s)", rfd, total, errno,
                     strerror(errno));
        if ((size_t)r > sizeof buf)
            fail_msg("wp_drain: read returned %lld for %zu bytes", (long long)r, sizeof buf);
        bad = wp_pattern_check(buf, off + total, (size_t)r);
        if (bad != (size_t)r)
            fail_msg("wp_drain: wrong byte at stream offset %llu: got 0x%02x, expected 0x%02x",
                     (unsigned long long)(off + total + bad), buf[bad],
                     wp_pattern(off + total + bad));
        total += (size_t)r;
        wp_progress();
    }
}

void wp_read_exact(int rfd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r;
        errno = 0;
        r = read(rfd, (char *)buf + got, n - got);
        if (r <= 0)
            fail_msg("wp_read_exact: read(%d, %zu) after %zu of %zu bytes returned %lld "
                     "(errno %d: %s)", rfd, n - got, got, n, (long long)r, errno,
                     strerror(errno));
        got += (size_t)r;
        wp_progress();
    }
}

void wp_write_byte(int fd, unsigned char c)
{
    assert_rc(write(fd, &c, 1), 1);
    wp_progress();
}

unsigned char wp_read_byte(int fd)
{
    unsigned char c = 0;
    assert_rc(read(fd, &c, 1), 1);
    wp_progress();
    return c;
}

/* ------------------------------------------------------------------------------------------ */
/* Time                                                                                       */

double wp_now_ms(void)
{
#ifdef _WIN32
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
#endif
}

void wp_sleep_ms(unsigned ms)
{
#ifdef _WIN32
    Sleep(ms);
#else
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
#endif
}

void wp_backoff(unsigned attempt)
{
    if (attempt < 16) {
        sched_yield();
    } else {
#ifdef _WIN32
        Sleep(0);
        if (attempt > 64)
            Sleep(1);
#else
        struct timespec ts = { 0, 20000L };
        nanosleep(&ts, NULL);
#endif
    }
}
