/* init.c: what winpipe sets up once per process, on first use. */
#include "winpipe-internal.h"

static INIT_ONCE wp_init_once = INIT_ONCE_STATIC_INIT;

static void wp_init__at_exit(void)
{
    /* ExitProcess closes every handle, which cancels pending writes: bytes that write()
     * reported as written would be lost. */
    wp_flush_pending_writes(0);
}

static BOOL CALLBACK wp_init__once(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once; (void)param; (void)ctx;
    atexit(wp_init__at_exit);
    return TRUE;
}

/* Thread exit: a TLS callback, so that the static library and the DLL both get it without a
 * DllMain of winpipe's own. It runs before the thread's I/O is cancelled. */
static void NTAPI wp_init__tls(PVOID module, DWORD reason, PVOID reserved)
{
    (void)module; (void)reserved;
    if (reason == DLL_THREAD_DETACH)
        wp_flush_pending_writes(GetCurrentThreadId());
}

extern const IMAGE_TLS_DIRECTORY _tls_used; /* the CRT's TLS directory: keeps callbacks linked */
__attribute__((used, section(".CRT$XLW"))) const PIMAGE_TLS_CALLBACK wp_init_tls_callback = wp_init__tls;
__attribute__((used)) static const void *wp_init_tls_ref = &_tls_used;

void wp_init(void)
{
    InitOnceExecuteOnce(&wp_init_once, wp_init__once, NULL, NULL);
}
