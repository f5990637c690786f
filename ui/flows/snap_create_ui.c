/*
 * The create form, laid out for the keyboard: name (a timestamp by default), description, kind,
 * memory file and flags where they apply, then one line per disk with its choice (external /
 * internal / no) and overlay file. Up/Down move, Enter edits a text or changes a choice, Space
 * changes a choice; the last line opens the plan screen.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/snapplan.h"
#include "core/text.h"
#include "flows/flows.h"
#include "flows/snap_ui.h"
#include "view/widgets.h"

/* F_ABSENT: why kinds the domain's state does not allow are not offered; F_FIRMWARE: what a UEFI
 * guest's firmware allows (neither is focusable). */
typedef enum {
    F_NAME,
    F_DESC,
    F_KIND,
    F_ABSENT,
    F_FIRMWARE,
    F_MEMFILE,
    F_LIVE,
    F_QUIESCE,
    F_DISK,
    F_GO
} fkind;

typedef struct frow {
    fkind k;
    size_t disk; /* F_DISK: which diskspec; F_FIRMWARE: which line */
} frow;

typedef struct cform {
    size_t host;
    char *dom;
    st_request req;
    bool *file_edited; /* per disk: the admin typed the overlay name (keep it on renames) */
    bool mem_edited;
    bool has_agent;          /* the quiesce line is shown: there is an agent channel */
    const char *quiesce_why; /* why quiesce is off and cannot be chosen; NULL: it can */
    char *absent;            /* the kind not offered and why ("not offered: …; …"); NULL */
    const char *firmware[2]; /* a UEFI guest: the kinds its firmware allows here, and what
                              * becomes of its NVRAM; NULL */
    size_t sel, top;         /* the focused row, and the first row in view */
    size_t rows_in_view;     /* at the last draw: a page */
    frow rows[64];
    size_t n_rows;
} cform;

/* Rows that only say something: never focused. */
static bool says_only(fkind k)
{
    return k == F_ABSENT || k == F_FIRMWARE;
}

static void cform_free(cform *c)
{
    free(c->dom);
    free(c->absent);
    st_request_clear(&c->req);
    free(c->file_edited);
    free(c);
}

static const st_domain *form_domain(st_app *a, const cform *c)
{
    const st_host *h = a->hosts[c->host];
    return h ? st_host_find_domain(h, c->dom) : NULL;
}

/* A kind in a few words (the Kind row says more). */
static const char *kind_name(st_snap_kind k)
{
    switch (k) {
    case ST_SNAP_KIND_INTERNAL:
        return _("internal");
    case ST_SNAP_KIND_DISK_ONLY:
        return _("external disk-only");
    case ST_SNAP_KIND_MEMORY:
        return _("external with memory");
    }
    return "";
}

/* The kind after k among those the domain's state allows (k itself when it is the only one). */
static st_snap_kind next_kind(const st_domain *d, st_snap_kind k)
{
    for (int i = 1; i <= 3; i++) {
        st_snap_kind next = (st_snap_kind)((k + i) % 3);
        if (!d || !st_snap_kind_unavailable(d, next))
            return next;
    }
    return k;
}

/* Which kinds the state leaves out, and why; a kind chosen that is no longer allowed (the domain
 * stopped while the form was open) goes back to the article's. Returns whether it changed. */
static bool check_kinds(cform *c, const st_host *h, const st_domain *d)
{
    free(c->absent);
    c->absent = NULL;
    c->firmware[0] = st_snap_firmware_kinds(h, d);
    c->firmware[1] = st_snap_firmware_nvram(h, d);
    for (st_snap_kind k = ST_SNAP_KIND_INTERNAL; k <= ST_SNAP_KIND_MEMORY; k++) {
        const char *why = st_snap_kind_unavailable(d, k);
        if (why && !c->absent)
            c->absent = xasprintf(_("not offered: %s; %s"), kind_name(k), why);
    }
    if (!st_snap_kind_unavailable(d, c->req.snap_kind))
        return false;
    c->req.snap_kind = ST_SNAP_KIND_DISK_ONLY;
    c->req.flags &= ~(ST_F_LIVE | ST_F_QUIESCE);
    return true;
}

