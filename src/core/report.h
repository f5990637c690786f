/* The non-interactive outputs: `--list` (a text tree) and `--json`. */
#ifndef ST_REPORT_H
#define ST_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/model.h"

/*
 * utf8: the output's charset is UTF-8, so non-ASCII text is kept (otherwise it becomes '?');
 * boxes: the tree is drawn with box-drawing characters (otherwise ASCII, as --ascii asks).
 */
void st_report_text(FILE *out, st_host *const *hosts, size_t n, bool utf8, bool boxes);
void st_report_json(FILE *out, st_host *const *hosts, size_t n);
/* The same with each host's label and group from the configuration file (either may be NULL, as
 * may an entry: null in the JSON), so that hosts whose URIs read alike are told apart. */
void st_report_json_named(FILE *out, st_host *const *hosts, size_t n, char *const *labels,
                          char *const *groups);

/*
 * Drops every domain whose name is not among names (after st_model_mark_shared, so that a layer
 * a dropped domain shares still says so). found[j] tells whether names[j] was on some host.
 */
void st_report_keep_domains(st_host *const *hosts, size_t n, char *const *names, size_t n_names,
                            bool *found);

/* Index order of a domain's snapshots for drawing a forest: depth of each, children after parents.
 */
size_t *st_snapshot_order(const st_domain *d, int **depth);

#endif
