#include "config.h"

#include "journal_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/journal.h"
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

int st_journal_cli(const st_options *o)
{
    char *root = st_journal_root();
    if (!root) {
        fprintf(stderr, _("%s: no journal: neither XDG_STATE_HOME nor HOME is set\n"), PACKAGE);
        return 1;
    }
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
