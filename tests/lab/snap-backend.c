/*
 * Drives the snapshot requests through the backend API (st_backend_start / submit / next), the
 * same path the TUI takes, against one host URI. Used by tests/lab/lab-snap.sh.
 *
 *   snap-backend URI model DOM
 *   snap-backend URI create DOM NAME internal|disk-only|memory [--desc TEXT] [--mem FILE]
 *                [--disk TARGET=KIND[:FILE]]... [--live] [--quiesce] [--mix-ok]
 *   snap-backend URI revert DOM SNAP [--running|--paused|--force|--discard]
 *   snap-backend URI delete DOM SNAP [--children|--children-only|--metadata]
 *   snap-backend URI save DOM FILE [--running|--paused]
 *   snap-backend URI restore FILE [--running|--paused]
 *   snap-backend URI managedsave-remove DOM
 *   snap-backend URI remove-files DOM FILE...
 *   snap-backend URI plan-create DOM NAME KIND   (prints the frontend's plan: refusals, hazards)
 *   snap-backend URI plan-restore FILE   (the same, with the save file's header read by the host)
 *   snap-backend URI plan-revert DOM SNAP [--discard]   (the revert plan as the interface shows
 *                it once the host measured what the files libvirt removes hold: also "removed",
 *                "kept", "lost" and "call" lines)
 *   snap-backend URI plan-delete DOM SNAP [--children|--children-only|--metadata]
 *   snap-backend URI plan-commit DOM DISK TOP BASE   (the merge planner's commit of chain
 *                layers TOP into BASE, indexes from the active layer, with the host's facts:
 *                refusal and hazards)
 *   snap-backend URI plan-pull DOM DISK BASE   (the planner's pull into the active layer down to
 *                BASE, "none": the whole chain, with the host's facts)
 *   snap-backend URI commit DOM DISK TOP BASE [--no-journal] [--anyway] [--delete]   (that
 *                plan, then its request as the interface submits it after the typed yes, not when
 *                refused unless --anyway: a plan made before the host changed, for the backend's
 *                own last checks; --delete: the merged files removed afterwards; waits for its
 *                job to end)
 *   snap-backend URI undo DOM ENTRY   (gives back what the journal entry ENTRY recorded)
 *
 * --no-journal on any action: the admin chose to go on without a journal.
 *
 * An action prints "result ok|failed: TEXT", then one "job KIND PHASE updates=N mid=M
 * max=CUR/END" line per job it saw (M: updates while it ran with 0 < cur < end), and exits 0 when
 * the result was ok (1 when failed, 2 on usage errors).
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/offline.h"
#include "base/util.h"
#include "core/mergeplan.h"
#include "core/snapplan.h"

typedef struct seen_job {
    int id;
    st_job_kind kind;
    st_job_phase phase;
    unsigned updates, mid; /* mid: while running, part done (0 < cur < end) */
    uint64_t max_cur, max_end;
} seen_job;

typedef struct ctx {
    st_backend *b;
    st_host *host;
    seen_job jobs[32];
    size_t n_jobs;
} ctx;

static void note_jobs(ctx *c, const st_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        seen_job *s = NULL;
        for (size_t k = 0; k < c->n_jobs && !s; k++)
            if (c->jobs[k].id == jobs[i].id)
                s = &c->jobs[k];
        if (!s && c->n_jobs < 32) {
            s = &c->jobs[c->n_jobs++];
            memset(s, 0, sizeof(*s));
            s->id = jobs[i].id;
        }
        if (!s)
            continue;
        s->kind = jobs[i].kind;
        s->phase = jobs[i].phase;
        s->updates++;
        if (!st_job_phase_final(jobs[i].phase) && jobs[i].cur > 0 && jobs[i].cur < jobs[i].end)
            s->mid++;
        if (jobs[i].cur > s->max_cur && !st_job_phase_final(jobs[i].phase))
            s->max_cur = jobs[i].cur;
        if (jobs[i].end > s->max_end && !st_job_phase_final(jobs[i].phase))
            s->max_end = jobs[i].end;
    }
}

