#include "config.h"

#include "compact_cli.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/text.h"
#include "flows/journal_gate.h"

/* How long the host may take to answer a request (not the job: that takes what it takes). */
#define ANSWER_MS 60000

bool st_cli_wait(st_backend *b, int ms, bool (*take)(st_msg *m, void *ctx), void *ctx)
{
    double end = ms < 0 ? 0 : st_now() + ms / 1000.0;
    while (ms < 0 || st_now() < end) {
        st_msg *m;
        while ((m = st_backend_next(b))) {
            bool mine = take(m, ctx);
            st_msg_free(m);
            if (mine)
                return true;
        }
        struct pollfd p = {st_backend_fd(b), POLLIN, 0};
        poll(&p, 1, 200);
    }
    return false;
}

size_t st_cli_host_of(st_host *const *hosts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (hosts[i] && streq0(hosts[i]->name, name))
            return i;
    return SIZE_MAX;
}

static size_t path_at(const st_disk *k, const char *path)
{
    for (size_t i = 0; k && i < k->n_chain; i++)
        if (streq0(k->chain[i].path, path))
            return i;
    return SIZE_MAX;
}

/* The answer to request `id`: its facts, or the reason there are none. */
typedef struct answer {
    int id;
    st_facts *facts;
    char *error;
} answer;

static bool take_answer(st_msg *m, void *ctx)
{
    answer *a = ctx;
    if (m->request_id != a->id)
        return false;
    if (m->kind == ST_MSG_PLAN && m->facts) {
        a->facts = m->facts;
        m->facts = NULL;
        return true;
    }
    if (m->kind == ST_MSG_RESULT) {
        a->error = xstrdup(m->ok ? _("no facts came from the host") : m->text ? m->text : "?");
        return true;
    }
    return false;
}

/* The host's facts for a commit of top into base: free space where the data lands, jobs. */
static st_facts *facts_of(st_backend *b, const st_host *h, size_t hi, const st_finding *x,
                          size_t top, size_t base, char **err)
{
    st_request req = {.kind = ST_REQ_FACTS,
                      .domain = x->domain,
                      .disk = x->disk,
                      .top = x->fix_top,
                      .base = x->fix_base};
    req.paths = st_plan_space_paths(h, x->domain, x->disk, ST_REQ_COMMIT, top, base, &req.n_paths);
    answer a = {.id = st_backend_submit(b, hi, &req)};
    for (size_t i = 0; i < req.n_paths; i++)
        free(req.paths[i]);
    free(req.paths);
    if (!st_cli_wait(b, ANSWER_MS, take_answer, &a))
        a.error = xstrdup(_("no answer from the host"));
    *err = a.error;
    return a.facts;
}

st_plan *st_compact_cli_plan(const st_finding *x, st_backend *b, st_host *const *hosts, size_t n,
                             size_t *host, char **err)
{
    size_t hi = st_cli_host_of(hosts, n, x->host);
    const st_domain *d = hi == SIZE_MAX ? NULL : st_host_find_domain(hosts[hi], x->domain);
    const st_disk *k = d ? st_domain_find_disk(d, x->disk) : NULL;
    size_t top = path_at(k, x->fix_top), base = path_at(k, x->fix_base);
    if (!b || top == SIZE_MAX || base == SIZE_MAX) {
        *err = xstrdup(b ? _("the chain changed meanwhile: try again")
                         : _("the host is not connected"));
        return NULL;
    }
    st_facts *facts = facts_of(b, hosts[hi], hi, x, top, base, err);
    if (!facts)
        return NULL;
    st_merge_opts opts;
    st_merge_opts_default(&opts);
    st_plan *p = st_plan_commit(hosts, n, hi, x->domain, x->disk, top, base, facts, &opts);
    st_facts_free(facts);
    /* The interface's plan says the same about the journal: without one, nothing runs here
     * (there is no option to go on without it on the command line). */
    st_journal_gate_not_undoable(&p->hazards, &p->n_hazards, ST_REQ_COMMIT, time(NULL));
    st_journal_gate g = {0};
    st_journal_gate_check(&g);
    p->refused |= st_journal_gate_hazard(&g, &p->hazards, &p->n_hazards);
    st_journal_gate_free(&g);
    *host = hi;
    return p;
}

static void lines(strbuf *b, const char *head, char *const *v, size_t n)
{
    sb_printf(b, "     %s\n", head);
    for (size_t i = 0; i < n; i++)
        sb_printf(b, "       %s\n", v[i]);
}

char *st_compact_cli_text(const st_plan *p)
{
    strbuf b;
    sb_init(&b);
    sb_printf(&b, "     %s\n", p->title);
    lines(&b, _("Chain before (active layer first):"), p->before, p->n_before);
    lines(&b, _("Chain after:"), p->after, p->n_after);
    lines(&b, _("What will run:"), p->calls, p->n_calls);
    for (size_t i = 0; i < p->n_hazards; i++)
        sb_printf(&b, "     %s: %s\n", st_hazard_label(p->hazards[i].level), p->hazards[i].text);
    return sb_steal(&b);
}

void st_compact_cli_put(const st_plan *p, bool utf8)
{
    char *text = st_compact_cli_text(p);
    /* Line by line: what the names hold is made safe, the plan's own newlines are kept. */
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        st_text_put(stdout, line, utf8);
        fputc('\n', stdout);
    }
    free(text);
}

/* What became of the job on the disk: the request's result first, then the job's last phase. */
typedef struct follow {
    int id;
    size_t host;
    const char *domain, *disk;
    bool started, ended, ok;
    char *error;
} follow;

static void follow_jobs(follow *f, const st_msg *m)
{
    for (size_t i = 0; i < m->n_jobs; i++) {
        const st_job *j = &m->jobs[i];
        if (!j->ours || !streq0(j->domain, f->domain) || !streq0(j->disk, f->disk) ||
            !st_job_phase_final(j->phase))
            continue;
        f->ended = true;
        f->ok = j->phase == ST_PHASE_COMPLETED;
        free(f->error);
        f->error = f->ok ? NULL : xstrdup(j->error ? j->error : st_job_phase_label(j->phase));
    }
}

static bool take_follow(st_msg *m, void *ctx)
{
    follow *f = ctx;
    if (m->kind == ST_MSG_RESULT && m->request_id == f->id) {
        f->started = m->ok;
        if (!m->ok) {
            f->ended = true;
            f->error = xstrdup(m->text ? m->text : "?");
        }
    } else if (m->kind == ST_MSG_JOBS && m->host_index == f->host) {
        follow_jobs(f, m);
    }
    return f->ended && (f->started || f->error);
}

int st_compact_cli_run(const st_plan *p, size_t host, st_backend *b, char **err)
{
    st_request req;
    st_request_copy(&req, &p->req);
    free(req.plan);
    req.plan = st_compact_cli_text(p);
    follow f = {.host = host, .domain = p->req.domain, .disk = p->req.disk};
    f.id = st_backend_submit(b, host, &req);
    st_request_clear(&req);
    /* No bound: a merge takes as long as its data takes. */
    st_cli_wait(b, -1, take_follow, &f);
    if (f.ok)
        return 0;
    *err = f.error ? f.error : xstrdup("?");
    return -1;
}
