/*
 * The controller of one room, as deployed: sensor fusion, an estimate filter, a control algorithm,
 * a fail-safe and a publish policy, driven only by (time, reading) events and polls.
 *
 * It does no I/O and never reads a clock: the simulator drives it with simulated time and the
 * MQTT daemon with a monotonic clock, and neither can tell the difference. That is what lets a
 * controller tuned in heatbench run unchanged in production.
 *
 * Start-up quorum: the algorithm starts only when at least `quorum` fresh sensors agree (within
 * outlier_k of their median; never more than expected_sensors), holding the start level until
 * then, so one sensor stuck at 30 °C cannot start the room with a full valve. A room that never
 * gathers a quorum (sensors missing) starts after quorum_wait_s with whatever agrees. The same
 * rule restarts the algorithm after a fail-safe.
 *
 * Fail-safe: when no reading has been fresh for failsafe_hold_s, the level becomes the mean level
 * that held the room before the silence (an exponential mean with time constant failsafe_avg_s),
 * which is right for the weather of the moment, where one fixed level overheats a sunny
 * afternoon and underheats a cold night. Without any history yet, failsafe_level.
 *
 * Publish policy: a command is due when the level moved by at least deadband_pct from the last
 * one sent (or reached fully open/closed) and min_interval_s has passed, or when heartbeat_s has
 * passed since the last one (valves forget, and QoS 1 does not survive a broker restart).
 */
#ifndef HB_ROOM_CTL_H
#define HB_ROOM_CTL_H

#include "hb_bangbang.h"
#include "hb_fusion.h"
#include "hb_mpc.h"
#include "hb_pid.h"
#include "hb_room_kf.h"

#include <stdbool.h>

enum hb_algo { HB_ALGO_PID, HB_ALGO_BANGBANG, HB_ALGO_MPC };

/* Open-window detection: a fall of the fused estimate by at least drop_k within within_s closes
 * the valve for close_s (heating an open window heats the street). The fall is measured against
 * the highest estimate of the last within_s/2 to within_s (two half-window maxima: constant
 * memory), so a fall slower than within_s never triggers. The valve reopens after close_s, or
 * sooner when the estimate has risen by drop_k/2 from its low (the window was shut: the walls
 * warm the air back at once). Then the detector starts afresh from the estimate of the moment,
 * and a window still open triggers again. */
typedef struct hb_window_config {
    bool detect;
    double drop_k;   /* K */
    double within_s; /* s */
    double close_s;  /* s */
} hb_window_config;

typedef struct hb_room_ctl_config {
    enum hb_algo algo;
    double setpoint_c;      /* °C */
    double update_s;        /* the algorithm runs at most this often, s */
    double filter_s;        /* time constant of the estimate filter, s (0 = none) */
    double failsafe_level;  /* % in a fail-safe before any control history */
    double failsafe_hold_s; /* the last level is held this long first, s (0 = none) */
    double failsafe_avg_s;  /* time constant of the mean level a fail-safe falls back to, s */
    int quorum;             /* fresh sensors that must agree before the algorithm starts */
    double quorum_wait_s;   /* after this long without a quorum, start with what agrees, s */
    double initial_level;   /* % the first command continues from (bumpless start) */
    double deadband_pct;    /* % */
    double min_interval_s;  /* s */
    double heartbeat_s;     /* s */
    bool feed_forward; /* PID: add the level of the model's steady heat (needs an environment) */
    /* PID, with an environment too: start a warmer period early by the model's warm-up time,
     * and stop heating before a cooler one while the model keeps the room in its band. */
    bool optimal_start;
    hb_window_config window;
    hb_fusion_config fusion;
    hb_pid_config pid;
    hb_bangbang_config bangbang;
    hb_mpc_config mpc;
} hb_room_ctl_config;

typedef struct hb_room_ctl hb_room_ctl;

/* HB_OK when CFG is one hb_room_ctl_create accepts (its fusion and PID settings included),
 * HB_ERR_INVAL otherwise. */
int hb_room_ctl_check(const hb_room_ctl_config *cfg);

/* NULL when the configuration is invalid or memory is short. */
hb_room_ctl *hb_room_ctl_create(const hb_room_ctl_config *cfg);
void hb_room_ctl_destroy(hb_room_ctl *c);

/* Feeds one reading. Returns the fusion's code (HB_ERR_RANGE, HB_ERR_FULL) for readings it
 * cannot keep; the controller goes on either way. */
int hb_room_ctl_reading(hb_room_ctl *c, double t, const char *sensor_id, double value);

/* The same for a caller that keeps a hb_fusion_ref per sensor (the simulation): no hashing of
 * the id per reading. */
int hb_room_ctl_reading_ref(hb_room_ctl *c, double t, const char *sensor_id, double value,
                            hb_fusion_ref *ref);

