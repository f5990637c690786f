/*
 * A revert to a snapshot, planned again here. Through libvirt, what libvirt (>= 9.9) removes is
 * kept, and what the disks ran on before becomes a detached branch recorded in the domain's
 * metadata; an external snapshot on a libvirt without external revert is reverted by branching
 * instead (snap_revert_branch.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/longcall.h"
#include "backend/snapactions_internal.h"
#include "backend/xmlutil.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/qcow2.h"

/*
 * Keeping what libvirt (>= 9.9) removes when it reverts to an external snapshot: before the
 * revert each such file gets a second name (a hard link: same inode, no copy, no new space), and
 * once libvirt removed its name, it gets it back. The data never moves; should this process end
 * half way, the file is found under FILE.virt-snaptree-keep. Only on this machine.
 */
static int keep_links(const st_request *r, bool *linked, char **err)
{
    for (size_t i = 0; i < r->n_paths; i++) {
        char *keep = st_snap_keep_name(r->paths[i]);
        int rc = link(r->paths[i], keep), e = errno;
        linked[i] = rc == 0;
        /* A file already gone holds nothing to keep (libvirt only warns about it). */
        if (rc != 0 && e != ENOENT)
            *err = xasprintf(_("cannot keep %s (a second name %s): %s; nothing was reverted"),
                             r->paths[i], keep, strerror(e));
        free(keep);
        if (rc != 0 && e != ENOENT)
            return -1;
    }
    return 0;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Gives each kept file its name back (or drops the second name when libvirt left the file);
 * what cannot be done is appended to `note`. Returns how many files were kept. */
static size_t keep_restore(const st_request *r, const bool *linked, strbuf *note)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n_paths; i++) {
        if (!linked[i])
            continue;
        kept++;
        char *keep = st_snap_keep_name(r->paths[i]);
        struct stat st;
        bool gone = lstat(r->paths[i], &st) != 0 && errno == ENOENT;
        if (gone && link(keep, r->paths[i]) != 0)
            sb_printf(note, _("; %s is kept as %s (its name could not be given back: %s)"),
                      r->paths[i], keep, strerror(errno));
        else if (same_file(keep, r->paths[i]))
            unlink(keep);
        else
            sb_printf(note, _("; %s is kept as %s (another file now has its name)"), r->paths[i],
                      keep);
        free(keep);
    }
    return kept;
}

/*
 * After a revert through libvirt: what the disks ran on before, where it still exists, becomes a
 * detached branch, and every branch recorded before is written back (a revert puts the
 * snapshot's definition back, with the <metadata> it had then).
 */
/* The image of `target` when snapshot `s` was taken: what libvirt's new overlay is made on. */
static const char *snapshot_image(const st_snapshot *s, const char *target)
{
    for (size_t i = 0; i < s->n_disks; i++)
        if (streq0(s->disks[i].target, target))
            return s->disks[i].image;
    return NULL;
}

/*
 * Whether what the disk ran on before is now below its new active layer (libvirt >= 9.9 puts a
 * new overlay on every disk, a disk left out of the snapshot too): then it is not left. On this
 * machine the new chain is read; elsewhere the overlay is known to be made on the snapshot's
 * image of the disk.
 */
static bool below_new_layer(longcall *c, const char *now, const char *old, const char *image)
{
    if (streq0(old, image))
        return true;
    if (!c->w->local)
        return false;
    st_layer *chain = NULL;
    size_t n = st_chain_read_local(now, "qcow2", &chain);
    bool below = false;
    for (size_t i = 1; i < n; i++)
        below |= streq0(chain[i].path, old);
    for (size_t i = 0; i < n; i++)
        st_layer_clear(&chain[i]);
    free(chain);
    return below;
}

static st_branch *branches_after(longcall *c, const char *xml, size_t *n)
{
    const st_domain *d = st_host_find_domain(c->host, c->req.domain);
    const st_snapshot *s = d ? st_domain_find_snapshot(d, c->req.snapshot) : NULL;
    *n = 0;
    if (!d || !s)
        return NULL;
    st_branch *v = xcalloc(d->n_branches + d->n_disks + 1, sizeof(st_branch));
    st_branches_copy(v, d->branches, d->n_branches);
    *n = d->n_branches;
    for (size_t k = 0; k < d->n_disks; k++) {
        const st_disk *disk = &d->disks[k];
        char *now = st_xml_disk_source(xml, disk->target);
        const char *image = snapshot_image(s, disk->target);
        struct stat st;
        bool left = disk->source && now && !streq0(now, disk->source) &&
                    (!c->w->local || stat(disk->source, &st) == 0) &&
                    !below_new_layer(c, now, disk->source, image);
        if (left) {
            st_branch *b = &v[(*n)++];
            b->disk = xstrdup(disk->target);
            b->file = xstrdup(disk->source);
            b->snapshot = xstrdup(s->name);
            b->base = xstrdup0(image);
            b->left = (long long)time(NULL);
        }
        free(now);
    }
    return v;
}

