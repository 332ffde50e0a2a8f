#include "hb_sim.h"
#include "../util/hb_error.h"
#include "../engine/hb_engine.h"
#include "../metrics/hb_trace.h"
#include "hb_belief.h"
#include "hb_energy.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(HB_MAX_SENSORS <= HB_TRACE_MAX_SENSORS, "a trace row holds every sensor");

/* A reading in flight between a sensor and the controller. */
typedef struct hb__msg {
    int sensor;
    double value;
    int next_free;
} hb__msg;

struct hb_sim {
    hb_sim_config cfg;
    hb_engine *eng;
    hb_plant *plant;
    hb_room_ctl *ctl;
    hb_sensor sensors[HB_MAX_SENSORS];
    hb_netlink links[HB_MAX_SENSORS]; /* one readings link per sensor: own loss/delay stream */
    hb_netlink cmd_link;
    double last_reading[HB_MAX_SENSORS];       /* latest published value, NaN before the first */
    hb_fusion_ref fusion_refs[HB_MAX_SENSORS]; /* each sensor's slot in the controller's fusion */
    hb__msg *msgs;
    int n_msgs, free_msg;
    int level_cmd; /* latest command published by the controller, -1 before the first */
    FILE *trace;
    int trace_error;
    bool started;
    /* External control (heatbench live): readings go to this callback, commands come in
     * through hb_sim_command, and the internal controller stays idle. */
    hb_sim_reading_fn ext_reading;
    void *ext_ud;
    long trace_every; /* plant steps per trace row */
    hb_kpis k;
    hb_kpi_comfort comfort;  /* on the plant grid, from the true air temperature */
    hb_energy_plan own_plan; /* solved at create when the configuration brings none */
    const hb_energy_plan *plan;
    bool scheduled;      /* the configuration has setpoint periods */
    double ctl_setpoint; /* the setpoint the controller holds now */
    /* Overrides from outside (heatbench serve): NaN when the controller's own value acts. */
    double valve_override, setpoint_override;
    hb_bkpi bkpi;      /* BOPTEST's KPIs */
    int level_arrived; /* the latest command that reached the valve, -1 before the first */
    double window_e0, window_t0; /* running 15-minute window for peak power */
    double t_failsafe_since;
    double failsafe_s; /* closed fail-safe intervals */
    double spans[HB_SIM_MAX_SPANS][2];
    size_t n_spans;
    double e_stored0;
    hb_belief belief; /* the model-based controllers' environment */
    bool has_env;     /* the controller was given it */
    /* Readings handled at their arrival without a trip through the queue (hb__deliver): still
     * events of the run, counted with the engine's. */
    uint64_t direct;
    double run_end; /* the time the engine runs to now (hb_sim_advance) */
    /* KPIs per interval (hb_sim_set_interval): the interval's own comfort, and the run's
     * counters at its start to subtract. */
    hb_sim_interval_fn iv_fn;
    void *iv_ud;
    double iv_len, iv_t0, iv_peak_w;
    hb_kpi_comfort iv_comfort;
    hb_kpis iv_k0;
    double iv_e0, iv_travel0, iv_failsafe0;
};

/* ---- messages ------------------------------------------------------------------------------ */

static int hb__msg_alloc(hb_sim *s) {
    if (s->free_msg < 0) {
        int n = s->n_msgs ? s->n_msgs * 2 : 64;
        hb__msg *m = realloc(s->msgs, (size_t)n * sizeof *m);
        if (!m) {
            return -1;
        }
        for (int i = s->n_msgs; i < n; i++) {
            m[i].next_free = (i + 1 < n) ? i + 1 : -1;
        }
        s->msgs = m;
        s->free_msg = s->n_msgs;
        s->n_msgs = n;
    }
    int i = s->free_msg;
    s->free_msg = s->msgs[i].next_free;
    return i;
}

static void hb__msg_free(hb_sim *s, int i) {
    s->msgs[i].next_free = s->free_msg;
    s->free_msg = i;
}

