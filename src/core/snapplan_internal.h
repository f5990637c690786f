/*
 * Shared by the snapshot planner's files (snapplan.c: building blocks, names, save and restore;
 * snapplan_create.c, snapplan_revert.c, snapplan_delete.c). Not part of the library's interface.
 */
#ifndef ST_SNAPPLAN_INTERNAL_H
#define ST_SNAPPLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/snapplan.h"

/* The first libvirt that reverts to external snapshots, as the plans name it. */
#define LV_EXTERNAL_REVERT_NAME "9.9.0"

/* What the host's libvirt does (snapplan_host.c, with the measured behaviour of each version). */
bool sp_lv_reverts_external(const st_host *h);
bool sp_lv_deletes_external(const st_host *h);
bool sp_lv_deletes_offline_nonleaf(const st_host *h);
bool sp_lv_removes_memory_file(const st_host *h);
bool sp_lv_internal_pflash(const st_host *h);
/* The host's libvirt version as the host reported it ("?" when it did not). */
const char *sp_lv_name(const st_host *h);

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

/* snapplan_nvram.c: the copy of a UEFI guest's NVRAM each snapshot keeps, in each plan. */
void sp_nvram_create(st_snapplan *p, const st_host *h, const st_domain *d, const st_request *f,
                     st_exists_fn exists, void *ctx);
void sp_nvram_revert(st_snapplan *p, const st_host *h, const st_domain *d, const st_snapshot *s);
void sp_nvram_delete(st_snapplan *p, const st_host *h, const st_domain *d, const st_snapshot *s);

/* Uses of a file that do not count when asking who else needs it. */
typedef struct sp_use_skip {
    const st_domain *dom;       /* the domain planned for */
    const char *active_disk;    /* its disk whose active layer the file is expected to be */
    const st_snapshot *snap;    /* a snapshot whose own names of the file do not count */
    const st_snapshot *swapped; /* one whose <disks> libvirt replaces by its <revertDisks> */
} sp_use_skip;
/*
 * Who else on the host needs `path` (a chain layer of any domain, a detached branch, a file of
 * any snapshot), as a phrase for a plan ("the detached branch x.qcow2 of web"); NULL when
 * nothing does. malloc'd.
 */
char *sp_file_user(const st_host *h, const char *path, const sp_use_skip *skip);
/* Refuses deleting, while the domain runs, an internal snapshot no longer in the active layer. */
void sp_check_internal_delete(st_snapplan *p, const st_domain *d, const st_snapshot *s);

#endif
