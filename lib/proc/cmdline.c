/* cmdline.c: what CreateProcessW needs from a POSIX argv, envp and program name, as pure
 * functions (no process state; the file system only through a caller's probe), so that tests can
 * check them directly: the MS C runtime's command-line quoting, cmd.exe's for batch files, the
 * UTF-16 environment block, and the PATH/PATHEXT search. */
#include "winpipe-internal.h"
#include <wchar.h>

#define WP_CMDLINE_MAX 32767 /* CreateProcessW's limit, in UTF-16 units, with the NUL */

/* A growing UTF-8 string. */
struct wp_buf {
    char *p;
    size_t len, cap;
    int err;
};

static void wp_cmdline__put(struct wp_buf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = -ENOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void wp_cmdline__putc(struct wp_buf *b, char c, size_t times)
{
    while (times--)
        wp_cmdline__put(b, &c, 1);
}

/* Hands the finished buffer over as UTF-16, within CreateProcessW's length limit; on failure
 * *out is NULL (the caller frees what it holds either way). */
static int wp_cmdline__finish(struct wp_buf *b, wchar_t **out)
{
    int r = b->err;
    if (r == 0)
        r = wp_win32_utf8_to_wide(b->p ? b->p : "", out);
    if (r == 0 && wcslen(*out) >= WP_CMDLINE_MAX) {
        free(*out);
        *out = NULL;
        r = -E2BIG;
    }
    free(b->p);
    return r;
}

/* The MS C runtime splits its command line at spaces and tabs outside quotes; inside an argument
 * 2n backslashes before a quote are n backslashes and the quote opens or closes, 2n+1 are n
 * backslashes and a literal quote, and backslashes before anything else are literal. So quote
 * when needed, double each backslash run that ends before a quote (ours or the closing one), and
 * escape each quote. */
static void wp_cmdline__quote_arg(struct wp_buf *b, const char *a)
{
    if (*a && !strpbrk(a, " \t\n\v\"")) {
        wp_cmdline__put(b, a, strlen(a));
        return;
    }
    wp_cmdline__putc(b, '"', 1);
    for (;;) {
        size_t bs = strspn(a, "\\");
        a += bs;
        if (*a == 0) {
            wp_cmdline__putc(b, '\\', bs * 2);
            break;
        }
        if (*a == '"') {
            wp_cmdline__putc(b, '\\', bs * 2 + 1);
        } else {
            wp_cmdline__putc(b, '\\', bs);
        }
        wp_cmdline__putc(b, *a++, 1);
    }
    wp_cmdline__putc(b, '"', 1);
}

/* a as it is when plain, else between quotes: what argv[0] and batch arguments both need. */
static void wp_cmdline__put_maybe_quoted(struct wp_buf *b, const char *a, int plain)
{
    if (!plain)
        wp_cmdline__putc(b, '"', 1);
    wp_cmdline__put(b, a, strlen(a));
    if (!plain)
        wp_cmdline__putc(b, '"', 1);
}

/* argv[0] is parsed by other rules: up to the next quote if it starts with one, else up to
 * white space, backslashes literal. POSIX allows any argv[0]; one with a quote cannot be said. */
static int wp_cmdline__quote_arg0(struct wp_buf *b, const char *a)
{
    if (strchr(a, '"'))
        return -EINVAL;
    wp_cmdline__put_maybe_quoted(b, a, *a && !strpbrk(a, " \t\n\v"));
    return 0;
}

/* The command line whose MS C runtime argv is exactly argv (UTF-8 in, UTF-16 out). */
int wp_cmdline_argv(char *const argv[], wchar_t **out)
{
    struct wp_buf b = { 0 };
    if (!argv)
        return -EINVAL;
    if (argv[0]) {
        int r = wp_cmdline__quote_arg0(&b, argv[0]);
        if (r < 0) {
            free(b.p);
            return r;
        }
    }
    for (size_t i = 1; argv[0] && argv[i]; i++) {
        wp_cmdline__putc(&b, ' ', 1);
        wp_cmdline__quote_arg(&b, argv[i]);
    }
    return wp_cmdline__finish(&b, out);
}

/* cmd.exe has no escape that works inside quotes, expands %VAR% everywhere, and treats & | < > ^
 * ( ) , ; = and spaces specially outside quotes. So an argument made only of the characters below
 * goes as it is; any other is quoted, and one holding what quotes cannot protect (a quote, %,
 * a line break) is refused: POSIX has no such restriction, but a batch file is no program. */
static int wp_cmdline__batch_arg(struct wp_buf *b, const char *a)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-.:/\\+@~#$";
    if (strpbrk(a, "\"%\r\n"))
        return -EINVAL;
    wp_cmdline__put_maybe_quoted(b, a, *a && strspn(a, plain) == strlen(a));
    return 0;
}