static void layout_rows(cform *c)
{
    size_t n = 0;
    c->rows[n++] = (frow){F_NAME, 0};
    c->rows[n++] = (frow){F_DESC, 0};
    c->rows[n++] = (frow){F_KIND, 0};
    if (c->absent)
        c->rows[n++] = (frow){F_ABSENT, 0};
    for (size_t i = 0; i < 2; i++)
        if (c->firmware[i])
            c->rows[n++] = (frow){F_FIRMWARE, i};
    if (c->req.snap_kind == ST_SNAP_KIND_MEMORY) {
        c->rows[n++] = (frow){F_MEMFILE, 0};
        c->rows[n++] = (frow){F_LIVE, 0};
    }
    if (c->has_agent && c->req.snap_kind == ST_SNAP_KIND_DISK_ONLY)
        c->rows[n++] = (frow){F_QUIESCE, 0};
    for (size_t i = 0; i < c->req.n_diskspecs && n < 63; i++)
        c->rows[n++] = (frow){F_DISK, i};
    c->rows[n++] = (frow){F_GO, 0};
    c->n_rows = n;
    if (c->sel >= n)
        c->sel = n - 1;
}

/* Default choices and file names for the current kind and name; typed names are kept. */
static void refresh_defaults(st_app *a, cform *c, bool reset)
{
    const st_domain *d = form_domain(a, c);
    if (!d)
        return;
    st_snap_diskspec *defs = NULL;
    size_t n = 0;
    st_snap_default_diskspecs(d, c->req.snap_kind, c->req.snapshot, &defs, &n);
    if (reset || n != c->req.n_diskspecs) {
        st_request tmp = {0};
        tmp.diskspecs = c->req.diskspecs;
        tmp.n_diskspecs = c->req.n_diskspecs;
        st_request_clear(&tmp);
        c->req.diskspecs = defs;
        c->req.n_diskspecs = n;
        free(c->file_edited);
        c->file_edited = xcalloc(n ? n : 1, sizeof(bool));
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!c->file_edited[i] && defs[i].file &&
                streq0(c->req.diskspecs[i].snapshot, "external")) {
                free(c->req.diskspecs[i].file);
                c->req.diskspecs[i].file = xstrdup(defs[i].file);
            }
        }
        st_request tmp = {0};
        tmp.diskspecs = defs;
        tmp.n_diskspecs = n;
        st_request_clear(&tmp);
    }
    /* With a connected guest agent, a disk-only snapshot is quiesced unless the admin says no. */
    if (reset && !c->quiesce_why && c->req.snap_kind == ST_SNAP_KIND_DISK_ONLY)
        c->req.flags |= ST_F_QUIESCE;
    if (!c->mem_edited) {
        free(c->req.path);
        c->req.path = c->req.snap_kind == ST_SNAP_KIND_MEMORY
                          ? st_snap_default_memfile(d, c->req.snapshot)
                          : NULL;
    }
    layout_rows(c);
}

static const char *kind_label(st_snap_kind k)
{
    switch (k) {
    case ST_SNAP_KIND_INTERNAL:
        return _("internal (disks and memory inside the qcow2 images)");
    case ST_SNAP_KIND_DISK_ONLY:
        return _("external disk-only (one overlay per disk)");
    case ST_SNAP_KIND_MEMORY:
        return _("external with memory (a system checkpoint)");
    }
    return "";
}

/* "Label          value": the label padded to 14 columns, whatever its script. */
static char *labelled(const char *label, const char *value)
{
    char *l = st_pad(label, 14);
    char *s = xasprintf("%s %s", l, value);
    free(l);
    return s;
}

