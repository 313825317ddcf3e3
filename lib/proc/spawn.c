/* spawn.c: posix_spawn() and posix_spawnp(): the program and its command line (cmdline.c), the
 * child's fds (spawn_fds.c), its process group (pgroup.c), and the window around CreateProcessW
 * in which only the child's own fresh handles are inheritable. The child goes into the child
 * table (wait.c). */
#include "winpipe-internal.h"
#include <signal.h>
#include <stdio.h>
#include <wchar.h>

/* The window around CreateProcessW: a spawn's fresh duplicates are inheritable only inside it.
 * Held shared by a spawn whose handles go through PROC_THREAD_ATTRIBUTE_HANDLE_LIST, exclusive
 * by one that must fall back to inheriting every inheritable handle, so that no other spawn's
 * duplicates are inheritable meanwhile.
 *
 * winpipe's lock order, from this lock, the outermost, inwards; a thread holding one takes only
 * locks further down the list:
 *   1. this window lock (spawn.c)
 *   2. the fd table's lock (fd/fdtab.c)
 *   3. an overlapped end's rd_lock, then its probe_lock (ofd/opipe.c); poll's port join takes
 *      opipe.c's join lock just before a probe_lock
 *   4. an overlapped end's wr_lock, then the write-behind list's lock (ofd/wb.c)
 *   5. the child table's lock (proc/wait.c), taken with none of the above held. */
static SRWLOCK wp_spawn_lock = SRWLOCK_INIT;

/* ---- the program ---- */

static int wp_spawn__probe(const wchar_t *path)
{
    DWORD a = GetFileAttributesW(path);
    if (a == INVALID_FILE_ATTRIBUTES)
        return WP_PROBE_NONE;
    return (a & FILE_ATTRIBUTE_DIRECTORY) ? WP_PROBE_DIR : WP_PROBE_FILE;
}

/* An environment variable of this process, UTF-8, or NULL. */
static char *wp_spawn__getenv(const wchar_t *name)
{
    DWORD n = GetEnvironmentVariableW(name, NULL, 0);
    if (n == 0)
        return NULL;
    wchar_t *w = malloc(n * sizeof *w);
    char *u = NULL;
    if (w && GetEnvironmentVariableW(name, w, n) < n)
        u = wp_win32_wide_to_utf8(w);
    free(w);
    return u;
}

/* POSIX leaves the search path without PATH to the implementation: Windows' own directories. */
static char *wp_spawn__default_path(void)
{
    wchar_t sys[MAX_PATH], win[MAX_PATH], both[2 * MAX_PATH + 2];
    if (!GetSystemDirectoryW(sys, MAX_PATH) || !GetWindowsDirectoryW(win, MAX_PATH))
        return NULL;
    _snwprintf(both, 2 * MAX_PATH + 2, L"%ls;%ls", sys, win);
    return wp_win32_wide_to_utf8(both);
}

/* POSIX: ENOEXEC for a file that is not an executable of this system. Windows would say so
 * itself (ERROR_BAD_EXE_FORMAT) for any file without the "MZ" of a Windows executable — but
 * Wine starts a Linux program named through Z: (posix_spawn("/bin/sh")) as a Unix process and
 * hands back no Windows process to wait on, so the file is looked at first. */
