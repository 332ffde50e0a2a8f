#include "hb_mpc.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <glpk.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

struct hb_mpc {
    hb_mpc_config cfg;
    hb_room_model m;
    hb_room_disc disc;
    int n;         /* steps in the horizon */
    double per_kw; /* planned level % per kW of heat (full output is 100 %) */
    glp_prob *lp;
    bool planned;
    double t_solved;
    double *q_plan;  /* n: emission targets, W */
    double *q_max;   /* n: full output of each step as the plan took it, W */
    double *ta_plan; /* n + 1: air temperatures, °C */
    int iterations;
    double eta, gamma; /* hb_mpc_set_scales */
};

/* Column and row numbers (GLPK's, from 1). States x_k (air, mass, emission) for k = 0..n, then
 * per step k: the heat Q_k, the shortfall s at k + 1, the two halves of |T_a − r| at k + 1, the
 * travel of step k. Rows per step: three dynamics, the band, the tracking split, two for the
 * travel's absolute value. */
#define HB__X(k, i) (1 + 3 * (k) + (i))
#define HB__Q(c, k) (3 * ((c)->n + 1) + 1 + 5 * (k))
#define HB__S(c, k) (HB__Q(c, k) + 1)
#define HB__P(c, k) (HB__Q(c, k) + 2)
#define HB__M(c, k) (HB__Q(c, k) + 3)
#define HB__TR(c, k) (HB__Q(c, k) + 4)
#define HB__ROW(k, j) (1 + 7 * (k) + (j))

/* Scales for the solver: heat in kW, so every column is of order 1..100. */
static const double hb__col_scale[3] = {1.0, 1.0, 1e3};
static const double hb__row_scale[3] = {1.0, 1.0, 1e-3};
#define HB__KW 1e3

int hb_mpc_check(const hb_mpc_config *cfg) {
    if (!cfg || !(cfg->step_s >= 60.0) || !(cfg->horizon_h > 0) || !(cfg->margin_k >= 0) ||
        !(cfg->w_violation >= 0) || !(cfg->w_track >= 0) || !(cfg->w_travel >= 0) ||
        !(cfg->inner_kp >= 0) || !(cfg->arrive_early_s >= 0)) {
        return HB_ERR_INVAL;
    }
    double n = ceil(cfg->horizon_h * 3600.0 / cfg->step_s - 1e-9);
    return n >= 1 && n <= HB_MPC_MAX_STEPS ? HB_OK : HB_ERR_INVAL;
}

