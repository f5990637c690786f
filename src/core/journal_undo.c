#include "config.h"

#include "core/journal_undo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

static void add_step(st_undo_plan *p, char *line)
{
    p->steps = xrealloc(p->steps, (p->n_steps + 1) * sizeof(char *));
    p->steps[p->n_steps++] = line;
}

static bool has_flag(const st_json *doc, const char *flag)
{
    const st_json *flags = st_json_get(st_json_get(doc, "request"), "flags");
    for (size_t i = 0; flags && flags->type == ST_JSON_ARRAY && i < flags->n; i++)
        if (flags->items[i]->type == ST_JSON_STRING && streq0(flags->items[i]->text, flag))
            return true;
    return false;
}

/* Why an action of this kind cannot be given back. */
static const char *not_undoable(const char *action)
{
    if (streq0(action, "commit") || streq0(action, "pull"))
        return _("a merge moved data from one image into another: the journal cannot give that "
                 "back (a snapshot taken before the merge is the way back)");
    if (streq0(action, "pivot") || streq0(action, "finish-paused"))
        return _("a pivot cannot be taken back: the disk runs on the base now, and the merged "
                 "data is in it");
    if (streq0(action, "abort"))
        return _("an aborted job left the chain as it was: there is nothing to give back");
    if (streq0(action, "snapshot-create"))
        return _("a new snapshot is undone by deleting it (d on the snapshot)");
    if (streq0(action, "undo"))
        return _("an undo is not undone from the journal: the entry it gave back is still there");
    return _("it changed the guest's state or removed files: the journal cannot give that back");
}

static void plan_snaps(st_undo_plan *p, const st_json *doc, const st_undo_host *host)
{
    const st_json *snaps = st_json_get(st_json_get(doc, "before"), "snapshots");
    bool metadata_only = has_flag(doc, "metadata-only");
    for (size_t i = 0; snaps && snaps->type == ST_JSON_ARRAY && i < snaps->n; i++) {
        const char *name = st_json_get_str(snaps->items[i], "name");
        const char *xml = st_json_get_str(snaps->items[i], "xml");
        if (!name || !xml || (host->has_snap && host->has_snap(name, host->ctx)))
            continue;
        char *gone =
            metadata_only || !host->snap_missing ? NULL : host->snap_missing(xml, host->ctx);
        if (gone && !p->why) {
            p->stale = true;
            p->why = xasprintf(_("the files of snapshot %s changed since: %s is gone"), name, gone);
        }
        free(gone);
        bool current = st_json_get_bool(snaps->items[i], "current", false);
        size_t n = p->n_snaps + 1;
        p->snap_xml = xrealloc(p->snap_xml, n * sizeof(char *));
        p->snap_names = xrealloc(p->snap_names, n * sizeof(char *));
        p->snap_current = xrealloc(p->snap_current, n * sizeof(bool));
        p->snap_xml[p->n_snaps] = xstrdup(xml);
        p->snap_names[p->n_snaps] = xstrdup(name);
        p->snap_current[p->n_snaps++] = current;
        add_step(p, xasprintf("virDomainSnapshotCreateXML(dom, <%s>, %s)", name,
                              current ? "REDEFINE | REDEFINE_CURRENT" : "REDEFINE"));
    }
    if (!p->n_snaps && !p->why)
        p->why =
            xstrdup(_("every snapshot the entry saw is defined: there is nothing to give back"));
}

/* The differences between the recorded chains and the images now, "; "-separated; NULL: none. */
static char *chain_differences(const st_json *chains, const st_undo_host *host)
{
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; chains && chains->type == ST_JSON_ARRAY && i < chains->n; i++) {
        const st_json *layers = st_json_get(chains->items[i], "layers");
        for (size_t k = 0; layers && layers->type == ST_JSON_ARRAY && k < layers->n; k++) {
            const char *path = st_json_get_str(layers->items[k], "path");
            const char *was = st_json_get_str(layers->items[k], "header_sum");
            if (!path || path[0] != '/' || !host->sum)
                continue;
            bool missing = false;
            char *now = host->sum(path, &missing, host->ctx);
            char *diff = NULL;
            if (missing)
                diff = xasprintf(_("%s is gone"), path);
            else if (was && !now)
                diff = xasprintf(_("%s has no readable header now"), path);
            else if (was && !streq0(was, now))
                diff = xasprintf(_("the header of %s changed (%s, was %s)"), path, now, was);
            if (diff) {
                sb_add(&b, b.len ? "; " : "");
                sb_add(&b, diff);
            }
            free(diff);
            free(now);
        }
    }
    return b.len ? sb_steal(&b) : (sb_free(&b), NULL);
}

