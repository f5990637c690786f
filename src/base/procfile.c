/*
 * How far the processes of this machine have read a file, from /proc (see procfile.h). Each
 * open descriptor is matched by the file it leads to (device and inode), not by its name: the
 * reader may live in another mount namespace, as QEMU under libvirt does.
 */
#include "config.h"

#include "base/procfile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The "pos:" line of /proc/PID/fdinfo/FD; false when it cannot be read. */
static bool fd_pos(const char *pid, const char *fd, uint64_t *pos)
{
    char path[600]; /* two directory entry names: room for both at their longest */
    snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char line[128];
    bool got = false;
    unsigned long long v = 0;
    while (!got && fgets(line, sizeof(line), f))
        got = sscanf(line, "pos: %llu", &v) == 1;
    fclose(f);
    *pos = v;
    return got;
}

/* The furthest position of process `pid`'s descriptors on the file (dev, ino). */
static bool pid_pos(const char *pid, dev_t dev, ino_t ino, uint64_t *pos)
{
    char dir[300];
    snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e; (e = readdir(d));) {
        char link[600];
        struct stat st;
        uint64_t p = 0;
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
        if (stat(link, &st) != 0 || st.st_dev != dev || st.st_ino != ino ||
            !fd_pos(pid, e->d_name, &p))
            continue;
        if (!found || p > *pos)
            *pos = p;
        found = true;
    }
    closedir(d);
    return found;
}

bool st_file_read_pos(const char *path, uint64_t *pos, uint64_t *size)
{
    struct stat target;
    if (!path || stat(path, &target) != 0 || !S_ISREG(target.st_mode))
        return false;
    DIR *d = opendir("/proc");
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e; (e = readdir(d));) {
        uint64_t p = 0;
        if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
            !pid_pos(e->d_name, target.st_dev, target.st_ino, &p))
            continue;
        if (!found || p > *pos)
            *pos = p;
        found = true;
    }
    closedir(d);
    *size = (uint64_t)target.st_size;
    if (found && *pos > *size)
        *pos = *size;
    return found;
}
