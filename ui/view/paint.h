/*
 * Drawing primitives (paint.c), apart from the screen's layout (draw.c): what every pane and
 * dialog draws with.
 */
#ifndef ST_PAINT_H
#define ST_PAINT_H

typedef struct st_app st_app;

/*
 * Writes untrusted text at (y, x) in at most `w` columns: sanitized, cut by display width, padded.
 * Returns the columns used.
 */
int st_put(st_app *a, int y, int x, int w, const char *s, int attr);
int st_put_right(st_app *a, int y, int x, int w, const char *s, int attr);
/* Malloc'd copy of s padded with spaces to `cols` columns: printf's %-10s counts bytes, and a
 * CJK label takes fewer columns than bytes. Never cuts. */
char *st_pad(const char *s, int cols);
int st_attr(const st_app *a, int pair, int fallback);
/* A box with a title; the inside is cleared. */
void st_frame(st_app *a, int y, int x, int h, int w, const char *title);
void st_draw_bar(st_app *a, int y, int x, int w, double frac);

#endif
