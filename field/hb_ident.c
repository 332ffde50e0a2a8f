/*
 * The grey-box fit of hb_ident.h. The parameter vector θ is unconstrained: logarithms of the
 * positive quantities, a logistic share, and H_am as (1 − f)·UA·(1 + e^θ) so that every θ is a
 * room the plant accepts (the envelope's conductance in series with H_am must give (1 − f)·UA).
 */
#include "hb_ident.h"
#include "../models/hb_plant.h"
#include "../util/hb_error.h"
#include "../util/hb_rng.h"

#include <assert.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB__SHARE_MAX 0.95 /* the scenario's upper bound on direct_share */

/* The first hour is simulated but not scored: the trace does not say what the radiator held
 * before its first command (a 3 kW radiator at 50 K above the room stores about 1 kWh, half an
 * hour of a big room's loss), and an hour lets the emitter forget its start while the room's
 * nodes, whose start is fitted, keep what it gave them. Measured: a room whose controller
 * started from 2 % where the valve had stood at 20 % came out 20 % small in every heat flow
 * when scored from the first row; within 2 % with the hour skipped. */
#define HB__BURN_IN_S 3600.0

static const char *const hb__ident_names[HB_IDENT_NPAR] = {
    "ua_w_per_k",       "direct_share", "air_capacity_kj_per_k", "mass_capacity_kj_per_k",
    "air_mass_w_per_k", "q50_w",        "window_area_m2",        "base_gains_w",
    "mass_start_k",     "sensor_lag_s",
};

/* Which parameters are positive (their intervals are computed on the logarithm). */
static const bool hb__positive[HB_IDENT_NPAR] = {true, false, true,  true,  true,
                                                 true, false, false, false, true};

const char *hb_ident_param_name(int i) {
    return i >= 0 && i < HB_IDENT_NPAR ? hb__ident_names[i] : NULL;
}

