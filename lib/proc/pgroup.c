/* pgroup.c: process groups, as Windows job objects: the groups this process knows (its own, and
 * those its spawns made), where a spawn puts its child, and the members kill() of a group
 * reaches. POSIX: a group holds every process started in it, however deep, until one leaves it;
 * a Windows job holds every process assigned to it and, unless they break away, every process
 * those start. So each group has a job. kill.c signals what the job lists, wait.c reaps a
 * group's children by the pgid each was started in, pgid.c answers setpgid/getpgid/getpgrp.
 *
 * A group whose job the system refused (Windows 7, whose processes belong to one job at most,
 * with the caller already in one; or WINPIPE_FORCE_NO_JOB=1, the tests' knob) exists by its id
 * alone: it holds the children winpipe started in it, not what they start. */
#include "winpipe-internal.h"

struct wp_pgroup {
    DWORD pgid;
    HANDLE job;    /* NULL: the system gave none */
    ULONG_PTR key; /* the job's completion key: this entry's serial number */
    int children;  /* our unreaped children started in it: a zombie is still a member */
    struct wp_pgroup *next;
};

static SRWLOCK wp_pgroup_lock = SRWLOCK_INIT;
static struct wp_pgroup *wp_pgroups; /* newest first: a pgid reused since is found first */
static ULONG_PTR wp_pgroup_serial;

/* Forgetting a group: POSIX's group ends with its last member. One completion port for every
 * job this process makes, and one thread (per process, not per group) reading it, hear the
 * system say a job's last process ended (JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO); the child table
 * says when the last zombie started in the group is reaped. Either way the entry goes when both
 * hold, with the job's handle: a runner that starts each job in a group of its own keeps no
 * handle per job it ran. */
static HANDLE wp_pgroup_port;
static INIT_ONCE wp_pgroup_port_once = INIT_ONCE_STATIC_INIT;

/* This process's own group. A process that no winpipe parent placed in a group leads its own,
 * as a shell's job does; that group gets its job when a child is first started in it, and the
 * job holds those children, not the process itself (posix_spawn does not move its caller into a
 * job), until setpgid(0, 0) asks for it. */
static volatile DWORD wp_pgroup_me;
static struct wp_pgroup *wp_pgroup_mine; /* its entry; NULL until needed */
static int wp_pgroup_member;             /* this process is in its group's job */
static INIT_ONCE wp_pgroup_once = INIT_ONCE_STATIC_INIT;

/* Test knob, read per call like WINPIPE_FORCE_NO_HANDLE_LIST: the system refuses every job. */
static int wp_pgroup__no_jobs(void)
{
    char v[2];
    return GetEnvironmentVariableA("WINPIPE_FORCE_NO_JOB", v, sizeof v) == 1 && v[0] == '1';
}

/* A job for a new group. POSIX lets a process leave its group (setsid, or a spawn into another
 * group), so a child may break away from the job when it asks to (CREATE_BREAKAWAY_FROM_JOB),
 * never without asking. Processes outlive the job's last handle, as a group outlives its
 * creator on Linux: no JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE. */
static BOOL CALLBACK wp_pgroup__start_listener(PINIT_ONCE once, PVOID param, PVOID *ctx);

static HANDLE wp_pgroup__new_job(ULONG_PTR key)
{
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
    JOBOBJECT_ASSOCIATE_COMPLETION_PORT cp;
    HANDLE job;
    if (wp_pgroup__no_jobs() || !(job = CreateJobObjectW(NULL, NULL)))
        return NULL;
    memset(&li, 0, sizeof li);
    li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_BREAKAWAY_OK;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof li)) {
        CloseHandle(job);
        return NULL;
    }
    /* Without the port, the group is forgotten only when its last child is reaped. */
    if (InitOnceExecuteOnce(&wp_pgroup_port_once, wp_pgroup__start_listener, NULL, NULL)) {
        cp.CompletionKey = (PVOID)key;
        cp.CompletionPort = wp_pgroup_port;
        SetInformationJobObject(job, JobObjectAssociateCompletionPortInformation, &cp, sizeof cp);
    }
    return job;
}

static HANDLE wp_pgroup__dup(HANDLE h)
{
    HANDLE d = NULL;
    if (h && !DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0, FALSE,
                              DUPLICATE_SAME_ACCESS))
        d = NULL;
    return d;
}

