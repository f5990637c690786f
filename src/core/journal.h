/*
 * The journal: one JSON document per action that changed a host, written before the action runs
 * (what the host looked like, the plan as shown, who ran it) and completed after it (the outcome,
 * the chain as it became, the data moved, how long it took). This file holds the pure part: the
 * document's shape and its text rendering. journal_store.h keeps the files; the backend gathers
 * what libvirt and the image headers say.
 *
 * Document (format "virt-snaptree-journal", version 1), one line of JSON:
 *   id, host, domain, action, request{disk, top, base, snapshot, path, paths[], flags[]}, plan,
 *   who{user, uid, terminal, ssh_client}, started (UTC ISO 8601), started_unix,
 *   before{xml_active, xml_inactive, snapshots[{name, current, xml}], chains[]},
 *   after: null until the action ended, then {outcome, ok, message, finished, duration,
 *   bytes_moved, chains[]} (a merge's outcome is "started" until its job ends; finished, duration
 *   and bytes_moved are null when not known); completed_by{user, uid, terminal, ssh_client, at,
 *   at_unix, from} when a later run than the one that started it completed it
 *   (core/journal_settle.h); a chain is {disk, layers[{path, format, virtual_size,
 *   allocation, physical, backing_name, backing_format, header_sum, unread, identity}]}, active
 *   layer first; identity (of a qcow2 image read on this machine) is {size, mtime_ns (a string
 *   of digits), meta_sum}, meta_sum the checksum of its L1 table and refcount table: whether it
 *   was written since.
 */
#ifndef ST_JOURNAL_H
#define ST_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/json.h"
#include "core/model.h"
#include "core/request.h"

#define ST_JOURNAL_FORMAT  "virt-snaptree-journal"
#define ST_JOURNAL_VERSION 1

/* Who runs this process, from where. */
typedef struct st_journal_who {
    char *user;
    long uid;
    char *terminal;   /* NULL: none */
    char *ssh_client; /* the address in SSH_CLIENT; NULL: not over SSH */
} st_journal_who;

/* Reads the current process's user, terminal and SSH_CLIENT. */
void st_journal_who_get(st_journal_who *w);
void st_journal_who_clear(st_journal_who *w);

/* The action's name in the document ("commit", "snapshot-delete", ...); NULL when the request
 * changes nothing on a host (facts, a job's bandwidth, forgetting a follow-up). */
const char *st_journal_action_name(st_req_kind k);

/* The document's first half: everything but "before" (which the caller sets) and "after" (null). */
st_json *st_journal_begin(const char *host, const st_request *req, const st_journal_who *who,
                          time_t started);

/*
 * One disk's chain: layers as st_chain_read_local or the model give them, each layer's header
 * checksum (header_sums[i], NULL: not read) and why it was not read (unread[i], may be NULL).
 * Either array may be NULL.
 */
st_json *st_journal_chain(const char *disk, const st_layer *layers, size_t n,
                          char *const *header_sums, char *const *unread);

/* The checksum the journal keeps of an image's header bytes: "fnv1a64:" and 16 hex digits. */
char *st_journal_header_sum(const void *bytes, size_t n);

/*
 * One disk's chain read on this machine from its active layer `path` (declared format `fmt`):
 * each layer with the checksum of its header (a qcow2 image's first cluster, which holds the
 * header, its extensions and the backing name; other formats have no header to sum).
 */
st_json *st_journal_chain_local(const char *disk, const char *path, const char *fmt);

/*
 * A qcow2 image's identity, to tell whether it was written since: {size, mtime_ns, meta_sum}
 * (meta_sum: the checksum of its L1 table and refcount table). NULL with *why when the image
 * cannot be read or is no qcow2 image.
 */
st_json *st_journal_identity_path(const char *path, char **why);
/* The same now, for an undo's check: NULL when the host's images are not on this machine (not
 * local) or the image cannot be read. */
st_json *st_journal_identity_now(const char *path, bool local);

/* The header checksum of the image at path (malloc'd); NULL with *why when it has none. */
char *st_journal_header_sum_path(const char *path, char **why);

/*
 * The header checksum of an image now, for an undo's check: on a host whose images are on this
 * machine (local), the checksum, or NULL with *missing set when the file is gone; elsewhere NULL
 * and not missing (the images cannot be read from here).
 */
char *st_journal_header_sum_now(const char *path, bool local, bool *missing);

/* Who ran it, as the document keeps it. */
st_json *st_journal_who_json(const st_journal_who *who);

/* A time as the document keeps it: UTC ISO 8601 (malloc'd). */
char *st_journal_iso_time(time_t t);

/* Sets doc's "after" member; finished 0 and duration < 0: not known (null). */
void st_journal_end(st_json *doc, bool ok, const char *outcome, const char *message,
                    time_t finished, double duration, const uint64_t *bytes_moved, st_json *chains);

/*
 * The entry as text for --journal and the interface: a head line (when, action, host, domain,
 * who, outcome), the outcome's message, then the chain before and after per disk, side by side
 * when `columns` leaves each side 30 columns, else one after the other (columns 0: always).
 * Untrusted text is sanitized for the charset (utf8).
 */
void st_journal_print(FILE *out, const st_json *doc, bool utf8, int columns);

/* The head line alone (malloc'd, unsanitized). */
char *st_journal_headline(const st_json *doc);

/* What st_journal_print writes below the head line (malloc'd, sanitized, lines end in '\n'). */
char *st_journal_details(const st_json *doc, bool utf8, int columns);

#endif
