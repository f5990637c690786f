/* Shared by the snapshot flows: the plan screen that shows an st_snapplan and takes a typed yes. */
#ifndef ST_SNAP_UI_H
#define ST_SNAP_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/request.h"
#include "view/app.h"

/* What a snapshot flow asks for; the plan is remade from it whenever the model or an option
 * changes. */
typedef struct snapflow {
    st_req_kind kind;
    size_t host;
    char *dom, *snap;
    unsigned flags;
    st_request form; /* create: the form's request */
    char *path;      /* save / restore */
    bool restored;   /* restore: this tool restored the file before */
    st_facts *facts; /* restore: the save file's domain and disks, once the host read them;
                      * revert: what the files libvirt removes hold (ST_F_WRITTEN) */
    char **files;    /* remove files */
    size_t n_files;
} snapflow;

snapflow *st_snapflow_new(st_req_kind kind, size_t host, const char *dom);
void st_snapflow_free(void *f);

/* Opens the plan screen for f (takes ownership). */
void st_snap_plan_open(st_app *a, snapflow *f);

/* The create form (snap_create_ui.c). */
void st_snap_create_open(st_app *a, const st_row *r);

#endif
