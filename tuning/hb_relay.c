#include "hb_relay.h"
#include "../util/hb_numeric.h"

#include <math.h>
#include <stdlib.h>

#define HB_PI 3.14159265358979323846

void hb_relay_init(hb_relay *r, const hb_relay_config *cfg) {
    *r = (hb_relay){.cfg = *cfg};
    if (r->cfg.cycles > HB_RELAY_MAX_CYCLES) {
        r->cfg.cycles = HB_RELAY_MAX_CYCLES;
    }
    if (r->cfg.cycles < 3) {
        r->cfg.cycles = 3;
    }
}

static double hb__out(const hb_relay *r) {
    double u = r->high ? r->cfg.bias + r->cfg.d : r->cfg.bias - r->cfg.d;
    return u < 0 ? 0 : (u > 100 ? 100 : u);
}

double hb_relay_update(hb_relay *r, double t, double y) {
    const hb_relay_config *c = &r->cfg;
    if (!r->started) {
        r->started = true;
        r->t0 = t;
        r->high = y < c->setpoint;
        r->cur_max = r->cur_min = y;
        return hb__out(r);
    }
    if (r->done) {
        return hb__out(r);
    }
    if (y > r->cur_max) {
        r->cur_max = y;
    }
    if (y < r->cur_min) {
        r->cur_min = y;
    }
    if (r->high && y > c->setpoint + c->hysteresis) {
        r->high = false;
        if (r->n_down <= HB_RELAY_MAX_CYCLES) {
            r->t_down[r->n_down] = t;
            r->y_min[r->n_down] = r->cur_min; /* the trough before this rise */
            r->n_down++;
        }
        r->cur_max = y;
    } else if (!r->high && y < c->setpoint - c->hysteresis) {
        r->high = true;
        if (r->n_up <= HB_RELAY_MAX_CYCLES) {
            r->t_up[r->n_up] = t;
            r->y_max[r->n_up] = r->cur_max; /* the peak before this fall */
            r->n_up++;
        }
        r->cur_min = y;
    }
    if (r->n_up > c->cycles || t - r->t0 > c->timeout_s) {
        r->done = true;
    }
    return hb__out(r);
}

bool hb_relay_done(const hb_relay *r) {
    return r->done;
}

double hb_relay_ku(double d, double a, double eps) {
    if (!(a > eps) || !(d > 0)) {
        return NAN;
    }
    return 4.0 * d / (HB_PI * sqrt(a * a - eps * eps));
}

hb_relay_result hb_relay_analyse(const hb_relay *r) {
    hb_relay_result res = {.ok = false, .reason = "no oscillation"};
    /* Cycles between consecutive up-switches; the first one (from the start-up transient) is
     * discarded, as is anything before the first down-switch. */
    double periods[HB_RELAY_MAX_CYCLES];
    double amps[HB_RELAY_MAX_CYCLES];
    double highs[HB_RELAY_MAX_CYCLES];
    int n = 0;
    for (int i = 2; i < r->n_up; i++) {
        /* find the down-switch inside (t_up[i-1], t_up[i]) */
        int j = -1;
        for (int k = 0; k < r->n_down; k++) {
            if (r->t_down[k] > r->t_up[i - 1] && r->t_down[k] < r->t_up[i]) {
                j = k;
                break;
            }
        }
        if (j < 0) {
            continue;
        }
        periods[n] = r->t_up[i] - r->t_up[i - 1];
        /* peak between t_up[i-1] and t_down[j] is recorded at t_up[i] (y_max), trough before
         * t_down[j+1]... use the peak recorded at the end of this cycle and the trough recorded
         * at its down-switch. */
        amps[n] = 0.5 * (r->y_max[i] - r->y_min[j]);
        highs[n] = r->t_down[j] - r->t_up[i - 1];
        n++;
    }
    /* Start-up can chatter (a measurement sitting on the switching line) or take a long first
     * swing: keep the later half of the cycles, at least three, for a settled limit cycle. */
    int keep = n - n / 2 > 3 ? n - n / 2 : 3;
    if (n > keep) {
        int drop = n - keep;
        for (int i = 0; i < keep; i++) {
            periods[i] = periods[i + drop];
            amps[i] = amps[i + drop];
            highs[i] = highs[i + drop];
        }
        n = keep;
    }
    if (n < 2) {
        res.reason = r->n_up == 0 && r->n_down == 0
                         ? "the measurement never crossed the relay band (setpoint out of reach: "
                           "radiator too small, supply too cold, or gains too large?)"
                         : "too few relay cycles before the timeout (oscillation slower than the "
                           "experiment, or not sustained)";
        return res;
    }
    double hi_sum = 0;
    double p_sum = 0;
    for (int i = 0; i < n; i++) {
        hi_sum += highs[i];
        p_sum += periods[i];
    }
    double pu = hb_median(periods, (size_t)n);
    double a = hb_median(amps, (size_t)n);
    double spread = 0;
    for (int i = 0; i < n; i++) {
        double dev = fabs(periods[i] - pu) / pu;
        spread = dev > spread ? dev : spread;
    }
    res.pu_s = pu;
    res.a = a;
    res.cycles = n;
    res.spread = spread;
    res.asymmetry = fabs(2.0 * hi_sum - p_sum) / p_sum;
    res.ku = hb_relay_ku(r->cfg.d, a, r->cfg.hysteresis);
    if (!isfinite(res.ku)) {
        res.reason = "oscillation amplitude within the hysteresis (noise, not a limit cycle)";
        return res;
    }
    if (spread > 0.3) {
        res.reason = "relay periods did not converge (spread over 30 %)";
        return res;
    }
    res.ok = true;
    res.reason = "ok";
    return res;
}

/* Gains from Ti/Td in seconds: ki = kp / Ti (per hour), kd = kp · Td (hours). */
static hb_gains hb__relay_gains(double kp, double ti_s, double td_s) {
    return (hb_gains){
        .kp = kp, .ki = ti_s > 0 ? kp / (ti_s / 3600.0) : 0.0, .kd = kp * td_s / 3600.0};
}

hb_gains hb_rule_ziegler_nichols_pid(double ku, double pu_s) {
    return hb__relay_gains(0.6 * ku, pu_s / 2.0, pu_s / 8.0);
}

hb_gains hb_rule_tyreus_luyben_pi(double ku, double pu_s) {
    return hb__relay_gains(ku / 3.2, 2.2 * pu_s, 0.0);
}

hb_gains hb_rule_no_overshoot_pid(double ku, double pu_s) {
    return hb__relay_gains(0.2 * ku, pu_s / 2.0, pu_s / 3.0);
}

bool hb_gains_usable(hb_gains g) {
    return isfinite(g.kp) && isfinite(g.ki) && isfinite(g.kd) && g.kp > 0 && g.ki >= 0 &&
           g.kd >= 0 && g.kp < 1e4 && g.ki < 1e5 && g.kd < 1e4;
}
