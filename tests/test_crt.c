/* test_crt: the test programs and libwinpipe use the C runtime this build was configured for
 * (configure --with-crt=msvcrt|ucrt, passed as WINPIPE_TEST_CRT), and share one fd table.
 *
 * Windows-only: each mingw C runtime has its own fd table, so a winpipe built for msvcrt and a
 * program built for UCRT would see different fds. Natively every case is skipped. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "helper.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>

struct crt_imports {
    int msvcrt;     /* imports msvcrt.dll */
    int ucrt;       /* imports ucrtbase.dll or an api-ms-win-crt-* set */
    int dlls;       /* DLLs named in the import table */
};

/* Reads a loaded module's import directory: which C runtime it was linked against. */
static struct crt_imports imports_of(HMODULE mod)
{
    struct crt_imports r = { 0, 0, 0 };
    const unsigned char *base = (const unsigned char *)mod;
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
    const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
    const IMAGE_DATA_DIRECTORY *dir =
        &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    const IMAGE_IMPORT_DESCRIPTOR *d;

    if (dir->VirtualAddress == 0)
        return r;
    for (d = (const IMAGE_IMPORT_DESCRIPTOR *)(base + dir->VirtualAddress); d->Name; d++) {
        const char *name = (const char *)(base + d->Name);
        r.dlls++;
        if (_stricmp(name, "msvcrt.dll") == 0)
            r.msvcrt = 1;
        else if (_stricmp(name, "ucrtbase.dll") == 0 || _strnicmp(name, "api-ms-win-crt-", 15) == 0)
            r.ucrt = 1;
    }
    return r;
}

static const char *configured_crt(void)
{
    const char *crt = getenv("WINPIPE_TEST_CRT");
    return crt && *crt ? crt : NULL;
}

static void assert_crt(struct crt_imports im, const char *crt)
{
    assert_true(im.dlls > 0);
    if (strcmp(crt, "ucrt") == 0) {
        assert_int_equal(im.ucrt, 1);
        assert_int_equal(im.msvcrt, 0);
    } else {
        assert_string_equal(crt, "msvcrt");
        assert_int_equal(im.msvcrt, 1);
        assert_int_equal(im.ucrt, 0);
    }
}
#endif

static void program_is_compiled_for_the_configured_crt(void **state)
{
    (void)state;
#ifdef _WIN32
    const char *crt = configured_crt();
    if (!crt)
        skip(); /* run outside `make check`: WINPIPE_TEST_CRT unset */
#ifdef _UCRT
    assert_string_equal(crt, "ucrt");
    assert_int_equal(__MSVCRT_VERSION__, 0xE00);
#else
    assert_string_equal(crt, "msvcrt");
#endif
    assert_crt(imports_of(GetModuleHandleW(NULL)), crt);
#else
    skip(); /* Windows-only: the C runtime selection */
#endif
}

static void libwinpipe_dll_links_the_same_crt(void **state)
{
    (void)state;
#ifdef _WIN32
    const char *crt = configured_crt();
    HMODULE mod;
    if (!crt)
        skip();
    /* This test is linked to the DLL (libtool names it from -version-info 0:0:0). */
    mod = GetModuleHandleW(L"libwinpipe-0.dll");
    assert_non_null(mod);
    assert_non_null(GetProcAddress(mod, "pipe2"));
    assert_crt(imports_of(mod), crt);
#else
    skip(); /* Windows-only: the C runtime selection */
#endif
}

/* An fd the program's own C runtime made is an fd winpipe knows, and the reverse: one table. */
static void program_and_winpipe_share_one_fd_table(void **state)
{
    (void)state;
#ifdef _WIN32
    HANDLE r, w;
    DWORD done;
    char buf[8];
    int fd, p[2];

    assert_true(CreatePipe(&r, &w, NULL, 0));
    fd = _open_osfhandle((intptr_t)r, _O_RDONLY);
    assert_true(fd >= 0);
    assert_true(WriteFile(w, "crt", 3, &done, NULL));
    assert_int_equal(done, 3);
    assert_int_equal(read(fd, buf, sizeof buf), 3); /* winpipe's read */
    assert_memory_equal(buf, "crt", 3);
    assert_int_equal(close(fd), 0);
    CloseHandle(w);

    assert_int_equal(pipe(p), 0);
    assert_true(_get_osfhandle(p[0]) != -1); /* the program's own CRT */
    assert_int_equal(GetFileType((HANDLE)_get_osfhandle(p[1])), FILE_TYPE_PIPE);
    assert_int_equal(close(p[0]), 0);
    assert_int_equal(close(p[1]), 0);
    /* A closed fd: winpipe asks the CRT about it without UCRT's invalid-parameter handler
     * (whose default ends the process) getting the last word. */
    errno = 0;
    assert_int_equal(read(p[0], buf, sizeof buf), -1);
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_int_equal(close(p[1]), -1);
    assert_int_equal(errno, EBADF);
#else
    skip(); /* Windows-only: the C runtime's fd table */
#endif
}

#ifdef _UCRT
_invalid_parameter_handler __cdecl
_set_thread_local_invalid_parameter_handler(_invalid_parameter_handler handler);
_invalid_parameter_handler __cdecl _get_thread_local_invalid_parameter_handler(void);

static void own_handler(const wchar_t *e, const wchar_t *f, const wchar_t *file, unsigned int line,
                        uintptr_t r)
{
    (void)e; (void)f; (void)file; (void)line; (void)r;
}
#endif

/* winpipe quiets UCRT's invalid-parameter handler around its own CRT calls and puts the
 * program's back as it was: all 64 bits of it (the program's code lies above 4 GiB). */
static void program_s_invalid_parameter_handler_is_left_alone(void **state)
{
    (void)state;
#ifdef _UCRT
    char buf[4];
    _invalid_parameter_handler before = _set_thread_local_invalid_parameter_handler(own_handler);
    errno = 0;
    assert_int_equal(read(4242, buf, sizeof buf), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(close(4243), -1);
    assert_ptr_equal(_get_thread_local_invalid_parameter_handler(), own_handler);
    _set_thread_local_invalid_parameter_handler(before);
#else
    skip(); /* UCRT only: msvcrt has no thread-local invalid-parameter handler */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(program_is_compiled_for_the_configured_crt),
        WP_TEST(libwinpipe_dll_links_the_same_crt),
        WP_TEST(program_and_winpipe_share_one_fd_table),
        WP_TEST(program_s_invalid_parameter_handler_is_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
