#define _POSIX_C_SOURCE 200809L /* mkdtemp */
/* Model-based control: the belief model and its inverse output curve, the exact discretisation,
 * the Kalman filter's disturbance estimate, the MPC's plans, the PID's feed-forward, and the
 * closed loops of the figures (default day, night setback). */
#include "../controllers/hb_mpc.h"
#include "../controllers/hb_pid.h"
#include "../controllers/hb_room_ctl.h"
#include "../controllers/hb_room_kf.h"
#include "../models/hb_plant.h"
#include "../scenario/hb_scenario.h"
#include "../sim/hb_belief.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "../util/hb_rng.h"
#include "hb_test.h"

#include <gsl/gsl_randist.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The default scenario's belief, as the simulator builds it. */
static void hb__test_model(hb_room_model *m) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    c.plant.weather = &c.weather;
    hb_plant *p;
    CU_ASSERT_EQUAL_FATAL(hb_plant_create(&c.plant, &p), HB_OK);
    hb_belief_model(p, &c.plant.valve, 0.0, m);
    hb_plant_destroy(p);
}

static void test_output_curve(void) {
    hb_room_model m;
    hb__test_model(&m);
    CU_ASSERT_EQUAL(hb_room_model_check(&m), HB_OK);
    /* A linear valve at authority 0.5 into a radiator: concave, the first tenth gives most. */
    CU_ASSERT(m.heat_ref[0] == 0.0);
    CU_ASSERT(m.heat_ref[1] > 0.2 * m.heat_ref[10]);
    for (int i = 2; i < HB_RM_LEVELS; i++) {
        CU_ASSERT(m.heat_ref[i] - m.heat_ref[i - 1] <=
                  m.heat_ref[i - 1] - m.heat_ref[i - 2] + 1e-9);
    }
    /* The level of a heat gives that heat back; the ends are closed and fully open. */
    for (int i = 0; i < 32; i++) {
        double q = 50 + 37 * i;
        double l = hb_room_model_level(&m, q, 70, 21);
        HB_ASSERT_NEAR(hb_room_model_heat(&m, l, 70, 21), q, 1e-6 * q);
    }
    CU_ASSERT_EQUAL(hb_room_model_level(&m, 0, 70, 21), 0.0);
    CU_ASSERT_EQUAL(hb_room_model_level(&m, -5, 70, 21), 0.0);
    CU_ASSERT_EQUAL(hb_room_model_level(&m, 1e5, 70, 21), 100.0);
    /* No excess, no output; a hotter supply gives more. */
    CU_ASSERT_EQUAL(hb_room_model_heat(&m, 100, 20, 21), 0.0);
    CU_ASSERT(hb_room_model_heat(&m, 50, 75, 21) > hb_room_model_heat(&m, 50, 60, 21));
    /* A table that falls is refused. */
    hb_room_model bad = m;
    bad.heat_ref[5] = bad.heat_ref[4] - 1;
    CU_ASSERT_EQUAL(hb_room_model_check(&bad), HB_ERR_INVAL);
}

static void test_disc_steady_state(void) {
    hb_room_model m;
    hb__test_model(&m);
    hb_room_disc d;
    CU_ASSERT_EQUAL_FATAL(hb_room_model_disc(&m, 900, &d), HB_OK);
    /* The heat the model says holds 21 °C does hold it, whatever the start. */
    hb_room_inputs in = {.t_out = -3, .t_supply = 70, .q_air = 100, .q_mass = 50};
    double q = hb_room_model_steady_heat(&m, 21.0, &in);
    CU_ASSERT(q > 0);
    double x[HB_RM_N] = {15, 14, 0, 0};
    double w[HB_RM_W] = {q, in.t_out, in.q_air, in.q_mass};
    for (int k = 0; k < 24 * 4 * 30; k++) {
        hb_room_disc_step(&d, x, w);
    }
    HB_ASSERT_NEAR(x[0], 21.0, 1e-6);
    HB_ASSERT_NEAR(x[2], q, 1e-6);
    HB_ASSERT_NEAR(x[3], 0.0, 0.0); /* the disturbance is held */
}

/* The filter, fed readings of the model itself with 150 W it does not know of and 0.1 K of
 * noise, finds the 150 W and the mass temperature no sensor sees. */
static void test_kf_finds_disturbance(void) {
    hb_room_model m;
    hb__test_model(&m);
    hb_room_disc d;
    CU_ASSERT_EQUAL_FATAL(hb_room_model_disc(&m, 60, &d), HB_OK);
    hb_room_inputs in = {.t_out = 0, .t_supply = 70, .q_air = 0, .q_mass = 0};
    double truth[HB_RM_N] = {20, 19, 400, 150};
    hb_room_kf f;
    hb_room_kf_init(&f, &m, 0, 20.2, 400, &in);
    gsl_rng *r = hb_rng_stream(7, "test/kf");
    CU_ASSERT_FATAL(r != NULL);
    for (int k = 1; k <= 12 * 60; k++) {
        double q = 400 + 200 * ((k / 90) % 2); /* some excitation */
        double w[HB_RM_W] = {q, in.t_out, in.q_air, in.q_mass};
        hb_room_disc_step(&d, truth, w);
        CU_ASSERT_EQUAL(hb_room_kf_predict(&f, 60.0 * k, q, &in), HB_OK);
        hb_room_kf_update(&f, truth[0] + gsl_ran_gaussian(r, 0.1));
    }
    gsl_rng_free(r);
    HB_ASSERT_NEAR(f.x[3], 150, 25);
    HB_ASSERT_NEAR(f.x[1], truth[1], 0.3);
    HB_ASSERT_NEAR(f.x[0], truth[0], 0.1);
    /* A non-finite reading is ignored, not absorbed. */
    hb_room_kf_update(&f, NAN);
    CU_ASSERT(isfinite(f.x[0]) && isfinite(f.x[3]));
}

/* Data from the model itself with a radiator giving ETA of the model's heat and gains GAMMA of
 * the told ones, Q a square wave of period Q_PERIOD_MIN (0: constant) and the told gains a
 * daily sun (or none): the learning filter's estimates after HOURS. */
static void hb__learn_run_held(double eta, double gamma, int q_period_min, int sun, double hours,
                               double hold_from_h, hb_room_kf *f) {
    hb_room_model m;
    hb__test_model(&m);
    hb_room_disc d;
    CU_ASSERT_EQUAL_FATAL(hb_room_model_disc(&m, 60, &d), HB_OK);
    hb_room_inputs in = {.t_out = 0, .t_supply = 70, .q_air = 0, .q_mass = 0};
    double truth[HB_RM_N] = {20, 19, 600, 0};
    hb_room_kf_init(f, &m, 0, 20, 600, &in);
    hb_room_kf_learn(f);
    gsl_rng *r = hb_rng_stream(11, "test/kf-learn");
    CU_ASSERT_FATAL(r != NULL);
    for (int k = 1; k <= (int)(hours * 60); k++) {
        double q = q_period_min > 0 ? 400 + 500 * ((k / q_period_min) % 2) : 600;
        double h = fmod(k / 60.0, 24.0);
        in.q_air = sun && h > 8 && h < 16 ? 300 * sin(3.14159265358979 * (h - 8) / 8) : 0;
        in.q_mass = in.q_air;
        double w[HB_RM_W] = {q * eta, in.t_out, in.q_air * gamma, in.q_mass * gamma};
        hb_room_disc_step(&d, truth, w);
        CU_ASSERT_EQUAL(hb_room_kf_predict(f, 60.0 * k, q, &in), HB_OK);
        hb_room_kf_update(f, truth[0] + gsl_ran_gaussian(r, 0.05));
        if (k >= hold_from_h * 60) {
            hb_room_kf_hold(f); /* as the room controller does while a window is open */
        }
    }
    gsl_rng_free(r);
}

