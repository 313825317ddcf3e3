/* spawn.c: posix_spawn() and posix_spawnp(). The child's fds are computed without touching the
 * parent's: the file actions are replayed on a copy of the fd table, each fd the child keeps is
 * duplicated into a fresh handle, and only those handles are inherited (0-2 as the standard
 * handles, every fd through the C runtime's lpReserved2 block). */
#include "winpipe-internal.h"
#include <signal.h>
#include <stdio.h>
#include <wchar.h>

/* The C runtime's per-fd flags in lpReserved2 (msvcrt and UCRT read the same layout:
 * int count; unsigned char flags[count]; HANDLE handles[count]). */
#define WP_CRT_FOPEN 0x01
#define WP_CRT_FPIPE 0x08
#define WP_CRT_FAPPEND 0x20
#define WP_CRT_FDEV 0x40
#define WP_CRT_FTEXT 0x80

/* The window around CreateProcessW: a spawn's fresh duplicates are inheritable only inside it.
 * Held shared by a spawn whose handles go through PROC_THREAD_ATTRIBUTE_HANDLE_LIST, exclusive
 * by one that must fall back to inheriting every inheritable handle, so that no other spawn's
 * duplicates are inheritable meanwhile. Taken before the fd table lock. */
static SRWLOCK wp_spawn_lock = SRWLOCK_INIT;
static volatile LONG64 wp_spawn_pipe_serial;

/* One fd of the child, as the file actions leave it. */
struct wp_cfd {
    int open, cloexec, append;
    int src_fd;  /* the parent's fd it is a copy of, or -1 */
    HANDLE h;    /* src_fd < 0: a handle an addopen action opened (in struct wp_spawn.owned) */
};

struct wp_spawn {
    struct wp_cfd *fd;
    int n;              /* entries in fd */
    char *cwd;          /* after addchdir/addfchdir, UTF-8; NULL: the parent's */
    HANDLE *owned;      /* handles the actions opened */
    int n_owned;
    HANDLE *dup;        /* per child fd: its fresh handle, or NULL */
    unsigned char *flags;
};

/* ---- pipe pairs that can be given a synchronous child end ---- */

void wp_spawn_pair_locked(int rd_fd, int wr_fd)
{
    LONG64 id = InterlockedIncrement64(&wp_spawn_pipe_serial);
    struct wp_ofd *o;
    if (wp_fd_get_locked(rd_fd, &o) == 0) {
        o->pipe_id = id;
        wp_ofd_unref(o);
    }
    if (wp_fd_get_locked(wr_fd, &o) == 0) {
        o->pipe_id = id;
        wp_ofd_unref(o);
    }
}

/* No I/O ever issued (each kind of operation makes its event on first use), never on poll()'s
 * completion port, never given to a child. */
static int wp_spawn__pristine(struct wp_ofd *o)
{
    return o->kind == WP_PIPE_ASYNC && o->pipe_id && !o->spawned && !o->rd_ev && !o->wr_ev
           && !o->probe.ov.hEvent && o->port_state == 0 && !o->linger_wait;
}

static DWORD wp_spawn__pipe_size(HANDLE server)
{
    struct { ULONG type, config, max_inst, cur_inst, in_quota, read_avail, out_quota,
             write_avail, state, end; } info;
    IO_STATUS_BLOCK iosb;
    if (NtQueryInformationFile(server, &iosb, &info, sizeof info, (FILE_INFORMATION_CLASS)24) < 0
        || info.in_quota == 0)
        return WP_PIPE_SIZE;
    return info.in_quota;
}

/* A temporary fd on a copy of h, for wp_spawn__rebind: made for every parent fd before any is
 * changed, so that running out of handles or fds leaves the pair as it was. */
static int wp_spawn__rebind_prepare(HANDLE h)
{
    HANDLE nh;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &nh, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return wp_last_error();
    int tmp = wp_crt_open_handle(nh, _O_BINARY | _O_NOINHERIT);
    if (tmp < 0)
        CloseHandle(nh);
    return tmp;
}

/* Points parent fd f at tmp's handle (same FD_CLOEXEC), keeping its number: the CRT can only
 * change an fd's handle through _dup2. Table lock held. */
