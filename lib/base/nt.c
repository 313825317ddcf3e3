/* nt.c: the NT native calls winpipe makes, and their declarations (mingw-w64's <winternl.h>
 * lacks most of them): what a pipe end's state, mode and access are, and the NT unnamed pipe.
 * No other file names an information class or an NT structure. */
#include "winpipe-internal.h"

BOOLEAN NTAPI RtlDllShutdownInProgress(void);
NTSTATUS NTAPI NtCreateNamedPipeFile(PHANDLE, ULONG, POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK, ULONG,
                                     ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG,
                                     PLARGE_INTEGER);

NTSTATUS NTAPI NtSetInformationFile(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG, FILE_INFORMATION_CLASS);

enum {
    WP_NT_FILE_MODE_INFORMATION = 16,       /* ULONG: FILE_SYNCHRONOUS_IO_* bits */
    WP_NT_FILE_PIPE_INFORMATION = 23,       /* struct wp_nt__pipe_info */
    WP_NT_FILE_PIPE_LOCAL_INFORMATION = 24, /* struct wp_nt_pipe_local */
};

/* FilePipeInformation */
struct wp_nt__pipe_info {
    ULONG read_mode, completion_mode;
};
#define WP_NT_PIPE_COMPLETE_OPERATION 1 /* PIPE_NOWAIT */
#define WP_NT_MODE_SYNCHRONOUS 0x30 /* FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT */
#define WP_NT_PIPE_CLOSING_STATE 4  /* FILE_PIPE_CLOSING_STATE: the other end is gone */
#define WP_NT_PIPE_BYTE_STREAM 0
#define WP_NT_PIPE_QUEUE_OPERATION 0 /* blocking mode: never PIPE_NOWAIT */

int wp_nt_pipe_local(HANDLE h, struct wp_nt_pipe_local *info)
{
    IO_STATUS_BLOCK iosb;
    NTSTATUS st = NtQueryInformationFile(h, &iosb, info, sizeof *info,
                                         (FILE_INFORMATION_CLASS)WP_NT_FILE_PIPE_LOCAL_INFORMATION);
    return st < 0 ? -wp_errno_from_nt(st) : 0;
}

/* Not WriteQuotaAvailable: Wine always says 0, and Windows lowers it while a read is pending. */
int wp_nt_pipe_closing(HANDLE h)
{
    struct wp_nt_pipe_local info;
    return wp_nt_pipe_local(h, &info) == 0 && info.state == WP_NT_PIPE_CLOSING_STATE;
}

int wp_nt_is_overlapped(HANDLE h)
{
    IO_STATUS_BLOCK iosb;
    ULONG mode = 0;
    if (NtQueryInformationFile(h, &iosb, &mode, sizeof mode,
                               (FILE_INFORMATION_CLASS)WP_NT_FILE_MODE_INFORMATION) < 0)
        return 0;
    return (mode & WP_NT_MODE_SYNCHRONOUS) == 0;
}

int wp_nt_accmode(HANDLE h)
{
    PUBLIC_OBJECT_BASIC_INFORMATION info;
    ULONG len;
    if (NtQueryObject(h, ObjectBasicInformation, &info, sizeof info, &len) < 0)
        return O_RDWR;
    int r = (info.GrantedAccess & FILE_READ_DATA) != 0;
    int w = (info.GrantedAccess & FILE_WRITE_DATA) != 0;
    return r && w ? O_RDWR : w ? O_WRONLY : O_RDONLY;
}

/* PIPE_NOWAIT on one end (each end has its own mode, shared by every process holding it): a write
 * that does not fit returns at once, with nothing written (Wine 8 and Windows alike: measured). */
int wp_nt_pipe_nowait(HANDLE h)
{
    struct wp_nt__pipe_info info = { 0, WP_NT_PIPE_COMPLETE_OPERATION };
    IO_STATUS_BLOCK iosb;
    NTSTATUS st = NtSetInformationFile(h, &iosb, &info, sizeof info,
                                       (FILE_INFORMATION_CLASS)WP_NT_FILE_PIPE_INFORMATION);
    return st < 0 ? -wp_errno_from_nt(st) : 0;
}

/* ---- another process's environment block: its PEB's ProcessParameters->Environment ---- */

/* x64 offsets (mingw's <winternl.h> names neither field). */
#define WP_NT_PEB_PROCESS_PARAMETERS 0x20
#define WP_NT_PARAMS_ENVIRONMENT 0x80
#define WP_NT_ENV_MAX (1u << 22)
#define WP_NT_PAGE 4096

