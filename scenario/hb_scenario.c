#include "hb_scenario.h"
#include "../util/hb_error.h"
#include "../util/hb_strutil.h"
#include "../util/hb_file.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB__MAX_FILE (16u << 20) /* a scenario bigger than 16 MiB is not a scenario */

#include "../util/hb_schema_def.h"

static const char *const weather_kinds[] = {"constant", "design-day", "sine", "csv", NULL};
static const char *const supply_modes[] = {"fixed", "curve", NULL};
static const char *const valve_chars[] = {"linear", "equal-percentage", NULL};
static const char *const fault_kinds[] = {"dropout", "stuck", "spike", "drift", NULL};
static const char *const algos[] = {"pid", "bangbang", "mpc", NULL};

/* ---- weather ---- */
static const hb_field weather_fields[] = {
    ENUM("model", hb_sim_config, weather.kind, weather_kinds, "outdoor temperature profile"),
    NUM("constant_c", hb_sim_config, weather.constant_c, -60, 60, "°C",
        "temperature of model constant"),
    NUM("t_min_c", hb_sim_config, weather.t_min_c, -60, 60, "°C",
        "daily minimum (design-day, sine)"),
    NUM("t_max_c", hb_sim_config, weather.t_max_c, -60, 60, "°C",
        "daily maximum (design-day, sine)"),
    NUM("min_hour", hb_sim_config, weather.min_hour, 0, 24, "h", "hour of the minimum (sine)"),
    STR("csv_file", hb_sim_config, weather.csv_file, 1,
        "series for model csv: time_h,t_out_c[,solar_w_m2]"),
    NUM("solar_peak_w_m2", hb_sim_config, weather.solar_peak_w_m2, 0, 1200, "W/m²",
        "peak irradiance on the window"),
    NUM("sunrise_h", hb_sim_config, weather.sunrise_h, 0, 24, "h", "sunrise"),
    NUM("sunset_h", hb_sim_config, weather.sunset_h, 0, 24, "h", "sunset"),
};
static const hb_schema weather_schema = SCHEMA(weather_fields);

/* ---- room ---- */
static const hb_field gain_fields[] = {
    NUM("from_h", hb_gain_period, from_h, 0, 24, "h", "start, hour of day"),
    NUM("to_h", hb_gain_period, to_h, 0, 24, "h",
        "end, hour of day (before from_h: wraps midnight)"),
    NUM("watts", hb_gain_period, watts, -5000, 5000, "W", "internal gain while active"),
};
static const hb_schema gain_schema = SCHEMA(gain_fields);
static const hb_field window_fields[] = {
    NUM("at_h", hb_window_event, at_h, 0, 8760, "h", "opening time since start"),
    NUM_GT("duration_min", hb_window_event, duration_min, 0, 1440, "min", "how long it stays open"),
    NUM("ua_w_per_k", hb_window_event, ua_w_per_k, 0, 2000, "W/K",
        "extra air-to-outdoor conductance while open"),
};
static const hb_schema window_schema = SCHEMA(window_fields);
static const hb_field room_fields[] = {
    NUM_GT("ua_w_per_k", hb_room_config, ua_w_per_k, 0, 2000, "W/K",
           "steady-state heat loss coefficient"),
    NUM("direct_share", hb_room_config, direct_share, 0, 0.95, "",
        "share of UA straight from the air (glazing, infiltration)"),
    NUM_S("air_capacity_kj_per_k", hb_room_config, air_capacity_j_per_k, 1, 1e5, 1e3, "kJ/K",
          "air and furniture"),
    NUM_S("mass_capacity_kj_per_k", hb_room_config, mass_capacity_j_per_k, 1, 1e6, 1e3, "kJ/K",
          "walls, floor, ceiling"),
    NUM_GT("air_mass_w_per_k", hb_room_config, air_mass_w_per_k, 0, 1e5, "W/K",
           "air-to-mass conductance"),
    NUM("window_area_m2", hb_room_config, window_area_m2, 0, 100, "m²",
        "glazing that lets the sun in"),
    NUM("solar_g", hb_room_config, solar_g, 0, 1, "", "solar energy transmittance of the glazing"),
    NUM("solar_to_mass", hb_room_config, solar_to_mass, 0, 1, "",
        "share of solar gain absorbed by the mass"),
    NUM("base_gains_w", hb_room_config, base_gains_w, -5000, 5000, "W", "constant internal gains"),
    ARR("gains", hb_room_config, gains, n_gains, gain_schema, 0, NULL,
        "daily internal gain periods"),
    ARR("windows", hb_room_config, windows, n_windows, window_schema, 0, NULL,
        "window-open events"),
};
static const hb_schema room_schema = SCHEMA(room_fields);

