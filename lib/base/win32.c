/* win32.c: small Win32 helpers that every room uses: events made on first use, the one
 * monotonic clock, and UTF-8 ↔ UTF-16 (winpipe's strings are UTF-8; Windows' are UTF-16). */
#include "winpipe-internal.h"

/* Events are made on first use (most objects never need all of theirs), by whichever thread
 * comes first: poll() may ask outside the locks that guard the operations. */
HANDLE wp_win32_event_lazy(HANDLE *slot)
{
    HANDLE ev = *(HANDLE volatile *)slot;
    if (ev)
        return ev;
    if (!(ev = CreateEventW(NULL, TRUE, FALSE, NULL)))
        return NULL;
    HANDLE had = InterlockedCompareExchangePointer(slot, ev, NULL);
    if (had) {
        CloseHandle(ev);
        return had;
    }
    return ev;
}

/* QueryPerformanceCounter: monotonic, and finer than GetTickCount64's 10-16 ms, which would
 * make a poll() time-out of a few ms end early or late by a tick. */
unsigned long long wp_win32_clock_us(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (!freq.QuadPart)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (unsigned long long)(now.QuadPart / freq.QuadPart) * 1000000ULL
           + (unsigned long long)(now.QuadPart % freq.QuadPart) * 1000000ULL / freq.QuadPart;
}

int wp_win32_utf8_to_wide(const char *s, wchar_t **out)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0)
        return -EILSEQ;
    *out = malloc(n * sizeof(wchar_t));
    if (!*out)
        return -ENOMEM;
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, *out, n);
    return 0;
}

char *wp_win32_wide_to_utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *u = n > 0 ? malloc(n) : NULL;
    if (u)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, u, n, NULL, NULL);
    return u;
}

int wp_win32_is_pseudo_handle(HANDLE h)
{
    return ((ULONG_PTR)h & 3) == 3;
}