/* The disk's choice as libvirt spells it (external, internal, no), shown translated. */
static const char *choice_label(const char *snapshot)
{
    if (streq0(snapshot, "external"))
        return _("external");
    if (streq0(snapshot, "internal"))
        return _("internal");
    if (streq0(snapshot, "no"))
        return _("no");
    return snapshot ? snapshot : "?";
}

static char *row_text(const st_app *a, const cform *c, const frow *r)
{
    (void)a;
    switch (r->k) {
    case F_NAME:
        return labelled(_("Name"), c->req.snapshot ? c->req.snapshot : "");
    case F_DESC:
        return labelled(_("Description"), c->req.description ? c->req.description : "");
    case F_KIND:
        return labelled(_("Kind"), kind_label(c->req.snap_kind));
    case F_ABSENT:
        return labelled("", c->absent);
    case F_FIRMWARE:
        return labelled("", c->firmware[r->disk]);
    case F_MEMFILE:
        return labelled(_("Memory file"), c->req.path ? c->req.path : "");
    case F_LIVE:
        return labelled(_("Live"), (c->req.flags & ST_F_LIVE)
                                       ? _("yes: the guest keeps running")
                                       : _("no: paused while memory is saved"));
    case F_QUIESCE: {
        if (!c->quiesce_why)
            return labelled(_("Quiesce"),
                            (c->req.flags & ST_F_QUIESCE) ? _("yes (guest agent)") : _("no"));
        char *why = xasprintf(_("no: %s"), c->quiesce_why);
        char *s = labelled(_("Quiesce"), why);
        free(why);
        return s;
    }
    case F_DISK: {
        const st_snap_diskspec *ds = &c->req.diskspecs[r->disk];
        char *choice = st_pad(choice_label(ds->snapshot), 9);
        char *s = xasprintf(_("Disk %-9s %-9s %s"), ds->target ? ds->target : "?", choice,
                            streq0(ds->snapshot, "external") && ds->file ? ds->file : "");
        free(choice);
        return s;
    }
    case F_GO:
        return xstrdup(_("[ Show the plan ]"));
    }
    return xstrdup("");
}

/* The rows in view follow the focus, so that the focused field is always on screen. */
static void keep_focus_visible(cform *c, int rows)
{
    if (rows < 1)
        rows = 1;
    if (c->sel < c->top)
        c->top = c->sel;
    if (c->sel >= c->top + (size_t)rows)
        c->top = c->sel - (size_t)rows + 1;
    if (c->top + (size_t)rows > c->n_rows)
        c->top = c->n_rows > (size_t)rows ? c->n_rows - (size_t)rows : 0;
}

/* " 3-6 of 9  Up/Down scroll " on the frame's bottom line when not every row is in view. */
static void draw_scroll_mark(st_app *a, const cform *c, int rows, int y, int x, int w)
{
    if (c->n_rows <= (size_t)rows)
        return;
    size_t last = c->top + (size_t)rows < c->n_rows ? c->top + (size_t)rows : c->n_rows;
    char *more = xasprintf(_(" %d-%d of %d  %s/%s scroll "), (int)c->top + 1, (int)last,
                           (int)c->n_rows, "Up", "Down");
    int mw = st_text_width(more) < w - 4 ? st_text_width(more) : w - 4;
    st_put(a, y, x + w - 2 - mw, mw, more, A_DIM);
    free(more);
}

