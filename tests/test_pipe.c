/* test_pipe: pipe() and pipe2(): creation, flags, errors, leaks, EOF/EPIPE, access modes. */
#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "helper.h"
#include "spawn_util.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#include <wchar.h>
#endif

/* Code written for Windows and POSIX alike passes O_BINARY, which POSIX systems lack; gnulib
 * defines it 0 there, as here. */
#ifndef O_BINARY
#define O_BINARY 0
#endif

/* ---- creation ---------------------------------------------------------------------------- */

static void pipe_returns_two_distinct_nonnegative_fds(void **state)
{
    int p[2] = { -1, -1 };
    (void)state;
    assert_ok(pipe(p));
    assert_true(p[0] >= 0);
    assert_true(p[1] >= 0);
    assert_int_not_equal(p[0], p[1]);
    wp_close_pipe(p);
}

static void pipe2_returns_two_distinct_nonnegative_fds_for_each_valid_flag_set(void **state)
{
    const int flag_sets[] = { 0, O_NONBLOCK, O_CLOEXEC, O_NONBLOCK | O_CLOEXEC };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
        int p[2] = { -1, -1 };
        assert_ok(pipe2(p, flag_sets[i]));
        assert_true(p[0] >= 0);
        assert_true(p[1] >= 0);
        assert_int_not_equal(p[0], p[1]);
        wp_close_pipe(p);
    }
}

static void pipe_allocates_the_two_lowest_free_fds_read_end_first(void **state)
{
    int p[2], hole[2], expect0, expect1;
    (void)state;
    /* Make a hole below the current top so "lowest" is not just "next". */
    wp_pipe(hole, 0);
    wp_close(hole[0]);
    expect0 = wp_lowest_free_fd(0);
    expect1 = wp_lowest_free_fd(expect0 + 1);
    assert_int_equal(expect0, hole[0]);
    wp_pipe(p, 0);
    assert_int_equal(p[0], expect0);
    assert_int_equal(p[1], expect1);
    wp_close_pipe(p);
    wp_close(hole[1]);
}

static void pipe_round_trip_delivers_exact_bytes_in_order(void **state)
{
    static const char msg[] = "hello, pipe\0with a NUL and \xff bytes";
    char buf[sizeof msg];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_rc(write(p[1], msg, sizeof msg), sizeof msg);
    memset(buf, 0, sizeof buf);
    wp_read_exact(p[0], buf, sizeof msg);
    assert_memory_equal(buf, msg, sizeof msg);
    wp_close_pipe(p);
}

static void pipe2_round_trip_with_all_flags_delivers_exact_bytes(void **state)
{
    unsigned char out[3000], in[3000];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK | O_CLOEXEC);
    wp_pattern_fill(out, 0, sizeof out);
    assert_rc(write(p[1], out, sizeof out), sizeof out);
    assert_rc(read(p[0], in, sizeof in), sizeof in);
    assert_memory_equal(in, out, sizeof out);
    assert_errno(read(p[0], in, sizeof in), EAGAIN);
    wp_close_pipe(p);
}

/* ---- flags --------------------------------------------------------------------------------- */

static void pipe_gives_blocking_fds_without_cloexec(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY);
    assert_rc(fcntl(p[0], F_GETFD), 0);
    assert_rc(fcntl(p[1], F_GETFD), 0);
    wp_close_pipe(p);
}

static void pipe2_without_flags_gives_blocking_fds_without_cloexec(void **state)
{
    int p[2];
    (void)state;
    assert_ok(pipe2(p, 0));
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY);
    assert_rc(fcntl(p[0], F_GETFD), 0);
    assert_rc(fcntl(p[1], F_GETFD), 0);
    wp_close_pipe(p);
}

static void pipe2_o_nonblock_shows_in_f_getfl_of_both_ends_only(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    assert_rc(fcntl(p[0], F_GETFD), 0);
    assert_rc(fcntl(p[1], F_GETFD), 0);
    wp_close_pipe(p);
}

static void pipe2_o_cloexec_shows_fd_cloexec_in_f_getfd_of_both_ends_only(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    assert_rc(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY);
    wp_close_pipe(p);
}

