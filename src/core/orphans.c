#include "config.h"

#include "core/orphans.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"

st_found *st_orphans_add(st_orphans *o, const char *path, st_file_kind kind)
{
    xgrow((void **)&o->v, &o->cap, o->n + 1, sizeof(st_found));
    st_found *f = &o->v[o->n++];
    memset(f, 0, sizeof(*f));
    f->path = xstrdup(path);
    f->kind = kind;
    return f;
}

void st_found_ref(st_found *f, const char *by)
{
    for (size_t i = 0; i < f->n_by; i++)
        if (strcmp(f->by[i], by) == 0)
            return;
    f->by = xrealloc(f->by, (f->n_by + 1) * sizeof(char *));
    f->by[f->n_by++] = xstrdup(by);
}

void st_orphans_note(st_orphans *o, const char *line)
{
    o->unscanned = xrealloc(o->unscanned, (o->n_unscanned + 1) * sizeof(char *));
    o->unscanned[o->n_unscanned++] = xstrdup(line);
}

void st_orphans_clear(st_orphans *o)
{
    for (size_t i = 0; i < o->n; i++) {
        st_found *f = &o->v[i];
        free(f->path);
        free(f->backing);
        free(f->why);
        free(f->above);
        free(f->host);
        for (size_t k = 0; k < f->n_by; k++)
            free(f->by[k]);
        free(f->by);
    }
    free(o->v);
    for (size_t i = 0; i < o->n_unscanned; i++)
        free(o->unscanned[i]);
    free(o->unscanned);
    memset(o, 0, sizeof(*o));
}

static int cmp_found(const void *a, const void *b)
{
    return strcmp(((const st_found *)a)->path, ((const st_found *)b)->path);
}

static st_orph_class first_class(const st_found *f)
{
    if (f->n_by)
        return f->top ? ST_ORPH_IN_USE : f->layer ? ST_ORPH_BACKING : ST_ORPH_REFERENCED;
    switch (f->kind) {
    case ST_FILE_SAVE:
        return ST_ORPH_SAVE;
    case ST_FILE_DAMAGED:
        return ST_ORPH_LEFTOVER;
    case ST_FILE_IMAGE:
        break;
    }
    return ST_ORPH_ORPHAN;
}

/* The file found at path; NULL when the scan did not find it. */
static st_found *lookup(const st_hash *index, st_orphans *o, const char *path)
{
    size_t at = path ? (size_t)(uintptr_t)st_hash_get(index, path) : 0;
    return at ? &o->v[at - 1] : NULL;
}

