/* The kernel's AppArmor denials, read from the audit or kernel log (apparmor.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/apparmor.h"

const char *st_aa_log_paths(bool *named)
{
    const char *env = getenv("VIRT_SNAPTREE_APPARMOR_LOG");
    *named = env && *env;
    return *named ? env : ST_AA_LOGS;
}

/* The value of key=VALUE in an audit record: quoted, or hex when the kernel encoded it (a name
 * with a space or a quote in it). NULL when the key is not there. */
static char *audit_field(const char *line, const char *key)
{
    char *pat = xasprintf(" %s=", key);
    const char *p = strstr(line, pat);
    size_t n = strlen(pat);
    free(pat);
    if (!p)
        return NULL;
    p += n;
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        return q ? xstrndup(p + 1, (size_t)(q - p - 1)) : NULL;
    }
    size_t len = 0;
    while (isxdigit((unsigned char)p[len]))
        len++;
    if (len == 0 || len % 2)
        return NULL;
    char *out = xcalloc(len / 2 + 1, 1);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v = 0;
        sscanf(p + 2 * i, "%2x", &v);
        out[i] = (char)v;
    }
    return out;
}

/* The record's time: audit(SECONDS.MILLIS:SERIAL). */
static long long audit_time(const char *line)
{
    const char *p = strstr(line, "audit(");
    return p ? strtoll(p + 6, NULL, 10) : 0;
}

void st_aa_denials_add_line(st_aa_denials *d, const char *line, const char *log)
{
    if (!strstr(line, "apparmor=\"DENIED\""))
        return;
    char *name = audit_field(line, "name");
    char *profile = audit_field(line, "profile");
    char *mask = audit_field(line, "denied_mask");
    if (!name || name[0] != '/') {
        free(name);
        free(profile);
        free(mask);
        return;
    }
    st_aa_denial *x = NULL;
    for (size_t i = 0; i < d->n && !x; i++)
        if (strcmp(d->v[i].name, name) == 0 && streq0(d->v[i].profile, profile) &&
            streq0(d->v[i].mask, mask))
            x = &d->v[i];
    if (!x) {
        xgrow((void **)&d->v, &d->cap, d->n + 1, sizeof(*x));
        x = &d->v[d->n++];
        memset(x, 0, sizeof(*x));
        x->name = name;
        x->profile = profile;
        x->mask = mask;
        x->log = xstrdup(log);
        name = profile = mask = NULL;
    }
    x->count++;
    long long t = audit_time(line);
    if (t > x->last)
        x->last = t;
    free(name);
    free(profile);
    free(mask);
}

int st_aa_denials_read(st_aa_denials *d, const char *log, char **err)
{
    FILE *f = fopen(log, "re");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        *err = xasprintf("%s: %s", log, f ? _("not a regular file") : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    /* Only the recent end: a kernel log of months holds denials long since dealt with. */
    bool cut = st.st_size > (off_t)ST_AA_LOG_TAIL;
    if (cut)
        fseeko(f, st.st_size - (off_t)ST_AA_LOG_TAIL, SEEK_SET);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got = cut ? getline(&line, &cap, f) : 0; /* the first line is cut in the middle */
    while (got >= 0 && getline(&line, &cap, f) >= 0)
        st_aa_denials_add_line(d, line, log);
    free(line);
    fclose(f);
    return 0;
}

const st_aa_denial *st_aa_denials_find(const st_aa_denials *d, const char *path)
{
    for (size_t i = 0; path && i < d->n; i++)
        if (strcmp(d->v[i].name, path) == 0)
            return &d->v[i];
    return NULL;
}

void st_aa_denials_clear(st_aa_denials *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].name);
        free(d->v[i].profile);
        free(d->v[i].mask);
        free(d->v[i].log);
    }
    free(d->v);
    memset(d, 0, sizeof(*d));
}
