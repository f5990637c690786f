/*
 * What of a journal entry can be given back, and whether it still can. Pure: the host's present
 * state comes in through callbacks (which snapshots exist now, each image's header checksum now).
 *
 *   snapshot-delete (done): the snapshots the entry saw and that are gone are defined again from
 *     their recorded XML (REDEFINE), the recorded current one as current; when the delete was
 *     not metadata-only, only while every file their XML names still exists;
 *   revert (done, by branching or through libvirt): the recorded inactive definition is defined
 *     again, which puts each disk back on the branch it left, and the recorded current snapshot
 *     is made current again; only while the domain is shut off and every image of the recorded
 *     chains is there with its recorded header (checksum);
 *   an offline merge (done) that put a disk on another image (a commit of the active layer):
 *     the recorded inactive definition is defined again as for a revert, and only while, on top
 *     of that, no image the merge left was written since its end: each one's identity (size,
 *     modification time, L1 and refcount tables) as recorded at the merge's end. Data written
 *     into the merge's target afterwards would otherwise be hidden under the old top again;
 *   everything else is not undoable, with the reason: merges moved data (a snapshot taken first
 *     is the way back), a pivot cannot be taken back, a new snapshot is deleted with d.
 *
 * An entry whose images changed since is stale: its undo is refused, naming each difference.
 */
#ifndef ST_JOURNAL_UNDO_H
#define ST_JOURNAL_UNDO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/json.h"

typedef enum {
    ST_UNDO_NONE = 0,        /* not undoable: `why` says why */
    ST_UNDO_REDEFINE_SNAPS,  /* define the removed snapshots again */
    ST_UNDO_REDEFINE_DOMAIN, /* define the recorded inactive XML again */
} st_undo_kind;

/* Whether the domain has a snapshot of this name now. */
typedef bool (*st_undo_has_snap_fn)(const char *name, void *ctx);
/* The first file a snapshot's XML names (disk sources, memory file) that is gone now (malloc'd);
 * NULL when all are there. */
typedef char *(*st_undo_snap_missing_fn)(const char *xml, void *ctx);
/* The header checksum of an image now (malloc'd); NULL when it is missing or has none, with
 * *missing telling which. */
typedef char *(*st_undo_sum_fn)(const char *path, bool *missing, void *ctx);
/* An image's identity now (core/journal.h: st_journal_identity_path); NULL when it cannot be
 * read from here. */
typedef st_json *(*st_undo_ident_fn)(const char *path, void *ctx);

typedef struct st_undo_plan {
    st_undo_kind kind;
    char *why;    /* not undoable, or refused (stale, running): why; NULL when it can run */
    bool stale;   /* refused because the images changed since the entry */
    char **steps; /* what the undo does, one line each */
    size_t n_steps;
    /* REDEFINE_SNAPS: the recorded XML of each snapshot to define, parents first */
    char **snap_xml;
    char **snap_names;
    bool *snap_current;
    size_t n_snaps;
    const char *domain_xml; /* REDEFINE_DOMAIN: the recorded inactive XML (points into the doc) */
    char *current_xml;      /* REDEFINE_DOMAIN: the recorded current snapshot's XML, or NULL */
} st_undo_plan;

/*
 * Plans the undo of `doc`. running: the domain runs now (a definition is not put back under a
 * running guest). A layer whose checksum was not recorded (a remote host's) is checked for
 * existence only.
 */
typedef struct st_undo_host {
    st_undo_has_snap_fn has_snap;
    st_undo_snap_missing_fn snap_missing;
    st_undo_sum_fn sum;
    void *ctx;
    st_undo_ident_fn ident; /* NULL: no identity can be read (an offline merge is refused) */
} st_undo_host;

st_undo_plan *st_undo_plan_make(const st_json *doc, bool running, const st_undo_host *host);
void st_undo_plan_free(st_undo_plan *p);

#endif
