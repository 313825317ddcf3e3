/* pipe.c: pipe(), pipe2() and the msvcrt-compatible _pipe(): a pair of overlapped pipe ends,
 * each with its own open file description and a CRT fd.
 *
 * The pair is an NT unnamed pipe (opened relative to \Device\NamedPipe\ with an empty name:
 * nothing to squat on or collide with). If the system refuses that, a uniquely named pipe with
 * one instance and an owner-only security descriptor takes its place. */
#include "winpipe-internal.h"
#include <wchar.h>

NTSTATUS NTAPI NtCreateNamedPipeFile(PHANDLE, ULONG, POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK, ULONG,
                                     ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG,
                                     PLARGE_INTEGER);

#define WP_PIPE_BYTE_STREAM 0
#define WP_PIPE_QUEUE_OPERATION 0 /* blocking mode: never PIPE_NOWAIT */

static HANDLE wp_pipe_root;
static INIT_ONCE wp_pipe_root_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wp_pipe__open_root(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    static const WCHAR path[] = L"\\Device\\NamedPipe\\";
    UNICODE_STRING name = { sizeof path - sizeof(WCHAR), sizeof path, (PWSTR)path };
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    (void)once; (void)param; (void)ctx;
    InitializeObjectAttributes(&oa, &name, 0, NULL, NULL);
    if (NtOpenFile(&wp_pipe_root, GENERIC_READ | SYNCHRONIZE, &oa, &iosb,
                   FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT) < 0)
        wp_pipe_root = NULL;
    return TRUE;
}

/* An NT unnamed pipe: the read end is the server, the write end the client. Each end is opened
 * overlapped unless asked synchronous (spawn.c gives children synchronous ends): Windows fixes an
 * end's mode when it is opened, and each end of an NT pipe has its own. */
int wp_pipe_unnamed(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync)
{
    UNICODE_STRING empty = { 0, 0, NULL };
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    LARGE_INTEGER timeout = { .QuadPart = -1200000000LL }; /* 120 s, required for pipes */
    NTSTATUS st;

    InitOnceExecuteOnce(&wp_pipe_root_once, wp_pipe__open_root, NULL, NULL);
    if (!wp_pipe_root)
        return -ENOSYS;
    InitializeObjectAttributes(&oa, &empty, 0, wp_pipe_root, NULL);
    st = NtCreateNamedPipeFile(rd, GENERIC_READ | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE, &oa, &iosb,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_CREATE,
                               rd_sync ? FILE_SYNCHRONOUS_IO_NONALERT : 0,
                               WP_PIPE_BYTE_STREAM, WP_PIPE_BYTE_STREAM, WP_PIPE_QUEUE_OPERATION,
                               1, size, size, &timeout);
    if (st < 0)
        return -wp_errno_from_nt(st);
    InitializeObjectAttributes(&oa, &empty, 0, *rd, NULL);
    st = NtOpenFile(wr, GENERIC_WRITE | FILE_READ_ATTRIBUTES | SYNCHRONIZE, &oa, &iosb,
                    FILE_SHARE_READ | FILE_SHARE_WRITE,
                    FILE_NON_DIRECTORY_FILE | (wr_sync ? FILE_SYNCHRONOUS_IO_NONALERT : 0));
    if (st < 0) {
        CloseHandle(*rd);
        return -wp_errno_from_nt(st);
    }
    return 0;
}

/* A DACL that admits the current user only, made once. */
static SECURITY_ATTRIBUTES wp_pipe_sa;
static INIT_ONCE wp_pipe_sa_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wp_pipe__make_sa(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    static SECURITY_DESCRIPTOR sd;
    static char acl_buf[256];
    char user_buf[256];
    HANDLE token;
    DWORD len;
    (void)once; (void)param; (void)ctx;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return FALSE;
    BOOL ok = GetTokenInformation(token, TokenUser, user_buf, sizeof user_buf, &len);
    CloseHandle(token);
    if (!ok || !InitializeAcl((PACL)acl_buf, sizeof acl_buf, ACL_REVISION)
        || !AddAccessAllowedAce((PACL)acl_buf, ACL_REVISION, GENERIC_ALL,
                                ((TOKEN_USER *)user_buf)->User.Sid)
        || !InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION)
        || !SetSecurityDescriptorDacl(&sd, TRUE, (PACL)acl_buf, FALSE))
        return FALSE;
    wp_pipe_sa.nLength = sizeof wp_pipe_sa;
    wp_pipe_sa.lpSecurityDescriptor = &sd;
    wp_pipe_sa.bInheritHandle = FALSE;
    return TRUE;
}

