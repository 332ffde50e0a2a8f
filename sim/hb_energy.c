#include "hb_energy.h"
#include "../util/hb_error.h"
#include "../util/hb_gsl.h"

#include <assert.h>
#include <stdbool.h>
#include <glpk.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Grid of the program: the band checked every 15 minutes, and at most HB__MAX_N intervals
 * (from the guessed basis below the simplex takes well under a millisecond for a day of 96; the
 * inputs' composition over the plant's steps costs more). Fewer checks only loosen the
 * program, so the floor stays a floor (docs/model.md). */
#define HB__STEP_S 900.0
#define HB__MAX_N 256.0
/* Cost of one K·s outside the band, in J: far above any heat that could avoid it, so the
 * program holds the band wherever it can and violates only where nothing can help. */
#define HB__VIOLATION_J 1e5
/* How far below the air a radiator segment may be for the chord bound of its emission to hold
 * (a radiator colder than the air by more takes more heat from it than the bound says). */
#define HB__COLD_K 5.0
/* How far above the band's highest upper edge the air may go for the store's ceiling to hold. */
#define HB__HOT_K 2.0

/* The exact zero-order-hold discretisation of the room over a piece of length tau with window
 * conductance h_win: x' = A x + d gives x(tau) = Φ x(0) + Γ d, Φ = e^{A tau}, Γ = A⁻¹(Φ − I). */
typedef struct hb__disc {
    double tau, h_win;
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
        d->tau = dt;
        rc = isfinite(d->gam[0][0]) && isfinite(d->phi[0][0]) ? HB_OK : HB_ERR_NUMERIC;
    }
    gsl_matrix_free(ad);
    gsl_matrix_free(phi);
    return rc;
}

/* Pieces come in a handful of kinds (the plant's step, with each window conductance a run
 * opens): their matrices are kept, not recomputed for each of the thousands of pieces. */
#define HB__NDISC 16
typedef struct hb__discs {
    hb__disc d[HB__NDISC];
    int n, next;
} hb__discs;

static int hb__disc_get(hb__discs *cache, const hb_plant_linear *m, double h_win, double tau,
                        const hb__disc **out) {
    for (int i = 0; i < cache->n; i++) {
        if (cache->d[i].tau == tau && cache->d[i].h_win == h_win) {
            *out = &cache->d[i];
            return HB_OK;
        }
    }
    int slot = cache->n < HB__NDISC ? cache->n++ : (cache->next++ % HB__NDISC);
    int rc = hb__discretise(m, h_win, tau, &cache->d[slot]);
    *out = &cache->d[slot];
    return rc;
}

/* What the program needs at each interval k and each point k. */
typedef struct hb__grid {
    double (*m)[2][2]; /* end state from start state, per interval */
    double (*c)[2];    /* end state's response to the interval's true inputs */
    double (*g)[2];    /* end state's response to 1 W of emission held over the interval */
    double *umax;      /* radiator emission bound per interval, W */
    double *abar;      /* a lower bound on the interval's mean air temperature, °C */
    double *kappa;     /* the chord's slope per interval, W/K */
    double *eps;       /* and its offset, W */
    double *smax;      /* radiator store bound per point, J */
    double smin;       /* and the store's floor, J */
    double uneg;       /* the most a radiator takes from the air, W */
    double *lo, *sp;
    char *banded; /* per point: after the warm-up */
} hb__grid;

static void hb__grid_free(hb__grid *g) {
    free(g->m);
    free(g->c);
    free(g->g);
    free(g->umax);
    free(g->abar);
    free(g->kappa);
    free(g->eps);
    free(g->smax);
    free(g->lo);
    free(g->sp);
    free(g->banded);
}

/* The inputs the plant holds over its step from T (zero-order hold: gains, windows, supply)
 * and the means of those it follows within it (outdoor temperature, sun) over [A, B]. */
typedef struct hb__piece_in {
    double t_supply, h_win, q_air, q_mass, t_out;
} hb__piece_in;

/* The weather and the band at the last piece's end, which is the next piece's start: each
 * piece samples its start, middle and end, so keeping the end saves a third of the weather's
 * evaluations and half the schedule's (reused only at the very same time, so the values are
 * the ones a fresh evaluation gives). */
typedef struct hb__memo {
    double t, sol, t_out; /* the weather at T (NAN: none yet) */
    double t_lo, lo;      /* the band's lower edge at T_LO */
} hb__memo;

