/*
 * A Kalman filter on the room model's state [T_air, T_mass, E, d] from the fused air
 * temperature: the mass temperature, which no sensor sees, and the unmodelled heat d, which
 * makes the model-based controllers offset-free against a wrong model or a biased forecast
 * (the disturbance-model approach of offset-free MPC). Embedded by value in the room
 * controller; no allocation.
 *
 * Learning (hb_room_kf_learn, for the MPC): two more states, parameters of the model that the
 * filter estimates from the controller's own data, a random walk each:
 *   eta    the heat the radiator gives over the heat the model says it gives (a room whose
 *          capacities are larger than the model's warms as if its radiator were weaker)
 *   gamma  the gains that arrive over the gains the forecast tells (a sun believed twice as
 *          strong: 0.5)
 * Both enter the discretised model linearly (x' = phi x + gam_Q Q eta + gam_g q gamma + ..),
 * so the augmented filter is an exact linear time-varying Kalman filter, not an extended one.
 * d and eta Q are the same heat while Q stands still, and d and gamma q while the gains do:
 * guards keep the parameters from drifting on data that cannot tell them apart. A parameter is
 * updated only while its input has moved (an exponentially weighted spread of Q, of the gains,
 * over HB_KF_EXCITE_S) and the innovation is not an outlier (an open window, a door); a
 * parameter that is not updated is a Schmidt "consider" state (its covariance stays honest);
 * each update moves it by at most a bounded step, within a bounded range; its variance never
 * grows past its starting value (the covariance reset limit).
 */
#ifndef HB_ROOM_KF_H
#define HB_ROOM_KF_H

#include "hb_room_model.h"

#define HB_KF_N (HB_RM_N + 2) /* the model's states, eta, gamma */
#define HB_KF_ETA HB_RM_N
#define HB_KF_GAMMA (HB_RM_N + 1)

typedef struct hb_room_kf {
    const hb_room_model *m; /* borrowed */
    double x[HB_KF_N];      /* eta and gamma 1 without learning */
    double p[HB_KF_N][HB_KF_N];
    hb_room_disc disc; /* for the last step length (updates come at a steady pace) */
    double t;          /* time of the state */
    double r_k2;       /* measurement variance, K² */
    /* Learning (off: the first HB_RM_N states only, as without it). */
    int learn;
    double q_full;        /* W: the model's full output, the scale of Q's excitation */
    double t_learn;       /* s: parameters are taught from then on */
    int held;             /* hb_room_kf_hold: a reading corrects only the air and d */
    double q_mean, q_msq; /* exponentially weighted mean and mean square of Q */
    double g_mean, g_msq; /* .. of the gains the forecast tells */
    int excited[2];       /* eta's and gamma's inputs moved lately */
    long updates[2];      /* parameter updates taken (for tests) */
} hb_room_kf;

/* The excitation's memory, s, and the spreads that count as excitation: Q's in a share of full
 * output, the gains' in watts. */
#define HB_KF_EXCITE_S 7200.0
#define HB_KF_EXCITE_Q 0.05
#define HB_KF_EXCITE_G 20.0

/* Starts at T with the air at T_AIR, the mass at its steady state for the inputs IN, the
 * emission E0 (W), no disturbance, and wide variances on what is not measured. */
void hb_room_kf_init(hb_room_kf *f, const hb_room_model *m, double t, double t_air, double e0,
                     const hb_room_inputs *in);

/* Advances to T with the emission target Q (W) and the inputs IN held since the last time.
 * HB_OK; HB_ERR_NUMERIC when the discretisation fails (the state is then kept). */
int hb_room_kf_predict(hb_room_kf *f, double t, double q, const hb_room_inputs *in);

/* Corrects with a measured air temperature Y. */
void hb_room_kf_update(hb_room_kf *f, double y);

/* Turns learning on for a filter just initialised: eta and gamma start at 1 with the variances
 * of a model that may be some 30 % off. */
void hb_room_kf_learn(hb_room_kf *f);

/* Holds what the filter learnt while something the model does not know acts on the room (an
 * open window): until hb_room_kf_forget_disturbance, a reading corrects only the air and the
 * disturbance d (the other states are Schmidt "consider" states, their covariance kept honest),
 * and the parameters stay untaught until the states have settled again after it. */
void hb_room_kf_hold(hb_room_kf *f);

/* Ends a hold: forgets the unmeasured disturbance (an open window's loss, now ended), back to
 * none with the variance it starts with, so the next readings say what remains of it. */
void hb_room_kf_forget_disturbance(hb_room_kf *f);

#endif
