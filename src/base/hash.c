#include "config.h"

#include "base/hash.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct st_hash_slot {
    char *key; /* NULL: empty; TOMBSTONE: deleted */
    void *value;
    uint64_t hash;
};

static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

static uint64_t hash_str(const char *s)
{
    /* FNV-1a: keys are paths and UUIDs, short and not adversarial enough to need SipHash. */
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void st_hash_init(st_hash *h, st_hash_free_fn free_value)
{
    memset(h, 0, sizeof(*h));
    h->free_value = free_value;
}

static void free_slot(st_hash *h, struct st_hash_slot *s)
{
    if (s->key && s->key != TOMBSTONE) {
        free(s->key);
        if (h->free_value)
            h->free_value(s->value);
    }
}

void st_hash_clear(st_hash *h)
{
    for (size_t i = 0; i < h->cap; i++)
        free_slot(h, &h->slots[i]);
    free(h->slots);
    st_hash_free_fn f = h->free_value;
    st_hash_init(h, f);
}

static struct st_hash_slot *find(const st_hash *h, const char *key, uint64_t hv)
{
    if (!h->cap)
        return NULL;
    for (size_t i = hv & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
        struct st_hash_slot *s = &h->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == hv && strcmp(s->key, key) == 0)
            return s;
    }
}

void *st_hash_get(const st_hash *h, const char *key)
{
    struct st_hash_slot *s = find(h, key, hash_str(key));
    return s ? s->value : NULL;
}

static void rehash(st_hash *h, size_t ncap)
{
    struct st_hash_slot *old = h->slots;
    size_t ocap = h->cap;
    h->slots = xcalloc(ncap, sizeof(*h->slots));
    h->cap = ncap;
    h->used = h->n;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key || old[i].key == TOMBSTONE)
            continue;
        size_t j = old[i].hash & (ncap - 1);
        while (h->slots[j].key)
            j = (j + 1) & (ncap - 1);
        h->slots[j] = old[i];
    }
    free(old);
}

void st_hash_put(st_hash *h, const char *key, void *value)
{
    uint64_t hv = hash_str(key);
    struct st_hash_slot *s = find(h, key, hv);
    if (s) {
        if (h->free_value && s->value != value)
            h->free_value(s->value);
        s->value = value;
        return;
    }
    if ((h->used + 1) * 4 >= h->cap * 3)
        rehash(h, h->cap ? (h->n * 2 >= h->cap / 2 ? h->cap * 2 : h->cap) : 16);
    size_t i = hv & (h->cap - 1);
    while (h->slots[i].key && h->slots[i].key != TOMBSTONE)
        i = (i + 1) & (h->cap - 1);
    if (!h->slots[i].key)
        h->used++;
    h->slots[i] = (struct st_hash_slot){xstrdup(key), value, hv};
    h->n++;
}

void st_hash_del(st_hash *h, const char *key)
{
    struct st_hash_slot *s = find(h, key, hash_str(key));
    if (!s)
        return;
    free_slot(h, s);
    s->key = TOMBSTONE;
    s->value = NULL;
    h->n--;
}

void st_hash_filter(st_hash *h, int (*fn)(const char *key, void *value, void *ctx), void *ctx)
{
    for (size_t i = 0; i < h->cap; i++) {
        struct st_hash_slot *s = &h->slots[i];
        if (!s->key || s->key == TOMBSTONE)
            continue;
        if (fn(s->key, s->value, ctx)) {
            free_slot(h, s);
            s->key = TOMBSTONE;
            s->value = NULL;
            h->n--;
        }
    }
}
