/*
 * Requests on a host: merges (block jobs online, qemu-img offline), job control and follow-ups,
 * and the dispatch of every request (facts for a plan: plan_facts.c; snapshots: snapactions.c).
 * Calls that return at once run on the worker; long ones (offline merges, waiting for a job on a
 * domain started paused for it) run on a thread of their own so that the worker keeps refreshing
 * and polling.
 */
#include "config.h"

#include "backend/actions.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/discover_internal.h"
#include "backend/followup.h"
#include "backend/journal_record.h"
#include "backend/plan_facts.h"
#include "backend/worker.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/apparmor.h"

virDomainPtr st_action_lookup(st_worker *w, int id, const char *name)
{
    st_worker_busy(w);
    virDomainPtr dom = virDomainLookupByName(w->conn, name ? name : "");
    st_worker_idle(w);
    if (!dom) {
        char *e = st_lv_error(_("no such domain"));
        st_action_result(w, id, false, _("%s: %s"), name ? name : "?", e);
        free(e);
    }
    return dom;
}

/*
 * The free space the plan counted on may be gone by the time the admin typed yes (another
 * merge, a guest, a log filled it): checked again just before anything starts. False, with the
 * refusal posted, when it is known to be too little now.
 */
static bool space_still_enough(st_worker *w, int id, const st_request *req)
{
    const char *receiver = req->kind == ST_REQ_PULL ? req->top : req->base;
    if (!req->space_needed || !receiver || receiver[0] != '/')
        return true;
    st_space s = {.path = xstrdup(receiver)};
    st_space_read(w, &s, receiver);
    bool enough = !s.known || s.free_bytes >= req->space_needed;
    if (!enough) {
        char need[32], have[32];
        st_fmt_bytes(need, sizeof(need), req->space_needed);
        st_fmt_bytes(have, sizeof(have), s.free_bytes);
        char *where = s.device ? xstrdup(s.path) : st_dirname(s.path);
        st_action_result(w, id, false,
                         _("not started: the merge needs up to %s in %s, and only %s is free "
                           "there now (there was enough when the plan was made); free space "
                           "there and plan it again"),
                         need, where, have);
        free(where);
    }
    free(s.path);
    free(s.why);
    return enough;
}

/*
 * The domain's AppArmor profile may have changed since the plan (libvirt rewrites it when a disk
 * changes): a block job that it forbids to write where the data goes is not started. False, with
 * the refusal posted, when the profile on this machine denies it now.
 */
static bool apparmor_still_allows(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    const char *receiver = req->kind == ST_REQ_PULL ? req->top : req->base;
    if (!w->local || !receiver || virDomainGetUUIDString(dom, uuid) != 0)
        return true;
    st_aa_profile p;
    char *why = NULL;
    const st_aa_rule *r = NULL;
    if (st_aa_read_domain(st_aa_dir(), uuid, &p, &why) == 1)
        r = st_aa_denies_write(&p, receiver);
    if (r)
        st_action_result(w, id, false,
                         _("not started: the domain's AppArmor profile now forbids QEMU to write "
                           "into %s (%s, line %zu); plan it again"),
                         receiver, p.file, r->line);
    st_aa_profile_clear(&p);
    free(why);
    return r == NULL;
}

/* ---- online merges ---- */

static unsigned commit_flags(const st_request *req)
{
    unsigned f = 0;
    if (req->flags & ST_F_RELATIVE)
        f |= VIR_DOMAIN_BLOCK_COMMIT_RELATIVE;
    if (req->flags & ST_F_ACTIVE)
        f |= VIR_DOMAIN_BLOCK_COMMIT_ACTIVE;
    /* libvirt removes the merged images itself once the commit (or its pivot) completes, on
     * the host that holds them: never unlink paths of a remote host on this machine. */
    if (req->flags & ST_F_DELETE)
        f |= VIR_DOMAIN_BLOCK_COMMIT_DELETE;
    return f;
}

/*
 * Records what this process must do when the job ends, for the next interface should this one
 * end first; NULL when the record cannot be written (the follow-up still runs from here).
 */
static char *save_followup(st_worker *w, st_fu_kind kind, const st_request *req)
{
    char *err = NULL;
    char *rec = st_followup_save(st_worker_host_key(w), kind, req->domain, req->disk,
                                 kind == ST_FU_REMOVE ? req->paths : NULL,
                                 kind == ST_FU_REMOVE ? req->n_paths : 0, &err);
    free(err);
    return rec;
}

