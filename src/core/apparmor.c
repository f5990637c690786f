/* Reading libvirt's per-domain AppArmor profiles (apparmor.h). */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"
#include "base/util.h"
#include "core/apparmor.h"

/* A profile lists a few dozen files; anything far larger is not one libvirt wrote. */
#define PROFILE_CAP (4u << 20)

const char *st_aa_dir(void)
{
    const char *d = getenv("VIRT_SNAPTREE_APPARMOR_DIR");
    return d && *d ? d : ST_APPARMOR_DIR;
}

static const char *skip_space(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* A leading qualifier word ("deny", "audit", "owner"), consumed when present. */
static bool take_word(const char **s, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - *s) > n && strncmp(*s, word, n) == 0 &&
        ((*s)[n] == ' ' || (*s)[n] == '\t')) {
        *s = skip_space(*s + n, end);
        return true;
    }
    return false;
}

/* The path of a rule: quoted (virt-aa-helper's way) or a bare word starting with '/'. */
static char *take_path(const char **s, const char *end)
{
    const char *p = *s;
    if (p < end && *p == '"') {
        const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (!q)
            return NULL;
        *s = q + 1;
        return xstrndup(p + 1, (size_t)(q - p - 1));
    }
    if (p >= end || *p != '/')
        return NULL;
    const char *q = p;
    while (q < end && *q != ' ' && *q != '\t')
        q++;
    *s = q;
    return xstrndup(p, (size_t)(q - p));
}

/* One line: [audit] [deny] [owner] PATH PERMS[ -> …], */
static bool parse_rule(const char *s, const char *end, st_aa_rule *r)
{
    s = skip_space(s, end);
    take_word(&s, end, "audit");
    r->deny = take_word(&s, end, "deny");
    take_word(&s, end, "owner");
    char *path = take_path(&s, end);
    if (!path)
        return false;
    s = skip_space(s, end);
    const char *p = s;
    while (s < end && strchr("rwaklmixuUpPcC", *s))
        s++;
    if (s == p || skip_space(s, end) == end || *skip_space(s, end) != ',') {
        free(path);
        return false;
    }
    r->pattern = path;
    r->perms = xstrndup(p, (size_t)(s - p));
    return true;
}

void st_aa_parse(const char *text, const char *file, st_aa_profile *out)
{
    memset(out, 0, sizeof(*out));
    out->file = xstrdup0(file);
    size_t cap = 0, line = 0;
    for (const char *s = text; s && *s;) {
        const char *nl = strchr(s, '\n');
        const char *end = nl ? nl : s + strlen(s);
        line++;
        st_aa_rule r = {0};
        if (parse_rule(s, end, &r)) {
            r.line = line;
            xgrow((void **)&out->rules, &cap, out->n_rules + 1, sizeof(r));
            out->rules[out->n_rules++] = r;
        }
        s = nl ? nl + 1 : end;
    }
}

int st_aa_read_domain(const char *dir, const char *uuid, st_aa_profile *out, char **err)
{
    memset(out, 0, sizeof(*out));
    char *name = xasprintf("libvirt-%s.files", uuid);
    char *path = st_path_join(dir, name);
    free(name);
    size_t len = 0;
    char *why = NULL;
    char *text = st_read_regular_file(path, PROFILE_CAP, &len, &why);
    int rc = 1;
    if (!text && errno == ENOENT) {
        rc = 0;
    } else if (!text) {
        *err = xasprintf("%s: %s", path, why ? why : "?");
        rc = -1;
    } else {
        st_aa_parse(text, path, out);
    }
    free(why);
    free(text);
    free(path);
    return rc;
}

/*
 * Whether an AppArmor path pattern matches. "**" crosses folders, "*" and "?" do not; "{a,b}"
 * alternatives are tried one by one. Only what virt-aa-helper and admins write in these files.
 */
static bool aa_match(const char *pattern, const char *path)
{
    const char *open = strchr(pattern, '{');
    const char *close = open ? strchr(open, '}') : NULL;
    if (open && close) {
        bool hit = false;
        for (const char *alt = open + 1; !hit && alt <= close;) {
            const char *stop = alt;
            while (stop < close && *stop != ',')
                stop++;
            char *p = xasprintf("%.*s%.*s%s", (int)(open - pattern), pattern, (int)(stop - alt),
                                alt, close + 1);
            hit = aa_match(p, path);
            free(p);
            alt = stop + 1;
        }
        return hit;
    }
    if (strstr(pattern, "**")) {
        char *p = xstrdup(pattern);
        char *w = p;
        for (const char *r = pattern; *r; r++)
            if (!(r[0] == '*' && r[1] == '*'))
                *w++ = *r;
        *w = 0;
        bool hit = fnmatch(p, path, 0) == 0;
        free(p);
        return hit;
    }
    return fnmatch(pattern, path, FNM_PATHNAME) == 0;
}

const st_aa_rule *st_aa_denies_write(const st_aa_profile *p, const char *path)
{
    for (size_t i = 0; p && path && i < p->n_rules; i++) {
        const st_aa_rule *r = &p->rules[i];
        if (r->deny && strpbrk(r->perms, "wa") && aa_match(r->pattern, path))
            return r;
    }
    return NULL;
}

bool st_aa_allows_read(const st_aa_profile *p, const char *path)
{
    bool allowed = false;
    for (size_t i = 0; p && path && i < p->n_rules; i++) {
        const st_aa_rule *r = &p->rules[i];
        if (!strchr(r->perms, 'r') || !aa_match(r->pattern, path))
            continue;
        if (r->deny)
            return false;
        allowed = true;
    }
    return allowed;
}

void st_aa_profile_copy(st_aa_profile *dst, const st_aa_profile *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->file = xstrdup0(src->file);
    dst->n_rules = src->n_rules;
    dst->rules = src->n_rules ? xcalloc(src->n_rules, sizeof(st_aa_rule)) : NULL;
    for (size_t i = 0; i < src->n_rules; i++) {
        dst->rules[i] = src->rules[i];
        dst->rules[i].pattern = xstrdup(src->rules[i].pattern);
        dst->rules[i].perms = xstrdup(src->rules[i].perms);
    }
}

void st_aa_profile_clear(st_aa_profile *p)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        free(p->rules[i].pattern);
        free(p->rules[i].perms);
    }
    free(p->rules);
    free(p->file);
    memset(p, 0, sizeof(*p));
}