static void pipe2_both_flags_show_in_f_getfl_and_f_getfd(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK | O_CLOEXEC);
    assert_rc(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    assert_rc(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    assert_rc(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    wp_close_pipe(p);
}

static void pipe2_rejects_other_flags_with_einval_and_opens_nothing(void **state)
{
    /* Linux accepts only O_CLOEXEC, O_NONBLOCK, O_DIRECT and O_NOTIFICATION_PIPE (== O_EXCL);
     * O_DIRECT and O_EXCL are deliberately not used here. */
    const int bad[] = {
        O_APPEND,
        O_CREAT,
        O_TRUNC,
        O_WRONLY,
        O_RDWR,
        O_APPEND | O_NONBLOCK,
        O_TRUNC | O_CLOEXEC,
        O_CREAT | O_NONBLOCK | O_CLOEXEC,
        0x12345678 & ~(O_NONBLOCK | O_CLOEXEC),
    };
    struct wp_handles *before;
    int before_free;
    size_t i;
    (void)state;
    before = wp_handles_take();
    before_free = wp_lowest_free_fd(0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int p[2] = { -1, -1 };
        errno = 0;
        if (pipe2(p, bad[i]) != -1 || errno != EINVAL)
            fail_msg("pipe2(p, 0x%x): expected -1/EINVAL, got errno %d (%s)", (unsigned)bad[i],
                     errno, strerror(errno));
    }
    assert_int_equal(wp_lowest_free_fd(0), before_free);
    wp_assert_no_leak(before);
}

/* gnulib's spawn-pipe passes O_BINARY (with O_CLOEXEC) on mingw: pipe2 takes it, and the pipe is
 * the one the other flags alone give, its bytes untranslated. */
static void pipe2_accepts_o_binary(void **state)
{
    static const char bytes[] = "a\nb\r\n\x1a\x00z";
    const int flag_sets[] = { O_BINARY, O_BINARY | O_CLOEXEC, O_BINARY | O_NONBLOCK | O_CLOEXEC };
    char buf[16];
    (void)state;
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
        int p[2] = { -1, -1 }, fl = flag_sets[i];
        errno = 0;
        if (pipe2(p, fl) != 0)
            fail_msg("pipe2(p, %#x): errno %d (%s)", (unsigned)fl, errno, strerror(errno));
        for (int end = 0; end < 2; end++) {
            assert_rc(fcntl(p[end], F_GETFD), (fl & O_CLOEXEC) ? FD_CLOEXEC : 0);
            assert_rc(fcntl(p[end], F_GETFL),
                      (end ? O_WRONLY : O_RDONLY) | (fl & O_NONBLOCK));
        }
        assert_rc(write(p[1], bytes, sizeof bytes), sizeof bytes);
        assert_rc(read(p[0], buf, sizeof buf), sizeof bytes);
        assert_memory_equal(buf, bytes, sizeof bytes);
        wp_close_pipe(p);
    }
}

/* ---- bad arguments --------------------------------------------------------------------------- */

static void pipe_with_null_array_fails_with_efault(void **state)
{
    /* glibc's pipe() passes the pointer straight to the kernel: -1/EFAULT, no crash. */
    int *volatile nullp = NULL;
    (void)state;
    assert_errno(pipe(nullp), EFAULT);
}

static void pipe2_with_null_array_fails_with_efault(void **state)
{
    int *volatile nullp = NULL;
    (void)state;
    assert_errno(pipe2(nullp, 0), EFAULT);
    assert_errno(pipe2(nullp, O_NONBLOCK | O_CLOEXEC), EFAULT);
}

/* ---- leaks ----------------------------------------------------------------------------------- */

static void creating_and_closing_1000_pipes_leaks_no_fd_or_handle(void **state)
{
    const int flag_sets[] = { 0, O_NONBLOCK, O_CLOEXEC, O_NONBLOCK | O_CLOEXEC };
    struct wp_handles *before;
    int before_free, i, p[2];
    (void)state;
    /* Warm-up: lets an implementation allocate its one-time state before the baseline. */
    wp_pipe(p, 0);
    assert_rc(write(p[1], "w", 1), 1);
    wp_close_pipe(p);

    before = wp_handles_take();
    before_free = wp_lowest_free_fd(0);
    for (i = 0; i < 1000; i++) {
        char c = 0;
        wp_pipe(p, flag_sets[i % 4]);
        if (i % 10 == 0) { /* used pipes must not leak either */
            assert_rc(write(p[1], "x", 1), 1);
            assert_rc(read(p[0], &c, 1), 1);
            assert_int_equal(c, 'x');
        }
        wp_close_pipe(p);
    }
    assert_int_equal(wp_lowest_free_fd(0), before_free);
    wp_assert_no_leak(before);
}

/* ---- the fd limit ---------------------------------------------------------------------------- */

/* POSIX: pipe() without two free fds below the limit fails with EMFILE (msvcrt's _pipe says
 * ENFILE) and opens nothing: a single free number stays free. */
static void pipe_with_the_fd_table_full_is_emfile(void **state)
{
    int p[2], q[2] = { -1, -1 }, first, second;
    (void)state;
    wp_pipe(p, 0);
    wp_fd_limit();
    assert_true(wp_fd_fill(p[0]) > 2);
    assert_errno(pipe(q), EMFILE);
    assert_errno(pipe2(q, O_NONBLOCK | O_CLOEXEC), EMFILE);
    first = wp_fd_unfill(1);
    assert_errno(pipe(q), EMFILE);
    assert_errno(pipe2(q, O_CLOEXEC), EMFILE);
    assert_int_equal(wp_lowest_free_fd(0), first);
    second = wp_fd_unfill(1);
    assert_ok(pipe(q));
    assert_int_equal(q[0], first < second ? first : second);
    assert_int_equal(q[1], first < second ? second : first);
    wp_close_pipe(q);
    wp_close_pipe(p);
}

/* ---- EOF and EPIPE --------------------------------------------------------------------------- */

static void read_returns_remaining_data_then_0_after_writer_closed(void **state)
{
    char buf[64];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_rc(write(p[1], "abcdef", 6), 6);
    wp_close(p[1]);
    assert_rc(read(p[0], buf, 4), 4);
    assert_memory_equal(buf, "abcd", 4);
    assert_rc(read(p[0], buf, sizeof buf), 2);
    assert_memory_equal(buf, "ef", 2);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    wp_close(p[0]);
}

static void write_fails_with_epipe_after_reader_closed(void **state)
{
    int p[2];
    (void)state;
    /* SIGPIPE is ignored by the group setup. */
    wp_pipe(p, 0);
    wp_close(p[0]);
    assert_errno(write(p[1], "x", 1), EPIPE);
    assert_errno(write(p[1], "hello", 5), EPIPE);
    wp_close(p[1]);
}

static void write_with_unread_data_fails_with_epipe_after_reader_closed(void **state)
{
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_rc(write(p[1], "data", 4), 4);
    wp_close(p[0]);
    assert_errno(write(p[1], "x", 1), EPIPE);
    wp_close(p[1]);
}

/* ---- access modes ---------------------------------------------------------------------------- */

static void read_end_access_mode_is_o_rdonly(void **state)
{
    const int flag_sets[] = { 0, O_NONBLOCK, O_CLOEXEC, O_NONBLOCK | O_CLOEXEC };
    size_t i;
    (void)state;
    for (i = 0; i < 4; i++) {
        int p[2], fl;
        wp_pipe(p, flag_sets[i]);
        fl = fcntl(p[0], F_GETFL);
        assert_int_not_equal(fl, -1);
        assert_int_equal(fl & O_ACCMODE, O_RDONLY);
        wp_close_pipe(p);
    }
}

static void write_end_access_mode_is_o_wronly(void **state)
{
    const int flag_sets[] = { 0, O_NONBLOCK, O_CLOEXEC, O_NONBLOCK | O_CLOEXEC };
    size_t i;
    (void)state;
    for (i = 0; i < 4; i++) {
        int p[2], fl;
        wp_pipe(p, flag_sets[i]);
        fl = fcntl(p[1], F_GETFL);
        assert_int_not_equal(fl, -1);
        assert_int_equal(fl & O_ACCMODE, O_WRONLY);
        wp_close_pipe(p);
    }
}

static void read_on_write_end_fails_with_ebadf(void **state)
{
    char buf[8];
    int p[2];
    (void)state;
    wp_pipe(p, 0);
    assert_errno(read(p[1], buf, sizeof buf), EBADF);
    /* even with data in the pipe */
    assert_rc(write(p[1], "abc", 3), 3);
    assert_errno(read(p[1], buf, sizeof buf), EBADF);
    assert_rc(read(p[0], buf, sizeof buf), 3);
    wp_close_pipe(p);
}

static void write_on_read_end_fails_with_ebadf(void **state)
{
    char buf[8];
    int p[2];
    (void)state;
    wp_pipe(p, O_NONBLOCK);
    assert_errno(write(p[0], "abc", 3), EBADF);
    /* nothing arrived through the wrong end */
    assert_errno(read(p[0], buf, sizeof buf), EAGAIN);
    wp_close_pipe(p);
}

/* ---- Windows specifics ------------------------------------------------------------------------ */

#ifdef _WIN32
static DWORD handle_flags_of(int fd)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    DWORD fl = 0;
    if (h == INVALID_HANDLE_VALUE)
        fail_msg("_get_osfhandle(%d) returned INVALID_HANDLE_VALUE", fd);
    if (!GetHandleInformation(h, &fl))
        fail_msg("GetHandleInformation(fd %d) failed: %lu", fd, (unsigned long)GetLastError());
    return fl;
}
#endif