/* ---- radiator and valve ---- */
static const hb_field radiator_fields[] = {
    NUM_GT("q50_w", hb_radiator_config, q50_w, 0, 20000, "W", "EN 442 output at 75/65/20 °C"),
    NUM("exponent", hb_radiator_config, exponent, 1.0, 2.0, "", "EN 442 exponent n"),
    NUM_S("capacity_kj_per_k", hb_radiator_config, capacity_j_per_k, 0, 1e4, 1e3, "kJ/K",
          "water and steel (default 37.5 J/K per W of q50_w)"),
    INT("segments", hb_radiator_config, segments, 1, HB_MAX_RAD_SEGMENTS,
        "radiator discretisation"),
    ENUM("supply", hb_radiator_config, supply_mode, supply_modes,
         "supply temperature: fixed or heating curve"),
    NUM("supply_c", hb_radiator_config, supply_c, 20, 95, "°C", "fixed supply temperature"),
    NUM("curve_slope", hb_radiator_config, curve_slope, 0, 5, "K/K", "heating curve slope"),
    NUM("curve_base_c", hb_radiator_config, curve_base_c, 10, 95, "°C",
        "heating curve at 20 °C outdoors"),
    NUM("curve_min_c", hb_radiator_config, curve_min_c, 10, 95, "°C", "heating curve lower clamp"),
    NUM("curve_max_c", hb_radiator_config, curve_max_c, 10, 95, "°C", "heating curve upper clamp"),
};
static const hb_schema radiator_schema = SCHEMA(radiator_fields);
static const hb_field valve_fields[] = {
    ENUM("characteristic", hb_valve_config, characteristic, valve_chars,
         "inherent flow characteristic"),
    NUM_GT("rangeability", hb_valve_config, rangeability, 1, 1000, "",
           "R of the equal-percentage curve"),
    NUM_GT("authority", hb_valve_config, authority, 0, 1, "", "valve authority N"),
    NUM("stroke_time_s", hb_valve_config, stroke_time_s, 0, 3600, "s",
        "full stroke time of the actuator"),
    NUM("deadband_pct", hb_valve_config, deadband_pct, 0, 20, "%",
        "actuator ignores smaller moves"),
};
static const hb_schema valve_schema = SCHEMA(valve_fields);
static const hb_field initial_fields[] = {
    NUM("t_air_c", hb_plant_config, t_air0_c, -30, 50, "°C", "initial air temperature"),
    NUM("t_mass_c", hb_plant_config, t_mass0_c, -30, 50, "°C",
        "initial mass temperature (default: steady state)"),
    NUM("valve_pct", hb_plant_config, valve0_pct, 0, 100, "%", "initial valve position"),
};
static const hb_schema initial_schema = SCHEMA(initial_fields);

/* ---- sensors ---- */
static const hb_field fault_fields[] = {
    ENUM("kind", hb_sensor_fault, kind, fault_kinds, "fault type"),
    NUM("at_h", hb_sensor_fault, at_h, 0, 8760, "h", "start since the beginning of the run"),
    NUM_GT("duration_h", hb_sensor_fault, duration_h, 0, 8760, "h", "length of the fault window"),
    NUM("value", hb_sensor_fault, value, -100, 100, "°C | K | K/h",
        "stuck value, spike size or drift rate"),
};
static const hb_schema fault_schema = SCHEMA(fault_fields);
static const hb_field sensor_fields[] = {
    STR("id", hb_sensor_config, id, 1, "sensorID in the MQTT payload"),
    NUM("offset_k", hb_sensor_config, offset_k, -10, 10, "K",
        "placement offset from the mean air temperature"),
    NUM("bias_k", hb_sensor_config, bias_k, -10, 10, "K", "calibration error"),
    NUM("noise_k", hb_sensor_config, noise_k, 0, 5, "K", "standard deviation of the noise"),
    NUM("lag_s", hb_sensor_config, lag_s, 0, 7200, "s", "first-order time constant"),
    NUM("quant_k", hb_sensor_config, quant_k, 0, 5, "K", "resolution (0 = none)"),
    NUM_GT("period_s", hb_sensor_config, period_s, 0.1, 86400, "s", "sampling period"),
    NUM("jitter_s", hb_sensor_config, jitter_s, 0, 3600, "s", "uniform jitter of each period"),
    NUM("report_change_k", hb_sensor_config, report_change_k, 0, 10, "K",
        "report only on a change this large (0 = every sample)"),
    NUM_GT("max_silence_s", hb_sensor_config, max_silence_s, 0, 86400, "s",
           "report at least this often when on change"),
    ARR("faults", hb_sensor_config, faults, n_faults, fault_schema, 0, NULL, "scheduled faults"),
};
static const hb_schema sensor_schema = SCHEMA(sensor_fields);

/* ---- network ---- */
static const hb_field link_fields[] = {
    NUM("latency_s", hb_netlink_config, latency_s, 0, 3600, "s", "fixed delay"),
    NUM("jitter_s", hb_netlink_config, jitter_s, 0, 3600, "s",
        "extra delay, uniform in [0, jitter]"),
    NUM("loss", hb_netlink_config, loss, 0, 1, "", "probability a message is lost"),
};
static const hb_schema link_schema = SCHEMA(link_fields);
static const hb_field network_fields[] = {
    OBJ("readings", hb_sim_config, net_readings, link_schema, "sensor to controller, per sensor"),
    OBJ("commands", hb_sim_config, net_commands, link_schema, "controller to valve"),
};
static const hb_schema network_schema = SCHEMA(network_fields);

