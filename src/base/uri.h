/* What the program can tell from a libvirt connection URI alone, without opening it. */
#ifndef ST_URI_H
#define ST_URI_H

#include <stdbool.h>

/* Whether a URI names a host whose images are on this machine (NULL: libvirt's default, local). */
bool st_uri_is_local(const char *uri);

/*
 * The longest wait, in seconds, between two attempts to open a connection to the host again
 * after it was lost. On this machine an attempt costs a connect() that is refused at once: one
 * a second finds a daemon that is back (restarted, upgraded) within a second, however long it
 * was away. A remote attempt starts ssh or a TCP handshake: a few seconds apart.
 */
double st_uri_retry_max(const char *uri);

/* Whether the URI goes through libvirt's ssh transport, which runs the ssh command (driver+ssh). */
bool st_uri_is_ssh(const char *uri);

/*
 * The URI the interactive program opens: over libvirt's ssh transport, with no_tty=1 added (the
 * ssh client then runs with BatchMode=yes), unless the URI sets no_tty itself. ssh asks for a
 * password or a host key confirmation on the controlling terminal, which curses holds: the prompt
 * would be drawn over the screen and take the admin's keys. Without a prompt the connection fails
 * instead, with ssh's reason. NULL for NULL.
 */
char *st_uri_no_tty(const char *uri);
/* Whether st_uri_no_tty changed the URI. */
bool st_uri_no_tty_added(const char *uri);

/*
 * The ssh command line that reaches the host of a driver+ssh URI as libvirt's ssh transport does
 * (the URI's user, host, port, keyfile=, no_verify= and command= for the ssh program), running
 * `remote` (a shell command line) there. It never reads the terminal: BatchMode=yes and no tty.
 * NULL-terminated, each string allocated; NULL when the URI is not an ssh one or has no host.
 */
char **st_uri_ssh_argv(const char *uri, const char *remote);
/*
 * The same through a shared connection: with `control` (a control socket, ssh_share.h) ssh joins
 * the connection whose master listens there (ControlMaster=no: it never becomes one), and logs in
 * by itself only when none does. NULL control: st_uri_ssh_argv.
 */
char **st_uri_ssh_argv_shared(const char *uri, const char *remote, const char *control);
/* The ssh program of a driver+ssh URI: its command= (decoded), else "ssh" (malloc'd). */
char *st_uri_ssh_program(const char *uri);
/*
 * The URI with its command= set to `command` (%XX-encoded where a query value needs it), in
 * place of the one it had, every other part as it was. NULL for a URI that is not an ssh one.
 */
char *st_uri_with_command(const char *uri, const char *command);
/* The host part of a URI without user and port ("kvm2", "::1"); NULL when it has none. */
char *st_uri_host(const char *uri);

#endif
