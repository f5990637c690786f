#include "config.h"

#include "backend/orphans.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/savelist.h"
#include "base/hash.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/qcow2.h"

/* What references one file (by its identity on this machine). */
typedef struct ref {
    char **by;
    size_t n;
    bool top, layer;
} ref;

static void ref_free(void *p)
{
    ref *r = p;
    for (size_t i = 0; i < r->n; i++)
        free(r->by[i]);
    free(r->by);
    free(r);
}

typedef struct graph {
    st_hash refs;    /* identity → ref */
    st_hash folders; /* folder path → (void *)1, in the order first met (list below) */
    char **folder_list;
    size_t n_folders;
    st_hash open;  /* identities a running QEMU holds open */
    st_hash found; /* identities already found (a folder named twice) */
    /* The host whose references are being added, when its images are not on this machine:
     * files are then known by their path on that host, not by identity. */
    const char *remote;
} graph;

/* "DEV:INO" of an existing file, else NULL. */
static char *identity(const char *path)
{
    struct stat st;
    if (!path || path[0] != '/' || stat(path, &st) != 0)
        return NULL;
    return xasprintf("%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

static void add_dir(graph *g, const char *path)
{
    char *dir = st_path_lexical(path);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    if (!st_hash_get(&g->folders, dir)) {
        st_hash_put(&g->folders, dir, (void *)1);
        g->folder_list = xrealloc(g->folder_list, (g->n_folders + 1) * sizeof(char *));
        g->folder_list[g->n_folders++] = xstrdup(dir);
    }
    free(dir);
}

static void add_folder(graph *g, const char *path)
{
    char *dir = st_dirname(path);
    add_dir(g, dir);
    free(dir);
}

/* What a file is known by: its identity here, its host and lexical path on a remote host. */
static char *ref_key(const graph *g, const char *path)
{
    if (!g->remote)
        return identity(path);
    if (!path || path[0] != '/')
        return NULL;
    char *lex = st_path_lexical(path);
    char *key = xasprintf("%s\n%s", g->remote, lex);
    free(lex);
    return key;
}

/* Records that `by` references path (top: as a disk's active layer; layer: in a chain). */
static void add_ref(graph *g, const char *path, const char *by, bool top, bool layer)
{
    char *id = ref_key(g, path);
    if (!id)
        return; /* gone: no file of the scan can be it */
    ref *r = st_hash_get(&g->refs, id);
    if (!r) {
        r = xcalloc(1, sizeof(*r));
        st_hash_put(&g->refs, id, r);
    }
    free(id);
    bool seen = false;
    for (size_t i = 0; i < r->n && !seen; i++)
        seen = strcmp(r->by[i], by) == 0;
    if (!seen) {
        r->by = xrealloc(r->by, (r->n + 1) * sizeof(char *));
        r->by[r->n++] = xstrdup(by);
    }
    r->top |= top;
    r->layer |= layer;
    if (!g->remote)
        add_folder(g, path);
}

static void add_disk_refs(graph *g, const st_domain *d, const st_disk *k)
{
    char *by = xasprintf("%s %s", d->name, k->target);
    for (size_t l = 0; l < k->n_chain; l++)
        add_ref(g, k->chain[l].path, by, l == 0, true);
    free(by);
    if (k->inactive_source) {
        by = xasprintf(_("%s %s (its definition)"), d->name, k->target);
        add_ref(g, k->inactive_source, by, true, true);
        free(by);
    }
}

static void add_snapshot_refs(graph *g, const st_domain *d, const st_snapshot *s)
{
    char *by = xasprintf(_("snapshot %s of %s"), s->name, d->name);
    for (size_t k = 0; k < s->n_disks; k++) {
        add_ref(g, s->disks[k].file, by, false, false);
        add_ref(g, s->disks[k].image, by, false, false);
    }
    for (size_t k = 0; k < s->n_revert_disks; k++)
        add_ref(g, s->revert_disks[k].file, by, false, false);
    add_ref(g, s->memory_file, by, false, false);
    free(by);
}

static void add_branch_refs(graph *g, const st_domain *d, const st_branch *b)
{
    char *by = xasprintf(_("detached branch of %s %s"), d->name, b->disk ? b->disk : "?");
    add_ref(g, b->file, by, false, false);
    for (size_t k = 0; k < b->n_chain; k++)
        add_ref(g, b->chain[k], by, false, false);
    free(by);
}

static void add_host_refs(graph *g, const st_host *h)
{
    for (size_t i = 0; i < h->n_pool_dirs && !g->remote; i++)
        add_dir(g, h->pool_dirs[i]);
    for (size_t i = 0; i < h->n_pool_vols && !g->remote; i++)
        add_folder(g, h->pool_vols[i].path);
    for (size_t i = 0; i < h->n_doms; i++) {
        const st_domain *d = &h->doms[i];
        for (size_t k = 0; k < d->n_disks; k++)
            add_disk_refs(g, d, &d->disks[k]);
        for (size_t k = 0; k < d->n_snaps; k++)
            add_snapshot_refs(g, d, &d->snaps[k]);
        for (size_t k = 0; k < d->n_branches; k++)
            add_branch_refs(g, d, &d->branches[k]);
    }
}

/* The save files this tool wrote (its list), as references of their domains. */
static void add_save_refs(graph *g)
{
    st_saved *v = NULL;
    size_t n = st_savelist_load(&v);
    for (size_t i = 0; i < n; i++) {
        char *by = xasprintf(_("a save of %s"), v[i].domain);
        add_ref(g, v[i].path, by, false, false);
        free(by);
    }
    st_savelist_free(v, n);
}

/* Every file a QEMU process of this machine holds open, by identity (its /proc fds). */
static void find_open(graph *g)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    while (proc && (e = readdir(proc))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char comm[32] = "";
        char *path = xasprintf("/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "re");
        free(path);
        if (!f)
            continue;
        bool qemu = fgets(comm, sizeof(comm), f) && strncmp(comm, "qemu", 4) == 0;
        fclose(f);
        path = xasprintf("/proc/%s/fd", e->d_name);
        DIR *fds = qemu ? opendir(path) : NULL;
        struct dirent *fe;
        while (fds && (fe = readdir(fds))) {
            char *fd = xasprintf("%s/%s", path, fe->d_name);
            char *id = fe->d_name[0] != '.' ? identity(fd) : NULL;
            if (id)
                st_hash_put(&g->open, id, (void *)1);
            free(id);
            free(fd);
        }
        if (fds)
            closedir(fds);
        free(path);
    }
    if (proc)
        closedir(proc);
}

/* Names that say "disk image" when the header does not (a raw image). */
static bool image_name(const char *name)
{
    static const char *const ext[] = {".img", ".raw", ".iso", ".qcow2", ".qcow", ".save", ".mem"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
            return true;
    }
    return false;
}

static bool named_qcow2(const char *name)
{
    size_t n = strlen(name);
    return (n > 6 && strcasecmp(name + n - 6, ".qcow2") == 0) ||
           (n > 5 && strcasecmp(name + n - 5, ".qcow") == 0);
}

/* What the file is, from its first bytes and its header; false: not image-like. */
static bool sniff(const char *path, const char *name, const struct stat *st, st_file_kind *kind,
                  char **backing, char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return false;
    char magic[16] = {0};
    ssize_t got = pread(fd, magic, sizeof(magic), 0);
    if (got == (ssize_t)sizeof(magic) && (memcmp(magic, "LibvirtQemudSave", 16) == 0 ||
                                          memcmp(magic, "LibvirtQemudPart", 16) == 0)) {
        close(fd);
        *kind = ST_FILE_SAVE;
        return true;
    }
    st_image_info info;
    st_image_probe_fd(fd, (uint64_t)st->st_size, NULL, &info);
    close(fd);
    bool raw = info.error || strcmp(info.format, "raw") == 0;
    *kind = ST_FILE_IMAGE;
    if (info.error || info.damaged || (raw && named_qcow2(name))) {
        *kind = ST_FILE_DAMAGED;
        *why = xstrdup(info.error     ? info.error
                       : info.damaged ? info.damaged
                                      : _("named as a qcow2 image but holds no qcow2 header"));
    } else if (info.backing_name && !strchr(info.backing_name, ':')) {
        char *dir = st_dirname(path);
        char *joined = st_path_join(dir, info.backing_name);
        *backing = st_path_lexical(joined);
        free(joined);
        free(dir);
    }
    bool like = !raw || image_name(name) || *kind == ST_FILE_DAMAGED;
    st_image_info_clear(&info);
    if (!like) {
        free(*why);
        *why = NULL;
        free(*backing);
        *backing = NULL;
    }
    return like;
}

static void scan_file(graph *g, st_orphans *o, const char *dir, const char *name)
{
    char *path = st_path_join(dir, name);
    struct stat st;
    char *id = NULL, *backing = NULL, *why = NULL;
    st_file_kind kind = ST_FILE_IMAGE;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        goto out;
    id = xasprintf("%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    const ref *r = st_hash_get(&g->refs, id);
    if (st_hash_get(&g->found, id) || (!sniff(path, name, &st, &kind, &backing, &why) && !r))
        goto out;
    st_hash_put(&g->found, id, (void *)1);
    st_found *f = st_orphans_add(o, path, kind);
    f->bytes = (uint64_t)st.st_blocks * 512;
    f->mtime = (long long)st.st_mtime;
    f->backing = backing;
    f->why = why;
    backing = why = NULL;
    f->open = st_hash_get(&g->open, id) != NULL;
    for (size_t i = 0; r && i < r->n; i++)
        st_found_ref(f, r->by[i]);
    f->top = r && r->top;
    f->layer = r && r->layer;
out:
    free(backing);
    free(why);
    free(id);
    free(path);
}

static void scan_folder(graph *g, st_orphans *o, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        char *line = xasprintf("%s: %s", dir, strerror(errno));
        st_orphans_note(o, line);
        free(line);
        return;
    }
    o->n_folders++;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            scan_file(g, o, dir, e->d_name);
    closedir(d);
}

/* How the not-scanned lines name a host. */
static const char *host_label(const st_host *h)
{
    return h->name ? h->name : h->uri ? h->uri : "?";
}

/* A remote host's pool volumes, classified by what its domains name (by path on that host). */
static void scan_remote_pools(graph *g, st_orphans *o, const st_host *h)
{
    const char *name = host_label(h);
    g->remote = name;
    add_host_refs(g, h);
    for (size_t i = 0; i < h->n_pool_vols; i++) {
        const st_layer *v = &h->pool_vols[i];
        char *id = ref_key(g, v->path);
        const ref *r = id ? st_hash_get(&g->refs, id) : NULL;
        if (id && !st_hash_get(&g->found, id)) {
            st_hash_put(&g->found, id, (void *)1);
            st_found *f = st_orphans_add(o, v->path, ST_FILE_IMAGE);
            f->bytes = v->allocation;
            f->host = xstrdup(name);
            if (v->backing_name && v->backing_name[0] == '/')
                f->backing = st_path_lexical(v->backing_name);
            for (size_t k = 0; r && k < r->n; k++)
                st_found_ref(f, r->by[k]);
            f->top = r && r->top;
            f->layer = r && r->layer;
        }
        free(id);
    }
    g->remote = NULL;
    char *line = xasprintf(_("%s: its images are not on this machine: only the volumes of its "
                             "active storage pools were listed, and nothing is removed there"),
                           name);
    st_orphans_note(o, line);
    free(line);
}

/* The pools of a host that could not be listed, on its not-scanned lines. */
static void note_pools(st_orphans *o, const st_host *h)
{
    for (size_t i = 0; i < h->n_pool_unscanned; i++) {
        char *line = xasprintf("%s: %s", host_label(h), h->pool_unscanned[i]);
        st_orphans_note(o, line);
        free(line);
    }
}

void st_orphans_find(st_host *const *hosts, size_t n, st_orphans *out)
{
    graph g = {0};
    st_hash_init(&g.refs, ref_free);
    st_hash_init(&g.folders, NULL);
    st_hash_init(&g.open, NULL);
    st_hash_init(&g.found, NULL);
    bool any_local = false;
    for (size_t i = 0; i < n; i++) {
        const st_host *h = hosts[i];
        if (h && h->reachable)
            note_pools(out, h);
        if (h && h->reachable && h->local) {
            add_host_refs(&g, h);
            any_local = true;
        } else if (h && h->reachable && h->pools_read) {
            scan_remote_pools(&g, out, h);
        } else if (h && h->reachable) {
            /* The interface's models carry no pool listing: nothing of the host is seen. */
            char *line = xasprintf(_("%s: its images are not on this machine"), host_label(h));
            st_orphans_note(out, line);
            free(line);
        } else if (h) {
            char *line = xasprintf(_("%s: not reachable"), host_label(h));
            st_orphans_note(out, line);
            free(line);
        }
    }
    if (any_local) {
        add_save_refs(&g);
        find_open(&g);
    }
    for (size_t i = 0; i < g.n_folders; i++) {
        scan_folder(&g, out, g.folder_list[i]);
        free(g.folder_list[i]);
    }
    free(g.folder_list);
    st_hash_clear(&g.refs);
    st_hash_clear(&g.folders);
    st_hash_clear(&g.open);
    st_hash_clear(&g.found);
    st_orphans_classify(out);
}

int st_orphans_remove(const st_found *f, char **err)
{
    struct stat st;
    if (lstat(f->path, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_blocks * 512 != f->bytes || (long long)st.st_mtime != f->mtime) {
        *err = xstrdup(_("it changed since it was found: left alone"));
        return -1;
    }
    graph g = {0};
    st_hash_init(&g.open, NULL);
    find_open(&g);
    char *id = identity(f->path);
    bool open = id && st_hash_get(&g.open, id);
    free(id);
    st_hash_clear(&g.open);
    if (open) {
        *err = xstrdup(_("a running QEMU has it open: left alone"));
        return -1;
    }
    if (unlink(f->path) != 0) {
        *err = xasprintf("%s", strerror(errno));
        return -1;
    }
    return 0;
}
