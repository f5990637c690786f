/*
 * The backend's front door: what is posted to the mailbox the frontend polls, the libvirt event
 * loop thread, and the table of hosts: for each, the worker that serves it now, the workers it
 * replaced after the host stopped answering (they end when their stuck calls return), and its
 * sentinel.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "backend/journal_record.h"
#include "backend/mailbox.h"
#include "backend/sentinel.h"
#include "backend/worker.h"
#include "base/i18n.h"
#include "base/trace.h"
#include "base/util.h"

typedef struct st_slot {
    st_backend *b;
    size_t index;
    /* Read by any thread without the lock; replaced under it. A replaced worker is kept in
     * `retired` (never freed while the backend lives), so a pointer read a moment ago stays
     * valid. */
    _Atomic(st_worker *) cur;
    st_worker **retired;
    size_t n_retired, cap_retired;
    st_sentinel *sentinel;
    /* Requests submitted and not yet answered (no RESULT or PLAN posted). */
    int *pending;
    size_t n_pending, cap_pending;
} st_slot;

struct st_backend {
    st_slot *slots;
    size_t n;
    st_mailbox mail;
    pthread_mutex_t lock; /* every slot's lists; held while posting, which changes `pending` */
    pthread_cond_t cond;  /* signalled on every post, for st_backend_wait_initial */
    int next_id;
    bool stopping;
};

static st_worker *cur(const st_backend *b, size_t i)
{
    return atomic_load(&b->slots[i].cur);
}

static pthread_once_t event_once = PTHREAD_ONCE_INIT;

/* libvirt's event loop: keepalive, close callbacks and domain events all run on this thread. */
static void *event_main(void *arg)
{
    (void)arg;
    for (;;)
        if (virEventRunDefaultImpl() < 0)
            virResetLastError();
    return NULL;
}

static void quiet_errors(void *ud, virErrorPtr err)
{
    /* libvirt prints every error to stderr by default; errors are shown in the model instead. */
    (void)ud;
    (void)err;
}

static void start_event_loop(void)
{
    /* libxml2 2.9 initialises itself lazily and not thread-safely: do it before any worker. */
    xmlInitParser();
    virSetErrorFunc(NULL, quiet_errors);
    virInitialize();
    virEventRegisterDefaultImpl();
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &attr, event_main, NULL);
    pthread_attr_destroy(&attr);
}

/* Lock held. A final answer takes the request off its host's pending list. */
static void answered(st_backend *b, const st_msg *m)
{
    if ((m->kind != ST_MSG_RESULT && m->kind != ST_MSG_PLAN) || m->host_index >= b->n)
        return;
    st_slot *s = &b->slots[m->host_index];
    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i] == m->request_id) {
            s->pending[i] = s->pending[--s->n_pending];
            return;
        }
}

/* Lock held. Queues a message; the frontend is woken by st_mailbox_wake, once per message. */
static void enqueue(st_backend *b, st_msg *m)
{
    answered(b, m);
    st_mailbox_put(&b->mail, m);
    pthread_cond_broadcast(&b->cond);
}

/* Lock held on entry; released. */
static void post_locked(st_backend *b, st_msg *m)
{
    enqueue(b, m);
    pthread_mutex_unlock(&b->lock);
    st_mailbox_wake(&b->mail, 1);
}

void st_backend_post(st_backend *b, st_msg *m)
{
    pthread_mutex_lock(&b->lock);
    post_locked(b, m);
}

void st_worker_post(st_worker *w, st_msg *m)
{
    st_backend *b = w->b;
    /* Before the lock: completing a journal entry reads the host again. */
    if (m->kind == ST_MSG_RESULT)
        st_journal_after(w, m->request_id, m->ok, m->text);
    pthread_mutex_lock(&b->lock);
    /* Its successor's models, jobs and notices (results of no request) are the host's now (set
     * under this lock). Answers to requests still go through: they are what the admin waits
     * for. */
    bool news = m->kind == ST_MSG_HOST || m->kind == ST_MSG_JOBS ||
                (m->kind == ST_MSG_RESULT && m->request_id == 0);
    if (atomic_load(&w->successor) && news) {
        pthread_mutex_unlock(&b->lock);
        st_trace("post-dropped host=%zu kind=%d", w->index, (int)m->kind);
        st_msg_free(m);
        return;
    }
    post_locked(b, m);
}

