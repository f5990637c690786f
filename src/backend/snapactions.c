/*
 * Snapshot requests: create, revert, delete, save, restore, managed-save removal and removal of
 * files libvirt left behind. Each request is planned again here from a fresh look at the host
 * (snapplan.c, the same functions the frontend used) and refused before any libvirt call when
 * the plan is refused. Calls that can take long (memory is written or read, data is merged) run
 * on a thread of their own with a second thread polling progress into the jobs table, so that
 * the worker keeps refreshing the tree meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/actions.h"
#include "backend/offline.h"
#include "backend/savelist.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/procfile.h"
#include "base/util.h"
#include "core/qcow2.h"
#include "core/snapplan.h"

#define POLL_NS 250000000L

static void refresh_domain(st_worker *w, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (dom && virDomainGetUUIDString(dom, uuid) == 0)
        st_worker_mark_dirty(w, uuid);
    st_worker_request_refresh(w, 0);
}

/* ---- a fresh look at the host, for the plan made again here ---- */

typedef struct exists_ctx {
    st_worker *w;
    /* A save file whose header the host has just read: it is there, in a pool or not. */
    bool header_read;
} exists_ctx;

/* Local: the file system. Remote: a storage volume at that path, or a save file the host read
 * (other files are not seen). */
static bool file_exists(const char *path, void *p)
{
    exists_ctx *c = p;
    struct stat st;
    if (c->w->local)
        return lstat(path, &st) == 0 || errno != ENOENT;
    if (c->header_read)
        return true;
    virStorageVolPtr v = virStorageVolLookupByPath(c->w->conn, path);
    if (!v) {
        virResetLastError();
        return false;
    }
    virStorageVolFree(v);
    return true;
}

/* A model of the host with `dom`'s cached XML and snapshots dropped first, so they are fresh. */
static st_host *fresh_model(st_worker *w, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (dom && virDomainGetUUIDString(dom, uuid) == 0)
        st_cache_forget_domain(&w->cache, uuid);
    st_refresh *rest = NULL;
    st_host *h = st_discover(w, &rest);
    if (rest)
        st_discover_finish(w, h, rest); /* the snapshot trees: plans need them */
    st_jobtab_fill_host(w->jobs, h);
    return h;
}

/* Posts the refusal and returns true when the plan is refused. */
/* Whether the action stops here, answered: the plan refuses it, or the worker was taken over
 * while it read the host (st_worker_may_change). */
static bool refused(st_worker *w, int id, const st_snapplan *p)
{
    if (!st_worker_may_change(w, id))
        return true;
    if (!p->refused)
        return false;
    char *why = st_snapplan_reasons(p, ST_HAZ_REFUSE);
    st_action_result(w, id, false, _("refused, nothing was changed: %s"), why ? why : "?");
    free(why);
    return true;
}

/* ---- long calls on their own thread, progress polled by another ---- */

typedef struct longcall longcall;
typedef int (*longcall_fn)(longcall *c, char **err);

struct longcall {
    st_worker *w;
    /* Its own reference: the worker's connection may be closed under it (the worker taken
     * over, or stopping) while the call still runs. */
    virConnectPtr conn;
    int id;
    virDomainPtr dom; /* NULL for a restore until the domain appears */
    char *dom_name;
    st_request req;
    char *xml; /* snapshot XML (create) */
    st_snapplan *plan;
    int jid; /* the domain job; block jobs of a delete are in disk_jids */
    char **disks;
    int *disk_jids;
    size_t n_disks;
    char **overlays;       /* revert by branching: the snapshot's overlay of each diskspec */
    st_host *host;         /* revert: the host as read before it, for what the disks ran on */
    const char *read_path; /* a local restore: the save file, whose readers show progress */
    bool stats_ready;      /* a snapshot's memory transfer was seen running: job stats answer */
    longcall_fn run;
    atomic_bool done;
    int detail; /* ST_RESULT_* of the outcome */
    char *ok_text;
};

static void longcall_free(longcall *c)
{
    if (c->dom)
        virDomainFree(c->dom);
    if (c->conn)
        virConnectClose(c->conn);
    free(c->dom_name);
    st_request_clear(&c->req);
    free(c->xml);
    st_snapplan_free(c->plan);
    for (size_t i = 0; i < c->n_disks; i++)
        free(c->disks[i]);
    free(c->disks);
    free(c->disk_jids);
    for (size_t i = 0; c->overlays && i < c->req.n_diskspecs; i++)
        free(c->overlays[i]);
    free(c->overlays);
    st_host_free(c->host);
    free(c->ok_text);
    free(c);
}

/*
 * Progress of the domain's current job: (total - remaining) of memory, else of data. Zero pages
 * are scanned without being "processed", so remaining is what moves for a mostly idle guest.
 */