static struct wp_pgroup *wp_pgroup__find_locked(DWORD pgid)
{
    struct wp_pgroup *g = wp_pgroups;
    while (g && g->pgid != pgid)
        g = g->next;
    return g;
}

/* Takes job (made with key); NULL without memory (job is then still the caller's). */
static struct wp_pgroup *wp_pgroup__add_locked(DWORD pgid, HANDLE job, ULONG_PTR key)
{
    struct wp_pgroup *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->pgid = pgid;
    g->job = job;
    g->key = key;
    g->next = wp_pgroups;
    wp_pgroups = g;
    return g;
}

/* The group a winpipe parent started this process in, with the group's job if the job's handle
 * reached us and holds us. */
static BOOL CALLBACK wp_pgroup__init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    DWORD pgid;
    HANDLE job;
    BOOL in = FALSE;
    (void)once; (void)param; (void)ctx;
    wp_pgroup_me = GetCurrentProcessId();
    if (!wp_inherit_group(&pgid, &job))
        return TRUE;
    wp_pgroup_me = pgid;
    if (!job || !IsProcessInJob(GetCurrentProcess(), job, &in))
        return TRUE; /* no job, or the handle did not reach us */
    AcquireSRWLockExclusive(&wp_pgroup_lock);
    if (in && (wp_pgroup_mine = wp_pgroup__add_locked(pgid, job, 0)))
        wp_pgroup_member = 1;
    else
        CloseHandle(job); /* a job, but not ours: the parent could not assign us */
    ReleaseSRWLockExclusive(&wp_pgroup_lock);
    return TRUE;
}

static void wp_pgroup__ready(void)
{
    InitOnceExecuteOnce(&wp_pgroup_once, wp_pgroup__init, NULL, NULL);
}

DWORD wp_pgroup_self(void)
{
    wp_pgroup__ready();
    return wp_pgroup_me;
}

/* This process's group's job, made now if it has none (for a child started in it). */
static HANDLE wp_pgroup__my_job_locked(void)
{
    if (!wp_pgroup_mine) {
        ULONG_PTR key = ++wp_pgroup_serial;
        HANDLE job = wp_pgroup__new_job(key);
        if (!(wp_pgroup_mine = wp_pgroup__add_locked(wp_pgroup_me, job, key))) {
            if (job)
                CloseHandle(job);
            return NULL;
        }
    }
    return wp_pgroup_mine->job;
}

/* ---- where a spawn puts its child ---- */

/* A child that leaves the caller's group breaks away from the caller's job first, if the caller
 * is in one of winpipe's: POSIX's new group is no part of the old one. Breaking away climbs the
 * caller's chain of jobs up to the first that does not allow it (Windows' rule for nested jobs),
 * so a job the caller's own starter made (a CI's, say) keeps the child if it says so. */
static DWORD wp_pgroup__leave_flags(void)
{
    return CREATE_NEW_PROCESS_GROUP | (wp_pgroup_member ? CREATE_BREAKAWAY_FROM_JOB : 0);
}

/* POSIX_SPAWN_SETPGROUP (pgroup 0: a new group led by the child; N: join group N) and
 * POSIX_SPAWN_SETSID (a new session, and so a new group), or neither (the caller's group). */