static int wp_nt__read(HANDLE process, const void *at, void *buf, SIZE_T n)
{
    SIZE_T got = 0;
    return ReadProcessMemory(process, at, buf, n, &got) && got == n ? 0 : -EIO;
}

/* The block ends with an empty string: two NULs, at an even offset. */
static int wp_nt__env_ends(const wchar_t *w, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (!w[i] && !w[i - 1])
            return 1;
    return n == 1 && !w[0];
}

/* A copy of the process's environment block (malloc'ed, UTF-16, ending in two NULs; *len in
 * characters), read a page at a time up to its end (not every Windows keeps the block's size
 * up to date). The process may be rewriting it meanwhile: what is read is only a candidate,
 * which the caller checks. The handle needs PROCESS_VM_READ | PROCESS_QUERY_INFORMATION. */
int wp_nt_process_env(HANDLE process, wchar_t **out, size_t *len)
{
    PROCESS_BASIC_INFORMATION pbi;
    ULONG n;
    char *params, *env;
    size_t have = 0, cap = 0;
    wchar_t *copy = NULL;
    *out = NULL;
    NTSTATUS st = NtQueryInformationProcess(process, ProcessBasicInformation, &pbi, sizeof pbi, &n);
    if (st < 0)
        return -wp_errno_from_nt(st);
    if (wp_nt__read(process, (char *)pbi.PebBaseAddress + WP_NT_PEB_PROCESS_PARAMETERS, &params,
                    sizeof params) < 0
        || wp_nt__read(process, params + WP_NT_PARAMS_ENVIRONMENT, &env, sizeof env) < 0)
        return -EIO;
    do {
        size_t chunk = WP_NT_PAGE - (((uintptr_t)env + have) % WP_NT_PAGE);
        if (have + chunk > WP_NT_ENV_MAX)
            break;
        if (have + chunk + 2 * sizeof(wchar_t) > cap) {
            wchar_t *p = realloc(copy, cap = (have + chunk) * 2 + 2 * sizeof(wchar_t));
            if (!p) {
                free(copy);
                return -ENOMEM;
            }
            copy = p;
        }
        if (wp_nt__read(process, env + have, (char *)copy + have, chunk) < 0)
            break;
        have += chunk;
    } while (!wp_nt__env_ends(copy, have / sizeof(wchar_t)));
    if (!copy || !wp_nt__env_ends(copy, have / sizeof(wchar_t))) {
        free(copy);
        return -EIO;
    }
    copy[have / sizeof(wchar_t)] = 0;
    *out = copy;
    *len = have / sizeof(wchar_t);
    return 0;
}

/* 1 once the process has begun to end (ExitProcess, after exit() or _exit()). */
int wp_nt_process_ending(void)
{
    return RtlDllShutdownInProgress() != 0;
}

/* ---- the NT unnamed pipe: created relative to \Device\NamedPipe\ with an empty name, so there
 * is no name to squat on or collide with ---- */

static HANDLE wp_nt_pipe_root;
static INIT_ONCE wp_nt_pipe_root_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wp_nt__open_root(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    static const WCHAR path[] = L"\\Device\\NamedPipe\\";
    UNICODE_STRING name = { sizeof path - sizeof(WCHAR), sizeof path, (PWSTR)path };
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    (void)once; (void)param; (void)ctx;
    InitializeObjectAttributes(&oa, &name, 0, NULL, NULL);
    if (NtOpenFile(&wp_nt_pipe_root, GENERIC_READ | SYNCHRONIZE, &oa, &iosb,
                   FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT) < 0)
        wp_nt_pipe_root = NULL;
    return TRUE;
}

/* The read end is the server. Each end is opened overlapped unless asked synchronous: Windows
 * fixes an end's mode when it is opened, and each end of an NT pipe has its own. */
int wp_nt_pipe_server(HANDLE *h, DWORD size, int sync)
{
    UNICODE_STRING empty = { 0, 0, NULL };
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    LARGE_INTEGER timeout = { .QuadPart = -1200000000LL }; /* 120 s, required for pipes */

    InitOnceExecuteOnce(&wp_nt_pipe_root_once, wp_nt__open_root, NULL, NULL);
    if (!wp_nt_pipe_root)
        return -ENOSYS;
    InitializeObjectAttributes(&oa, &empty, 0, wp_nt_pipe_root, NULL);
    NTSTATUS st = NtCreateNamedPipeFile(h, GENERIC_READ | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE,
                                        &oa, &iosb, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                        FILE_CREATE, sync ? FILE_SYNCHRONOUS_IO_NONALERT : 0,
                                        WP_NT_PIPE_BYTE_STREAM, WP_NT_PIPE_BYTE_STREAM,
                                        WP_NT_PIPE_QUEUE_OPERATION, 1, size, size, &timeout);
    return st < 0 ? -wp_errno_from_nt(st) : 0;
}

