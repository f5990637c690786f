/* Shared by the two sides of an offline merge: the worker that starts and follows it, the helper.
 */
#ifndef ST_OFFLINE_INTERNAL_H
#define ST_OFFLINE_INTERNAL_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "backend/offline_state.h"

/*
 * Points the disk of a shut-off domain at the base after its active layer was committed. Done
 * once, by whichever side has a connection (an embedded driver admits one process at a time):
 * a disk already on the base is left alone; one on anything but the old top is an error.
 */
int st_offline_redefine(virConnectPtr conn, const st_offline_state *s, char **err);

/*
 * The jobs table's view of a record at wall clock `wall` (strings borrowed from s, but for the
 * error when *own is set: a helper that stopped without saying so has failed).
 */
void st_offline_view(const st_offline_state *s, double wall, st_job *j, char **own);

/* The marker the interface leaves once it redefined the domain for a waiting helper. */
char *st_offline_marker(const char *record);

/* Our locks on the images of one offline merge (offline_lock.c): open lock files. */
typedef struct st_offline_locks {
    int *fds;
    size_t n;
} st_offline_locks;

/*
 * Locks the images the merge of `s` writes (exclusively) and reads (shared), without waiting.
 * -1 when one is held by another process, with *err naming the image and, as far as its lock
 * file says, who holds it: "<image> is being merged by another virt-snaptree (pid N, started
 * HH:MM)". The locks are held until the descriptors close: a fork shares them.
 */
int st_offline_lock(const st_offline_state *s, st_offline_locks *out, char **err);
/* Writes who holds the locks now (the helper's pid, when the merge began) for a refusal. */
void st_offline_lock_mark(const st_offline_locks *l, long pid, double started);
void st_offline_unlock(st_offline_locks *l);

#endif
