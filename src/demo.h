/*
 * The built-in demo: an embedded libvirt QEMU driver under $XDG_CACHE_HOME/virt-snaptree/demo
 * with a few tiny running and shut-off domains and chains like those of the article the project
 * comes from. Built on first use, reused (and its domains restarted) afterwards.
 */
#ifndef ST_DEMO_H
#define ST_DEMO_H

#include <stdio.h>

/* Builds or reuses the demo; returns 0 and the embed URI in *uri, or -1 after telling `log`. */
int st_demo_prepare(char **uri, FILE *log);

/* The demo's folder (malloc'd). */
char *st_demo_dir(void);

#endif
