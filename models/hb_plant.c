#include "hb_plant.h"
#include "../util/hb_error.h"
#include "../util/hb_gsl.h"
#include "../util/hb_numeric.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* EN 442 rating point. */
#define HB__NOM_SUPPLY 75.0
#define HB__NOM_RETURN 65.0
#define HB__NOM_ROOM 20.0

/* Indices into the state vector: temperatures first, then energy quadratures. */
enum { HB__TA = 0, HB__TM = 1, HB__TR = 2 };
#define HB__NX (2 + HB_MAX_RAD_SEGMENTS + 4)

typedef struct hb__inputs {
    double flow_wk;    /* q * mcp_nom, W/K */
    double t_supply;   /* °C */
    double h_win;      /* W/K */
    double q_internal; /* W, to the air */
    /* Outdoor temperature and solar gain at the start, middle and end of the step: the only
     * times RK4 evaluates the right-hand side. */
    double t_o[3];
    double q_sol[3];
    /* Emission of each segment linearised at the start of the step: Q = q0 + g0 (dT - dt0). */
    double q0[HB_MAX_RAD_SEGMENTS], g0[HB_MAX_RAD_SEGMENTS], dt0[HB_MAX_RAD_SEGMENTS];
} hb__inputs;

struct hb_plant {
    hb_plant_config cfg;
    int k;                              /* radiator segments */
    int nx;                             /* used state entries */
    int ie;                             /* index of the first energy quadrature */
    double c_a, c_m, c_seg;             /* J/K */
    double inv_c_a, inv_c_m, inv_c_seg; /* multiplications in the RHS, not divisions */
    double inv_step;                    /* 1 / step_s, for interpolation */
    double h_am, h_ao, h_mo;            /* W/K */
    double mcp_nom;                     /* W/K at nominal flow */
    double q_seg;                       /* Q50 / K */
    double n, inv_dt_ref, dt_ref;
    double solar_area; /* window area * g, m² */
    int nsub;
    double hsub;
    long steps; /* grid steps taken: t = t_start + steps * h, no drift */
    hb_actuator act;
    hb__inputs lin; /* emission linearised at the latest grid point, weather there */
    double x[HB__NX];
    hb_plant_state prev, cur;
};

/* Emission of one segment at excess temperature DT over the room air. Odd in DT so a radiator
 * colder than the room (solar gains, closed valve) takes heat back instead of emitting. */
static inline double hb__emit(const hb_plant *p, double dt) {
    double a = fabs(dt) * p->inv_dt_ref;
    if (a == 0.0) {
        return 0.0;
    }
    double q = p->q_seg * exp(p->n * log(a));
    return dt < 0 ? -q : q;
}

static double hb__window_ua(const hb_room_config *r, double t_s) {
    double ua = 0.0;
    double h = t_s / 3600.0;
    for (size_t i = 0; i < r->n_windows; i++) {
        const hb_window_event *w = &r->windows[i];
        if (h >= w->at_h && h < w->at_h + w->duration_min / 60.0) {
            ua += w->ua_w_per_k;
        }
    }
    return ua;
}

static double hb__internal_gains(const hb_room_config *r, double t_s) {
    double h = hb_fmod24(t_s / 3600.0);
    double q = r->base_gains_w;
    for (size_t i = 0; i < r->n_gains; i++) {
        const hb_gain_period *g = &r->gains[i];
        int in = (g->from_h <= g->to_h) ? (h >= g->from_h && h < g->to_h)
                                        : (h >= g->from_h || h < g->to_h);
        if (in) {
            q += g->watts;
        }
    }
    return q;
}

static double hb__supply(const hb_radiator_config *r, double t_out) {
    if (r->supply_mode == HB_SUPPLY_FIXED) {
        return r->supply_c;
    }
    double ts = r->curve_base_c + r->curve_slope * (20.0 - t_out);
    return ts < r->curve_min_c ? r->curve_min_c : (ts > r->curve_max_c ? r->curve_max_c : ts);
}

/* Right-hand side at RK stage time STAGE (0 start, 1 middle, 2 end) for state X under the held
 * inputs U. */
