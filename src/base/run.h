/* Running another program with a deadline and bounded output, never reading the terminal. */
#ifndef ST_RUN_H
#define ST_RUN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct st_run_result {
    int status;     /* its exit status; -1 when it did not end by itself, or was killed */
    bool timed_out; /* ended at the deadline */
    bool too_much;  /* ended when it wrote more than max_out bytes to stdout */
    char *out;      /* its stdout (NUL-terminated; out_len bytes, which may hold NULs) */
    size_t out_len;
    char *err; /* the start of its stderr, NUL-terminated (a few KiB at most) */
} st_run_result;

/*
 * Runs argv[0] (searched in PATH) in a session of its own, so that it has no controlling terminal
 * to ask a password on, with `input` on its stdin, the default signal mask and stdout and stderr
 * collected. A program that runs past timeout_s seconds or writes more than max_out bytes is
 * killed (its whole process group). Returns 0 when it ran (r->status says how it ended), -1
 * when it could not be started (r->err says why). st_run_result_clear frees r.
 */
int st_run_bounded(char *const argv[], const char *input, size_t in_len, double timeout_s,
                   size_t max_out, st_run_result *r);
void st_run_result_clear(st_run_result *r);
/* Frees a NULL-terminated argument vector (NULL too). */
void st_argv_free(char **argv);

#endif
