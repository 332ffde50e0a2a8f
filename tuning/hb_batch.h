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

#endif