static void hb__rhs(const hb_plant *p, int stage, const double *x, const hb__inputs *u,
                    double *dx) {
    const hb_room_config *rc = &p->cfg.room;
    double t_o = u->t_o[stage];
    double q_sol = u->q_sol[stage];
    double ta = x[HB__TA];
    double tm = x[HB__TM];

    double q_rad = 0.0;
    double t_in = u->t_supply;
    for (int i = 0; i < p->k; i++) {
        double tk = x[HB__TR + i];
        double qk = u->q0[i] + u->g0[i] * ((tk - ta) - u->dt0[i]);
        q_rad += qk;
        dx[HB__TR + i] = (u->flow_wk * (t_in - tk) - qk) * p->inv_c_seg;
        t_in = tk;
    }
    double t_ret = t_in;
    double h_direct = p->h_ao + u->h_win;
    double q_sol_m = rc->solar_to_mass * q_sol;
    double q_air_gain = u->q_internal + (q_sol - q_sol_m);
    dx[HB__TA] = (p->h_am * (tm - ta) + h_direct * (t_o - ta) + q_rad + q_air_gain) * p->inv_c_a;
    dx[HB__TM] = (p->h_am * (ta - tm) + p->h_mo * (t_o - tm) + q_sol_m) * p->inv_c_m;
    dx[p->ie + 0] = u->flow_wk * (u->t_supply - t_ret);           /* heat from water */
    dx[p->ie + 1] = h_direct * (ta - t_o) + p->h_mo * (tm - t_o); /* loss to outdoors */
    dx[p->ie + 2] = u->q_internal + q_sol;                        /* gains */
    dx[p->ie + 3] = q_rad;                                        /* emission */
}

static void hb__rk4(const hb_plant *p, double h, double *x, const hb__inputs *u) {
    double k1[HB__NX] = {0}, k2[HB__NX] = {0}, k3[HB__NX] = {0}, k4[HB__NX] = {0};
    double y[HB__NX] = {0};
    int nx = p->nx;
    hb__rhs(p, 0, x, u, k1);
    for (int i = 0; i < nx; i++) {
        y[i] = x[i] + 0.5 * h * k1[i];
    }
    hb__rhs(p, 1, y, u, k2);
    for (int i = 0; i < nx; i++) {
        y[i] = x[i] + 0.5 * h * k2[i];
    }
    hb__rhs(p, 1, y, u, k3);
    for (int i = 0; i < nx; i++) {
        y[i] = x[i] + h * k3[i];
    }
    hb__rhs(p, 2, y, u, k4);
    for (int i = 0; i < nx; i++) {
        x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

/* ---- radiator calibration --------------------------------------------------------------- */

typedef struct hb__seg_eq {
    const hb_plant *p;
    double flow_wk, t_prev, t_room;
} hb__seg_eq;

static double hb__seg_residual(double tk, void *params) {
    const hb__seg_eq *e = params;
    return e->flow_wk * (e->t_prev - tk) - hb__emit(e->p, tk - e->t_room);
}

/* Root of a monotone function on [lo, hi] with GSL's Brent solver. */
static double hb__brent(double (*f)(double, void *), void *params, double lo, double hi) {
    gsl_function fn = {.function = f, .params = params};
    double flo = f(lo, params);
    double fhi = f(hi, params);
    if (flo == 0.0) {
        return lo;
    }
    if (fhi == 0.0 || (flo > 0) == (fhi > 0)) {
        return hi;
    }
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s) {
        return NAN;
    }
    gsl_root_fsolver_set(s, &fn, lo, hi);
    double r = 0.5 * (lo + hi);
    for (int it = 0; it < 200; it++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS) {
            break;
        }
        r = gsl_root_fsolver_root(s);
        double a = gsl_root_fsolver_x_lower(s);
        double b = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(a, b, 1e-12, 1e-12) == GSL_SUCCESS) {
            break;
        }
    }
    gsl_root_fsolver_free(s);
    return r;
}

/* Steady-state segment temperatures for a given supply, room and flow; returns total output. */
static double hb__steady_profile(const hb_plant *p, double t_supply, double t_room, double flow,
                                 double *t_seg) {
    hb__seg_eq e = {.p = p, .flow_wk = flow * p->mcp_nom, .t_prev = t_supply, .t_room = t_room};
    double total = 0.0;
    for (int i = 0; i < p->k; i++) {
        double tk = t_room;
        if (e.flow_wk > 0.0 && t_supply != t_room) {
            double lo = fmin(t_room, e.t_prev);
            double hi = fmax(t_room, e.t_prev);
            tk = hb__brent(hb__seg_residual, &e, lo, hi);
        }
        total += hb__emit(p, tk - t_room);
        if (t_seg) {
            t_seg[i] = tk;
        }
        e.t_prev = tk;
    }
    return total;
}

