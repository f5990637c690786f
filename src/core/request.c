#include "config.h"

#include "core/request.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

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
    dst->plan = xstrdup0(src->plan);
    dst->paths = st_strv_copy(src->paths, src->n_paths);
    dst->layers = st_strv_copy(src->layers, src->n_layers);
    dst->layer_fmts = st_strv_copy(src->layer_fmts, src->n_layers);
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
    free(r->plan);
    for (size_t i = 0; i < r->n_paths; i++)
        free(r->paths[i]);
    free(r->paths);
    for (size_t i = 0; i < r->n_layers; i++) {
        free(r->layers[i]);
        free(r->layer_fmts[i]);
    }
    free(r->layers);
    free(r->layer_fmts);
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

st_facts *st_facts_copy(const st_facts *f)
{
    st_facts *c = xcalloc(1, sizeof(*c));
    *c = *f;
    c->space = f->n_space ? xcalloc(f->n_space, sizeof(st_space)) : NULL;
    for (size_t i = 0; i < f->n_space; i++) {
        c->space[i] = f->space[i];
        c->space[i].path = xstrdup0(f->space[i].path);
        c->space[i].why = xstrdup0(f->space[i].why);
    }
    c->job_desc = xstrdup0(f->job_desc);
    c->error = xstrdup0(f->error);
    c->saved_domain = xstrdup0(f->saved_domain);
    c->saved_disks = f->n_saved_disks ? xcalloc(f->n_saved_disks, sizeof(st_saved_disk)) : NULL;
    for (size_t i = 0; i < f->n_saved_disks; i++) {
        c->saved_disks[i].target = xstrdup0(f->saved_disks[i].target);
        c->saved_disks[i].source = xstrdup0(f->saved_disks[i].source);
    }
    c->written = f->n_written ? xcalloc(f->n_written, sizeof(st_written)) : NULL;
    for (size_t i = 0; i < f->n_written; i++) {
        c->written[i] = f->written[i];
        c->written[i].path = xstrdup0(f->written[i].path);
        c->written[i].why = xstrdup0(f->written[i].why);
    }
    c->security_model = xstrdup0(f->security_model);
    c->image_label = xstrdup0(f->image_label);
    st_aa_profile_copy(&c->apparmor, &f->apparmor);
    c->apparmor_why = xstrdup0(f->apparmor_why);
    c->growth_why = xstrdup0(f->growth_why);
    return c;
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
    free(f->saved_domain);
    for (size_t i = 0; i < f->n_saved_disks; i++) {
        free(f->saved_disks[i].target);
        free(f->saved_disks[i].source);
    }
    free(f->saved_disks);
    for (size_t i = 0; i < f->n_written; i++) {
        free(f->written[i].path);
        free(f->written[i].why);
    }
    free(f->written);
    free(f->security_model);
    free(f->image_label);
    st_aa_profile_clear(&f->apparmor);
    free(f->apparmor_why);
    free(f->growth_why);
    free(f);
}