/* ---- KPIs on the plant grid ---------------------------------------------------------------- */

/* Events of the run so far: those the engine dispatched and the readings delivered directly. */
static uint64_t hb__events(const hb_sim *s) {
    return hb_engine_dispatched(s->eng) + s->direct;
}

/* Fail-safe time so far, the open span included. */
static double hb__failsafe_s(const hb_sim *s, double t) {
    bool fs = s->ctl && hb_room_ctl_failsafe(s->ctl);
    return s->failsafe_s + (fs ? t - s->t_failsafe_since : 0.0);
}

/* Starts an interval at T: its own comfort accumulator and the counters to subtract. */
static void hb__interval_open(hb_sim *s, double t) {
    const hb_plant_state *st = hb_plant_cur(s->plant);
    double warm = s->cfg.plant.t_start_s + s->cfg.warmup_h * 3600.0;
    s->iv_t0 = t;
    s->iv_peak_w = 0.0;
    hb_kpi_comfort_init(&s->iv_comfort, t > warm ? t : warm);
    s->iv_k0 = s->k;
    s->iv_e0 = st->e_water_j;
    s->iv_travel0 = hb_plant_travel(s->plant);
    s->iv_failsafe0 = hb__failsafe_s(s, t);
}

/* Closes the interval at T and hands its KPIs over. */
static void hb__interval_close(hb_sim *s, double t) {
    const hb_plant_state *st = hb_plant_cur(s->plant);
    hb_kpis k = {0};
    hb_kpi_comfort_finish(&s->iv_comfort, &k);
    k.energy_kwh = (st->e_water_j - s->iv_e0) / 3.6e6;
    k.energy_floor_kwh = k.energy_ideal_kwh = k.energy_ratio = NAN;
    k.peak_power_w = s->iv_peak_w;
    k.valve_travel_pct = hb_plant_travel(s->plant) - s->iv_travel0;
    k.actuator_msgs = s->k.actuator_msgs - s->iv_k0.actuator_msgs;
    k.commands_lost = s->k.commands_lost - s->iv_k0.commands_lost;
    k.readings_published = s->k.readings_published - s->iv_k0.readings_published;
    k.readings_lost = s->k.readings_lost - s->iv_k0.readings_lost;
    k.failsafe_h = (hb__failsafe_s(s, t) - s->iv_failsafe0) / 3600.0;
    k.events = hb__events(s) - s->iv_k0.events;
    s->iv_fn(s->iv_ud, s->iv_t0, t, &k);
}

/* The setpoint and band in force at T. */
static void hb__setpoint(const hb_sim *s, double t, hb_setpoint *sp) {
    hb_schedule_at(s->scheduled ? &s->cfg.schedule : NULL, s->cfg.setpoint_c, s->cfg.comfort_band_k,
                   t, sp);
}

/* A BOPTEST sample at the end of the plant step A..B: the step's mean water heat as the power, the
 * comfort band only after the warm-up (a band of ±inf before it counts no discomfort). */
static void hb__bkpi_step(hb_sim *s, const hb_plant_state *a, const hb_plant_state *b,
                          const hb_setpoint *sp) {
    const hb_bkpi_config *bc = &s->cfg.boptest;
    bool warm = b->t < s->cfg.plant.t_start_s + s->cfg.warmup_h * 3600.0;
    hb_bkpi_sample k = {.t = b->t,
                        .t_air = b->t_air,
                        .t_lo = warm ? -INFINITY : sp->lo_c,
                        .t_hi = warm ? INFINITY : sp->hi_c};
    if (!s->bkpi.started) { /* the first sample: the state at the start, no heat yet */
        hb_bkpi_sample k0 = k;
        k0.t = a->t;
        k0.t_air = a->t_air;
        hb_bkpi_add(&s->bkpi, &k0);
    }
    double p = b->t > a->t ? (b->e_water_j - a->e_water_j) / (b->t - a->t) : 0.0;
    k.power[bc->source] = p;
    k.price[bc->source] = bc->price_per_kwh;
    k.emission[bc->source] = bc->emission_kg_per_kwh;
    hb_bkpi_add(&s->bkpi, &k);
}