static bool job_progress(virDomainPtr dom, uint64_t *cur, uint64_t *end)
{
    int type = 0, n = 0;
    virTypedParameterPtr params = NULL;
    if (virDomainGetJobStats(dom, &type, &params, &n, 0) < 0) {
        virResetLastError();
        return false;
    }
    unsigned long long total = 0, rem = 0, done = 0;
    const char *keys[2][3] = {
        {VIR_DOMAIN_JOB_MEMORY_TOTAL, VIR_DOMAIN_JOB_MEMORY_REMAINING,
         VIR_DOMAIN_JOB_MEMORY_PROCESSED},
        {VIR_DOMAIN_JOB_DATA_TOTAL, VIR_DOMAIN_JOB_DATA_REMAINING, VIR_DOMAIN_JOB_DATA_PROCESSED},
    };
    bool got = false;
    for (int k = 0; k < 2 && !got; k++) {
        total = rem = done = 0;
        if (virTypedParamsGetULLong(params, n, keys[k][0], &total) != 1 || !total)
            continue;
        if (virTypedParamsGetULLong(params, n, keys[k][1], &rem) == 1 && rem <= total)
            done = total - rem;
        else if (virTypedParamsGetULLong(params, n, keys[k][2], &done) != 1)
            continue;
        got = true;
    }
    virTypedParamsFree(params, n);
    if (!got || type == VIR_DOMAIN_JOB_NONE)
        return false;
    *cur = done > total ? total : done;
    *end = total;
    return true;
}

/*
 * Whether virDomainGetJobStats answers now rather than when the job ends. A query that libvirt
 * 9.0 does not allow yet waits for the whole job: a restore allows none (nor reports any job),
 * and a snapshot allows them only once its memory transfer runs, which on this machine shows as
 * a process holding the memory file open. A remote host's file cannot be seen: ask anyway.
 */
static bool job_stats_ready(longcall *c)
{
    uint64_t pos, size;
    if (c->req.kind == ST_REQ_RESTORE)
        return false;
    if (c->req.kind != ST_REQ_SNAPSHOT_CREATE || !c->w->local || c->stats_ready)
        return true;
    c->stats_ready =
        c->req.snap_kind == ST_SNAP_KIND_MEMORY && st_file_read_pos(c->req.path, &pos, &size);
    return c->stats_ready;
}

/* A restore's domain exists only once libvirt has read the file's header. */
static void find_restored_domain(longcall *c)
{
    if (c->dom || !c->dom_name)
        return;
    c->dom = virDomainLookupByName(c->conn, c->dom_name);
    if (!c->dom)
        virResetLastError();
}

static bool poll_once(longcall *c)
{
    bool changed = false;
    find_restored_domain(c);
    uint64_t cur, end;
    /* libvirt 9.0 reports no job during a restore: how far the file was read stands in. */
    bool restore = c->req.kind == ST_REQ_RESTORE;
    if (c->jid && (restore ? c->read_path && st_file_read_pos(c->read_path, &cur, &end)
                           : c->dom && job_stats_ready(c) && job_progress(c->dom, &cur, &end))) {
        st_jobtab_update(c->w->jobs, c->jid, ST_PHASE_RUNNING, cur, end, NULL);
        changed = true;
    }
    for (size_t i = 0; c->dom && i < c->n_disks; i++) {
        virDomainBlockJobInfo info;
        memset(&info, 0, sizeof(info));
        if (virDomainGetBlockJobInfo(c->dom, c->disks[i], &info, 0) == 1 && info.end) {
            st_jobtab_update(c->w->jobs, c->disk_jids[i], ST_PHASE_RUNNING, info.cur, info.end,
                             NULL);
            changed = true;
        }
        virResetLastError();
    }
    return changed;
}

static void *poller_main(void *p)
{
    longcall *c = p;
    struct timespec ts = {0, POLL_NS};
    while (!atomic_load(&c->done)) {
        if (poll_once(c))
            st_worker_post_jobs(c->w);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void finish_jobs(longcall *c, bool ok, const char *err)
{
    st_job_phase ph = ok ? ST_PHASE_COMPLETED : ST_PHASE_FAILED;
    if (c->jid)
        st_jobtab_finish(c->w->jobs, c->jid, ph, err);
    for (size_t i = 0; i < c->n_disks; i++)
        st_jobtab_finish(c->w->jobs, c->disk_jids[i], ph, err);
    st_worker_post_jobs(c->w);
}

static void *runner_main(void *p)
{
    longcall *c = p;
    pthread_t poller;
    bool polling = pthread_create(&poller, NULL, poller_main, c) == 0;
    char *err = NULL;
    int rc = c->run(c, &err);
    atomic_store(&c->done, true);
    if (polling)
        pthread_join(poller, NULL);
    finish_jobs(c, rc == 0, err);
    if (rc == 0)
        st_post_result(c->w, c->id, true, c->detail,
                       c->ok_text ? xstrdup(c->ok_text) : xstrdup("ok"));
    else
        st_post_result(c->w, c->id, false, c->detail, err ? xstrdup(err) : xstrdup("?"));
    free(err);
    find_restored_domain(c);
    refresh_domain(c->w, c->dom);
    longcall_free(c);
    return NULL;
}

static longcall *longcall_new(st_worker *w, int id, virDomainPtr dom, const st_request *req,
                              longcall_fn run)
{
    longcall *c = xcalloc(1, sizeof(*c));
    c->w = w;
    if (w->conn && virConnectRef(w->conn) == 0)
        c->conn = w->conn;
    c->id = id;
    if (dom && virDomainRef(dom) == 0)
        c->dom = dom;
    st_request_copy(&c->req, req);
    c->run = run;
    atomic_init(&c->done, false);
    return c;
}

static void longcall_track(longcall *c, st_job_kind kind)
{
    c->jid = st_jobtab_track(c->w->jobs, c->dom, NULL, kind, NULL, NULL, 0);
    st_jobtab_update(c->w->jobs, c->jid, ST_PHASE_RUNNING, 0, 0, NULL);
}

/* Starts the runner; on failure everything is reported and freed. */
static void longcall_start(longcall *c)
{
    st_worker_post_jobs(c->w);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, runner_main, c) != 0) {
        finish_jobs(c, false, _("cannot start a thread"));
        st_action_result(c->w, c->id, false, "%s", _("cannot start a thread"));
        longcall_free(c);
    }
    pthread_attr_destroy(&attr);
}

