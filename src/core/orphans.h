/*
 * The orphan finder: what each image-like file found in a host's folders is to the host. The
 * references (chains, snapshots, branches, save files) and the files are gathered by
 * backend/orphans.c; which class a file falls in, and whether removing it may be offered, is
 * decided here from those facts alone.
 */
#ifndef ST_ORPHANS_H
#define ST_ORPHANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    ST_ORPH_IN_USE = 0, /* the active layer of a disk */
    ST_ORPH_BACKING,    /* a lower layer of a chain: only a backing file */
    ST_ORPH_REFERENCED, /* named by a snapshot, a detached branch or a save record */
    ST_ORPH_ORPHAN,     /* an image nothing references, and no orphan has below it */
    ST_ORPH_BELOW,      /* an image only orphans have below them: part of an orphan's chain */
    ST_ORPH_SAVE,       /* a memory or save file that nothing names */
    ST_ORPH_LEFTOVER,   /* not a whole image (cut short, unreadable header): an interrupted
                         * operation's leftover */
} st_orph_class;

typedef enum { ST_FILE_IMAGE = 0, ST_FILE_SAVE, ST_FILE_DAMAGED } st_file_kind;

/* A file found by the scan, with what the gathering read of it. */
typedef struct st_found {
    char *path;
    st_file_kind kind;
    uint64_t bytes;  /* what it occupies (st_blocks * 512) */
    long long mtime; /* seconds since the epoch */
    char *backing;   /* its backing file, resolved to an absolute path; NULL: none */
    char *why;       /* ST_FILE_DAMAGED: what is wrong */
    char **by;       /* what references it ("test2 vda", "snapshot s1 of test2", …) */
    size_t n_by;
    bool top;   /* among the references: the active layer of a disk */
    bool layer; /* among the references: a layer of a chain */
    bool open;  /* a running QEMU has it open (its /proc fds) */
    /* NULL: a file of this machine. Else the host whose storage pool lists it (its images are
     * not here): its age is not known, and it is never removed from here. */
    char *host;
    /* Set by st_orphans_classify: */
    st_orph_class cls;
    char *above; /* ST_ORPH_BELOW: the orphan whose chain it is in */
    bool removable;
} st_found;

typedef struct st_orphans {
    st_found *v;
    size_t n, cap;
    char **unscanned; /* what could not be scanned, and why (one line each) */
    size_t n_unscanned;
    size_t n_folders;
} st_orphans;

/* Appends a file (a copy of path); returns it for the gathering to fill. */
st_found *st_orphans_add(st_orphans *o, const char *path, st_file_kind kind);
void st_found_ref(st_found *f, const char *by);
void st_orphans_note(st_orphans *o, const char *line);
void st_orphans_clear(st_orphans *o);

/*
 * Classifies every file: referenced ones by how, the others by kind, an unreferenced image whose
 * only images above it (naming it as their backing file) are unreferenced too being part of their
 * chain. Removal is offered for no referenced file and no file a running QEMU has open, and for an
 * image below an orphan only together with what is above it. Sorts the files by path.
 */
void st_orphans_classify(st_orphans *o);
/* Count and bytes of the removable files. */
size_t st_orphans_removable(const st_orphans *o, uint64_t *bytes);

/* The class in words (translated). */
const char *st_orph_class_label(st_orph_class c);
/* One file in a line, unsanitized: "orphan: PATH  SIZE, N days old, WHAT REFERENCES IT". */
char *st_found_line(const st_found *f, long long now);

void st_orphans_report_text(FILE *out, const st_orphans *o, long long now, bool utf8);
void st_orphans_report_json(FILE *out, const st_orphans *o, long long now);

#endif
