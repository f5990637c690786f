/* A small string-keyed hash table (open addressing, linear probing). Keys are copied. */
#ifndef ST_HASH_H
#define ST_HASH_H

#include <stddef.h>

typedef void (*st_hash_free_fn)(void *value);

typedef struct st_hash {
    struct st_hash_slot *slots;
    size_t cap, n, used; /* used counts tombstones too */
    st_hash_free_fn free_value;
} st_hash;

void st_hash_init(st_hash *h, st_hash_free_fn free_value);
void st_hash_clear(st_hash *h);
void *st_hash_get(const st_hash *h, const char *key);
/* Replaces (and frees) any value already under key. */
void st_hash_put(st_hash *h, const char *key, void *value);
void st_hash_del(st_hash *h, const char *key);
/* Calls fn for every entry; fn returns non-zero to delete the entry. */
void st_hash_filter(st_hash *h, int (*fn)(const char *key, void *value, void *ctx), void *ctx);

#endif
