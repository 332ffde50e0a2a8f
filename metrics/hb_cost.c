#include "hb_cost.h"

#include <math.h>

void hb_cost_weights_default(hb_cost_weights *w) {
    *w =
        (hb_cost_weights){.discomfort = 1.0, .iae = 0.2, .energy = 5.0, .travel = 0.3, .msgs = 0.1};
}

double hb_cost(const hb_kpis *k, const hb_cost_weights *w) {
    double over = isfinite(k->energy_ratio) && k->energy_ratio > 1 ? k->energy_ratio - 1 : 0;
    double j = w->discomfort * k->discomfort_kh + w->iae * k->iae_kh + w->energy * over +
               w->travel * k->valve_travel_pct / 100.0 + w->msgs * (double)k->actuator_msgs / 100.0;
    return isfinite(j) ? j : HB_COST_FAILED;
}
