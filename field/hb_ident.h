/*
 * A digital twin from a room's own data: the grey model of the simulator (two room nodes, the
 * EN 442 radiator behind the valve, the sun through the glazing, sensor lag) fitted to a trace
 * of the room's sensors, valve commands and outdoor temperature.
 *
 * Output-error fit: the plant is simulated from the trace's first usable row with the recorded
 * valve commands and weather, and its lagged air temperature compared with the sensors' fused
 * reading at every row (GSL multifit_nlinear, trust region, Levenberg–Marquardt, from several
 * starts drawn in physically sensible ranges). The sensors' offsets from one another come from
 * the data first (the median of each one's deviation from the row's median), so the fit sees
 * one reading per row, as a controller does.
 *
 * What the data can tell: temperatures alone fix every heat flow only up to a common factor
 * (UA, conductances, capacities and the radiator's output all scaled by k give the same
 * trajectories). The heat the scenario knows in watts (its internal-gain schedule) or a
 * parameter held at its known value (--fix q50_w, from the radiator's data sheet) fixes the
 * scale; without one, the intervals say so.
 */
#ifndef HB_IDENT_H
#define HB_IDENT_H

#include "../metrics/hb_trace.h"
#include "hb_ident_data.h"
#include "../sim/hb_sim.h"

#include <stdbool.h>
#include <stddef.h>

/* The parameters, in the order of the fit's vector. */
typedef enum hb_ident_param {
    HB_IDENT_UA,           /* room.ua_w_per_k, W/K */
    HB_IDENT_DIRECT_SHARE, /* room.direct_share */
    HB_IDENT_C_AIR,        /* room.air_capacity, J/K */
    HB_IDENT_C_MASS,       /* room.mass_capacity, J/K */
    HB_IDENT_H_AM,         /* room.air_mass_w_per_k, W/K */
    HB_IDENT_Q50,          /* radiator.q50_w, W */
    HB_IDENT_APERTURE,     /* room.window_area_m2 (at the scenario's solar_g), m² */
    HB_IDENT_GAINS,        /* room.base_gains_w, W (beside the scenario's gain schedule) */
    HB_IDENT_MASS0,        /* the mass's start temperature above its steady state, K */
    HB_IDENT_LAG,          /* the sensors' first-order lag, s */
    HB_IDENT_NPAR
} hb_ident_param;

/* "ua_w_per_k", ... as the scenario and --fix name them; NULL out of range. */
const char *hb_ident_param_name(int i);
/* The parameter of NAME, or -1. */
int hb_ident_param_find(const char *name);

typedef struct hb_ident_options {
    double holdout_h; /* the trace's last hours kept for validation; NaN: a quarter, at most 24 */
    int starts;       /* fits from different starts (the first is the base scenario's values) */
    unsigned fixed;   /* bit i: parameter i held at the base scenario's value */
    uint64_t seed;    /* of the starts' stream "identify/starts" */
} hb_ident_options;

void hb_ident_options_default(hb_ident_options *o);

typedef struct hb_ident_estimate {
    double value;        /* in the units above */
    double lo, hi;       /* 95 % confidence interval */
    bool fixed;          /* held at the base's value */
    bool identified;     /* its interval within a quarter of it (or a set width) either way */
    int correlated_with; /* the parameter it is most correlated with, or -1 */
    double corr;         /* that correlation */
} hb_ident_estimate;

typedef struct hb_ident_result {
    hb_ident_estimate p[HB_IDENT_NPAR];
    double corr[HB_IDENT_NPAR][HB_IDENT_NPAR]; /* of the free parameters (0 elsewhere) */
    int n_sensors;
    double offset_k[HB_IDENT_MAX_SENSORS]; /* each sensor's offset from their mean, K */
    double noise_k[HB_IDENT_MAX_SENSORS];  /* its scatter about the model, K */
    double t_first_s, t_split_s, t_end_s;  /* fit from first to split, validate to end */
    size_t rows_fit, rows_holdout;
    double rmse_fit_k;   /* free run over the fitted part, after its first hour */
    double rmse_free_k;  /* free run over the held-out part (NaN without one) */
    double rmse_1h_k;    /* one hour ahead from the measured temperature, held-out part */
    double ci_inflation; /* the factor the residuals' autocorrelation widened intervals by */
    int starts_run, starts_ok, evaluations;
    hb_sim_config model; /* the base with the estimates in; its weather is the base's */
    /* Row series for the report: time, fused reading, the model's free run (NaN where none). */
    double *series; /* 3 × n_series, time-major: t, measured, predicted */
    size_t n_series;
} hb_ident_result;

/* Fits BASE's room to TRACE (columns time_s, sensor_1.., level_cmd, optional t_out: without it
 * the base's weather is used). HB_OK; HB_ERR_PARSE with a message naming what the trace lacks;
 * HB_ERR_NUMERIC when no start converged; HB_ERR_NOMEM. R owns memory: hb_ident_result_free. */
int hb_ident_fit(const hb_sim_config *base, const hb_trace *trace, const hb_ident_options *o,
                 hb_ident_result *r, char *err, size_t errlen);
void hb_ident_result_free(hb_ident_result *r);

#endif
