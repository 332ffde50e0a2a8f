#include "hb_experiment.h"
#include "../controllers/hb_fusion.h"
#include "../controllers/hb_pid.h"
#include "../sim/hb_energy.h"
#include "../util/hb_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hb_experiment_calm(const hb_sim_config *in, hb_sim_config *out) {
    *out = *in;
    out->weather.csv_owned = NULL; /* replaced below; IN keeps its series */
    double mean = 0;
    for (int h = 0; h < 24; h++) {
        mean += hb_weather_t_out(&in->weather, (h + 0.5) * 3600.0);
    }
    out->weather = (hb_weather_config){.kind = HB_WEATHER_CONSTANT, .constant_c = mean / 24.0};
    out->plant.room.n_gains = 0;
    out->plant.room.base_gains_w = 0;
    out->plant.room.n_windows = 0;
    for (size_t i = 0; i < out->n_sensors; i++) {
        out->sensors[i].n_faults = 0; /* a test day has healthy sensors */
    }
    out->net_readings.loss = 0;
}

enum hb__phase { HB__WARMUP, HB__RELAY, HB__HOLD };

typedef struct hb__exp {
    hb_sim *sim;
    hb_fusion *fusion;
    hb_pid *pid;
    hb_relay relay;
    double setpoint, update_s, filter_s;
    double warmup_end;
    enum hb__phase phase;
    double hold_level;
    double est;
    double t_update;
    bool have_est;
    int level;
    /* warm-up level average over its last two hours */
    double lvl_sum, lvl_t;
    /* recording */
    double *t, *y;
    size_t n, cap;
    double t_rec0;
    hb_energy_plan no_plan; /* experiments score nothing: no energy floor to solve */
} hb__exp;

static void hb__exp_send(hb__exp *e, double u) {
    long l = lround(u);
    int level = l < 0 ? 0 : (l > 100 ? 100 : (int)l);
    if (level != e->level) {
        e->level = level;
        hb_sim_command(e->sim, level);
    }
}

static void hb__exp_on_reading(void *ud, double t, const char *id, double v) {
    hb__exp *e = ud;
    hb_fusion_add(e->fusion, t, id, v);
    if (e->have_est && t - e->t_update < e->update_s - 1e-6) {
        return;
    }
    double raw;
    if (hb_fusion_estimate(e->fusion, t, &raw, NULL, NULL) != HB_OK) {
        return;
    }
    double dt = e->have_est ? t - e->t_update : 0.0;
    if (!e->have_est || e->filter_s <= 0) {
        e->est = raw;
    } else {
        e->est += (1.0 - exp(-dt / e->filter_s)) * (raw - e->est);
    }
    e->have_est = true;
    e->t_update = t;
    if (t < e->warmup_end) {
        hb__exp_send(e, hb_pid_update(e->pid, t, e->setpoint, e->est));
        if (t > e->warmup_end - 7200.0) {
            e->lvl_sum += e->level * dt;
            e->lvl_t += dt;
        }
        return;
    }
    if (e->phase == HB__WARMUP) {
        e->phase = e->relay.cfg.d > 0 ? HB__RELAY : HB__HOLD;
        if (e->phase == HB__RELAY && e->lvl_t > 0) {
            e->relay.cfg.bias = e->lvl_sum / e->lvl_t;
        }
    }
    if (e->phase == HB__RELAY) {
        hb__exp_send(e, hb_relay_update(&e->relay, t, e->est));
    } else {
        hb__exp_send(e, e->hold_level);
        if (e->n < e->cap) {
            e->t[e->n] = t - e->warmup_end;
            e->y[e->n] = e->est;
            e->n++;
        }
    }
}

static int hb__setup(hb__exp *e, const hb_sim_config *c, double warmup_h) {
    memset(e, 0, sizeof *e);
    e->setpoint = c->setpoint_c;
    e->update_s = c->controller.update_s;
    e->filter_s = c->controller.filter_s;
    e->warmup_end = c->plant.t_start_s + warmup_h * 3600.0;
    e->level = -1;
    e->fusion = hb_fusion_create(&c->controller.fusion);
    e->pid = hb_pid_create(&c->controller.pid);
    e->no_plan.floor_kwh = e->no_plan.ideal_kwh = e->no_plan.violation_kh = NAN;
    hb_sim_config cc = *c;
    cc.plan = &e->no_plan;
    if (!e->fusion || !e->pid || hb_sim_create(&cc, &e->sim) != HB_OK) {
        return -1;
    }
    hb_pid_reset(e->pid, c->controller.initial_level);
    hb_sim_set_external(e->sim, hb__exp_on_reading, e);
    return 0;
}

