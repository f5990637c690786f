/*
 * The long-call runner (longcall.c): a libvirt call on a thread of its own, its progress polled
 * into the jobs table by another, the request answered when it returns.
 */
#ifndef ST_LONGCALL_H
#define ST_LONGCALL_H

#include <stdatomic.h>

#include "backend/worker.h"
#include "core/snapplan.h"

typedef struct longcall longcall;
typedef int (*longcall_fn)(longcall *c, char **err);

/* One call: whom it answers, what it runs, and what each kind of request needs when it ends. */
struct longcall {
    st_worker *w;
    /* Its own reference: the worker's connection may be closed under it (the worker taken
     * over, or stopping) while the call still runs. */
    virConnectPtr conn;
    int id;
    virDomainPtr dom; /* NULL for a restore until the domain appears */
    char *dom_name;
    st_request req;
    char *xml; /* snapshot XML (create) */
    st_snapplan *plan;
    int jid; /* the domain job; block jobs of a delete are in disk_jids */
    char **disks;
    int *disk_jids;
    size_t n_disks;
    char **overlays;       /* revert by branching: the snapshot's overlay of each diskspec */
    st_host *host;         /* revert: the host as read before it, for what the disks ran on */
    const char *read_path; /* a local restore: the save file, whose readers show progress */
    bool stats_ready;      /* a snapshot's memory transfer was seen running: job stats answer */
    bool modes_unchecked;  /* files were made on a remote host, whose modes cannot be seen */
    char *nvram;           /* a UEFI guest's NVRAM file, and the copy its snapshot keeps */
    char *nvram_copy;      /* (snapplan_nvram.c); NULL: none, or not on this machine */
    longcall_fn run;
    atomic_bool done;
    int detail; /* ST_RESULT_* of the outcome */
    char *ok_text;
};

/*
 * A call to run for request `id` on `dom` (NULL: none yet, a restore), with its own references
 * to the connection and the domain, and a copy of the request. The caller sets what `run` needs.
 */
longcall *longcall_new(st_worker *w, int id, virDomainPtr dom, const st_request *req,
                       longcall_fn run);
/* Shows the call as a domain job of this kind (c->jid). */
void longcall_track(longcall *c, st_job_kind kind);
/* Starts the runner, which frees the call when done; on failure everything is reported and
 * freed. */
void longcall_start(longcall *c);
void longcall_free(longcall *c);

#endif
