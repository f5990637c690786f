#include "config.h"

#include "backend/doctor.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/offline.h"
#include "base/hash.h"
#include "base/i18n.h"
#include "base/parallel.h"
#include "base/trace.h"
#include "base/util.h"
#include "core/compact.h"
#include "core/qcow2.h"
#include "core/qcow2_check.h"

/* One image of a local host, read once however many chains hold it. */
typedef struct img_job {
    const char *path, *fmt; /* from the model */
    const st_layer *layer;  /* the first layer found with this path */
    bool in_use;            /* in the chain of a running (or paused) domain */
    bool qemu_img;
    int stat_errno;
    struct stat st;
    st_image_info info;
    int check_status; /* qemu-img check's exit status; -1: it did not run (check_json: why) */
    char *check_json;
    st_relative_facts rel;
    char *from_image, *from_cwd;
    bool reported;
} img_job;

typedef struct img_set {
    img_job *v;
    size_t n, cap;
    st_hash index; /* path → position + 1 */
    const char *cwd;
} img_set;

static img_job *img_add(img_set *s, const st_layer *l, bool in_use)
{
    size_t at = (size_t)(uintptr_t)st_hash_get(&s->index, l->path);
    if (at) {
        s->v[at - 1].in_use |= in_use;
        return &s->v[at - 1];
    }
    xgrow((void **)&s->v, &s->cap, s->n + 1, sizeof(img_job));
    img_job *j = &s->v[s->n++];
    memset(j, 0, sizeof(*j));
    j->path = l->path;
    j->fmt = l->format;
    j->layer = l;
    j->in_use = in_use;
    st_hash_put(&s->index, l->path, (void *)(uintptr_t)s->n);
    return j;
}

static img_job *img_find(const img_set *s, const char *path)
{
    size_t at = path ? (size_t)(uintptr_t)st_hash_get(&s->index, path) : 0;
    return at ? &s->v[at - 1] : NULL;
}

static bool dom_active(const st_domain *d)
{
    return d->id >= 0 || d->state == ST_DOM_RUNNING || d->state == ST_DOM_PAUSED;
}

/* qemu-img check's counts of one image, read here when its layout is the plain one (no process
 * to start: thousands of images in the time of a few hundred qemu-img runs), else qemu-img
 * check's JSON report, with -U where a running QEMU holds it. */
static void run_check(img_job *j)
{
    st_qcow2_counts n;
    if (st_qcow2_check_path(j->path, &n) == ST_QCHECK_DONE) {
        j->check_status = n.corruptions ? 2 : n.leaks ? 3 : 0;
        j->check_json = xasprintf("{\"corruptions\":%llu,\"leaks\":%llu}", n.corruptions, n.leaks);
        st_trace("doctor-check by=here path=%s", j->path);
        return;
    }
    st_trace("doctor-check by=qemu-img path=%s", j->path);
    char *argv[] = {"qemu-img", "check", "--output=json", "-f", "qcow2", NULL, NULL, NULL};
    size_t k = 5;
    if (j->in_use)
        argv[k++] = "-U";
    argv[k] = (char *)j->path;
    int ws;
    char *said = NULL, *err = NULL;
    if (st_qemu_img_capture(argv, &ws, &j->check_json, &said, &err) != 0) {
        j->check_status = -1;
        j->check_json = err;
        return;
    }
    j->check_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    if (j->check_status < 0) {
        free(j->check_json);
        j->check_json = st_qemu_img_last_line(said);
    }
    free(said);
}

