/* inherit.c: what a winpipe parent hands a child beyond the C runtime's own fd table, and what a
 * winpipe child reads of it. POSIX keeps O_NONBLOCK on the open file description, which a child
 * shares; Windows has no such flag, so the parent says it for each fd. And POSIX puts a child in
 * a process group, which Windows does not know: the parent says which, and hands the child the
 * group's job (proc/pgroup.c).
 *
 * It rides at the end of the C runtime's lpReserved2 block (int count; unsigned char
 * flags[count]; HANDLE handles[count]), which msvcrt, UCRT and Wine read up to count entries and
 * no further: a child without winpipe never sees it. */
#include "winpipe-internal.h"

/* The layout's version is its magic: "winpipe1" (a head of magic and nfds only) is still read,
 * from a parent with an older winpipe. */
#define WP_INHERIT_MAGIC "winpipe2"
#define WP_INHERIT_MAGIC_V1 "winpipe1"

/* The trailer, written unaligned after the C runtime's part: the head, then one byte of
 * WP_INHERIT_* flags per fd. */
struct wp_inherit_head {
    char magic[8];
    uint32_t nfds;
    uint32_t pgid; /* the child's process group; 0: a new one, led by the child */
    uint64_t job;  /* the group's job: a handle the child inherits at this value; 0: none */
};
#define WP_INHERIT_HEAD_V1 12 /* magic and nfds */

static const BYTE *wp_inherit_flags; /* this process's, from its parent; NULL: none */
static const BYTE *wp_inherit_handles;
static int wp_inherit_nfds;
static int wp_inherit_has_group;
static DWORD wp_inherit_pgid;
static HANDLE wp_inherit_job;
static volatile LONG wp_inherit_used[WP_FD_MAX / 32];
static INIT_ONCE wp_inherit_once = INIT_ONCE_STATIC_INIT;

size_t wp_inherit_size(int nfds)
{
    return sizeof(struct wp_inherit_head) + (size_t)nfds;
}

void wp_inherit_write(BYTE *dst, int nfds, const unsigned char *flags, DWORD pgid, HANDLE job)
{
    struct wp_inherit_head head;
    memset(&head, 0, sizeof head);
    memcpy(head.magic, WP_INHERIT_MAGIC, sizeof head.magic);
    head.nfds = (uint32_t)nfds;
    head.pgid = pgid;
    head.job = (uint64_t)(uintptr_t)job;
    memcpy(dst, &head, sizeof head);
    memcpy(dst + sizeof head, flags, (size_t)nfds);
}

/* The head at p, of either version; its size, or 0 if there is none. */
static size_t wp_inherit__head(const BYTE *p, size_t room, struct wp_inherit_head *head)
{
    memset(head, 0, sizeof *head);
    if (room >= sizeof *head && memcmp(p, WP_INHERIT_MAGIC, sizeof head->magic) == 0) {
        memcpy(head, p, sizeof *head);
        return sizeof *head;
    }
    if (room >= WP_INHERIT_HEAD_V1 && memcmp(p, WP_INHERIT_MAGIC_V1, sizeof head->magic) == 0) {
        memcpy(head, p, WP_INHERIT_HEAD_V1);
        return WP_INHERIT_HEAD_V1;
    }
    return 0;
}

static BOOL CALLBACK wp_inherit__read(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    STARTUPINFOW si;
    struct wp_inherit_head head;
    int count;
    (void)once; (void)param; (void)ctx;
    GetStartupInfoW(&si);
    if (!si.lpReserved2 || si.cbReserved2 < sizeof(int))
        return TRUE;
    memcpy(&count, si.lpReserved2, sizeof count);
    size_t crt = sizeof(int) + (size_t)count * (1 + sizeof(HANDLE));
    if (count < 0 || count > WP_FD_MAX || si.cbReserved2 < crt)
        return TRUE;
    size_t len = wp_inherit__head(si.lpReserved2 + crt, si.cbReserved2 - crt, &head);
    if (len == 0 || head.nfds > (uint32_t)count || si.cbReserved2 < crt + len + head.nfds)
        return TRUE;
    wp_inherit_nfds = (int)head.nfds;
    wp_inherit_handles = si.lpReserved2 + sizeof(int) + count;
    wp_inherit_flags = si.lpReserved2 + crt + len;
    wp_inherit_has_group = len == sizeof head;
    wp_inherit_pgid = head.pgid ? head.pgid : GetCurrentProcessId();
    wp_inherit_job = (HANDLE)(uintptr_t)head.job;
    return TRUE;
}

/* The flags the parent gave fd, once: only for the handle the parent gave it (the program may
 * have closed it and opened something else since), and only to the first description made for
 * it. */
int wp_inherit_fd_flags(int fd, HANDLE h)
{
    HANDLE given;
    InitOnceExecuteOnce(&wp_inherit_once, wp_inherit__read, NULL, NULL);
    if (!wp_inherit_flags || fd < 0 || fd >= wp_inherit_nfds)
        return 0;
    memcpy(&given, wp_inherit_handles + (size_t)fd * sizeof(HANDLE), sizeof given);
    LONG bit = 1L << (fd % 32);
    if (given != h || (InterlockedOr(&wp_inherit_used[fd / 32], bit) & bit))
        return 0;
    return wp_inherit_flags[fd];
}

/* The process group the parent started this process in, and the group's job (NULL: none). 0:
 * the parent said nothing (it was no winpipe process, or an older one). */
int wp_inherit_group(DWORD *pgid, HANDLE *job)
{
    InitOnceExecuteOnce(&wp_inherit_once, wp_inherit__read, NULL, NULL);
    if (!wp_inherit_has_group)
        return 0;
    *pgid = wp_inherit_pgid;
    *job = wp_inherit_job;
    return 1;
}