static double hb__calib_residual(double dt_ref, void *params) {
    hb_plant *p = params;
    p->dt_ref = dt_ref;
    p->inv_dt_ref = 1.0 / dt_ref;
    return hb__steady_profile(p, HB__NOM_SUPPLY, HB__NOM_ROOM, 1.0, NULL) - p->cfg.radiator.q50_w;
}

double hb_radiator_steady_output(const hb_plant *p, double t_supply, double t_room, double flow) {
    return hb__steady_profile(p, t_supply, t_room, flow, NULL);
}

double hb_radiator_steady_mean(const hb_plant *p, double t_supply, double t_room, double flow) {
    double t[HB_MAX_RAD_SEGMENTS];
    hb__steady_profile(p, t_supply, t_room, flow, t);
    double sum = 0.0;
    for (int i = 0; i < p->k; i++) {
        sum += t[i];
    }
    return sum / p->k;
}

double hb_radiator_dt_ref(const hb_plant *p) {
    return p->dt_ref;
}

/* ---- life cycle --------------------------------------------------------------------------- */

static int hb__validate(const hb_plant_config *c) {
    const hb_room_config *r = &c->room;
    const hb_radiator_config *d = &c->radiator;
    if (!c->weather || !(c->step_s > 0) || !(r->ua_w_per_k > 0) || !(r->air_capacity_j_per_k > 0) ||
        !(r->mass_capacity_j_per_k > 0) || !(r->direct_share >= 0 && r->direct_share < 1) ||
        !(d->q50_w > 0) || !(d->exponent >= 1.0 && d->exponent <= 2.0) ||
        !(d->capacity_j_per_k > 0) || d->segments < 1 || d->segments > HB_MAX_RAD_SEGMENTS ||
        r->n_gains > HB_MAX_GAINS || r->n_windows > HB_MAX_WINDOWS) {
        return HB_ERR_INVAL;
    }
    /* The envelope path (air -> mass -> outdoors) must be able to carry its share of UA. */
    double ua_env = (1.0 - r->direct_share) * r->ua_w_per_k;
    if (!(r->air_mass_w_per_k > ua_env)) {
        return HB_ERR_RANGE;
    }
    return HB_OK;
}

/* Emission of every segment of state X and its slope, the linearisation one step uses. */
static void hb__linearise(const hb_plant *p, const double *x, hb__inputs *u) {
    double ta = x[HB__TA];
    for (int i = 0; i < p->k; i++) {
        double dt = x[HB__TR + i] - ta;
        double a = fabs(dt) * p->inv_dt_ref;
        u->dt0[i] = dt;
        if (a == 0.0) {
            u->q0[i] = u->g0[i] = 0.0; /* the slope of |dT|^n at 0 is 0 for n > 1 */
            continue;
        }
        double q = p->q_seg * exp(p->n * log(a));
        u->q0[i] = dt < 0 ? -q : q;
        u->g0[i] = p->n * q / fabs(dt);
    }
}

/* Records the grid point at T; the emission and the weather computed here are reused as the
 * start of the next step. */
static void hb__sample(hb_plant *p, hb_plant_state *s, double t, double t_out, double q_sol) {
    const double *x = p->x;
    hb__linearise(p, x, &p->lin);
    p->lin.t_o[0] = t_out;
    p->lin.q_sol[0] = q_sol;
    double mean = 0.0;
    double q_rad = 0.0;
    for (int i = 0; i < p->k; i++) {
        mean += x[HB__TR + i];
        q_rad += p->lin.q0[i];
    }
    s->t = t;
    s->t_air = x[HB__TA];
    s->t_mass = x[HB__TM];
    s->t_rad_mean = mean / p->k;
    s->t_return = x[HB__TR + p->k - 1];
    s->t_out = t_out;
    s->q_rad_w = q_rad;
    s->valve_pos = p->act.pos;
    s->e_water_j = x[p->ie + 0];
    s->e_loss_j = x[p->ie + 1];
    s->e_gain_j = x[p->ie + 2];
    s->e_emit_j = x[p->ie + 3];
    s->stored_j = p->c_a * x[HB__TA] + p->c_m * x[HB__TM] + p->c_seg * mean;
    s->ua_total = p->cfg.room.ua_w_per_k + hb__window_ua(&p->cfg.room, t);
    s->gains_w = hb__internal_gains(&p->cfg.room, t) + q_sol;
}

