#include "config.h"

#include "core/cache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "core/qcow2.h"

static void free_cached_domain(void *p)
{
    st_cached_domain *cd = p;
    st_domain_clear(&cd->dom);
    free(cd);
}

static void free_snap_list(st_snapshot *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        st_snapshot_clear(&s[i]);
    free(s);
}

static void free_cached_snaps(void *p)
{
    st_cached_snaps *cs = p;
    free_snap_list(cs->snaps, cs->n);
    free(cs->error);
    free(cs);
}

static void free_cached_chain(void *p)
{
    st_cached_chain *cc = p;
    for (size_t i = 0; i < cc->n; i++)
        st_layer_clear(&cc->layers[i]);
    free(cc->layers);
    free(cc->sigs);
    free(cc);
}

void st_cached_remote_free(void *p)
{
    st_cached_remote *cr = p;
    for (size_t i = 0; i < cr->n; i++)
        st_layer_clear(&cr->layers[i]);
    free(cr->layers);
    free(cr->unknown);
    free(cr);
}

void st_cache_init(st_cache *c)
{
    st_hash_init(&c->domains, free_cached_domain);
    st_hash_init(&c->snaps, free_cached_snaps);
    st_hash_init(&c->chains, free_cached_chain);
    st_hash_init(&c->remote, st_cached_remote_free);
}

void st_cache_clear(st_cache *c)
{
    st_hash_clear(&c->domains);
    st_hash_clear(&c->snaps);
    st_hash_clear(&c->chains);
    st_hash_clear(&c->remote);
}

static int key_is_domains(const char *key, void *value, void *ctx)
{
    (void)value;
    size_t n = strlen(ctx);
    return strncmp(key, ctx, n) == 0 && key[n] == '\n';
}

void st_cache_forget_domain(st_cache *c, const char *uuid)
{
    st_hash_del(&c->domains, uuid);
    st_hash_del(&c->snaps, uuid);
    st_hash_filter(&c->remote, key_is_domains, (void *)uuid);
}

void st_file_sig_read(const char *path, st_file_sig *sig)
{
    struct stat st;
    memset(sig, 0, sizeof(*sig));
    if (stat(path, &st) != 0)
        return;
    sig->exists = true;
    sig->dev = st.st_dev;
    sig->ino = st.st_ino;
    sig->size = st.st_size;
    sig->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

bool st_file_sig_equal(const st_file_sig *a, const st_file_sig *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns;
}

static bool chain_still_valid(const st_cached_chain *cc)
{
    for (size_t i = 0; i < cc->n; i++) {
        st_file_sig now;
        st_file_sig_read(cc->layers[i].path, &now);
        if (!st_file_sig_equal(&now, &cc->sigs[i]))
            return false;
    }
    return true;
}

char *st_cache_chain_key(const char *path, const char *fmt)
{
    return xasprintf("%s\n%s", fmt ? fmt : "", path);
}

bool st_cache_chain_valid(const st_cached_chain *cc)
{
    return chain_still_valid(cc);
}

st_cached_chain *st_cache_chain_read(const char *path, const char *fmt)
{
    st_cached_chain *cc = xcalloc(1, sizeof(*cc));
    cc->n = st_chain_read_local_figures(path, fmt, &cc->layers);
    cc->sigs = xcalloc(cc->n, sizeof(*cc->sigs));
    for (size_t i = 0; i < cc->n; i++)
        st_file_sig_read(cc->layers[i].path, &cc->sigs[i]);
    return cc;
}

size_t st_cache_chain_copy(const st_cached_chain *cc, st_layer **out)
{
    *out = xcalloc(cc->n, sizeof(st_layer));
    st_layers_copy(*out, cc->layers, cc->n);
    return cc->n;
}

size_t st_cache_local_chain(st_cache *c, const char *path, const char *fmt, st_layer **out)
{
    char *key = st_cache_chain_key(path, fmt);
    st_cached_chain *cc = st_hash_get(&c->chains, key);
    if (!cc || !chain_still_valid(cc)) {
        cc = st_cache_chain_read(path, fmt);
        st_hash_put(&c->chains, key, cc);
    }
    free(key);
    return st_cache_chain_copy(cc, out);
}
