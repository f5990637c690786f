/*
 * The status line: every host's state first (the one thing that must never scroll away), then
 * the last error, which stays until a newer error or Esc, then the last message; messages too
 * long for the line go on lines of their own above it.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"
#include "view/app.h"
#include "view/ready.h"
#include "view/widgets.h"

/* A message is shown this long, unless it announced a refresh that ended sooner. */
#define MESSAGE_SECS 15

/*
 * What names a host in a few columns: the host of a remote URI ("kvm1" of
 * qemu+ssh://root@kvm1/system), else the last part of its path ("system", "article.xml").
 */
static char *short_name(const char *label)
{
    const char *sep = strstr(label, "://");
    if (!sep)
        return xstrdup(label);
    const char *auth = sep + 3, *end = auth + strcspn(auth, "/?");
    const char *at = memchr(auth, '@', (size_t)(end - auth));
    if (at)
        auth = at + 1;
    size_t n = strcspn(auth, ":/?");
    if (auth + n > end)
        n = (size_t)(end - auth);
    if (n)
        return xstrndup(auth, n);
    size_t plen = strcspn(end, "?");
    while (plen > 1 && end[plen - 1] == '/')
        plen--;
    const char *base = end + plen;
    while (base > end && base[-1] != '/')
        base--;
    size_t blen = (size_t)(end + plen - base);
    return blen ? xstrndup(base, blen) : xstrndup(label, (size_t)(sep - label));
}

/* Short names, told apart by their place in the tree where two would read the same. */
static char **short_names(const st_app *a)
{
    char **names = xcalloc(a->n_hosts, sizeof(char *));
    for (size_t i = 0; i < a->n_hosts; i++)
        names[i] = short_name(a->labels[i]);
    bool *twin = xcalloc(a->n_hosts ? a->n_hosts : 1, sizeof(bool));
    for (size_t i = 0; i < a->n_hosts; i++)
        for (size_t j = 0; j < a->n_hosts && !twin[i]; j++)
            twin[i] = j != i && strcmp(names[i], names[j]) == 0;
    for (size_t i = 0; i < a->n_hosts; i++)
        if (twin[i]) {
            char *numbered = xasprintf("%s[%zu]", names[i], i + 1);
            free(names[i]);
            names[i] = numbered;
        }
    free(twin);
    return names;
}

static char *host_part(const st_app *a, size_t i, const char *name, bool brief)
{
    const char *state =
        brief ? st_host_state_short(a->hstate[i]) : st_host_state_label(a->hstate[i]);
    if (a->hstate[i] == ST_HOST_NOT_RESPONDING)
        return xasprintf(_("%s: %s (%.0fs)"), name, state, st_now() - a->hsince[i]);
    return xasprintf(_("%s: %s"), name, state);
}

/* Columns that parts[0..n) take on one line, two between each. */
static int parts_width(char *const *parts, size_t n)
{
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += st_text_width(parts[i]) + (i ? 2 : 0);
    return total;
}

/*
 * A fleet too wide for the line: the hosts that are not connected by name (they are what the
 * admin must see), then how many are; *n_parts of them, ok[] telling which say connected.
 * parts[] and ok[] have room for n_hosts + 1.
 */
static void summary_parts(const st_app *a, char *const *names, char **parts, size_t *n_parts,
                          bool *ok)
{
    size_t n = 0, connected = 0;
    for (size_t i = 0; i < a->n_hosts; i++)
        connected += a->hstate[i] == ST_HOST_CONNECTED;
    /* One connected host is named, as the others: a count would say less in as many columns. */
    bool count = connected > 1;
    for (size_t i = 0; i < a->n_hosts; i++) {
        if (count && a->hstate[i] == ST_HOST_CONNECTED)
            continue;
        ok[n] = a->hstate[i] == ST_HOST_CONNECTED;
        parts[n++] = host_part(a, i, names[i], true);
    }
    if (count) {
        ok[n] = true;
        parts[n++] = xasprintf(ngettext("%zu host ok", "%zu hosts ok", connected), connected);
    }
    *n_parts = n;
}

/* The parts in full words (level 0), short words (1) or the summary (2); how many. */
static size_t host_parts(const st_app *a, char *const *names, int level, char **parts, bool *ok)
{
    for (size_t i = 0; i < a->n_hosts + 1; i++) {
        free(parts[i]);
        parts[i] = NULL;
    }
    size_t n = a->n_hosts;
    if (level == 2) {
        summary_parts(a, names, parts, &n, ok);
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        parts[i] = host_part(a, i, names[i], level == 1);
        ok[i] = a->hstate[i] == ST_HOST_CONNECTED;
    }
    return n;
}

/*
 * Every host's state: in full words when they fit in `room` columns, else in short words, else
 * (a fleet) the hosts not connected by name and a count of the others; returns columns used.
 */
