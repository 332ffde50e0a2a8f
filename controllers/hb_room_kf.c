#include "hb_room_kf.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* Process noise per hour: how far each state may wander that the model does not explain. The
 * disturbance's is what lets d follow a forecast error of a few kelvin within an hour or two;
 * the measurement's is the fused median's noise. */
#define HB__Q_TA 0.05 /* K²/h */
#define HB__Q_TM 0.01 /* K²/h */
#define HB__Q_E 1e4   /* W²/h */
#define HB__Q_D 1e3   /* W²/h */
#define HB__R 0.01    /* K² */

void hb_room_kf_init(hb_room_kf *f, const hb_room_model *m, double t, double t_air, double e0,
                     const hb_room_inputs *in) {
    memset(f, 0, sizeof *f);
    f->m = m;
    f->t = t;
    f->x[0] = t_air;
    f->x[1] = (m->h_am * t_air + m->h_mo * in->t_out + in->q_mass) / (m->h_am + m->h_mo);
    f->x[2] = e0;
    f->x[3] = 0;
    f->p[0][0] = 0.25;
    f->p[1][1] = 4.0;
    f->p[2][2] = 1e5;
    f->p[3][3] = 4e4;
    f->r_k2 = HB__R;
}

int hb_room_kf_predict(hb_room_kf *f, double t, double q, const hb_room_inputs *in) {
    double dt = t - f->t;
    if (!(dt > 0)) {
        return HB_OK;
    }
    if (fabs(dt - f->disc.dt) > 1e-6 * dt) {
        int rc = hb_room_model_disc(f->m, dt, &f->disc);
        if (rc != HB_OK) {
            f->disc.dt = 0;
            return rc;
        }
    }
    double w[HB_RM_W] = {q, in->t_out, in->q_air, in->q_mass};
    hb_room_disc_step(&f->disc, f->x, w);
    /* P <- phi P phi' + Q dt */
    double(*a)[HB_RM_N] = f->disc.phi;
    double ap[HB_RM_N][HB_RM_N] = {{0}};
    for (int i = 0; i < HB_RM_N; i++) {
        for (int j = 0; j < HB_RM_N; j++) {
            for (int k = 0; k < HB_RM_N; k++) {
                ap[i][j] += a[i][k] * f->p[k][j];
            }
        }
    }
    for (int i = 0; i < HB_RM_N; i++) {
        for (int j = 0; j < HB_RM_N; j++) {
            double v = 0;
            for (int k = 0; k < HB_RM_N; k++) {
                v += ap[i][k] * a[j][k];
            }
            f->p[i][j] = v;
        }
    }
    double h = dt / 3600.0;
    f->p[0][0] += HB__Q_TA * h;
    f->p[1][1] += HB__Q_TM * h;
    f->p[2][2] += HB__Q_E * h;
    f->p[3][3] += HB__Q_D * h;
    f->t = t;
    return HB_OK;
}

void hb_room_kf_update(hb_room_kf *f, double y) {
    if (!isfinite(y)) {
        return;
    }
    double s = f->p[0][0] + f->r_k2;
    double k[HB_RM_N];
    for (int i = 0; i < HB_RM_N; i++) {
        k[i] = f->p[i][0] / s;
    }
    double innov = y - f->x[0];
    for (int i = 0; i < HB_RM_N; i++) {
        f->x[i] += k[i] * innov;
    }
    /* Joseph-free form with symmetrisation: P <- P - k (row 0 of P). */
    double row0[HB_RM_N];
    for (int j = 0; j < HB_RM_N; j++) {
        row0[j] = f->p[0][j];
    }
    for (int i = 0; i < HB_RM_N; i++) {
        for (int j = 0; j < HB_RM_N; j++) {
            f->p[i][j] -= k[i] * row0[j];
        }
    }
    for (int i = 0; i < HB_RM_N; i++) {
        for (int j = 0; j < i; j++) {
            double v = 0.5 * (f->p[i][j] + f->p[j][i]);
            f->p[i][j] = f->p[j][i] = v;
        }
    }
    assert(isfinite(f->x[0]) && isfinite(f->x[3]) && f->p[0][0] >= 0);
}
