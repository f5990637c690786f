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
    /* moving, in the tree and in every list or scrolling screen */
    {ST_CTX_MOVE, ST_KEY_UP, {K(KEY_UP), C('k')}, N_("move up"), false},
    {ST_CTX_MOVE, ST_KEY_DOWN, {K(KEY_DOWN), C('j')}, N_("move down"), false},
    {ST_CTX_MOVE, ST_KEY_PAGE_UP, {K(KEY_PPAGE), C(CTRL_KEY('b'))}, N_("page up"), false},
    {ST_CTX_MOVE, ST_KEY_PAGE_DOWN, {K(KEY_NPAGE), C(CTRL_KEY('f'))}, N_("page down"), false},
    {ST_CTX_MOVE, ST_KEY_HOME, {K(KEY_HOME), C('g')}, N_("first line"), false},
    {ST_CTX_MOVE, ST_KEY_END, {K(KEY_END), C('G')}, N_("last line"), false},
    /* the tree */
    {ST_CTX_TREE,
     ST_KEY_EXPAND,
     {K(KEY_RIGHT), C('l'), C('\n'), C('\r'), K(KEY_ENTER)},
     N_("expand, or go to the first child"),
     false},
    {ST_CTX_TREE,
     ST_KEY_COLLAPSE,
     {K(KEY_LEFT), C('h')},
     N_("collapse, or go to the parent"),
     false},
    {ST_CTX_TREE, ST_KEY_TOGGLE, {C(' ')}, N_("expand or collapse"), false},
    {ST_CTX_VIEW, ST_KEY_SEARCH, {C('/')}, N_("search names as you type"), false},
    {ST_CTX_VIEW, ST_KEY_SEARCH_NEXT, {C('n')}, N_("next match"), false},
    {ST_CTX_VIEW, ST_KEY_SEARCH_PREV, {C('N')}, N_("previous match"), false},
    {ST_CTX_VIEW, ST_KEY_JOBS, {C('J')}, N_("show or hide the jobs panel"), false},
    {ST_CTX_VIEW,
     ST_KEY_GROUP,
     {C('f')},
     N_("show the next group of hosts only, then all"),
     false},
    {ST_CTX_VIEW, ST_KEY_DETAIL_UP, {C('['), K(KEY_SR)}, N_("scroll the details up"), false},
    {ST_CTX_VIEW, ST_KEY_DETAIL_DOWN, {C(']'), K(KEY_SF)}, N_("scroll the details down"), false},
    {ST_CTX_VIEW,
     ST_KEY_QUIT,
     {C('q')},
     N_("quit (running jobs go on; asks first while this interface still has a follow-up to run)"),
     false},
    {ST_CTX_VIEW, ST_KEY_DISMISS, {C(27)}, N_("dismiss the last error in the status line"), false},
    {ST_CTX_VIEW,
     ST_KEY_JOURNAL,
     {C('L')},
     N_("the journal of what was done to the domain (on a host: to all its domains)"),
     false},
    {ST_CTX_VIEW, ST_KEY_ORPHANS, {C('O')}, N_("image files of the host and who uses them"), false},
    {ST_CTX_ACTION, ST_KEY_SNAPSHOT, {C('s')}, N_("take a snapshot of the domain"), true},
    {ST_CTX_ACTION, ST_KEY_REVERT, {C('r')}, N_("revert to the selected snapshot"), true},
    {ST_CTX_ACTION,
     ST_KEY_DELETE,
     {C('d')},
     N_("delete the selected snapshot (on a domain: its managed save)"),
     true},
    {ST_CTX_ACTION, ST_KEY_COMMIT, {C('c')}, N_("commit: merge this layer down into a base"), true},
    {ST_CTX_ACTION,
     ST_KEY_PULL,
     {C('p')},
     N_("pull: merge backing layers up into the active one"),
     true},
    {ST_CTX_ACTION, ST_KEY_ABORT, {C('a')}, N_("abort the selected disk's job"), true},
    {ST_CTX_ACTION,
     ST_KEY_BANDWIDTH,
     {C('b')},
     N_("change the bandwidth of the selected job"),
     true},
    {ST_CTX_ACTION,
     ST_KEY_PIVOT,
     {C('P')},
     N_("finish a ready active commit: pivot or keep (the selected disk's, else the one the "
        "status line names)"),
     true},
    {ST_CTX_ACTION, ST_KEY_SAVE, {C('S')}, N_("save the running domain's memory to a file"), true},
    {ST_CTX_ACTION, ST_KEY_RESTORE, {C('R')}, N_("restore a domain from a save file"), true},
    {ST_CTX_ACTION,
     ST_KEY_FIX,
     {C('F')},
     N_("fix: the chain doctor's commit plan that compacts the selected disk's too deep chain"),
     true},
    /* dialogs */
    {ST_CTX_LIST, ST_KEY_ACCEPT, {C('\n'), C('\r'), K(KEY_ENTER)}, N_("take the item"), false},
    {ST_CTX_LIST, ST_KEY_CANCEL, {C(27), C('q')}, N_("cancel"), false},
    {ST_CTX_CHOICE,
     ST_KEY_CANCEL,
     {C('\n'), C('\r'), K(KEY_ENTER), C(27)},
     N_("the answer that changes nothing; the others take their letter"),
     false},
    {ST_CTX_PLAN,
     ST_KEY_ACCEPT,
     {C('\n'), C('\r'), K(KEY_ENTER)},
     N_("start, once yes is typed (a refused plan: close)"),
     false},
    {ST_CTX_PLAN,
     ST_KEY_ERASE,
     {K(KEY_BACKSPACE), C(127), C(8)},
     N_("erase the last letter typed"),
     false},
    {ST_CTX_PLAN,
     ST_KEY_OPTION,
     {C('1'), C('2'), C('3'), C('4'), C('9')},
     N_("change the option of that number"),
     false},
    {ST_CTX_PLAN, ST_KEY_CANCEL, {C(27)}, N_("cancel: nothing is changed"), false},
    {ST_CTX_FORM, ST_KEY_DOWN, {C('\t')}, N_("next field"), false},
    {ST_CTX_FORM,
     ST_KEY_ACCEPT,
     {C('\n'), C('\r'), K(KEY_ENTER)},
     N_("edit the text or change the choice; on the last line, show the plan"),
     false},
    {ST_CTX_FORM, ST_KEY_CHANGE, {C(' ')}, N_("change a choice"), false},
    {ST_CTX_FORM, ST_KEY_CANCEL, {C(27)}, N_("cancel"), false},
    {ST_CTX_INPUT, ST_KEY_ACCEPT, {C('\n'), C('\r'), K(KEY_ENTER)}, N_("accept"), false},
    {ST_CTX_INPUT, ST_KEY_ERASE, {K(KEY_BACKSPACE), C(127), C(8)}, N_("erase a character"), false},
    {ST_CTX_INPUT, ST_KEY_CLEAR, {C(CTRL_KEY('u'))}, N_("clear the line"), false},
    {ST_CTX_INPUT, ST_KEY_CANCEL, {C(27)}, N_("cancel"), false},
    {ST_CTX_SEARCH,
     ST_KEY_ACCEPT,
     {C('\n'), C('\r'), K(KEY_ENTER)},
     N_("stay on the match (n and N find the next ones)"),
     false},
    {ST_CTX_SEARCH, ST_KEY_ERASE, {K(KEY_BACKSPACE), C(127), C(8)}, N_("erase a character"), false},
    {ST_CTX_SEARCH, ST_KEY_CANCEL, {C(27)}, N_("go back to where the search started"), false},
    {ST_CTX_WAIT, ST_KEY_CANCEL, {C(27), C('q')}, N_("hide this screen (the job goes on)"), false},
    {ST_CTX_JOURNAL,
     ST_KEY_UNDO,
     {C('u')},
     N_("undo the marked entry: its plan, then the typed yes"),
     true},
    {ST_CTX_JOURNAL, ST_KEY_CANCEL, {C(27), C('q')}, N_("close the journal"), false},
    {ST_CTX_HELP,
     ST_KEY_CANCEL,
     {C(27), C('q')},
     N_("close the help (so does any key not listed here)"),
     false},
    /* everywhere, whatever the screen */
    {ST_CTX_GLOBAL,
     ST_KEY_REFRESH,
     {K(KEY_F(5)), C(CTRL_KEY('l'))},
     N_("refresh now and redraw"),
     false},
    {ST_CTX_GLOBAL,
     ST_KEY_HELP,
     {C('?'), K(KEY_F(1))},
     N_("this help (in a dialog: that dialog's keys)"),
     false},
};

