#include "config.h"

#include "backend/savelist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

char *st_savelist_file(void)
{
    return st_state_path("saves");
}

void st_savelist_free(st_saved *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].path);
        free(v[i].domain);
    }
    free(v);
}

static bool parse_line(char *line, st_saved *e)
{
    char *f[4];
    char *p = line;
    for (int i = 0; i < 4; i++) {
        f[i] = p;
        p = i < 3 ? strchr(p, '\t') : NULL;
        if (i < 3 && !p)
            return false;
        if (p)
            *p++ = '\0';
    }
    if (f[3][0] != '/')
        return false;
    e->saved = strtoll(f[0], NULL, 10);
    e->restored = f[1][0] == '1';
    e->domain = xstrdup(f[2]);
    e->path = xstrdup(f[3]);
    return true;
}

static size_t read_entries(FILE *fp, st_saved **out)
{
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t len = 0;
    ssize_t got;
    *out = NULL;
    while ((got = getline(&line, &len, fp)) > 0) {
        if (line[got - 1] == '\n')
            line[got - 1] = '\0';
        st_saved e = {0};
        if (!parse_line(line, &e))
            continue;
        xgrow((void **)out, &cap, n + 1, sizeof(st_saved));
        (*out)[n++] = e;
    }
    free(line);
    return n;
}

size_t st_savelist_load(st_saved **out)
{
    *out = NULL;
    char *file = st_savelist_file();
    FILE *fp = file ? fopen(file, "re") : NULL;
    free(file);
    if (!fp)
        return 0;
    flock(fileno(fp), LOCK_SH);
    size_t n = read_entries(fp, out);
    fclose(fp);
    /* Newest first: the file is appended in time order. */
    for (size_t i = 0; i < n / 2; i++) {
        st_saved t = (*out)[i];
        (*out)[i] = (*out)[n - 1 - i];
        (*out)[n - 1 - i] = t;
    }
    return n;
}

static int mkdir_parents(const char *file)
{
    char *dir = st_dirname(file);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    int rc = mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
    free(dir);
    return rc;
}

/* Rewrites the list with `path` dropped, then `add` (a whole line) appended, under a lock. */
static int rewrite(const char *path, const char *add, bool mark_restored)
{
    char *file = st_savelist_file();
    if (!file || mkdir_parents(file) != 0) {
        free(file);
        return -1;
    }
    int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    FILE *fp = fd >= 0 ? fdopen(fd, "r+") : NULL;
    if (!fp) {
        if (fd >= 0)
            close(fd);
        free(file);
        return -1;
    }
    flock(fd, LOCK_EX);
    st_saved *v = NULL;
    size_t n = read_entries(fp, &v);
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < n; i++) {
        bool same = strcmp(v[i].path, path) == 0;
        if (same && !mark_restored)
            continue;
        sb_printf(&b, "%lld\t%d\t%s\t%s\n", v[i].saved, (same || v[i].restored) ? 1 : 0,
                  v[i].domain, v[i].path);
    }
    if (add)
        sb_add(&b, add);
    int rc =
        ftruncate(fd, 0) == 0 && pwrite(fd, b.s ? b.s : "", b.len, 0) == (ssize_t)b.len ? 0 : -1;
    sb_free(&b);
    st_savelist_free(v, n);
    fclose(fp);
    free(file);
    return rc;
}

static bool field_ok(const char *s)
{
    return s && !strpbrk(s, "\t\n");
}

int st_savelist_add(const char *path, const char *domain, long long when)
{
    if (!field_ok(path) || path[0] != '/' || !field_ok(domain))
        return -1;
    char *line = xasprintf("%lld\t0\t%s\t%s\n", when, domain, path);
    int rc = rewrite(path, line, false);
    free(line);
    return rc;
}

int st_savelist_mark_restored(const char *path)
{
    return field_ok(path) ? rewrite(path, NULL, true) : -1;
}
