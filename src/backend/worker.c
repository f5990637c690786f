/*
 * One thread per host owns its connection and makes every blocking libvirt call, so that a hung
 * host stalls only its own worker. The worker connects (and reconnects with backoff), refreshes on
 * events and on a timer, and runs queued requests.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/actions.h"
#include "backend/doctor.h"
#include "backend/journal_record.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/trace.h"
#include "base/uri.h"
#include "base/util.h"
#include "core/ssh_reason.h"

/* A call in flight longer than this makes the host "not responding". */
#define ST_HUNG_AFTER 3.0

static void set_state(st_worker *w, st_host_state s)
{
    if (atomic_load(&w->state) != (int)s) {
        atomic_store(&w->state, (int)s);
        atomic_store(&w->state_since, st_now());
    }
}

st_host_state st_worker_state(st_worker *w, double *since)
{
    st_host_state s = atomic_load(&w->state);
    /* The call in flight the longest decides. */
    double busy = 0;
    for (size_t i = 0; i < ST_PAR_MAX; i++) {
        double b = atomic_load(&w->busy_since[i]);
        if (b > 0 && (busy == 0 || b < busy))
            busy = b;
    }
    if (busy > 0 && st_now() - busy > ST_HUNG_AFTER &&
        (s == ST_HOST_CONNECTED || s == ST_HOST_RECONNECTING || s == ST_HOST_CONNECTING)) {
        if (since)
            *since = busy;
        return ST_HOST_NOT_RESPONDING;
    }
    if (since)
        *since = atomic_load(&w->state_since);
    return s;
}

st_worker *st_worker_new(st_backend *b, size_t index, const char *uri, const st_backend_opts *o)
{
    st_worker *w = xcalloc(1, sizeof(*w));
    w->b = b;
    w->index = index;
    w->uri = xstrdup0(uri);
    /* Only the interface holds the terminal; a report may let ssh ask on it. */
    w->open_uri = o->events ? st_uri_no_tty(uri) : xstrdup0(uri);
    w->readonly = o->readonly;
    w->events = o->events;
    w->snapshots = o->snapshots;
    w->running_only = o->running_only;
    w->inactive_xml = o->inactive_xml;
    w->doctor = o->doctor;
    w->pool_dirs = o->pool_dirs;
    w->settle_journal = o->settle_journal || o->events;
    w->max_depth = o->max_depth;
    w->interval_ms = o->interval_ms > 0 ? o->interval_ms : 2000;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    atomic_init(&w->state, ST_HOST_CONNECTING);
    for (size_t i = 0; i < ST_PAR_MAX; i++)
        atomic_init(&w->busy_since[i], 0.0);
    atomic_init(&w->state_since, st_now());
    atomic_init(&w->refreshes_begun, 0);
    atomic_init(&w->refreshes_done, 0);
    st_cache_init(&w->cache);
    w->pools_stale = true;
    w->jobs = st_jobtab_new();
    w->backoff = 1.0;
    return w;
}

st_worker *st_worker_successor(st_worker *old)
{
    pthread_mutex_lock(&old->lock);
    /* A connection (even one still reading the host's facts) whose calls may hang; without one
     * the worker is opening a new connection already, and a successor would do no better. */
    if (!atomic_load(&old->has_conn) || old->quit || atomic_load(&old->successor)) {
        pthread_mutex_unlock(&old->lock);
        return NULL;
    }
    st_backend_opts o = {
        .readonly = old->readonly,
        .interval_ms = old->interval_ms,
        .events = old->events,
        .snapshots = old->snapshots,
        .running_only = old->running_only,
        .inactive_xml = old->inactive_xml,
        .doctor = old->doctor,
        .pool_dirs = old->pool_dirs,
        .settle_journal = old->settle_journal,
        .max_depth = old->max_depth,
    };
    /* Nothing the old thread may be rewriting (its host facts) is copied: the successor reads
     * its own once connected. */
    st_worker *w = st_worker_new(old->b, old->index, old->uri, &o);
    w->local = st_uri_is_local(old->uri);
    w->published_once = old->published_once;
    /* The refresh stuck in the old worker counts as finished: F5 waits for the successor's. */
    unsigned begun = atomic_load(&old->refreshes_begun);
    atomic_store(&w->refreshes_begun, begun);
    atomic_store(&w->refreshes_done, begun);
    double since = 0;
    w->hang_since = st_worker_state(old, &since) == ST_HOST_NOT_RESPONDING ? since : st_now();
    atomic_store(&w->state, ST_HOST_RECONNECTING);
    w->queue = old->queue;
    w->queue_tail = old->queue_tail;
    old->queue = old->queue_tail = NULL;
    atomic_store(&old->successor, w);
    pthread_cond_signal(&old->cond);
    pthread_mutex_unlock(&old->lock);
    return w;
}

