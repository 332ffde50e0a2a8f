/*
 * The room table of `heatbench control` under a flood of new rooms: fills the table with N rooms
 * (one reading each), then measures how many readings of rooms it has never seen it handles per
 * second, each taking the place of the room idle the longest, while the quarter-second sweep runs
 * as in the daemon's loop.
 *
 *   bench_rooms --port P [--rooms N] [--seconds S] [--reps R] [--every] [--idle S]
 *
 * The readings go straight into the daemon's message handler (hb_ctl_on_message), in process:
 * what is measured is the daemon's own work, not a broker's. What the daemon publishes (commands,
 * announcements, states, withdrawals of evicted rooms) goes to a real broker on port P, so that
 * publishing succeeds as in production. --every visits every room at every sweep, as the daemon
 * did before the due times, through the same visit functions (the "before" of the comparison).
 * --idle S: rooms idle for S controller seconds may be evicted (default 1e-6: every new room
 * takes an old one's place; 86400 measures refusals against a table of active rooms).
 * Each repetition lasts at least S seconds (default 3: a dozen sweeps). Prints one JSON line per
 * repetition and one with the medians.
 */
#define _POSIX_C_SOURCE 200809L
#include "../daemon/hb_ctl.h"
#include "../mqtt/hb_session.h"
#include "../sim/hb_sim.h"
#include "../util/hb_numeric.h"

#include <math.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    hb_ctl c;
    bool every;
    double next_sweep;
    double sweep_s; /* wall time in the sweeps */
    unsigned long sweeps, n;
} bench_t;

/* What the daemon's loop does between two messages: the client's I/O, and the sweep when a
 * quarter second has passed. */
static void pump(bench_t *b) {
    (void)hb_session_step(b->c.sess, 0);
    double now = hb_mono_now();
    b->c.week_s = hb_ctl_week_now(&b->c);
    if (now >= b->next_sweep) {
        hb_ctl_sweep(&b->c, b->every);
        b->next_sweep = now + 0.25;
        b->sweeps++;
        b->sweep_s += hb_mono_now() - now;
    }
}

static void deliver(bench_t *b, const char *prefix, unsigned long i) {
    char topic[96];
    char payload[96];
    snprintf(topic, sizeof topic, "/readings/%s%lu/temperature", prefix, i);
    int n = hb_payload_format_reading(payload, sizeof payload, "s1", 20.0 + (double)(i % 7) * 0.1);
    struct mosquitto_message msg = {
        .topic = topic, .payload = payload, .payloadlen = n, .qos = 0, .retain = false};
    hb_ctl_on_message(&b->c, &msg);
    if (++b->n % 32 == 0) {
        pump(b);
    }
}

/* CPU seconds of this process: on a shared machine, steadier than the wall clock. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static int setup(bench_t *b, hb_control_config *cfg, hb_sim_config *sim, int port,
                 unsigned long rooms, double idle) {
    hb_control_config_default(cfg);
    cfg->max_rooms = rooms;
    cfg->room_idle_s = idle;
    hb_sim_config_default(sim);
    cfg->ctl = sim->controller;
    cfg->mqtt.host = "127.0.0.1";
    cfg->mqtt.port = port;
    cfg->week_start_s = 0;
    cfg->log_interval_s = 3600;
    hb_ctl *c = &b->c;
    *c = (hb_ctl){.cfg = cfg, .t_decide = NAN, .week_swept = NAN};
    snprintf(c->leader_topic, sizeof c->leader_topic, "%s/leader", cfg->status_topic);
    snprintf(c->ctl_sub, sizeof c->ctl_sub, "%s/+/ctl", cfg->prefix);
    snprintf(c->cmd_sub, sizeof c->cmd_sub, "%s/+/+/set", cfg->prefix);
    char err[256];
    hb_room_prefs_default(&c->home.defaults, cfg->ctl.setpoint_c, &cfg->ctl);
    if (hb_room_prefs_finish(&c->home.defaults, err, sizeof err) != HB_OK) {
        fprintf(stderr, "bench_rooms: %s\n", err);
        return 1;
    }
    c->ha = (hb_ha_ctx){.prefix = cfg->prefix,
                        .discovery_prefix = cfg->discovery_prefix,
                        .status_topic = cfg->status_topic,
                        .version = "bench"};
    c->rooms = hb_rooms_create(cfg->max_rooms, cfg->room_idle_s, &c->home.defaults.ctl);
    if (!c->rooms || hb_ctl_pending_reset(c) != HB_OK) {
        fprintf(stderr, "bench_rooms: out of memory\n");
        return 1;
    }
    hb_rooms_set_hooks(c->rooms, &(hb_rooms_hooks){.created = hb_ctl_room_created,
                                                   .removing = hb_ctl_room_removing,
                                                   .ud = c});
    c->t0 = hb_mono_now();
    c->week_s = hb_ctl_week_now(c);
    /* The leader, with a lease that holds for the run. */
    c->active = c->decided = true;
    c->lease_s = 1e9;
    c->t_lease = c->t_led = hb_ctl_boot_now();
    /* The programs' own session, without the daemon's callbacks: only publishing is needed. */
    hb_session_config sc = {.mqtt = &cfg->mqtt, .ud = b, .err = err, .errlen = sizeof err};
    if (hb_mqtt_opts_finish(&cfg->mqtt, err, sizeof err) != HB_OK ||
        hb_session_create(&sc, &c->sess) != HB_OK) {
        fprintf(stderr, "bench_rooms: %s\n", err);
        return 1;
    }
    c->m = hb_session_client(c->sess);
    double give_up = hb_mono_now() + 5.0;
    while (!hb_session_ready(c->sess) && hb_mono_now() < give_up &&
           hb_session_step(c->sess, 20) == HB_OK) {
    }
    if (!hb_session_ready(c->sess)) {
        fprintf(stderr, "bench_rooms: no broker on port %d (%s)\n", port,
                hb_session_error(c->sess));
        return 1;
    }
    c->connected = true;
    return 0;
}