/* How a relative backing name resolves from the image's folder and from the current one. */
static void resolve_relative(img_job *j, const char *cwd)
{
    const char *name = j->info.backing_name;
    if (!name || name[0] == '/' || strstr(name, ":"))
        return;
    char *dir = st_dirname(j->path);
    j->from_image = st_path_join(dir, name);
    j->from_cwd = st_path_join(cwd, name);
    free(dir);
    struct stat a, b;
    j->rel.backing_name = name;
    j->rel.from_image = j->from_image;
    j->rel.from_cwd = j->from_cwd;
    j->rel.image_exists = stat(j->from_image, &a) == 0;
    j->rel.cwd_exists = stat(j->from_cwd, &b) == 0;
    j->rel.same_file =
        j->rel.image_exists && j->rel.cwd_exists && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

typedef struct img_ctx {
    img_set *set;
    bool quick;
} img_ctx;

/* What the model read of the image's header already (the quick pass). */
static void info_from_model(img_job *j)
{
    snprintf(j->info.format, sizeof(j->info.format), "%s",
             j->layer->format ? j->layer->format : "");
    j->info.backing_name = xstrdup0(j->layer->backing_name);
    /* A format not known to the model is not a format missing from the header. */
    j->info.backing_fmt = xstrdup(j->layer->backing_fmt ? j->layer->backing_fmt : "?");
}

static void img_task(void *ctx, size_t i)
{
    img_ctx *c = ctx;
    img_job *j = &c->set->v[i];
    if (stat(j->path, &j->st) != 0) {
        j->stat_errno = errno;
        return;
    }
    if (c->quick)
        info_from_model(j);
    else
        st_image_probe_path(j->path, j->fmt, &j->info);
    resolve_relative(j, c->set->cwd);
    if (!c->quick && !j->info.error && strcmp(j->info.format, "qcow2") == 0)
        run_check(j);
}

/* The images of a local host's chains, in the order of the model. */
static void collect(const st_host *h, img_set *s)
{
    for (size_t i = 0; i < h->n_doms; i++) {
        const st_domain *d = &h->doms[i];
        for (size_t k = 0; k < d->n_disks; k++)
            for (size_t l = 0; l < d->disks[k].n_chain; l++) {
                const st_layer *y = &d->disks[k].chain[l];
                if (y->path && y->path[0] == '/')
                    img_add(s, y, dom_active(d));
            }
    }
}

/* The findings about one image, the first time a chain names it. */
static void report_image(st_findings *f, const st_doc_where *w, img_job *j, const img_set *s,
                         const st_layer *below)
{
    if (j->reported || j->stat_errno)
        return;
    j->reported = true;
    st_doctor_check_qemu_img(f, w, j->check_status, j->check_json, j->in_use);
    if (!j->info.error && strcmp(j->info.format, "qcow2") == 0) {
        st_doctor_check_bits(f, w, j->info.incompatible, j->in_use);
        const img_job *b = below ? img_find(s, below->path) : NULL;
        const char *bfmt = b && !b->info.error ? b->info.format : below ? below->format : NULL;
        st_doctor_check_backing_format(f, w, j->info.backing_name, j->info.backing_fmt, bfmt,
                                       j->in_use);
        st_doctor_check_relative(f, w, &j->rel);
    }
    if (S_ISREG(j->st.st_mode))
        st_doctor_check_mode(f, w, j->st.st_mode);
}

static void check_disk(st_findings *f, const st_host *h, const st_domain *d, const st_disk *k,
                       img_set *s, size_t limit, bool local)
{
    st_doc_where w = {.host = h->name, .domain = d->name, .disk = k->target};
    st_doctor_check_depth(f, &w, k->n_chain, limit);
    st_doctor_check_libvirt_depth(f, &w, k->n_chain, h->libvirt_ver, h->libvirt_version);
    st_compact_offer(f, &w, k, limit);
    for (size_t l = 0; local && l < k->n_chain; l++) {
        img_job *j = img_find(s, k->chain[l].path);
        w.path = k->chain[l].path;
        if (j)
            report_image(f, &w, j, s, l + 1 < k->n_chain ? &k->chain[l + 1] : NULL);
    }
    w.path = NULL;
    if (k->inactive_source && k->source && dom_active(d)) {
        struct stat st;
        bool there = !local || k->inactive_source[0] != '/' || stat(k->inactive_source, &st) == 0;
        st_doctor_check_inactive(f, &w, k->source, k->inactive_source, there);
    }
}

/* Whether a detached branch of the domain holds the file (it is kept on purpose). */
static bool branches_hold(const st_domain *d, const char *file)
{
    for (size_t i = 0; i < d->n_branches; i++) {
        if (streq0(d->branches[i].file, file))
            return true;
        for (size_t k = 0; k < d->branches[i].n_chain; k++)
            if (streq0(d->branches[i].chain[k], file))
                return true;
    }
    return false;
}

/* The external files of each snapshot that no chain holds (revertDisks, when libvirt made them:
 * the overlays the snapshot's own were replaced by). */
static void check_snapshots(st_findings *f, const st_host *h, const st_domain *d, bool local)
{
    for (size_t i = 0; i < d->n_snaps; i++) {
        const st_snapshot *sn = &d->snaps[i];
        const st_snapdisk *disks = sn->n_revert_disks ? sn->revert_disks : sn->disks;
        size_t nd = sn->n_revert_disks ? sn->n_revert_disks : sn->n_disks;
        const char **files = xcalloc(nd + 1, sizeof(char *));
        bool *gone = xcalloc(nd + 1, sizeof(bool));
        size_t n = 0;
        for (size_t k = 0; k < nd; k++) {
            const char *file = disks[k].file;
            if (!streq0(disks[k].snapshot, "external") || !file || st_host_chains_hold(h, file) ||
                branches_hold(d, file))
                continue;
            struct stat st;
            gone[n] = local && file[0] == '/' && stat(file, &st) != 0 && errno == ENOENT;
            files[n++] = file;
        }
        st_doc_where w = {.host = h->name, .domain = d->name, .snapshot = sn->name};
        st_doctor_check_snapshot_files(f, &w, files, local ? gone : NULL, n);
        free(files);
        free(gone);
    }
}

/* Whether the kernel confines processes with AppArmor at all (its log is read only then, unless
 * VIRT_SNAPTREE_APPARMOR_LOG names one). */
static bool apparmor_enabled(void)
{
    char on[4] = "";
    FILE *p = fopen("/sys/module/apparmor/parameters/enabled", "re");
    bool yes = p && fgets(on, sizeof(on), p) && on[0] == 'Y';
    if (p)
        fclose(p);
    return yes;
}

/* The AppArmor denials of the logs; a log named but not readable, or none there at all on an
 * AppArmor host, is a note. */
static void read_denials(st_findings *f, const st_host *h, st_aa_denials *den)
{
    bool named;
    const char *paths = st_aa_log_paths(&named);
    if (!named && !apparmor_enabled())
        return;
    char *list = xstrdup(paths), *save = NULL;
    size_t read = 0;
    st_doc_where w = {.host = h->name};
    for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
        char *err = NULL;
        if (!named && access(p, F_OK) != 0)
            continue;
        if (st_aa_denials_read(den, p, &err) == 0) {
            read++;
        } else {
            char *text = xasprintf(_("AppArmor denials not read: %s"), err);
            st_findings_add(f, ST_DOC_NOTE, "apparmor-log", &w, text);
            free(text);
        }
        free(err);
    }
    if (!read && !named) {
        char *text = xasprintf(_("AppArmor denials not read: none of %s is there (name the log "
                                 "with VIRT_SNAPTREE_APPARMOR_LOG)"),
                               paths);
        st_findings_add(f, ST_DOC_NOTE, "apparmor-log", &w, text);
        free(text);
    }
    free(list);
}

