#define _POSIX_C_SOURCE 200809L
#include "hb_live.h"
#include "../mqtt/hb_session.h"
#include "../mqtt/hb_simclock.h"
#include "../sim/hb_energy.h"
#include "../util/hb_error.h"
#include "../util/hb_rng.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t hb__live_stop;

#define HB__TURN_S 60.0 /* simulated seconds a room advances at most per turn of the loop */

void hb_live_request_stop(void) {
    hb__live_stop = 1;
}

typedef struct hb__room {
    struct hb__live *live;
    int index;
    char name[HB_ROOM_MAX];
    char topic[256];
    hb_sim *sim;
} hb__room;

typedef struct hb__live {
    const hb_live_config *cfg;
    hb_session *sess;
    struct mosquitto *m; /* the session's client, for publishing */
    hb__room *rooms;
    hb_energy_plan
        plan; /* the scenario's energy floor, one for every room (seeds do not move it) */
    hb_live_stats st;
    unsigned long accounted; /* readings written or lost: published - accounted are queued */
    int clock_mid;           /* the clock tick not yet written (0: none) */
} hb__live;

static void hb__live_on_reading(void *ud, double t, const char *sensor_id, double value) {
    (void)t;
    hb__room *r = ud;
    char payload[160];
    int n = hb_payload_format_reading(payload, sizeof payload, sensor_id, value);
    /* QoS 0: a lost reading is superseded by the next one ten seconds later. */
    if (n < 0 ||
        mosquitto_publish(r->live->m, NULL, r->topic, n, payload, 0, false) != MOSQ_ERR_SUCCESS) {
        r->live->st.publish_errors++;
        return;
    }
    r->live->st.published++;
}

/* room-N -> N-1, or -1. */
static int hb__room_index(const char *name, int rooms) {
    if (strncmp(name, "room-", 5) != 0 || name[5] < '1' || name[5] > '9') {
        return -1;
    }
    char *end;
    long k = strtol(name + 5, &end, 10);
    return (*end == '\0' && k >= 1 && k <= rooms) ? (int)(k - 1) : -1;
}

static void hb__live_on_message(void *ud, const struct mosquitto_message *msg) {
    hb__live *l = ud;
    char name[HB_ROOM_MAX];
    int reason =
        hb_topic_room(l->cfg->actuator_topic, msg->topic ? msg->topic : "", "room-1", name);
    int idx = -1;
    if (reason == HB_DROP_NONE) {
        idx = hb__room_index(name, l->cfg->rooms);
        if (idx < 0) {
            reason = HB_DROP_BAD_TOPIC;
        }
    }
    int level = 0;
    if (reason == HB_DROP_NONE) {
        reason = msg->payloadlen < 0
                     ? HB_DROP_JSON
                     : hb_payload_level(msg->payload, (size_t)msg->payloadlen, &level);
    }
    if (reason != HB_DROP_NONE) {
        l->st.dropped[reason]++;
        return;
    }
    l->st.commands++;
    hb_sim_command(l->rooms[idx].sim, level);
}

static void hb__live_on_disconnect(void *ud, int rc, const mosquitto_property *props) {
    (void)rc;
    (void)props;
    hb__live *l = ud;
    /* QoS 0 readings still queued die with the connection: no callback will account for them. */
    l->st.lost += l->st.published - l->accounted;
    l->accounted = l->st.published;
    l->clock_mid = 0;
}

/* Called by the client once a QoS 0 reading is written to the socket (QoS 1 commands are not
 * ours to send). */
static void hb__live_on_publish(void *ud, int mid) {
    hb__live *l = ud;
    if (mid == l->clock_mid) { /* the clock's tick, not a reading */
        l->clock_mid = 0;
        return;
    }
    l->st.written++;
    l->accounted++;
}

static void hb__free_rooms(hb__live *l) {
    for (int i = 0; l->rooms && i < l->cfg->rooms; i++) {
        hb_sim_destroy(l->rooms[i].sim);
    }
    free(l->rooms);
    hb_energy_plan_free(&l->plan);
}

static int hb__make_rooms(hb__live *l, char *err, size_t errlen) {
    const hb_live_config *cfg = l->cfg;
    l->rooms = calloc((size_t)cfg->rooms, sizeof *l->rooms);
    /* Solved once here instead of once per room: a thousand rooms would otherwise start with a
     * thousand identical linear programs. Without a floor (a long run) the rooms report NaN. */
    (void)hb_energy_plan_solve(cfg->scenario, &l->plan);
    if (!l->rooms) {
        snprintf(err, errlen, "out of memory for %d rooms", cfg->rooms);
        return 1;
    }
    for (int i = 0; i < cfg->rooms; i++) {
        hb__room *r = &l->rooms[i];
        r->live = l;
        r->index = i;
        snprintf(r->name, sizeof r->name, "room-%d", i + 1);
        if (hb_topic_format(cfg->readings_topic, r->name, r->topic, sizeof r->topic) < 0) {
            snprintf(err, errlen, "readings topic too long");
            return 1;
        }
        hb_sim_config sc = *cfg->scenario;
        sc.plan = &l->plan;
        /* Rooms are independent: room-1 keeps the scenario's seed, the others derive theirs. */
        if (i > 0) {
            sc.seed = hb_rng_derive_seed(cfg->scenario->seed, r->name) >> 11;
        }
        int rc = hb_sim_create(&sc, &r->sim);
        if (rc != HB_OK) {
            snprintf(err, errlen, "cannot set up %s: %s", r->name, hb_strerror(rc));
            return 1;
        }
        if (i == 0 && cfg->trace) {
            hb_sim_set_trace(r->sim, cfg->trace);
        }
        hb_sim_set_external(r->sim, hb__live_on_reading, r);
    }
    return 0;
}