/* Starts the block job; returns 0 or -1 after posting the error. */
static int start_block_job(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    bool commit = req->kind == ST_REQ_COMMIT;
    st_job_kind kind =
        commit ? ((req->flags & ST_F_ACTIVE) ? ST_JOB_ACTIVE_COMMIT : ST_JOB_COMMIT) : ST_JOB_PULL;
    /* Tracked before it starts, so that a fast job's completion event finds it. */
    if (!st_worker_may_change(w, id))
        return -1;
    int jid = st_jobtab_track(w->jobs, dom, req->disk, kind, req->top, req->base, req->bandwidth);
    st_jobtab_set_data(w->jobs, jid, req->data);
    st_worker_busy(w);
    int rc = commit ? virDomainBlockCommit(dom, req->disk, req->base, req->top, req->bandwidth,
                                           commit_flags(req))
                    : virDomainBlockRebase(dom, req->disk, req->base, req->bandwidth,
                                           (req->flags & ST_F_RELATIVE) && req->base
                                               ? VIR_DOMAIN_BLOCK_REBASE_RELATIVE
                                               : 0);
    st_worker_idle(w);
    if (rc < 0) {
        char *e = st_lv_error(_("the block job did not start"));
        st_jobtab_update(w->jobs, jid, ST_PHASE_FAILED, 0, 0, e);
        st_action_result(w, id, false, "%s", e);
        free(e);
        st_worker_post_jobs(w);
        return -1;
    }
    /* A pull has no DELETE flag: its files are removed here, which the planner allows only when
     * the images are on this machine. */
    if (!commit && (req->flags & ST_F_DELETE) && w->local)
        st_jobtab_set_cleanup(w->jobs, jid, req->paths, req->n_paths,
                              save_followup(w, ST_FU_REMOVE, req));
    st_jobtab_update(w->jobs, jid, ST_PHASE_RUNNING, 0, 0, NULL);
    st_worker_post_jobs(w);
    st_action_result(w, id, true,
                     commit ? _("commit started on %s/%s") : _("pull started on %s/%s"),
                     req->domain, req->disk);
    return 0;
}

static void do_merge(st_worker *w, int id, const st_request *req)
{
    virDomainPtr dom = st_action_lookup(w, id, req->domain);
    if (!dom)
        return;
    bool active = st_worker_dom_active(w, dom);
    if (!st_worker_may_change(w, id) || !space_still_enough(w, id, req)) {
        virDomainFree(dom);
        return;
    }
    if (!active && w->local) {
        st_offline_start(w, id, dom, req);
    } else if (!active && !(req->flags & ST_F_START_PAUSED)) {
        st_action_result(w, id, false,
                         _("%s is shut off on a remote host: block jobs need a running domain"),
                         req->domain);
    } else if (!active) {
        st_worker_busy(w);
        int rc = virDomainCreateWithFlags(dom, VIR_DOMAIN_START_PAUSED);
        st_worker_idle(w);
        if (rc < 0) {
            char *e = st_lv_error(_("cannot start the domain paused"));
            st_action_result(w, id, false, "%s", e);
            free(e);
        } else if (start_block_job(w, id, dom, req) == 0) {
            st_jobtab_set_paused_run(w->jobs, req->domain, req->disk,
                                     save_followup(w, ST_FU_PAUSED, req));
        } else {
            virDomainDestroy(dom);
            virResetLastError();
        }
    } else if (apparmor_still_allows(w, id, dom, req)) {
        start_block_job(w, id, dom, req);
    }
    virDomainFree(dom);
}

/* ---- job control ---- */

