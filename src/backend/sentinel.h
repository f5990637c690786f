/*
 * A host's sentinel: a second connection to the host that makes no calls of its own and only
 * answers libvirt's keepalive, to tell a host that is gone from one that is slow.
 *
 * Why not keepalive on the worker's own connection: when libvirt 9.0's RPC client gives up on a
 * connection (keepalive timeout, or a close) while several threads have calls queued on it, the
 * thread that was polling the socket returns and leaves its socket watch attached, pointing into
 * its own stack frame; the next thread to poll that connection fires it (virnetclient.c,
 * virNetClientIOEventLoop: the watch's GSource is unreferenced, never destroyed). Seen here as a
 * SIGSEGV or a GLib-CRITICAL in almost every run of a host hung past the keepalive. The worker's
 * connection carries many calls at once (discovery), so it runs without keepalive and is never
 * closed while calls are in flight. The sentinel's connection has no thread of its own in it:
 * only the event loop pings it, so its keepalive can close it safely.
 *
 * When keepalive gives up, `lost` runs on the sentinel's thread; the sentinel then reconnects by
 * itself, with backoff, until it is stopped. An end of file (a daemon restarted) is not reported:
 * the worker's connection sees the same end of file and reconnects by itself.
 */
#ifndef ST_SENTINEL_H
#define ST_SENTINEL_H

#include <stdbool.h>
#include <time.h>

typedef struct st_sentinel st_sentinel;
typedef void (*st_sentinel_fn)(void *ctx);

/* libvirt's keepalive: a ping after this many idle seconds, given up after count unanswered. */
#define ST_KEEPALIVE_INTERVAL 5
#define ST_KEEPALIVE_COUNT    3

/* Starts watching `uri` (opened read-only when `readonly`) on a thread of its own. */
st_sentinel *st_sentinel_start(const char *uri, bool readonly, st_sentinel_fn lost, void *ctx);
/* Asks the sentinel to close its connection and end; returns at once. */
void st_sentinel_stop(st_sentinel *s);
/*
 * Waits until the stopped sentinel has ended, at most until `deadline` (CLOCK_REALTIME), and then
 * frees it. False when it is still stuck (opening a connection to a hung host): it is left alone,
 * the process is about to exit.
 */
bool st_sentinel_join(st_sentinel *s, const struct timespec *deadline);

#endif
