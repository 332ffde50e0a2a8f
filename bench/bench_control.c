/*
 * Load generator for `heatbench control`: publishes readings for N rooms (5 sensors each) through
 * a broker and listens to the commands that come back.
 *
 *   bench_control --port P --rooms N --rate R --seconds S [--username U --password-file F]
 *
 * R = 0 publishes as fast as the connection takes them (throughput); R > 0 paces the readings
 * evenly. With --swing 1 each room has one sensor whose readings alternate between 18 and 26 °C,
 * so a controller without filter, deadband or minimum interval (bench/answer-every-reading.json)
 * answers every reading with a new level; the time from a reading to the first command after it
 * is then the reading -> command latency. Prints one JSON line.
 *
 * It talks to the broker through the programs' own MQTT session (mqtt/hb_session.h) in one
 * thread: between readings it runs the session's network loop instead of sleeping, so a command
 * is timed when it arrives, not when the next reading is due.
 */
#define _POSIX_C_SOURCE 200809L
#include "../mqtt/hb_mqtt.h"
#include "../mqtt/hb_payload.h"
#include "../mqtt/hb_session.h"
#include "../util/hb_error.h"
#include "../util/hb_numeric.h"

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int rooms;
    double *last_sent; /* per room; 0 once its command has been timed */
    double *lat;       /* latencies, s */
    size_t n_lat, cap_lat;
    unsigned long commands;
} bench_t;

static void on_message(void *ud, const struct mosquitto_message *msg) {
    bench_t *b = ud;
    double now = hb_mono_now();
    const char *p = strrchr(msg->topic, '-');
    int room = p ? atoi(p + 1) - 1 : -1; /* NOLINT(cert-err34-c): our own topics */
    b->commands++;
    if (room < 0 || room >= b->rooms || b->last_sent[room] <= 0) {
        return;
    }
    if (b->n_lat == b->cap_lat) {
        size_t cap = b->cap_lat ? 2 * b->cap_lat : 4096;
        double *l = realloc(b->lat, cap * sizeof *l);
        if (!l) {
            return;
        }
        b->lat = l;
        b->cap_lat = cap;
    }
    b->lat[b->n_lat++] = now - b->last_sent[room];
    b->last_sent[room] = 0; /* time only the first command after a reading */
}

/* Runs the network loop until DUE (monotonic s): a command that comes meanwhile is handled at
 * once. The last fraction of a millisecond is slept, since the loop's timeout is in ms. */
static void wait_until(hb_session *s, double due) {
    for (;;) {
        double d = due - hb_mono_now();
        if (d <= 0) {
            return;
        }
        if (d >= 1e-3) {
            (void)hb_session_step(s, (int)(d * 1e3));
        } else {
            struct timespec ts = {0, (long)(d * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
}

int main(int argc, char **argv) {
    hb_mqtt_opts o;
    hb_mqtt_opts_init(&o, "heatbench-bench");
    bench_t b = {.rooms = 1000};
    double rate = 0;
    double seconds = 10;
    int swing = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        const char *v = argv[i + 1];
        if (!strcmp(k, "--port")) {
            o.port = (int)strtol(v, NULL, 10);
        } else if (!strcmp(k, "--host")) {
            o.host = v;
        } else if (!strcmp(k, "--rooms")) {
            b.rooms = (int)strtol(v, NULL, 10);
        } else if (!strcmp(k, "--rate")) {
            rate = strtod(v, NULL);
        } else if (!strcmp(k, "--swing")) {
            swing = (int)strtol(v, NULL, 10);
        } else if (!strcmp(k, "--seconds")) {
            seconds = strtod(v, NULL);
        } else if (!strcmp(k, "--username")) {
            o.username = v;
        } else if (!strcmp(k, "--password-file")) {
            o.password_file = v;
        } else {
            fprintf(stderr, "bench_control: unknown option %s\n", k);
            return 2;
        }
    }
    char err[256];
    if (b.rooms < 1 || hb_mqtt_opts_finish(&o, err, sizeof err) != 0) {
        fprintf(stderr, "bench_control: bad options %s\n", err);
        return 2;
    }
    b.last_sent = calloc((size_t)b.rooms, sizeof *b.last_sent);
    mosquitto_lib_init();
    hb_session_config sc = {
        .mqtt = &o, .ud = &b, .on_message = on_message, .err = err, .errlen = sizeof err};
    hb_session *s = NULL;
    if (!b.last_sent || hb_session_create(&sc, &s) != HB_OK ||
        hb_session_subscribe(s, "/actuators/+", 0) != HB_OK) {
        fprintf(stderr, "bench_control: %s\n", b.last_sent ? err : "out of memory");
        hb_session_destroy(s);
        free(b.last_sent);
        return 1;
    }
    struct mosquitto *m = hb_session_client(s);
    double give_up = hb_mono_now() + 2.0;
    while (!hb_session_ready(s) && hb_mono_now() < give_up) {
        if (hb_session_step(s, 20) != HB_OK) {
            break;
        }
    }
    if (!hb_session_ready(s)) {
        fprintf(stderr, "bench_control: cannot connect (%s)\n", hb_session_error(s));
        hb_session_destroy(s);
        free(b.last_sent);
        return 1;
    }
    double t0 = hb_mono_now();
    unsigned long sent = 0;
    char topic[128];
    char payload[160];
    while (hb_mono_now() - t0 < seconds) {
        if (rate > 0) {
            wait_until(s, t0 + (double)sent / rate);
        } else {
            (void)hb_session_step(s, 0); /* the commands that came meanwhile */
        }
        int room = (int)(sent % (unsigned long)b.rooms);
        unsigned long round = sent / (unsigned long)b.rooms;
        int sensor = swing ? 1 : (int)(round % 5) + 1;
        double value = swing ? ((round % 2) ? 26.0 : 18.0) : 21.0 + 0.1 * (double)(sent % 7);
        snprintf(topic, sizeof topic, "/readings/room-%d/temperature", room + 1);
        char id[16];
        snprintf(id, sizeof id, "sensor-%d", sensor);
        int n = hb_payload_format_reading(payload, sizeof payload, id, value);
        b.last_sent[room] = hb_mono_now();
        int rc = mosquitto_publish(m, NULL, topic, n, payload, 0, false);
        if (rc == MOSQ_ERR_SUCCESS) {
            sent++;
        } else {
            wait_until(s, hb_mono_now() + 1e-3);
        }
    }
    double elapsed = hb_mono_now() - t0;
    wait_until(s, hb_mono_now() + 1.0); /* the last commands */
    hb_session_stop(s, false);
    hb_sort_doubles(b.lat, b.n_lat);
    double p50 = b.n_lat ? b.lat[b.n_lat / 2] : -1;
    double p99 = b.n_lat ? b.lat[(size_t)((double)b.n_lat * 0.99)] : -1;
    printf("{\"rooms\":%d,\"sent\":%lu,\"seconds\":%.2f,\"sent_per_s\":%.0f,\"commands\":%lu,"
           "\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f}\n",
           b.rooms, sent, elapsed, (double)sent / elapsed, b.commands, p50 * 1e3, p99 * 1e3);
    hb_session_destroy(s);
    mosquitto_lib_cleanup();
    free(b.last_sent);
    free(b.lat);
    return 0;
}