static char *lv_err(const char *what)
{
    char *e = st_lv_error(_("libvirt gave no reason"));
    char *r = xasprintf("%s: %s", what, e);
    free(e);
    return r;
}

/* ---- create ---- */

/* The flags the plan showed (st_snap_create_flags), in libvirt's values. */
static unsigned create_flags(const st_request *r)
{
    static const struct {
        unsigned ours, lv;
    } map[] = {
        {ST_SNAPF_VALIDATE, VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE},
        {ST_SNAPF_ATOMIC, VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC},
        {ST_SNAPF_DISK_ONLY, VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY},
        {ST_SNAPF_QUIESCE, VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE},
        {ST_SNAPF_LIVE, VIR_DOMAIN_SNAPSHOT_CREATE_LIVE},
    };
    unsigned ours = st_snap_create_flags(r), f = 0;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (ours & map[i].ours)
            f |= map[i].lv;
    return f;
}

static int run_create(longcall *c, char **err)
{
    virDomainSnapshotPtr s = virDomainSnapshotCreateXML(c->dom, c->xml, create_flags(&c->req));
    if (!s) {
        *err = lv_err(_("libvirt did not take the snapshot"));
        return -1;
    }
    virDomainSnapshotFree(s);
    c->ok_text = xasprintf(_("snapshot %s of %s taken"), c->req.snapshot, c->req.domain);
    return 0;
}

static void do_create(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    exists_ctx ec = {.w = w};
    st_snapplan *p = d ? st_snapplan_create(h, d, req, file_exists, &ec) : NULL;
    char *err = NULL;
    char *xml = p && !p->refused ? st_xml_build_snapshot(req, &err) : NULL;
    if (!p)
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    else if (refused(w, id, p))
        ;
    else if (p->mixing && !(req->flags & ST_F_MIX_OK))
        st_action_result(w, id, false, "%s",
                         _("refused: this snapshot mixes internal and external snapshots and "
                           "was not confirmed twice"));
    else if (!xml)
        st_action_result(w, id, false, "%s", err ? err : "?");
    else {
        longcall *c = longcall_new(w, id, dom, req, run_create);
        c->xml = xml;
        xml = NULL;
        longcall_track(c, ST_JOB_SNAPSHOT);
        longcall_start(c);
    }
    free(xml);
    free(err);
    st_snapplan_free(p);
    st_host_free(h);
}

/* ---- revert through libvirt ---- */

/*
 * Keeping what libvirt (>= 9.9) removes when it reverts to an external snapshot: before the
 * revert each such file gets a second name (a hard link: same inode, no copy, no new space), and
 * once libvirt removed its name, it gets it back. The data never moves; should this process end
 * half way, the file is found under FILE.virt-snaptree-keep. Only on this machine.
 */
static int keep_links(const st_request *r, bool *linked, char **err)
{
    for (size_t i = 0; i < r->n_paths; i++) {
        char *keep = st_snap_keep_name(r->paths[i]);
        int rc = link(r->paths[i], keep), e = errno;
        linked[i] = rc == 0;
        /* A file already gone holds nothing to keep (libvirt only warns about it). */
        if (rc != 0 && e != ENOENT)
            *err = xasprintf(_("cannot keep %s (a second name %s): %s; nothing was reverted"),
                             r->paths[i], keep, strerror(e));
        free(keep);
        if (rc != 0 && e != ENOENT)
            return -1;
    }
    return 0;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Gives each kept file its name back (or drops the second name when libvirt left the file);
 * what cannot be done is appended to `note`. Returns how many files were kept. */
static size_t keep_restore(const st_request *r, const bool *linked, strbuf *note)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n_paths; i++) {
        if (!linked[i])
            continue;
        kept++;
        char *keep = st_snap_keep_name(r->paths[i]);
        struct stat st;
        bool gone = lstat(r->paths[i], &st) != 0 && errno == ENOENT;
        if (gone && link(keep, r->paths[i]) != 0)
            sb_printf(note, _("; %s is kept as %s (its name could not be given back: %s)"),
                      r->paths[i], keep, strerror(errno));
        else if (same_file(keep, r->paths[i]))
            unlink(keep);
        else
            sb_printf(note, _("; %s is kept as %s (another file now has its name)"), r->paths[i],
                      keep);
        free(keep);
    }
    return kept;
}

/* The disk's source in a domain XML (malloc'd), NULL when it has none. */
static char *current_source(const char *xml, const char *target);

