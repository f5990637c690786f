/*
 * The block statistics of a refresh, asked so that they cannot crash a domain.
 *
 * For block statistics libvirt sends QEMU query-named-block-nodes. Before QEMU 8.2, a QEMU that
 * gets it while a block job with a filter node (a pull's copy-on-read node, a commit's or an
 * active commit's top node) has ended but is not dismissed yet dies of a segmentation fault:
 * its guest is gone. With Debian 12's QEMU 7.2 a pull polled by `virsh domstats --block` killed
 * its guest in about one run of three here. So on such a QEMU the bulk call leaves out every
 * domain with a block job under way or ended a moment ago; their chains come from the live XML
 * meanwhile, as they do for every running domain on this machine.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backend/discover_internal.h"
#include "backend/jobs.h"
#include "base/trace.h"
#include "base/util.h"

/* libvirt's encoding of QEMU 8.2.0, the first QEMU that answers the query safely. */
enum { ST_QEMU_SAFE_STATS = 8002000 };
/* How long after a job's end its domain is still left out: libvirt dismisses the job after it
 * has told its clients, so the end we see can come before the dismissal. */
#define ST_STATS_JOB_GRACE 5.0

bool st_block_stats_risky(unsigned long hv_ver, const char *hv_type)
{
    return hv_ver > 0 && hv_ver < ST_QEMU_SAFE_STATS && hv_type && strcmp(hv_type, "QEMU") == 0;
}

/* The domains to ask about: those listed, less the ones with a block job (NULL-terminated);
 * *kept is how many. */
static virDomainPtr *quiet_domains(st_worker *w, virDomainPtr *all, int n, int *kept)
{
    virDomainPtr *keep = xcalloc((size_t)n + 1, sizeof(*keep));
    size_t k = 0;
    double now = st_now();
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (st_dom_uuid(all[i], uuid) == 0 &&
            !st_jobtab_qemu_busy(w->jobs, uuid, now, ST_STATS_JOB_GRACE))
            keep[k++] = all[i];
    }
    *kept = (int)k;
    return keep;
}

int st_block_stats(st_worker *w, unsigned flags, virDomainStatsRecordPtr **out)
{
    *out = NULL;
    if (!w->jobs || !st_block_stats_risky(w->hv_ver, w->hv_type) ||
        !st_jobtab_qemu_busy(w->jobs, NULL, st_now(), ST_STATS_JOB_GRACE))
        return virConnectGetAllDomainStats(w->conn, VIR_DOMAIN_STATS_BLOCK, out, flags);
    /* virDomainListGetStats takes no list filters: the listing applies them. */
    unsigned list =
        flags & VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : 0;
    virDomainPtr *all = NULL;
    int n = virConnectListAllDomains(w->conn, &all, list);
    if (n < 0)
        return -1;
    int rc = 0, asked = 0;
    virDomainPtr *keep = quiet_domains(w, all, n, &asked);
    st_trace("block-stats host=%zu asked=%d left-out=%d", w->index, asked, n - asked);
    if (asked > 0)
        rc = virDomainListGetStats(keep, VIR_DOMAIN_STATS_BLOCK, out,
                                   flags & (VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING |
                                            VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT));
    free(keep);
    for (int i = 0; i < n; i++)
        virDomainFree(all[i]);
    free(all);
    return rc;
}