static void hb__weather_at(const hb__memo *mm, const hb_weather_config *w, double t, double *sol,
                           double *t_out) {
    if (t == mm->t) {
        *sol = mm->sol;
        *t_out = mm->t_out;
        return;
    }
    *sol = hb_weather_solar(w, t);
    *t_out = hb_weather_t_out(w, t);
}

static double hb__lo_at(hb__memo *mm, const hb_sim_config *cfg, double t) {
    if (t != mm->t_lo) {
        hb_setpoint s;
        hb_schedule_at(&cfg->schedule, cfg->setpoint_c, cfg->comfort_band_k, t, &s);
        mm->t_lo = t;
        mm->lo = s.lo_c;
    }
    return mm->lo;
}

static void hb__piece_inputs(const hb_sim_config *cfg, const hb_plant *p, double t, double a,
                             double b, hb__memo *mm, hb__piece_in *out) {
    const hb_room_config *r = &cfg->plant.room;
    const hb_weather_config *w = cfg->plant.weather;
    double area = r->window_area_m2 * r->solar_g;
    hb_plant_inputs in;
    hb_plant_inputs_at(p, t, &in);
    double sol_a, tout_a, sol_b, tout_b;
    hb__weather_at(mm, w, a, &sol_a, &tout_a);
    double sol_t = t == a ? sol_a : hb_weather_solar(w, t);
    double gains = in.q_air - (1.0 - r->solar_to_mass) * area * sol_t;
    /* Simpson's rule, as the plant's RK4 samples them (start, middle, end). */
    double mid = 0.5 * (a + b);
    sol_b = hb_weather_solar(w, b);
    tout_b = hb_weather_t_out(w, b);
    mm->t = b;
    mm->sol = sol_b;
    mm->t_out = tout_b;
    double sol = area * (sol_a + 4.0 * hb_weather_solar(w, mid) + sol_b) / 6.0;
    out->t_out = (tout_a + 4.0 * hb_weather_t_out(w, mid) + tout_b) / 6.0;
    out->t_supply = in.t_supply;
    out->h_win = in.h_win;
    out->q_air = gains + (1.0 - r->solar_to_mass) * sol;
    out->q_mass = r->solar_to_mass * sol;
}

/* v <- Φ v + Γ add */
static void hb__vec_step(const hb__disc *d, double v[2], const double add[2]) {
    double nv[2];
    for (int i = 0; i < 2; i++) {
        nv[i] = d->phi[i][0] * v[0] + d->phi[i][1] * v[1] + d->gam[i][0] * add[0] +
                d->gam[i][1] * add[1];
    }
    v[0] = nv[0];
    v[1] = nv[1];
}

/* m <- Φ m */
static void hb__mat_step(const hb__disc *d, double m[2][2]) {
    double r[2][2];
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            r[i][j] = d->phi[i][0] * m[0][j] + d->phi[i][1] * m[1][j];
        }
    }
    memcpy(m, r, sizeof r);
}

/* One interval [TA, TB]: the plant's steps it covers, cut at its ends. Composes the room's
 * response (M, c, g) exactly for the inputs the plant holds per step, and follows the air of
 * the unheated room (XL) for a lower bound on the air before the band holds. */
typedef struct hb__span {
    double lo_min, ts_max, ts_min, al_mean, al_min;
} hb__span;

