/*
 * Radiator valve: its flow characteristic (how much of the nominal water flow passes at a given
 * stem position) and its actuator (a motor that travels at a finite stroke speed).
 */
#ifndef HB_VALVE_H
#define HB_VALVE_H

enum hb_valve_char { HB_VALVE_LINEAR, HB_VALVE_EQUAL_PERCENTAGE };

typedef struct hb_valve_config {
    enum hb_valve_char characteristic;
    double rangeability;  /* R of the equal-percentage curve phi = R^(y-1), > 1 (default 50) */
    double authority;     /* N = dp_valve / (dp_valve + dp_rest), (0, 1] (default 1: ideal) */
    double stroke_time_s; /* full stroke 0 -> 100 %, >= 0 (0 = instantaneous; default 120 s) */
    double deadband_pct;  /* commands within this of the position are ignored (default 0) */
} hb_valve_config;

/* Installed flow fraction q in [0, 1] at stem position POS_PCT (0..100). Closed means no flow,
 * also for equal-percentage valves whose curve alone would leak 1/R. */
double hb_valve_flow(const hb_valve_config *v, double pos_pct);

typedef struct hb_actuator {
    double pos;    /* % */
    double target; /* % */
    double travel; /* accumulated |d pos| in % */
} hb_actuator;

/* Applies a command (clamped to 0..100) unless it lies within the deadband of the position. */
void hb_actuator_command(hb_actuator *a, const hb_valve_config *v, double level_pct);

/* Moves the stem towards its target for DT seconds at the stroke speed. */
void hb_actuator_move(hb_actuator *a, const hb_valve_config *v, double dt);

#endif
