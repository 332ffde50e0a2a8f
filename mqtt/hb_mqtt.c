#define _POSIX_C_SOURCE 200809L
#include "hb_mqtt.h"
#include "../util/hb_error.h"
#include "../util/hb_hash.h"
#include "../util/hb_strutil.h"

#include <errno.h>
#include <mqtt_protocol.h>
#include <stdint.h>
#include <unistd.h>
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

void hb_mqtt_opts_init(hb_mqtt_opts *o, const char *client_id_prefix) {
    memset(o, 0, sizeof *o);
    o->host = hb__env("HEATBENCH_MQTT_HOST", "localhost");
    o->client_id_prefix = client_id_prefix;
    o->client_id = hb__env("HEATBENCH_MQTT_CLIENT_ID", NULL);
    o->username = hb__env("HEATBENCH_MQTT_USERNAME", NULL);
    o->password = hb__env("HEATBENCH_MQTT_PASSWORD", NULL);
    o->password_file = hb__env("HEATBENCH_MQTT_PASSWORD_FILE", NULL);
    o->cafile = hb__env("HEATBENCH_MQTT_CAFILE", NULL);
    o->certfile = hb__env("HEATBENCH_MQTT_CERT", NULL);
    o->keyfile = hb__env("HEATBENCH_MQTT_KEY", NULL);
    o->port = hb__env_int("HEATBENCH_MQTT_PORT", 0); /* 0: the default; ranges checked later */
    o->keepalive = hb__env_int("HEATBENCH_MQTT_KEEPALIVE", 30);
    /* The packaged unit hands /etc/heatbench/credentials/ over as systemd credentials named
     * heatbench_<file>: a password put there is used, and none there is no error, so the
     * service also starts against a broker that takes anonymous clients. */
    const char *creds = getenv("CREDENTIALS_DIRECTORY");
    if (creds && !o->password && !o->password_file) {
        snprintf(o->credential_path, sizeof o->credential_path, "%s/heatbench_mqtt-password",
                 creds);
        if (access(o->credential_path, R_OK) == 0) {
            o->password_file = o->credential_path;
        }
    }
}

int hb_mqtt_opts_finish(hb_mqtt_opts *o, char *err, size_t errlen) {
    if (o->port == 0) {
        o->port = o->cafile ? 8883 : 1883;
    }
    if (o->port < 1 || o->port > 65535) {
        snprintf(err, errlen, "port: expected 1..65535, got %d", o->port);
        return HB_ERR_RANGE;
    }
    if (o->keepalive < 5 || o->keepalive > 3600) {
        snprintf(err, errlen, "keepalive: expected 5..3600 s, got %d", o->keepalive);
        return HB_ERR_RANGE;
    }
    if ((o->certfile == NULL) != (o->keyfile == NULL)) {
        snprintf(err, errlen, "--cert and --key go together");
        return HB_ERR_RANGE;
    }
    if (o->certfile && !o->cafile) {
        snprintf(err, errlen, "--cert needs --cafile");
        return HB_ERR_RANGE;
    }
    if (o->password_file) {
        FILE *f = fopen(o->password_file, "r");
        if (!f) {
            snprintf(err, errlen, "cannot read password file %s: %s", o->password_file,
                     strerror(errno));
            return HB_ERR_IO;
        }
        if (!fgets(o->password_buf, sizeof o->password_buf, f)) {
            o->password_buf[0] = '\0';
        }
        fclose(f);
        o->password_buf[strcspn(o->password_buf, "\r\n")] = '\0';
        o->password = o->password_buf;
    }
    size_t idlen = o->client_id ? strlen(o->client_id) : 1;
    if (idlen == 0 || idlen > HB_MQTT_CLIENT_ID_MAX) {
        snprintf(err, errlen, "client id: expected 1 to %d bytes, got %zu", HB_MQTT_CLIENT_ID_MAX,
                 idlen);
        return HB_ERR_RANGE;
    }
    if (o->client_id && hb_str_has_control(o->client_id)) {
        snprintf(err, errlen, "client id: control characters are not allowed");
        return HB_ERR_RANGE;
    }
    if (o->password && !o->username) {
        snprintf(err, errlen, "a password needs a username (--username)");
        return HB_ERR_RANGE;
    }
    return HB_OK;
}

void hb_mqtt_client_id(const hb_mqtt_opts *o, char *out, size_t len) {
    if (o->client_id) {
        snprintf(out, len, "%s", o->client_id);
        return;
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    uint32_t h = hb_fnv1a32(host);
    snprintf(out, len, "%.24s-%08x-%ld", o->client_id_prefix ? o->client_id_prefix : "heatbench",
             (unsigned)h, (long)getpid());
}

struct mosquitto *hb_mqtt_client(const hb_mqtt_opts *o, void *userdata, const char *will_topic,
                                 const char *will_payload, char *err, size_t errlen) {
    char id[HB_MQTT_CLIENT_ID_MAX + 1];
    hb_mqtt_client_id(o, id, sizeof id);
    struct mosquitto *m = mosquitto_new(id, true, userdata);
    if (!m) {
        snprintf(err, errlen, "cannot create an MQTT client: %s", strerror(errno));
        return NULL;
    }
    /* MQTT 5: for the Maximum Packet Size we announce, and the reason a broker gives when it
     * closes the connection (a session taken over by another client with our id). */
    int rc = mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    if (rc == MOSQ_ERR_SUCCESS && o->username) {
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
    case MQTT_RC_NOT_AUTHORIZED:
        return "refused: not authorised (wrong user name or password, or no permission)";
    case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
        return "refused: bad user name or password";
    case MQTT_RC_CLIENTID_NOT_VALID:
        return "refused: client identifier rejected";
    case MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION:
        return "refused: unsupported protocol version (the broker must speak MQTT 5)";
    default:
        return rc >= 128 ? mosquitto_reason_string(rc) : "refused";
    }
}

bool hb_mqtt_connack_fatal(int rc) {
    switch (rc) {
    case 0:
    case 3: /* server unavailable (3.1.1) */
    case MQTT_RC_UNSPECIFIED:
    case MQTT_RC_IMPLEMENTATION_SPECIFIC:
    case MQTT_RC_SERVER_UNAVAILABLE:
    case MQTT_RC_SERVER_BUSY:
    case MQTT_RC_QUOTA_EXCEEDED:
    case MQTT_RC_CONNECTION_RATE_EXCEEDED:
    case MQTT_RC_USE_ANOTHER_SERVER:
    case MQTT_RC_SERVER_MOVED:
        return false;
    default:
        return true;
    }
}

double hb_mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
