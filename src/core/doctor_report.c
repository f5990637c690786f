#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/doctor.h"
#include "core/text.h"

static const char *level_label(st_doc_level l)
{
    switch (l) {
    case ST_DOC_ERROR:
        return _("error");
    case ST_DOC_WARN:
        return _("warning");
    case ST_DOC_NOTE:
        break;
    }
    return _("note");
}

static const char *level_name(st_doc_level l)
{
    return l == ST_DOC_ERROR ? "error" : l == ST_DOC_WARN ? "warning" : "note";
}

static const char *fix_name(st_fix_kind k)
{
    switch (k) {
    case ST_FIX_REBASE_FORMAT:
        return "rebase-format";
    case ST_FIX_CHMOD:
        return "chmod";
    case ST_FIX_SNAP_METADATA:
        return "snapshot-metadata";
    case ST_FIX_COMPACT:
        return "compact";
    case ST_FIX_NONE:
        break;
    }
    return NULL;
}

/* Findings of more than one host name the host first. */
static bool several_hosts(const st_findings *f)
{
    for (size_t i = 1; i < f->n; i++)
        if (!streq0(f->v[i].host, f->v[0].host))
            return true;
    return false;
}

/* "DOMAIN DISK PATH: " from what the finding names (the host too when asked). */
static void put_where(FILE *out, const st_finding *x, bool host, bool utf8)
{
    const char *parts[] = {host || !x->domain ? x->host : NULL, x->domain, x->disk, x->path};
    bool any = false;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!parts[i])
            continue;
        fputs(any ? " " : "", out);
        st_text_put(out, parts[i], utf8);
        any = true;
    }
    if (any)
        fputs(": ", out);
}

void st_doctor_report_text(FILE *out, const st_findings *f, size_t n_chains, bool utf8)
{
    bool hosts = several_hosts(f);
    for (size_t i = 0; i < f->n; i++) {
        const st_finding *x = &f->v[i];
        fprintf(out, "%s: ", level_label(x->level));
        put_where(out, x, hosts, utf8);
        st_text_put(out, x->text, utf8);
        if (x->fix != ST_FIX_NONE) {
            char *fix = st_fix_describe(x);
            fprintf(out, " [%s ", _("fix:"));
            st_text_put(out, fix, utf8);
            fputc(']', out);
            free(fix);
        }
        fputc('\n', out);
    }
    size_t errs = st_findings_count(f, ST_DOC_ERROR), warns = st_findings_count(f, ST_DOC_WARN);
    fprintf(out, ngettext("%zu chain checked: ", "%zu chains checked: ", n_chains), n_chains);
    if (!errs && !warns)
        fputs(_("healthy\n"), out);
    else {
        char *e = xasprintf(ngettext("%zu error", "%zu errors", errs), errs);
        char *w = xasprintf(ngettext("%zu warning", "%zu warnings", warns), warns);
        fprintf(out, _("%s, %s\n"), e, w);
        free(e);
        free(w);
    }
}

static void json_finding(FILE *out, const st_finding *x)
{
    fprintf(out, "{\"level\":\"%s\",\"check\":\"%s\",\"host\":", level_name(x->level), x->check);
    st_json_put(out, x->host);
    const char *keys[] = {"domain", "disk", "path", "snapshot", "text"};
    const char *vals[] = {x->domain, x->disk, x->path, x->snapshot, x->text};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        fprintf(out, ",\"%s\":", keys[i]);
        st_json_put(out, vals[i]);
    }
    fputs(",\"fix\":", out);
    st_json_put(out, fix_name(x->fix));
    fputs(",\"fix_command\":", out);
    char *fix = x->fix == ST_FIX_NONE ? NULL : st_fix_describe(x);
    st_json_put(out, fix);
    free(fix);
    fputc('}', out);
}

void st_doctor_report_json(FILE *out, const st_findings *f, size_t n_chains)
{
    fprintf(out, "{\"chains\":%zu,\"status\":%d,\"findings\":[", n_chains, st_findings_status(f));
    for (size_t i = 0; i < f->n; i++) {
        fputs(i ? ",\n" : "\n", out);
        json_finding(out, &f->v[i]);
    }
    fputs("]}\n", out);
}
