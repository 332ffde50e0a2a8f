/* Readiness and status for a service manager (systemd's Type=notify), without libsystemd: the
 * protocol is one datagram of "KEY=value" lines to the AF_UNIX socket named by NOTIFY_SOCKET. */
#ifndef HB_SDNOTIFY_H
#define HB_SDNOTIFY_H

/* Sends STATE (e.g. "READY=1\nSTATUS=connected") to $NOTIFY_SOCKET. Returns 1 when sent, 0 when
 * no service manager asked for it (NOTIFY_SOCKET unset), a negative errno on failure. Never
 * blocks: a manager that is gone must not stop the daemon. */
int hb_sd_notify(const char *state);

#endif