static void wp_spawn__rebind(int f, int tmp, struct wp_ofd *ofd)
{
    DWORD info = 0;
    GetHandleInformation(wp_crt_handle(f), &info);
    int r = wp_crt_dup2(tmp, f);
    wp_crt_close(tmp);
    if (r < 0)
        return; /* only out of memory: f's C runtime handle stays the old pipe's, which a child
                 * spawned later would get instead of this description's pipe */
    SetHandleInformation(wp_crt_handle(f), HANDLE_FLAG_INHERIT, info & HANDLE_FLAG_INHERIT);
    wp_fd_bind_locked(f, wp_crt_handle(f), ofd);
}

/* The common case pipe2 → adddup2 onto the child's fd → close in the parent: an ordinary child
 * wants a synchronous end, and winpipe's are overlapped. A pair nobody has used yet is swapped
 * for a new one whose child end (e) is synchronous; every parent fd of either end is rebound to
 * the new pair, so nothing else changes for the parent. Table lock held. */
static void wp_spawn__swap_pair(struct wp_ofd *e, struct wp_ofd *p, int *parent_fds, int n)
{
    int e_reads = e->accmode == O_RDONLY;
    HANDLE srv, cli, e_h, p_h;
    if (wp_pipe_unnamed(&srv, &cli, wp_spawn__pipe_size(e_reads ? e->h : p->h), e_reads,
                       !e_reads) < 0)
        return;
    e_h = e_reads ? srv : cli;
    p_h = e_reads ? cli : srv;
    int *tmp = malloc((n ? n : 1) * sizeof *tmp);
    int ok = tmp != NULL, filled = 0;
    for (; ok && filled < n; filled++) {
        struct wp_ofd *o;
        tmp[filled] = -1;
        if (wp_fd_get_locked(parent_fds[filled], &o) < 0)
            continue;
        if (o == e || o == p)
            ok = (tmp[filled] = wp_spawn__rebind_prepare(o == e ? e_h : p_h)) >= 0;
        wp_ofd_unref(o);
    }
    if (!ok) { /* no swap: the child gets the overlapped end, as when the pair is not pristine */
        for (int i = 0; i < filled; i++)
            if (tmp[i] >= 0)
                wp_crt_close(tmp[i]);
        free(tmp);
        CloseHandle(srv);
        CloseHandle(cli);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct wp_ofd *o;
        if (tmp[i] < 0)
            continue;
        if (wp_fd_get_locked(parent_fds[i], &o) < 0) {
            wp_crt_close(tmp[i]);
            continue;
        }
        wp_spawn__rebind(parent_fds[i], tmp[i], o);
        wp_ofd_unref(o);
    }
    free(tmp);
    CloseHandle(e->h);
    CloseHandle(p->h);
    e->h = e_h;
    e->kind = WP_PIPE_SYNC;
    p->h = p_h;
}

/* Before the child's handles are made: for each child fd on a pristine winpipe pipe end whose
 * other end is pristine too, the swap above. Table lock held. */
static void wp_spawn__sync_ends(struct wp_spawn *s, int *parent_fds, int n)
{
    for (int i = 0; i < s->n; i++) {
        struct wp_ofd *e, *p = NULL;
        if (!s->fd[i].open || s->fd[i].src_fd < 0 || wp_fd_get_locked(s->fd[i].src_fd, &e) < 0)
            continue;
        for (int j = 0; j < n && wp_spawn__pristine(e) && !p; j++) {
            struct wp_ofd *o;
            if (wp_fd_get_locked(parent_fds[j], &o) < 0)
                continue;
            if (o != e && o->pipe_id == e->pipe_id)
                p = o;
            else
                wp_ofd_unref(o);
        }
        if (p) {
            AcquireSRWLockExclusive(&e->rd_lock);
            AcquireSRWLockExclusive(&e->probe_lock);
            AcquireSRWLockExclusive(&e->wr_lock);
            AcquireSRWLockExclusive(&p->rd_lock);
            AcquireSRWLockExclusive(&p->probe_lock);
            AcquireSRWLockExclusive(&p->wr_lock);
            if (wp_spawn__pristine(e) && wp_spawn__pristine(p))
                wp_spawn__swap_pair(e, p, parent_fds, n);
            ReleaseSRWLockExclusive(&p->wr_lock);
            ReleaseSRWLockExclusive(&p->probe_lock);
            ReleaseSRWLockExclusive(&p->rd_lock);
            ReleaseSRWLockExclusive(&e->wr_lock);
            ReleaseSRWLockExclusive(&e->probe_lock);
            ReleaseSRWLockExclusive(&e->rd_lock);
            p->spawned = 1;
            wp_ofd_unref(p);
        }
        if (e->kind == WP_PIPE_ASYNC || e->kind == WP_PIPE_SYNC)
            e->spawned = 1; /* a child shares this pipe now: never swap it later */
        wp_ofd_unref(e);
    }
}