/* Handles one message; returns it when it answers request `id` (caller frees). */
static st_msg *handle(ctx *c, st_msg *m, int id)
{
    if (m->kind == ST_MSG_HOST) {
        st_host_free(c->host);
        c->host = m->host;
        m->host = NULL;
    } else if (m->kind == ST_MSG_JOBS) {
        note_jobs(c, m->jobs, m->n_jobs);
    } else if ((m->kind == ST_MSG_RESULT || m->kind == ST_MSG_PLAN) && m->request_id == id) {
        return m;
    }
    st_msg_free(m);
    return NULL;
}

static st_msg *wait_result(ctx *c, int id, int timeout_s)
{
    time_t end = time(NULL) + timeout_s;
    while (time(NULL) < end) {
        struct pollfd p = {st_backend_fd(c->b), POLLIN, 0};
        poll(&p, 1, 200);
        st_msg *m;
        while ((m = st_backend_next(c->b)))
            if ((m = handle(c, m, id)))
                return m;
    }
    return NULL;
}

/* Waits for a model of the host in which `pred` holds (or a timeout). */
static void wait_model(ctx *c, int timeout_s)
{
    st_backend_refresh(c->b, 0);
    time_t end = time(NULL) + timeout_s;
    uint64_t gen = c->host ? c->host->generation : 0;
    while (time(NULL) < end && (!c->host || c->host->generation <= gen)) {
        struct pollfd p = {st_backend_fd(c->b), POLLIN, 0};
        poll(&p, 1, 200);
        st_msg *m;
        while ((m = st_backend_next(c->b)))
            handle(c, m, -1);
    }
}

/* Waits until a job was seen and every job seen has ended (or a timeout). */
static void wait_jobs_final(ctx *c, int timeout_s)
{
    time_t end = time(NULL) + timeout_s;
    for (;;) {
        bool done = c->n_jobs > 0;
        for (size_t i = 0; i < c->n_jobs; i++)
            done = done && st_job_phase_final(c->jobs[i].phase);
        if (done || time(NULL) >= end)
            return;
        struct pollfd p = {st_backend_fd(c->b), POLLIN, 0};
        poll(&p, 1, 200);
        st_msg *m;
        while ((m = st_backend_next(c->b)))
            handle(c, m, -1);
    }
}

static const st_domain *find_dom(ctx *c, const char *name)
{
    const st_domain *d = c->host ? st_host_find_domain(c->host, name) : NULL;
    if (!d)
        fprintf(stderr, "snap-backend: no domain %s\n", name);
    return d;
}

static void print_model(const st_domain *d)
{
    printf("state %s\nmanagedsave %d\n", st_dom_state_name(d->state), d->managed_save);
    printf("agent channel=%d connected=%d\n", d->has_agent, d->agent_connected);
    for (size_t i = 0; i < d->n_disks; i++)
        printf("disk %s %s\n", d->disks[i].target, d->disks[i].source ? d->disks[i].source : "-");
    for (size_t i = 0; i < d->n_snaps; i++) {
        const st_snapshot *s = &d->snaps[i];
        printf("snap %s\tparent=%s external=%d memory=%d current=%d\n", s->name,
               s->parent ? s->parent : "-", s->external, s->memory, s->current);
        printf("desc %s\t%s\n", s->name, s->description ? s->description : "");
    }
    for (size_t i = 0; i < d->n_branches; i++)
        printf("branch %s %s snapshot=%s chain=%zu\n", d->branches[i].disk, d->branches[i].file,
               d->branches[i].snapshot ? d->branches[i].snapshot : "-", d->branches[i].n_chain);
    for (size_t k = 0; k < d->n_disks; k++)
        for (size_t i = 0; i < d->disks[k].n_chain; i++)
            for (size_t s = 0; s < d->disks[k].chain[i].n_shared; s++)
                printf("shared %s %s %s\n", d->disks[k].target, d->disks[k].chain[i].path,
                       d->disks[k].chain[i].shared_with[s]);
}

static st_snap_kind parse_kind(const char *s)
{
    if (strcmp(s, "internal") == 0)
        return ST_SNAP_KIND_INTERNAL;
    return strcmp(s, "memory") == 0 ? ST_SNAP_KIND_MEMORY : ST_SNAP_KIND_DISK_ONLY;
}

