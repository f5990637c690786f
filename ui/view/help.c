/* The help overlay, generated from the key table that drives the keys. */
#include "config.h"

#include <curses.h>
#include <stdlib.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"
#include "view/app.h"
#include "view/keys.h"

typedef struct help {
    st_keyctx on; /* the screen whose keys are shown */
    int scroll;
    int lines; /* lines the content needs, known after a draw */
} help;

/* Where the help draws: its lines count from 0; those from `scroll` on show, `inner` of them. */
typedef struct help_view {
    st_app *a;
    const help *hp;
    int y, x, w, inner;
    int line; /* the next line's number */
} help_view;

/* One line at column `col` of the frame, drawn when in view; counted either way. */
static void help_line(help_view *v, int col, const char *s, int attr)
{
    int row = v->line - v->hp->scroll;
    if (row >= 0 && row < v->inner)
        st_put(v->a, v->y + 1 + row, v->x + col, v->w - col - 2, s, attr);
    v->line++;
}

/* A key's row: its keys, then what it does, wrapped under itself rather than cut. */
static void help_key_row(help_view *v, const st_keydef *k, int kw)
{
    char label[64];
    st_key_label(k, v->hp->on, label, sizeof(label));
    int row = v->line - v->hp->scroll;
    if (row >= 0 && row < v->inner)
        st_put(v->a, v->y + 1 + row, v->x + 3, kw, label, A_BOLD);
    const char *p = _(k->help);
    int dw = v->w - kw - 5;
    do {
        size_t nb = st_text_wrap_bytes(p, dw > 10 ? dw : 10);
        char *part = xstrndup(p, nb);
        help_line(v, 3 + kw, part, A_NORMAL);
        free(part);
        p += nb;
        if (*p == ' ')
            p++; /* the space a line was broken at starts no line */
    } while (*p);
}

static void help_draw(st_app *a, st_dialog *d)
{
    help *hp = d->data;
    int w = a->cols - 4 < 78 ? a->cols - 4 : 78;
    int h = a->lines - 2;
    if (w < 20 || h < 5)
        return;
    help_view v = {a, hp, 1, (a->cols - w) / 2, w, h - 2, 0};
    st_frame(a, v.y, v.x, h, w, _(" Help: keys (Esc or q closes) "));
    int kw = 16;
    unsigned uses = st_keyctx_uses(hp->on);
    for (int c = 0; c < ST_CTX_COUNT; c++) {
        if (!(uses & (1u << c)))
            continue;
        if (c == ST_CTX_ACTION && a->readonly) {
            help_line(&v, 2, _("Actions are hidden: the connection is read-only (-r)."), A_DIM);
            continue;
        }
        help_line(&v, 2, st_keyctx_title((st_keyctx)c), A_BOLD | A_UNDERLINE);
        for (size_t i = 0; i < st_keytable_len; i++)
            if ((int)st_keytable[i].ctx == c)
                help_key_row(&v, &st_keytable[i], kw);
        v.line++;
    }
    help_line(&v, 2, _("Nothing is merged or deleted without a plan and a typed confirmation."),
              A_DIM);
    help_line(&v, 2, _("Quitting never stops a running job: it belongs to QEMU."), A_DIM);
    hp->lines = v.line;
    if (hp->lines > v.inner) {
        char more[64];
        snprintf(more, sizeof(more), _(" %d/%d  Up/Down scroll "), hp->scroll + 1,
                 hp->lines - v.inner + 1);
        st_put(a, v.y + h - 1, v.x + w - st_text_width(more) - 2, st_text_width(more), more, A_DIM);
    }
}

/* Scrolls by `by` lines, within the content. */
static void help_scroll(help *hp, int by, int max)
{
    hp->scroll += by;
    if (hp->scroll > max)
        hp->scroll = max;
    if (hp->scroll < 0)
        hp->scroll = 0;
}

static bool help_key(st_app *a, st_dialog *d, st_keyreq req, int key, bool is_code)
{
    help *hp = d->data;
    int inner = a->lines - 4;
    int max = hp->lines - inner > 0 ? hp->lines - inner : 0;
    (void)key;
    (void)is_code;
    /* The moving keys scroll the help; any other key closes it. */
    switch (req) {
    case ST_KEY_DOWN:
        help_scroll(hp, 1, max);
        return false;
    case ST_KEY_UP:
        help_scroll(hp, -1, max);
        return false;
    case ST_KEY_PAGE_DOWN:
        help_scroll(hp, inner, max);
        return false;
    case ST_KEY_PAGE_UP:
        help_scroll(hp, -inner, max);
        return false;
    case ST_KEY_HOME:
        help_scroll(hp, -hp->scroll, max);
        return false;
    case ST_KEY_END:
        help_scroll(hp, max, max);
        return false;
    default:
        return true;
    }
}

static void help_free(st_dialog *d)
{
    free(d->data);
}

static const st_dialog_ops help_ops = {
    .keys = ST_CTX_HELP,
    .draw = help_draw,
    .key = help_key,
    .free = help_free,
};

st_dialog *st_help_new(st_keyctx on)
{
    st_dialog *d = xcalloc(1, sizeof(*d));
    help *hp = xcalloc(1, sizeof(*hp));
    hp->on = on;
    d->ops = &help_ops;
    d->data = hp;
    return d;
}