/*
 * After a revert through libvirt: what the disks ran on before, where it still exists, becomes a
 * detached branch, and every branch recorded before is written back (a revert puts the
 * snapshot's definition back, with the <metadata> it had then).
 */
/* The image of `target` when snapshot `s` was taken: what libvirt's new overlay is made on. */
static const char *snapshot_image(const st_snapshot *s, const char *target)
{
    for (size_t i = 0; i < s->n_disks; i++)
        if (streq0(s->disks[i].target, target))
            return s->disks[i].image;
    return NULL;
}

/*
 * Whether what the disk ran on before is now below its new active layer (libvirt >= 9.9 puts a
 * new overlay on every disk, a disk left out of the snapshot too): then it is not left. On this
 * machine the new chain is read; elsewhere the overlay is known to be made on the snapshot's
 * image of the disk.
 */
static bool below_new_layer(longcall *c, const char *now, const char *old, const char *image)
{
    if (streq0(old, image))
        return true;
    if (!c->w->local)
        return false;
    st_layer *chain = NULL;
    size_t n = st_chain_read_local(now, "qcow2", &chain);
    bool below = false;
    for (size_t i = 1; i < n; i++)
        below |= streq0(chain[i].path, old);
    for (size_t i = 0; i < n; i++)
        st_layer_clear(&chain[i]);
    free(chain);
    return below;
}

static st_branch *branches_after(longcall *c, const char *xml, size_t *n)
{
    const st_domain *d = st_host_find_domain(c->host, c->req.domain);
    const st_snapshot *s = d ? st_domain_find_snapshot(d, c->req.snapshot) : NULL;
    *n = 0;
    if (!d || !s)
        return NULL;
    st_branch *v = xcalloc(d->n_branches + d->n_disks + 1, sizeof(st_branch));
    st_branches_copy(v, d->branches, d->n_branches);
    *n = d->n_branches;
    for (size_t k = 0; k < d->n_disks; k++) {
        const st_disk *disk = &d->disks[k];
        char *now = current_source(xml, disk->target);
        const char *image = snapshot_image(s, disk->target);
        struct stat st;
        bool left = disk->source && now && !streq0(now, disk->source) &&
                    (!c->w->local || stat(disk->source, &st) == 0) &&
                    !below_new_layer(c, now, disk->source, image);
        if (left) {
            st_branch *b = &v[(*n)++];
            b->disk = xstrdup(disk->target);
            b->file = xstrdup(disk->source);
            b->snapshot = xstrdup(s->name);
            b->base = xstrdup0(image);
            b->left = (long long)time(NULL);
        }
        free(now);
    }
    return v;
}

static void record_branches(longcall *c, strbuf *note)
{
    int active = virDomainIsActive(c->dom);
    char *xml = virDomainGetXMLDesc(c->dom, active == 1 ? 0 : VIR_DOMAIN_XML_INACTIVE);
    size_t n = 0;
    st_branch *v = xml ? branches_after(c, xml, &n) : NULL;
    char *err = NULL;
    char *meta = n ? st_xml_branches_element(v, n, &err) : NULL;
    unsigned f = (virDomainIsPersistent(c->dom) == 1 ? VIR_DOMAIN_AFFECT_CONFIG : 0) |
                 (active == 1 ? VIR_DOMAIN_AFFECT_LIVE : 0);
    if (n && (!meta || virDomainSetMetadata(c->dom, VIR_DOMAIN_METADATA_ELEMENT, meta, "snaptree",
                                            ST_BRANCH_NS, f) < 0)) {
        char *e = err ? err : st_lv_error(_("libvirt gave no reason"));
        sb_printf(note, _("; the detached branches could not be recorded: %s"), e);
        free(e);
        err = NULL;
    }
    virResetLastError();
    for (size_t i = 0; i < n; i++)
        st_branch_clear(&v[i]);
    free(v);
    free(meta);
    free(err);
    free(xml);
}

static unsigned revert_flags(const st_request *r)
{
    unsigned f = 0;
    if (r->flags & ST_F_RUNNING)
        f |= VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING;
    if (r->flags & ST_F_PAUSED)
        f |= VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED;
    if (r->flags & ST_F_FORCE)
        f |= VIR_DOMAIN_SNAPSHOT_REVERT_FORCE;
    return f;
}

static int run_revert(longcall *c, char **err)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(c->dom, c->req.snapshot, 0);
    if (!s) {
        *err = lv_err(_("no such snapshot"));
        return -1;
    }
    bool *linked = xcalloc(c->req.n_paths + 1, sizeof(bool));
    bool keep = !(c->req.flags & ST_F_DISCARD);
    if (keep && keep_links(&c->req, linked, err) != 0) {
        strbuf undo;
        sb_init(&undo);
        keep_restore(&c->req, linked, &undo);
        sb_free(&undo);
        free(linked);
        virDomainSnapshotFree(s);
        return -1;
    }
    int rc = virDomainRevertToSnapshot(s, revert_flags(&c->req));
    virErrorPtr e = rc < 0 ? virGetLastError() : NULL;
    /* Only this error is answered by FORCE: the frontend then asks the admin again. */
    if (e && e->code == VIR_ERR_SNAPSHOT_REVERT_RISKY)
        c->detail = ST_RESULT_REVERT_RISKY;
    char *lverr = rc < 0 ? lv_err(_("libvirt refused the revert")) : NULL;
    strbuf note;
    sb_init(&note);
    size_t made = keep_restore(&c->req, linked, &note);
    free(linked);
    if (rc == 0)
        record_branches(c, &note);
    if (rc < 0)
        *err = xasprintf("%s%s", lverr, note.len ? note.s : "");
    else
        c->ok_text = xasprintf(made ? _("%s reverted to snapshot %s; what libvirt removed is "
                                        "kept as detached branches%s")
                                    : _("%s reverted to snapshot %s%s"),
                               c->req.domain, c->req.snapshot, note.len ? note.s : "");
    sb_free(&note);
    free(lverr);
    virDomainSnapshotFree(s);
    return rc < 0 ? -1 : 0;
}