/* ---- controller ---- */
static const hb_field fusion_fields[] = {
    NUM_GT("stale_s", hb_fusion_config, stale_s, 0, 86400, "s",
           "readings older than this are ignored"),
    NUM_GT("outlier_k", hb_fusion_config, outlier_k, 0, 50, "K",
           "rejection distance from the median"),
    SIZE("expected_sensors", hb_fusion_config, expected_sensors, 1, HB_FUSION_MAX_SENSORS,
         "sensor ids kept and voting per room (default: the number of sensors)"),
};
static const hb_schema fusion_schema = SCHEMA(fusion_fields);
static const hb_field pid_fields[] = {
    NUM("kp", hb_pid_config, kp, 0, 1e4, "%/K", "proportional gain"),
    NUM("ki", hb_pid_config, ki, 0, 1e5, "%/(K·h)", "integral gain"),
    NUM("kd", hb_pid_config, kd, 0, 1e4, "%·h/K", "derivative gain (on measurement)"),
    NUM("b", hb_pid_config, b, 0, 1, "", "setpoint weight of the P term"),
    NUM_GT("d_filter_n", hb_pid_config, d_filter_n, 0, 1000, "", "derivative filter N (Tf = Td/N)"),
    NUM("i_band_k", hb_pid_config, i_band_k, 0, 100, "K",
        "integral band: farther off, the integral holds while the air approaches (0: off)"),
    NUM("tt_h", hb_pid_config, tt_h, 0, 1000, "h", "anti-windup tracking time (0 = auto)"),
    NUM_GT("max_dt_s", hb_pid_config, max_dt_s, 0, 86400, "s", "longest gap integrated"),
};
static const hb_schema pid_schema = SCHEMA(pid_fields);
static const hb_field bb_fields[] = {
    NUM("hysteresis_k", hb_bangbang_config, hysteresis_k, 0, 10, "K", "total band width"),
    NUM("on_level", hb_bangbang_config, on_level, 0, 100, "%", "level when on"),
    NUM("off_level", hb_bangbang_config, off_level, 0, 100, "%", "level when off"),
};
static const hb_schema bb_schema = SCHEMA(bb_fields);
static const hb_field mpc_fields[] = {
    NUM("step_s", hb_mpc_config, step_s, 60, 7200, "s", "planning step and interval between plans"),
    NUM_GT("horizon_h", hb_mpc_config, horizon_h, 0, 168, "h",
           "how far the plan looks (at most 400 steps)"),
    NUM("margin_k", hb_mpc_config, margin_k, 0, 5, "K",
        "the plan keeps the air this far above the band's lower edge"),
    NUM("w_violation", hb_mpc_config, w_violation, 0, 1e6, "kWh/(K·h)",
        "cost of a shortfall below the band (+ margin)"),
    NUM("w_track", hb_mpc_config, w_track, 0, 1e6, "kWh/(K·h)",
        "cost of a distance from the setpoint"),
    NUM("w_travel", hb_mpc_config, w_travel, 0, 1e3, "kWh/%", "cost of planned valve travel"),
    NUM("inner_kp", hb_mpc_config, inner_kp, 0, 1e4, "%/K",
        "correction between plans per K from the planned air temperature"),
    {.key = "arrive_early_min",
     .type = HB_F_NUM,
     .offset = offsetof(hb_mpc_config, arrive_early_s),
     .min = 0,
     .max = 1440,
     .scale = 60.0,
     .unit = "min",
     .doc = "warm-ups are planned to arrive this much before their period"},
    {.key = "learn",
     .type = HB_F_BOOL,
     .offset = offsetof(hb_mpc_config, learn),
     .doc = "correct the model online: the radiator's heat and the forecast gains' scale"},
};
static const hb_schema mpc_schema = SCHEMA(mpc_fields);
static const hb_field detect_fields[] = {
    {.key = "detect",
     .type = HB_F_BOOL,
     .offset = offsetof(hb_window_config, detect),
     .doc = "close the valve when the air falls fast (an open window)"},
    NUM_GT("drop_k", hb_window_config, drop_k, 0, 20, "K", "a fall of at least this"),
    NUM_S("within_min", hb_window_config, within_s, 0, 240, 60.0, "min", "within this long"),
    {.key = "close_min",
     .type = HB_F_NUM,
     .offset = offsetof(hb_window_config, close_s),
     .min = 0,
     .max = 1440,
     .scale = 60.0,
     .unit = "min",
     .doc = "closes the valve this long"},
};
static const hb_schema detect_schema = SCHEMA(detect_fields);
static const hb_field controller_fields[] = {
    ENUM("type", hb_room_ctl_config, algo, algos, "control algorithm"),
    NUM("update_s", hb_room_ctl_config, update_s, 1, 86400, "s",
        "the algorithm runs at most this often"),
    NUM("filter_s", hb_room_ctl_config, filter_s, 0, 86400, "s",
        "time constant of the estimate filter"),
    NUM("failsafe_level", hb_room_ctl_config, failsafe_level, 0, 100, "%",
        "fail-safe level before the controller has any history"),
    NUM("failsafe_hold_s", hb_room_ctl_config, failsafe_hold_s, 0, 86400, "s",
        "the last level is held this long before the fail-safe level"),
    NUM_GT("failsafe_avg_s", hb_room_ctl_config, failsafe_avg_s, 0, 604800, "s",
           "time constant of the mean level a fail-safe falls back to"),
    INT("quorum", hb_room_ctl_config, quorum, 1, HB_FUSION_MAX_SENSORS,
        "fresh sensors that must agree before the algorithm starts"),
    NUM("quorum_wait_s", hb_room_ctl_config, quorum_wait_s, 0, 86400, "s",
        "without a quorum for this long, start with the sensors that agree"),
    NUM("initial_level", hb_room_ctl_config, initial_level, 0, 100, "%",
        "bumpless start level (default: initial.valve_pct)"),
    NUM("deadband_pct", hb_room_ctl_config, deadband_pct, 0, 100, "%",
        "publish only changes this large"),
    NUM("min_interval_s", hb_room_ctl_config, min_interval_s, 0, 86400, "s",
        "at most one command per interval"),
    NUM_GT("heartbeat_s", hb_room_ctl_config, heartbeat_s, 0, 86400, "s",
           "re-send the level this often"),
    OBJ("fusion", hb_room_ctl_config, fusion, fusion_schema, "sensor fusion"),
    OBJ("pid", hb_room_ctl_config, pid, pid_schema, "PID settings"),
    OBJ("bangbang", hb_room_ctl_config, bangbang, bb_schema, "bang-bang settings"),
    {.key = "feed_forward",
     .type = HB_F_BOOL,
     .offset = offsetof(hb_room_ctl_config, feed_forward),
     .doc = "pid: add the level of the model's steady heat for the forecast"},
    {.key = "optimal_start",
     .type = HB_F_BOOL,
     .offset = offsetof(hb_room_ctl_config, optimal_start),
     .doc =
         "pid: optimal start/stop: start a warmer schedule period early by the model's warm-up "
         "time, and stop heating before a cooler one while the model keeps the room in its band"},
    OBJ("mpc", hb_room_ctl_config, mpc, mpc_schema, "model-predictive control settings"),
    OBJ("window", hb_room_ctl_config, window, detect_schema, "open-window detection"),
};
static const hb_schema controller_schema = SCHEMA(controller_fields);