int wp_pgroup_plan(short aflags, pid_t pgroup, struct wp_pgroup_spawn *g)
{
    int setpg = (aflags & WINPIPE_POSIX_SPAWN_SETPGROUP) != 0;
    int setsid = (aflags & WINPIPE_POSIX_SPAWN_SETSID) != 0;
    int r = 0;
    memset(g, 0, sizeof *g);
    /* glibc's child calls setsid(), then setpgid(), which a session leader may not: EPERM. */
    if (setsid && setpg)
        return -EPERM;
    if (setpg && pgroup < 0)
        return -EINVAL;
    wp_pgroup__ready();
    AcquireSRWLockExclusive(&wp_pgroup_lock);
    if (setsid || (setpg && pgroup == 0)) {
        g->key = ++wp_pgroup_serial;
        g->job = wp_pgroup__new_job(g->key);
        g->assign = g->job != NULL;
        g->flags = wp_pgroup__leave_flags();
    } else if (setpg && (DWORD)pgroup != wp_pgroup_me) {
        /* Linux: only a group of the caller's session; winpipe: one it knows. */
        struct wp_pgroup *e = wp_pgroup__find_locked((DWORD)pgroup);
        if (!e) {
            r = -EPERM;
        } else {
            g->pgid = e->pgid;
            g->job = wp_pgroup__dup(e->job);
            g->assign = g->job != NULL;
            g->flags = wp_pgroup__leave_flags();
        }
    } else {
        /* In the caller's job, a child is in it from its start; otherwise it is put there. */
        g->pgid = wp_pgroup_me;
        g->job = wp_pgroup__dup(wp_pgroup_member ? wp_pgroup_mine->job : wp_pgroup__my_job_locked());
        g->assign = g->job != NULL && !wp_pgroup_member;
    }
    ReleaseSRWLockExclusive(&wp_pgroup_lock);
    /* The child runs its first instruction inside its job, so that nothing it starts escapes. */
    if (g->assign)
        g->flags |= CREATE_SUSPENDED;
    return r;
}

void wp_pgroup_plan_free(struct wp_pgroup_spawn *g)
{
    if (g->job)
        CloseHandle(g->job);
    g->job = NULL;
}

/* The child exists, suspended if it must be assigned: into its job, then on its way. A new
 * group is known from now on, under the child's pid. The system may refuse the assignment (see
 * the top): the child is then in its group by its pgid alone. */
void wp_pgroup_place(struct wp_pgroup_spawn *g, HANDLE process, HANDLE thread, DWORD pid)
{
    if (g->assign)
        AssignProcessToJobObject(g->job, process);
    if (g->flags & CREATE_SUSPENDED)
        ResumeThread(thread);
    AcquireSRWLockExclusive(&wp_pgroup_lock);
    struct wp_pgroup *e = g->pgid ? wp_pgroup__find_locked(g->pgid) : NULL;
    if (g->pgid == 0 && (e = wp_pgroup__add_locked(pid, g->job, g->key)))
        g->job = NULL; /* the table's now */
    if (e)
        e->children++;
    ReleaseSRWLockExclusive(&wp_pgroup_lock);
    wp_pgroup_plan_free(g);
}

/* ---- forgetting groups ---- */

/* Processes the job holds now; 0 for none (or no job). */
static DWORD wp_pgroup__active(HANDLE job)
{
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION a;
    if (!job || !QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &a,
                                           sizeof a, NULL))
        return 0;
    return a.ActiveProcesses;
}

/* Unlinks entry *link if its group has ended: no process in its job, no unreaped child; the
 * job's handle to close, else NULL. Never this process's own group, which lives with it. */
static HANDLE wp_pgroup__forget_if_ended_locked(struct wp_pgroup **link)
{
    struct wp_pgroup *g = *link;
    HANDLE job = g->job;
    if (g == wp_pgroup_mine || g->children > 0 || wp_pgroup__active(job) != 0)
        return NULL;
    *link = g->next;
    free(g);
    return job;
}

/* Forgets the group whose entry match() picks, if it has ended; reaped: a child of it was. */
static void wp_pgroup__forget(int by_key, ULONG_PTR id, int reaped)
{
    HANDLE job = NULL;
    AcquireSRWLockExclusive(&wp_pgroup_lock);
    for (struct wp_pgroup **link = &wp_pgroups; *link; link = &(*link)->next) {
        struct wp_pgroup *g = *link;
        if (by_key ? !g->job || g->key != id : g->pgid != (DWORD)id)
            continue;
        if (reaped && g->children > 0)
            g->children--;
        job = wp_pgroup__forget_if_ended_locked(link);
        break;
    }
    ReleaseSRWLockExclusive(&wp_pgroup_lock);
    if (job)
        CloseHandle(job);
}

/* The listener: the port's messages for as long as the process lives. */
static DWORD WINAPI wp_pgroup__listen(void *arg)
{
    (void)arg;
    for (;;) {
        DWORD msg;
        ULONG_PTR key;
        OVERLAPPED *ov;
        if (!GetQueuedCompletionStatus(wp_pgroup_port, &msg, &key, &ov, INFINITE))
            continue;
        if (msg != JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO)
            continue;
        wp_pgroup__forget(1, key, 0);
    }
    return 0;
}

