/*
 * Outdoor conditions: air temperature and solar irradiance on the room's windows, as pure
 * functions of simulated time (seconds since midnight of day 0; profiles repeat every 24 h).
 */
#ifndef HB_WEATHER_H
#define HB_WEATHER_H

#include <stddef.h>

enum hb_weather_kind {
    HB_WEATHER_CONSTANT,   /* t_out = constant_c */
    HB_WEATHER_DESIGN_DAY, /* ASHRAE hourly multipliers between t_min_c and t_max_c */
    HB_WEATHER_SINE,       /* cosine with its minimum at min_hour */
    HB_WEATHER_CSV         /* series of (time_h, t_out_c[, solar_w_m2]) with linear interpolation */
};

typedef struct hb_weather_config {
    enum hb_weather_kind kind;
    double constant_c; /* °C */
    double t_min_c;    /* °C, design-day and sine */
    double t_max_c;    /* °C */
    double min_hour;   /* h, sine only: hour of the minimum */
    /* Solar irradiance on the window plane, a half sine between sunrise and sunset (W/m²). */
    double solar_peak_w_m2;
    double sunrise_h;
    double sunset_h;
    /* CSV series: times strictly increasing, in hours from the start of the run; held constant
     * beyond both ends. The columns point into csv_owned when hb_weather_set_series filled them
     * in (a copy of the configuration shares them and must clear csv_owned). */
    char csv_file[256]; /* where the series came from, relative to the scenario file */
    double *csv_owned;
    const double *csv_h;
    const double *csv_t_c;
    const double *csv_solar; /* NULL when the file has no solar column */
    size_t csv_n;
} hb_weather_config;

/* Takes COLS (3·N doubles: times, temperatures, irradiances, each contiguous) as the CSV series;
 * the irradiance column is used only when HAS_SOLAR. Frees a series held before. */
void hb_weather_set_series(hb_weather_config *w, double *cols, size_t n, int has_solar);

/* Frees the series W owns and forgets it; W stays usable. */
void hb_weather_config_free(hb_weather_config *w);

/* Outdoor air temperature (°C) at T_S seconds. */
double hb_weather_t_out(const hb_weather_config *w, double t_s);

/* Solar irradiance on the window (W/m²) at T_S seconds, never negative. */
double hb_weather_solar(const hb_weather_config *w, double t_s);

#endif
