/*
 * Economic model-predictive control: every step_s the controller plans the radiator's emission
 * over the next horizon_h with a linear program (GLPK) over the room model (hb_room_model.h),
 * from the Kalman filter's state, the forecast and the setpoint path:
 *
 *   minimise   Σ_k Q_k Δ                       energy (kWh)
 *            + w_violation Σ_k s_k Δ           K·h below the band's lower edge + margin
 *            + w_track     Σ_k |T_a,k − r_k| Δ  K·h away from the setpoint
 *            + w_travel    Σ_k |L_k − L_k−1|    planned level travel (%, linearised at full output)
 *   subject to x_k+1 = Φ x_k + Γ w_k  (exact ZOH of the model, the disturbance held)
 *              T_a,k + s_k ≥ lo_k + margin,  0 ≤ Q_k ≤ Q_max,k (full output at the forecast supply)
 *
 * A warm-up is planned to arrive arrive_early_s before its period: one that arrives early
 * costs the heat of holding the room warm for that long, one that arrives late costs discomfort,
 * and a model that is wrong (a smaller capacity than the room's, a forecast too warm) makes the
 * warm-up late. Measured on night-setback with the model 20 % off: 0.9 K·h late without, at
 * most 0.16 K·h with an hour, for 0.6 % more heat with a perfect model.
 *
 * The program plans heat, not levels: the level that gives a heat is the inverse of the
 * radiator's output curve (concave in the level, so its inverse is convex and monotone), which
 * keeps the program linear and exact where a level variable under the curve's hypograph would
 * let the program plan a level whose heat it does not use. Between solves the room controller
 * applies the plan's heat for the current step through the inverse curve, corrected by inner_kp
 * times the distance of the estimate from the planned air temperature; a step planned at full
 * output opens the valve fully (hb_mpc_full_at), and an estimate more than half a kelvin from
 * the planned air temperature is planned again at once, between the regular solves.
 *
 * The program is built once and only its bounds change from one solve to the next: GLPK's dual
 * simplex starts from the previous basis (a warm start).
 */
#ifndef HB_MPC_H
#define HB_MPC_H

#include "hb_room_model.h"

#include <stdbool.h>
#include <stddef.h>

/* The longest plan, in steps: the program grows with it, and a solve with it. */
#define HB_MPC_MAX_STEPS 400

typedef struct hb_mpc_config {
    double step_s;         /* planning step Δ and the interval between solves, s */
    double horizon_h;      /* h */
    double margin_k;       /* the plan keeps the air this far above the band's lower edge, K */
    double w_violation;    /* kWh per K·h below the lower edge + margin */
    double w_track;        /* kWh per K·h away from the setpoint */
    double w_travel;       /* kWh per % of planned level travel */
    double inner_kp;       /* %/K: the correction between solves */
    double arrive_early_s; /* a warmer period's band is planned to begin this much sooner, s */
    bool learn; /* the room controller's filter corrects the model online (hb_room_kf_learn) */
} hb_mpc_config;

typedef struct hb_mpc hb_mpc;

/* HB_OK when CFG is usable (a horizon of 1 to HB_MPC_MAX_STEPS steps), HB_ERR_INVAL otherwise. */
int hb_mpc_check(const hb_mpc_config *cfg);

/* Copies CFG and *MODEL. NULL when either is invalid or memory is short. */
hb_mpc *hb_mpc_create(const hb_mpc_config *cfg, const hb_room_model *model);
void hb_mpc_destroy(hb_mpc *c);

/* Plans from time T and model state X (the Kalman filter's), with Q_PREV the emission target in
 * force (W; the travel of the first step is counted from it), the forecast and setpoint path of
 * ENV. HB_OK; HB_ERR_NUMERIC when the program has no optimum (the previous plan is kept). */
int hb_mpc_solve(hb_mpc *c, double t, const double x[HB_RM_N], double q_prev,
                 const hb_ctl_env *env);

/* What the filter learnt of the model (hb_room_kf.h): the next plans take ETA times the model's
 * heat as what the radiator gives at each level (the plan's heat is then the heat the room gets,
 * and hb_mpc_heat_at's target is reached with 1/ETA times the model's emission), and GAMMA times
 * the forecast's gains. Both 1 from the start. */
void hb_mpc_set_scales(hb_mpc *c, double eta, double gamma);

/* Whether a plan exists, the planned emission target at T (held over each step, W), the
 * planned air temperature at T (linear between steps, °C), and the time of the last solve. Past
 * the horizon, the last step's. */
int hb_mpc_planned(const hb_mpc *c);
double hb_mpc_heat_at(const hb_mpc *c, double t);
/* Whether the plan's step in force at T is at full output (its heat at the bound the plan
 * took for that step): such a step asks for the valve fully open, whatever the inverse output
 * curve would make of the heat (the plan's bound is taken at its own air temperatures, and with
 * a learnt radiator scale; the curve at the room's). False without a plan. */
bool hb_mpc_full_at(const hb_mpc *c, double t);
double hb_mpc_air_at(const hb_mpc *c, double t);
double hb_mpc_solved_at(const hb_mpc *c);

/* Simplex iterations of the last solve (for benchmarks). */
int hb_mpc_iterations(const hb_mpc *c);

#endif
