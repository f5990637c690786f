/* A scratch folder per test (each Check test runs in a process of its own), removed after it. */
#ifndef ST_TESTS_SCRATCH_H
#define ST_TESTS_SCRATCH_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline int scratch_rm_entry(const char *path, const struct stat *st, int flag,
                                   struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Makes /tmp/st-NAME-XXXXXX in dir (n bytes). */
static inline void scratch_make(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/st-%s-XXXXXX", name);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static inline void scratch_remove(const char *dir)
{
    nftw(dir, scratch_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
