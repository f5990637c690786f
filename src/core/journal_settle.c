#include "config.h"

#include "core/journal_settle.h"

#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

bool st_journal_unsettled(const st_json *doc)
{
    const char *action = st_json_get_str(doc, "action");
    const st_json *after = st_json_get(doc, "after");
    return (streq0(action, "commit") || streq0(action, "pull")) &&
           streq0(st_json_get_str(after, "outcome"), "started");
}

/* The layers' paths of the entry's disk as the entry saw them before; NULL when not recorded. */
static const st_json *before_layers(const st_json *doc)
{
    const char *disk = st_json_get_str(st_json_get(doc, "request"), "disk");
    const st_json *chains = st_json_get(st_json_get(doc, "before"), "chains");
    for (size_t i = 0; disk && chains && chains->type == ST_JSON_ARRAY && i < chains->n; i++)
        if (streq0(st_json_get_str(chains->items[i], "disk"), disk)) {
            const st_json *l = st_json_get(chains->items[i], "layers");
            return l && l->type == ST_JSON_ARRAY ? l : NULL;
        }
    return NULL;
}

static const char *layer_path(const st_json *layers, size_t i)
{
    return st_json_get_str(layers->items[i], "path");
}

/* The index of path among the layers; n when absent. */
static size_t layer_index(const st_json *layers, const char *path)
{
    for (size_t i = 0; path && i < layers->n; i++)
        if (streq0(layer_path(layers, i), path))
            return i;
    return layers->n;
}

size_t st_journal_expected_chain(const st_json *doc, char ***out)
{
    *out = NULL;
    const st_json *layers = before_layers(doc);
    const st_json *req = st_json_get(doc, "request");
    if (!layers || !layers->n)
        return 0;
    size_t n = layers->n;
    const char *base = st_json_get_str(req, "base");
    bool pull = streq0(st_json_get_str(doc, "action"), "pull");
    /* A commit drops the layers from its top down to its base (the bottom layer when none is
     * named); a pull drops those between the active layer and its base (all when none). */
    size_t from = pull ? 1 : layer_index(layers, st_json_get_str(req, "top"));
    size_t to = base ? layer_index(layers, base) : pull ? n : n - 1;
    if (from >= n || to > n || from > to || (base && to == n) || (!pull && from == to))
        return 0;
    size_t k = 0;
    char **v = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        if (i < from || i >= to)
            v[k++] = xstrdup0(layer_path(layers, i));
    *out = v;
    return k;
}

static bool same_chain(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb || !na)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!streq0(a[i], b[i]))
            return false;
    return true;
}

static bool same_as_before(const st_json *doc, char *const *now, size_t n_now)
{
    const st_json *layers = before_layers(doc);
    if (!layers || layers->n != n_now || !n_now)
        return false;
    for (size_t i = 0; i < n_now; i++)
        if (!streq0(layer_path(layers, i), now[i]))
            return false;
    return true;
}

static void set(st_settle *s, const char *outcome, bool ok, char *message)
{
    s->outcome = outcome;
    s->ok = ok;
    s->message = message;
}

/* The offline helper's record says how the merge ended. */
static void judge_record(const st_json *doc, const st_settle_facts *f, st_settle *out)
{
    const st_job *r = f->rec;
    out->source = "job record";
    /* Counted as an entry's duration always is: from the entry's start to the job's end. */
    double started = st_json_get_double(doc, "started_unix", 0);
    if (started > 0 && f->rec_ended >= started) {
        out->duration = f->rec_ended - started;
        out->finished = (time_t)f->rec_ended;
    }
    if (r->phase == ST_PHASE_COMPLETED) {
        out->bytes_known = true;
        out->bytes = r->cur;
        set(out, "completed", true, xstrdup(_("the offline merge's record says it completed")));
    } else if (r->phase == ST_PHASE_FAILED) {
        set(out, "failed", false,
            xasprintf(_("the offline merge's record says it failed: %s"),
                      r->error ? r->error : _("no reason recorded")));
    } else {
        set(out, "unknown", false,
            xstrdup(_("the offline merge's record says neither that it completed nor that it "
                      "failed: how it ended is not known")));
    }
}

/* No record: the disk's chain now against the chain before and the one the plan leads to. */
static void judge_chain(const st_json *doc, const st_settle_facts *f, st_settle *out)
{
    out->source = "chain";
    if (f->domain_gone) {
        set(out, "unknown", false,
            xasprintf(_("the domain %s is not on the host any more: how the job ended is not "
                        "known"),
                      st_json_get_str(doc, "domain")));
        return;
    }
    if (!f->n_now) {
        set(out, "unknown", false,
            xstrdup(_("the disk's chain cannot be read now: how the job ended is not known")));
        return;
    }
    char **want = NULL;
    size_t n_want = st_journal_expected_chain(doc, &want);
    if (same_chain(f->now, f->n_now, want, n_want))
        set(out, "completed", true,
            xstrdup(_("the chain is the one the plan leads to: the merge completed (no "
                      "interface saw it end: when is not known)")));
    else if (same_as_before(doc, f->now, f->n_now))
        set(out, "unknown", false,
            xstrdup(_("the job ended and the chain is as it was: the merge did not complete, "
                      "but whether it failed or was cancelled is not known")));
    else if (!n_want)
        set(out, "unknown", false,
            xstrdup(_("the entry does not say which chain the plan leads to: how the job ended "
                      "is not known")));
    else
        set(out, "unknown", false,
            xstrdup(_("the chain is neither as it was nor the one the plan leads to: how the "
                      "job ended is not known")));
    for (size_t i = 0; i < n_want; i++)
        free(want[i]);
    free(want);
}

void st_settle_judge(const st_json *doc, const st_settle_facts *f, st_settle *out)
{
    memset(out, 0, sizeof(*out));
    out->duration = -1;
    if (f->job_running)
        out->wait = true;
    else if (f->rec)
        judge_record(doc, f, out);
    else
        judge_chain(doc, f, out);
}

void st_settle_clear(st_settle *s)
{
    free(s->message);
    memset(s, 0, sizeof(*s));
}

void st_journal_settle_end(st_json *doc, const st_settle *s, const st_journal_who *who, time_t when,
                           st_json *chains)
{
    st_journal_end(doc, s->ok, s->outcome, s->message, s->finished, s->duration,
                   s->bytes_known ? &s->bytes : NULL, chains);
    st_journal_completed_by(doc, who, when, s->source);
}

void st_journal_completed_by(st_json *doc, const st_journal_who *who, time_t when,
                             const char *source)
{
    st_json *after = (st_json *)st_json_get(doc, "after");
    st_json *by = st_journal_who_json(who);
    char *iso = st_journal_iso_time(when);
    st_json_set_str(by, "at", iso);
    free(iso);
    st_json_set(by, "at_unix", st_json_i64((int64_t)when));
    st_json_set_str(by, "from", source);
    st_json_set(after, "completed_by", by);
}
