/* The screen's layout: title, tree, detail pane, jobs panel and status line, drawn with paint.h.
 * Only visible rows are drawn. */
#include "config.h"

#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "backend/since.h"
#include "base/i18n.h"
#include "base/trace.h"
#include "base/util.h"
#include "core/text.h"
#include "view/app.h"

void st_layout(st_app *a)
{
    getmaxyx(stdscr, a->lines, a->cols);
    int body_top = 1, body_bottom = a->lines - 1; /* title above, status below */
    a->jobs_h = 0;
    size_t njobs = 0;
    for (size_t h = 0; h < a->n_hosts; h++)
        njobs += a->hosts[h] ? a->hosts[h]->n_jobs : 0;
    if (a->show_jobs && njobs && a->lines >= 16)
        a->jobs_h = (int)(njobs < 4 ? njobs : 4) + 1;
    body_bottom -= a->jobs_h;
    a->jobs_y = body_bottom;
    int body_h = body_bottom - body_top;
    a->tree_y = body_top;
    a->tree_w = a->cols;
    a->tree_h = body_h;
    a->detail_h = a->detail_w = 0;
    if (a->cols >= 120) {
        a->detail_w = a->cols * 2 / 5;
        a->tree_w = a->cols - a->detail_w - 1;
        a->detail_x = a->tree_w + 1;
        a->detail_y = body_top;
        a->detail_h = body_h;
    } else if (body_h >= 8) {
        /* Half the body: a snapshot's details fill ten lines; the rest scrolls. */
        a->detail_h = body_h / 2;
        a->tree_h = body_h - a->detail_h;
        a->detail_y = a->tree_y + a->tree_h;
        a->detail_x = 0;
        a->detail_w = a->cols;
    }
}

/* ---- rows ---- */

static const st_domain *row_dom(const st_app *a, const st_row *r)
{
    return &a->hosts[r->host]->doms[r->dom];
}

static const st_job *disk_job(const st_app *a, const st_row *r)
{
    const st_domain *d = row_dom(a, r);
    return st_host_disk_job(a->hosts[r->host], d->name, d->disks[r->disk].target, false);
}

static const st_job *domain_job(const st_app *a, const st_row *r)
{
    return st_host_disk_job(a->hosts[r->host], row_dom(a, r)->name, NULL, true);
}

static int state_pair(st_dom_state s)
{
    switch (s) {
    case ST_DOM_RUNNING:
        return PAIR_RUNNING;
    case ST_DOM_PAUSED:
    case ST_DOM_PMSUSPENDED:
        return PAIR_PAUSED;
    case ST_DOM_CRASHED:
        return PAIR_BROKEN;
    default:
        return PAIR_SHUTOFF;
    }
}

/* Each host state's words, full and short, indexed by st_host_state. */
static const struct {
    const char *label, *brief;
} host_state_words[] = {
    [ST_HOST_CONNECTING] = {N_("connecting"), N_("conn")},
    [ST_HOST_CONNECTED] = {N_("connected"), N_("ok")},
    [ST_HOST_NOT_RESPONDING] = {N_("not responding"), N_("hung")},
    [ST_HOST_RECONNECTING] = {N_("reconnecting"), N_("retry")},
    [ST_HOST_FAILED] = {N_("failed"), N_("failed")},
};

static bool host_state_known(st_host_state s)
{
    return (unsigned)s < sizeof(host_state_words) / sizeof(host_state_words[0]);
}

const char *st_host_state_label(st_host_state s)
{
    return host_state_known(s) ? _(host_state_words[s].label) : "?";
}

const char *st_host_state_short(st_host_state s)
{
    return host_state_known(s) ? _(host_state_words[s].brief) : "?";
}