static void win_osfhandle_of_pipe_fds_is_a_valid_pipe_handle(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2], i;
    wp_pipe(p, 0);
    for (i = 0; i < 2; i++) {
        HANDLE h = (HANDLE)_get_osfhandle(p[i]);
        DWORD fl;
        assert_true(h != INVALID_HANDLE_VALUE);
        assert_true(h != NULL);
        assert_true(GetHandleInformation(h, &fl) != 0);
        assert_int_equal(GetFileType(h), FILE_TYPE_PIPE);
    }
    wp_close_pipe(p);
#else
    skip(); /* uses _get_osfhandle/GetHandleInformation: Windows only */
#endif
}

static void win_pipe_handles_are_inheritable(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2];
    wp_pipe(p, 0);
    assert_true(handle_flags_of(p[0]) & HANDLE_FLAG_INHERIT);
    assert_true(handle_flags_of(p[1]) & HANDLE_FLAG_INHERIT);
    wp_close_pipe(p);
#else
    skip(); /* HANDLE_FLAG_INHERIT: Windows only */
#endif
}

static void win_pipe2_o_cloexec_handles_are_not_inheritable(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2];
    wp_pipe(p, O_CLOEXEC);
    assert_false(handle_flags_of(p[0]) & HANDLE_FLAG_INHERIT);
    assert_false(handle_flags_of(p[1]) & HANDLE_FLAG_INHERIT);
    wp_close_pipe(p);
