/*
 * The facts a plan needs that only the host knows, read for the frontend's planners (a FACTS
 * request, answered with a PLAN message): the room where a merge writes, the data each image
 * holds by itself, a block job already running on the disk, how the host confines QEMU (the
 * domain's AppArmor profile, its SELinux image label), and a save file's header.
 */
#include "config.h"

#include "backend/plan_facts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/apparmor.h"
#include "core/qcow2.h"
#include "core/qcow2_tables.h"
#include "core/space_merge.h"

/*
 * A qcow2 on a block device (an LV) grows only up to the device's end: the room is the device's
 * size less the end of the image's last used cluster.
 */
static void space_device(st_space *s)
{
    struct stat st;
    uint64_t size = 0, end = 0;
    char *why = NULL;
    int fd = st_image_open(s->path, &st, &size, &why);
    s->device = true;
    if (fd < 0) {
        s->why = xasprintf(_("cannot read the block device %s: %s"), s->path, why);
        free(why);
        return;
    }
    if (st_qcow2_end_offset_fd(fd, size, &end) != 0) {
        s->why = xasprintf(_("cannot read the qcow2 tables on %s"), s->path);
    } else {
        s->known = true;
        s->total_bytes = size;
        s->free_bytes = size > end ? size - end : 0;
    }
    close(fd);
}

/* The room where a merge's data lands on this machine: a block device's, or the free space of
 * the filesystem that holds the image (or the folder given). */
static void space_local(st_space *s)
{
    struct stat st;
    if (stat(s->path, &st) == 0 && S_ISBLK(st.st_mode)) {
        space_device(s);
        return;
    }
    struct statvfs v;
    if (statvfs(s->path, &v) != 0) {
        s->why = xasprintf(_("cannot check free space in %s: %s"), s->path, strerror(errno));
        return;
    }
    s->known = true;
    s->free_bytes = (uint64_t)v.f_bavail * v.f_frsize;
    s->total_bytes = (uint64_t)v.f_blocks * v.f_frsize;
}

static void space_remote(st_worker *w, st_space *s, const char *file)
{
    st_worker_busy(w);
    virStorageVolPtr vol = file ? virStorageVolLookupByPath(w->conn, file) : NULL;
    virStoragePoolPtr pool = vol ? virStoragePoolLookupByVolume(vol) : NULL;
    virStoragePoolInfo info;
    int rc = pool ? virStoragePoolGetInfo(pool, &info) : -1;
    st_worker_idle(w);
    virResetLastError();
    if (pool)
        virStoragePoolFree(pool);
    if (vol)
        virStorageVolFree(vol);
    if (rc != 0) {
        s->why = xstrdup(_("the image is not in a storage pool on the remote host: free space "
                           "cannot be checked"));
        return;
    }
    s->known = true;
    s->free_bytes = info.available;
    s->total_bytes = info.capacity;
}

void st_space_read(st_worker *w, st_space *s, const char *file)
{
    if (w->local)
        space_local(s);
    else
        space_remote(w, s, file);
}

/*
 * What each image holds by itself, read from its cluster tables on this machine. A remote host's
 * images cannot be read from here, and libvirt reports no such figure.
 */
static void written_facts(st_worker *w, const st_request *req, st_facts *f)
{
    f->n_written = req->n_paths;
    f->written = req->n_paths ? xcalloc(req->n_paths, sizeof(st_written)) : NULL;
    for (size_t i = 0; i < req->n_paths; i++) {
        st_written *x = &f->written[i];
        x->path = xstrdup(req->paths[i]);
        if (!w->local)
            x->why = xstrdup(_("the image is on a remote host: not measured from here"));
        else
            x->known = st_qcow2_written_path(x->path, &x->bytes, &x->why) == 0;
    }
}

/*
 * What the layer that receives a merge's data grows by, from the maps of the images involved:
 * read on this machine only (a remote host's images are not readable from here, and libvirt
 * reports no map).
 */