void hb_sim_boptest(const hb_sim *s, hb_bkpi_out *out) {
    hb_bkpi_result(&s->bkpi, out);
}

void hb_sim_boptest_restart(hb_sim *s) {
    const hb_bkpi_config *bc = &s->cfg.boptest;
    bool src[HB_BKPI_NSRC] = {false};
    src[bc->source] = true;
    hb_bkpi_init(&s->bkpi, bc->floor_area_m2, false, src);
}

static void hb__kpi_step(hb_sim *s) {
    const hb_plant_state *a = hb_plant_prev(s->plant);
    const hb_plant_state *b = hb_plant_cur(s->plant);
    /* Peak power: mean water heat over consecutive 15-minute windows. */
    if (b->t - s->window_t0 >= 900.0 - 1e-9) {
        double pw = (b->e_water_j - s->window_e0) / (b->t - s->window_t0);
        if (pw > s->k.peak_power_w) {
            s->k.peak_power_w = pw;
        }
        if (pw > s->iv_peak_w) {
            s->iv_peak_w = pw;
        }
        s->window_t0 = b->t;
        s->window_e0 = b->e_water_j;
    }
    /* The interval is judged against what is in force at its end, as a trace row holds it. */
    hb_setpoint sp;
    hb__setpoint(s, b->t, &sp);
    hb_kpi_comfort_step(&s->comfort, a->t, a->t_air, b->t, b->t_air, sp.setpoint_c, sp.lo_c,
                        sp.hi_c);
    hb__bkpi_step(s, a, b, &sp);
    if (s->iv_fn) {
        hb_kpi_comfort_step(&s->iv_comfort, a->t, a->t_air, b->t, b->t_air, sp.setpoint_c, sp.lo_c,
                            sp.hi_c);
        if (b->t >= s->iv_t0 + s->iv_len - 1e-6) {
            s->k.events = hb__events(s);
            hb__interval_close(s, b->t);
            hb__interval_open(s, b->t);
        }
    }
}

/* ---- trace ---------------------------------------------------------------------------------- */

static void hb__trace_row(hb_sim *s) {
    const hb_plant_state *st = hb_plant_cur(s->plant);
    hb_setpoint sp;
    hb__setpoint(s, st->t, &sp);
    hb_trace_row r = {
        .time_s = st->t,
        .t_out = st->t_out,
        .t_air = st->t_air,
        .t_mass = st->t_mass,
        .t_rad = st->t_rad_mean,
        .sensors = s->last_reading,
        .n_sensors = s->cfg.n_sensors,
        .t_est = hb_room_ctl_estimate(s->ctl),
        .setpoint = sp.setpoint_c,
        .band_lo = sp.lo_c,
        .band_hi = sp.hi_c,
        .level_cmd = s->level_cmd < 0 ? NAN : (double)s->level_cmd,
        .valve_pos = st->valve_pos,
        .q_rad_w = st->q_rad_w,
        .energy_kwh = st->e_water_j / 3.6e6,
        .floor_kwh = hb_energy_floor_at(s->plan, st->t) / 3.6e6,
    };
    s->trace_error = hb_trace_write_row(s->trace, &r);
}

/* ---- the continuous part -------------------------------------------------------------------- */

/* Advance hook: step the plant until its latest grid point covers T. Inputs for a step are
 * sampled when the step is taken, i.e. after every event up to its start time has run. */
static int hb__plant_advance(void *ctx, double t) {
    hb_sim *s = ctx;
    while (hb_plant_time(s->plant) < t) {
        int rc = hb_plant_step(s->plant);
        if (rc != HB_OK) {
            return rc;
        }
        hb__kpi_step(s);
    }
    return HB_OK;
}

/* ---- event handlers ------------------------------------------------------------------------ */

/* Every event is scheduled through these: a failure (no memory for the queue) stops the run with
 * its error instead of leaving a sensor or the controller silently unscheduled. */
