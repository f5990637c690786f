/*
 * An offline merge seen from the worker: the request checked against the chain on disk, the job
 * record written, the detached helper started (offline_helper.c runs the whole sequence); then
 * every record of this host followed into the jobs table, also those an earlier interface
 * started, and the domain redefined for a helper that cannot open a connection of its own.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/actions.h"
#include "backend/offline.h"
#include "backend/offline_internal.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/qcow2.h"

extern char **environ;

/* A record whose helper has not written its pid after this long never started. */
#define ST_HELPER_START_WAIT 15.0
/* Records are removed this long after their job ended (or their helper was last heard of). */
#define ST_OFFLINE_KEEP (24 * 3600.0)

/* The disk's current top image and format, from the inactive XML. */
static int disk_source(st_worker *w, virDomainPtr dom, const char *disk, char **src, char **fmt,
                       char **err)
{
    st_worker_busy(w);
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    st_worker_idle(w);
    if (!xml) {
        *err = st_lv_error(_("cannot read the domain XML"));
        return -1;
    }
    st_domain d;
    memset(&d, 0, sizeof(d));
    int rc = -1;
    if (st_xml_parse_domain(xml, &d, err) == 0) {
        const st_disk *k = st_domain_find_disk(&d, disk);
        if (k && k->source) {
            *src = xstrdup(k->source);
            *fmt = xstrdup0(k->format);
            rc = 0;
        } else {
            *err = xasprintf(_("the domain has no disk %s with an image"), disk);
        }
    }
    st_domain_clear(&d);
    free(xml);
    return rc;
}

static size_t find_layer(const st_offline_state *s, const char *path)
{
    for (size_t i = 0; path && i < s->n_chain; i++)
        if (strcmp(s->chain[i].path, path) == 0)
            return i;
    return SIZE_MAX;
}

/* The chain from the headers, checked against what the plan said. */
static int read_chain(st_offline_state *s, const st_request *req, const char *src, const char *fmt,
                      char **err)
{
    s->n_chain = st_chain_read_local(src, fmt, &s->chain);
    for (size_t i = 0; i < s->n_chain; i++)
        if (s->chain[i].broken) {
            *err =
                xasprintf(_("the chain is broken at %s: %s"), s->chain[i].path, s->chain[i].broken);
            return -1;
        }
    bool commit = !s->pull;
    s->top = commit ? find_layer(s, req->top) : 0;
    s->base = req->base ? find_layer(s, req->base) : s->n_chain;
    if (s->top == SIZE_MAX || (commit && (s->base == SIZE_MAX || s->base <= s->top)) ||
        (!commit && (s->base == SIZE_MAX || s->base == 0))) {
        *err = xstrdup(_("the chain changed since the plan was made: plan again"));
        return -1;
    }
    /* A backing file is written with its format (-F): never guess it. */
    if (s->base < s->n_chain && !s->chain[s->base].format) {
        *err = xasprintf(_("the format of %s is not known"), s->chain[s->base].path);
        return -1;
    }
    return 0;
}

/* What qemu-img's 100% stands for: the data a commit copies, the virtual disk a rebase walks. */
static uint64_t work_unit(const st_offline_state *s)
{
    if (s->pull)
        return s->chain[0].virtual_size;
    uint64_t u = 0;
    for (size_t i = s->top; i < s->base; i++)
        u += s->chain[i].allocation;
    return u;
}