static SECURITY_ATTRIBUTES *wp_pipe__owner_only(void)
{
    if (!InitOnceExecuteOnce(&wp_pipe_sa_once, wp_pipe__make_sa, NULL, NULL))
        return NULL;
    return &wp_pipe_sa;
}

static int wp_pipe__named(HANDLE *rd, HANDLE *wr, DWORD size)
{
    static LONG serial;
    WCHAR name[96];
    SECURITY_ATTRIBUTES *sa = wp_pipe__owner_only();
    if (!sa)
        return wp_last_error();
    _snwprintf(name, 96, L"\\\\.\\pipe\\winpipe-%lu-%lu-%ld-%llu", GetCurrentProcessId(),
             GetCurrentThreadId(), InterlockedIncrement(&serial),
             (unsigned long long)GetTickCount64());
    *rd = CreateNamedPipeW(name, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED
                               | FILE_FLAG_FIRST_PIPE_INSTANCE,
                           PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT
                               | PIPE_REJECT_REMOTE_CLIENTS,
                           1, size, size, 0, sa);
    if (*rd == INVALID_HANDLE_VALUE)
        return wp_last_error();
    *wr = CreateFileW(name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0, sa, OPEN_EXISTING,
                      FILE_FLAG_OVERLAPPED, NULL);
    if (*wr == INVALID_HANDLE_VALUE) {
        int r = wp_last_error();
        CloseHandle(*rd);
        return r;
    }
    return 0;
}

/* Two overlapped, non-inheritable pipe ends. WINPIPE_FORCE_NAMED_PIPE=1 takes the fallback,
 * so that tests reach it. */
int wp_pipe_pair(HANDLE *rd, HANDLE *wr, DWORD size)
{
    const char *e = getenv("WINPIPE_FORCE_NAMED_PIPE");
    int force_named = e && *e == '1';
    if (!force_named && wp_pipe_unnamed(rd, wr, size, 0, 0) == 0)
        return 0;
    return wp_pipe__named(rd, wr, size);
}

/* One end: the description keeps the original handle, the fd gets a duplicate whose
 * inheritability is FD_CLOEXEC's opposite from the start. */
static int wp_pipe__end(HANDLE h, int accmode, int flags, int crt_flags)
{
    HANDLE fd_h;
    BOOL inherit = !(flags & O_CLOEXEC);
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &fd_h, 0, inherit,
                         DUPLICATE_SAME_ACCESS)) {
        int r = wp_last_error();
        CloseHandle(h);
        return r;
    }
    struct wp_ofd *ofd = wp_ofd_new(WP_PIPE_ASYNC, h, accmode, (flags & O_NONBLOCK) != 0);
    if (!ofd) {
        CloseHandle(h);
        CloseHandle(fd_h);
        return -ENOMEM;
    }
    int fd = wp_fd_install_locked(fd_h, crt_flags | (inherit ? 0 : _O_NOINHERIT), ofd);
    if (fd < 0)
        CloseHandle(fd_h);
    wp_ofd_unref(ofd);
    return fd;
}

/* Ties the two new ends together; without memory they stay untied, and poll() asks Windows. */
static void wp_pipe__link_locked(int rd_fd, int wr_fd)
{
    struct wp_pipe_link *link = calloc(1, sizeof *link);
    struct wp_ofd *rd, *wr;
    if (!link)
        return;
    if (wp_fd_get_locked(rd_fd, &rd) < 0) {
        free(link);
        return;
    }
    if (wp_fd_get_locked(wr_fd, &wr) < 0) {
        wp_ofd_unref(rd);
        free(link);
        return;
    }
    link->refs = 2;
    link->reader = link->writer = 1;
    rd->link = wr->link = link;
    wp_ofd_unref(rd);
    wp_ofd_unref(wr);
}

