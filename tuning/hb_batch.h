/*
 * Many independent simulations on a few threads: what tuning spends its time on. Each job is
 * deterministic and writes only its own slot, so the results do not depend on the number of
 * threads or on which thread ran what.
 */
#ifndef HB_BATCH_H
#define HB_BATCH_H

#include "../sim/hb_sim.h"

typedef struct hb_batch_job {
    hb_sim_config cfg; /* in */
    hb_kpis k;         /* out */
    int rc;            /* out: hb_sim_create's or hb_sim_run's code */
} hb_batch_job;

/* Runs the N jobs on up to THREADS threads (the caller's among them). */
void hb_batch_run(hb_batch_job *jobs, int n, int threads);

/* What a tuning scores its candidates on: its scenarios, the energy plan each shares among its
 * runs, room for n_scen × seeds jobs, and its threads. */
typedef struct hb_batch_set {
    const hb_sim_config *scen;
    const struct hb_energy_plan *plans; /* one per scenario */
    size_t n_scen;
    hb_batch_job *jobs;
    int threads;
} hb_batch_set;

/* Puts a candidate (gains, weights) into one run's configuration. */
typedef void (*hb_batch_apply_fn)(hb_sim_config *cfg, const void *candidate);

/* The cost (hb_cost with W) of CANDIDATE: every scenario of B run on SEEDS seeds, its own seed +
 * FIRST, + FIRST + 1, ..., with APPLY; the mean over the runs, or the worst when WORST (a run
 * that fails costs HB_COST_FAILED). KPIS (may be NULL) gets the first run's. */
double hb_batch_score(const hb_batch_set *b, int seeds, uint64_t first, hb_batch_apply_fn apply,
                      const void *candidate, const hb_cost_weights *w, bool worst, hb_kpis *kpis);

/* hb_batch_score of N candidates (CANDIDATES, SIZE bytes apart) in one batch, so the threads stay
 * busy across candidates instead of waiting for the slowest run of each: B's jobs must hold
 * N × n_scen × seeds. COSTS[i] and KPIS[i] (KPIS may be NULL) per candidate. */
void hb_batch_score_many(const hb_batch_set *b, int seeds, uint64_t first, hb_batch_apply_fn apply,
                         const void *candidates, size_t size, int n, const hb_cost_weights *w,
                         bool worst, double *costs, hb_kpis *kpis);

#endif