/*
 * Locks and returns the worker that serves w's host now: w, or the successor that took it over
 * (requests, refreshes and invalidations sent to a worker taken over meanwhile go there).
 */
static st_worker *lock_current(st_worker *w)
{
    pthread_mutex_lock(&w->lock);
    st_worker *next;
    while ((next = atomic_load(&w->successor))) {
        pthread_mutex_unlock(&w->lock);
        w = next;
        pthread_mutex_lock(&w->lock);
    }
    return w;
}

bool st_worker_may_change(st_worker *w, int id)
{
    if (!atomic_load(&w->successor))
        return true;
    if (id)
        st_action_result(w, id, false, "%s",
                         _("not done: the host stopped answering before it began, and its "
                           "connection was given up"));
    return false;
}

void st_worker_request_refresh(st_worker *w, int delay_ms)
{
    w = lock_current(w);
    double at = st_now() + delay_ms / 1000.0;
    if (!w->refresh_wanted || at < w->refresh_at)
        w->refresh_at = at;
    w->refresh_wanted = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void st_worker_mark_dirty(st_worker *w, const char *uuid)
{
    w = lock_current(w);
    xgrow((void **)&w->dirty_uuids, &w->cap_dirty, w->n_dirty + 1, sizeof(char *));
    w->dirty_uuids[w->n_dirty++] = xstrdup(uuid);
    w->pools_stale = true;
    pthread_mutex_unlock(&w->lock);
}

void st_worker_submit(st_worker *w, int id, const st_request *req)
{
    st_reqnode *n = xcalloc(1, sizeof(*n));
    n->id = id;
    st_request_copy(&n->req, req);
    w = lock_current(w);
    if (w->queue_tail)
        w->queue_tail->next = n;
    else
        w->queue = n;
    w->queue_tail = n;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int st_worker_published(st_worker *w)
{
    return w->published_once ? 1 : 0;
}

/*
 * Publishes a host model. A complete one (snapshot trees included) wakes
 * st_backend_wait_initial; the interface also gets the model before its trees, to paint sooner.
 */
static void publish_model(st_worker *w, st_host *h, bool complete)
{
    h->generation = w->refreshes;
    h->refreshed_at = st_now();
    st_jobtab_fill_host(w->jobs, h);
    st_msg *m = st_msg_new(ST_MSG_HOST, w->index, 0);
    m->host = h;
    if (complete)
        w->published_once = true;
    st_worker_post(w, m);
}

static void publish(st_worker *w, st_host *h)
{
    publish_model(w, h, true);
}

static void publish_failure(st_worker *w, const char *error)
{
    w->have_fp = false;
    st_host *h = st_host_new(w->uri ? w->uri : w->conn_uri);
    h->name = xstrdup0(w->name ? w->name : w->uri);
    h->libvirt_version = xstrdup0(w->lib_version);
    h->readonly = w->readonly;
    h->local = w->local;
    h->reachable = false;
    h->error = xstrdup(error);
    publish(w, h);
}

/* ---- events (these run on the event loop thread: no blocking calls here) ---- */

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
    (void)conn;
    (void)reason;
    st_worker *w = opaque;
    pthread_mutex_lock(&w->lock);
    w->conn_closed = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void dom_changed(st_worker *w, virDomainPtr dom, int delay_ms)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (virDomainGetUUIDString(dom, uuid) == 0)
        st_worker_mark_dirty(w, uuid);
    st_worker_request_refresh(w, delay_ms);
}

/* How a domain stopped, for the jobs that ended with it; NULL when it did not stop. */
static const char *stop_label(int event, int detail)
{
    if (event == VIR_DOMAIN_EVENT_CRASHED)
        return _("crashed");
    if (event != VIR_DOMAIN_EVENT_STOPPED)
        return NULL;
    switch (detail) {
    case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
        return _("shut down");
    case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
        return _("destroyed");
    case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
        return _("crashed");
    case VIR_DOMAIN_EVENT_STOPPED_MIGRATED:
        return _("migrated away");
    case VIR_DOMAIN_EVENT_STOPPED_SAVED:
        return _("saved");
    case VIR_DOMAIN_EVENT_STOPPED_FAILED:
        return _("its emulator failed");
    case VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT:
        return _("reverted to a snapshot");
    default:
        return _("stopped");
    }
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    (void)conn;
    st_worker *w = opaque;
    /* A block job lives in QEMU: when QEMU goes, so does the job, and no block job event says
     * so. Without this it would stay "running" for ever and block merges on its disk. */
    const char *how = stop_label(event, detail);
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (how && virDomainGetUUIDString(dom, uuid) == 0) {
        char *why = xasprintf(_("the domain stopped (%s) while the job ran"), how);
        st_jobtab_domain_stopped(w->jobs, uuid, why);
        free(why);
        st_worker_post_jobs(w);
    }
    dom_changed(w, dom, 100);
    return 0;
}

static void on_block_job(virConnectPtr conn, virDomainPtr dom, const char *disk, int type,
                         int status, void *opaque)
{
    (void)conn;
    st_worker *w = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    st_jobtab_event(w->jobs, virDomainGetName(dom), uuid, disk, type, status);
    st_worker_post_jobs(w);
    dom_changed(w, dom, 50);
}

static void on_job_completed(virConnectPtr conn, virDomainPtr dom, virTypedParameterPtr params,
                             int nparams, void *opaque)
{
    (void)conn;
    (void)params;
    (void)nparams;
    dom_changed(opaque, dom, 50);
}

/* QEMU could not write a disk image. Only a want of space is told: the admin can free it, and a
 * block job writing to the same filesystem failed of it too (libvirt gives no reason). */
static void on_io_error(virConnectPtr conn, virDomainPtr dom, const char *path, const char *alias,
                        int action, const char *reason, void *opaque)
{
    (void)conn;
    (void)alias;
    st_worker *w = opaque;
    if (!streq0(reason, "enospc"))
        return;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    st_jobtab_io_error(w->jobs, uuid, virDomainGetName(dom), path,
                       action == VIR_DOMAIN_EVENT_IO_ERROR_PAUSE);
    dom_changed(w, dom, 0);
}

/* An agent that connects or goes away changes the live XML: quiesce depends on it. */
static void on_agent(virConnectPtr conn, virDomainPtr dom, int state, int reason, void *opaque)
{
    (void)conn;
    (void)state;
    (void)reason;
    dom_changed(opaque, dom, 100);
}

static void register_events(st_worker *w)
{
    struct {
        int id;
        virConnectDomainEventGenericCallback cb;
    } evs[] = {
        {VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle)},
        {VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, VIR_DOMAIN_EVENT_CALLBACK(on_block_job)},
        {VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, VIR_DOMAIN_EVENT_CALLBACK(on_job_completed)},
        {VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_agent)},
        {VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, VIR_DOMAIN_EVENT_CALLBACK(on_io_error)},
    };
    w->n_cb = 0;
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        int id = virConnectDomainEventRegisterAny(w->conn, NULL, evs[i].id, evs[i].cb, w, NULL);
        if (id >= 0)
            w->cb_ids[w->n_cb++] = id;
        else
            virResetLastError();
    }
}

