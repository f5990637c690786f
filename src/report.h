/* The non-interactive outputs: `--list` (a text tree) and `--json`. */
#ifndef ST_REPORT_H
#define ST_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

/* utf8: draw the tree with box characters and keep non-ASCII text; otherwise plain ASCII. */
void st_report_text(FILE *out, st_host *const *hosts, size_t n, bool utf8);
void st_report_json(FILE *out, st_host *const *hosts, size_t n);

/* Index order of a domain's snapshots for drawing a forest: depth of each, children after parents.
 */
size_t *st_snapshot_order(const st_domain *d, int **depth);

#endif
