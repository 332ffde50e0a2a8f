#include "hb_room_model.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdbool.h>

int hb_room_model_check(const hb_room_model *m) {
    bool ok = m && m->c_air > 0 && m->c_mass > 0 && m->h_am > 0 && m->h_ao >= 0 && m->h_mo >= 0 &&
              m->h_ao + m->h_mo > 0 && m->tau_rad_s > 0 && m->excess_ref_k > 0 && m->exponent > 0 &&
              isfinite(m->tau_rad_s);
    for (int i = 0; ok && i < HB_RM_LEVELS; i++) {
        ok = isfinite(m->heat_ref[i]) && m->heat_ref[i] >= 0 &&
             (i == 0 || m->heat_ref[i] >= m->heat_ref[i - 1]);
    }
    return ok && m->heat_ref[HB_RM_LEVELS - 1] > 0 ? HB_OK : HB_ERR_INVAL;
}

/* How the output at the table's excess scales to the actual one (no output without excess). */
static double hb__scale(const hb_room_model *m, double t_supply, double t_air) {
    double ex = t_supply - t_air;
    return ex > 0 ? pow(ex / m->excess_ref_k, m->exponent) : 0.0;
}

double hb_room_model_heat(const hb_room_model *m, double level, double t_supply, double t_air) {
    double x = fmin(fmax(level, 0.0), 100.0) / 10.0;
    int i = (int)x;
    if (i >= HB_RM_LEVELS - 1) {
        i = HB_RM_LEVELS - 2;
    }
    double f = x - i;
    double h = m->heat_ref[i] + f * (m->heat_ref[i + 1] - m->heat_ref[i]);
    return h * hb__scale(m, t_supply, t_air);
}

double hb_room_model_level(const hb_room_model *m, double heat_w, double t_supply, double t_air) {
    double s = hb__scale(m, t_supply, t_air);
    if (!(heat_w > 0) || s <= 0) {
        return 0.0;
    }
    double h = heat_w / s;
    if (h >= m->heat_ref[HB_RM_LEVELS - 1]) {
        return 100.0;
    }
    /* The first segment that reaches h; the table never falls, so the level is the least one. */
    for (int i = 1; i < HB_RM_LEVELS; i++) {
        if (m->heat_ref[i] >= h) {
            double lo = m->heat_ref[i - 1];
            double span = m->heat_ref[i] - lo;
            double f = span > 0 ? (h - lo) / span : 0.0;
            return 10.0 * ((i - 1) + f);
        }
    }
    return 100.0;
}

double hb_room_model_steady_heat(const hb_room_model *m, double t_air, const hb_room_inputs *in) {
    double tm = (m->h_am * t_air + m->h_mo * in->t_out + in->q_mass) / (m->h_am + m->h_mo);
    return m->h_ao * (t_air - in->t_out) + m->h_am * (t_air - tm) - in->q_air;
}

/* Van Loan: the exponential of [[A, B], [0, 0]] dt holds phi = e^{A dt} in its upper left and
 * gam = ∫ e^{A s} ds B in its upper right, with no inverse of A (the disturbance state makes A
 * singular). */
int hb_room_model_disc(const hb_room_model *m, double dt, hb_room_disc *d) {
    enum { N = HB_RM_N + HB_RM_W };
    double a[HB_RM_N][HB_RM_N] = {
        {-(m->h_am + m->h_ao) / m->c_air, m->h_am / m->c_air, 1.0 / m->c_air, 1.0 / m->c_air},
        {m->h_am / m->c_mass, -(m->h_am + m->h_mo) / m->c_mass, 0, 0},
        {0, 0, -1.0 / m->tau_rad_s, 0},
        {0, 0, 0, 0}};
    double b[HB_RM_N][HB_RM_W] = {{0, m->h_ao / m->c_air, 1.0 / m->c_air, 0},
                                  {0, m->h_mo / m->c_mass, 0, 1.0 / m->c_mass},
                                  {1.0 / m->tau_rad_s, 0, 0, 0},
                                  {0, 0, 0, 0}};
    gsl_matrix *big = gsl_matrix_calloc(N, N);
    gsl_matrix *ex = gsl_matrix_alloc(N, N);
    int rc = big && ex ? HB_OK : HB_ERR_NOMEM;
    if (rc == HB_OK) {
        for (size_t i = 0; i < HB_RM_N; i++) {
            for (size_t j = 0; j < HB_RM_N; j++) {
                gsl_matrix_set(big, i, j, a[i][j] * dt);
            }
            for (size_t j = 0; j < HB_RM_W; j++) {
                gsl_matrix_set(big, i, HB_RM_N + j, b[i][j] * dt);
            }
        }
        rc = gsl_linalg_exponential_ss(big, ex, GSL_PREC_DOUBLE) == GSL_SUCCESS ? HB_OK
                                                                                : HB_ERR_NUMERIC;
    }
    if (rc == HB_OK) {
        d->dt = dt;
        for (size_t i = 0; i < HB_RM_N; i++) {
            for (size_t j = 0; j < HB_RM_N; j++) {
                d->phi[i][j] = gsl_matrix_get(ex, i, j);
            }
            for (size_t j = 0; j < HB_RM_W; j++) {
                d->gam[i][j] = gsl_matrix_get(ex, i, HB_RM_N + j);
            }
        }
        rc = isfinite(d->phi[0][0]) && isfinite(d->gam[0][1]) ? HB_OK : HB_ERR_NUMERIC;
    }
    gsl_matrix_free(big);
    gsl_matrix_free(ex);
    return rc;
}

void hb_room_disc_step(const hb_room_disc *d, double x[HB_RM_N], const double w[HB_RM_W]) {
    double y[HB_RM_N];
    for (int i = 0; i < HB_RM_N; i++) {
        double v = 0;
        for (int j = 0; j < HB_RM_N; j++) {
            v += d->phi[i][j] * x[j];
        }
        for (int j = 0; j < HB_RM_W; j++) {
            v += d->gam[i][j] * w[j];
        }
        y[i] = v;
    }
    for (int i = 0; i < HB_RM_N; i++) {
        x[i] = y[i];
    }
}
