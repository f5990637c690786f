#include "config.h"

#include "core/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"

/* ---- which domains ---- */

static bool named(const char *name, char *const *names, size_t n_names, bool *found)
{
    bool hit = false;
    for (size_t j = 0; j < n_names; j++)
        if (streq0(name, names[j]))
            hit = found[j] = true;
    return hit;
}

void st_report_keep_domains(st_host *const *hosts, size_t n, char *const *names, size_t n_names,
                            bool *found)
{
    for (size_t i = 0; i < n; i++) {
        st_host *h = hosts[i];
        size_t kept = 0;
        for (size_t k = 0; k < h->n_doms; k++) {
            if (named(h->doms[k].name, names, n_names, found))
                h->doms[kept++] = h->doms[k];
            else
                st_domain_clear(&h->doms[k]);
        }
        h->n_doms = kept;
    }
}

/* ---- JSON ---- */

static void json_str(FILE *out, const char *s)
{
    st_json_put(out, s);
}

/*
 * A path's exact bytes in lower-case hex when it is not valid UTF-8 (JSON cannot carry them: the
 * "path" string has U+FFFD in their place); null otherwise.
 */
static void json_path_bytes(FILE *out, const char *path)
{
    if (!path || st_utf8_valid(path)) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        fprintf(out, "%02x", *p);
    fputc('"', out);
}

static void json_layer(FILE *out, const st_layer *l)
{
    fputs("{\"path\":", out);
    json_str(out, l->path);
    fputs(",\"path_bytes_hex\":", out);
    json_path_bytes(out, l->path);
    fputs(",\"format\":", out);
    json_str(out, l->format);
    fprintf(out, ",\"virtual_size\":%" PRIu64 ",\"allocation\":%" PRIu64, l->virtual_size,
            l->allocation);
    if (l->merge_known)
        fprintf(out, ",\"merge_grows\":%" PRIu64, l->merge_grows);
    else
        fputs(",\"merge_grows\":null", out);
    if (l->backing_index >= 0)
        fprintf(out, ",\"backing_index\":%d", l->backing_index);
    else
        fputs(",\"backing_index\":null", out);
    fputs(",\"shared_with\":[", out);
    for (size_t i = 0; i < l->n_shared; i++) {
        if (i)
            fputc(',', out);
        json_str(out, l->shared_with[i]);
    }
    fputs("],\"broken\":", out);
    json_str(out, l->broken);
    fputc('}', out);
}

static void json_disk(FILE *out, const st_disk *d)
{
    fputs("{\"target\":", out);
    json_str(out, d->target);
    fputs(",\"device\":", out);
    json_str(out, d->device);
    fputs(",\"bus\":", out);
    json_str(out, d->bus);
    fputs(",\"type\":", out);
    json_str(out, d->type);
    fprintf(out, ",\"readonly\":%s", d->readonly ? "true" : "false");
    fputs(",\"chain_unknown\":", out);
    json_str(out, d->chain_unknown);
    fputs(",\"chain\":[", out);
    for (size_t i = 0; i < d->n_chain; i++) {
        if (i)
            fputc(',', out);
        json_layer(out, &d->chain[i]);
    }
    fputs("]}", out);
}

static void json_snapshot(FILE *out, const st_snapshot *s)
{
    fputs("{\"name\":", out);
    json_str(out, s->name);
    fputs(",\"parent\":", out);
    json_str(out, s->parent);
    fprintf(out, ",\"current\":%s,\"location\":\"%s\",\"memory\":%s", s->current ? "true" : "false",
            s->external ? "external" : "internal", s->memory ? "true" : "false");
    fputs(",\"state\":", out);
    json_str(out, s->state);
    fprintf(out, ",\"creation_time\":%lld,\"description\":", s->creation_time);
    json_str(out, s->description ? s->description : "");
    fputc('}', out);
}

static void json_domain(FILE *out, const st_domain *d)
{
    fputs("{\"name\":", out);
    json_str(out, d->name);
    fputs(",\"uuid\":", out);
    json_str(out, d->uuid);
    fprintf(out, ",\"state\":\"%s\",\"persistent\":%s", st_dom_state_name(d->state),
            d->persistent ? "true" : "false");
    fputs(",\"error\":", out);
    json_str(out, d->error);
    fputs(",\"disks\":[", out);
    for (size_t i = 0; i < d->n_disks; i++) {
        if (i)
            fputc(',', out);
        json_disk(out, &d->disks[i]);
    }
    fputs("],\"snapshots\":[", out);
    for (size_t i = 0; i < d->n_snaps; i++) {
        if (i)
            fputc(',', out);
        json_snapshot(out, &d->snaps[i]);
    }
    fputs("]}", out);
}

