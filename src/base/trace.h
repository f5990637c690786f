/*
 * Timestamps for the benchmarks (tests/bench): with VIRT_SNAPTREE_TRACE=FILE in the environment,
 * the program appends one line per event to FILE: "MONO_NS REAL_NS EVENT details", where MONO_NS
 * is CLOCK_MONOTONIC (comparable with the clock of the process that started us) and REAL_NS is
 * CLOCK_REALTIME (comparable with libvirtd's log). Without the variable every call is one
 * predictable branch. Not documented for admins: it is a measuring tool, not a feature.
 */
#ifndef ST_TRACE_H
#define ST_TRACE_H

#include <stdbool.h>

/* Whether tracing is on (reads the environment once; thread-safe). */
bool st_trace_on(void);
/* Appends one event line; a single write(2), so lines from several threads never interleave. */
void st_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
