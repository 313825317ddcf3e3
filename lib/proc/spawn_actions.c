/* spawn_actions.c: posix_spawn_file_actions_* (a list of actions, replayed in call order by
 * spawn.c against the child's fds) and posix_spawnattr_*. Like posix_spawn, these return a
 * positive error number and leave errno alone. */
#include "winpipe-internal.h"

#define WP_SPAWN_FLAGS                                                                         \
    (WINPIPE_POSIX_SPAWN_RESETIDS | WINPIPE_POSIX_SPAWN_SETPGROUP                             \
     | WINPIPE_POSIX_SPAWN_SETSIGDEF | WINPIPE_POSIX_SPAWN_SETSIGMASK                         \
     | WINPIPE_POSIX_SPAWN_SETSCHEDPARAM | WINPIPE_POSIX_SPAWN_SETSCHEDULER                   \
     | WINPIPE_POSIX_SPAWN_SETSID)

int winpipe_posix_spawn_file_actions_init(winpipe_posix_spawn_file_actions_t *fa)
{
    if (!fa)
        return EINVAL;
    fa->count = fa->cap = 0;
    fa->actions = NULL;
    return 0;
}

int winpipe_posix_spawn_file_actions_destroy(winpipe_posix_spawn_file_actions_t *fa)
{
    if (!fa)
        return EINVAL;
    for (int i = 0; i < fa->count; i++)
        free(fa->actions[i].path);
    free(fa->actions);
    fa->count = fa->cap = 0;
    fa->actions = NULL;
    return 0;
}

static int wp_spawn_actions__fd_ok(int fd)
{
    return fd >= 0 && fd < WP_FD_MAX;
}

/* Appends an action, taking path (may be NULL). */
static int wp_spawn_actions__add(winpipe_posix_spawn_file_actions_t *fa,
                                 struct winpipe_spawn_action a)
{
    if (fa->count == fa->cap) {
        int cap = fa->cap ? fa->cap * 2 : 8;
        struct winpipe_spawn_action *p = realloc(fa->actions, cap * sizeof *p);
        if (!p) {
            free(a.path);
            return ENOMEM;
        }
        fa->actions = p;
        fa->cap = cap;
    }
    fa->actions[fa->count++] = a;
    return 0;
}

static int wp_spawn_actions__add_path(winpipe_posix_spawn_file_actions_t *fa,
                                      struct winpipe_spawn_action a, const char *path)
{
    if (!path)
        return EINVAL;
    if (!(a.path = _strdup(path)))
        return ENOMEM;
    return wp_spawn_actions__add(fa, a);
}

/* POSIX: EBADF for an fd below 0 or at least OPEN_MAX, when the action is added. */
int winpipe_posix_spawn_file_actions_addopen(winpipe_posix_spawn_file_actions_t *fa, int fd,
                                             const char *path, int oflag, mode_t mode)
{
    if (!fa)
        return EINVAL;
    if (!wp_spawn_actions__fd_ok(fd))
        return EBADF;
    struct winpipe_spawn_action a = { WP_ACTION_OPEN, fd, -1, oflag, mode, NULL };
    return wp_spawn_actions__add_path(fa, a, path);
}

int winpipe_posix_spawn_file_actions_addclose(winpipe_posix_spawn_file_actions_t *fa, int fd)
{
    if (!fa)
        return EINVAL;
    if (!wp_spawn_actions__fd_ok(fd))
        return EBADF;
    struct winpipe_spawn_action a = { WP_ACTION_CLOSE, fd, -1, 0, 0, NULL };
    return wp_spawn_actions__add(fa, a);
}

int winpipe_posix_spawn_file_actions_adddup2(winpipe_posix_spawn_file_actions_t *fa, int fd,
                                             int newfd)
{
    if (!fa)
        return EINVAL;
    if (!wp_spawn_actions__fd_ok(fd) || !wp_spawn_actions__fd_ok(newfd))
        return EBADF;
    struct winpipe_spawn_action a = { WP_ACTION_DUP2, fd, newfd, 0, 0, NULL };
    return wp_spawn_actions__add(fa, a);
}

int winpipe_posix_spawn_file_actions_addchdir(winpipe_posix_spawn_file_actions_t *fa,
                                              const char *path)
{
    if (!fa)
        return EINVAL;
    struct winpipe_spawn_action a = { WP_ACTION_CHDIR, -1, -1, 0, 0, NULL };
    return wp_spawn_actions__add_path(fa, a, path);
}

/* POSIX makes only a negative fd an error here (glibc checks none); an fd the child will not
 * have fails the spawn with EBADF. */
int winpipe_posix_spawn_file_actions_addfchdir(winpipe_posix_spawn_file_actions_t *fa, int fd)
{
    if (!fa)
        return EINVAL;
    if (fd < 0)
        return EBADF;
    struct winpipe_spawn_action a = { WP_ACTION_FCHDIR, fd, -1, 0, 0, NULL };
    return wp_spawn_actions__add(fa, a);
}

/* ---- attributes ---- */

int winpipe_posix_spawnattr_init(winpipe_posix_spawnattr_t *attr)
{
    if (!attr)
        return EINVAL;
    memset(attr, 0, sizeof *attr);
    return 0;
}

int winpipe_posix_spawnattr_destroy(winpipe_posix_spawnattr_t *attr)
{
    return attr ? 0 : EINVAL;
}

int winpipe_posix_spawnattr_getflags(const winpipe_posix_spawnattr_t *attr, short *flags)
{
    if (!attr || !flags)
        return EINVAL;
    *flags = attr->flags;
    return 0;
}

int winpipe_posix_spawnattr_setflags(winpipe_posix_spawnattr_t *attr, short flags)
{
    if (!attr || (flags & ~WP_SPAWN_FLAGS))
        return EINVAL;
    attr->flags = flags;
    return 0;
}

int winpipe_posix_spawnattr_getpgroup(const winpipe_posix_spawnattr_t *attr, pid_t *pgroup)
{
    if (!attr || !pgroup)
        return EINVAL;
    *pgroup = attr->pgroup;
    return 0;
}

int winpipe_posix_spawnattr_setpgroup(winpipe_posix_spawnattr_t *attr, pid_t pgroup)
{
    if (!attr)
        return EINVAL;
    attr->pgroup = pgroup;
    return 0;
}

/* Kept, so that the getters return them; what they mean on Windows: see compat-docs/spawn.md. */
int winpipe_posix_spawnattr_getsigmask(const winpipe_posix_spawnattr_t *attr, _sigset_t *mask)
{
    if (!attr || !mask)
        return EINVAL;
    *mask = attr->sigmask;
    return 0;
}

int winpipe_posix_spawnattr_setsigmask(winpipe_posix_spawnattr_t *attr, const _sigset_t *mask)
{
    if (!attr || !mask)
        return EINVAL;
    attr->sigmask = *mask;
    return 0;
}

int winpipe_posix_spawnattr_getsigdefault(const winpipe_posix_spawnattr_t *attr, _sigset_t *set)
{
    if (!attr || !set)
        return EINVAL;
    *set = attr->sigdefault;
    return 0;
}

int winpipe_posix_spawnattr_setsigdefault(winpipe_posix_spawnattr_t *attr, const _sigset_t *set)
{
    if (!attr || !set)
        return EINVAL;
    attr->sigdefault = *set;
    return 0;
}