/* libvirt >= 9.9 puts reverted disks on new overlays of its own making (with its umask). */
static void make_revert_private(longcall *c, strbuf *note)
{
    const st_domain *d = st_host_find_domain(c->host, c->req.domain);
    const st_snapshot *s = d ? st_domain_find_snapshot(d, c->req.snapshot) : NULL;
    int active = virDomainIsActive(c->dom);
    char *xml =
        d && s ? virDomainGetXMLDesc(c->dom, active == 1 ? 0 : VIR_DOMAIN_XML_INACTIVE) : NULL;
    for (size_t k = 0; xml && k < d->n_disks; k++) {
        char *now = st_xml_disk_source(xml, d->disks[k].target);
        if (now && !streq0(now, d->disks[k].source) && !st_snap_domain_names_file(d, now))
            sa_make_private(c, now, snapshot_image(s, d->disks[k].target), note);
        free(now);
    }
    virResetLastError();
    free(xml);
}

static void record_branches(longcall *c, strbuf *note)
{
    int active = virDomainIsActive(c->dom);
    char *xml = virDomainGetXMLDesc(c->dom, active == 1 ? 0 : VIR_DOMAIN_XML_INACTIVE);
    size_t n = 0;
    st_branch *v = xml ? branches_after(c, xml, &n) : NULL;
    char *err = NULL;
    char *meta = n ? st_xml_branches_element(v, n, &err) : NULL;
    unsigned f = (virDomainIsPersistent(c->dom) == 1 ? VIR_DOMAIN_AFFECT_CONFIG : 0) |
                 (active == 1 ? VIR_DOMAIN_AFFECT_LIVE : 0);
    if (n && (!meta || virDomainSetMetadata(c->dom, VIR_DOMAIN_METADATA_ELEMENT, meta, "snaptree",
                                            ST_BRANCH_NS, f) < 0)) {
        char *e = err ? err : st_lv_error(_("libvirt gave no reason"));
        sb_printf(note, _("; the detached branches could not be recorded: %s"), e);
        free(e);
        err = NULL;
    }
    virResetLastError();
    for (size_t i = 0; i < n; i++)
        st_branch_clear(&v[i]);
    free(v);
    free(meta);
    free(err);
    free(xml);
}

static unsigned revert_flags(const st_request *r)
{
    unsigned f = 0;
    if (r->flags & ST_F_RUNNING)
        f |= VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING;
    if (r->flags & ST_F_PAUSED)
        f |= VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED;
    if (r->flags & ST_F_FORCE)
        f |= VIR_DOMAIN_SNAPSHOT_REVERT_FORCE;
    return f;
}

/* ---- the NVRAM of a UEFI guest ---- */

/* Whether the snapshot reverted to holds memory: libvirt starts the guest as it reverts. */
static bool revert_has_memory(longcall *c)
{
    const st_domain *d = st_host_find_domain(c->host, c->req.domain);
    const st_snapshot *s = d ? st_domain_find_snapshot(d, c->req.snapshot) : NULL;
    return s && s->memory;
}

/* Puts the NVRAM back when the domain is shut off now; said either way. */
static void nvram_put_back_if_off(longcall *c, strbuf *note)
{
    if (!c->nvram_copy)
        return;
    if (virDomainIsActive(c->dom) == 0)
        sa_nvram_put_back(c, note);
    else
        sb_printf(note, _("; the domain runs, so its NVRAM could not be put back from %s"),
                  c->nvram_copy);
    virResetLastError();
}

/* The overlay libvirt puts a disk on when it reverts to an external snapshot: named after the
 * image the snapshot was taken of, its last suffix replaced by the time in seconds. */
static char *libvirt_overlay_name(const char *image, time_t now)
{
    const char *slash = strrchr(image, '/');
    const char *dot = strrchr(slash ? slash + 1 : image, '.');
    int keep = dot ? (int)(dot - image) : (int)strlen(image);
    return xasprintf("%.*s.%lld", keep, image, (long long)now);
}

static bool overlay_names_taken(const st_snapshot *snap, time_t now)
{
    bool taken = false;
    for (size_t i = 0; i < snap->n_disks && !taken; i++) {
        const st_snapdisk *sd = &snap->disks[i];
        if (!sd->image || !streq0(sd->snapshot, "external"))
            continue;
        char *name = libvirt_overlay_name(sd->image, now);
        struct stat st;
        taken = lstat(name, &st) == 0;
        free(name);
    }
    return taken;
}

/*
 * libvirt (9.9 and later) reverts to an external snapshot onto a new overlay whose name changes
 * once a second, and writes over a file that already has it (seen with 11.3): a second revert
 * within the same second (after the first one's undo, say) would land on the first one's
 * overlay. On this machine the names are looked at and, when taken, the next second is waited
 * for (two at most).
 */
