/*
 * Connection settings shared by `heatbench control` and `heatbench live`, and the client set-up
 * around libmosquitto: credentials, TLS, last will, connecting with retries.
 */
#ifndef HB_MQTT_H
#define HB_MQTT_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct hb_mqtt_opts {
    const char *host; /* default "localhost" */
    int port;         /* default 1883 (8883 with --cafile) */
    const char *client_id;
    const char *username;
    const char *password;
    const char *password_file; /* first line is the password */
    const char *cafile;
    const char *certfile;
    const char *keyfile;
    int keepalive; /* s, default 30 */
    char password_buf[256];
} hb_mqtt_opts;

/* Defaults, overridden by HEATBENCH_MQTT_HOST, _PORT, _CLIENT_ID, _USERNAME, _PASSWORD,
 * _PASSWORD_FILE, _CAFILE, _CERT, _KEY, _KEEPALIVE (command-line options override those). */
void hb_mqtt_opts_init(hb_mqtt_opts *o, const char *default_client_id);

/* Resolves the password file and checks ranges. Returns 0 or -1 with a message in ERR. */
int hb_mqtt_opts_finish(hb_mqtt_opts *o, char *err, size_t errlen);

/* A new client with credentials, TLS and (if WILL_TOPIC) a retained QoS 1 will WILL_PAYLOAD.
 * NULL with a message on failure. mosquitto_lib_init() must have been called. */
struct mosquitto *hb_mqtt_client(const hb_mqtt_opts *o, void *userdata, const char *will_topic,
                                 const char *will_payload, char *err, size_t errlen);

/* Whether a mosquitto error code is one that retrying cannot fix (TLS, auth, protocol). */
bool hb_mqtt_fatal(int rc);

/* Text of a CONNACK return code (MQTT 3.1.1). */
const char *hb_mqtt_connack_text(int rc);

/* Whether a CONNACK code is final (bad protocol, id rejected, bad credentials, not authorised). */
bool hb_mqtt_connack_fatal(int rc);

/* Monotonic seconds (for pacing and timeouts in the live layer only, never in models). */
double hb_mono_now(void);

#endif
