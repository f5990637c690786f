#include "config.h"

#include "core/config_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/i18n.h"
#include "base/readfile.h"
#include "base/util.h"
#include "core/text.h"

/* How much of a line not understood the warning quotes, in columns. */
#define QUOTE_COLS 60

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void add_host(st_config *c, const char *uri, const char *label, const char *group)
{
    c->uris = xrealloc(c->uris, (c->n_uris + 1) * sizeof(char *));
    c->labels = xrealloc(c->labels, (c->n_uris + 1) * sizeof(char *));
    c->groups = xrealloc(c->groups, (c->n_uris + 1) * sizeof(char *));
    c->labels[c->n_uris] = label ? xstrdup(label) : NULL;
    c->groups[c->n_uris] = group ? xstrdup(group) : NULL;
    c->uris[c->n_uris++] = xstrdup(uri);
}

/* The value of "word" when `w` is "word=VALUE" with a VALUE, else NULL. */
static const char *word_value(const char *w, const char *word)
{
    size_t n = strlen(word);
    return strncmp(w, word, n) == 0 && w[n] == '=' && w[n + 1] ? w + n + 1 : NULL;
}

/*
 * "URI [label=NAME] [group=NAME]", split in place; false when a word after the URI is neither,
 * or is given twice.
 */
static bool parse_host(st_config *c, char *v)
{
    char *save = NULL;
    const char *uri = strtok_r(v, " \t", &save);
    const char *label = NULL, *group = NULL;
    for (char *w; (w = strtok_r(NULL, " \t", &save));) {
        const char *l = word_value(w, "label"), *g = word_value(w, "group");
        if ((!l && !g) || (l && label) || (g && group))
            return false;
        label = l ? l : label;
        group = g ? g : group;
    }
    add_host(c, uri, label, group);
    return true;
}

/* The first line not understood, quoted as written (sanitized where it is shown). */
static void warn_line(st_config *c, const char *path, size_t no, const char *line)
{
    if (c->warning)
        return;
    size_t keep = st_text_prefix_bytes(line, QUOTE_COLS);
    char *quoted = xasprintf("%.*s%s", (int)keep, line, line[keep] ? "..." : "");
    c->warning = xasprintf(_("%s, line %d: not understood (only \"connect = URI [label=NAME] "
                             "[group=NAME]\" lines are read): %s"),
                           path, (int)no, quoted);
    free(quoted);
}

static bool key_is(const char *l, size_t klen, const char *key)
{
    return klen == strlen(key) && strncmp(l, key, klen) == 0;
}

/* max-chain-depth: a whole number from 1 to 1000. */
static bool parse_depth(const char *v, size_t *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || *end || n < 1 || n > 1000 || !isdigit((unsigned char)*v))
        return false;
    *out = n;
    return true;
}

/* One line, NUL-terminated in place; `n` is its length in the file. */
static void parse_line(st_config *c, const char *path, size_t no, char *line, size_t n)
{
    bool nul = strlen(line) != n; /* a NUL byte: not text */
    char *l = trim(line);
    if (nul) {
        warn_line(c, path, no, l);
        return;
    }
    if (!*l || *l == '#')
        return;
    /* "key = value", the line left whole for the warning. */
    const char *eq = strchr(l, '=');
    size_t klen = eq ? (size_t)(eq - l) : 0;
    while (klen && isspace((unsigned char)l[klen - 1]))
        klen--;
    const char *v = eq ? eq + 1 : "";
    while (isspace((unsigned char)*v))
        v++;
    if (eq && key_is(l, klen, "max-chain-depth") && parse_depth(v, &c->max_depth))
        return;
    if (!eq || !key_is(l, klen, "connect") || !*v) {
        warn_line(c, path, no, l);
        return;
    }
    char *words = xstrdup(v); /* the line stays whole for the warning */
    if (!parse_host(c, words))
        warn_line(c, path, no, l);
    free(words);
}

void st_config_parse(st_config *c, const char *path, const char *text, size_t len)
{
    char *copy = xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    size_t no = 1;
    for (char *p = copy; p < copy + len; no++) {
        char *nl = memchr(p, '\n', (size_t)(copy + len - p));
        char *end = nl ? nl : copy + len;
        *end = '\0';
        parse_line(c, path, no, p, (size_t)(end - p));
        p = end + 1;
    }
    free(copy);
}

int st_config_load(st_config *c, const char *path, bool named, char **err)
{
    memset(c, 0, sizeof(*c));
    size_t len;
    char *why = NULL;
    char *text = st_read_regular_file(path, ST_CONFIG_MAX, &len, &why);
    struct stat st;
    /* Only a path with nothing there is "no file": a dangling symlink is a mistake to name. */
    if (!text && errno == ENOENT && !named && lstat(path, &st) != 0) {
        free(why);
        return 0;
    }
    if (!text) {
        *err = xasprintf(_("the configuration file %s cannot be used: %s"), path, why);
        free(why);
        return -1;
    }
    st_config_parse(c, path, text, len);
    free(text);
    return 0;
}

void st_config_clear(st_config *c)
{
    for (size_t i = 0; i < c->n_uris; i++) {
        free(c->uris[i]);
        free(c->labels[i]);
        free(c->groups[i]);
    }
    free(c->uris);
    free(c->labels);
    free(c->groups);
    free(c->warning);
    memset(c, 0, sizeof(*c));
}