/* ---- the child's fd table ---- */

static int wp_spawn__grow(struct wp_spawn *s, int fd)
{
    if (fd < s->n)
        return 0;
    int n = fd + 1 > s->n * 2 ? fd + 1 : s->n * 2;
    struct wp_cfd *p = realloc(s->fd, n * sizeof *p);
    if (!p)
        return -ENOMEM;
    memset(p + s->n, 0, (n - s->n) * sizeof *p);
    s->fd = p;
    s->n = n;
    return 0;
}

/* The parent's open fds, as fork would copy them. Table lock held. */
static int wp_spawn__snapshot(struct wp_spawn *s, int **parent_fds, int *n_parent)
{
    int cap = 16;
    *n_parent = 0;
    *parent_fds = malloc(cap * sizeof(int));
    if (!*parent_fds)
        return -ENOMEM;
    for (int fd = 0; fd < WP_FD_MAX; fd++) {
        HANDLE h = wp_crt_handle(fd);
        DWORD info;
        if (h == INVALID_HANDLE_VALUE)
            continue;
        if (wp_spawn__grow(s, fd) < 0)
            return -ENOMEM;
        s->fd[fd].open = 1;
        s->fd[fd].src_fd = fd;
        /* Console pseudo-handles of old Windows have no flags: inherited, like the console. */
        s->fd[fd].cloexec = GetHandleInformation(h, &info) && !(info & HANDLE_FLAG_INHERIT);
        if (*n_parent == cap) {
            int *p = realloc(*parent_fds, (cap *= 2) * sizeof(int));
            if (!p)
                return -ENOMEM;
            *parent_fds = p;
        }
        (*parent_fds)[(*n_parent)++] = fd;
    }
    return 0;
}

/* path as the child would see it: relative to the child's directory after addchdir. */
static int wp_spawn__child_path(struct wp_spawn *s, const char *path, wchar_t **out)
{
    if (strcmp(path, "/dev/null") == 0)
        path = "NUL"; /* ported code's name for it */
    if (!s->cwd || path[0] == '/' || path[0] == '\\' || (path[0] && path[1] == ':')
        || _stricmp(path, "NUL") == 0)
        return wp_utf8_to_wide(path, out);
    size_t n = strlen(s->cwd), m = strlen(path);
    char *joined = malloc(n + m + 2);
    if (!joined)
        return -ENOMEM;
    memcpy(joined, s->cwd, n);
    joined[n] = '\\';
    memcpy(joined + n + 1, path, m + 1);
    int r = wp_utf8_to_wide(joined, out);
    free(joined);
    return r;
}

