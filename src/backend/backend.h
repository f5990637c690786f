/*
 * The frontend's only door to libvirt. Every libvirt call runs in a worker thread per host; the
 * frontend sends requests (refresh, actions) that return at once, and reads results from a message
 * queue whose file descriptor it polls next to stdin. No call here blocks on a host. The threads
 * and the messages between them: doc/ARCHITECTURE.md.
 */
#ifndef ST_BACKEND_H
#define ST_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "core/request.h"

typedef struct st_backend st_backend;

typedef struct st_backend_opts {
    const char *const *uris; /* one host each; NULL entries mean libvirt's default URI */
    size_t n_uris;
    bool readonly;
    int interval_ms;   /* periodic stats refresh; 0 = default (2000) */
    bool events;       /* register for libvirt events (the TUI); --list does without */
    bool snapshots;    /* read snapshot trees */
    bool running_only; /* only active domains (reports; never for planning) */
    bool inactive_xml; /* also read running domains' inactive XML (st_disk.inactive_source) */
    bool doctor;       /* each model carries the chain doctor's quick pass (st_host.doctor) */
    bool pool_dirs;    /* each model carries its pools' folders (st_host.pool_dirs) */
    size_t max_depth;  /* its depth limit; 0: the default */
    /* Complete the journal's entries of merges whose job ended after the run that started
     * them (the interface does it always, and follows the jobs still running). */
    bool settle_journal;
} st_backend_opts;

typedef enum {
    ST_MSG_HOST,     /* a new model of one host: `host` is handed over */
    ST_MSG_JOBS,     /* the jobs of one host changed: `jobs` handed over */
    ST_MSG_RESULT,   /* a request finished: request_id, ok, text (ST_REQ_POOLS: host, the pools) */
    ST_MSG_PLAN,     /* facts for a plan arrived: request_id, facts */
    ST_MSG_PROGRESS, /* a request made progress: request_id, text */
} st_msg_kind;

enum {
    ST_RESULT_PLAIN = 0,
    ST_RESULT_REVERT_RISKY, /* libvirt refused a revert that FORCE would allow */
    ST_RESULT_LEFT_FILES,   /* done; `text` lists files libvirt left behind, one per line */
};

typedef struct st_msg {
    st_msg_kind kind;
    size_t host_index;
    st_host *host;
    st_job *jobs;
    size_t n_jobs;
    int request_id;
    bool ok;
    int detail; /* ST_MSG_RESULT: ST_RESULT_* (why it failed, when the frontend can act on it) */
    char *text;
    st_facts *facts;
    struct st_msg *next;
} st_msg;

/*
 * Prepares libvirt for this process: quiet error printing and the event loop thread that the
 * embedded driver, keepalive and events need. Idempotent; st_backend_start calls it.
 */
void st_libvirt_init(void);

/*
 * A line libvirt's libraries print to stderr that tells the admin nothing: libvirt 9.0's RPC
 * client leaves a socket watch attached when a close ends its event loop under calls queued by
 * other threads, and the next thread to poll fires it: GLib then complains
 * "g_main_loop_quit: assertion 'loop != NULL' failed" (or the process crashes). The backend no
 * longer lets keepalive close such a connection (sentinel.h); the line is still left out of the
 * log shown after exit, should another path of libvirt's print it.
 */
bool st_libvirt_log_noise(const char *line);

/* Starts the workers; connections open in the background. Never blocks on a host. */
st_backend *st_backend_start(const st_backend_opts *opts);
/* Readable while messages wait. */
int st_backend_fd(const st_backend *b);
/* The next message or NULL; the caller owns it (st_msg_free). */
st_msg *st_backend_next(st_backend *b);
void st_msg_free(st_msg *m);

size_t st_backend_n_hosts(const st_backend *b);
/* The URI given for host i (NULL for libvirt's default). */
const char *st_backend_uri(const st_backend *b, size_t i);
/*
 * The live state of host i: connected, or not responding when a call has been in flight for more
 * than a few seconds (counted from the first call that hung, across a takeover), reconnecting
 * after a drop. Safe from any thread; never blocks.
 */
st_host_state st_backend_host_state(const st_backend *b, size_t i, double *since);

/* Asks for a refresh of one host (or every host with SIZE_MAX) as soon as the worker is free. */
void st_backend_refresh(st_backend *b, size_t host);
/*
 * How many refreshes host i has finished, whether they sent a model or found nothing changed,
 * and the count at which a refresh asked for now will have finished (one begun later than now:
 * a refresh already under way may have read the host before the request). Never block.
 */
unsigned st_backend_refreshes_done(const st_backend *b, size_t i);
unsigned st_backend_refresh_target(const st_backend *b, size_t i);

/*
 * Queues a request on a host. The request is copied. Returns its id; a ST_MSG_RESULT with that id
 * follows. In read-only mode every action is refused with a result message.
 */
int st_backend_submit(st_backend *b, size_t host, const st_request *req);

/*
 * Blocks until every host has published one model (or failed), at most timeout_ms. For --list.
 */
bool st_backend_wait_initial(st_backend *b, int timeout_ms);

/*
 * Stops the workers and sentinels without cancelling any job (jobs belong to QEMU). Returns
 * within two seconds even when threads are stuck in calls to a hung host: those are left behind,
 * not joined.
 */
void st_backend_stop(st_backend *b);
/* Frees the backend after st_backend_stop, unless a thread had to be left behind. */
void st_backend_free(st_backend *b);

#endif
