/*
 * First-order-plus-dead-time identification and the tuning rules built on it.
 *
 * A step of size du applied at t = 0 gives dy(t) = k du (1 − e^{−(t−θ)/τ}) for t > θ. The fit is
 * nonlinear least squares (GSL multifit_nlinear, trust region with Levenberg–Marquardt steps) on
 * (k, τ, θ), with 95 % confidence intervals from the covariance of the estimate.
 */
#ifndef HB_FOPDT_H
#define HB_FOPDT_H

#include "hb_relay.h"

#include <stddef.h>

typedef struct hb_fopdt {
    double k;     /* K per % */
    double tau_s; /* s */
    double theta_s;
    double k_ci, tau_ci, theta_ci; /* half widths of the 95 % intervals */
    double rms;                    /* residual RMS, K */
} hb_fopdt;

/* Fits the response DY (N samples at times T, seconds since the step) to a step of DU.
 * HB_OK, or HB_ERR_NUMERIC when the data cannot support a fit (no response, too few points, no
 * convergence). */
int hb_fopdt_fit(const double *t, const double *dy, size_t n, double du, hb_fopdt *out);

/* What hb_fopdt_fit_drifting made of a step. */
typedef enum hb_step_fit {
    HB_STEP_FIT_OK,
    HB_STEP_FIT_SHORT,       /* fewer than 3 samples before the step or 8 after it */
    HB_STEP_FIT_NOMEM,       /* out of memory */
    HB_STEP_FIT_NONE,        /* hb_fopdt_fit found no response */
    HB_STEP_FIT_NO_GAIN,     /* the room did not move the way the step pushed it */
    HB_STEP_FIT_NO_DEADTIME, /* less dead time than asked for */
} hb_step_fit;

/* A step made in a room that drifts (a live room has no twin run to subtract, as `tune` has):
 * Y (°C) at times T (s, increasing), the step of DU % at T_STEP. A straight line fitted to the
 * samples before the step (gsl_fit_linear) is extrapolated and subtracted, and what is left goes
 * to hb_fopdt_fit. A fit with less dead time than MIN_THETA_S is refused: a room seen through its
 * sensors' lag answers late, so no dead time means the drift or the noise hid the response's
 * start, and SIMC and AMIGO, built on the dead time, would give gains without bound. *DRIFT_KPH
 * is the drift before the step, K/h (NaN when there were too few samples to tell). */
hb_step_fit hb_fopdt_fit_drifting(const double *t, const double *y, size_t n, double t_step,
                                  double du, double min_theta_s, hb_fopdt *out, double *drift_kph);

/* SIMC (Skogestad 2003) PI: Kc = τ/(k(τc+θ)), τI = min(τ, 4(τc+θ)); TAU_C_S < 0 means τc = θ. */
hb_gains hb_rule_simc_pi(const hb_fopdt *m, double tau_c_s);

/* AMIGO (Åström & Hägglund 2004) PI and PID for a FOPDT model. */
hb_gains hb_rule_amigo_pi(const hb_fopdt *m);
hb_gains hb_rule_amigo_pid(const hb_fopdt *m);

#endif
