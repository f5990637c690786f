#include "config.h"

#include "core/journal.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"

/* ---- who ---- */

void st_journal_who_get(st_journal_who *w)
{
    memset(w, 0, sizeof(*w));
    uid_t uid = getuid();
    w->uid = (long)uid;
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found)
        w->user = xstrdup(found->pw_name);
    else
        w->user = xasprintf("%ld", w->uid);
    for (int fd = 0; fd <= 2 && !w->terminal; fd++) {
        const char *t = isatty(fd) ? ttyname(fd) : NULL;
        w->terminal = xstrdup0(t);
    }
    /* SSH_CLIENT is "ADDRESS CLIENT-PORT SERVER-PORT": the address is what says where from. */
    const char *ssh = getenv("SSH_CLIENT");
    if (ssh && *ssh)
        w->ssh_client = xstrndup(ssh, strcspn(ssh, " "));
}

void st_journal_who_clear(st_journal_who *w)
{
    free(w->user);
    free(w->terminal);
    free(w->ssh_client);
    memset(w, 0, sizeof(*w));
}

/* ---- the document ---- */

const char *st_journal_action_name(st_req_kind k)
{
    switch (k) {
    case ST_REQ_COMMIT:
        return "commit";
    case ST_REQ_PULL:
        return "pull";
    case ST_REQ_PIVOT:
        return "pivot";
    case ST_REQ_ABORT:
        return "abort";
    case ST_REQ_SNAPSHOT_CREATE:
        return "snapshot-create";
    case ST_REQ_REVERT:
        return "revert";
    case ST_REQ_SNAPSHOT_DELETE:
        return "snapshot-delete";
    case ST_REQ_SAVE:
        return "save";
    case ST_REQ_RESTORE:
        return "restore";
    case ST_REQ_MANAGEDSAVE_REMOVE:
        return "managedsave-remove";
    case ST_REQ_REMOVE_FILES:
        return "remove-files";
    case ST_REQ_FINISH_PAUSED:
        return "finish-paused";
    case ST_REQ_UNDO:
        return "undo";
    default:
        return NULL;
    }
}

static st_json *flag_names(unsigned flags)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {ST_F_RELATIVE, "relative"},
        {ST_F_DELETE, "delete"},
        {ST_F_ACTIVE, "active"},
        {ST_F_START_PAUSED, "start-paused"},
        {ST_F_PAUSED, "paused"},
        {ST_F_RUNNING, "running"},
        {ST_F_FORCE, "force"},
        {ST_F_CHILDREN, "children"},
        {ST_F_CHILDREN_ONLY, "children-only"},
        {ST_F_METADATA_ONLY, "metadata-only"},
        {ST_F_QUIESCE, "quiesce"},
        {ST_F_LIVE, "live"},
        {ST_F_BRANCH, "branch"},
        {ST_F_MIX_OK, "mix-ok"},
        {ST_F_DISCARD, "discard"},
        {ST_F_NO_JOURNAL, "no-journal"},
    };
    st_json *a = st_json_array();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (flags & names[i].bit)
            st_json_push(a, st_json_string(names[i].name));
    return a;
}

static st_json *request_json(const st_request *req)
{
    st_json *r = st_json_object();
    st_json_set_str(r, "disk", req->disk);
    st_json_set_str(r, "top", req->top);
    st_json_set_str(r, "base", req->base);
    st_json_set_str(r, "snapshot", req->snapshot);
    st_json_set_str(r, "path", req->path);
    st_json *paths = st_json_array();
    for (size_t i = 0; i < req->n_paths; i++)
        st_json_push(paths, st_json_string(req->paths[i]));
    st_json_set(r, "paths", paths);
    st_json_set(r, "flags", flag_names(req->flags));
    return r;
}

