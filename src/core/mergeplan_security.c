/*
 * The merge against the host's confinement of QEMU. A block job runs inside QEMU, under the
 * domain's AppArmor profile or SELinux label, and must write where the data lands and into the
 * layer whose backing name changes; qemu-img (an offline merge) runs as this program does.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "core/apparmor.h"
#include "core/mergeplan_internal.h"

/* The profile a .files profile belongs to: what apparmor_parser reloads. */
static char *profile_of(const char *files)
{
    size_t n = strlen(files), ext = strlen(".files");
    return n > ext && strcmp(files + n - ext, ".files") == 0 ? xstrndup(files, n - ext)
                                                             : xstrdup(files);
}

static void refuse_denied(plan_ctx *c, size_t i, const char *role)
{
    const st_layer *l = i < c->k->n_chain ? pl_L(c, i) : NULL;
    const st_aa_rule *r = l ? st_aa_denies_write(&c->facts->apparmor, l->path) : NULL;
    if (!r)
        return;
    char *profile = profile_of(c->facts->apparmor.file);
    pl_hazf(c, ST_HAZ_REFUSE,
            _("AppArmor: the domain's profile forbids QEMU to write into %s (%s), %s, line %zu: "
              "deny \"%s\" %s. The block job would fail half-way. What works: shut %s off and "
              "merge offline (qemu-img runs outside the profile), or delete that line, reload "
              "the profile (apparmor_parser -r %s) and plan again; libvirt writes the line again "
              "when the domain starts or its disks change."),
            l->path, role, c->facts->apparmor.file, r->line, r->pattern, r->perms, c->dom, profile);
    free(profile);
}

static void check_apparmor(plan_ctx *c)
{
    bool confined = streq0(c->facts->security_model, "apparmor");
    if (c->facts->apparmor_read) {
        refuse_denied(c, c->receiver, _("where the data goes"));
        if (c->rewritten != c->receiver)
            refuse_denied(c, c->rewritten, _("whose backing name changes"));
    } else if (c->facts->apparmor_why) {
        pl_hazf(c, ST_HAZ_WARN,
                _("AppArmor: the domain's profile could not be read (%s): whether it lets QEMU "
                  "write where this merge must was not checked."),
                c->facts->apparmor_why);
    } else if (confined && !c->h->local) {
        pl_hazf(c, ST_HAZ_WARN,
                _("AppArmor confines QEMU on %s, and the domain's profile is there: it could not "
                  "be checked from here. A line deny \"%s\" w, in %s/libvirt-%s.files on that "
                  "host (libvirt 9.0 writes such lines for read-only backing images) makes the "
                  "block job fail half-way: look there first."),
                c->h->name ? c->h->name : "?", pl_lpath(pl_L(c, c->receiver)), ST_APPARMOR_DIR,
                c->d->uuid);
    }
}

static void explain_selinux(plan_ctx *c)
{
    if (!streq0(c->facts->security_model, "selinux"))
        return;
    const char *label = c->facts->image_label ? c->facts->image_label
                                              : _("svirt_image_t with its categories, as in "
                                                  "system_u:object_r:svirt_image_t:s0:c1,c2");
    pl_hazf(c, ST_HAZ_INFO,
            _("SELinux confines QEMU on %s. For the merge libvirt relabels %s, a read-only "
              "backing image until now (virt_content_t), with the domain's own image label (%s) "
              "so that QEMU may write into it. An image whose label cannot change (NFS without "
              "the virt_use_nfs boolean, a disk with <seclabel relabel='no'>) stays read-only to "
              "QEMU, and the job fails."),
            c->h->name ? c->h->name : "?", pl_lpath(pl_L(c, c->receiver)), label);
}

void pl_check_security(plan_ctx *c)
{
    if (!c->online || !c->facts)
        return;
    check_apparmor(c);
    explain_selinux(c);
}