/* The part of the program that does not change between solves: the matrix and the objective. */
static int hb__build(hb_mpc *c) {
    int n = c->n;
    glp_prob *lp = c->lp;
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_cols(lp, 3 * (n + 1) + 5 * n);
    glp_add_rows(lp, 7 * n);
    double dt_h = c->cfg.step_s / 3600.0;
    for (int k = 0; k <= n; k++) {
        for (int i = 0; i < 3; i++) {
            glp_set_col_bnds(lp, HB__X(k, i), GLP_FR, 0, 0);
        }
    }
    for (int k = 0; k < n; k++) {
        glp_set_obj_coef(lp, HB__Q(c, k), dt_h);
        glp_set_col_bnds(lp, HB__S(c, k), GLP_LO, 0, 0);
        glp_set_obj_coef(lp, HB__S(c, k), c->cfg.w_violation * dt_h);
        glp_set_col_bnds(lp, HB__P(c, k), GLP_LO, 0, 0);
        glp_set_col_bnds(lp, HB__M(c, k), GLP_LO, 0, 0);
        glp_set_obj_coef(lp, HB__P(c, k), c->cfg.w_track * dt_h);
        glp_set_obj_coef(lp, HB__M(c, k), c->cfg.w_track * dt_h);
        glp_set_col_bnds(lp, HB__TR(c, k), GLP_LO, 0, 0);
        glp_set_obj_coef(lp, HB__TR(c, k), c->cfg.w_travel);
    }
    /* n is 1..HB_MPC_MAX_STEPS (hb_mpc_check); at most 15 + 2 + 3 + 6 entries per step. */
    size_t cap = 26 * (size_t)(n > 0 && n <= HB_MPC_MAX_STEPS ? n : 1) + 1;
    int *ia = malloc((cap + 1) * sizeof *ia);
    int *ja = malloc((cap + 1) * sizeof *ja);
    double *ar = malloc((cap + 1) * sizeof *ar);
    if (!ia || !ja || !ar) {
        free(ia);
        free(ja);
        free(ar);
        return HB_ERR_NOMEM;
    }
    int nz = 0;
#define HB__NZ(r, col, v)                                                                          \
    do {                                                                                           \
        assert((size_t)nz < cap);                                                                  \
        nz++;                                                                                      \
        ia[nz] = (r);                                                                              \
        ja[nz] = (col);                                                                            \
        ar[nz] = (v);                                                                              \
    } while (0)
    const hb_room_disc *d = &c->disc;
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < 3; i++) {
            int r = HB__ROW(k, i);
            double rs = hb__row_scale[i];
            HB__NZ(r, HB__X(k + 1, i), hb__col_scale[i] * rs);
            for (int j = 0; j < 3; j++) {
                if (d->phi[i][j] != 0.0) {
                    HB__NZ(r, HB__X(k, j), -d->phi[i][j] * hb__col_scale[j] * rs);
                }
            }
            if (d->gam[i][0] != 0.0) {
                HB__NZ(r, HB__Q(c, k), -d->gam[i][0] * HB__KW * rs);
            }
        }
        HB__NZ(HB__ROW(k, 3), HB__X(k + 1, 0), 1.0);
        HB__NZ(HB__ROW(k, 3), HB__S(c, k), 1.0);
        HB__NZ(HB__ROW(k, 4), HB__X(k + 1, 0), 1.0);
        HB__NZ(HB__ROW(k, 4), HB__P(c, k), -1.0);
        HB__NZ(HB__ROW(k, 4), HB__M(c, k), 1.0);
        /* tr_k ≥ ±(L_k − L_k−1), the levels linearised as Q × 100 / Q_full. */
        for (int j = 0; j < 2; j++) {
            double sg = j == 0 ? -1.0 : 1.0;
            HB__NZ(HB__ROW(k, 5 + j), HB__TR(c, k), 1.0);
            HB__NZ(HB__ROW(k, 5 + j), HB__Q(c, k), sg * c->per_kw);
            if (k > 0) {
                HB__NZ(HB__ROW(k, 5 + j), HB__Q(c, k - 1), -sg * c->per_kw);
            }
            glp_set_row_bnds(lp, HB__ROW(k, 5 + j), GLP_LO, 0, 0);
        }
    }
#undef HB__NZ
    glp_load_matrix(lp, nz, ia, ja, ar);
    free(ia);
    free(ja);
    free(ar);
    return HB_OK;
}

hb_mpc *hb_mpc_create(const hb_mpc_config *cfg, const hb_room_model *model) {
    if (hb_mpc_check(cfg) != HB_OK || hb_room_model_check(model) != HB_OK) {
        return NULL;
    }
    hb_mpc *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->cfg = *cfg;
    c->m = *model;
    c->eta = c->gamma = 1.0;
    c->n = (int)ceil(cfg->horizon_h * 3600.0 / cfg->step_s - 1e-9);
    c->per_kw = 100.0 / c->m.heat_ref[HB_RM_LEVELS - 1] * HB__KW;
    c->q_plan = calloc((size_t)c->n, sizeof *c->q_plan);
    c->q_max = calloc((size_t)c->n, sizeof *c->q_max);
    c->ta_plan = calloc((size_t)c->n + 1, sizeof *c->ta_plan);
    c->lp = glp_create_prob();
    if (!c->q_plan || !c->q_max || !c->ta_plan || !c->lp ||
        hb_room_model_disc(&c->m, cfg->step_s, &c->disc) != HB_OK || hb__build(c) != HB_OK) {
        hb_mpc_destroy(c);
        return NULL;
    }
    return c;
}