/* ---- hosts that stop answering ---- */

/*
 * Lock held: answers the requests that were running in the worker being replaced (pending, and
 * not in the queue that moved to its successor `w`, which answers those; every submission holds
 * the lock from pending list to queue, so the two agree here). No dialog then waits on a
 * connection that may never answer; if the old worker finishes one later, its own answer follows.
 * Returns how many were answered.
 */
static size_t answer_stuck(st_backend *b, st_slot *s, const st_worker *w)
{
    int *ids = s->n_pending ? xcalloc(s->n_pending, sizeof(int)) : NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->n_pending; i++) {
        bool queued = false;
        for (const st_reqnode *q = w->queue; q && !queued; q = q->next)
            queued = q->id == s->pending[i];
        if (!queued)
            ids[n++] = s->pending[i];
    }
    for (size_t i = 0; i < n; i++) {
        char *text = xasprintf(_("%s stopped answering while this ran and its connection was "
                                 "given up: whether it was done shows once the host answers "
                                 "again"),
                               w->uri ? w->uri : _("the default host"));
        enqueue(b, st_msg_result(s->index, ids[i], false, ST_RESULT_PLAIN, text));
    }
    free(ids);
    return n;
}

/* The sentinel's thread: keepalive gave up on the host. */
static void host_lost(void *ctx)
{
    st_slot *s = ctx;
    st_backend *b = s->b;
    size_t answered_now = 0;
    bool ran = true;
    pthread_mutex_lock(&b->lock);
    st_worker *old = atomic_load(&s->cur);
    st_worker *w = b->stopping ? NULL : st_worker_successor(old);
    if (w) {
        xgrow((void **)&s->retired, &s->cap_retired, s->n_retired + 1, sizeof(st_worker *));
        s->retired[s->n_retired++] = old;
        atomic_store(&s->cur, w);
        /* Outside the old worker's lock: its jobs' lock is taken before it elsewhere. */
        st_jobtab_hand_over(old->jobs, w->jobs);
        answered_now = answer_stuck(b, s, w);
        /* Under the lock: st_backend_stop, once past it, finds every current worker running. */
        ran = st_worker_run(w);
        st_trace("host-lost host=%zu retired=%zu stuck=%zu", s->index, s->n_retired, answered_now);
    }
    pthread_mutex_unlock(&b->lock);
    st_mailbox_wake(&b->mail, answered_now);
    if (!ran)
        st_worker_no_thread(w);
}

void st_backend_watch(st_backend *b, size_t index)
{
    if (index >= b->n)
        return;
    st_slot *s = &b->slots[index];
    pthread_mutex_lock(&b->lock);
    if (!s->sentinel && !b->stopping) {
        const st_worker *w = atomic_load(&s->cur);
        s->sentinel = st_sentinel_start(w->open_uri, w->readonly, host_lost, s);
    }
    pthread_mutex_unlock(&b->lock);
}

bool st_libvirt_log_noise(const char *line)
{
    return strstr(line, "GLib-CRITICAL") &&
           strstr(line, "g_main_loop_quit: assertion 'loop != NULL' failed");
}

void st_libvirt_init(void)
{
    pthread_once(&event_once, start_event_loop);
}

st_backend *st_backend_start(const st_backend_opts *opts)
{
    st_libvirt_init();
    st_backend *b = xcalloc(1, sizeof(*b));
    st_mailbox_open(&b->mail);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    b->next_id = 1;
    b->n = opts->n_uris ? opts->n_uris : 1;
    b->slots = xcalloc(b->n, sizeof(st_slot));
    for (size_t i = 0; i < b->n; i++) {
        const char *uri = opts->n_uris ? opts->uris[i] : NULL;
        b->slots[i].b = b;
        b->slots[i].index = i;
        atomic_init(&b->slots[i].cur, st_worker_new(b, i, uri, opts));
    }
    for (size_t i = 0; i < b->n; i++)
        if (!st_worker_run(cur(b, i)))
            st_worker_no_thread(cur(b, i));
    return b;
}

int st_backend_fd(const st_backend *b)
{
    return st_mailbox_fd(&b->mail);
}

st_msg *st_backend_next(st_backend *b)
{
    return st_mailbox_next(&b->mail);
}

size_t st_backend_n_hosts(const st_backend *b)
{
    return b->n;
}

const char *st_backend_uri(const st_backend *b, size_t i)
{
    return i < b->n ? cur(b, i)->uri : NULL;
}

