#include "hb_energy.h"
#include "../util/hb_error.h"
#include "../util/hb_gsl.h"

#include <assert.h>
#include <glpk.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Grid of the program: the band checked every 5 minutes for runs up to two days, every 15 beyond
 * (the simplex time grows faster than the size: a week on 5 minutes takes seconds). Fewer
 * checks only loosen the program, so the floor stays a floor. */
#define HB__STEP_S 300.0
#define HB__STEP_LONG_S 900.0
#define HB__LONG_H 48.0
/* Cost of one K·s outside the band, in J: far above any heat that could avoid it, so the
 * program holds the band wherever it can and violates only where nothing can help. */
#define HB__VIOLATION_J 1e5
/* The radiator may be that much colder than the band's lower edge (it lags the air when the
 * valve is shut and the room warms); a looser store keeps the floor a floor. */
#define HB__RAD_SLACK_K 2.0
/* The chord bound on the radiator's emission (hb__grid_fill) holds for segments down to this
 * far below the air, and allows this much error for taking an interval's mean excess from its
 * ends. */
#define HB__COLD_K 5.0
/* How far above the band's highest upper edge the air may go for the store's ceiling to hold. */
#define HB__HOT_K 2.0
#define HB__TRAPEZOID_K 0.5

/* The exact zero-order-hold discretisation of the room over one interval: x' = A x + d gives
 * x(Δ) = Φ x(0) + Γ d with Φ = e^{AΔ}, Γ = A⁻¹(Φ − I). */
typedef struct hb__disc {
    double h_win;
    double phi[2][2], gam[2][2];
} hb__disc;

static int hb__discretise(const hb_plant_linear *m, double h_win, double dt, hb__disc *d) {
    double a[4] = {-(m->h_am + m->h_ao + h_win) / m->c_air, m->h_am / m->c_air, m->h_am / m->c_mass,
                   -(m->h_am + m->h_mo) / m->c_mass};
    gsl_matrix *ad = gsl_matrix_alloc(2, 2);
    gsl_matrix *phi = gsl_matrix_alloc(2, 2);
    int rc = (ad && phi) ? HB_OK : HB_ERR_NOMEM;
    if (rc == HB_OK) {
        for (int i = 0; i < 4; i++) {
            gsl_matrix_set(ad, (size_t)(i / 2), (size_t)(i % 2), a[i] * dt);
        }
        rc = gsl_linalg_exponential_ss(ad, phi, GSL_PREC_DOUBLE) == GSL_SUCCESS ? HB_OK
                                                                                : HB_ERR_NUMERIC;
    }
    if (rc == HB_OK) {
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                d->phi[i][j] = gsl_matrix_get(phi, (size_t)i, (size_t)j);
            }
        }
        /* A is a 2×2 with a negative trace and a positive determinant (losses to outdoors):
         * invertible; Γ = A⁻¹ (Φ − I). */
        double det = a[0] * a[3] - a[1] * a[2];
        double inv[2][2] = {{a[3] / det, -a[1] / det}, {-a[2] / det, a[0] / det}};
        double pm[2][2] = {{d->phi[0][0] - 1.0, d->phi[0][1]}, {d->phi[1][0], d->phi[1][1] - 1.0}};
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                d->gam[i][j] = inv[i][0] * pm[0][j] + inv[i][1] * pm[1][j];
            }
        }
        d->h_win = h_win;
        rc = isfinite(d->gam[0][0]) && isfinite(d->phi[0][0]) ? HB_OK : HB_ERR_NUMERIC;
    }
    gsl_matrix_free(ad);
    gsl_matrix_free(phi);
    return rc;
}

/* What the program needs at each interval k (inputs at its middle) and each point k. */
typedef struct hb__grid {
    hb__disc *disc; /* per interval (windows change A) */
    double (*c)[2]; /* Γ·(constant inputs) per interval */
    double *umax;   /* radiator emission bound per interval, W */
    double *smax;   /* radiator store bound (C_r T_supply) per point, J */
    double *lo, *sp;
    char *banded; /* per point: after the warm-up */
    /* The chord bound on emission: u <= kappa (mean radiator - air) + eps, W/K and W. */
    double kappa, eps;
} hb__grid;