/* Runs the algorithm when an update is due and applies the publish policy. Returns true and sets
 * *LEVEL (0..100) when a command should be sent now. Call it after readings and on a timer. */
bool hb_room_ctl_poll(hb_room_ctl *c, double t, int *level);

/* The earliest time after a poll at T at which another poll could do anything (run the
 * algorithm, change the level or the fail-safe, publish) without a reading, a resync, a resend
 * or a change of settings in between: -INFINITY when the next poll may (a resend, a resync, no
 * update yet). Polling at any time before it is harmless, so a caller may wake early; a daemon
 * with thousands of rooms polls each only then instead of every room every tick. */
double hb_room_ctl_next_poll(const hb_room_ctl *c, double t);

/* Filtered estimate used by the last update (NaN before the first), latest level, and whether
 * the last update ran in fail-safe. */
double hb_room_ctl_estimate(const hb_room_ctl *c);
int hb_room_ctl_level(const hb_room_ctl *c);
bool hb_room_ctl_failsafe(const hb_room_ctl *c);

/* Sensors at time T: HEALTHY fresh ones that agree, TOTAL ids known (for a status display). */
void hb_room_ctl_sensors(const hb_room_ctl *c, double t, int *healthy, int *total);

/* Makes the next poll run the algorithm whatever update_s says (a new setpoint or mode). */
void hb_room_ctl_resync(hb_room_ctl *c);

/* Makes the next poll publish the current level whatever the policy says: for a command that
 * could not be sent, or after a reconnect, when the valve may have missed the last one. */
void hb_room_ctl_resend(hb_room_ctl *c);

/* Changes the setpoint (the PID's setpoint weighting keeps this smooth). */
void hb_room_ctl_set_setpoint(hb_room_ctl *c, double setpoint_c);

/* Heating off (the household's "off" mode): the valve closes and stays closed, whatever the
 * readings, the fail-safe or a window say, and the algorithm is frozen where it was (its
 * integral must not learn that a closed valve cannot hold the room). On again, it resumes from
 * its state, as after an open window. */
void hb_room_ctl_set_heating(hb_room_ctl *c, bool on);
bool hb_room_ctl_heating(const hb_room_ctl *c);

/* What a restart needs to be bumpless: the level last sent (the computed one before any was
 * sent), the PID's integral (its bias) and the mean level the fail-safe falls back to (NaN:
 * none yet). */
typedef struct hb_room_ctl_state {
    double level;    /* % */
    double integral; /* % */
    double avg;      /* %, or NaN */
} hb_room_ctl_state;

void hb_room_ctl_save(const hb_room_ctl *c, hb_room_ctl_state *s);

/* Restores a saved state into a controller that has not started yet: the level is held (and
 * sent first) until a quorum agrees, and the algorithm then continues from the saved integral
 * instead of restarting from the level. HB_ERR_INVAL (nothing changed) for a controller already
 * running or a state out of range. */
int hb_room_ctl_restore(hb_room_ctl *c, const hb_room_ctl_state *s);

/* Applies a new configuration to a running controller without a bump in its level: gains and
 * PID settings move the difference into the integral, the fusion keeps its readings, a change of
 * algorithm restarts the new one from the current level. HB_ERR_INVAL (nothing changed) when CFG
 * is one hb_room_ctl_create would refuse; HB_ERR_NOMEM (nothing changed) when the state a new
 * feature needs (a model part, a window detector) cannot be allocated. */
int hb_room_ctl_reconfigure(hb_room_ctl *c, const hb_room_ctl_config *cfg);

/* Whether the valve is held closed for an open window now, and how many openings were
 * detected since the start. */
bool hb_room_ctl_window_open(const hb_room_ctl *c);
long hb_room_ctl_windows(const hb_room_ctl *c);

/* Gives the controller a model, a forecast and its setpoint path (hb_ctl_env, borrowed: it must
 * outlive the controller). From then on the setpoint follows ENV's schedule (set_setpoint no
 * longer applies), a Kalman filter tracks the model's state, and what needs a model works: the
 * MPC, the PID's feed-forward and optimal start/stop. Without an environment, "mpc" runs the PID
 * and the two PID options are off. HB_ERR_INVAL for an invalid model, HB_ERR_NOMEM. */
int hb_room_ctl_set_env(hb_room_ctl *c, const hb_ctl_env *env);

/* The MPC, when there is one (for benchmarks and tests), else NULL. */
const hb_mpc *hb_room_ctl_mpc(const hb_room_ctl *c);

/* Whether the algorithm is running (a quorum was reached since the start or the last
 * fail-safe). */
bool hb_room_ctl_started(const hb_room_ctl *c);

#endif