void hb_mpc_destroy(hb_mpc *c) {
    if (c) {
        if (c->lp) {
            glp_delete_prob(c->lp);
        }
        free(c->q_plan);
        free(c->q_max);
        free(c->ta_plan);
        free(c);
    }
}

/* The bounds of one solve: the start state, the forecast in the dynamics' right-hand sides, the
 * heat each step can give, the band and setpoint path, the travel from the heat in force. */
static void hb__bounds(hb_mpc *c, double t, const double x[HB_RM_N], double q_prev,
                       const hb_ctl_env *env) {
    glp_prob *lp = c->lp;
    const hb_room_disc *d = &c->disc;
    double dt = c->cfg.step_s;
    for (int i = 0; i < 3; i++) {
        double v = x[i] / hb__col_scale[i];
        glp_set_col_bnds(lp, HB__X(0, i), GLP_FX, v, v);
    }
    double early = c->cfg.arrive_early_s;
    for (int k = 0; k < c->n; k++) {
        hb_room_inputs in;
        env->forecast.fn(env->forecast.ud, t + (k + 0.5) * dt, &in);
        for (int i = 0; i < 3; i++) {
            double rhs = d->phi[i][3] * x[3] + d->gam[i][1] * in.t_out +
                         (d->gam[i][2] * in.q_air + d->gam[i][3] * in.q_mass) * c->gamma;
            rhs *= hb__row_scale[i];
            glp_set_row_bnds(lp, HB__ROW(k, i), GLP_FX, rhs, rhs);
        }
        hb_setpoint sp;
        hb_setpoint ahead;
        double tk = t + (k + 1) * dt;
        hb_schedule_at(env->schedule, env->base_c, env->band_k, tk, &sp);
        hb_schedule_at(env->schedule, env->base_c, env->band_k, tk + early, &ahead);
        if (ahead.lo_c > sp.lo_c) {
            sp.lo_c = ahead.lo_c; /* a warmer period is planned to begin arrive_early_s sooner */
        }
        /* Full output depends on the air temperature the plan is solving for: taken from the
         * previous plan (a warm-up ramp is planned at the temperatures it passes through), and
         * on a first plan from the setpoint (hb_mpc_solve then plans once more). */
        double ta_guess =
            c->planned ? hb_mpc_air_at(c, t + (k + 0.5) * dt) : fmax(x[0], sp.setpoint_c);
        double qmax = c->eta * hb_room_model_heat(&c->m, 100.0, in.t_supply, ta_guess) / HB__KW;
        glp_set_col_bnds(lp, HB__Q(c, k), qmax > 0 ? GLP_DB : GLP_FX, 0, qmax);
        glp_set_obj_coef(lp, HB__Q(c, k), dt / 3600.0 / c->eta); /* the heat from the water */
        double lo = sp.lo_c + c->cfg.margin_k;
        glp_set_row_bnds(lp, HB__ROW(k, 3), GLP_LO, lo, 0);
        glp_set_row_bnds(lp, HB__ROW(k, 4), GLP_FX, sp.setpoint_c, sp.setpoint_c);
        /* A kelvin from the setpoint costs in proportion to the share of the band it uses on
         * that side: full weight in the base band, a tenth above an eco setpoint whose band
         * reaches 5 K up (a warm-up through it is no discomfort). */
        double below = sp.setpoint_c - sp.lo_c;
        double above = sp.hi_c - sp.setpoint_c;
        double w = c->cfg.w_track * dt / 3600.0;
        glp_set_obj_coef(lp, HB__P(c, k), above > 0 ? w * env->band_k / above : w);
        glp_set_obj_coef(lp, HB__M(c, k), below > 0 ? w * env->band_k / below : w);
    }
    double l0 = q_prev / HB__KW * c->per_kw;
    glp_set_row_bnds(lp, HB__ROW(0, 5), GLP_LO, -l0, 0);
    glp_set_row_bnds(lp, HB__ROW(0, 6), GLP_LO, l0, 0);
}

