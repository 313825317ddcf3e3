/* ntpipe.c: a pipe pair, the two non-inheritable handles under every pipe() and every pipe that
 * spawn remakes for a child. An NT unnamed pipe (nt.c); if the system refuses that, a uniquely
 * named pipe with one instance and an owner-only security descriptor takes its place. */
#include "winpipe-internal.h"
#include <wchar.h>

static int wp_ntpipe__unnamed(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync)
{
    int r = wp_nt_pipe_server(rd, size, rd_sync);
    if (r < 0)
        return r;
    if ((r = wp_nt_pipe_client(*rd, wr, wr_sync)) < 0)
        CloseHandle(*rd);
    return r;
}

/* A DACL that admits the current user only, made once. */
static SECURITY_ATTRIBUTES wp_ntpipe_sa;
static INIT_ONCE wp_ntpipe_sa_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wp_ntpipe__make_sa(PINIT_ONCE once, PVOID param, PVOID *ctx)
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
    wp_ntpipe_sa.nLength = sizeof wp_ntpipe_sa;
    wp_ntpipe_sa.lpSecurityDescriptor = &sd;
    wp_ntpipe_sa.bInheritHandle = FALSE;
    return TRUE;
}

static SECURITY_ATTRIBUTES *wp_ntpipe__owner_only(void)
{
    if (!InitOnceExecuteOnce(&wp_ntpipe_sa_once, wp_ntpipe__make_sa, NULL, NULL))
        return NULL;
    return &wp_ntpipe_sa;
}

static int wp_ntpipe__named(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync)
{
    static LONG serial;
    WCHAR name[96];
    SECURITY_ATTRIBUTES *sa = wp_ntpipe__owner_only();
    if (!sa)
        return wp_last_error();
    _snwprintf(name, 96, L"\\\\.\\pipe\\winpipe-%lu-%lu-%ld-%llu", GetCurrentProcessId(),
               GetCurrentThreadId(), InterlockedIncrement(&serial),
               (unsigned long long)GetTickCount64());
    *rd = CreateNamedPipeW(name, PIPE_ACCESS_INBOUND | (rd_sync ? 0 : FILE_FLAG_OVERLAPPED)
                               | FILE_FLAG_FIRST_PIPE_INSTANCE,
                           PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT
                               | PIPE_REJECT_REMOTE_CLIENTS,
                           1, size, size, 0, sa);
    if (*rd == INVALID_HANDLE_VALUE)
        return wp_last_error();
    *wr = CreateFileW(name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0, sa, OPEN_EXISTING,
                      wr_sync ? 0 : FILE_FLAG_OVERLAPPED, NULL);
    if (*wr == INVALID_HANDLE_VALUE) {
        int r = wp_last_error();
        CloseHandle(*rd);
        return r;
    }
    return 0;
}

/* WINPIPE_FORCE_NAMED_PIPE=1 takes the fallback, so that tests reach it. */
int wp_ntpipe_pair(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync)
{
    const char *e = getenv("WINPIPE_FORCE_NAMED_PIPE");
    int force_named = e && *e == '1';
    if (!force_named && wp_ntpipe__unnamed(rd, wr, size, rd_sync, wr_sync) == 0)
        return 0;
    return wp_ntpipe__named(rd, wr, size, rd_sync, wr_sync);
}
