/*
 * Experiments on the simulated room, run as an external controller of hb_sim: the same sensors,
 * fusion and estimate filter as the real controller, with a warm-up under PI control followed by
 * a relay or a held valve level. Internal to the tuner.
 */
#ifndef HB_EXPERIMENT_H
#define HB_EXPERIMENT_H

#include "../sim/hb_sim.h"
#include "hb_relay.h"

#include <stddef.h>
#include <stdio.h>

/* The scenario on a calm day (constant mean outdoor temperature, no sun, gains or windows). */
void hb_experiment_calm(const hb_sim_config *in, hb_sim_config *out);

/* Warm-up under the scenario's PI for WARMUP_H, then the relay; returns the relay result and the
 * bias it used (mean level of the warm-up's last two hours). TRACE (may be NULL) receives the
 * experiment's CSV trace, in the format of `heatbench run -o`. */
int hb_experiment_relay(const hb_sim_config *calm, double warmup_h, hb_relay_result *res,
                        double *bias, double *d, FILE *trace);

/* Warm-up, then the valve held at the warm-up's mean level (baseline) or that level plus DU
 * (step) for STEP_H; writes the paired difference of the estimate (step − baseline) every
 * update_s into T/DY (capacity CAP), returns the count or -1. *U0 receives the held level. */
int hb_experiment_step(const hb_sim_config *calm, double warmup_h, double step_h, double du,
                       double *t, double *dy, size_t cap, double *u0);

#endif
