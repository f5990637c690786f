/* Command-line and configuration options. */
#ifndef ST_OPTIONS_H
#define ST_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { ST_MODE_TUI, ST_MODE_LIST, ST_MODE_JSON } st_mode;

typedef struct st_options {
    char **uris;   /* -c, repeatable; else none when LIBVIRT_DEFAULT_URI is set (libvirt reads it);
                    * else the config file's hosts; else none (libvirt's default) */
    char **labels; /* each host's short name from the config file, NULL: none */
    char **groups; /* each host's group from the config file, NULL: none */
    size_t n_uris;
    char *group; /* --group: the group of hosts shown (NULL: every host) */
    bool readonly;
    bool ascii;
    bool no_color;
    int interval_ms;
    int timeout_ms; /* --list/--json: how long to wait for a host */
    st_mode mode;
    bool demo;
    bool demo_stop;       /* --demo-stop: destroy the demo's running domains and exit */
    bool running_only;    /* --running: --list/--json of running (and paused) domains only */
    bool utf8;            /* the terminal's locale is UTF-8 */
    char *config;         /* --config: the configuration file named (NULL: the default one) */
    char *config_warning; /* what in the config file was not understood (NULL: nothing) */
    bool journal;         /* --journal: print the journal (with --json: as JSON lines) */
    char **domains;       /* --list/--json/--journal: only the domains of these names (none: all) */
    size_t n_domains;
    bool doctor;      /* --doctor: check every chain, report (text, or JSON with --json), exit */
    bool orphans;     /* --orphans: find the image files nothing references, report, exit */
    bool fix;         /* --doctor/--orphans --fix: offer the fixes (removals) as a plan */
    size_t max_depth; /* --max-depth, else the config's max-chain-depth; 0: the default */
} st_options;

struct option;
/* The long options, ending with a zeroed entry: what the parser and shell completion know. */
const struct option *st_options_longopts(void);

/* Parses argv; prints help/version/errors itself. Returns -1 to exit with *status. */
int st_options_parse(st_options *o, int argc, char **argv, int *status);
/*
 * Reads the --config file, else $XDG_CONFIG_HOME/virt-snaptree/config ("connect = URI" lines)
 * when no -c was given and LIBVIRT_DEFAULT_URI is unset or empty: virsh's order, -c >
 * LIBVIRT_DEFAULT_URI > config (a file named with --config wins over the environment). A line
 * it does not understand is not skipped in silence: config_warning names the first. A file that
 * cannot be used (not a regular file, too large, unreadable, or missing when named) is said on
 * stderr in one line: returns -1 to exit with *status.
 */
int st_options_read_config(st_options *o, int *status);
/*
 * --group: a group no host is in is said on stderr (returns -1 to exit with *status); --list and
 * --json keep only that group's hosts, the interface keeps every host and shows that group first.
 */
int st_options_apply_group(st_options *o, int *status);
/* Adds the config file's hosts to o->uris whatever -c and LIBVIRT_DEFAULT_URI say, quietly
 * (shell completion: a file that cannot be used offers nothing). */
void st_options_read_config_file(st_options *o);
void st_options_free(st_options *o);

#endif
