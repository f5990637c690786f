/*
 * Snapshot requests: create, revert (snap_revert.c), delete, save, restore, managed-save removal
 * and removal of files libvirt left behind. Each request is planned again here from a fresh look
 * at the host (snapplan.c, the same functions the frontend used) and refused before any libvirt
 * call when the plan is refused. Calls that can take long (memory is written or read, data is
 * merged) run on the long-call runner (longcall.c), so that the worker keeps refreshing the tree
 * meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/actions.h"
#include "backend/longcall.h"
#include "backend/savelist.h"
#include "backend/snapactions_internal.h"
#include "backend/xmlutil.h"
#include "base/filecopy.h"
#include "base/i18n.h"
#include "base/util.h"

void sa_refresh_domain(st_worker *w, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (dom && virDomainGetUUIDString(dom, uuid) == 0)
        st_worker_mark_dirty(w, uuid);
    st_worker_request_refresh(w, 0);
}

/* ---- a fresh look at the host, for the plan made again here ---- */

bool sa_file_exists(const char *path, void *p)
{
    sa_exists *c = p;
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

st_host *sa_fresh_model(st_worker *w, virDomainPtr dom)
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

bool sa_refused(st_worker *w, int id, const st_snapplan *p)
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

/* ---- create ---- */

/* The files a new snapshot holds: its external overlays (made from the image each disk ran on)
 * and its memory file. */
static void make_snapshot_private(longcall *c, virDomainSnapshotPtr s, strbuf *note)
{
    char *xml = virDomainSnapshotGetXMLDesc(s, 0);
    st_snapshot snap;
    memset(&snap, 0, sizeof(snap));
    if (!xml || st_xml_parse_snapshot(xml, &snap, NULL) != 0) {
        sb_add(note, _("; the snapshot's files could not be listed to check their modes"));
        virResetLastError();
    }
    for (size_t i = 0; i < snap.n_disks; i++)
        if (streq0(snap.disks[i].snapshot, "external"))
            sa_make_private(c, snap.disks[i].file, snap.disks[i].image, note);
    sa_make_private(c, snap.memory_file, NULL, note);
    st_snapshot_clear(&snap);
    free(xml);
}

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
    char *why = NULL;
    /* Copied first: the snapshot and the variables of one moment. */
    if (c->nvram_copy && st_copy_new_private(c->nvram, c->nvram_copy, &why) != 0) {
        *err = xasprintf(_("nothing was taken: the NVRAM could not be copied (%s)"), why);
        free(why);
        return -1;
    }
    virDomainSnapshotPtr s = virDomainSnapshotCreateXML(c->dom, c->xml, create_flags(&c->req));
    if (!s) {
        *err = st_lv_error_after(_("libvirt did not take the snapshot"));
        if (c->nvram_copy)
            unlink(c->nvram_copy);
        return -1;
    }
    strbuf note;
    sb_init(&note);
    make_snapshot_private(c, s, &note);
    virDomainSnapshotFree(s);
    c->ok_text = xasprintf(_("snapshot %s of %s taken%s"), c->req.snapshot, c->req.domain,
                           note.len ? note.s : "");
    sb_free(&note);
    return 0;
}