int hb_ident_param_find(const char *name) {
    for (int i = 0; i < HB_IDENT_NPAR; i++) {
        if (strcmp(name, hb__ident_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void hb_ident_options_default(hb_ident_options *o) {
    o->holdout_h = NAN;
    o->starts = 8;
    /* The sensors' lag and the air node are two first-order lags in series: the output hardly
     * tells which is which (on the default room two fits, C_a 332 kJ/K with a 96 s lag and
     * 45 kJ/K with 662 s, differ by 0.1 % in RMSE), so the lag is the sensor's data sheet value
     * unless the user frees it. */
    o->fixed = 1u << HB_IDENT_LAG;
    o->seed = 1;
}

typedef struct hb__fit {
    const hb_sim_config *base;
    const hb_ident_data *d;
    size_t split;                /* rows [0, split) are fitted */
    double theta[HB_IDENT_NPAR]; /* the full vector; the free entries come from the solver */
    int free_idx[HB_IDENT_NPAR];
    int nfree;
    double *pred, *ta, *tm; /* the last simulation: lagged air, air, mass (n each) */
    int evals;
} hb__fit;

/* The physical values of θ (units of hb_ident_param; capacities in J/K). */
static void hb__values(const double *th, double *v) {
    double f = HB__SHARE_MAX / (1.0 + exp(-th[HB_IDENT_DIRECT_SHARE]));
    v[HB_IDENT_UA] = exp(th[HB_IDENT_UA]);
    v[HB_IDENT_DIRECT_SHARE] = f;
    v[HB_IDENT_C_AIR] = exp(th[HB_IDENT_C_AIR]);
    v[HB_IDENT_C_MASS] = exp(th[HB_IDENT_C_MASS]);
    v[HB_IDENT_H_AM] = (1.0 - f) * v[HB_IDENT_UA] * (1.0 + exp(th[HB_IDENT_H_AM]));
    v[HB_IDENT_Q50] = exp(th[HB_IDENT_Q50]);
    v[HB_IDENT_APERTURE] = th[HB_IDENT_APERTURE];
    v[HB_IDENT_GAINS] = th[HB_IDENT_GAINS];
    v[HB_IDENT_MASS0] = th[HB_IDENT_MASS0];
    v[HB_IDENT_LAG] = exp(th[HB_IDENT_LAG]);
}

/* θ of the physical values V (the inverse of hb__values). */
static void hb__theta(const double *v, double *th) {
    double f = fmin(fmax(v[HB_IDENT_DIRECT_SHARE], 0.01), HB__SHARE_MAX - 0.01);
    double ratio = v[HB_IDENT_H_AM] / ((1.0 - f) * v[HB_IDENT_UA]) - 1.0;
    th[HB_IDENT_UA] = log(v[HB_IDENT_UA]);
    th[HB_IDENT_DIRECT_SHARE] = log(f / (HB__SHARE_MAX - f));
    th[HB_IDENT_C_AIR] = log(v[HB_IDENT_C_AIR]);
    th[HB_IDENT_C_MASS] = log(v[HB_IDENT_C_MASS]);
    th[HB_IDENT_H_AM] = log(ratio > 1e-6 ? ratio : 1e-6);
    th[HB_IDENT_Q50] = log(v[HB_IDENT_Q50]);
    th[HB_IDENT_APERTURE] = v[HB_IDENT_APERTURE];
    th[HB_IDENT_GAINS] = v[HB_IDENT_GAINS];
    th[HB_IDENT_MASS0] = v[HB_IDENT_MASS0];
    th[HB_IDENT_LAG] = log(v[HB_IDENT_LAG] > 1.0 ? v[HB_IDENT_LAG] : 1.0);
}

/* The base scenario's values. */
static void hb__base_values(const hb_sim_config *b, double *v) {
    const hb_room_config *r = &b->plant.room;
    v[HB_IDENT_UA] = r->ua_w_per_k;
    v[HB_IDENT_DIRECT_SHARE] = r->direct_share;
    v[HB_IDENT_C_AIR] = r->air_capacity_j_per_k;
    v[HB_IDENT_C_MASS] = r->mass_capacity_j_per_k;
    v[HB_IDENT_H_AM] = r->air_mass_w_per_k;
    v[HB_IDENT_Q50] = b->plant.radiator.q50_w;
    v[HB_IDENT_APERTURE] = r->window_area_m2;
    v[HB_IDENT_GAINS] = r->base_gains_w;
    v[HB_IDENT_MASS0] = 0.0;
    v[HB_IDENT_LAG] = b->n_sensors > 0 ? b->sensors[0].lag_s : 0.0;
}

/* The plant of values V over BASE, starting at time T0 with air TA0, mass TM0 (NaN: TA0's
 * steady state plus V's mass offset) and valve LEVEL0. */
static void hb__plant_config(const hb__fit *f, const double *v, double t0, double ta0, double tm0,
                             double level0, hb_plant_config *pc) {
    *pc = f->base->plant;
    hb_room_config *r = &pc->room;
    r->ua_w_per_k = v[HB_IDENT_UA];
    r->direct_share = v[HB_IDENT_DIRECT_SHARE];
    r->air_capacity_j_per_k = v[HB_IDENT_C_AIR];
    r->mass_capacity_j_per_k = v[HB_IDENT_C_MASS];
    r->air_mass_w_per_k = v[HB_IDENT_H_AM];
    r->window_area_m2 = fmax(v[HB_IDENT_APERTURE], 0.0);
    r->base_gains_w = v[HB_IDENT_GAINS];
    /* The radiator's capacity keeps the base's share per watt of output. */
    double q50b = f->base->plant.radiator.q50_w;
    pc->radiator.capacity_j_per_k *= v[HB_IDENT_Q50] / q50b;
    pc->radiator.q50_w = v[HB_IDENT_Q50];
    pc->weather = &f->d->weather;
    pc->t_start_s = t0;
    pc->t_air0_c = ta0;
    if (isnan(tm0)) {
        /* Steady mass for this air: H_mo from 1/((1 − f) UA) = 1/H_am + 1/H_mo. */
        double env = (1.0 - r->direct_share) * r->ua_w_per_k;
        double h_mo = 1.0 / (1.0 / env - 1.0 / r->air_mass_w_per_k);
        double to = hb_weather_t_out(&f->d->weather, t0);
        tm0 = (r->air_mass_w_per_k * ta0 + h_mo * to) / (r->air_mass_w_per_k + h_mo) +
              v[HB_IDENT_MASS0];
    }
    pc->t_mass0_c = tm0;
    pc->valve0_pct = level0;
}

/* Simulates rows [FROM, TO) with the recorded commands from air TA0 and mass TM0 (NaN: as in
 * hb__plant_config), writing the sensors' lagged view, the air and the mass per row. */
static int hb__simulate(hb__fit *f, const double *th, size_t from, size_t to, double ta0,
                        double tm0) {
    const hb_ident_data *d = f->d;
    double v[HB_IDENT_NPAR];
    hb__values(th, v);
    hb_plant_config pc;
    hb__plant_config(f, v, d->t[from], ta0, tm0, d->level[from], &pc);
    hb_plant *p;
    f->evals++;
    if (hb_plant_create(&pc, &p) != HB_OK) {
        return HB_ERR_NUMERIC;
    }
    double lag = v[HB_IDENT_LAG];
    double y = ta0;
    double x_prev = ta0;
    f->pred[from] = y;
    f->ta[from] = ta0;
    f->tm[from] = hb_plant_cur(p)->t_mass;
    int rc = HB_OK;
    for (size_t i = from + 1; i < to && rc == HB_OK; i++) {
        /* The row's command arrived somewhere since the last row: it acts from half way. */
        double mid = 0.5 * (d->t[i - 1] + d->t[i]);
        bool switched = false;
        while (hb_plant_time(p) < d->t[i] && rc == HB_OK) {
            if (!switched && hb_plant_time(p) >= mid) {
                hb_plant_command(p, d->level[i]);
                switched = true;
            }
            rc = hb_plant_step(p);
        }
        if (!switched) {
            hb_plant_command(p, d->level[i]);
        }
        double x = hb_plant_air_at(p, d->t[i]);
        /* First-order lag, exact for an input that ramps linearly between rows. */
        double dt = d->t[i] - d->t[i - 1];
        if (lag > 1e-3) {
            double a = exp(-dt / lag);
            double slope = (x - x_prev) / dt;
            y = x - slope * lag + (y - x_prev + slope * lag) * a;
        } else {
            y = x;
        }
        x_prev = x;
        f->pred[i] = y;
        f->ta[i] = x;
        f->tm[i] = hb_plant_cur(p)->t_mass;
        if (!isfinite(y)) {
            rc = HB_ERR_NUMERIC;
        }
    }
    hb_plant_destroy(p);
    return rc;
}

/* The full θ with the solver's free entries X. */
static void hb__expand(const hb__fit *f, const gsl_vector *x, double *th) {
    memcpy(th, f->theta, sizeof f->theta);
    for (int j = 0; j < f->nfree; j++) {
        th[f->free_idx[j]] = gsl_vector_get(x, (size_t)j);
    }
}

/* Whether V is a room worth simulating: inside the scenario's ranges, and not so stiff that the
 * plant would sub-step its grid more than a few times (a trial step of the solver can propose a
 * 1 J/K air node, whose day would take millions of steps). */
static bool hb__plausible(const hb__fit *f, const double *v) {
    double h = f->base->plant.step_s;
    double env = (1.0 - v[HB_IDENT_DIRECT_SHARE]) * v[HB_IDENT_UA];
    double h_mo = 1.0 / (1.0 / env - 1.0 / v[HB_IDENT_H_AM]);
    double air = (v[HB_IDENT_H_AM] + v[HB_IDENT_DIRECT_SHARE] * v[HB_IDENT_UA]) / v[HB_IDENT_C_AIR];
    double mass = (v[HB_IDENT_H_AM] + h_mo) / v[HB_IDENT_C_MASS];
    return v[HB_IDENT_UA] >= 1 && v[HB_IDENT_UA] <= 2000 && v[HB_IDENT_C_AIR] >= 1e3 &&
           v[HB_IDENT_C_AIR] <= 1e8 && v[HB_IDENT_C_MASS] >= 1e3 && v[HB_IDENT_C_MASS] <= 1e9 &&
           v[HB_IDENT_Q50] >= 10 && v[HB_IDENT_Q50] <= 20000 && v[HB_IDENT_LAG] <= 7200 &&
           fabs(v[HB_IDENT_GAINS]) <= 5000 && v[HB_IDENT_APERTURE] <= 100 &&
           fabs(v[HB_IDENT_MASS0]) <= 30 && isfinite(h_mo) && h_mo > 0 && air * h <= 8 &&
           mass * h <= 8;
}

/* A residual for a proposal outside the plausible rooms: far worse than any fit, so that the
 * trust region rejects the step and shrinks. */
#define HB__REJECT 1e3

static int hb__residuals(const gsl_vector *x, void *params, gsl_vector *res) {
    hb__fit *f = params;
    double th[HB_IDENT_NPAR];
    hb__expand(f, x, th);
    double v[HB_IDENT_NPAR];
    hb__values(th, v);
    if (!hb__plausible(f, v) || hb__simulate(f, th, 0, f->split, f->d->z[0], NAN) != HB_OK) {
        gsl_vector_set_all(res, HB__REJECT);
        return GSL_SUCCESS;
    }
    for (size_t i = 0; i < f->split; i++) {
        double z = f->d->t[i] < f->d->t[0] + HB__BURN_IN_S ? NAN : f->d->z[i];
        gsl_vector_set(res, i, isfinite(z) ? f->pred[i] - z : 0.0);
    }
    return GSL_SUCCESS;
}

/* One fit from the free entries X0; the sum of squares at its end (inf on failure). The end
 * point goes to XOUT. */
static double hb__solve(hb__fit *f, const double *x0, double *xout) {
    gsl_multifit_nlinear_fdf fdf = {.f = hb__residuals,
                                    .df = NULL,
                                    .fvv = NULL,
                                    .n = f->split,
                                    .p = (size_t)f->nfree,
                                    .params = f};
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    fp.h_df = 1e-5; /* θ is of order one: logarithms and kelvins */
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, f->split, (size_t)f->nfree);
    if (!w) {
        return INFINITY;
    }
    gsl_vector_const_view xv = gsl_vector_const_view_array(x0, (size_t)f->nfree);
    double ssr = INFINITY;
    if (gsl_multifit_nlinear_init(&xv.vector, &fdf, w) == GSL_SUCCESS) {
        int info;
        int rc = gsl_multifit_nlinear_driver(60, 1e-7, 1e-9, 1e-9, NULL, NULL, &info, w);
        gsl_vector *x = gsl_multifit_nlinear_position(w);
        gsl_vector *r = gsl_multifit_nlinear_residual(w);
        if (rc == GSL_SUCCESS || rc == GSL_EMAXITER || rc == GSL_ENOPROG) {
            gsl_blas_ddot(r, r, &ssr);
            if (ssr >= HB__REJECT * HB__REJECT) {
                ssr = INFINITY; /* never left the implausible rooms */
            }
            for (int j = 0; j < f->nfree; j++) {
                xout[j] = gsl_vector_get(x, (size_t)j);
            }
        }
    }
    gsl_multifit_nlinear_free(w);
    return isfinite(ssr) ? ssr : INFINITY;
}

/* A start drawn from the ranges rooms have (log-uniform for the positive quantities). */
static void hb__draw(gsl_rng *g, double *v) {
    static const double lo[HB_IDENT_NPAR] = {10, 0.1, 5e4, 5e5, 0, 300, 0, -100, -2, 10};
    static const double hi[HB_IDENT_NPAR] = {150, 0.8, 2e6, 3e7, 0, 6000, 8, 200, 2, 900};
    for (int i = 0; i < HB_IDENT_NPAR; i++) {
        double u = gsl_rng_uniform(g);
        v[i] = hb__positive[i] && i != HB_IDENT_H_AM ? lo[i] * pow(hi[i] / lo[i], u)
                                                     : lo[i] + u * (hi[i] - lo[i]);
    }
    /* H_am from 1.5 to 20 times the envelope's share of UA (ISO 13790 rooms sit near 10). */
    double env = (1.0 - v[HB_IDENT_DIRECT_SHARE]) * v[HB_IDENT_UA];
    v[HB_IDENT_H_AM] = env * (1.5 + 18.5 * gsl_rng_uniform(g));
}

/* The statistics of the fit at the free entries X: intervals, correlations, identifiability. */
static int hb__statistics(hb__fit *f, const double *x, double ssr, hb_ident_result *r) {
    size_t n = f->split;
    size_t p = (size_t)f->nfree;
    gsl_multifit_nlinear_fdf fdf = {
        .f = hb__residuals, .df = NULL, .fvv = NULL, .n = n, .p = p, .params = f};
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    fp.h_df = 1e-5;
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, p);
    gsl_matrix *cov = gsl_matrix_alloc(p, p);
    int rc = HB_ERR_NOMEM;
    if (!w || !cov) {
        goto out;
    }
    gsl_vector_const_view xv = gsl_vector_const_view_array(x, p);
    rc = HB_ERR_NUMERIC;
    if (gsl_multifit_nlinear_init(&xv.vector, &fdf, w) != GSL_SUCCESS) {
        goto out;
    }
    gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
    /* Residuals one minute apart are not independent: the variance is widened by
     * (1 + ρ)/(1 − ρ), ρ their lag-one autocorrelation (the effective sample size of an AR(1)
     * series), or the intervals would claim far more than the data holds. */
    gsl_vector *res = gsl_multifit_nlinear_residual(w);
    double num = 0;
    double den = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        double e = gsl_vector_get(res, i);
        den += e * e;
        used += isfinite(f->d->z[i]) && f->d->t[i] >= f->d->t[0] + HB__BURN_IN_S ? 1 : 0;
        if (i > 0) {
            num += e * gsl_vector_get(res, i - 1);
        }
    }
    double rho = den > 0 ? fmin(fmax(num / den, 0.0), 0.995) : 0.0;
    r->ci_inflation = sqrt((1.0 + rho) / (1.0 - rho));
    double s2 = used > p ? ssr / (double)(used - p) : ssr;
    s2 *= (1.0 + rho) / (1.0 - rho);
    /* Each physical value's standard error by the delta method, on its logarithm when it is
     * positive (a capacity's interval is then e^(±1.96 σ) times it, never below zero). */
    double th[HB_IDENT_NPAR];
    hb__expand(f, &xv.vector, th);
    double v0[HB_IDENT_NPAR];
    hb__values(th, v0);
    double grad[HB_IDENT_NPAR][HB_IDENT_NPAR]; /* [value][free] */
    for (size_t j = 0; j < p; j++) {
        double tp[HB_IDENT_NPAR];
        double tn[HB_IDENT_NPAR];
        double vp[HB_IDENT_NPAR];
        double vn[HB_IDENT_NPAR];
        memcpy(tp, th, sizeof th);
        memcpy(tn, th, sizeof th);
        tp[f->free_idx[j]] += 1e-6;
        tn[f->free_idx[j]] -= 1e-6;
        hb__values(tp, vp);
        hb__values(tn, vn);
        for (int k = 0; k < HB_IDENT_NPAR; k++) {
            double a = hb__positive[k] ? log(vp[k]) : vp[k];
            double b = hb__positive[k] ? log(vn[k]) : vn[k];
            grad[k][j] = (a - b) / 2e-6;
        }
    }
    for (int k = 0; k < HB_IDENT_NPAR; k++) {
        hb_ident_estimate *e = &r->p[k];
        e->value = v0[k];
        e->correlated_with = -1;
        e->corr = 0;
        if (e->fixed) {
            e->lo = e->hi = v0[k];
            e->identified = true;
            continue;
        }
        double var = 0;
        for (size_t a = 0; a < p; a++) {
            for (size_t b = 0; b < p; b++) {
                var += grad[k][a] * gsl_matrix_get(cov, a, b) * grad[k][b];
            }
        }
        double hw = 1.96 * sqrt(fmax(var * s2, 0.0));
        if (hb__positive[k]) {
            e->lo = v0[k] * exp(-hw);
            e->hi = v0[k] * exp(hw);
            e->identified = hw <= log(1.25); /* within a quarter either way */
        } else {
            e->lo = v0[k] - hw;
            e->hi = v0[k] + hw;
            static const double abs_tol[HB_IDENT_NPAR] = {0, 0.1, 0, 0, 0, 0, 0.3, 30, 0.5, 0};
            e->identified = hw <= fmax(abs_tol[k], 0.25 * fabs(v0[k]));
        }
    }
    /* Correlations of the free parameters (of θ). */
    for (size_t a = 0; a < p; a++) {
        for (size_t b = 0; b < p; b++) {
            double c = gsl_matrix_get(cov, a, b) /
                       sqrt(gsl_matrix_get(cov, a, a) * gsl_matrix_get(cov, b, b));
            r->corr[f->free_idx[a]][f->free_idx[b]] = isfinite(c) ? c : 0.0;
        }
    }
    for (size_t a = 0; a < p; a++) {
        hb_ident_estimate *e = &r->p[f->free_idx[a]];
        for (size_t b = 0; b < p; b++) {
            double c = r->corr[f->free_idx[a]][f->free_idx[b]];
            if (a != b && fabs(c) > fabs(e->corr)) {
                e->corr = c;
                e->correlated_with = f->free_idx[b];
            }
        }
    }
    rc = HB_OK;
out:
    gsl_matrix_free(cov);
    gsl_multifit_nlinear_free(w);
    return rc;
}

/* Free-run and one-hour-ahead errors, the sensors' scatter, the series for the report. */
static int hb__ident_validate(hb__fit *f, const double *th, hb_ident_result *r) {
    const hb_ident_data *d = f->d;
    size_t n = d->n;
    if (hb__simulate(f, th, 0, n, d->z[0], NAN) != HB_OK) {
        return HB_ERR_NUMERIC;
    }
    r->series = malloc(3 * n * sizeof *r->series);
    double *free_ta = malloc(2 * n * sizeof *free_ta);
    if (!r->series || !free_ta) {
        free(free_ta);
        return HB_ERR_NOMEM;
    }
    double *free_tm = free_ta + n;
    memcpy(free_ta, f->ta, n * sizeof *free_ta);
    memcpy(free_tm, f->tm, n * sizeof *free_tm);
    r->n_series = n;
    double sse[2] = {0, 0};
    size_t cnt[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        r->series[3 * i] = d->t[i];
        r->series[3 * i + 1] = d->z[i];
        r->series[3 * i + 2] = f->pred[i];
        if (isfinite(d->z[i]) && d->t[i] >= d->t[0] + HB__BURN_IN_S) {
            int part = i >= f->split ? 1 : 0;
            double e = f->pred[i] - d->z[i];
            sse[part] += e * e;
            cnt[part]++;
        }
    }
    r->rows_fit = cnt[0];
    r->rows_holdout = cnt[1];
    r->rmse_fit_k = cnt[0] ? sqrt(sse[0] / (double)cnt[0]) : NAN;
    r->rmse_free_k = cnt[1] ? sqrt(sse[1] / (double)cnt[1]) : NAN;
    /* Each sensor's scatter about the model (fitted rows), for the scenario's noise_k. */
    for (int k = 0; k < d->n_sensors; k++) {
        double s = 0;
        size_t m = 0;
        for (size_t i = 1; i < f->split; i++) {
            double y = d->sensor_cols[(size_t)k * n + i];
            if (isfinite(y)) {
                double e = y - d->offset_k[k] - f->pred[i];
                s += e * e;
                m++;
            }
        }
        r->noise_k[k] = m ? sqrt(s / (double)m) : 0.0;
    }
    /* One hour ahead, every hour of the held-out part: the model restarted from the measured
     * air temperature (the mass shifted with it), driven by the recorded commands. */
    double sse1 = 0;
    size_t cnt1 = 0;
    size_t s = f->split;
    while (s < n) {
        size_t e = s;
        while (e + 1 < n && d->t[e] < d->t[s] + 3600.0) {
            e++;
        }
        if (!(d->t[e] >= d->t[s] + 3600.0 - 1e-6)) {
            break;
        }
        if (isfinite(d->z[s]) && isfinite(d->z[e])) {
            double tm0 = free_tm[s] + (d->z[s] - free_ta[s]);
            if (hb__simulate(f, th, s, e + 1, d->z[s], tm0) != HB_OK) {
                free(free_ta);
                return HB_ERR_NUMERIC;
            }
            double err1 = f->pred[e] - d->z[e];
            sse1 += err1 * err1;
            cnt1++;
        }
        s = e;
    }
    r->rmse_1h_k = cnt1 ? sqrt(sse1 / (double)cnt1) : NAN;
    free(free_ta);
    return HB_OK;
}

/* The identified scenario: BASE with the estimates and the sensors' offsets, scatter and lag. */
static void hb__model(const hb__fit *f, const hb_ident_result *r, hb_sim_config *m) {
    *m = *f->base;
    m->weather.csv_owned = NULL; /* borrowed from the base */
    double v[HB_IDENT_NPAR];
    for (int k = 0; k < HB_IDENT_NPAR; k++) {
        v[k] = r->p[k].value;
    }
    hb_plant_config pc;
    hb__plant_config(f, v, m->plant.t_start_s, m->plant.t_air0_c, m->plant.t_mass0_c,
                     m->plant.valve0_pct, &pc);
    m->plant.room = pc.room;
    m->plant.radiator = pc.radiator;
    int ns = f->d->n_sensors;
    for (int k = 0; k < ns; k++) {
        hb_sensor_config *s = &m->sensors[k];
        if ((size_t)k >= f->base->n_sensors) {
            *s = f->base->n_sensors > 0 ? f->base->sensors[0] : m->sensors[0];
            snprintf(s->id, sizeof s->id, "sensor-%d", k + 1);
            s->n_faults = 0;
        }
        s->offset_k = f->d->offset_k[k];
        s->bias_k = 0;
        s->noise_k = r->noise_k[k];
        s->lag_s = v[HB_IDENT_LAG];
    }
    m->n_sensors = (size_t)ns;
}

int hb_ident_fit(const hb_sim_config *base, const hb_trace *trace, const hb_ident_options *o,
                 hb_ident_result *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    hb__fit f = {.base = base};
    hb_ident_data d;
    int rc = hb_ident_data_load(&d, base, trace, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    f.d = &d;
    gsl_rng *g = NULL;
    double *best = NULL;
    double *x = NULL;
    double span_h = (d.t[d.n - 1] - d.t[0]) / 3600.0;
    double hold_h = isnan(o->holdout_h) ? fmin(24.0, span_h / 4.0) : o->holdout_h;
    double t_split = d.t[d.n - 1] - hold_h * 3600.0;
    f.split = d.n;
    for (size_t i = 0; i < d.n && hold_h > 0; i++) {
        if (d.t[i] >= t_split) {
            f.split = i;
            break;
        }
    }
    r->t_first_s = d.t[0];
    r->t_split_s = d.t[f.split < d.n ? f.split : d.n - 1];
    r->t_end_s = d.t[d.n - 1];
    if (hold_h < 0 || (d.t[f.split < d.n ? f.split : d.n - 1] - d.t[0]) / 3600.0 < 6.0) {
        snprintf(err, errlen,
                 "the trace has %.1f h of rows with readings and commands; with %.1f h held out "
                 "that leaves less than the 6 h a fit needs",
                 span_h, hold_h);
        rc = HB_ERR_PARSE;
        goto out;
    }
    /* Free parameters: all but the fixed ones, and the aperture when no sun reaches it. */
    double v[HB_IDENT_NPAR];
    hb__base_values(base, v);
    hb__theta(v, f.theta);
    for (int k = 0; k < HB_IDENT_NPAR; k++) {
        bool fixed = (o->fixed >> k) & 1u;
        if (k == HB_IDENT_APERTURE && (d.max_solar <= 0 || base->plant.room.solar_g <= 0)) {
            fixed = true;
        }
        r->p[k].fixed = fixed;
        if (!fixed) {
            f.free_idx[f.nfree++] = k;
        }
    }
    f.pred = malloc(3 * d.n * sizeof *f.pred);
    best = malloc(2 * (size_t)HB_IDENT_NPAR * sizeof *best);
    g = hb_rng_stream(o->seed, "identify/starts");
    if (!f.pred || !best || !g) {
        snprintf(err, errlen, "out of memory");
        rc = HB_ERR_NOMEM;
        goto out;
    }
    f.ta = f.pred + d.n;
    f.tm = f.pred + 2 * d.n;
    x = best + HB_IDENT_NPAR;
    double best_ssr = INFINITY;
    int starts = o->starts > 0 ? o->starts : 1;
    for (int s = 0; s < starts; s++) {
        double th[HB_IDENT_NPAR];
        memcpy(th, f.theta, sizeof th);
        if (s > 0) {
            double dv[HB_IDENT_NPAR];
            hb__draw(g, dv);
            double dth[HB_IDENT_NPAR];
            hb__theta(dv, dth);
            for (int j = 0; j < f.nfree; j++) {
                th[f.free_idx[j]] = dth[f.free_idx[j]];
            }
        }
        double x0[HB_IDENT_NPAR];
        for (int j = 0; j < f.nfree; j++) {
            x0[j] = th[f.free_idx[j]];
        }
        double ssr = hb__solve(&f, x0, x);
        r->starts_run++;
        if (isfinite(ssr)) {
            r->starts_ok++;
            if (ssr < best_ssr) {
                best_ssr = ssr;
                memcpy(best, x, (size_t)f.nfree * sizeof *x);
            }
        }
    }
    if (!isfinite(best_ssr)) {
        snprintf(err, errlen, "no fit converged from %d starts", starts);
        rc = HB_ERR_NUMERIC;
        goto out;
    }
    rc = hb__statistics(&f, best, best_ssr, r);
    if (rc == HB_OK) {
        double th[HB_IDENT_NPAR];
        gsl_vector_view bv = gsl_vector_view_array(best, (size_t)f.nfree);
        hb__expand(&f, &bv.vector, th);
        rc = hb__ident_validate(&f, th, r);
    }
    if (rc != HB_OK) {
        snprintf(err, errlen, "the fit's statistics failed (%s)", hb_strerror(rc));
        goto out;
    }
    r->n_sensors = d.n_sensors;
    memcpy(r->offset_k, d.offset_k, sizeof r->offset_k);
    r->evaluations = f.evals;
    hb__model(&f, r, &r->model);
out:
    gsl_rng_free(g);
    free(best);
    free(f.pred);
    hb_ident_data_free(&d);
    if (rc != HB_OK) {
        hb_ident_result_free(r);
    }
    return rc;
}

void hb_ident_result_free(hb_ident_result *r) {
    free(r->series);
    r->series = NULL;
    r->n_series = 0;
}
