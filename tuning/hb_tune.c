#define _POSIX_C_SOURCE 200809L
#include "hb_tune.h"
#include "../util/hb_gsl.h"
#include "../util/hb_error.h"
#include "hb_batch.h"
#include "hb_experiment.h"
#include "../sim/hb_energy.h"

#include <glpk.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hb_tune_options_default(hb_tune_options *o) {
    memset(o, 0, sizeof *o);
    o->max_evals = 300;
    o->threads = 0;
    o->seeds = 2;
    o->tau_c_s = -1;
    hb_cost_weights_default(&o->w);
}

typedef struct hb__ctx {
    const hb_sim_config *scen;
    size_t n_scen;
    const hb_tune_options *o;
    int threads;
    int evals;
    int progress_total;
    int progress_done;
    hb_batch_job *jobs;    /* n_scen * seeds */
    hb_energy_plan *plans; /* one per scenario, shared by all its runs */
    double best_cost;
    hb_gains best;
} hb__ctx;

/* Frees the jobs and the shared energy plans. */
static void hb__ctx_free(hb__ctx *x) {
    for (size_t i = 0; x->plans && i < x->n_scen; i++) {
        hb_energy_plan_free(&x->plans[i]);
    }
    free(x->plans);
    free(x->jobs);
}

static void hb__set_gains(hb_sim_config *c, hb_gains g) {
    c->controller.algo = HB_ALGO_PID;
    c->controller.pid.kp = g.kp;
    c->controller.pid.ki = g.ki;
    c->controller.pid.kd = g.kd;
}

static void hb__apply_gains(hb_sim_config *c, const void *candidate) {
    hb__set_gains(c, *(const hb_gains *)candidate);
}

/* Costs of the methods' gains that are ok over the training runs (or the held-out one), in one
 * batch; each method's KPIS (or KPIS_HELDOUT) gets its first run's. */
static void hb__evaluate_methods(hb__ctx *x, hb_tune_result *res, bool heldout) {
    hb_gains g[HB_TUNE_MAX_METHODS];
    double cost[HB_TUNE_MAX_METHODS];
    hb_kpis k[HB_TUNE_MAX_METHODS];
    int idx[HB_TUNE_MAX_METHODS];
    int n = 0;
    for (int i = 0; i < res->n_methods; i++) {
        if (res->methods[i].ok) {
            idx[n] = i;
            g[n++] = res->methods[i].g;
        }
    }
    hb_batch_set b = {x->scen, x->plans, x->n_scen, x->jobs, x->threads};
    hb_batch_score_many(&b, heldout ? 1 : x->o->seeds, heldout ? HB_TUNE_HELDOUT_OFFSET : 0,
                        hb__apply_gains, g, sizeof g[0], n, &x->o->w, x->o->robust_worst, cost, k);
    for (int j = 0; j < n; j++) {
        hb_tune_method *m = &res->methods[idx[j]];
        if (heldout) {
            m->cost_heldout = cost[j];
            m->kpis_heldout = k[j];
        } else {
            m->cost = cost[j];
            m->kpis = k[j];
        }
    }
}

/* The energy plans of the scenarios, solved on a thread of their own while the experiments run
 * (they need neither the other). GLPK's environment is per thread: freed before it ends. */
typedef struct hb__plans_job {
    const hb_sim_config *scen;
    hb_energy_plan *plans;
    size_t n;
} hb__plans_job;

static void *hb__solve_plans(void *arg) {
    hb__plans_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        /* A run too long for it scores without (its energy ratio is NaN and costs nothing). */
        (void)hb_energy_plan_solve(&j->scen[i], &j->plans[i]);
    }
    return NULL;
}

static void *hb__solve_plans_thread(void *arg) {
    hb__solve_plans(arg);
    glp_free_env();
    return NULL;
}

/* Cost of gains G over the training runs (or the held-out one); KPIS gets the first run's. */
static double hb__evaluate(hb__ctx *x, hb_gains g, bool heldout, hb_kpis *kpis) {
    hb_batch_set b = {x->scen, x->plans, x->n_scen, x->jobs, x->threads};
    return hb_batch_score(&b, heldout ? 1 : x->o->seeds, heldout ? HB_TUNE_HELDOUT_OFFSET : 0,
                          hb__apply_gains, &g, &x->o->w, x->o->robust_worst, kpis);
}

static void hb__progress_step(hb__ctx *x) {
    x->progress_done++;
    if (x->o->progress) {
        x->o->progress(x->o->progress_ud, x->progress_done, x->progress_total);
    }
}

/* The optimiser works on (ln kp, ln ki): positive gains, and steps that are relative. */
static double hb__objective(const gsl_vector *v, void *params) {
    hb__ctx *x = params;
    double lkp = gsl_vector_get(v, 0);
    double lki = gsl_vector_get(v, 1);
    if (!(lkp > log(0.01) && lkp < log(1e4) && lki > log(1e-3) && lki < log(1e5))) {
        return HB_COST_FAILED;
    }
    hb_gains g = {.kp = exp(lkp), .ki = exp(lki), .kd = 0};
    double c = hb__evaluate(x, g, false, NULL);
    x->evals++;
    if (c < x->best_cost) {
        x->best_cost = c;
        x->best = g;
    }
    if (x->o->convergence) {
        fprintf(x->o->convergence, "%d,%.6f,%.6g,%.6g,%.6g\n", x->evals, c, g.kp, g.ki, g.kd);
    }
    hb__progress_step(x);
    return c;
}