/* ---- revert by branching (external snapshot, libvirt without external revert) ---- */

/* The overlay of the snapshot's disk still has `base` below it (nothing moved since the plan). */
static int check_base(const char *overlay, const char *base, char **err)
{
    st_layer *chain = NULL;
    size_t n = st_chain_read_local(overlay, "qcow2", &chain);
    bool ok = n >= 2 && streq0(chain[1].path, base) && !chain[1].broken;
    for (size_t i = 0; i < n; i++)
        st_layer_clear(&chain[i]);
    free(chain);
    if (!ok)
        *err = xasprintf(_("%s no longer has %s below it: plan again"), overlay, base);
    return ok ? 0 : -1;
}

/* Creates the new overlay; the name is reserved first so that no file is ever written over. */
static int create_overlay(const st_snap_diskspec *ds, char **err)
{
    int fd = open(ds->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        *err = xasprintf(_("cannot create %s: %s"), ds->file, strerror(errno));
        return -1;
    }
    close(fd);
    char *av[] = {"qemu-img", "create", "-q",
                  "-f",       "qcow2",  "-b",
                  ds->base,   "-F",     ds->base_format ? ds->base_format : "qcow2",
                  ds->file,   NULL};
    if (st_qemu_img_run(av, NULL, NULL, err) != 0) {
        unlink(ds->file);
        return -1;
    }
    return 0;
}

static char *current_source(const char *xml, const char *target)
{
    st_domain d;
    memset(&d, 0, sizeof(d));
    char *r = NULL;
    if (st_xml_parse_domain(xml, &d, NULL) == 0) {
        const st_disk *k = st_domain_find_disk(&d, target);
        r = k ? xstrdup0(k->source) : NULL;
    }
    st_domain_clear(&d);
    return r;
}

/* The inactive XML with every disk on its new overlay and each old overlay recorded. */
static char *branched_xml(longcall *c, char **err)
{
    char *xml = virDomainGetXMLDesc(c->dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!xml) {
        *err = lv_err(_("cannot read the domain XML"));
        return NULL;
    }
    for (size_t i = 0; xml && i < c->req.n_diskspecs; i++) {
        const st_snap_diskspec *ds = &c->req.diskspecs[i];
        st_branch rec = {0};
        rec.disk = ds->target;
        rec.file = current_source(xml, ds->target);
        rec.snapshot = c->req.snapshot;
        rec.base = ds->base;
        rec.left = (long long)time(NULL);
        char *next =
            rec.file ? st_xml_branch_disk(xml, ds->target, ds->file, "qcow2", &rec, err) : NULL;
        if (!rec.file)
            *err = xasprintf(_("%s has no image to leave"), ds->target);
        free(rec.file);
        free(xml);
        xml = next;
    }
    return xml;
}

static void unlink_new_overlays(longcall *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        unlink(c->req.diskspecs[i].file);
}

/* libvirt keeps the old current snapshot otherwise: redefine the target as current. */
static bool make_current(longcall *c)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(c->dom, c->req.snapshot, 0);
    char *x = s ? virDomainSnapshotGetXMLDesc(s, VIR_DOMAIN_SNAPSHOT_XML_SECURE) : NULL;
    virDomainSnapshotPtr r =
        x ? virDomainSnapshotCreateXML(
                c->dom, x, VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT)
          : NULL;
    bool ok = r != NULL;
    if (r)
        virDomainSnapshotFree(r);
    if (s)
        virDomainSnapshotFree(s);
    free(x);
    virResetLastError();
    return ok;
}

static int start_after(longcall *c, char **err)
{
    if (!(c->req.flags & (ST_F_RUNNING | ST_F_PAUSED)))
        return 0;
    unsigned f = (c->req.flags & ST_F_PAUSED) ? VIR_DOMAIN_START_PAUSED : 0;
    if (virDomainCreateWithFlags(c->dom, f) < 0) {
        *err = lv_err(_("reverted by branching, but the domain did not start"));
        return -1;
    }
    return 0;
}

