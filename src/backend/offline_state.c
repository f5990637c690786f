#include "config.h"

#include "backend/offline_state.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/kvfile.h"
#include "base/util.h"

double st_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

char *st_offline_dir(char **err)
{
    return st_runtime_dir("jobs", err);
}

/* ---- writing ---- */

static const char *phase_name(st_job_phase p)
{
    return p == ST_PHASE_COMPLETED ? "completed" : p == ST_PHASE_FAILED ? "failed" : "running";
}

static void put_all(strbuf *b, const st_offline_state *s)
{
    sb_add(b, "version=1\n");
    st_kv_put(b, "uri", s->uri);
    st_kv_put(b, "domain", s->domain);
    st_kv_put(b, "uuid", s->uuid);
    st_kv_put(b, "disk", s->disk);
    sb_printf(b, "kind=%s\nflags=%u\nbandwidth=%lu\n", s->pull ? "pull" : "commit", s->flags,
              s->bandwidth);
    sb_printf(b, "top=%zu\nbase=%zu\nunit=%llu\n", s->top, s->base, (unsigned long long)s->unit);
    for (size_t i = 0; i < s->n_chain; i++) {
        char key[48];
        snprintf(key, sizeof(key), "layer.%zu.path", i);
        st_kv_put(b, key, s->chain[i].path);
        snprintf(key, sizeof(key), "layer.%zu.format", i);
        st_kv_put(b, key, s->chain[i].format);
        sb_printf(b, "layer.%zu.vsize=%llu\nlayer.%zu.alloc=%llu\n", i,
                  (unsigned long long)s->chain[i].virtual_size, i,
                  (unsigned long long)s->chain[i].allocation);
    }
    for (size_t i = 0; i < s->n_remove; i++) {
        char key[32];
        snprintf(key, sizeof(key), "remove.%zu", i);
        st_kv_put(b, key, s->remove[i]);
    }
    sb_printf(b, "pid=%ld\npid_start=%llu\nphase=%s\npct=%.2f\n", s->pid, s->pid_start,
              phase_name(s->phase), s->pct);
    sb_printf(b, "started=%.3f\nupdated=%.3f\nended=%.3f\n", s->started, s->updated, s->ended);
    st_kv_put(b, "step", s->step);
    st_kv_put(b, "error", s->error);
}

int st_offline_state_write(const char *path, const st_offline_state *s, char **err)
{
    strbuf b;
    sb_init(&b);
    put_all(&b, s);
    int rc = st_kv_write(path, &b, err);
    sb_free(&b);
    return rc;
}

/* ---- reading ---- */

/* The layer of a "layer.N.field" key, growing the chain as needed (at most 64 layers). */
static st_layer *layer_at(st_offline_state *s, const char *key, const char **field)
{
    char *end;
    unsigned long i = strtoul(key + 6, &end, 10);
    if (*end != '.' || i >= 64)
        return NULL;
    *field = end + 1;
    if (i >= s->n_chain) {
        s->chain = xrealloc(s->chain, (i + 1) * sizeof(st_layer));
        memset(s->chain + s->n_chain, 0, (i + 1 - s->n_chain) * sizeof(st_layer));
        s->n_chain = i + 1;
    }
    return &s->chain[i];
}

static void take_layer(st_offline_state *s, const char *key, char *v)
{
    const char *f;
    st_layer *l = layer_at(s, key, &f);
    if (l && strcmp(f, "path") == 0)
        free(l->path), l->path = v, v = NULL;
    else if (l && strcmp(f, "format") == 0)
        free(l->format), l->format = v, v = NULL;
    else if (l && strcmp(f, "vsize") == 0)
        l->virtual_size = strtoull(v, NULL, 10);
    else if (l && strcmp(f, "alloc") == 0)
        l->allocation = strtoull(v, NULL, 10);
    free(v);
}

static void take_str(char **dst, char *v)
{
    free(*dst);
    *dst = v;
}

