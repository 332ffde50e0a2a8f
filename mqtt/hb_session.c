/* The MQTT session of hb_session.h. libmosquitto's callbacks land here first: the session keeps
 * its own state (connected, subscriptions acknowledged, the fatal CONNACK) before the program's
 * callback sees the event, so no program has to keep that bookkeeping itself. */
#define _POSIX_C_SOURCE 200809L
#include "hb_session.h"
#include "../util/hb_error.h"
#include "../util/hb_rng.h"

#include <errno.h>
#include <math.h>
#include <mqtt_protocol.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct hb__sub {
    char *topic;
    int qos;
} hb__sub;

struct hb_session {
    hb_session_config cfg;
    struct mosquitto *m;
    gsl_rng *jitter;
    hb__sub *subs;
    int n_subs, cap_subs;
    int subacks;    /* SUBACKs of the registered subscriptions on this connection */
    bool socket_up; /* the client has a socket (maybe before its CONNACK) */
    bool connected; /* CONNACK 0 on that socket */
    int fatal;      /* a fatal CONNACK code, 0 when none */
    double delay_s; /* the delay after the next failed attempt */
    double next;    /* monotonic time the next attempt is due */
    double handshake_until;
    double ready_since;
    int acked_mid; /* the last QoS 1 publication acknowledged */
    int will_mid;
    char err[256];
};

/* Connects, or connects again after a loss, announcing HB_MQTT_MAX_PACKET as the Maximum Packet
 * Size (mosquitto_reconnect would drop the CONNECT properties). A mosquitto error code. */
static int hb__sess_connect(hb_session *s) {
    const hb_mqtt_opts *o = s->cfg.mqtt;
    mosquitto_property *props = NULL;
    int rc =
        mosquitto_property_add_int32(&props, MQTT_PROP_MAXIMUM_PACKET_SIZE, HB_MQTT_MAX_PACKET);
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_connect_bind_v5(s->m, o->host, o->port, o->keepalive, NULL, props);
    }
    mosquitto_property_free_all(&props);
    return rc;
}

static void hb__sess_on_connect(struct mosquitto *m, void *ud, int rc, int flags,
                                const mosquitto_property *p) {
    (void)flags;
    (void)p;
    hb_session *s = ud;
    if (rc != 0) {
        if (hb_mqtt_connack_fatal(rc)) {
            s->fatal = rc;
        }
    } else {
        s->connected = true;
        s->subacks = 0;
        s->delay_s = s->cfg.first_s; /* accepted: the next loss retries quickly again */
        if (s->n_subs == 0) {
            s->ready_since = hb_mono_now();
        }
        /* Subscribing here, not once at start, restores the subscriptions after every
         * reconnect (the broker forgets a clean session's subscriptions). */
        for (int i = 0; i < s->n_subs; i++) {
            mosquitto_subscribe(m, NULL, s->subs[i].topic, s->subs[i].qos);
        }
    }
    if (s->cfg.on_connect) {
        s->cfg.on_connect(s->cfg.ud, rc);
    }
}

static void hb__sess_on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *q) {
    (void)m;
    (void)mid;
    (void)n;
    (void)q;
    hb_session *s = ud;
    /* A SUBACK comes on the socket that asked for it: every one since the CONNACK is ours. */
    if (++s->subacks == s->n_subs) {
        s->ready_since = hb_mono_now();
    }
}

static void hb__sess_on_message(struct mosquitto *m, void *ud,
                                const struct mosquitto_message *msg) {
    (void)m;
    hb_session *s = ud;
    if (s->cfg.on_message) {
        s->cfg.on_message(s->cfg.ud, msg);
    }
}

static void hb__sess_on_disconnect(struct mosquitto *m, void *ud, int rc,
                                   const mosquitto_property *p) {
    (void)m;
    hb_session *s = ud;
    s->connected = false;
    s->socket_up = rc == 0 ? false : s->socket_up; /* a loss is noticed by the loop's result */
    if (s->cfg.on_disconnect) {
        s->cfg.on_disconnect(s->cfg.ud, rc, p);
    }
}