/* ---- connection ---- */

static void read_host_facts(st_worker *w)
{
    unsigned long v = 0;
    st_worker_busy(w);
    if (virConnectGetLibVersion(w->conn, &v) == 0) {
        w->lib_ver = v;
        free(w->lib_version);
        w->lib_version = xasprintf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
    }
    unsigned long hv = 0;
    if (virConnectGetVersion(w->conn, &hv) == 0 && hv) {
        w->hv_ver = hv;
        free(w->hv_version);
        w->hv_version = xasprintf("%lu.%lu.%lu", hv / 1000000, hv / 1000 % 1000, hv % 1000);
    }
    const char *type = virConnectGetType(w->conn);
    free(w->hv_type);
    w->hv_type = xstrdup0(type);
    char *uri = virConnectGetURI(w->conn);
    char *hostname = virConnectGetHostname(w->conn);
    char *caps = virConnectGetCapabilities(w->conn);
    st_worker_idle(w);
    virResetLastError();
    free(w->conn_uri);
    w->conn_uri = uri ? uri : xstrdup0(w->uri);
    w->local = st_uri_is_local(w->conn_uri);
    /* Calls in flight during discovery. libvirtd works on at most max_client_requests (5 by
     * default) calls of one client at a time and queues the rest in its socket: locally more
     * threads only add contention, while over a slow link the queued calls have already crossed
     * it, so many in flight hide the round trips. VIRT_SNAPTREE_PARALLEL overrides it for the
     * benchmarks (1: one call at a time). */
    w->par = w->local ? 4 : 96;
    const char *par = getenv("VIRT_SNAPTREE_PARALLEL");
    if (par && atoi(par) > 0)
        w->par = (size_t)atoi(par) < ST_PAR_MAX ? (size_t)atoi(par) : ST_PAR_MAX;
    free(w->name);
    /* A local host is named by its URI: several local URIs (system, embed) may be open. */
    w->name = w->local || !hostname ? xstrdup0(w->uri ? w->uri : w->conn_uri) : xstrdup(hostname);
    free(hostname);
    bool ext = false;
    char *err = NULL;
    if (caps && st_xml_parse_caps(caps, &ext, &err) == 0)
        w->external_revert = ext;
    free(err);
    free(caps);
}