/* A file name's length without trailing dots and spaces, which Windows drops when it opens it. */
static size_t wp_cmdline__trimmed(const char *name)
{
    size_t n = strlen(name);
    while (n && (name[n - 1] == '.' || name[n - 1] == ' '))
        n--;
    return n;
}

/* The command line that has cmd.exe (/d: no AutoRun, /v:off: no !VAR! expansion) run script with
 * argv[1..]. cmd.exe strips the first and last quote after /c, hence the outer pair. */
int wp_cmdline_batch(const char *script, char *const argv[], wchar_t **out)
{
    struct wp_buf b = { 0 };
    int r = strpbrk(script, "\"%\r\n") ? -EINVAL : 0;
    /* The script always quoted, so that cmd.exe never takes it for an internal command; named
     * as Windows opens it ("x.bat." is x.bat). */
    wp_cmdline__put(&b, "cmd.exe /d /e:on /v:off /c \"\"", 29);
    wp_cmdline__put(&b, script, wp_cmdline__trimmed(script));
    wp_cmdline__putc(&b, '"', 1);
    for (size_t i = 1; r == 0 && argv && argv[0] && argv[i]; i++) {
        wp_cmdline__putc(&b, ' ', 1);
        r = wp_cmdline__batch_arg(&b, argv[i]);
    }
    wp_cmdline__putc(&b, '"', 1);
    if (r < 0) {
        free(b.p);
        return r;
    }
    return wp_cmdline__finish(&b, out);
}

/* envp as CreateProcessW's CREATE_UNICODE_ENVIRONMENT block: each string and its NUL, in the
 * given order, then one more NUL. Windows does not need the block sorted. */
int wp_cmdline_env(char *const envp[], wchar_t **out)
{
    size_t len = 0, cap = 64;
    wchar_t *blk = malloc(cap * sizeof *blk);
    if (!blk)
        return -ENOMEM;
    for (size_t i = 0; envp && envp[i]; i++) {
        int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, envp[i], -1, NULL, 0);
        if (n <= 0) {
            free(blk);
            return -EILSEQ;
        }
        if (len + n + 2 > cap) {
            wchar_t *p = realloc(blk, (cap = (len + n + 2) * 2) * sizeof *blk);
            if (!p) {
                free(blk);
                return -ENOMEM;
            }
            blk = p;
        }
        MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, envp[i], -1, blk + len, n);
        len += n;
    }
    blk[len++] = 0;
    if (len == 1)
        blk[len++] = 0; /* an empty block is two NULs */
    *out = blk;
    return 0;
}

static int wp_cmdline__has_sep(const char *s)
{
    return strpbrk(s, "/\\") || (s[0] && s[1] == ':');
}

static int wp_cmdline__absolute(const char *s)
{
    return s[0] == '/' || s[0] == '\\' || (s[0] && s[1] == ':');
}

/* The extension of the last component, or NULL. */
static const char *wp_cmdline__ext(const char *path)
{
    const char *base = path + strlen(path);
    while (base > path && base[-1] != '/' && base[-1] != '\\' && base[-1] != ':')
        base--;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot : NULL;
}

static int wp_cmdline__in_list(const char *ext, const char *list)
{
    size_t n = strlen(ext);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ";");
        if (len == n && _strnicmp(p, ext, n) == 0)
            return 1;
        p += len + (p[len] == ';');
    }
    return 0;
}

/* Probes one candidate: 0 found (*out set), -ENOENT, -EACCES (a directory). */
static int wp_cmdline__try(struct wp_buf *cand, size_t len, const char *ext, size_t ext_len,
                           wp_probe_fn probe, wchar_t **out)
{
    cand->len = len;
    wp_cmdline__put(cand, ext, ext_len);
    if (cand->err)
        return cand->err;
    wchar_t *w;
    int r = wp_win32_utf8_to_wide(cand->p, &w);
    if (r < 0)
        return r;
    r = probe(w);
    if (r == WP_PROBE_FILE) {
        *out = w;
        return 0;
    }
    free(w);
    return r == WP_PROBE_DIR ? -EACCES : -ENOENT;
}

/* Candidates for one directory: a name whose extension is in PATHEXT as it is; any other name
 * with each PATHEXT extension first (ported code names "prog" for "prog.exe"), then as it is. */