/* ---- tuning ---- */
static const hb_field weight_fields[] = {
    NUM("w_discomfort", hb_cost_weights, discomfort, 0, 1e6, "per K·h",
        "cost weight of discomfort"),
    NUM("w_iae", hb_cost_weights, iae, 0, 1e6, "per K·h", "cost weight of the absolute error"),
    NUM("w_energy", hb_cost_weights, energy, 0, 1e6, "", "cost weight of the energy ratio above 1"),
    NUM("w_travel", hb_cost_weights, travel, 0, 1e6, "per 100 %", "cost weight of valve travel"),
    NUM("w_msgs", hb_cost_weights, msgs, 0, 1e6, "per 100", "cost weight of actuator messages"),
};
static const hb_schema weight_schema = SCHEMA(weight_fields);

/* ---- top level ---- */
static void hb__sensor_default(void *elem, size_t index) {
    /* A sensor in a file starts as the default's first sensor, named after its position. */
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_sensor_config *s = elem;
    *s = d.sensors[0];
    s->offset_k = 0.0;
    s->bias_k = 0.0;
    snprintf(s->id, sizeof s->id, "sensor-%zu", index + 1);
}

/* ---- schedule ---- */
static const hb_field period_fields[] = {
    STR("days", hb_schedule_period, days, 1,
        "\"all\", or days and ranges: \"mon-fri\", \"sat,sun\", \"mon,wed-fri\""),
    NUM("from_h", hb_schedule_period, from_h, 0, 24, "h", "start, hour of day"),
    NUM("to_h", hb_schedule_period, to_h, 0, 24, "h",
        "end, hour of day (before from_h: wraps midnight)"),
    NUM("setpoint_c", hb_schedule_period, setpoint_c, 5, 35, "°C", "setpoint in the period"),
    NUM("band_below_k", hb_schedule_period, below_k, 0, 20, "K",
        "comfort band below the setpoint (default comfort_band_k)"),
    NUM("band_above_k", hb_schedule_period, above_k, 0, 20, "K",
        "comfort band above the setpoint (default comfort_band_k)"),
};
static const hb_schema period_schema = SCHEMA(period_fields);
static void hb__period_default(void *elem, size_t index) {
    (void)index;
    hb_schedule_period *p = elem;
    *p = (hb_schedule_period){
        .days = "all", .from_h = 0, .to_h = 24, .setpoint_c = 22, .below_k = NAN, .above_k = NAN};
}
static const hb_field schedule_fields[] = {
    STR("start_day", hb_schedule, start_day, 3, "weekday of the run's first day: mon .. sun"),
    ARR("periods", hb_schedule, periods, n_periods, period_schema, 0, hb__period_default,
        "setpoint periods; the first that covers a moment wins, setpoint_c outside all"),
};
static const hb_schema schedule_schema = SCHEMA(schedule_fields);