static int wp_spawn__check_exe(const wchar_t *app)
{
    char mz[2];
    DWORD got = 0;
    HANDLE h = CreateFileW(app, GENERIC_READ,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return wp_last_error();
    BOOL ok = ReadFile(h, mz, sizeof mz, &got, NULL);
    CloseHandle(h);
    if (!ok)
        return wp_last_error();
    return got == 2 && mz[0] == 'M' && mz[1] == 'Z' ? 0 : -ENOEXEC;
}

/* The application name and command line for CreateProcessW. */
static int wp_spawn__program(const char *file, int search, const char *cwd, char *const argv[],
                             wchar_t **app, wchar_t **cmdline)
{
    char *path = search ? wp_spawn__getenv(L"PATH") : NULL;
    char *pathext = wp_spawn__getenv(L"PATHEXT");
    if (search && !path)
        path = wp_spawn__default_path();
    int r = wp_cmdline_search(file, search, path, pathext, cwd, wp_spawn__probe, app);
    free(path);
    free(pathext);
    if (r < 0)
        return r;
    if (!wp_cmdline_is_batch(*app))
        return (r = wp_spawn__check_exe(*app)) < 0 ? r : wp_cmdline_argv(argv, cmdline);
    /* A batch file runs in cmd.exe, whose quoting is not the C runtime's. */
    char *script = wp_win32_wide_to_utf8(*app);
    wchar_t comspec[MAX_PATH + 16];
    r = script ? wp_cmdline_batch(script, argv, cmdline) : -ENOMEM;
    free(script);
    free(*app);
    *app = NULL;
    UINT n = GetSystemDirectoryW(comspec, MAX_PATH);
    if (r < 0 || n == 0 || n >= MAX_PATH)
        return r < 0 ? r : -ENOENT;
    wcscat(comspec, L"\\cmd.exe");
    *app = _wcsdup(comspec);
    return *app ? 0 : -ENOMEM;
}

/* ---- CreateProcessW ---- */

/* What CreateProcessW gets. */
struct wp_cp {
    wchar_t *app, *cmdline, *env, *cwd;
    DWORD flags;
    STARTUPINFOEXW si;
    struct wp_spawn_fds fds; /* the child's fds, and the handles to inherit */
};

static int wp_spawn__cp_init(struct wp_cp *cp)
{
    cp->si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    cp->si.StartupInfo.hStdInput = cp->fds.std[0];
    cp->si.StartupInfo.hStdOutput = cp->fds.std[1];
    cp->si.StartupInfo.hStdError = cp->fds.std[2];
    cp->si.StartupInfo.cbReserved2 = cp->fds.crt_size;
    cp->si.StartupInfo.lpReserved2 = cp->fds.crt;
    return cp->fds.cwd ? wp_win32_utf8_to_wide(cp->fds.cwd, &cp->cwd) : 0;
}

static void wp_spawn__cp_free(struct wp_cp *cp)
{
    if (cp->si.lpAttributeList) {
        DeleteProcThreadAttributeList(cp->si.lpAttributeList);
        free(cp->si.lpAttributeList);
    }
    wp_spawn_fds_free(&cp->fds);
    free(cp->cwd);
    free(cp->app);
    free(cp->cmdline);
    free(cp->env);
}

/* PROC_THREAD_ATTRIBUTE_HANDLE_LIST over the child's handles; 0, or -1 if the system has none. */
static int wp_spawn__attr_list(struct wp_cp *cp)
{
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(NULL, 1, 0, &size);
    LPPROC_THREAD_ATTRIBUTE_LIST a = malloc(size);
    if (!a)
        return -1;
    if (!InitializeProcThreadAttributeList(a, 1, 0, &size)) {
        free(a);
        return -1;
    }
    cp->si.lpAttributeList = a;
    if (!UpdateProcThreadAttribute(a, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, cp->fds.inherit,
                                   cp->fds.n_inherit * sizeof(HANDLE), NULL, NULL))
        return -1;
    return 0;
}

/* Test knob, read per call like WINPIPE_FORCE_NAMED_PIPE in pipe.c:
 * WINPIPE_FORCE_NO_HANDLE_LIST=1 takes the fallback, which Wine never needs. */
static int wp_spawn__force_no_list(void)
{
    char v[2];
    return GetEnvironmentVariableA("WINPIPE_FORCE_NO_HANDLE_LIST", v, sizeof v) == 1
           && v[0] == '1';
}

/* Makes handles inheritable (on) or not; on failure none is. */
static BOOL wp_spawn__inherit(HANDLE *h, int n, BOOL on)
{
    for (int i = 0; i < n; i++) {
        if (!SetHandleInformation(h[i], HANDLE_FLAG_INHERIT, on ? HANDLE_FLAG_INHERIT : 0)) {
            DWORD e = GetLastError();
            wp_spawn__inherit(h, i, FALSE);
            SetLastError(e);
            return FALSE;
        }
    }
    return TRUE;
}

/* CreateProcessW; 0 or the Win32 error. Wine's now and then fails with ERROR_INTERNAL_ERROR
 * (1359) on a busy machine (seen in about one run in fifteen of the spawn tests): the start
 * failed, not the program, so it is tried once more. A child leaving the caller's job for a
 * group of its own is refused (ERROR_ACCESS_DENIED) if a job of the caller's forbids breaking
 * away: it then starts inside the caller's jobs, where its own job nests (pgroup.c). */
static DWORD wp_spawn__create_process(struct wp_cp *cp, BOOL inherit, DWORD flags,
                                      STARTUPINFOW *si, PROCESS_INFORMATION *pi)
{
    int again = 1;
    for (;;) {
        if (CreateProcessW(cp->app, cp->cmdline, NULL, NULL, inherit, flags, cp->env, cp->cwd,
                           si, pi))
            return 0;
        DWORD r = GetLastError();
        if (r == ERROR_ACCESS_DENIED && (flags & CREATE_BREAKAWAY_FROM_JOB))
            flags &= ~CREATE_BREAKAWAY_FROM_JOB;
        else if (r != ERROR_INTERNAL_ERROR || !again--)
            return r;
    }
}

/* Inside the window (wp_spawn_lock held): the duplicates are inheritable for CreateProcessW
 * only, and gone (closed on success: the child has its copies) or non-inheritable again before
 * the window ends. */
static DWORD wp_spawn__in_window(struct wp_cp *cp, int with_list, PROCESS_INFORMATION *pi)
{
    STARTUPINFOEXW si = cp->si;
    if (!wp_spawn__inherit(cp->fds.inherit, cp->fds.n_inherit, TRUE))
        return GetLastError();
    si.StartupInfo.cb = with_list ? sizeof si : sizeof si.StartupInfo;
    DWORD r = wp_spawn__create_process(cp, TRUE,
                                       cp->flags | (with_list ? EXTENDED_STARTUPINFO_PRESENT : 0),
                                       &si.StartupInfo, pi);
    if (r == 0)
        wp_spawn_fds_started(&cp->fds);
    else
        wp_spawn__inherit(cp->fds.inherit, cp->fds.n_inherit, FALSE);
    return r;
}

/* The fallback inherits every inheritable handle of the process. Under the exclusive lock no
 * other spawn's duplicate is inheritable; under the table lock no fd changes, and the handles
 * behind the parent's fds without FD_CLOEXEC are made non-inheritable for the call (*hidden,
 * to restore after), so that the child gets its own duplicates and nothing else of ours. */
static int wp_spawn__hide_fds(HANDLE **hidden, int *n)
{
    int cap = 0;
    *hidden = NULL;
    *n = 0;
    for (int fd = 0; fd < WP_FD_MAX; fd++) {
        HANDLE h = wp_crt_handle(fd);
        DWORD info;
        if (h == INVALID_HANDLE_VALUE || wp_win32_is_pseudo_handle(h)
            || !GetHandleInformation(h, &info) || !(info & HANDLE_FLAG_INHERIT))
            continue; /* (0-2 may share one handle: hidden once, at the first) */
        if (*n == cap) {
            HANDLE *p = realloc(*hidden, (cap = cap ? cap * 2 : 16) * sizeof *p);
            if (!p) {
                wp_spawn__inherit(*hidden, *n, TRUE);
                return -ENOMEM;
            }
            *hidden = p;
        }
        if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0)) {
            int r = wp_last_error();
            wp_spawn__inherit(*hidden, *n, TRUE);
            return r;
        }
        (*hidden)[(*n)++] = h;
    }
    return 0;
}

