/*
 * Undo from the journal (core/journal_undo.h says what can be given back): the entry is read and
 * planned again here, against what the host holds now, right before anything is defined, so that
 * what changed since the admin's plan (an image, a snapshot) still refuses it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/actions.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/readfile.h"
#include "base/util.h"
#include "core/journal.h"
#include "core/journal_undo.h"

typedef struct undo_ctx {
    st_worker *w;
    virDomainPtr dom;
} undo_ctx;

static bool has_snap(const char *name, void *p)
{
    undo_ctx *c = p;
    st_worker_busy(c->w);
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(c->dom, name, 0);
    st_worker_idle(c->w);
    virResetLastError();
    if (s)
        virDomainSnapshotFree(s);
    return s != NULL;
}

/* Files are looked at where the images are: on this machine. */
static bool gone_here(const st_worker *w, const char *path)
{
    struct stat st;
    return w->local && path && path[0] == '/' && stat(path, &st) != 0 && errno == ENOENT;
}

static char *snap_missing(const char *xml, void *p)
{
    undo_ctx *c = p;
    st_snapshot s = {0};
    char *found = NULL;
    if (st_xml_parse_snapshot(xml, &s, NULL) == 0) {
        for (size_t i = 0; i < s.n_disks && !found; i++)
            if (gone_here(c->w, s.disks[i].file))
                found = xstrdup(s.disks[i].file);
        if (!found && gone_here(c->w, s.memory_file))
            found = xstrdup(s.memory_file);
    }
    st_snapshot_clear(&s);
    return found;
}

static char *sum_now(const char *path, bool *missing, void *p)
{
    undo_ctx *c = p;
    return st_journal_header_sum_now(path, c->w->local, missing);
}

static st_json *ident_now(const char *path, void *p)
{
    undo_ctx *c = p;
    return st_journal_identity_now(path, c->w->local);
}

static st_json *load_entry(const char *path, char **err)
{
    size_t len = 0;
    char *text = st_read_regular_file(path, 64u * 1024 * 1024, &len, err);
    if (!text)
        return NULL;
    st_json *doc = st_json_parse(text, err);
    free(text);
    return doc;
}

/* Defines what the plan says; NULL, or why it stopped (malloc'd). */
static char *apply(st_worker *w, virDomainPtr dom, const st_undo_plan *p)
{
    char *e = NULL;
    st_worker_busy(w);
    if (p->kind == ST_UNDO_REDEFINE_DOMAIN) {
        virDomainPtr d = virDomainDefineXML(w->conn, p->domain_xml);
        if (!d)
            e = st_lv_error(_("libvirt did not take the recorded definition"));
        else
            virDomainFree(d);
    }
    for (size_t i = 0; !e && i < p->n_snaps; i++) {
        unsigned f = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE |
                     (p->snap_current[i] ? VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT : 0);
        virDomainSnapshotPtr s = virDomainSnapshotCreateXML(dom, p->snap_xml[i], f);
        if (!s)
            e = st_lv_error(_("libvirt did not take a recorded snapshot"));
        else
            virDomainSnapshotFree(s);
    }
    if (!e && p->current_xml) {
        virDomainSnapshotPtr s = virDomainSnapshotCreateXML(dom, p->current_xml,
                                                            VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE |
                                                                VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT);
        if (!s)
            e = st_lv_error(_("libvirt did not make the recorded snapshot current again"));
        else
            virDomainSnapshotFree(s);
    }
    st_worker_idle(w);
    return e;
}

void st_undo_run(st_worker *w, int id, const st_request *req)
{
    char *err = NULL;
    st_json *doc = load_entry(req->path, &err);
    const char *domain = st_json_get_str(doc, "domain");
    if (doc && !streq0(st_json_get_str(doc, "host"), st_worker_host_key(w))) {
        free(err);
        err = xstrdup(_("the entry is of another host"));
    }
    st_worker_busy(w);
    virDomainPtr dom = doc && !err && domain ? virDomainLookupByName(w->conn, domain) : NULL;
    bool running = dom && virDomainIsActive(dom) == 1;
    st_worker_idle(w);
    if (!dom && !err)
        err = st_lv_error(_("no such domain"));
    undo_ctx c = {w, dom};
    st_undo_host host = {has_snap, snap_missing, sum_now, &c, ident_now};
    st_undo_plan *p = dom ? st_undo_plan_make(doc, running, &host) : NULL;
    if (p && p->why)
        err = xstrdup(p->why);
    if (!err && !st_worker_may_change(w, id)) {
        err = NULL; /* answered already */
    } else if (!err) {
        err = apply(w, dom, p);
        if (!err)
            st_action_result(w, id, true, _("%s: the entry's %s is undone"), domain,
                             st_json_get_str(doc, "action"));
    }
    if (err)
        st_action_result(w, id, false, _("not undone: %s"), err);
    free(err);
    st_undo_plan_free(p);
    if (dom) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virDomainGetUUIDString(dom, uuid) == 0)
            st_worker_mark_dirty(w, uuid);
        virDomainFree(dom);
    }
    st_json_free(doc);
    st_worker_request_refresh(w, 0);
}
