/* spawn_fds.c: the child's fd table and how the child receives it. It is computed without
 * touching the parent's: the file actions are replayed on a copy of the fd table (as fork would
 * copy it), each fd the child keeps is duplicated into a fresh handle, and only those handles are
 * inherited: 0-2 as the standard handles, every fd through the C runtime's lpReserved2 block.
 * The block also tells a winpipe child its process group, whose job it inherits. */
#include "winpipe-internal.h"
#include <wchar.h>

/* The C runtime's per-fd flags in lpReserved2 (msvcrt and UCRT read the same layout:
 * int count; unsigned char flags[count]; HANDLE handles[count]). */
#define WP_CRT_FOPEN 0x01
#define WP_CRT_FPIPE 0x08
#define WP_CRT_FAPPEND 0x20
#define WP_CRT_FDEV 0x40
#define WP_CRT_FTEXT 0x80

/* One fd of the child, as the file actions leave it. */
struct wp_cfd {
    int open, cloexec, append, nonblock; /* nonblock: an addopen's O_NONBLOCK */
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
    unsigned char *flags;   /* per child fd: the C runtime's flags */
    unsigned char *wpflags; /* per child fd: WP_INHERIT_* (base/inherit.c) */
    int count;          /* entries in dup and flags: the child's fd table */
    DWORD pgid;         /* the child's process group (0: one it leads) */
    HANDLE job;         /* a fresh duplicate of the group's job for the child, or NULL */
};

static int wp_spawn_fds__grow(struct wp_spawn *s, int fd)
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
static int wp_spawn_fds__snapshot(struct wp_spawn *s, int **parent_fds, int *n_parent)
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
        if (wp_spawn_fds__grow(s, fd) < 0)
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
static int wp_spawn_fds__child_path(struct wp_spawn *s, const char *path, wchar_t **out)
{
    if (strcmp(path, "/dev/null") == 0)
        path = "NUL"; /* ported code's name for it */
    if (!s->cwd || path[0] == '/' || path[0] == '\\' || (path[0] && path[1] == ':')
        || _stricmp(path, "NUL") == 0)
        return wp_win32_utf8_to_wide(path, out);
    size_t n = strlen(s->cwd), m = strlen(path);
    char *joined = malloc(n + m + 2);
    if (!joined)
        return -ENOMEM;
    memcpy(joined, s->cwd, n);
    joined[n] = '\\';
    memcpy(joined + n + 1, path, m + 1);
    int r = wp_win32_utf8_to_wide(joined, out);
    free(joined);
    return r;
}

static int wp_spawn_fds__open(struct wp_spawn *s, const struct winpipe_spawn_action *a)
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
    int r = wp_spawn_fds__child_path(s, a->path, &w);
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
    if (!p || wp_spawn_fds__grow(s, a->fd) < 0) {
        CloseHandle(h);
        if (p)
            s->owned = p;
        return -ENOMEM;
    }
    s->owned = p;
    s->owned[s->n_owned++] = h;
    struct wp_cfd c = { 1, (a->oflag & O_CLOEXEC) != 0, (a->oflag & O_APPEND) != 0,
                        (a->oflag & O_NONBLOCK) != 0, -1, h };
    s->fd[a->fd] = c;
    return 0;
}

/* A \\?\ path (GetFinalPathNameByHandleW's form) as the ordinary one, in place: after \\?\
 * Windows takes '/' for no separator, so relative paths could not be joined to it, and a child
 * should not start in such a directory. */
static void wp_spawn_fds__plain_path(wchar_t *p)
{
    if (wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0)
        memmove(p + 2, p + 8, (wcslen(p + 8) + 1) * sizeof *p); /* \\?\UNC\srv → \\srv */
    else if (wcsncmp(p, L"\\\\?\\", 4) == 0 && p[4] && p[5] == L':')
        memmove(p, p + 4, (wcslen(p + 4) + 1) * sizeof *p);
}

static int wp_spawn_fds__set_cwd(struct wp_spawn *s, const wchar_t *dir)
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
    wp_spawn_fds__plain_path(full);
    char *u = wp_win32_wide_to_utf8(full);
    if (!u)
        return -ENOMEM;
    free(s->cwd);
    s->cwd = u;
    return 0;
}

static int wp_spawn_fds__chdir(struct wp_spawn *s, const char *path)
{
    wchar_t *w;
    int r = wp_spawn_fds__child_path(s, path, &w);
    if (r < 0)
        return r;
    r = wp_spawn_fds__set_cwd(s, w);
    free(w);
    return r;
}

