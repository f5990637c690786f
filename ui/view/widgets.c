#include "config.h"

#include "view/widgets.h"

#include <curses.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/number.h"
#include "base/util.h"
#include "core/text.h"

void st_dialog_box(st_app *a, int max_w, int max_h, int *y, int *x, int *h, int *w)
{
    *w = a->cols - 2 < max_w ? a->cols - 2 : max_w;
    *h = a->lines - 2 < max_h ? a->lines - 2 : max_h;
    if (*w < 10)
        *w = a->cols;
    if (*h < 4)
        *h = a->lines;
    *y = (a->lines - *h) / 2;
    *x = (a->cols - *w) / 2;
}

int st_wrap_text(st_app *a, bool draw, const char *text, int y, int x, int w, int max, int attr,
                 int *end)
{
    char *safe = st_text_sanitize(text, a->utf8);
    const char *p = safe;
    int n = 0;
    if (end)
        *end = x;
    while (*p && n < max && w > 0) {
        size_t nb = st_text_wrap_bytes(p, w);
        /* The last line allowed takes the rest, cut with an ellipsis. */
        char *part = n + 1 == max ? xstrdup(p) : xstrndup(p, nb);
        if (draw) {
            int used = st_put(a, y + n, x, w, part, attr);
            if (end)
                *end = x + used;
        }
        free(part);
        n++;
        p += nb;
        if (*p == ' ')
            p++;
    }
    free(safe);
    return n;
}

/* ---- text buffers ---- */

void st_tb_add(st_textbuf *tb, int attr, int indent, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xgrow((void **)&tb->lines, &tb->cap, tb->n + 1, sizeof(st_tline));
    st_tline *l = &tb->lines[tb->n++];
    l->text = xvasprintf(fmt, ap);
    l->attr = attr;
    l->indent = indent;
    va_end(ap);
}

void st_tb_clear(st_textbuf *tb)
{
    for (size_t i = 0; i < tb->n; i++)
        free(tb->lines[i].text);
    free(tb->lines);
    memset(tb, 0, sizeof(*tb));
}

void st_tb_pin(st_textbuf *tb)
{
    tb->pin = tb->n + 1;
}

/* Lines [from, to) of tb as st_tb_draw draws them; with h 0 it only counts the wrapped lines. */
static int tb_draw_range(st_app *a, const st_textbuf *tb, size_t from, size_t to, int y, int x,
                         int h, int w, int scroll)
{
    int line = 0;
    for (size_t i = from; i < to; i++) {
        const st_tline *l = &tb->lines[i];
        int ind = l->indent < w / 2 ? l->indent : 0;
        char *safe = st_text_sanitize(l->text, a->utf8);
        const char *p = safe;
        do {
            size_t nb = st_text_wrap_bytes(p, w - ind);
            int row = line - scroll;
            if (row >= 0 && row < h) {
                char *part = strndup(p, nb);
                st_put(a, y + row, x + ind, w - ind, part, l->attr);
                free(part);
            }
            line++;
            p += nb;
            if (*p == ' ')
                p++; /* the space a line was broken at starts no line */
            ind = l->indent + 2 < w / 2 ? l->indent + 2 : 0; /* continuation lines */
        } while (*p);
        free(safe);
    }
    return line;
}

int st_tb_draw(st_app *a, const st_textbuf *tb, int y, int x, int h, int w, int scroll)
{
    return tb_draw_range(a, tb, 0, tb->n, y, x, h, w, scroll);
}

/* ---- confirmation screen ---- */

/* Room for the typed word after the prompt ("yes" and the cursor). */
#define TYPED_COLS 6
/* The scrolling text keeps at least this many rows when the lines kept in view take the rest. */
#define SCROLL_MIN_ROWS 3

/* How much of the scrolling text is out of view, right-aligned on row y. */
static void draw_more(st_app *a, const st_confirm *c, int y, int x, int w)
{
    int above = c->scroll, below = c->lines - c->scroll - c->view;
    if (below < 0)
        below = 0;
    if (!above && !below)
        return;
    char *up = xasprintf(ngettext("%d line above", "%d lines above", above), above);
    char *down = xasprintf(ngettext("%d more line below", "%d more lines below", below), below);
    char *more = above && below ? xasprintf(_(" %s, %s: PgUp/PgDn scroll "), up, down)
                 : below        ? xasprintf(_(" %s: PgDn scrolls "), down)
                                : xasprintf(_(" %s: PgUp scrolls back "), up);
    int mw = st_text_width(more) < w - 4 ? st_text_width(more) : w - 4;
    st_put(a, y, x + w - 2 - mw, mw, more, A_DIM);
    free(more);
    free(up);
    free(down);
}

