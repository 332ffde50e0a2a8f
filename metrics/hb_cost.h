/*
 * The single figure a run is judged by when gains are tuned: a weighted sum of its KPIs. The
 * weights say what the room's owner values (scenario key "tuning", `tune --w-*`).
 */
#ifndef HB_COST_H
#define HB_COST_H

#include "hb_kpi.h"

/* J = discomfort·K·h + iae·K·h + energy·max(0, ratio − 1) + travel·(travel/100 %) +
 * msgs·(msgs/100). */
typedef struct hb_cost_weights {
    double discomfort; /* per K·h */
    double iae;        /* per K·h */
    double energy;     /* per unit of energy ratio above 1 */
    double travel;     /* per 100 % of valve travel */
    double msgs;       /* per 100 actuator messages */
} hb_cost_weights;

/* A run that failed or whose KPIs are not finite: large but finite, since an optimiser such as
 * GSL's simplex rejects non-finite values. */
#define HB_COST_FAILED 1e6

/* The defaults: comfort first, then accuracy, energy, and the valve's battery. */
void hb_cost_weights_default(hb_cost_weights *w);

/* The cost of K under W; HB_COST_FAILED when it is not finite. */
double hb_cost(const hb_kpis *k, const hb_cost_weights *w);

#endif
