/*
 * One ssh login per host. libvirt's ssh transport and the program's own ssh runs on the host (the
 * remote chain reader) share one connection: the URI a worker opens names as its command= a
 * wrapper, in a private folder of this process, that runs the URI's own ssh as the master of a
 * control socket in that folder (ControlMaster=auto, ControlPersist=no: the master is libvirt's
 * ssh itself, a child of this process that lives exactly as long as the connection). The
 * wrapper is this program, through a link whose name makes main() act as the wrapper
 * (st_ssh_wrapper_main): a script would not run from a runtime folder mounted noexec. The
 * program's runs join it (st_uri_ssh_argv_shared) instead of logging in again: a channel over the
 * open connection costs a round trip, a login several hundred milliseconds. These options come
 * first on ssh's command line, so they win over whatever the user's ssh config says about
 * ControlMaster and ControlPath (which then apply to none of our connections); everything else of
 * that config (keys, known hosts, proxies) applies as before, BatchMode included.
 *
 * At exit st_ssh_end ends the ssh children that are still running: a connection whose thread is
 * stuck on a hung host is never closed, and its ssh would wait for that host for ever.
 */
#ifndef ST_SSH_SHARE_H
#define ST_SSH_SHARE_H

#include <stdbool.h>

/* The name of the wrapper's link: main() runs st_ssh_wrapper_main when started under it. */
#define ST_SSH_WRAPPER "virt-snaptree-ssh"

typedef struct st_ssh_share {
    char *uri;     /* the URI to open: its command= is the wrapper */
    char *control; /* the control socket the wrapper's ssh listens on */
} st_ssh_share;

/*
 * Makes a wrapper and names a control socket for one connection to the driver+ssh URI `uri`.
 * False, with s left empty, for any other URI, or when the private folder cannot be made or its
 * path is unfit for a control socket (too long, or characters ssh would expand): then each ssh
 * logs in by itself, as it would without sharing.
 */
bool st_ssh_share_make(const char *uri, st_ssh_share *s);
void st_ssh_share_clear(st_ssh_share *s);

/*
 * The wrapper: runs the ssh program named in the folder of argv[0] with ControlMaster=auto, that
 * folder's control socket and ControlPersist=no before the arguments it was given (libvirt's).
 * Returns only when it cannot (255, as ssh fails, with the reason on stderr).
 */
int st_ssh_wrapper_main(int argc, char **argv);

/*
 * For the last moment before the process exits: ends its ssh children still running (by pid:
 * SIGTERM, SIGKILL for those still there after a moment; a quarter of a second at most) and
 * removes the private folder. Nothing at all when no ssh connection was asked for (every ssh of
 * the program is started for one, after st_ssh_share_make was asked about its URI).
 */
void st_ssh_end(void);

#endif
