/*
 * One simulated run: the plant, the sensors, the network and the room controller wired together
 * on the discrete-event engine, with the CSV trace and the KPIs.
 *
 * Event flow: a sensor samples the (interpolated) air temperature on its own jittered period;
 * a published reading crosses the readings link (loss, delay) and reaches the controller, which is
 * polled right after every reading and on a timer, exactly as the MQTT daemon does it; a command
 * crosses the command link and sets the actuator's target, which takes effect at the next plant
 * grid step. KPIs are integrated on the plant grid from the true air temperature.
 */
#ifndef HB_SIM_H
#define HB_SIM_H

#include "../controllers/hb_room_ctl.h"
#include "../controllers/hb_schedule.h"
#include "../metrics/hb_bkpi.h"
#include "../metrics/hb_cost.h"
#include "../metrics/hb_kpi.h"
#include "../models/hb_netlink.h"
#include "../models/hb_plant.h"
#include "../models/hb_sensor.h"
#include "../models/hb_weather.h"

#include <stdint.h>
#include <stdio.h>

#define HB_MAX_SENSORS 16
#define HB_NAME_MAX 64

/* What the model-based controllers (PID feed-forward and optimal start, MPC) are told: a
 * forecast of the weather the plant sees, with an error, and their belief of the room. */
typedef struct hb_forecast_config {
    double t_out_bias_k;  /* forecast minus actual outdoor temperature, K */
    double t_out_noise_k; /* standard deviation of a random error per hour on top, K */
    /* The same for the other inputs the controllers are told: the sun (relative to the actual
     * one: 100 % is a sun believed twice as strong), the internal gains and the supply
     * temperature. Each noise has its own stream, so adding one leaves the others' draws. */
    double solar_bias_pct, solar_noise_pct;
    double gains_bias_w, gains_noise_w;
    double t_supply_bias_k, t_supply_noise_k;
    char model_file[256]; /* (the loader's) scenario whose room, radiator and valve are the
                             belief; "" = this scenario's own: perfect knowledge */
    bool has_model;       /* MODEL holds a belief (loaded from model_file) */
    hb_plant_config model;
} hb_forecast_config;

typedef struct hb_sim_config {
    char name[HB_NAME_MAX];
    char description[256];
    double duration_h;
    uint64_t seed;
    double setpoint_c;
    double trace_interval_s; /* a multiple of plant.step_s */
    double warmup_h;         /* KPIs on comfort ignore the first hours */
    double comfort_band_k;   /* half width of the comfort band around the setpoint */
    hb_weather_config weather;
    hb_plant_config plant; /* plant.weather is set by hb_sim_create */
    hb_sensor_config sensors[HB_MAX_SENSORS];
    size_t n_sensors;
    hb_netlink_config net_readings;
    hb_netlink_config net_commands;
    hb_room_ctl_config controller; /* controller.setpoint_c is set from setpoint_c */
    hb_cost_weights weights;       /* what tuning optimises for this room */
    hb_schedule schedule; /* setpoint periods; none: setpoint_c ± comfort_band_k all day */
    hb_forecast_config forecast;
    hb_bkpi_config boptest; /* how BOPTEST's KPIs count this room (floor area, heat source) */
    /* The energy references (hb_energy.h), borrowed; NULL: hb_sim_create solves its own. Many
     * runs of one scenario (tuning) share one. */
    const struct hb_energy_plan *plan;
} hb_sim_config;

/* The built-in default: the seed's room (20 m², five sensors, one radiator, 22 °C) on a Munich-
 * like winter design day, PID control, 24 h. */
void hb_sim_config_default(hb_sim_config *c);

/* Frees what the configuration owns (the weather series); C stays usable. */
void hb_sim_config_free(hb_sim_config *c);

/* Checks what a run needs beyond each key's own range: lower bounds on the time steps, a bound on
 * the work of one run (so no accepted configuration can hang), and a plant that can be
 * integrated. HB_OK, or HB_ERR_RANGE with a message naming the scenario key in ERR (may be
 * NULL). */
int hb_sim_config_check(const hb_sim_config *c, char *err, size_t errlen);

