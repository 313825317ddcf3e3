/* test_cmdline: lib/cmdline.c's pure functions (Windows only; linked against the static
 * library, whose internal names are visible): exact MS C runtime quoting, checked against the
 * system's own parser (CommandLineToArgvW) over thousands of generated vectors; cmd.exe quoting
 * for batch files; the environment block; the PATH/PATHEXT search with a fake file system.
 * Natively every test is skipped: Linux passes argv as an array. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include "helper.h"

#ifdef _WIN32
#include <windows.h>
#include <shellapi.h>
int wp_cmdline_argv(char *const argv[], wchar_t **out);
int wp_cmdline_batch(const char *script, char *const argv[], wchar_t **out);
int wp_cmdline_env(char *const envp[], wchar_t **out);
typedef int (*wp_probe_fn)(const wchar_t *path);
int wp_cmdline_search(const char *file, int search, const char *path, const char *pathext,
                      const char *cwd, wp_probe_fn probe, wchar_t **out);
int wp_cmdline_is_batch(const wchar_t *path);

static void expect_cmdline(char *const *argv, const wchar_t *want)
{
    wchar_t *got = NULL;
    assert_int_equal(wp_cmdline_argv(argv, &got), 0);
    if (wcscmp(got, want) != 0)
        fail_msg("command line '%ls', expected '%ls'", got, want);
    free(got);
}
#endif

static void quoting_is_exact_for_known_cases(void **state)
{
#ifdef _WIN32
    (void)state;
    { char *a[] = { "prog", "plain", NULL }; expect_cmdline(a, L"prog plain"); }
    { char *a[] = { "prog", "", NULL }; expect_cmdline(a, L"prog \"\""); }
    { char *a[] = { "prog", "a b", NULL }; expect_cmdline(a, L"prog \"a b\""); }
    { char *a[] = { "prog", "a\"b", NULL }; expect_cmdline(a, L"prog \"a\\\"b\""); }
    { char *a[] = { "prog", "a\\b", NULL }; expect_cmdline(a, L"prog a\\b"); }
    { char *a[] = { "prog", "a b\\", NULL }; expect_cmdline(a, L"prog \"a b\\\\\""); }
    { char *a[] = { "prog", "\\\"", NULL }; expect_cmdline(a, L"prog \"\\\\\\\"\""); }
    { char *a[] = { "C:\\Program Files\\p.exe", "x", NULL };
      expect_cmdline(a, L"\"C:\\Program Files\\p.exe\" x"); }
    { char *a[] = { "ü", "日本", NULL }; expect_cmdline(a, L"\u00fc \u65e5\u672c"); }
    { char *a[] = { "has\"quote", NULL }; wchar_t *w;
      assert_int_equal(wp_cmdline_argv(a, &w), -EINVAL); }
    { char *a[] = { "p", "\xff\xfe", NULL }; wchar_t *w;
      assert_int_equal(wp_cmdline_argv(a, &w), -EILSEQ); }
#else
    (void)state;
    skip();
#endif
}

static void quoting_round_trips_through_the_system_parser(void **state)
{
#ifdef _WIN32
    static const char *alphabet[] = { "a", " ", "\t", "\"", "\\", "\\\\", "é", "x y", "'" };
    static char storage[12][48];
    unsigned long seed = 99;
    (void)state;
    for (int v = 0; v < 5000; v++) {
        char *argv[14];
        int n = 0, argc = 0;
        argv[n++] = "prog";
        int nargs = (int)((seed = seed * 1103515245UL + 12345UL) >> 16) % 12;
        for (int i = 0; i < nargs; i++) {
            int len = (int)((seed = seed * 1103515245UL + 12345UL) >> 16) % 8;
            storage[i][0] = 0;
            for (int k = 0; k < len; k++)
                strcat(storage[i], alphabet[((seed = seed * 1103515245UL + 12345UL) >> 16) % 9]);
            argv[n++] = storage[i];
        }
        argv[n] = NULL;
        wchar_t *cmd;
        assert_int_equal(wp_cmdline_argv(argv, &cmd), 0);
        wchar_t **parsed = CommandLineToArgvW(cmd, &argc);
        assert_non_null(parsed);
        assert_int_equal(argc, n);
        for (int i = 1; i < n; i++) {
            char u[256];
            WideCharToMultiByte(CP_UTF8, 0, parsed[i], -1, u, sizeof u, NULL, NULL);
            if (strcmp(u, argv[i]) != 0)
                fail_msg("vector %d arg %d: parsed '%s', sent '%s' (line %ls)", v, i, u,
                         argv[i], cmd);
        }
        LocalFree(parsed);
        free(cmd);
    }
#else
    (void)state;
    skip();
#endif
}

static void batch_arguments_are_quoted_or_refused(void **state)
{
#ifdef _WIN32
    wchar_t *w;
    (void)state;
    { char *a[] = { "x.bat", "one", "two words", "a&b", "", NULL };
      assert_int_equal(wp_cmdline_batch("C:\\d\\x.bat", a, &w), 0);
      assert_true(wcscmp(w, L"cmd.exe /d /e:on /v:off /c \"\"C:\\d\\x.bat\" one \"two words\" "
                            L"\"a&b\" \"\"\"") == 0);
      free(w); }
    { char *a[] = { "x.bat", "a\"b", NULL };
      assert_int_equal(wp_cmdline_batch("x.bat", a, &w), -EINVAL); }
    { char *a[] = { "x.bat", "%PATH%", NULL };
      assert_int_equal(wp_cmdline_batch("x.bat", a, &w), -EINVAL); }
    { char *a[] = { "x.bat", "line\nbreak", NULL };
      assert_int_equal(wp_cmdline_batch("x.bat", a, &w), -EINVAL); }
#else
    (void)state;
    skip();
#endif
}

static void env_block_keeps_order_and_ends_with_two_nuls(void **state)
{
#ifdef _WIN32
    char *envp[] = { "B=2", "A=ü", NULL };
    char *none[] = { NULL };
    wchar_t *w;
    (void)state;
    assert_int_equal(wp_cmdline_env(envp, &w), 0);
    assert_memory_equal(w, L"B=2\0A=\u00fc\0", 9 * sizeof(wchar_t));
    free(w);
    assert_int_equal(wp_cmdline_env(none, &w), 0);
    assert_int_equal(w[0], 0);
    assert_int_equal(w[1], 0);
    free(w);
    /* UTF-16 cannot say bytes that are no UTF-8. */
    { char *bad[] = { "A=1", "B=\xff\xfe", NULL };
      assert_int_equal(wp_cmdline_env(bad, &w), -EILSEQ); }
