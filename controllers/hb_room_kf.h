/*
 * A Kalman filter on the room model's state [T_air, T_mass, E, d] from the fused air
 * temperature: the mass temperature, which no sensor sees, and the unmodelled heat d, which
 * makes the model-based controllers offset-free against a wrong model or a biased forecast
 * (the disturbance-model approach of offset-free MPC). Embedded by value in the room
 * controller; no allocation.
 */
#ifndef HB_ROOM_KF_H
#define HB_ROOM_KF_H

#include "hb_room_model.h"

typedef struct hb_room_kf {
    const hb_room_model *m; /* borrowed */
    double x[HB_RM_N];
    double p[HB_RM_N][HB_RM_N];
    hb_room_disc disc; /* for the last step length (updates come at a steady pace) */
    double t;          /* time of the state */
    double r_k2;       /* measurement variance, K² */
} hb_room_kf;

/* Starts at T with the air at T_AIR, the mass at its steady state for the inputs IN, the
 * emission E0 (W), no disturbance, and wide variances on what is not measured. */
void hb_room_kf_init(hb_room_kf *f, const hb_room_model *m, double t, double t_air, double e0,
                     const hb_room_inputs *in);

/* Advances to T with the emission target Q (W) and the inputs IN held since the last time.
 * HB_OK; HB_ERR_NUMERIC when the discretisation fails (the state is then kept). */
int hb_room_kf_predict(hb_room_kf *f, double t, double q, const hb_room_inputs *in);

/* Corrects with a measured air temperature Y. */
void hb_room_kf_update(hb_room_kf *f, double y);

#endif
