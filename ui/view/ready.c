/* Active commits that reached READY and wait for the admin's pivot-or-keep choice. */
#include "config.h"

#include <libintl.h>

#include "base/i18n.h"
#include "base/util.h"
#include "view/app.h"
#include "view/ready.h"

bool st_job_waits_for_choice(const st_job *j)
{
    return j->phase == ST_PHASE_READY && j->kind == ST_JOB_ACTIVE_COMMIT;
}

/* The first ready active commit of any host (the oldest: lowest id), or NULL. */
const st_job *st_first_ready_job(const st_app *a, size_t *host, size_t *count)
{
    const st_job *first = NULL;
    *count = 0;
    for (size_t h = 0; h < a->n_hosts; h++)
        for (size_t i = 0; a->hosts[h] && i < a->hosts[h]->n_jobs; i++) {
            const st_job *j = &a->hosts[h]->jobs[i];
            if (!st_job_waits_for_choice(j))
                continue;
            ++*count;
            if (!first || j->id < first->id) {
                first = j;
                *host = h;
            }
        }
    return first;
}

char *st_ready_notice(const st_app *a)
{
    size_t host, n;
    const st_job *j = st_first_ready_job(a, &host, &n);
    if (!j)
        return NULL;
    if (n == 1)
        return xasprintf(_("%s of %s ready: P to pivot/keep"), j->disk ? j->disk : "?",
                         j->domain ? j->domain : "?");
    return xasprintf(
        ngettext("%zu job ready: P to pivot/keep", "%zu jobs ready: P to pivot/keep", n), n);
}
