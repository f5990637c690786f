/*
 * The one key table: it drives the key map, the help overlay (`?`) and the man page's key list,
 * so that what the help says is what the keys do (tig works the same way).
 */
#ifndef ST_KEYS_H
#define ST_KEYS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    REQ_NONE = 0,
    REQ_UP,
    REQ_DOWN,
    REQ_PAGE_UP,
    REQ_PAGE_DOWN,
    REQ_HOME,
    REQ_END,
    REQ_EXPAND,
    REQ_COLLAPSE,
    REQ_TOGGLE,
    REQ_SEARCH,
    REQ_SEARCH_NEXT,
    REQ_SEARCH_PREV,
    REQ_REFRESH,
    REQ_HELP,
    REQ_QUIT,
    REQ_DISMISS,
    REQ_JOBS,
    REQ_DETAIL_UP,
    REQ_DETAIL_DOWN,
    REQ_SNAPSHOT,
    REQ_REVERT,
    REQ_DELETE,
    REQ_COMMIT,
    REQ_PULL,
    REQ_ABORT,
    REQ_BANDWIDTH,
    REQ_PIVOT,
    REQ_SAVE,
    REQ_RESTORE,
    REQ_COUNT
} st_req;

typedef enum { KEYGROUP_MOVE, KEYGROUP_VIEW, KEYGROUP_ACTION } st_keygroup;

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
    st_req req;
    st_keygroup group;
    st_key keys[ST_KEYS_MAX]; /* {0, false} ends the list */
    const char *help;         /* N_() text, translated when shown */
    bool action;              /* changes something: hidden in read-only mode */
} st_keydef;

extern const st_keydef st_keytable[];
extern const size_t st_keytable_len;

/* The request bound to a key (a KEY_* code when is_code, else a character), or REQ_NONE. */
st_req st_key_lookup(int key, bool is_code);
/*
 * How a definition's keys are written in the help and the man page ("Up k", "PgUp ^B"): made
 * from the keys themselves, so that a key added to the table is also documented. Keys that
 * read the same (Enter, Return and the keypad's Enter) are named once.
 */
void st_key_label(const st_keydef *def, char *out, size_t n);
const st_keydef *st_key_def(st_req req);
const char *st_keygroup_title(st_keygroup g);

#endif
