#include "config.h"

#include "doctor_cli.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/doctor.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"

bool st_cli_typed_yes(const char *prompt)
{
    fputs(prompt, stdout);
    fflush(stdout);
    char buf[64];
    bool yes = fgets(buf, sizeof(buf), stdin) && strcmp(buf, "yes\n") == 0;
    /* A terminal echoed the answer and its newline; a pipe did not. */
    if (!isatty(STDIN_FILENO))
        fputc('\n', stdout);
    if (!yes)
        fputs(_("Nothing was changed.\n"), stdout);
    return yes;
}

/* How long one metadata deletion may take before it is given up on, in milliseconds. */
#define FIX_WAIT_MS 60000

static size_t host_of(st_host *const *hosts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (hosts[i] && streq0(hosts[i]->name, name))
            return i;
    return SIZE_MAX;
}

/* The result of request `id`, waited for (other messages are dropped: nothing draws them). */
static bool wait_result(st_backend *b, int id, char **text)
{
    double end = st_now() + FIX_WAIT_MS / 1000.0;
    while (st_now() < end) {
        st_msg *m;
        while ((m = st_backend_next(b))) {
            bool mine = m->kind == ST_MSG_RESULT && m->request_id == id;
            bool ok = m->ok;
            if (mine) {
                *text = m->text;
                m->text = NULL;
            }
            st_msg_free(m);
            if (mine)
                return ok;
        }
        struct pollfd p = {st_backend_fd(b), POLLIN, 0};
        poll(&p, 1, 200);
    }
    *text = xstrdup(_("no answer from the host"));
    return false;
}

static int fix_one(const st_finding *x, st_backend *b, st_host *const *hosts, size_t n, char **err)
{
    if (x->fix != ST_FIX_SNAP_METADATA)
        return st_doctor_fix_local(x, err);
    size_t h = host_of(hosts, n, x->host);
    if (!b || h == SIZE_MAX) {
        *err = xstrdup(_("the host is not connected"));
        return -1;
    }
    st_request req = {.kind = ST_REQ_SNAPSHOT_DELETE,
                      .domain = x->domain,
                      .snapshot = x->snapshot,
                      .flags = ST_F_METADATA_ONLY};
    char *text = NULL;
    bool ok = wait_result(b, st_backend_submit(b, h, &req), &text);
    if (!ok) {
        *err = text ? text : xstrdup("?");
        return -1;
    }
    free(text);
    return 0;
}

/* The plan: every fix, numbered; true when the admin typed yes. */
static bool confirm(const st_findings *f, size_t n_fix, bool utf8)
{
    printf(ngettext("The doctor's plan: %zu fix\n", "The doctor's plan: %zu fixes\n", n_fix),
           n_fix);
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i].fix == ST_FIX_NONE)
            continue;
        char *line = st_fix_describe(&f->v[i]);
        printf("  %zu. ", ++k);
        st_text_put(stdout, line, utf8);
        fputc('\n', stdout);
        free(line);
    }
    return st_cli_typed_yes(_("Type yes to make these fixes: "));
}

/* Makes the fixes; what was fixed leaves *f, what is left stays. */
static void run_fixes(const st_options *o, st_backend *b, st_host *const *hosts, size_t n,
                      st_findings *f)
{
    size_t n_fix = 0;
    for (size_t i = 0; i < f->n; i++)
        n_fix += f->v[i].fix != ST_FIX_NONE;
    if (!n_fix) {
        fputs(_("Nothing the doctor can fix.\n"), stdout);
        return;
    }
    if (o->readonly) {
        fputs(_("Read-only (-r): no fix is made.\n"), stdout);
        return;
    }
    if (!confirm(f, n_fix, o->utf8))
        return;
    size_t keep = 0;
    for (size_t i = 0; i < f->n; i++) {
        st_finding *x = &f->v[i];
        char *err = NULL;
        if (x->fix != ST_FIX_NONE) {
            char *line = st_fix_describe(x);
            bool done = fix_one(x, b, hosts, n, &err) == 0;
            fputs(done ? _("done: ") : _("failed: "), stdout);
            st_text_put(stdout, line, o->utf8);
            if (!done) {
                fputs(": ", stdout);
                st_text_put(stdout, err, o->utf8);
            }
            fputc('\n', stdout);
            free(line);
            free(err);
            if (done) {
                st_finding_clear(x);
                continue;
            }
        }
        f->v[keep++] = *x;
    }
    f->n = keep;
}

int st_doctor_cli(const st_options *o, st_backend *b, st_host *const *hosts, size_t n,
                  bool hosts_failed)
{
    st_findings f = {0};
    st_doctor_opts dopt = {.max_depth = o->max_depth};
    size_t chains = st_doctor_run(hosts, n, &dopt, &f);
    if (o->mode == ST_MODE_JSON)
        st_doctor_report_json(stdout, &f, chains);
    else
        st_doctor_report_text(stdout, &f, chains, o->utf8);
    if (o->fix)
        run_fixes(o, b, hosts, n, &f);
    fflush(stdout);
    int status = st_findings_status(&f);
    st_findings_clear(&f);
    return hosts_failed && status < 2 ? 2 : status;
}
