/*
 * BOPTEST's testcase1 rebuilt from its documented Modelica model (testcases/testcase1 of
 * ibpsa/project1-boptest): one heat capacity C = 1e6 J/K behind one resistance R = 0.01 K/W to
 * an outdoor air of 20 + 10 sin(2πt/86400) °C, starting at 20 °C; a heater/cooler of thermal
 * power Q (input oveAct_u, ±10 kW) drawing |Q|/0.99 of gas; a CO₂ concentration of
 * 750 + 250 sin(2πt/86400) ppm; the baseline a P controller (k = 2000 W/K, output 0..100 kW) on
 * a setpoint of 20 °C that steps to 22 °C at 24 h. Comfort 20..23 °C, CO₂ limit 894 ppm, 10 m²,
 * gas at 0.07 $/kWh and 0.2 kgCO₂/kWh (constants in its Resources csv files).
 */
#include "../util/hb_error.h"
#include "hb_tcase.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB_TC1_C 1e6
#define HB_TC1_R 0.01
#define HB_TC1_K0 273.15
#define HB_TC1_DAY 86400.0
#define HB_TC1_EFF 0.99
#define HB_TC1_PI 3.14159265358979323846
/* RK4 steps of at most this length: the room's time constant is R·C = 10^4 s, so the error of
 * the integration is far below the digits BOPTEST prints. */
#define HB_TC1_H 5.0

typedef struct hb_tc1 {
    double t_k; /* room air, K */
} hb_tc1;

static double hb__tc1_tout(double t) {
    return HB_TC1_K0 + 20.0 + 10.0 * sin(2.0 * HB_TC1_PI * t / HB_TC1_DAY);
}

/* The baseline's heat: a P controller limited to 0..100 kW (its LimPID), setpoint stepping at
 * 24 h (Modelica's Step: the new value from the step time on). */
static double hb__tc1_baseline(double t, double t_k) {
    double set = HB_TC1_K0 + 20.0 + (t < HB_TC1_DAY ? 0.0 : 2.0);
    double q = 2000.0 * (set - t_k);
    return q < 0.0 ? 0.0 : (q > 1e5 ? 1e5 : q);
}

static double hb__tc1_heat(double t, double t_k, double u, int act) {
    return act ? u : hb__tc1_baseline(t, t_k);
}

static double hb__tc1_dT(double t, double t_k, double u, int act) {
    return ((hb__tc1_tout(t) - t_k) / HB_TC1_R + hb__tc1_heat(t, t_k, u, act)) / HB_TC1_C;
}

static void hb__tc1_rk4(hb_tc1 *s, double t, double h, double u, int act) {
    double x = s->t_k;
    double k1 = hb__tc1_dT(t, x, u, act);
    double k2 = hb__tc1_dT(t + h / 2, x + h / 2 * k1, u, act);
    double k3 = hb__tc1_dT(t + h / 2, x + h / 2 * k2, u, act);
    double k4 = hb__tc1_dT(t + h, x + h * k3, u, act);
    s->t_k = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
}

static void hb__tc1_emit(const hb_tc1 *s, double t, double u, int act, hb_tc_sample_fn fn,
                         void *ud) {
    double q = hb__tc1_heat(t, s->t_k, u, act);
    double y[3] = {750.0 + 250.0 * sin(2.0 * HB_TC1_PI * t / HB_TC1_DAY), fabs(q) / HB_TC1_EFF,
                   s->t_k};
    double uu[1] = {q};
    int aa[1] = {act};
    hb_bkpi_sample k = {.t = t,
                        .t_air = s->t_k,
                        .t_lo = HB_TC1_K0 + 20.0,
                        .t_hi = HB_TC1_K0 + 23.0,
                        .co2 = y[0],
                        .co2_hi = 894.0};
    k.power[HB_BKPI_GAS] = y[1];
    k.price[HB_BKPI_GAS] = 0.07;
    k.emission[HB_BKPI_GAS] = 0.2;
    fn(ud, t, y, uu, aa, &k);
}

static int hb__tc1_reset(hb_tcase *tc, double t0) {
    (void)t0;
    ((hb_tc1 *)tc->state)->t_k = HB_TC1_K0 + 20.0;
    return HB_OK;
}

