/*
 * One MQTT session for every program that talks to a broker (control, live, record, tune --live):
 * connecting with a handshake deadline, reconnecting with back-off, jitter and a ceiling, the
 * fatal CONNACK codes, the subscriptions made again on every connection, and a clean stop. The
 * programs keep their own loops and timers and call hb_session_step in them; this is the one file
 * that connects and runs the network loop, so the pacing cannot drift apart between programs
 * again (the one-session check of scripts/lint_conventions.py fails on any other file naming
 * mosquitto_connect*, _reconnect* or _loop*).
 */
#ifndef HB_SESSION_H
#define HB_SESSION_H

#include "hb_mqtt.h"

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct hb_session hb_session;

typedef struct hb_session_config {
    const hb_mqtt_opts *mqtt; /* kept by reference: must outlive the session */
    /* A retained QoS 1 last will (NULL: none). hb_session_stop publishes it itself, because a
     * clean DISCONNECT discards the will. */
    const char *will_topic, *will_payload;
    double first_s;     /* the first retry's delay after a failed attempt, s (default 0.5) */
    double max_s;       /* the ceiling the delay doubles up to, s (default 10) */
    double handshake_s; /* from the socket's connection to the CONNACK, s (default 10) */
    void *ud;           /* passed to every callback */
    /* Every CONNACK: RC 0 once the registered subscriptions have been sent, else the refusal
     * (a fatal one also ends hb_session_step with an error). */
    void (*on_connect)(void *ud, int rc);
    void (*on_message)(void *ud, const struct mosquitto_message *msg);
    /* A connection closed (RC 0: by us), with the broker's MQTT 5 properties, if any. */
    void (*on_disconnect)(void *ud, int rc, const mosquitto_property *props);
    void (*on_publish)(void *ud, int mid); /* a QoS 1 publication acknowledged */
    /* An attempt failed in a way the back-off retries (the broker not reachable): why, and the
     * seconds until the next attempt (for a log line; NULL: nothing said). */
    void (*on_retry)(void *ud, const char *why, double retry_in_s);
    char *err;     /* where hb_session_create writes why it failed (NULL: nowhere) */
    size_t errlen; /* its size */
} hb_session_config;

/* A session that has not connected yet (the first step makes the first attempt). HB_OK;
 * HB_ERR_INVAL (no MQTT options), HB_ERR_NOMEM, or HB_ERR_IO (the client could not be set up:
 * TLS files), with a message in cfg->err. */
int hb_session_create(const hb_session_config *cfg, hb_session **out);

void hb_session_destroy(hb_session *s);

/* Registers TOPIC (copied) at QOS: subscribed now if connected, and on every reconnect. */
int hb_session_subscribe(hb_session *s, const char *topic, int qos);

/* One turn: an attempt when one is due (else a sleep of at most TIMEOUT_MS until it is), or the
 * network loop for at most TIMEOUT_MS. HB_OK, also while the broker is away; HB_ERR_IO when the
 * session cannot go on (bad credentials, not authorised, TLS), with hb_session_error's text. */
int hb_session_step(hb_session *s, int timeout_ms);

/* Whether the broker accepted the connection and acknowledged every registered subscription. */
bool hb_session_ready(const hb_session *s);
bool hb_session_connected(const hb_session *s);

/* The monotonic time of the last time the session became ready (NaN: never). */
double hb_session_ready_since(const hb_session *s);

/* The client, for publishing and extra subscriptions (not for connecting or looping). */
struct mosquitto *hb_session_client(hb_session *s);

/* Makes the next attempt wait at least SECONDS from now (a session taken over elsewhere). */
void hb_session_hold(hb_session *s, double seconds);

/* Runs the loop until the QoS 1 publication MID is acknowledged or TIMEOUT_S passes (a last
 * command before the program leaves). HB_OK when acknowledged, HB_ERR_IO otherwise. */
int hb_session_wait_ack(hb_session *s, int mid, double timeout_s);

/* A clean stop: with PUBLISH_WILL and a will, publishes the will's message (retained, QoS 1)
 * and waits up to 2 s for it; then disconnects. */
void hb_session_stop(hb_session *s, bool publish_will);

/* The text of the error that ended the session ("" when none). */
const char *hb_session_error(const hb_session *s);

#endif