static void hb__grid_free(hb__grid *g) {
    free(g->disc);
    free(g->c);
    free(g->umax);
    free(g->smax);
    free(g->lo);
    free(g->sp);
    free(g->banded);
}

static int hb__grid_fill(const hb_sim_config *cfg, const hb_plant *p, size_t n, double dt,
                         double t0, hb__grid *g) {
    hb_plant_linear m;
    hb_plant_linear_model(p, &m);
    double ta0 = hb_plant_cur(p)->t_air;
    g->disc = calloc(n, sizeof *g->disc);
    g->c = calloc(n, sizeof *g->c);
    g->umax = calloc(n, sizeof *g->umax);
    g->smax = calloc(n + 1, sizeof *g->smax);
    g->lo = calloc(n + 1, sizeof *g->lo);
    g->sp = calloc(n + 1, sizeof *g->sp);
    g->banded = calloc(n + 1, 1);
    if (!g->disc || !g->c || !g->umax || !g->smax || !g->lo || !g->sp || !g->banded) {
        return HB_ERR_NOMEM;
    }
    double t_warm = t0 + cfg->warmup_h * 3600.0;
    double hi_max = ta0;
    double supply_max = -INFINITY;
    for (size_t k = 0; k <= n; k++) {
        double t = t0 + (double)k * dt;
        hb_setpoint sp;
        hb_schedule_at(&cfg->schedule, cfg->setpoint_c, cfg->comfort_band_k, t, &sp);
        g->lo[k] = sp.lo_c;
        g->sp[k] = sp.setpoint_c;
        g->banded[k] = k > 0 && t >= t_warm - 1e-9;
        hi_max = fmax(hi_max, sp.hi_c);
        hb_plant_inputs in;
        hb_plant_inputs_at(p, t, &in);
        g->smax[k] = m.c_rad * in.t_supply;
        supply_max = fmax(supply_max, in.t_supply);
    }
    /* The store's ceiling: water cools as it passes the segments, so even at full flow they
     * stay below the supply. Each segment's temperature rises with its inlet's, the flow and
     * the air's, so none exceeds its full-flow steady state at the hottest supply and the
     * hottest air (comparison principle; the run starts below it). The hottest air: HB__HOT_K
     * above the band's highest upper edge; a run that goes hotter is out of the band, which the
     * floor does not speak for. */
    double full = hb_valve_flow(&cfg->plant.valve, 100.0);
    double ceiling = m.c_rad * hb_radiator_steady_mean(p, supply_max, hi_max + HB__HOT_K, full);
    for (size_t k = 0; k <= n && isfinite(ceiling); k++) {
        g->smax[k] = fmin(g->smax[k], fmax(ceiling, m.c_rad * hb_plant_cur(p)->t_rad_mean));
    }
    double y_max = 0;
    for (size_t k = 0; k < n; k++) {
        double tm = t0 + ((double)k + 0.5) * dt;
        hb_plant_inputs in;
        hb_plant_inputs_at(p, tm, &in);
        if (k == 0 || in.h_win != g->disc[k - 1].h_win) {
            int rc = hb__discretise(&m, in.h_win, dt, &g->disc[k]);
            if (rc != HB_OK) {
                return rc;
            }
        } else {
            g->disc[k] = g->disc[k - 1];
        }
        double d0 = (in.q_air + (m.h_ao + in.h_win) * in.t_out) / m.c_air;
        double d1 = (in.q_mass + m.h_mo * in.t_out) / m.c_mass;
        const hb__disc *dk = &g->disc[k];
        g->c[k][0] = dk->gam[0][0] * d0 + dk->gam[0][1] * d1;
        g->c[k][1] = dk->gam[1][0] * d0 + dk->gam[1][1] * d1;
        /* Every segment at the supply temperature, the air well below the band. */
        double ta_low = fmin(ta0, g->lo[k]) - 5.0;
        double ex = in.t_supply - ta_low;
        g->umax[k] = ex > 0 ? m.q50_w * pow(ex / m.dt_ref, m.exponent) : 0.0;
        y_max = fmax(y_max, ex);
    }
    /* The power law f(x) = c x^n is convex, so on [0, Y] it lies under its chord from 0:
     * f(x) <= x f(Y)/Y = kappa x, and the segments' emission sums to at most kappa times their
     * mean excess over the air, whatever their profile (Y: the largest excess of the run, every
     * segment at the hottest supply, the air at its lowest). A segment below the air emits
     * -c|x|^n, above -kappa|x| + eps for |x| up to HB__COLD_K: eps covers radiators a few
     * kelvin colder than the air. The bound is imposed on the interval's mean excess, taken as
     * the mean of its ends; HB__TRAPEZOID_K of slack covers the curvature over 5 minutes (a
     * radiator's time constant is about 25). */
    double c = m.q50_w / pow(m.dt_ref, m.exponent);
    g->kappa = y_max > 0 ? c * pow(y_max, m.exponent - 1.0) : 0.0;
    double ystar = g->kappa > 0 ? pow(g->kappa / (c * m.exponent), 1.0 / (m.exponent - 1.0)) : 0;
    double yc = fmin(ystar, HB__COLD_K);
    g->eps = g->kappa * yc - c * pow(yc, m.exponent) + g->kappa * HB__TRAPEZOID_K;
    return HB_OK;
}

