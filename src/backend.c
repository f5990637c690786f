/*
 * The backend's front door: the message queue the frontend polls, the libvirt event loop thread,
 * and the table of host workers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "i18n.h"
#include "trace.h"
#include "util.h"
#include "worker.h"

struct st_backend {
    st_worker **workers;
    size_t n;
    int pipe[2]; /* one byte per message: the frontend polls pipe[0] */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled on every post, for st_backend_wait_initial */
    st_msg *head, *tail;
    int next_id;
};

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

void st_backend_post(st_backend *b, st_msg *m)
{
    m->next = NULL;
    pthread_mutex_lock(&b->lock);
    if (b->tail)
        b->tail->next = m;
    else
        b->head = m;
    b->tail = m;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    char c = 1;
    /* The pipe is non-blocking: when it is full the frontend has wake-ups pending anyway. */
    while (write(b->pipe[1], &c, 1) < 0 && errno == EINTR)
        ;
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
    if (pipe2(b->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        abort();
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    b->next_id = 1;
    b->n = opts->n_uris ? opts->n_uris : 1;
    b->workers = xcalloc(b->n, sizeof(st_worker *));
    for (size_t i = 0; i < b->n; i++) {
        const char *uri = opts->n_uris ? opts->uris[i] : NULL;
        b->workers[i] = st_worker_new(b, i, uri, opts);
    }
    for (size_t i = 0; i < b->n; i++)
        st_worker_run(b->workers[i]);
    return b;
}

int st_backend_fd(const st_backend *b)
{
    return b->pipe[0];
}

st_msg *st_backend_next(st_backend *b)
{
    pthread_mutex_lock(&b->lock);
    st_msg *m = b->head;
    if (m) {
        b->head = m->next;
        if (!b->head)
            b->tail = NULL;
        m->next = NULL;
    }
    pthread_mutex_unlock(&b->lock);
    if (m) {
        char c;
        while (read(b->pipe[0], &c, 1) < 0 && errno == EINTR)
            ;
    }
    return m;
}

void st_msg_free(st_msg *m)
{
    if (!m)
        return;
    st_host_free(m->host);
    for (size_t i = 0; i < m->n_jobs; i++)
        st_job_clear(&m->jobs[i]);
    free(m->jobs);
    free(m->text);
    st_facts_free(m->facts);
    free(m);
}

size_t st_backend_n_hosts(const st_backend *b)
{
    return b->n;
}

const char *st_backend_uri(const st_backend *b, size_t i)
{
    return i < b->n ? b->workers[i]->uri : NULL;
}

st_host_state st_backend_host_state(const st_backend *b, size_t i, double *since)
{
    if (i >= b->n)
        return ST_HOST_FAILED;
    return st_worker_state(b->workers[i], since);
}

void st_backend_refresh(st_backend *b, size_t host)
{
    for (size_t i = 0; i < b->n; i++)
        if (host == SIZE_MAX || host == i)
            st_worker_request_refresh(b->workers[i], 0);
}

unsigned st_backend_refreshes_done(const st_backend *b, size_t i)
{
    return i < b->n ? atomic_load(&b->workers[i]->refreshes_done) : 0;
}

unsigned st_backend_refresh_target(const st_backend *b, size_t i)
{
    return i < b->n ? atomic_load(&b->workers[i]->refreshes_begun) + 1 : 0;
}

int st_backend_submit(st_backend *b, size_t host, const st_request *req)
{
    pthread_mutex_lock(&b->lock);
    int id = b->next_id++;
    pthread_mutex_unlock(&b->lock);
    st_trace("submit id=%d kind=%d", id, (int)req->kind);
    if (host >= b->n) {
        st_msg *m = xcalloc(1, sizeof(*m));
        m->kind = ST_MSG_RESULT;
        m->request_id = id;
        m->text = xstrdup(_("no such host"));
        st_backend_post(b, m);
        return id;
    }
    st_worker_submit(b->workers[host], id, req);
    return id;
}

bool st_backend_wait_initial(st_backend *b, int timeout_ms)
{
    double deadline = st_now() + timeout_ms / 1000.0;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < b->n; i++)
            done += st_worker_published(b->workers[i]);
        if (done == b->n) {
            pthread_mutex_unlock(&b->lock);
            return true;
        }
        double left = deadline - st_now();
        if (left <= 0)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = ts.tv_sec + ts.tv_nsec / 1e9 + (left < 0.1 ? left : 0.1);
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&b->cond, &b->lock, &ts);
    }
    pthread_mutex_unlock(&b->lock);
    return false;
}

void st_backend_stop(st_backend *b)
{
    for (size_t i = 0; i < b->n; i++)
        st_worker_stop(b->workers[i]);
}

void st_backend_free(st_backend *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (!b->workers[i]->joined)
            return; /* a worker still owns memory: the process is about to exit anyway */
    for (size_t i = 0; i < b->n; i++)
        st_worker_free(b->workers[i]);
    free(b->workers);
    st_msg *m;
    while ((m = st_backend_next(b)))
        st_msg_free(m);
    close(b->pipe[0]);
    close(b->pipe[1]);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->cond);
    free(b);
}
