/*
 * The AppArmor profile libvirt writes for each domain it confines: virt-aa-helper lists every
 * file QEMU may open in /etc/apparmor.d/libvirt/libvirt-<uuid>.files, one rule a line, e.g.
 *
 *     "/var/lib/libvirt/images/top.qcow2" rwk,
 *     deny "/var/lib/libvirt/images/base.qcow2" w,
 *
 * libvirt 9.0 (Debian 12) writes such deny lines for the read-only backing images of a disk; a
 * deny rule wins over any allow rule, so a block job that must write into one of them (the base
 * of a commit) fails in QEMU half-way. This reads a profile and says which rule, at which line,
 * forbids writing a path. Only the rule lines matter: comments, includes and blocks are skipped.
 */
#ifndef ST_APPARMOR_H
#define ST_APPARMOR_H

#include <stdbool.h>
#include <stddef.h>

/* Where libvirt keeps the profiles; VIRT_SNAPTREE_APPARMOR_DIR overrides it (tests). */
#define ST_APPARMOR_DIR "/etc/apparmor.d/libvirt"

typedef struct st_aa_rule {
    char *pattern; /* the path as written, AppArmor globs (*, **, ?, [...], {a,b}) included */
    char *perms;   /* "rwk", "w", … */
    bool deny;
    size_t line; /* 1 for the first line of the file */
} st_aa_rule;

typedef struct st_aa_profile {
    char *file; /* where it was read from */
    st_aa_rule *rules;
    size_t n_rules;
} st_aa_profile;

/* The folder of the profiles: VIRT_SNAPTREE_APPARMOR_DIR, else ST_APPARMOR_DIR. */
const char *st_aa_dir(void);

/* The rules of a profile's text (`file` is kept as the profile's name). */
void st_aa_parse(const char *text, const char *file, st_aa_profile *out);

/*
 * Reads the profile of the domain with this UUID (DIR/libvirt-UUID.files) into *out. Returns 1
 * when read, 0 when there is none (the domain is not confined by AppArmor), -1 when it exists
 * but cannot be read (*err says why, malloc'd).
 */
int st_aa_read_domain(const char *dir, const char *uuid, st_aa_profile *out, char **err);

/* The deny rule that forbids writing `path` (w or a), or NULL. */
const st_aa_rule *st_aa_denies_write(const st_aa_profile *p, const char *path);

/* Whether the profile lets QEMU read `path`: an allow rule with r matches it, no deny rule with r
 * does. */
bool st_aa_allows_read(const st_aa_profile *p, const char *path);

void st_aa_profile_copy(st_aa_profile *dst, const st_aa_profile *src);
void st_aa_profile_clear(st_aa_profile *p);

/*
 * The kernel's AppArmor denials, as the audit log and the kernel log record them:
 *
 *     type=AVC msg=audit(1765155723.120:88): apparmor="DENIED" operation="open"
 *     profile="libvirt-<uuid>" name="/var/lib/libvirt/images/top.qcow2" pid=4242
 *     comm="qemu-system-x86" requested_mask="r" denied_mask="r" fsuid=64055 ouid=64055
 *
 * (one line; the kernel log has "audit: type=1400 audit(…)" after its own prefix). The logs read
 * are VIRT_SNAPTREE_APPARMOR_LOG (tests: one path, or several separated by ':'), else
 * ST_AA_LOGS; only the last ST_AA_LOG_TAIL bytes of each, the recent denials.
 */
#define ST_AA_LOGS     "/var/log/audit/audit.log:/var/log/kern.log"
#define ST_AA_LOG_TAIL (16u << 20)

/* The denials of one file, with how often and when last. */
typedef struct st_aa_denial {
    char *name;    /* the file denied */
    char *profile; /* "libvirt-<uuid>", … */
    char *mask;    /* denied_mask: "r", "w", "rw", … */
    char *log;     /* the log it was read from */
    size_t count;
    long long last; /* seconds since the epoch of the last one; 0: not known */
} st_aa_denial;

typedef struct st_aa_denials {
    st_aa_denial *v;
    size_t n, cap;
} st_aa_denials;

/* The logs to read: VIRT_SNAPTREE_APPARMOR_LOG, else ST_AA_LOGS; and whether they were named. */
const char *st_aa_log_paths(bool *named);
/* Adds the denial a log line records, if it records one (`log`: where the line was read). */
void st_aa_denials_add_line(st_aa_denials *d, const char *line, const char *log);
/* Reads the tail of one log. Returns 0, or -1 with *err (malloc'd) when it cannot be read. */
int st_aa_denials_read(st_aa_denials *d, const char *log, char **err);
/* The denial about `path` (the same mask: the first read), or NULL. */
const st_aa_denial *st_aa_denials_find(const st_aa_denials *d, const char *path);
void st_aa_denials_clear(st_aa_denials *d);

#endif