/*
 * Why the connection could not be opened, in one line. Over ssh, ssh's own verdict: libvirt
 * passes on all ssh printed, a banner of a dozen lines for a host key that changed. The advice to
 * log in with a key goes with what a prompt would have asked for (a password, accepting a new host
 * key), which ssh cannot ask here: not with a connection refused or a key that changed.
 */
static char *connect_failure(const st_worker *w)
{
    virErrorPtr le = virGetLastError();
    st_ssh_failure kind = ST_SSH_OTHER;
    char *e = st_uri_is_ssh(w->uri) && le ? st_ssh_reason(le->message, &kind) : NULL;
    if (e)
        virResetLastError();
    else
        e = st_lv_error(_("cannot connect to the host"));
    char *msg =
        xasprintf(_("cannot connect to %s: %s"), w->uri ? w->uri : _("the default host"), e);
    free(e);
    if (!streq0(w->uri, w->open_uri) && (kind == ST_SSH_AUTH || kind == ST_SSH_UNKNOWN_KEY)) {
        char *why = xasprintf(_("%s (ssh runs without the terminal here: log in with a key or "
                                "ssh-agent, and accept the host's key in ssh first)"),
                              msg);
        free(msg);
        msg = why;
    }
    return msg;
}

/* The URI to open: over ssh, the one whose ssh is the master of the worker's shared connection. */
static const char *connect_uri(st_worker *w)
{
    if (!w->share_tried) {
        w->share_tried = true;
        st_ssh_share_make(w->open_uri, &w->share);
    }
    return w->share.uri ? w->share.uri : w->open_uri;
}