/* The ideal: the air forced onto the setpoint path (never cooled), the heat it takes. */
static double hb__ideal_j(const hb_plant_linear *m, const hb__grid *g, size_t n, double dt,
                          double ta0, double tm0) {
    double ta = ta0;
    double tm = tm0;
    double e = 0;
    for (size_t k = 0; k < n; k++) {
        const hb__disc *d = &g->disc[k];
        /* Ta' = Φ00 Ta + Φ01 Tm + Γ00 u/C_a + c0: the u that lands on the setpoint. */
        double free_ta = d->phi[0][0] * ta + d->phi[0][1] * tm + g->c[k][0];
        double u = (g->sp[k + 1] - free_ta) * m->c_air / d->gam[0][0];
        if (u < 0) {
            u = 0;
        }
        double b = u / m->c_air;
        double nta = free_ta + d->gam[0][0] * b;
        double ntm = d->phi[1][0] * ta + d->phi[1][1] * tm + d->gam[1][0] * b + g->c[k][1];
        ta = nta;
        tm = ntm;
        e += u * dt;
    }
    return e;
}

/* Column numbers (1-based, GLPK's): the states at points 0..n, then the inputs per interval. */
#define HB__TA(k) (1 + 3 * (int)(k))
#define HB__TM(k) (2 + 3 * (int)(k))
#define HB__S(k) (3 + 3 * (int)(k))
#define HB__U(k) (base + 1 + 3 * (int)(k))
#define HB__W(k) (base + 2 + 3 * (int)(k))
#define HB__V(k) (base + 3 + 3 * (int)(k)) /* violation at point k + 1 */

typedef struct hb__lp {
    int *ia, *ja;
    double *ar;
    int nz, cap;
} hb__lp;

static void hb__nz(hb__lp *l, int row, int col, double v) {
    assert(l->nz + 1 < l->cap);
    l->nz++;
    l->ia[l->nz] = row;
    l->ja[l->nz] = col;
    l->ar[l->nz] = v;
}