static int wp_spawn__open(struct wp_spawn *s, const struct winpipe_spawn_action *a)
{
    int acc = a->oflag & O_ACCMODE;
    DWORD access = acc == O_RDONLY ? GENERIC_READ
                 : acc == O_WRONLY ? GENERIC_WRITE : GENERIC_READ | GENERIC_WRITE;
    DWORD disp = OPEN_EXISTING;
    wchar_t *w;

    if (a->oflag & O_APPEND)
        access = (access & ~GENERIC_WRITE) | (FILE_GENERIC_WRITE & ~FILE_WRITE_DATA);
    if ((a->oflag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        disp = CREATE_NEW;
    else if (a->oflag & O_CREAT)
        disp = (a->oflag & O_TRUNC) ? CREATE_ALWAYS : OPEN_ALWAYS;
    else if (a->oflag & O_TRUNC)
        disp = TRUNCATE_EXISTING;
    /* No owner write bit: a read-only file, as the CRT's _open makes it. */
    DWORD attrs = (a->mode & 0200) ? FILE_ATTRIBUTE_NORMAL : FILE_ATTRIBUTE_READONLY;
    /* POSIX opens a directory read-only (for addfchdir, say); Windows only with this flag. */
    if (acc == O_RDONLY)
        attrs |= FILE_FLAG_BACKUP_SEMANTICS;
    int r = wp_spawn__child_path(s, a->path, &w);
    if (r < 0)
        return r;
    HANDLE h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, disp, attrs, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        r = wp_last_error();
        /* POSIX: EISDIR for a directory opened for writing; Windows says access denied. */
        if (r == -EACCES && acc != O_RDONLY && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES
            && (GetFileAttributesW(w) & FILE_ATTRIBUTE_DIRECTORY))
            r = -EISDIR;
        free(w);
        return r;
    }
    free(w);
    HANDLE *p = realloc(s->owned, (s->n_owned + 1) * sizeof *p);
    if (!p || wp_spawn__grow(s, a->fd) < 0) {
        CloseHandle(h);
        if (p)
            s->owned = p;
        return -ENOMEM;
    }
    s->owned = p;
    s->owned[s->n_owned++] = h;
    struct wp_cfd c = { 1, (a->oflag & O_CLOEXEC) != 0, (a->oflag & O_APPEND) != 0, -1, h };
    s->fd[a->fd] = c;
    return 0;
}

/* A \\?\ path (GetFinalPathNameByHandleW's form) as the ordinary one, in place: after \\?\
 * Windows takes '/' for no separator, so relative paths could not be joined to it, and a child
 * should not start in such a directory. */
static void wp_spawn__plain_path(wchar_t *p)
{
    if (wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0)
        memmove(p + 2, p + 8, (wcslen(p + 8) + 1) * sizeof *p); /* \\?\UNC\srv → \\srv */
    else if (wcsncmp(p, L"\\\\?\\", 4) == 0 && p[4] && p[5] == L':')
        memmove(p, p + 4, (wcslen(p + 4) + 1) * sizeof *p);
}

static int wp_spawn__set_cwd(struct wp_spawn *s, const wchar_t *dir)
{
    DWORD attr = GetFileAttributesW(dir);
    if (attr == INVALID_FILE_ATTRIBUTES)
        return wp_last_error();
    if (!(attr & FILE_ATTRIBUTE_DIRECTORY))
        return -ENOTDIR;
    wchar_t full[MAX_PATH * 4];
    DWORD n = GetFullPathNameW(dir, MAX_PATH * 4, full, NULL);
    if (n == 0 || n >= MAX_PATH * 4)
        return -ENAMETOOLONG;
    wp_spawn__plain_path(full);
    int len = WideCharToMultiByte(CP_UTF8, 0, full, -1, NULL, 0, NULL, NULL);
    char *u = malloc(len);
    if (!u)
        return -ENOMEM;
    WideCharToMultiByte(CP_UTF8, 0, full, -1, u, len, NULL, NULL);
    free(s->cwd);
    s->cwd = u;
    return 0;
}

static int wp_spawn__chdir(struct wp_spawn *s, const char *path)
{
    wchar_t *w;
    int r = wp_spawn__child_path(s, path, &w);
    if (r < 0)
        return r;
    r = wp_spawn__set_cwd(s, w);
    free(w);
    return r;
}

static int wp_spawn__fchdir(struct wp_spawn *s, int fd)
{
    BY_HANDLE_FILE_INFORMATION info;
    wchar_t path[MAX_PATH * 4];
    if (fd >= s->n || !s->fd[fd].open)
        return -EBADF;
    HANDLE h = s->fd[fd].src_fd >= 0 ? wp_crt_handle(s->fd[fd].src_fd) : s->fd[fd].h;
    if (!GetFileInformationByHandle(h, &info) || !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return -ENOTDIR;
    DWORD n = GetFinalPathNameByHandleW(h, path, MAX_PATH * 4, 0);
    if (n == 0)
        return wp_last_error();
    if (n >= MAX_PATH * 4)
        return -ENAMETOOLONG;
    return wp_spawn__set_cwd(s, path);
}

/* POSIX: the actions run in order in the child, and the first that fails fails posix_spawn. */
static int wp_spawn__actions(struct wp_spawn *s, const winpipe_posix_spawn_file_actions_t *fa)
{
    for (int i = 0; fa && i < fa->count; i++) {
        const struct winpipe_spawn_action *a = &fa->actions[i];
        int r = 0;
        switch (a->kind) {
        case WP_ACTION_OPEN:
            r = wp_spawn__open(s, a);
            break;
        case WP_ACTION_CLOSE:
            /* Linux (glibc) ignores closing an fd that is not open. */
            if (a->fd < s->n)
                s->fd[a->fd].open = 0;
            break;
        case WP_ACTION_DUP2:
            if (a->fd >= s->n || !s->fd[a->fd].open)
                return -EBADF;
            if ((r = wp_spawn__grow(s, a->newfd)) < 0)
                return r;
            /* POSIX 2024: dup2(fd, fd) clears FD_CLOEXEC in the child. */
            s->fd[a->newfd] = s->fd[a->fd];
            s->fd[a->newfd].cloexec = 0;
            break;
        case WP_ACTION_CHDIR:
            r = wp_spawn__chdir(s, a->path);
            break;
        case WP_ACTION_FCHDIR:
            r = wp_spawn__fchdir(s, a->fd);
            break;
        }
        if (r < 0)
            return r;
    }
    for (int i = 0; i < s->n; i++)
        if (s->fd[i].cloexec)
            s->fd[i].open = 0;
    return 0;
}

static int wp_spawn__is_pseudo(HANDLE h)
{
    return ((ULONG_PTR)h & 3) == 3; /* console pseudo-handles of Windows 7 and older */
}

/* A fresh handle and the CRT flags for each fd the child gets. Table lock held. The handles are
 * not inheritable until the window around CreateProcessW. */
static int wp_spawn__handles(struct wp_spawn *s, int *count)
{
    int n = 3;
    for (int i = 0; i < s->n; i++)
        if (s->fd[i].open)
            n = i + 1;
    s->dup = calloc(n, sizeof *s->dup);
    s->flags = calloc(n, 1);
    if (!s->dup || !s->flags)
        return -ENOMEM;
    *count = n;
    for (int i = 0; i < n && i < s->n; i++) {
        struct wp_cfd *c = &s->fd[i];
        if (!c->open)
            continue;
        HANDLE h = c->src_fd >= 0 ? wp_crt_handle(c->src_fd) : c->h;
        if (wp_spawn__is_pseudo(h))
            s->dup[i] = h;
        else if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &s->dup[i], 0,
                                  FALSE, DUPLICATE_SAME_ACCESS))
            return wp_last_error();
        DWORD type = GetFileType(s->dup[i]);
        s->flags[i] = WP_CRT_FOPEN | (type == FILE_TYPE_PIPE ? WP_CRT_FPIPE : 0)
                    | (type == FILE_TYPE_CHAR ? WP_CRT_FDEV : 0)
                    | (c->append ? WP_CRT_FAPPEND : 0)
                    /* 0-2 in text mode, as a child's C runtime opens them by itself. */
                    | (i <= 2 ? WP_CRT_FTEXT : 0);
    }
    return 0;
}

