/*
 * A host's connection, as every backend module sees it: the worker that owns it (its libvirt
 * connection, the facts read about the host, its cache and jobs), and what a module may do with
 * it from any thread: mark a call in flight, read libvirt's error, ask for a refresh, post to the
 * frontend. Only the backend includes this header: it is the one place with libvirt types. The
 * loop that runs the worker is in worker.h.
 */
#ifndef ST_HOST_H
#define ST_HOST_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdatomic.h>

#include "backend/backend.h"
#include "backend/jobs.h"
#include "backend/mailbox.h"
#include "base/parallel.h"
#include "base/ssh_share.h"
#include "core/cache.h"

typedef struct st_reqnode {
    int id;
    st_request req;
    struct st_reqnode *next;
} st_reqnode;

typedef struct st_worker {
    st_backend *b;
    size_t index;
    char *uri;      /* as given; NULL for libvirt's default */
    char *open_uri; /* what is opened (uri.h: st_uri_no_tty in the interface) */
    /* Over ssh: the connection the worker's ssh runs share with libvirt's (made on the first
     * connection; share.uri, when set, is what is opened instead of open_uri). */
    st_ssh_share share;
    bool share_tried;
    bool readonly, events, snapshots, running_only, inactive_xml, doctor, pool_dirs;
    bool settle_journal;
    bool journal_settled; /* done once, at the first model */
    size_t max_depth;
    int interval_ms;

    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below up to conn */
    pthread_cond_t cond;
    bool quit;
    bool refresh_wanted;
    double refresh_at; /* st_now() of the next refresh */
    st_reqnode *queue, *queue_tail;
    char **dirty_uuids; /* domains events said changed: their caches are dropped */
    size_t n_dirty, cap_dirty;
    bool conn_closed; /* set by the close callback */

    virConnectPtr conn;   /* owned by the worker thread */
    atomic_bool has_conn; /* conn is set: for the other threads */
    int cb_ids[8];
    size_t n_cb;

    atomic_int state; /* st_host_state */
    /* st_now() when the current libvirt call began, 0 when idle; one slot per thread of a
     * parallel section (st_parallel_slot), so that a call that hangs is seen while others on
     * the same connection come and go. */
    _Atomic double busy_since[ST_PAR_MAX];
    size_t par; /* how many calls discovery keeps in flight on the connection */
    _Atomic double state_since;
    /* Refreshes begun and finished (published or not: an unchanged host sends nothing), for the
     * interface to tell when the refresh it asked for is over. */
    atomic_uint refreshes_begun, refreshes_done;

    /* Facts about the host, read once per connection. */
    char *name, *lib_version, *hv_version, *hv_type, *conn_uri;
    unsigned long lib_ver;
    unsigned long hv_ver; /* the hypervisor's version, as libvirt encodes it (major*1e6...) */
    bool local, external_revert;
    char *error;
    bool published_once;
    unsigned refreshes;
    uint64_t last_fp; /* st_host_fingerprint of the last complete model sent */
    bool have_fp;     /* false when something else was sent since (a failure) */

    st_cache cache;
    st_jobtab *jobs;
    double backoff, next_connect;
    bool joined; /* the thread ended and was joined: the worker may be freed */
    /* Storage pools cache their volumes' backing chains: after a change (an event, our own
     * action) every remote chain is walked again from freshly refreshed pools. Set under lock. */
    bool pools_stale;

    /*
     * Generations. When the host's sentinel (sentinel.h) finds the host gone while this worker
     * holds a connection, the connection cannot be closed under the calls stuck in it: a
     * successor takes the host over with a connection of its own, and this worker ends once its
     * calls return (if ever). `successor` is set under this worker's lock, which moves new
     * requests on, and under the backend's, so that no model or jobs of this worker reach the
     * interface after the successor's.
     */
    _Atomic(struct st_worker *) successor;
    double hang_since; /* a successor: when its predecessor's oldest stuck call began */
} st_worker;

/* Marks the worker as inside a libvirt call (for "not responding"), and out again. */
void st_worker_busy(st_worker *w);
void st_worker_idle(st_worker *w);

/* A malloc'd copy of libvirt's last error in this thread, or of `fallback`. */
char *st_lv_error(const char *fallback);
/* `what` and libvirt's last error in this thread ("what: reason"), malloc'd. */
char *st_lv_error_after(const char *what);

/* virDomainGetUUIDString without printf (libvirt formats the 16 bytes with one %02x each, about
 * 10,000 instructions a domain, several times a domain per refresh): the same text. */
int st_dom_uuid(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN]);

/* What records of this host's jobs are keyed by: the URI the worker connected with. */
const char *st_worker_host_key(const st_worker *w);
/* After a failed call: whether the connection itself is gone. */
bool st_worker_conn_lost(st_worker *w);
/* Whether the domain runs (asked now, the call marked in flight). */
bool st_worker_dom_active(st_worker *w, virDomainPtr dom);

/*
 * Before a call that changes the host: false when the worker was taken over meanwhile (see
 * `successor`). The request running here was then answered as stuck, and the admin may have
 * asked the successor again: nothing that changes the host starts from here any more. With a
 * request id, its answer says that it was not done.
 */
bool st_worker_may_change(st_worker *w, int id);
/* Asks the worker that serves the host now for a refresh, in delay_ms at the latest. */
void st_worker_request_refresh(st_worker *w, int delay_ms);
/* An event said this domain changed: its cached XML and snapshots are dropped. */
void st_worker_mark_dirty(st_worker *w, const char *uuid);

/* Posts a message on behalf of a worker: the models and jobs of one taken over are dropped. */
void st_worker_post(st_worker *w, st_msg *m);
/* Sends the current jobs to the frontend. */
void st_worker_post_jobs(st_worker *w);

#endif
