/*
 * Why libvirt's ssh transport could not connect, in one line. libvirt reports everything ssh
 * printed on stderr inside its own message ("Cannot recv data: <ssh's lines>: Connection reset by
 * peer"): for a host key that changed that is a banner of a dozen lines, with the verdict at the
 * end. The interface shows one line per host.
 */
#ifndef ST_SSH_REASON_H
#define ST_SSH_REASON_H

#include <stdbool.h>

typedef enum {
    ST_SSH_OTHER,       /* anything else: no connection, a refused command, ... */
    ST_SSH_AUTH,        /* no key the host takes, and no prompt for a password */
    ST_SSH_UNKNOWN_KEY, /* the host's key is in no known_hosts file, and no prompt to accept it */
    ST_SSH_CHANGED_KEY, /* known_hosts holds another key for the host */
} st_ssh_failure;

/*
 * A malloc'd line saying why from libvirt's message `msg` (NULL when it holds nothing of ssh's:
 * the caller keeps libvirt's message), and in *kind what kind of failure it was.
 */
char *st_ssh_reason(const char *msg, st_ssh_failure *kind);

#endif
