#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "backend/orphans.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"
#include "doctor_cli.h"

/* The plan: each file with its size, the total; then the typed yes and the removals. */
static void remove_offered(const st_orphans *f, bool utf8)
{
    uint64_t bytes;
    size_t n = st_orphans_removable(f, &bytes);
    if (!n) {
        fputs(_("Nothing the finder can remove.\n"), stdout);
        return;
    }
    char size[32];
    st_fmt_bytes(size, sizeof(size), bytes);
    printf(ngettext("The plan: remove %zu file (%s)\n", "The plan: remove %zu files (%s)\n", n), n,
           size);
    for (size_t i = 0, k = 0; i < f->n; i++) {
        if (!f->v[i].removable)
            continue;
        st_fmt_bytes(size, sizeof(size), f->v[i].bytes);
        printf("  %zu. ", ++k);
        st_text_put(stdout, f->v[i].path, utf8);
        printf("  %s\n", size);
    }
    fputs(_("Only the domains of the hosts given are known: a shut-off domain of another "
            "connection may use these files.\n"),
          stdout);
    if (!st_cli_typed_yes(_("Type yes to remove these files: ")))
        return;
    for (size_t i = 0; i < f->n; i++) {
        if (!f->v[i].removable)
            continue;
        char *err = NULL;
        bool done = st_orphans_remove(&f->v[i], &err) == 0;
        fputs(done ? _("removed: ") : _("kept: "), stdout);
        st_text_put(stdout, f->v[i].path, utf8);
        if (!done) {
            fputs(": ", stdout);
            st_text_put(stdout, err, utf8);
        }
        fputc('\n', stdout);
        free(err);
    }
}

int st_orphans_cli(const st_options *o, st_host *const *hosts, size_t n, bool hosts_failed)
{
    st_orphans f = {0};
    st_orphans_find(hosts, n, &f);
    long long now = (long long)time(NULL);
    if (o->mode == ST_MODE_JSON)
        st_orphans_report_json(stdout, &f, now);
    else
        st_orphans_report_text(stdout, &f, now, o->utf8);
    if (o->fix && o->readonly)
        fputs(_("Read-only (-r): nothing is removed.\n"), stdout);
    else if (o->fix)
        remove_offered(&f, o->utf8);
    fflush(stdout);
    st_orphans_clear(&f);
    return hosts_failed ? 1 : 0;
}