void st_report_json(FILE *out, st_host *const *hosts, size_t n)
{
    st_report_json_named(out, hosts, n, NULL, NULL);
}

void st_report_json_named(FILE *out, st_host *const *hosts, size_t n, char *const *labels,
                          char *const *groups)
{
    fputs("{\"hosts\":[", out);
    for (size_t h = 0; h < n; h++) {
        const st_host *host = hosts[h];
        if (h)
            fputc(',', out);
        fputs("{\"uri\":", out);
        json_str(out, host->uri);
        fputs(",\"label\":", out);
        json_str(out, labels ? labels[h] : NULL);
        fputs(",\"group\":", out);
        json_str(out, groups ? groups[h] : NULL);
        fputs(",\"libvirt_version\":", out);
        json_str(out, host->libvirt_version);
        fputs(",\"hypervisor\":", out);
        json_str(out, host->hv_type);
        fputs(",\"hypervisor_version\":", out);
        json_str(out, host->hv_version);
        fprintf(out, ",\"reachable\":%s,\"error\":", host->reachable ? "true" : "false");
        json_str(out, host->error);
        fputs(",\"domains\":[", out);
        for (size_t i = 0; i < host->n_doms; i++) {
            if (i)
                fputc(',', out);
            json_domain(out, &host->doms[i]);
        }
        fputs("]}", out);
    }
    fputs("]}\n", out);
}

/* ---- snapshot forest order ---- */

static void visit(const st_domain *d, size_t i, int depth, size_t *order, int *dep, size_t *k,
                  bool *done)
{
    if (done[i])
        return;
    done[i] = true;
    order[*k] = i;
    dep[(*k)++] = depth;
    for (size_t c = 0; c < d->n_snaps; c++)
        if (!done[c] && streq0(d->snaps[c].parent, d->snaps[i].name))
            visit(d, c, depth + 1, order, dep, k, done);
}

size_t *st_snapshot_order(const st_domain *d, int **depth)
{
    size_t *order = xcalloc(d->n_snaps + 1, sizeof(size_t));
    int *dep = xcalloc(d->n_snaps + 1, sizeof(int));
    bool *done = xcalloc(d->n_snaps + 1, sizeof(bool));
    size_t k = 0;
    for (size_t i = 0; i < d->n_snaps; i++)
        if (!d->snaps[i].parent || !st_domain_find_snapshot(d, d->snaps[i].parent))
            visit(d, i, 0, order, dep, &k, done);
    /* A parent loop (corrupt metadata) would leave snapshots unvisited: list them at the root. */
    for (size_t i = 0; i < d->n_snaps; i++)
        visit(d, i, 0, order, dep, &k, done);
    free(done);
    *depth = dep;
    return order;
}

/* ---- text ---- */

typedef struct tree_out {
    FILE *out;
    bool utf8, boxes;
    char prefix[512]; /* the guide lines of the ancestors */
    size_t plen;
} tree_out;

static void put_safe(tree_out *t, const char *s)
{
    char *safe = st_text_sanitize(s ? s : "", t->utf8);
    fputs(safe, t->out);
    free(safe);
}

static void branch(tree_out *t, bool last)
{
    fputs(t->prefix, t->out);
    fputs(t->boxes ? (last ? "└─ " : "├─ ") : (last ? "`- " : "|- "), t->out);
}

static void push(tree_out *t, bool last)
{
    const char *g = t->boxes ? (last ? "   " : "│  ") : (last ? "   " : "|  ");
    size_t gl = strlen(g);
    if (t->plen + gl < sizeof(t->prefix)) {
        memcpy(t->prefix + t->plen, g, gl + 1);
        t->plen += gl;
    }
}

static void pop(tree_out *t, bool last)
{
    size_t gl = strlen(t->boxes ? (last ? "   " : "│  ") : (last ? "   " : "|  "));
    if (t->plen >= gl) {
        t->plen -= gl;
        t->prefix[t->plen] = '\0';
    }
}

static void text_layer(tree_out *t, const st_layer *l, size_t depth, bool active, bool last)
{
    char vs[32], al[32];
    st_fmt_bytes(vs, sizeof(vs), l->virtual_size);
    st_fmt_bytes(al, sizeof(al), l->allocation);
    branch(t, last);
    fprintf(t->out, "[%zu] ", depth);
    put_safe(t, l->path);
    fprintf(t->out, "  %s  ", l->format ? l->format : "?");
    /* No layer has a virtual size of 0: it is one that was not read (a network layer). */
    if (l->virtual_size)
        fprintf(t->out, _("virtual %s, allocated %s"), vs, al);
    else
        fputs(_("sizes not known here"), t->out);
    if (active)
        fprintf(t->out, "  %s", _("<- you are here"));
    if (l->n_shared) {
        fprintf(t->out, "  %s ", _("shared with:"));
        for (size_t i = 0; i < l->n_shared; i++) {
            if (i)
                fputs(", ", t->out);
            put_safe(t, l->shared_with[i]);
        }
    }
    if (l->broken) {
        fprintf(t->out, "  %s ", _("BROKEN:"));
        put_safe(t, l->broken);
    }
    fputc('\n', t->out);
}

