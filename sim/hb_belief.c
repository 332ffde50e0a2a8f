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

static void hb__forecast(void *ud, double t, hb_room_inputs *in) {
    const hb_belief *b = ud;
    hb_plant_inputs pin;
    hb_plant_inputs_at(b->plant, t, &pin);
    double err = b->bias_k;
    if (b->n_noise > 1) {
        double x = (t - b->t0) / 3600.0;
        x = fmin(fmax(x, 0.0), (double)(b->n_noise - 1));
        size_t k = (size_t)x;
        if (k >= b->n_noise - 1) {
            k = b->n_noise - 2;
        }
        double f = x - (double)k;
        err += b->noise_k[k] + f * (b->noise_k[k + 1] - b->noise_k[k]);
    }
    in->t_out = pin.t_out + err;
    in->t_supply = pin.t_supply;
    in->q_air = pin.q_air;
    in->q_mass = pin.q_mass;
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
    b->bias_k = cfg->forecast.t_out_bias_k;
    b->t0 = pc.t_start_s;
    if (cfg->forecast.t_out_noise_k > 0) {
        /* Hours of the run and of the longest look-ahead after it. */
        b->n_noise = (size_t)ceil(cfg->duration_h) + 170;
        b->noise_k = malloc(b->n_noise * sizeof *b->noise_k);
        gsl_rng *r = hb_rng_stream(cfg->seed, "forecast/t_out");
        if (!b->noise_k || !r) {
            gsl_rng_free(r);
            return HB_ERR_NOMEM;
        }
        for (size_t i = 0; i < b->n_noise; i++) {
            b->noise_k[i] = gsl_ran_gaussian(r, cfg->forecast.t_out_noise_k);
        }
        gsl_rng_free(r);
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
    free(b->noise_k);
    memset(b, 0, sizeof *b);
}