static void wait_for_free_overlay_names(longcall *c, virDomainSnapshotPtr s)
{
    if (!c->w->local)
        return;
    char *xml = virDomainSnapshotGetXMLDesc(s, 0);
    st_snapshot snap;
    memset(&snap, 0, sizeof(snap));
    char *perr = NULL;
    if (xml && st_xml_parse_snapshot(xml, &snap, &perr) == 0) {
        for (int i = 0; i < 2 && overlay_names_taken(&snap, time(NULL)); i++) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            usleep((useconds_t)((1000000000L - ts.tv_nsec) / 1000 + 10000));
        }
    }
    virResetLastError();
    st_snapshot_clear(&snap);
    free(perr);
    free(xml);
}

static int run_revert(longcall *c, char **err)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(c->dom, c->req.snapshot, 0);
    if (!s) {
        *err = st_lv_error_after(_("no such snapshot"));
        return -1;
    }
    bool *linked = xcalloc(c->req.n_paths + 1, sizeof(bool));
    bool keep = !(c->req.flags & ST_F_DISCARD);
    if (keep && keep_links(&c->req, linked, err) != 0) {
        strbuf undo;
        sb_init(&undo);
        keep_restore(&c->req, linked, &undo);
        sb_free(&undo);
        free(linked);
        virDomainSnapshotFree(s);
        return -1;
    }
    strbuf nv;
    sb_init(&nv);
    unsigned rf = revert_flags(&c->req);
    const unsigned starts = VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING | VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED;
    bool start = false;
    if (c->nvram_copy && revert_has_memory(c)) {
        nvram_put_back_if_off(c, &nv); /* the revert starts the guest: now or never */
    } else if (c->nvram_copy && (rf & starts)) {
        start = true; /* reverted shut off, the NVRAM put back, then started */
        rf &= ~starts;
    }
    wait_for_free_overlay_names(c, s);
    int rc = virDomainRevertToSnapshot(s, rf);
    virErrorPtr e = rc < 0 ? virGetLastError() : NULL;
    /* Only this error is answered by FORCE: the frontend then asks the admin again. */
    if (e && e->code == VIR_ERR_SNAPSHOT_REVERT_RISKY)
        c->detail = ST_RESULT_REVERT_RISKY;
    char *lverr = rc < 0 ? st_lv_error_after(_("libvirt refused the revert")) : NULL;
    strbuf note;
    sb_init(&note);
    size_t made = keep_restore(&c->req, linked, &note);
    free(linked);
    if (rc == 0) {
        make_revert_private(c, &note);
        record_branches(c, &note);
        if (c->nvram_copy && !revert_has_memory(c))
            nvram_put_back_if_off(c, &nv);
        if (start && sa_start_after(c, &lverr) != 0)
            rc = -1;
    }
    sb_add(&note, nv.s ? nv.s : "");
    sb_free(&nv);
    if (rc < 0)
        *err = xasprintf("%s%s", lverr, note.len ? note.s : "");
    else
        c->ok_text = xasprintf(made ? _("%s reverted to snapshot %s; what libvirt removed is "
                                        "kept as detached branches%s")
                                    : _("%s reverted to snapshot %s%s"),
                               c->req.domain, c->req.snapshot, note.len ? note.s : "");
    sb_free(&note);
    free(lverr);
    virDomainSnapshotFree(s);
    return rc < 0 ? -1 : 0;
}

/*
 * libvirt removes what the plan named, nothing else: a file the admin did not see on the plan
 * (the host changed since) refuses the revert.
 */
static bool removed_as_planned(st_worker *w, int id, const st_snapplan *p, const st_request *req)
{
    for (size_t i = 0; i < p->n_removed; i++) {
        bool seen = false;
        for (size_t k = 0; k < req->n_paths && !seen; k++)
            seen = streq0(req->paths[k], p->removed[i]);
        if (!seen) {
            st_action_result(w, id, false,
                             _("refused, nothing was changed: libvirt would now also remove %s, "
                               "which the plan did not name: plan again"),
                             p->removed[i]);
            return false;
        }
    }
    return true;
}

void sa_revert(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    st_host *h = sa_fresh_model(w, dom);
    const st_domain *d = st_host_find_domain(h, req->domain);
    st_snapplan *p =
        d ? st_snapplan_revert(h, d, req->snapshot, req->flags, time(NULL), NULL) : NULL;
    if (!p) {
        st_action_result(w, id, false, _("%s: the domain is gone"), req->domain);
    } else if (sa_refused(w, id, p) || !removed_as_planned(w, id, p, req)) {
        ;
    } else if (p->branching) {
        sa_revert_branch(w, id, dom, p, d, req);
    } else {
        /* The files to keep are this plan's; the host as read now is what the disks left. */
        longcall *c = longcall_new(w, id, dom, &p->req, run_revert);
        const st_snapshot *s = st_domain_find_snapshot(d, req->snapshot);
        sa_nvram_track(c, d, req->snapshot, s && !s->external);
        c->host = h;
        h = NULL;
        longcall_track(c, ST_JOB_REVERT);
        longcall_start(c);
    }
    st_snapplan_free(p);
    st_host_free(h);
}
