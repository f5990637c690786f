#include "config.h"

#include "view/keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"

#define CTRL_KEY(c) ((c)&0x1f)

/* A curses key code, and a character (ASCII here; the lookup takes any wide character). */
#define K(code)                                                                                    \
    {                                                                                              \
        (code), true                                                                               \
    }
#define C(ch)                                                                                      \
    {                                                                                              \
        (ch), false                                                                                \
    }

const st_keydef st_keytable[] = {
    {REQ_UP, KEYGROUP_MOVE, {K(KEY_UP), C('k')}, N_("move up"), false},
    {REQ_DOWN, KEYGROUP_MOVE, {K(KEY_DOWN), C('j')}, N_("move down"), false},
    {REQ_PAGE_UP, KEYGROUP_MOVE, {K(KEY_PPAGE), C(CTRL_KEY('b'))}, N_("page up"), false},
    {REQ_PAGE_DOWN, KEYGROUP_MOVE, {K(KEY_NPAGE), C(CTRL_KEY('f'))}, N_("page down"), false},
    {REQ_HOME, KEYGROUP_MOVE, {K(KEY_HOME), C('g')}, N_("first line"), false},
    {REQ_END, KEYGROUP_MOVE, {K(KEY_END), C('G')}, N_("last line"), false},
    {REQ_EXPAND,
     KEYGROUP_MOVE,
     {K(KEY_RIGHT), C('l'), C('\n'), C('\r'), K(KEY_ENTER)},
     N_("expand, or go to the first child"),
     false},
    {REQ_COLLAPSE,
     KEYGROUP_MOVE,
     {K(KEY_LEFT), C('h')},
     N_("collapse, or go to the parent"),
     false},
    {REQ_TOGGLE, KEYGROUP_MOVE, {C(' ')}, N_("expand or collapse"), false},
    {REQ_SEARCH, KEYGROUP_VIEW, {C('/')}, N_("search names as you type"), false},
    {REQ_SEARCH_NEXT, KEYGROUP_VIEW, {C('n')}, N_("next match"), false},
    {REQ_SEARCH_PREV, KEYGROUP_VIEW, {C('N')}, N_("previous match"), false},
    {REQ_REFRESH,
     KEYGROUP_VIEW,
     {K(KEY_F(5)), C(CTRL_KEY('l'))},
     N_("refresh now and redraw"),
     false},
    {REQ_JOBS, KEYGROUP_VIEW, {C('J')}, N_("show or hide the jobs panel"), false},
    {REQ_DETAIL_UP, KEYGROUP_VIEW, {C('['), K(KEY_SR)}, N_("scroll the details up"), false},
    {REQ_DETAIL_DOWN, KEYGROUP_VIEW, {C(']'), K(KEY_SF)}, N_("scroll the details down"), false},
    {REQ_HELP, KEYGROUP_VIEW, {C('?'), K(KEY_F(1))}, N_("this help"), false},
    {REQ_QUIT,
     KEYGROUP_VIEW,
     {C('q')},
     N_("quit (running jobs go on; asks first while this interface still has a follow-up to run)"),
     false},
    {REQ_DISMISS, KEYGROUP_VIEW, {C(27)}, N_("dismiss the last error in the status line"), false},
    {REQ_SNAPSHOT, KEYGROUP_ACTION, {C('s')}, N_("take a snapshot of the domain"), true},
    {REQ_REVERT, KEYGROUP_ACTION, {C('r')}, N_("revert to the selected snapshot"), true},
    {REQ_DELETE,
     KEYGROUP_ACTION,
     {C('d')},
     N_("delete the selected snapshot (on a domain: its managed save)"),
     true},
    {REQ_COMMIT, KEYGROUP_ACTION, {C('c')}, N_("commit: merge this layer down into a base"), true},
    {REQ_PULL,
     KEYGROUP_ACTION,
     {C('p')},
     N_("pull: merge backing layers up into the active one"),
     true},
    {REQ_ABORT, KEYGROUP_ACTION, {C('a')}, N_("abort the selected disk's job"), true},
    {REQ_BANDWIDTH,
     KEYGROUP_ACTION,
     {C('b')},
     N_("change the bandwidth of the selected job"),
     true},
    {REQ_PIVOT,
     KEYGROUP_ACTION,
     {C('P')},
     N_("finish a ready active commit: pivot or keep (the selected disk's, else the one the "
        "status line names)"),
     true},
    {REQ_SAVE, KEYGROUP_ACTION, {C('S')}, N_("save the running domain's memory to a file"), true},
    {REQ_RESTORE, KEYGROUP_ACTION, {C('R')}, N_("restore a domain from a save file"), true},
};

const size_t st_keytable_len = sizeof(st_keytable) / sizeof(st_keytable[0]);

static bool key_end(const st_key *k)
{
    return !k->key && !k->is_code;
}

st_req st_key_lookup(int key, bool is_code)
{
    for (size_t i = 0; i < st_keytable_len; i++)
        for (const st_key *k = st_keytable[i].keys; k < st_keytable[i].keys + ST_KEYS_MAX; k++) {
            if (key_end(k))
                break;
            if (k->key == key && k->is_code == is_code)
                return st_keytable[i].req;
        }
    return REQ_NONE;
}

static const char *code_name(int code, char *buf, size_t n)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {KEY_UP, "Up"},       {KEY_DOWN, "Down"},  {KEY_LEFT, "Left"}, {KEY_RIGHT, "Right"},
        {KEY_PPAGE, "PgUp"},  {KEY_NPAGE, "PgDn"}, {KEY_HOME, "Home"}, {KEY_END, "End"},
        {KEY_ENTER, "Enter"}, {KEY_SR, "S-Up"},    {KEY_SF, "S-Down"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == code)
            return names[i].name;
    if (code >= KEY_F(1) && code <= KEY_F(63)) {
        snprintf(buf, n, "F%d", code - KEY_F(0));
        return buf;
    }
    const char *k = keyname(code);
    return k ? k : "?";
}

/* Characters as typed; control characters as ^X; non-ASCII as UTF-8. */
static const char *char_name(int ch, char *buf, size_t n)
{
    if (ch == ' ')
        return "Space";
    if (ch == '\n' || ch == '\r')
        return "Enter";
    if (ch == 27)
        return "Esc";
    if (ch > 0 && ch < 32)
        snprintf(buf, n, "^%c", ch + '@');
    else if (ch < 0x80)
        snprintf(buf, n, "%c", ch);
    else if (ch < 0x800)
        snprintf(buf, n, "%c%c", 0xC0 | ch >> 6, 0x80 | (ch & 0x3F));
    else
        snprintf(buf, n, "%c%c%c", 0xE0 | ch >> 12, 0x80 | (ch >> 6 & 0x3F), 0x80 | (ch & 0x3F));
    return buf;
}

void st_key_label(const st_keydef *def, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ST_KEYS_MAX && !key_end(&def->keys[i]); i++) {
        char buf[16];
        const st_key *k = &def->keys[i];
        const char *name =
            k->is_code ? code_name(k->key, buf, sizeof(buf)) : char_name(k->key, buf, sizeof(buf));
        /* "Enter" is both a character and a key code: named once. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            char b2[16];
            const st_key *o = &def->keys[j];
            seen = strcmp(name, o->is_code ? code_name(o->key, b2, sizeof(b2))
                                           : char_name(o->key, b2, sizeof(b2))) == 0;
        }
        if (!seen && len < n)
            len += (size_t)snprintf(out + len, n - len, "%s%s", len ? " " : "", name);
    }
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