static bool worker_connect(st_worker *w)
{
    /* A host that failed stays "failed" while it is tried again: its label (and the time since
     * which it is down) would otherwise flip at every retry, rewriting its row on every
     * terminal it is shown on, over SSH too, while nothing changed. */
    if (atomic_load(&w->state) != ST_HOST_FAILED)
        set_state(w, w->published_once ? ST_HOST_RECONNECTING : ST_HOST_CONNECTING);
    st_trace("connect host=%zu", w->index);
    const char *uri = connect_uri(w);
    st_worker_busy(w);
    /* A successor's first attempt goes on from its predecessor's hang: the host has not
     * answered since then. */
    if (w->hang_since > 0)
        atomic_store(&w->busy_since[st_parallel_slot()], w->hang_since);
    w->hang_since = 0;
    virConnectPtr c = w->readonly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
    st_worker_idle(w);
    if (!c) {
        char *msg = connect_failure(w);
        free(w->error);
        w->error = msg;
        set_state(w, ST_HOST_FAILED);
        publish_failure(w, msg);
        return false;
    }
    w->conn = c;
    atomic_store(&w->has_conn, true);
    read_host_facts(w);
    if (w->lib_ver && w->lib_ver < 8000000) {
        char *msg = xasprintf(_("libvirt %s on %s is too old: virt-snaptree needs 8.0 or later"),
                              w->lib_version, w->name);
        free(w->error);
        w->error = msg;
        set_state(w, ST_HOST_FAILED);
        publish_failure(w, msg);
        virConnectClose(w->conn);
        w->conn = NULL;
        atomic_store(&w->has_conn, false);
        return false;
    }
    /* No keepalive on this connection, which carries many calls at once (sentinel.h says why).
     * Asking for none tells whether the driver speaks RPC to a daemon that supports keepalive:
     * then a sentinel watches the host. The embedded and test drivers run in this process. */
    if (virConnectSetKeepAlive(c, 0, 0) == 0 && w->events)
        st_backend_watch(w->b, w->index);
    virResetLastError();
    if (virConnectRegisterCloseCallback(c, on_close, w, NULL) < 0)
        virResetLastError();
    if (w->events)
        register_events(w);
    free(w->error);
    w->error = NULL;
    w->backoff = 1.0;
    set_state(w, ST_HOST_CONNECTED);
    return true;
}

static void drop_connection(st_worker *w)
{
    if (!w->conn)
        return;
    for (size_t i = 0; i < w->n_cb; i++)
        virConnectDomainEventDeregisterAny(w->conn, w->cb_ids[i]);
    w->n_cb = 0;
    virConnectUnregisterCloseCallback(w->conn, on_close);
    virResetLastError();
    virConnectClose(w->conn);
    w->conn = NULL;
    atomic_store(&w->has_conn, false);
    st_cache_clear(&w->cache);
}

/* ---- the loop ---- */

