#include "config.h"

#include "core/backing_name.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

/* Relative path from folder `from` to `to`, both absolute and folded (st_path_lexical). */
static char *relative_path(const char *from, const char *to)
{
    size_t common = 0, i = 0;
    while (from[i] && to[i] && from[i] == to[i]) {
        if (from[i] == '/')
            common = i;
        i++;
    }
    if (!from[i] && to[i] == '/')
        common = i;
    else if (!from[i] && !to[i])
        common = i;
    strbuf b;
    sb_init(&b);
    for (const char *p = from + common; *p; p++)
        if (*p == '/' && p[1])
            sb_add(&b, "../");
    const char *rest = to + common;
    while (*rest == '/')
        rest++;
    sb_add(&b, rest);
    return sb_steal(&b);
}

char *st_backing_name_for(const char *image, const char *backing, bool relative)
{
    if (backing[0] != '/' || image[0] != '/')
        return xstrdup(backing);
    char *to = st_path_lexical(backing);
    if (!relative)
        return to;
    char *dir = st_dirname(image);
    char *from = st_path_lexical(dir);
    char *r = relative_path(from, to);
    free(dir);
    free(from);
    free(to);
    return r;
}

char *st_backing_name_detour(const char *image, const char *name)
{
    strbuf at;
    sb_init(&at);
    if (name[0] != '/') {
        char *dir = st_dirname(image);
        char *folded = st_path_lexical(dir);
        sb_add(&at, strcmp(folded, "/") == 0 ? "" : folded);
        free(dir);
        free(folded);
    }
    /* How many of the last folders of `at` the name itself entered. */
    size_t entered = 0;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (entered)
                return sb_steal(&at);
            char *slash = strrchr(at.s ? at.s : "", '/');
            if (slash) {
                at.len = (size_t)(slash - at.s);
                at.s[at.len] = '\0';
            }
        } else if (n && !(n == 1 && p[0] == '.')) {
            sb_addc(&at, '/');
            sb_addn(&at, p, n);
            entered++;
        }
        p += n;
        p += *p == '/';
    }
    sb_free(&at);
    return NULL;
}

/* Whether `name`, written into `image`, reaches the file `want` identifies. */
static bool reaches(const char *image, const char *name, const struct stat *want)
{
    char *dir = st_dirname(image);
    char *path = st_path_join(dir, name);
    struct stat st;
    bool same = stat(path, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino;
    free(dir);
    free(path);
    return same;
}

/* path with its folder's symlinks resolved; the file itself is not followed. NULL: none. */
static char *real_folder(const char *path)
{
    char *dir = st_dirname(path), buf[PATH_MAX];
    char *real = realpath(dir, buf) ? st_path_join(buf, st_basename(path)) : NULL;
    free(dir);
    return real;
}

char *st_backing_name_checked(const char *image, const char *backing, bool relative)
{
    struct stat want;
    if (stat(backing, &want) != 0)
        return xstrdup(backing);
    char *name = st_backing_name_for(image, backing, relative);
    if (reaches(image, name, &want))
        return name;
    free(name);
    name = NULL;
    char *rimage = real_folder(image), *rbacking = real_folder(backing);
    if (rimage && rbacking) {
        name = st_backing_name_for(rimage, rbacking, relative);
        if (!reaches(image, name, &want)) {
            free(name);
            name = NULL;
        }
    }
    free(rimage);
    free(rbacking);
    return name ? name : xstrdup(backing);
}