/* The same without setting up a plant (hb_sim_create runs this, then creates its plant). */
int hb_sim_config_bounds(const hb_sim_config *c, char *err, size_t errlen);

/* The number of events a run of C takes (plant steps, samples, ticks, trace rows). */
double hb_sim_config_work(const hb_sim_config *c);

typedef struct hb_sim hb_sim;

int hb_sim_create(const hb_sim_config *cfg, hb_sim **out);
void hb_sim_destroy(hb_sim *s);

/* Writes the CSV trace to FP (header and one row per trace interval), or nothing when NULL. */
void hb_sim_set_trace(hb_sim *s, FILE *fp);

/* Runs to the configured duration and computes the KPIs (hb_sim_advance to the end, then
 * hb_sim_finish). HB_ERR_IO when the trace could not be written. */
int hb_sim_run(hb_sim *s);

/* Runs the events up to simulated time T (clamped to the end of the scenario); can be called
 * repeatedly with growing T, as heatbench live does to pace a room by the wall clock. */
int hb_sim_advance(hb_sim *s, double t);

/* Computes the KPIs of the run so far and flushes the trace; may be called again later. */
int hb_sim_finish(hb_sim *s);

double hb_sim_now(const hb_sim *s);
double hb_sim_end_time(const hb_sim *s);

/* External control: every reading a sensor publishes goes to FN (at its sample time, no simulated
 * network: the real one carries it) and the internal controller is not run. Commands come back
 * through hb_sim_command. Call before the first advance. */
typedef void (*hb_sim_reading_fn)(void *ud, double t, const char *sensor_id, double value);
void hb_sim_set_external(hb_sim *s, hb_sim_reading_fn fn, void *ud);

/* Applies a valve command now (clamped to 0..100); counted in actuator_msgs. */
void hb_sim_command(hb_sim *s, int level);

const hb_kpis *hb_sim_kpis(const hb_sim *s);

/* BOPTEST's KPIs of the run so far (metrics/hb_bkpi.h), integrated on the plant grid from the
 * true air temperature (comfort after the warm-up, as heatbench's own) and the heat taken from
 * the heating water; and a restart of their integration from now (a BOPTEST test's start). */
void hb_sim_boptest(const hb_sim *s, hb_bkpi_out *out);
void hb_sim_boptest_restart(hb_sim *s);

/* Overrides for a test from outside (heatbench serve), both NaN to hand control back: the valve
 * held at LEVEL % whatever the controller commands (its commands are still sent and counted; the
 * latest one to arrive acts again on release), and the controller's setpoint (°C) in place of the
 * scenario's (ignored by the model-based controllers, which follow the schedule themselves). */
void hb_sim_override_valve(hb_sim *s, double level);
void hb_sim_override_setpoint(hb_sim *s, double setpoint_c);

/* The setpoint the controller holds now (°C), the latest reading each sensor published (NaN
 * before its first), and the controller's fused estimate of the air temperature. */
double hb_sim_setpoint(const hb_sim *s);
double hb_sim_reading(const hb_sim *s, size_t i);
double hb_sim_estimate(const hb_sim *s);

/* KPIs per interval, for long runs: FN gets the KPIs of every INTERVAL_S of simulated time
 * (from the start; the last one may be shorter) as they close, on the plant's grid: comfort
 * (after the warm-up), energy, peak power, valve travel, commands, readings and fail-safe time
 * of the interval alone. The energy references and the balance are the run's only (NaN and 0
 * here). Memory stays constant however long the run. Call before the first advance. */
typedef void (*hb_sim_interval_fn)(void *ud, double t_from, double t_to, const hb_kpis *k);
void hb_sim_set_interval(hb_sim *s, double interval_s, hb_sim_interval_fn fn, void *ud);

/* The intervals the controller spent in fail-safe so far, [start, end] in simulated seconds, into
 * SPANS (at most MAX; the first HB_SIM_MAX_SPANS are kept); returns how many. For the event
 * markers of reports. */
#define HB_SIM_MAX_SPANS 32
size_t hb_sim_failsafe_spans(const hb_sim *s, double (*spans)[2], size_t max);

/* The plant, for tests that look at the physics behind a run. */
const hb_plant *hb_sim_plant(const hb_sim *s);

#endif
