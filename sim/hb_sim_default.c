/*
 * The built-in default scenario. Every number here is documented, with its unit and range, in
 * docs/scenarios.md, and scenarios/default.json spells the same values out as a file.
 */
#include "hb_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hb__sensor(hb_sensor_config *s, int n, double offset, double bias) {
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "sensor-%d", n);
    s->offset_k = offset;
    s->bias_k = bias;
    s->noise_k = 0.05;
    s->lag_s = 120.0;
    s->quant_k = 0.1;
    s->period_s = 10.0;
    s->jitter_s = 1.0;
    s->report_change_k = 0.0;
    s->max_silence_s = 300.0;
}

void hb_sim_config_default(hb_sim_config *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "default");
    c->duration_h = 24.0;
    c->seed = 1;
    c->setpoint_c = 22.0;
    c->trace_interval_s = 60.0;
    c->warmup_h = 1.0;
    c->comfort_band_k = 0.5;
    /* BOPTEST's KPIs: the seed's 20 m² room heated by a gas boiler, at testcase1's gas price and
     * emission factor. */
    c->boptest = (hb_bkpi_config){.floor_area_m2 = 20.0,
                                  .source = HB_BKPI_GAS,
                                  .price_per_kwh = 0.07,
                                  .emission_kg_per_kwh = 0.2};

    /* A Munich winter day (test reference year: -5.6 °C at 09:00 to +2.9 °C at 15:00) on the
     * ASHRAE design-day shape, with a weak winter sun on a south window. */
    c->weather = (hb_weather_config){.kind = HB_WEATHER_DESIGN_DAY,
                                     .constant_c = 0.0,
                                     .t_min_c = -6.0,
                                     .t_max_c = 3.0,
                                     .min_hour = 5.0,
                                     .solar_peak_w_m2 = 150.0,
                                     .sunrise_h = 8.0,
                                     .sunset_h = 16.0};

    hb_plant_config *p = &c->plant;
    /* 20 m² floor, 2.5 m high: air 60 kJ/K times 5 for furniture; medium mass class
     * 165 kJ/(m²K); H_am = 9.1 W/(m²K) over 2.5 * A_floor (ISO 13790). */
    p->room = (hb_room_config){.ua_w_per_k = 30.0,
                               .direct_share = 0.4,
                               .air_capacity_j_per_k = 300e3,
                               .mass_capacity_j_per_k = 3.3e6,
                               .air_mass_w_per_k = 455.0,
                               .window_area_m2 = 3.0,
                               .solar_g = 0.6,
                               .solar_to_mass = 0.5,
                               .base_gains_w = 0.0,
                               .n_gains = 2};
    p->room.gains[0] = (hb_gain_period){.from_h = 7.0, .to_h = 9.0, .watts = 120.0};
    p->room.gains[1] = (hb_gain_period){.from_h = 18.0, .to_h = 23.0, .watts = 180.0};
    /* A 1.5 kW panel: 37.5 J/K of water and steel per watt of rating (Modelica EN442_2). */
    p->radiator = (hb_radiator_config){.q50_w = 1500.0,
                                       .exponent = 1.3,
                                       .capacity_j_per_k = 1500.0 * 37.5,
                                       .segments = 5,
                                       .supply_mode = HB_SUPPLY_FIXED,
                                       .supply_c = 70.0,
                                       .curve_slope = 1.4,
                                       .curve_base_c = 25.0,
                                       .curve_min_c = 25.0,
                                       .curve_max_c = 75.0};
    p->valve = (hb_valve_config){.characteristic = HB_VALVE_LINEAR,
                                 .rangeability = 50.0,
                                 .authority = 0.5,
                                 .stroke_time_s = 120.0,
                                 .deadband_pct = 0.0};
    p->step_s = 20.0;
    p->t_start_s = 0.0;
    p->t_air0_c = 22.0;
    p->t_mass0_c = NAN;
    p->valve0_pct = 20.0;

    /* Five sensors that read differently, as five sensors in one room do: by the window, by
     * the radiator, on an inner wall, by the door, on a shelf. Offsets and biases sum to 0. */
    static const double offsets[5] = {-0.6, 0.7, 0.0, -0.3, 0.2};
    static const double biases[5] = {0.1, -0.2, 0.15, -0.1, 0.05};
    c->n_sensors = 5;
    for (int i = 0; i < 5; i++) {
        hb__sensor(&c->sensors[i], i + 1, offsets[i], biases[i]);
    }
    c->net_readings = (hb_netlink_config){.latency_s = 0.05, .jitter_s = 0.2, .loss = 0.0};
    c->net_commands = (hb_netlink_config){.latency_s = 0.1, .jitter_s = 0.5, .loss = 0.0};

    hb_room_ctl_config *k = &c->controller;
    k->algo = HB_ALGO_PID;
    k->setpoint_c = c->setpoint_c;
    k->update_s = 60.0;
    k->filter_s = 120.0;
    k->failsafe_level = 30.0;
    k->failsafe_hold_s = 1800.0;
    k->failsafe_avg_s = 3600.0;
    k->quorum = 3;
    k->quorum_wait_s = 900.0;
    k->initial_level = p->valve0_pct;
    k->deadband_pct = 2.0;
    k->min_interval_s = 60.0;
    k->heartbeat_s = 3600.0;
    k->fusion = (hb_fusion_config){.stale_s = 300.0, .outlier_k = 1.5, .expected_sensors = 5};
    k->pid = (hb_pid_config){.kp = 20.0,
                             .ki = 20.0,
                             .kd = 0.0,
                             .b = 1.0,
                             .d_filter_n = 10.0,
                             .tt_h = 0.0,
                             .out_min = 0.0,
                             .out_max = 100.0,
                             .max_dt_s = 900.0,
                             .i_band_k = 1.0};
    /* The MPC's defaults: a plan every 15 minutes over a day; a shortfall costs far more than
     * any heat (5 kWh per K·h); tracking the setpoint is worth more than the 30-odd Wh an hour
     * a kelvin of a typical room costs, so the MPC holds the setpoint rather than the band's
     * edge; travel costs little. Measured in docs/benchmarks.md ("Predictive control"). */
    k->mpc = (hb_mpc_config){.step_s = 900.0,
                             .horizon_h = 24.0,
                             .margin_k = 0.1,
                             .w_violation = 5.0,
                             .w_track = 0.15,
                             .w_travel = 5e-4,
                             .inner_kp = 10.0,
                             .arrive_early_s = 3600.0,
                             .learn = true};
    /* Open-window detection, off unless asked: 0.5 K within 10 min (3 K/h, the slope Home
     * Assistant's Versatile Thermostat starts from) closes the valve for up to 30 min. */
    k->window =
        (hb_window_config){.detect = false, .drop_k = 0.5, .within_s = 600, .close_s = 1800};
    hb_cost_weights_default(&c->weights);
    c->schedule = (hb_schedule){.start_day = "mon"};
    k->bangbang = (hb_bangbang_config){.hysteresis_k = 0.5, .on_level = 100.0, .off_level = 0.0};
}

void hb_sim_config_free(hb_sim_config *c) {
    hb_weather_config_free(&c->weather);
}