static int run_branch(longcall *c, char **err)
{
    if (virDomainIsActive(c->dom) != 0) {
        *err = xstrdup(_("the domain is running now: a revert by branching needs it shut off"));
        return -1;
    }
    /* Saved since the plan: its start would restore the old overlays, not the branch. */
    if (virDomainHasManagedSaveImage(c->dom, 0) != 0) {
        *err = xstrdup(_("the domain has a managed save image now (or it cannot be checked): "
                         "remove the managed save first, nothing was changed"));
        virResetLastError();
        return -1;
    }
    for (size_t i = 0; i < c->req.n_diskspecs; i++) {
        const st_snap_diskspec *ds = &c->req.diskspecs[i];
        /* An overlay that lives only in a detached branch was checked through its chain. */
        struct stat st;
        if (c->overlays[i] && stat(c->overlays[i], &st) == 0 &&
            check_base(c->overlays[i], ds->base, err) != 0)
            return -1;
    }
    size_t made = 0;
    for (; made < c->req.n_diskspecs; made++)
        if (create_overlay(&c->req.diskspecs[made], err) != 0) {
            unlink_new_overlays(c, made);
            return -1;
        }
    char *xml = branched_xml(c, err);
    virDomainPtr nd = xml ? virDomainDefineXML(c->conn, xml) : NULL;
    free(xml);
    if (!nd) {
        if (!*err)
            *err = lv_err(_("cannot update the domain definition"));
        unlink_new_overlays(c, made);
        return -1;
    }
    virDomainFree(nd);
    bool cur = make_current(c);
    c->ok_text = xasprintf(cur ? _("%s reverted to %s by branching; the old overlays are kept "
                                   "as detached branches")
                               : _("%s reverted to %s by branching (the old overlays are kept); "
                                   "libvirt did not accept it as the current snapshot"),
                           c->req.domain, c->req.snapshot);
    return start_after(c, err);
}

/*
 * The new overlay names the admin saw on the plan (made a few seconds earlier, with its own
 * timestamp) win over the ones made here, for the same disk on the same base.
 */
static void keep_planned_names(st_snapplan *p, const st_request *req)
{
    for (size_t i = 0; i < p->req.n_diskspecs; i++)
        for (size_t k = 0; k < req->n_diskspecs; k++) {
            const st_snap_diskspec *want = &req->diskspecs[k];
            st_snap_diskspec *ds = &p->req.diskspecs[i];
            if (streq0(want->target, ds->target) && streq0(want->base, ds->base) && want->file &&
                want->file[0] == '/') {
                free(ds->file);
                ds->file = xstrdup(want->file);
            }
        }
}

/*
 * libvirt removes what the plan named, nothing else: a file the admin did not see on the plan
 * (the host changed since) refuses the revert.
 */
static bool removed_as_planned(st_worker *w, int id, const st_snapplan *p, const st_request *req)
{
    for (size_t i = 0; i < p->n_removed; i++) {
        bool seen = false;
        for (size_t k = 0; k < req->n_paths && !seen; k++)
            seen = streq0(req->paths[k], p->removed[i]);
        if (!seen) {
            st_action_result(w, id, false,
                             _("refused, nothing was changed: libvirt would now also remove %s, "
                               "which the plan did not name: plan again"),
                             p->removed[i]);
            return false;
        }
    }
    return true;
}

static void start_branch(st_worker *w, int id, virDomainPtr dom, st_snapplan *p, const st_domain *d,
                         const st_request *req)
{
    keep_planned_names(p, req);
    longcall *c = longcall_new(w, id, dom, &p->req, run_branch);
    /* Each new overlay's snapshot overlay, to check its base is still below it. */
    const st_snapshot *s = st_domain_find_snapshot(d, req->snapshot);
    c->overlays = xcalloc(p->req.n_diskspecs + 1, sizeof(char *));
    for (size_t i = 0; i < p->req.n_diskspecs; i++)
        for (size_t k = 0; s && k < s->n_disks; k++)
            if (streq0(s->disks[k].target, p->req.diskspecs[i].target))
                c->overlays[i] = xstrdup0(s->disks[k].file);
    longcall_track(c, ST_JOB_REVERT);
    longcall_start(c);
}

static void do_revert(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    st_snapplan *p =
        d ? st_snapplan_revert(h, d, req->snapshot, req->flags, time(NULL), NULL) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (refused(w, id, p) || !removed_as_planned(w, id, p, req)) {
        ;
    } else if (p->branching) {
        start_branch(w, id, dom, p, d, req);
    } else {
        /* The files to keep are this plan's; the host as read now is what the disks left. */
        longcall *c = longcall_new(w, id, dom, &p->req, run_revert);
        c->host = h;
        h = NULL;
        longcall_track(c, ST_JOB_REVERT);
        longcall_start(c);
    }
    st_snapplan_free(p);
    st_host_free(h);
}

/* ---- delete ---- */

/*
 * The delete's result: on this machine the files libvirt left behind that still exist, one a
 * line after the first (the frontend offers to remove them). A remote host's files cannot be
 * looked at or removed from here: a storage volume at that path shows it is still there, and
 * anything else is said to be unknown.
 */