static const hb_field forecast_fields[] = {
    NUM("t_out_bias_k", hb_forecast_config, t_out_bias_k, -20, 20, "K",
        "forecast minus actual outdoor temperature"),
    NUM("t_out_noise_k", hb_forecast_config, t_out_noise_k, 0, 20, "K",
        "standard deviation of a random hourly forecast error"),
    NUM("solar_bias_pct", hb_forecast_config, solar_bias_pct, -100, 1000, "%",
        "forecast minus actual sun, in % of the actual (100: believed twice as strong)"),
    NUM("solar_noise_pct", hb_forecast_config, solar_noise_pct, 0, 100, "%",
        "standard deviation of a random hourly error of the sun, in % of the actual"),
    NUM("gains_bias_w", hb_forecast_config, gains_bias_w, -5000, 5000, "W",
        "forecast minus actual internal gains"),
    NUM("gains_noise_w", hb_forecast_config, gains_noise_w, 0, 5000, "W",
        "standard deviation of a random hourly error of the internal gains"),
    NUM("t_supply_bias_k", hb_forecast_config, t_supply_bias_k, -30, 30, "K",
        "forecast minus actual supply temperature"),
    NUM("t_supply_noise_k", hb_forecast_config, t_supply_noise_k, 0, 20, "K",
        "standard deviation of a random hourly error of the supply temperature"),
    STR("model_file", hb_forecast_config, model_file, 0,
        "scenario whose room, radiator and valve the model-based controllers believe (\"\" = "
        "this one)"),
};
static const hb_schema forecast_schema = SCHEMA(forecast_fields);

/* In the order of HB_BKPI_ELE, HB_BKPI_GAS, HB_BKPI_DIH. */
static const char *const heat_sources[] = {"electricity", "gas", "district-heating", NULL};
static const hb_field boptest_fields[] = {
    NUM_GT("floor_area_m2", hb_bkpi_config, floor_area_m2, 0, 1e6, "m²",
           "floor area BOPTEST's energy, cost and peak KPIs are divided by"),
    ENUM("heat_source", hb_bkpi_config, source, heat_sources,
         "what the heat taken from the heating water is bought as (BOPTEST's peak KPI it counts "
         "in)"),
    NUM("price_per_kwh", hb_bkpi_config, price_per_kwh, 0, 100, "$/kWh", "price of a kWh of heat"),
    NUM("emission_kg_per_kwh", hb_bkpi_config, emission_kg_per_kwh, 0, 10, "kgCO2/kWh",
        "emission factor of a kWh of heat"),
};
static const hb_schema boptest_schema = SCHEMA(boptest_fields);

static const hb_field top_fields[] = {
    STR("name", hb_sim_config, name, 0, "scenario name"),
    STR("description", hb_sim_config, description, 0, "free text"),
    NUM_GT("duration_h", hb_sim_config, duration_h, 0, 876000, "h",
           "simulated time (up to 100 years)"),
    {.key = "seed",
     .type = HB_F_U64,
     .offset = offsetof(hb_sim_config, seed),
     .min = 0,
     .max = 9007199254740992.0,
     .doc = "seed of every random stream"},
    NUM("setpoint_c", hb_sim_config, setpoint_c, 5, 35, "°C", "room temperature to hold"),
    NUM("plant_step_s", hb_sim_config, plant.step_s, 0.1, 600, "s", "plant integration grid"),
    NUM_GT("trace_interval_s", hb_sim_config, trace_interval_s, 0, 86400, "s",
           "CSV row spacing (a multiple of plant_step_s)"),
    NUM("warmup_h", hb_sim_config, warmup_h, 0, 8760, "h", "comfort KPIs ignore the first hours"),
    NUM_GT("comfort_band_k", hb_sim_config, comfort_band_k, 0, 10, "K",
           "half width of the comfort band"),
    OBJ0("weather", weather_schema, "outdoor conditions"),
    OBJ("room", hb_sim_config, plant.room, room_schema, "thermal model of the room"),
    OBJ("radiator", hb_sim_config, plant.radiator, radiator_schema, "EN 442 radiator"),
    OBJ("valve", hb_sim_config, plant.valve, valve_schema, "valve and actuator"),
    OBJ("initial", hb_sim_config, plant, initial_schema, "initial state"),
    ARR("sensors", hb_sim_config, sensors, n_sensors, sensor_schema, 1, hb__sensor_default,
        "temperature sensors"),
    OBJ0("network", network_schema, "network links"),
    OBJ("controller", hb_sim_config, controller, controller_schema, "room controller"),
    OBJ("tuning", hb_sim_config, weights, weight_schema, "cost weights of heatbench tune"),
    OBJ("schedule", hb_sim_config, schedule, schedule_schema,
        "setpoint and comfort band by time of day and weekday"),
    OBJ("forecast", hb_sim_config, forecast, forecast_schema,
        "what feed-forward, optimal start and the MPC know of the weather and the room"),
    OBJ("boptest", hb_sim_config, boptest, boptest_schema,
        "how BOPTEST's KPIs (run --json, heatbench serve) count the room"),
};
static const hb_schema top_schema = SCHEMA(top_fields);

