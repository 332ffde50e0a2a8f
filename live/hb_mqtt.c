#define _POSIX_C_SOURCE 200809L
#include "hb_mqtt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *hb__env(const char *name, const char *def) {
    const char *v = getenv(name);
    return (v && *v) ? v : def;
}

/* An integer from the environment; -1 (rejected later with a message) when it is not one. */
static int hb__env_int(const char *name, int def) {
    const char *v = hb__env(name, NULL);
    if (!v) {
        return def;
    }
    char *end;
    errno = 0;
    long l = strtol(v, &end, 10);
    return (end == v || *end != '\0' || errno != 0 || l < 0 || l > 1000000) ? -1 : (int)l;
}

void hb_mqtt_opts_init(hb_mqtt_opts *o, const char *default_client_id) {
    memset(o, 0, sizeof *o);
    o->host = hb__env("HEATBENCH_MQTT_HOST", "localhost");
    o->client_id = hb__env("HEATBENCH_MQTT_CLIENT_ID", default_client_id);
    o->username = hb__env("HEATBENCH_MQTT_USERNAME", NULL);
    o->password = hb__env("HEATBENCH_MQTT_PASSWORD", NULL);
    o->password_file = hb__env("HEATBENCH_MQTT_PASSWORD_FILE", NULL);
    o->cafile = hb__env("HEATBENCH_MQTT_CAFILE", NULL);
    o->certfile = hb__env("HEATBENCH_MQTT_CERT", NULL);
    o->keyfile = hb__env("HEATBENCH_MQTT_KEY", NULL);
    o->port = hb__env_int("HEATBENCH_MQTT_PORT", 0); /* 0: the default; ranges checked later */
    o->keepalive = hb__env_int("HEATBENCH_MQTT_KEEPALIVE", 30);
}

int hb_mqtt_opts_finish(hb_mqtt_opts *o, char *err, size_t errlen) {
    if (o->port == 0) {
        o->port = o->cafile ? 8883 : 1883;
    }
    if (o->port < 1 || o->port > 65535) {
        snprintf(err, errlen, "port: expected 1..65535, got %d", o->port);
        return -1;
    }
    if (o->keepalive < 5 || o->keepalive > 3600) {
        snprintf(err, errlen, "keepalive: expected 5..3600 s, got %d", o->keepalive);
        return -1;
    }
    if ((o->certfile == NULL) != (o->keyfile == NULL)) {
        snprintf(err, errlen, "--cert and --key go together");
        return -1;
    }
    if (o->certfile && !o->cafile) {
        snprintf(err, errlen, "--cert needs --cafile");
        return -1;
    }
    if (o->password_file) {
        FILE *f = fopen(o->password_file, "r");
        if (!f) {
            snprintf(err, errlen, "cannot read password file %s: %s", o->password_file,
                     strerror(errno));
            return -1;
        }
        if (!fgets(o->password_buf, sizeof o->password_buf, f)) {
            o->password_buf[0] = '\0';
        }
        fclose(f);
        o->password_buf[strcspn(o->password_buf, "\r\n")] = '\0';
        o->password = o->password_buf;
    }
    if (o->password && !o->username) {
        snprintf(err, errlen, "a password needs a username (--username)");
        return -1;
    }
    return 0;
}

struct mosquitto *hb_mqtt_client(const hb_mqtt_opts *o, void *userdata, const char *will_topic,
                                 const char *will_payload, char *err, size_t errlen) {
    struct mosquitto *m = mosquitto_new(o->client_id, true, userdata);
    if (!m) {
        snprintf(err, errlen, "cannot create an MQTT client: %s", strerror(errno));
        return NULL;
    }
    int rc = MOSQ_ERR_SUCCESS;
    if (o->username) {
        rc = mosquitto_username_pw_set(m, o->username, o->password);
    }
    if (rc == MOSQ_ERR_SUCCESS && o->cafile) {
        rc = mosquitto_tls_set(m, o->cafile, NULL, o->certfile, o->keyfile, NULL);
    }
    if (rc == MOSQ_ERR_SUCCESS && will_topic) {
        rc = mosquitto_will_set(m, will_topic, (int)strlen(will_payload), will_payload, 1, true);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "cannot configure the MQTT client: %s", mosquitto_strerror(rc));
        mosquitto_destroy(m);
        return NULL;
    }
    /* Commands and readings are tiny packets: without TCP_NODELAY, Nagle's algorithm and delayed
     * ACKs hold them back for tens of milliseconds. */
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    /* Reconnects are ours (with backoff); keep libmosquitto's own delay short and bounded. */
    mosquitto_reconnect_delay_set(m, 1, 10, true);
    return m;
}

bool hb_mqtt_fatal(int rc) {
    switch (rc) {
    case MOSQ_ERR_TLS:
    case MOSQ_ERR_AUTH:
    case MOSQ_ERR_PROTOCOL:
    case MOSQ_ERR_NOT_SUPPORTED:
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_NOMEM:
    case MOSQ_ERR_TLS_HANDSHAKE:
        return true;
    default:
        return false;
    }
}

const char *hb_mqtt_connack_text(int rc) {
    switch (rc) {
    case 0:
        return "accepted";
    case 1:
        return "refused: unacceptable protocol version";
    case 2:
        return "refused: client identifier rejected";
    case 3:
        return "refused: broker unavailable";
    case 4:
        return "refused: bad user name or password";
    case 5:
        return "refused: not authorised (wrong user name or password, or no permission)";
    default:
        return "refused";
    }
}

bool hb_mqtt_connack_fatal(int rc) {
    return rc != 0 && rc != 3;
}

double hb_mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
