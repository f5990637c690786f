/* Snapshot requests: create, revert, delete, save, restore. */
#include "config.h"

#include "actions.h"
#include "worker.h"

int st_snapshot_action(st_worker *w, int id, const st_request *req)
{
    (void)w;
    (void)id;
    (void)req;
    return -1;
}
