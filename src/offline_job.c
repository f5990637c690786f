/*
 * An offline merge as a job: qemu-img on its own thread, progress into the jobs table, then the
 * chain fixed up (rebase -u of the layer above, or the domain pointed at the base) and, when the
 * admin asked, the merged files removed.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions.h"
#include "i18n.h"
#include "offline.h"
#include "qcow2.h"
#include "util.h"
#include "worker.h"
#include "xmlutil.h"

typedef struct offline_ctx {
    st_worker *w;
    int id, jid;
    virDomainPtr dom;
    st_request req;
    st_layer *chain; /* the disk's chain read from the headers */
    size_t n_chain;
    size_t top, base; /* indices; base == n_chain for a pull without base */
    uint64_t total;   /* the bytes qemu-img's 100% stands for */
    double started;
} offline_ctx;

static void progress(void *p, double pct)
{
    offline_ctx *c = p;
    uint64_t cur;
    double rate, eta;
    st_offline_figures(pct, c->total, c->req.bandwidth, st_now() - c->started, false, &cur, &rate,
                       &eta);
    st_jobtab_figures(c->w->jobs, c->jid, cur, c->total, rate, eta);
    st_worker_post_jobs(c->w);
}

static size_t find_layer(const offline_ctx *c, const char *path)
{
    for (size_t i = 0; path && i < c->n_chain; i++)
        if (strcmp(c->chain[i].path, path) == 0)
            return i;
    return SIZE_MAX;
}

/* The disk's current top image and format, from the inactive XML. */
static int disk_source(offline_ctx *c, char **xml_out, char **src, char **fmt, char **err)
{
    char *xml = virDomainGetXMLDesc(c->dom, VIR_DOMAIN_XML_INACTIVE);
    if (!xml) {
        *err = st_lv_error(_("cannot read the domain XML"));
        return -1;
    }
    st_domain d;
    memset(&d, 0, sizeof(d));
    if (st_xml_parse_domain(xml, &d, err) != 0) {
        free(xml);
        return -1;
    }
    const st_disk *k = st_domain_find_disk(&d, c->req.disk);
    int rc = -1;
    if (k && k->source) {
        *src = xstrdup(k->source);
        *fmt = xstrdup0(k->format);
        rc = 0;
    } else {
        *err = xasprintf(_("the domain has no disk %s with an image"), c->req.disk);
    }
    st_domain_clear(&d);
    if (rc == 0 && xml_out)
        *xml_out = xml;
    else
        free(xml);
    return rc;
}

static int redefine_on_base(offline_ctx *c, char **err)
{
    char *xml = NULL, *src = NULL, *fmt = NULL;
    if (disk_source(c, &xml, &src, &fmt, err) != 0)
        return -1;
    const st_layer *b = &c->chain[c->base];
    char *nx = st_xml_set_disk_source(xml, c->req.disk, b->path, b->format, err);
    int rc = -1;
    if (nx) {
        virDomainPtr nd = virDomainDefineXML(c->w->conn, nx);
        if (nd) {
            virDomainFree(nd);
            rc = 0;
        } else {
            *err = st_lv_error(_("cannot update the domain definition"));
        }
    }
    free(nx);
    free(xml);
    free(src);
    free(fmt);
    return rc;
}

static int run_commit(offline_ctx *c, char **err)
{
    const char *top = c->chain[c->top].path, *base = c->chain[c->base].path;
    char rate[32];
    snprintf(rate, sizeof(rate), "%luM", c->req.bandwidth);
    char *av[12];
    size_t k = 0;
    av[k++] = "qemu-img";
    av[k++] = "commit";
    av[k++] = "-p";
    av[k++] = "-d";
    av[k++] = "-t";
    av[k++] = "none";
    if (c->req.bandwidth) {
        av[k++] = "-r";
        av[k++] = rate;
    }
    av[k++] = "-b";
    av[k++] = (char *)base;
    av[k++] = (char *)top;
    av[k] = NULL;
    if (st_qemu_img_run(av, progress, c, err) != 0)
        return -1;
    if (c->top == 0)
        return redefine_on_base(c, err);
    const st_layer *above = &c->chain[c->top - 1];
    char *name = st_backing_name_for(above->path, base, c->req.flags & ST_F_RELATIVE);
    const char *fmt = c->chain[c->base].format;
    char *rb[] = {"qemu-img",          "rebase", "-u", "-F", (char *)fmt, "-b", name,
                  (char *)above->path, NULL};
    int rc = st_qemu_img_run(rb, NULL, NULL, err);
    free(name);
    return rc;
}

static int run_pull(offline_ctx *c, char **err)
{
    const char *active = c->chain[0].path;
    char *name = c->base < c->n_chain ? st_backing_name_for(active, c->chain[c->base].path,
                                                            c->req.flags & ST_F_RELATIVE)
                                      : xstrdup("");
    const char *fmt = c->base < c->n_chain ? c->chain[c->base].format : NULL;
    char *av[12]; /* 10 arguments at most, and the NULL */
    size_t k = 0;
    av[k++] = "qemu-img";
    av[k++] = "rebase";
    av[k++] = "-p";
    av[k++] = "-t";
    av[k++] = "none";
    if (*name) {
        av[k++] = "-F";
        av[k++] = (char *)fmt;
    }
    av[k++] = "-b";
    av[k++] = name;
    av[k++] = (char *)active;
    av[k] = NULL;
    int rc = st_qemu_img_run(av, progress, c, err);
    free(name);
    return rc;
}