/* The right-hand columns of a row, and their attribute. */
static void row_columns(st_app *a, const st_row *r, char *out, size_t n, int *attr)
{
    *attr = A_NORMAL;
    out[0] = '\0';
    const st_host *h = a->hosts[r->host];
    switch (r->kind) {
    case ROW_HOST: {
        const char *st = st_host_state_label(a->hstate[r->host]);
        if (h && h->libvirt_version)
            snprintf(out, n, "libvirt %s  %s", h->libvirt_version, st);
        else
            snprintf(out, n, "%s", st);
        if (a->hstate[r->host] != ST_HOST_CONNECTED)
            *attr = st_attr(a, PAIR_ERROR, A_BOLD);
        break;
    }
    case ROW_DOMAIN: {
        const st_domain *d = row_dom(a, r);
        const st_job *j = domain_job(a, r);
        char disks[32];
        snprintf(disks, sizeof(disks), ngettext("%zu disk", "%zu disks", d->n_disks), d->n_disks);
        char *state = st_pad(st_dom_state_label(d->state), 10);
        snprintf(out, n, "%s%s  %s %s", j ? st_job_kind_label(j->kind) : "",
                 j ? a->g->ellipsis : "", state, disks);
        free(state);
        *attr = st_attr(a, state_pair(d->state), d->state == ST_DOM_RUNNING ? A_BOLD : A_NORMAL);
        break;
    }
    case ROW_DISK: {
        const st_disk *k = &row_dom(a, r)->disks[r->disk];
        snprintf(out, n, "%s %s %s", k->device ? k->device : "", k->bus ? k->bus : "",
                 k->format ? k->format : "");
        break;
    }
    case ROW_LAYER: {
        const st_layer *l = &row_dom(a, r)->disks[r->disk].chain[r->layer];
        char vs[32], al[32];
        st_fmt_bytes(vs, sizeof(vs), l->virtual_size);
        st_fmt_bytes(al, sizeof(al), l->allocation);
        /* A virtual size of 0 is one not read (a network layer): "?", not "0 B". */
        snprintf(out, n, "%-6s %10s %10s", l->format ? l->format : "?", l->virtual_size ? vs : "?",
                 l->virtual_size ? al : "?");
        break;
    }
    case ROW_SNAPGROUP:
        break;
    case ROW_NOW: {
        const st_domain *d = row_dom(a, r);
        snprintf(out, n, "%s", st_dom_state_label(d->state));
        *attr = st_attr(a, state_pair(d->state), d->state == ST_DOM_RUNNING ? A_BOLD : A_NORMAL);
        break;
    }
    case ROW_BRANCH: {
        const st_branch *b = &row_dom(a, r)->branches[r->branch];
        snprintf(out, n, _("%s, left at %s"), b->disk ? b->disk : "?",
                 b->snapshot ? b->snapshot : "?");
        *attr = st_attr(a, PAIR_DIM, A_NORMAL);
        break;
    }
    case ROW_SNAPSHOT: {
        const st_snapshot *s = &row_dom(a, r)->snaps[r->snap];
        char when[32] = "";
        time_t t = (time_t)s->creation_time;
        struct tm tm;
        if (localtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        snprintf(out, n, "%s %s  %s", s->external ? _("external") : _("internal"),
                 s->memory ? _("+memory") : _("disk"), when);
        break;
    }
    }
}

/*
 * The columns of a narrow tree, where the full ones do not fit: what a row's state is must show at
 * any width. Writes the longest form that fits in `room` columns, else the shortest.
 */
static void row_columns_short(st_app *a, const st_row *r, int room, char *out, size_t n, int *attr)
{
    char full[96], brief[96];
    full[0] = brief[0] = '\0';
    *attr = A_NORMAL;
    if (r->kind == ROW_HOST) {
        snprintf(full, sizeof(full), "%s", st_host_state_label(a->hstate[r->host]));
        snprintf(brief, sizeof(brief), "%s", st_host_state_short(a->hstate[r->host]));
        if (a->hstate[r->host] != ST_HOST_CONNECTED)
            *attr = st_attr(a, PAIR_ERROR, A_BOLD);
    } else if (r->kind == ROW_DOMAIN) {
        const st_domain *d = row_dom(a, r);
        const st_job *j = domain_job(a, r);
        snprintf(full, sizeof(full), "%s%s%s%s", j ? st_job_kind_label(j->kind) : "",
                 j ? a->g->ellipsis : "", j ? " " : "", st_dom_state_label(d->state));
        /* The job's marker is the ellipsis, as after its name in the full form. */
        snprintf(brief, sizeof(brief), "%s%s%s", j ? a->g->ellipsis : "", j ? " " : "",
                 st_dom_state_short(d->state));
        *attr = st_attr(a, state_pair(d->state), d->state == ST_DOM_RUNNING ? A_BOLD : A_NORMAL);
    } else if (r->kind == ROW_DISK && disk_job(a, r)) {
        const st_job *j = disk_job(a, r);
        st_job_percent(j, brief, sizeof(brief));
        snprintf(full, sizeof(full), "%s %s", brief, st_job_kind_label(j->kind));
        *attr = A_BOLD;
    }
    snprintf(out, n, "%s", st_text_width(full) <= room ? full : brief);
}

/* A row's markers after its name, in up to three forms, the fullest first ("" where none). */
typedef struct row_mark {
    char full[512], mid[512], brief[512];
    int attr;
    bool message; /* full is a message (an error, why a layer is broken): text that may be cut */
} row_mark;

/*
 * Markers after the name: you are here, shared, broken, current. `mid` and `brief` are the forms
 * kept when the name and the full form do not fit together: fewer words, then the glyph or word
 * that still says it (the detail pane says the rest).
 */
/* The chain doctor's finding about the row's image, disk or domain, after the other markers:
 * its words in the full form, its level in the others. */
static void doctor_mark(st_app *a, const st_row *r, row_mark *m)
{
    if (r->kind != ROW_LAYER && r->kind != ROW_DISK && r->kind != ROW_DOMAIN)
        return;
    const st_domain *d = row_dom(a, r);
    const char *disk = r->kind == ROW_DOMAIN ? NULL : d->disks[r->disk].target;
    const char *path = r->kind == ROW_LAYER ? d->disks[r->disk].chain[r->layer].path : NULL;
    if (r->kind == ROW_LAYER && !path)
        return;
    const st_finding *x = st_findings_row_mark(&a->hosts[r->host]->doctor, d->name, disk, path);
    if (!x)
        return;
    const char *level = x->level == ST_DOC_ERROR ? _("error") : _("warning");
    size_t n = sizeof(m->full), len = strlen(m->full);
    snprintf(m->full + len, n - len, " [%s: %s]", level, x->text);
    len = strlen(m->mid);
    snprintf(m->mid + len, n - len, " [%s]", level);
    len = strlen(m->brief);
    snprintf(m->brief + len, n - len, " [%s]", level);
    if (m->attr == A_NORMAL || x->level == ST_DOC_ERROR)
        m->attr = st_attr(a, x->level == ST_DOC_ERROR ? PAIR_BROKEN : PAIR_PAUSED, A_BOLD);
    m->message = true;
}

static void row_marks(st_app *a, const st_row *r, row_mark *m)
{
    char *out = m->full, *mid = m->mid, *brief = m->brief;
    size_t n = sizeof(m->full);
    int *attr = &m->attr;
    out[0] = mid[0] = brief[0] = '\0';
    *attr = A_NORMAL;
    m->message = false;
    if (r->kind == ROW_LAYER) {
        const st_layer *l = &row_dom(a, r)->disks[r->disk].chain[r->layer];
        if (l->broken) {
            snprintf(out, n, " %s %s", _("BROKEN:"), l->broken);
            snprintf(brief, n, " %s", _("BROKEN"));
            *attr = st_attr(a, PAIR_BROKEN, A_BOLD);
            m->message = true;
        } else if (r->layer == 0) {
            snprintf(out, n, " %s %s", a->g->here, _("you are here"));
            snprintf(brief, n, " %s", a->g->here);
            *attr = st_attr(a, PAIR_HERE, A_BOLD);
        }
        if (l->n_shared) {
            size_t len = strlen(out), blen = strlen(brief);
            /* The words before it whole, the list of who shares it left to the detail pane. */
            snprintf(mid, n, "%s [%s]", out, _("shared"));
            snprintf(out + len, n - len, " [%s %s%s%s]", _("shared with"), l->shared_with[0],
                     l->n_shared > 1 ? ", " : "", l->n_shared > 1 ? a->g->ellipsis : "");
            snprintf(brief + blen, n - blen, " [%s]", _("shared"));
            if (!l->broken)
                *attr = st_attr(a, PAIR_SHARED, A_BOLD);
        }
    } else if (r->kind == ROW_SNAPSHOT) {
        const st_domain *d = row_dom(a, r);
        const st_snapshot *s = &d->snaps[r->snap], *cur;
        const char *why;
        if (s->current) {
            /* The domain is here only until it moves on: then NOW, below it, is (since.h). */
            bool here = st_domain_since_current(d, &cur, &why) == ST_SINCE_AT;
            snprintf(out, n, " %s %s", a->g->current,
                     here ? _("current: you are here") : _("current"));
            snprintf(mid, n, " %s %s", a->g->current, _("current"));
            snprintf(brief, n, " %s", a->g->current);
            *attr = st_attr(a, PAIR_HERE, A_BOLD);
        }
    } else if (r->kind == ROW_NOW) {
        const st_domain *d = row_dom(a, r);
        const st_snapshot *cur;
        const char *why;
        bool known = st_domain_since_current(d, &cur, &why) == ST_SINCE_MOVED;
        snprintf(out, n, " %s %s", a->g->here,
                 known ? _("you are here (moved on)") : _("you are here (may have moved on)"));
        snprintf(brief, n, " %s", a->g->here);
        *attr = st_attr(a, PAIR_HERE, A_BOLD);
    } else if (r->kind == ROW_DISK) {
        const st_disk *k = &row_dom(a, r)->disks[r->disk];
        if (k->chain_unknown)
            snprintf(out, n, " (%s)", _("chain below not known"));
    } else if (r->kind == ROW_BRANCH) {
        snprintf(out, n, " %s", _("(detached branch)"));
        *attr = st_attr(a, PAIR_SHARED, A_BOLD);
    } else if (r->kind == ROW_DOMAIN) {
        const st_domain *d = row_dom(a, r);
        if (d->managed_save) {
            snprintf(out, n, " %s", _("[managed save]"));
            *attr = st_attr(a, PAIR_PAUSED, A_BOLD);
        }
        if (d->error) {
            snprintf(out, n, " %s", d->error);
            *attr = st_attr(a, PAIR_BROKEN, A_BOLD);
            m->message = true;
        }
    } else if (r->kind == ROW_HOST) {
        const st_host *h = a->hosts[r->host];
        if (h && h->error) {
            snprintf(out, n, " %s", h->error);
            *attr = st_attr(a, PAIR_ERROR, A_BOLD);
            m->message = true;
        }
    }
}

static int draw_guides(st_app *a, int y, const st_row *r)
{
    int x = 0;
    move(y, 0);
    int depth = r->depth < ST_TREE_MAX_GUIDES ? r->depth : ST_TREE_MAX_GUIDES;
    /* Deep snapshot trees would push names off screen: past 24 levels, stop indenting. */
    int shown_from = depth > 24 ? depth - 24 : 0;
    for (int d = shown_from; d < depth - 1; d++) {
        x += st_put(a, y, x, 3, (r->open_mask >> (d + 1)) & 1 ? a->g->vert : a->g->blank,
                    st_attr(a, PAIR_DIM, A_NORMAL));
        if (x >= a->tree_w)
            return x;
    }
    if (r->depth > 0)
        x += st_put(a, y, x, 3, r->last ? a->g->corner : a->g->tee, st_attr(a, PAIR_DIM, A_NORMAL));
    const char *exp =
        r->has_children ? (r->expanded ? a->g->expanded : a->g->collapsed) : a->g->leaf;
    x += st_put(a, y, x, 2, exp, A_NORMAL);
    return x;
}

/* A disk's job as a bar with its percentage, where the columns would go; false: no room. */
static bool draw_disk_job(st_app *a, int y, int x, int used, const st_row *r)
{
    const st_job *j = disk_job(a, r);
    int jw = a->tree_w - x - used - 2;
    if (jw > 40)
        jw = 40;
    if (!j || jw < 16)
        return false;
    /* A job that reports no progress has no bar: a full one would be a fake 100%. */
    int bw = !j->end ? 0 : jw >= 36 ? 14 : 6;
    char pct[16] = "", text[96];
    if (j->end) /* without progress, the phase says all */
        st_job_percent(j, pct, sizeof(pct));
    snprintf(text, sizeof(text), " %s%s%s %s", pct, pct[0] ? " " : "", st_job_kind_label(j->kind),
             st_job_phase_label(j->phase));
    int px = a->tree_w - jw;
    move(y, px);
    for (int i = px; i < a->tree_w; i++)
        addch(' ');
    st_draw_bar(a, y, px, bw, st_job_fraction(j));
    st_put(a, y, px + bw, jw - bw, text, A_BOLD);
    return true;
}

/* A name keeps this many columns before the right-hand columns take the short form. */
#define NAME_MIN 12

/* The right-hand columns that fit beside the name; returns their width (0: none). */
static int fit_columns(st_app *a, const st_row *r, int x, char *cols, size_t n, int *attr)
{
    int room = a->tree_w - x - NAME_MIN;
    cols[0] = '\0';
    if (a->tree_w >= 60) {
        row_columns(a, r, cols, n, attr);
        if (st_text_width(cols) <= room)
            return st_text_width(cols);
    }
    row_columns_short(a, r, room, cols, n, attr);
    return st_text_width(cols);
}

/* A name keeps this many columns beside a marker before the marker takes a shorter form. */
#define MARK_NAME_MIN 8

/*
 * Which form of the marker goes beside a name `nw` columns wide in `left` columns; *name_cols is
 * what the name may take. A marker is never cut: the name gives way to it, down to MARK_NAME_MIN
 * columns, before it takes a shorter form; where not even that fits, the shortest form whole
 * beside at least 2 columns of the name, else none. A message is text: the name stays whole and
 * the message takes the rest, cut, but never below its brief form.
 */
static const char *fit_mark(const row_mark *m, int nw, int left, int *name_cols)
{
    int fw = st_text_width(m->full);
    *name_cols = left;
    if (nw + fw <= left || !m->full[0]) {
        *name_cols = left - fw;
        return m->full;
    }
    if (m->message) {
        int bw = st_text_width(m->brief), mark_w = fw;
        const char *mark = m->full;
        if (m->brief[0]) {
            mark_w = left - nw > bw ? left - nw : bw;
            if (mark_w == bw)
                mark = m->brief;
        }
        *name_cols = left - mark_w < 4 ? left : left - mark_w;
        return mark;
    }
    const char *forms[] = {m->full, m->mid, m->brief};
    int least = nw < MARK_NAME_MIN ? nw : MARK_NAME_MIN;
    const char *shortest = NULL;
    for (size_t i = 0; i < 3; i++) {
        if (!forms[i][0])
            continue;
        shortest = forms[i];
        if (st_text_width(forms[i]) + least <= left) {
            *name_cols = left - st_text_width(forms[i]);
            return forms[i];
        }
    }
    if (shortest && st_text_width(shortest) + 2 <= left) {
        *name_cols = left - st_text_width(shortest);
        return shortest;
    }
    return "";
}

static void draw_row(st_app *a, int y, const st_row *r, bool selected)
{
    char cols[160];
    int cattr;
    row_mark rm;
    row_marks(a, r, &rm);
    doctor_mark(a, r, &rm);
    int x = draw_guides(a, y, r);
    int cw = fit_columns(a, r, x, cols, sizeof(cols), &cattr);
    if (cw > a->tree_w - x - 2)
        cw = 0; /* not even the short form fits beside the guides */
    int name_w = a->tree_w - x - (cw ? cw + 2 : 0);
    const char *name = st_row_name(r, a->hosts, (const char *const *)a->labels);
    int nattr = selected ? A_REVERSE | A_BOLD
                         : (r->kind == ROW_DOMAIN || r->kind == ROW_HOST ? A_BOLD : A_NORMAL);
    int used = 0;
    if (r->kind == ROW_LAYER) {
        /* The depth in the chain, as --list and the pickers number layers: 0 is the active. */
        char depth[16];
        snprintf(depth, sizeof(depth), "[%zu] ", r->layer);
        used += st_put(a, y, x, name_w, depth, st_attr(a, PAIR_DIM, A_DIM));
    }
    /* Name and markers share what is left: the name is cut before a marker is. */
    int keep;
    const char *mark = fit_mark(&rm, st_text_width(name), name_w - used, &keep);
    used += st_put(a, y, x + used, keep, name, nattr);
    if (r->kind == ROW_SNAPGROUP) {
        char cnt[32];
        snprintf(cnt, sizeof(cnt), " (%zu)", row_dom(a, r)->n_snaps);
        used += st_put(a, y, x + used, name_w - used, cnt, A_NORMAL);
    }
    st_put(a, y, x + used, name_w - used, mark, rm.attr);
    /* The job's bar takes the columns' place on the disk's own line. */
    if (r->kind == ROW_DISK && draw_disk_job(a, y, x, used, r))
        return;
    if (cw)
        st_put_right(a, y, a->tree_w - cw, cw, cols, cattr);
}

static void draw_tree(st_app *a)
{
    if (a->sel < a->top)
        a->top = a->sel;
    if (a->tree_h > 0 && a->sel >= a->top + (size_t)a->tree_h)
        a->top = a->sel - a->tree_h + 1;
    /* A tree that got shorter (collapsed, a refresh) or a taller window: no rows hidden above
     * while blank rows are left below. */
    if (a->tree_h > 0 && a->top > 0 && a->top + (size_t)a->tree_h > a->tree.n)
        a->top = a->tree.n > (size_t)a->tree_h ? a->tree.n - (size_t)a->tree_h : 0;
    /* erase() in st_draw blanked the screen: only the rows in view are written, once. */
    for (int i = 0; i < a->tree_h; i++) {
        size_t idx = a->top + i;
        if (idx >= a->tree.n)
            continue;
        draw_row(a, a->tree_y + i, &a->tree.rows[idx], idx == a->sel);
    }
    if (!a->tree.n)
        st_put(a, a->tree_y, 2, a->tree_w - 2, _("Connecting…"), A_DIM);
}

/* ---- jobs panel, title and status ---- */

/* The local clock time ("14:05:09") of a moment given as st_now() then; NULL if unknown. */
static const char *fmt_clock(double then, char *out, size_t n)
{
    time_t t = time(NULL) - (time_t)(st_now() - then + 0.5);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(out, n, "%H:%M:%S", &tm))
        return NULL;
    return out;
}