static int prepare(st_worker *w, virDomainPtr dom, const st_request *req, st_offline_state *s,
                   char **err)
{
    char *src = NULL, *fmt = NULL;
    if (disk_source(w, dom, req->disk, &src, &fmt, err) != 0)
        return -1;
    s->pull = req->kind == ST_REQ_PULL;
    int rc = read_chain(s, req, src, fmt, err);
    free(src);
    free(fmt);
    if (rc != 0)
        return -1;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    s->uri = xstrdup0(st_worker_host_key(w));
    s->domain = xstrdup(req->domain);
    s->uuid = xstrdup(uuid);
    s->disk = xstrdup(req->disk);
    s->flags = req->flags;
    s->bandwidth = req->bandwidth;
    if (req->flags & ST_F_DELETE) {
        s->remove = req->n_paths ? xcalloc(req->n_paths, sizeof(char *)) : NULL;
        for (size_t i = 0; i < req->n_paths; i++)
            s->remove[i] = xstrdup(req->paths[i]);
        s->n_remove = req->n_paths;
    }
    s->unit = work_unit(s);
    s->phase = ST_PHASE_RUNNING;
    s->step = xstrdup(ST_STEP_STARTING);
    s->started = s->updated = st_wall_now();
    return 0;
}

/* The first line the helper wrote before it exited (its pipe is never waited on). */
static char *first_line(int fd)
{
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf) - 1)) < 0 && errno == EINTR)
        ;
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return buf[0] ? xstrdup(buf) : NULL;
}

/* Starts the helper; it detaches at once (the process spawned here exits when it has), or
 * refuses, saying why, when another merge holds the images. */
static int spawn_helper(const char *record, char **err)
{
    int ep[2];
    if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) != 0) {
        *err = xasprintf("pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
    char *av[] = {(char *)PACKAGE, "--offline-job", (char *)record, NULL};
    pid_t pid;
    /* This very program: the helper is virt-snaptree in its hidden mode. */
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, av, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(ep[1]);
    int status = 0;
    if (rc == 0)
        while (waitpid(pid, &status, 0) < 0)
            ;
    char *said = first_line(ep[0]);
    close(ep[0]);
    bool refused = rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == ST_OFFLINE_REFUSED;
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *err = refused && said ? xstrdup(said)
                               : xstrdup(_("cannot start the helper process that runs the merge"));
        free(said);
        return -1;
    }
    free(said);
    return 0;
}

static char *new_record(const char *dir)
{
    static int serial;
    return xasprintf("%s/%ld-%ld-%d.job", dir, (long)st_wall_now(), (long)getpid(), ++serial);
}

/* What the helper was doing, for the admin. */
static const char *step_label(const char *step)
{
    if (streq0(step, ST_STEP_CHECKING))
        return _("checking the images");
    if (streq0(step, ST_STEP_COPYING))
        return _("copying the data");
    if (streq0(step, ST_STEP_REBASING))
        return _("rebasing the layer above");
    if (streq0(step, ST_STEP_REDEFINING) || streq0(step, ST_STEP_REDEFINE_WAIT))
        return _("updating the domain definition");
    if (streq0(step, ST_STEP_REMOVING))
        return _("removing the merged files");
    return _("starting");
}

/* The jobs table's view of a record (strings borrowed, but for the error: see *own). */
static void view_of(const st_offline_state *s, double wall, st_job *j, char **own)
{
    memset(j, 0, sizeof(*j));
    *own = NULL;
    j->domain = s->domain;
    j->uuid = s->uuid;
    j->disk = s->disk;
    j->kind = s->pull ? ST_JOB_OFFLINE_PULL : ST_JOB_OFFLINE_COMMIT;
    j->top = s->chain[s->top].path;
    j->base = s->base < s->n_chain ? s->chain[s->base].path : NULL;
    j->phase = s->phase;
    j->error = s->error;
    j->bandwidth = s->bandwidth;
    bool started = s->pid > 0 || wall - s->started > ST_HELPER_START_WAIT;
    if (s->phase == ST_PHASE_RUNNING && started && !st_offline_helper_alive(s)) {
        j->phase = ST_PHASE_FAILED;
        *own = xasprintf(_("the helper process stopped while %s: the merge did not finish; check "
                           "the chain before using the domain"),
                         step_label(s->step));
        j->error = *own;
    }
    double t = s->ended > 0 ? s->ended : wall;
    j->end = s->unit;
    j->cur = st_offline_progress(s->pct, s->unit, s->bandwidth, t - s->started,
                                 j->phase == ST_PHASE_COMPLETED);
}

