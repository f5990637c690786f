#include "config.h"

#include "core/nospace.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "base/i18n.h"
#include "base/util.h"

/* Below this a qcow2 image cannot take a cluster and the metadata that points to it. */
#define ST_FS_FULL_BELOW (1024 * 1024)

/* The mount point above `dir`: the last folder on the way up that is on the same device. */
static char *mount_point(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return NULL;
    char *cur = xstrdup(dir);
    while (strcmp(cur, "/") != 0) {
        char *up = st_dirname(cur);
        struct stat su;
        if (stat(up, &su) != 0 || su.st_dev != st.st_dev) {
            free(up);
            break;
        }
        free(cur);
        cur = up;
    }
    return cur;
}

bool st_fs_space_of(const char *dir, st_fs_space *out)
{
    memset(out, 0, sizeof(*out));
    struct statvfs v;
    if (!dir || dir[0] != '/' || statvfs(dir, &v) != 0)
        return false;
    /* A chain's paths may pass through "..", and "dir/.." is not where the way up goes. */
    char *real = realpath(dir, NULL);
    out->mount = mount_point(real ? real : dir);
    if (!out->mount)
        out->mount = xstrdup(real ? real : dir);
    free(real);
    out->free_bytes = (uint64_t)v.f_bavail * v.f_frsize;
    out->total_bytes = (uint64_t)v.f_blocks * v.f_frsize;
    return true;
}

void st_fs_space_clear(st_fs_space *fs)
{
    free(fs->mount);
    memset(fs, 0, sizeof(*fs));
}

bool st_fs_full(const st_fs_space *fs)
{
    return fs->free_bytes < ST_FS_FULL_BELOW;
}

/* "no space left on the filesystem at /srv (0 B free of 4.00 MiB)", or QEMU's word alone. */
static char *cause(const st_fs_space *fs)
{
    if (!fs)
        return xstrdup(_("QEMU ran out of space for the image (ENOSPC)"));
    char have[32], total[32];
    st_fmt_bytes(have, sizeof(have), fs->free_bytes);
    st_fmt_bytes(total, sizeof(total), fs->total_bytes);
    return xasprintf(_("no space left on the filesystem at %s (%s free of %s)"), fs->mount, have,
                     total);
}

char *st_nospace_job_reason(const st_fs_space *fs, const char *domain, bool paused)
{
    char *c = cause(fs);
    char *r = paused ? xasprintf(_("%s: free space there, resume %s (virsh resume %s), then start "
                                   "the merge again"),
                                 c, domain, domain)
                     : xasprintf(_("%s: free space there, then start the merge again"), c);
    free(c);
    return r;
}

char *st_nospace_pause_notice(const st_fs_space *fs, const char *domain, const char *disk,
                              const char *failed_job)
{
    char *c = cause(fs);
    char *r = failed_job ? xasprintf(_("%s is paused: its disk %s could not be written, %s, and "
                                       "the %s failed of it. Free space there, resume it (virsh "
                                       "resume %s), then start the merge again"),
                                     domain, disk, c, failed_job, domain)
                         : xasprintf(_("%s is paused: its disk %s could not be written, %s. Free "
                                       "space there, then resume it (virsh resume %s)"),
                                     domain, disk, c, domain);
    free(c);
    return r;
}