static void hb__learn_run(double eta, double gamma, int q_period_min, int sun, double hours,
                          hb_room_kf *f) {
    hb__learn_run_held(eta, gamma, q_period_min, sun, hours, INFINITY, f);
}

/* An open window: held from the start, informative data teach the parameters nothing (they
 * would take the window's loss for a weak radiator); once shut, the filter forgets the
 * disturbance that took the loss in, a plain one as a learning one. */
static void test_kf_window_hold(void) {
    hb_room_kf f;
    hb__learn_run_held(0.75, 0.6, 90, 1, 24, 0, &f);
    CU_ASSERT_EQUAL(f.updates[0], 0);
    CU_ASSERT_EQUAL(f.updates[1], 0);
    HB_ASSERT_NEAR(f.x[HB_KF_ETA], 1.0, 0.0);
    f.x[3] = -2000; /* the window's loss, as the disturbance took it in */
    hb_room_kf_forget_disturbance(&f);
    HB_ASSERT_NEAR(f.x[3], 0.0, 0.0);
    CU_ASSERT(f.p[3][3] > 1e4 && f.p[3][0] == 0.0 && f.p[0][3] == 0.0);
    hb_room_kf plain;
    hb_room_model m;
    hb__test_model(&m);
    hb_room_inputs in = {.t_out = 0, .t_supply = 70};
    hb_room_kf_init(&plain, &m, 0, 20, 600, &in);
    plain.x[3] = 123;
    hb_room_kf_hold(&plain);
    CU_ASSERT(plain.held);
    hb_room_kf_forget_disturbance(&plain);
    CU_ASSERT(!plain.held);
    HB_ASSERT_NEAR(plain.x[3], 0.0, 0.0);
}

/* An airing (as window-open: 170 W/K for 15 minutes, the valve closed) in a room the model
 * describes, after six hours of a square-wave valve: the largest error of the filter's emission
 * E against the true one from the opening to three hours after. The disturbance is forgotten
 * when the window is shut; HOLD: held while it is open, as the room controller does. */
static double hb__airing_e_error(int learn, int hold) {
    hb_room_model m;
    hb__test_model(&m);
    hb_room_disc d;
    CU_ASSERT_EQUAL_FATAL(hb_room_model_disc(&m, 60, &d), HB_OK);
    hb_room_inputs in = {.t_out = 0, .t_supply = 70, .q_air = 0, .q_mass = 0};
    double truth[HB_RM_N] = {21, 20.3, 600, 0};
    hb_room_kf f;
    hb_room_kf_init(&f, &m, 0, 21, 600, &in);
    if (learn) {
        hb_room_kf_learn(&f);
    }
    gsl_rng *r = hb_rng_stream(13, "test/kf-airing");
    CU_ASSERT_FATAL(r != NULL);
    const int open_k = 6 * 60;
    const int shut_k = open_k + 15;
    double worst = 0;
    for (int k = 1; k <= open_k + 3 * 60; k++) {
        bool open = k > open_k && k <= shut_k;
        double q = open ? 0.0 : 400 + 500 * ((k / 90) % 2);
        double w[HB_RM_W] = {q, in.t_out, in.q_air, in.q_mass};
        /* The window's loss: an unmodelled heat out of the air over the step. */
        truth[3] = open ? -170.0 * (truth[0] - in.t_out) : 0.0;
        hb_room_disc_step(&d, truth, w);
        if (hold && open) {
            hb_room_kf_hold(&f);
        } else if (k == shut_k + 1) {
            hb_room_kf_forget_disturbance(&f);
        }
        CU_ASSERT_EQUAL(hb_room_kf_predict(&f, 60.0 * k, q, &in), HB_OK);
        hb_room_kf_update(&f, truth[0] + gsl_ran_gaussian(r, 0.05));
        if (k > open_k) {
            worst = fmax(worst, fabs(f.x[2] - truth[2]));
        }
    }
    gsl_rng_free(r);
    return worst;
}

/* Through an airing a reading corrects only the air and d: the window's loss, which the
 * covariance ties to the emission (E and d about -0.9 correlated), does not go to E. Held, E
 * stays within 100 W of the true emission (400 to 900 W here; its error in the three hours
 * before the window is up to 55 W), plain filter and learning one alike; not held, 590 W off
 * (plain) and 270 W (learning). On window-open the learning filter believed 1.7 kW against
 * 0.5 kW given, and its plans ran the valve at full output for hours after the airing. */
static void test_kf_airing(void) {
    for (int learn = 0; learn <= 1; learn++) {
        double held = hb__airing_e_error(learn, 1);
        CU_ASSERT(held <= 100.0);
        CU_ASSERT(hb__airing_e_error(learn, 0) > 2.0 * held); /* the test sees the difference */
    }
}

/* The estimator: on informative data from known parameters (a radiator at 75 % of the model's,
 * gains at 60 % of the told ones) it finds them within a day; on data that carry no
 * information (a constant valve, no gains, an unmodelled heat that d must take) the parameters
 * do not move at all; the range and the per-update step bound what any data can do. */
static void test_kf_learns(void) {
    hb_room_kf f;
    hb__learn_run(0.75, 0.6, 90, 1, 24, &f);
    HB_ASSERT_NEAR(f.x[HB_KF_ETA], 0.75, 0.05);
    HB_ASSERT_NEAR(f.x[HB_KF_GAMMA], 0.6, 0.1);
    CU_ASSERT(f.updates[0] > 0 && f.updates[1] > 0);
    /* A perfect model stays where it is. */
    hb__learn_run(1.0, 1.0, 90, 1, 24, &f);
    HB_ASSERT_NEAR(f.x[HB_KF_ETA], 1.0, 0.03);
    HB_ASSERT_NEAR(f.x[HB_KF_GAMMA], 1.0, 0.1);
    /* Constant data: 48 h of a steady valve and no gains, the radiator really 30 % weaker. The
     * data cannot tell eta from d: d takes it all, eta and gamma are never taught. */
    hb__learn_run(0.7, 1.0, 0, 0, 48, &f);
    CU_ASSERT_EQUAL(f.updates[0], 0);
    CU_ASSERT_EQUAL(f.updates[1], 0);
    HB_ASSERT_NEAR(f.x[HB_KF_ETA], 1.0, 0.0);
    HB_ASSERT_NEAR(f.x[HB_KF_GAMMA], 1.0, 0.0);
    HB_ASSERT_NEAR(f.x[3], -0.3 * 600, 20); /* the missing heat is the disturbance's */
    CU_ASSERT(f.p[HB_KF_ETA][HB_KF_ETA] <= 0.09 + 1e-12);
    /* Data from a radiator far weaker than any room: eta stops at its bound. */
    hb__learn_run(0.2, 1.0, 90, 0, 24, &f);
    CU_ASSERT(f.x[HB_KF_ETA] >= 0.5 - 1e-12);
    CU_ASSERT(isfinite(f.x[0]) && isfinite(f.x[3]));
}

