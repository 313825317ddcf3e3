/* errno.c: the one table that turns Win32 errors, NTSTATUS codes and Winsock errors into errno
 * values. Each mapping is what a POSIX caller expects from the operation that fails that way. */
#include "winpipe-internal.h"

static const struct { DWORD win32; int err; } wp_errno_table[] = {
    { ERROR_FILE_NOT_FOUND, ENOENT },
    { ERROR_PATH_NOT_FOUND, ENOENT },
    { ERROR_INVALID_NAME, ENOENT },
    { ERROR_BAD_PATHNAME, ENOENT },
    { ERROR_INVALID_DRIVE, ENOENT },
    { ERROR_MOD_NOT_FOUND, ENOENT },
    { ERROR_TOO_MANY_OPEN_FILES, EMFILE },
    { ERROR_ACCESS_DENIED, EACCES },
    { ERROR_SHARING_VIOLATION, EACCES },
    { ERROR_LOCK_VIOLATION, EACCES },
    { ERROR_INVALID_HANDLE, EBADF },
    { ERROR_INVALID_TARGET_HANDLE, EBADF },
    { ERROR_DIRECT_ACCESS_HANDLE, EBADF },
    { ERROR_NOT_ENOUGH_MEMORY, ENOMEM },
    { ERROR_OUTOFMEMORY, ENOMEM },
    { ERROR_NOT_ENOUGH_QUOTA, ENOMEM },
    { ERROR_COMMITMENT_LIMIT, ENOMEM },
    { ERROR_INVALID_PARAMETER, EINVAL },
    { ERROR_INVALID_FUNCTION, EINVAL },
    { ERROR_INVALID_FLAGS, EINVAL },
    { ERROR_NOACCESS, EFAULT },
    { ERROR_INVALID_USER_BUFFER, EFAULT },
    { ERROR_BROKEN_PIPE, EPIPE },
    { ERROR_NO_DATA, EPIPE },
    { ERROR_PIPE_NOT_CONNECTED, EPIPE },
    { ERROR_PIPE_BUSY, EAGAIN },
    { ERROR_OPERATION_ABORTED, EINTR },
    { ERROR_DISK_FULL, ENOSPC },
    { ERROR_HANDLE_DISK_FULL, ENOSPC },
    { ERROR_FILE_EXISTS, EEXIST },
    { ERROR_ALREADY_EXISTS, EEXIST },
    { ERROR_DIRECTORY, ENOTDIR },
    { ERROR_BAD_EXE_FORMAT, ENOEXEC },
    { ERROR_EXE_MACHINE_TYPE_MISMATCH, ENOEXEC },
    { ERROR_INVALID_EXE_SIGNATURE, ENOEXEC },
    { ERROR_BAD_FORMAT, ENOEXEC },
    { ERROR_FILENAME_EXCED_RANGE, ENAMETOOLONG },
    { ERROR_BUFFER_OVERFLOW, ENAMETOOLONG },
    { ERROR_WAIT_NO_CHILDREN, ECHILD },
    { ERROR_CHILD_NOT_COMPLETE, ECHILD },
    { ERROR_NOT_SUPPORTED, ENOSYS },
    { ERROR_CALL_NOT_IMPLEMENTED, ENOSYS },
    { ERROR_IO_PENDING, EAGAIN },
    { ERROR_NO_SYSTEM_RESOURCES, ENOMEM },
    { ERROR_ARENA_TRASHED, ENOMEM },
};

int wp_errno_from_win32(DWORD err)
{
    for (size_t i = 0; i < sizeof wp_errno_table / sizeof wp_errno_table[0]; i++)
        if (wp_errno_table[i].win32 == err)
            return wp_errno_table[i].err;
    return EIO;
}

int wp_errno_from_nt(NTSTATUS st)
{
    return wp_errno_from_win32(RtlNtStatusToDosError(st));
}

/* Winsock's own codes for what a socket call can fail with; the rest are Win32 errors. */
int wp_errno_from_wsa(int e)
{
    switch (e) {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAECONNRESET: return ECONNRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAENOTCONN: return ENOTCONN;
    case WSAESHUTDOWN: return EPIPE;
    case WSAEINTR: return EINTR;
    case WSAEFAULT: return EFAULT;
    case WSAENOTSOCK: return EBADF;
    default: return wp_errno_from_win32((DWORD)e);
    }
}

/* A read, write or zero-byte read on a pipe whose other end is gone fails in these ways: the
 * writer closed (BROKEN_PIPE), the reader closed (NO_DATA: "the pipe is being closed"), or a
 * named pipe's client went (PIPE_NOT_CONNECTED). POSIX calls each EOF for a reader and EPIPE
 * for a writer, and poll() HUP or ERR. */
int wp_errno_peer_gone(DWORD err)
{
    return err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA || err == ERROR_PIPE_NOT_CONNECTED;
}