static void text_disk(tree_out *t, const st_disk *d, bool last)
{
    branch(t, last);
    put_safe(t, d->target);
    fprintf(t->out, "  %s %s %s", d->device ? d->device : "disk", d->bus ? d->bus : "?",
            d->format ? d->format : "?");
    if (d->readonly)
        fprintf(t->out, " %s", _("read-only"));
    fputc('\n', t->out);
    push(t, last);
    for (size_t i = 0; i < d->n_chain; i++)
        text_layer(t, &d->chain[i], i, i == 0, i + 1 == d->n_chain && !d->chain_unknown);
    if (d->chain_unknown) {
        branch(t, true);
        fprintf(t->out, "%s ", _("chain not known:"));
        put_safe(t, d->chain_unknown);
        fputc('\n', t->out);
    }
    if (!d->n_chain && !d->chain_unknown) {
        branch(t, true);
        fprintf(t->out, "%s\n", _("(no media)"));
    }
    pop(t, last);
}

static const char *snapshot_kind(const st_snapshot *s)
{
    if (!s->external)
        return s->memory ? _("internal, with memory") : _("internal, disk only");
    return s->memory ? _("external, with memory") : _("external, disk only");
}

static void text_snapshots(tree_out *t, const st_domain *d)
{
    branch(t, true);
    fprintf(t->out, ngettext("%zu snapshot", "%zu snapshots", d->n_snaps), d->n_snaps);
    if (d->snaps_error) {
        fputs("  ", t->out);
        put_safe(t, d->snaps_error);
    }
    fputc('\n', t->out);
    int *depth;
    size_t *order = st_snapshot_order(d, &depth);
    for (size_t k = 0; k < d->n_snaps; k++) {
        const st_snapshot *s = &d->snaps[order[k]];
        fputs(t->prefix, t->out);
        fputs("   ", t->out);
        for (int i = 0; i < depth[k]; i++)
            fputs("  ", t->out);
        fputs(t->boxes ? "• " : "* ", t->out);
        put_safe(t, s->name);
        char when[64] = "";
        time_t ct = (time_t)s->creation_time;
        struct tm tm;
        if (localtime_r(&ct, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(t->out, "  %s  %s  %s", snapshot_kind(s), s->state ? s->state : "?", when);
        if (s->current)
            fprintf(t->out, "  %s", _("<- current"));
        if (s->description && *s->description) {
            fputs("  \"", t->out);
            put_safe(t, s->description);
            fputc('"', t->out);
        }
        fputc('\n', t->out);
    }
    free(order);
    free(depth);
}

static void text_domain(tree_out *t, const st_domain *d, bool last)
{
    branch(t, last);
    put_safe(t, d->name);
    fprintf(t->out, "  %s  %s", st_dom_state_label(d->state),
            d->persistent ? _("persistent") : _("transient"));
    if (d->managed_save)
        fprintf(t->out, "  %s", _("managed save"));
    if (d->error) {
        fputs("  ", t->out);
        put_safe(t, d->error);
    }
    fputc('\n', t->out);
    push(t, last);
    for (size_t i = 0; i < d->n_disks; i++)
        text_disk(t, &d->disks[i], false);
    text_snapshots(t, d);
    pop(t, last);
}

void st_report_text(FILE *out, st_host *const *hosts, size_t n, bool utf8, bool boxes)
{
    tree_out t = {.out = out, .utf8 = utf8, .boxes = boxes};
    for (size_t h = 0; h < n; h++) {
        const st_host *host = hosts[h];
        put_safe(&t, host->uri ? host->uri : host->name ? host->name : _("default host"));
        if (host->libvirt_version)
            fprintf(out, "  libvirt %s", host->libvirt_version);
        if (host->hv_version)
            fprintf(out, "  %s %s", host->hv_type ? host->hv_type : "hypervisor", host->hv_version);
        if (!host->reachable || host->error) {
            fprintf(out, "  %s ", _("error:"));
            put_safe(&t, host->error ? host->error : _("not reachable"));
        }
        fputc('\n', out);
        for (size_t i = 0; i < host->n_doms; i++)
            text_domain(&t, &host->doms[i], i + 1 == host->n_doms);
        if (!host->n_doms && host->reachable)
            fprintf(out, "%s\n", _("(no domains)"));
    }
}