int hb_mpc_solve(hb_mpc *c, double t, const double x[HB_RM_N], double q_prev,
                 const hb_ctl_env *env) {
    for (int i = 0; i < HB_RM_N; i++) {
        if (!isfinite(x[i])) {
            return HB_ERR_INVAL;
        }
    }
    bool first = !c->planned;
    hb__bounds(c, t, x, isfinite(q_prev) ? q_prev : 0.0, env);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.meth = GLP_DUALP;
    parm.it_lim = 20000;
    int before = glp_get_it_cnt(c->lp);
    int s = glp_simplex(c->lp, &parm);
    if (s != 0 || glp_get_status(c->lp) != GLP_OPT) {
        /* A basis that no longer helps (or a first solve): from the standard basis. */
        glp_std_basis(c->lp);
        before = glp_get_it_cnt(c->lp);
        s = glp_simplex(c->lp, &parm);
    }
    c->iterations = glp_get_it_cnt(c->lp) - before;
    if (s != 0 || glp_get_status(c->lp) != GLP_OPT) {
        return HB_ERR_NUMERIC;
    }
    for (int k = 0; k < c->n; k++) {
        c->q_plan[k] = fmax(0.0, glp_get_col_prim(c->lp, HB__Q(c, k)) * HB__KW);
        c->q_max[k] = glp_get_col_ub(c->lp, HB__Q(c, k)) * HB__KW;
    }
    for (int k = 0; k <= c->n; k++) {
        c->ta_plan[k] = glp_get_col_prim(c->lp, HB__X(k, 0));
    }
    assert(isfinite(c->q_plan[0]) && isfinite(c->ta_plan[1]));
    c->planned = true;
    c->t_solved = t;
    if (first) {
        return hb_mpc_solve(c, t, x, q_prev, env); /* with full output at the planned ramp */
    }
    return HB_OK;
}

void hb_mpc_set_scales(hb_mpc *c, double eta, double gamma) {
    if (isfinite(eta) && eta > 0 && isfinite(gamma) && gamma >= 0) {
        c->eta = eta;
        c->gamma = gamma;
    }
}

int hb_mpc_planned(const hb_mpc *c) {
    return c->planned;
}

/* The step in force at T: the first before the plan, the last past its horizon. */
static int hb__step_at(const hb_mpc *c, double t) {
    double x = (t - c->t_solved) / c->cfg.step_s;
    return x <= 0 ? 0 : (x >= c->n ? c->n - 1 : (int)x);
}

double hb_mpc_heat_at(const hb_mpc *c, double t) {
    if (!c->planned) {
        return NAN;
    }
    return c->q_plan[hb__step_at(c, t)];
}

bool hb_mpc_full_at(const hb_mpc *c, double t) {
    if (!c->planned) {
        return false;
    }
    int k = hb__step_at(c, t);
    /* The simplex puts a heat at its bound exactly; the tolerance is for the scaling's rounding. */
    return c->q_max[k] > 0 && c->q_plan[k] >= (1.0 - 1e-6) * c->q_max[k];
}

double hb_mpc_air_at(const hb_mpc *c, double t) {
    if (!c->planned) {
        return NAN;
    }
    double x = (t - c->t_solved) / c->cfg.step_s;
    if (x <= 0) {
        return c->ta_plan[0];
    }
    if (x >= c->n) {
        return c->ta_plan[c->n];
    }
    int k = (int)x;
    double f = x - k;
    return c->ta_plan[k] + f * (c->ta_plan[k + 1] - c->ta_plan[k]);
}

double hb_mpc_solved_at(const hb_mpc *c) {
    return c->t_solved;
}

int hb_mpc_iterations(const hb_mpc *c) {
    return c->iterations;
}