static void do_job_control(st_worker *w, int id, const st_request *req)
{
    virDomainPtr dom = st_action_lookup(w, id, req->domain);
    if (!dom)
        return;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    if (!st_worker_may_change(w, id)) {
        virDomainFree(dom);
        return;
    }
    int rc = -1;
    st_worker_busy(w);
    switch (req->kind) {
    case ST_REQ_PIVOT:
        st_jobtab_set_phase(w->jobs, uuid, req->disk, ST_PHASE_PIVOTING);
        rc = virDomainBlockJobAbort(dom, req->disk, VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT);
        break;
    case ST_REQ_ABORT:
        st_jobtab_set_phase(w->jobs, uuid, req->disk, ST_PHASE_CANCELLED);
        rc = virDomainBlockJobAbort(dom, req->disk, 0);
        break;
    case ST_REQ_SET_SPEED:
        rc = virDomainBlockJobSetSpeed(dom, req->disk, req->bandwidth, 0);
        if (rc == 0)
            st_jobtab_set_bandwidth(w->jobs, uuid, req->disk, req->bandwidth);
        break;
    default:
        break;
    }
    st_worker_idle(w);
    if (rc < 0) {
        char *e = st_lv_error(_("the job could not be changed"));
        if (req->kind == ST_REQ_PIVOT || req->kind == ST_REQ_ABORT)
            st_jobtab_set_phase(w->jobs, uuid, req->disk, ST_PHASE_RUNNING);
        st_action_result(w, id, false, "%s", e);
        free(e);
    } else if (req->kind == ST_REQ_PIVOT) {
        st_action_result(w, id, true, _("pivoted %s/%s onto the base"), req->domain, req->disk);
    } else if (req->kind == ST_REQ_ABORT) {
        st_action_result(w, id, true, _("job on %s/%s cancelled"), req->domain, req->disk);
    } else {
        st_action_result(w, id, true, _("bandwidth of the job on %s/%s set to %lu MiB/s"),
                         req->domain, req->disk, req->bandwidth);
    }
    st_worker_post_jobs(w);
    st_worker_request_refresh(w, 200);
    virDomainFree(dom);
}

/* ---- follow-ups an earlier interface left ---- */

/* A domain started paused for a job by an earlier interface: pivot a ready job, shut it off. */
static void do_finish_paused(st_worker *w, int id, const st_request *req)
{
    virDomainPtr dom = st_action_lookup(w, id, req->domain);
    if (!dom)
        return;
    virDomainBlockJobInfo info;
    memset(&info, 0, sizeof(info));
    st_worker_busy(w);
    int job = virDomainGetBlockJobInfo(dom, req->disk, &info, 0);
    st_worker_idle(w);
    if (!st_worker_may_change(w, id)) {
        virDomainFree(dom);
        return;
    }
    bool ready = job == 1 && info.end > 0 && info.cur == info.end;
    int rc = 0;
    st_worker_busy(w);
    if (ready)
        rc = virDomainBlockJobAbort(dom, req->disk, VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT);
    st_worker_idle(w);
    char *e = NULL;
    if (job == 1 && !ready)
        e = xstrdup(_("the job still runs: wait until it is ready"));
    else if (rc < 0)
        e = st_lv_error(_("the pivot failed"));
    st_worker_busy(w);
    if (!e && virDomainDestroy(dom) < 0)
        e = st_lv_error(_("cannot shut the domain off"));
    st_worker_idle(w);
    virResetLastError();
    if (e) {
        st_action_result(w, id, false, "%s", e);
    } else {
        st_followup_drop(req->path);
        st_action_result(w, id, true,
                         ready ? _("%s/%s pivoted, and %s shut off again")
                               : _("%s shut off again (it was started paused for a job)"),
                         req->domain, req->disk, req->domain);
    }
    free(e);
    virDomainFree(dom);
    st_worker_request_refresh(w, 100);
}

void st_action_run(st_worker *w, int id, const st_request *req)
{
    if (w->readonly && req->kind != ST_REQ_FACTS && req->kind != ST_REQ_POOLS) {
        st_action_result(w, id, false, "%s", _("read-only connection: no actions"));
        return;
    }
    if (!st_journal_before(w, id, req))
        return;
    switch (req->kind) {
    case ST_REQ_FACTS:
        st_plan_facts(w, id, req);
        break;
    case ST_REQ_POOLS:
        st_pools_answer(w, id);
        break;
    case ST_REQ_COMMIT:
    case ST_REQ_PULL:
        do_merge(w, id, req);
        break;
    case ST_REQ_PIVOT:
    case ST_REQ_ABORT:
    case ST_REQ_SET_SPEED:
        do_job_control(w, id, req);
        break;
    case ST_REQ_FINISH_PAUSED:
        do_finish_paused(w, id, req);
        break;
    case ST_REQ_UNDO:
        st_undo_run(w, id, req);
        break;
    case ST_REQ_FOLLOWUP_FORGET:
        st_followup_drop(req->path);
        st_action_result(w, id, true, "%s", _("forgotten: it is not offered again"));
        st_worker_request_refresh(w, 0);
        break;
    default:
        if (st_snapshot_action(w, id, req) != 0)
            st_action_result(w, id, false, "%s", _("unknown request"));
        break;
    }
}