static int wp_spawn__errno(DWORD err)
{
    if (err == 740 /* ERROR_ELEVATION_REQUIRED */)
        return -EACCES;
    return err ? -wp_errno_from_win32(err) : 0;
}

static int wp_spawn__fallback(struct wp_cp *cp, PROCESS_INFORMATION *pi)
{
    HANDLE *hidden;
    int n_hidden;
    AcquireSRWLockExclusive(&wp_spawn_lock);
    wp_fdtab_lock();
    int r = wp_spawn__hide_fds(&hidden, &n_hidden);
    if (r == 0) {
        r = wp_spawn__errno(wp_spawn__in_window(cp, 0, pi));
        wp_spawn__inherit(hidden, n_hidden, TRUE);
    }
    free(hidden);
    wp_fdtab_unlock();
    ReleaseSRWLockExclusive(&wp_spawn_lock);
    return r;
}

static int wp_spawn__create(struct wp_cp *cp, PROCESS_INFORMATION *pi)
{
    DWORD r = ERROR_INVALID_PARAMETER;
    if (cp->fds.n_inherit == 0) {
        /* Nothing to inherit (0-2 closed, no other fd): no window needed. */
        cp->si.StartupInfo.cb = sizeof cp->si.StartupInfo;
        return wp_spawn__errno(wp_spawn__create_process(cp, FALSE, cp->flags,
                                                        &cp->si.StartupInfo, pi));
    }
    if (!wp_spawn__force_no_list() && wp_spawn__attr_list(cp) == 0) {
        AcquireSRWLockShared(&wp_spawn_lock);
        r = wp_spawn__in_window(cp, 1, pi);
        ReleaseSRWLockShared(&wp_spawn_lock);
    }
    /* Refused (a system without the list, or one handle it will not take): the fallback. */
    if (r == ERROR_INVALID_PARAMETER)
        return wp_spawn__fallback(cp, pi);
    return wp_spawn__errno(r);
}

