/* ntpipe.c: a pipe pair, the two non-inheritable handles under every pipe() and every pipe that
 * spawn remakes for a child. An NT unnamed pipe (nt.c); if the system refuses that, a named pipe
 * with one instance, an owner-only security descriptor and a name nobody can guess takes its
 * place. */
#include "winpipe-internal.h"
#include <wchar.h>

BOOLEAN NTAPI SystemFunction036(PVOID buf, ULONG len); /* RtlGenRandom, advapi32 */

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

/* 128 random bits from the system's generator: a name another process cannot create first. (A
 * guessable one let a squatter make pipe() fail, and under Wine, which ignores
 * FILE_FLAG_FIRST_PIPE_INSTANCE, take the write end's bytes.) */
static int wp_ntpipe__name(WCHAR *name, size_t len)
{
    unsigned long long r[2];
    if (!SystemFunction036(r, sizeof r))
        return -ENFILE;
    _snwprintf(name, len, L"\\\\.\\pipe\\winpipe-%016llx%016llx", r[0], r[1]);
    return 0;
}

/* A name that is taken (by chance, or by a process that saw it) fails one of the two opens:
 * another name is tried. */
#define WP_NTPIPE_TRIES 8

static int wp_ntpipe__named_once(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync,
                                 SECURITY_ATTRIBUTES *sa)
{
    WCHAR name[64];
    int r = wp_ntpipe__name(name, sizeof name / sizeof name[0]);
    if (r < 0)
        return r;
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
        r = wp_last_error();
        CloseHandle(*rd);
        return r;
    }
    return 0;
}

static int wp_ntpipe__named(HANDLE *rd, HANDLE *wr, DWORD size, int rd_sync, int wr_sync)
{
    SECURITY_ATTRIBUTES *sa = wp_ntpipe__owner_only();
    int r = -ENFILE;
    if (!sa)
        return wp_last_error();
    for (int i = 0; i < WP_NTPIPE_TRIES; i++) {
        r = wp_ntpipe__named_once(rd, wr, size, rd_sync, wr_sync, sa);
        if (r != -EAGAIN && r != -EACCES)
            break;
    }
    /* POSIX's pipe() has no EAGAIN: names that kept clashing are a table that is full. */
    return r == -EAGAIN || r == -EACCES ? -ENFILE : r;
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
