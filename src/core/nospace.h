/*
 * Writes that fail for want of space, told in words with what to do: a block job whose target
 * filled up (libvirt 9.0 reports such a job as failed and keeps QEMU's reason to itself), a
 * guest paused because its disk could not grow. On this machine the filesystem that held the
 * write says it; QEMU's I/O error event ("enospc") and the domain's paused-on-error state say
 * the rest.
 */
#ifndef ST_NOSPACE_H
#define ST_NOSPACE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct st_fs_space {
    char *mount; /* the mount point of the filesystem */
    uint64_t free_bytes, total_bytes;
} st_fs_space;

/* The filesystem that holds the folder `dir` on this machine; false when it cannot be read. */
bool st_fs_space_of(const char *dir, st_fs_space *out);
void st_fs_space_clear(st_fs_space *fs);
/* Whether so little is left that a write of a job or a guest fails there (under 1 MiB). */
bool st_fs_full(const st_fs_space *fs);

/*
 * Why a block job of `domain` failed, and what to do: "no space left on the filesystem at /srv
 * (0 B free of 4.00 MiB): free space there, then start the merge again" (with the domain paused
 * on the error: resume it first). `fs` NULL: QEMU said it ran out of space, no filesystem is
 * known (a remote host, thin storage). Malloc'd.
 */
char *st_nospace_job_reason(const st_fs_space *fs, const char *domain, bool paused);
/*
 * A guest's disk ran out of space and QEMU paused the domain: what happened and what to do.
 * `failed_job` (may be NULL): "commit on vm/vda", a job of the domain that failed of it too.
 */
char *st_nospace_pause_notice(const st_fs_space *fs, const char *domain, const char *disk,
                              const char *failed_job);

#endif
