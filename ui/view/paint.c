/*
 * Drawing primitives: untrusted text put in a number of columns (sanitized, cut by display
 * width), colour pairs with their monochrome fallbacks, frames and bars. The screen's layout is
 * draw.c's; these know nothing of rows, hosts or jobs.
 */
#include "config.h"

#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "base/util.h"
#include "core/text.h"
#include "view/app.h"
#include "view/paint.h"

int st_attr(const st_app *a, int pair, int fallback)
{
    return a->color ? (int)COLOR_PAIR(pair) : fallback;
}

int st_put(st_app *a, int y, int x, int w, const char *s, int attr)
{
    if (w <= 0 || y < 0 || y >= a->lines || x >= a->cols)
        return 0;
    if (x + w > a->cols)
        w = a->cols - x;
    char *fit = st_text_fit_mark(s ? s : "", w, a->utf8, false, a->g->cut);
    int used = st_text_width(fit);
    attron(attr);
    mvaddstr(y, x, fit);
    attroff(attr);
    free(fit);
    return used;
}

int st_put_right(st_app *a, int y, int x, int w, const char *s, int attr)
{
    char *fit = st_text_fit_left_mark(s ? s : "", w, a->utf8, false, a->g->cut);
    int used = st_text_width(fit);
    attron(attr);
    mvaddstr(y, x + w - used, fit);
    attroff(attr);
    free(fit);
    return used;
}

char *st_pad(const char *s, int cols)
{
    int pad = cols - st_text_width(s);
    return xasprintf("%s%*s", s ? s : "", pad > 0 ? pad : 0, "");
}

void st_draw_bar(st_app *a, int y, int x, int w, double frac)
{
    if (w <= 0)
        return;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    int full = (int)floor(frac * w);
    move(y, x);
    attron(st_attr(a, PAIR_BAR, A_REVERSE));
    for (int i = 0; i < full; i++)
        addstr(a->color ? a->g->bar_color : a->g->bar_full);
    attroff(st_attr(a, PAIR_BAR, A_REVERSE));
    for (int i = full; i < w; i++)
        addstr(a->g->bar_empty);
}

/*
 * A frame drawn over the screen must not cut a wide (CJK) character in two: ncurses keeps the
 * half left outside, draws the whole character, and the terminal then shows the rest of the row
 * one column off, which also survives the redraw after the frame is gone. This blanks a wide
 * character of row y that straddles the boundary between columns b-1 and b.
 */
static void uncut_wide(int y, int b)
{
    int c = 0, cw = 1;
    while (c < b) {
        cchar_t cc;
        wchar_t wc[CCHARW_MAX + 1] = {0};
        attr_t at;
        short pair;
        if (mvin_wch(y, c, &cc) == ERR || getcchar(&cc, wc, &at, &pair, NULL) == ERR)
            return;
        cw = wcwidth(wc[0]) == 2 ? 2 : 1;
        if (c + cw > b)
            break;
        c += cw;
    }
    if (c < b && c + cw > b)
        mvaddstr(y, c, "  ");
}

void st_frame(st_app *a, int y, int x, int h, int w, const char *title)
{
    for (int r = 0; a->utf8 && r < h; r++) {
        uncut_wide(y + r, x);
        uncut_wide(y + r, x + w);
    }
    const char *hz = a->g->hline, *vt = a->g->vline;
    for (int r = 0; r < h; r++) {
        move(y + r, x);
        for (int c = 0; c < w; c++) {
            bool top = r == 0, bot = r == h - 1, left = c == 0, right = c == w - 1;
            const char *s = " ";
            if ((top || bot) && (left || right))
                s = top ? (left ? a->g->top_left : a->g->top_right)
                        : (left ? a->g->bottom_left : a->g->bottom_right);
            else if (top || bot)
                s = hz;
            else if (left || right)
                s = vt;
            addstr(s);
        }
    }
    if (title)
        st_put(a, y, x + 2, w - 4, title, A_BOLD);
}

/* ---- layout ---- */
