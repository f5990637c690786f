/*
 * Reusable dialogs: a picker (one of a list), a line of input, a message, and a scrollable text
 * with a typed confirmation. Every dialog redraws from its own state, so a resize at any moment
 * (even while one is open) simply redraws it at the new size.
 */
#ifndef ST_WIDGETS_H
#define ST_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* Called with the chosen index, or SIZE_MAX when the admin pressed Esc. */
typedef void (*st_pick_fn)(st_app *a, size_t choice, void *ctx);
typedef void (*st_ctx_free_fn)(void *ctx);

/* items are copied; `hint` is a line under the title (may be NULL). */
st_dialog *st_picker_new(const char *title, const char *hint, const char *const *items, size_t n,
                         size_t def, st_pick_fn done, void *ctx, st_ctx_free_fn free_ctx);

/* Called with the text (NULL on Esc). */
typedef void (*st_input_fn)(st_app *a, const char *text, void *ctx);
st_dialog *st_input_new(const char *title, const char *prompt, const char *initial,
                        st_input_fn done, void *ctx, st_ctx_free_fn free_ctx);

/* Removes the last whole UTF-8 character of s (a line being edited). */
void st_utf8_backspace(char *s);

/*
 * Parses a bandwidth typed in MiB/s ("0" = unlimited). On a bad number, says so in the status
 * line and returns false.
 */
bool st_parse_mibs(st_app *a, const char *text, unsigned long *out);

/* A message; any key closes it. */
st_dialog *st_message_new(const char *title, const char *text, bool error);

/* Lines of a text view: attr is a curses attribute; text is untrusted (sanitized on draw). */
typedef struct st_tline {
    char *text;
    int attr;
    int indent;
} st_tline;

typedef struct st_textbuf {
    st_tline *lines;
    size_t n, cap;
} st_textbuf;

void st_tb_add(st_textbuf *tb, int attr, int indent, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void st_tb_clear(st_textbuf *tb);

/* Draws wrapped text lines in a box area from `scroll`; returns the total wrapped line count. */
int st_tb_draw(st_app *a, const st_textbuf *tb, int y, int x, int h, int w, int scroll);

/* Centred box geometry for a dialog of at most max_w x max_h. */
void st_dialog_box(st_app *a, int max_w, int max_h, int *y, int *x, int *h, int *w);

#endif