static void draw_job_line(st_app *a, int y, const st_job *j)
{
    move(y, 0);
    clrtoeol();
    char who[256], buf[256];
    snprintf(who, sizeof(who), "%s%s%s", j->domain ? j->domain : "?", j->disk ? "/" : "",
             j->disk ? j->disk : "");
    /* Narrow terminals keep what matters most first: who, what, how far, and the phase. */
    bool wide = a->cols >= 100;
    int ww = wide ? 22 : 16, kw = wide ? 16 : 14, bw = wide ? 20 : 8;
    st_put(a, y, 1, ww, who, A_BOLD);
    int x = 2 + ww;
    st_put(a, y, x, kw, st_job_kind_label(j->kind), A_NORMAL);
    x += kw + 1;
    if (j->end) /* no bar for a job without progress figures: never a fake 100% */
        st_draw_bar(a, y, x, bw, st_job_fraction(j));
    x += bw + 1;
    int pattr = j->phase == ST_PHASE_FAILED ? st_attr(a, PAIR_ERROR, A_BOLD) : (int)A_BOLD;
    x += st_put(a, y, x, a->cols - x, st_job_phase_label(j->phase), pattr) + 2;
    st_job_figures(j, st_now(), buf, sizeof(buf));
    x += st_put(a, y, x, a->cols - x, buf, A_NORMAL) + 2;
    /* Why it failed comes before the rest, which a narrow line may cut. */
    if (j->error)
        x += st_put(a, y, x, a->cols - x, j->error, st_attr(a, PAIR_ERROR, A_NORMAL)) + 2;
    /* Two finished jobs on one disk read the same but for where they merged and when. */
    char ended[16];
    st_job_about(j, j->finished > 0 ? fmt_clock(j->finished, ended, sizeof(ended)) : NULL, buf,
                 sizeof(buf));
    if (buf[0] && x < a->cols)
        st_put(a, y, x, a->cols - x, buf, st_attr(a, PAIR_DIM, A_DIM));
}

