#include "hb_sensor.h"
#include "../util/hb_rng.h"
#include "../util/hb_error.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>

int hb_sensor_init(hb_sensor *s, const hb_sensor_config *cfg, unsigned long long seed) {
    char name[HB_SENSOR_ID_MAX + 16];
    *s = (hb_sensor){
        .cfg = cfg, .t_last_report = -INFINITY, .inv_lag = cfg->lag_s > 0 ? 1.0 / cfg->lag_s : 0.0};
    snprintf(name, sizeof name, "%s/noise", cfg->id);
    s->noise = hb_rng_stream(seed, name);
    snprintf(name, sizeof name, "%s/jitter", cfg->id);
    s->jitter = hb_rng_stream(seed, name);
    if (!s->noise || !s->jitter) {
        hb_sensor_free(s);
        return HB_ERR_NOMEM;
    }
    return HB_OK;
}

void hb_sensor_free(hb_sensor *s) {
    if (s->noise) {
        gsl_rng_free(s->noise);
    }
    if (s->jitter) {
        gsl_rng_free(s->jitter);
    }
    s->noise = s->jitter = NULL;
}

/* Exact response of a first-order lag to an input that ramps linearly from X0 to X1 over DT:
 * y(s) = x(s) - r tau + (y0 - x0 + r tau) e^{-s/tau}, r = (x1 - x0)/dt. Exact for any sample
 * spacing, so jittered or sparse samples need no sub-stepping. */
static double hb__lag(double y0, double x0, double x1, double dt, double tau, double inv_tau) {
    if (tau <= 0.0 || dt <= 0.0) {
        return tau <= 0.0 ? x1 : y0;
    }
    double rt = (x1 - x0) / dt * tau;
    return x1 - rt + (y0 - x0 + rt) * exp(-dt * inv_tau);
}

bool hb_sensor_sample(hb_sensor *s, double t, double t_air, double *value) {
    const hb_sensor_config *c = s->cfg;
    double x = t_air + c->offset_k;
    if (!s->started) {
        s->y = x; /* a sensor that has hung in the room for a while has settled */
        s->started = true;
    } else {
        s->y = hb__lag(s->y, s->x_last, x, t - s->t_last, c->lag_s, s->inv_lag);
    }
    s->x_last = x;
    s->t_last = t;

    double noise = c->noise_k > 0 ? gsl_ran_gaussian_ziggurat(s->noise, c->noise_k) : 0.0;
    double v = s->y + c->bias_k + noise;
    bool dropout = false;
    double h = c->n_faults > 0 ? t / 3600.0 : 0.0; /* a division saved on every fault-free sample */
    for (size_t i = 0; i < c->n_faults; i++) {
        const hb_sensor_fault *f = &c->faults[i];
        if (h < f->at_h || h >= f->at_h + f->duration_h) {
            continue;
        }
        switch (f->kind) {
        case HB_FAULT_DROPOUT:
            dropout = true;
            break;
        case HB_FAULT_STUCK:
            v = f->value;
            break;
        case HB_FAULT_SPIKE:
            v += f->value;
            break;
        case HB_FAULT_DRIFT:
            v += f->value * (h - f->at_h);
            break;
        }
    }
    if (c->quant_k > 0) {
        /* nearbyint (ties to even): one instruction with SSE4.1, a short libm call on the
         * x86-64 baseline; round() is a longer call either way. */
        v = nearbyint(v / c->quant_k) * c->quant_k;
    }
    if (dropout) {
        return false;
    }
    bool report = true;
    if (c->report_change_k > 0 && isfinite(s->t_last_report)) {
        report = fabs(v - s->last_value) >= c->report_change_k - 1e-9 ||
                 t - s->t_last_report >= c->max_silence_s;
    }
    if (report) {
        s->last_value = v;
        s->t_last_report = t;
        *value = v;
    }
    return report;
}

double hb_sensor_next_delay(hb_sensor *s) {
    const hb_sensor_config *c = s->cfg;
    double d = c->period_s;
    if (c->jitter_s > 0) {
        d += gsl_ran_flat(s->jitter, -c->jitter_s, c->jitter_s);
    }
    return d < 1e-3 ? 1e-3 : d;
}