static void hb__sess_on_publish(struct mosquitto *m, void *ud, int mid) {
    (void)m;
    hb_session *s = ud;
    s->acked_mid = mid;
    if (s->cfg.on_publish) {
        s->cfg.on_publish(s->cfg.ud, mid);
    }
}

int hb_session_create(const hb_session_config *cfg, hb_session **out) {
    *out = NULL;
    char scratch[8];
    char *err = cfg && cfg->err ? cfg->err : scratch;
    size_t errlen = cfg && cfg->err ? cfg->errlen : sizeof scratch;
    if (!cfg || !cfg->mqtt) {
        snprintf(err, errlen, "no MQTT settings");
        return HB_ERR_INVAL;
    }
    hb_session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return HB_ERR_NOMEM;
    }
    s->cfg = *cfg;
    s->cfg.first_s = cfg->first_s > 0 ? cfg->first_s : 0.5;
    s->cfg.max_s = cfg->max_s >= s->cfg.first_s ? cfg->max_s : fmax(10.0, s->cfg.first_s);
    s->cfg.handshake_s = cfg->handshake_s > 0 ? cfg->handshake_s : 10.0;
    s->delay_s = s->cfg.first_s;
    s->ready_since = NAN;
    s->acked_mid = -1;
    s->will_mid = -1;
    /* The jitter only spreads the reconnects of many clients after a broker restart: it is
     * wall-clock pacing, never simulation state, so it is seeded per process (pid and time)
     * on purpose; instances started together with one seed would retry in lock-step. */
    s->jitter = hb_rng_stream((uint64_t)getpid() ^ (uint64_t)time(NULL), "mqtt.retry");
    s->m = s->jitter ? hb_mqtt_client(cfg->mqtt, s, cfg->will_topic, cfg->will_payload, err, errlen)
                     : NULL;
    if (!s->m) {
        int rc = s->jitter ? HB_ERR_IO : HB_ERR_NOMEM;
        if (!s->jitter) {
            snprintf(err, errlen, "out of memory");
        }
        hb_session_destroy(s);
        return rc;
    }
    mosquitto_connect_v5_callback_set(s->m, hb__sess_on_connect);
    mosquitto_subscribe_callback_set(s->m, hb__sess_on_subscribe);
    mosquitto_message_callback_set(s->m, hb__sess_on_message);
    mosquitto_disconnect_v5_callback_set(s->m, hb__sess_on_disconnect);
    mosquitto_publish_callback_set(s->m, hb__sess_on_publish);
    *out = s;
    return HB_OK;
}

void hb_session_destroy(hb_session *s) {
    if (!s) {
        return;
    }
    if (s->m) {
        mosquitto_destroy(s->m);
    }
    for (int i = 0; i < s->n_subs; i++) {
        free(s->subs[i].topic);
    }
    free(s->subs);
    gsl_rng_free(s->jitter);
    free(s);
}

int hb_session_subscribe(hb_session *s, const char *topic, int qos) {
    if (s->n_subs == s->cap_subs) {
        int cap = s->cap_subs ? 2 * s->cap_subs : 4;
        hb__sub *n = realloc(s->subs, (size_t)cap * sizeof *n);
        if (!n) {
            return HB_ERR_NOMEM;
        }
        s->subs = n;
        s->cap_subs = cap;
    }
    char *t = strdup(topic);
    if (!t) {
        return HB_ERR_NOMEM;
    }
    s->subs[s->n_subs++] = (hb__sub){t, qos};
    if (s->connected) {
        mosquitto_subscribe(s->m, NULL, t, qos);
    }
    return HB_OK;
}