static int hb__floor(const hb_plant_linear *m, const hb__grid *g, size_t n, double dt,
                     const hb_plant_state *st0, hb_energy_plan *plan) {
    glp_prob *lp = glp_create_prob();
    int base = 3 * (int)(n + 1);
    int ncol = base + 3 * (int)n;
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_cols(lp, ncol);
    /* Scaled for the solver: heat flows in kW, the store in MJ, the objective in MJ. */
    const double kw = 1e3;
    const double mj = 1e6;
    double s0 = m->c_rad * st0->t_rad_mean / mj;
    for (size_t k = 0; k <= n; k++) {
        if (k == 0) {
            glp_set_col_bnds(lp, HB__TA(0), GLP_FX, st0->t_air, st0->t_air);
            glp_set_col_bnds(lp, HB__TM(0), GLP_FX, st0->t_mass, st0->t_mass);
            glp_set_col_bnds(lp, HB__S(0), GLP_FX, s0, s0);
            continue;
        }
        glp_set_col_bnds(lp, HB__TA(k), GLP_FR, 0, 0);
        glp_set_col_bnds(lp, HB__TM(k), GLP_FR, 0, 0);
        /* The store never above the supply temperature, never far below the band. */
        double lo_t = (g->banded[k] ? g->lo[k] : fmin(g->lo[k], st0->t_air)) - HB__RAD_SLACK_K;
        double smin = fmin(m->c_rad * lo_t, g->smax[k]);
        glp_set_col_bnds(lp, HB__S(k), g->smax[k] > smin ? GLP_DB : GLP_FX, smin / mj,
                         g->smax[k] / mj);
    }
    for (size_t k = 0; k < n; k++) {
        /* Emission may be negative: a radiator colder than the air takes heat from it, which
         * it gives back later (a store the real radiator has too). */
        glp_set_col_bnds(lp, HB__U(k), GLP_DB, -m->q50_w / kw, g->umax[k] / kw);
        glp_set_col_bnds(lp, HB__W(k), GLP_LO, 0, 0);
        glp_set_obj_coef(lp, HB__W(k), dt * kw / mj);
        /* No violation to count where no band holds. */
        glp_set_col_bnds(lp, HB__V(k), g->banded[k + 1] ? GLP_LO : GLP_FX, 0, 0);
        glp_set_obj_coef(lp, HB__V(k), g->banded[k + 1] ? HB__VIOLATION_J * dt / mj : 0.0);
    }
    /* Rows per interval: two room dynamics, the store, and the band's lower edge at its end
     * (the upper edge is left out: heat never helps keep a room cool, and holding it would make
     * the program trade morning heat against the sun's afternoon excess). */
    int nrow = 5 * (int)n;
    glp_add_rows(lp, nrow);
    hb__lp l = {.cap = 19 * (int)n + 2};
    l.ia = malloc((size_t)l.cap * sizeof *l.ia);
    l.ja = malloc((size_t)l.cap * sizeof *l.ja);
    l.ar = malloc((size_t)l.cap * sizeof *l.ar);
    int rc = (l.ia && l.ja && l.ar) ? HB_OK : HB_ERR_NOMEM;
    for (size_t k = 0; rc == HB_OK && k < n; k++) {
        const hb__disc *d = &g->disc[k];
        int r = 1 + 5 * (int)k;
        for (int i = 0; i < 2; i++) {
            int xi = i == 0 ? HB__TA(k + 1) : HB__TM(k + 1);
            hb__nz(&l, r + i, xi, 1.0);
            hb__nz(&l, r + i, HB__TA(k), -d->phi[i][0]);
            hb__nz(&l, r + i, HB__TM(k), -d->phi[i][1]);
            hb__nz(&l, r + i, HB__U(k), -d->gam[i][0] * kw / m->c_air);
            glp_set_row_bnds(lp, r + i, GLP_FX, g->c[k][i], g->c[k][i]);
        }
        hb__nz(&l, r + 2, HB__S(k + 1), 1.0);
        hb__nz(&l, r + 2, HB__S(k), -1.0);
        hb__nz(&l, r + 2, HB__W(k), -dt * kw / mj);
        hb__nz(&l, r + 2, HB__U(k), dt * kw / mj);
        glp_set_row_bnds(lp, r + 2, GLP_FX, 0, 0);
        /* Ta + v >= lo where the band holds; no constraint elsewhere. */
        hb__nz(&l, r + 3, HB__TA(k + 1), 1.0);
        hb__nz(&l, r + 3, HB__V(k), 1.0);
        if (g->banded[k + 1]) {
            glp_set_row_bnds(lp, r + 3, GLP_LO, g->lo[k + 1], 0);
        } else {
            /* A bound no temperature reaches: the row constrains nothing. (A free row gives
             * the same floor but, the program being degenerate, another of its equally cheap
             * heat schedules, and so another floor_kwh column.) */
            glp_set_row_bnds(lp, r + 3, GLP_LO, -1000.0, 0);
        }
        /* u <= kappa (mean(S)/C_r - mean(Ta)) + eps, in kW. */
        double kk = g->kappa / kw;
        hb__nz(&l, r + 4, HB__U(k), 1.0);
        hb__nz(&l, r + 4, HB__S(k), -0.5 * kk * mj / m->c_rad);
        hb__nz(&l, r + 4, HB__S(k + 1), -0.5 * kk * mj / m->c_rad);
        hb__nz(&l, r + 4, HB__TA(k), 0.5 * kk);
        hb__nz(&l, r + 4, HB__TA(k + 1), 0.5 * kk);
        glp_set_row_bnds(lp, r + 4, GLP_UP, 0, g->eps / kw);
    }
    if (rc == HB_OK) {
        glp_load_matrix(lp, l.nz, l.ia, l.ja, l.ar);
        glp_smcp parm;
        glp_init_smcp(&parm);
        parm.msg_lev = GLP_MSG_OFF;
        parm.presolve = GLP_ON;
        parm.meth = GLP_DUALP; /* ~15 % faster than the primal on a week here */
        int s = glp_simplex(lp, &parm);
        rc = (s == 0 && glp_get_status(lp) == GLP_OPT) ? HB_OK : HB_ERR_NUMERIC;
    }
    if (rc == HB_OK) {
        double cum = 0;
        double viol = 0;
        plan->cum_floor_j[0] = 0;
        for (size_t k = 0; k < n; k++) {
            cum += glp_get_col_prim(lp, HB__W(k)) * kw * dt;
            plan->cum_floor_j[k + 1] = cum;
            if (g->banded[k + 1]) {
                viol += glp_get_col_prim(lp, HB__V(k)) * dt;
            }
        }
        plan->floor_kwh = cum / 3.6e6;
        plan->violation_kh = viol / 3600.0;
    }
    free(l.ia);
    free(l.ja);
    free(l.ar);
    glp_delete_prob(lp);
    return rc;
}

