/*
 * The detached helper that runs an offline merge from start to end: qemu-img commit or rebase,
 * then the chain fixed up (rebase -u of the layer above, or the domain pointed at the base) and
 * the merged files removed when asked. It runs in a session of its own, so that neither a
 * closed terminal nor the end of the interface cuts the sequence in half; its progress goes to
 * the job record, which every interface reads.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/offline.h"
#include "backend/offline_internal.h"
#include "backend/offline_verify.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/backing_name.h"
#include "core/qcow2.h"
#include "core/request.h"

/* Give up waiting for a connection to update the definition after this long. */
#define ST_REDEFINE_PATIENCE (24 * 3600)

typedef struct helper {
    const char *record;
    st_offline_state s;
    double last_save;
    st_layer *before; /* the chain as read just before the merge: what the result must keep */
    size_t n_before;
} helper;

static void save(helper *h)
{
    char *err = NULL;
    h->s.updated = st_wall_now();
    h->last_save = h->s.updated;
    if (st_offline_state_write(h->record, &h->s, &err) != 0)
        free(err); /* nobody to tell: the next write may succeed */
}

static void set_step(helper *h, const char *step)
{
    free(h->s.step);
    h->s.step = xstrdup(step);
    save(h);
}

/* qemu-img prints a figure when it moved by 1% (and repeats it now and then): each new one is
 * written at once, since the next may be seconds away (a rate limit holds it back). */
static void progress(void *p, double pct)
{
    helper *h = p;
    bool moved = pct != h->s.pct;
    h->s.pct = pct;
    if (moved || st_wall_now() - h->last_save >= 1.0)
        save(h);
}

/* The chain must be the one planned: it is read again from the headers before anything runs. */
static int check_chain(helper *h, char **err)
{
    size_t n = st_chain_read_local(h->s.chain[0].path, h->s.chain[0].format, &h->before);
    h->n_before = n;
    bool same = n == h->s.n_chain;
    for (size_t i = 0; i < n; i++)
        same = same && streq0(h->before[i].path, h->s.chain[i].path) && !h->before[i].broken;
    if (!same)
        *err = xstrdup(_("the chain changed since the plan was made: plan again"));
    return same ? 0 : -1;
}

/* 1 when the interface redefined the domain for us, -1 (and *err) when it could not, else 0. */
static int marker_says(const char *marker, char **err)
{
    FILE *f = fopen(marker, "re");
    if (!f)
        return 0;
    char line[4096] = "";
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "error: ", 7) != 0)
        return 1;
    *err = xstrdup(line + 7);
    return -1;
}

/* Until a connection of its own opens, or the interface (holding the only one) did it. */
static int redefine(helper *h, char **err)
{
    set_step(h, ST_STEP_REDEFINING);
    char *marker = st_offline_marker(h->record);
    double give_up = st_wall_now() + ST_REDEFINE_PATIENCE;
    int rc = -1;
    st_libvirt_init(); /* the embedded driver needs the event loop */
    while (rc != 0 && !*err) {
        int said = marker_says(marker, err);
        if (said != 0) {
            rc = said > 0 ? 0 : -1;
            break;
        }
        virConnectPtr c = virConnectOpen(h->s.uri);
        if (c) {
            rc = st_offline_redefine(c, &h->s, err);
            break; /* never closed: libvirt 9.0's embedded driver can crash at close */
        }
        virResetLastError();
        if (st_wall_now() > give_up)
            *err = xasprintf(_("no connection to %s to point %s at %s: do it by hand"), h->s.uri,
                             h->s.disk, h->s.chain[h->s.base].path);
        else if (!streq0(h->s.step, ST_STEP_REDEFINE_WAIT))
            set_step(h, ST_STEP_REDEFINE_WAIT);
        sleep(1);
    }
    free(marker);
    return rc;
}

static int run_commit(helper *h, char **err)
{
    const st_offline_state *s = &h->s;
    const char *top = s->chain[s->top].path, *base = s->chain[s->base].path;
    char rate[32];
    snprintf(rate, sizeof(rate), "%luM", s->bandwidth);
    char *av[12];
    size_t k = 0;
    av[k++] = "qemu-img";
    av[k++] = "commit";
    av[k++] = "-p";
    av[k++] = "-d";
    av[k++] = "-t";
    av[k++] = "none";
    if (s->bandwidth) {
        av[k++] = "-r";
        av[k++] = rate;
    }
    av[k++] = "-b";
    av[k++] = (char *)base;
    av[k++] = (char *)top;
    av[k] = NULL;
    if (st_qemu_img_run(av, progress, h, err) != 0)
        return -1;
    if (s->top == 0)
        return redefine(h, err);
    set_step(h, ST_STEP_REBASING);
    const st_layer *above = &s->chain[s->top - 1];
    char *name = st_backing_name_checked(above->path, base, s->flags & ST_F_RELATIVE);
    char *rb[] = {"qemu-img", "rebase", "-u",        "-F", s->chain[s->base].format,
                  "-b",       name,     above->path, NULL};
    int rc = st_qemu_img_run(rb, NULL, NULL, err);
    free(name);
    return rc;
}