/* --disk TARGET=KIND[:FILE] overrides the default choice for one disk. */
static void override_disk(st_request *r, const char *spec)
{
    char *t = xstrdup(spec), *eq = strchr(t, '='), *colon = eq ? strchr(eq, ':') : NULL;
    if (eq)
        *eq = '\0';
    if (colon)
        *colon = '\0';
    for (size_t i = 0; eq && i < r->n_diskspecs; i++)
        if (strcmp(r->diskspecs[i].target, t) == 0) {
            free(r->diskspecs[i].snapshot);
            r->diskspecs[i].snapshot = xstrdup(eq + 1);
            if (colon) {
                free(r->diskspecs[i].file);
                r->diskspecs[i].file = xstrdup(colon + 1);
            }
        }
    free(t);
}

static void build_create(const st_domain *d, int argc, char **argv, st_request *r)
{
    r->kind = ST_REQ_SNAPSHOT_CREATE;
    r->domain = xstrdup(d->name);
    r->snapshot = xstrdup(argv[0]);
    r->snap_kind = parse_kind(argv[1]);
    st_snap_default_diskspecs(d, r->snap_kind, r->snapshot, &r->diskspecs, &r->n_diskspecs);
    if (r->snap_kind == ST_SNAP_KIND_MEMORY)
        r->path = st_snap_default_memfile(d, r->snapshot);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--desc") == 0 && i + 1 < argc)
            r->description = xstrdup(argv[++i]);
        else if (strcmp(argv[i], "--mem") == 0 && i + 1 < argc) {
            free(r->path);
            r->path = xstrdup(argv[++i]);
        } else if (strcmp(argv[i], "--disk") == 0 && i + 1 < argc)
            override_disk(r, argv[++i]);
        else if (strcmp(argv[i], "--live") == 0)
            r->flags |= ST_F_LIVE;
        else if (strcmp(argv[i], "--quiesce") == 0)
            r->flags |= ST_F_QUIESCE;
        else if (strcmp(argv[i], "--mix-ok") == 0)
            r->flags |= ST_F_MIX_OK;
        else if (strcmp(argv[i], "--no-journal") == 0)
            r->flags |= ST_F_NO_JOURNAL;
    }
}

static unsigned parse_flags(int argc, char **argv)
{
    static const struct {
        const char *opt;
        unsigned flag;
    } map[] = {{"--running", ST_F_RUNNING},
               {"--paused", ST_F_PAUSED},
               {"--force", ST_F_FORCE},
               {"--children", ST_F_CHILDREN},
               {"--children-only", ST_F_CHILDREN_ONLY},
               {"--metadata", ST_F_METADATA_ONLY},
               {"--discard", ST_F_DISCARD},
               {"--no-journal", ST_F_NO_JOURNAL}};
    unsigned f = 0;
    for (int i = 0; i < argc; i++)
        for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
            if (strcmp(argv[i], map[k].opt) == 0)
                f |= map[k].flag;
    return f;
}

static void print_plan(const st_snapplan *p)
{
    printf("refused %d mixing %d\n", p->refused, p->mixing);
    for (size_t i = 0; i < p->n_hazards; i++)
        printf("hazard %d %s\n", (int)p->hazards[i].level, p->hazards[i].text);
    for (size_t i = 0; i < p->n_steps; i++)
        printf("step %s\n", p->steps[i]);
}

/* The rest of a plan, for the revert and delete plans the lab compares across libvirt versions. */
static void print_plan_more(const st_snapplan *p)
{
    printf("native %d branching %d\n", p->native_external, p->branching);
    for (size_t i = 0; i < p->n_removed; i++)
        printf("removed %s\n", p->removed[i]);
    for (size_t i = 0; i < p->n_kept; i++)
        printf("kept %s\n", p->kept[i]);
    for (size_t i = 0; i < p->n_left_files; i++)
        printf("left %s\n", p->left_files[i]);
    for (size_t i = 0; i < p->n_lost; i++)
        printf("lost %s\n", p->lost[i]);
    for (size_t i = 0; i < p->n_calls; i++)
        printf("call %s\n", p->calls[i]);
}

