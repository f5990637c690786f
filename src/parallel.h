/*
 * A small fork-join helper: runs fn(ctx, i) for every i in [0, n) on up to `threads` threads,
 * the calling thread included, and returns when all are done. libvirt's remote driver lets many
 * threads have calls in flight on one connection; discovery uses this to overlap round trips
 * (one per domain XML, snapshot or storage volume) instead of paying them one after another.
 */
#ifndef ST_PARALLEL_H
#define ST_PARALLEL_H

#include <stddef.h>

#define ST_PAR_MAX 128

typedef void (*st_par_fn)(void *ctx, size_t i);

void st_parallel(size_t n, size_t threads, st_par_fn fn, void *ctx);

/* Which thread of the current st_parallel runs this code: 0 for the caller (and for any thread
 * outside st_parallel), 1 .. ST_PAR_MAX - 2 for the helpers. */
size_t st_parallel_slot(void);

/* The slot a thread of one's own (not a helper) takes, so that its calls are watched too. */
#define ST_PAR_SLOT_BACKGROUND (ST_PAR_MAX - 1)
void st_parallel_adopt(size_t slot);

#endif
