/*
 * What the snapshot actions share: each request is planned again in the backend from a fresh
 * look at the host (snapactions.c), and refused before any libvirt call when the plan is.
 * Reverts live apart: through libvirt (snap_revert.c) and by branching (snap_revert_branch.c);
 * the files they all leave on the host are looked after in snap_files.c.
 */
#ifndef ST_SNAPACTIONS_INTERNAL_H
#define ST_SNAPACTIONS_INTERNAL_H

#include "backend/longcall.h"
#include "backend/worker.h"
#include "base/util.h"
#include "core/snapplan.h"

/* Whether a file exists, for the planner: on this machine the file system, on a remote host a
 * storage volume at that path, or a save file the host read (other files are not seen). ctx: an
 * sa_exists. */
typedef struct sa_exists {
    st_worker *w;
    /* A save file whose header the host has just read: it is there, in a pool or not. */
    bool header_read;
} sa_exists;
bool sa_file_exists(const char *path, void *ctx);

/* A model of the host with `dom`'s cached XML and snapshots dropped first, so they are fresh. */
st_host *sa_fresh_model(st_worker *w, virDomainPtr dom);
/* Whether the action stops here, answered: the plan refuses it, or the worker was taken over
 * while it read the host (st_worker_may_change). */
bool sa_refused(st_worker *w, int id, const st_snapplan *p);
/* The domain changed: its cache is dropped and the host read again. */
void sa_refresh_domain(st_worker *w, virDomainPtr dom);

/* A revert, planned again here: through libvirt, or by branching when the plan says so. */
void sa_revert(st_worker *w, int id, virDomainPtr dom, const st_request *req);
/* Reverts by branching as plan `p` (for domain `d` of the fresh model) says. */
void sa_revert_branch(st_worker *w, int id, virDomainPtr dom, st_snapplan *p, const st_domain *d,
                      const st_request *req);
/* Starts the domain after a revert when the request says so (running or paused). */
int sa_start_after(longcall *c, char **err);

/*
 * Closes a file this action made (or had libvirt make) to everyone but its owner, made from
 * `from` (NULL: from nothing); what fails is appended to `note`. A remote host's files cannot be
 * looked at from here: said once.
 */
void sa_make_private(longcall *c, const char *path, const char *from, strbuf *note);
/* The NVRAM copy that snapshot `snap` of d keeps (c->nvram_copy, c->nvram), where the files are
 * on this machine; none for a guest without a variable store. */
void sa_nvram_track(longcall *c, const st_domain *d, const char *snap, bool internal);
/* Puts the snapshot's copy of the NVRAM back (the domain is shut off); said in `note`. */
void sa_nvram_put_back(longcall *c, strbuf *note);

#endif
