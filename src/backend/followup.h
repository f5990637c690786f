/*
 * Records of what this interface still has to do once a job ends (remove the files a pull
 * merged; pivot and shut off a domain it started paused for the job). They live in the runtime
 * folder next to the offline merges' records, so that when the interface ends first, the next
 * one finds them (st_followup in the model) and offers to finish.
 */
#ifndef ST_FOLLOWUP_H
#define ST_FOLLOWUP_H

#include <stddef.h>

#include "core/model.h"

/* Writes a record; returns its path (malloc'd), NULL (and *err) when it cannot. */
char *st_followup_save(const char *host_key, st_fu_kind kind, const char *domain, const char *disk,
                       char *const *files, size_t n_files, char **err);
/* The records of the host, but those in skip (the ones this process handles itself). */
size_t st_followup_list(const char *host_key, char *const *skip, size_t n_skip, st_followup **out);
void st_followup_drop(const char *record);

#endif
