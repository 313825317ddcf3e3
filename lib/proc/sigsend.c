/* sigsend.c: a signal for another winpipe process, written into that process's signal channel
 * (sigthread.c); and where a process says its channel is.
 *
 * Windows has no way to send a process anything like a signal, and no name is safe to use: any
 * local process could create a named pipe or event first, and read, block or forge what goes
 * through it. So a winpipe process publishes its channel's write end in its own environment
 * block, WINPIPE_SIGNAL=<pid>:<handle>:<check>, overwriting what it inherited. A sender that the
 * system lets open the target with PROCESS_DUP_HANDLE | PROCESS_VM_READ |
 * PROCESS_QUERY_INFORMATION (a process of the same user) reads that block from the target's
 * memory, checks the pid (a value inherited from a winpipe parent names the parent) and the
 * check (the block may be rewritten while it is read), duplicates the handle out of the target,
 * checks that it is a pipe whose server is the target, and writes one record. A process without
 * the variable (not linked with winpipe, or not started that far yet) is left to the caller
 * (kill.c: the signal's default action). */
#include "winpipe-internal.h"
#include <signal.h>
#include <wchar.h>

#define WP_SIGSEND_VAR L"WINPIPE_SIGNAL"
#define WP_SIGSEND_CACHE 8

/* Targets already found: the process handle keeps the pid from naming another process while
 * it is here; a write that fails (the target ended) drops the entry. */
struct wp_sigsend_target {
    DWORD pid;
    HANDLE process, channel;
    unsigned long long used;
};
static SRWLOCK wp_sigsend_lock = SRWLOCK_INIT;
static struct wp_sigsend_target wp_sigsend_cache[WP_SIGSEND_CACHE];
static unsigned long long wp_sigsend_clock;

