/* The help overlay, generated from the key table that drives the keys. */
#include "config.h"

#include <curses.h>
#include <stdlib.h>

#include "app.h"
#include "i18n.h"
#include "keys.h"
#include "text.h"
#include "util.h"

typedef struct help {
    int scroll;
    int lines; /* lines the content needs, known after a draw */
} help;

static void help_draw(st_app *a, st_dialog *d)
{
    help *hp = d->data;
    int w = a->cols - 4 < 78 ? a->cols - 4 : 78;
    int h = a->lines - 2;
    int y = 1, x = (a->cols - w) / 2;
    if (w < 20 || h < 5)
        return;
    st_frame(a, y, x, h, w, _(" Help: keys (Esc or q closes) "));
    int inner = h - 2, line = 0, kw = 16;
    for (int g = KEYGROUP_MOVE; g <= KEYGROUP_ACTION; g++) {
        if (g == KEYGROUP_ACTION && a->readonly) {
            if (line - hp->scroll >= 0 && line - hp->scroll < inner)
                st_put(a, y + 1 + line - hp->scroll, x + 2, w - 4,
                       _("Actions are hidden: the connection is read-only (-r)."), A_DIM);
            line++;
            continue;
        }
        int row = line - hp->scroll;
        if (row >= 0 && row < inner)
            st_put(a, y + 1 + row, x + 2, w - 4, st_keygroup_title(g), A_BOLD | A_UNDERLINE);
        line++;
        for (size_t i = 0; i < st_keytable_len; i++) {
            const st_keydef *k = &st_keytable[i];
            if ((int)k->group != g)
                continue;
            row = line - hp->scroll;
            if (row >= 0 && row < inner) {
                char label[64];
                st_key_label(k, label, sizeof(label));
                st_put(a, y + 1 + row, x + 3, kw, label, A_BOLD);
                st_put(a, y + 1 + row, x + 3 + kw, w - kw - 5, _(k->help), A_NORMAL);
            }
            line++;
        }
        line++;
    }
    const char *tail[] = {
        N_("Nothing is merged or deleted without a plan and a typed confirmation."),
        N_("Quitting never stops a running job: it belongs to QEMU."),
    };
    for (size_t i = 0; i < 2; i++, line++) {
        int row = line - hp->scroll;
        if (row >= 0 && row < inner)
            st_put(a, y + 1 + row, x + 2, w - 4, _(tail[i]), A_DIM);
    }
    hp->lines = line;
    if (hp->lines > inner) {
        char more[64];
        snprintf(more, sizeof(more), _(" %d/%d  Up/Down scroll "), hp->scroll + 1,
                 hp->lines - inner + 1);
        st_put(a, y + h - 1, x + w - st_text_width(more) - 2, st_text_width(more), more, A_DIM);
    }
}

static bool help_key(st_app *a, st_dialog *d, int key, bool is_code)
{
    help *hp = d->data;
    int inner = a->lines - 4;
    int max = hp->lines - inner > 0 ? hp->lines - inner : 0;
    if (is_code && (key == KEY_DOWN || key == KEY_NPAGE)) {
        hp->scroll += key == KEY_NPAGE ? inner : 1;
        if (hp->scroll > max)
            hp->scroll = max;
        return false;
    }
    if (is_code && (key == KEY_UP || key == KEY_PPAGE)) {
        hp->scroll -= key == KEY_PPAGE ? inner : 1;
        if (hp->scroll < 0)
            hp->scroll = 0;
        return false;
    }
    if (!is_code && (key == 'j' || key == 'k')) {
        hp->scroll += key == 'j' ? (hp->scroll < max) : -(hp->scroll > 0);
        return false;
    }
    return is_code ? key != KEY_RESIZE : true;
}

static void help_free(st_dialog *d)
{
    free(d->data);
}

static const st_dialog_ops help_ops = {
    .draw = help_draw,
    .key = help_key,
    .free = help_free,
};

st_dialog *st_help_new(void)
{
    st_dialog *d = xcalloc(1, sizeof(*d));
    d->ops = &help_ops;
    d->data = xcalloc(1, sizeof(help));
    return d;
}
