/*
 * Remote shut-off chains read by the host's own virt-snaptree (`--read-chains`), run over the
 * connection's ssh as libvirt runs its own helper there: every chain in one round trip, whatever
 * folders its images are in. The answer comes from another machine and is read as untrusted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/discover_internal.h"
#include "base/i18n.h"
#include "base/run.h"
#include "base/trace.h"
#include "base/uri.h"
#include "base/util.h"
#include "core/chain_wire.h"

enum {
    REMOTE_TIMEOUT_S = 20,             /* the worker waits no longer for the answer */
    REMOTE_OUT_MAX = 16 * 1024 * 1024, /* nor reads more of it */
    REMOTE_REASON_MAX = 200,           /* of what ssh or the remote shell said */
};

/* The command run on the remote host: the admin may name another one (an install elsewhere). */
static char *remote_command(void)
{
    const char *c = getenv("VIRT_SNAPTREE_REMOTE");
    return xasprintf("%s --read-chains", c && *c ? c : "virt-snaptree");
}

/* The first line of what the command wrote on stderr, bounded. */
static char *first_line(const char *s)
{
    size_t n = s ? strcspn(s, "\r\n") : 0;
    return xstrndup(s ? s : "", n < REMOTE_REASON_MAX ? n : REMOTE_REASON_MAX);
}

/* Why the run gave no chains, for the disks' chain_unknown; NULL when it did. */
static char *run_verdict(const st_run_result *r, const char *host)
{
    if (r->timed_out)
        return xasprintf(_("virt-snaptree on %s did not answer within %d s"), host,
                         REMOTE_TIMEOUT_S);
    if (r->too_much)
        return xasprintf(_("virt-snaptree on %s answered too much"), host);
    if (r->status == 127 || r->status == 126)
        return xasprintf(_("virt-snaptree not installed on %s"), host);
    if (r->status != 0) {
        char *line = first_line(r->err);
        char *why = *line ? xasprintf(_("virt-snaptree on %s failed: %s"), host, line)
                          : xasprintf(_("virt-snaptree on %s failed (status %d)"), host, r->status);
        free(line);
        return why;
    }
    return NULL;
}

/* Hands the chains read to the jobs as walked chains. */
static void give_chains(st_worker *w, pool_job *jobs, st_wire_chain *chains, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        st_cached_remote *cr = xcalloc(1, sizeof(*cr));
        cr->refresh = w->refreshes;
        cr->layers = chains[i].layers;
        cr->n = chains[i].n;
        chains[i].layers = NULL;
        chains[i].n = 0;
        jobs[i].fresh = cr;
    }
}

char *ds_remote_tool_chains(st_worker *w, pool_job *jobs, size_t n)
{
    char *host = st_uri_host(w->uri), *cmd = remote_command();
    /* Over the connection libvirt's ssh holds open: no login of its own. */
    char **argv = st_uri_ssh_argv_shared(w->uri, cmd, w->share.control);
    free(cmd);
    if (!argv || !host) {
        st_argv_free(argv);
        free(host);
        return NULL;
    }
    strbuf req;
    sb_init(&req);
    const char **paths = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        paths[i] = jobs[i].disk->source;
        st_wire_request(&req, jobs[i].disk->source, jobs[i].disk->format);
    }
    st_trace("discover-remote-begin host=%zu", w->index);
    st_run_result r;
    /* The host's requests wait meanwhile: past a few seconds it shows as not responding. */
    st_worker_busy(w);
    int rc = st_run_bounded(argv, req.s, req.len, REMOTE_TIMEOUT_S, REMOTE_OUT_MAX, &r);
    st_worker_idle(w);
    char *why = rc < 0 ? xasprintf(_("virt-snaptree on %s not run: %s"), host, r.err)
                       : run_verdict(&r, host);
    st_wire_chain *chains = xcalloc(n, sizeof(*chains));
    char *err = NULL;
    if (!why && st_wire_parse(r.out, r.out_len, paths, n, chains, &err) != 0)
        why = xasprintf(_("virt-snaptree on %s gave an answer that was refused (%s)"), host, err);
    else if (!why)
        give_chains(w, jobs, chains, n);
    st_trace("discover-remote host=%zu asked=%zu status=%d bytes=%zu ok=%d", w->index, n, r.status,
             r.out_len, !why);
    free(err);
    free(chains);
    free(paths);
    sb_free(&req);
    st_run_result_clear(&r);
    st_argv_free(argv);
    free(host);
    return why;
}