/* A forecast for the unit tests: constant cold weather, the sun at noon. */
static void hb__test_forecast(void *ud, double t, hb_room_inputs *in) {
    (void)ud;
    double h = fmod(t / 3600.0, 24.0);
    in->t_out = -5;
    in->t_supply = 70;
    in->q_air = (h > 10 && h < 14) ? 200 : 0;
    in->q_mass = 0;
}

static hb_mpc_config hb__mpc_cfg(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    return c.controller.mpc;
}

static void test_mpc_preheats(void) {
    hb_room_model m;
    hb__test_model(&m);
    hb_mpc_config mc = hb__mpc_cfg();
    hb_mpc *mpc = hb_mpc_create(&mc, &m);
    CU_ASSERT_FATAL(mpc != NULL);
    /* Eco 17 °C (band 16.5 .. 22) until 06:30, then 22 °C ± 0.5. */
    hb_schedule s = {.start_day = "mon"};
    s.periods[0] = (hb_schedule_period){
        .days = "all", .from_h = 22, .to_h = 9, .setpoint_c = 17, .below_k = 0.5, .above_k = 5};
    s.n_periods = 1;
    CU_ASSERT_EQUAL_FATAL(hb_schedule_prepare(&s, NULL, 0), HB_OK);
    hb_ctl_env env = {.model = &m,
                      .forecast = {.fn = hb__test_forecast},
                      .schedule = &s,
                      .base_c = 22,
                      .band_k = 0.5};
    double x[HB_RM_N] = {18, 17.5, 0, 0};
    CU_ASSERT_EQUAL_FATAL(hb_mpc_solve(mpc, 0, x, 0, &env), HB_OK);
    int cold = hb_mpc_iterations(mpc);
    /* The plan is warm when the comfort period starts, not before it needs to be: no heat in
     * the first hours (it holds the eco setpoint), the band's edge + margin from 09:00 on. */
    CU_ASSERT(hb_mpc_air_at(mpc, 9 * 3600) >= 21.5 + mc.margin_k - 1e-6);
    CU_ASSERT(hb_mpc_air_at(mpc, 12 * 3600) >= 21.5 + mc.margin_k - 1e-6);
    double qfull = hb_room_model_heat(&m, 100, 70, 22);
    for (int k = 0; k < 8; k++) {
        CU_ASSERT(hb_mpc_heat_at(mpc, 900.0 * k) < 0.5 * qfull); /* eco: no warm-up yet */
    }
    for (int k = 0; k < 96; k++) {
        double q = hb_mpc_heat_at(mpc, 900.0 * k);
        CU_ASSERT(q >= 0 && q <= 1.2 * qfull);
    }
    /* A warm-start re-solve of the same state starts next to its optimum (the bounds move a
     * little: full output is taken at the new plan's temperatures). */
    CU_ASSERT_EQUAL(hb_mpc_solve(mpc, 0, x, 0, &env), HB_OK);
    CU_ASSERT(hb_mpc_iterations(mpc) * 4 < cold);
    CU_ASSERT(hb_mpc_air_at(mpc, 9 * 3600) >= 21.5 + mc.margin_k - 1e-6);
    /* A state that is not finite is refused and the plan kept. */
    double bad[HB_RM_N] = {NAN, 17, 0, 0};
    CU_ASSERT_EQUAL(hb_mpc_solve(mpc, 900, bad, 0, &env), HB_ERR_INVAL);
    CU_ASSERT_EQUAL(hb_mpc_solved_at(mpc), 0.0);
    /* A room the gains overheat gets no heat at all. */
    double hot[HB_RM_N] = {26, 26, 0, 800};
    CU_ASSERT_EQUAL(hb_mpc_solve(mpc, 12 * 3600, hot, 0, &env), HB_OK);
    CU_ASSERT(hb_mpc_heat_at(mpc, 12 * 3600) < 1.0);
    hb_mpc_destroy(mpc);
    /* Settings out of range are refused. */
    mc.step_s = 10;
    CU_ASSERT_EQUAL(hb_mpc_check(&mc), HB_ERR_INVAL);
    CU_ASSERT(hb_mpc_create(&mc, &m) == NULL);
    mc = hb__mpc_cfg();
    mc.horizon_h = 200; /* 800 steps */
    CU_ASSERT_EQUAL(hb_mpc_check(&mc), HB_ERR_INVAL);
}

/* A plan whose step in force is at full output opens the valve fully. A plan takes full output
 * at the air temperatures of the plan before it; a room found at 15 °C where that plan held 22
 * (a window was open) is planned at full output with the bound of a radiator in 22 °C air, and
 * the inverse output curve at the room's 15 °C made a level of that heat well below 100 % (on
 * window-open: 21 to 33 % for the first 25 minutes after the airing). The plain filter (eta 1,
 * no caution) shows it alone. */
static void test_mpc_full_output_level(void) {
    hb_room_model m;
    hb__test_model(&m);
    hb_mpc_config mc = hb__mpc_cfg();
    mc.learn = false;
    hb_mpc *mpc = hb_mpc_create(&mc, &m);
    CU_ASSERT_FATAL(mpc != NULL);
    hb_ctl_env env = {
        .model = &m, .forecast = {.fn = hb__test_forecast}, .base_c = 22, .band_k = 0.5};
    double warm[HB_RM_N] = {22, 21, 800, 0};
    CU_ASSERT_EQUAL_FATAL(hb_mpc_solve(mpc, 0, warm, 800, &env), HB_OK);
    CU_ASSERT(!hb_mpc_full_at(mpc, 0));
    double full = hb_room_model_heat(&m, 100, 70, hb_mpc_air_at(mpc, 900 + 450)); /* the bound */
    double cold[HB_RM_N] = {15, 20, 300, 0};
    CU_ASSERT_EQUAL_FATAL(hb_mpc_solve(mpc, 900, cold, 0, &env), HB_OK);
    CU_ASSERT(hb_mpc_full_at(mpc, 900));
    double q = hb_mpc_heat_at(mpc, 900);
    HB_ASSERT_NEAR(q, full, 1e-6 * full);
    CU_ASSERT(hb_room_model_level(&m, q, 70, 15) < 50); /* what the inverse curve made of it */
    hb_mpc_destroy(mpc);

    /* The room controller, the same environment: the room holds 22 °C for an hour (the plans
     * take the radiator's bound in 22 °C air), then the sensors read 15 °C (a window, not
     * detected here). The filter's air leaves the plan by more than half a kelvin, the MPC plans
     * again at once (not at the next quarter hour), at full output, and the valve opens fully
     * (62 % through the inverse curve). */
    hb_sim_config c;
    hb_sim_config_default(&c);
    hb_room_ctl_config rc = c.controller;
    rc.algo = HB_ALGO_MPC;
    rc.mpc = mc;
    hb_room_ctl *ctl = hb_room_ctl_create(&rc);
    CU_ASSERT_FATAL(ctl != NULL);
    CU_ASSERT_EQUAL_FATAL(hb_room_ctl_set_env(ctl, &env), HB_OK);
    int level = -1;
    double t = 0;
    for (int k = 0; k <= 61; k++) {
        t = 60.0 * k;
        for (int i = 1; i <= 5; i++) {
            char id[16];
            snprintf(id, sizeof id, "sensor-%d", i);
            CU_ASSERT(hb_room_ctl_reading(ctl, t, id, k < 61 ? 22.0 : 15.0) == HB_OK);
        }
        hb_room_ctl_poll(ctl, t, &level);
        if (k == 60) {
            CU_ASSERT(hb_room_ctl_level(ctl) < 100);
        }
    }
    const hb_mpc *p = hb_room_ctl_mpc(ctl);
    CU_ASSERT(hb_mpc_solved_at(p) > 3600 && fmod(hb_mpc_solved_at(p), rc.mpc.step_s) != 0);
    CU_ASSERT(hb_mpc_full_at(p, t));
    CU_ASSERT_EQUAL(hb_room_ctl_level(ctl), 100);
    hb_room_ctl_destroy(ctl);
    hb_sim_config_free(&c);
}

