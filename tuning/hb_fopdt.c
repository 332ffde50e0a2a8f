#include "hb_fopdt.h"
#include "../util/hb_error.h"
#include "../util/hb_gsl.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
    const double *t, *dy;
    size_t n;
    double du;
} hb__data;

/* Residuals r_i = model(t_i) − dy_i with x = (k, ln τ, θ): τ on a log scale stays positive. */
static int hb__f(const gsl_vector *x, void *params, gsl_vector *f) {
    const hb__data *d = params;
    double k = gsl_vector_get(x, 0);
    double tau = exp(gsl_vector_get(x, 1));
    double theta = gsl_vector_get(x, 2);
    for (size_t i = 0; i < d->n; i++) {
        double s = d->t[i] - theta;
        double m = s > 0 ? k * d->du * (1.0 - exp(-s / tau)) : 0.0;
        gsl_vector_set(f, i, m - d->dy[i]);
    }
    return GSL_SUCCESS;
}

int hb_fopdt_fit(const double *t, const double *dy, size_t n, double du, hb_fopdt *out) {
    hb_gsl_init();
    if (n < 8 || du == 0) {
        return HB_ERR_NUMERIC;
    }
    /* Initial guess from the curve: final value, 5 % and 63 % crossing times. */
    double fin = 0;
    size_t tail = n / 10 > 0 ? n / 10 : 1;
    for (size_t i = n - tail; i < n; i++) {
        fin += dy[i];
    }
    fin /= (double)tail;
    if (fabs(fin) < 1e-6) {
        return HB_ERR_NUMERIC;
    }
    double t5 = t[0];
    double t63 = t[n - 1];
    for (size_t i = 0; i < n; i++) {
        if (dy[i] / fin >= 0.05) {
            t5 = t[i];
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (dy[i] / fin >= 0.632) {
            t63 = t[i];
            break;
        }
    }
    double theta0 = t5 > 0 ? t5 * 0.5 : 0.0;
    double tau0 = t63 - theta0 > 1.0 ? t63 - theta0 : 1.0;

    hb__data data = {.t = t, .dy = dy, .n = n, .du = du};
    gsl_multifit_nlinear_fdf fdf = {
        .f = hb__f, .df = NULL, .fvv = NULL, .n = n, .p = 3, .params = &data};
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, 3);
    if (!w) {
        return HB_ERR_NUMERIC;
    }
    double x0[3] = {fin / du, log(tau0), theta0};
    gsl_vector_view xv = gsl_vector_view_array(x0, 3);
    gsl_multifit_nlinear_init(&xv.vector, &fdf, w);
    int info;
    int rc = gsl_multifit_nlinear_driver(200, 1e-10, 1e-10, 1e-10, NULL, NULL, &info, w);
    gsl_vector *x = gsl_multifit_nlinear_position(w);
    gsl_vector *f = gsl_multifit_nlinear_residual(w);
    double chisq;
    gsl_blas_ddot(f, f, &chisq);
    gsl_matrix *covar = gsl_matrix_alloc(3, 3);
    int status = HB_ERR_NUMERIC;
    if (covar && (rc == GSL_SUCCESS || rc == GSL_EMAXITER)) {
        gsl_matrix *J = gsl_multifit_nlinear_jac(w);
        gsl_multifit_nlinear_covar(J, 0.0, covar);
        double dof = (double)n - 3.0;
        double c = sqrt(chisq / dof);
        out->k = gsl_vector_get(x, 0);
        out->tau_s = exp(gsl_vector_get(x, 1));
        out->theta_s = gsl_vector_get(x, 2);
        if (out->theta_s < 0) {
            out->theta_s = 0;
        }
        /* 95 % half widths; τ's comes through the log parameterisation (delta method). */
        out->k_ci = 1.96 * c * sqrt(gsl_matrix_get(covar, 0, 0));
        out->tau_ci = 1.96 * c * sqrt(gsl_matrix_get(covar, 1, 1)) * out->tau_s;
        out->theta_ci = 1.96 * c * sqrt(gsl_matrix_get(covar, 2, 2));
        out->rms = sqrt(chisq / (double)n);
        status =
            (isfinite(out->k) && isfinite(out->tau_s) && out->tau_s > 0) ? HB_OK : HB_ERR_NUMERIC;
    }
    gsl_matrix_free(covar);
    gsl_multifit_nlinear_free(w);
    return status;
}

static hb_gains hb__pi(double kp, double ti_s, double td_s) {
    return (hb_gains){.kp = kp, .ki = kp / (ti_s / 3600.0), .kd = kp * td_s / 3600.0};
}

hb_gains hb_rule_simc_pi(const hb_fopdt *m, double tau_c_s) {
    double tc = tau_c_s < 0 ? m->theta_s : tau_c_s;
    if (tc <= 0) {
        tc = m->tau_s / 10.0; /* no dead time: a tenth of τ keeps the rule finite */
    }
    double kc = m->tau_s / (m->k * (tc + m->theta_s));
    double ti = fmin(m->tau_s, 4.0 * (tc + m->theta_s));
    return hb__pi(kc, ti, 0.0);
}

hb_gains hb_rule_amigo_pi(const hb_fopdt *m) {
    double k = m->k;
    double t = m->tau_s;
    double l = m->theta_s > 1e-6 ? m->theta_s : 1e-6;
    double kc = 0.15 / k + (0.35 - l * t / ((l + t) * (l + t))) * t / (k * l);
    double ti = 0.35 * l + 13.0 * l * t * t / (t * t + 12.0 * l * t + 7.0 * l * l);
    return hb__pi(kc, ti, 0.0);
}

hb_gains hb_rule_amigo_pid(const hb_fopdt *m) {
    double k = m->k;
    double t = m->tau_s;
    double l = m->theta_s > 1e-6 ? m->theta_s : 1e-6;
    double kc = (0.2 + 0.45 * t / l) / k;
    double ti = (0.4 * l + 0.8 * t) / (l + 0.1 * t) * l;
    double td = 0.5 * l * t / (0.3 * l + t);
    return hb__pi(kc, ti, td);
}

hb_step_fit hb_fopdt_fit_drifting(const double *t, const double *y, size_t n, double t_step,
                                  double du, double min_theta_s, hb_fopdt *out, double *drift_kph) {
    *drift_kph = NAN;
    size_t nb = 0;
    while (nb < n && t[nb] < t_step) {
        nb++;
    }
    size_t na = n - nb;
    if (nb < 3 || na < 8) {
        return HB_STEP_FIT_SHORT;
    }
    double *x = malloc(n * sizeof *x);
    double *dy = malloc(na * sizeof *dy);
    hb_step_fit rc = HB_STEP_FIT_NOMEM;
    if (!x || !dy) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        x[i] = t[i] - t_step;
    }
    double c0 = 0;
    double c1 = 0;
    double cov00;
    double cov01;
    double cov11;
    double sumsq;
    gsl_fit_linear(x, 1, y, 1, nb, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    *drift_kph = c1 * 3600.0;
    for (size_t i = 0; i < na; i++) {
        dy[i] = y[nb + i] - (c0 + c1 * x[nb + i]);
    }
    if (hb_fopdt_fit(x + nb, dy, na, du, out) != HB_OK) {
        rc = HB_STEP_FIT_NONE;
    } else if (!(out->k > 0)) {
        rc = HB_STEP_FIT_NO_GAIN;
    } else if (out->theta_s < min_theta_s) {
        rc = HB_STEP_FIT_NO_DEADTIME;
    } else {
        rc = HB_STEP_FIT_OK;
    }
out:
    free(dy);
    free(x);
    return rc;
}
