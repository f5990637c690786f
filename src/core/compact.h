/*
 * Compaction: the chain doctor's fix for a chain deeper than the admin's limit. One commit
 * merges the layers from the one directly below the active layer down into the layer that
 * leaves the chain exactly at the limit. The active layer stays where it is, so a running guest
 * keeps writing to its overlay and no pivot is needed; the commit planner (core/mergeplan.h)
 * decides whether the commit may run, with every check a commit has.
 */
#ifndef ST_COMPACT_H
#define ST_COMPACT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/doctor.h"
#include "core/model.h"

/*
 * The commit that brings a chain of n layers to at most `limit`: top (chain index, 0 = active
 * layer) is 1, base the layer below which nothing moves. False when no such commit keeps the
 * active layer: the chain is not deeper than the limit, or the limit is below 2.
 */
bool st_compact_range(size_t n, size_t limit, size_t *top, size_t *base);

/*
 * Attaches the compaction (ST_FIX_COMPACT, with the paths of its top and base) to the depth
 * finding just made about the disk k at w, when there is one and the chain's paths are known.
 * A chain at the depth where the host's libvirt is known to fail (the libvirt-depth finding) is
 * brought below it, whatever `limit` says; that finding carries the fix when no depth one does.
 */
void st_compact_offer(st_findings *f, const st_doc_where *w, const st_disk *k, size_t limit);

/* The compaction the doctor offers for a domain's disk; NULL: none. */
const st_finding *st_compact_find(const st_findings *f, const char *domain, const char *disk);

#endif