/*
 * The panel has room for a few lines: running jobs come first, then finished ones newest first,
 * so that a job just started is never hidden behind ones that ended a minute ago.
 */
static void draw_jobs(st_app *a)
{
    if (!a->jobs_h)
        return;
    int y = a->jobs_y;
    move(y, 0);
    attron(A_BOLD);
    for (int x = 0; x < a->cols; x++)
        addstr(a->g->hline);
    st_put(a, y, 1, a->cols - 2, _(" Jobs (J hides) "), A_BOLD);
    attroff(A_BOLD);
    y++;
    for (int pass = 0; pass < 2; pass++)
        for (size_t h = 0; h < a->n_hosts && y < a->jobs_y + a->jobs_h; h++) {
            const st_host *host = a->hosts[h];
            for (size_t k = host ? host->n_jobs : 0; k-- > 0 && y < a->jobs_y + a->jobs_h;) {
                const st_job *j = &host->jobs[k];
                if (st_job_phase_final(j->phase) == (pass == 0))
                    continue;
                draw_job_line(a, y++, j);
            }
        }
}

static void draw_title(st_app *a)
{
    int attr = st_attr(a, PAIR_TITLE, A_REVERSE);
    move(0, 0);
    attron(attr);
    for (int x = 0; x < a->cols; x++)
        addch(' ');
    size_t ndom = 0, njob = 0;
    for (size_t h = 0; h < a->n_hosts; h++)
        if (a->hosts[h]) {
            ndom += a->hosts[h]->n_doms;
            for (size_t i = 0; i < a->hosts[h]->n_jobs; i++)
                njob += !st_job_phase_final(a->hosts[h]->jobs[i].phase);
        }
    char t[256], group[160] = "";
    if (a->group)
        snprintf(group, sizeof(group), _("[group %s]  "), a->group);
    snprintf(t, sizeof(t), "virt-snaptree %s  %s%s", VERSION, a->readonly ? _("[read-only]  ") : "",
             group);
    int x = st_put(a, 0, 1, a->cols - 1, t, attr | A_BOLD);
    char counts[128];
    snprintf(counts, sizeof(counts), ngettext("%zu domain", "%zu domains", ndom), ndom);
    if (njob) {
        size_t l = strlen(counts);
        snprintf(counts + l, sizeof(counts) - l,
                 ngettext(", %zu job running", ", %zu jobs running", njob), njob);
    }
    x += st_put(a, 0, 1 + x, a->cols - 2 - x, counts, attr);
    const char *hint = _("? help  q quit");
    int hw = st_text_width(hint);
    if (a->cols - hw - 1 > x + 2)
        st_put(a, 0, a->cols - hw - 1, hw, hint, attr);
    attroff(attr);
}

