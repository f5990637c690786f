#include "config.h"

#include "backend/journal_record.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/actions.h"
#include "backend/offline_state.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/journal.h"
#include "core/journal_settle.h"
#include "core/journal_store.h"

/* An entry written before its request ran, waiting for the request's result. */
typedef struct pending {
    const st_backend *b; /* request ids are the backend's */
    int id;
    st_json *doc;
    char *path;
    char *domain;
    char *disk;         /* a merge: its disk, for its job's end */
    bool moves_nothing; /* done, it moved no image data: bytes_moved 0, not unknown */
    bool later;         /* a job an earlier run started: its end is marked as completed later */
    double t0;
    struct pending *next;
} pending;

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static pending *pending_list;
/* Merges whose job started: their entries are completed when the job ends. */
static pending *running_list;

/* ---- what the host says ---- */

static char *dom_xml(st_worker *w, virDomainPtr dom, unsigned flags)
{
    st_worker_busy(w);
    char *xml = virDomainGetXMLDesc(dom, flags);
    st_worker_idle(w);
    virResetLastError();
    return xml;
}

static st_json *snapshots_json(st_worker *w, virDomainPtr dom)
{
    st_json *a = st_json_array();
    virDomainSnapshotPtr *snaps = NULL;
    st_worker_busy(w);
    int n = virDomainListAllSnapshots(dom, &snaps, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
    for (int i = 0; i < n; i++) {
        st_json *s = st_json_object();
        st_json_set_str(s, "name", virDomainSnapshotGetName(snaps[i]));
        st_json_set(s, "current", st_json_bool(virDomainSnapshotIsCurrent(snaps[i], 0) == 1));
        char *xml = virDomainSnapshotGetXMLDesc(snaps[i], 0);
        st_json_set_str(s, "xml", xml);
        free(xml);
        st_json_push(a, s);
        virDomainSnapshotFree(snaps[i]);
    }
    st_worker_idle(w);
    virResetLastError();
    free(snaps);
    return a;
}

/* Every disk's chain: from the headers on a local host, else as the XML gives it. */
static st_json *chains_json(st_worker *w, const char *xml)
{
    st_json *a = st_json_array();
    st_domain d = {0};
    if (!xml || st_xml_parse_domain(xml, &d, NULL) != 0)
        return a;
    for (size_t i = 0; i < d.n_disks; i++) {
        const st_disk *k = &d.disks[i];
        if (!k->source && !k->n_chain)
            continue;
        bool readable = w->local && k->source && k->source[0] == '/' &&
                        (streq0(k->type, "file") || streq0(k->type, "block"));
        if (readable) {
            st_json_push(a, st_journal_chain_local(k->target, k->source, k->format));
            continue;
        }
        char **unread = k->n_chain ? xcalloc(k->n_chain, sizeof(char *)) : NULL;
        for (size_t j = 0; j < k->n_chain; j++)
            unread[j] = xstrdup(w->local ? _("not a file on this machine: header not read")
                                         : _("on a remote host: header not read from here"));
        st_json_push(a, st_journal_chain(k->target, k->chain, k->n_chain, NULL, unread));
        for (size_t j = 0; j < k->n_chain; j++)
            free(unread[j]);
        free(unread);
    }
    st_domain_clear(&d);
    return a;
}

static virDomainPtr find_domain(st_worker *w, const char *name)
{
    if (!name)
        return NULL;
    st_worker_busy(w);
    virDomainPtr dom = virDomainLookupByName(w->conn, name);
    st_worker_idle(w);
    virResetLastError();
    return dom;
}

static bool is_active(st_worker *w, virDomainPtr dom)
{
    st_worker_busy(w);
    bool a = virDomainIsActive(dom) == 1;
    st_worker_idle(w);
    return a;
}

/* The "before" member: definitions, snapshots and chains (null members: no such domain). */
static st_json *before_json(st_worker *w, const char *domain)
{
    st_json *o = st_json_object();
    virDomainPtr dom = find_domain(w, domain);
    bool active = dom && is_active(w, dom);
    char *live = active ? dom_xml(w, dom, 0) : NULL;
    char *inactive = dom ? dom_xml(w, dom, VIR_DOMAIN_XML_INACTIVE) : NULL;
    st_json_set_str(o, "state", !dom ? NULL : active ? "running" : "shut off");
    st_json_set_str(o, "xml_active", live);
    st_json_set_str(o, "xml_inactive", inactive);
    st_json_set(o, "snapshots", dom ? snapshots_json(w, dom) : st_json_array());
    st_json_set(o, "chains", chains_json(w, active ? live : inactive));
    free(live);
    free(inactive);
    if (dom)
        virDomainFree(dom);
    return o;
}

st_json *st_journal_chains_now(st_worker *w, const char *domain)
{
    virDomainPtr dom = find_domain(w, domain);
    if (!dom)
        return st_json_array();
    char *xml = dom_xml(w, dom, is_active(w, dom) ? 0 : VIR_DOMAIN_XML_INACTIVE);
    st_json *c = chains_json(w, xml);
    free(xml);
    virDomainFree(dom);
    return c;
}

/* ---- entries ---- */

/*
 * Requests whose success copies no image data: metadata, definitions, empty overlays, a revert
 * (it switches images), a pivot.
 * A save or a memory snapshot writes the guest's memory, a merge its data: their figure is not
 * known here.
 */
static bool moves_nothing(const st_request *req)
{
    switch (req->kind) {
    case ST_REQ_SNAPSHOT_CREATE:
        return req->snap_kind != ST_SNAP_KIND_MEMORY;
    case ST_REQ_SNAPSHOT_DELETE: /* a delete may merge an external snapshot's overlay */
        return req->flags & ST_F_METADATA_ONLY;
    case ST_REQ_REVERT:
    case ST_REQ_PIVOT:
    case ST_REQ_ABORT:
    case ST_REQ_MANAGEDSAVE_REMOVE:
    case ST_REQ_REMOVE_FILES:
    case ST_REQ_FINISH_PAUSED:
    case ST_REQ_UNDO:
        return true;
    default:
        return false;
    }
}

static char *entry_text(const st_json *doc)
{
    return st_json_dump(doc);
}

static void refuse(st_worker *w, int id, const char *why)
{
    st_action_result(w, id, false,
                     _("not done: the journal cannot be written (%s); plan it again and choose "
                       "to go on without a journal, or make room for it"),
                     why);
}

/*
 * Job control (a pivot, an abort, finishing a domain started paused) has no plan screen to offer
 * going on without a journal, and ends what already runs: its entry is written when it can be.
 */
static bool journal_optional(const st_request *req)
{
    return (req->flags & ST_F_NO_JOURNAL) || req->kind == ST_REQ_PIVOT ||
           req->kind == ST_REQ_ABORT || req->kind == ST_REQ_FINISH_PAUSED;
}

bool st_journal_before(st_worker *w, int id, const st_request *req)
{
    const char *action = st_journal_action_name(req->kind);
    if (!action)
        return true;
    bool optional = journal_optional(req);
    char *root = st_journal_root();
    char *why = NULL;
    if (st_journal_check(root, &why) != 0) {
        free(root);
        if (!optional)
            refuse(w, id, why);
        free(why);
        return optional;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const char *host = st_worker_host_key(w);
    st_journal_who who;
    st_journal_who_get(&who);
    st_json *doc = st_journal_begin(host, req, &who, now.tv_sec);
    st_journal_who_clear(&who);
    st_json_set(doc, "before", before_json(w, req->domain));
    st_json_set(doc, "after", NULL);
    char *dir = st_journal_dir(root, host, req->domain ? req->domain : "");
    char *path = st_journal_new_path(dir, &now, action);
    char *text = entry_text(doc);
    int rc = st_journal_write(path, text, &why);
    free(text);
    free(dir);
    free(root);
    if (rc != 0) {
        st_json_free(doc);
        free(path);
        if (!optional)
            refuse(w, id, why);
        free(why);
        return optional;
    }
    pending *p = xcalloc(1, sizeof(*p));
    p->b = w->b;
    p->id = id;
    p->doc = doc;
    p->path = path;
    p->domain = xstrdup0(req->domain);
    p->disk = xstrdup0(req->disk);
    p->moves_nothing = moves_nothing(req);
    p->t0 = st_now();
    pthread_mutex_lock(&pending_lock);
    p->next = pending_list;
    pending_list = p;
    pthread_mutex_unlock(&pending_lock);
    return true;
}

static pending *take_pending(const st_backend *b, int id)
{
    pthread_mutex_lock(&pending_lock);
    pending **pp = &pending_list;
    while (*pp && ((*pp)->b != b || (*pp)->id != id))
        pp = &(*pp)->next;
    pending *p = *pp;
    if (p)
        *pp = p->next;
    pthread_mutex_unlock(&pending_lock);
    return p;
}

/* What a result means for the entry: merges run on as jobs once started. */
static const char *outcome(const st_json *doc, bool ok)
{
    const char *action = st_json_get_str(doc, "action");
    if (ok && (streq0(action, "commit") || streq0(action, "pull")))
        return "started";
    return ok ? "done" : "failed";
}

static void pending_free(pending *p)
{
    st_json_free(p->doc);
    free(p->path);
    free(p->domain);
    free(p->disk);
    free(p);
}

/* Writes the entry again with its "after" member; the one written before stays whole when this
 * fails, and still says what was done. */
static void finish(st_worker *w, pending *p, bool ok, const char *oc, const char *text,
                   const uint64_t *bytes)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    st_journal_end(p->doc, ok, oc, text, now.tv_sec, st_now() - p->t0, bytes,
                   st_journal_chains_now(w, p->domain));
    if (p->later) {
        st_journal_who who;
        st_journal_who_get(&who);
        st_journal_completed_by(p->doc, &who, now.tv_sec, "job end");
        st_journal_who_clear(&who);
    }
    char *doc = entry_text(p->doc);
    char *why = NULL;
    st_journal_write(p->path, doc, &why);
    free(why);
    free(doc);
}

void st_journal_after(st_worker *w, int id, bool ok, const char *text)
{
    pending *p = id ? take_pending(w->b, id) : NULL;
    if (!p)
        return;
    const char *oc = outcome(p->doc, ok);
    uint64_t none = 0;
    finish(w, p, ok, oc, text, ok && p->moves_nothing ? &none : NULL);
    if (!streq0(oc, "started")) {
        pending_free(p);
        return;
    }
    pthread_mutex_lock(&pending_lock);
    p->next = running_list;
    running_list = p;
    pthread_mutex_unlock(&pending_lock);
}

static const char *job_outcome(st_job_phase phase)
{
    switch (phase) {
    case ST_PHASE_COMPLETED:
        return "completed";
    case ST_PHASE_CANCELLED:
        return "cancelled";
    case ST_PHASE_FAILED:
        return "failed";
    default:
        return "unknown"; /* ST_PHASE_ENDED: its error says why it is not known */
    }
}

void st_journal_job_end(st_worker *w, const st_job *j)
{
    pthread_mutex_lock(&pending_lock);
    pending **pp = &running_list;
    while (*pp &&
           ((*pp)->b != w->b || !streq0((*pp)->domain, j->domain) || !streq0((*pp)->disk, j->disk)))
        pp = &(*pp)->next;
    pending *p = *pp;
    if (p)
        *pp = p->next;
    pthread_mutex_unlock(&pending_lock);
    if (!p)
        return;
    bool ok = j->phase == ST_PHASE_COMPLETED;
    /* qemu-img's progress counts the data it copied; a block job's counts the disk's whole span,
     * so there the plan's figure of the data is what a completed merge moved. */
    bool offline = j->kind == ST_JOB_OFFLINE_COMMIT || j->kind == ST_JOB_OFFLINE_PULL;
    uint64_t moved = offline ? j->cur : j->data;
    bool known = offline || (ok && j->data);
    finish(w, p, ok, job_outcome(j->phase), j->error, known ? &moved : NULL);
    pending_free(p);
}

static bool listed(const pending *p, const char *path)
{
    for (; p; p = p->next)
        if (streq0(p->path, path))
            return true;
    return false;
}

bool st_journal_tracked(const char *path)
{
    pthread_mutex_lock(&pending_lock);
    bool found = listed(pending_list, path) || listed(running_list, path);
    pthread_mutex_unlock(&pending_lock);
    return found;
}

void st_journal_adopt(st_worker *w, st_json *doc, const char *path)
{
    pending *p = xcalloc(1, sizeof(*p));
    p->b = w->b;
    p->doc = doc;
    p->path = xstrdup(path);
    p->domain = xstrdup0(st_json_get_str(doc, "domain"));
    p->disk = xstrdup0(st_json_get_str(st_json_get(doc, "request"), "disk"));
    p->later = true;
    /* Its duration counts from the start the entry recorded, on the wall clock. */
    p->t0 = st_now() - (st_wall_now() - st_json_get_double(doc, "started_unix", st_wall_now()));
    pthread_mutex_lock(&pending_lock);
    p->next = running_list;
    running_list = p;
    pthread_mutex_unlock(&pending_lock);
}
