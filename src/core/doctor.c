#include "config.h"

#include "core/doctor.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/i18n.h"
#include "base/util.h"

/* qcow2 v3 incompatible feature bits (the header's own names). */
#define QCOW2_DIRTY   (1ull << 0)
#define QCOW2_CORRUPT (1ull << 1)

st_finding *st_findings_add(st_findings *f, st_doc_level level, const char *check,
                            const st_doc_where *w, const char *text)
{
    xgrow((void **)&f->v, &f->cap, f->n + 1, sizeof(st_finding));
    st_finding *x = &f->v[f->n++];
    memset(x, 0, sizeof(*x));
    x->level = level;
    x->check = check;
    x->host = xstrdup0(w->host);
    x->domain = xstrdup0(w->domain);
    x->disk = xstrdup0(w->disk);
    x->path = xstrdup0(w->path);
    x->snapshot = xstrdup0(w->snapshot);
    x->text = xstrdup(text);
    return x;
}

int st_findings_status(const st_findings *f)
{
    int s = 0;
    for (size_t i = 0; i < f->n; i++)
        if ((int)f->v[i].level > s)
            s = (int)f->v[i].level;
    return s;
}

size_t st_findings_count(const st_findings *f, st_doc_level level)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].level == level;
    return n;
}

bool st_finding_about(const st_finding *x, const char *domain, const char *disk, const char *path)
{
    if (path)
        return streq0(x->path, path);
    return !x->path && streq0(x->domain, domain) && streq0(x->disk, disk);
}

const st_finding *st_findings_row_mark(const st_findings *f, const char *domain, const char *disk,
                                       const char *path)
{
    const st_finding *worst = NULL;
    for (size_t i = 0; f && i < f->n; i++) {
        const st_finding *x = &f->v[i];
        if (x->level == ST_DOC_NOTE || strcmp(x->check, "mode") == 0)
            continue;
        if (st_finding_about(x, domain, disk, path) && (!worst || x->level > worst->level))
            worst = x;
    }
    return worst;
}

/* Adds a finding whose text is formatted (one translated line). */
__attribute__((format(printf, 5, 6))) static st_finding *add_fmt(st_findings *f, st_doc_level level,
                                                                 const char *check,
                                                                 const st_doc_where *w,
                                                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    st_finding *x = st_findings_add(f, level, check, w, text);
    free(text);
    return x;
}

void st_doctor_check_bits(st_findings *f, const st_doc_where *w, uint64_t incompatible, bool in_use)
{
    if (incompatible & QCOW2_CORRUPT)
        st_findings_add(f, ST_DOC_ERROR, "corrupt", w,
                        _("marked corrupt in its header: QEMU opens it read-only at best"));
    if ((incompatible & QCOW2_DIRTY) && !in_use)
        st_findings_add(f, ST_DOC_WARN, "dirty", w,
                        _("marked dirty in its header: it was not closed cleanly (qemu-img "
                          "check -r all repairs its counts)"));
}

/* The number after "key": in qemu-img's JSON report; 0 when the key is absent (qemu-img leaves
 * out counts that are zero). */
