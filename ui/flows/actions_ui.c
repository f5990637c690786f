/*
 * What an action key does on the selected node: the flow when it applies, otherwise one line in
 * the status line that says why not.
 */
#include "config.h"

#include "base/i18n.h"
#include "base/util.h"
#include "flows/flows.h"
#include "view/app.h"
#include "view/keys.h"

const st_job *st_row_job(const st_app *a, const st_row *r)
{
    if (!r || r->kind == ROW_HOST || !a->hosts[r->host])
        return NULL;
    const st_host *h = a->hosts[r->host];
    const st_domain *d = &h->doms[r->dom];
    if (r->kind == ROW_DISK || r->kind == ROW_LAYER)
        return st_host_disk_job(h, d->name, d->disks[r->disk].target, true);
    const st_job *found = NULL;
    for (size_t i = 0; i < h->n_jobs; i++)
        if (streq0(h->jobs[i].domain, d->name) && !st_job_phase_final(h->jobs[i].phase)) {
            if (found)
                return NULL; /* several: the admin must pick the disk */
            found = &h->jobs[i];
        }
    return found;
}

static bool need_layer(st_app *a, const st_row *r, const char *what)
{
    if (r && r->kind == ROW_LAYER)
        return true;
    st_app_status(a, true, _("%s: select a layer of a disk's chain first"), what);
    return false;
}

static bool need_snapshot(st_app *a, const st_row *r, const char *what)
{
    if (r && r->kind == ROW_SNAPSHOT)
        return true;
    st_app_status(a, true, _("%s: select a snapshot first"), what);
    return false;
}

static bool need_domain(st_app *a, const st_row *r, const char *what)
{
    if (r && r->kind != ROW_HOST && a->hosts[r->host])
        return true;
    st_app_status(a, true, _("%s: select a domain (or any node of it) first"), what);
    return false;
}

static void action_commit(st_app *a, const st_row *r)
{
    if (!need_layer(a, r, _("commit")))
        return;
    const st_disk *k = &a->hosts[r->host]->doms[r->dom].disks[r->disk];
    if (r->layer + 1 >= k->n_chain) {
        st_app_status(a, true, "%s",
                      _("commit: this is the base image; there is nothing below it to merge into"));
        return;
    }
    st_flow_commit(a, r);
}

static void action_pull(st_app *a, const st_row *r)
{
    if (!need_layer(a, r, _("pull")))
        return;
    const st_disk *k = &a->hosts[r->host]->doms[r->dom].disks[r->disk];
    if (k->n_chain < 2) {
        st_app_status(a, true, "%s",
                      _("pull: the active layer has no backing file; there is nothing to pull"));
        return;
    }
    st_flow_pull(a, r);
}

static void action_job(st_app *a, const st_row *r, st_keyreq req)
{
    if (req == ST_KEY_PIVOT) {
        st_flow_pivot(a, r);
        return;
    }
    if (!st_row_job(a, r)) {
        st_app_status(a, true, "%s",
                      _("no running job here: select the disk (or layer) whose job you mean"));
        return;
    }
    if (req == ST_KEY_ABORT)
        st_flow_abort(a, r);
    else
        st_flow_bandwidth(a, r);
}

void st_ui_action(st_app *a, st_keyreq req)
{
    const st_row *r = st_app_selected(a);
    switch (req) {
    case ST_KEY_COMMIT:
        action_commit(a, r);
        break;
    case ST_KEY_PULL:
        action_pull(a, r);
        break;
    case ST_KEY_ABORT:
    case ST_KEY_BANDWIDTH:
    case ST_KEY_PIVOT:
        action_job(a, r, req);
        break;
    case ST_KEY_SNAPSHOT:
        if (need_domain(a, r, _("snapshot")))
            st_flow_snapshot(a, r);
        break;
    case ST_KEY_REVERT:
        if (need_snapshot(a, r, _("revert")))
            st_flow_revert(a, r);
        break;
    case ST_KEY_DELETE:
        /* On a domain with a managed save image, d offers to remove that image. */
        if (r && r->kind == ROW_DOMAIN && a->hosts[r->host] &&
            a->hosts[r->host]->doms[r->dom].managed_save)
            st_flow_managedsave_remove(a, r);
        else if (r && r->kind == ROW_DOMAIN)
            st_app_status(a, true, "%s",
                          _("delete: this domain has no managed save image; select a snapshot "
                            "to delete it"));
        else if (need_snapshot(a, r, _("delete")))
            st_flow_delete(a, r);
        break;
    case ST_KEY_SAVE:
        if (!need_domain(a, r, _("save")))
            break;
        if (a->hosts[r->host]->doms[r->dom].state != ST_DOM_RUNNING &&
            a->hosts[r->host]->doms[r->dom].state != ST_DOM_PAUSED) {
            st_app_status(a, true, "%s", _("save: only a running or paused domain can be saved"));
            break;
        }
        st_flow_save(a, r);
        break;
    case ST_KEY_RESTORE:
        if (!r || !a->hosts[r->host]) {
            st_app_status(a, true, "%s", _("restore: wait until the host is connected"));
            break;
        }
        st_flow_restore(a, r);
        break;
    case ST_KEY_FIX:
        if (r && (r->kind == ROW_DISK || r->kind == ROW_LAYER) && a->hosts[r->host])
            st_flow_compact(a, r);
        else
            st_app_status(a, true, "%s", _("fix: select the disk the chain doctor marks first"));
        break;
    default:
        break;
    }
}
