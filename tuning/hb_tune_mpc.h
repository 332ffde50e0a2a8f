/*
 * `heatbench tune --controller mpc`: the MPC's weights tuned the way tune tunes PID gains, on
 * the same cost (hb_cost) over training seeds and scored on a held-out seed. What is tuned is
 * what trades one KPI against another: w_track (tracking the setpoint against energy), w_travel
 * (valve wear and radio traffic against both) and inner_kp (the correction between plans).
 * w_violation stays: a shortfall should cost more than any heat, whatever the weights.
 * Nelder-Mead (GSL) on their logarithms, from the scenario's values.
 */
#ifndef HB_TUNE_MPC_H
#define HB_TUNE_MPC_H

#include "hb_tune.h"

typedef struct hb_tune_mpc_method {
    char name[16];
    bool ok;
    hb_mpc_config mpc;
    double cost, cost_heldout;
    hb_kpis kpis, kpis_heldout; /* first scenario: first training seed, held-out seed */
} hb_tune_mpc_method;

typedef struct hb_tune_mpc_result {
    hb_tune_mpc_method methods[2]; /* "default" (the scenario's), "optimized" */
    int chosen;
    int evals;
    unsigned long long heldout_seed;
} hb_tune_mpc_result;

/* Tunes the MPC of SCEN[0..N-1] (their controller.type is set to mpc for the runs) with O's
 * budget, seeds, threads, weights and convergence file (evaluation,cost,w_track,w_travel,
 * inner_kp). HB_OK; HB_ERR_INVAL for no work; HB_ERR_NOMEM. */
int hb_tune_mpc_run(const hb_sim_config *scen, size_t n, const hb_tune_options *o,
                    hb_tune_mpc_result *res, char *err, size_t errlen);

#endif