#else
    skip(); /* HANDLE_FLAG_INHERIT: Windows only */
#endif
}

static void win_f_setfd_toggles_handle_inherit_flag(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2];
    wp_pipe(p, 0);
    assert_ok(fcntl(p[0], F_SETFD, FD_CLOEXEC));
    assert_false(handle_flags_of(p[0]) & HANDLE_FLAG_INHERIT);
    assert_true(handle_flags_of(p[1]) & HANDLE_FLAG_INHERIT);
    assert_ok(fcntl(p[0], F_SETFD, 0));
    assert_true(handle_flags_of(p[0]) & HANDLE_FLAG_INHERIT);
    assert_ok(fcntl(p[1], F_SETFD, FD_CLOEXEC));
    assert_false(handle_flags_of(p[1]) & HANDLE_FLAG_INHERIT);
    assert_rc(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    wp_close_pipe(p);
#else
    skip(); /* HANDLE_FLAG_INHERIT: Windows only */
#endif
}

static void win_msvcrt_close_behind_back_then_reused_fd_is_a_fresh_pipe(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2], q[2];
    char buf[8];
    wp_pipe(p, O_NONBLOCK | O_CLOEXEC);
    /* Close through msvcrt directly, bypassing winpipe. */
    assert_int_equal(_close(p[0]), 0);
    assert_int_equal(_close(p[1]), 0);
    /* The lowest-free rule hands the same numbers out again. */
    wp_pipe(q, 0);
    assert_int_equal(q[0], p[0]);
    assert_int_equal(q[1], p[1]);
    /* No stale state from the old pipe: blocking, inheritable, right access modes. */
    assert_rc(fcntl(q[0], F_GETFL), O_RDONLY);
    assert_rc(fcntl(q[1], F_GETFL), O_WRONLY);
    assert_rc(fcntl(q[0], F_GETFD), 0);
    assert_rc(fcntl(q[1], F_GETFD), 0);
    assert_rc(write(q[1], "fresh", 5), 5);
    assert_rc(read(q[0], buf, sizeof buf), 5);
    assert_memory_equal(buf, "fresh", 5);
    wp_close(q[1]);
    assert_rc(read(q[0], buf, sizeof buf), 0);
    wp_close(q[0]);