static int wp_spawn(pid_t *pid, const char *file, const winpipe_posix_spawn_file_actions_t *fa,
                    const winpipe_posix_spawnattr_t *attr, char *const argv[], char *const envp[],
                    int search)
{
    struct wp_cp cp = { 0 };
    struct wp_child *child;
    struct wp_pgroup_spawn group;
    PROCESS_INFORMATION pi = { 0 };
    int r;
    short aflags = attr ? attr->flags : 0;

    if (!file || !argv)
        return -EINVAL;
    if (aflags & (WINPIPE_POSIX_SPAWN_SETSCHEDPARAM | WINPIPE_POSIX_SPAWN_SETSCHEDULER))
        return -ENOSYS;
    if ((r = wp_pgroup_plan(aflags, attr ? attr->pgroup : 0, &group)) < 0)
        return r;
    cp.flags = CREATE_UNICODE_ENVIRONMENT | group.flags;
    /* The child's record first: once the child runs, nothing may fail. */
    if (!(child = wp_wait_new())) {
        wp_pgroup_plan_free(&group);
        return -ENOMEM;
    }
    wp_signal_spawn_state(attr, &cp.fds.sig_mask, &cp.fds.sig_ign);
    r = wp_spawn_fds_make(&cp.fds, fa, group.pgid, group.job);
    if (r == 0)
        r = wp_spawn__program(file, search, cp.fds.cwd, argv, &cp.app, &cp.cmdline);
    /* envp == environ: the parent's own environment, exactly (UTF-16, as Windows keeps it). */
    if (r == 0 && envp != _environ)
        r = wp_cmdline_env(envp, &cp.env);
    if (r == 0)
        r = wp_spawn__cp_init(&cp);
    if (r == 0)
        r = wp_spawn__create(&cp, &pi);
    if (r == 0 && !pi.hProcess) {
        /* started, but as nothing Windows can wait for (see check_exe) */
        if (pi.hThread)
            CloseHandle(pi.hThread);
        r = -ENOEXEC;
    }
    wp_spawn__cp_free(&cp);
    if (r < 0) {
        wp_wait_discard(child);
        wp_pgroup_plan_free(&group);
        return r;
    }
    DWORD pgid = group.pgid ? group.pgid : pi.dwProcessId;
    wp_pgroup_place(&group, pi.hProcess, pi.hThread, pi.dwProcessId);
    CloseHandle(pi.hThread);
    if (pid)
        *pid = (pid_t)pi.dwProcessId;
    wp_wait_add(child, pi.dwProcessId, pi.hProcess, pgid,
                (cp.flags & CREATE_NEW_PROCESS_GROUP) != 0);
    return 0;
}

/* WINPIPE_TRACE: the call with its program, the first arguments and the new pid. */
static int wp_spawn__trace(int err, const char *name, pid_t *pid, const char *file,
                           const void *fa, const void *attr, char *const argv[])
{
    char args[256];
    size_t len = 0;
    if (!wp_tracing())
        return err;
    args[0] = 0;
    for (int i = 0; argv && argv[i] && i < 4 && len < sizeof args; i++)
        len += (size_t)snprintf(args + len, sizeof args - len, "%s\"%.48s\"", i ? ", " : "",
                                argv[i]);
    if (argv && argv[0] && argv[1] && argv[2] && argv[3] && argv[4] && len < sizeof args)
        snprintf(args + len, sizeof args - len, ", ...");
    return wp_trace_err(err, "%s(pid -> %d, \"%s\", fa 0x%llx, attr 0x%llx, [%s])", name,
                        !err && pid ? (int)*pid : -1, file ? file : "(null)", WP_TRACE_PTR(fa),
                        WP_TRACE_PTR(attr), args);
}

int winpipe_posix_spawn(pid_t *pid, const char *path,
                        const winpipe_posix_spawn_file_actions_t *file_actions,
                        const winpipe_posix_spawnattr_t *attr, char *const argv[],
                        char *const envp[])
{
    int err = -wp_spawn(pid, path, file_actions, attr, argv, envp, 0);
    return wp_spawn__trace(err, "posix_spawn", pid, path, file_actions, attr, argv);
}

int winpipe_posix_spawnp(pid_t *pid, const char *file,
                         const winpipe_posix_spawn_file_actions_t *file_actions,
                         const winpipe_posix_spawnattr_t *attr, char *const argv[],
                         char *const envp[])
{
    int err = -wp_spawn(pid, file, file_actions, attr, argv, envp, 1);
    return wp_spawn__trace(err, "posix_spawnp", pid, file, file_actions, attr, argv);
}