static int hb__interval(const hb_sim_config *cfg, const hb_plant *p, const hb_plant_linear *m,
                        hb__discs *cache, double t0, double ta, double tb, hb__grid *g, size_t k,
                        double xl[2], hb__memo *memo, hb__span *sp) {
    double h = cfg->plant.step_s;
    double mm[2][2] = {{1, 0}, {0, 1}};
    double cc[2] = {0, 0};
    double gg[2] = {0, 0};
    double one[2] = {1.0 / m->c_air, 0};
    sp->ts_max = -INFINITY;
    sp->ts_min = INFINITY;
    sp->lo_min = INFINITY;
    sp->al_min = xl[0];
    double al_int = 0;
    double j0 = floor((ta - t0) / h + 1e-9);
    /* An integer step count: a double counter drifts and the analyzer refuses it. */
    for (long j = (long)j0;; j++) {
        double tj = t0 + (double)j * h;
        double a = fmax(ta, tj);
        double b = fmin(tb, tj + h);
        if (b <= a + 1e-9) {
            if (tj >= tb) {
                break;
            }
            continue;
        }
        hb__piece_in in;
        hb__piece_inputs(cfg, p, tj, a, b, memo, &in);
        const hb__disc *d;
        int rc = hb__disc_get(cache, m, in.h_win, b - a, &d);
        if (rc != HB_OK) {
            return rc;
        }
        double dist[2] = {(in.q_air + (m->h_ao + in.h_win) * in.t_out) / m->c_air,
                          (in.q_mass + m->h_mo * in.t_out) / m->c_mass};
        hb__mat_step(d, mm);
        hb__vec_step(d, cc, dist);
        hb__vec_step(d, gg, one);
        double xa = xl[0];
        hb__vec_step(d, xl, dist);
        al_int += 0.5 * (xa + xl[0]) * (b - a);
        sp->al_min = fmin(sp->al_min, xl[0]);
        sp->ts_max = fmax(sp->ts_max, in.t_supply);
        sp->ts_min = fmin(sp->ts_min, in.t_supply);
        /* The band at the plant's grid points, where discomfort is measured. */
        if (a == tj) {
            sp->lo_min = fmin(sp->lo_min, hb__lo_at(memo, cfg, a));
        }
        sp->lo_min = fmin(sp->lo_min, hb__lo_at(memo, cfg, b));
    }
    memcpy(g->m[k], mm, sizeof mm);
    g->c[k][0] = cc[0];
    g->c[k][1] = cc[1];
    g->g[k][0] = gg[0];
    g->g[k][1] = gg[1];
    sp->al_mean = al_int / (tb - ta);
    return HB_OK;
}

static int hb__grid_alloc(hb__grid *g, size_t n) {
    g->m = calloc(n, sizeof *g->m);
    g->c = calloc(n, sizeof *g->c);
    g->g = calloc(n, sizeof *g->g);
    g->umax = calloc(n, sizeof *g->umax);
    g->abar = calloc(n, sizeof *g->abar);
    g->kappa = calloc(n, sizeof *g->kappa);
    g->eps = calloc(n, sizeof *g->eps);
    g->smax = calloc(n + 1, sizeof *g->smax);
    g->lo = calloc(n + 1, sizeof *g->lo);
    g->sp = calloc(n + 1, sizeof *g->sp);
    g->banded = calloc(n + 1, 1);
    return (g->m && g->c && g->g && g->umax && g->abar && g->kappa && g->eps && g->smax && g->lo &&
            g->sp && g->banded)
               ? HB_OK
               : HB_ERR_NOMEM;
}

/* The chord of the power law f(x) = c x^n (convex for x >= 0) from 0 to Y: f(x) <= kappa x on
 * [0, Y]; a segment below the air emits -c|x|^n >= ... <= kappa x + eps for |x| up to
 * HB__COLD_K. */
static void hb__chord(const hb_plant_linear *m, double y, double *kappa, double *eps) {
    double c = m->q50_w / pow(m->dt_ref, m->exponent);
    *kappa = y > 0 ? c * pow(y, m->exponent - 1.0) : 0.0;
    double ystar = *kappa > 0 ? pow(*kappa / (c * m->exponent), 1.0 / (m->exponent - 1.0)) : 0;
    double yc = fmin(ystar, HB__COLD_K);
    *eps = *kappa * yc - c * pow(yc, m->exponent);
}