static int wp_cmdline__try_dir(const char *dir, size_t dir_len, const char *file,
                               const char *cwd, const char *pathext, wp_probe_fn probe,
                               wchar_t **out)
{
    struct wp_buf cand = { 0 };
    int r = -ENOENT, seen_dir = 0;
    if (cwd && !(dir_len ? wp_cmdline__absolute(dir) : wp_cmdline__absolute(file))) {
        wp_cmdline__put(&cand, cwd, strlen(cwd));
        wp_cmdline__put(&cand, "\\", 1);
    }
    wp_cmdline__put(&cand, dir, dir_len);
    if (dir_len && dir[dir_len - 1] != '/' && dir[dir_len - 1] != '\\')
        wp_cmdline__put(&cand, "\\", 1);
    wp_cmdline__put(&cand, file, strlen(file));
    size_t len = cand.len;
    const char *ext = wp_cmdline__ext(file);

    if (!ext || !wp_cmdline__in_list(ext, pathext)) {
        for (const char *p = pathext; *p && r != 0;) {
            size_t n = strcspn(p, ";");
            if (n) {
                r = wp_cmdline__try(&cand, len, p, n, probe, out);
                seen_dir |= r == -EACCES;
            }
            p += n + (p[n] == ';');
        }
    }
    if (r != 0) {
        r = wp_cmdline__try(&cand, len, "", 0, probe, out);
        seen_dir |= r == -EACCES;
    }
    free(cand.p);
    return r == 0 ? 0 : seen_dir ? -EACCES : r;
}

/* The PATH element at *p (advanced past it and its ';') into dir. POSIX knows no quotes in
 * PATH; Windows' cmd.exe takes "..." around (part of) an element, ';' included, and such PATHs
 * are common: a ';' inside quotes does not separate, and the quotes are dropped. */
static void wp_cmdline__next_dir(const char **p, struct wp_buf *dir)
{
    int quoted = 0;
    dir->len = 0;
    wp_cmdline__put(dir, "", 0);
    for (; **p && (quoted || **p != ';'); (*p)++) {
        if (**p == '"')
            quoted = !quoted;
        else
            wp_cmdline__put(dir, *p, 1);
    }
}

/* The program posix_spawn (search 0) or posix_spawnp (search 1) runs. POSIX: a name with a slash
 * is not searched; PATH's elements are tried in order, an empty one is the current directory,
 * and a match that cannot be run (here: a directory) is EACCES only if nothing else is found.
 * Windows: PATH separates with ';', and a backslash or drive letter counts as a slash. A relative
 * result is relative to cwd (the child's directory after addchdir) when cwd is given. */
int wp_cmdline_search(const char *file, int search, const char *path, const char *pathext,
                      const char *cwd, wp_probe_fn probe, wchar_t **out)
{
    struct wp_buf dir = { 0 };
    int r = -ENOENT, seen_dir = 0;
    if (!file || !*file)
        return -ENOENT;
    if (!pathext || !*pathext)
        pathext = ".COM;.EXE;.BAT;.CMD";
    if (!search || wp_cmdline__has_sep(file))
        return wp_cmdline__try_dir("", 0, file, cwd, pathext, probe, out);
    for (const char *p = path ? path : "";;) {
        wp_cmdline__next_dir(&p, &dir);
        r = dir.err ? dir.err : wp_cmdline__try_dir(dir.p, dir.len, file, cwd, pathext, probe, out);
        if (r == 0 || (r != -ENOENT && r != -EACCES))
            break;
        seen_dir |= r == -EACCES;
        if (!*p++)
            break;
    }
    free(dir.p);
    if (r == 0 || (r != -ENOENT && r != -EACCES))
        return r;
    return seen_dir ? -EACCES : -ENOENT;
}

/* Whether a program path names a batch file, which only cmd.exe can run. Windows opens "x.bat."
 * and "x.bat " as x.bat, and CreateProcess runs them through cmd.exe with the command line as it
 * is (the hole in Rust's first fix, CVE-2024-43402): trailing dots and spaces do not count. */
int wp_cmdline_is_batch(const wchar_t *path)
{
    size_t n = wcslen(path);
    while (n && (path[n - 1] == L'.' || path[n - 1] == L' '))
        n--;
    return n >= 4 && (_wcsnicmp(path + n - 4, L".bat", 4) == 0
                      || _wcsnicmp(path + n - 4, L".cmd", 4) == 0);
}
