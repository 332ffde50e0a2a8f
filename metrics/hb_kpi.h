/*
 * The key performance indicators of a run, computed in one place: the simulator feeds them the
 * true air temperature on its plant grid, the report feeds them the rows of a trace, and the
 * tuner scores them (hb_cost.h). The comfort figures integrate the distance from the setpoint and
 * from the comfort band in force with the trapezoidal rule over each interval.
 */
#ifndef HB_KPI_H
#define HB_KPI_H

#include "hb_bkpi.h"

#include <stdint.h>

typedef struct hb_kpis {
    /* The comfort KPIs (discomfort to mean_t_air_c) are NaN when the run ended inside the
     * warm-up: there is nothing to measure, and 0 would read as perfect. */
    double discomfort_kh;   /* ∫ distance outside the band in force dt, after warm-up, K·h */
    double rmse_k;          /* RMS of air temperature - setpoint after warm-up, K */
    double iae_kh;          /* ∫ |air temperature - setpoint| dt after warm-up, K·h */
    double max_overshoot_k; /* max(air - setpoint, 0) after warm-up */
    double max_undershoot_k;
    double in_band_pct;      /* time share inside the band after warm-up, % */
    double mean_t_air_c;     /* after warm-up */
    double energy_kwh;       /* heat taken from the heating water */
    double energy_floor_kwh; /* the least heat that keeps the band (sim/hb_energy.h) */
    double energy_ideal_kwh; /* the heat of holding exactly the setpoint path */
    double energy_ratio;     /* energy / floor; NaN without a floor or when it is 0 */
    double peak_power_w;     /* largest 15-minute mean of the water heat */
    double valve_travel_pct;
    long actuator_msgs; /* commands the controller published */
    long commands_lost;
    long readings_published;
    long readings_lost;
    double failsafe_h;    /* time the controller spent in fail-safe */
    double balance_error; /* |in - out - stored| / in over the run */
    uint64_t events;
    hb_bkpi_out boptest; /* BOPTEST's KPIs (time_rat NaN: no client in a run) */
} hb_kpis;

/* The comfort accumulator: intervals of air temperature, linear in between, against a setpoint
 * and a band [lo, hi] that hold over the interval. */
typedef struct hb_kpi_comfort {
    double t_from; /* intervals starting before this (the warm-up) are not counted */
    double acc_t, acc_sq, acc_mean, acc_in_band;
    double discomfort_kh, iae_kh, max_overshoot_k, max_undershoot_k;
} hb_kpi_comfort;

void hb_kpi_comfort_init(hb_kpi_comfort *c, double t_from);

/* Adds the interval [TA, TB] with air temperatures AIR_A, AIR_B. */
void hb_kpi_comfort_step(hb_kpi_comfort *c, double ta, double air_a, double tb, double air_b,
                         double setpoint, double lo, double hi);

/* Writes the comfort KPIs (discomfort_kh to mean_t_air_c) into K; all NaN when nothing was
 * counted. Derived from the accumulator, never added to it: it can be called again later. */
void hb_kpi_comfort_finish(const hb_kpi_comfort *c, hb_kpis *k);

#endif
