/*
 * The one key table, for the tree and every dialog: it drives the key maps, the help overlay
 * (`?`, which shows the keys of the screen it was opened on) and the man page's key list, so
 * that what the help says is what the keys do (tig works the same way).
 *
 * A screen (the tree, or a kind of dialog) has a context. A key is looked up in the screen's own
 * context, then in the shared ones it uses (ST_CTX_MOVE, ST_CTX_GLOBAL): the moving keys are
 * written once and work the same in the tree, every list and every scrolling screen. Dialogs
 * get requests, never raw keys, except for text: a character the screen takes as text (a line
 * being typed, the typed "yes") comes as ST_KEY_NONE with the key itself.
 *
 * Adding a key: a request below (if none fits), and one row of st_keytable in keys.c with its
 * context, keys and help; then the screen's switch handles the request, and doc/virt-snaptree.1
 * gets the same row in its KEYS section (tests/unit/man-keys.sh compares the two).
 */
#ifndef ST_KEYS_H
#define ST_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* What a key asks for. Named ST_KEY_*: the backend's requests (core/request.h) are ST_REQ_*. */
typedef enum {
    ST_KEY_NONE = 0,
    /* moving, everywhere something moves or scrolls */
    ST_KEY_UP,
    ST_KEY_DOWN,
    ST_KEY_PAGE_UP,
    ST_KEY_PAGE_DOWN,
    ST_KEY_HOME,
    ST_KEY_END,
    /* the tree */
    ST_KEY_EXPAND,
    ST_KEY_COLLAPSE,
    ST_KEY_TOGGLE,
    ST_KEY_SEARCH,
    ST_KEY_SEARCH_NEXT,
    ST_KEY_SEARCH_PREV,
    ST_KEY_REFRESH,
    ST_KEY_HELP,
    ST_KEY_QUIT,
    ST_KEY_DISMISS,
    ST_KEY_JOBS,
    ST_KEY_GROUP,
    ST_KEY_DETAIL_UP,
    ST_KEY_DETAIL_DOWN,
    ST_KEY_ORPHANS,
    /* actions on the selected node */
    ST_KEY_SNAPSHOT,
    ST_KEY_REVERT,
    ST_KEY_DELETE,
    ST_KEY_COMMIT,
    ST_KEY_PULL,
    ST_KEY_ABORT,
    ST_KEY_BANDWIDTH,
    ST_KEY_PIVOT,
    ST_KEY_SAVE,
    ST_KEY_RESTORE,
    ST_KEY_FIX, /* the chain doctor's fix for the selected disk: a compaction's commit plan */
    /* dialogs */
    ST_KEY_ACCEPT, /* Enter: choose, accept, start (after the typed yes) */
    ST_KEY_CANCEL, /* Esc: close, changing nothing */
    ST_KEY_CHANGE, /* Space on the form: the next value of a choice */
    ST_KEY_NEXT,   /* Tab on the form */
    ST_KEY_OPTION, /* a plan's numbered option: which one is the key's digit */
    ST_KEY_ERASE,  /* Backspace in what is being typed */
    ST_KEY_CLEAR,  /* ^U: the whole line */
    ST_KEY_JOURNAL, /* the tree: the selected domain's (or host's) journal */
    ST_KEY_UNDO,    /* the journal: the marked entry's undo plan */
    ST_KEY_COUNT
} st_keyreq;

/*
 * Where keys apply, in the order the man page and the help list them. The tree uses MOVE, TREE,
 * VIEW, ACTION and GLOBAL; each dialog its own context and the shared ones it needs
 * (st_keyctx_uses).
 */
typedef enum {
    ST_CTX_MOVE, /* on every screen that moves or scrolls */
    ST_CTX_TREE,
    ST_CTX_VIEW,
    ST_CTX_ACTION,
    ST_CTX_LIST,   /* a picker: one of a list */
    ST_CTX_CHOICE, /* a choice answered by its letter */
    ST_CTX_PLAN,   /* a plan screen and its typed yes */
    ST_CTX_FORM,   /* the snapshot form */
    ST_CTX_INPUT,  /* a line being typed */
    ST_CTX_SEARCH, /* the search prompt */
    ST_CTX_WAIT,   /* a snapshot action's wait screen */
    ST_CTX_JOURNAL, /* the journal view */
    ST_CTX_HELP,
    ST_CTX_GLOBAL, /* on every screen: last, after what the screen has of its own */
    ST_CTX_COUNT
} st_keyctx;

/*
 * One key: a curses key code (KEY_UP, KEY_F(5)) or a character. The two ranges overlap (KEY_UP is
 * U+0103, KEY_F(5) is U+010D), so a key is only ever compared together with its kind.
 */
typedef struct st_key {
    int key;
    bool is_code;
} st_key;

#define ST_KEYS_MAX 6

typedef struct st_keydef {
    st_keyctx ctx;
    st_keyreq req;
    st_key keys[ST_KEYS_MAX]; /* {0, false} ends the list */
    const char *help;         /* N_() text, translated when shown */
    bool action;              /* changes something: hidden in read-only mode */
} st_keydef;

extern const st_keydef st_keytable[];
extern const size_t st_keytable_len;

/* The contexts a screen of context ctx looks keys up in (bit i: context i), its own first. */
unsigned st_keyctx_uses(st_keyctx ctx);
/* The context's title in the help and the man page. */
const char *st_keyctx_title(st_keyctx ctx);

/*
 * The request bound to a key (a KEY_* code when is_code, else a character) on a screen of
 * context ctx, or ST_KEY_NONE: unbound, or a character that screen takes as text.
 */
st_keyreq st_key_lookup(st_keyctx ctx, int key, bool is_code);
/*
 * How a definition's keys are written in the help and the man page ("Up k", "PgUp ^B"): made
 * from the keys themselves, so that a key added to the table is also documented. Keys that
 * read the same (Enter, Return and the keypad's Enter) are named once. On a screen of context
 * `on` the keys it takes as text are left out (ST_CTX_COUNT: none).
 */
void st_key_label(const st_keydef *def, st_keyctx on, char *out, size_t n);
/*
 * What a moving request does to a position `at` in a list of n (or a scroll offset among n):
 * one up or down, a page (the rows in view, less one to keep the reader's place), the first or
 * the last; always within the list. Returns false when req is not a moving request.
 */
bool st_key_move(st_keyreq req, size_t *at, size_t n, size_t rows);
/* The definition of req in context ctx (NULL: none). */
const st_keydef *st_key_def(st_keyctx ctx, st_keyreq req);

#endif