static unsigned long long json_count(const char *json, const char *key)
{
    char *pat = xasprintf("\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    unsigned long long v = p ? strtoull(p + strlen(pat), NULL, 10) : 0;
    free(pat);
    return v;
}

void st_doctor_check_qemu_img(st_findings *f, const st_doc_where *w, int status, const char *json,
                              bool in_use)
{
    const char *live = in_use ? _(" (read while a running domain uses it: may be in motion)") : "";
    if (status == 63 || status == 0)
        return; /* no check for this format (raw), or clean */
    if (status < 0) {
        add_fmt(f, ST_DOC_NOTE, "qemu-img-check", w, _("qemu-img check could not run: %s"),
                json ? json : "?");
        return;
    }
    unsigned long long bad = json_count(json, "corruptions");
    unsigned long long leaks = json_count(json, "leaks");
    unsigned long long errs = json_count(json, "check-errors");
    if (status == 2 || bad)
        add_fmt(f, ST_DOC_ERROR, "qemu-img-check", w,
                ngettext("qemu-img check: %llu corruption%s", "qemu-img check: %llu corruptions%s",
                         bad),
                bad, live);
    if (status == 3 || leaks)
        add_fmt(f, ST_DOC_WARN, "qemu-img-check", w,
                ngettext("qemu-img check: %llu leaked cluster (space lost, data safe)%s",
                         "qemu-img check: %llu leaked clusters (space lost, data safe)%s", leaks),
                leaks, live);
    if (status == 1 || errs)
        add_fmt(f, ST_DOC_ERROR, "qemu-img-check", w,
                _("qemu-img check could not check the whole image%s"), live);
}

void st_doctor_check_backing_format(st_findings *f, const st_doc_where *w, const char *backing_name,
                                    const char *backing_fmt, const char *below_format, bool in_use)
{
    if (!backing_name || (backing_fmt && *backing_fmt))
        return;
    st_finding *x =
        add_fmt(f, ST_DOC_WARN, "backing-format", w,
                _("its backing file %s is named without a format: QEMU guesses it"), backing_name);
    if (below_format && *below_format && !in_use) {
        x->fix = ST_FIX_REBASE_FORMAT;
        x->fix_name = xstrdup(backing_name);
        x->fix_format = xstrdup(below_format);
    }
}

void st_doctor_check_relative(st_findings *f, const st_doc_where *w, const st_relative_facts *r)
{
    if (!r->backing_name || r->backing_name[0] == '/' || streq0(r->from_image, r->from_cwd))
        return;
    if (r->cwd_exists && (!r->image_exists || !r->same_file))
        add_fmt(f, ST_DOC_WARN, "relative-backing", w,
                _("its relative backing name %s means %s to QEMU but %s from the current folder"),
                r->backing_name, r->from_image, r->from_cwd);
}

void st_doctor_check_depth(st_findings *f, const st_doc_where *w, size_t n, size_t limit)
{
    if (limit && n > limit)
        add_fmt(f, ST_DOC_WARN, "depth", w,
                _("its chain has %zu layers, more than %zu (merging some shortens it)"), n, limit);
}

void st_doctor_check_mode(st_findings *f, const st_doc_where *w, mode_t mode)
{
    if (!(mode & (S_IROTH | S_IWOTH)))
        return;
    unsigned m = (unsigned)(mode & 07777);
    st_finding *x = (mode & S_IWOTH)
                        ? add_fmt(f, ST_DOC_WARN, "mode", w,
                                  _("others may write it (mode %04o): it holds guest data"), m)
                        : add_fmt(f, ST_DOC_WARN, "mode", w,
                                  _("others may read it (mode %04o): it holds guest data"), m);
    x->fix = ST_FIX_CHMOD;
}

void st_doctor_check_inactive(st_findings *f, const st_doc_where *w, const char *live,
                              const char *inactive, bool inactive_exists)
{
    if (!live || !inactive || streq0(live, inactive))
        return;
    if (inactive_exists)
        add_fmt(f, ST_DOC_WARN, "inactive-source", w,
                _("runs on %s, but its definition names %s: the next start uses that"), live,
                inactive);
    else
        add_fmt(f, ST_DOC_ERROR, "inactive-source", w,
                _("runs on %s, but its definition names %s, which is gone: the next start "
                  "fails"),
                live, inactive);
}

void st_doctor_check_snapshot_files(st_findings *f, const st_doc_where *w, const char *const *files,
                                    const bool *gone, size_t n)
{
    size_t n_gone = 0;
    strbuf list;
    sb_init(&list);
    for (size_t i = 0; i < n; i++) {
        n_gone += gone && gone[i];
        sb_add(&list, i ? ", " : "");
        sb_add(&list, files[i]);
    }
    if (n == 0) {
        sb_free(&list);
        return;
    }
    st_finding *x;
    if (gone && n_gone == n) {
        x = add_fmt(f, ST_DOC_ERROR, "snapshot-files", w,
                    _("snapshot %s names files that are gone: %s"), w->snapshot, list.s);
        x->fix = ST_FIX_SNAP_METADATA;
    } else {
        add_fmt(f, ST_DOC_WARN, "snapshot-files", w,
                _("snapshot %s names files that no chain holds: %s"), w->snapshot, list.s);
    }
    sb_free(&list);
}

char *st_fix_describe(const st_finding *x)
{
    switch (x->fix) {
    case ST_FIX_REBASE_FORMAT:
        return xasprintf("qemu-img rebase -u -b %s -F %s %s", x->fix_name, x->fix_format, x->path);
    case ST_FIX_CHMOD:
        return xasprintf("chmod 0600 %s", x->path);
    case ST_FIX_SNAP_METADATA:
        return xasprintf(_("delete the metadata of snapshot %s of %s (virsh snapshot-delete "
                           "--metadata)"),
                         x->snapshot, x->domain);
    case ST_FIX_COMPACT:
        return xasprintf(_("compact the chain of %s/%s: commit %s down into %s (a commit plan)"),
                         x->domain, x->disk, st_basename(x->fix_top), st_basename(x->fix_base));
    case ST_FIX_NONE:
        break;
    }
    return xstrdup("");
}