/* For the benchmarks: what this paint showed (see src/base/trace.h). */
static void trace_paint(const st_app *a)
{
    size_t doms = 0, layers = 0, snaps = 0, running = 0, done = 0;
    int last_ours = 0; /* the newest job of ours that completed */
    for (size_t h = 0; h < a->n_hosts; h++) {
        const st_host *host = a->hosts[h];
        for (size_t i = 0; host && i < host->n_doms; i++) {
            const st_domain *d = &host->doms[i];
            doms++;
            snaps += d->n_snaps;
            for (size_t k = 0; k < d->n_disks; k++)
                layers += d->disks[k].n_chain;
        }
        for (size_t i = 0; host && i < host->n_jobs; i++) {
            running += !st_job_phase_final(host->jobs[i].phase);
            done += host->jobs[i].phase == ST_PHASE_COMPLETED;
            if (host->jobs[i].phase == ST_PHASE_COMPLETED && host->jobs[i].ours &&
                host->jobs[i].id > last_ours)
                last_ours = host->jobs[i].id;
        }
    }
    st_trace("paint domains=%zu layers=%zu snapshots=%zu rows=%zu jobs_running=%zu "
             "jobs_completed=%zu last_completed_ours=%d",
             doms, layers, snaps, a->tree.n, running, done, last_ours);
}