/* FNV-1a over pid and handle: catches a value read while its process rewrote it. */
static unsigned long long wp_sigsend__check(DWORD pid, unsigned long long handle)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    unsigned char b[12];
    memcpy(b, &pid, 4);
    memcpy(b + 4, &handle, 8);
    for (int i = 0; i < 12; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* At start-up (sigthread.c): where this process's channel is. */
void wp_sigsend_publish(HANDLE channel)
{
    wchar_t v[64];
    DWORD pid = GetCurrentProcessId();
    unsigned long long hv = (unsigned long long)(ULONG_PTR)channel;
    _snwprintf(v, sizeof v / sizeof v[0], L"%lu:%llx:%llx", (unsigned long)pid, hv,
               wp_sigsend__check(pid, hv));
    v[sizeof v / sizeof v[0] - 1] = 0;
    SetEnvironmentVariableW(WP_SIGSEND_VAR, v);
}

/* The channel handle value the target published, if its variable is there and checks. */
static int wp_sigsend__find(HANDLE process, DWORD pid, HANDLE *value)
{
    wchar_t *env;
    size_t len, name = wcslen(WP_SIGSEND_VAR);
    int found = 0;
    if (wp_nt_process_env(process, &env, &len) < 0)
        return 0;
    for (wchar_t *s = env; *s && !found; s += wcslen(s) + 1) {
        unsigned long p;
        unsigned long long hv, check;
        if (wcsncmp(s, WP_SIGSEND_VAR, name) != 0 || s[name] != L'=')
            continue;
        if (swscanf(s + name + 1, L"%lu:%llx:%llx", &p, &hv, &check) == 3 && p == pid
            && check == wp_sigsend__check(pid, hv)) {
            *value = (HANDLE)(ULONG_PTR)hv;
            found = 1;
        }
    }
    free(env);
    return found;
}

/* The target's channel, duplicated here for writing only, if it is what it says it is. */
static HANDLE wp_sigsend__open(HANDLE process, DWORD pid)
{
    HANDLE value, h;
    ULONG server = 0;
    if (!wp_sigsend__find(process, pid, &value)
        || !DuplicateHandle(process, value, GetCurrentProcess(), &h,
                            FILE_WRITE_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, FALSE, 0))
        return NULL;
    if (GetFileType(h) != FILE_TYPE_PIPE || !GetNamedPipeServerProcessId(h, &server)
        || server != pid) {
        CloseHandle(h);
        return NULL;
    }
    return h;
}

/* One record, all of it or nothing (PIPE_NOWAIT). A full channel — 4096 records its process
 * has not read — loses this one, as a standard signal already pending would be lost anyway. */
static int wp_sigsend__write(HANDLE channel, const struct wp_sigrec *rec)
{
    DWORD n = 0;
    return WriteFile(channel, rec, sizeof *rec, &n, NULL) ? 0 : -EPIPE;
}

static void wp_sigsend__drop(struct wp_sigsend_target *t)
{
    CloseHandle(t->channel);
    CloseHandle(t->process);
    memset(t, 0, sizeof *t);
}

/* Cached: the record sent (0), or -ESRCH if pid is not in the cache or its write failed. */
static int wp_sigsend__cached(DWORD pid, const struct wp_sigrec *rec)
{
    int r = -ESRCH;
    AcquireSRWLockExclusive(&wp_sigsend_lock);
    for (int i = 0; i < WP_SIGSEND_CACHE; i++) {
        struct wp_sigsend_target *t = &wp_sigsend_cache[i];
        if (t->pid != pid || !t->process)
            continue;
        if ((r = wp_sigsend__write(t->channel, rec)) == 0)
            t->used = ++wp_sigsend_clock;
        else
            wp_sigsend__drop(t), r = -ESRCH;
        break;
    }
    ReleaseSRWLockExclusive(&wp_sigsend_lock);
    return r;
}

/* Keeps a target found, in place of the one unused longest. */
static void wp_sigsend__keep(DWORD pid, HANDLE process, HANDLE channel)
{
    AcquireSRWLockExclusive(&wp_sigsend_lock);
    struct wp_sigsend_target *old = &wp_sigsend_cache[0];
    for (int i = 1; i < WP_SIGSEND_CACHE; i++)
        if (wp_sigsend_cache[i].used < old->used)
            old = &wp_sigsend_cache[i];
    if (old->process)
        wp_sigsend__drop(old);
    old->pid = pid;
    old->process = process;
    old->channel = channel;
    old->used = ++wp_sigsend_clock;
    ReleaseSRWLockExclusive(&wp_sigsend_lock);
}

/* A child was reaped (wait.c): what was kept for it goes with it, so that its handles do not
 * outlive it. */
void wp_sigsend_forget(DWORD pid)
{
    AcquireSRWLockExclusive(&wp_sigsend_lock);
    for (int i = 0; i < WP_SIGSEND_CACHE; i++)
        if (wp_sigsend_cache[i].process && wp_sigsend_cache[i].pid == pid)
            wp_sigsend__drop(&wp_sigsend_cache[i]);
    ReleaseSRWLockExclusive(&wp_sigsend_lock);
}

/* sig for process pid, from this one (SI_USER): 0 once it is in the target's channel,
 * WP_SIGSEND_NONE if the target has no channel this process can reach (the caller does what
 * it does for a process without winpipe). */
int wp_sigsend(DWORD pid, int sig)
{
    struct wp_sigrec rec = { sig, SI_USER, (int32_t)GetCurrentProcessId(), 0 };
    if (wp_sigsend__cached(pid, &rec) == 0)
        return 0;
    HANDLE process = OpenProcess(PROCESS_DUP_HANDLE | PROCESS_VM_READ
                                     | PROCESS_QUERY_INFORMATION | SYNCHRONIZE,
                                 FALSE, pid);
    if (!process)
        return WP_SIGSEND_NONE;
    HANDLE channel = wp_sigsend__open(process, pid);
    if (!channel || wp_sigsend__write(channel, &rec) < 0) {
        if (channel)
            CloseHandle(channel);
        CloseHandle(process);
        return WP_SIGSEND_NONE;
    }
    wp_sigsend__keep(pid, process, channel);
    return 0;
}
