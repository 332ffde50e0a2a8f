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

/* SIMC (Skogestad 2003) PI: Kc = τ/(k(τc+θ)), τI = min(τ, 4(τc+θ)); TAU_C_S < 0 means τc = θ. */
hb_gains hb_rule_simc_pi(const hb_fopdt *m, double tau_c_s);

/* AMIGO (Åström & Hägglund 2004) PI and PID for a FOPDT model. */
hb_gains hb_rule_amigo_pi(const hb_fopdt *m);
hb_gains hb_rule_amigo_pid(const hb_fopdt *m);

#endif
