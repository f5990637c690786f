/* Reading the unit tests' recorded fixtures (tests/unit/data) from the source tree. */
#ifndef ST_TESTS_FIXTURE_H
#define ST_TESTS_FIXTURE_H

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"

/*
 * REL in the source tree. The harness exports top_srcdir; a binary run by hand from an in-tree
 * build finds the source tree two levels above itself (tests/unit/test_x).
 */
static inline char *srcdir_path(const char *rel)
{
    const char *top = getenv("top_srcdir");
    if (top && *top)
        return xasprintf("%s/%s", top, rel);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        return xasprintf("../../%s", rel);
    self[n] = '\0';
    char *dir = st_dirname(self);
    char *r = xasprintf("%s/../../%s", dir, rel);
    free(dir);
    return r;
}

/* tests/unit/data/REL in the source tree. */
static inline char *fixture_path(const char *rel)
{
    char *full = xasprintf("tests/unit/data/%s", rel);
    char *r = srcdir_path(full);
    free(full);
    return r;
}

/* The whole file at PATH, NUL-terminated, its length in *len (may be NULL); the test fails when
 * it cannot be read. */
static inline char *read_whole_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s", path);
    strbuf b;
    sb_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_addn(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    return sb_steal(&b);
}

/* The whole file tests/unit/data/REL, NUL-terminated. */
static inline char *read_fixture_at(const char *rel)
{
    char *path = fixture_path(rel);
    char *r = read_whole_file(path, NULL);
    free(path);
    return r;
}

#endif