st_host_state st_backend_host_state(const st_backend *b, size_t i, double *since)
{
    if (i >= b->n)
        return ST_HOST_FAILED;
    return st_worker_state(cur(b, i), since);
}

void st_backend_refresh(st_backend *b, size_t host)
{
    for (size_t i = 0; i < b->n; i++)
        if (host == SIZE_MAX || host == i)
            st_worker_request_refresh(cur(b, i), 0);
}

unsigned st_backend_refreshes_done(const st_backend *b, size_t i)
{
    return i < b->n ? atomic_load(&cur(b, i)->refreshes_done) : 0;
}

unsigned st_backend_refresh_target(const st_backend *b, size_t i)
{
    return i < b->n ? atomic_load(&cur(b, i)->refreshes_begun) + 1 : 0;
}

int st_backend_submit(st_backend *b, size_t host, const st_request *req)
{
    pthread_mutex_lock(&b->lock);
    int id = b->next_id++;
    st_trace("submit id=%d kind=%d", id, (int)req->kind);
    if (host >= b->n) {
        pthread_mutex_unlock(&b->lock);
        st_backend_post(b,
                        st_msg_result(0, id, false, ST_RESULT_PLAIN, xstrdup(_("no such host"))));
        return id;
    }
    /* Pending and queued under one lock: host_lost sees both or neither. */
    st_slot *s = &b->slots[host];
    xgrow((void **)&s->pending, &s->cap_pending, s->n_pending + 1, sizeof(int));
    s->pending[s->n_pending++] = id;
    st_worker_submit(cur(b, host), id, req);
    pthread_mutex_unlock(&b->lock);
    return id;
}

bool st_backend_wait_initial(st_backend *b, int timeout_ms)
{
    double deadline = st_now() + timeout_ms / 1000.0;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < b->n; i++)
            done += st_worker_published(cur(b, i));
        if (done == b->n) {
            pthread_mutex_unlock(&b->lock);
            return true;
        }
        double left = deadline - st_now();
        if (left <= 0)
            break;
        struct timespec ts = st_realtime_in(left < 0.1 ? left : 0.1);
        pthread_cond_timedwait(&b->cond, &b->lock, &ts);
    }
    pthread_mutex_unlock(&b->lock);
    return false;
}

void st_backend_stop(st_backend *b)
{
    pthread_mutex_lock(&b->lock);
    b->stopping = true; /* no successor is made from now on */
    pthread_mutex_unlock(&b->lock);
    for (size_t i = 0; i < b->n; i++) {
        st_slot *s = &b->slots[i];
        st_sentinel_stop(s->sentinel);
        st_worker_stop(cur(b, i));
        for (size_t k = 0; k < s->n_retired; k++)
            st_worker_stop(s->retired[k]);
    }
    /* One deadline for every thread: a hung host costs the exit a second and a half, not that
     * much a thread. What is stuck in a call to a hung host then is left behind, and the ssh
     * it waits on is ended at exit (ssh_share.h): the whole quit takes two seconds at most. */
    struct timespec dl = st_realtime_in(1.5);
    for (size_t i = 0; i < b->n; i++) {
        st_slot *s = &b->slots[i];
        if (st_sentinel_join(s->sentinel, &dl))
            s->sentinel = NULL;
        st_worker_join(cur(b, i), &dl);
        for (size_t k = 0; k < s->n_retired; k++)
            st_worker_join(s->retired[k], &dl);
    }
}

/* Whether every thread of the slot has ended (after st_backend_stop). */
static bool slot_ended(const st_slot *s)
{
    if (s->sentinel || !atomic_load(&s->cur)->joined)
        return false;
    for (size_t k = 0; k < s->n_retired; k++)
        if (!s->retired[k]->joined)
            return false;
    return true;
}

void st_backend_free(st_backend *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (!slot_ended(&b->slots[i]))
            return; /* a thread still owns memory: the process is about to exit anyway */
    for (size_t i = 0; i < b->n; i++) {
        st_slot *s = &b->slots[i];
        st_worker_free(atomic_load(&s->cur));
        for (size_t k = 0; k < s->n_retired; k++)
            st_worker_free(s->retired[k]);
        free(s->retired);
        free(s->pending);
    }
    free(b->slots);
    st_mailbox_close(&b->mail);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->cond);
    free(b);
}