/* Builds the request for an action command; returns 0, or 2 on a usage error. */
static int build_request(ctx *c, const char *cmd, int argc, char **argv, st_request *r)
{
    if (strcmp(cmd, "restore") == 0 && argc >= 1) {
        r->kind = ST_REQ_RESTORE;
        r->path = xstrdup(argv[0]);
        r->flags = parse_flags(argc - 1, argv + 1);
        return 0;
    }
    const st_domain *d = argc >= 1 ? find_dom(c, argv[0]) : NULL;
    if (!d)
        return 2;
    r->domain = xstrdup(d->name);
    if (strcmp(cmd, "create") == 0 && argc >= 3) {
        free(r->domain);
        build_create(d, argc - 1, argv + 1, r);
    } else if (strcmp(cmd, "revert") == 0 && argc >= 2) {
        /* As the interface does: the plan's request, with the files the plan named. */
        st_snapplan *p = st_snapplan_revert(c->host, d, argv[1], parse_flags(argc - 2, argv + 2),
                                            time(NULL), NULL);
        st_request_clear(r);
        st_request_copy(r, &p->req);
        st_snapplan_free(p);
    } else if (strcmp(cmd, "delete") == 0 && argc >= 2) {
        r->kind = ST_REQ_SNAPSHOT_DELETE;
        r->snapshot = xstrdup(argv[1]);
        r->flags = parse_flags(argc - 2, argv + 2);
    } else if (strcmp(cmd, "save") == 0 && argc >= 2) {
        r->kind = ST_REQ_SAVE;
        r->path = xstrdup(argv[1]);
        r->flags = parse_flags(argc - 2, argv + 2);
    } else if (strcmp(cmd, "managedsave-remove") == 0) {
        r->kind = ST_REQ_MANAGEDSAVE_REMOVE;
    } else if (strcmp(cmd, "undo") == 0 && argc >= 2) {
        r->kind = ST_REQ_UNDO;
        r->path = xstrdup(argv[1]);
    } else if (strcmp(cmd, "remove-files") == 0 && argc >= 2) {
        r->kind = ST_REQ_REMOVE_FILES;
        r->n_paths = (size_t)argc - 1;
        r->paths = xcalloc(r->n_paths, sizeof(char *));
        for (size_t i = 0; i < r->n_paths; i++)
            r->paths[i] = xstrdup(argv[i + 1]);
    } else {
        return 2;
    }
    return 0;
}

static int run_action(ctx *c, const char *cmd, int argc, char **argv)
{
    st_request r = {0};
    if (build_request(c, cmd, argc, argv, &r) != 0) {
        st_request_clear(&r);
        fprintf(stderr, "snap-backend: bad arguments for %s\n", cmd);
        return 2;
    }
    int id = st_backend_submit(c->b, 0, &r);
    st_request_clear(&r);
    st_msg *m = wait_result(c, id, 240);
    if (!m) {
        printf("result timeout\n");
        return 1;
    }
    printf("result %s detail=%d: %s\n", m->ok ? "ok" : "failed", m->detail, m->text ? m->text : "");
    bool ok = m->ok;
    st_msg_free(m);
    /* Late job updates (the final phase) come right after the result. */
    wait_model(c, 5);
    for (size_t i = 0; i < c->n_jobs; i++)
        printf("job %s %s updates=%u mid=%u max=%llu/%llu\n", st_job_kind_label(c->jobs[i].kind),
               st_job_phase_label(c->jobs[i].phase), c->jobs[i].updates, c->jobs[i].mid,
               (unsigned long long)c->jobs[i].max_cur, (unsigned long long)c->jobs[i].max_end);
    return ok ? 0 : 1;
}

/* The restore plan the frontend shows once the host has read the save file's header. */
static int plan_restore(ctx *c, const char *path)
{
    st_request r = {0};
    r.kind = ST_REQ_FACTS;
    r.path = (char *)path;
    st_msg *m = wait_result(c, st_backend_submit(c->b, 0, &r), 30);
    if (!m || !m->facts) {
        printf("no facts\n");
        st_msg_free(m);
        return 1;
    }
    printf("saved-domain %s\n", m->facts->saved_domain ? m->facts->saved_domain : "-");
    st_snapplan *p =
        st_snapplan_restore(c->host, path, m->facts->saved_domain, false, m->facts, 0, NULL, NULL);
    print_plan(p);
    st_snapplan_free(p);
    st_msg_free(m);
    return 0;
}