int hb_plant_create(const hb_plant_config *cfg, hb_plant **out) {
    *out = NULL;
    int rc = hb__validate(cfg);
    if (rc != HB_OK) {
        return rc;
    }
    hb_plant *p = calloc(1, sizeof *p);
    if (!p) {
        return HB_ERR_NOMEM;
    }
    p->cfg = *cfg;
    const hb_room_config *r = &cfg->room;
    const hb_radiator_config *d = &cfg->radiator;
    p->k = d->segments;
    p->ie = HB__TR + p->k;
    p->nx = p->ie + 4;
    p->c_a = r->air_capacity_j_per_k;
    p->c_m = r->mass_capacity_j_per_k;
    p->c_seg = d->capacity_j_per_k / p->k;
    p->inv_c_a = 1.0 / p->c_a;
    p->inv_c_m = 1.0 / p->c_m;
    p->inv_c_seg = 1.0 / p->c_seg;
    p->inv_step = 1.0 / cfg->step_s;
    p->h_am = r->air_mass_w_per_k;
    p->h_ao = r->direct_share * r->ua_w_per_k;
    /* Series resistances: 1/UA_env = 1/H_am + 1/H_mo. */
    double ua_env = (1.0 - r->direct_share) * r->ua_w_per_k;
    p->h_mo = (ua_env > 0) ? 1.0 / (1.0 / ua_env - 1.0 / p->h_am) : 0.0;
    p->mcp_nom = d->q50_w / (HB__NOM_SUPPLY - HB__NOM_RETURN);
    p->q_seg = d->q50_w / p->k;
    p->n = d->exponent;
    p->solar_area = r->window_area_m2 * r->solar_g;

    hb_gsl_init(); /* GSL errors come back as codes, never as an abort */
    p->dt_ref = hb__brent(hb__calib_residual, p, 5.0, 200.0);
    if (!isfinite(p->dt_ref)) {
        free(p);
        return HB_ERR_NUMERIC;
    }
    hb__calib_residual(p->dt_ref, p); /* leave dt_ref and its inverse consistent */

    /* Sub-step so that h_sub times the largest row rate (Gershgorin bound on the Jacobian's
     * spectral radius) stays <= 1: well inside RK4's stability limit of 2.78 and accurate for
     * the fastest mode. The emission slope is taken at an 80 K excess, beyond any real case. */
    double demit = p->n * p->q_seg * p->inv_dt_ref * pow(80.0 * p->inv_dt_ref, p->n - 1.0);
    double win_max = 0.0;
    for (size_t i = 0; i < r->n_windows; i++) {
        win_max += r->windows[i].ua_w_per_k;
    }
    double rate = (p->h_am + p->h_ao + win_max + p->k * demit) / p->c_a;
    rate = fmax(rate, (p->h_am + p->h_mo) / p->c_m);
    rate = fmax(rate, (p->mcp_nom + demit) / p->c_seg);
    double ns = ceil(cfg->step_s * rate);
    if (ns > 10000) {
        free(p);
        return HB_ERR_RANGE;
    }
    p->nsub = ns < 1 ? 1 : (int)ns;
    p->hsub = cfg->step_s / p->nsub;

    double t0 = cfg->t_start_s;
    double to0 = hb_weather_t_out(cfg->weather, t0);
    p->x[HB__TA] = cfg->t_air0_c;
    p->x[HB__TM] = isnan(cfg->t_mass0_c)
                       ? (p->h_am * cfg->t_air0_c + p->h_mo * to0) / (p->h_am + p->h_mo)
                       : cfg->t_mass0_c;
    double v0 = cfg->valve0_pct < 0 ? 0 : (cfg->valve0_pct > 100 ? 100 : cfg->valve0_pct);
    p->act.pos = p->act.target = v0;
    double flow0 = hb_valve_flow(&cfg->valve, v0);
    hb__steady_profile(p, hb__supply(d, to0), cfg->t_air0_c, flow0, &p->x[HB__TR]);
    hb__sample(p, &p->cur, t0, to0, p->solar_area * hb_weather_solar(cfg->weather, t0));
    p->prev = p->cur;
    *out = p;
    return HB_OK;
}