static int run_pull(helper *h, char **err)
{
    const st_offline_state *s = &h->s;
    const char *active = s->chain[0].path;
    bool has_base = s->base < s->n_chain;
    char *name =
        has_base ? st_backing_name_checked(active, s->chain[s->base].path, s->flags & ST_F_RELATIVE)
                 : xstrdup("");
    char *av[12]; /* 10 arguments at most, and the NULL */
    size_t k = 0;
    av[k++] = "qemu-img";
    av[k++] = "rebase";
    av[k++] = "-p";
    av[k++] = "-t";
    av[k++] = "none";
    if (has_base) {
        av[k++] = "-F";
        av[k++] = s->chain[s->base].format;
    }
    av[k++] = "-b";
    av[k++] = name;
    av[k++] = (char *)active;
    av[k] = NULL;
    int rc = st_qemu_img_run(av, progress, h, err);
    free(name);
    return rc;
}

/* The merge is done whatever happens here: a file that stays is said, not a failure. */
static void remove_files(helper *h)
{
    set_step(h, ST_STEP_REMOVING);
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < h->s.n_remove; i++)
        if (unlink(h->s.remove[i]) != 0)
            sb_printf(&b, "%s%s", b.len ? ", " : "", h->s.remove[i]);
    if (b.len)
        h->s.error = xasprintf(_("could not remove %s"), b.s);
    sb_free(&b);
}

static void run(helper *h)
{
    char *err = NULL;
    set_step(h, ST_STEP_CHECKING);
    int rc = check_chain(h, &err);
    if (rc == 0)
        rc = st_offline_check_images(&h->s, &err);
    if (rc == 0) {
        set_step(h, ST_STEP_COPYING);
        rc = h->s.pull ? run_pull(h, &err) : run_commit(h, &err);
    }
    /* Only a merge that left the chain planned is completed; its files go only then. */
    if (rc == 0)
        rc = st_offline_verify_chain(&h->s, h->before, &err);
    if (rc == 0 && (h->s.flags & ST_F_DELETE))
        remove_files(h);
    h->s.phase = rc == 0 ? ST_PHASE_COMPLETED : ST_PHASE_FAILED;
    if (rc != 0) {
        free(h->s.error);
        h->s.error = err ? err : xstrdup(_("the offline merge failed"));
    } else {
        free(err);
        h->s.pct = 100;
    }
    h->s.ended = st_wall_now();
    set_step(h, ST_STEP_DONE);
}

/* The detached child needs nothing of the interface's: its error pipe must not stay open. */
static void quiet_stdio(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; fd >= 0 && i < 3; i++)
        dup2(fd, i);
    if (fd > 2)
        close(fd);
}

int st_offline_helper_main(const char *record)
{
    helper h = {.record = record};
    char *err = NULL;
    if (st_offline_state_read(record, &h.s, &err) != 0) {
        free(err);
        return 1;
    }
    /* Before anything runs or is written: a merge of these images already running refuses
     * this one, with the sentence the interface shows (ST_OFFLINE_REFUSED). */
    st_offline_locks locks;
    if (st_offline_lock(&h.s, &locks, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(err);
        st_offline_state_clear(&h.s);
        return ST_OFFLINE_REFUSED;
    }
    /* Detach: the interface reaps the parent at once; the child, which keeps the locks, leads
     * a session of its own, without a terminal whose hangup could reach it. */
    pid_t p = fork();
    if (p < 0)
        return 1;
    if (p > 0) {
        st_offline_lock_mark(&locks, p, st_wall_now());
        _exit(0);
    }
    setsid();
    quiet_stdio();
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    h.s.pid = getpid();
    h.s.pid_start = st_proc_start(h.s.pid);
    h.s.phase = ST_PHASE_RUNNING;
    run(&h);
    for (size_t i = 0; i < h.n_before; i++)
        st_layer_clear(&h.before[i]);
    free(h.before);
    st_offline_state_clear(&h.s);
    _exit(0);
}