/* The facts the interface asks for a revert plan: what each file libvirt removes holds. */
static st_msg *written_facts(ctx *c, const st_snapplan *p)
{
    st_request r = {0};
    r.kind = ST_REQ_FACTS;
    r.flags = ST_F_WRITTEN;
    r.paths = p->removed;
    r.n_paths = p->n_removed;
    st_msg *m = wait_result(c, st_backend_submit(c->b, 0, &r), 30);
    if (m && !m->facts) {
        st_msg_free(m);
        m = NULL;
    }
    return m;
}

static int plan_revert(ctx *c, int argc, char **argv)
{
    const st_domain *d = find_dom(c, argv[0]);
    if (!d)
        return 1;
    unsigned f = parse_flags(argc - 2, argv + 2);
    st_snapplan *p = st_snapplan_revert(c->host, d, argv[1], f, time(NULL), NULL);
    st_msg *m = p->n_removed ? written_facts(c, p) : NULL;
    if (m) {
        st_snapplan_free(p);
        p = st_snapplan_revert(c->host, d, argv[1], f, time(NULL), m->facts);
    }
    print_plan(p);
    print_plan_more(p);
    st_msg_free(m);
    st_snapplan_free(p);
    return 0;
}

static int plan_delete(ctx *c, int argc, char **argv)
{
    const st_domain *d = find_dom(c, argv[0]);
    if (!d)
        return 1;
    st_snapplan *p = st_snapplan_delete(c->host, d, argv[1], parse_flags(argc - 2, argv + 2));
    print_plan(p);
    print_plan_more(p);
    st_snapplan_free(p);
    return 0;
}

/* The facts the interface asks for before a merge plan: the room where the data lands, and the
 * maps of the layers involved. */
static st_msg *space_facts(ctx *c, const char *dom, const char *disk, st_req_kind k, size_t top,
                           size_t base)
{
    st_request r = {0};
    r.kind = ST_REQ_FACTS;
    r.paths = st_plan_space_paths(c->host, dom, disk, k, top, base, &r.n_paths);
    st_plan_map_layers(c->host, dom, disk, k, top, base, &r);
    r.domain = (char *)dom;
    r.disk = (char *)disk;
    st_msg *m = wait_result(c, st_backend_submit(c->b, 0, &r), 30);
    r.domain = r.disk = NULL;
    st_request_clear(&r);
    return m;
}

/* The plan's space figures: in bytes ("grows 1048576", "-" when not known), then in words. */
static void print_space(const st_plan *p)
{
    if (p->grows_known)
        printf("grows %llu\n", (unsigned long long)p->grows);
    else
        printf("grows -\n");
    printf("frees %llu\npeak %llu\n", (unsigned long long)p->frees, (unsigned long long)p->peak);
    for (size_t i = 0; i < p->n_space; i++)
        printf("space %s\n", p->space[i]);
}

/*
 * The merge plan the interface shows for a commit of chain layers TOP into BASE (indexes from
 * the active layer), with the host's facts; with run, the plan's request is then submitted as
 * the interface does after the typed yes (only when the plan is not refused).
 */
static int commit(ctx *c, int argc, char **argv, bool run)
{
    if (!find_dom(c, argv[0]))
        return 1;
    size_t top = strtoul(argv[2], NULL, 10), base = strtoul(argv[3], NULL, 10);
    st_msg *fm = space_facts(c, argv[0], argv[1], ST_REQ_COMMIT, top, base);
    st_host *hosts[] = {c->host};
    st_merge_opts o;
    st_merge_opts_default(&o);
    for (int i = 4; i < argc; i++)
        o.delete_files = o.delete_files || strcmp(argv[i], "--delete") == 0;
    st_plan *p =
        st_plan_commit(hosts, 1, 0, argv[0], argv[1], top, base, fm ? fm->facts : NULL, &o);
    st_msg_free(fm);
    printf("refused %d\n", p->refused);
    for (size_t i = 0; i < p->n_hazards; i++)
        printf("hazard %d %s\n", (int)p->hazards[i].level, p->hazards[i].text);
    print_space(p);
    int rc = 0;
    bool anyway = false;
    for (int i = 4; i < argc; i++)
        anyway = anyway || strcmp(argv[i], "--anyway") == 0;
    if (run && (!p->refused || anyway)) {
        p->req.flags |= parse_flags(argc - 4, argv + 4);
        p->req.plan = xstrdup(p->title);
        int id = st_backend_submit(c->b, 0, &p->req);
        st_msg *m = wait_result(c, id, 240);
        printf("result %s: %s\n", m && m->ok ? "ok" : "failed", m && m->text ? m->text : "");
        rc = m && m->ok ? 0 : 1;
        /* The journal completes the merge's entry when its job ends: wait for that. */
        if (rc == 0) {
            wait_jobs_final(c, 240);
            wait_model(c, 5);
        }
        st_msg_free(m);
    } else if (run) {
        rc = 1;
    }
    st_plan_free(p);
    return rc;
}