int main(int argc, char **argv) {
    int port = 0;
    unsigned long rooms = 100000;
    double seconds = 3;
    int reps = 5;
    double idle = 1e-6;
    bool every = false;
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--port") == 0 && more) {
            port = atoi(argv[++i]); /* NOLINT(cert-err34-c): a benchmark's own arguments */
        } else if (strcmp(argv[i], "--rooms") == 0 && more) {
            rooms = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--seconds") == 0 && more) {
            seconds = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--reps") == 0 && more) {
            reps = atoi(argv[++i]); /* NOLINT(cert-err34-c) */
        } else if (strcmp(argv[i], "--idle") == 0 && more) {
            idle = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--every") == 0) {
            every = true;
        } else {
            fprintf(stderr, "usage: bench_rooms --port P [--rooms N] [--seconds S] [--reps R] "
                            "[--every] [--idle S]\n");
            return 2;
        }
    }
    if (port <= 0 || rooms < 1 || !(seconds > 0) || reps < 1 || reps > 99) {
        fprintf(stderr, "bench_rooms: --port is needed; counts must be positive\n");
        return 2;
    }
    mosquitto_lib_init();
    static bench_t b;
    hb_control_config cfg;
    hb_sim_config sim;
    b.every = every;
    if (setup(&b, &cfg, &sim, port, rooms, idle) != 0) {
        return 1;
    }
    double t0 = hb_mono_now();
    for (unsigned long i = 0; i < rooms; i++) {
        deliver(&b, "fill-", i);
    }
    double fill_s = hb_mono_now() - t0;
    double rate[100];
    double cpu_rate[100];
    double sweep_ms[100];
    unsigned long next = 0;
    for (int r = 0; r < reps; r++) {
        unsigned long sweeps0 = b.sweeps;
        double sweep0 = b.sweep_s;
        double s0 = hb_mono_now();
        double c0 = cpu_now();
        unsigned long readings = 0;
        double s;
        do {
            for (int i = 0; i < 1000; i++) {
                deliver(&b, "new-", next++);
            }
            readings += 1000;
            s = hb_mono_now() - s0;
        } while (s < seconds);
        rate[r] = (double)readings / s;
        cpu_rate[r] = (double)readings / (cpu_now() - c0);
        unsigned long sweeps = b.sweeps - sweeps0;
        sweep_ms[r] = sweeps ? (b.sweep_s - sweep0) * 1e3 / (double)sweeps : 0;
        printf("{\"rooms\":%lu,\"mode\":\"%s\",\"rep\":%d,\"readings\":%lu,\"readings_per_s\":%.0f,"
               "\"readings_per_cpu_s\":%.0f,\"sweeps\":%lu,\"sweep_ms\":%.2f,\"table\":%zu}\n",
               rooms, every ? "every" : "due", r + 1, readings, rate[r], cpu_rate[r], sweeps,
               sweep_ms[r], hb_rooms_count(b.c.rooms));
    }
    qsort(rate, (size_t)reps, sizeof rate[0], cmp_double);
    qsort(cpu_rate, (size_t)reps, sizeof cpu_rate[0], cmp_double);
    qsort(sweep_ms, (size_t)reps, sizeof sweep_ms[0], cmp_double);
    printf("{\"rooms\":%lu,\"mode\":\"%s\",\"idle_s\":%g,\"fill_s\":%.2f,\"median_readings_per_s\":"
           "%.0f,\"median_readings_per_cpu_s\":%.0f,\"fill_readings_per_s\":%.0f,\"median_sweep_"
           "ms\":%.2f,"
           "\"reps\":%d,\"evicted\":%lu,\"dropped_cap\":%lu,"
           "\"commands\":%lu,\"publish_errors\":%lu}\n",
           rooms, every ? "every" : "due", idle, fill_s, rate[reps / 2], cpu_rate[reps / 2],
           (double)rooms / fill_s, sweep_ms[reps / 2], reps, hb_rooms_evicted(b.c.rooms),
           b.c.st.dropped[HB_DROP_ROOM_CAP], b.c.st.commands, b.c.st.publish_errors);
    hb_session_stop(b.c.sess, false);
    hb_session_destroy(b.c.sess);
    hb_rooms_set_hooks(b.c.rooms, &(hb_rooms_hooks){0});
    hb_rooms_destroy(b.c.rooms);
    hb_ctl_pending_free(&b.c);
    mosquitto_lib_cleanup();
    return 0;
}
