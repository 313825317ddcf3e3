/* init.c: what winpipe sets up once per process, on first use. */
#include "winpipe-internal.h"

static INIT_ONCE wp_init_once = INIT_ONCE_STATIC_INIT;

static void wp_init__at_exit(void)
{
    /* ExitProcess closes every handle, which cancels pending writes: bytes that write()
     * reported as written would be lost. */
    wp_flush_pending_writes();
}

static BOOL CALLBACK wp_init__once(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once; (void)param; (void)ctx;
    atexit(wp_init__at_exit);
    return TRUE;
}

void wp_init(void)
{
    InitOnceExecuteOnce(&wp_init_once, wp_init__once, NULL, NULL);
}