const hb_schema *hb_scenario_schema(void) {
    return &top_schema;
}

const hb_schema *hb_scenario_section(const char *key) {
    for (size_t i = 0; i < top_schema.n; i++) {
        if (strcmp(top_schema.fields[i].key, key) == 0) {
            return top_schema.fields[i].sub;
        }
    }
    return NULL;
}

/* ---- loading ------------------------------------------------------------------------------- */

/* Line and column (1-based) of POS in TEXT, for syntax error messages. */
static void hb__line_col(const char *text, const char *pos, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (const char *p = text; p < pos && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static bool hb__blank(const char *s) {
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            return false;
        }
    }
    return true;
}

/* Parses the weather CSV: optional header, then time_h,t_out_c[,solar_w_m2] per line. */
static int hb__load_weather_csv(hb_sim_config *cfg, const char *name, const char *base_dir,
                                char *err, size_t errlen) {
    char path[1024];
    if (cfg->weather.csv_file[0] == '/' || !base_dir || !*base_dir) {
        snprintf(path, sizeof path, "%s", cfg->weather.csv_file);
    } else {
        snprintf(path, sizeof path, "%s/%s", base_dir, cfg->weather.csv_file);
    }
    size_t len;
    char msg[512];
    char *text = hb_file_read(path, "weather file", HB__MAX_FILE, msg, sizeof msg, &len);
    if (!text) {
        snprintf(err, errlen, "%s: weather.csv_file: %s", name, msg);
        return HB_ERR_IO;
    }
    size_t cap = 64;
    size_t n = 0;
    double *buf = malloc(3 * cap * sizeof *buf);
    int rc = buf ? HB_OK : HB_ERR_NOMEM;
    int columns = 0;
    int lineno = 0;
    char *next = text;
    while (rc == HB_OK && next) {
        /* Split by hand (strtok would merge empty lines and miscount line numbers). */
        char *line = next;
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) {
            *nl = '\0';
        }
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (hb__blank(line) || line[0] == '#') {
            continue;
        }
        double v[3];
        int k = 0;
        const char *p = line;
        const char *end = line;
        while (k < 3) {
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            if (hb_parse_decimal(p, &v[k], &end) != 0) {
                end = p;
                break;
            }
            k++;
            while (*end == ' ' || *end == '\t') {
                end++;
            }
            if (*end != ',') {
                break;
            }
            p = end + 1;
        }
        bool header = (n == 0 && columns == 0 && k == 0);
        if (header) {
            columns = -1; /* header seen */
            continue;
        }
        if (k < 2 || (*end != '\0' && !hb__blank(end)) || !isfinite(v[0]) || !isfinite(v[1]) ||
            (k == 3 && !isfinite(v[2]))) {
            snprintf(err, errlen, "%s: line %d: expected time_h,t_out_c[,solar_w_m2]", path,
                     lineno);
            rc = HB_ERR_PARSE;
            break;
        }
        if (columns <= 0) {
            columns = k;
        } else if (k != columns) {
            snprintf(err, errlen, "%s: line %d: expected %d columns like the first row, got %d",
                     path, lineno, columns, k);
            rc = HB_ERR_PARSE;
            break;
        }
        if (n > 0 && !(v[0] > buf[3 * (n - 1)])) {
            snprintf(err, errlen, "%s: line %d: time_h must increase (%g after %g)", path, lineno,
                     v[0], buf[3 * (n - 1)]);
            rc = HB_ERR_RANGE;
            break;
        }
        if (v[1] < -60 || v[1] > 60 || (k == 3 && (v[2] < 0 || v[2] > 1500))) {
            snprintf(err, errlen,
                     "%s: line %d: value out of range (t_out_c in [-60, 60] °C, "
                     "solar_w_m2 in [0, 1500] W/m²)",
                     path, lineno);
            rc = HB_ERR_RANGE;
            break;
        }
        if (n == cap) {
            double *nb = realloc(buf, 3 * cap * 2 * sizeof *nb);
            if (!nb) {
                rc = HB_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        buf[3 * n] = v[0];
        buf[3 * n + 1] = v[1];
        buf[3 * n + 2] = k == 3 ? v[2] : 0.0;
        n++;
    }
    free(text);
    if (rc == HB_OK && n == 0) {
        snprintf(err, errlen, "%s: weather file has no data rows", path);
        rc = HB_ERR_PARSE;
    }
    if (rc == HB_ERR_NOMEM) {
        snprintf(err, errlen, "%s: out of memory", path);
    }
    if (rc != HB_OK) {
        free(buf);
        return rc;
    }
    /* Store as three contiguous columns (time, temperature, solar) in one allocation. */
    double *cols = malloc(3 * n * sizeof *cols);
    if (!cols) {
        free(buf);
        snprintf(err, errlen, "%s: out of memory", path);
        return HB_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        cols[i] = buf[3 * i];
        cols[n + i] = buf[3 * i + 1];
        cols[2 * n + i] = buf[3 * i + 2];
    }
    free(buf);
    hb_weather_set_series(&cfg->weather, cols, n, columns == 3);
    return HB_OK;
}

static int hb__load_file(const char *path, hb_sim_config *cfg, char *err, size_t errlen, int depth);

/* The belief of the model-based controllers: another scenario's room, radiator and valve. Only
 * its physics is taken (its own forecast.model_file is refused: no chains, no loops). */
static int hb__load_model(hb_sim_config *cfg, const char *name, const char *base_dir, char *err,
                          size_t errlen) {
    char path[1024];
    const char *f = cfg->forecast.model_file;
    if (f[0] == '/' || !base_dir || !*base_dir) {
        snprintf(path, sizeof path, "%s", f);
    } else {
        snprintf(path, sizeof path, "%s/%s", base_dir, f);
    }
    hb_sim_config *m = malloc(sizeof *m);
    if (!m) {
        snprintf(err, errlen, "%s: out of memory", name);
        return HB_ERR_NOMEM;
    }
    char msg[768];
    int rc = hb__load_file(path, m, msg, sizeof msg, 1);
    if (rc == HB_OK) {
        cfg->forecast.model = m->plant;
        cfg->forecast.model.weather = NULL;
        cfg->forecast.has_model = true;
    } else {
        snprintf(err, errlen, "%s: forecast.model_file: %s", name, msg);
    }
    hb_sim_config_free(m);
    free(m);
    return rc;
}

int hb_scenario_validate(const hb_sim_config *c, const char *name, char *err, size_t errlen) {
#define HB__FAIL(...)                                                                              \
    do {                                                                                           \
        int off_ = snprintf(err, errlen, "%s: ", name);                                            \
        if (off_ > 0 && (size_t)off_ < errlen) {                                                   \
            snprintf(err + off_, errlen - (size_t)off_, __VA_ARGS__);                              \
        }                                                                                          \
        return HB_ERR_RANGE;                                                                       \
    } while (0)
    const hb_room_config *r = &c->plant.room;
    double ua_env = (1.0 - r->direct_share) * r->ua_w_per_k;
    if (!(r->air_mass_w_per_k > ua_env)) {
        HB__FAIL("room.air_mass_w_per_k: expected more than the envelope's share of UA "
                 "((1 - direct_share) * ua_w_per_k = %g W/K), got %g W/K",
                 ua_env, r->air_mass_w_per_k);
    }
    if (c->weather.t_max_c < c->weather.t_min_c) {
        HB__FAIL("weather.t_max_c: expected at least weather.t_min_c (%g °C), got %g °C",
                 c->weather.t_min_c, c->weather.t_max_c);
    }
    if (c->weather.kind == HB_WEATHER_CSV && c->weather.csv_n == 0) {
        HB__FAIL("weather.csv_file: required when weather.model is \"csv\"");
    }
    if (c->weather.solar_peak_w_m2 > 0 && c->weather.sunset_h <= c->weather.sunrise_h) {
        HB__FAIL("weather.sunset_h: expected later than weather.sunrise_h (%g h), got %g h",
                 c->weather.sunrise_h, c->weather.sunset_h);
    }
    double steps = c->trace_interval_s / c->plant.step_s;
    if (fabs(steps - round(steps)) > 1e-9 || steps < 0.5) {
        HB__FAIL("trace_interval_s: expected a multiple of plant_step_s (%g s), got %g s",
                 c->plant.step_s, c->trace_interval_s);
    }
    const hb_radiator_config *d = &c->plant.radiator;
    if (d->supply_mode == HB_SUPPLY_CURVE && d->curve_max_c < d->curve_min_c) {
        HB__FAIL("radiator.curve_max_c: expected at least radiator.curve_min_c (%g °C), got %g °C",
                 d->curve_min_c, d->curve_max_c);
    }
    if (!(d->capacity_j_per_k > 0)) {
        HB__FAIL("radiator.capacity_kj_per_k: expected a number in (0, 10000] kJ/K");
    }
    if (c->controller.pid.out_max <= c->controller.pid.out_min) {
        HB__FAIL("controller.pid: output range is empty");
    }
    for (size_t i = 0; i < c->n_sensors; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->sensors[i].id, c->sensors[j].id) == 0) {
                HB__FAIL("sensors[%zu].id: \"%s\" is already the id of sensors[%zu]", i,
                         c->sensors[i].id, j);
            }
        }
    }
    if (c->n_sensors > c->controller.fusion.expected_sensors) {
        HB__FAIL("controller.fusion.expected_sensors: expected at least the number of sensors "
                 "(%zu), got %zu",
                 c->n_sensors, c->controller.fusion.expected_sensors);
    }
    char msg[512];
    hb_schedule sched = c->schedule;
    if (hb_schedule_prepare(&sched, msg, sizeof msg) != HB_OK) {
        HB__FAIL("schedule.%s", msg);
    }
    if (hb_sim_config_check(c, msg, sizeof msg) != HB_OK) {
        HB__FAIL("%s", msg);
    }
    return HB_OK;