void st_confirm_draw(st_app *a, st_confirm *c, const st_textbuf *tb, bool refused, int y, int x,
                     int h, int w)
{
    const char *foot = !refused          ? _("Type yes and press Enter to start, Esc cancels: ")
                       : c->refused_foot ? c->refused_foot
                                         : _("This plan is refused (see above): change an option, "
                                             "or Esc closes; nothing was changed.");
    int fw = refused ? w - 4 : w - 4 - TYPED_COLS;
    /* A narrow box wraps the prompt (up to three lines) rather than cut it. */
    int foot_h = st_wrap_text(a, false, foot, 0, 0, fw, 3, 0, NULL);
    int text_h = h - 3 - foot_h;
    /* What st_tb_pin kept in view stays above the prompt when the whole text does not fit (and
     * enough is left for the rest to scroll in), one row for how much more there is between. */
    size_t pin = tb->pin ? tb->pin - 1 : tb->n;
    int rest = tb_draw_range(a, tb, 0, pin, 0, 0, 0, w - 4, 0);
    int pin_h = tb_draw_range(a, tb, pin, tb->n, 0, 0, 0, w - 4, 0);
    bool pinned = pin_h && rest + pin_h > text_h && text_h - pin_h - 1 >= SCROLL_MIN_ROWS;
    c->view = pinned ? text_h - pin_h - 1 : text_h;
    c->lines = pinned ? rest : rest + pin_h;
    /* A taller window, or a plan made shorter by an option: no blank rows left below. */
    if (c->scroll > c->lines - c->view)
        c->scroll = c->lines > c->view ? c->lines - c->view : 0;
    tb_draw_range(a, tb, 0, pinned ? pin : tb->n, y + 1, x + 2, c->view, w - 4, c->scroll);
    if (pinned)
        tb_draw_range(a, tb, pin, tb->n, y + 2 + c->view, x + 2, pin_h, w - 4, 0);
    draw_more(a, c, y + 1 + c->view, x, w);
    int end;
    st_wrap_text(a, true, foot, y + h - 1 - foot_h, x + 2, fw, 3,
                 refused ? st_attr(a, PAIR_ERROR, A_BOLD) : (int)A_BOLD, &end);
    if (!refused)
        st_put(a, y + h - 2, end, x + w - 2 - end, c->typed, A_BOLD | A_UNDERLINE);
}

/* FNV-1a over the lines and their attributes. */
static uint64_t tb_digest(const st_textbuf *tb)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < tb->n; i++) {
        for (const char *p = tb->lines[i].text; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ (uint64_t)(tb->lines[i].attr + 0x100)) * 1099511628211ull;
    }
    return h ? h : 1;
}

void st_confirm_plan(st_confirm *c, const st_textbuf *tb)
{
    uint64_t d = tb_digest(tb);
    if (c->digest && c->digest != d)
        c->typed[0] = '\0';
    c->digest = d;
}

/* The moving keys scroll the text, down to where its last line is in view, no further. */
static bool confirm_scroll(st_confirm *c, st_keyreq req)
{
    int last = c->view > 0 ? c->lines - c->view : c->lines - 1;
    size_t at = c->scroll > 0 ? (size_t)c->scroll : 0;
    if (!st_key_move(req, &at, last > 0 ? (size_t)last + 1 : 1, c->view > 0 ? (size_t)c->view : 1))
        return false;
    c->scroll = (int)at;
    return true;
}

st_confirm_result st_confirm_key(st_app *a, st_confirm *c, bool refused, st_keyreq req, int key)
{
    if (confirm_scroll(c, req))
        return ST_CONFIRM_HANDLED;
    if (refused)
        return ST_CONFIRM_OTHER;
    size_t n = strlen(c->typed);
    switch (req) {
    case ST_KEY_ACCEPT:
        if (strcmp(c->typed, "yes") == 0)
            return ST_CONFIRM_YES;
        st_app_status(a, true, "%s", _("type yes (the whole word) to start"));
        c->typed[0] = '\0';
        return ST_CONFIRM_HANDLED;
    case ST_KEY_ERASE:
        if (n)
            c->typed[n - 1] = '\0';
        return ST_CONFIRM_HANDLED;
    case ST_KEY_NONE:
        /* The letters the key table leaves to the plan screen: lower case ones are typed. */
        if (key >= 'a' && key <= 'z' && n < 5) {
            c->typed[n] = (char)key;
            c->typed[n + 1] = '\0';
            return ST_CONFIRM_HANDLED;
        }
        return ST_CONFIRM_OTHER;
    default:
        return ST_CONFIRM_OTHER;
    }
}

/* ---- picker ---- */

/*
 * A picker moves a highlight and Enter takes it. With letters (a choice), each item has its
 * letter and there is no highlight: Enter and Esc take the safe item, the others need their
 * letter, so that a stray key never makes a consequential choice.
 */
