/*
 * Temporaries that Ctrl-C or SIGTERM must not leave behind.
 *
 * heatbench writes its outputs next to their targets under temporary names (FILE.tmp.XXXXXX,
 * DIR.tmp.XXXXXX) and renames them into place when complete, so an error never leaves a target
 * half-written. A signal is an error the program does not see: without help, the process dies and
 * the temporaries stay. Each temporary is registered here while it exists; the first registration
 * installs a handler for SIGINT, SIGTERM and SIGHUP (only where the disposition is still the
 * default: a command that handles its own signals, or a signal the shell ignores, is left alone).
 *
 * The handler removes the registered files and re-raises the signal, so the exit status still says
 * "killed by SIGINT". Between hb_sigclean_hold() and hb_sigclean_release() (a report being staged:
 * a directory of files, which a handler cannot list safely) the signal is only recorded; the code
 * that holds polls hb_sigclean_pending(), removes what it staged in the ordinary way, and the
 * release then re-raises.
 */
#ifndef HB_SIGCLEAN_H
#define HB_SIGCLEAN_H

/* Registers PATH (a file, or an empty directory) as a temporary. Best effort: nothing happens when
 * the table is full or PATH is too long. Safe from several threads. */
void hb_sigclean_add(const char *path);

/* PATH is no longer a temporary (renamed into place or removed). */
void hb_sigclean_drop(const char *path);

/* Defers a signal until the matching release (holds nest). */
void hb_sigclean_hold(void);

/* Ends a hold; at the outermost one, a signal recorded meanwhile removes what is still registered
 * and is re-raised (the call does not return then). */
void hb_sigclean_release(void);

/* The signal recorded during a hold, 0 when none. */
int hb_sigclean_pending(void);

#endif
