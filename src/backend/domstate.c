/*
 * Why a domain is in its state, in words: libvirt reports the reason as a number whose meaning
 * depends on the state (virDomainRunningReason, virDomainShutoffReason, ...). The tables are
 * filled from libvirt's own enums, so that a number means here what it means to libvirt.
 */
#include "config.h"

#include <libvirt/libvirt.h>

#include "backend/domstate.h"
#include "base/i18n.h"
#include "core/model.h"

typedef struct reason_word {
    int reason;
    const char *label; /* N_() */
} reason_word;

static const reason_word running[] = {
    {VIR_DOMAIN_RUNNING_BOOTED, N_("booted")},
    {VIR_DOMAIN_RUNNING_MIGRATED, N_("migrated here")},
    {VIR_DOMAIN_RUNNING_RESTORED, N_("restored from a save file")},
    {VIR_DOMAIN_RUNNING_FROM_SNAPSHOT, N_("from snapshot")},
    {VIR_DOMAIN_RUNNING_UNPAUSED, N_("unpaused")},
    {VIR_DOMAIN_RUNNING_MIGRATION_CANCELED, N_("migration cancelled")},
    {VIR_DOMAIN_RUNNING_SAVE_CANCELED, N_("save cancelled")},
    {VIR_DOMAIN_RUNNING_WAKEUP, N_("woken up")},
    {VIR_DOMAIN_RUNNING_CRASHED, N_("resumed after a crash")},
    {VIR_DOMAIN_RUNNING_POSTCOPY, N_("post-copy migration")},
    {VIR_DOMAIN_RUNNING_POSTCOPY_FAILED, N_("post-copy migration failed")},
};

static const reason_word paused[] = {
    {VIR_DOMAIN_PAUSED_USER, N_("paused by the user")},
    {VIR_DOMAIN_PAUSED_MIGRATION, N_("migrating")},
    {VIR_DOMAIN_PAUSED_SAVE, N_("saving")},
    {VIR_DOMAIN_PAUSED_DUMP, N_("dumping its core")},
    {VIR_DOMAIN_PAUSED_IOERROR, N_("disk I/O error")},
    {VIR_DOMAIN_PAUSED_WATCHDOG, N_("watchdog")},
    {VIR_DOMAIN_PAUSED_FROM_SNAPSHOT, N_("from snapshot")},
    {VIR_DOMAIN_PAUSED_SHUTTING_DOWN, N_("shutting down")},
    {VIR_DOMAIN_PAUSED_SNAPSHOT, N_("taking a snapshot")},
    {VIR_DOMAIN_PAUSED_CRASHED, N_("crashed")},
    {VIR_DOMAIN_PAUSED_STARTING_UP, N_("starting up")},
    {VIR_DOMAIN_PAUSED_POSTCOPY, N_("post-copy migration")},
    {VIR_DOMAIN_PAUSED_POSTCOPY_FAILED, N_("post-copy migration failed")},
};

static const reason_word shutdown[] = {
    {VIR_DOMAIN_SHUTDOWN_USER, N_("on the user's request")},
};

static const reason_word shutoff[] = {
    {VIR_DOMAIN_SHUTOFF_SHUTDOWN, N_("shutdown")},
    {VIR_DOMAIN_SHUTOFF_DESTROYED, N_("destroyed")},
    {VIR_DOMAIN_SHUTOFF_CRASHED, N_("crashed")},
    {VIR_DOMAIN_SHUTOFF_MIGRATED, N_("migrated away")},
    {VIR_DOMAIN_SHUTOFF_SAVED, N_("saved")},
    {VIR_DOMAIN_SHUTOFF_FAILED, N_("failed to start")},
    {VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT, N_("from snapshot")},
    {VIR_DOMAIN_SHUTOFF_DAEMON, N_("stopped by the daemon")},
};

static const reason_word crashed[] = {
    {VIR_DOMAIN_CRASHED_PANICKED, N_("the guest panicked")},
};

#define WORDS(t) t, sizeof(t) / sizeof(t[0])

static const char *lookup(const reason_word *t, size_t n, int reason)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].reason == reason)
            return _(t[i].label);
    return NULL;
}

const char *st_dom_reason_label(st_dom_state state, int reason)
{
    /* Every state's reason 0 is its UNKNOWN. */
    if (reason == 0)
        return _("reason unknown");
    switch (state) {
    case ST_DOM_RUNNING:
        return lookup(WORDS(running), reason);
    case ST_DOM_PAUSED:
        return lookup(WORDS(paused), reason);
    case ST_DOM_SHUTDOWN:
        return lookup(WORDS(shutdown), reason);
    case ST_DOM_SHUTOFF:
        return lookup(WORDS(shutoff), reason);
    case ST_DOM_CRASHED:
        return lookup(WORDS(crashed), reason);
    case ST_DOM_NOSTATE:
    case ST_DOM_BLOCKED:
    case ST_DOM_PMSUSPENDED:
        break;
    }
    return NULL;
}