#else
    (void)state;
    skip();
#endif
}

#ifdef _WIN32
/* A fake file system: C:\bin\tool.exe, C:\bin\script.cmd, C:\other\tool (no extension),
 * C:\other\x.y, C:\semi;colon\tool.exe, C:\dirs\tool.exe (a directory). */
static int fake_probe(const wchar_t *path)
{
    wchar_t p[256];
    wcsncpy(p, path, 255);
    p[255] = 0;
    for (wchar_t *c = p; *c; c++)
        if (*c == L'/')
            *c = L'\\'; /* Windows takes either */
    if (!_wcsicmp(p, L"C:\\bin\\tool.exe") || !_wcsicmp(p, L"C:\\bin\\script.cmd")
        || !_wcsicmp(p, L"C:\\other\\tool") || !_wcsicmp(p, L"C:\\other\\x.y")
        || !_wcsicmp(p, L"C:\\semi;colon\\tool.exe"))
        return 1;
    if (!_wcsicmp(p, L"C:\\dirs\\tool.exe"))
        return 2;
    return 0;
}

static void expect_found_from(const char *file, int search, const char *path, const char *cwd,
                              const wchar_t *want)
{
    wchar_t *got = NULL;
    int r = wp_cmdline_search(file, search, path, NULL, cwd, fake_probe, &got);
    if (r != 0)
        fail_msg("search '%s' in '%s': %d", file, path ? path : "", r);
    if (_wcsicmp(got, want) != 0) /* PATHEXT's case is the system's */
        fail_msg("search '%s': '%ls', expected '%ls'", file, got, want);
    free(got);
}

static void expect_found(const char *file, int search, const char *path, const wchar_t *want)
{
    expect_found_from(file, search, path, NULL, want);
}
#endif

