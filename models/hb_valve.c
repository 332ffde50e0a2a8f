#include "hb_valve.h"

#include <math.h>

double hb_valve_flow(const hb_valve_config *v, double pos_pct) {
    double y = pos_pct / 100.0;
    if (y <= 0.0) {
        return 0.0;
    }
    if (y > 1.0) {
        y = 1.0;
    }
    double phi =
        (v->characteristic == HB_VALVE_EQUAL_PERCENTAGE) ? pow(v->rangeability, y - 1.0) : y;
    double n = v->authority;
    if (n >= 1.0) {
        return phi;
    }
    /* Installed characteristic: with only part of the pump head across the valve, flow through
     * a half-open valve is higher than its inherent curve says (q = 1/sqrt(N/phi^2 + 1 - N)). */
    return 1.0 / sqrt(n / (phi * phi) + 1.0 - n);
}

void hb_actuator_command(hb_actuator *a, const hb_valve_config *v, double level_pct) {
    double l = level_pct < 0 ? 0 : (level_pct > 100 ? 100 : level_pct);
    /* Fully closed and fully open are always honoured: a deadband must not leave a valve
     * cracked open at 1 % when the controller asked for 0. */
    if (fabs(l - a->pos) < v->deadband_pct && l > 0.0 && l < 100.0) {
        return;
    }
    a->target = l;
}

void hb_actuator_move(hb_actuator *a, const hb_valve_config *v, double dt) {
    double diff = a->target - a->pos;
    if (diff == 0.0) {
        return;
    }
    double step = (v->stroke_time_s > 0) ? 100.0 * dt / v->stroke_time_s : fabs(diff);
    double d = fabs(diff) <= step ? diff : copysign(step, diff);
    a->pos += d;
    a->travel += fabs(d);
}
