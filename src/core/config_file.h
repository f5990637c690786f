/*
 * The configuration file: the hosts to open, one "connect = URI [label=NAME] [group=NAME]" line
 * each, and "max-chain-depth = N" (the chain doctor's limit); '#' starts a comment line. Lines
 * may be of any length (the file is read whole, up to ST_CONFIG_MAX). A URI holds no blank
 * (RFC 3986), so the words after it are the host's own.
 */
#ifndef ST_CONFIG_FILE_H
#define ST_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* A configuration file larger than this is not one: it is refused rather than read. */
#define ST_CONFIG_MAX (1024 * 1024)

typedef struct st_config {
    char **uris;   /* in the file's order */
    char **labels; /* each host's short name, NULL: none (named by its URI) */
    char **groups; /* each host's group, NULL: none */
    size_t n_uris;
    size_t max_depth; /* max-chain-depth; 0: not given */
    char *warning;    /* the first line not understood, with its number; NULL: none */
} st_config;

/*
 * Parses the text of the file at `path` (named in the warning), `len` bytes that may hold NUL
 * bytes: a line with one is not understood. The part of a line not understood that the warning
 * quotes is cut to a few dozen columns.
 */
void st_config_parse(st_config *c, const char *path, const char *text, size_t len);

/*
 * Reads and parses the file. A missing file is no error unless `named` (the admin named it
 * rather than it being the default): 0 with nothing in *c. Anything but a regular file (a FIFO,
 * a device, a folder, a symlink loop), a file larger than ST_CONFIG_MAX, and one that cannot be
 * read are errors: -1 and *err one translated line saying why.
 */
int st_config_load(st_config *c, const char *path, bool named, char **err);

void st_config_clear(st_config *c);

#endif
