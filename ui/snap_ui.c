/* Snapshot flows: create, revert, delete, save, restore. */
#include "config.h"

#include "flows.h"
#include "i18n.h"

void st_flow_snapshot(st_app *a, const st_row *r)
{
    (void)r;
    st_app_status(a, true, "%s", _("snapshots: not yet available in this build"));
}

void st_flow_revert(st_app *a, const st_row *r)
{
    st_flow_snapshot(a, r);
}

void st_flow_delete(st_app *a, const st_row *r)
{
    st_flow_snapshot(a, r);
}

void st_flow_save(st_app *a, const st_row *r)
{
    st_flow_snapshot(a, r);
}

void st_flow_restore(st_app *a, const st_row *r)
{
    st_flow_snapshot(a, r);
}
