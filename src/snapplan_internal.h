/*
 * Shared by the snapshot planner's files (snapplan.c: building blocks, names, save and restore;
 * snapplan_create.c, snapplan_revert.c, snapplan_delete.c). Not part of the library's interface.
 */
#ifndef ST_SNAPPLAN_INTERNAL_H
#define ST_SNAPPLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "snapplan.h"

/* libvirt 9.0 deletes external snapshots; 9.9 reverts them. */
#define LV_EXTERNAL_DELETE      9000000UL
#define LV_EXTERNAL_REVERT_NAME "9.9.0"

void sp_add_str(char ***v, size_t *n, char *s);
/* What the plan does, what state it loses, the calls it makes, and its hazards. */
void sp_step(st_snapplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_lost(st_snapplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_call(st_snapplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_hazard(st_snapplan *p, st_hazard_level l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
st_snapplan *sp_plan_new(st_req_kind kind, const st_domain *d);

bool sp_domain_job_running(const st_host *h, const st_domain *d);
bool sp_dom_live(const st_domain *d);
bool sp_snapshot_has_children(const st_domain *d, const char *name);
/* Why a disk cannot take a snapshot (cdrom, read-only, …), or NULL. */
const char *sp_disk_unfit(const st_disk *k);
bool sp_domain_names_file(const st_domain *d, const char *path);
/* Refuses an internal snapshot whose image is no longer the disk's active layer. */
void sp_check_internal_home(st_snapplan *p, const st_domain *d, const st_snapshot *s,
                            const char *what);

#endif