/* Full output only on an estimate a quorum agrees on. The room holds 22 °C for an hour under
 * all five sensors, then only sensor-1 reports (the others go stale) and it reads 15 °C: the
 * plan is at full output again, but one sensor's word carries its calibration error unaveraged
 * (on lossy-network, a restart on sensor-4 alone, 0.4 K low, opened the valve fully and
 * overheated the room), so the level is the inverse curve's. Once the others agree, it is 100. */
static void test_mpc_full_output_quorum(void) {
    hb_room_model m;
    hb__test_model(&m);
    hb_ctl_env env = {
        .model = &m, .forecast = {.fn = hb__test_forecast}, .base_c = 22, .band_k = 0.5};
    hb_sim_config c;
    hb_sim_config_default(&c);
    hb_room_ctl_config rc = c.controller;
    rc.algo = HB_ALGO_MPC;
    rc.mpc = hb__mpc_cfg();
    rc.mpc.learn = false;
    hb_room_ctl *ctl = hb_room_ctl_create(&rc);
    CU_ASSERT_FATAL(ctl != NULL);
    CU_ASSERT_EQUAL_FATAL(hb_room_ctl_set_env(ctl, &env), HB_OK);
    int level = -1;
    double t = 0;
    const int alone = 60;                                         /* sensor-1 alone from here */
    const int cold = alone + (int)(rc.fusion.stale_s / 60.0) + 2; /* .. the others stale */
    for (int k = 0; k <= cold + 1; k++) {
        t = 60.0 * k;
        for (int i = 1; i <= 5; i++) {
            if (i > 1 && k >= alone && k <= cold) {
                continue;
            }
            char id[16];
            snprintf(id, sizeof id, "sensor-%d", i);
            CU_ASSERT(hb_room_ctl_reading(ctl, t, id, k < cold ? 22.0 : 15.0) == HB_OK);
        }
        hb_room_ctl_poll(ctl, t, &level);
        if (k == cold) {
            CU_ASSERT_FATAL(hb_room_ctl_started(ctl));
            CU_ASSERT(hb_mpc_full_at(hb_room_ctl_mpc(ctl), t));
            CU_ASSERT(hb_room_ctl_level(ctl) < 100);
        }
    }
    CU_ASSERT(hb_mpc_full_at(hb_room_ctl_mpc(ctl), t));
    CU_ASSERT_EQUAL(hb_room_ctl_level(ctl), 100);
    hb_room_ctl_destroy(ctl);
    hb_sim_config_free(&c);
}

static void test_pid_feed_forward(void) {
    hb_pid_config pc = {
        .kp = 20, .ki = 20, .b = 1, .d_filter_n = 10, .out_max = 100, .max_dt_s = 900};
    hb_pid *a = hb_pid_create(&pc);
    hb_pid *b = hb_pid_create(&pc);
    CU_ASSERT_FATAL(a && b);
    hb_pid_reset(a, 30);
    hb_pid_reset(b, 10); /* b gets 20 % by feed-forward */
    for (int k = 0; k < 30; k++) {
        double y = 21.5 + 0.02 * k;
        HB_ASSERT_NEAR(hb_pid_update(a, 60.0 * k, 22, y), hb_pid_update_ff(b, 60.0 * k, 22, y, 20),
                       1e-9);
    }
    /* The anti-windup sees the total: a feed-forward that saturates the output stops the
     * integral from growing. */
    hb_pid_reset(b, 0);
    for (int k = 0; k < 600; k++) {
        hb_pid_update_ff(b, 1e5 + 60.0 * k, 22, 20, 100);
    }
    CU_ASSERT(hb_pid_integral(b) < 1.0);
    CU_ASSERT_EQUAL(hb_pid_update_ff(b, 2e5, 22, 20, NAN), hb_pid_update_ff(b, 2e5, 22, 20, NAN));
    hb_pid_destroy(a);
    hb_pid_destroy(b);
}

/* "mpc" without an environment is the PID, level for level. */
static void test_mpc_without_model_is_pid(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    hb_room_ctl_config pc = c.controller;
    hb_room_ctl_config mc = c.controller;
    mc.algo = HB_ALGO_MPC;
    hb_room_ctl *p = hb_room_ctl_create(&pc);
    hb_room_ctl *m = hb_room_ctl_create(&mc);
    CU_ASSERT_FATAL(p && m);
    CU_ASSERT(hb_room_ctl_mpc(m) == NULL);
    for (int k = 0; k < 200; k++) {
        double t = 30.0 * k;
        for (int i = 1; i <= 5; i++) {
            char id[16];
            snprintf(id, sizeof id, "sensor-%d", i);
            hb_room_ctl_reading(p, t, id, 21 + 0.003 * k);
            hb_room_ctl_reading(m, t, id, 21 + 0.003 * k);
        }
        int lp = -1;
        int lm = -1;
        CU_ASSERT_EQUAL(hb_room_ctl_poll(p, t, &lp), hb_room_ctl_poll(m, t, &lm));
        CU_ASSERT_EQUAL(lp, lm);
    }
    hb_room_ctl_destroy(p);
    hb_room_ctl_destroy(m);
}

static hb_kpis hb__run(const char *scenario, const char *algo_ff_os, uint64_t seed) {
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/%s.json", HB_SOURCE_DIR, scenario);
    hb_sim_config c;
    char err[512];
    hb_kpis k;
    CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    c.seed = seed;
    c.controller.algo = algo_ff_os[0] == 'm' ? HB_ALGO_MPC : HB_ALGO_PID;
    c.controller.feed_forward = strstr(algo_ff_os, "ff") != NULL;
    c.controller.optimal_start = strstr(algo_ff_os, "os") != NULL;
    c.controller.mpc.learn = strstr(algo_ff_os, "fixed") == NULL; /* "mpc-fixed": no learning */
    hb_sim *s;
    CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
    CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
    k = *hb_sim_kpis(s);
    hb_sim_destroy(s);
    hb_sim_config_free(&c);
    return k;
}