const size_t st_keytable_len = sizeof(st_keytable) / sizeof(st_keytable[0]);

static bool key_end(const st_key *k)
{
    return !k->key && !k->is_code;
}

/* Which contexts each screen looks keys up in, its own first (st_keyctx_uses). */
#define BIT(c) (1u << (c))
#define TREE_USES                                                                                  \
    (BIT(ST_CTX_TREE) | BIT(ST_CTX_GLOBAL) | BIT(ST_CTX_MOVE) | BIT(ST_CTX_VIEW) |                 \
     BIT(ST_CTX_ACTION))
static const unsigned uses[ST_CTX_COUNT] = {
    [ST_CTX_GLOBAL] = BIT(ST_CTX_GLOBAL),
    [ST_CTX_MOVE] = BIT(ST_CTX_MOVE) | BIT(ST_CTX_GLOBAL),
    [ST_CTX_TREE] = TREE_USES,
    [ST_CTX_VIEW] = TREE_USES,
    [ST_CTX_ACTION] = TREE_USES,
    [ST_CTX_LIST] = BIT(ST_CTX_LIST) | BIT(ST_CTX_GLOBAL) | BIT(ST_CTX_MOVE),
    /* A choice's letters are its own (k keeps an overlay): no moving keys there. */
    [ST_CTX_CHOICE] = BIT(ST_CTX_CHOICE) | BIT(ST_CTX_GLOBAL),
    [ST_CTX_PLAN] = BIT(ST_CTX_PLAN) | BIT(ST_CTX_GLOBAL) | BIT(ST_CTX_MOVE),
    [ST_CTX_FORM] = BIT(ST_CTX_FORM) | BIT(ST_CTX_GLOBAL) | BIT(ST_CTX_MOVE),
    [ST_CTX_INPUT] = BIT(ST_CTX_INPUT) | BIT(ST_CTX_GLOBAL),
    [ST_CTX_SEARCH] = BIT(ST_CTX_SEARCH) | BIT(ST_CTX_GLOBAL),
    [ST_CTX_WAIT] = BIT(ST_CTX_WAIT) | BIT(ST_CTX_GLOBAL),
    [ST_CTX_JOURNAL] = BIT(ST_CTX_JOURNAL) | BIT(ST_CTX_GLOBAL) | BIT(ST_CTX_MOVE),
    [ST_CTX_HELP] = BIT(ST_CTX_HELP) | BIT(ST_CTX_GLOBAL) | BIT(ST_CTX_MOVE),
};