static void wp_spawn__close_dups(struct wp_spawn *s, int count)
{
    for (int i = 0; s->dup && i < count; i++) {
        if (s->dup[i] && !wp_spawn__is_pseudo(s->dup[i]))
            CloseHandle(s->dup[i]);
        s->dup[i] = NULL;
    }
}

static void wp_spawn__free(struct wp_spawn *s, int count)
{
    wp_spawn__close_dups(s, count);
    for (int i = 0; i < s->n_owned; i++)
        CloseHandle(s->owned[i]);
    free(s->dup);
    free(s->flags);
    free(s->owned);
    free(s->fd);
    free(s->cwd);
}

/* The child's fds: snapshot, actions, synchronous ends, handles. */
static int wp_spawn__fds(struct wp_spawn *s, const winpipe_posix_spawn_file_actions_t *fa,
                         int *count)
{
    int *parent_fds = NULL, n_parent = 0;
    wp_fdtab_lock();
    int r = wp_spawn__snapshot(s, &parent_fds, &n_parent);
    if (r == 0)
        r = wp_spawn__actions(s, fa);
    if (r == 0) {
        wp_spawn__sync_ends(s, parent_fds, n_parent);
        r = wp_spawn__handles(s, count);
    }
    wp_fdtab_unlock();
    free(parent_fds);
    return r;
}

/* ---- the program ---- */

static int wp_spawn__probe(const wchar_t *path)
{
    DWORD a = GetFileAttributesW(path);
    if (a == INVALID_FILE_ATTRIBUTES)
        return WP_PROBE_NONE;
    return (a & FILE_ATTRIBUTE_DIRECTORY) ? WP_PROBE_DIR : WP_PROBE_FILE;
}

