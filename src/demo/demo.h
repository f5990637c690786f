/*
 * The built-in demo: an embedded libvirt QEMU driver under $XDG_CACHE_HOME/virt-snaptree/demo
 * with a few tiny running and shut-off domains and chains like those of the article the project
 * comes from. Built on first use, reused (and its domains restarted) afterwards.
 */
#ifndef ST_DEMO_H
#define ST_DEMO_H

#include <stdio.h>

/*
 * Builds or reuses the demo; returns 0 and the embed URI in *uri (malloc'd), or -1 after telling
 * `log`. Keeps one connection to the embedded driver open for the life of the process (another
 * connection to the same URI in this process works; another process is refused while this one
 * lives). Unless the user set LIBVIRT_LOG_OUTPUTS, libvirt's own log goes to demo.log in the
 * demo's folder from then on. Idempotent.
 */
int st_demo_prepare(char **uri, FILE *log);

/*
 * Destroys the demo's running domains (their QEMU processes outlive the program that showed
 * them), saying which on `log`; the lab itself stays. Returns 0, or -1 after telling `log`.
 */
int st_demo_stop(FILE *log);

/* The demo's folder (malloc'd), or NULL when neither XDG_CACHE_HOME nor a home folder is known. */
char *st_demo_dir(void);

#endif