void st_draw(st_app *a)
{
    st_layout(a);
    erase();
    if (a->lines < 8 || a->cols < 30) {
        mvaddstr(0, 0, a->cols >= 20 ? _("Terminal too small") : "");
        char need[64];
        snprintf(need, sizeof(need), _("need 30x8, have %dx%d"), a->cols, a->lines);
        if (a->lines > 1)
            st_put(a, 1, 0, a->cols, need, A_NORMAL);
        refresh();
        return;
    }
    draw_title(a);
    draw_tree(a);
    st_draw_detail(a);
    draw_jobs(a);
    a->cursor_y = -1;
    st_draw_status(a);
    if (a->dialog)
        a->dialog->ops->draw(a, a->dialog);
    /* The cursor stays hidden but on the selected row (a screen reader follows it), except
     * under a dialog, which leaves it where it drew (moved to the tree's row under a dialog, it
     * was seen to leave a half-drawn frame after a resize: tests/tui/tui-sizes.sh), and where a
     * line is being typed: there it shows. */
    if (a->cursor_y >= 0)
        move(a->cursor_y, a->cursor_x);
    else if (!a->dialog)
        move(a->tree_y + (int)(a->sel - a->top), 0);
    curs_set(a->cursor_y >= 0 ? 1 : 0);
    refresh();
    if (st_trace_on())
        trace_paint(a);
}