static int hb__grid_fill(const hb_sim_config *cfg, const hb_plant *p, size_t n, double dt,
                         double t0, hb__grid *g) {
    hb_plant_linear m;
    hb_plant_linear_model(p, &m);
    const hb_plant_state *st0 = hb_plant_cur(p);
    if (hb__grid_alloc(g, n) != HB_OK) {
        return HB_ERR_NOMEM;
    }
    double t_warm = t0 + cfg->warmup_h * 3600.0;
    double hi_max = st0->t_air;
    for (size_t k = 0; k <= n; k++) {
        double t = t0 + (double)k * dt;
        hb_setpoint sp;
        hb_schedule_at(&cfg->schedule, cfg->setpoint_c, cfg->comfort_band_k, t, &sp);
        g->lo[k] = sp.lo_c;
        g->sp[k] = sp.setpoint_c;
        g->banded[k] = k > 0 && t >= t_warm - 1e-9;
        hi_max = fmax(hi_max, sp.hi_c);
    }
    hb__discs cache = {.n = 0};
    hb__memo memo = {.t = NAN, .t_lo = NAN};
    double xl[2] = {st0->t_air, st0->t_mass};
    /* No segment is hotter than the hottest water it has been given (it starts at its steady
     * profile, below the supply) nor colder than the coldest of its start, the water and the
     * air (comparison principle). */
    double ts_run = st0->t_rad_mean;
    double cold = fmin(st0->t_air, st0->t_rad_mean);
    double c_pow = m.q50_w / pow(m.dt_ref, m.exponent);
    for (size_t k = 0; k < n; k++) {
        double ta = t0 + (double)k * dt;
        hb__span s;
        int rc = hb__interval(cfg, p, &m, &cache, t0, ta, ta + dt, g, k, xl, &memo, &s);
        if (rc != HB_OK) {
            return rc;
        }
        ts_run = fmax(ts_run, s.ts_max);
        g->smax[k + 1] = m.c_rad * ts_run;
        /* The air over the interval: at or above the band's lowest edge where the band holds
         * (at every plant point); before, at or above the unheated room's. */
        bool banded = ta >= t_warm - 1e-9;
        g->abar[k] = banded ? fmax(s.lo_min, -1e3) : s.al_mean;
        double a_low = banded ? s.lo_min : s.al_min;
        cold = fmin(cold, fmin(s.ts_min, a_low));
        double y = ts_run - a_low;
        g->umax[k] = y > 0 ? c_pow * pow(y, m.exponent) : 0.0;
        hb__chord(&m, y, &g->kappa[k], &g->eps[k]);
    }
    g->smax[0] = m.c_rad * st0->t_rad_mean;
    g->smin = m.c_rad * (cold - HB__COLD_K);
    g->uneg = c_pow * pow(HB__COLD_K, m.exponent);
    /* The store's ceiling: each segment's temperature rises with its inlet's, the flow and the
     * air's, so none exceeds its full-flow steady state at the hottest supply and the hottest
     * air (comparison principle; the run starts below it). The hottest air: HB__HOT_K above
     * the band's highest upper edge; a run that goes hotter is out of the band, which the floor
     * does not speak for. */
    double full = hb_valve_flow(&cfg->plant.valve, 100.0);
    double ceiling = m.c_rad * hb_radiator_steady_mean(p, ts_run, hi_max + HB__HOT_K, full);
    for (size_t k = 0; k <= n && isfinite(ceiling); k++) {
        g->smax[k] = fmin(g->smax[k], fmax(ceiling, m.c_rad * st0->t_rad_mean));
    }
    return HB_OK;
}

