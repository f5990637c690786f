/*
 * The sentinel's thread (see sentinel.h): open, let keepalive watch, report a loss, reopen.
 */
#include "config.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdlib.h>

#include "backend/sentinel.h"
#include "base/trace.h"
#include "base/uri.h"
#include "base/util.h"

struct st_sentinel {
    char *uri;
    bool readonly;
    st_sentinel_fn lost;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t cond;
    bool quit, closed;
    int reason; /* virConnectCloseReason of the last close */
};

/* On libvirt's event loop thread. */
static void on_close(virConnectPtr conn, int reason, void *opaque)
{
    (void)conn;
    st_sentinel *s = opaque;
    pthread_mutex_lock(&s->lock);
    s->closed = true;
    s->reason = reason;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Waits, lock held, until `seconds` have passed or the sentinel is stopped. */
static void pause_for(st_sentinel *s, double seconds)
{
    struct timespec ts = st_realtime_in(seconds);
    while (!s->quit && pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
        ;
}

typedef enum {
    WATCHED,     /* watched until it closed (or the sentinel was stopped) */
    NOT_WATCHED, /* closed before it could be watched: try again */
    UNSUPPORTED, /* the host does not do keepalive: nothing for a sentinel to do */
} watch_end;

/* Watches one connection until it closes or the sentinel is stopped (lock held on entry and
 * exit). */
static watch_end watch(st_sentinel *s, virConnectPtr c)
{
    s->closed = false;
    pthread_mutex_unlock(&s->lock);
    int ka = virConnectSetKeepAlive(c, ST_KEEPALIVE_INTERVAL, ST_KEEPALIVE_COUNT);
    bool registered = ka == 0 && virConnectRegisterCloseCallback(c, on_close, s, NULL) == 0;
    /* A close before the callback was registered is never told: look once, after it. (libvirt
     * refuses keepalive on a client closed meanwhile, too: -1, not 1.) */
    bool alive = registered && virConnectIsAlive(c) == 1;
    virResetLastError();
    pthread_mutex_lock(&s->lock);
    while (alive && !s->quit && !s->closed)
        pthread_cond_wait(&s->cond, &s->lock);
    bool lost = alive && s->closed && s->reason == VIR_CONNECT_CLOSE_REASON_KEEPALIVE && !s->quit;
    pthread_mutex_unlock(&s->lock);
    if (lost) {
        st_trace("sentinel-lost uri=%s", s->uri ? s->uri : "");
        s->lost(s->ctx);
    }
    /* After a close the client is closed: this returns at once. On a stop with the host alive it
     * costs one round trip; with the host hung keepalive ends it. */
    if (registered)
        virConnectUnregisterCloseCallback(c, on_close);
    virConnectClose(c);
    virResetLastError();
    pthread_mutex_lock(&s->lock);
    return ka == 1 ? UNSUPPORTED : alive ? WATCHED : NOT_WATCHED;
}

static void *sentinel_main(void *arg)
{
    st_sentinel *s = arg;
    double backoff = 1.0, max = st_uri_retry_max(s->uri);
    pthread_mutex_lock(&s->lock);
    while (!s->quit) {
        pthread_mutex_unlock(&s->lock);
        /* While the host hangs this blocks: the open has no keepalive yet. That is what this
         * thread is for; nothing waits on it. */
        virConnectPtr c = s->readonly ? virConnectOpenReadOnly(s->uri) : virConnectOpen(s->uri);
        virResetLastError();
        pthread_mutex_lock(&s->lock);
        watch_end e = c ? watch(s, c) : NOT_WATCHED;
        if (e == UNSUPPORTED)
            break;
        if (e == WATCHED)
            backoff = 1.0;
        else
            backoff = backoff * 2 > max ? max : backoff * 2;
        pause_for(s, backoff < max ? backoff : max);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

st_sentinel *st_sentinel_start(const char *uri, bool readonly, st_sentinel_fn lost, void *ctx)
{
    st_sentinel *s = xcalloc(1, sizeof(*s));
    s->uri = xstrdup0(uri);
    s->readonly = readonly;
    s->lost = lost;
    s->ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, sentinel_main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s->uri);
        free(s);
        return NULL;
    }
    return s;
}

void st_sentinel_stop(st_sentinel *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->quit = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

bool st_sentinel_join(st_sentinel *s, const struct timespec *deadline)
{
    if (!s)
        return true;
    if (pthread_timedjoin_np(s->thread, NULL, deadline) != 0)
        return false;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s->uri);
    free(s);
    return true;
}