/* The figures on the default day: close tracking within the PID's radio budget. */
static void test_mpc_default_day(void) {
    for (uint64_t seed = 1; seed <= 2; seed++) {
        hb_kpis m = hb__run("default", "mpc", seed);
        hb_kpis p = hb__run("default", "pid", seed);
        CU_ASSERT(m.rmse_k <= 0.07);
        CU_ASSERT(m.rmse_k < p.rmse_k);
        CU_ASSERT(m.max_overshoot_k <= 0.25 && m.max_undershoot_k <= 0.25);
        CU_ASSERT(m.valve_travel_pct <= 150);
        CU_ASSERT(m.actuator_msgs <= 100);
        CU_ASSERT(m.energy_kwh >= m.energy_floor_kwh);
    }
}

/* Night setback: the PID is late in the morning, optimal start and the MPC are on time. The
 * reference is the MPC that trusts its (perfect) model; the learning MPC, cautious while its
 * estimate is young, pays at most 1 % more heat for it and stays on time. */
static void test_night_setback_ranking(void) {
    hb_kpis p = hb__run("night-setback", "pid", 1);
    hb_kpis o = hb__run("night-setback", "pid-os", 1);
    hb_kpis m = hb__run("night-setback", "mpc-fixed", 1);
    hb_kpis l = hb__run("night-setback", "mpc", 1);
    CU_ASSERT(l.discomfort_kh <= 0.05);
    CU_ASSERT(l.energy_kwh <= 1.01 * m.energy_kwh);
    CU_ASSERT(p.discomfort_kh > 5.0);
    CU_ASSERT(o.discomfort_kh < 0.1 * p.discomfort_kh);
    CU_ASSERT(m.discomfort_kh <= 0.05);
    /* Optimal start arrives by heating at full output from the moment it must; the MPC plans
     * the same arrival with less heat, within 5 % of the floor
     * (the scenario ships economic weights). It was 3 % against the old midpoint-sampled floor;
     * the floor that is a bound for every input (issue 28) is 1.45 % lower here, so the same
     * 17.01 kWh is 1.043 of it. */
    CU_ASSERT(m.energy_kwh < o.energy_kwh);
    /* Not below the PID's heat any more: the PID with its integral band (item 6) no longer
     * overshoots the afternoon and takes 16.88 kWh, still 8.1 K·h late; it saves by being cold. */
    CU_ASSERT(m.energy_kwh >= m.energy_floor_kwh);
    CU_ASSERT(m.energy_ratio <= 1.05);
}

/* The highest air temperature over the setpoint between the 06:30 step and 22:00 of the night
 * setback under ALGO (as hb__run takes it), sampled every minute. */
static double hb__step_overshoot(const char *algo) {
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/night-setback.json", HB_SOURCE_DIR);
    hb_sim_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    c.controller.algo = HB_ALGO_PID;
    c.controller.optimal_start = strstr(algo, "os") != NULL;
    hb_sim *s;
    CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
    double worst = -INFINITY;
    for (int minute = 6 * 60 + 30; minute < 22 * 60; minute++) {
        CU_ASSERT_EQUAL(hb_sim_advance(s, minute * 60.0), HB_OK);
        worst = fmax(worst, hb_plant_cur(hb_sim_plant(s))->t_air - c.setpoint_c); /* 22 °C */
    }
    hb_sim_destroy(s);
    hb_sim_config_free(&c);
    return worst;
}

/* Issue 28 item 6. The PID's integral band keeps the five-hour warm-up after the 06:30 step from
 * winding the integral up: the air overshoots 22 °C by 0.33 K (1.57 K without it, 23.6 °C) and
 * the room is less late (8.10 against 9.19 K·h). Optimal start stays on time at no more than
 * 1.02 x the heat of the MPC that tracks the setpoint as the PID does (the MPC's default
 * weights: 17.72 against 17.51 kWh, 1.012; 17.85, 1.019, before optimal stop); against the
 * economic MPC the scenario ships it is 1.035, the half kelvin the economic plan rides below the
 * setpoint all day. */
static void test_pid_step_and_optimal_start(void) {
    double over = hb__step_overshoot("pid");
    CU_ASSERT(over > 0.0 && over <= 0.5);
    CU_ASSERT(hb__step_overshoot("pid-os") <= 0.5);
    hb_kpis p = hb__run("night-setback", "pid", 1);
    CU_ASSERT(p.discomfort_kh <= 8.2);
    hb_kpis o = hb__run("night-setback", "pid-os", 1);
    CU_ASSERT(o.discomfort_kh == 0.0);
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/night-setback.json", HB_SOURCE_DIR);
    hb_sim_config c;
    hb_sim_config d;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    hb_sim_config_default(&d);
    c.controller.algo = HB_ALGO_MPC;
    c.controller.mpc = d.controller.mpc; /* tracking the setpoint, as the PID does */
    hb_sim *s;
    CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
    CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
    double e_mpc = hb_sim_kpis(s)->energy_kwh;
    hb_sim_destroy(s);
    hb_sim_config_free(&c);
    hb_sim_config_free(&d);
    CU_ASSERT(o.energy_kwh <= 1.02 * e_mpc);
}

/* What one evening of hb__stop_evening saw. */
typedef struct hb__evening {
    double t_closed;  /* h: the valve's last closing before the fall, NAN if open at 21:59 */
    double t_first;   /* h: its first closing, NAN if none */
    bool reopened;    /* it opened again after a closing, before the fall */
    double min_air;   /* °C, 18:00 .. 22:00 */
    double air_fall;  /* °C at 22:00 */
    int min_level;    /* %: the lowest level computed from 21:00 to the fall */
    int max_level;    /* %: the highest computed after the first closing */
    double t_reopen;  /* h: the first reopening, NAN if none */
    double i_reopen;  /* %: the PID's integral then */
    double i_closed;  /* %: the PID's integral at the first closing */
    double steady;    /* %: the level of the model's steady heat at 22 °C (at 18:00) */
    double steady_lo; /* %: and at the night's setpoint */
} hb__evening;

/* One evening of hb__stop_evening. */
typedef struct hb__evening_opts {
    double below_k;       /* K: the band below 22 °C */
    double night_c;       /* °C from 22:00 (0: 17) */
    double night_below_k; /* K: its band below (0: 0.5) */
    double warm_from_h;   /* 0, or the room holds COLD_C until this hour, then 22 °C */
    double cold_c;
    double loss_w; /* W leaving the air from LOSS_AFTER_S after the valve first closes */
    double loss_after_s;
    double mute_after_s; /* the sensors fall silent this long after the first closing, */
    double mute_s;       /* for this long (0: never) */
} hb__evening_opts;

/* Optimal stop on a room that is its own model, without noise: the PID with optimal start from
 * 18:00, the room in its steady state at 22 °C (O.cold_c with O.warm_from_h), to 22:00, where the
 * setpoint falls. A heat loss the model does not know of (a window) and a silence of the sensors
 * can follow the first closing of the valve. */