/* A running domain's profile (NULL: none, the domain is not confined, or it is shut off: libvirt
 * writes the profile again when it starts). */
static st_aa_profile *domain_profile(st_findings *f, const st_host *h, const st_domain *d,
                                     st_aa_profile *p)
{
    char *err = NULL;
    int got = dom_active(d) && d->uuid[0] ? st_aa_read_domain(st_aa_dir(), d->uuid, p, &err) : 0;
    if (got < 0) {
        st_doc_where w = {.host = h->name, .domain = d->name};
        char *text = xasprintf(_("its AppArmor profile could not be read: %s"), err);
        st_findings_add(f, ST_DOC_NOTE, "apparmor-profile", &w, text);
        free(text);
    }
    free(err);
    return got == 1 ? p : NULL;
}

/* AppArmor, on a host whose profiles and log are this machine's: each running domain's images
 * against its profile, and every image against the denials the log recorded (once an image; not
 * in the interface's quick pass, which would read megabytes of log on every refresh). */
static void check_apparmor(st_findings *f, const st_host *h, bool quick)
{
    st_aa_denials den = {0};
    if (!quick)
        read_denials(f, h, &den);
    st_hash seen;
    st_hash_init(&seen, NULL);
    for (size_t i = 0; i < h->n_doms; i++) {
        const st_domain *d = &h->doms[i];
        st_aa_profile buf;
        st_aa_profile *p = domain_profile(f, h, d, &buf);
        for (size_t k = 0; k < d->n_disks; k++)
            for (size_t l = 0; l < d->disks[k].n_chain; l++) {
                const char *path = d->disks[k].chain[l].path;
                st_doc_where w = {h->name, d->name, d->disks[k].target, path, NULL};
                if (!path || path[0] != '/')
                    continue;
                st_doctor_check_aa_profile(f, &w, p);
                if (!st_hash_get(&seen, path)) {
                    st_hash_put(&seen, path, (void *)1);
                    st_doctor_check_aa_denied(f, &w, st_aa_denials_find(&den, path));
                }
            }
        if (p)
            st_aa_profile_clear(p);
    }
    st_hash_clear(&seen);
    st_aa_denials_clear(&den);
}

