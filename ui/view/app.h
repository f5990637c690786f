/* The state of the interactive program: models, tree, selection, dialogs, layout. */
#ifndef ST_APP_H
#define ST_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"
#include "core/job_figures.h"
#include "view/keys.h"
#include "view/options.h"
#include "view/paint.h"
#include "view/tree.h"

typedef struct st_app st_app;
typedef struct st_dialog st_dialog;

typedef struct st_dialog_ops {
    st_keyctx keys; /* the dialog's keys in the key table (view/keys.h) */
    void (*draw)(st_app *a, st_dialog *d);
    /*
     * Handles a key: the request the key table binds it to in the dialog's context, or
     * ST_KEY_NONE with the key itself (a wide character or a KEY_* code) for text and unbound
     * keys. Returns true when the dialog is done.
     */
    bool (*key)(st_app *a, st_dialog *d, st_keyreq req, int key, bool is_code);
    /* A backend message for this dialog's request (results, plan facts). May be NULL. */
    void (*message)(st_app *a, st_dialog *d, const st_msg *m);
    /* A host model changed: the dialog may re-check what it shows. May be NULL. */
    void (*model_changed)(st_app *a, st_dialog *d);
    /* F5 over this dialog, after the hosts' refresh was asked for: what the dialog asked the
     * host for itself, it asks again. May be NULL. */
    void (*refreshed)(st_app *a, st_dialog *d);
    void (*free)(st_dialog *d);
} st_dialog_ops;

struct st_dialog {
    const st_dialog_ops *ops;
    st_dialog *below;
    int request_id; /* the request whose messages go to this dialog, 0: none */
    void *data;
};

/*
 * What the interface draws of its own: tree guides, markers, bars, frames. --ascii picks the
 * ASCII table; text (names, translations) follows the locale's charset whatever the table.
 */
typedef struct st_glyphs {
    const char *vert, *tee, *corner, *blank, *expanded, *collapsed, *leaf, *here, *current,
        *bar_full, *bar_empty, *ellipsis, *dot;
    const char *hline, *vline, *top_left, *top_right, *bottom_left, *bottom_right;
    const char *bar_color; /* a full cell of a bar drawn in colour */
    const char *cut;       /* one column where text was cut to fit */
} st_glyphs;

/* The ASCII table (--ascii, or a locale that is not UTF-8). */
extern const st_glyphs st_glyphs_ascii;

enum {
    PAIR_TITLE = 1,
    PAIR_RUNNING,
    PAIR_PAUSED,
    PAIR_SHUTOFF,
    PAIR_BROKEN,
    PAIR_SHARED,
    PAIR_HERE,
    PAIR_ERROR,
    PAIR_BAR,
    PAIR_DIALOG,
    PAIR_DIM,
};

#define ST_OFFERED_MAX 64

struct st_app {
    const st_options *opt;
    st_backend *b;
    size_t n_hosts;
    st_host **hosts;   /* latest model of each host; NULL until the first one */
    char **labels;     /* each host's label from the config file, else its URI (or "default") */
    bool *host_hidden; /* outside the group shown: no rows in the tree (view/groups.h) */
    const char *group; /* the group shown, NULL: every host */
    st_host_state *hstate;
    double *hsince;
    st_tree tree;
    size_t sel;
    char *sel_key;
    size_t top;
    bool need_rebuild;
    bool dirty;
    /* Where a line being typed ends, set by its draw: the cursor is shown there (-1: hidden). */
    int cursor_y, cursor_x;
    bool quit;
    bool utf8; /* the locale's charset is UTF-8: how untrusted text is sanitized */
    bool color, readonly;
    const st_glyphs *g;

    bool searching;
    bool search_failed; /* the text typed so far matches nothing */
    /* Every node in tree order, for the search: built when a search needs it, kept while the
     * models stay the same (typing a name walks it once per letter, not rebuilds it). */
    st_tree search_all;
    bool search_stale;
    /* Each of those rows' names, ASCII folded to lower case, in one block (search_folded). */
    const char **search_names;
    char *search_folded;
    /* The rows of search_all whose names match search_hits_for, in tree order: a letter typed
     * onto that text can only narrow them, so it walks these, not every name. */
    size_t *search_hits, n_search_hits;
    char *search_hits_for;    /* NULL: no hits kept */
    size_t search_origin_row; /* search_origin's row in search_all; SIZE_MAX: not looked up */
    char search[256];
    char *search_origin; /* selection key before the search started */
    char *last_search;

    char *status; /* the last message: shown 15 s, or until the refresh it announced ends */
    double status_at;
    /* The request whose answer the message awaits ("vda: starting…"): the answer replaces it,
     * a refusal too, so that no "starting…" stays over an error. 0: none. */
    int status_request;
    /* The last error stays in its own slot until a newer one, or Esc, replaces it. */
    char *last_error;
    /* F5: per host, the count of finished refreshes at which the one asked for is over. */
    unsigned *refresh_target;
    bool refreshing;

    bool show_jobs;
    st_dialog *dialog;
    /* Dialogs put out of sight (Esc on a wait screen) that still take their request's messages,
     * so that what a result offers (FORCE, removing files) is shown when it arrives. */
    st_dialog *hidden;
    /* Block jobs seen running (by job id), whose end is still to be said in the status line. */
    int running_seen[ST_OFFERED_MAX];
    size_t n_running_seen;
    /* Follow-ups of earlier sessions already offered (by record): once per session. */
    char **fu_offered;
    size_t n_fu_offered;

    int lines, cols;
    int tree_y, tree_h, tree_w;
    int detail_y, detail_x, detail_h, detail_w;
    /* The detail pane scrolls when its content is longer: lines hidden above, for which node
     * (another node starts at the top), and what the last draw counted. */
    int detail_scroll;
    char *detail_for;
    int detail_rows, detail_lines;
    int jobs_y, jobs_h;
};

/*
 * Shows a one-line message in the status line (printf-style; arguments are sanitized on draw).
 * An error goes to the sticky "last error" slot instead of the passing message.
 */
void st_app_status(st_app *a, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void st_app_push_dialog(st_app *a, st_dialog *d);
void st_app_pop_dialog(st_app *a);
/* Removes d wherever it is in the stack (or hidden): a dialog may have opened another before
 * closing. */
void st_app_remove_dialog(st_app *a, st_dialog *d);
/* Takes d off the screen; it keeps receiving its request's messages until it removes itself. */
void st_app_hide_dialog(st_app *a, st_dialog *d);
const st_row *st_app_selected(const st_app *a);
/* Rebuilds rows keeping the selection on the same node (or its nearest surviving ancestor). */
void st_app_rebuild(st_app *a);
void st_app_select_key(st_app *a, const char *key);

/* Drawing (draw.c). */
void st_draw(st_app *a);
/* The status line (status.c). */
void st_draw_status(st_app *a);
/* The detail pane of the selected node (detail.c). */
void st_draw_detail(st_app *a);
const char *st_host_state_label(st_host_state s);
/* A few columns: "ok", "hung", "retry" (narrow terminals, the status line). */
const char *st_host_state_short(st_host_state s);
void st_layout(st_app *a);

/* The help overlay (help.c): the keys of a screen of context `on`, from the key table. */
st_dialog *st_help_new(st_keyctx on);

/* Actions (actions_ui.c): what a key does on the selected node. */
void st_ui_action(st_app *a, st_keyreq req);

#endif
