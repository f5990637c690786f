/*
 * The planner: pure functions that say, before anything runs, what a merge will do, what it
 * costs and what it endangers. No I/O: facts that need the host (free space, a job running right
 * now) are gathered by the worker first (ST_REQ_FACTS) and passed in.
 */
#ifndef ST_PLAN_H
#define ST_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/request.h"

typedef enum {
    ST_HAZ_INFO,   /* worth knowing (what an active commit's READY means) */
    ST_HAZ_WARN,   /* will happen and is not undone (snapshot metadata left dangling) */
    ST_HAZ_REFUSE, /* the plan cannot run: the reason is the text */
} st_hazard_level;

/* A hazard's level as the plans show it ("REFUSED", "Warning", "Note"), translated. */
const char *st_hazard_label(st_hazard_level l);

typedef struct st_hazard {
    st_hazard_level level;
    char *text; /* translated, one paragraph */
} st_hazard;

/* The plan screen's options as bits: which of them a refusal goes away with. */
enum {
    ST_OPT_RELATIVE = 1 << 0,
    ST_OPT_DELETE = 1 << 1,
    ST_OPT_BANDWIDTH = 1 << 2,
    ST_OPT_START_PAUSED = 1 << 3,
    ST_OPT_JOURNAL = 1 << 4, /* go on without a journal (the interface's; no planner sets it) */
};

/* Options the admin sets on the plan screen; the plan is remade when they change. */
typedef struct st_merge_opts {
    bool relative;           /* keep backing names relative (RELATIVE) where the names involved
                              * are: the plan's relative_possible decides whether it applies */
    bool delete_files;       /* delete the files that leave the chain afterwards */
    bool start_paused;       /* remote shut-off domain: start it paused for the job */
    unsigned long bandwidth; /* MiB/s, 0 = unlimited */
} st_merge_opts;

typedef struct st_plan {
    st_req_kind kind;       /* ST_REQ_COMMIT or ST_REQ_PULL */
    char *title;            /* "Commit test2_net-tools.qcow2 into test2_test.qcow2 (test2/vda)" */
    char **before, **after; /* the chain, active layer first: one line per layer */
    size_t n_before, n_after;
    char **leaving; /* paths that leave the chain */
    size_t n_leaving;
    uint64_t bytes; /* upper bound of the data copied */
    uint64_t span;  /* a block job's progress counts this: the virtual size of the image it
                     * walks (the top of a commit, the active layer of a pull); 0: unknown, or
                     * an active commit, whose progress counts the data it copies */
    char *flags;    /* "RELATIVE | ACTIVE" or "none" */
    char **calls;   /* the exact libvirt calls or commands that will run, in order */
    size_t n_calls;
    st_hazard *hazards;
    size_t n_hazards;
    bool refused;           /* any ST_HAZ_REFUSE */
    unsigned lifting;       /* refused: the options (ST_OPT_*) whose change lifts the refusals,
                             * each one's; 0 when some refusal depends on no option (then no
                             * option can help) */
    bool active;            /* an active commit: READY, then pivot or keep */
    bool offline;           /* qemu-img on this machine (domain shut off, local host) */
    bool new_backing;       /* a layer gets a new backing name (else RELATIVE cannot matter:
                             * a pull of the whole chain leaves none) */
    bool relative_possible; /* the backing names involved are relative */
    bool delete_possible;
    /* What the merge does to the space its images take (mergeplan_space.c). */
    bool grows_known; /* the receiver's growth was measured from the images' maps */
    uint64_t grows;   /* what the receiver grows by */
    bool frees_known; /* the size of every file that leaves the chain is known */
    uint64_t frees;   /* what the files that leave the chain occupy (those no other domain
                       * reads), freed once they are deleted */
    uint64_t peak;    /* the most the merge adds where its data lands, before any file leaves:
                       * the growth, or (not measured) the data copied at most */
    char **space;     /* the figures in words, one line each */
    size_t n_space;
    st_request req; /* what is submitted once the admin types yes */
} st_plan;

/*
 * Plans a commit of `top` (chain index, 0 = active layer) down into `base` (> top) on the disk
 * `target` of domain `dom` on hosts[host]. Every host is given so that sharing is checked across
 * all connected hosts (their layers' shared_with must have been filled by st_model_mark_shared).
 * facts may be NULL (free space then unknown: a warning, not a refusal).
 */
st_plan *st_plan_commit(st_host *const *hosts, size_t n_hosts, size_t host, const char *dom,
                        const char *target, size_t top, size_t base, const st_facts *facts,
                        const st_merge_opts *opts);

/*
 * Plans a pull into the active layer of everything above `base` (chain index > 0), or of the
 * whole chain when base is SIZE_MAX (the active layer becomes standalone).
 */
st_plan *st_plan_pull(st_host *const *hosts, size_t n_hosts, size_t host, const char *dom,
                      const char *target, size_t base, const st_facts *facts,
                      const st_merge_opts *opts);

/*
 * Defaults for the plan screen's options: RELATIVE wished for, so that it applies exactly when
 * the backing names the merge involves are relative (the plan's relative_possible); no delete,
 * no limit.
 */
void st_merge_opts_default(st_merge_opts *o);

/*
 * The layers whose maps a plan's figures need, into a FACTS request: the copied layers (upper
 * first), then the receiver, with their formats (req->layers, layer_fmts, n_layers), and
 * ST_F_PULL_FACTS for a pull. Nothing when the layers are not found.
 */
void st_plan_map_layers(const st_host *h, const char *dom, const char *target, st_req_kind k,
                        size_t top, size_t base, st_request *req);

/* The paths whose free space a plan needs (the folder where data lands). */
char **st_plan_space_paths(const st_host *h, const char *dom, const char *target, st_req_kind k,
                           size_t top, size_t base, size_t *n);

void st_plan_free(st_plan *p);

#endif