static BOOL CALLBACK wp_pgroup__start_listener(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    HANDLE t;
    (void)once; (void)param; (void)ctx;
    if (!(wp_pgroup_port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1)))
        return FALSE;
    if (!(t = CreateThread(NULL, 64 * 1024, wp_pgroup__listen, NULL,
                           STACK_SIZE_PARAM_IS_A_RESERVATION, NULL))) {
        CloseHandle(wp_pgroup_port);
        wp_pgroup_port = NULL;
        return FALSE;
    }
    CloseHandle(t);
    return TRUE;
}

/* The child table reaped a child started in group pgid. */
void wp_pgroup_reaped(DWORD pgid)
{
    wp_pgroup__forget(0, pgid, 1);
}

/* ---- for kill() ---- */

/* A duplicate of group pgid's job in *job (NULL: the group has none); -ESRCH for a group this
 * process does not know. */
static int wp_pgroup__job(DWORD pgid, HANDLE *job)
{
    wp_pgroup__ready();
    AcquireSRWLockShared(&wp_pgroup_lock);
    struct wp_pgroup *g = wp_pgroup__find_locked(pgid);
    *job = g ? wp_pgroup__dup(g->job) : NULL;
    ReleaseSRWLockShared(&wp_pgroup_lock);
    return g ? 0 : -ESRCH;
}

/* The pids the job lists now (malloc'ed); -ENOMEM, or the system's error. */
static int wp_pgroup__pids(HANDLE job, ULONG_PTR **pids, DWORD *n)
{
    DWORD cap = 64;
    for (;;) {
        size_t size = sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + cap * sizeof(ULONG_PTR);
        JOBOBJECT_BASIC_PROCESS_ID_LIST *l = malloc(size);
        if (!l)
            return -ENOMEM;
        if (QueryInformationJobObject(job, JobObjectBasicProcessIdList, l, (DWORD)size, NULL)) {
            /* the list's items, through a pointer: the struct declares one element */
            ULONG_PTR *items = (ULONG_PTR *)((BYTE *)l + offsetof(JOBOBJECT_BASIC_PROCESS_ID_LIST,
                                                                  ProcessIdList));
            *n = l->NumberOfProcessIdsInList;
            memmove(l, items, *n * sizeof *items);
            *pids = (ULONG_PTR *)l;
            return 0;
        }
        DWORD e = GetLastError();
        DWORD assigned = l->NumberOfAssignedProcesses;
        free(l);
        if (e != ERROR_MORE_DATA)
            return -wp_errno_from_win32(e);
        cap = assigned + 16;
    }
}

/* A process to ask IsProcessInJob about: Windows takes PROCESS_QUERY_LIMITED_INFORMATION, which
 * any process may grant, but Wine 8 wants PROCESS_QUERY_INFORMATION (with less it says "not in
 * the job"): that first. */
