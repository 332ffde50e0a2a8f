/*
 * A heatbench scenario as a BOPTEST test case: the scenario's room, weather, sensors, network and
 * controller, simulated by sim/hb_sim.h. The scenario's controller is the baseline; a client may
 * overwrite the valve (valve_u, 0..1) and the baseline's setpoint (setpoint_u, K). Measurements
 * are the truth next to what the controller sees: the air temperature, each sensor's latest
 * reading, the fused estimate, radiator heat, valve position, outdoor air and sun.
 */
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "hb_tcase.h"
#include "hb_tc_room.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB_ROOM_K0 273.15

typedef struct hb_room_tc {
    const hb_sim_config *cfg; /* borrowed: outlives every test */
    hb_tc_room_kpi_fn kpi_json;
    hb_sim *sim;
    double e_prev_j, t_prev; /* water heat at the previous sample, for its mean power */
} hb_room_tc;

enum { HB_ROOM_IN_VALVE = 0, HB_ROOM_IN_SETPOINT };

static void hb__room_point(hb_tc_point *p, const char *name, const char *unit, const char *desc,
                           double min, double max) {
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    snprintf(p->desc, sizeof p->desc, "%s", desc);
    p->min = min;
    p->max = max;
}

static int hb__room_reset(hb_tcase *tc, double t0) {
    hb_room_tc *r = tc->state;
    hb_sim_destroy(r->sim);
    r->sim = NULL;
    int rc = hb_sim_create(r->cfg, &r->sim);
    if (rc != HB_OK) {
        return rc;
    }
    rc = hb_sim_advance(r->sim, t0);
    r->t_prev = t0;
    r->e_prev_j = hb_plant_cur(hb_sim_plant(r->sim))->e_water_j;
    return rc;
}

static void hb__room_emit(hb_tcase *tc, double t, const int *act, hb_tc_sample_fn fn, void *ud) {
    hb_room_tc *r = tc->state;
    const hb_sim_config *c = r->cfg;
    const hb_plant *pl = hb_sim_plant(r->sim);
    const hb_plant_state *st = hb_plant_cur(pl);
    double y[HB_TC_MAX_OUT];
    size_t n = 0;
    double air = hb_plant_air_at(pl, t);
    double p_w = t > r->t_prev ? (st->e_water_j - r->e_prev_j) / (t - r->t_prev) : 0.0;
    r->t_prev = t;
    r->e_prev_j = st->e_water_j;
    y[n++] = air + HB_ROOM_K0;
    for (size_t i = 0; i < c->n_sensors; i++) {
        double v = hb_sim_reading(r->sim, i);
        y[n++] = isnan(v) ? air + HB_ROOM_K0 : v + HB_ROOM_K0; /* before its first: the truth */
    }
    double est = hb_sim_estimate(r->sim);
    y[n++] = (isnan(est) ? air : est) + HB_ROOM_K0;
    y[n++] = st->q_rad_w;
    y[n++] = p_w;
    y[n++] = st->valve_pos / 100.0;
    y[n++] = hb_weather_t_out(&c->weather, t) + HB_ROOM_K0;
    y[n++] = hb_weather_solar(&c->weather, t);
    double u[2] = {st->valve_pos / 100.0, hb_sim_setpoint(r->sim) + HB_ROOM_K0};
    hb_setpoint sp;
    hb_schedule_at(c->schedule.n_periods ? &c->schedule : NULL, c->setpoint_c, c->comfort_band_k, t,
                   &sp);
    hb_bkpi_sample k = {.t = t,
                        .t_air = air + HB_ROOM_K0,
                        .t_lo = sp.lo_c + HB_ROOM_K0,
                        .t_hi = sp.hi_c + HB_ROOM_K0};
    k.power[HB_BKPI_GAS] = p_w;
    k.price[HB_BKPI_GAS] = tc->price_kwh;
    k.emission[HB_BKPI_GAS] = 0.2;
    fn(ud, t, y, u, act, &k);
}

static int hb__room_simulate(hb_tcase *tc, double t0, double t1, const double *u, const int *act,
                             int n, bool with_first, hb_tc_sample_fn fn, void *ud) {
    hb_room_tc *r = tc->state;
    hb_sim_override_valve(r->sim, act[HB_ROOM_IN_VALVE] ? u[HB_ROOM_IN_VALVE] * 100.0 : NAN);
    hb_sim_override_setpoint(r->sim,
                             act[HB_ROOM_IN_SETPOINT] ? u[HB_ROOM_IN_SETPOINT] - HB_ROOM_K0 : NAN);
    if (with_first) {
        hb__room_emit(tc, t0, act, fn, ud);
    }
    for (int k = 1; k <= n; k++) {
        double tb = t0 + (t1 - t0) * k / n;
        int rc = hb_sim_advance(r->sim, tb);
        if (rc != HB_OK) {
            return rc;
        }
        hb__room_emit(tc, tb, act, fn, ud);
    }
    return HB_OK;
}

static double hb__room_forecast(const hb_tcase *tc, size_t i, double t) {
    const hb_room_tc *r = tc->state;
    const hb_sim_config *c = r->cfg;
    hb_setpoint sp;
    hb_schedule_at(c->schedule.n_periods ? &c->schedule : NULL, c->setpoint_c, c->comfort_band_k, t,
                   &sp);
    switch (i) {
    case 0:
        return hb_weather_t_out(&c->weather, t) + HB_ROOM_K0;
    case 1:
        return hb_weather_solar(&c->weather, t);
    case 2:
        return sp.lo_c + HB_ROOM_K0;
    case 3:
        return sp.hi_c + HB_ROOM_K0;
    default:
        return tc->price_kwh;
    }
}