static void hb__sess_sleep(double seconds) {
    if (seconds <= 0) {
        return;
    }
    struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* An attempt: schedules the next one first (the delay, doubled up to the ceiling, plus up to a
 * quarter of it at random: jitter only lengthens, so the pace never exceeds 1/first_s). */
static int hb__sess_attempt(hb_session *s, double now) {
    s->next = now + s->delay_s * (1.0 + 0.25 * gsl_rng_uniform(s->jitter));
    s->delay_s = fmin(2.0 * s->delay_s, s->cfg.max_s);
    int rc = hb__sess_connect(s);
    if (rc == MOSQ_ERR_SUCCESS) {
        s->socket_up = true;
        s->handshake_until = now + s->cfg.handshake_s;
        return HB_OK;
    }
    if (hb_mqtt_fatal(rc)) {
        snprintf(s->err, sizeof s->err, "cannot connect to %s:%d: %s", s->cfg.mqtt->host,
                 s->cfg.mqtt->port, mosquitto_strerror(rc));
        return HB_ERR_IO;
    }
    snprintf(s->err, sizeof s->err, "%s",
             rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    if (s->cfg.on_retry) {
        s->cfg.on_retry(s->cfg.ud, s->err, s->next - now);
    }
    return HB_OK;
}

int hb_session_step(hb_session *s, int timeout_ms) {
    double now = hb_mono_now();
    if (!s->socket_up) {
        if (now >= s->next && hb__sess_attempt(s, now) != HB_OK) {
            return HB_ERR_IO;
        }
        if (!s->socket_up) {
            hb__sess_sleep(fmin(timeout_ms * 1e-3, s->next - now));
            return HB_OK;
        }
        s->err[0] = '\0';
    }
    int rc = mosquitto_loop(s->m, timeout_ms, 1);
    if (s->fatal) {
        snprintf(s->err, sizeof s->err, "broker %s:%d %s", s->cfg.mqtt->host, s->cfg.mqtt->port,
                 hb_mqtt_connack_text(s->fatal));
        return HB_ERR_IO;
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        if (hb_mqtt_fatal(rc)) {
            snprintf(s->err, sizeof s->err, "connection to %s:%d failed: %s", s->cfg.mqtt->host,
                     s->cfg.mqtt->port, mosquitto_strerror(rc));
            return HB_ERR_IO;
        }
        s->socket_up = false; /* the broker went away: the next attempt when it is due */
        s->connected = false;
        snprintf(s->err, sizeof s->err, "%s",
                 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    } else if (!s->connected && hb_mono_now() > s->handshake_until) {
        /* A socket that never gets its CONNACK (a hung broker, a proxy that holds it): drop it
         * and try again when the back-off says so. */
        snprintf(s->err, sizeof s->err, "no CONNACK within %.0f s", s->cfg.handshake_s);
        mosquitto_disconnect(s->m);
        s->socket_up = false;
    }
    return HB_OK;
}

bool hb_session_ready(const hb_session *s) {
    return s->connected && s->subacks >= s->n_subs;
}

bool hb_session_connected(const hb_session *s) {
    return s->connected;
}

double hb_session_ready_since(const hb_session *s) {
    return s->ready_since;
}

struct mosquitto *hb_session_client(hb_session *s) {
    return s->m;
}

void hb_session_hold(hb_session *s, double seconds) {
    double t = hb_mono_now() + seconds;
    s->next = s->next < t ? t : s->next;
}

int hb_session_wait_ack(hb_session *s, int mid, double timeout_s) {
    double until = hb_mono_now() + timeout_s;
    while (s->acked_mid != mid) {
        if (hb_mono_now() >= until || !s->socket_up ||
            mosquitto_loop(s->m, 10, 1) != MOSQ_ERR_SUCCESS) {
            return HB_ERR_IO;
        }
    }
    return HB_OK;
}

void hb_session_stop(hb_session *s, bool publish_will) {
    if (!s->connected) {
        return;
    }
    if (publish_will && s->cfg.will_topic &&
        mosquitto_publish(s->m, &s->will_mid, s->cfg.will_topic, (int)strlen(s->cfg.will_payload),
                          s->cfg.will_payload, 1, true) == MOSQ_ERR_SUCCESS) {
        (void)hb_session_wait_ack(s, s->will_mid, 2.0);
    }
    mosquitto_disconnect(s->m);
    s->connected = false;
    s->socket_up = false;
}

const char *hb_session_error(const hb_session *s) {
    return s->err;
}
