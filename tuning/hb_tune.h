/*
 * `heatbench tune`: relay autotuning, step-test identification with SIMC/AMIGO, and direct
 * optimisation of PI gains on the simulated room, with every method scored on the same cost on
 * the training seeds and on a held-out seed.
 *
 * The experiments (relay, step) run on the scenario's room on a calm day: outdoor temperature held
 * at the scenario's daily mean, no sun, no internal gains, no windows — the conditions an engineer
 * picks for a test. They drive the room through the same sensors, fusion and estimate filter the
 * controller will see. The optimiser and the scoring run the full scenario.
 */
#ifndef HB_TUNE_H
#define HB_TUNE_H

#include "../metrics/hb_cost.h"
#include "../sim/hb_sim.h"
#include "hb_fopdt.h"
#include "hb_relay.h"

#include <stdbool.h>
#include <stdio.h>

#define HB_TUNE_MAX_METHODS 8
/* Every method is also scored on the seed the training starts from plus this. */
#define HB_TUNE_HELDOUT_OFFSET 1000

typedef struct hb_tune_options {
    int max_evals;     /* optimiser budget */
    int threads;       /* 0 = one per core */
    int seeds;         /* training seeds per scenario (seed, seed+1, ...) */
    bool robust_worst; /* cost = worst case over training runs instead of the mean */
    double tau_c_s;    /* SIMC closed-loop time constant; < 0: θ */
    hb_cost_weights w;
    FILE *convergence; /* CSV evaluation,cost,kp,ki,kd or NULL */
    FILE *relay_trace; /* the relay experiment's simulation trace (CSV) or NULL */
    FILE *step_csv;    /* the step test: time_s,dy,fit (the FOPDT model) or NULL */
    void (*progress)(void *ud, int done, int total);
    void *progress_ud;
} hb_tune_options;

typedef struct hb_tune_method {
    char name[16];
    bool ok;
    const char *reason; /* why there are no gains (ok == false) */
    hb_gains g;
    double cost;         /* on the training runs */
    double cost_heldout; /* on the held-out seed */
    hb_kpis kpis;        /* first scenario, first training seed */
    hb_kpis kpis_heldout;
} hb_tune_method;

typedef struct hb_tune_result {
    hb_relay_result relay;
    double relay_bias, relay_d;
    bool fopdt_ok;
    const char *fopdt_reason;
    hb_fopdt fopdt;
    double step_du;
    hb_tune_method methods[HB_TUNE_MAX_METHODS];
    int n_methods;
    int chosen; /* index into methods */
    int evals;  /* optimiser evaluations */
    unsigned long long heldout_seed;
} hb_tune_result;

void hb_tune_options_default(hb_tune_options *o);

/* Tunes the PID of SCEN[0..N-1] (all must use the same controller structure; experiments use
 * SCEN[0]). HB_OK, or an error code with a message in ERR when nothing could be tuned
 * (HB_ERR_INVAL: no work asked; HB_ERR_RANGE: the radiator cannot hold the setpoint). */
int hb_tune_run(const hb_sim_config *scen, size_t n, const hb_tune_options *o, hb_tune_result *res,
                char *err, size_t errlen);

#endif