static void do_create(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = sa_fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    sa_exists ec = {.w = w};
    st_snapplan *p = d ? st_snapplan_create(h, d, req, sa_file_exists, &ec) : NULL;
    char *err = NULL;
    char *xml = p && !p->refused ? st_xml_build_snapshot(req, &err) : NULL;
    if (!p)
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    else if (sa_refused(w, id, p))
        ;
    else if (p->mixing && !(req->flags & ST_F_MIX_OK))
        st_action_result(w, id, false, "%s",
                         _("refused: this snapshot mixes internal and external snapshots and "
                           "was not confirmed twice"));
    else if (!xml)
        st_action_result(w, id, false, "%s", err ? err : "?");
    else {
        longcall *c = longcall_new(w, id, dom, req, run_create);
        sa_nvram_track(c, d, req->snapshot, req->snap_kind == ST_SNAP_KIND_INTERNAL);
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
    sa_exists ec = {.w = c->w};
    size_t left = 0;
    /* What the plan says libvirt removes is looked at too, here: should this libvirt leave it
     * (a version the plan guessed wrong), its removal is offered like the rest. */
    size_t n_left = c->plan ? c->plan->n_left_files : 0;
    size_t n_all = n_left + (c->plan ? c->plan->n_removed : 0);
    for (size_t i = 0; i < n_all; i++) {
        const char *f = i < n_left ? c->plan->left_files[i] : c->plan->removed[i - n_left];
        if (c->w->local && sa_file_exists(f, &ec)) {
            sb_printf(&b, "\n%s", f);
            left++;
        } else if (!c->w->local && i < n_left) {
            sb_printf(&b,
                      sa_file_exists(f, &ec) ? _("; %s is left on the host: remove it there")
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
        *err = st_lv_error_after(_("no such snapshot"));
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
        *err = st_lv_error_after(_("libvirt did not delete the snapshot"));
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
    st_host *h = sa_fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    st_snapplan *p = d ? st_snapplan_delete(h, d, req->snapshot, req->flags) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (!sa_refused(w, id, p)) {
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
        *err = st_lv_error_after(_("libvirt did not save the domain"));
        return -1;
    }
    strbuf note;
    sb_init(&note);
    sa_make_private(c, c->req.path, NULL, &note);
    if (st_savelist_add(c->req.path, c->req.domain, (long long)time(NULL)) != 0)
        c->ok_text = xasprintf(_("%s saved to %s (the list of save files could not be "
                                 "updated)%s"),
                               c->req.domain, c->req.path, note.len ? note.s : "");
    else
        c->ok_text =
            xasprintf(_("%s saved to %s%s"), c->req.domain, c->req.path, note.len ? note.s : "");
    sb_free(&note);
    return 0;
}

static void do_save(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = sa_fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    sa_exists ec = {.w = w};
    st_snapplan *p = d ? st_snapplan_save(h, d, req->path, req->flags, sa_file_exists, &ec) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (!sa_refused(w, id, p)) {
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
        *err = st_lv_error_after(_("libvirt did not restore the domain"));
        return -1;
    }
    st_savelist_mark_restored(c->req.path);
    c->ok_text = xasprintf(_("%s restored from %s"), c->dom_name ? c->dom_name : "?", c->req.path);
    return 0;
}

static void do_restore(st_worker *w, int id, const st_request *req)
{
    st_facts *saved = xcalloc(1, sizeof(*saved));
    if (req->path)
        st_saved_facts(w, req->path, saved);
    const char *name = saved->saved_domain;
    st_host *h = sa_fresh_model(w, NULL);
    sa_exists ec = {.w = w, .header_read = name != NULL};
    st_saved *list = NULL;
    size_t n = st_savelist_load(&list);
    bool restored = false;
    for (size_t i = 0; i < n; i++)
        restored |= streq0(list[i].path, req->path) && list[i].restored;
    st_savelist_free(list, n);
    st_snapplan *p = st_snapplan_restore(h, req->path, name ? name : req->domain, restored, saved,
                                         req->flags, sa_file_exists, &ec);
    if (!sa_refused(w, id, p)) {
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
    st_host *h = sa_fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    st_snapplan *p = d ? st_snapplan_managedsave_remove(h, d) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (!sa_refused(w, id, p)) {
        st_worker_busy(w);
        int rc = virDomainManagedSaveRemove(dom, 0);
        st_worker_idle(w);
        if (rc < 0)
            st_post_result(w, id, false, 0,
                           st_lv_error_after(_("libvirt did not remove the managed save")));
        else
            st_action_result(w, id, true, _("managed save image of %s removed"), req->domain);
        sa_refresh_domain(w, dom);
    }
    st_snapplan_free(p);
    st_host_free(h);
}

static void do_remove_files(st_worker *w, int id, const st_request *req)
{
    st_host *h = sa_fresh_model(w, NULL);
    st_snapplan *p = st_snapplan_remove_files(h, req->domain, req->paths, req->n_paths);
    if (!w->local) {
        st_action_result(w, id, false, "%s",
                         _("the files are on a remote host: remove them there"));
    } else if (!sa_refused(w, id, p)) {
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
        sa_revert(w, id, dom, req);
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
