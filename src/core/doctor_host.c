/*
 * The chain doctor's checks that depend on the host rather than on the image alone: what its
 * libvirt version is known to fail at, and what its AppArmor profiles and log say (doctor.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/doctor.h"

/* libvirt 12.0.0, as virConnectGetLibVersion counts. */
#define LIBVIRT_12_0 12000000ul

size_t st_doctor_libvirt_depth(unsigned long libvirt_ver)
{
    return libvirt_ver && libvirt_ver < LIBVIRT_12_0 ? ST_LIBVIRT_OLD_DEPTH : 0;
}

void st_doctor_check_libvirt_depth(st_findings *f, const st_doc_where *w, size_t n,
                                   unsigned long libvirt_ver, const char *version)
{
    size_t fails = st_doctor_libvirt_depth(libvirt_ver);
    if (!fails || n < fails)
        return;
    char *text = xasprintf(_("its chain has %zu layers: libvirt %s (before 12.0) is known to fail "
                             "past about %d external snapshots (merging some shortens it)"),
                           n, version ? version : "?", ST_LIBVIRT_OLD_DEPTH);
    st_findings_add(f, ST_DOC_WARN, "libvirt-depth", w, text);
    free(text);
}

void st_doctor_check_aa_profile(st_findings *f, const st_doc_where *w, const st_aa_profile *p)
{
    if (!p || !w->path || st_aa_allows_read(p, w->path))
        return;
    char *text = xasprintf(_("it is not in the domain's AppArmor profile %s: QEMU is denied it "
                             "when it opens it again (a block job, a snapshot)"),
                           p->file ? p->file : "?");
    st_findings_add(f, ST_DOC_WARN, "apparmor-profile", w, text);
    free(text);
}

void st_doctor_check_aa_denied(st_findings *f, const st_doc_where *w, const st_aa_denial *d)
{
    if (!d)
        return;
    char when[32] = "?";
    time_t t = (time_t)d->last;
    struct tm tm;
    if (d->last && gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    char *text =
        xasprintf(ngettext("AppArmor denied %s access to it %zu time, last at %s "
                           "(profile %s, %s)",
                           "AppArmor denied %s access to it %zu times, last at %s "
                           "(profile %s, %s)",
                           d->count),
                  d->mask ? d->mask : "?", d->count, when, d->profile ? d->profile : "?", d->log);
    st_findings_add(f, ST_DOC_WARN, "apparmor-denied", w, text);
    free(text);
}
