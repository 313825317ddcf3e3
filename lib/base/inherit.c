/* inherit.c: what a winpipe parent hands a child beyond the C runtime's own fd table, and what a
 * winpipe child reads of it. POSIX keeps O_NONBLOCK on the open file description, which a child
 * shares; an exec'ed program keeps its caller's signal mask and ignored signals (or those
 * posix_spawn's attributes give); and a child is in a process group. Windows has none of these,
 * so the parent says them: per-fd flags, the signal state, and the child's group with the
 * group's job (proc/pgroup.c).
 *
 * It rides at the end of the C runtime's lpReserved2 block (int count; unsigned char
 * flags[count]; HANDLE handles[count]), which msvcrt, UCRT and Wine read up to count entries and
 * no further: a child without winpipe never sees it. */
#include "winpipe-internal.h"

/* The layout's version is its magic. winpipe3 adds the process part; a child still reads a
 * winpipe1 parent's fd flags (winpipe 0.1.0). (The two winpipe2 layouts of the signals and the
 * process-group work were never released: neither is read.) */
#define WP_INHERIT_MAGIC "winpipe3"
#define WP_INHERIT_MAGIC_V1 "winpipe1"

/* The trailer, written unaligned after the C runtime's part: the head (magic, number of fds);
 * (winpipe3) the process part; then one byte of WP_INHERIT_* flags per fd. */
struct wp_inherit_head {
    char magic[8];
    uint32_t nfds;
};
struct wp_inherit_body {
    uint64_t sigmask, sigign; /* bit sig - 1 */
    uint32_t pgid;            /* the child's process group; 0: a new one, led by the child */
    uint32_t reserved;
    uint64_t job;             /* the group's job: a handle the child inherits at this value */
};

static const BYTE *wp_inherit_flags; /* this process's, from its parent; NULL: none */
static const BYTE *wp_inherit_handles;
static int wp_inherit_nfds;
static struct wp_inherit_body wp_inherit_got;
static int wp_inherit_has_body;
static volatile LONG wp_inherit_used[WP_FD_MAX / 32];
static INIT_ONCE wp_inherit_once = INIT_ONCE_STATIC_INIT;

size_t wp_inherit_size(int nfds)
{
    return sizeof(struct wp_inherit_head) + sizeof(struct wp_inherit_body) + (size_t)nfds;
}

void wp_inherit_write(BYTE *dst, int nfds, const unsigned char *flags,
                      const struct wp_inherit_proc *p)
{
    struct wp_inherit_head head;
    struct wp_inherit_body body;
    memset(&head, 0, sizeof head);
    memset(&body, 0, sizeof body);
    memcpy(head.magic, WP_INHERIT_MAGIC, sizeof head.magic);
    head.nfds = (uint32_t)nfds;
    body.sigmask = p->sigmask;
    body.sigign = p->sigign;
    body.pgid = p->pgid;
    body.job = (uint64_t)(uintptr_t)p->job;
    memcpy(dst, &head, sizeof head);
    memcpy(dst + sizeof head, &body, sizeof body);
    memcpy(dst + sizeof head + sizeof body, flags, (size_t)nfds);
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
    if (count < 0 || count > WP_FD_MAX || si.cbReserved2 < crt + sizeof head)
        return TRUE;
    memcpy(&head, si.lpReserved2 + crt, sizeof head);
    int v3 = memcmp(head.magic, WP_INHERIT_MAGIC, sizeof head.magic) == 0;
    size_t body = v3 ? sizeof(struct wp_inherit_body) : 0;
    if ((!v3 && memcmp(head.magic, WP_INHERIT_MAGIC_V1, sizeof head.magic) != 0)
        || head.nfds > (uint32_t)count || si.cbReserved2 < crt + sizeof head + body + head.nfds)
        return TRUE;
    if (v3) {
        memcpy(&wp_inherit_got, si.lpReserved2 + crt + sizeof head, sizeof wp_inherit_got);
        wp_inherit_has_body = 1;
    }
    wp_inherit_nfds = (int)head.nfds;
    wp_inherit_handles = si.lpReserved2 + sizeof(int) + count;
    wp_inherit_flags = si.lpReserved2 + crt + sizeof head + body;
    return TRUE;
}

/* The signal mask and the ignored signals a winpipe parent gave this process: 1, or 0 if none
 * did (a process started otherwise starts with no signal blocked or ignored). */
int wp_inherit_signals(unsigned long long *mask, unsigned long long *ignored)
{
    InitOnceExecuteOnce(&wp_inherit_once, wp_inherit__read, NULL, NULL);
    if (!wp_inherit_has_body)
        return 0;
    *mask = wp_inherit_got.sigmask;
    *ignored = wp_inherit_got.sigign;
    return 1;
}

/* The process group the parent started this process in, and the group's job (NULL: none). 0:
 * the parent said nothing (it was no winpipe process, or an older one). */
int wp_inherit_group(DWORD *pgid, HANDLE *job)
{
    InitOnceExecuteOnce(&wp_inherit_once, wp_inherit__read, NULL, NULL);
    if (!wp_inherit_has_body)
        return 0;
    *pgid = wp_inherit_got.pgid ? wp_inherit_got.pgid : GetCurrentProcessId();
    *job = (HANDLE)(uintptr_t)wp_inherit_got.job;
    return 1;
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
