#include "config.h"

#include "core/journal_undo.h"

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