static int draw_hosts(st_app *a, int y, int room)
{
    char **names = short_names(a);
    char **parts = xcalloc(a->n_hosts + 1, sizeof(char *));
    bool *ok = xcalloc(a->n_hosts + 1, sizeof(bool));
    size_t n = 0;
    for (int level = 0; level < 3; level++) {
        n = host_parts(a, names, level, parts, ok);
        if (parts_width(parts, n) <= room)
            break;
    }
    /* Still too long: each part gets its share, so that every state shows. */
    int share = n ? (room - 2 * ((int)n - 1)) / (int)n : room;
    int x = 0;
    for (size_t i = 0; i < n && x < room; i++) {
        int attr = ok[i] ? (int)A_NORMAL : st_attr(a, PAIR_ERROR, A_BOLD);
        if (i)
            x += st_put(a, y, x, room - x, "  ", A_NORMAL);
        bool fits = st_text_width(parts[i]) <= room - x;
        int w = share > 4 && share < room - x ? share : room - x;
        /* The state is at the end: cut a name from the left rather than lose it. */
        x += fits ? st_put(a, y, x, room - x, parts[i], attr)
                  : st_put_right(a, y, x, w, parts[i], attr);
    }
    for (size_t i = 0; i < a->n_hosts + 1; i++)
        free(parts[i]);
    for (size_t i = 0; i < a->n_hosts; i++)
        free(names[i]);
    free(parts);
    free(ok);
    free(names);
    return x;
}

static void draw_search(st_app *a, int y)
{
    int x = st_put(a, y, 0, a->cols, "/", A_BOLD);
    x += st_put(a, y, x, a->cols - x, a->search, A_NORMAL);
    if (a->search_failed) {
        char *msg = xasprintf(_("  (no match for %s)"), a->search);
        st_put(a, y, x, a->cols - x, msg, st_attr(a, PAIR_ERROR, A_BOLD));
        free(msg);
    }
    a->cursor_y = y;
    a->cursor_x = x;
}

/* A message of the status line and how it is drawn. */
typedef struct msgpart {
    const char *text;
    int attr;
} msgpart;

/* Lines above the status line that messages too long for it may take, for as long as shown. */
#define MSG_LINES 3

/*
 * The messages did not fit beside the host states: they are wrapped over up to MSG_LINES lines
 * just above the status line (over the panes, until they go), so that a reason is never lost
 * to the width; the last line allowed is cut.
 */
static void draw_messages_above(st_app *a, int y, const msgpart *parts, size_t n)
{
    int w = a->cols - 1, total = 0, lines[3] = {0};
    int most = y - 1 < MSG_LINES ? y - 1 : MSG_LINES; /* never over the title */
    for (size_t i = 0; i < n && total < most; i++) {
        lines[i] = st_wrap_text(a, false, parts[i].text, 0, 1, w, most - total, 0, NULL);
        total += lines[i];
    }
    int row = y - total;
    for (int r = row; r < y; r++) {
        move(r, 0);
        clrtoeol();
    }
    for (size_t i = 0; i < n; i++) {
        st_wrap_text(a, true, parts[i].text, row, 1, w, lines[i], parts[i].attr, NULL);
        row += lines[i];
    }
}

void st_draw_status(st_app *a)
{
    int y = a->lines - 1;
    move(y, 0);
    clrtoeol();
    if (a->searching) {
        draw_search(a, y);
        return;
    }
    int x = draw_hosts(a, y, a->cols);
    msgpart parts[3];
    size_t n = 0;
    /* A ready job waits for the admin's choice: said here, never pushed as a dialog. */
    char *ready = st_ready_notice(a);
    if (ready)
        parts[n++] = (msgpart){ready, st_attr(a, PAIR_SHARED, A_BOLD)};
    /* An error before a passing message: the message goes by itself, the error must be read. */
    if (a->last_error)
        parts[n++] = (msgpart){a->last_error, st_attr(a, PAIR_ERROR, A_BOLD)};
    if (a->status && st_now() - a->status_at < MESSAGE_SECS)
        parts[n++] = (msgpart){a->status, A_BOLD};
    int need = 0;
    for (size_t i = 0; i < n; i++)
        need += 2 + st_text_width(parts[i].text);
    /* Over an open dialog the lines above would mix with it: the line alone, cut. */
    if (x + need <= a->cols || a->dialog) {
        for (size_t i = 0; i < n; i++) {
            x += st_put(a, y, x, a->cols - x, "  ", A_NORMAL);
            x += st_put(a, y, x, a->cols - x, parts[i].text, parts[i].attr);
        }
    } else {
        draw_messages_above(a, y, parts, n);
    }
    free(ready);
}
