/*
 * The chain doctor's gathering: reads what the checks of core/doctor.h judge, for every chain of
 * the hosts' models. Image checks (headers, modes, qemu-img check, relative names) are made on
 * this machine only, for hosts whose images are here; other hosts get a note saying so.
 */
#ifndef ST_BACKEND_DOCTOR_H
#define ST_BACKEND_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/doctor.h"
#include "core/model.h"

typedef struct st_doctor_opts {
    size_t max_depth; /* chains deeper than this are reported; 0: ST_DOCTOR_DEPTH_DEFAULT */
    /* The interface's pass on every refresh: what the model and a stat() of each image tell
     * (formats named, relative names, depth, modes, definitions, snapshot files, AppArmor
     * profiles); no header and no log is read, and qemu-img does not run. */
    bool quick;
    const char *cwd; /* the folder relative names are compared from; NULL: the current one */
} st_doctor_opts;

/* Checks every chain of the hosts into *out (appended); returns how many chains were checked. */
size_t st_doctor_run(st_host *const *hosts, size_t n, const st_doctor_opts *o, st_findings *out);

/*
 * Runs a fix made on this machine (ST_FIX_REBASE_FORMAT, ST_FIX_CHMOD). Returns 0, or -1 with
 * *err (malloc'd). Snapshot metadata is deleted through the host's worker (a request), not here.
 */
int st_doctor_fix_local(const st_finding *x, char **err);

#endif
