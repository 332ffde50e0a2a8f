/*
 * `heatbench tune --live`: the relay experiment of `tune` (tuning/hb_relay.h) on a real room over
 * MQTT. The room's readings are fused and filtered as the controller does; a warm-up under the
 * scenario's PI finds the level that holds the setpoint, then the relay switches the valve
 * between that level ± d until it has enough cycles. Then, unless step_du is 0, a step test for
 * the FOPDT rules (SIMC, AMIGO): the PI settles the room again, the valve is held at the level it
 * settled on for step_base_h (the drift the step is measured against), then stepped by step_du
 * for step_h. The valve is never left at an experiment's level: on success, abort, a time limit,
 * SIGINT, or a room outside [min_c, max_c], the restore level is commanded before the connection
 * closes; a step is cut short before the room gets near a limit.
 *
 * The experiment's clock (sample times, freshness, the phases, the time limit) is the room's own
 * when it publishes one (clock_topic, `heatbench live --clock-topic`; mqtt/hb_simclock.h): it
 * waits while the room stands still, so a stalled simulation or a loaded machine is not taken
 * for a silent room or a late response. Before the first tick, and without a clock topic, it is
 * the wall clock × speed.
 */
#ifndef HB_TUNE_LIVE_H
#define HB_TUNE_LIVE_H

#include "../controllers/hb_room_ctl.h"
#include "../mqtt/hb_mqtt.h"
#include "../tuning/hb_fopdt.h"
#include "../tuning/hb_relay.h"

#include <stdbool.h>

typedef struct hb_tune_live_config {
    hb_mqtt_opts mqtt;
    const char *readings_topic; /* patterns; "+" becomes the room */
    const char *actuator_topic;
    const char *status_topic; /* the daemon's status: "online" there means a controller is live */
    const char *clock_topic;  /* the room's clock ({"t": s}) to follow; NULL: the wall clock */
    const char *room;
    double speed; /* the experiment's clock runs this many times the wall clock (before ticks) */
    double setpoint_c;   /* NaN: the first estimate */
    double warmup_h;     /* under the PI before the relay */
    double bias;         /* NaN: the warm-up's mean level over its last half */
    double amplitude;    /* the relay's half swing, %; NaN: min(bias, 100 − bias) in [5, 40] */
    double hysteresis_k; /* the relay's ε */
    int cycles;
    double min_c, max_c; /* the room must stay inside: else abort and restore */
    double max_h;        /* the whole experiment's limit, hours of its clock */
    double restore;      /* the level left behind; NaN: the bias */
    double step_du;     /* the step test's size, % (sign flipped when it would pass 100); 0: none */
    double settle_h;    /* under the PI again after the relay */
    double step_base_h; /* the valve held before the step: the drift's window */
    double step_h;      /* the response recorded after the step */
    bool force;         /* run even when a controller is online */
    double connect_timeout_s;
    double clock_timeout_s; /* wall seconds without a tick of a followed clock: the room is gone */
    const hb_room_ctl_config *ctl; /* fusion, PID, update_s and filter_s */
    int verbose;
} hb_tune_live_config;

typedef struct hb_tune_live_result {
    hb_relay_result relay;
    double setpoint_c, bias, d;
    double hours;      /* of the experiment's clock */
    double min_seen_c; /* the filtered estimate's range during the experiment */
    double max_seen_c;
    double restored;         /* the level commanded at the end (NaN: none was sent) */
    bool step_ran;           /* the step was applied */
    double step_u0, step_du; /* the held level and the step actually applied, % */
    double step_drift_kph;   /* the drift measured before the step, K/h */
    double step_h;           /* of response recorded (less than asked when cut) */
    bool step_cut;           /* cut short: the room near a limit, or the time limit */
    bool fopdt_ok;
    hb_fopdt fopdt;
    const char *fopdt_reason; /* why not ok (static text) */
    unsigned long readings, commands;
    bool clock_followed;                      /* the room's clock paced the experiment */
    unsigned long clock_ticks, clock_ignored; /* its ticks followed; messages that were none */
    unsigned long clock_stalls;               /* times it stood still for long (a stall) */
    double clock_stall_s;                     /* the longest of them, wall seconds */
    char aborted[400]; /* why the experiment ended early ("" when it ran to its end) */
} hb_tune_live_result;

/* Runs the experiment. 0 when it ran to its end (the relay result may still be not ok), 1 when
 * it could not run or was aborted (ERR says why; RES holds what was seen). */
int hb_tune_live_run(const hb_tune_live_config *cfg, hb_tune_live_result *res, char *err,
                     size_t errlen);

void hb_tune_live_request_stop(void);

#endif