static int hb__tc1_simulate(hb_tcase *tc, double t0, double t1, const double *u, const int *act,
                            int n, bool with_first, hb_tc_sample_fn fn, void *ud) {
    hb_tc1 *s = tc->state;
    if (with_first) {
        hb__tc1_emit(s, t0, u[0], act[0], fn, ud);
    }
    for (int k = 1; k <= n; k++) {
        double ta = t0 + (t1 - t0) * (k - 1) / n;
        double tb = t0 + (t1 - t0) * k / n;
        int m = (int)ceil((tb - ta) / HB_TC1_H);
        for (int i = 0; i < m; i++) {
            double h = (tb - ta) / m;
            hb__tc1_rk4(s, ta + i * h, h, u[0], act[0]);
        }
        hb__tc1_emit(s, tb, u[0], act[0], fn, ud);
    }
    return HB_OK;
}

static double hb__tc1_forecast(const hb_tcase *tc, size_t i, double t) {
    (void)tc;
    static const double constant[] = {0, HB_TC1_K0 + 20.0, HB_TC1_K0 + 23.0, 894.0, 0.07, 0.2};
    return i == 0 ? hb__tc1_tout(t) : constant[i];
}

static void hb__tc1_destroy(hb_tcase *tc) {
    free(tc->state);
}

static void hb__tc1_point(hb_tc_point *p, const char *name, const char *unit, const char *desc,
                          double min, double max) {
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    snprintf(p->desc, sizeof p->desc, "%s", desc);
    p->min = min;
    p->max = max;
}

int hb_tc1_create(hb_tcase **out) {
    hb_tcase *tc = calloc(1, sizeof *tc);
    hb_tc1 *s = calloc(1, sizeof *s);
    if (!tc || !s) {
        free(tc);
        free(s);
        return HB_ERR_NOMEM;
    }
    snprintf(tc->name, sizeof tc->name, "testcase1");
    snprintf(tc->description, sizeof tc->description,
             "BOPTEST testcase1: a 1R1C room with an ideal heater/cooler");
    tc->n_in = 1;
    hb__tc1_point(&tc->in[0], "oveAct_u", "W", "Heater/Cooler thermal power", -10000.0, 10000.0);
    tc->n_out = 3;
    hb__tc1_point(&tc->out[0], "CO2RooAir_y", "ppm", "Zone air CO2 concentration", NAN, NAN);
    hb__tc1_point(&tc->out[1], "PHeaCoo_y", "W", "Heater/Cooler power", NAN, NAN);
    hb__tc1_point(&tc->out[2], "TRooAir_y", "K", "Zone air temperature", NAN, NAN);
    static const char *const fc[][3] = {
        {"TDryBul", "K", "Dry bulb temperature at ground level"},
        {"LowerSetp[1]", "K", "Lower temperature set point for thermal comfort of zone"},
        {"UpperSetp[1]", "K", "Upper temperature set point for thermal comfort of zone"},
        {"UpperCO2[1]", "ppm", "Upper CO2 set point for indoor air quality of zone"},
        {"PriceGasPower", "($/Euro)/kWh", "Price to produce 1 kWh thermal from gas"},
        {"EmissionsGasPower", "kgCO2/kWh",
         "Kilograms of carbon dioxide to produce 1 kWh thermal from gas"}};
    tc->n_fc = sizeof fc / sizeof fc[0];
    for (size_t i = 0; i < tc->n_fc; i++) {
        hb__tc1_point(&tc->fc[i], fc[i][0], fc[i][1], fc[i][2], NAN, NAN);
    }
    tc->forecast = hb__tc1_forecast;
    tc->n_periods = 1;
    snprintf(tc->period_name[0], sizeof tc->period_name[0], "test_day");
    tc->period_day[0] = 20.0;
    tc->area_m2 = 10.0;
    tc->has_co2 = true;
    tc->has_src[HB_BKPI_GAS] = true;
    tc->default_step_s = 60.0;
    tc->end_s = INFINITY;
    tc->price_kwh = 0.07;
    tc->state = s;
    tc->reset = hb__tc1_reset;
    tc->simulate = hb__tc1_simulate;
    tc->destroy = hb__tc1_destroy;
    s->t_k = HB_TC1_K0 + 20.0;
    *out = tc;
    return HB_OK;
}

void hb_tcase_destroy(hb_tcase *tc) {
    if (!tc) {
        return;
    }
    if (tc->destroy) {
        tc->destroy(tc);
    }
    free(tc);
}