static hb__evening hb__stop_evening(hb__evening_opts o) {
    hb_room_model m;
    hb__test_model(&m);
    double night_c = o.night_c > 0 ? o.night_c : 17;
    hb_schedule s = {.start_day = "mon"};
    s.periods[0] = (hb_schedule_period){.days = "all",
                                        .from_h = 22,
                                        .to_h = 6.5,
                                        .setpoint_c = night_c,
                                        .below_k = o.night_below_k > 0 ? o.night_below_k : 0.5,
                                        .above_k = 5};
    s.periods[1] = (hb_schedule_period){.days = "all",
                                        .from_h = o.warm_from_h > 0 ? o.warm_from_h : 0,
                                        .to_h = o.warm_from_h > 0 ? 22 : 24,
                                        .setpoint_c = 22,
                                        .below_k = o.below_k,
                                        .above_k = 0.5};
    s.n_periods = 2;
    CU_ASSERT_EQUAL_FATAL(hb_schedule_prepare(&s, NULL, 0), HB_OK);
    double start_c = o.warm_from_h > 0 ? o.cold_c : 22;
    hb_ctl_env env = {.model = &m,
                      .forecast = {.fn = hb__test_forecast},
                      .schedule = &s,
                      .base_c = start_c,
                      .band_k = 0.5};
    hb_room_inputs in;
    double t0 = 18 * 3600.0;
    hb__test_forecast(NULL, t0, &in);
    double q0 = hb_room_model_steady_heat(&m, start_c, &in);
    double x[HB_RM_N] = {start_c, (m.h_am * start_c + m.h_mo * in.t_out) / (m.h_am + m.h_mo), q0,
                         0};
    hb_sim_config c;
    hb_sim_config_default(&c);
    c.controller.algo = HB_ALGO_PID;
    c.controller.optimal_start = true;
    c.controller.initial_level = hb_room_model_level(&m, q0, in.t_supply, start_c);
    hb_room_ctl *ctl = hb_room_ctl_create(&c.controller);
    CU_ASSERT_FATAL(ctl != NULL);
    CU_ASSERT_EQUAL_FATAL(hb_room_ctl_set_env(ctl, &env), HB_OK);
    hb_room_disc d;
    CU_ASSERT_EQUAL_FATAL(hb_room_model_disc(&m, 60, &d), HB_OK);
    hb__evening ev = {.t_closed = NAN,
                      .t_first = NAN,
                      .min_air = INFINITY,
                      .min_level = 100,
                      .t_reopen = NAN,
                      .i_reopen = NAN,
                      .i_closed = NAN};
    ev.steady = hb_room_model_level(&m, hb_room_model_steady_heat(&m, 22, &in), in.t_supply, 22);
    ev.steady_lo =
        hb_room_model_level(&m, hb_room_model_steady_heat(&m, night_c, &in), in.t_supply, night_c);
    int level = (int)lround(c.controller.initial_level);
    for (int minute = 18 * 60; minute < 22 * 60; minute++) {
        double t = minute * 60.0;
        double after = isnan(ev.t_first) ? -INFINITY : t - ev.t_first * 3600;
        bool mute = o.mute_s > 0 && after >= o.mute_after_s && after < o.mute_after_s + o.mute_s;
        for (int i = 1; i <= 5 && !mute; i++) {
            char id[16];
            snprintf(id, sizeof id, "sensor-%d", i);
            hb_room_ctl_reading(ctl, t, id, x[0]);
        }
        int sent;
        if (hb_room_ctl_poll(ctl, t, &sent)) {
            level = sent;
        }
        int computed = hb_room_ctl_level(ctl);
        hb_room_ctl_state st;
        hb_room_ctl_save(ctl, &st);
        if (minute >= 21 * 60) {
            ev.min_level = computed < ev.min_level ? computed : ev.min_level;
        }
        if (isnan(ev.i_closed) && computed == 0) {
            ev.i_closed = st.integral;
        }
        if (!isnan(ev.t_first)) {
            ev.max_level = computed > ev.max_level ? computed : ev.max_level;
            if (computed > 0 && isnan(ev.t_reopen)) {
                ev.t_reopen = t / 3600;
                ev.i_reopen = st.integral;
            }
        }
        if (level == 0 && isnan(ev.t_closed)) {
            ev.t_closed = t / 3600;
            ev.t_first = isnan(ev.t_first) ? t / 3600 : ev.t_first;
        } else if (level > 0 && !isnan(ev.t_closed)) {
            ev.t_closed = NAN;
            ev.reopened = true;
        }
        ev.min_air = fmin(ev.min_air, x[0]);
        hb__test_forecast(NULL, t + 30, &in);
        bool open = !isnan(ev.t_first) && t >= ev.t_first * 3600 + o.loss_after_s;
        double w[HB_RM_W] = {hb_room_model_heat(&m, level, in.t_supply, x[0]), in.t_out,
                             in.q_air - (open ? o.loss_w : 0.0), in.q_mass};
        hb_room_disc_step(&d, x, w);
    }
    ev.air_fall = x[0];
    hb_room_ctl_destroy(ctl);
    hb_sim_config_free(&c);
    return ev;
}

/* Optimal stop, the mirror of optimal start: with a right model the valve closes before the
 * fall and the air coasts to the band's edge plus the margin, not below it, and stays closed;
 * with a band the closed valve would leave before the fall it never closes; and a heat loss the
 * model does not know of (a window) undoes a stop: the valve opens again before the fall, the
 * PID's integral restarted at about the level of the steady heat at 22 °C (the filter's
 * disturbance, part of the window's loss, adds some). */
static void test_optimal_stop(void) {
    hb__evening a = hb__stop_evening((hb__evening_opts){.below_k = 0.5});
    CU_ASSERT(a.t_first >= 21.0 && a.t_first <= 21.9); /* closed for the last 6 min at least */
    CU_ASSERT(a.t_closed == a.t_first && !a.reopened);
    CU_ASSERT(a.min_air >= 21.5 + 0.1 && a.air_fall <= 21.9);
    hb__evening b = hb__stop_evening((hb__evening_opts){.below_k = 0.1});
    CU_ASSERT(isnan(b.t_first) && b.min_air >= 21.9);
    /* 800 W from two minutes into the stop: the next look sees the air fall faster than the
     * model's, and the band's setpoint is back (the air does leave the band: a window). */
    hb__evening w =
        hb__stop_evening((hb__evening_opts){.below_k = 0.5, .loss_w = 800, .loss_after_s = 120});
    HB_ASSERT_NEAR(w.t_first, a.t_first, 1e-9);
    CU_ASSERT(w.reopened && isnan(w.t_closed));
    /* The integral band held the integral through the coast (15.4 %, the steady level 15.9 %);
     * undone, it restarts from the steady heat with the filter's disturbance taken off, which by
     * then holds part of the window's loss (17.6 %). */
    CU_ASSERT(w.i_reopen >= w.steady - 0.5 && w.i_reopen <= w.steady + 3.0);
    CU_ASSERT(w.i_reopen >= w.i_closed + 1.0);
}

