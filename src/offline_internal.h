/* Shared by the two sides of an offline merge: the worker that starts and follows it, the helper.
 */
#ifndef ST_OFFLINE_INTERNAL_H
#define ST_OFFLINE_INTERNAL_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "offline_state.h"

/*
 * Points the disk of a shut-off domain at the base after its active layer was committed. Done
 * once, by whichever side has a connection (an embedded driver admits one process at a time):
 * a disk already on the base is left alone; one on anything but the old top is an error.
 */
int st_offline_redefine(virConnectPtr conn, const st_offline_state *s, char **err);

/* The marker the interface leaves once it redefined the domain for a waiting helper. */
char *st_offline_marker(const char *record);

#endif