static void plan_domain(st_undo_plan *p, const st_json *doc, bool running, const st_undo_host *host)
{
    const st_json *before = st_json_get(doc, "before");
    p->domain_xml = st_json_get_str(before, "xml_inactive");
    if (!p->domain_xml) {
        p->kind = ST_UNDO_NONE;
        p->why = xstrdup(_("the entry holds no definition of the domain"));
        return;
    }
    const st_json *chains = st_json_get(before, "chains");
    char *diff = chain_differences(chains, host);
    if (diff) {
        p->stale = true;
        p->why = xasprintf(_("the images changed since the entry: %s"), diff);
        free(diff);
    } else if (running) {
        p->why = xstrdup(_("the domain runs: shut it off first, its definition is put back while "
                           "it is shut off"));
    }
    add_step(p, xstrdup("virDomainDefineXML(conn, <the recorded inactive definition>)"));
    for (size_t i = 0; chains && chains->type == ST_JSON_ARRAY && i < chains->n; i++) {
        const st_json *layers = st_json_get(chains->items[i], "layers");
        const char *top = layers && layers->n ? st_json_get_str(layers->items[0], "path") : NULL;
        if (top)
            add_step(p, xasprintf(_("%s is on %s again"), st_json_get_str(chains->items[i], "disk"),
                                  top));
    }
    const st_json *snaps = st_json_get(before, "snapshots");
    for (size_t i = 0; snaps && snaps->type == ST_JSON_ARRAY && i < snaps->n; i++)
        if (st_json_get_bool(snaps->items[i], "current", false) &&
            st_json_get_str(snaps->items[i], "xml")) {
            p->current_xml = xstrdup(st_json_get_str(snaps->items[i], "xml"));
            add_step(p, xasprintf("virDomainSnapshotCreateXML(dom, <%s>, REDEFINE | "
                                  "REDEFINE_CURRENT)",
                                  st_json_get_str(snaps->items[i], "name")));
        }
}

/* The layers of the request's disk in a chains array (before or after); NULL when none. */
static const st_json *disk_layers(const st_json *doc, const st_json *chains)
{
    const char *disk = st_json_get_str(st_json_get(doc, "request"), "disk");
    for (size_t i = 0; disk && chains && chains->type == ST_JSON_ARRAY && i < chains->n; i++)
        if (streq0(st_json_get_str(chains->items[i], "disk"), disk)) {
            const st_json *l = st_json_get(chains->items[i], "layers");
            return l && l->type == ST_JSON_ARRAY && l->n ? l : NULL;
        }
    return NULL;
}

/* An offline merge that completed and put its disk on another image: its definition changed. */
static bool merge_redefined(const st_json *doc)
{
    const char *action = st_json_get_str(doc, "action");
    const st_json *before = st_json_get(doc, "before");
    const st_json *after = st_json_get(doc, "after");
    if (!(streq0(action, "commit") || streq0(action, "pull")) ||
        !streq0(st_json_get_str(before, "state"), "shut off") ||
        !streq0(st_json_get_str(after, "outcome"), "completed"))
        return false;
    const st_json *was = disk_layers(doc, st_json_get(before, "chains"));
    const st_json *now = disk_layers(doc, st_json_get(after, "chains"));
    return was && now &&
           !streq0(st_json_get_str(was->items[0], "path"), st_json_get_str(now->items[0], "path"));
}

