#include "config.h"

#include "backend/followup.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/offline_state.h"
#include "backend/worker.h"
#include "base/kvfile.h"
#include "base/util.h"

char *st_followup_save(const char *host_key, st_fu_kind kind, const char *domain, const char *disk,
                       char *const *files, size_t n_files, char **err)
{
    char *dir = st_runtime_dir("followups", err);
    if (!dir)
        return NULL;
    static int serial;
    char *path = xasprintf("%s/%ld-%ld-%d.fu", dir, (long)st_wall_now(), (long)getpid(), ++serial);
    free(dir);
    strbuf b;
    sb_init(&b);
    st_kv_put(&b, "uri", host_key);
    st_kv_put(&b, "kind", kind == ST_FU_REMOVE ? "remove" : "paused");
    st_kv_put(&b, "domain", domain);
    st_kv_put(&b, "disk", disk);
    for (size_t i = 0; i < n_files; i++)
        st_kv_put(&b, "file", files[i]);
    int rc = st_kv_write(path, &b, err);
    sb_free(&b);
    if (rc != 0) {
        free(path);
        return NULL;
    }
    return path;
}

typedef struct reading {
    st_followup f;
    char *uri;
} reading;

static void take(void *ctx, const char *key, char *v)
{
    reading *r = ctx;
    if (strcmp(key, "file") == 0) {
        r->f.files = xrealloc(r->f.files, (r->f.n_files + 1) * sizeof(char *));
        r->f.files[r->f.n_files++] = v;
        return;
    }
    char **dst = strcmp(key, "uri") == 0      ? &r->uri
                 : strcmp(key, "domain") == 0 ? &r->f.domain
                 : strcmp(key, "disk") == 0   ? &r->f.disk
                                              : NULL;
    if (strcmp(key, "kind") == 0)
        r->f.kind = strcmp(v, "remove") == 0 ? ST_FU_REMOVE : ST_FU_PAUSED;
    if (dst) {
        free(*dst);
        *dst = v;
    } else {
        free(v);
    }
}

static bool skipped(const char *path, char *const *skip, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (streq0(skip[i], path))
            return true;
    return false;
}

/* Reads one record of the host into *out; false when it is another host's or unusable. */
static bool read_one(const char *path, const char *host_key, st_followup *out)
{
    reading r;
    memset(&r, 0, sizeof(r));
    char *err = NULL;
    bool ok = st_kv_read(path, take, &r, &err) == 0 && streq0(r.uri, host_key) && r.f.domain &&
              r.f.disk && (r.f.kind != ST_FU_REMOVE || r.f.n_files);
    free(err);
    free(r.uri);
    if (!ok) {
        st_followup_clear(&r.f);
        return false;
    }
    r.f.record = xstrdup(path);
    *out = r.f;
    return true;
}

size_t st_followup_list(const char *host_key, char *const *skip, size_t n_skip, st_followup **out)
{
    *out = NULL;
    char *err = NULL;
    char *dir = st_runtime_dir("followups", &err);
    free(err);
    DIR *d = dir ? opendir(dir) : NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".fu") != 0)
            continue;
        char *path = st_path_join(dir, e->d_name);
        st_followup f;
        if (!skipped(path, skip, n_skip) && read_one(path, host_key, &f)) {
            xgrow((void **)out, &cap, n + 1, sizeof(st_followup));
            (*out)[n++] = f;
        }
        free(path);
    }
    if (d)
        closedir(d);
    free(dir);
    return n;
}

void st_followup_drop(const char *record)
{
    if (record)
        unlink(record);
}

/* ---- on the worker: the records an earlier interface left ---- */

static bool any_file_left(const st_followup *f)
{
    for (size_t i = 0; i < f->n_files; i++)
        if (access(f->files[i], F_OK) == 0)
            return true;
    return false;
}

/* The pull ended and its files are still read: it did not complete, nothing is to remove. */
static bool pull_did_not_complete(st_worker *w, const st_host *h, const st_followup *f)
{
    if (st_jobtab_disk_busy(w->jobs, f->domain, f->disk))
        return false;
    for (size_t i = 0; i < f->n_files; i++)
        if (access(f->files[i], F_OK) == 0 && !st_host_chains_hold(h, f->files[i]))
            return false;
    return true;
}

/* Whether the record still stands for something to do; an obsolete one is dropped. */
static bool still_pending(st_worker *w, const st_host *h, const st_followup *f)
{
    if (f->kind == ST_FU_REMOVE)
        return any_file_left(f) && !pull_did_not_complete(w, h, f);
    /* A domain another hand resumed, shut off or removed is not ours to stop any more. */
    const st_domain *d = st_host_find_domain(h, f->domain);
    return d && d->state == ST_DOM_PAUSED;
}

void st_followups_attach(st_worker *w, st_host *h)
{
    /* Only the interface offers them; a report (--list, maybe of running domains only) sees
     * too little of the host to judge which records are moot. */
    if (!w->events || w->running_only || !h->reachable || !st_worker_host_key(w))
        return;
    char **mine = NULL;
    size_t n_mine = st_jobtab_followup_records(w->jobs, &mine);
    st_followup *all = NULL;
    size_t n = st_followup_list(st_worker_host_key(w), mine, n_mine, &all);
    for (size_t i = 0; i < n_mine; i++)
        free(mine[i]);
    free(mine);
    h->followups = n ? xcalloc(n, sizeof(st_followup)) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (still_pending(w, h, &all[i])) {
            h->followups[h->n_followups++] = all[i];
            continue;
        }
        st_followup_drop(all[i].record);
        st_followup_clear(&all[i]);
    }
    free(all);
}