/* The write end: opened with an empty name relative to the server. */
int wp_nt_pipe_client(HANDLE server, HANDLE *h, int sync)
{
    UNICODE_STRING empty = { 0, 0, NULL };
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK iosb;
    InitializeObjectAttributes(&oa, &empty, 0, server, NULL);
    NTSTATUS st = NtOpenFile(h, GENERIC_WRITE | FILE_READ_ATTRIBUTES | SYNCHRONIZE, &oa, &iosb,
                             FILE_SHARE_READ | FILE_SHARE_WRITE,
                             FILE_NON_DIRECTORY_FILE | (sync ? FILE_SYNCHRONOUS_IO_NONALERT : 0));
    return st < 0 ? -wp_errno_from_nt(st) : 0;
}

/* ---- wait completion packets ---- */

/* Windows 8's: "when h is signalled, post this packet to that port", once, with no thread of the
 * thread pool waiting (Microsoft documents them as ntdll exports with no import library). Wine 8
 * has none: then every wp_nt_waitpkt_new() is NULL, and the caller falls back to the pool. */
typedef NTSTATUS(NTAPI *wp_nt__pkt_create_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
typedef NTSTATUS(NTAPI *wp_nt__pkt_associate_fn)(HANDLE, HANDLE, HANDLE, PVOID, PVOID, NTSTATUS,
                                                 ULONG_PTR, PBOOLEAN);
typedef NTSTATUS(NTAPI *wp_nt__pkt_cancel_fn)(HANDLE, BOOLEAN);

static struct {
    wp_nt__pkt_create_fn create;
    wp_nt__pkt_associate_fn associate;
    wp_nt__pkt_cancel_fn cancel;
} wp_nt_pkt;
static INIT_ONCE wp_nt_pkt_once = INIT_ONCE_STATIC_INIT;

/* Through void (*)(void): a cast between function types that says it means it. */
static void (*wp_nt__export(HMODULE ntdll, const char *name))(void)
{
    return (void (*)(void))GetProcAddress(ntdll, name);
}

static BOOL CALLBACK wp_nt__find_pkt(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    (void)once; (void)param; (void)ctx;
    if (!ntdll)
        return TRUE;
    wp_nt__pkt_create_fn create =
        (wp_nt__pkt_create_fn)wp_nt__export(ntdll, "NtCreateWaitCompletionPacket");
    wp_nt__pkt_associate_fn associate =
        (wp_nt__pkt_associate_fn)wp_nt__export(ntdll, "NtAssociateWaitCompletionPacket");
    wp_nt__pkt_cancel_fn cancel =
        (wp_nt__pkt_cancel_fn)wp_nt__export(ntdll, "NtCancelWaitCompletionPacket");
    if (create && associate && cancel) { /* all three, or none is used */
        wp_nt_pkt.create = create;
        wp_nt_pkt.associate = associate;
        wp_nt_pkt.cancel = cancel;
    }
    return TRUE;
}

HANDLE wp_nt_waitpkt_new(void)
{
    HANDLE pkt = NULL;
    InitOnceExecuteOnce(&wp_nt_pkt_once, wp_nt__find_pkt, NULL, NULL);
    if (!wp_nt_pkt.create || wp_nt_pkt.create(&pkt, GENERIC_ALL, NULL) < 0)
        return NULL;
    return pkt;
}

/* Once h is signalled (now, if it already is), the port gets a packet: key, and arg where an
 * OVERLAPPED pointer would be. *already: h was signalled when associated. */
int wp_nt_waitpkt_arm(HANDLE pkt, HANDLE port, HANDLE h, ULONG_PTR key, ULONG_PTR arg,
                      int *already)
{
    BOOLEAN signalled = FALSE;
    NTSTATUS st = wp_nt_pkt.associate(pkt, port, h, (PVOID)key, (PVOID)arg, 0, 0, &signalled);
    *already = st >= 0 && signalled;
    return st < 0 ? -wp_errno_from_nt(st) : 0;
}

/* Cancels the packet's wait, and takes back its packet if the port still holds it; closes it. */
void wp_nt_waitpkt_free(HANDLE pkt)
{
    wp_nt_pkt.cancel(pkt, TRUE);
    CloseHandle(pkt);
}
