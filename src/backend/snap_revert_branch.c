/*
 * Revert by branching: an external snapshot on a libvirt that cannot revert to one. With the
 * domain shut off, each disk gets a fresh overlay on the snapshot's image, the domain's
 * definition points at it, and the overlay the disk ran on is kept as a detached branch
 * (recorded in the domain's metadata). Nothing is deleted.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/longcall.h"
#include "backend/offline.h"
#include "backend/snapactions_internal.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/private_file.h"
#include "base/util.h"
#include "core/qcow2.h"

/* The overlay of the snapshot's disk still has `base` below it (nothing moved since the plan). */
static int check_base(const char *overlay, const char *base, char **err)
{
    st_layer *chain = NULL;
    size_t n = st_chain_read_local(overlay, "qcow2", &chain);
    bool ok = n >= 2 && streq0(chain[1].path, base) && !chain[1].broken;
    for (size_t i = 0; i < n; i++)
        st_layer_clear(&chain[i]);
    free(chain);
    if (!ok)
        *err = xasprintf(_("%s no longer has %s below it: plan again"), overlay, base);
    return ok ? 0 : -1;
}

/*
 * Creates the new overlay; the name is reserved first so that no file is ever written over, with
 * the private mode it keeps (qemu-img writes into the file as it is).
 */
static int create_overlay(const st_snap_diskspec *ds, char **err)
{
    struct stat bs;
    bool known = stat(ds->base, &bs) == 0;
    mode_t mode = st_private_mode(known ? bs.st_mode : 0, known);
    int fd = open(ds->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        *err = xasprintf(_("cannot create %s: %s"), ds->file, strerror(errno));
        return -1;
    }
    int rc = fchmod(fd, mode) == 0 ? 0 : errno; /* whatever the umask */
    close(fd);
    if (rc != 0) {
        *err = xasprintf(_("cannot set the mode of %s: %s"), ds->file, strerror(rc));
        unlink(ds->file);
        return -1;
    }
    char *av[] = {"qemu-img", "create", "-q",
                  "-f",       "qcow2",  "-b",
                  ds->base,   "-F",     ds->base_format ? ds->base_format : "qcow2",
                  ds->file,   NULL};
    if (st_qemu_img_run(av, NULL, NULL, err) != 0 ||
        st_make_private(ds->file, ds->base, err) != 0) {
        unlink(ds->file);
        return -1;
    }
    return 0;
}

/* The inactive XML with every disk on its new overlay and each old overlay recorded. */
static char *branched_xml(longcall *c, char **err)
{
    char *xml = virDomainGetXMLDesc(c->dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!xml) {
        *err = st_lv_error_after(_("cannot read the domain XML"));
        return NULL;
    }
    for (size_t i = 0; xml && i < c->req.n_diskspecs; i++) {
        const st_snap_diskspec *ds = &c->req.diskspecs[i];
        st_branch rec = {0};
        rec.disk = ds->target;
        rec.file = st_xml_disk_source(xml, ds->target);
        rec.snapshot = c->req.snapshot;
        rec.base = ds->base;
        rec.left = (long long)time(NULL);
        char *next =
            rec.file ? st_xml_branch_disk(xml, ds->target, ds->file, "qcow2", &rec, err) : NULL;
        if (!rec.file)
            *err = xasprintf(_("%s has no image to leave"), ds->target);
        free(rec.file);
        free(xml);
        xml = next;
    }
    return xml;
}

static void unlink_new_overlays(longcall *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        unlink(c->req.diskspecs[i].file);
}

/* libvirt keeps the old current snapshot otherwise: redefine the target as current. */
static bool make_current(longcall *c)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(c->dom, c->req.snapshot, 0);
    char *x = s ? virDomainSnapshotGetXMLDesc(s, VIR_DOMAIN_SNAPSHOT_XML_SECURE) : NULL;
    virDomainSnapshotPtr r =
        x ? virDomainSnapshotCreateXML(
                c->dom, x, VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT)
          : NULL;
    bool ok = r != NULL;
    if (r)
        virDomainSnapshotFree(r);
    if (s)
        virDomainSnapshotFree(s);
    free(x);
    virResetLastError();
    return ok;
}

