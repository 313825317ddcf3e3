/* inherit.c: what a winpipe parent hands a child beyond the C runtime's own fd table, and what a
 * winpipe child reads of it. POSIX keeps O_NONBLOCK on the open file description, which a child
 * shares, and an exec'ed program keeps its caller's signal mask and ignored signals (or those
 * posix_spawn's attributes give); Windows has none of these, so the parent says them.
 *
 * It rides at the end of the C runtime's lpReserved2 block (int count; unsigned char
 * flags[count]; HANDLE handles[count]), which msvcrt, UCRT and Wine read up to count entries and
 * no further: a child without winpipe never sees it. */
#include "winpipe-internal.h"

/* winpipe2 adds the signal state; a child still reads a winpipe1 parent's fd flags. */
#define WP_INHERIT_MAGIC "winpipe2"
#define WP_INHERIT_MAGIC_V1 "winpipe1"

/* The trailer, written unaligned after the C runtime's part: magic, then the number of fds;
 * (winpipe2) the signal mask and the ignored signals (bit sig - 1); then one byte of
 * WP_INHERIT_* flags per fd. */
struct wp_inherit_head {
    char magic[8];
    uint32_t nfds;
};
struct wp_inherit_sig {
    uint64_t mask, ignored;
};

static const BYTE *wp_inherit_flags; /* this process's, from its parent; NULL: none */
static const BYTE *wp_inherit_handles;
static int wp_inherit_nfds;
static struct wp_inherit_sig wp_inherit_sigs;
static int wp_inherit_has_sigs;
static volatile LONG wp_inherit_used[WP_FD_MAX / 32];
static INIT_ONCE wp_inherit_once = INIT_ONCE_STATIC_INIT;

size_t wp_inherit_size(int nfds)
{
    return sizeof(struct wp_inherit_head) + sizeof(struct wp_inherit_sig) + (size_t)nfds;
}

void wp_inherit_write(BYTE *dst, int nfds, const unsigned char *flags,
                      unsigned long long sigmask, unsigned long long sigign)
{
    struct wp_inherit_head head;
    struct wp_inherit_sig sig = { sigmask, sigign };
    memcpy(head.magic, WP_INHERIT_MAGIC, sizeof head.magic);
    head.nfds = (uint32_t)nfds;
    memcpy(dst, &head, sizeof head);
    memcpy(dst + sizeof head, &sig, sizeof sig);
    memcpy(dst + sizeof head + sizeof sig, flags, (size_t)nfds);
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
    int v2 = memcmp(head.magic, WP_INHERIT_MAGIC, sizeof head.magic) == 0;
    size_t sigs = v2 ? sizeof(struct wp_inherit_sig) : 0;
    if ((!v2 && memcmp(head.magic, WP_INHERIT_MAGIC_V1, sizeof head.magic) != 0)
        || head.nfds > (uint32_t)count || si.cbReserved2 < crt + sizeof head + sigs + head.nfds)
        return TRUE;
    if (v2) {
        memcpy(&wp_inherit_sigs, si.lpReserved2 + crt + sizeof head, sizeof wp_inherit_sigs);
        wp_inherit_has_sigs = 1;
    }
    wp_inherit_nfds = (int)head.nfds;
    wp_inherit_handles = si.lpReserved2 + sizeof(int) + count;
    wp_inherit_flags = si.lpReserved2 + crt + sizeof head + sigs;
    return TRUE;
}

/* The signal mask and the ignored signals a winpipe parent gave this process: 1, or 0 if none
 * did (a process started otherwise starts with no signal blocked or ignored). */
int wp_inherit_signals(unsigned long long *mask, unsigned long long *ignored)
{
    InitOnceExecuteOnce(&wp_inherit_once, wp_inherit__read, NULL, NULL);
    if (!wp_inherit_has_sigs)
        return 0;
    *mask = wp_inherit_sigs.mask;
    *ignored = wp_inherit_sigs.ignored;
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
