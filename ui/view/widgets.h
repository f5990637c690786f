/*
 * Reusable dialogs: a picker (one of a list), a line of input, a message, and a scrollable text
 * with a typed confirmation. Every dialog redraws from its own state, so a resize at any moment
 * (even while one is open) simply redraws it at the new size.
 */
#ifndef ST_WIDGETS_H
#define ST_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "view/app.h"

/* Called with the chosen index, or SIZE_MAX when the admin pressed Esc. */
typedef void (*st_pick_fn)(st_app *a, size_t choice, void *ctx);
typedef void (*st_ctx_free_fn)(void *ctx);

/* items are copied; `hint` is a line under the title (may be NULL). */
st_dialog *st_picker_new(const char *title, const char *hint, const char *const *items, size_t n,
                         size_t def, st_pick_fn done, void *ctx, st_ctx_free_fn free_ctx);

/*
 * A choice answered by its letter. Enter and Esc pick items[safe], the answer that changes
 * nothing; the others need their letter, so that no stray key makes a consequential choice.
 */
typedef struct st_choice {
    int key;          /* the letter */
    const char *text; /* copied */
} st_choice;
st_dialog *st_choice_new(const char *title, const char *hint, const st_choice *items, size_t n,
                         size_t safe, st_pick_fn done, void *ctx, st_ctx_free_fn free_ctx);

/* Called with the text (NULL on Esc). */
typedef void (*st_input_fn)(st_app *a, const char *text, void *ctx);
st_dialog *st_input_new(const char *title, const char *prompt, const char *initial,
                        st_input_fn done, void *ctx, st_ctx_free_fn free_ctx);

/* Removes the last whole UTF-8 character of s (a line being edited). */
void st_utf8_backspace(char *s);

/*
 * Parses a bandwidth typed in MiB/s: a whole number from 0 (unlimited) to 1048576 (1 TiB/s).
 * On anything else, says so in the status line and returns false.
 */
bool st_parse_mibs(st_app *a, const char *text, unsigned long *out);

/* Lines of a text view: attr is a curses attribute; text is untrusted (sanitized on draw). */
typedef struct st_tline {
    char *text;
    int attr;
    int indent;
} st_tline;

typedef struct st_textbuf {
    st_tline *lines;
    size_t n, cap;
    size_t pin; /* 1 + the index of the first line kept in view (st_tb_pin); 0: none */
} st_textbuf;

void st_tb_add(st_textbuf *tb, int attr, int indent, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
 * The lines added after this call are kept in view on a plan screen (options the admin is to
 * set): when the whole text does not fit, they stay above the prompt while the text before them
 * scrolls.
 */
void st_tb_pin(st_textbuf *tb);
void st_tb_clear(st_textbuf *tb);

/* Draws wrapped text lines in a box area from `scroll`; returns the total wrapped line count. */
int st_tb_draw(st_app *a, const st_textbuf *tb, int y, int x, int h, int w, int scroll);

/*
 * The lower part of every plan screen: the plan's text (scrollable, what st_tb_pin kept in view
 * below it), then either the refusal or the prompt for the typed "yes". Merges and snapshot
 * flows share it so that confirming works the same everywhere.
 */
typedef struct st_confirm {
    char typed[8];
    int scroll, lines, view;  /* lines of the scrolling text, and how many are in view */
    uint64_t digest;          /* of the plan text the typing was for; 0 before the first */
    const char *refused_foot; /* what a refused plan's footer says; NULL: a general sentence */
} st_confirm;

/*
 * Called with the plan's text each time the plan is made again (an option, a new model): when
 * the text changed, what was typed is cleared, so that "yes" is only ever for the text shown.
 */
void st_confirm_plan(st_confirm *c, const st_textbuf *tb);

void st_confirm_draw(st_app *a, st_confirm *c, const st_textbuf *tb, bool refused, int y, int x,
                     int h, int w);

typedef enum {
    ST_CONFIRM_OTHER,   /* not a key of the confirmation: the caller may use it */
    ST_CONFIRM_HANDLED, /* scrolled, typed, or told to type the whole word */
    ST_CONFIRM_YES,     /* "yes" and Enter */
} st_confirm_result;

/*
 * A plan screen's key (its request in ST_CTX_PLAN, or ST_KEY_NONE and the letter typed):
 * scrolling, the typed word, Backspace and Enter. Refused plans take no typing.
 */
st_confirm_result st_confirm_key(st_app *a, st_confirm *c, bool refused, st_keyreq req, int key);

/* Centred box geometry for a dialog of at most max_w x max_h. */
void st_dialog_box(st_app *a, int max_w, int max_h, int *y, int *x, int *h, int *w);

/*
 * Draws `text` (sanitized here) wrapped at `w` columns from (y, x), at most `max` lines, and
 * returns the lines it takes; with draw false it only counts them. *end (may be NULL) is the
 * column after the last line drawn, for a field that follows the text.
 */
int st_wrap_text(st_app *a, bool draw, const char *text, int y, int x, int w, int max, int attr,
                 int *end);

#endif
