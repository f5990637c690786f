#include "config.h"

#include "complete.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/domain_names.h"
#include "base/util.h"
#include "view/options.h"
#include "view/term.h"

/* How long a TAB may wait for the hosts' domain names: past that it offers none. */
#define DOMAIN_TIMEOUT_MS 2000

/* What a word stands for. */
typedef enum { WORD_OPTION, WORD_URI, WORD_GROUP, WORD_OTHER_VALUE, WORD_DOMAIN } word_kind;

/* What the words before the current one say. */
typedef struct ctx {
    char **uris; /* -c and --connect */
    size_t n_uris;
    bool value_next;   /* the last word was an option that takes the next word as its value */
    bool uri_next;     /* ... and that option is -c or --connect */
    bool group_next;   /* ... or --group */
    bool options_done; /* after "--" */
} ctx;

/* getopt_long's match: the exact name, or a prefix of exactly one option. */
static const struct option *find_long(const char *name, size_t len)
{
    const struct option *hit = NULL;
    for (const struct option *o = st_options_longopts(); o->name; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (strlen(o->name) == len)
            return o;
        if (hit && hit->val != o->val)
            return NULL;
        hit = o;
    }
    return hit;
}

static void add_uri(ctx *c, const char *uri)
{
    c->uris = xrealloc(c->uris, (c->n_uris + 1) * sizeof(char *));
    c->uris[c->n_uris++] = xstrdup(uri);
}

/* One word before the current one, read the way getopt_long reads it. */
static void read_word(ctx *c, const char *w)
{
    if (c->value_next) {
        if (c->uri_next)
            add_uri(c, w);
        c->value_next = c->uri_next = c->group_next = false;
    } else if (c->options_done || w[0] != '-' || !w[1]) {
        return;
    } else if (strcmp(w, "--") == 0) {
        c->options_done = true;
    } else if (w[1] == '-') {
        const char *eq = strchr(w + 2, '=');
        const struct option *o = find_long(w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2));
        if (o && o->val == 'c' && eq) {
            add_uri(c, eq + 1);
        } else if (o && o->has_arg == required_argument && !eq) {
            c->value_next = true;
            c->uri_next = o->val == 'c';
            c->group_next = strcmp(o->name, "group") == 0;
        }
    } else {
        /* Short options may be grouped (-rc URI); -c takes the rest of the word, or the next. */
        const char *cc = strchr(w + 1, 'c');
        if (cc && cc[1])
            add_uri(c, cc + 1);
        else if (cc)
            c->value_next = c->uri_next = true;
    }
}

static void offer(const char *prefix, const char *word, const char *cur)
{
    size_t pl = strlen(prefix);
    if (strncmp(cur, prefix, pl) == 0 && strncmp(word, cur + pl, strlen(cur + pl)) == 0)
        printf("%s%s\n", prefix, word);
}

static void offer_options(const char *cur)
{
    for (const struct option *o = st_options_longopts(); o->name; o++) {
        char *w = xasprintf("--%s%s", o->name, o->has_arg == required_argument ? "=" : "");
        offer("", w, cur);
        free(w);
    }
}

/*
 * The hosts an admin is likely to mean, each once: the config file's, libvirt's default from the
 * environment, and the local QEMU driver's two.
 */
static void offer_uris(const char *prefix, const char *cur)
{
    st_options o;
    memset(&o, 0, sizeof(o));
    st_options_read_config_file(&o);
    const char *env = getenv("LIBVIRT_DEFAULT_URI");
    const char *fixed[] = {env && *env ? env : NULL, "qemu:///system", "qemu:///session"};
    size_t n = o.n_uris;
    const char **all = xcalloc(n + 3, sizeof(char *));
    for (size_t i = 0; i < 3; i++)
        if (fixed[i])
            all[n++] = fixed[i];
    for (size_t i = 0; i < o.n_uris; i++)
        all[i] = o.uris[i];
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(all[i], all[j]) == 0;
        if (!seen)
            offer(prefix, all[i], cur);
    }
    free(all);
    st_options_free(&o);
}

/* The config file's groups, each once. */
static void offer_groups(const char *prefix, const char *cur)
{
    st_options o;
    memset(&o, 0, sizeof(o));
    st_options_read_config_file(&o);
    for (size_t i = 0; i < o.n_uris; i++) {
        bool seen = !o.groups[i];
        for (size_t j = 0; j < i && !seen; j++)
            seen = o.groups[j] && strcmp(o.groups[i], o.groups[j]) == 0;
        if (!seen)
            offer(prefix, o.groups[i], cur);
    }
    st_options_free(&o);
}

static void offer_domain(const char *name, void *cur)
{
    offer("", name, cur);
}

static word_kind current_kind(const ctx *c, const char *cur, const char **uri_prefix_end)
{
    *uri_prefix_end = cur;
    if (c->value_next)
        return c->uri_next ? WORD_URI : c->group_next ? WORD_GROUP : WORD_OTHER_VALUE;
    if (c->options_done || cur[0] != '-')
        return WORD_DOMAIN;
    const char *eq = cur[1] == '-' ? strchr(cur, '=') : NULL;
    if (!eq)
        return WORD_OPTION;
    const struct option *o = find_long(cur + 2, (size_t)(eq - cur - 2));
    *uri_prefix_end = eq + 1;
    if (o && strcmp(o->name, "group") == 0)
        return WORD_GROUP;
    return o && o->val == 'c' ? WORD_URI : WORD_OTHER_VALUE;
}

int st_complete_main(int argc, char **argv)
{
    /* main blocked them for threads that a completion never starts: a ^C on the shell ends the
     * wait for the hosts at once. */
    st_term_unblock_signals();
    int first = argc && strcmp(argv[0], "--") == 0 ? 1 : 0;
    const char *cur = argc > first ? argv[argc - 1] : "";
    ctx c;
    memset(&c, 0, sizeof(c));
    for (int i = first; i < argc - 1; i++)
        read_word(&c, argv[i]);
    const char *end;
    word_kind kind = current_kind(&c, cur, &end);
    /* Nothing typed yet: the options, and the domains if there are hosts to ask. */
    if (kind == WORD_OPTION || (kind == WORD_DOMAIN && !*cur && !c.options_done))
        offer_options(cur);
    switch (kind) {
    case WORD_OPTION:
        break;
    case WORD_URI:
    case WORD_GROUP: {
        char *prefix = xstrndup(cur, (size_t)(end - cur));
        if (kind == WORD_URI)
            offer_uris(prefix, cur);
        else
            offer_groups(prefix, cur);
        free(prefix);
        break;
    }
    case WORD_DOMAIN:
        /* Only hosts the admin named: a TAB never opens a connection by itself. */
        st_domain_names((const char *const *)c.uris, c.n_uris, DOMAIN_TIMEOUT_MS, offer_domain,
                        (void *)cur);
        break;
    case WORD_OTHER_VALUE:
        break;
    }
    for (size_t i = 0; i < c.n_uris; i++)
        free(c.uris[i]);
    free(c.uris);
    fflush(stdout);
    return 0;
}