/* The merge plan the interface shows for a pull into the active layer down to BASE ("none":
 * the whole chain), with the host's facts: its refusal, hazards and space figures. */
static int plan_pull(ctx *c, char **argv)
{
    if (!find_dom(c, argv[0]))
        return 1;
    size_t base = strcmp(argv[2], "none") == 0 ? SIZE_MAX : strtoul(argv[2], NULL, 10);
    st_msg *fm = space_facts(c, argv[0], argv[1], ST_REQ_PULL, 0, base);
    st_host *hosts[] = {c->host};
    st_merge_opts o;
    st_merge_opts_default(&o);
    st_plan *p = st_plan_pull(hosts, 1, 0, argv[0], argv[1], base, fm ? fm->facts : NULL, &o);
    st_msg_free(fm);
    printf("refused %d\n", p->refused);
    for (size_t i = 0; i < p->n_hazards; i++)
        printf("hazard %d %s\n", (int)p->hazards[i].level, p->hazards[i].text);
    print_space(p);
    st_plan_free(p);
    return 0;
}

static int run(ctx *c, const char *cmd, int argc, char **argv)
{
    if (strcmp(cmd, "plan-restore") == 0 && argc >= 1)
        return plan_restore(c, argv[0]);
    if (strcmp(cmd, "model") == 0 && argc >= 1) {
        const st_domain *d = find_dom(c, argv[0]);
        if (d)
            print_model(d);
        return d ? 0 : 1;
    }
    if (strcmp(cmd, "plan-create") == 0 && argc >= 3) {
        const st_domain *d = find_dom(c, argv[0]);
        if (!d)
            return 1;
        st_request r = {0};
        build_create(d, argc - 1, argv + 1, &r);
        st_snapplan *p = st_snapplan_create(c->host, d, &r, NULL, NULL);
        print_plan(p);
        st_snapplan_free(p);
        st_request_clear(&r);
        return 0;
    }
    if (strcmp(cmd, "plan-pull") == 0 && argc >= 3)
        return plan_pull(c, argv);
    if (strcmp(cmd, "plan-commit") == 0 && argc >= 4)
        return commit(c, argc, argv, false);
    if (strcmp(cmd, "commit") == 0 && argc >= 4)
        return commit(c, argc, argv, true);
    if (strcmp(cmd, "plan-revert") == 0 && argc >= 2)
        return plan_revert(c, argc, argv);
    if (strcmp(cmd, "plan-delete") == 0 && argc >= 2)
        return plan_delete(c, argc, argv);
    return run_action(c, cmd, argc, argv);
}

int main(int argc, char **argv)
{
    /* An offline merge's helper is the process that started it, run again (as the program). */
    if (argc == 3 && strcmp(argv[1], "--offline-job") == 0)
        return st_offline_helper_main(argv[2]);
    if (argc < 3) {
        fprintf(stderr, "usage: snap-backend URI COMMAND ARGS...\n");
        return 2;
    }
    setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 0);
    const char *uris[] = {argv[1]};
    st_backend_opts o = {.uris = uris, .n_uris = 1, .events = true, .snapshots = true};
    ctx c = {0};
    c.b = st_backend_start(&o);
    st_backend_wait_initial(c.b, 30000);
    wait_model(&c, 10);
    int rc = c.host && c.host->reachable ? run(&c, argv[2], argc - 3, argv + 3) : 1;
    if (!c.host || !c.host->reachable)
        fprintf(stderr, "snap-backend: host not reachable: %s\n",
                c.host && c.host->error ? c.host->error : "?");
    fflush(stdout);
    /* As the program does: no libvirt teardown at exit (embedded drivers can crash there). */
    _exit(rc);
}