#else
    skip(); /* msvcrt _close behind winpipe's back: Windows only */
#endif
}

static void win_underscore_pipe_binary_works_as_a_pipe(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2] = { -1, -1 };
    char buf[16];
    assert_int_equal(_pipe(p, 4096, _O_BINARY), 0);
    assert_true(p[0] >= 0);
    assert_true(p[1] >= 0);
    assert_int_not_equal(p[0], p[1]);
    assert_int_equal(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    assert_int_equal(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    assert_true(handle_flags_of(p[0]) & HANDLE_FLAG_INHERIT);
    assert_true(handle_flags_of(p[1]) & HANDLE_FLAG_INHERIT);
    assert_rc(write(p[1], "a\r\nb\n", 5), 5); /* binary: no CR/LF translation */
    assert_rc(read(p[0], buf, sizeof buf), 5);
    assert_memory_equal(buf, "a\r\nb\n", 5);
    wp_close(p[1]);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    wp_close(p[0]);
#else
    skip(); /* _pipe: Windows only */
#endif
}

static void win_underscore_pipe_noinherit_makes_handles_non_inheritable(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2] = { -1, -1 };
    char c = 0;
    assert_int_equal(_pipe(p, 4096, _O_BINARY | _O_NOINHERIT), 0);
    assert_false(handle_flags_of(p[0]) & HANDLE_FLAG_INHERIT);
    assert_false(handle_flags_of(p[1]) & HANDLE_FLAG_INHERIT);
    assert_rc(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    assert_rc(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    assert_rc(write(p[1], "z", 1), 1);
    assert_rc(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'z');
    wp_close_pipe(p);
#else
    skip(); /* _pipe/_O_NOINHERIT: Windows only */
#endif
}

/* Windows-only: winpipe's fallback when the system refuses an unnamed pipe is a uniquely named
 * one; WINPIPE_FORCE_NAMED_PIPE=1 takes it. It must behave as a pipe, and really be named. */
static void win_named_pipe_fallback_works_as_a_pipe(void **state)
{
    (void)state;
#ifdef _WIN32
    int p[2];
    char buf[8];
    union { FILE_NAME_INFO info; char bytes[1024]; } name;
    _putenv("WINPIPE_FORCE_NAMED_PIPE=1");
    wp_pipe(p, O_NONBLOCK);
    _putenv("WINPIPE_FORCE_NAMED_PIPE=");
    memset(&name, 0, sizeof name);
    assert_true(GetFileInformationByHandleEx((HANDLE)_get_osfhandle(p[0]), FileNameInfo, &name,
                                             sizeof name - sizeof(WCHAR)));
    /* The pipe device reports the name winpipe-<pid>-... (Wine with one more leading
     * backslash than Windows); an unnamed pipe has no name at all. */
    if (!wcsstr(name.info.FileName, L"winpipe-"))
        fail_msg("the read end is named '%ls', not winpipe-...", name.info.FileName);
    assert_errno(read(p[0], buf, 1), EAGAIN);
    assert_rc(write(p[1], "named", 5), 5);
    assert_rc(read(p[0], buf, sizeof buf), 5);
    assert_memory_equal(buf, "named", 5);
    wp_close(p[1]);
    wp_set_nonblock(p[0], 0);
    assert_rc(read(p[0], buf, sizeof buf), 0);
    wp_close(p[0]);
#else
    skip(); /* winpipe's named-pipe fallback: Windows only */
#endif
}

#ifdef _WIN32
/* The fallback pipe's name, if it is PID-TID-SERIAL-TICKS of this process and thread:
 * *serial and 1; else 0. */
static int named_pipe_serial(int fd, unsigned long *serial)
{
    union { FILE_NAME_INFO info; char bytes[1024]; } name;
    unsigned long pid = 0, tid = 0;
    unsigned long long ticks;
    int end = -1;
    memset(&name, 0, sizeof name);
    assert_true(GetFileInformationByHandleEx((HANDLE)_get_osfhandle(fd), FileNameInfo, &name,
                                             sizeof name - sizeof(WCHAR)));
    const wchar_t *w = wcsstr(name.info.FileName, L"winpipe-");
    return w && swscanf(w, L"winpipe-%lu-%lu-%lu-%llu%n", &pid, &tid, serial, &ticks, &end) == 4
           && end > 0 && w[end] == 0 && pid == GetCurrentProcessId()
           && tid == GetCurrentThreadId();
}
#endif

/* Windows-only: another local process may create pipe names first. One that creates those the
 * fallback would use next must neither make pipe() fail nor receive the data: the names must be
 * unguessable, and a taken one tried again. Here the squatter (this process) learns the scheme
 * PID-TID-SERIAL-TICKS from a first pipe's name and creates the next serial's name for every
 * tick from now to half a second past the end of its work, then pipe() runs at once. */
static void win_named_pipe_fallback_survives_squatted_names(void **state)
{
    (void)state;
#ifdef _WIN32
    enum { MAX_SQUAT = 20000, AHEAD_MS = 500 };
    static HANDLE squat[MAX_SQUAT];
    unsigned long serial = 0;
    int p[2] = { -1, -1 }, n = 0, predictable, r, e, connected = 0;
    ULONGLONG t, covered = 0, called;
    char buf[8];
    _putenv("WINPIPE_FORCE_NAMED_PIPE=1");
    wp_pipe(p, 0);
    predictable = named_pipe_serial(p[0], &serial);
    wp_close_pipe(p);
    for (t = GetTickCount64(); predictable && t <= GetTickCount64() + AHEAD_MS; t++) {
        WCHAR name[96];
        if (n == MAX_SQUAT)
            fail_msg("squatting: %d names made and the clock still ahead", n);
        _snwprintf(name, 96, L"\\\\.\\pipe\\winpipe-%lu-%lu-%lu-%llu", GetCurrentProcessId(),
                   GetCurrentThreadId(), serial + 1, (unsigned long long)t);
        squat[n] = CreateNamedPipeW(name, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED,
                                    PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, 65536, 65536, 0, NULL);
        if (squat[n] == INVALID_HANDLE_VALUE)
            fail_msg("squatting %ls: error %lu", name, GetLastError());
        n++;
        covered = t;
    }
    errno = 0;
    r = pipe(p);
    e = errno;
    called = GetTickCount64();
    _putenv("WINPIPE_FORCE_NAMED_PIPE=");
    /* A squatter's pipe with a client: winpipe's write end went there. */
    for (int i = 0; i < n; i++) {
        OVERLAPPED ov = { 0 };
        DWORD got;
        if (ConnectNamedPipe(squat[i], &ov) || GetLastError() == ERROR_PIPE_CONNECTED)
            connected++;
        else if (GetLastError() == ERROR_IO_PENDING) {
            CancelIoEx(squat[i], &ov);
            GetOverlappedResult(squat[i], &ov, &got, TRUE);
        }
        CloseHandle(squat[i]);
    }
    if (predictable && called > covered)
        fail_msg("pipe() ran at tick %llu, after the last squatted one (%llu): nothing shown",
                 (unsigned long long)called, (unsigned long long)covered);
    if (r != 0)
        fail_msg("pipe() with %d of its candidate names taken: %d, errno %d (%s)", n, r, e,
                 strerror(e));
    if (connected)
        fail_msg("the write end connected to %d squatter's pipe(s)", connected);
    assert_rc(write(p[1], "mine", 4), 4);
    assert_rc(read(p[0], buf, sizeof buf), 4);
    assert_memory_equal(buf, "mine", 4);
    wp_close_pipe(p);
#else
    skip(); /* winpipe's named-pipe fallback: Windows only */
#endif
}

/* ---- the leak check of every test (helper.c) ------------------------------------------------ */

#ifdef _WIN32
/* One pipe end is two handles: its open file description's and the fd's duplicate of it
 * (lib/pipe.c), each a pipe handle. */
#define HANDLES_PER_PIPE_END 2
#define LEAKED_PIPE_END "leak: 2 fd(s)/handle(s) open after the test that were not before: handle 0x"
#else
#define HANDLES_PER_PIPE_END 1
#define LEAKED_PIPE_END "leak: 1 fd(s)/handle(s) open after the test that were not before: fd "
#endif

/* A pipe with its write end closed and its read end left open: one fd leaked. */
static int leak_one_pipe_end(void)
{
    int p[2];
    wp_pipe(p, 0);
    wp_close(p[1]);
    return p[0];
}

static void leak_check_names_one_leaked_pipe_end(void **state)
{
    struct wp_handles *before = wp_handles_take();
    char desc[512];
    int fd;
    (void)state;
    fd = leak_one_pipe_end();
    assert_int_equal(wp_leaks_since(before, 100, desc, sizeof desc), HANDLES_PER_PIPE_END);
#ifdef _WIN32
    assert_non_null(strstr(desc, ": File (pipe);"));
#else
    assert_non_null(strstr(desc, ": pipe:["));
#endif
    wp_close(fd);
    assert_int_equal(wp_leaks_since(before, WP_LEAK_SETTLE_MS, desc, sizeof desc), 0);
    wp_handles_free(before);
}

static void leak_check_names_one_leaked_handle(void **state)
{
    struct wp_handles *before = wp_handles_take();
    char desc[512];
    (void)state;
#ifdef _WIN32
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    assert_non_null(ev);
    assert_int_equal(wp_leaks_since(before, 100, desc, sizeof desc), 1);
    assert_non_null(strstr(desc, ": Event (manual-reset, unset);"));
    assert_true(CloseHandle(ev));
#else
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(wp_leaks_since(before, 100, desc, sizeof desc), 1);
    assert_non_null(strstr(desc, ": /dev/null;"));
    wp_close(fd);
#endif
    assert_int_equal(wp_leaks_since(before, WP_LEAK_SETTLE_MS, desc, sizeof desc), 0);
    wp_handles_free(before);
}

/* The cases `test_pipe --leak-demo` runs (leak_check_fails_a_test_that_leaks_one_fd). */
static void demo_leaks_one_pipe_end(void **state)
{
    (void)state;
    (void)leak_one_pipe_end();
}

static void demo_known_leak_still_leaking(void **state)
{
    (void)state;
    (void)leak_one_pipe_end();
}

static void demo_known_leak_gone(void **state)
{
    (void)state;
    wp_close(leak_one_pipe_end());
}

static int leak_demo(void)
{
    const struct CMUnitTest tests[] = {
        WP_TEST(demo_leaks_one_pipe_end),
        WP_TEST_KNOWN_LEAK(demo_known_leak_still_leaking, "a deliberate leak"),
        WP_TEST_KNOWN_LEAK(demo_known_leak_gone, "a deliberate leak"),
    };
    wp_set_leak_settle_ms(100); /* these leaks are meant: no need to wait for them to go */
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* This program's own path, to run it again with --leak-demo. */
static const char *self_path(void)
{
    static char path[4096];
#ifdef _WIN32
    GetModuleFileNameA(NULL, path, sizeof path);
#else
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    path[n > 0 ? n : 0] = 0;
#endif
    return path;
}

/* WP_TEST's own check, end to end: a child running three cases under it fails the one that
 * leaks an fd, passes the known leak, and fails the known leak that is gone. */
static void leak_check_fails_a_test_that_leaks_one_fd(void **state)
{
    char *argv[] = { (char *)self_path(), "--leak-demo", NULL }, *out;
    posix_spawn_file_actions_t fa;
    int p[2], status;
    pid_t pid;
    (void)state;
    wp_pipe(p, O_CLOEXEC);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 2), 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    wp_close(p[1]);
    out = su_read_all(p[0], NULL);
    wp_close(p[0]);
    status = su_reap(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
        fail_msg("--leak-demo: status 0x%x, expected exit 2; output:\n%s", status, out);
    assert_non_null(strstr(out, LEAKED_PIPE_END));
#ifdef _WIN32
    assert_non_null(strstr(out, ": File (pipe);"));
#else
    assert_non_null(strstr(out, ": pipe:["));
#endif
    assert_non_null(strstr(out, "[  FAILED  ] demo_leaks_one_pipe_end"));
    assert_non_null(strstr(out, "[       OK ] demo_known_leak_still_leaking"));
    assert_non_null(strstr(out, "known leak gone (a deliberate leak): remove WP_TEST_KNOWN_LEAK"));
    assert_non_null(strstr(out, "[  FAILED  ] demo_known_leak_gone"));
    free(out);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--leak-demo") == 0)
        return leak_demo();
    const struct CMUnitTest tests[] = {
        WP_TEST(pipe_returns_two_distinct_nonnegative_fds),
        WP_TEST(pipe2_returns_two_distinct_nonnegative_fds_for_each_valid_flag_set),
        WP_TEST(pipe_allocates_the_two_lowest_free_fds_read_end_first),
        WP_TEST(pipe_round_trip_delivers_exact_bytes_in_order),
        WP_TEST(pipe2_round_trip_with_all_flags_delivers_exact_bytes),
        WP_TEST(pipe_gives_blocking_fds_without_cloexec),
        WP_TEST(pipe2_without_flags_gives_blocking_fds_without_cloexec),
        WP_TEST(pipe2_o_nonblock_shows_in_f_getfl_of_both_ends_only),
        WP_TEST(pipe2_o_cloexec_shows_fd_cloexec_in_f_getfd_of_both_ends_only),
        WP_TEST(pipe2_both_flags_show_in_f_getfl_and_f_getfd),
        WP_TEST(pipe2_rejects_other_flags_with_einval_and_opens_nothing),
        WP_TEST(pipe2_accepts_o_binary),
        WP_TEST(pipe_with_null_array_fails_with_efault),
        WP_TEST(pipe2_with_null_array_fails_with_efault),
        WP_TEST(creating_and_closing_1000_pipes_leaks_no_fd_or_handle),
        WP_TEST_FD_LIMIT(pipe_with_the_fd_table_full_is_emfile),
        WP_TEST(leak_check_names_one_leaked_pipe_end),
        WP_TEST(leak_check_names_one_leaked_handle),
        WP_TEST(leak_check_fails_a_test_that_leaks_one_fd),
        WP_TEST(read_returns_remaining_data_then_0_after_writer_closed),
        WP_TEST(write_fails_with_epipe_after_reader_closed),
        WP_TEST(write_with_unread_data_fails_with_epipe_after_reader_closed),
        WP_TEST(read_end_access_mode_is_o_rdonly),
        WP_TEST(write_end_access_mode_is_o_wronly),
        WP_TEST(read_on_write_end_fails_with_ebadf),
        WP_TEST(write_on_read_end_fails_with_ebadf),
        WP_TEST(win_osfhandle_of_pipe_fds_is_a_valid_pipe_handle),
        WP_TEST(win_pipe_handles_are_inheritable),
        WP_TEST(win_pipe2_o_cloexec_handles_are_not_inheritable),
        WP_TEST(win_f_setfd_toggles_handle_inherit_flag),
        WP_TEST(win_msvcrt_close_behind_back_then_reused_fd_is_a_fresh_pipe),
        WP_TEST(win_underscore_pipe_binary_works_as_a_pipe),
        WP_TEST(win_underscore_pipe_noinherit_makes_handles_non_inheritable),
        WP_TEST(win_named_pipe_fallback_works_as_a_pipe),
        WP_TEST(win_named_pipe_fallback_survives_squatted_names),
    };
    return cmocka_run_group_tests(tests, wp_group_ignore_sigpipe, wp_group_restore_sigpipe);
}
