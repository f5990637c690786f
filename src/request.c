#include "config.h"

#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static char **copy_strv(char *const *v, size_t n)
{
    if (!n)
        return NULL;
    char **r = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r[i] = xstrdup0(v[i]);
    return r;
}

void st_request_copy(st_request *dst, const st_request *src)
{
    *dst = *src;
    dst->domain = xstrdup0(src->domain);
    dst->disk = xstrdup0(src->disk);
    dst->top = xstrdup0(src->top);
    dst->base = xstrdup0(src->base);
    dst->snapshot = xstrdup0(src->snapshot);
    dst->description = xstrdup0(src->description);
    dst->path = xstrdup0(src->path);
    dst->format = xstrdup0(src->format);
    dst->paths = copy_strv(src->paths, src->n_paths);
    dst->diskspecs = NULL;
    if (src->n_diskspecs) {
        dst->diskspecs = xcalloc(src->n_diskspecs, sizeof(st_snap_diskspec));
        for (size_t i = 0; i < src->n_diskspecs; i++) {
            dst->diskspecs[i].target = xstrdup0(src->diskspecs[i].target);
            dst->diskspecs[i].snapshot = xstrdup0(src->diskspecs[i].snapshot);
            dst->diskspecs[i].file = xstrdup0(src->diskspecs[i].file);
            dst->diskspecs[i].base = xstrdup0(src->diskspecs[i].base);
            dst->diskspecs[i].base_format = xstrdup0(src->diskspecs[i].base_format);
        }
    }
}

void st_request_clear(st_request *r)
{
    free(r->domain);
    free(r->disk);
    free(r->top);
    free(r->base);
    free(r->snapshot);
    free(r->description);
    free(r->path);
    free(r->format);
    for (size_t i = 0; i < r->n_paths; i++)
        free(r->paths[i]);
    free(r->paths);
    for (size_t i = 0; i < r->n_diskspecs; i++) {
        free(r->diskspecs[i].target);
        free(r->diskspecs[i].snapshot);
        free(r->diskspecs[i].file);
        free(r->diskspecs[i].base);
        free(r->diskspecs[i].base_format);
    }
    free(r->diskspecs);
    memset(r, 0, sizeof(*r));
}

void st_facts_free(st_facts *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_space; i++) {
        free(f->space[i].path);
        free(f->space[i].why);
    }
    free(f->space);
    free(f->job_desc);
    free(f->error);
    free(f);
}