/* A fall that leaves the lower edge higher (22 °C with 0.5 K below, then 21.9 °C with 0.1 K
 * below: 21.5 to 21.8 °C) is no reason to stop: a coast from 22 °C that ends at or above 21.9 °C
 * is a few minutes long, and shorter than a look. Before the lower edge at the fall was looked at,
 * a stop began some 20 minutes early and the PID worked to 21.9 °C with the valve a little lower
 * (smallfall2 in the review: 0.063 against 0.072 K·h). */
static void test_optimal_stop_small_fall(void) {
    hb__evening e =
        hb__stop_evening((hb__evening_opts){.below_k = 0.5, .night_c = 21.9, .night_below_k = 0.1});
    CU_ASSERT(isnan(e.t_first));
    CU_ASSERT(e.min_level >= lround(e.steady) - 1);
    CU_ASSERT(e.air_fall >= 21.9 + 0.05);
}

/* A stop closes the valve whatever the PID would do: a fall of half a kelvin (22 to 21.5 °C,
 * 0.5 K below both) leaves the PID, working to 21.5 °C from 21.9, at its integral less a little
 * P, about 8 % (and the room short of the coast the look predicted); closed, the air coasts to
 * the fall above the edge plus the margin and the valve stays shut. */
static void test_optimal_stop_closes(void) {
    hb__evening e =
        hb__stop_evening((hb__evening_opts){.below_k = 0.5, .night_c = 21.5, .night_below_k = 0.5});
    CU_ASSERT(e.t_first >= 21.5 && e.t_first <= 21.95);
    CU_ASSERT(e.t_closed == e.t_first && !e.reopened && e.max_level == 0);
    CU_ASSERT(e.min_air >= 21.5 + 0.1);
}

/* A stop undone by the look of a restart after the sensors fell silent: a window open from the
 * closing, the sensors silent from three minutes after it for ten. The valve is shut (the stop,
 * then the silence holds it); the restart's look, from the readings as they are when they come
 * back, undoes the stop, and the PID starts from the steady heat (the filter is new, with no
 * disturbance), not from the closed valve. Before, that look predicted from the filter as it was
 * before the silence and let the stop stand, and when a look at a restart did undo one, the
 * restart's own reset from the valve's 0 % took the rebias's place. */
static void test_optimal_stop_restart(void) {
    hb__evening e = hb__stop_evening((hb__evening_opts){
        .below_k = 1.5, .loss_w = 800, .loss_after_s = 60, .mute_after_s = 180, .mute_s = 600});
    /* The stop begins at 21:20; the silence ends at 21:33, the fusion's quorum at once. */
    HB_ASSERT_NEAR(e.t_reopen, e.t_first + (180 + 600) / 3600.0, 1e-6);
    HB_ASSERT_NEAR(e.i_reopen, e.steady, 0.5);
}

/* A stop that ends a warm-up that has not arrived: the room at 20 °C until a quarter of an hour
 * at 22 °C from 21:45, then 21.5 °C. The warm-up runs at full output; a stop begins before it
 * has come within 0.1 K of 22 °C, and the PID's integral, wound up by the warm-up, restarts from
 * the steady heat at 21.5 °C as on arrival. Measured in the simulator (17 °C, a quarter hour at
 * 22 °C from 12:00, then 21.5 °C to 20:00; the default room, seeds 1..3): 0.03 to 0.09 K·h and
 * 0.03 to 0.05 kWh less with the restart. */
static void test_optimal_stop_ends_warm_up(void) {
    hb__evening e = hb__stop_evening((hb__evening_opts){
        .below_k = 0.5, .night_c = 21.5, .night_below_k = 0.5, .warm_from_h = 21.75, .cold_c = 20});
    CU_ASSERT(e.t_first >= 21.5 && e.t_first < 22.0);
    HB_ASSERT_NEAR(e.i_closed, e.steady_lo, 1.0);
}

/* The robustness figures: the MPC's model 30 % off in UA and in both capacities, the
 * forecast 2 K off; the worst of the eight corners keeps the occupied band within 0.3 K·h (the
 * full table over seeds: bench/mpc_table.sh). */
static void test_mpc_mismatch(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/night-setback.json", HB_SOURCE_DIR);
    hb_sim_config robust;
    hb_sim_config_default(&robust);
    double worst = 0;
    for (int corner = 0; corner < 8; corner++) {
        hb_sim_config c;
        char err[512];
        CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
        c.controller.algo = HB_ALGO_MPC;
        c.controller.mpc = robust.controller.mpc; /* the defaults, not the scenario's economy */
        c.forecast.has_model = true;
        c.forecast.model = c.plant;
        hb_room_config *r = &c.forecast.model.room;
        double ua = corner & 1 ? 1.3 : 0.7;
        double cap = corner & 2 ? 1.3 : 0.7;
        r->ua_w_per_k *= ua;
        r->air_capacity_j_per_k *= cap;
        r->mass_capacity_j_per_k *= cap;
        c.forecast.t_out_bias_k = corner & 4 ? 2.0 : -2.0;
        hb_sim *s;
        CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
        CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
        double d = hb_sim_kpis(s)->discomfort_kh;
        worst = d > worst ? d : worst;
        hb_sim_destroy(s);
        hb_sim_config_free(&c);
    }
    CU_ASSERT(worst <= 0.3);
    /* The shipped mismatch scenarios on two seeds: the night setback's wrong room and warm
     * forecast within 0.2 K·h, a sun believed twice as strong within 0.05 K·h. */
    for (uint64_t seed = 1; seed <= 2; seed++) {
        CU_ASSERT(hb__run("night-setback-mismatch", "mpc", seed).discomfort_kh <= 0.2);
        CU_ASSERT(hb__run("mild-sunny-mismatch", "mpc", seed).discomfort_kh <= 0.05);
    }
}

/* The forecast's error comes from its own stream: the same seed gives the same run, and a noisy
 * forecast changes the MPC's run but not the PID's (which does not read it). */
static void test_forecast_error(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/night-setback.json", HB_SOURCE_DIR);
    hb_sim_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    c.duration_h = 8;
    double e[4];
    for (int i = 0; i < 4; i++) {
        c.controller.algo = i < 3 ? HB_ALGO_MPC : HB_ALGO_PID;
        c.forecast.t_out_noise_k = i == 0 ? 0.0 : 1.5;
        hb_sim *s;
        CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
        CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
        e[i] = hb_sim_kpis(s)->energy_kwh;
        hb_sim_destroy(s);
    }
    CU_ASSERT(e[0] != e[1]);
    CU_ASSERT_EQUAL(e[1], e[2]);
    hb_sim_config_free(&c);
}

/* Every input the belief forecasts carries its own error: the sun's in proportion to the sun
 * (none at night), the gains' and the supply's in watts and kelvin, and each noise from its own
 * stream, so that adding one leaves the others' draws alone. */
static void hb__belief_at(const hb_sim_config *c, double t, hb_room_inputs *in) {
    hb_belief b;
    CU_ASSERT_EQUAL_FATAL(hb_belief_init(&b, c, &c->weather, NULL), HB_OK);
    b.env.forecast.fn(b.env.forecast.ud, t, in);
    hb_belief_free(&b);
}