int sa_start_after(longcall *c, char **err)
{
    if (!(c->req.flags & (ST_F_RUNNING | ST_F_PAUSED)))
        return 0;
    unsigned f = (c->req.flags & ST_F_PAUSED) ? VIR_DOMAIN_START_PAUSED : 0;
    if (virDomainCreateWithFlags(c->dom, f) < 0) {
        *err = st_lv_error_after(_("reverted by branching, but the domain did not start"));
        return -1;
    }
    return 0;
}

static int run_branch(longcall *c, char **err)
{
    if (virDomainIsActive(c->dom) != 0) {
        *err = xstrdup(_("the domain is running now: a revert by branching needs it shut off"));
        return -1;
    }
    /* Saved since the plan: its start would restore the old overlays, not the branch. */
    if (virDomainHasManagedSaveImage(c->dom, 0) != 0) {
        *err = xstrdup(_("the domain has a managed save image now (or it cannot be checked): "
                         "remove the managed save first, nothing was changed"));
        virResetLastError();
        return -1;
    }
    for (size_t i = 0; i < c->req.n_diskspecs; i++) {
        const st_snap_diskspec *ds = &c->req.diskspecs[i];
        /* An overlay that lives only in a detached branch was checked through its chain. */
        struct stat st;
        if (c->overlays[i] && stat(c->overlays[i], &st) == 0 &&
            check_base(c->overlays[i], ds->base, err) != 0)
            return -1;
    }
    size_t made = 0;
    for (; made < c->req.n_diskspecs; made++)
        if (create_overlay(&c->req.diskspecs[made], err) != 0) {
            unlink_new_overlays(c, made);
            return -1;
        }
    char *xml = branched_xml(c, err);
    virDomainPtr nd = xml ? virDomainDefineXML(c->conn, xml) : NULL;
    free(xml);
    if (!nd) {
        if (!*err)
            *err = st_lv_error_after(_("cannot update the domain definition"));
        unlink_new_overlays(c, made);
        return -1;
    }
    virDomainFree(nd);
    bool cur = make_current(c);
    strbuf nv;
    sb_init(&nv);
    sa_nvram_put_back(c, &nv);
    c->ok_text = xasprintf(cur ? _("%s reverted to %s by branching; the old overlays are kept "
                                   "as detached branches%s")
                               : _("%s reverted to %s by branching (the old overlays are kept); "
                                   "libvirt did not accept it as the current snapshot%s"),
                           c->req.domain, c->req.snapshot, nv.len ? nv.s : "");
    sb_free(&nv);
    return sa_start_after(c, err);
}

/*
 * The new overlay names the admin saw on the plan (made a few seconds earlier, with its own
 * timestamp) win over the ones made here, for the same disk on the same base.
 */
static void keep_planned_names(st_snapplan *p, const st_request *req)
{
    for (size_t i = 0; i < p->req.n_diskspecs; i++)
        for (size_t k = 0; k < req->n_diskspecs; k++) {
            const st_snap_diskspec *want = &req->diskspecs[k];
            st_snap_diskspec *ds = &p->req.diskspecs[i];
            if (streq0(want->target, ds->target) && streq0(want->base, ds->base) && want->file &&
                want->file[0] == '/') {
                free(ds->file);
                ds->file = xstrdup(want->file);
            }
        }
}

void sa_revert_branch(st_worker *w, int id, virDomainPtr dom, st_snapplan *p, const st_domain *d,
                      const st_request *req)
{
    keep_planned_names(p, req);
    longcall *c = longcall_new(w, id, dom, &p->req, run_branch);
    sa_nvram_track(c, d, req->snapshot, false);
    /* Each new overlay's snapshot overlay, to check its base is still below it. */
    const st_snapshot *s = st_domain_find_snapshot(d, req->snapshot);
    c->overlays = xcalloc(p->req.n_diskspecs + 1, sizeof(char *));
    for (size_t i = 0; i < p->req.n_diskspecs; i++)
        for (size_t k = 0; s && k < s->n_disks; k++)
            if (streq0(s->disks[k].target, p->req.diskspecs[i].target))
                c->overlays[i] = xstrdup0(s->disks[k].file);
    longcall_track(c, ST_JOB_REVERT);
    longcall_start(c);
}