static void refresh(st_worker *w)
{
    pthread_mutex_lock(&w->lock);
    char **dirty = w->dirty_uuids;
    size_t n_dirty = w->n_dirty;
    w->dirty_uuids = NULL;
    w->n_dirty = w->cap_dirty = 0;
    w->refresh_wanted = false;
    atomic_fetch_add(&w->refreshes_begun, 1);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < n_dirty; i++) {
        st_cache_forget_domain(&w->cache, dirty[i]);
        free(dirty[i]);
    }
    free(dirty);

    st_trace("refresh-begin host=%zu", w->index);
    st_refresh *rest = NULL;
    st_host *h = st_discover(w, &rest);
    /* Taken over while its calls hung: what it read is old news, and what follows (follow-up
     * records judged against its own jobs, snapshot listings) is the successor's to do. */
    if (atomic_load(&w->successor)) {
        st_refresh_free(rest);
        st_host_free(h);
        st_trace("refresh-end host=%zu taken-over", w->index);
        atomic_fetch_add(&w->refreshes_done, 1);
        return;
    }
    if (h->error && st_worker_conn_lost(w)) {
        st_refresh_free(rest);
        st_host_free(h);
        w->conn_closed = true;
        st_trace("refresh-end host=%zu lost", w->index);
        atomic_fetch_add(&w->refreshes_done, 1);
        return;
    }
    bool sent_partial = false;
    if (rest) {
        /* The interface paints the domains and chains now; the trees follow. */
        if (w->events && st_discover_pending(w, rest)) {
            publish_model(w, st_host_dup(h), false);
            sent_partial = true;
        }
        st_discover_finish(w, h, rest);
    }
    st_followups_attach(w, h);
    /* A report of running domains only cannot tell a domain gone from one shut off. */
    if (w->settle_journal && !w->journal_settled && !w->running_only && h->reachable && !h->error) {
        w->journal_settled = true;
        st_journal_settle_host(w, h, w->events);
    }
    if (w->doctor) {
        st_doctor_opts dopt = {.max_depth = w->max_depth, .quick = true};
        st_doctor_run(&h, 1, &dopt, &h->doctor);
    }
    st_trace("refresh-end host=%zu domains=%zu", w->index, h->n_doms);
    /* Most refreshes find the host as it was: then nothing is sent, and the interface neither
     * rebuilds its rows nor holds two models at once. Jobs travel on their own messages; a scan
     * that found one is sent that way. */
    uint64_t fp = st_host_fingerprint(h);
    if (w->have_fp && fp == w->last_fp && w->published_once && !sent_partial) {
        st_host_free(h);
        if (st_jobtab_active(w->jobs))
            st_worker_post_jobs(w);
    } else {
        w->last_fp = fp;
        w->have_fp = true;
        publish(w, h);
    }
    atomic_fetch_add(&w->refreshes_done, 1);
    /* A refresh frees most of what it allocated (XML documents, statistics, the copies of the
     * last model): hand the freed pages back rather than keep them resident until the next. */
    malloc_trim(0);
}

static double next_wakeup(st_worker *w)
{
    double t = w->refresh_wanted ? w->refresh_at : st_now() + w->interval_ms / 1000.0;
    if (!w->conn)
        t = w->next_connect;
    else if (st_jobtab_active(w->jobs)) {
        double poll = st_now() + 0.4;
        if (poll < t)
            t = poll;
    }
    return t;
}

static void wait_until(st_worker *w, double t)
{
    double left = t - st_now();
    if (left <= 0)
        return;
    struct timespec ts = st_realtime_in(left);
    pthread_cond_timedwait(&w->cond, &w->lock, &ts);
}

static st_reqnode *pop_request(st_worker *w)
{
    st_reqnode *n = w->queue;
    if (n) {
        w->queue = n->next;
        if (!w->queue)
            w->queue_tail = NULL;
    }
    return n;
}

static void reconnect_later(st_worker *w)
{
    double max = st_uri_retry_max(w->uri);
    w->next_connect = st_now() + (w->backoff < max ? w->backoff : max);
    w->backoff = w->backoff * 2 > max ? max : w->backoff * 2;
}

/*
 * After a refresh or a poll: offline merges' records, then the follow-ups of jobs that ended.
 * Not in a worker that was taken over while its calls hung: its successor does both, and a
 * follow-up (a pivot, files removed) must not run twice.
 */
static void after_step(st_worker *w, bool jobs_changed)
{
    if (atomic_load(&w->successor))
        return;
    if (st_offline_scan(w) || jobs_changed)
        st_worker_post_jobs(w);
    st_jobtab_after(w);
}

