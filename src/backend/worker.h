/*
 * The worker loop: one thread per host that connects, refreshes and runs queued requests
 * (worker.c), and the entry points it calls in discovery, offline merges and snapshot actions.
 * The host's connection that every backend module uses is in host.h, included here.
 */
#ifndef ST_WORKER_H
#define ST_WORKER_H

#include "backend/host.h"
#include "backend/plan_facts.h"

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

/* The follow-ups earlier interfaces left for this host, into h (obsolete records dropped). */
void st_followups_attach(st_worker *w, st_host *h);

/*
 * Offline merge (domain shut off, images on this machine): writes its record and starts the
 * detached helper that runs it (offline_helper.c).
 */
void st_offline_start(st_worker *w, int id, virDomainPtr dom, const st_request *req);
/* Follows the records of this host's offline merges into the jobs table; true when it changed. */
bool st_offline_scan(st_worker *w);
/* Gives back what the journal entry req->path recorded, when it still can (undo.c). */
void st_undo_run(st_worker *w, int id, const st_request *req);
/* Snapshot, revert, delete, save and restore requests; -1 when `req` is none of them. */
int st_snapshot_action(st_worker *w, int id, const st_request *req);

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
/*
 * The worker's connection to host `index` is up and speaks libvirt's RPC: from now on a sentinel
 * watches the host (started once; it outlives reconnections and generations).
 */
void st_backend_watch(st_backend *b, size_t index);

#endif