/* A run stopped before the scenario's end (SIGINT, SIGTERM) is compared with the energy
 * references of the time it ran, not of the whole scenario: 4 kWh in 5 hours set against a
 * 48-hour floor is a ratio that means nothing. The floor and the ideal are solved again for the
 * hours run, as `heatbench run --hours H` solves them, so the two agree. */
static void hb__live_rereference(const hb__live *l, hb_kpis *k) {
    const hb_sim *s = l->rooms[0].sim;
    double ran_h = (hb_sim_now(s) - l->cfg->scenario->plant.t_start_s) / 3600.0;
    if (hb_sim_now(s) >= hb_sim_end_time(s) - 1e-6) {
        return;
    }
    hb_sim_config c = *l->cfg->scenario;
    c.duration_h = ran_h;
    c.plan = NULL;
    hb_energy_plan p = {0};
    bool ok = ran_h > 0 && hb_energy_plan_solve(&c, &p) == HB_OK;
    k->energy_floor_kwh = ok ? p.floor_kwh : NAN;
    k->energy_ideal_kwh = ok ? p.ideal_kwh : NAN;
    k->energy_ratio = ok && p.floor_kwh > 0 ? k->energy_kwh / p.floor_kwh : NAN;
    if (ran_h > 0) {
        hb_energy_plan_free(&p);
    }
}

/* Finishes every room: the discomfort over all of them into the stats, room-1's KPIs into
 * ROOM1 (NULL: not wanted). 0, or 1 with a message in ERR. */
static int hb__live_results(hb__live *l, hb_kpis *room1, char *err, size_t errlen) {
    int status = 0;
    double sum = 0;
    double worst = 0;
    int counted = 0;
    for (int i = 0; i < l->cfg->rooms; i++) {
        int rc = hb_sim_finish(l->rooms[i].sim);
        if (rc != HB_OK) {
            snprintf(err, errlen, "%s: %s", l->rooms[i].name, hb_strerror(rc));
            status = 1;
        }
        double d = hb_sim_kpis(l->rooms[i].sim)->discomfort_kh;
        if (isfinite(d)) { /* NaN: a run shorter than the warm-up has no discomfort yet */
            sum += d;
            counted++;
            worst = d > worst ? d : worst;
        }
    }
    l->st.mean_discomfort_kh = counted ? sum / counted : NAN;
    l->st.worst_discomfort_kh = worst;
    if (room1) {
        *room1 = *hb_sim_kpis(l->rooms[0].sim);
        hb__live_rereference(l, room1);
    }
    return status;
}

