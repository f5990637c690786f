#include "config.h"

#include "keys.h"

#include <curses.h>

#include "i18n.h"

#define CTRL_KEY(c) ((c)&0x1f)

const st_keydef st_keytable[] = {
    {REQ_UP, KEYGROUP_MOVE, {KEY_UP, 'k'}, "Up k", N_("move up"), false},
    {REQ_DOWN, KEYGROUP_MOVE, {KEY_DOWN, 'j'}, "Down j", N_("move down"), false},
    {REQ_PAGE_UP, KEYGROUP_MOVE, {KEY_PPAGE, CTRL_KEY('b')}, "PgUp", N_("page up"), false},
    {REQ_PAGE_DOWN, KEYGROUP_MOVE, {KEY_NPAGE, CTRL_KEY('f')}, "PgDn", N_("page down"), false},
    {REQ_HOME, KEYGROUP_MOVE, {KEY_HOME, 'g'}, "Home g", N_("first line"), false},
    {REQ_END, KEYGROUP_MOVE, {KEY_END, 'G'}, "End G", N_("last line"), false},
    {REQ_EXPAND,
     KEYGROUP_MOVE,
     {KEY_RIGHT, 'l', '\n', '\r', KEY_ENTER},
     "Right l Enter",
     N_("expand, or go to the first child"),
     false},
    {REQ_COLLAPSE,
     KEYGROUP_MOVE,
     {KEY_LEFT, 'h'},
     "Left h",
     N_("collapse, or go to the parent"),
     false},
    {REQ_TOGGLE, KEYGROUP_MOVE, {' '}, "Space", N_("expand or collapse"), false},
    {REQ_SEARCH, KEYGROUP_VIEW, {'/'}, "/", N_("search names as you type"), false},
    {REQ_SEARCH_NEXT, KEYGROUP_VIEW, {'n'}, "n", N_("next match"), false},
    {REQ_SEARCH_PREV, KEYGROUP_VIEW, {'N'}, "N", N_("previous match"), false},
    {REQ_REFRESH,
     KEYGROUP_VIEW,
     {KEY_F(5), CTRL_KEY('l')},
     "F5 ^L",
     N_("refresh now and redraw"),
     false},
    {REQ_JOBS, KEYGROUP_VIEW, {'J'}, "J", N_("show or hide the jobs panel"), false},
    {REQ_HELP, KEYGROUP_VIEW, {'?', KEY_F(1)}, "? F1", N_("this help"), false},
    {REQ_QUIT,
     KEYGROUP_VIEW,
     {'q'},
     "q",
     N_("quit (running jobs go on; asks first while this interface still has a follow-up to run)"),
     false},
    {REQ_SNAPSHOT, KEYGROUP_ACTION, {'s'}, "s", N_("take a snapshot of the domain"), true},
    {REQ_REVERT, KEYGROUP_ACTION, {'r'}, "r", N_("revert to the selected snapshot"), true},
    {REQ_DELETE,
     KEYGROUP_ACTION,
     {'d'},
     "d",
     N_("delete the selected snapshot (on a domain: its managed save)"),
     true},
    {REQ_COMMIT,
     KEYGROUP_ACTION,
     {'c'},
     "c",
     N_("commit: merge this layer down into a base"),
     true},
    {REQ_PULL,
     KEYGROUP_ACTION,
     {'p'},
     "p",
     N_("pull: merge backing layers up into the active one"),
     true},
    {REQ_ABORT, KEYGROUP_ACTION, {'a'}, "a", N_("abort the selected disk's job"), true},
    {REQ_BANDWIDTH,
     KEYGROUP_ACTION,
     {'b'},
     "b",
     N_("change the bandwidth of the selected job"),
     true},
    {REQ_PIVOT,
     KEYGROUP_ACTION,
     {'P'},
     "P",
     N_("finish a ready active commit: pivot or keep (the selected disk's, else the one the "
        "status line names)"),
     true},
    {REQ_SAVE, KEYGROUP_ACTION, {'S'}, "S", N_("save the running domain's memory to a file"), true},
    {REQ_RESTORE, KEYGROUP_ACTION, {'R'}, "R", N_("restore a domain from a save file"), true},
};

const size_t st_keytable_len = sizeof(st_keytable) / sizeof(st_keytable[0]);

st_req st_key_lookup(int key)
{
    for (size_t i = 0; i < st_keytable_len; i++)
        for (size_t k = 0; k < 6 && st_keytable[i].keys[k]; k++)
            if (st_keytable[i].keys[k] == key)
                return st_keytable[i].req;
    return REQ_NONE;
}

const st_keydef *st_key_def(st_req req)
{
    for (size_t i = 0; i < st_keytable_len; i++)
        if (st_keytable[i].req == req)
            return &st_keytable[i];
    return NULL;
}

const char *st_keygroup_title(st_keygroup g)
{
    switch (g) {
    case KEYGROUP_MOVE:
        return _("Moving around");
    case KEYGROUP_VIEW:
        return _("View");
    case KEYGROUP_ACTION:
        return _("Actions");
    }
    return "";
}
