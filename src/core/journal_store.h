/*
 * Where the journal lives and how its files are written: $XDG_STATE_HOME/virt-snaptree/journal
 * (default ~/.local/state/virt-snaptree/journal), a folder per host and in it a folder per domain
 * (names percent-encoded), one file per action named by its UTC start time, so that names sort
 * oldest first. Folders 0700 and files 0600: the documents hold domain definitions. Every file is
 * written whole or not at all (a temporary file, fsync, rename, fsync of the folder), so that a
 * crash or a full disk never leaves half an entry.
 */
#ifndef ST_JOURNAL_STORE_H
#define ST_JOURNAL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/json.h"

/* Free space the journal wants before an action: room for a few large definitions. */
#define ST_JOURNAL_MIN_FREE (1024 * 1024)

/* The journal's root folder (malloc'd); NULL when neither XDG_STATE_HOME nor HOME is set. */
char *st_journal_root(void);

/* The folder of one host's domain under root (malloc'd); domain NULL: the host's folder. */
char *st_journal_dir(const char *root, const char *host, const char *domain);

/*
 * Whether an entry can be written under root now: the folders can be made (0700), a file can be
 * created there, and at least ST_JOURNAL_MIN_FREE bytes are free. -1 with *why (malloc'd,
 * translated, naming the folder) when not.
 */
int st_journal_check(const char *root, char **why);

/*
 * A new entry's file name in dir (malloc'd, not created): the start time to the nanosecond and
 * the action, unique in dir.
 */
char *st_journal_new_path(const char *dir, const struct timespec *when, const char *action);

/* Writes text to path atomically, making dir's folders first; -1 with *why (malloc'd). */
int st_journal_write(const char *path, const char *text, char **why);

/* One entry read back. */
typedef struct st_journal_file {
    char *path;
    st_json *doc; /* NULL when the file is no journal document: why says why */
    char *why;
} st_journal_file;

/*
 * The entries under root, newest first: of one host (NULL: all) and one domain (NULL: all).
 * Returns the count; *out is NULL when there are none.
 */
size_t st_journal_load(const char *root, const char *host, const char *domain,
                       st_journal_file **out);
/* Frees the entries and the array. */
void st_journal_files_free(st_journal_file *v, size_t n);

#endif