typedef struct picker {
    char *title, *hint;
    char **items;
    int *letters; /* NULL: a plain picker */
    size_t n, sel, top;
    size_t rows; /* list rows in view at the last draw: a page */
    st_pick_fn done;
    void *ctx;
    st_ctx_free_fn free_ctx;
} picker;

static void picker_draw(st_app *a, st_dialog *d)
{
    picker *p = d->data;
    int y, x, h, w;
    /* The hint wraps: its lines are known once the box's width is. */
    st_dialog_box(a, 104, (int)p->n + 6, &y, &x, &h, &w);
    int hint_max = (a->lines - 8) / 2 > 1 ? (a->lines - 8) / 2 : 1;
    int hint_h = p->hint ? st_wrap_text(a, false, p->hint, 0, 0, w - 4, hint_max, 0, NULL) : 0;
    st_dialog_box(a, 104, (int)p->n + 5 + (hint_h ? hint_h : 1), &y, &x, &h, &w);
    st_frame(a, y, x, h, w, p->title);
    int row = y + 1;
    if (p->hint)
        row += st_wrap_text(a, true, p->hint, row, x + 2, w - 4, hint_h, A_DIM, NULL);
    int list_h = y + h - 2 - row;
    if (list_h < 1)
        return;
    p->rows = (size_t)list_h;
    if (p->sel < p->top)
        p->top = p->sel;
    if (p->sel >= p->top + (size_t)list_h)
        p->top = p->sel - list_h + 1;
    for (int i = 0; i < list_h && p->top + i < p->n; i++) {
        size_t k = p->top + i;
        int attr = k == p->sel ? (p->letters ? A_BOLD : A_REVERSE | A_BOLD) : 0;
        int kx = x + 2;
        if (p->letters) {
            char key[8];
            snprintf(key, sizeof(key), "%c  ", p->letters[k]);
            kx += st_put(a, row + i, kx, w - 4, key, A_BOLD);
        }
        st_put(a, row + i, kx, x + w - 2 - kx, p->items[k], attr);
    }
    if (!p->letters) {
        st_put(a, y + h - 2, x + 2, w - 4, _("Enter chooses, Esc cancels"), A_DIM);
        return;
    }
    char *foot = xasprintf(_("Press a letter; Enter or Esc: %c"), p->letters[p->sel]);
    st_put(a, y + h - 2, x + 2, w - 4, foot, A_DIM);
    free(foot);
}

/* A choice: a letter picks its item; Enter and Esc (the table's cancel) the safe one. */
static bool letter_key(st_app *a, picker *p, st_keyreq req, int key, bool is_code)
{
    size_t pick = SIZE_MAX;
    if (req == ST_KEY_CANCEL)
        pick = p->sel;
    for (size_t i = 0; req == ST_KEY_NONE && !is_code && i < p->n && pick == SIZE_MAX; i++)
        if (p->letters[i] == key)
            pick = i;
    if (pick == SIZE_MAX)
        return false;
    p->done(a, pick, p->ctx);
    return true;
}

static bool picker_key(st_app *a, st_dialog *d, st_keyreq req, int key, bool is_code)
{
    picker *p = d->data;
    if (p->letters)
        return letter_key(a, p, req, key, is_code);
    if (req == ST_KEY_CANCEL || req == ST_KEY_ACCEPT) {
        p->done(a, req == ST_KEY_ACCEPT ? p->sel : SIZE_MAX, p->ctx);
        return true;
    }
    st_key_move(req, &p->sel, p->n, p->rows);
    return false;
}

static void picker_free(st_dialog *d)
{
    picker *p = d->data;
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i]);
    free(p->items);
    free(p->letters);
    free(p->title);
    free(p->hint);
    if (p->free_ctx)
        p->free_ctx(p->ctx);
    free(p);
}

static const st_dialog_ops picker_ops = {
    .keys = ST_CTX_LIST, .draw = picker_draw, .key = picker_key, .free = picker_free};
static const st_dialog_ops choice_ops = {
    .keys = ST_CTX_CHOICE, .draw = picker_draw, .key = picker_key, .free = picker_free};

st_dialog *st_picker_new(const char *title, const char *hint, const char *const *items, size_t n,
                         size_t def, st_pick_fn done, void *ctx, st_ctx_free_fn free_ctx)
{
    picker *p = xcalloc(1, sizeof(*p));
    p->title = xasprintf(" %s ", title);
    p->hint = xstrdup0(hint);
    p->items = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        p->items[i] = xstrdup(items[i]);
    p->n = n;
    p->sel = def < n ? def : 0;
    p->done = done;
    p->ctx = ctx;
    p->free_ctx = free_ctx;
    st_dialog *d = xcalloc(1, sizeof(*d));
    d->ops = &picker_ops;
    d->data = p;
    return d;
}

