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
    REQ_JOBS,
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

typedef struct st_keydef {
    st_req req;
    st_keygroup group;
    int keys[6];       /* curses key codes or characters; 0 ends */
    const char *label; /* how the keys are written in help, e.g. "Up k" */
    const char *help;  /* N_() text, translated when shown */
    bool action;       /* changes something: hidden in read-only mode */
} st_keydef;

extern const st_keydef st_keytable[];
extern const size_t st_keytable_len;

/* The request bound to a key, or REQ_NONE. */
st_req st_key_lookup(int key);
const st_keydef *st_key_def(st_req req);
const char *st_keygroup_title(st_keygroup g);

#endif
