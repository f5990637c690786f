/*
 * Shared by the planner's files (mergeplan.c: plans and chains; mergeplan_checks.c: the hazards;
 * mergeplan_calls.c: the calls and commands shown). Not part of the library's interface.
 */
#ifndef ST_PLAN_INTERNAL_H
#define ST_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"
#include "core/mergeplan.h"

#define NONE SIZE_MAX

/* A growable array of owned strings. */
typedef struct pl_strv {
    char **v;
    size_t n, cap;
} pl_strv;

typedef struct plan_ctx {
    st_plan *p;
    st_host *const *hosts;
    size_t n_hosts, hi;
    const st_host *h;
    const st_domain *d;
    const st_disk *k;
    const char *dom, *target;
    const st_facts *facts;
    st_merge_opts o;
    bool pull;
    size_t top, base;     /* as asked: commit top/base; pull: base (NONE: whole chain) */
    size_t first, end;    /* layers whose data is copied and which leave the chain */
    size_t receiver;      /* the layer the data is written into */
    size_t rewritten;     /* the layer whose backing pointer changes; NONE */
    size_t newbacking;    /* what the rewritten layer then points at; NONE: nothing */
    bool online;          /* a libvirt block job (running, paused or started paused) */
    bool start_paused;    /* remote shut-off domain started paused for the job */
    bool libvirt_deletes; /* VIR_DOMAIN_BLOCK_COMMIT_DELETE removes the merged files */
    bool files_local;     /* every leaving layer is a plain file (not network, not block) */
    bool size_unknown;    /* some copied layer's allocation is not known */
    bool relative;        /* the new backing name is written relative */
    bool names_unknown;   /* some backing name involved is not known */
    char *rel_name;       /* the relative backing name libvirt would write */
    char *new_name;       /* the name the rewritten layer gets as its backing file; NULL: none */
    size_t hcap;
    size_t n_fixed; /* refusals that no option lifts */
    unsigned lifts; /* the options that lift the others */
    pl_strv calls;
} plan_ctx;

void pl_sv_push(pl_strv *s, char *str);
void pl_sv_free(pl_strv *s);
char *pl_sv_join(const pl_strv *s, const char *sep);
char **pl_sv_steal(pl_strv *s, size_t *n);

void pl_haz(plan_ctx *c, st_hazard_level lv, char *text);
void pl_hazf(plan_ctx *c, st_hazard_level lv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pl_sort_hazards(st_plan *p);
/* The refusals added since hazard `from` go away when one of `opts` (ST_OPT_*) changes. */
void pl_lifted_by(plan_ctx *c, size_t from, unsigned opts);

const char *pl_lname(const st_layer *l);
const char *pl_lpath(const st_layer *l);
/* How libvirt's block job calls name layer i: its file name, or "vda[N]" for a network layer. */
char *pl_libvirt_layer(const plan_ctx *c, size_t i);
const st_layer *pl_L(const plan_ctx *c, size_t i);
bool pl_in_range(const plan_ctx *c, size_t i);
/* Shell quoting (single quotes) and C-string quoting for the commands shown. */
void pl_sb_shq(strbuf *b, const char *s);
void pl_sb_cq(strbuf *b, const char *s);
const st_domain *pl_find_sharer(const plan_ctx *c, const char *label, const st_host **where);
char *pl_join_shared(const st_layer *l);
bool pl_name_is_relative(const char *n);
const char *pl_new_backing_name(const plan_ctx *c);
char *pl_libvirt_flags(const plan_ctx *c);

/* mergeplan_checks.c: the host and the domain's state, then every other hazard, in this order. */
void pl_check_early(plan_ctx *c);
void pl_check_rest(plan_ctx *c);
/* mergeplan_security.c: what the host's AppArmor profile or SELinux labels mean for a block job. */
void pl_check_security(plan_ctx *c);

/* mergeplan_space.c: what the merge frees and adds (after the chains are made, before the
 * checks, which check the peak against the room where the data lands). */
void pl_space_figures(plan_ctx *c);

/* mergeplan_calls.c: the exact calls (online) or commands (offline) into c->calls. */
void pl_calls_online(plan_ctx *c);
void pl_calls_offline(plan_ctx *c);

#endif
