#include "config.h"

#include "journal_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"
#include "backend/backend.h"
#include "core/journal.h"
#include "core/journal_settle.h"
#include "core/journal_store.h"
#include "core/text.h"

/* Side by side on a terminal wide enough; one after the other for scripts and pipes. */
static int output_columns(void)
{
    struct winsize ws;
    if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
        return 0;
    return ws.ws_col;
}

static void complain(const st_journal_file *f, bool utf8)
{
    char *msg = xasprintf(_("%s: cannot read the journal entry %s: %s"), PACKAGE, f->path,
                          f->why ? f->why : "?");
    char *safe = st_text_sanitize(msg, utf8);
    fprintf(stderr, "%s\n", safe);
    free(safe);
    free(msg);
}

/* The entries of one host (NULL: all) and one domain (NULL: all), printed. */
static int print_entries(const st_options *o, const char *root, const char *host,
                         const char *domain, int columns)
{
    st_journal_file *v = NULL;
    size_t n = st_journal_load(root, host, domain, &v);
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].doc) {
            complain(&v[i], o->utf8);
            status = 1;
        } else if (o->mode == ST_MODE_JSON) {
            char *line = st_json_dump(v[i].doc);
            printf("%s\n", line);
            free(line);
        } else {
            st_journal_print(stdout, v[i].doc, o->utf8, columns);
        }
    }
    st_journal_files_free(v, n);
    return status;
}

static bool listed(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (streq0(v[i], s))
            return true;
    return false;
}

/* The hosts (distinct) of entries whose merge's end is not recorded yet. */
static size_t unsettled_hosts(const char *root, const st_options *o, char ***out)
{
    *out = NULL;
    size_t n_hosts = 0;
    size_t nh = o->n_uris ? o->n_uris : 1;
    for (size_t h = 0; h < nh; h++) {
        st_journal_file *v = NULL;
        size_t n = st_journal_load(root, o->n_uris ? o->uris[h] : NULL, NULL, &v);
        for (size_t i = 0; i < n; i++) {
            const char *host = v[i].doc ? st_json_get_str(v[i].doc, "host") : NULL;
            if (!host || !st_journal_unsettled(v[i].doc) || listed(*out, n_hosts, host))
                continue;
            *out = xrealloc(*out, (n_hosts + 1) * sizeof(char *));
            (*out)[n_hosts++] = xstrdup(host);
        }
        st_journal_files_free(v, n);
    }
    return n_hosts;
}

/*
 * Merges an earlier run started and did not see end: their hosts are asked how they ended and
 * the entries completed before they are printed (the backend does it at each host's first
 * model). A host that does not answer leaves its entries as they were.
 */
static void settle(const char *root, const st_options *o)
{
    char **hosts = NULL;
    size_t n = unsettled_hosts(root, o, &hosts);
    if (!n)
        return;
    st_backend_opts bo = {
        .uris = (const char *const *)hosts,
        .n_uris = n,
        .readonly = true,
        .interval_ms = 3600 * 1000,
        .settle_journal = true,
    };
    st_backend *b = st_backend_start(&bo);
    /* A host stuck in a call is left behind, as a report leaves it. */
    if (st_backend_wait_initial(b, o->timeout_ms)) {
        st_backend_stop(b);
        st_backend_free(b);
    }
    for (size_t i = 0; i < n; i++)
        free(hosts[i]);
    free(hosts);
}

int st_journal_cli(const st_options *o)
{
    char *root = st_journal_root();
    if (!root) {
        fprintf(stderr, _("%s: no journal: neither XDG_STATE_HOME nor HOME is set\n"), PACKAGE);
        return 1;
    }
    settle(root, o);
    int columns = output_columns(), status = 0;
    size_t nh = o->n_uris ? o->n_uris : 1, nd = o->n_domains ? o->n_domains : 1;
    for (size_t h = 0; h < nh; h++)
        for (size_t d = 0; d < nd; d++)
            status |= print_entries(o, root, o->n_uris ? o->uris[h] : NULL,
                                    o->n_domains ? o->domains[d] : NULL, columns);
    fflush(stdout);
    free(root);
    return status;
}
