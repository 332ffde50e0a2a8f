#include "hb_kpi.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void hb_kpi_comfort_init(hb_kpi_comfort *c, double t_from) {
    memset(c, 0, sizeof *c);
    c->t_from = t_from;
}

/* The distance of T from [LO, HI] (0 inside). */
static double hb__outside(double t, double lo, double hi) {
    return t < lo ? lo - t : (t > hi ? t - hi : 0.0);
}

void hb_kpi_comfort_step(hb_kpi_comfort *c, double ta, double air_a, double tb, double air_b,
                         double setpoint, double lo, double hi) {
    assert(tb >= ta && lo <= hi);
    /* The tolerance keeps a warm-up end that falls on a grid point from depending on how the
     * grid times were summed. */
    if (ta < c->t_from - 1e-9) {
        return;
    }
    double dt = tb - ta;
    double ea = air_a - setpoint;
    double eb = air_b - setpoint;
    c->acc_t += dt;
    c->discomfort_kh +=
        0.5 * dt * (hb__outside(air_a, lo, hi) + hb__outside(air_b, lo, hi)) / 3600.0;
    c->acc_sq += 0.5 * dt * (ea * ea + eb * eb);
    c->iae_kh += 0.5 * dt * (fabs(ea) + fabs(eb)) / 3600.0;
    c->acc_mean += 0.5 * dt * (air_a + air_b);
    c->acc_in_band += dt * (air_b >= lo && air_b <= hi);
    /* Written so that a NaN sample (a trace row without air temperature) leaves them alone. */
    if (eb > c->max_overshoot_k) {
        c->max_overshoot_k = eb;
    }
    if (-eb > c->max_undershoot_k) {
        c->max_undershoot_k = -eb;
    }
}

void hb_kpi_comfort_finish(const hb_kpi_comfort *c, hb_kpis *k) {
    if (c->acc_t > 0) {
        k->discomfort_kh = c->discomfort_kh;
        k->iae_kh = c->iae_kh;
        k->max_overshoot_k = c->max_overshoot_k;
        k->max_undershoot_k = c->max_undershoot_k;
        k->rmse_k = sqrt(c->acc_sq / c->acc_t);
        k->mean_t_air_c = c->acc_mean / c->acc_t;
        k->in_band_pct = 100.0 * c->acc_in_band / c->acc_t;
    } else {
        /* The run ended inside the warm-up: no comfort figure exists. */
        k->discomfort_kh = k->rmse_k = k->iae_kh = NAN;
        k->max_overshoot_k = k->max_undershoot_k = NAN;
        k->in_band_pct = k->mean_t_air_c = NAN;
    }
}
