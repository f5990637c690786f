/* Why an ssh connection failed, in one line (ssh_reason.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/ssh_reason.h"

/* What libvirt 9.0 wraps around ssh's stderr when the connection ends before the first reply. */
static const char LV_PREFIX[] = "Cannot recv data: ";
static const char LV_SUFFIX[] = ": Connection reset by peer";

/* Whether the line [s, e) says something: not blank, not a row of the banner's '@'. */
static bool telling(const char *s, const char *e)
{
    bool any = false;
    for (; s < e; s++) {
        if (*s == '@' || *s == ' ' || *s == '\t' || *s == '\r')
            continue;
        any = true;
    }
    return any;
}

static bool has(const char *s, size_t n, const char *what)
{
    size_t wl = strlen(what);
    for (size_t i = 0; i + wl <= n; i++)
        if (memcmp(s + i, what, wl) == 0)
            return true;
    return false;
}

/* ssh's text: libvirt's message without its own prefix and suffix; NULL when it is not that. */
static char *ssh_text(const char *msg)
{
    size_t pl = sizeof(LV_PREFIX) - 1, sl = sizeof(LV_SUFFIX) - 1;
    if (!msg || strncmp(msg, LV_PREFIX, pl) != 0)
        return NULL;
    const char *s = msg + pl;
    size_t n = strlen(s);
    if (n >= sl && strcmp(s + n - sl, LV_SUFFIX) == 0)
        n -= sl;
    return xstrndup(s, n);
}

/* The last line of `t` that says something and is not a warning of ssh's on the side. */
static char *verdict(const char *t)
{
    const char *best = NULL, *best_end = NULL;
    for (const char *s = t; *s;) {
        const char *e = strchr(s, '\n');
        if (!e)
            e = s + strlen(s);
        if (telling(s, e) && strncmp(s, "Warning: ", 9) != 0)
            best = s, best_end = e;
        s = *e ? e + 1 : e;
    }
    if (!best)
        return NULL;
    while (best_end > best && (best_end[-1] == '\r' || best_end[-1] == ' '))
        best_end--;
    return xstrndup(best, (size_t)(best_end - best));
}

char *st_ssh_reason(const char *msg, st_ssh_failure *kind)
{
    *kind = ST_SSH_OTHER;
    char *t = ssh_text(msg);
    char *line = t ? verdict(t) : NULL;
    if (!line) {
        free(t);
        return NULL;
    }
    size_t n = strlen(t);
    char *r;
    if (has(t, n, "REMOTE HOST IDENTIFICATION HAS CHANGED") || has(t, n, "has changed and you")) {
        *kind = ST_SSH_CHANGED_KEY;
        r = xstrdup(_("ssh refused the host: its key is not the one known_hosts holds for it "
                      "(REMOTE HOST IDENTIFICATION HAS CHANGED); if the host was reinstalled, "
                      "remove the old key with ssh-keygen -R"));
    } else {
        if (has(t, n, "Permission denied"))
            *kind = ST_SSH_AUTH;
        else if (has(t, n, "Host key verification failed"))
            *kind = ST_SSH_UNKNOWN_KEY;
        r = strncmp(line, "ssh: ", 5) == 0 ? xstrdup(line) : xasprintf("ssh: %s", line);
    }
    free(line);
    free(t);
    return r;
}