static HANDLE wp_pgroup__open(DWORD pid, DWORD access)
{
    HANDLE h = OpenProcess(access | PROCESS_QUERY_INFORMATION, FALSE, pid);
    if (!h && GetLastError() == ERROR_ACCESS_DENIED)
        h = OpenProcess(access | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    return h;
}

static int wp_pgroup__skipped(DWORD pid, const DWORD *skip, int nskip)
{
    if (pid == GetCurrentProcessId())
        return 1;
    for (int i = 0; i < nskip; i++)
        if (skip[i] == pid)
            return 1;
    return 0;
}

/* Group pgid's processes that its job holds now, each opened and checked to be in the job (a
 * listed pid may have been reused since), but this process and the pids in skip[]. -ESRCH: a
 * group this process does not know. */
int wp_pgroup_members(DWORD pgid, const DWORD *skip, int nskip, struct wp_wait_target **out,
                      int *n)
{
    HANDLE job;
    ULONG_PTR *pids = NULL;
    DWORD count = 0;
    *out = NULL;
    *n = 0;
    int r = wp_pgroup__job(pgid, &job);
    if (r < 0 || !job)
        return r;
    r = wp_pgroup__pids(job, &pids, &count);
    if (r == 0 && count && !(*out = calloc(count, sizeof **out)))
        r = -ENOMEM;
    for (DWORD i = 0; r == 0 && i < count; i++) {
        DWORD pid = (DWORD)pids[i];
        BOOL in = FALSE;
        struct wp_wait_target *t = *out + *n;
        if (wp_pgroup__skipped(pid, skip, nskip))
            continue;
        if (!(t->h = wp_pgroup__open(pid, PROCESS_TERMINATE | SYNCHRONIZE)))
            continue;
        if (!IsProcessInJob(t->h, job, &in) || !in) {
            CloseHandle(t->h);
            continue;
        }
        t->pid = pid;
        (*n)++;
    }
    free(pids);
    CloseHandle(job);
    return r;
}

/* SIGKILL to a group: TerminateJobObject ends every process of the job at once, with no window
 * in which one starts another. Not when this process is in the job (kill() of its own group
 * signals it last, by itself). 1: done, *had says whether the job held a process; 0: not done. */
int wp_pgroup_terminate(DWORD pgid, UINT code, int *had)
{
    HANDLE job;
    BOOL in = TRUE;
    int done = 0;
    *had = 0;
    if (wp_pgroup__job(pgid, &job) < 0 || !job)
        return 0;
    if (IsProcessInJob(GetCurrentProcess(), job, &in) && !in) {
        *had = wp_pgroup__active(job) != 0;
        done = TerminateJobObject(job, code) != 0;
    }
    CloseHandle(job);
    return done;
}

/* ---- for pgid.c ---- */

/* The known group whose job holds process pid, newest first (a group started inside another,
 * where the system nested its job, is the newer); -EPERM: none, -ESRCH: no such process. */
int wp_pgroup_of(DWORD pid, DWORD *pgid)
{
    int r = -EPERM;
    HANDLE h = wp_pgroup__open(pid, SYNCHRONIZE);
    if (!h)
        return GetLastError() == ERROR_ACCESS_DENIED ? -EPERM : -ESRCH;
    if (WaitForSingleObject(h, 0) == WAIT_OBJECT_0) {
        CloseHandle(h);
        return -ESRCH; /* exited, and not our child to reap: gone, as POSIX can see */
    }
    wp_pgroup__ready();
    AcquireSRWLockShared(&wp_pgroup_lock);
    for (struct wp_pgroup *g = wp_pgroups; g && r < 0; g = g->next) {
        BOOL in = FALSE;
        if (g->job && IsProcessInJob(h, g->job, &in) && in) {
            *pgid = g->pgid;
            r = 0;
        }
    }
    ReleaseSRWLockShared(&wp_pgroup_lock);
    CloseHandle(h);
    return r;
}

/* setpgid(0, pgid) of this process: into group pgid (its own pid: a new group it leads), and
 * into the group's job. Windows keeps a process in every job it was ever in, so the job nests
 * inside the old one: a signal to the old group still reaches this process. Where the system
 * refuses the job, the process is in the group by its pgid alone (as a spawned child then is).
 * -EPERM: a group this process does not know. */
int wp_pgroup_set_mine(DWORD pgid)
{
    DWORD me = GetCurrentProcessId();
    struct wp_pgroup *e = NULL;
    HANDLE job = NULL;
    int r = 0;
    wp_pgroup__ready();
    AcquireSRWLockExclusive(&wp_pgroup_lock);
    if (pgid == wp_pgroup_me) {
        /* Linux: 0, nothing changes. A leader that is not in its group's job (posix_spawn does
         * not put its caller there) joins it now. */
        if (pgid == me && !wp_pgroup_member && (job = wp_pgroup__my_job_locked()))
            wp_pgroup_member = AssignProcessToJobObject(job, GetCurrentProcess()) != 0;
    } else if (pgid == me) {
        ULONG_PTR key = ++wp_pgroup_serial;
        job = wp_pgroup__new_job(key);
        if (!(e = wp_pgroup__add_locked(me, job, key))) {
            if (job)
                CloseHandle(job);
            r = -ENOMEM;
        }
    } else if (!(e = wp_pgroup__find_locked(pgid))) {
        r = -EPERM;
    }
    if (e) {
        wp_pgroup_me = pgid;
        wp_pgroup_mine = e;
        wp_pgroup_member = e->job && AssignProcessToJobObject(e->job, GetCurrentProcess());
    }
    ReleaseSRWLockExclusive(&wp_pgroup_lock);
    return r;
}