/* The ideal: the air forced onto the setpoint path (never cooled), the heat it takes. */
static double hb__ideal_j(const hb__grid *g, size_t n, double dt, double ta0, double tm0) {
    double ta = ta0;
    double tm = tm0;
    double e = 0;
    for (size_t k = 0; k < n; k++) {
        double(*mk)[2] = g->m[k];
        double free_ta = mk[0][0] * ta + mk[0][1] * tm + g->c[k][0];
        double free_tm = mk[1][0] * ta + mk[1][1] * tm + g->c[k][1];
        double u = (g->sp[k + 1] - free_ta) / g->g[k][0];
        if (u < 0) {
            u = 0;
        }
        ta = free_ta + g->g[k][0] * u;
        tm = free_tm + g->g[k][1] * u;
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

/* A starting basis for the simplex from one forward pass over the grid, the way the program's
 * optimum usually looks: after the warm-up the air is held exactly on the band's lower edge
 * (the least heat now and the least stored in the walls for later), the radiator fed from its
 * store while the store lasts and from the water once the chord binds; before it, and wherever
 * the air is above the edge without heat, the store takes up what the air can give (it is
 * free heat for later); where the edge cannot be reached in one interval (a morning after a
 * setback), full output from as late as reaches it. Where the pass is right the simplex only
 * confirms it (no pivots: a fiftieth of its work from GLPK's triangular crash basis);
 * where it is wrong it pivots from it to the optimum as from any other basis. The guess
 * changes nothing but the starting point: the optimum and so the floor are the program's. */
typedef struct hb__gx {
    double ta, tm, s;
} hb__gx;

typedef struct hb__gst {
    signed char band, chord, s, u, w, v; /* GLPK's statuses of the interval's rows and columns */
} hb__gst;

/* One interval of the guess from *X (FULL: the radiator at its bound). False when the band at
 * its end is missed. */
static bool hb__guess_step(const hb_plant_linear *m, const hb__grid *g, size_t k, double dt,
                           bool full, hb__gx *x, hb__gst *st) {
    double(*mk)[2] = g->m[k];
    double fa = mk[0][0] * x->ta + mk[0][1] * x->tm + g->c[k][0];
    double fm = mk[1][0] * x->ta + mk[1][1] * x->tm + g->c[k][1];
    bool banded = g->banded[k + 1];
    double umin = -m->q50_w;
    double ureq = banded ? (g->lo[k + 1] - fa) / g->g[k][0] : -INFINITY;
    double ufill = (x->s - g->smax[k + 1]) / dt; /* fills the store to its ceiling from the air */
    double u = full ? g->umax[k] : fmax(fmax(ureq, ufill), umin);
    st->u = GLP_BS;
    bool pinned = !full && banded && u == ureq;
    bool missed = false;
    if (u >= g->umax[k]) {
        missed = banded && u > g->umax[k];
        u = g->umax[k];
        st->u = GLP_NU;
        pinned = false;
    } else if (u == umin && !pinned) {
        st->u = GLP_NL;
    }
    bool fill = !pinned && st->u == GLP_BS && u == ufill;
    /* The store: from itself while it lasts (no water), else the water makes up what the chord
     * asks for, or what keeps the store at its floor. */
    double s_next = x->s - dt * u;
    st->s = fill ? GLP_NU : GLP_BS;
    st->w = GLP_NL;
    st->chord = GLP_BS;
    double kk = g->kappa[k];
    double cu = 1.0 - kk * dt / m->c_rad;
    if (kk > 0 && cu > 0 && !fill) {
        double rhs = kk * (dt * g->uneg / m->c_rad - g->abar[k]) + g->eps[k];
        double s_req = (cu * u - rhs) * m->c_rad / kk;
        if (s_req > s_next) {
            s_next = s_req;
            st->w = GLP_BS;
            st->chord = GLP_NU;
        }
    }
    if (s_next < g->smin && st->w == GLP_NL && !fill) {
        s_next = g->smin;
        st->s = GLP_NL;
        st->w = GLP_BS;
    } else if (s_next > g->smax[k + 1] && !fill) {
        s_next = g->smax[k + 1];
        st->s = GLP_NU;
        st->w = GLP_BS;
        st->chord = GLP_BS;
    }
    if (!(g->smax[k + 1] > g->smin)) {
        st->s = GLP_NS;
    }
    x->ta = fa + g->g[k][0] * u;
    x->tm = fm + g->g[k][1] * u;
    x->s = s_next;
    missed = missed || (banded && x->ta < g->lo[k + 1] - 1e-9);
    st->band = pinned ? GLP_NL : GLP_BS;
    st->v = !banded ? GLP_NS : missed ? GLP_BS : GLP_NL;
    if (missed) {
        st->band = GLP_NL; /* the violation makes up the rest */
    }
    return !missed;
}

/* The pass, with full output started as late as reaches the band where one interval cannot.
 * False without memory (the caller then starts from GLPK's crash basis). */
static bool hb__guess_basis(glp_prob *lp, const hb_plant_linear *m, const hb__grid *g, size_t n,
                            double dt, const hb_plant_state *st0) {
    hb__gx *x = malloc((n + 1) * sizeof *x);
    hb__gst *st = malloc(2 * n * sizeof *st);
    if (!x || !st) {
        free(x);
        free(st);
        return false;
    }
    hb__gst *trial = st + n;
    x[0] = (hb__gx){st0->t_air, st0->t_mass, m->c_rad * st0->t_rad_mean};
    for (size_t k = 0; k < n; k++) {
        hb__gx y = x[k];
        if (!hb__guess_step(m, g, k, dt, false, &y, &st[k])) {
            /* Full output from j on, the latest j that reaches the band at k + 1 (and at the
             * points in between). */
            for (size_t j = k; j-- > 0;) {
                hb__gx z = x[j];
                bool ok = true;
                for (size_t i = j; i < k && ok; i++) {
                    ok = hb__guess_step(m, g, i, dt, true, &z, &trial[i]);
                }
                if (ok && hb__guess_step(m, g, k, dt, false, &z, &trial[k])) {
                    for (size_t i = j; i <= k; i++) {
                        st[i] = trial[i];
                    }
                    /* the states in between follow from the statuses; only the end matters */
                    y = z;
                    break;
                }
            }
        }
        x[k + 1] = y;
    }
    int base = 3 * (int)(n + 1);
    for (int c = 1; c <= 3; c++) {
        glp_set_col_stat(lp, c, GLP_NS); /* the start state, fixed */
    }
    for (size_t k = 0; k < n; k++) {
        int r = 1 + 5 * (int)k;
        glp_set_row_stat(lp, r, GLP_NS);
        glp_set_row_stat(lp, r + 1, GLP_NS);
        glp_set_row_stat(lp, r + 2, GLP_NS);
        glp_set_row_stat(lp, r + 3, st[k].band);
        glp_set_row_stat(lp, r + 4, st[k].chord);
        glp_set_col_stat(lp, HB__TA(k + 1), GLP_BS);
        glp_set_col_stat(lp, HB__TM(k + 1), GLP_BS);
        glp_set_col_stat(lp, HB__S(k + 1), st[k].s);
        glp_set_col_stat(lp, HB__U(k), st[k].u);
        glp_set_col_stat(lp, HB__W(k), st[k].w);
        glp_set_col_stat(lp, HB__V(k), st[k].v);
    }
    free(x);
    free(st);
    return true;
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
        glp_set_col_bnds(lp, HB__S(k), g->smax[k] > g->smin ? GLP_DB : GLP_FX, g->smin / mj,
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
        int r = 1 + 5 * (int)k;
        for (int i = 0; i < 2; i++) {
            int xi = i == 0 ? HB__TA(k + 1) : HB__TM(k + 1);
            hb__nz(&l, r + i, xi, 1.0);
            hb__nz(&l, r + i, HB__TA(k), -g->m[k][i][0]);
            hb__nz(&l, r + i, HB__TM(k), -g->m[k][i][1]);
            hb__nz(&l, r + i, HB__U(k), -g->g[k][i] * kw);
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
        /* The chord over the interval: Δ u <= kappa (∫ mean radiator − ∫ air) + eps Δ, with
         * the radiator nowhere in the interval warmer than its end plus all it emitted
         * (S_k+1 + Δ (u + uneg)) / C_r, and the air's mean at or above abar. In kW. */
        double kk = g->kappa[k];
        double cu = 1.0 - kk * dt / m->c_rad;
        hb__nz(&l, r + 4, HB__U(k), cu);
        hb__nz(&l, r + 4, HB__S(k + 1), -kk * mj / m->c_rad / kw);
        if (cu > 0) {
            double rhs = kk * (dt * g->uneg / m->c_rad - g->abar[k]) + g->eps[k];
            glp_set_row_bnds(lp, r + 4, GLP_UP, 0, rhs / kw);
        } else {
            glp_set_row_bnds(lp, r + 4, GLP_UP, 0, 1e9); /* Δ too long for the chord to bind */
        }
    }
    if (rc == HB_OK) {
        glp_load_matrix(lp, l.nz, l.ia, l.ja, l.ar);
        glp_smcp parm;
        glp_init_smcp(&parm);
        parm.msg_lev = GLP_MSG_OFF;
        parm.meth = GLP_DUALP;
        /* From a starting basis without presolve (the guessed one, else GLPK's triangular
         * crash basis: 3 to 10 times faster than the presolver's path); the presolver stays
         * the fallback should that basis fail. */
        parm.presolve = GLP_OFF;
        int term = glp_term_out(GLP_OFF); /* glp_adv_basis reports on stdout otherwise */
        if (hb__guess_basis(lp, m, g, n, dt, st0) && glp_warm_up(lp) == 0) {
            /* The guess is primal feasible where it is not optimal, usually: primal simplex
             * from it (the dual from it takes ten times the pivots on the night setback). */
            parm.meth = GLP_PRIMAL;
        } else {
            glp_adv_basis(lp, 0);
        }
        glp_term_out(term);
        int s = glp_simplex(lp, &parm);
        if (s != 0 || glp_get_status(lp) != GLP_OPT) {
            parm.presolve = GLP_ON;
            s = glp_simplex(lp, &parm);
        }
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
    /* At most HB__MAX_N intervals of at least HB__STEP_S: the simplex's time grows faster than
     * the program's size, so a longer run gets a coarser grid, which only loosens it. */
    double step = fmax(HB__STEP_S, total / HB__MAX_N);
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
        plan->ideal_kwh = hb__ideal_j(&g, n, dt, st0->t_air, st0->t_mass) / 3.6e6;
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