static void form_draw(st_app *a, st_dialog *dlg)
{
    cform *c = dlg->data;
    const char *hint =
        _("Up/Down move, Enter edits or changes, Space changes a choice, Esc cancels");
    int y, x, h, w;
    st_dialog_box(a, 100, (int)c->n_rows + 7, &y, &x, &h, &w);
    int hint_h = st_wrap_text(a, false, hint, 0, 0, w - 4, 3, 0, NULL);
    st_dialog_box(a, 100, (int)c->n_rows + 6 + hint_h, &y, &x, &h, &w);
    char *title = xasprintf(" %s ", _("New snapshot"));
    st_frame(a, y, x, h, w, title);
    free(title);
    st_put(a, y + 1, x + 2, w - 4, c->dom, A_BOLD);
    /* Blank lines around the rows go first when the box is short. */
    bool roomy = h >= (int)c->n_rows + 6 + hint_h;
    int top_y = y + (roomy ? 3 : 2), rows = h - hint_h - (roomy ? 5 : 3);
    keep_focus_visible(c, rows);
    c->rows_in_view = rows > 0 ? (size_t)rows : 1;
    for (int i = 0; i < rows && c->top + (size_t)i < c->n_rows; i++) {
        size_t k = c->top + (size_t)i;
        char *t = row_text(a, c, &c->rows[k]);
        int attr = k == c->sel               ? (int)(A_REVERSE | A_BOLD)
                   : says_only(c->rows[k].k) ? st_attr(a, PAIR_DIM, A_DIM)
                                             : (int)A_NORMAL;
        st_put(a, top_y + i, x + 2, w - 4, t, attr);
        free(t);
    }
    draw_scroll_mark(a, c, rows, y + h - 1, x, w);
    st_wrap_text(a, true, hint, y + h - 1 - hint_h, x + 2, w - 4, 3, A_DIM, NULL);
}

/* ---- editing ---- */

typedef struct edit_ctx {
    cform *c;
    frow row;
    st_app *a;
} edit_ctx;

static void on_edit(st_app *a, const char *text, void *p)
{
    edit_ctx *e = p;
    cform *c = e->c;
    if (!text)
        return;
    switch (e->row.k) {
    case F_NAME:
        free(c->req.snapshot);
        c->req.snapshot = xstrdup(text);
        refresh_defaults(a, c, false);
        break;
    case F_DESC:
        free(c->req.description);
        c->req.description = xstrdup(text);
        break;
    case F_MEMFILE:
        free(c->req.path);
        c->req.path = xstrdup(text);
        c->mem_edited = true;
        break;
    case F_DISK:
        free(c->req.diskspecs[e->row.disk].file);
        c->req.diskspecs[e->row.disk].file = xstrdup(text);
        c->file_edited[e->row.disk] = true;
        break;
    default:
        break;
    }
}

static void edit_text(st_app *a, cform *c, const frow *r, const char *title, const char *value)
{
    edit_ctx *e = xcalloc(1, sizeof(*e));
    e->c = c;
    e->row = *r;
    e->a = a;
    st_app_push_dialog(
        a, st_input_new(title, _("Enter accepts, ^U clears:"), value, on_edit, e, free));
}

static void cycle_disk(st_app *a, cform *c, size_t i)
{
    st_snap_diskspec *ds = &c->req.diskspecs[i];
    const char *next = streq0(ds->snapshot, "external")   ? "internal"
                       : streq0(ds->snapshot, "internal") ? "no"
                                                          : "external";
    free(ds->snapshot);
    ds->snapshot = xstrdup(next);
    /* Back on external: the default overlay name, unless the admin typed one. */
    const st_domain *d = form_domain(a, c);
    if (strcmp(next, "external") == 0 && d && !(c->file_edited[i] && ds->file && *ds->file)) {
        free(ds->file);
        ds->file = st_snap_default_overlay(d, ds->target, c->req.snapshot);
    }
}

static void go(st_app *a, cform *c)
{
    snapflow *f = st_snapflow_new(ST_REQ_SNAPSHOT_CREATE, c->host, c->dom);
    st_request_copy(&f->form, &c->req);
    f->form.domain = xstrdup(c->dom);
    st_snap_plan_open(a, f);
}