static int wp_spawn_fds__fchdir(struct wp_spawn *s, int fd)
{
    BY_HANDLE_FILE_INFORMATION info;
    wchar_t path[MAX_PATH * 4];
    if (fd >= s->n || !s->fd[fd].open)
        return -EBADF;
    HANDLE h = s->fd[fd].src_fd >= 0 ? wp_crt_handle(s->fd[fd].src_fd) : s->fd[fd].h;
    if (!GetFileInformationByHandle(h, &info)
        || !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return -ENOTDIR;
    DWORD n = GetFinalPathNameByHandleW(h, path, MAX_PATH * 4, 0);
    if (n == 0)
        return wp_last_error();
    if (n >= MAX_PATH * 4)
        return -ENAMETOOLONG;
    return wp_spawn_fds__set_cwd(s, path);
}

/* POSIX: the actions run in order in the child, and the first that fails fails posix_spawn. */
static int wp_spawn_fds__actions(struct wp_spawn *s, const winpipe_posix_spawn_file_actions_t *fa)
{
    for (int i = 0; fa && i < fa->count; i++) {
        const struct winpipe_spawn_action *a = &fa->actions[i];
        int r = 0;
        switch (a->kind) {
        case WP_ACTION_OPEN:
            r = wp_spawn_fds__open(s, a);
            break;
        case WP_ACTION_CLOSE:
            /* Linux (glibc) ignores closing an fd that is not open. */
            if (a->fd < s->n)
                s->fd[a->fd].open = 0;
            break;
        case WP_ACTION_DUP2:
            if (a->fd >= s->n || !s->fd[a->fd].open)
                return -EBADF;
            if ((r = wp_spawn_fds__grow(s, a->newfd)) < 0)
                return r;
            /* POSIX 2024: dup2(fd, fd) clears FD_CLOEXEC in the child. */
            s->fd[a->newfd] = s->fd[a->fd];
            s->fd[a->newfd].cloexec = 0;
            break;
        case WP_ACTION_CHDIR:
            r = wp_spawn_fds__chdir(s, a->path);
            break;
        case WP_ACTION_FCHDIR:
            r = wp_spawn_fds__fchdir(s, a->fd);
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

/* POSIX: the child shares the description, and its O_NONBLOCK, as it is now. Table lock held. */
static int wp_spawn_fds__nonblock(const struct wp_cfd *c)
{
    struct wp_ofd *o;
    if (c->src_fd < 0)
        return c->nonblock;
    if (wp_fdtab_get_locked(c->src_fd, &o) < 0)
        return 0;
    int nonblock = o->nonblock != 0;
    wp_ofd_unref(o);
    return nonblock;
}

/* A fresh handle and the CRT flags for each fd the child gets. Table lock held. The handles are
 * not inheritable until the window around CreateProcessW. */
static int wp_spawn_fds__handles(struct wp_spawn *s)
{
    int n = 3;
    for (int i = 0; i < s->n; i++)
        if (s->fd[i].open)
            n = i + 1;
    s->dup = calloc(n, sizeof *s->dup);
    s->flags = calloc(n, 1);
    s->wpflags = calloc(n, 1);
    if (!s->dup || !s->flags || !s->wpflags)
        return -ENOMEM;
    s->count = n;
    for (int i = 0; i < n && i < s->n; i++) {
        struct wp_cfd *c = &s->fd[i];
        if (!c->open)
            continue;
        HANDLE h = c->src_fd >= 0 ? wp_crt_handle(c->src_fd) : c->h;
        if (wp_win32_is_pseudo_handle(h))
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
        if (wp_spawn_fds__nonblock(c))
            s->wpflags[i] = WP_INHERIT_NONBLOCK;
    }
    return 0;
}

static void wp_spawn_fds__close_dups(struct wp_spawn *s)
{
    for (int i = 0; s->dup && i < s->count; i++) {
        if (s->dup[i] && !wp_win32_is_pseudo_handle(s->dup[i]))
            CloseHandle(s->dup[i]);
        s->dup[i] = NULL;
    }
    if (s->job)
        CloseHandle(s->job);
    s->job = NULL;
}

/* The lpReserved2 block: int count; unsigned char flags[count]; HANDLE handles[count]; then
 * winpipe's own part (base/inherit.c). */
static BYTE *wp_spawn_fds__crt_block(struct wp_spawn *s, const struct wp_spawn_fds *c, WORD *size)
{
    size_t crt = sizeof(int) + s->count + s->count * sizeof(HANDLE);
    size_t n = crt + wp_inherit_size(s->count);
    if (n > 0xffff)
        return NULL;
    BYTE *b = malloc(n);
    if (!b)
        return NULL;
    memcpy(b, &s->count, sizeof(int));
    memcpy(b + sizeof(int), s->flags, s->count);
    for (int i = 0; i < s->count; i++) {
        HANDLE h = s->dup[i] ? s->dup[i] : INVALID_HANDLE_VALUE;
        memcpy(b + sizeof(int) + s->count + i * sizeof(HANDLE), &h, sizeof h);
    }
    struct wp_inherit_proc proc = { c->sig_mask, c->sig_ign, s->pgid, s->job };
    wp_inherit_write(b + crt, s->count, s->wpflags, &proc);
    *size = (WORD)n;
    return b;
}

/* The parent's open fds' pipes are about to be shared with the child: a pipe made for it is
 * remade with the child's end synchronous (fd/pipe.c). Table lock held. */
static void wp_spawn_fds__give(struct wp_spawn *s, const int *parent_fds, int n_parent)
{
    for (int i = 0; i < s->n; i++)
        if (s->fd[i].open && s->fd[i].src_fd >= 0)
            wp_pipe_give_to_child_locked(s->fd[i].src_fd, parent_fds, n_parent);
}

/* What CreateProcessW gets from the table: the standard handles, the handles to inherit (each
 * fresh duplicate once, no pseudo-handle), the C runtime's block, the directory. */
static int wp_spawn_fds__out(struct wp_spawn_fds *c, struct wp_spawn *s)
{
    c->inherit = malloc((s->count + 1) * sizeof(HANDLE)); /* the fds and the group's job */
    c->crt = wp_spawn_fds__crt_block(s, c, &c->crt_size);
    if (!c->inherit || !c->crt)
        return -ENOMEM;
    for (int i = 0; i < s->count; i++)
        if (s->dup[i] && !wp_win32_is_pseudo_handle(s->dup[i]))
            c->inherit[c->n_inherit++] = s->dup[i];
    if (s->job)
        c->inherit[c->n_inherit++] = s->job;
    for (int i = 0; i < 3; i++)
        c->std[i] = s->dup[i];
    c->cwd = s->cwd;
    return 0;
}

/* The child's fds: snapshot, actions, pipes remade, handles; and the group it is started in
 * (pgid, 0 for one it leads) with the group's job, if any, which it inherits. */
int wp_spawn_fds_make(struct wp_spawn_fds *c, const winpipe_posix_spawn_file_actions_t *fa,
                      DWORD pgid, HANDLE job)
{
    int *parent_fds = NULL, n_parent = 0;
    struct wp_spawn *s = calloc(1, sizeof *s);
    unsigned long long sig_mask = c->sig_mask, sig_ign = c->sig_ign; /* in: the caller's */
    memset(c, 0, sizeof *c);
    c->sig_mask = sig_mask;
    c->sig_ign = sig_ign;
    if (!s)
        return -ENOMEM;
    c->priv = s;
    s->pgid = pgid;
    if (job && !DuplicateHandle(GetCurrentProcess(), job, GetCurrentProcess(), &s->job, 0, FALSE,
                                DUPLICATE_SAME_ACCESS))
        s->job = NULL; /* the child will not know its group's job: it is still in it */
    wp_fdtab_lock();
    int r = wp_spawn_fds__snapshot(s, &parent_fds, &n_parent);
    if (r == 0)
        r = wp_spawn_fds__actions(s, fa);
    if (r == 0) {
        wp_spawn_fds__give(s, parent_fds, n_parent);
        r = wp_spawn_fds__handles(s);
    }
    wp_fdtab_unlock();
    free(parent_fds);
    return r < 0 ? r : wp_spawn_fds__out(c, s);
}

/* The child has its copies of the duplicates: ours go. */
void wp_spawn_fds_started(struct wp_spawn_fds *c)
{
    wp_spawn_fds__close_dups(c->priv);
}

void wp_spawn_fds_free(struct wp_spawn_fds *c)
{
    struct wp_spawn *s = c->priv;
    if (s) {
        wp_spawn_fds__close_dups(s);
        for (int i = 0; i < s->n_owned; i++)
            CloseHandle(s->owned[i]);
        free(s->dup);
        free(s->flags);
        free(s->wpflags);
        free(s->owned);
        free(s->fd);
        free(s->cwd);
        free(s);
    }
    free(c->inherit);
    free(c->crt);
    memset(c, 0, sizeof *c);
}