static void test_forecast_errors(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/mild-sunny.json", HB_SOURCE_DIR);
    hb_sim_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    double noon = 12.5 * 3600.0;
    double night = 2.0 * 3600.0;
    hb_room_inputs base;
    hb_room_inputs base_night;
    hb_room_inputs in;
    hb__belief_at(&c, noon, &base);
    hb__belief_at(&c, night, &base_night);
    double sun =
        c.plant.room.window_area_m2 * c.plant.room.solar_g * hb_weather_solar(&c.weather, noon);
    CU_ASSERT_FATAL(sun > 100.0);
    c.forecast.solar_bias_pct = 100;
    hb__belief_at(&c, noon, &in);
    HB_ASSERT_NEAR(in.q_air + in.q_mass, base.q_air + base.q_mass + sun, 1e-9);
    HB_ASSERT_NEAR(in.q_mass - base.q_mass, sun * c.plant.room.solar_to_mass, 1e-9);
    HB_ASSERT_NEAR(in.t_out, base.t_out, 0.0);
    hb__belief_at(&c, night, &in);
    HB_ASSERT_NEAR(in.q_air + in.q_mass, base_night.q_air + base_night.q_mass, 1e-12);
    c.forecast.solar_bias_pct = -100; /* no sun at all, never a negative one */
    hb__belief_at(&c, noon, &in);
    HB_ASSERT_NEAR(in.q_air + in.q_mass, base.q_air + base.q_mass - sun, 1e-9);
    c.forecast.solar_bias_pct = 0;
    c.forecast.gains_bias_w = 50;
    c.forecast.t_supply_bias_k = -3;
    hb__belief_at(&c, noon, &in);
    HB_ASSERT_NEAR(in.q_air, base.q_air + 50, 1e-9);
    HB_ASSERT_NEAR(in.q_mass, base.q_mass, 0.0);
    HB_ASSERT_NEAR(in.t_supply, base.t_supply - 3, 1e-9);
    c.forecast.gains_bias_w = 0;
    c.forecast.t_supply_bias_k = 0;
    /* The outdoor noise alone, then with every other noise on top: the same outdoor draws. */
    c.forecast.t_out_noise_k = 1;
    hb_room_inputs a;
    hb__belief_at(&c, noon, &a);
    CU_ASSERT(a.t_out != base.t_out);
    HB_ASSERT_NEAR(a.q_air, base.q_air, 0.0);
    c.forecast.solar_noise_pct = 20;
    c.forecast.gains_noise_w = 30;
    c.forecast.t_supply_noise_k = 1;
    hb__belief_at(&c, noon, &in);
    HB_ASSERT_NEAR(in.t_out, a.t_out, 0.0);
    CU_ASSERT(in.q_air != base.q_air && in.q_mass != base.q_mass && in.t_supply != base.t_supply);
    hb_room_inputs again;
    hb__belief_at(&c, noon, &again); /* the same seed, the same forecast */
    HB_ASSERT_NEAR(again.t_out, in.t_out, 0.0);
    HB_ASSERT_NEAR(again.t_supply, in.t_supply, 0.0);
    HB_ASSERT_NEAR(again.q_air, in.q_air, 0.0);
    HB_ASSERT_NEAR(again.q_mass, in.q_mass, 0.0);
    hb_sim_config_free(&c);
}

static void test_model_file(void) {
    char dir[] = "/tmp/hb-test-model-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[1100];
    char mpath[1100];
    snprintf(mpath, sizeof mpath, "%s/belief.json", dir);
    FILE *f = fopen(mpath, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("{\"room\": {\"ua_w_per_k\": 36, \"mass_capacity_kj_per_k\": 2640}}", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/s.json", dir);
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("{\"controller\": {\"type\": \"mpc\"}, \"forecast\": {\"model_file\": \"belief.json\", "
          "\"t_out_bias_k\": 2}}",
          f);
    fclose(f);
    hb_sim_config c;
    char err[1024];
    CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    CU_ASSERT(c.forecast.has_model);
    HB_ASSERT_NEAR(c.forecast.model.room.ua_w_per_k, 36, 1e-12);
    HB_ASSERT_NEAR(c.plant.room.ua_w_per_k, 30, 1e-12); /* the plant keeps its own */
    hb_sim *s;
    CU_ASSERT_EQUAL(hb_sim_create(&c, &s), HB_OK);
    hb_sim_destroy(s);
    hb_sim_config_free(&c);
    /* A model file that names another, or none at all, is an error naming the key. */
    f = fopen(mpath, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("{\"forecast\": {\"model_file\": \"s.json\"}}", f);
    fclose(f);
    CU_ASSERT_NOT_EQUAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    CU_ASSERT(strstr(err, "forecast.model_file") != NULL && strstr(err, "cannot name another"));
    remove(mpath);
    CU_ASSERT_NOT_EQUAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    CU_ASSERT(strstr(err, "forecast.model_file") != NULL && strstr(err, "belief.json"));
    /* Booleans are booleans. */
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("{\"controller\": {\"feed_forward\": 1}}", f);
    fclose(f);
    CU_ASSERT_NOT_EQUAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
    CU_ASSERT(strstr(err, "controller.feed_forward: expected true or false") != NULL);
    remove(path);
    rmdir(dir);
}

int hb_test_mpc(void) {
    static const CU_TestInfo t[] = {
        {"output curve and its inverse", test_output_curve},
        {"discretisation holds the steady state", test_disc_steady_state},
        {"Kalman filter finds an unmodelled heat", test_kf_finds_disturbance},
        {"learning filter: converges, does not drift", test_kf_learns},
        {"learning filter: held by an open window", test_kf_window_hold},
        {"filter: the emission stays right through an airing", test_kf_airing},
        {"MPC pre-heats for a schedule", test_mpc_preheats},
        {"MPC: a plan at full output opens the valve fully", test_mpc_full_output_level},
        {"MPC: full output only on a quorum's estimate", test_mpc_full_output_quorum},
        {"PID feed-forward", test_pid_feed_forward},
        {"mpc without a model is the PID", test_mpc_without_model_is_pid},
        {"MPC on the default day", test_mpc_default_day},
        {"night setback: pid, optimal start, mpc", test_night_setback_ranking},
        {"pid step overshoot, optimal start's heat", test_pid_step_and_optimal_start},
        {"optimal stop: before a fall, undone by a window", test_optimal_stop},
        {"optimal stop: not when the lower edge rises", test_optimal_stop_small_fall},
        {"optimal stop: the valve closed", test_optimal_stop_closes},
        {"optimal stop: undone at a restart", test_optimal_stop_restart},
        {"optimal stop: ends a warm-up", test_optimal_stop_ends_warm_up},
        {"model 30 % off, forecast 2 K off, sun 2x", test_mpc_mismatch},
        {"forecast error stream", test_forecast_error},
        {"forecast errors of sun, gains, supply", test_forecast_errors},
        {"forecast.model_file", test_model_file},
        CU_TEST_INFO_NULL};
    return hb_test_register("mpc", t);
}