static void hb__room_kpis(hb_tcase *tc, cJSON *out) {
    hb_room_tc *r = tc->state;
    if (!r->kpi_json || hb_sim_finish(r->sim) != HB_OK) {
        return;
    }
    cJSON *k = r->kpi_json(hb_sim_kpis(r->sim));
    cJSON *v;
    /* Moved over one by one, in their order; BOPTEST's, integrated by the simulation on its own
     * grid, replace the test's from its 30 s samples, so /kpi equals heatbench run. */
    while (k && (v = k->child) != NULL) {
        char key[64]; /* the add below frees the item's own key before copying it */
        snprintf(key, sizeof key, "%s", v->string);
        cJSON_DetachItemViaPointer(k, v);
        if (cJSON_GetObjectItemCaseSensitive(out, key)) {
            cJSON_ReplaceItemInObjectCaseSensitive(out, key, v);
        } else {
            cJSON_AddItemToObject(out, key, v);
        }
    }
    cJSON_Delete(k);
}

static void hb__room_kpi_restart(hb_tcase *tc) {
    hb_sim_boptest_restart(((hb_room_tc *)tc->state)->sim);
}

static void hb__room_destroy(hb_tcase *tc) {
    hb_room_tc *r = tc->state;
    hb_sim_destroy(r->sim);
    free(r);
}

static void hb__room_points(hb_tcase *tc, const hb_sim_config *c) {
    tc->n_in = 2;
    hb__room_point(&tc->in[0], "valve_u", "1", "Radiator valve level (0 closed, 1 open)", 0.0, 1.0);
    hb__room_point(&tc->in[1], "setpoint_u", "K", "Setpoint of the baseline controller", 278.15,
                   308.15);
    size_t n = 0;
    hb__room_point(&tc->out[n++], "TRooAir_y", "K", "Zone air temperature (true)", NAN, NAN);
    for (size_t i = 0; i < c->n_sensors && n < HB_TC_MAX_OUT - 7; i++) {
        char name[48], desc[96];
        snprintf(name, sizeof name, "TSen%zu_y", i + 1);
        snprintf(desc, sizeof desc, "Latest reading of sensor %.40s (noise, lag, faults)",
                 c->sensors[i].id);
        hb__room_point(&tc->out[n++], name, "K", desc, NAN, NAN);
    }
    hb__room_point(&tc->out[n++], "TEst_y", "K", "The baseline controller's fused estimate", NAN,
                   NAN);
    hb__room_point(&tc->out[n++], "QRad_y", "W", "Radiator heat into the room", NAN, NAN);
    hb__room_point(&tc->out[n++], "PHea_y", "W", "Heat taken from the heating water", NAN, NAN);
    hb__room_point(&tc->out[n++], "yVal_y", "1", "Valve position (0 closed, 1 open)", 0.0, 1.0);
    hb__room_point(&tc->out[n++], "TOut_y", "K", "Outdoor air temperature", NAN, NAN);
    hb__room_point(&tc->out[n++], "HSol_y", "W/m2", "Solar irradiance on the window plane", NAN,
                   NAN);
    tc->n_out = n;
    static const char *const fc[][3] = {
        {"TDryBul", "K", "Outdoor air temperature"},
        {"HSol", "W/m2", "Solar irradiance on the window plane"},
        {"LowerSetp[1]", "K", "Lower temperature set point for thermal comfort of zone"},
        {"UpperSetp[1]", "K", "Upper temperature set point for thermal comfort of zone"},
        {"PriceGasPower", "($/Euro)/kWh", "Price of the heat"}};
    tc->n_fc = sizeof fc / sizeof fc[0];
    for (size_t i = 0; i < tc->n_fc; i++) {
        hb__room_point(&tc->fc[i], fc[i][0], fc[i][1], fc[i][2], NAN, NAN);
    }
}

int hb_tc_room_create(const hb_sim_config *cfg, hb_tc_room_kpi_fn kpi_json, hb_tcase **out) {
    hb_tcase *tc = calloc(1, sizeof *tc);
    hb_room_tc *r = calloc(1, sizeof *r);
    if (!tc || !r) {
        free(tc);
        free(r);
        return HB_ERR_NOMEM;
    }
    r->cfg = cfg;
    r->kpi_json = kpi_json;
    snprintf(tc->name, sizeof tc->name, "%s", cfg->name);
    snprintf(tc->description, sizeof tc->description, "%s", cfg->description);
    hb__room_points(tc, cfg);
    tc->area_m2 = HB_TC_ROOM_AREA_M2;
    tc->has_src[HB_BKPI_GAS] = true;
    tc->default_step_s = 300.0;
    tc->price_kwh = HB_TC_ROOM_PRICE;
    tc->start_s = cfg->plant.t_start_s;
    tc->end_s = cfg->plant.t_start_s + cfg->duration_h * 3600.0;
    tc->state = r;
    tc->reset = hb__room_reset;
    tc->simulate = hb__room_simulate;
    tc->forecast = hb__room_forecast;
    tc->extra_kpis = hb__room_kpis;
    tc->kpi_restart = hb__room_kpi_restart;
    tc->destroy = hb__room_destroy;
    int rc = hb__room_reset(tc, tc->start_s);
    if (rc != HB_OK) {
        hb_tcase_destroy(tc);
        return rc;
    }
    *out = tc;
    return HB_OK;
}