static void path_search_follows_posix_over_windows_path(void **state)
{
#ifdef _WIN32
    wchar_t *w;
    (void)state;
    expect_found("tool", 1, "C:\\none;C:\\dirs;C:\\bin", L"C:\\bin\\tool.exe");
    expect_found("tool", 1, "C:\\other;C:\\bin", L"C:\\other\\tool");
    expect_found("script", 1, "C:\\bin", L"C:\\bin\\script.cmd");
    expect_found("tool.exe", 1, "C:\\bin\\", L"C:\\bin\\tool.exe");
    expect_found("x.y", 1, "C:\\other", L"C:\\other\\x.y");
    expect_found("C:\\bin\\tool", 0, NULL, L"C:\\bin\\tool.exe");
    expect_found("C:/bin/tool", 1, "C:\\other", L"C:/bin/tool.exe");
    expect_found("C:/bin\\tool", 1, "C:\\other", L"C:/bin\\tool.exe"); /* both separators */
    assert_int_equal(wp_cmdline_search("tool", 1, "C:\\dirs", NULL, NULL, fake_probe, &w),
                     -EACCES);
    assert_int_equal(wp_cmdline_search("nope", 1, "C:\\bin", NULL, NULL, fake_probe, &w),
                     -ENOENT);
    assert_int_equal(wp_cmdline_search("bin\\tool", 1, "C:\\", NULL, NULL, fake_probe, &w),
                     -ENOENT);
    assert_int_equal(wp_cmdline_search("", 1, "C:\\bin", NULL, NULL, fake_probe, &w), -ENOENT);
#else
    (void)state;
    skip();
#endif
}

/* POSIX: an empty PATH element (leading, trailing, doubled) is the current directory (here
 * cwd, the child's directory). */
static void empty_path_elements_are_the_current_directory(void **state)
{
#ifdef _WIN32
    wchar_t *w;
    (void)state;
    expect_found_from("tool", 1, "C:\\none;;C:\\other", "C:\\bin", L"C:\\bin\\tool.exe");
    expect_found_from("tool", 1, ";C:\\none", "C:\\bin", L"C:\\bin\\tool.exe");
    expect_found_from("tool", 1, "C:\\none;", "C:\\bin", L"C:\\bin\\tool.exe");
    expect_found_from("tool", 1, "", "C:\\bin", L"C:\\bin\\tool.exe");
    assert_int_equal(wp_cmdline_search("tool", 1, "C:\\none", NULL, "C:\\bin", fake_probe, &w),
                     -ENOENT);
#else
    (void)state;
    skip();
#endif
}

/* POSIX has no quoting in PATH; Windows' cmd.exe takes an element in double quotes (so that
 * it may hold ';'), and such PATHs are common: the quotes are no part of the directory. */
static void quoted_path_elements_are_unquoted(void **state)
{
#ifdef _WIN32
    wchar_t *w;
    (void)state;
    expect_found("tool", 1, "\"C:\\none\";\"C:\\bin\"", L"C:\\bin\\tool.exe");
    expect_found("tool", 1, "C:\\none;\"C:\\semi;colon\"", L"C:\\semi;colon\\tool.exe");
    expect_found("tool", 1, "C:\\none;C:\\\"bi\"n", L"C:\\bin\\tool.exe");
    assert_int_equal(wp_cmdline_search("tool", 1, "C:\\semi;colon", NULL, NULL, fake_probe, &w),
                     -ENOENT);
#else
    (void)state;
    skip();
#endif
}

/* Windows opens a name with trailing dots or spaces as the name without them, and
 * CreateProcess runs "x.bat." through cmd.exe: such names are batch files too. */
static void batch_names_are_recognised_with_trailing_dots_and_spaces(void **state)
{
#ifdef _WIN32
    (void)state;
    assert_true(wp_cmdline_is_batch(L"C:\\d\\x.bat"));
    assert_true(wp_cmdline_is_batch(L"x.CMD"));
    assert_true(wp_cmdline_is_batch(L"x.bat."));
    assert_true(wp_cmdline_is_batch(L"x.bat "));
    assert_true(wp_cmdline_is_batch(L"x.Cmd. . "));
    assert_false(wp_cmdline_is_batch(L"x.bat.exe"));
    assert_false(wp_cmdline_is_batch(L"x.exe"));
    assert_false(wp_cmdline_is_batch(L"bat"));
    assert_false(wp_cmdline_is_batch(L". ."));
#else
    (void)state;
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(quoting_is_exact_for_known_cases),
        WP_TEST(quoting_round_trips_through_the_system_parser),
        WP_TEST(batch_arguments_are_quoted_or_refused),
        WP_TEST(env_block_keeps_order_and_ends_with_two_nuls),
        WP_TEST(path_search_follows_posix_over_windows_path),
        WP_TEST(empty_path_elements_are_the_current_directory),
        WP_TEST(quoted_path_elements_are_unquoted),
        WP_TEST(batch_names_are_recognised_with_trailing_dots_and_spaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
