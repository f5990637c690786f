/*
 * The chain doctor: what is unhealthy about a host's chains, as findings. Each check here is a
 * pure function of facts already gathered (an image's header bits, its mode, qemu-img check's
 * report, the two definitions of a disk, a snapshot's files); the gathering is
 * backend/doctor.c's. A finding may carry a safe fix, which a plan offers before anything runs.
 */
#ifndef ST_DOCTOR_H
#define ST_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/apparmor.h"

/* Severity, in the order of --doctor's exit status: 0 healthy, 1 warnings, 2 errors. A note
 * (something that could not be checked) changes no status. */
typedef enum { ST_DOC_NOTE = -1, ST_DOC_WARN = 1, ST_DOC_ERROR = 2 } st_doc_level;

typedef enum {
    ST_FIX_NONE = 0,
    ST_FIX_REBASE_FORMAT, /* qemu-img rebase -u -b NAME -F FORMAT IMAGE: the name stays */
    ST_FIX_CHMOD,         /* chmod 0600 IMAGE */
    ST_FIX_SNAP_METADATA, /* delete the snapshot's metadata only: its files are gone */
    ST_FIX_COMPACT,       /* one commit plan that brings an over-deep chain to the limit */
} st_fix_kind;

/* Where a finding is: any part may be NULL (a host-wide note names only the host). */
typedef struct st_doc_where {
    const char *host, *domain, *disk, *path, *snapshot;
} st_doc_where;

typedef struct st_finding {
    st_doc_level level;
    const char *check; /* a stable name for scripts: "qemu-img-check", "dirty", … (untranslated) */
    char *host, *domain, *disk, *path, *snapshot;
    char *text; /* one translated line */
    st_fix_kind fix;
    char *fix_name, *fix_format; /* ST_FIX_REBASE_FORMAT: the backing name kept, its format */
    char *fix_top, *fix_base;    /* ST_FIX_COMPACT: the commit's top and base (paths) */
} st_finding;

typedef struct st_findings {
    st_finding *v;
    size_t n, cap;
} st_findings;

/* The default deepest chain that is not reported; the admin's is `max-chain-depth` in the
 * configuration file or --max-depth. */
#define ST_DOCTOR_DEPTH_DEFAULT 16

/* Appends a finding with a copy of every string; returns it, for a fix to be set. */
st_finding *st_findings_add(st_findings *f, st_doc_level level, const char *check,
                            const st_doc_where *w, const char *text);
void st_finding_clear(st_finding *x);
/* Appends copies of src's findings to dst. */
void st_findings_copy(st_findings *dst, const st_findings *src);
void st_findings_clear(st_findings *f);
/* The exit status the findings make: 0, 1 (a warning) or 2 (an error). */
int st_findings_status(const st_findings *f);
size_t st_findings_count(const st_findings *f, st_doc_level level);
/*
 * Whether a finding is about an image (path given: whichever domain it was found through), else
 * about exactly this domain and disk (disk NULL: the domain itself, such as its snapshots).
 */
bool st_finding_about(const st_finding *x, const char *domain, const char *disk, const char *path);
/*
 * The finding a tree row shows: the worst warning or error about it (st_finding_about), other
 * than an image's mode. Hosts whose images were never made private have every image readable by
 * others; a mark on each of their rows would hide the marks that differ, so modes are said in the
 * details and by --doctor. NULL: none.
 */
const st_finding *st_findings_row_mark(const st_findings *f, const char *domain, const char *disk,
                                       const char *path);

/* qcow2 v3 incompatible feature bits: the image was not closed cleanly / is marked corrupt. A
 * dirty bit on an image a running QEMU has open is how lazy refcounts work: not a finding. */
void st_doctor_check_bits(st_findings *f, const st_doc_where *w, uint64_t incompatible,
                          bool in_use);
/*
 * qemu-img check's result: its exit status (0 clean, 2 corruptions, 3 leaked clusters only,
 * 1 could not check, 63 the format has no check; -1 it did not run, `json` saying why) and its
 * --output=json report. An image in use was read with -U, and what it says may be in motion.
 */
void st_doctor_check_qemu_img(st_findings *f, const st_doc_where *w, int status, const char *json,
                              bool in_use);
/* A backing file named without its format: qemu probes it, and a raw backing file that a guest
 * wrote could pass for another format. The fix names `below_format`, when it is known, and is
 * not offered on an image a running QEMU holds (qemu-img must not write there). */
void st_doctor_check_backing_format(st_findings *f, const st_doc_where *w, const char *backing_name,
                                    const char *backing_fmt, const char *below_format, bool in_use);

/* How a relative backing name resolves: against the overlay's folder (what QEMU does) and
 * against the current folder (what a tool run here with the bare name would open). */
typedef struct st_relative_facts {
    const char *backing_name;
    const char *from_image, *from_cwd; /* the two resolutions */
    bool image_exists, cwd_exists;
    bool same_file; /* both exist and are one file */
} st_relative_facts;
void st_doctor_check_relative(st_findings *f, const st_doc_where *w, const st_relative_facts *r);

/* A chain of n layers past the limit. */
void st_doctor_check_depth(st_findings *f, const st_doc_where *w, size_t n, size_t limit);
/*
 * The deepest chain a libvirt version is known to handle (layers): libvirt before 12.0 fails with
 * chains past about 25 external snapshots (12.0 fixed it). 0: no known limit (12.0 and later, or
 * the version is not known: `libvirt_ver` 0).
 */
#define ST_LIBVIRT_OLD_DEPTH 25
size_t st_doctor_libvirt_depth(unsigned long libvirt_ver);
/* A chain of n layers at that depth on a host whose libvirt is `version` ("9.0.0"). */
void st_doctor_check_libvirt_depth(st_findings *f, const st_doc_where *w, size_t n,
                                   unsigned long libvirt_ver, const char *version);

/* A running domain's image that its AppArmor profile (libvirt-UUID.files) does not let QEMU
 * read: QEMU is denied it when it opens it again (a block job, a snapshot, a revert). */
void st_doctor_check_aa_profile(st_findings *f, const st_doc_where *w, const st_aa_profile *p);
/* AppArmor denials of the image recorded in the kernel's log (NULL: none). */
void st_doctor_check_aa_denied(st_findings *f, const st_doc_where *w, const st_aa_denial *d);

/* An image others may read (guest data) or write: offers chmod 0600. */
void st_doctor_check_mode(st_findings *f, const st_doc_where *w, mode_t mode);
/* A running domain's disk whose inactive definition names another image: the next start (or a
 * restart after shutdown) would use that one. `inactive_exists`: it is there at all. */
void st_doctor_check_inactive(st_findings *f, const st_doc_where *w, const char *live,
                              const char *inactive, bool inactive_exists);

/*
 * A snapshot's files that no chain (and no detached branch) holds: `gone` says which no longer
 * exist (NULL: not known, a remote host). When every file is gone the snapshot cannot be reverted
 * to, and deleting its metadata only is offered.
 */
void st_doctor_check_snapshot_files(st_findings *f, const st_doc_where *w, const char *const *files,
                                    const bool *gone, size_t n);

/* The plan's line for a fix (translated; malloc'd). */
char *st_fix_describe(const st_finding *x);

/* --doctor's outputs: one line a finding and a count; JSON for scripts. */
void st_doctor_report_text(FILE *out, const st_findings *f, size_t n_chains, bool utf8);
void st_doctor_report_json(FILE *out, const st_findings *f, size_t n_chains);

#endif