#undef HB__FAIL
}

/* DEPTH is 1 for a forecast.model_file being loaded: its own model_file is refused before it
 * is followed (a file naming itself would recurse for ever). */
static int hb__load_string(const char *text, const char *name, const char *base_dir,
                           hb_sim_config *cfg, char *err, size_t errlen, int depth) {
    hb_sim_config_default(cfg);
    if (hb__blank(text)) {
        snprintf(err, errlen, "%s: file is empty; expected a JSON object", name);
        return HB_ERR_PARSE;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        /* cJSON's stop position is approximate: it may sit just past the offending token, on
         * the whitespace after it. Step back to the last character it consumed and quote that
         * whole line, which is what a person needs to find the mistake. */
        const char *at = end ? end : text;
        bool eof = *at == '\0';
        while (at > text &&
               (*at == '\0' || *at == ' ' || *at == '\t' || *at == '\r' || *at == '\n')) {
            at--;
        }
        int line;
        int col;
        hb__line_col(text, at, &line, &col);
        const char *ls = at;
        while (ls > text && ls[-1] != '\n') {
            ls--;
        }
        while (*ls == ' ' || *ls == '\t') {
            ls++;
        }
        int n = (int)strcspn(ls, "\r\n");
        snprintf(err, errlen, "%s:%d:%d: JSON syntax error%s in: %.*s", name, line, col,
                 eof ? " (unexpected end of file)" : "", n < 80 ? n : 80, ls);
        return HB_ERR_PARSE;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "%s: expected a JSON object at the top level", name);
        cJSON_Delete(root);
        return HB_ERR_PARSE;
    }
    /* Defaults that depend on other keys are marked NaN and derived after parsing. */
    cfg->plant.radiator.capacity_j_per_k = NAN;
    cfg->controller.initial_level = NAN;
    cfg->controller.fusion.expected_sensors = 0;
    char msg[768];
    int rc = hb_schema_apply(&top_schema, root, cfg, "", msg, sizeof msg);
    cJSON_Delete(root);
    if (rc != HB_OK) {
        snprintf(err, errlen, "%s: %s", name, msg);
        return rc;
    }
    if (isnan(cfg->plant.radiator.capacity_j_per_k)) {
        cfg->plant.radiator.capacity_j_per_k = 37.5 * cfg->plant.radiator.q50_w;
    }
    if (cfg->controller.fusion.expected_sensors == 0) {
        cfg->controller.fusion.expected_sensors = cfg->n_sensors;
    }
    if (isnan(cfg->controller.initial_level)) {
        cfg->controller.initial_level = cfg->plant.valve0_pct;
    }
    if (cfg->weather.kind == HB_WEATHER_CSV && cfg->weather.csv_file[0]) {
        rc = hb__load_weather_csv(cfg, name, base_dir, err, errlen);
        if (rc != HB_OK) {
            return rc;
        }
    }
    if (cfg->forecast.model_file[0] && depth > 0) {
        snprintf(err, errlen, "%s: forecast.model_file: a model file cannot name another", name);
        hb_sim_config_free(cfg);
        return HB_ERR_RANGE;
    }
    if (cfg->forecast.model_file[0]) {
        rc = hb__load_model(cfg, name, base_dir, err, errlen);
        if (rc != HB_OK) {
            hb_sim_config_free(cfg);
            return rc;
        }
    }
    return hb_scenario_validate(cfg, name, err, errlen);
}

int hb_scenario_load_string(const char *text, const char *name, const char *base_dir,
                            hb_sim_config *cfg, char *err, size_t errlen) {
    return hb__load_string(text, name, base_dir, cfg, err, errlen, 0);
}

static int hb__load_file(const char *path, hb_sim_config *cfg, char *err, size_t errlen,
                         int depth) {
    hb_sim_config_default(cfg);
    size_t len;
    char *text = hb_file_read(path, "scenario", HB__MAX_FILE, err, errlen, &len);
    if (!text) {
        return HB_ERR_IO;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
    } else {
        snprintf(dir, sizeof dir, ".");
    }
    int rc = hb__load_string(text, path, dir, cfg, err, errlen, depth);
    free(text);
    return rc;
}

int hb_scenario_load_file(const char *path, hb_sim_config *cfg, char *err, size_t errlen) {
    return hb__load_file(path, cfg, err, errlen, 0);
}