/* One "key=value" line; v is the unescaped value, handed over. */
static void take(void *ctx, const char *key, char *v)
{
    st_offline_state *s = ctx;
    if (strncmp(key, "layer.", 6) == 0) {
        take_layer(s, key, v);
        return;
    }
    if (strncmp(key, "remove.", 7) == 0) {
        s->remove = xrealloc(s->remove, (s->n_remove + 1) * sizeof(char *));
        s->remove[s->n_remove++] = v;
        return;
    }
    char **strs[] = {&s->uri, &s->domain, &s->uuid, &s->disk, &s->step, &s->error};
    const char *names[] = {"uri", "domain", "uuid", "disk", "step", "error"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(key, names[i]) == 0) {
            take_str(strs[i], v);
            return;
        }
    if (strcmp(key, "kind") == 0)
        s->pull = strcmp(v, "pull") == 0;
    else if (strcmp(key, "phase") == 0)
        s->phase = strcmp(v, "completed") == 0 ? ST_PHASE_COMPLETED
                   : strcmp(v, "failed") == 0  ? ST_PHASE_FAILED
                                               : ST_PHASE_RUNNING;
    else if (strcmp(key, "flags") == 0)
        s->flags = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(key, "bandwidth") == 0)
        s->bandwidth = strtoul(v, NULL, 10);
    else if (strcmp(key, "top") == 0)
        s->top = strtoul(v, NULL, 10);
    else if (strcmp(key, "base") == 0)
        s->base = strtoul(v, NULL, 10);
    else if (strcmp(key, "unit") == 0)
        s->unit = strtoull(v, NULL, 10);
    else if (strcmp(key, "pid") == 0)
        s->pid = strtol(v, NULL, 10);
    else if (strcmp(key, "pid_start") == 0)
        s->pid_start = strtoull(v, NULL, 10);
    else if (strcmp(key, "pct") == 0)
        s->pct = strtod(v, NULL);
    else if (strcmp(key, "started") == 0)
        s->started = strtod(v, NULL);
    else if (strcmp(key, "updated") == 0)
        s->updated = strtod(v, NULL);
    else if (strcmp(key, "ended") == 0)
        s->ended = strtod(v, NULL);
    free(v);
}

/* Every layer named and the indices within the chain: otherwise the record is not used. */
static bool state_valid(const st_offline_state *s)
{
    for (size_t i = 0; i < s->n_chain; i++)
        if (!s->chain[i].path)
            return false;
    return s->domain && s->disk && s->n_chain && s->top < s->n_chain && s->base <= s->n_chain &&
           (s->pull ? s->base > s->top : s->base > s->top && s->base < s->n_chain);
}

int st_offline_state_read(const char *path, st_offline_state *s, char **err)
{
    memset(s, 0, sizeof(*s));
    if (st_kv_read(path, take, s, err) != 0)
        return -1;
    if (!state_valid(s)) {
        *err = xasprintf(_("the job record %s is not complete"), path);
        st_offline_state_clear(s);
        return -1;
    }
    return 0;
}

void st_offline_state_clear(st_offline_state *s)
{
    free(s->uri);
    free(s->domain);
    free(s->uuid);
    free(s->disk);
    for (size_t i = 0; i < s->n_chain; i++)
        st_layer_clear(&s->chain[i]);
    free(s->chain);
    for (size_t i = 0; i < s->n_remove; i++)
        free(s->remove[i]);
    free(s->remove);
    free(s->step);
    free(s->error);
    memset(s, 0, sizeof(*s));
}

void st_offline_each(bool (*fn)(const char *record, st_offline_state *s, void *ctx), void *ctx)
{
    char *err = NULL;
    char *dir = st_offline_dir(&err);
    DIR *d = dir ? opendir(dir) : NULL;
    free(err);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".job") != 0)
            continue;
        char *record = st_path_join(dir, e->d_name);
        st_offline_state s;
        char *rerr = NULL;
        if (st_offline_state_read(record, &s, &rerr) == 0 && !fn(record, &s, ctx))
            st_offline_state_clear(&s);
        free(rerr);
        free(record);
    }
    if (d)
        closedir(d);
    free(dir);
}

/* ---- the helper's liveness ---- */

unsigned long long st_proc_start(long pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The name in parentheses may hold anything: fields are counted after its last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] == 'Z')
        return 0; /* a zombie has finished */
    p += 2;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

bool st_offline_helper_alive(const st_offline_state *s)
{
    return s->pid > 0 && s->pid_start && st_proc_start(s->pid) == s->pid_start;
}
