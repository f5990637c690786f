/*
 * Merges for shut-off domains on this machine, where libvirt has no block jobs: qemu-img commit
 * and rebase, run without a shell, their "-p" progress parsed as they go.
 */
#ifndef ST_OFFLINE_H
#define ST_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Finds the last complete progress figure "(12.34/100%)" in qemu-img's -p output; returns true and
 * sets *pct when there is one.
 */
bool st_qemu_img_progress(const char *buf, size_t len, double *pct);

typedef void (*st_progress_fn)(void *ctx, double pct);

/*
 * Runs qemu-img with argv (argv[0] is ignored and replaced by the configured qemu-img), calling
 * progress as it reports. Returns 0, or -1 with *err set to what qemu-img said (malloc'd).
 */
int st_qemu_img_run(char *const argv[], st_progress_fn progress, void *ctx, char **err);

/* The name to write as a backing file: relative to the folder of `image` when `relative`. */
char *st_backing_name_for(const char *image, const char *backing, bool relative);

#endif