/* A description is going away: its end of the pipe no longer counts as held here. */
void wp_pipe_link_drop(struct wp_ofd *ofd)
{
    struct wp_pipe_link *link = ofd->link;
    if (!link)
        return;
    ofd->link = NULL;
    InterlockedExchange(ofd->accmode == O_RDONLY ? &link->reader : &link->writer, 0);
    if (InterlockedDecrement(&link->refs) == 0)
        free(link);
}

/* 1: this process holds the other end of ofd's pipe open, so POSIX's "no writer" (POLLHUP) or
 * "no reader" (POLLERR, EPIPE) cannot be true now; 0: not known, ask Windows. */
int wp_pipe_peer_alive(struct wp_ofd *ofd)
{
    struct wp_pipe_link *link = ofd->link;
    if (!link)
        return 0;
    return ofd->accmode == O_RDONLY ? link->writer != 0 : link->reader != 0;
}

static int wp_pipe__fds(int fds[2], int flags, DWORD size, int crt_flags)
{
    HANDLE rd, wr;
    if (!fds)
        return -EFAULT;
    wp_init();
    int r = wp_pipe_pair(&rd, &wr, size);
    if (r < 0)
        return r;
    wp_fdtab_lock();
    int fd0 = wp_pipe__end(rd, O_RDONLY, flags, crt_flags);
    if (fd0 < 0) {
        wp_fdtab_unlock();
        CloseHandle(wr);
        return fd0;
    }
    int fd1 = wp_pipe__end(wr, O_WRONLY, flags, crt_flags);
    if (fd1 < 0) {
        wp_fd_unbind_locked(fd0);
        wp_crt_close(fd0);
        wp_fdtab_unlock();
        return fd1;
    }
    wp_pipe__link_locked(fd0, fd1);
    wp_spawn_pair_locked(fd0, fd1); /* spawn.c may swap a still-unused pair for the child */
    wp_fdtab_unlock();
    fds[0] = fd0;
    fds[1] = fd1;
    return 0;
}

/* "[3, 4]" once made; the array's address if not. */
#define WP_PIPE_TRACE(name, r, fds, fmt, ...)                                                  \
    ((r) == 0 ? (int)wp_trace_ret(r, name "([%d, %d]" fmt ")", (fds)[0], (fds)[1], __VA_ARGS__) \
              : (int)wp_trace_ret(r, name "(0x%llx" fmt ")", WP_TRACE_PTR(fds), __VA_ARGS__))

int winpipe_pipe2(int fds[2], int flags)
{
    int r = (int)wp_ret((flags & ~(O_NONBLOCK | O_CLOEXEC))
                            ? -EINVAL
                            : wp_pipe__fds(fds, flags, WP_PIPE_SIZE, _O_BINARY));
    return WP_PIPE_TRACE("pipe2", r, fds, ", %#x", flags);
}

int winpipe_pipe(int fds[2])
{
    int r = (int)wp_ret(wp_pipe__fds(fds, 0, WP_PIPE_SIZE, _O_BINARY));
    return WP_PIPE_TRACE("pipe", r, fds, "%s", "");
}

/* msvcrt's _pipe: mode _O_BINARY or _O_TEXT (kept on the CRT's fd, so its own _read/_write and
 * stdio translate; winpipe's read/write are always binary, as POSIX), _O_NOINHERIT. */
static int wp_pipe__crt(int *fds, unsigned int size, int mode)
{
    if (mode & ~(_O_BINARY | _O_TEXT | _O_NOINHERIT))
        return -EINVAL;
    int flags = (mode & _O_NOINHERIT) ? O_CLOEXEC : 0;
    int crt = (mode & _O_TEXT) ? _O_TEXT : _O_BINARY;
    return wp_pipe__fds(fds, flags, size ? size : WP_PIPE_SIZE, crt);
}

int winpipe__pipe(int *fds, unsigned int size, int mode)
{
    int r = (int)wp_ret(wp_pipe__crt(fds, size, mode));
    return WP_PIPE_TRACE("_pipe", r, fds, ", %u, %#x", size, mode);
}