static void hb__at(hb_sim *s, double t, hb_event_fn fn, intptr_t arg) {
    int rc = hb_engine_at(s->eng, t, fn, s, arg, NULL);
    if (rc != HB_OK) {
        hb_engine_fail(s->eng, rc);
    }
}

static void hb__on_command(void *ctx, double t, intptr_t level) {
    (void)t;
    hb_sim *s = ctx;
    s->level_arrived = (int)level;
    if (isnan(s->valve_override)) {
        hb_plant_command(s->plant, (double)level);
    }
}

static void hb__send_command(hb_sim *s, double t, int level) {
    s->level_cmd = level;
    s->k.actuator_msgs++;
    double delay;
    if (hb_netlink_send(&s->cmd_link, &delay)) {
        hb__at(s, t + delay, hb__on_command, level);
    } else {
        s->k.commands_lost++;
    }
}

static void hb__poll(hb_sim *s, double t) {
    /* With an environment the controller follows the schedule itself. */
    if ((s->scheduled || !isnan(s->setpoint_override)) && !s->has_env) {
        hb_setpoint sp;
        hb__setpoint(s, t, &sp);
        double want = isnan(s->setpoint_override) ? sp.setpoint_c : s->setpoint_override;
        if (want != s->ctl_setpoint) {
            s->ctl_setpoint = want;
            hb_room_ctl_set_setpoint(s->ctl, want);
        }
    }
    int level;
    bool was_fs = hb_room_ctl_failsafe(s->ctl);
    if (hb_room_ctl_poll(s->ctl, t, &level)) {
        hb__send_command(s, t, level);
    }
    bool fs = hb_room_ctl_failsafe(s->ctl);
    if (fs && !was_fs) {
        s->t_failsafe_since = t;
    } else if (!fs && was_fs) {
        s->failsafe_s += t - s->t_failsafe_since;
        if (s->n_spans < HB_SIM_MAX_SPANS) {
            s->spans[s->n_spans][0] = s->t_failsafe_since;
            s->spans[s->n_spans][1] = t;
            s->n_spans++;
        }
    }
}

/* The controller receives a reading of sensor I at T. */
static void hb__reading(hb_sim *s, double t, int i, double v) {
    hb_room_ctl_reading_ref(s->ctl, t, s->cfg.sensors[i].id, v, &s->fusion_refs[i]);
    hb__poll(s, t);
}

static void hb__sim_on_reading(void *ctx, double t, intptr_t msg) {
    hb_sim *s = ctx;
    hb__msg m = s->msgs[msg];
    hb__msg_free(s, (int)msg);
    hb__reading(s, t, m.sensor, m.value);
}

static void hb__on_tick(void *ctx, double t, intptr_t arg) {
    (void)arg;
    hb_sim *s = ctx;
    hb__poll(s, t);
    hb__at(s, t + s->cfg.controller.update_s, hb__on_tick, 0);
}

/* Sends a published reading on: to the external controller (the real network carries it from
 * there), or across the sensor's simulated link to the internal one. NEXT is when this sensor
 * samples again.
 *
 * Most readings arrive before anything else can happen: no event is queued before the arrival,
 * the sensor's next sample is later, the plant grid point already computed covers it (so no
 * plant step, KPI step or interval lies between) and so does the current run. Such a reading is
 * handed to the controller at its arrival time straight away: what the controller sees, and
 * when, is what the queue would have given it, one push and one pop cheaper (issue 16). Only a
 * tie the queue would have broken differently can tell the two apart: a command sent on such a
 * reading taking its sequence before the sensor's next sample, which matters only when both fall
 * on the very same instant. */