static char *wp_spawn__utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *u = n > 0 ? malloc(n) : NULL;
    if (u)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, u, n, NULL, NULL);
    return u;
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
        u = wp_spawn__utf8(w);
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
    return wp_spawn__utf8(both);
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
        return wp_cmdline_argv(argv, cmdline);
    /* A batch file runs in cmd.exe, whose quoting is not the C runtime's. */
    char *script = wp_spawn__utf8(*app);
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
    BYTE *crt;          /* the lpReserved2 block */
    HANDLE *list;       /* the handles to inherit: each fresh duplicate once, no pseudo-handle */
    int n_list;
};

/* The lpReserved2 block: int count; unsigned char flags[count]; HANDLE handles[count]. */
static BYTE *wp_spawn__crt_block(struct wp_spawn *s, int count, WORD *size)
{
    size_t n = sizeof(int) + count + count * sizeof(HANDLE);
    if (n > 0xffff)
        return NULL;
    BYTE *b = malloc(n);
    if (!b)
        return NULL;
    memcpy(b, &count, sizeof(int));
    memcpy(b + sizeof(int), s->flags, count);
    for (int i = 0; i < count; i++) {
        HANDLE h = s->dup[i] ? s->dup[i] : INVALID_HANDLE_VALUE;
        memcpy(b + sizeof(int) + count + i * sizeof(HANDLE), &h, sizeof h);
    }
    *size = (WORD)n;
    return b;
}

static int wp_spawn__cp_init(struct wp_cp *cp, struct wp_spawn *s, int count)
{
    WORD crt_size = 0;
    cp->list = malloc(count * sizeof(HANDLE));
    cp->crt = wp_spawn__crt_block(s, count, &crt_size);
    if (!cp->list || !cp->crt)
        return -ENOMEM;
    for (int i = 0; i < count; i++)
        if (s->dup[i] && !wp_spawn__is_pseudo(s->dup[i]))
            cp->list[cp->n_list++] = s->dup[i];
    cp->si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    cp->si.StartupInfo.hStdInput = s->dup[0];
    cp->si.StartupInfo.hStdOutput = s->dup[1];
    cp->si.StartupInfo.hStdError = s->dup[2];
    cp->si.StartupInfo.cbReserved2 = crt_size;
    cp->si.StartupInfo.lpReserved2 = cp->crt;
    return s->cwd ? wp_utf8_to_wide(s->cwd, &cp->cwd) : 0;
}

static void wp_spawn__cp_free(struct wp_cp *cp)
{
    if (cp->si.lpAttributeList) {
        DeleteProcThreadAttributeList(cp->si.lpAttributeList);
        free(cp->si.lpAttributeList);
    }
    free(cp->list);
    free(cp->crt);
    free(cp->cwd);
    free(cp->app);
    free(cp->cmdline);
    free(cp->env);
}

/* PROC_THREAD_ATTRIBUTE_HANDLE_LIST over cp->list; 0, or -1 if the system has none. */
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
    if (!UpdateProcThreadAttribute(a, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, cp->list,
                                   cp->n_list * sizeof(HANDLE), NULL, NULL))
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
 * failed, not the program, so it is tried once more. */
static DWORD wp_spawn__create_process(struct wp_cp *cp, BOOL inherit, DWORD flags,
                                      STARTUPINFOW *si, PROCESS_INFORMATION *pi)
{
    DWORD r = 0;
    for (int tries = 0; tries < 2; tries++) {
        if (CreateProcessW(cp->app, cp->cmdline, NULL, NULL, inherit, flags, cp->env, cp->cwd,
                           si, pi))
            return 0;
        if ((r = GetLastError()) != ERROR_INTERNAL_ERROR)
            break;
    }
    return r;
}

/* Inside the window (wp_spawn_lock held): the duplicates are inheritable for CreateProcessW
 * only, and gone (closed on success: the child has its copies) or non-inheritable again before
 * the window ends. */
