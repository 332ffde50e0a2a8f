/*
 * Connection settings shared by every program that talks to a broker, and the client set-up
 * around libmosquitto: credentials, TLS, last will. Connecting, reconnecting and the network
 * loop are the session's (hb_session.h).
 */
#ifndef HB_MQTT_H
#define HB_MQTT_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>

/* The largest MQTT packet heatbench accepts, bytes. Readings and commands are under 1 KiB with
 * their topic; the limit is announced to the broker as the MQTT 5 Maximum Packet Size, so a
 * broker never sends more (it drops the message instead), and a 200 MiB "reading" never reaches
 * our memory, even on a broker configured without a max_packet_size of its own. */
#define HB_MQTT_MAX_PACKET 4096

/* The longest client id heatbench passes to the broker, bytes (MQTT allows 65535; brokers must
 * accept 23). */
#define HB_MQTT_CLIENT_ID_MAX 256

typedef struct hb_mqtt_opts {
    const char *host;             /* default "localhost" */
    int port;                     /* default 1883 (8883 with --cafile) */
    const char *client_id;        /* NULL: the default, see hb_mqtt_client_id */
    const char *client_id_prefix; /* of the default id */
    const char *username;
    const char *password;
    const char *password_file; /* first line is the password */
    const char *cafile;
    const char *certfile;
    const char *keyfile;
    int keepalive; /* s, default 30 */
    char password_buf[256];
    char credential_path[4096]; /* the systemd credential, when password_file names it */
} hb_mqtt_opts;

/* Defaults, overridden by HEATBENCH_MQTT_HOST, _PORT, _CLIENT_ID, _USERNAME, _PASSWORD,
 * _PASSWORD_FILE, _CAFILE, _CERT, _KEY, _KEEPALIVE (command-line options override those). The
 * default client id is CLIENT_ID_PREFIX-<host hash>-<pid>: unique per instance, so two instances
 * never take each other's session over by accident. */
void hb_mqtt_opts_init(hb_mqtt_opts *o, const char *client_id_prefix);

/* Resolves the password file and checks ranges. HB_OK, or HB_ERR_RANGE (a value or a
 * combination not allowed) or HB_ERR_IO (the password file), with a message in ERR. */
int hb_mqtt_opts_finish(hb_mqtt_opts *o, char *err, size_t errlen);

/* The client id to use into OUT: client_id, or CLIENT_ID_PREFIX-<host hash>-<pid>. */
void hb_mqtt_client_id(const hb_mqtt_opts *o, char *out, size_t len);

/* A new MQTT 5 client with credentials, TLS and (if WILL_TOPIC) a retained QoS 1 will
 * WILL_PAYLOAD. NULL with a message on failure. mosquitto_lib_init() must have been called. */
struct mosquitto *hb_mqtt_client(const hb_mqtt_opts *o, void *userdata, const char *will_topic,
                                 const char *will_payload, char *err, size_t errlen);

/* Whether a mosquitto error code is one that retrying cannot fix (TLS, auth, protocol). */
bool hb_mqtt_fatal(int rc);

/* Text of a CONNACK return code (MQTT 3.1.1 codes, and MQTT 5 reason codes from 128). */
const char *hb_mqtt_connack_text(int rc);

/* Whether a CONNACK code is final (bad protocol, id rejected, bad credentials, not authorised,
 * banned); a busy or unavailable broker is worth retrying. */
bool hb_mqtt_connack_fatal(int rc);

/* Monotonic seconds (for pacing and timeouts in the live layer only, never in models). */
double hb_mono_now(void);

#endif