int hb_energy_plan_solve(const hb_sim_config *cfg, hb_energy_plan *plan) {
    memset(plan, 0, sizeof *plan);
    plan->floor_kwh = plan->ideal_kwh = plan->violation_kh = NAN;
    if (!(cfg->duration_h <= HB_ENERGY_MAX_DAYS * 24.0)) {
        return HB_ERR_RANGE;
    }
    hb_sim_config c = *cfg;
    c.plant.weather = &c.weather;
    /* A configuration straight from the loader has its schedule unprepared (day masks unset):
     * prepared here on the copy, as hb_sim_create does on its own. */
    if (c.schedule.n_periods > 0 && hb_schedule_prepare(&c.schedule, NULL, 0) != HB_OK) {
        return HB_ERR_INVAL;
    }
    hb_plant *p;
    int rc = hb_plant_create(&c.plant, &p);
    if (rc != HB_OK) {
        return rc;
    }
    double t0 = c.plant.t_start_s;
    double total = c.duration_h * 3600.0;
    double step = c.duration_h > HB__LONG_H ? HB__STEP_LONG_S : HB__STEP_S;
    size_t n = (size_t)ceil(total / step - 1e-9);
    if (n < 1) {
        n = 1;
    }
    double dt = total / (double)n;
    hb__grid g = {0};
    rc = hb__grid_fill(&c, p, n, dt, t0, &g);
    plan->cum_floor_j = calloc(n + 1, sizeof *plan->cum_floor_j);
    if (rc == HB_OK && !plan->cum_floor_j) {
        rc = HB_ERR_NOMEM;
    }
    if (rc == HB_OK) {
        plan->n = n;
        plan->step_s = dt;
        plan->t0 = t0;
        hb_plant_linear m;
        hb_plant_linear_model(p, &m);
        const hb_plant_state *st0 = hb_plant_cur(p);
        plan->ideal_kwh = hb__ideal_j(&m, &g, n, dt, st0->t_air, st0->t_mass) / 3.6e6;
        rc = hb__floor(&m, &g, n, dt, st0, plan);
    }
    hb__grid_free(&g);
    hb_plant_destroy(p);
    return rc;
}

void hb_energy_plan_free(hb_energy_plan *plan) {
    free(plan->cum_floor_j);
    plan->cum_floor_j = NULL;
    plan->n = 0;
}

double hb_energy_floor_at(const hb_energy_plan *plan, double t) {
    if (!plan->cum_floor_j || plan->n == 0) {
        return NAN;
    }
    double x = (t - plan->t0) / plan->step_s;
    if (x <= 0) {
        return 0.0;
    }
    if (x >= (double)plan->n) {
        return plan->cum_floor_j[plan->n];
    }
    size_t k = (size_t)x;
    double f = x - (double)k;
    return plan->cum_floor_j[k] + f * (plan->cum_floor_j[k + 1] - plan->cum_floor_j[k]);
}