void st_offline_view(const st_offline_state *s, double wall, st_job *j, char **own)
{
    view_of(s, wall, j, own);
}

void st_offline_start(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_offline_state s;
    memset(&s, 0, sizeof(s));
    char *err = NULL, *dir = NULL, *record = NULL;
    int rc = prepare(w, dom, req, &s, &err);
    if (rc == 0 && !(dir = st_offline_dir(&err)))
        rc = -1;
    if (rc == 0) {
        record = new_record(dir);
        rc = st_offline_state_write(record, &s, &err);
    }
    if (rc == 0 && (rc = spawn_helper(record, &err)) != 0)
        unlink(record);
    if (rc == 0) {
        st_job v;
        char *own;
        view_of(&s, st_wall_now(), &v, &own);
        v.ours = true;
        st_jobtab_offline(w->jobs, record, &v, 0);
        free(own);
        st_worker_post_jobs(w);
        st_action_result(w, id, true, _("offline merge of %s/%s started"), req->domain, req->disk);
    } else {
        st_action_result(w, id, false, "%s", err ? err : "?");
    }
    free(err);
    free(record);
    free(dir);
    st_offline_state_clear(&s);
}

/* The helper has no connection (an embedded driver admits one process): redefine for it. */
static void redefine_for_helper(st_worker *w, const char *record, const st_offline_state *s)
{
    char *err = NULL;
    st_worker_busy(w);
    int rc = st_offline_redefine(w->conn, s, &err);
    st_worker_idle(w);
    char *marker = st_offline_marker(record);
    FILE *f = fopen(marker, "we");
    if (f) {
        /* The helper reads why, so that it fails with the reason rather than wait. */
        fprintf(f, rc == 0 ? "ok\n" : "error: %s\n", err ? err : "");
        fclose(f);
    }
    free(marker);
    free(err);
}

static void remove_record(const char *record)
{
    char *marker = st_offline_marker(record);
    unlink(marker);
    unlink(record);
    free(marker);
}

/* Follows one record of this host; returns whether the jobs table changed. */
static bool follow(st_worker *w, const char *record, const st_offline_state *s, double wall)
{
    double last = s->ended > 0 ? s->ended : s->updated > 0 ? s->updated : s->started;
    bool alive = st_offline_helper_alive(s);
    if (!alive && wall - last > ST_OFFLINE_KEEP) {
        remove_record(record);
        return false;
    }
    if (alive && streq0(s->step, ST_STEP_REDEFINE_WAIT))
        redefine_for_helper(w, record, s);
    st_job v;
    char *own;
    view_of(s, wall, &v, &own);
    st_off_change ch = st_jobtab_offline(w->jobs, record, &v, wall - last);
    if (ch == ST_OFF_ENDED) {
        if (v.phase == ST_PHASE_COMPLETED)
            st_action_result(w, 0, true, _("offline merge of %s/%s completed"), s->domain, s->disk);
        else
            st_action_result(w, 0, false, _("offline merge failed: %s"), v.error ? v.error : "?");
        st_worker_mark_dirty(w, s->uuid);
        st_worker_request_refresh(w, 0);
    }
    free(own);
    return ch != ST_OFF_GONE;
}

typedef struct scan_ctx {
    st_worker *w;
    double wall;
    bool changed;
} scan_ctx;

static bool follow_record(const char *record, st_offline_state *s, void *p)
{
    scan_ctx *c = p;
    if (streq0(s->uri, st_worker_host_key(c->w)))
        c->changed = follow(c->w, record, s, c->wall) || c->changed;
    return false;
}

bool st_offline_scan(st_worker *w)
{
    if (!w->local || !st_worker_host_key(w))
        return false;
    scan_ctx c = {w, st_wall_now(), false};
    st_offline_each(follow_record, &c);
    return c.changed;
}
