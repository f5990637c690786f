/*
 * What the helper of an offline merge checks around qemu-img: the images it reads and writes,
 * before (qemu-img check), and the chain it leaves, after (the one the plan promised).
 */
#ifndef ST_OFFLINE_VERIFY_H
#define ST_OFFLINE_VERIFY_H

#include <stddef.h>

#include "backend/offline_state.h"

/*
 * The layers qemu-img reads or writes, chain indices [*from, *to): a commit's top down to its
 * base, a pull's active layer down to the layer above its base.
 */
void st_offline_involved(const st_offline_state *s, size_t *from, size_t *to);

/*
 * Runs qemu-img check on every involved layer. A layer cut short behind intact tables (its
 * data clusters lost) reads as zeros without a word, and a commit would copy those zeros over
 * the base: an image with errors stops the merge before anything is written. Leaked clusters
 * (space only) and formats without a check pass. Returns 0, or -1 with *err.
 */
int st_offline_check_images(const st_offline_state *s, char **err);

/* The chain indices the merge keeps, in their new order; keep has room for s->n_chain. */
size_t st_offline_kept(const st_offline_state *s, size_t *keep);

/*
 * Reads the chain the merge left and compares it, file by file (dev and inode: the new backing
 * names spell the paths differently), with the layers of `before` (the chain as read before the
 * merge, indexed as s->chain) that it keeps; every layer must be whole. Returns 0, or -1 with
 * *err saying what differs.
 */
int st_offline_verify_chain(const st_offline_state *s, const st_layer *before, char **err);

#endif
