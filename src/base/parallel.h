/*
 * A small fork-join helper: runs fn(ctx, i) for every i in [0, n) on up to `threads` threads,
 * the calling thread included, and returns when all are done. libvirt's remote driver lets many
 * threads have calls in flight on one connection; discovery uses this to overlap round trips
 * (one per domain XML, snapshot or storage volume) instead of paying them one after another.
 */
#ifndef ST_PARALLEL_H
#define ST_PARALLEL_H

#include <stddef.h>

/* At most this many threads have slots (see st_parallel_slot); more threads still run, sharing
 * slot 0. */
#define ST_PAR_MAX 128

typedef void (*st_par_fn)(void *ctx, size_t i);

void st_parallel(size_t n, size_t threads, st_par_fn fn, void *ctx);

/*
 * A number for the calling thread, unique among the threads that hold one: 0 for a thread that
 * took none (the worker itself), 1 .. ST_PAR_MAX - 1 for st_parallel's helpers and for threads
 * that called st_parallel_enter. The worker keeps one "busy since" time per slot, so that a call
 * that hangs stays visible while other calls on the connection come and go.
 */
size_t st_parallel_slot(void);
/* For a thread of one's own that makes calls next to the worker: take a slot, and give it back. */
void st_parallel_enter(void);
void st_parallel_leave(void);

#endif