static char *left_files_text(longcall *c)
{
    strbuf b;
    sb_init(&b);
    sb_printf(&b, _("snapshot %s of %s deleted"), c->req.snapshot, c->req.domain);
    exists_ctx ec = {.w = c->w};
    size_t left = 0;
    /* What the plan says libvirt removes is looked at too, here: should this libvirt leave it
     * (a version the plan guessed wrong), its removal is offered like the rest. */
    size_t n_left = c->plan ? c->plan->n_left_files : 0;
    size_t n_all = n_left + (c->plan ? c->plan->n_removed : 0);
    for (size_t i = 0; i < n_all; i++) {
        const char *f = i < n_left ? c->plan->left_files[i] : c->plan->removed[i - n_left];
        if (c->w->local && file_exists(f, &ec)) {
            sb_printf(&b, "\n%s", f);
            left++;
        } else if (!c->w->local && i < n_left) {
            sb_printf(&b,
                      file_exists(f, &ec) ? _("; %s is left on the host: remove it there")
                                          : _("; %s may be left on the host (not in a "
                                              "storage pool: it cannot be checked from here)"),
                      f);
        }
    }
    c->detail = left ? ST_RESULT_LEFT_FILES : ST_RESULT_PLAIN;
    return sb_steal(&b);
}

static int run_delete(longcall *c, char **err)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(c->dom, c->req.snapshot, 0);
    if (!s) {
        *err = lv_err(_("no such snapshot"));
        return -1;
    }
    unsigned f = 0;
    if (c->req.flags & ST_F_CHILDREN)
        f |= VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN;
    if (c->req.flags & ST_F_CHILDREN_ONLY)
        f |= VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY;
    if (c->req.flags & ST_F_METADATA_ONLY)
        f |= VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY;
    int rc = virDomainSnapshotDelete(s, f);
    if (rc < 0)
        *err = lv_err(_("libvirt did not delete the snapshot"));
    virDomainSnapshotFree(s);
    if (rc < 0)
        return -1;
    c->ok_text = left_files_text(c);
    return 0;
}

/* One progress bar per disk the plan says libvirt merges with a block job (of any snapshot
 * the delete covers). */
static void track_delete_disks(longcall *c)
{
    c->disks = c->plan->n_merges ? xcalloc(c->plan->n_merges, sizeof(char *)) : NULL;
    c->disk_jids = c->plan->n_merges ? xcalloc(c->plan->n_merges, sizeof(int)) : NULL;
    for (size_t i = 0; i < c->plan->n_merges; i++) {
        const st_snap_diskspec *m = &c->plan->merges[i];
        c->disks[c->n_disks] = xstrdup(m->target);
        int jid = st_jobtab_track(c->w->jobs, c->dom, m->target, ST_JOB_SNAPSHOT_DELETE, m->file,
                                  NULL, 0);
        st_jobtab_update(c->w->jobs, jid, ST_PHASE_RUNNING, 0, 0, NULL);
        c->disk_jids[c->n_disks++] = jid;
    }
    if (!c->n_disks)
        longcall_track(c, ST_JOB_SNAPSHOT_DELETE);
}

static void do_delete(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    st_snapplan *p = d ? st_snapplan_delete(h, d, req->snapshot, req->flags) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (!refused(w, id, p)) {
        longcall *c = longcall_new(w, id, dom, req, run_delete);
        c->plan = p;
        p = NULL;
        track_delete_disks(c);
        longcall_start(c);
    }
    st_snapplan_free(p);
    st_host_free(h);
}

/* ---- save and restore ---- */

static int run_save(longcall *c, char **err)
{
    unsigned f = 0;
    if (c->req.flags & ST_F_RUNNING)
        f |= VIR_DOMAIN_SAVE_RUNNING;
    if (c->req.flags & ST_F_PAUSED)
        f |= VIR_DOMAIN_SAVE_PAUSED;
    if (virDomainSaveFlags(c->dom, c->req.path, NULL, f) < 0) {
        *err = lv_err(_("libvirt did not save the domain"));
        return -1;
    }
    if (st_savelist_add(c->req.path, c->req.domain, (long long)time(NULL)) != 0)
        c->ok_text = xasprintf(_("%s saved to %s (the list of save files could not be "
                                 "updated)"),
                               c->req.domain, c->req.path);
    else
        c->ok_text = xasprintf(_("%s saved to %s"), c->req.domain, c->req.path);
    return 0;
}

static void do_save(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    exists_ctx ec = {.w = w};
    st_snapplan *p = d ? st_snapplan_save(h, d, req->path, req->flags, file_exists, &ec) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (!refused(w, id, p)) {
        longcall *c = longcall_new(w, id, dom, req, run_save);
        longcall_track(c, ST_JOB_SAVE);
        longcall_start(c);
    }
    st_snapplan_free(p);
    st_host_free(h);
}

static int run_restore(longcall *c, char **err)
{
    unsigned f = 0;
    if (c->req.flags & ST_F_RUNNING)
        f |= VIR_DOMAIN_SAVE_RUNNING;
    if (c->req.flags & ST_F_PAUSED)
        f |= VIR_DOMAIN_SAVE_PAUSED;
    if (virDomainRestoreFlags(c->conn, c->req.path, NULL, f) < 0) {
        *err = lv_err(_("libvirt did not restore the domain"));
        return -1;
    }
    st_savelist_mark_restored(c->req.path);
    c->ok_text = xasprintf(_("%s restored from %s"), c->dom_name ? c->dom_name : "?", c->req.path);
    return 0;
}