unsigned st_keyctx_uses(st_keyctx ctx)
{
    return ctx < ST_CTX_COUNT ? uses[ctx] : 0;
}

const char *st_keyctx_title(st_keyctx ctx)
{
    static const char *const titles[ST_CTX_COUNT] = {
        [ST_CTX_GLOBAL] = N_("Everywhere"),
        [ST_CTX_MOVE] = N_("Moving around"),
        [ST_CTX_TREE] = N_("The tree"),
        [ST_CTX_VIEW] = N_("View"),
        [ST_CTX_ACTION] = N_("Actions"),
        [ST_CTX_LIST] = N_("Lists"),
        [ST_CTX_CHOICE] = N_("Choices answered by a letter"),
        [ST_CTX_PLAN] = N_("Plan screens"),
        [ST_CTX_FORM] = N_("The snapshot form"),
        [ST_CTX_INPUT] = N_("Typing a line"),
        [ST_CTX_SEARCH] = N_("Searching"),
        [ST_CTX_WAIT] = N_("Waiting for a snapshot action"),
        [ST_CTX_JOURNAL] = N_("The journal"),
        [ST_CTX_HELP] = N_("This help"),
    };
    return ctx < ST_CTX_COUNT ? _(titles[ctx]) : "";
}

/*
 * Characters a screen takes as text, not as keys: a line being typed takes every printable
 * character; a plan screen the letters of the typed "yes" (its digits and ? stay keys).
 */