void st_orphans_classify(st_orphans *o)
{
    if (o->n)
        qsort(o->v, o->n, sizeof(st_found), cmp_found);
    st_hash index;
    st_hash_init(&index, NULL);
    for (size_t i = 0; i < o->n; i++) {
        st_found *f = &o->v[i];
        st_hash_put(&index, f->path, (void *)(uintptr_t)(i + 1));
        f->cls = first_class(f);
        f->removable = !f->n_by && !f->open && !f->host;
    }
    /* An unreferenced image below an unreferenced one is part of that one's chain. */
    for (size_t i = 0; i < o->n; i++) {
        st_found *f = &o->v[i], *b = lookup(&index, o, o->v[i].backing);
        if (f->n_by || !b || b->n_by || b->kind != ST_FILE_IMAGE)
            continue;
        b->cls = ST_ORPH_BELOW;
        if (!b->above)
            b->above = xstrdup(f->path);
    }
    /* Below a file that stays, a file stays: its chain still needs it. Down a chain at a time. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < o->n; i++) {
            st_found *b = lookup(&index, o, o->v[i].backing);
            if (b && b->removable && !o->v[i].removable) {
                b->removable = false;
                changed = true;
            }
        }
    }
    st_hash_clear(&index);
}

size_t st_orphans_removable(const st_orphans *o, uint64_t *bytes)
{
    size_t n = 0;
    *bytes = 0;
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].removable) {
            n++;
            *bytes += o->v[i].bytes;
        }
    return n;
}

static const char *class_name(st_orph_class c)
{
    static const char *const names[] = {"in-use",       "backing", "referenced", "orphan",
                                        "orphan-chain", "save",    "leftover"};
    return names[c];
}

const char *st_orph_class_label(st_orph_class c)
{
    switch (c) {
    case ST_ORPH_IN_USE:
        return _("in use");
    case ST_ORPH_BACKING:
        return _("backing file");
    case ST_ORPH_REFERENCED:
        return _("referenced");
    case ST_ORPH_ORPHAN:
        return _("orphan");
    case ST_ORPH_BELOW:
        return _("orphan's chain");
    case ST_ORPH_SAVE:
        return _("memory or save file");
    case ST_ORPH_LEFTOVER:
        break;
    }
    return _("leftover");
}

/* Whole days since mtime; never below 0 (a clock set back). */
static long long age_days(const st_found *f, long long now)
{
    return now > f->mtime ? (now - f->mtime) / 86400 : 0;
}

/* What the class says of the file: who references it, or why it is where it is. */
static char *why_text(const st_found *f)
{
    strbuf b;
    sb_init(&b);
    if (f->n_by) {
        sb_add(&b, _("by "));
        for (size_t i = 0; i < f->n_by; i++) {
            sb_add(&b, i ? ", " : "");
            sb_add(&b, f->by[i]);
        }
    } else if (f->cls == ST_ORPH_BELOW) {
        sb_printf(&b, _("below %s"), f->above);
    } else if (f->cls == ST_ORPH_LEFTOVER) {
        sb_add(&b, f->why ? f->why : "?");
    } else {
        sb_add(&b, _("nothing references it"));
    }
    if (f->open)
        sb_printf(&b, "%s%s", b.len ? "; " : "", _("open by a running QEMU"));
    return sb_steal(&b);
}

char *st_found_line(const st_found *f, long long now)
{
    char size[32];
    st_fmt_bytes(size, sizeof(size), f->bytes);
    long long days = age_days(f, now);
    char *age =
        f->host ? xasprintf(_("a volume of %s"), f->host)
                : xasprintf(ngettext("%lld day old", "%lld days old", (unsigned long)days), days);
    char *why = why_text(f);
    char *line =
        xasprintf("%s: %s  %s, %s, %s", st_orph_class_label(f->cls), f->path, size, age, why);
    free(age);
    free(why);
    return line;
}

void st_orphans_report_text(FILE *out, const st_orphans *o, long long now, bool utf8)
{
    for (size_t i = 0; i < o->n; i++) {
        char *line = st_found_line(&o->v[i], now);
        st_text_put(out, line, utf8);
        fputc('\n', out);
        free(line);
    }
    for (size_t i = 0; i < o->n_unscanned; i++) {
        fprintf(out, "%s: ", _("not scanned"));
        st_text_put(out, o->unscanned[i], utf8);
        fputc('\n', out);
    }
    uint64_t bytes;
    size_t n = st_orphans_removable(o, &bytes);
    char size[32];
    st_fmt_bytes(size, sizeof(size), bytes);
    char *found = xasprintf(ngettext("%zu file found", "%zu files found", o->n), o->n);
    char *in = xasprintf(ngettext("in %zu folder", "in %zu folders", o->n_folders), o->n_folders);
    char *rm =
        xasprintf(ngettext("%zu could be removed (%s)", "%zu could be removed (%s)", n), n, size);
    fprintf(out, _("%s %s: %s\n"), found, in, rm);
    free(found);
    free(in);
    free(rm);
}

void st_orphans_report_json(FILE *out, const st_orphans *o, long long now)
{
    uint64_t bytes;
    size_t n = st_orphans_removable(o, &bytes);
    fprintf(out, "{\"folders\":%zu,\"removable\":%zu,\"removable_bytes\":%llu,\"files\":[",
            o->n_folders, n, (unsigned long long)bytes);
    for (size_t i = 0; i < o->n; i++) {
        const st_found *f = &o->v[i];
        fprintf(out, "%s{\"path\":", i ? ",\n" : "\n");
        st_json_put(out, f->path);
        fprintf(out,
                ",\"class\":\"%s\",\"bytes\":%llu,\"mtime\":%lld,\"age_days\":", class_name(f->cls),
                (unsigned long long)f->bytes, f->mtime);
        if (f->host)
            fputs("null", out); /* a remote volume's time is not known */
        else
            fprintf(out, "%lld", age_days(f, now));
        fprintf(out, ",\"open\":%s,\"removable\":%s,\"below\":", f->open ? "true" : "false",
                f->removable ? "true" : "false");
        st_json_put(out, f->above);
        fputs(",\"why\":", out);
        st_json_put(out, f->why);
        fputs(",\"host\":", out);
        st_json_put(out, f->host);
        fputs(",\"referenced_by\":[", out);
        for (size_t k = 0; k < f->n_by; k++) {
            fputs(k ? "," : "", out);
            st_json_put(out, f->by[k]);
        }
        fputs("]}", out);
    }
    fputs("],\"not_scanned\":[", out);
    for (size_t i = 0; i < o->n_unscanned; i++) {
        fputs(i ? "," : "", out);
        st_json_put(out, o->unscanned[i]);
    }
    fputs("]}\n", out);
}