void st_saved_facts(st_worker *w, const char *path, st_facts *f)
{
    st_worker_busy(w);
    char *xml = virDomainSaveImageGetXMLDesc(w->conn, path, 0);
    st_worker_idle(w);
    if (!xml) {
        virResetLastError();
        return;
    }
    st_domain d;
    memset(&d, 0, sizeof(d));
    if (st_xml_parse_domain(xml, &d, NULL) == 0 && d.name) {
        f->saved_domain = xstrdup(d.name);
        f->saved_disks = d.n_disks ? xcalloc(d.n_disks, sizeof(st_saved_disk)) : NULL;
        for (size_t i = 0; i < d.n_disks; i++) {
            f->saved_disks[i].target = xstrdup0(d.disks[i].target);
            f->saved_disks[i].source = xstrdup0(d.disks[i].source);
        }
        f->n_saved_disks = d.n_disks;
    }
    st_domain_clear(&d);
    free(xml);
}

static void do_restore(st_worker *w, int id, const st_request *req)
{
    st_facts *saved = xcalloc(1, sizeof(*saved));
    if (req->path)
        st_saved_facts(w, req->path, saved);
    const char *name = saved->saved_domain;
    st_host *h = fresh_model(w, NULL);
    exists_ctx ec = {.w = w, .header_read = name != NULL};
    st_saved *list = NULL;
    size_t n = st_savelist_load(&list);
    bool restored = false;
    for (size_t i = 0; i < n; i++)
        restored |= streq0(list[i].path, req->path) && list[i].restored;
    st_savelist_free(list, n);
    st_snapplan *p = st_snapplan_restore(h, req->path, name ? name : req->domain, restored, saved,
                                         req->flags, file_exists, &ec);
    if (!refused(w, id, p)) {
        /* A defined domain exists before the restore: its job is shown under its name. */
        const char *dname = name ? name : req->domain;
        st_worker_busy(w);
        virDomainPtr dom = dname ? virDomainLookupByName(w->conn, dname) : NULL;
        st_worker_idle(w);
        if (!dom)
            virResetLastError();
        longcall *c = longcall_new(w, id, dom, req, run_restore);
        c->dom_name = xstrdup0(dname);
        c->read_path = w->local ? c->req.path : NULL;
        c->jid = st_jobtab_track(w->jobs, dom, NULL, ST_JOB_RESTORE, NULL, NULL, 0);
        st_jobtab_update(w->jobs, c->jid, ST_PHASE_RUNNING, 0, 0, NULL);
        longcall_start(c);
        if (dom)
            virDomainFree(dom);
    }
    st_snapplan_free(p);
    st_host_free(h);
    st_facts_free(saved);
}

/* ---- managed save, left-over files ---- */

static void do_managedsave_remove(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    st_snapplan *p = d ? st_snapplan_managedsave_remove(h, d) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (!refused(w, id, p)) {
        st_worker_busy(w);
        int rc = virDomainManagedSaveRemove(dom, 0);
        st_worker_idle(w);
        if (rc < 0)
            st_post_result(w, id, false, 0, lv_err(_("libvirt did not remove the managed save")));
        else
            st_action_result(w, id, true, _("managed save image of %s removed"), req->domain);
        refresh_domain(w, dom);
    }
    st_snapplan_free(p);
    st_host_free(h);
}

static void do_remove_files(st_worker *w, int id, const st_request *req)
{
    st_host *h = fresh_model(w, NULL);
    st_snapplan *p = st_snapplan_remove_files(h, req->domain, req->paths, req->n_paths);
    if (!w->local) {
        st_action_result(w, id, false, "%s",
                         _("the files are on a remote host: remove them there"));
    } else if (!refused(w, id, p)) {
        size_t removed = 0;
        strbuf b;
        sb_init(&b);
        for (size_t i = 0; i < req->n_paths; i++) {
            if (unlink(req->paths[i]) == 0)
                removed++;
            else
                sb_printf(&b, "; %s: %s", req->paths[i], strerror(errno));
        }
        st_post_result(w, id, b.len == 0, 0,
                       xasprintf(ngettext("removed %zu file%s", "removed %zu files%s", removed),
                                 removed, b.len ? b.s : ""));
        sb_free(&b);
        st_worker_request_refresh(w, 0);
    }
    st_snapplan_free(p);
    st_host_free(h);
}

int st_snapshot_action(st_worker *w, int id, const st_request *req)
{
    switch (req->kind) {
    case ST_REQ_RESTORE:
        do_restore(w, id, req);
        return 0;
    case ST_REQ_REMOVE_FILES:
        do_remove_files(w, id, req);
        return 0;
    case ST_REQ_SNAPSHOT_CREATE:
    case ST_REQ_REVERT:
    case ST_REQ_SNAPSHOT_DELETE:
    case ST_REQ_SAVE:
    case ST_REQ_MANAGEDSAVE_REMOVE:
        break;
    default:
        return -1;
    }
    virDomainPtr dom = st_action_lookup(w, id, req->domain);
    if (!dom)
        return 0;
    switch (req->kind) {
    case ST_REQ_SNAPSHOT_CREATE:
        do_create(w, id, dom, req);
        break;
    case ST_REQ_REVERT:
        do_revert(w, id, dom, req);
        break;
    case ST_REQ_SNAPSHOT_DELETE:
        do_delete(w, id, dom, req);
        break;
    case ST_REQ_SAVE:
        do_save(w, id, dom, req);
        break;
    default:
        do_managedsave_remove(w, id, dom, req);
        break;
    }
    virDomainFree(dom);
    return 0;
}