/* Removes the files the admin asked to delete once nothing names them any more. */
static void remove_files(offline_ctx *c)
{
    for (size_t i = 0; i < c->req.n_paths; i++)
        if (unlink(c->req.paths[i]) != 0)
            st_action_result(c->w, c->id, false, _("could not remove %s"), c->req.paths[i]);
}

static void ctx_free(offline_ctx *c)
{
    for (size_t i = 0; i < c->n_chain; i++)
        st_layer_clear(&c->chain[i]);
    free(c->chain);
    st_request_clear(&c->req);
    virDomainFree(c->dom);
    free(c);
}

static void *offline_main(void *p)
{
    offline_ctx *c = p;
    char *err = NULL;
    int rc = c->req.kind == ST_REQ_COMMIT ? run_commit(c, &err) : run_pull(c, &err);
    if (rc == 0) {
        st_jobtab_update(c->w->jobs, c->jid, ST_PHASE_COMPLETED, c->total, c->total, NULL);
        if (c->req.flags & ST_F_DELETE)
            remove_files(c);
        st_action_result(c->w, c->id, true, _("offline merge of %s/%s completed"), c->req.domain,
                         c->req.disk);
    } else {
        st_jobtab_update(c->w->jobs, c->jid, ST_PHASE_FAILED, 0, c->total, err);
        st_action_result(c->w, c->id, false, _("offline merge failed: %s"), err ? err : "?");
    }
    free(err);
    st_worker_post_jobs(c->w);
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (virDomainGetUUIDString(c->dom, uuid) == 0)
        st_worker_mark_dirty(c->w, uuid);
    st_worker_request_refresh(c->w, 0);
    ctx_free(c);
    return NULL;
}

/* Reads the chain and checks the request against it; 0 or -1 with *err. */
static int prepare(offline_ctx *c, char **err)
{
    char *src = NULL, *fmt = NULL;
    if (disk_source(c, NULL, &src, &fmt, err) != 0)
        return -1;
    c->n_chain = st_chain_read_local(src, fmt, &c->chain);
    free(src);
    free(fmt);
    for (size_t i = 0; i < c->n_chain; i++)
        if (c->chain[i].broken) {
            *err =
                xasprintf(_("the chain is broken at %s: %s"), c->chain[i].path, c->chain[i].broken);
            return -1;
        }
    bool commit = c->req.kind == ST_REQ_COMMIT;
    c->top = commit ? find_layer(c, c->req.top) : 0;
    c->base = c->req.base ? find_layer(c, c->req.base) : c->n_chain;
    if (c->top == SIZE_MAX || (commit && (c->base == SIZE_MAX || c->base <= c->top)) ||
        (!commit && c->base == SIZE_MAX) || (!commit && c->base == 0)) {
        *err = xstrdup(_("the chain changed since the plan was made: plan again"));
        return -1;
    }
    /* A backing file is written with its format (-F): never guess it. */
    if (c->base < c->n_chain && !c->chain[c->base].format) {
        *err = xasprintf(_("the format of %s is not known"), c->chain[c->base].path);
        return -1;
    }
    /* What qemu-img's percent is of: the data a commit copies, the virtual disk a rebase
     * walks. */
    if (!commit)
        c->total = c->chain[0].virtual_size;
    for (size_t i = c->top; commit && i < c->base; i++)
        c->total += c->chain[i].allocation;
    c->started = st_now();
    return 0;
}

void st_offline_start(st_worker *w, int id, virDomainPtr dom, const st_request *req)
{
    offline_ctx *c = xcalloc(1, sizeof(*c));
    c->w = w;
    c->id = id;
    virDomainRef(dom);
    c->dom = dom;
    st_request_copy(&c->req, req);
    char *err = NULL;
    if (prepare(c, &err) != 0) {
        st_action_result(w, id, false, "%s", err);
        free(err);
        ctx_free(c);
        return;
    }
    c->jid =
        st_jobtab_track(w->jobs, dom, req->disk,
                        req->kind == ST_REQ_COMMIT ? ST_JOB_OFFLINE_COMMIT : ST_JOB_OFFLINE_PULL,
                        req->top, req->base, 0);
    st_jobtab_update(w->jobs, c->jid, ST_PHASE_RUNNING, 0, c->total, NULL);
    st_worker_post_jobs(w);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, offline_main, c) != 0) {
        st_jobtab_update(w->jobs, c->jid, ST_PHASE_FAILED, 0, 0, _("cannot start a thread"));
        st_action_result(w, id, false, "%s", _("cannot start a thread"));
    } else {
        st_action_result(w, id, true, _("offline merge of %s/%s started"), req->domain, req->disk);
    }
    pthread_attr_destroy(&attr);
}