int hb_live_run(const hb_live_config *cfg, hb_kpis *room1, hb_live_stats *stats, char *err,
                size_t errlen) {
    hb__live l = {.cfg = cfg};
    hb__live_stop = 0;
    int status = 0;
    if (hb__make_rooms(&l, err, errlen) != 0) {
        hb__free_rooms(&l);
        return 1;
    }
    /* Retries from 0.5 s up to 5 s: a lost broker costs at most two attempts a second. */
    hb_session_config sc = {.mqtt = &cfg->mqtt,
                            .first_s = 0.5,
                            .max_s = 5.0,
                            .ud = &l,
                            .on_message = hb__live_on_message,
                            .on_disconnect = hb__live_on_disconnect,
                            .on_publish = hb__live_on_publish,
                            .err = err,
                            .errlen = errlen};
    if (hb_session_create(&sc, &l.sess) != HB_OK) {
        hb__free_rooms(&l);
        return 1;
    }
    l.m = hb_session_client(l.sess);
    if (hb_session_subscribe(l.sess, cfg->actuator_topic, 1) != HB_OK) {
        snprintf(err, errlen, "out of memory");
        status = 1;
        goto out;
    }

    /* Wait for the broker and the subscription before the clock starts, so no command is lost. */
    double deadline = hb_mono_now() + cfg->connect_timeout_s;
    int rc;
    while (!hb__live_stop && !hb_session_ready(l.sess)) {
        if (hb_mono_now() > deadline) {
            snprintf(err, errlen, "no connection to %s:%d within %.0f s (%s)", cfg->mqtt.host,
                     cfg->mqtt.port, cfg->connect_timeout_s, hb_session_error(l.sess));
            status = 1;
            goto out;
        }
        if (hb_session_step(l.sess, 100) != HB_OK) {
            snprintf(err, errlen, "%s", hb_session_error(l.sess));
            status = 1;
            goto out;
        }
    }
    if (!hb_session_ready(l.sess)) {
        snprintf(err, errlen, "interrupted before the broker at %s:%d answered", cfg->mqtt.host,
                 cfg->mqtt.port);
        status = 1;
        goto out;
    }
    double w0 = hb_mono_now();
    double t0 = hb_sim_now(l.rooms[0].sim);
    double t_end = hb_sim_end_time(l.rooms[0].sim);
    double stall_from = NAN; /* wall time back-pressure began, NaN when flowing */
    int next_room = 0;       /* rooms advance from a rotating start: none always lags */
    bool behind = false;     /* the last turn left rooms short of its target */
    double target = t0;
    double next_clock = t0; /* the next publication of the simulated clock */
    while (!hb__live_stop) {
        bool socket_up = hb_session_connected(l.sess);
        unsigned long queued = l.st.published - l.accounted;
        bool full = (cfg->max_queue > 0 && socket_up && queued > cfg->max_queue) || behind;
        if (full && isnan(stall_from)) {
            stall_from = hb_mono_now();
        } else if (!full && !isnan(stall_from)) {
            /* Simulated time stood still: the wall clock it follows moves on by the stall. */
            double stalled = hb_mono_now() - stall_from;
            w0 += stalled;
            l.st.stalled_s += stalled;
            stall_from = NAN;
        }
        if (!full || target <= t0) {
            target = t0 + (hb_mono_now() - w0) * cfg->speed;
        } /* else: the rooms left behind catch up with the last target first */
        if (target > t_end) {
            target = t_end;
        }
        /* Each room up to the target, unless the queue fills: then the rest wait for the next
         * turn (they catch up once it drains), so the queue never grows by more than what one
         * room produces in one turn. */
        behind = false;
        bool catching_up = false; /* a room is more than a turn's simulated time behind */
        bool drained =
            !(cfg->max_queue > 0 && socket_up && l.st.published - l.accounted > cfg->max_queue);
        for (int k = 0; k < cfg->rooms && drained; k++) {
            int i = (next_room + k) % cfg->rooms;
            if (cfg->max_queue > 0 && socket_up && l.st.published - l.accounted > cfg->max_queue) {
                behind = true;
                next_room = i;
                break;
            }
            /* At most a minute of simulated time per room and turn: the queue then grows by
             * at most a minute of one room's readings past its bound. */
            double to = fmin(target, hb_sim_now(l.rooms[i].sim) + HB__TURN_S);
            catching_up = catching_up || to < target;
            rc = hb_sim_advance(l.rooms[i].sim, to);
            if (rc != HB_OK) {
                snprintf(err, errlen, "%s: simulation failed: %s", l.rooms[i].name,
                         hb_strerror(rc));
                status = 1;
                goto out;
            }
        }
        queued = l.st.published - l.accounted;
        if (queued > l.st.max_queued) {
            l.st.max_queued = queued;
        }
        behind = behind || !drained;
        double now_sim = hb_sim_now(l.rooms[0].sim);
        if (cfg->clock_topic && socket_up && now_sim >= next_clock && l.clock_mid == 0) {
            /* One tick in flight at most: its mid tells the write callback it is no reading.
             * The client sets the mid before it writes (and may call back within the call). */
            char payload[64];
            int n = hb_payload_format_clock(payload, sizeof payload, now_sim); /* fits */
            if (mosquitto_publish(l.m, &l.clock_mid, cfg->clock_topic, n, payload, 0, false) !=
                MOSQ_ERR_SUCCESS) {
                l.clock_mid = 0;
            }
            next_clock = now_sim + HB_SIMCLOCK_TICK_S;
        }
        if (target >= t_end && !behind && !catching_up) {
            break;
        }
        /* Broker gone: keep simulating (readings are lost, as they would be) while the
         * session retries with back-off, waiting at most 10 ms (the pace of the simulated
         * clock) instead of spinning on a dead socket. */
        if (hb_session_step(l.sess, socket_up ? 2 : 10) != HB_OK) {
            snprintf(err, errlen, "connection failed: %s", hb_session_error(l.sess));
            status = 1;
            goto out;
        }
    }
    /* Let queued readings out and late commands in before closing. */
    double drain_until = hb_mono_now() + 5.0;
    while (hb_session_connected(l.sess) && l.accounted < l.st.published &&
           hb_mono_now() < drain_until) {
        (void)hb_session_step(l.sess, 10);
    }
    hb_session_stop(l.sess, false);
    l.st.lost += l.st.published - l.accounted; /* what could not be written in time */
    l.accounted = l.st.published;

    status |= hb__live_results(&l, room1, err, errlen);
    l.st.wall_s = hb_mono_now() - w0 + l.st.stalled_s;
    l.st.sim_h = (hb_sim_now(l.rooms[0].sim) - t0) / 3600.0;
out:
    if (stats) {
        *stats = l.st;
    }
    hb_session_destroy(l.sess);
    hb__free_rooms(&l);
    return status;
}
