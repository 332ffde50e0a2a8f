/*
 * What a model-based controller believes about its room: a linear two-node room (air, mass), a
 * radiator whose emission follows its target with a first-order lag, the steady radiator output
 * as a function of the valve level, and a forecast of what the controller does not command
 * (outdoor temperature, supply temperature, internal and solar gains).
 *
 * The belief is plain data: the simulator fills it from the scenario (perfect knowledge) or from
 * another scenario file (a wrong model, to test mismatch); in production it would come from an
 * identified model. Nothing here reads a clock or does I/O.
 *
 * State x = [T_air, T_mass, E, d] (°C, °C, W, W): E the radiator's emission, d an unmodelled
 * heat into the air (model error, open doors, a forecast that is off), a random walk that the
 * Kalman filter estimates so that predictions are offset-free. Inputs w = [Q, T_out, q_air,
 * q_mass], Q the emission the valve level aims at:
 *   C_a dT_a/dt = H_am (T_m - T_a) + H_ao (T_o - T_a) + E + d + q_air
 *   C_m dT_m/dt = H_am (T_a - T_m) + H_mo (T_o - T_m) + q_mass
 *   tau dE/dt   = Q - E,      dd/dt = 0
 */
#ifndef HB_ROOM_MODEL_H
#define HB_ROOM_MODEL_H

#include "hb_schedule.h"

#define HB_RM_LEVELS 11 /* the output table: levels 0, 10, .., 100 % */
#define HB_RM_N 4       /* states */
#define HB_RM_W 4       /* inputs */

typedef struct hb_room_model {
    double c_air, c_mass;    /* J/K */
    double h_am, h_ao, h_mo; /* W/K */
    double tau_rad_s;        /* lag of the radiator's emission behind its target, s */
    /* Steady output at level 10 i %, W, with the supply excess_ref_k above the room; at another
     * excess it scales with (excess / excess_ref_k)^exponent. Non-decreasing in the level. */
    double heat_ref[HB_RM_LEVELS];
    double excess_ref_k;
    double exponent;
} hb_room_model;

/* What the controller does not command, at one moment. */
typedef struct hb_room_inputs {
    double t_out, t_supply; /* °C */
    double q_air, q_mass;   /* internal and solar gains into each node, W */
} hb_room_inputs;

/* The forecast: fills IN for time T. Pure from the controller's side (the simulator answers from
 * the weather with a configured error). */
typedef struct hb_forecast {
    void (*fn)(void *ud, double t, hb_room_inputs *in);
    void *ud;
} hb_forecast;

/* Everything a model-based controller knows beyond its readings, all borrowed: the model, the
 * forecast, and the setpoint path it must plan for (a prepared schedule, or none: BASE_C ±
 * BAND_K all day). */
typedef struct hb_ctl_env {
    const hb_room_model *model;
    hb_forecast forecast;
    const hb_schedule *schedule;
    double base_c, band_k;
} hb_ctl_env;

/* HB_OK when M is usable (positive capacities and conductances, a table that does not fall),
 * HB_ERR_INVAL otherwise. */
int hb_room_model_check(const hb_room_model *m);

/* Steady output at LEVEL (0..100 %) with the given supply and air temperatures, W. */
double hb_room_model_heat(const hb_room_model *m, double level, double t_supply, double t_air);

/* The least level whose steady output reaches HEAT_W (0 for none, 100 when even full output
 * falls short): the inverse of the output curve. */
double hb_room_model_level(const hb_room_model *m, double heat_w, double t_supply, double t_air);

/* The emission that holds the air at T_AIR at steady state with the inputs IN (the mass at its
 * own steady state); negative when the gains alone overheat the room. */
double hb_room_model_steady_heat(const hb_room_model *m, double t_air, const hb_room_inputs *in);

/* The exact zero-order-hold discretisation over DT seconds: x(DT) = phi x(0) + gam w. */
typedef struct hb_room_disc {
    double dt;
    double phi[HB_RM_N][HB_RM_N];
    double gam[HB_RM_N][HB_RM_W];
} hb_room_disc;

/* HB_OK, HB_ERR_NUMERIC when the matrix exponential fails, HB_ERR_NOMEM. */
int hb_room_model_disc(const hb_room_model *m, double dt, hb_room_disc *d);

/* One step of the discretisation: X <- phi X + gam W. */
void hb_room_disc_step(const hb_room_disc *d, double x[HB_RM_N], const double w[HB_RM_W]);

#endif
