/*
 * What a model-based controller is told in the simulator (hb_ctl_env): its belief of the room,
 * built from the scenario's plant (perfect knowledge) or from forecast.model_file (a wrong
 * model), and a forecast of what the plant sees, each input off by its bias plus an hourly
 * random error linear between the hours, from its own named stream: the outdoor temperature
 * (forecast.t_out_*, "forecast/t_out"), the sun (forecast.solar_*, relative to the actual sun,
 * "forecast/solar"), the internal gains (forecast.gains_*, "forecast/gains") and the supply
 * temperature (forecast.t_supply_*, "forecast/t_supply"). Open windows are not forecast: the
 * controller learns of them from its readings.
 */
#ifndef HB_BELIEF_H
#define HB_BELIEF_H

#include "hb_sim.h"

/* One input's error: a bias and a random error per hour from t0 (none: NULL). */
typedef struct hb_belief_error {
    double bias;
    double *noise; /* n values, hour i from t0 */
    size_t n;
} hb_belief_error;

enum { HB_BELIEF_T_OUT, HB_BELIEF_SOLAR, HB_BELIEF_GAINS, HB_BELIEF_T_SUPPLY, HB_BELIEF_NERR };

typedef struct hb_belief {
    hb_room_model model;
    hb_plant *plant; /* the belief's plant, for the inputs it forecasts */
    const hb_weather_config *weather;
    double solar_area_m2; /* the belief's glazing times its g, for the sun's part of the gains */
    double solar_to_mass;
    hb_belief_error err[HB_BELIEF_NERR]; /* the sun's in % of the actual */
    double t0;
    hb_ctl_env env; /* points into this struct: keep it where it is */
} hb_belief;

/* Builds the belief of CFG with WEATHER (the run's, borrowed) and the setpoint path of SCHEDULE
 * (prepared, borrowed; NULL for none). HB_OK, or the plant's error for a model file whose plant
 * cannot be built, HB_ERR_NOMEM. Free with hb_belief_free either way. */
int hb_belief_init(hb_belief *b, const hb_sim_config *cfg, const hb_weather_config *weather,
                   const hb_schedule *schedule);
void hb_belief_free(hb_belief *b);

/* The belief's room model from a plant (exposed for tests): the linear room, the steady output
 * curve of the radiator through the valve at the supply temperature of time T, the emission
 * lag. */
void hb_belief_model(const hb_plant *p, const hb_valve_config *valve, double t, hb_room_model *m);

#endif