static void hb__optimise(hb__ctx *x, hb_gains start, hb_tune_method *m) {
    gsl_multimin_function objective = {.f = hb__objective, .n = 2, .params = x};
    gsl_vector *v = gsl_vector_alloc(2);
    gsl_vector *step = gsl_vector_alloc(2);
    gsl_multimin_fminimizer *s =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, 2);
    if (!v || !step || !s) {
        m->ok = false;
        m->reason = "out of memory";
        goto out;
    }
    gsl_vector_set(v, 0, log(start.kp > 0.02 ? start.kp : 0.02));
    gsl_vector_set(v, 1, log(start.ki > 0.002 ? start.ki : 0.002));
    gsl_vector_set_all(step, 0.7); /* about a factor of two in each gain */
    x->best_cost = HUGE_VAL;
    gsl_multimin_fminimizer_set(s, &objective, v, step);
    /* Each iteration costs one to n+2 evaluations; stop before the budget can be exceeded. */
    while (x->evals + 4 <= x->o->max_evals) {
        if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS) {
            break;
        }
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-3) == GSL_SUCCESS) {
            break;
        }
    }
    m->ok = x->best_cost < HB_COST_FAILED;
    m->reason = m->ok ? "ok" : "every candidate failed";
    m->g = x->best;
out:
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(v);
    gsl_vector_free(step);
}