static void growth_facts(st_worker *w, const st_request *req, st_facts *f)
{
    if (!req->n_layers)
        return;
    if (!w->local) {
        f->growth_why = xstrdup(_("the images are on a remote host: not read from here"));
        return;
    }
    f->growth_known =
        st_merge_growth_paths(req->layers, req->layer_fmts, req->n_layers,
                              req->flags & ST_F_PULL_FACTS, &f->growth, &f->growth_why);
}

/*
 * How the host confines QEMU, and on this machine the domain's AppArmor profile: the merge plan
 * refuses a block job that the profile forbids to write where it must. A profile file for the
 * domain is taken as in force whatever the host says: libvirt writes one only while its AppArmor
 * driver confines the domain, and removes it when the domain stops.
 */
static void security_facts(st_worker *w, virDomainPtr dom, st_facts *f)
{
    virSecurityModel sm;
    memset(&sm, 0, sizeof(sm));
    st_worker_busy(w);
    int rc = virNodeGetSecurityModel(w->conn, &sm);
    st_worker_idle(w);
    if (rc == 0)
        f->security_model = xstrdup(sm.model[0] ? sm.model : "none");
    if (streq0(f->security_model, "selinux")) {
        st_worker_busy(w);
        char *xml = virDomainGetXMLDesc(dom, 0);
        st_worker_idle(w);
        f->image_label = xml ? st_xml_image_label(xml, "selinux") : NULL;
        free(xml);
    }
    virResetLastError();
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (!w->local || virDomainGetUUIDString(dom, uuid) != 0)
        return;
    char *why = NULL;
    int got = st_aa_read_domain(st_aa_dir(), uuid, &f->apparmor, &why);
    f->apparmor_read = got == 1;
    f->apparmor_why = got < 0 ? why : NULL;
    if (got >= 0)
        free(why);
}

void st_plan_facts(st_worker *w, int id, const st_request *req)
{
    st_facts *f = xcalloc(1, sizeof(*f));
    if (req->flags & ST_F_WRITTEN) {
        written_facts(w, req, f);
        st_post_plan(w, id, f);
        return;
    }
    f->n_space = req->n_paths;
    f->space = req->n_paths ? xcalloc(req->n_paths, sizeof(st_space)) : NULL;
    for (size_t i = 0; i < req->n_paths; i++) {
        f->space[i].path = xstrdup(req->paths[i]);
        st_space_read(w, &f->space[i], req->base ? req->base : req->top);
    }
    growth_facts(w, req, f);
    st_worker_busy(w);
    virDomainPtr dom = req->domain ? virDomainLookupByName(w->conn, req->domain) : NULL;
    st_worker_idle(w);
    if (dom && req->disk)
        security_facts(w, dom, f);
    if (dom && req->disk && st_worker_dom_active(w, dom)) {
        virDomainBlockJobInfo info;
        memset(&info, 0, sizeof(info));
        st_worker_busy(w);
        int rc = virDomainGetBlockJobInfo(dom, req->disk, &info, 0);
        st_worker_idle(w);
        if (rc == 1) {
            f->job_running = true;
            f->job_desc = xasprintf(_("a block job already runs on %s (%llu of %llu)"), req->disk,
                                    info.cur, info.end);
        }
    }
    if (dom)
        virDomainFree(dom);
    virResetLastError();
    if (req->path)
        st_saved_facts(w, req->path, f);
    st_post_plan(w, id, f);
}

void st_saved_facts(st_worker *w, const char *path, st_facts *f)
{
    st_worker_busy(w);
    char *xml = virDomainSaveImageGetXMLDesc(w->conn, path, 0);
    st_worker_idle(w);
    if (!xml) {
        virResetLastError();
        return;
    }
    st_domain d;
    memset(&d, 0, sizeof(d));
    if (st_xml_parse_domain(xml, &d, NULL) == 0 && d.name) {
        f->saved_domain = xstrdup(d.name);
        f->saved_disks = d.n_disks ? xcalloc(d.n_disks, sizeof(st_saved_disk)) : NULL;
        for (size_t i = 0; i < d.n_disks; i++) {
            f->saved_disks[i].target = xstrdup0(d.disks[i].target);
            f->saved_disks[i].source = xstrdup0(d.disks[i].source);
        }
        f->n_saved_disks = d.n_disks;
    }
    st_domain_clear(&d);
    free(xml);
}