/* How an image's identity now differs from the recorded one; NULL when it does not. */
static char *identity_change(const char *path, const st_json *was, const st_json *now)
{
    if (!was || was->type != ST_JSON_OBJECT)
        return xasprintf(_("the entry recorded no identity of %s at the merge's end: whether it "
                           "was written since is not known"),
                         path);
    if (!now)
        return xasprintf(_("%s cannot be read now: whether it was written since is not known"),
                         path);
    /* The figures as text: a translated format holds no <inttypes.h> macro. */
    char ws[24], ns[24];
    snprintf(ws, sizeof(ws), "%" PRIu64, st_json_get_u64(was, "size", 0));
    snprintf(ns, sizeof(ns), "%" PRIu64, st_json_get_u64(now, "size", 0));
    const char *wt = st_json_get_str(was, "mtime_ns"), *nt = st_json_get_str(now, "mtime_ns");
    if (strcmp(ws, ns) != 0)
        return xasprintf(_("%s was written since the merge: its size is %s bytes, was %s"), path,
                         ns, ws);
    if (!wt || !streq0(wt, nt))
        return xasprintf(_("%s was written since the merge: modified at %s ns since the epoch, "
                           "was %s"),
                         path, nt ? nt : "?", wt ? wt : "?");
    if (!streq0(st_json_get_str(was, "meta_sum"), st_json_get_str(now, "meta_sum")))
        return xasprintf(_("%s was written since the merge: its L1 or refcount table changed "
                           "(%s, was %s)"),
                         path, st_json_get_str(now, "meta_sum"), st_json_get_str(was, "meta_sum"));
    return NULL;
}

/* The images the merge left, each as its identity was recorded at the merge's end. */
static void check_not_written(st_undo_plan *p, const st_json *doc, const st_undo_host *host)
{
    const st_json *left = disk_layers(doc, st_json_get(st_json_get(doc, "after"), "chains"));
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; left && i < left->n; i++) {
        const char *path = st_json_get_str(left->items[i], "path");
        if (!path)
            continue;
        st_json *now = host->ident ? host->ident(path, host->ctx) : NULL;
        char *diff = identity_change(path, st_json_get(left->items[i], "identity"), now);
        st_json_free(now);
        if (diff) {
            sb_add(&b, b.len ? "; " : "");
            sb_add(&b, diff);
            free(diff);
        } else {
            add_step(p, xasprintf(_("checked: %s was not written since the merge (size, "
                                    "modification time, L1 and refcount tables)"),
                                  path));
        }
    }
    if (b.len) {
        p->stale = true;
        p->why = xasprintf(_("the images changed since the entry: %s"), b.s);
    }
    sb_free(&b);
}

st_undo_plan *st_undo_plan_make(const st_json *doc, bool running, const st_undo_host *host)
{
    st_undo_plan *p = xcalloc(1, sizeof(*p));
    const char *action = st_json_get_str(doc, "action");
    const st_json *after = st_json_get(doc, "after");
    if (!st_json_get_bool(after, "ok", false)) {
        p->why = xstrdup(after && after->type == ST_JSON_OBJECT
                             ? _("the action did not succeed: there is nothing to give back")
                             : _("the entry has no outcome: whether the action was done is not "
                                 "known"));
    } else if (streq0(action, "snapshot-delete")) {
        p->kind = ST_UNDO_REDEFINE_SNAPS;
        plan_snaps(p, doc, host);
    } else if (streq0(action, "revert")) {
        p->kind = ST_UNDO_REDEFINE_DOMAIN;
        plan_domain(p, doc, running, host);
    } else if (merge_redefined(doc)) {
        p->kind = ST_UNDO_REDEFINE_DOMAIN;
        plan_domain(p, doc, running, host);
        if (!p->why)
            check_not_written(p, doc, host);
    } else {
        p->why = xstrdup(not_undoable(action));
    }
    return p;
}

void st_undo_plan_free(st_undo_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_steps; i++)
        free(p->steps[i]);
    free(p->steps);
    for (size_t i = 0; i < p->n_snaps; i++) {
        free(p->snap_xml[i]);
        free(p->snap_names[i]);
    }
    free(p->snap_xml);
    free(p->snap_names);
    free(p->snap_current);
    free(p->current_xml);
    free(p->why);
    free(p);
}