char *st_journal_iso_time(time_t t)
{
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

st_json *st_journal_who_json(const st_journal_who *who)
{
    st_json *w = st_json_object();
    st_json_set_str(w, "user", who->user);
    st_json_set(w, "uid", st_json_i64(who->uid));
    st_json_set_str(w, "terminal", who->terminal);
    st_json_set_str(w, "ssh_client", who->ssh_client);
    return w;
}

st_json *st_journal_begin(const char *host, const st_request *req, const st_journal_who *who,
                          time_t started)
{
    st_json *d = st_json_object();
    st_json_set_str(d, "format", ST_JOURNAL_FORMAT);
    st_json_set(d, "version", st_json_i64(ST_JOURNAL_VERSION));
    st_json_set_str(d, "host", host);
    st_json_set_str(d, "domain", req->domain);
    st_json_set_str(d, "action", st_journal_action_name(req->kind));
    st_json_set(d, "request", request_json(req));
    st_json_set_str(d, "plan", req->plan);
    st_json_set(d, "who", st_journal_who_json(who));
    char *iso = st_journal_iso_time(started);
    st_json_set_str(d, "started", iso);
    free(iso);
    st_json_set(d, "started_unix", st_json_i64((int64_t)started));
    return d;
}

static st_json *layer_json(const st_layer *l, const char *sum, const char *unread)
{
    st_json *o = st_json_object();
    st_json_set_str(o, "path", l->path);
    st_json_set_str(o, "format", l->format);
    st_json_set(o, "virtual_size", st_json_u64(l->virtual_size));
    st_json_set(o, "allocation", st_json_u64(l->allocation));
    st_json_set(o, "physical", st_json_u64(l->physical));
    st_json_set_str(o, "backing_name", l->backing_name);
    st_json_set_str(o, "backing_format", l->backing_fmt);
    st_json_set_str(o, "header_sum", sum);
    st_json_set_str(o, "unread", unread ? unread : l->broken);
    return o;
}

st_json *st_journal_chain(const char *disk, const st_layer *layers, size_t n,
                          char *const *header_sums, char *const *unread)
{
    st_json *c = st_json_object();
    st_json_set_str(c, "disk", disk);
    st_json *a = st_json_array();
    for (size_t i = 0; i < n; i++)
        st_json_push(a, layer_json(&layers[i], header_sums ? header_sums[i] : NULL,
                                   unread ? unread[i] : NULL));
    st_json_set(c, "layers", a);
    return c;
}

char *st_journal_header_sum(const void *bytes, size_t n)
{
    /* FNV-1a: enough to see that a header changed; the journal guards against mistakes, not
     * against someone forging a header to match. */
    uint64_t h = 14695981039346656037ull;
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return xasprintf("fnv1a64:%016" PRIx64, h);
}

void st_journal_end(st_json *doc, bool ok, const char *outcome, const char *message,
                    time_t finished, double duration, const uint64_t *bytes_moved, st_json *chains)
{
    st_json *a = st_json_object();
    st_json_set_str(a, "outcome", outcome ? outcome : ok ? "done" : "failed");
    st_json_set(a, "ok", st_json_bool(ok));
    st_json_set_str(a, "message", message);
    char *iso = finished > 0 ? st_journal_iso_time(finished) : NULL;
    st_json_set_str(a, "finished", iso);
    free(iso);
    st_json_set(a, "duration", duration >= 0 ? st_json_double(duration) : NULL);
    st_json_set(a, "bytes_moved", bytes_moved ? st_json_u64(*bytes_moved) : NULL);
    st_json_set(a, "chains", chains ? chains : st_json_array());
    for (size_t i = 0; i < doc->n; i++)
        if (strcmp(doc->keys[i], "after") == 0) {
            st_json_free(doc->items[i]);
            doc->items[i] = a;
            return;
        }
    st_json_set(doc, "after", a);
}

/* ---- text ---- */

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Where a user ran it from: " on TERMINAL", " from SSH CLIENT" (each when recorded). */
static void add_where(strbuf *b, const st_json *who)
{
    const char *tty = st_json_get_str(who, "terminal");
    if (tty)
        sb_printf(b, _(" on %s"), tty);
    const char *ssh = st_json_get_str(who, "ssh_client");
    if (ssh)
        sb_printf(b, _(" from %s"), ssh);
}

char *st_journal_headline(const st_json *doc)
{
    const st_json *who = st_json_get(doc, "who");
    const st_json *after = st_json_get(doc, "after");
    strbuf b;
    sb_init(&b);
    sb_printf(&b, "%s  %s  %s  %s", or_dash(st_json_get_str(doc, "started")),
              or_dash(st_json_get_str(doc, "action")), or_dash(st_json_get_str(doc, "domain")),
              or_dash(st_json_get_str(doc, "host")));
    sb_printf(&b, _("  by %s"), or_dash(st_json_get_str(who, "user")));
    add_where(&b, who);
    if (!after || after->type != ST_JSON_OBJECT) {
        sb_printf(&b, "  %s", _("(no outcome recorded)"));
    } else {
        const st_json *took = st_json_get(after, "duration");
        if (took && took->type == ST_JSON_NUMBER)
            sb_printf(&b, _("  %s in %.1f s"), or_dash(st_json_get_str(after, "outcome")),
                      st_json_get_double(after, "duration", 0));
        else
            sb_printf(&b, "  %s", or_dash(st_json_get_str(after, "outcome")));
        const st_json *moved = st_json_get(after, "bytes_moved");
        if (moved && moved->type == ST_JSON_NUMBER) {
            char bytes[32];
            st_fmt_bytes(bytes, sizeof(bytes), st_json_get_u64(after, "bytes_moved", 0));
            sb_printf(&b, _(", %s moved"), bytes);
        }
    }
    return sb_steal(&b);
}

/* The chain of `disk` in a chains array, as one line per layer ("path (format)"). */
static size_t chain_lines(const st_json *chains, const char *disk, char ***out)
{
    *out = NULL;
    for (size_t i = 0; chains && chains->type == ST_JSON_ARRAY && i < chains->n; i++) {
        const st_json *c = chains->items[i];
        if (!streq0(st_json_get_str(c, "disk"), disk))
            continue;
        const st_json *layers = st_json_get(c, "layers");
        size_t n = layers && layers->type == ST_JSON_ARRAY ? layers->n : 0;
        *out = n ? xcalloc(n, sizeof(char *)) : NULL;
        for (size_t k = 0; k < n; k++)
            (*out)[k] = xasprintf("%s (%s)", or_dash(st_json_get_str(layers->items[k], "path")),
                                  or_dash(st_json_get_str(layers->items[k], "format")));
        return n;
    }
    return 0;
}

static void free_lines(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void print_safe(FILE *out, const char *s, bool utf8, int cols, bool pad)
{
    char *safe = cols > 0 ? st_text_fit(s, cols, utf8, pad) : st_text_sanitize(s, utf8);
    fputs(safe, out);
    free(safe);
}

/* One disk: before and after in two columns, or one after the other on a narrow output. */
static void print_disk(FILE *out, const char *disk, const st_json *before, const st_json *after,
                       bool utf8, int columns)
{
    char **b = NULL, **a = NULL;
    size_t nb = chain_lines(before, disk, &b), na = chain_lines(after, disk, &a);
    int half = (columns - 6) / 2;
    fprintf(out, "  ");
    print_safe(out, disk, utf8, 0, false);
    fputc('\n', out);
    if (half >= 30) {
        fputs("    ", out);
        print_safe(out, _("before"), utf8, half, true);
        fputs("  ", out);
        print_safe(out, after ? _("after") : "", utf8, 0, false);
        fputc('\n', out);
        for (size_t i = 0; i < nb || i < na; i++) {
            fputs("    ", out);
            print_safe(out, i < nb ? b[i] : "", utf8, half, true);
            fputs("  ", out);
            print_safe(out, i < na ? a[i] : "", utf8, i < na ? half : 0, false);
            fputc('\n', out);
        }
    } else {
        fprintf(out, "    %s\n", _("before:"));
        for (size_t i = 0; i < nb; i++) {
            fputs("      ", out);
            print_safe(out, b[i], utf8, 0, false);
            fputc('\n', out);
        }
        if (after)
            fprintf(out, "    %s\n", _("after:"));
        for (size_t i = 0; i < na; i++) {
            fputs("      ", out);
            print_safe(out, a[i], utf8, 0, false);
            fputc('\n', out);
        }
    }
    free_lines(b, nb);
    free_lines(a, na);
}

/* What a later run learnt a job's end from, in words. */
static const char *source_words(const char *source)
{
    if (streq0(source, "job record"))
        return _("the offline merge's record");
    if (streq0(source, "chain"))
        return _("the disk's chain");
    if (streq0(source, "job end"))
        return _("the job's end, seen");
    return or_dash(source);
}

/* An entry completed by a later run than the one that started it: who, when, from what. */
static char *completed_by_line(const st_json *by)
{
    strbuf b;
    sb_init(&b);
    sb_printf(&b, _("completed by a later run: %s"), or_dash(st_json_get_str(by, "user")));
    add_where(&b, by);
    sb_printf(&b, _(" at %s, from %s"), or_dash(st_json_get_str(by, "at")),
              source_words(st_json_get_str(by, "from")));
    return sb_steal(&b);
}

char *st_journal_details(const st_json *doc, bool utf8, int columns)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return xstrdup("");
    const st_json *after = st_json_get(doc, "after");
    const char *msg = st_json_get_str(after, "message");
    if (msg) {
        fputs("  ", out);
        print_safe(out, msg, utf8, 0, false);
        fputc('\n', out);
    }
    const st_json *by = st_json_get(after, "completed_by");
    if (by && by->type == ST_JSON_OBJECT) {
        char *line = completed_by_line(by);
        fputs("  ", out);
        print_safe(out, line, utf8, 0, false);
        fputc('\n', out);
        free(line);
    }
    const st_json *before = st_json_get(st_json_get(doc, "before"), "chains");
    const st_json *later =
        after && after->type == ST_JSON_OBJECT ? st_json_get(after, "chains") : NULL;
    for (size_t i = 0; before && before->type == ST_JSON_ARRAY && i < before->n; i++)
        print_disk(out, or_dash(st_json_get_str(before->items[i], "disk")), before, later, utf8,
                   columns);
    fclose(out);
    return buf;
}

void st_journal_print(FILE *out, const st_json *doc, bool utf8, int columns)
{
    char *head = st_journal_headline(doc);
    print_safe(out, head, utf8, 0, false);
    fputc('\n', out);
    free(head);
    char *details = st_journal_details(doc, utf8, columns);
    fputs(details, out);
    free(details);
}
