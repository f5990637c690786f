#include "config.h"

#include "doctor_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/doctor.h"
#include "base/i18n.h"
#include "base/util.h"
#include "compact_cli.h"
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

/* The result of one request: its id, then whether it went well and its text. */
typedef struct result {
    int id;
    bool ok;
    char *text;
} result;

static bool take_result(st_msg *m, void *ctx)
{
    result *r = ctx;
    if (m->kind != ST_MSG_RESULT || m->request_id != r->id)
        return false;
    r->ok = m->ok;
    r->text = m->text;
    m->text = NULL;
    return true;
}

/* The result of request `id`, waited for. */
static bool wait_result(st_backend *b, int id, char **text)
{
    result r = {.id = id};
    if (!st_cli_wait(b, FIX_WAIT_MS, take_result, &r))
        r.text = xstrdup(_("no answer from the host"));
    *text = r.text;
    return r.ok;
}

/*
 * The compactions' plans, made before the typed yes and indexed as the findings. A compaction
 * the planner refuses is not offered: the reasons are said and its finding stays.
 */
typedef struct fix_plans {
    st_plan **v;
    size_t *host;
} fix_plans;

static void say_not_offered(const st_finding *x, const st_plan *p, const char *err, bool utf8)
{
    char *line = st_fix_describe(x);
    fputs(_("not offered: "), stdout);
    st_text_put(stdout, line, utf8);
    fputc('\n', stdout);
    free(line);
    for (size_t i = 0; p && i < p->n_hazards; i++)
        if (p->hazards[i].level == ST_HAZ_REFUSE) {
            printf("     %s: ", st_hazard_label(ST_HAZ_REFUSE));
            st_text_put(stdout, p->hazards[i].text, utf8);
            fputc('\n', stdout);
        }
    if (err) {
        fputs("     ", stdout);
        st_text_put(stdout, err, utf8);
        fputc('\n', stdout);
    }
}

/* Plans every compaction; returns how many are not offered. */
static size_t plan_compactions(st_backend *b, st_host *const *hosts, size_t n, st_findings *f,
                               fix_plans *fp, bool utf8)
{
    size_t dropped = 0;
    for (size_t i = 0; i < f->n; i++) {
        st_finding *x = &f->v[i];
        if (x->fix != ST_FIX_COMPACT)
            continue;
        char *err = NULL;
        st_plan *p = st_compact_cli_plan(x, b, hosts, n, &fp->host[i], &err);
        if (p && !p->refused) {
            fp->v[i] = p;
            continue;
        }
        say_not_offered(x, p, err, utf8);
        if (p)
            st_plan_free(p);
        free(err);
        x->fix = ST_FIX_NONE;
        dropped++;
    }
    return dropped;
}

static void fix_plans_free(fix_plans *fp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fp->v[i])
            st_plan_free(fp->v[i]);
    free(fp->v);
    free(fp->host);
}

static int fix_one(const st_finding *x, const fix_plans *fp, size_t i, st_backend *b,
                   st_host *const *hosts, size_t n, char **err)
{
    if (x->fix == ST_FIX_COMPACT)
        return st_compact_cli_run(fp->v[i], fp->host[i], b, err);
    if (x->fix != ST_FIX_SNAP_METADATA)
        return st_doctor_fix_local(x, err);
    size_t h = st_cli_host_of(hosts, n, x->host);
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
static bool confirm(const st_findings *f, const fix_plans *fp, size_t n_fix, bool utf8)
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
        if (fp->v[i])
            st_compact_cli_put(fp->v[i], utf8);
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
    fix_plans fp = {xcalloc(f->n, sizeof(st_plan *)), xcalloc(f->n, sizeof(size_t))};
    n_fix -= plan_compactions(b, hosts, n, f, &fp, o->utf8);
    if (!n_fix || !confirm(f, &fp, n_fix, o->utf8)) {
        fix_plans_free(&fp, f->n);
        return;
    }
    size_t keep = 0;
    for (size_t i = 0; i < f->n; i++) {
        st_finding *x = &f->v[i];
        char *err = NULL;
        if (x->fix != ST_FIX_NONE) {
            char *line = st_fix_describe(x);
            bool done = fix_one(x, &fp, i, b, hosts, n, &err) == 0;
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
    fix_plans_free(&fp, f->n);
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