/* One turn of the loop with the lock held on entry and exit. */
static void turn(st_worker *w)
{
    if (w->conn_closed) {
        w->conn_closed = false;
        pthread_mutex_unlock(&w->lock);
        drop_connection(w);
        /* The jobs go on in QEMU; how they end while the connection is down is told to nobody. */
        st_jobtab_detach(w->jobs);
        set_state(w, ST_HOST_RECONNECTING);
        publish_failure(w, _("connection to the host lost; reconnecting"));
        pthread_mutex_lock(&w->lock);
        reconnect_later(w);
        return;
    }
    if (!w->conn) {
        if (st_now() < w->next_connect) {
            wait_until(w, w->next_connect);
            return;
        }
        pthread_mutex_unlock(&w->lock);
        bool ok = worker_connect(w);
        pthread_mutex_lock(&w->lock);
        if (ok) {
            w->refresh_wanted = true;
            w->refresh_at = 0;
        } else {
            reconnect_later(w);
        }
        return;
    }
    st_reqnode *req = pop_request(w);
    if (req) {
        pthread_mutex_unlock(&w->lock);
        st_action_run(w, req->id, &req->req);
        st_request_clear(&req->req);
        free(req);
        pthread_mutex_lock(&w->lock);
        return;
    }
    double now = st_now();
    if (w->refresh_wanted && now >= w->refresh_at) {
        pthread_mutex_unlock(&w->lock);
        refresh(w);
        after_step(w, false);
        pthread_mutex_lock(&w->lock);
        if (!w->refresh_wanted) {
            w->refresh_wanted = true;
            w->refresh_at = st_now() + w->interval_ms / 1000.0;
        }
        return;
    }
    if (st_jobtab_active(w->jobs) && st_jobtab_due(w->jobs, now)) {
        pthread_mutex_unlock(&w->lock);
        after_step(w, st_jobtab_poll(w));
        pthread_mutex_lock(&w->lock);
        return;
    }
    if (!w->refresh_wanted) {
        w->refresh_wanted = true;
        w->refresh_at = now + w->interval_ms / 1000.0;
    }
    wait_until(w, next_wakeup(w));
}

static void *worker_main(void *arg)
{
    st_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->quit && !atomic_load(&w->successor))
        turn(w);
    bool taken_over = atomic_load(&w->successor);
    pthread_mutex_unlock(&w->lock);
    if (taken_over) {
        st_trace("worker-retired host=%zu", w->index);
        st_jobtab_release_domains(w->jobs);
    }
    /* Closed here, not by whoever stops the worker: closing costs a round trip, which on a
     * hung host never ends (there is no keepalive on this connection), and only this thread
     * may wait for that. A worker that was taken over gets here once the calls that hung have
     * returned: nothing of its own is inside the connection any more.
     * Closing the last connection of an embedded driver shuts the driver down inside this
     * process, which has crashed libvirt 9.0 at exit: the process exits instead. */
    if (!(w->conn_uri && strstr(w->conn_uri, ":///embed")))
        drop_connection(w);
    return NULL;
}

bool st_worker_run(st_worker *w)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) == 0)
        return true;
    /* Nothing will run here: no thread to join, and the host says why (st_worker_no_thread). */
    w->joined = true;
    set_state(w, ST_HOST_FAILED);
    free(w->error);
    w->error = xstrdup(_("cannot start a thread for this host"));
    return false;
}

void st_worker_no_thread(st_worker *w)
{
    publish_failure(w, w->error);
}

void st_worker_post_jobs(st_worker *w)
{
    st_msg *m = st_msg_new(ST_MSG_JOBS, w->index, 0);
    st_jobtab_copy(w->jobs, &m->jobs, &m->n_jobs);
    st_worker_post(w, m);
}

void st_worker_stop(st_worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

bool st_worker_join(st_worker *w, const struct timespec *deadline)
{
    if (w->joined)
        return true;
    if (pthread_timedjoin_np(w->thread, NULL, deadline) != 0)
        return false;
    w->joined = true;
    return true;
}

void st_worker_free(st_worker *w)
{
    if (!w || !w->joined)
        return;
    while (w->queue) {
        st_reqnode *n = pop_request(w);
        st_request_clear(&n->req);
        free(n);
    }
    for (size_t i = 0; i < w->n_dirty; i++)
        free(w->dirty_uuids[i]);
    free(w->dirty_uuids);
    st_cache_clear(&w->cache);
    st_jobtab_free(w->jobs);
    free(w->uri);
    free(w->open_uri);
    st_ssh_share_clear(&w->share);
    free(w->name);
    free(w->lib_version);
    free(w->hv_version);
    free(w->hv_type);
    free(w->conn_uri);
    free(w->error);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
