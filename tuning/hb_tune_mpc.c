#include "hb_tune_mpc.h"
#include "../sim/hb_energy.h"
#include "../util/hb_error.h"
#include "../util/hb_gsl.h"
#include "hb_batch.h"

#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HB__DIM 3

/* The search space: ln w_track, ln w_travel, ln inner_kp, each within a range that keeps the
 * program sensible (a zero weight is the range's floor). */
static const double hb__lo[HB__DIM] = {1e-3, 1e-6, 0.1};
static const double hb__hi[HB__DIM] = {10.0, 0.1, 100.0};

typedef struct hb__mctx {
    const hb_sim_config *scen;
    size_t n_scen;
    const hb_tune_options *o;
    int threads;
    int evals;
    hb_batch_job *jobs;
    hb_energy_plan *plans;
    double best_cost;
    hb_mpc_config best;
    hb_mpc_config base;
} hb__mctx;

static hb_mpc_config hb__mpc_apply(const hb_mpc_config *base, const double p[HB__DIM]) {
    hb_mpc_config m = *base;
    m.w_track = p[0];
    m.w_travel = p[1];
    m.inner_kp = p[2];
    return m;
}

static void hb__apply_mpc(hb_sim_config *c, const void *candidate) {
    c->controller.algo = HB_ALGO_MPC;
    c->controller.mpc = *(const hb_mpc_config *)candidate;
}

static double hb__eval(hb__mctx *x, const hb_mpc_config *m, bool heldout, hb_kpis *kpis) {
    hb_batch_set b = {x->scen, x->plans, x->n_scen, x->jobs, x->threads};
    return hb_batch_score(&b, heldout ? 1 : x->o->seeds, heldout ? HB_TUNE_HELDOUT_OFFSET : 0,
                          hb__apply_mpc, m, &x->o->w, x->o->robust_worst, kpis);
}

static double hb__mpc_objective(const gsl_vector *v, void *params) {
    hb__mctx *x = params;
    double p[HB__DIM];
    for (size_t i = 0; i < HB__DIM; i++) {
        double l = gsl_vector_get(v, i);
        if (!(l >= log(hb__lo[i]) && l <= log(hb__hi[i]))) {
            return HB_COST_FAILED;
        }
        p[i] = exp(l);
    }
    hb_mpc_config m = hb__mpc_apply(&x->base, p);
    double c = hb__eval(x, &m, false, NULL);
    x->evals++;
    if (c < x->best_cost) {
        x->best_cost = c;
        x->best = m;
    }
    if (x->o->convergence) {
        fprintf(x->o->convergence, "%d,%.6f,%.6g,%.6g,%.6g\n", x->evals, c, p[0], p[1], p[2]);
    }
    if (x->o->progress) {
        x->o->progress(x->o->progress_ud, x->evals, x->o->max_evals);
    }
    return c;
}

static int hb__mpc_optimise(hb__mctx *x, hb_tune_mpc_method *m) {
    gsl_multimin_function objective = {.f = hb__mpc_objective, .n = HB__DIM, .params = x};
    gsl_vector *v = gsl_vector_alloc(HB__DIM);
    gsl_vector *step = gsl_vector_alloc(HB__DIM);
    gsl_multimin_fminimizer *s =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, HB__DIM);
    int rc = v && step && s ? HB_OK : HB_ERR_NOMEM;
    if (rc == HB_OK) {
        double start[HB__DIM] = {x->base.w_track, x->base.w_travel, x->base.inner_kp};
        for (size_t i = 0; i < HB__DIM; i++) {
            double p = fmin(fmax(start[i], hb__lo[i] * 1.01), hb__hi[i] / 1.01);
            gsl_vector_set(v, i, log(p));
        }
        gsl_vector_set_all(step, 1.0); /* a factor of e in each weight */
        x->best_cost = HUGE_VAL;
        gsl_multimin_fminimizer_set(s, &objective, v, step);
        while (x->evals + HB__DIM + 2 <= x->o->max_evals) {
            if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS ||
                gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-2) == GSL_SUCCESS) {
                break;
            }
        }
        m->ok = x->best_cost < HB_COST_FAILED;
        m->mpc = x->best;
    }
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(v);
    gsl_vector_free(step);
    return rc;
}

int hb_tune_mpc_run(const hb_sim_config *scen, size_t n, const hb_tune_options *o,
                    hb_tune_mpc_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (n < 1 || o->seeds < 1 || o->max_evals < 10) {
        snprintf(err, errlen, "nothing to tune (no scenario, no seed, or a budget under 10)");
        return HB_ERR_INVAL;
    }
    hb_gsl_init();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    hb__mctx x = {.scen = scen,
                  .n_scen = n,
                  .o = o,
                  .threads = o->threads > 0 ? o->threads : (int)(cores > 0 ? cores : 1),
                  .base = scen[0].controller.mpc};
    x.jobs = calloc(n * (size_t)o->seeds, sizeof *x.jobs);
    x.plans = calloc(n, sizeof *x.plans);
    int rc = x.jobs && x.plans ? HB_OK : HB_ERR_NOMEM;
    for (size_t i = 0; rc == HB_OK && i < n; i++) {
        (void)hb_energy_plan_solve(&scen[i], &x.plans[i]); /* NaN floor: no energy term */
    }
    res->heldout_seed = scen[0].seed + HB_TUNE_HELDOUT_OFFSET;
    hb_tune_mpc_method *d = &res->methods[0];
    hb_tune_mpc_method *opt = &res->methods[1];
    if (rc == HB_OK) {
        snprintf(d->name, sizeof d->name, "default");
        snprintf(opt->name, sizeof opt->name, "optimized");
        d->ok = true;
        d->mpc = x.base;
        d->cost = hb__eval(&x, &d->mpc, false, &d->kpis);
        if (o->convergence) {
            fputs("evaluation,cost,w_track,w_travel,inner_kp\n", o->convergence);
        }
        rc = hb__mpc_optimise(&x, opt);
        res->evals = x.evals;
    }
    if (rc == HB_OK && opt->ok) {
        opt->cost = hb__eval(&x, &opt->mpc, false, &opt->kpis);
    }
    if (rc == HB_OK) {
        /* The held-out seed decides: the optimised weights only when they are better there. */
        d->cost_heldout = hb__eval(&x, &d->mpc, true, &d->kpis_heldout);
        if (opt->ok) {
            opt->cost_heldout = hb__eval(&x, &opt->mpc, true, &opt->kpis_heldout);
        }
        res->chosen = opt->ok && opt->cost_heldout < d->cost_heldout ? 1 : 0;
    } else {
        snprintf(err, errlen, "%s", hb_strerror(rc));
    }
    for (size_t i = 0; x.plans && i < n; i++) {
        hb_energy_plan_free(&x.plans[i]);
    }
    free(x.plans);
    free(x.jobs);
    return rc;
}
