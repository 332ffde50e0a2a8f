#include "hb_belief.h"
#include "../util/hb_error.h"
#include "../util/hb_rng.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The output curve is tabulated at least this far above the room: a heating curve that runs the
 * water barely above the room on a mild day would leave a table of nothing. */
#define HB__MIN_EXCESS_K 5.0
#define HB__T_ROOM 20.0

void hb_belief_model(const hb_plant *p, const hb_valve_config *valve, double t, hb_room_model *m) {
    hb_plant_linear lin;
    hb_plant_linear_model(p, &lin);
    hb_plant_inputs in;
    hb_plant_inputs_at(p, t, &in);
    double excess = fmax(in.t_supply - HB__T_ROOM, HB__MIN_EXCESS_K);
    memset(m, 0, sizeof *m);
    m->c_air = lin.c_air;
    m->c_mass = lin.c_mass;
    m->h_am = lin.h_am;
    m->h_ao = lin.h_ao;
    m->h_mo = lin.h_mo;
    m->excess_ref_k = excess;
    m->exponent = lin.exponent;
    for (int i = 0; i < HB_RM_LEVELS; i++) {
        double flow = hb_valve_flow(valve, 10.0 * i);
        m->heat_ref[i] = hb_radiator_steady_output(p, HB__T_ROOM + excess, HB__T_ROOM, flow);
        if (i > 0 && m->heat_ref[i] < m->heat_ref[i - 1]) {
            m->heat_ref[i] = m->heat_ref[i - 1]; /* rounding never makes the curve fall */
        }
    }
    /* The emission's lag: the radiator's capacity over the slope of its power law at full
     * output (dQ/dT_r = n Q / (T_r - T_a)), plus half a stroke of the valve's motor. */
    double q = m->heat_ref[HB_RM_LEVELS - 1];
    double over = lin.dt_ref * pow(q / lin.q50_w, 1.0 / lin.exponent);
    m->tau_rad_s = lin.c_rad * over / (lin.exponent * q) + 0.5 * valve->stroke_time_s;
    if (!(m->tau_rad_s > 1.0)) {
        m->tau_rad_s = 1.0;
    }
}

/* The error of E at time T: its bias plus its hourly noise, linear between the hours. */
static double hb__error_at(const hb_belief_error *e, double t0, double t) {
    double err = e->bias;
    if (e->n > 1) {
        double x = (t - t0) / 3600.0;
        x = fmin(fmax(x, 0.0), (double)(e->n - 1));
        size_t k = (size_t)x;
        if (k >= e->n - 1) {
            k = e->n - 2;
        }
        double f = x - (double)k;
        err += e->noise[k] + f * (e->noise[k + 1] - e->noise[k]);
    }
    return err;
}

static void hb__forecast(void *ud, double t, hb_room_inputs *in) {
    const hb_belief *b = ud;
    hb_plant_inputs pin;
    hb_plant_inputs_at(b->plant, t, &pin);
    in->t_out = pin.t_out + hb__error_at(&b->err[HB_BELIEF_T_OUT], b->t0, t);
    in->t_supply = pin.t_supply + hb__error_at(&b->err[HB_BELIEF_T_SUPPLY], b->t0, t);
    /* The sun's error scales the sun the belief's glazing lets in, split between air and mass
     * as the belief splits it; a forecast never has the sun below nothing. */
    double sun = b->solar_area_m2 * hb_weather_solar(b->weather, t);
    double rel = fmax(hb__error_at(&b->err[HB_BELIEF_SOLAR], b->t0, t) / 100.0, -1.0);
    double d_sun = sun * rel;
    in->q_air = pin.q_air + d_sun * (1.0 - b->solar_to_mass) +
                hb__error_at(&b->err[HB_BELIEF_GAINS], b->t0, t);
    in->q_mass = pin.q_mass + d_sun * b->solar_to_mass;
}

/* One input's error of CFG: the bias, and SD's hourly draws from the stream NAME over the run
 * and the longest look-ahead after it (none without an SD). */
static int hb__error_init(hb_belief_error *e, const hb_sim_config *cfg, double bias, double sd,
                          const char *name) {
    e->bias = bias;
    if (!(sd > 0)) {
        return HB_OK;
    }
    e->n = (size_t)ceil(cfg->duration_h) + 170;
    e->noise = malloc(e->n * sizeof *e->noise);
    gsl_rng *r = hb_rng_stream(cfg->seed, name);
    if (!e->noise || !r) {
        gsl_rng_free(r);
        e->n = 0;
        return HB_ERR_NOMEM;
    }
    for (size_t i = 0; i < e->n; i++) {
        e->noise[i] = gsl_ran_gaussian(r, sd);
    }
    gsl_rng_free(r);
    return HB_OK;
}

int hb_belief_init(hb_belief *b, const hb_sim_config *cfg, const hb_weather_config *weather,
                   const hb_schedule *schedule) {
    memset(b, 0, sizeof *b);
    hb_plant_config pc = cfg->forecast.has_model ? cfg->forecast.model : cfg->plant;
    pc.weather = weather;
    pc.t_start_s = cfg->plant.t_start_s;
    int rc = hb_plant_create(&pc, &b->plant);
    if (rc != HB_OK) {
        return rc;
    }
    hb_belief_model(b->plant, &pc.valve, pc.t_start_s, &b->model);
    b->weather = weather;
    b->solar_area_m2 = pc.room.window_area_m2 * pc.room.solar_g;
    b->solar_to_mass = pc.room.solar_to_mass;
    b->t0 = pc.t_start_s;
    const hb_forecast_config *f = &cfg->forecast;
    if (hb__error_init(&b->err[HB_BELIEF_T_OUT], cfg, f->t_out_bias_k, f->t_out_noise_k,
                       "forecast/t_out") != HB_OK ||
        hb__error_init(&b->err[HB_BELIEF_SOLAR], cfg, f->solar_bias_pct, f->solar_noise_pct,
                       "forecast/solar") != HB_OK ||
        hb__error_init(&b->err[HB_BELIEF_GAINS], cfg, f->gains_bias_w, f->gains_noise_w,
                       "forecast/gains") != HB_OK ||
        hb__error_init(&b->err[HB_BELIEF_T_SUPPLY], cfg, f->t_supply_bias_k, f->t_supply_noise_k,
                       "forecast/t_supply") != HB_OK) {
        return HB_ERR_NOMEM;
    }
    b->env = (hb_ctl_env){.model = &b->model,
                          .forecast = {.fn = hb__forecast, .ud = b},
                          .schedule = schedule,
                          .base_c = cfg->setpoint_c,
                          .band_k = cfg->comfort_band_k};
    return hb_room_model_check(&b->model);
}

void hb_belief_free(hb_belief *b) {
    hb_plant_destroy(b->plant);
    for (int i = 0; i < HB_BELIEF_NERR; i++) {
        free(b->err[i].noise);
    }
    memset(b, 0, sizeof *b);
}