st_dialog *st_choice_new(const char *title, const char *hint, const st_choice *items, size_t n,
                         size_t safe, st_pick_fn done, void *ctx, st_ctx_free_fn free_ctx)
{
    const char **texts = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        texts[i] = items[i].text;
    st_dialog *d = st_picker_new(title, hint, texts, n, safe, done, ctx, free_ctx);
    free(texts);
    picker *p = d->data;
    d->ops = &choice_ops;
    p->letters = xcalloc(n ? n : 1, sizeof(int));
    for (size_t i = 0; i < n; i++)
        p->letters[i] = items[i].key;
    return d;
}

/* ---- input ---- */

typedef struct input {
    char *title, *prompt;
    char buf[1024];
    st_input_fn done;
    void *ctx;
    st_ctx_free_fn free_ctx;
} input;

static void input_draw(st_app *a, st_dialog *d)
{
    input *in = d->data;
    int y, x, h, w;
    st_dialog_box(a, 76, 7, &y, &x, &h, &w);
    st_frame(a, y, x, h, w, in->title);
    st_put(a, y + 2, x + 2, w - 4, in->prompt, A_NORMAL);
    /* Long input scrolls: the end (where the cursor is) stays visible. */
    int fw = w - 5;
    int used = st_text_width(in->buf) <= fw
                   ? st_put(a, y + 3, x + 2, fw, in->buf, A_BOLD | A_UNDERLINE)
                   : st_put_right(a, y + 3, x + 2, fw, in->buf, A_BOLD | A_UNDERLINE);
    st_put(a, y + h - 2, x + 2, w - 4, _("Enter accepts, Esc cancels"), A_DIM);
    a->cursor_y = y + 3;
    a->cursor_x = x + 2 + (st_text_width(in->buf) <= fw ? used : fw);
}

void st_utf8_backspace(char *s)
{
    size_t n = strlen(s);
    /* Step back over continuation bytes so that a CJK character goes as a whole. */
    while (n > 0 && ((unsigned char)s[n - 1] & 0xC0) == 0x80)
        n--;
    if (n > 0)
        n--;
    s[n] = '\0';
}

/* More than any disk copies; libvirt itself takes up to 2^43 MiB/s, which QEMU cannot honour. */
#define MIBS_MAX 1048576

bool st_parse_mibs(st_app *a, const char *text, unsigned long *out)
{
    double v;
    if (st_parse_number(text, false, 0, MIBS_MAX, &v) != ST_NUM_OK) {
        st_app_status(a, true, _("not a whole number of MiB/s from 0 (unlimited) to %d: %s"),
                      MIBS_MAX, text);
        return false;
    }
    *out = (unsigned long)v;
    return true;
}

static bool input_key(st_app *a, st_dialog *d, st_keyreq req, int key, bool is_code)
{
    input *in = d->data;
    switch (req) {
    case ST_KEY_CANCEL:
    case ST_KEY_ACCEPT:
        in->done(a, req == ST_KEY_ACCEPT ? in->buf : NULL, in->ctx);
        return true;
    case ST_KEY_ERASE:
        st_utf8_backspace(in->buf);
        return false;
    case ST_KEY_CLEAR: /* as in a shell */
        in->buf[0] = '\0';
        return false;
    case ST_KEY_NONE:
        break;
    default:
        return false;
    }
    /* Text: the key table leaves every printable character to the line. */
    if (is_code || key < 32 || key == 127)
        return false;
    char mb[8];
    int n = wctomb(mb, (wchar_t)key);
    if (n > 0 && strlen(in->buf) + (size_t)n + 1 < sizeof(in->buf))
        strncat(in->buf, mb, (size_t)n);
    return false;
}

static void input_free(st_dialog *d)
{
    input *in = d->data;
    free(in->title);
    free(in->prompt);
    if (in->free_ctx)
        in->free_ctx(in->ctx);
    free(in);
}

static const st_dialog_ops input_ops = {
    .keys = ST_CTX_INPUT, .draw = input_draw, .key = input_key, .free = input_free};

st_dialog *st_input_new(const char *title, const char *prompt, const char *initial,
                        st_input_fn done, void *ctx, st_ctx_free_fn free_ctx)
{
    input *in = xcalloc(1, sizeof(*in));
    in->title = xasprintf(" %s ", title);
    in->prompt = xstrdup(prompt);
    if (initial)
        snprintf(in->buf, sizeof(in->buf), "%s", initial);
    in->done = done;
    in->ctx = ctx;
    in->free_ctx = free_ctx;
    st_dialog *d = xcalloc(1, sizeof(*d));
    d->ops = &input_ops;
    d->data = in;
    return d;
}
