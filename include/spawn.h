/* <spawn.h> wrapper: POSIX posix_spawn() and its file actions and attributes, from winpipe.
 * mingw-w64 has no <spawn.h>; on a POSIX host this is the system header and nothing else. */

/* A system header for the compiler, so that ported code building with -Wpedantic -Werror gets
 * no warning from it (#include_next is an extension); winpipe's own builds define
 * WINPIPE_HEADER_WARNINGS to see them (compat-docs/headers.md). */
#ifndef WINPIPE_HEADER_WARNINGS
#pragma GCC system_header
#endif
#ifndef _WIN32
#include_next <spawn.h>
#elif !defined(WINPIPE_SPAWN_H)
#define WINPIPE_SPAWN_H
#include <signal.h>
#include <winpipe.h>

#define POSIX_SPAWN_RESETIDS WINPIPE_POSIX_SPAWN_RESETIDS
#define POSIX_SPAWN_SETPGROUP WINPIPE_POSIX_SPAWN_SETPGROUP
#define POSIX_SPAWN_SETSIGDEF WINPIPE_POSIX_SPAWN_SETSIGDEF
#define POSIX_SPAWN_SETSIGMASK WINPIPE_POSIX_SPAWN_SETSIGMASK
#define POSIX_SPAWN_SETSCHEDPARAM WINPIPE_POSIX_SPAWN_SETSCHEDPARAM
#define POSIX_SPAWN_SETSCHEDULER WINPIPE_POSIX_SPAWN_SETSCHEDULER
#define POSIX_SPAWN_SETSID WINPIPE_POSIX_SPAWN_SETSID

#ifndef WINPIPE_BUILDING
#define posix_spawnattr_t winpipe_posix_spawnattr_t
#define posix_spawn_file_actions_t winpipe_posix_spawn_file_actions_t
#define posix_spawn winpipe_posix_spawn
#define posix_spawnp winpipe_posix_spawnp
#define posix_spawn_file_actions_init winpipe_posix_spawn_file_actions_init
#define posix_spawn_file_actions_destroy winpipe_posix_spawn_file_actions_destroy
#define posix_spawn_file_actions_addopen winpipe_posix_spawn_file_actions_addopen
#define posix_spawn_file_actions_addclose winpipe_posix_spawn_file_actions_addclose
#define posix_spawn_file_actions_adddup2 winpipe_posix_spawn_file_actions_adddup2
#define posix_spawn_file_actions_addchdir winpipe_posix_spawn_file_actions_addchdir
#define posix_spawn_file_actions_addfchdir winpipe_posix_spawn_file_actions_addfchdir
#define posix_spawn_file_actions_addchdir_np winpipe_posix_spawn_file_actions_addchdir
#define posix_spawn_file_actions_addfchdir_np winpipe_posix_spawn_file_actions_addfchdir
#define posix_spawnattr_init winpipe_posix_spawnattr_init
#define posix_spawnattr_destroy winpipe_posix_spawnattr_destroy
#define posix_spawnattr_getflags winpipe_posix_spawnattr_getflags
#define posix_spawnattr_setflags winpipe_posix_spawnattr_setflags
#define posix_spawnattr_getpgroup winpipe_posix_spawnattr_getpgroup
#define posix_spawnattr_setpgroup winpipe_posix_spawnattr_setpgroup
#define posix_spawnattr_getsigmask winpipe_posix_spawnattr_getsigmask
#define posix_spawnattr_setsigmask winpipe_posix_spawnattr_setsigmask
#define posix_spawnattr_getsigdefault winpipe_posix_spawnattr_getsigdefault
#define posix_spawnattr_setsigdefault winpipe_posix_spawnattr_setsigdefault
#endif
#endif