void hb_plant_destroy(hb_plant *p) {
    free(p);
}

double hb_plant_time(const hb_plant *p) {
    return p->cur.t;
}

int hb_plant_step(hb_plant *p) {
    double t = p->cur.t;
    double h = p->cfg.step_s;
    const hb_room_config *r = &p->cfg.room;
    const hb_weather_config *w = p->cfg.weather;
    hb__inputs u = p->lin;
    u.flow_wk = hb_valve_flow(&p->cfg.valve, p->act.pos) * p->mcp_nom;
    u.t_supply = hb__supply(&p->cfg.radiator, u.t_o[0]);
    u.h_win = hb__window_ua(r, t);
    u.q_internal = hb__internal_gains(r, t);
    for (int i = 0; i < p->nsub; i++) {
        double ts = t + i * p->hsub;
        if (i > 0) {
            hb__linearise(p, p->x, &u);
            u.t_o[0] = u.t_o[2];
            u.q_sol[0] = u.q_sol[2];
        }
        u.t_o[1] = hb_weather_t_out(w, ts + 0.5 * p->hsub);
        u.q_sol[1] = p->solar_area * hb_weather_solar(w, ts + 0.5 * p->hsub);
        u.t_o[2] = hb_weather_t_out(w, ts + p->hsub);
        u.q_sol[2] = p->solar_area * hb_weather_solar(w, ts + p->hsub);
        hb__rk4(p, p->hsub, p->x, &u);
    }
    if (!isfinite(p->x[HB__TA]) || !isfinite(p->x[HB__TM])) {
        return HB_ERR_NUMERIC;
    }
    hb_actuator_move(&p->act, &p->cfg.valve, h);
    p->steps++;
    p->prev = p->cur;
    hb__sample(p, &p->cur, p->cfg.t_start_s + (double)p->steps * h, u.t_o[2], u.q_sol[2]);
    return HB_OK;
}

const hb_plant_state *hb_plant_prev(const hb_plant *p) {
    return &p->prev;
}

const hb_plant_state *hb_plant_cur(const hb_plant *p) {
    return &p->cur;
}

double hb_plant_air_at(const hb_plant *p, double t) {
    double span = p->cur.t - p->prev.t;
    if (span <= 0 || t >= p->cur.t) {
        return p->cur.t_air;
    }
    if (t <= p->prev.t) {
        return p->prev.t_air;
    }
    double f = (t - p->prev.t) * p->inv_step; /* span is the grid step after the first step */
    return p->prev.t_air + f * (p->cur.t_air - p->prev.t_air);
}

void hb_plant_command(hb_plant *p, double level_pct) {
    hb_actuator_command(&p->act, &p->cfg.valve, level_pct);
}

double hb_plant_travel(const hb_plant *p) {
    return p->act.travel;
}

double hb_plant_substep(const hb_plant *p) {
    return p->hsub;
}

void hb_plant_linear_model(const hb_plant *p, hb_plant_linear *m) {
    *m = (hb_plant_linear){.c_air = p->c_a,
                           .c_mass = p->c_m,
                           .c_rad = p->c_seg * p->k,
                           .h_am = p->h_am,
                           .h_ao = p->h_ao,
                           .h_mo = p->h_mo,
                           .q50_w = p->cfg.radiator.q50_w,
                           .exponent = p->n,
                           .dt_ref = p->dt_ref};
}

void hb_plant_inputs_at(const hb_plant *p, double t, hb_plant_inputs *in) {
    const hb_room_config *r = &p->cfg.room;
    double t_out = hb_weather_t_out(p->cfg.weather, t);
    double q_sol = p->solar_area * hb_weather_solar(p->cfg.weather, t);
    double q_sol_m = r->solar_to_mass * q_sol;
    in->t_out = t_out;
    in->t_supply = hb__supply(&p->cfg.radiator, t_out);
    in->h_win = hb__window_ua(r, t);
    in->q_air = hb__internal_gains(r, t) + (q_sol - q_sol_m);
    in->q_mass = q_sol_m;
}
