/*
 * The entries of merges an earlier run started and did not see end (core/journal_settle.h):
 * the facts of each, gathered from the host's model, libvirt's block job and the offline
 * helpers' records, then the entry completed, or followed to its job's end.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/journal_record.h"
#include "backend/offline_internal.h"
#include "backend/worker.h"
#include "base/util.h"
#include "core/journal.h"
#include "core/journal_settle.h"
#include "core/journal_store.h"

/* How long after its entry an offline merge's record is written, at the most. */
#define RECORD_WITHIN 120.0

/* The record of the entry's offline merge: the first of its domain and disk begun after it. */
typedef struct record_match {
    const st_json *doc;
    const char *host;
    st_offline_state best;
    bool found;
} record_match;

static bool record_fits(const record_match *m, const st_offline_state *s)
{
    const st_json *req = st_json_get(m->doc, "request");
    const char *top = st_json_get_str(req, "top");
    double started = st_json_get_double(m->doc, "started_unix", 0);
    /* The record is written right after the entry (whose start is in whole seconds), while
     * the same request runs: a record begun much later is another merge's. */
    return streq0(s->uri, m->host) && streq0(s->domain, st_json_get_str(m->doc, "domain")) &&
           streq0(s->disk, st_json_get_str(req, "disk")) && s->started >= started &&
           s->started < started + RECORD_WITHIN && (!top || streq0(s->chain[s->top].path, top)) &&
           (!m->found || s->started < m->best.started);
}

static bool take_fitting(const char *record, st_offline_state *s, void *p)
{
    (void)record;
    record_match *m = p;
    if (!record_fits(m, s))
        return false;
    if (m->found)
        st_offline_state_clear(&m->best);
    m->best = *s;
    m->found = true;
    return true;
}

static bool block_job_runs(st_worker *w, const char *domain, const char *disk)
{
    st_worker_busy(w);
    virDomainPtr dom = virDomainLookupByName(w->conn, domain);
    virDomainBlockJobInfo info;
    bool runs = dom && virDomainGetBlockJobInfo(dom, disk, &info, 0) == 1;
    st_worker_idle(w);
    virResetLastError();
    if (dom)
        virDomainFree(dom);
    return runs;
}

/* The disk's chain in the model, paths active first (borrowed). */
static size_t chain_now(const st_host *h, const char *domain, const char *disk, char ***out,
                        bool *gone)
{
    *out = NULL;
    const st_domain *d = st_host_find_domain(h, domain);
    *gone = !d;
    const st_disk *k = d ? st_domain_find_disk(d, disk) : NULL;
    if (!k || !k->n_chain)
        return 0;
    *out = xcalloc(k->n_chain, sizeof(char *));
    for (size_t i = 0; i < k->n_chain; i++)
        (*out)[i] = k->chain[i].path;
    return k->n_chain;
}

/* One entry: true when it is to be followed to its job's end (doc handed over then). */
static bool settle_one(st_worker *w, const st_host *h, st_json *doc, const char *path, bool follow)
{
    const char *domain = st_json_get_str(doc, "domain");
    const char *disk = st_json_get_str(st_json_get(doc, "request"), "disk");
    bool offline = streq0(st_json_get_str(st_json_get(doc, "before"), "state"), "shut off");
    st_settle_facts f = {0};
    char **now = NULL;
    f.n_now = chain_now(h, domain, disk, &now, &f.domain_gone);
    f.now = now;
    record_match m = {.doc = doc, .host = st_worker_host_key(w)};
    st_job view;
    char *own = NULL;
    if (offline && w->local)
        st_offline_each(take_fitting, &m);
    if (m.found) {
        st_offline_view(&m.best, st_wall_now(), &view, &own);
        f.rec = &view;
        f.rec_ended = m.best.ended;
        f.job_running = view.phase == ST_PHASE_RUNNING;
    } else if (!offline && !f.domain_gone && domain && disk) {
        f.job_running = block_job_runs(w, domain, disk);
    }
    st_settle s;
    st_settle_judge(doc, &f, &s);
    free(own);
    if (m.found)
        st_offline_state_clear(&m.best);
    free(now);
    if (s.wait) {
        st_settle_clear(&s);
        if (follow)
            st_journal_adopt(w, doc, path);
        return follow;
    }
    st_journal_who who;
    st_journal_who_get(&who);
    st_journal_settle_end(doc, &s, &who, time(NULL), st_journal_chains_now(w, domain));
    st_journal_who_clear(&who);
    st_settle_clear(&s);
    char *text = st_json_dump(doc);
    char *why = NULL;
    st_journal_write(path, text, &why);
    free(why);
    free(text);
    return false;
}

void st_journal_settle_host(st_worker *w, const st_host *h, bool follow)
{
    const char *host = st_worker_host_key(w);
    char *root = st_journal_root();
    if (!root || !host) {
        free(root);
        return;
    }
    st_journal_file *v = NULL;
    size_t n = st_journal_load(root, host, NULL, &v);
    for (size_t i = 0; i < n; i++) {
        if (!v[i].doc || !st_journal_unsettled(v[i].doc) || st_journal_tracked(v[i].path) ||
            !streq0(st_json_get_str(v[i].doc, "host"), host))
            continue;
        if (settle_one(w, h, v[i].doc, v[i].path, follow))
            v[i].doc = NULL; /* followed: the entry is the follower's now */
    }
    st_journal_files_free(v, n);
    free(root);
}