/* Enter or Space on a row; returns true when the form is done (the plan opened). */
static bool activate(st_app *a, cform *c, bool space)
{
    const frow *r = &c->rows[c->sel];
    switch (r->k) {
    case F_NAME:
        if (!space)
            edit_text(a, c, r, _("Snapshot name"), c->req.snapshot);
        break;
    case F_DESC:
        if (!space)
            edit_text(a, c, r, _("Description"), c->req.description);
        break;
    case F_MEMFILE:
        if (!space)
            edit_text(a, c, r, _("Memory file"), c->req.path);
        break;
    case F_KIND:
        c->req.snap_kind = next_kind(form_domain(a, c), c->req.snap_kind);
        c->req.flags &= ~(ST_F_LIVE | ST_F_QUIESCE);
        refresh_defaults(a, c, true);
        break;
    case F_ABSENT:
    case F_FIRMWARE:
        break;
    case F_LIVE:
        c->req.flags ^= ST_F_LIVE;
        break;
    case F_QUIESCE:
        if (c->quiesce_why)
            st_app_status(a, true, _("quiesce is off: %s"), c->quiesce_why);
        else
            c->req.flags ^= ST_F_QUIESCE;
        break;
    case F_DISK:
        if (space || !streq0(c->req.diskspecs[r->disk].snapshot, "external"))
            cycle_disk(a, c, r->disk);
        else
            edit_text(a, c, r, _("Overlay file"), c->req.diskspecs[r->disk].file);
        break;
    case F_GO:
        if (!space) {
            go(a, c);
            return true;
        }
        break;
    }
    return false;
}

/* The moving keys, over the rows that only say something (stepping on in the same way). */
static void move_focus(cform *c, st_keyreq req)
{
    size_t from = c->sel;
    st_key_move(req, &c->sel, c->n_rows, c->rows_in_view);
    bool down = c->sel > from;
    while (says_only(c->rows[c->sel].k)) {
        if (down ? c->sel + 1 >= c->n_rows : c->sel == 0)
            down = !down; /* at an end: back the other way */
        c->sel = down ? c->sel + 1 : c->sel - 1;
    }
}

static bool form_key(st_app *a, st_dialog *dlg, st_keyreq req, int key, bool is_code)
{
    cform *c = dlg->data;
    (void)key;
    (void)is_code;
    switch (req) {
    case ST_KEY_CANCEL:
        return true;
    case ST_KEY_ACCEPT:
    case ST_KEY_CHANGE:
        return activate(a, c, req == ST_KEY_CHANGE);
    default:
        move_focus(c, req);
        return false;
    }
}

static void form_free(st_dialog *dlg)
{
    cform_free(dlg->data);
}

static void form_model_changed(st_app *a, st_dialog *dlg)
{
    cform *c = dlg->data;
    const st_domain *d = form_domain(a, c);
    if (d) {
        c->has_agent = d->has_agent;
        c->quiesce_why = st_snap_quiesce_unavailable(d);
        /* An agent that went away takes quiesce with it (libvirt would fail the snapshot). */
        if (c->quiesce_why)
            c->req.flags &= ~ST_F_QUIESCE;
        if (check_kinds(c, a->hosts[c->host], d))
            refresh_defaults(a, c, true);
        layout_rows(c);
    }
}

static const st_dialog_ops form_ops = {
    .keys = ST_CTX_FORM,
    .draw = form_draw,
    .key = form_key,
    .model_changed = form_model_changed,
    .free = form_free,
};

void st_snap_create_open(st_app *a, const st_row *r)
{
    const st_domain *d = &a->hosts[r->host]->doms[r->dom];
    cform *c = xcalloc(1, sizeof(*c));
    c->host = r->host;
    c->dom = xstrdup(d->name);
    c->req.kind = ST_REQ_SNAPSHOT_CREATE;
    c->req.snapshot = st_snap_default_name(time(NULL));
    c->has_agent = d->has_agent;
    c->quiesce_why = st_snap_quiesce_unavailable(d);
    c->req.snap_kind = st_snap_default_kind(a->hosts[r->host], d);
    check_kinds(c, a->hosts[r->host], d);
    refresh_defaults(a, c, true);
    st_dialog *dlg = xcalloc(1, sizeof(*dlg));
    dlg->ops = &form_ops;
    dlg->data = c;
    st_app_push_dialog(a, dlg);
}
