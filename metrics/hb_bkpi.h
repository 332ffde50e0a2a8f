/*
 * BOPTEST's core KPIs (ibpsa/project1-boptest, kpis/kpi_calculator.py), computed as a stream so
 * that both `heatbench serve` (/kpi) and `heatbench run --json` can report them without keeping
 * the whole series: the integrals use the trapezoidal rule between consecutive samples, the peak
 * powers are the largest mean over the 15-minute bins [k·900 s, (k+1)·900 s) that BOPTEST's
 * resampling makes, all normalised by the floor area as BOPTEST does.
 *
 * Units: tdis K·h per zone, idis ppm·h per zone, ener kWh/m², cost $/m², emis kgCO2/m², peaks
 * kW/m². A KPI whose source the test case does not model is NaN (BOPTEST's null).
 */
#ifndef HB_BKPI_H
#define HB_BKPI_H

#include <stdbool.h>

/* The energy vectors BOPTEST distinguishes for its peak KPIs. */
enum { HB_BKPI_ELE = 0, HB_BKPI_GAS, HB_BKPI_DIH, HB_BKPI_NSRC };

/* What a heatbench room's heat is counted as (scenario keys boptest.*). */
typedef struct hb_bkpi_config {
    double floor_area_m2;
    int source; /* HB_BKPI_ELE, HB_BKPI_GAS or HB_BKPI_DIH */
    double price_per_kwh;
    double emission_kg_per_kwh;
} hb_bkpi_config;

/* One sample of a test: the zone, its comfort limits and each source's power, price and factor. */
typedef struct hb_bkpi_sample {
    double t;     /* s */
    double t_air; /* K (any unit, as long as the limits share it) */
    double t_lo, t_hi;
    double co2, co2_hi;            /* ppm; ignored without CO2 */
    double power[HB_BKPI_NSRC];    /* W */
    double price[HB_BKPI_NSRC];    /* $/kWh */
    double emission[HB_BKPI_NSRC]; /* kgCO2/kWh */
} hb_bkpi_sample;

typedef struct hb_bkpi {
    double area_m2;
    bool has_co2;
    bool has_src[HB_BKPI_NSRC];
    bool started;
    hb_bkpi_sample last;
    double tdis_kh, idis_ppmh, ener_wh, cost, emis;
    long bin;                     /* the 15-minute bin being filled */
    double bin_sum[HB_BKPI_NSRC]; /* its power sums and sample count */
    long bin_n;
    double peak_w[HB_BKPI_NSRC];
    double ratio_sum; /* time_rat: the sum and count of control-time ratios */
    long ratio_n;
} hb_bkpi;

typedef struct hb_bkpi_out {
    double tdis_tot, idis_tot, ener_tot, cost_tot, emis_tot;
    double pele_tot, pgas_tot, pdih_tot;
    double time_rat;
} hb_bkpi_out;

/* Starts an empty accumulator for a test case of AREA_M2 with the sources HAS_SRC (may be NULL:
 * none) and, when HAS_CO2, the indoor-air-quality KPI. */
void hb_bkpi_init(hb_bkpi *k, double area_m2, bool has_co2, const bool *has_src);

/* Adds sample S (times must not decrease; a repeated time adds no interval). */
void hb_bkpi_add(hb_bkpi *k, const hb_bkpi_sample *s);

/* Adds one control-time ratio (wall time between two advances / control step) to time_rat. */
void hb_bkpi_add_ratio(hb_bkpi *k, double ratio);

/* The KPIs so far; may be called again later (nothing is consumed). */
void hb_bkpi_result(const hb_bkpi *k, hb_bkpi_out *out);

#endif