static void hb__deliver(hb_sim *s, double t, intptr_t i, double v, double next) {
    if (s->ext_reading) {
        s->ext_reading(s->ext_ud, t, s->cfg.sensors[i].id, v);
        return;
    }
    double delay;
    if (!hb_netlink_send(&s->links[i], &delay)) {
        s->k.readings_lost++;
        return;
    }
    double ta = t + delay;
    if (ta < next && ta < hb_engine_next_time(s->eng) && ta <= hb_plant_time(s->plant) &&
        ta <= s->run_end) {
        s->direct++;
        hb__reading(s, ta, (int)i, v);
        return;
    }
    int m = hb__msg_alloc(s);
    if (m < 0) {
        hb_engine_fail(s->eng, HB_ERR_NOMEM);
        return;
    }
    s->msgs[m] = (hb__msg){.sensor = (int)i, .value = v, .next_free = -1};
    hb__at(s, ta, hb__sim_on_reading, m);
}

static void hb__on_sample(void *ctx, double t, intptr_t i) {
    hb_sim *s = ctx;
    hb_sensor *sn = &s->sensors[i];
    double v;
    /* The next sample's time is drawn first (from the sensor's own jitter stream, so no other
     * draw moves) and scheduled after the reading, in the order it always had. */
    double next = t + hb_sensor_next_delay(sn);
    if (hb_sensor_sample(sn, t, hb_plant_air_at(s->plant, t), &v)) {
        s->last_reading[i] = v;
        s->k.readings_published++;
        hb__deliver(s, t, i, v, next);
    }
    hb__at(s, next, hb__on_sample, i);
}

static void hb__on_trace(void *ctx, double t, intptr_t arg) {
    hb_sim *s = ctx;
    if (s->trace && s->trace_error == HB_OK) {
        hb__trace_row(s);
    }
    hb__at(s, t + s->cfg.trace_interval_s, hb__on_trace, arg);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

int hb_sim_create(const hb_sim_config *cfg, hb_sim **out) {
    *out = NULL;
    if (cfg->n_sensors > HB_MAX_SENSORS ||
        cfg->controller.fusion.expected_sensors < cfg->n_sensors) {
        return HB_ERR_INVAL;
    }
    int rc = hb_sim_config_bounds(cfg, NULL, 0);
    if (rc != HB_OK) {
        return rc;
    }
    hb_sim *s = calloc(1, sizeof *s);
    if (!s) {
        return HB_ERR_NOMEM;
    }
    s->cfg = *cfg;
    s->cfg.weather.csv_owned = NULL; /* the caller keeps ownership of the series */
    s->cfg.plant.weather = &s->cfg.weather;
    s->scheduled = s->cfg.schedule.n_periods > 0;
    if (s->scheduled && hb_schedule_prepare(&s->cfg.schedule, NULL, 0) != HB_OK) {
        free(s);
        return HB_ERR_INVAL;
    }
    hb_setpoint sp0;
    hb__setpoint(s, s->cfg.plant.t_start_s, &sp0);
    s->cfg.controller.setpoint_c = s->ctl_setpoint = sp0.setpoint_c;
    if (cfg->plan) {
        s->plan = cfg->plan;
    } else {
        /* A run too long for the program, or one it cannot solve, has no floor (NaN). */
        (void)hb_energy_plan_solve(&s->cfg, &s->own_plan);
        s->plan = &s->own_plan;
    }
    s->free_msg = -1;
    s->level_cmd = -1;
    s->level_arrived = -1;
    s->valve_override = NAN;
    s->setpoint_override = NAN;
    hb_sim_boptest_restart(s);
    rc = hb_plant_create(&s->cfg.plant, &s->plant);
    if (rc == HB_OK) {
        s->ctl = hb_room_ctl_create(&s->cfg.controller);
        s->eng = hb_engine_create(s->cfg.plant.t_start_s);
        rc = (s->ctl && s->eng) ? HB_OK : HB_ERR_INVAL;
    }
    const hb_room_ctl_config *cc = &s->cfg.controller;
    if (rc == HB_OK && (cc->algo == HB_ALGO_MPC || cc->feed_forward || cc->optimal_start)) {
        rc = hb_belief_init(&s->belief, &s->cfg, &s->cfg.weather,
                            s->scheduled ? &s->cfg.schedule : NULL);
        if (rc == HB_OK) {
            rc = hb_room_ctl_set_env(s->ctl, &s->belief.env);
        }
        s->has_env = rc == HB_OK;
    }
    for (size_t i = 0; rc == HB_OK && i < s->cfg.n_sensors; i++) {
        char name[HB_SENSOR_ID_MAX + 16];
        snprintf(name, sizeof name, "net/readings/%s", s->cfg.sensors[i].id);
        rc = hb_sensor_init(&s->sensors[i], &s->cfg.sensors[i], s->cfg.seed);
        if (rc == HB_OK) {
            rc = hb_netlink_init(&s->links[i], &s->cfg.net_readings, s->cfg.seed, name);
        }
        s->last_reading[i] = NAN;
    }
    if (rc == HB_OK) {
        rc = hb_netlink_init(&s->cmd_link, &s->cfg.net_commands, s->cfg.seed, "net/commands");
    }
    if (rc != HB_OK) {
        hb_sim_destroy(s);
        return rc;
    }
    hb_engine_set_advance(s->eng, hb__plant_advance, s);
    double t0 = s->cfg.plant.t_start_s;
    for (size_t i = 0; i < s->cfg.n_sensors; i++) {
        /* Sensors start out of phase: the first sample falls anywhere in the first period. */
        double first = gsl_rng_uniform(s->sensors[i].jitter) * s->cfg.sensors[i].period_s;
        hb__at(s, t0 + first, hb__on_sample, (intptr_t)i);
    }
    s->window_t0 = t0;
    hb_kpi_comfort_init(&s->comfort, t0 + s->cfg.warmup_h * 3600.0);
    s->e_stored0 = hb_plant_cur(s->plant)->stored_j;
    /* The first samples were scheduled before any run: a failure shows here. */
    rc = hb_engine_error(s->eng);
    if (rc != HB_OK) {
        hb_sim_destroy(s);
        return rc;
    }
    *out = s;
    return HB_OK;
}

void hb_sim_destroy(hb_sim *s) {
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->cfg.n_sensors; i++) {
        hb_sensor_free(&s->sensors[i]);
        hb_netlink_free(&s->links[i]);
    }
    hb_netlink_free(&s->cmd_link);
    hb_energy_plan_free(&s->own_plan);
    hb_room_ctl_destroy(s->ctl);
    hb_belief_free(&s->belief);
    hb_plant_destroy(s->plant);
    hb_engine_destroy(s->eng);
    free(s->msgs);
    free(s);
}

