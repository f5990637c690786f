/*
 * The save files this tool wrote, so that a restore can offer them: one line each in
 * $XDG_STATE_HOME/virt-snaptree/saves (default ~/.local/state/virt-snaptree/saves), as
 * "saved-epoch TAB restored(0|1) TAB domain TAB path". Lines that do not parse are ignored;
 * paths with a tab or newline are never recorded.
 */
#ifndef ST_SAVELIST_H
#define ST_SAVELIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct st_saved {
    char *path;
    char *domain;
    long long saved;
    bool restored;
} st_saved;

/* The list file's path (malloc'd); NULL when neither XDG_STATE_HOME nor HOME is set. */
char *st_savelist_file(void);
/* The entries, newest first; 0 when there is no list. */
size_t st_savelist_load(st_saved **out);
void st_savelist_free(st_saved *v, size_t n);
/* Records a new save file (replacing an entry for the same path); 0 or -1. */
int st_savelist_add(const char *path, const char *domain, long long when);
/* Marks a file as restored once; 0 or -1 (not listed is not an error). */
int st_savelist_mark_restored(const char *path);

#endif
