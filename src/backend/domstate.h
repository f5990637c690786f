/*
 * Why a domain is in its state, in words. libvirt gives the reason as a number whose meaning
 * depends on the state; the words are filled from libvirt's own enums, so this lives in the
 * backend although it makes no call.
 */
#ifndef ST_DOMSTATE_H
#define ST_DOMSTATE_H

#include "core/model.h"

/*
 * Why a domain is in state s, from libvirt's reason number for that state ("booted",
 * "destroyed", "from snapshot"), translated; NULL for a number this libvirt does not know
 * (a newer host's).
 */
const char *st_dom_reason_label(st_dom_state s, int reason);

#endif