static void hb__teardown(hb__exp *e) {
    hb_sim_destroy(e->sim);
    hb_fusion_destroy(e->fusion);
    hb_pid_destroy(e->pid);
}

int hb_experiment_relay(const hb_sim_config *calm, double warmup_h, hb_relay_result *res,
                        double *bias, double *d, FILE *trace) {
    hb_sim_config c = *calm;
    double timeout_h = 48.0;
    c.duration_h = warmup_h + timeout_h;
    hb__exp e;
    if (hb__setup(&e, &c, warmup_h) != 0) {
        hb__teardown(&e);
        return -1;
    }
    if (trace) {
        hb_sim_set_trace(e.sim, trace);
    }
    hb_relay_config rc = {.setpoint = c.setpoint_c,
                          .bias = 50,
                          .d = 1, /* set from the bias below, before the relay starts */
                          .hysteresis = 0.1,
                          .cycles = 8,
                          .timeout_s = timeout_h * 3600.0};
    hb_relay_init(&e.relay, &rc);
    /* Run the warm-up, then size the relay around the level that held the setpoint. */
    hb_sim_advance(e.sim, e.warmup_end - 1e-3); /* stop just before the switch-over */
    double b = e.lvl_t > 0 ? e.lvl_sum / e.lvl_t : 50.0;
    double half = fmin(b, 100.0 - b);
    half = half < 5.0 ? 5.0 : (half > 40.0 ? 40.0 : half);
    e.relay.cfg.bias = b;
    e.relay.cfg.d = half;
    *bias = b;
    *d = half;
    if (b >= 99.0) {
        *res =
            (hb_relay_result){.ok = false,
                              .reason = "the radiator cannot hold the setpoint: the valve stayed "
                                        "fully open through the warm-up"};
        hb__teardown(&e);
        return 0;
    }
    double t = e.warmup_end;
    while (!hb_relay_done(&e.relay) && t < hb_sim_end_time(e.sim)) {
        t += 3600.0;
        hb_sim_advance(e.sim, t);
    }
    *res = hb_relay_analyse(&e.relay);
    if (trace) {
        hb_sim_finish(e.sim); /* flushes the trace */
    }
    hb__teardown(&e);
    return 0;
}

static int hb__hold_run(const hb_sim_config *c, double warmup_h, double du, double *t, double *y,
                        size_t cap, double *u0, size_t *n) {
    hb__exp e;
    if (hb__setup(&e, c, warmup_h) != 0) {
        hb__teardown(&e);
        return -1;
    }
    hb_relay_config none = {.d = 0, .cycles = 3};
    hb_relay_init(&e.relay, &none);
    e.relay.cfg.d = 0;
    e.t = t;
    e.y = y;
    e.cap = cap;
    hb_sim_advance(e.sim, e.warmup_end - 1e-3); /* stop just before the switch-over */
    double b = e.lvl_t > 0 ? e.lvl_sum / e.lvl_t : 50.0;
    b = round(b);
    *u0 = b;
    e.hold_level = b + du;
    hb_sim_advance(e.sim, hb_sim_end_time(e.sim));
    *n = e.n;
    hb__teardown(&e);
    return 0;
}

int hb_experiment_step(const hb_sim_config *calm, double warmup_h, double step_h, double du,
                       double *t, double *dy, size_t cap, double *u0) {
    hb_sim_config c = *calm;
    c.duration_h = warmup_h + step_h;
    double *tb = calloc(cap, sizeof *tb);
    double *yb = calloc(cap, sizeof *yb);
    double *ys = calloc(cap, sizeof *ys);
    size_t nb = 0;
    size_t ns = 0;
    double ub;
    int rc = -1;
    if (tb && yb && ys && hb__hold_run(&c, warmup_h, 0.0, tb, yb, cap, &ub, &nb) == 0 &&
        hb__hold_run(&c, warmup_h, du, t, ys, cap, u0, &ns) == 0) {
        /* Same seed, same warm-up: the runs are identical until the step, so the difference
         * is the step response with the drift and most of the noise cancelled. */
        size_t n = nb < ns ? nb : ns;
        for (size_t i = 0; i < n; i++) {
            dy[i] = ys[i] - yb[i];
        }
        rc = (int)n;
    }
    free(tb);
    free(yb);
    free(ys);
    return rc;
}