void hb_sim_set_interval(hb_sim *s, double interval_s, hb_sim_interval_fn fn, void *ud) {
    assert(!s->started && (!fn || interval_s > 0));
    s->iv_fn = fn;
    s->iv_ud = ud;
    s->iv_len = interval_s;
}

void hb_sim_set_trace(hb_sim *s, FILE *fp) {
    s->trace = fp;
}

static void hb__start(hb_sim *s) {
    if (s->started) {
        return;
    }
    s->started = true;
    double t0 = s->cfg.plant.t_start_s;
    if (s->iv_fn) {
        hb__interval_open(s, t0);
    }
    if (s->trace) {
        s->trace_error = hb_trace_write_header(s->trace, s->cfg.n_sensors);
        hb__at(s, t0, hb__on_trace, 0);
    }
    if (!s->ext_reading) {
        hb__at(s, t0 + s->cfg.controller.update_s, hb__on_tick, 0);
    }
}

double hb_sim_end_time(const hb_sim *s) {
    return s->cfg.plant.t_start_s + s->cfg.duration_h * 3600.0;
}

double hb_sim_now(const hb_sim *s) {
    return hb_engine_now(s->eng);
}

int hb_sim_advance(hb_sim *s, double t) {
    hb__start(s);
    double end = hb_sim_end_time(s);
    if (t > end) {
        t = end;
    }
    if (t <= hb_engine_now(s->eng)) {
        return HB_OK;
    }
    s->run_end = t;
    return hb_engine_run(s->eng, t);
}

