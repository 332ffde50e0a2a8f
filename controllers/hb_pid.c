#include "hb_pid.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

struct hb_pid {
    hb_pid_config cfg;
    bool primed; /* false until the first update after reset */
    double u0;
    double i; /* integral term, % */
    double d; /* filtered derivative term, % */
    double t_prev, y_prev, r_prev, u_prev;
    double slope; /* smoothed rate of the measurement, K/h (for the integral band) */
};

/* The integral band's slope is smoothed over this long (the measurement's noise would flip the
 * sign of a slope over one update), and an approach slower than this counts as stalled. */
#define HB__SLOPE_H 0.25
#define HB__APPROACH_K_H 0.1

int hb_pid_check(const hb_pid_config *cfg) {
    bool ok = cfg && cfg->kp >= 0 && cfg->ki >= 0 && cfg->kd >= 0 && cfg->b >= 0 && cfg->b <= 1 &&
              cfg->out_max > cfg->out_min && cfg->max_dt_s > 0 && cfg->d_filter_n > 0 &&
              cfg->tt_h >= 0 && cfg->i_band_k >= 0 &&
              isfinite(cfg->kp + cfg->ki + cfg->kd + cfg->out_min + cfg->out_max + cfg->max_dt_s +
                       cfg->tt_h + cfg->i_band_k);
    return ok ? HB_OK : HB_ERR_INVAL;
}

hb_pid *hb_pid_create(const hb_pid_config *cfg) {
    if (hb_pid_check(cfg) != HB_OK) {
        return NULL;
    }
    hb_pid *p = calloc(1, sizeof *p);
    if (p) {
        p->cfg = *cfg;
        hb_pid_reset(p, cfg->out_min);
    }
    return p;
}

void hb_pid_destroy(hb_pid *p) {
    free(p);
}

static double hb__clamp(const hb_pid *p, double u) {
    return u < p->cfg.out_min ? p->cfg.out_min : (u > p->cfg.out_max ? p->cfg.out_max : u);
}

void hb_pid_reset(hb_pid *p, double u0) {
    p->primed = false;
    p->u0 = hb__clamp(p, u0);
    p->d = 0.0;
    p->slope = 0.0;
    p->u_prev = p->u0; /* what an update refused before the first good one returns */
}

static double hb__tracking_h(const hb_pid_config *c) {
    if (c->tt_h > 0) {
        return c->tt_h;
    }
    if (c->ki <= 0 || c->kp <= 0) {
        return INFINITY; /* no integral action to wind up */
    }
    double ti = c->kp / c->ki;
    double td = c->kd / c->kp;
    return td > 0 ? sqrt(ti * td) : ti;
}

/* Whether the integral acts in this update (see the integral band in the header); updates the
 * smoothed slope of the measurement. DT in hours. */
static bool hb__integrates(hb_pid *p, double r, double y, double dt) {
    double a = fmin(dt / HB__SLOPE_H, 1.0);
    p->slope += a * ((y - p->y_prev) / dt - p->slope);
    double e = r - y;
    if (p->cfg.i_band_k <= 0 || fabs(e) <= p->cfg.i_band_k) {
        return true;
    }
    /* Outside the band: hold while the measurement moves toward the setpoint fast enough. */
    return (e > 0 ? p->slope : -p->slope) <= HB__APPROACH_K_H;
}

double hb_pid_update(hb_pid *p, double t, double r, double y) {
    return hb_pid_update_ff(p, t, r, y, 0.0);
}

double hb_pid_update_ff(hb_pid *p, double t, double r, double y, double ff) {
    const hb_pid_config *c = &p->cfg;
    if (!isfinite(t) || !isfinite(r) || !isfinite(y) || !isfinite(ff)) {
        return p->u_prev;
    }
    double pterm = c->kp * (c->b * r - y);
    if (!p->primed) {
        /* The start level is the bias; P acts on the first error at once (see the header). */
        p->i = p->u0;
        p->d = 0.0;
        p->slope = 0.0;
        p->primed = true;
        p->t_prev = t;
        p->y_prev = y;
        p->r_prev = r;
        p->u_prev = hb__clamp(p, pterm + p->i + ff);
        return p->u_prev;
    }
    double dt_s = t - p->t_prev;
    if (!(dt_s > 0)) {
        return p->u_prev;
    }
    if (dt_s > c->max_dt_s) {
        dt_s = c->max_dt_s;
    }
    double dt = dt_s / 3600.0; /* gains are per hour */

    if (c->kd > 0 && c->kp > 0) {
        double tf = (c->kd / c->kp) / c->d_filter_n;
        p->d = (tf / (tf + dt)) * p->d - (c->kd / (tf + dt)) * (y - p->y_prev);
    } else {
        p->d = 0.0;
    }
    /* A held integral is held whole: the back-calculation would wind it towards the clamp
     * (up to -P while the valve is shut far above the setpoint), the windup the band avoids. */
    bool integrate = hb__integrates(p, r, y, dt);
    if (integrate) {
        p->i += c->ki * (r - y) * dt;
    }
    double v = pterm + p->i + p->d + ff;
    double u = hb__clamp(p, v);
    double tt = hb__tracking_h(c);
    if (integrate && isfinite(tt)) {
        double k = dt / tt;
        p->i += (u - v) * (k < 1.0 ? k : 1.0);
    } else if (integrate && u != v) {
        p->i += u - v; /* P-only: keep the bias where it leaves the output in range */
    }
    p->t_prev = t;
    p->y_prev = y;
    p->r_prev = r;
    p->u_prev = u;
    assert(isfinite(p->i) && isfinite(p->d) && u >= c->out_min && u <= c->out_max);
    return u;
}

void hb_pid_set_gains(hb_pid *p, double kp, double ki, double kd) {
    if (p->primed) {
        /* Hold the output: move the difference of the proportional terms into the integral. */
        double b = p->cfg.b;
        p->i += p->cfg.kp * (b * p->r_prev - p->y_prev) - kp * (b * p->r_prev - p->y_prev);
    }
    p->cfg.kp = kp;
    p->cfg.ki = ki;
    p->cfg.kd = kd;
}

void hb_pid_set_config(hb_pid *p, const hb_pid_config *cfg) {
    assert(hb_pid_check(cfg) == HB_OK);
    hb_pid_set_gains(p, cfg->kp, cfg->ki, cfg->kd);
    if (p->primed) {
        /* The setpoint weight changes the P term as the gains do: hold the output there too. */
        p->i += cfg->kp * (p->cfg.b - cfg->b) * p->r_prev;
    }
    p->cfg = *cfg;
    p->u0 = hb__clamp(p, p->u0);
}

double hb_pid_integral(const hb_pid *p) {
    return p->primed ? p->i : p->u0; /* after a reset, the integral the next update starts from */
}