static DWORD wp_spawn__in_window(struct wp_spawn *s, int count, struct wp_cp *cp, int with_list,
                                 PROCESS_INFORMATION *pi)
{
    STARTUPINFOEXW si = cp->si;
    if (!wp_spawn__inherit(cp->list, cp->n_list, TRUE))
        return GetLastError();
    si.StartupInfo.cb = with_list ? sizeof si : sizeof si.StartupInfo;
    DWORD r = wp_spawn__create_process(cp, TRUE,
                                       cp->flags | (with_list ? EXTENDED_STARTUPINFO_PRESENT : 0),
                                       &si.StartupInfo, pi);
    if (r == 0)
        wp_spawn__close_dups(s, count);
    else
        wp_spawn__inherit(cp->list, cp->n_list, FALSE);
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
        if (h == INVALID_HANDLE_VALUE || wp_spawn__is_pseudo(h) || !GetHandleInformation(h, &info)
            || !(info & HANDLE_FLAG_INHERIT))
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

static int wp_spawn__fallback(struct wp_spawn *s, int count, struct wp_cp *cp,
                              PROCESS_INFORMATION *pi)
{
    HANDLE *hidden;
    int n_hidden;
    AcquireSRWLockExclusive(&wp_spawn_lock);
    wp_fdtab_lock();
    int r = wp_spawn__hide_fds(&hidden, &n_hidden);
    if (r == 0) {
        r = wp_spawn__errno(wp_spawn__in_window(s, count, cp, 0, pi));
        wp_spawn__inherit(hidden, n_hidden, TRUE);
    }
    free(hidden);
    wp_fdtab_unlock();
    ReleaseSRWLockExclusive(&wp_spawn_lock);
    return r;
}

static int wp_spawn__create(struct wp_spawn *s, int count, struct wp_cp *cp,
                            PROCESS_INFORMATION *pi)
{
    DWORD r = ERROR_INVALID_PARAMETER;
    if (cp->n_list == 0) {
        /* Nothing to inherit (0-2 closed, no other fd): no window needed. */
        cp->si.StartupInfo.cb = sizeof cp->si.StartupInfo;
        return wp_spawn__errno(wp_spawn__create_process(cp, FALSE, cp->flags,
                                                        &cp->si.StartupInfo, pi));
    }
    if (!wp_spawn__force_no_list() && wp_spawn__attr_list(cp) == 0) {
        AcquireSRWLockShared(&wp_spawn_lock);
        r = wp_spawn__in_window(s, count, cp, 1, pi);
        ReleaseSRWLockShared(&wp_spawn_lock);
    }
    /* Refused (a system without the list, or one handle it will not take): the fallback. */
    if (r == ERROR_INVALID_PARAMETER)
        return wp_spawn__fallback(s, count, cp, pi);
    return wp_spawn__errno(r);
}

static int wp_spawn(pid_t *pid, const char *file, const winpipe_posix_spawn_file_actions_t *fa,
                    const winpipe_posix_spawnattr_t *attr, char *const argv[], char *const envp[],
                    int search)
{
    struct wp_spawn s = { 0 };
    struct wp_cp cp = { 0 };
    struct wp_child *child;
    PROCESS_INFORMATION pi;
    int count = 0, r;
    short aflags = attr ? attr->flags : 0;

    if (!file || !argv)
        return -EINVAL;
    if (aflags & (WINPIPE_POSIX_SPAWN_SETSCHEDPARAM | WINPIPE_POSIX_SPAWN_SETSCHEDULER))
        return -ENOSYS;
    /* Windows can start a process group (its console group), not join one. */
    if ((aflags & WINPIPE_POSIX_SPAWN_SETPGROUP) && attr->pgroup != 0)
        return -EPERM;
    cp.flags = CREATE_UNICODE_ENVIRONMENT;
    if (aflags & (WINPIPE_POSIX_SPAWN_SETPGROUP | WINPIPE_POSIX_SPAWN_SETSID))
        cp.flags |= CREATE_NEW_PROCESS_GROUP;
    wp_init();
    /* The child's record first: once the child runs, nothing may fail. */
    if (!(child = wp_wait_new()))
        return -ENOMEM;
    r = wp_spawn__fds(&s, fa, &count);
    if (r == 0)
        r = wp_spawn__program(file, search, s.cwd, argv, &cp.app, &cp.cmdline);
    /* envp == environ: the parent's own environment, exactly (UTF-16, as Windows keeps it). */
    if (r == 0 && envp != _environ)
        r = wp_cmdline_env(envp, &cp.env);
    if (r == 0)
        r = wp_spawn__cp_init(&cp, &s, count);
    if (r == 0)
        r = wp_spawn__create(&s, count, &cp, &pi);
    wp_spawn__cp_free(&cp);
    wp_spawn__free(&s, count);
    if (r < 0) {
        wp_wait_discard(child);
        return r;
    }
    CloseHandle(pi.hThread);
    if (pid)
        *pid = (pid_t)pi.dwProcessId;
    wp_wait_add(child, pi.dwProcessId, pi.hProcess, (cp.flags & CREATE_NEW_PROCESS_GROUP) != 0);
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