void hb_sim_set_external(hb_sim *s, hb_sim_reading_fn fn, void *ud) {
    s->ext_reading = fn;
    s->ext_ud = ud;
}

void hb_sim_command(hb_sim *s, int level) {
    /* A command from outside acts like one that just crossed the command link. */
    s->level_cmd = level < 0 ? 0 : (level > 100 ? 100 : level);
    s->k.actuator_msgs++;
    hb_plant_command(s->plant, (double)s->level_cmd);
}

void hb_sim_override_valve(hb_sim *s, double level) {
    if (isnan(level)) {
        if (!isnan(s->valve_override) && s->level_arrived >= 0) {
            hb_plant_command(s->plant, (double)s->level_arrived);
        }
        s->valve_override = NAN;
        return;
    }
    s->valve_override = level < 0.0 ? 0.0 : (level > 100.0 ? 100.0 : level);
    hb_plant_command(s->plant, s->valve_override);
}

void hb_sim_override_setpoint(hb_sim *s, double setpoint_c) {
    s->setpoint_override = setpoint_c;
}

double hb_sim_setpoint(const hb_sim *s) {
    return s->ctl_setpoint;
}

double hb_sim_reading(const hb_sim *s, size_t i) {
    return i < s->cfg.n_sensors ? s->last_reading[i] : NAN;
}

double hb_sim_estimate(const hb_sim *s) {
    return hb_room_ctl_estimate(s->ctl);
}

int hb_sim_finish(hb_sim *s) {
    hb__start(s);
    double t_end = hb_engine_now(s->eng);
    hb_kpis *k = &s->k;
    /* Derived from the accumulators, never added to them: finishing twice changes nothing. */
    double open = hb_room_ctl_failsafe(s->ctl) ? t_end - s->t_failsafe_since : 0.0;
    k->failsafe_h = (s->failsafe_s + open) / 3600.0;
    const hb_plant_state *st = hb_plant_cur(s->plant);
    hb_kpi_comfort_finish(&s->comfort, k);
    k->energy_kwh = st->e_water_j / 3.6e6;
    k->energy_floor_kwh = s->plan->floor_kwh;
    k->energy_ideal_kwh = s->plan->ideal_kwh;
    k->energy_ratio = s->plan->floor_kwh > 0 ? k->energy_kwh / s->plan->floor_kwh : NAN;
    k->valve_travel_pct = hb_plant_travel(s->plant);
    double in = st->e_water_j + st->e_gain_j;
    double resid = in - st->e_loss_j - (st->stored_j - s->e_stored0);
    k->balance_error = in > 0 ? fabs(resid) / in : 0.0;
    k->events = hb__events(s);
    hb_bkpi_result(&s->bkpi, &k->boptest);
    if (s->iv_fn && t_end > s->iv_t0 + 1e-6) {
        hb__interval_close(s, t_end); /* the last, shorter one */
        hb__interval_open(s, t_end);  /* finishing twice reports it once */
    }
    if (s->trace && s->trace_error == HB_OK && fflush(s->trace) != 0) {
        s->trace_error = HB_ERR_IO;
    }
    return s->trace_error;
}

int hb_sim_run(hb_sim *s) {
    int rc = hb_sim_advance(s, hb_sim_end_time(s));
    if (rc != HB_OK) {
        return rc;
    }
    return hb_sim_finish(s);
}

const hb_kpis *hb_sim_kpis(const hb_sim *s) {
    return &s->k;
}

size_t hb_sim_failsafe_spans(const hb_sim *s, double (*spans)[2], size_t max) {
    size_t n = 0;
    for (; n < s->n_spans && n < max; n++) {
        spans[n][0] = s->spans[n][0];
        spans[n][1] = s->spans[n][1];
    }
    if (n < max && s->ctl && hb_room_ctl_failsafe(s->ctl)) {
        spans[n][0] = s->t_failsafe_since;
        spans[n][1] = hb_engine_now(s->eng);
        n++;
    }
    return n;
}

const hb_plant *hb_sim_plant(const hb_sim *s) {
    return s->plant;
}
