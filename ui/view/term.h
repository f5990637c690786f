/*
 * The terminal: curses set-up and restoration, signals, and keeping libvirt's stderr off the
 * screen. SIGINT, SIGTERM and SIGHUP (a dropped SSH session) end the program cleanly with the
 * terminal restored; they never cancel a job, which belongs to QEMU.
 */
#ifndef ST_TERM_H
#define ST_TERM_H

#include <stdbool.h>

/*
 * Blocks the quit and resize signals (and SIGPIPE) in the calling thread, so that threads it
 * starts later (the backend's, libvirt's own) inherit the mask and never take them; called
 * before any thread starts. st_term_start unblocks them again in the interface's thread.
 */
void st_term_block_signals(void);
void st_term_unblock_signals(void);
/* Sends stderr to a private log (shown after the terminal is restored). Before threads start. */
void st_term_prepare(void);
/* Starts curses; exits with a message when the terminal cannot be used. */
void st_term_start(void);
void st_term_stop(void);
/* Readable when a signal arrived. */
int st_term_signal_fd(void);
void st_term_drain_signals(void);
/* The quit signal received (SIGINT, SIGTERM, SIGHUP, SIGQUIT), or 0. */
int st_term_quit_signal(void);
/* Prints what libvirt wrote to stderr while the interface ran, if anything. */
void st_term_show_log(bool utf8);

#endif