static bool is_text(st_keyctx on, const st_key *k)
{
    if (k->is_code)
        return false;
    switch (on) {
    case ST_CTX_INPUT:
    case ST_CTX_SEARCH:
        return k->key >= 32 && k->key != 127;
    case ST_CTX_PLAN:
        return (k->key >= 'a' && k->key <= 'z') || (k->key >= 'A' && k->key <= 'Z');
    default:
        return false;
    }
}

/* The request of key in context c alone. */
static st_keyreq lookup_in(st_keyctx c, const st_key *key)
{
    for (size_t i = 0; i < st_keytable_len; i++) {
        if (st_keytable[i].ctx != c)
            continue;
        for (const st_key *k = st_keytable[i].keys; k < st_keytable[i].keys + ST_KEYS_MAX; k++) {
            if (key_end(k))
                break;
            if (k->key == key->key && k->is_code == key->is_code)
                return st_keytable[i].req;
        }
    }
    return ST_KEY_NONE;
}

st_keyreq st_key_lookup(st_keyctx ctx, int key, bool is_code)
{
    st_key k = {key, is_code};
    if (ctx >= ST_CTX_COUNT || is_text(ctx, &k))
        return ST_KEY_NONE;
    st_keyreq req = lookup_in(ctx, &k);
    for (int c = 0; c < ST_CTX_COUNT && req == ST_KEY_NONE; c++)
        if (c != (int)ctx && (uses[ctx] & BIT(c)))
            req = lookup_in((st_keyctx)c, &k);
    return req;
}

static const char *code_name(int code, char *buf, size_t n)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {KEY_UP, "Up"},       {KEY_DOWN, "Down"},  {KEY_LEFT, "Left"}, {KEY_RIGHT, "Right"},
        {KEY_PPAGE, "PgUp"},  {KEY_NPAGE, "PgDn"}, {KEY_HOME, "Home"}, {KEY_END, "End"},
        {KEY_ENTER, "Enter"}, {KEY_SR, "S-Up"},    {KEY_SF, "S-Down"}, {KEY_BACKSPACE, "Backspace"},
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
    if (ch == '\t')
        return "Tab";
    if (ch == 127 || ch == 8) /* what terminals send for Backspace */
        return "Backspace";
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

void st_key_label(const st_keydef *def, st_keyctx on, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ST_KEYS_MAX && !key_end(&def->keys[i]); i++) {
        char buf[16];
        const st_key *k = &def->keys[i];
        if (is_text(on, k))
            continue;
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

const st_keydef *st_key_def(st_keyctx ctx, st_keyreq req)
{
    for (size_t i = 0; i < st_keytable_len; i++)
        if (st_keytable[i].ctx == ctx && st_keytable[i].req == req)
            return &st_keytable[i];
    return NULL;
}

bool st_key_move(st_keyreq req, size_t *at, size_t n, size_t rows)
{
    size_t last = n ? n - 1 : 0, page = rows > 1 ? rows - 1 : 1;
    switch (req) {
    case ST_KEY_UP:
        *at = *at ? *at - 1 : 0;
        break;
    case ST_KEY_DOWN:
        *at = *at + 1;
        break;
    case ST_KEY_PAGE_UP:
        *at = *at > page ? *at - page : 0;
        break;
    case ST_KEY_PAGE_DOWN:
        *at = *at + page;
        break;
    case ST_KEY_HOME:
        *at = 0;
        break;
    case ST_KEY_END:
        *at = last;
        break;
    default:
        return false;
    }
    if (*at > last)
        *at = last;
    return true;
}