static size_t check_host(const st_host *h, const st_doctor_opts *o, st_findings *f)
{
    bool local = h->local && h->reachable;
    img_set s = {.cwd = o->cwd};
    st_hash_init(&s.index, NULL);
    char cwd[4096];
    if (!s.cwd)
        s.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
    if (local) {
        collect(h, &s);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        img_ctx c = {.set = &s, .quick = o->quick};
        st_parallel(s.n, cpus > 0 ? (size_t)cpus : 1, img_task, &c);
    } else if (h->reachable && !o->quick) {
        st_doc_where w = {.host = h->name};
        st_findings_add(f, ST_DOC_NOTE, "not-local", &w,
                        _("its images are not on this machine: headers, modes, relative names "
                          "and qemu-img check were not checked"));
    }
    size_t chains = 0, limit = o->max_depth ? o->max_depth : ST_DOCTOR_DEPTH_DEFAULT;
    for (size_t i = 0; i < h->n_doms; i++) {
        const st_domain *d = &h->doms[i];
        for (size_t k = 0; k < d->n_disks; k++) {
            chains += d->disks[k].n_chain > 0;
            check_disk(f, h, d, &d->disks[k], &s, limit, local);
        }
        check_snapshots(f, h, d, local);
    }
    if (local)
        check_apparmor(f, h, o->quick);
    for (size_t i = 0; i < s.n; i++) {
        st_image_info_clear(&s.v[i].info);
        free(s.v[i].check_json);
        free(s.v[i].from_image);
        free(s.v[i].from_cwd);
    }
    free(s.v);
    st_hash_clear(&s.index);
    return chains;
}

size_t st_doctor_run(st_host *const *hosts, size_t n, const st_doctor_opts *o, st_findings *out)
{
    size_t chains = 0;
    for (size_t i = 0; i < n; i++)
        if (hosts[i])
            chains += check_host(hosts[i], o, out);
    return chains;
}

int st_doctor_fix_local(const st_finding *x, char **err)
{
    switch (x->fix) {
    case ST_FIX_CHMOD:
        if (chmod(x->path, 0600) != 0) {
            *err = xasprintf("chmod %s: %s", x->path, strerror(errno));
            return -1;
        }
        return 0;
    case ST_FIX_REBASE_FORMAT: {
        char *argv[] = {"qemu-img",    "rebase", "-u",    "-b",    x->fix_name, "-F",
                        x->fix_format, "-f",     "qcow2", x->path, NULL};
        return st_qemu_img_run(argv, NULL, NULL, err);
    }
    case ST_FIX_SNAP_METADATA:
    case ST_FIX_COMPACT:
    case ST_FIX_NONE:
        break;
    }
    *err = xstrdup(_("this fix is not made on this machine"));
    return -1;
}