static hb_tune_method *hb__method_add(hb_tune_result *r, const char *name) {
    hb_tune_method *m = &r->methods[r->n_methods++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->cost = m->cost_heldout = NAN;
    return m;
}

int hb_tune_run(const hb_sim_config *scen, size_t n, const hb_tune_options *o, hb_tune_result *res,
                char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (n < 1 || o->seeds < 1 || o->max_evals < 10) {
        snprintf(err, errlen, "nothing to tune (no scenario, no seed, or a budget under 10)");
        return HB_ERR_INVAL;
    }
    hb_gsl_init(); /* once for the process: threads never switch GSL's handler */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    hb__ctx x = {.scen = scen,
                 .n_scen = n,
                 .o = o,
                 .threads = o->threads > 0 ? o->threads : (int)(cores > 0 ? cores : 1)};
    x.jobs = calloc(n * (size_t)o->seeds * HB_TUNE_MAX_METHODS, sizeof *x.jobs);
    x.plans = calloc(n, sizeof *x.plans);
    if (!x.jobs || !x.plans) {
        hb__ctx_free(&x);
        snprintf(err, errlen, "out of memory");
        return HB_ERR_NOMEM;
    }
    /* The energy floor depends on the scenario only: solved once, not in every run, and beside
     * the experiments, which do not score (on the calling thread if no thread starts). */
    hb__plans_job pj = {.scen = scen, .plans = x.plans, .n = n};
    pthread_t plans_tid;
    bool plans_thread =
        x.threads > 1 && pthread_create(&plans_tid, NULL, hb__solve_plans_thread, &pj) == 0;
    if (!plans_thread) {
        hb__solve_plans(&pj);
    }
    res->heldout_seed = scen[0].seed + HB_TUNE_HELDOUT_OFFSET;
    x.progress_total = o->max_evals + 2 + 2 * HB_TUNE_MAX_METHODS;

    /* 1. Experiments on a calm day. The step test keeps 2 h of response: the part that matters
     * for feedback (radiator, sensor lag, air); a longer window fits the envelope's day-long
     * mode instead and gives a model without dead time that AMIGO cannot use. */
    hb_sim_config calm;
    hb_experiment_calm(&scen[0], &calm);
    hb_experiment_relay(&calm, 8.0, &res->relay, &res->relay_bias, &res->relay_d, o->relay_trace);
    hb__progress_step(&x);
    if (res->relay_bias >= 99.0) {
        /* No gains can fix a radiator that cannot hold the setpoint: say so instead of
         * returning whatever the optimiser drifts to on a flat cost. */
        snprintf(err, errlen, "untunable: %s (setpoint %.1f °C at a mean outdoor %.1f °C)",
                 res->relay.reason, scen[0].setpoint_c, calm.weather.constant_c);
        if (plans_thread) {
            pthread_join(plans_tid, NULL);
        }
        hb__ctx_free(&x);
        return HB_ERR_RANGE;
    }
    enum { CAP = 2000 };
    double *t = malloc(CAP * sizeof *t);
    double *dy = malloc(CAP * sizeof *dy);
    double u0 = 0;
    res->step_du = 10.0;
    int m = (t && dy) ? hb_experiment_step(&calm, 8.0, 2.0, res->step_du, t, dy, CAP, &u0) : -1;
    if (m > 0 && u0 + res->step_du > 100) {
        res->step_du = -10.0;
        m = hb_experiment_step(&calm, 8.0, 2.0, res->step_du, t, dy, CAP, &u0);
    }
    if (m <= 0) {
        res->fopdt_reason = "the step experiment did not run";
    } else if (hb_fopdt_fit(t, dy, (size_t)m, res->step_du, &res->fopdt) != 0) {
        res->fopdt_reason = "the step response could not be fitted (no response to the valve?)";
    } else if (!(res->fopdt.k > 0)) {
        res->fopdt_reason = "the room does not warm up when the valve opens";
    } else {
        res->fopdt_ok = true;
    }
    if (o->step_csv && m > 0) {
        /* The measured response next to the fitted model, for the report's step plot. */
        const hb_fopdt *f = &res->fopdt;
        fputs("time_s,dy,fit\n", o->step_csv);
        for (int i = 0; i < m; i++) {
            double s = t[i] - f->theta_s;
            double fit =
                res->fopdt_ok && s > 0 ? f->k * res->step_du * (1.0 - exp(-s / f->tau_s)) : 0.0;
            fprintf(o->step_csv, "%.0f,%.5f,%.5f\n", t[i], dy[i], fit);
        }
        fflush(o->step_csv);
    }
    free(t);
    free(dy);
    hb__progress_step(&x);

    if (plans_thread) {
        pthread_join(plans_tid, NULL);
    }

    /* 2. Candidate gains from the rules. */
    hb_tune_method *d = hb__method_add(res, "default");
    d->ok = true;
    d->g =
        (hb_gains){scen[0].controller.pid.kp, scen[0].controller.pid.ki, scen[0].controller.pid.kd};
    struct {
        const char *name;
        hb_gains (*rule)(double, double);
    } relay_rules[] = {{"relay-zn", hb_rule_ziegler_nichols_pid},
                       {"relay-tl", hb_rule_tyreus_luyben_pi},
                       {"relay-no", hb_rule_no_overshoot_pid}};
    for (size_t i = 0; i < 3; i++) {
        hb_tune_method *mm = hb__method_add(res, relay_rules[i].name);
        if (res->relay.ok) {
            mm->g = relay_rules[i].rule(res->relay.ku, res->relay.pu_s);
            mm->ok = hb_gains_usable(mm->g);
            mm->reason = mm->ok ? "ok" : "the rule gave unusable gains";
        } else {
            mm->reason = res->relay.reason;
        }
    }
    hb_tune_method *simc = hb__method_add(res, "simc");
    hb_tune_method *amigo = hb__method_add(res, "amigo");
    if (res->fopdt_ok) {
        simc->g = hb_rule_simc_pi(&res->fopdt, o->tau_c_s);
        amigo->g = hb_rule_amigo_pi(&res->fopdt);
        simc->ok = hb_gains_usable(simc->g);
        amigo->ok = hb_gains_usable(amigo->g);
        simc->reason = simc->ok ? "ok" : "the rule gave unusable gains";
        amigo->reason = amigo->ok ? "ok" : "the rule gave unusable gains";
    } else {
        simc->reason = amigo->reason = res->fopdt_reason;
    }

    /* 3. Score every candidate, then optimise from the best model-based one. */
    hb__evaluate_methods(&x, res, false);
    for (int i = 0; i < res->n_methods; i++) {
        hb__progress_step(&x);
    }
    hb_gains start = d->g;
    double start_cost = d->cost;
    for (int i = 0; i < res->n_methods; i++) {
        if (res->methods[i].ok && res->methods[i].cost < start_cost) {
            start = res->methods[i].g;
            start_cost = res->methods[i].cost;
        }
    }
    hb_tune_method *opt = hb__method_add(res, "optimized");
    if (o->convergence) {
        fputs("evaluation,cost,kp,ki,kd\n", o->convergence);
    }
    hb__optimise(&x, start, opt);
    res->evals = x.evals;
    /* Nelder-Mead usually converges before its budget: count the unused budget as done, so the
     * progress moves on instead of stalling where the optimiser stopped. */
    x.progress_done += o->max_evals - x.evals > 0 ? o->max_evals - x.evals : 0;
    if (opt->ok) {
        opt->cost = hb__evaluate(&x, opt->g, false, &opt->kpis);
    }

    /* 4. Held-out seed for everyone; choose by it, among candidates that do not move the valve
     * more than the default does (wear is the price of comfort). */
    res->chosen = 0;
    hb__evaluate_methods(&x, res, true);
    for (int i = 0; i < res->n_methods; i++) {
        hb__progress_step(&x);
    }
    double best = res->methods[0].cost_heldout;
    double travel0 = res->methods[0].kpis_heldout.valve_travel_pct;
    for (int i = 1; i < res->n_methods; i++) {
        hb_tune_method *mm = &res->methods[i];
        if (mm->ok && mm->cost_heldout < best &&
            mm->kpis_heldout.valve_travel_pct <= travel0 * 1.0 + 1e-9) {
            best = mm->cost_heldout;
            res->chosen = i;
        }
    }
    hb__ctx_free(&x);
    x.progress_done = x.progress_total - 1; /* the estimate counted every possible method */
    hb__progress_step(&x);
    return HB_OK;
}
