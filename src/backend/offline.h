/*
 * Merges for shut-off domains on this machine, where libvirt has no block jobs: qemu-img commit
 * and rebase, run without a shell, their "-p" progress parsed as they go.
 */
#ifndef ST_OFFLINE_H
#define ST_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Finds the last complete progress figure "(12.34/100%)" in qemu-img's -p output; returns true and
 * sets *pct when there is one.
 */
bool st_qemu_img_progress(const char *buf, size_t len, double *pct);

/*
 * qemu-img's progress as it arrives in pieces of output: a figure cut between two reads is
 * completed by the next one. Returns true and sets *pct when a complete figure arrived.
 */
typedef struct st_qemu_img_parser {
    char tail[32];
    size_t n;
} st_qemu_img_parser;
bool st_qemu_img_feed(st_qemu_img_parser *p, const char *buf, size_t len, double *pct);

/*
 * How far an offline job is, in bytes of `unit` (what 100% stands for): qemu-img's percent is of
 * the work it does (commit: the data it copies; rebase: the virtual disk it walks). With a rate
 * limit qemu-img's figure runs ahead of the data written: the limit over the time `elapsed` since
 * the start bounds it. (Rate and ETA come from these figures over time, as for every job: rate.h.)
 */
uint64_t st_offline_progress(double pct, uint64_t unit, unsigned long bw_mib, double elapsed,
                             bool done);

typedef void (*st_progress_fn)(void *ctx, double pct);

/*
 * Runs qemu-img with argv (argv[0] is ignored and replaced by the configured qemu-img), calling
 * progress as it reports. Returns 0, or -1 with *err set to what qemu-img said (malloc'd): also
 * when it exits 0 but wrote to its error output (st_qemu_img_outcome).
 */
int st_qemu_img_run(char *const argv[], st_progress_fn progress, void *ctx, char **err);

/*
 * The same, for a caller that judges the result itself: 0 once qemu-img ran, with its wait
 * status and the end of its error output (*said, malloc'd); -1 with *err when it could not run.
 */
int st_qemu_img_exec(char *const argv[], st_progress_fn progress, void *ctx, int *wstatus,
                     char **said, char **err);

/* The same with no progress, keeping what it printed on its standard output in *heard (its end:
 * the last few KiB, malloc'd): for reports such as check --output=json. */
int st_qemu_img_capture(char *const argv[], int *wstatus, char **heard, char **said, char **err);

/*
 * What a finished run means. qemu-img reports errors it got past and warnings on its error
 * output and may still exit 0: a run that said anything there did not cleanly do what it was
 * asked, so it is a failure, with the last line said. Returns 0, or -1 with *err (malloc'd).
 */
int st_qemu_img_outcome(int wstatus, const char *said, char **err);

/* The last line of qemu-img's output (malloc'd; "" when there is none). */
char *st_qemu_img_last_line(const char *said);

/*
 * The hidden mode `virt-snaptree --offline-job RECORD`: detaches and runs the offline merge the
 * record describes (offline_state.h) to its end, whatever becomes of the interface. Returns
 * ST_OFFLINE_REFUSED, having written why on stderr, when another merge holds its images: the
 * record is then left as it was.
 */
#define ST_OFFLINE_REFUSED 3
int st_offline_helper_main(const char *record);

#endif
