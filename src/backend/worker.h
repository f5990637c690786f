/*
 * Backend internals shared by the worker, discovery, jobs and actions. Only the backend includes
 * this header: it is the one place with libvirt types.
 */
#ifndef ST_WORKER_H
#define ST_WORKER_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdatomic.h>

#include "backend/backend.h"
#include "backend/jobs.h"
#include "backend/mailbox.h"
#include "base/parallel.h"
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
    bool readonly, events, snapshots, running_only;
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

st_worker *st_worker_new(st_backend *b, size_t index, const char *uri, const st_backend_opts *o);
/* Starts the worker's thread; false when none could be started (then the worker is failed, and
 * st_worker_no_thread, without the backend's lock, tells the interface). */
bool st_worker_run(st_worker *w);
void st_worker_no_thread(st_worker *w);
/*
 * With the backend's lock held: makes the worker that takes over from `old`, whose host stopped
 * answering (queued requests move to it; `old` records it as its successor and ends when its calls
 * return). NULL when `old` holds no connection (it is reconnecting already) or is stopping. The
 * successor is not running yet: st_worker_run.
 */
st_worker *st_worker_successor(st_worker *old);
st_host_state st_worker_state(st_worker *w, double *since);
void st_worker_request_refresh(st_worker *w, int delay_ms);
void st_worker_submit(st_worker *w, int id, const st_request *req);
/* 1 once the worker published a model or a connection failure. */
int st_worker_published(st_worker *w);
/* Asks the worker to end (returns at once; st_worker_join waits). */
void st_worker_stop(st_worker *w);
/* Waits for a stopped worker until `deadline` (CLOCK_REALTIME); false when it is stuck in a call
 * to a hung host: it is left behind, the process is about to exit. */
bool st_worker_join(st_worker *w, const struct timespec *deadline);
/* Frees a stopped, joined worker; one left behind (stuck on a hung host) is left alone. */
void st_worker_free(st_worker *w);

/* An event said this domain changed: its cached XML and snapshots are dropped. */
void st_worker_mark_dirty(st_worker *w, const char *uuid);
/* Sends the current jobs to the frontend. */
void st_worker_post_jobs(st_worker *w);
/* What records of this host's jobs are keyed by: the URI the worker connected with. */
const char *st_worker_host_key(const st_worker *w);
/* The follow-ups earlier interfaces left for this host, into h (obsolete records dropped). */
void st_followups_attach(st_worker *w, st_host *h);
/* After a failed call: whether the connection itself is gone. */
bool st_worker_conn_lost(st_worker *w);

/*
 * Offline merge (domain shut off, images on this machine): writes its record and starts the
 * detached helper that runs it (offline_helper.c).
 */
void st_offline_start(st_worker *w, int id, virDomainPtr dom, const st_request *req);
/* Follows the records of this host's offline merges into the jobs table; true when it changed. */
bool st_offline_scan(st_worker *w);
/* Snapshot, revert, delete, save and restore requests; -1 when `req` is none of them. */
int st_snapshot_action(st_worker *w, int id, const st_request *req);
/* What the header of the save file `path` holds: its domain's name and disks (left NULL when the
 * file cannot be read). */
void st_saved_facts(st_worker *w, const char *path, st_facts *f);

/*
 * Before a call that changes the host: false when the worker was taken over meanwhile (see
 * `successor`). The request running here was then answered as stuck, and the admin may have
 * asked the successor again: nothing that changes the host starts from here any more. With a
 * request id, its answer says that it was not done.
 */
bool st_worker_may_change(st_worker *w, int id);

/* Marks the worker as inside a libvirt call (for "not responding"), and out again. */
void st_worker_busy(st_worker *w);
void st_worker_idle(st_worker *w);

/* A malloc'd copy of libvirt's last error in this thread, or of `fallback`. */
char *st_lv_error(const char *fallback);

/* virDomainGetUUIDString without printf (libvirt formats the 16 bytes with one %02x each, about
 * 10,000 instructions a domain, several times a domain per refresh): the same text. */
int st_dom_uuid(virDomainPtr dom, char out[VIR_UUID_STRING_BUFLEN]);

/*
 * Builds a fresh model of the host from w->conn (never NULL): domains, disks and chains, with the
 * snapshot trees left out. *rest then holds what st_discover_finish needs to add them (and to scan
 * for block jobs); NULL when the refresh failed.
 */
typedef struct st_refresh st_refresh;
st_host *st_discover(st_worker *w, st_refresh **rest);
/* Whether finishing will make calls (snapshot listings due or missing, a job scan). */
bool st_discover_pending(const st_worker *w, const st_refresh *rest);
/* Adds the snapshot trees to h (cached, listed where due), scans for jobs; frees rest. */
void st_discover_finish(st_worker *w, st_host *h, st_refresh *rest);
void st_refresh_free(st_refresh *rest);

/* Posts a message to the frontend (takes ownership). */
void st_backend_post(st_backend *b, st_msg *m);
/* Posts a message on behalf of a worker: the models and jobs of one taken over are dropped. */
void st_worker_post(st_worker *w, st_msg *m);
/*
 * The worker's connection to host `index` is up and speaks libvirt's RPC: from now on a sentinel
 * watches the host (started once; it outlives reconnections and generations).
 */
void st_backend_watch(st_backend *b, size_t index);

#endif
