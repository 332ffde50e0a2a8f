#include "hb_weather.h"
#include "../util/hb_numeric.h"

#include <math.h>
#include <stdlib.h>

#define HB_PI 3.14159265358979323846

/* ASHRAE Handbook (Fundamentals, ch. 14) fraction of the daily range below the maximum, for the
 * hours ending 01:00 .. 24:00. Minimum at 05:00, maximum at 15:00, as EnergyPlus uses it. */
static const double hb__ashrae_m[24] = {0.87, 0.92, 0.96, 0.99, 1.00, 0.98, 0.93, 0.84,
                                        0.71, 0.56, 0.39, 0.23, 0.11, 0.03, 0.00, 0.03,
                                        0.10, 0.21, 0.34, 0.47, 0.58, 0.68, 0.76, 0.82};

static double hb__hour_of_day(double t_s) {
    double h = hb_fmod24(t_s / 3600.0);
    return h < 0 ? h + 24.0 : h;
}

/* Linear interpolation in a series held constant beyond its ends. Binary search, so a long
 * EPW-sized series costs log2(8760) ~ 13 comparisons per call. */
static double hb__interp(const double *x, const double *y, size_t n, double at) {
    if (n == 0) {
        return 0.0;
    }
    if (at <= x[0]) {
        return y[0];
    }
    if (at >= x[n - 1]) {
        return y[n - 1];
    }
    size_t lo = 0;
    size_t hi = n - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= at) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    double f = (at - x[lo]) / (x[hi] - x[lo]);
    return y[lo] + f * (y[hi] - y[lo]);
}

double hb_weather_t_out(const hb_weather_config *w, double t_s) {
    switch (w->kind) {
    case HB_WEATHER_CONSTANT:
        return w->constant_c;
    case HB_WEATHER_DESIGN_DAY: {
        /* The multiplier for "hour ending k" is the value at k:00; interpolate between them,
         * wrapping 24:00 to 00:00. */
        double h = hb__hour_of_day(t_s);
        int k = (int)floor(h); /* between k:00 and (k+1):00 */
        double f = h - k;
        double m0 = hb__ashrae_m[(k + 23) % 24];
        double m1 = hb__ashrae_m[k % 24];
        double m = m0 + f * (m1 - m0);
        return w->t_max_c - (w->t_max_c - w->t_min_c) * m;
    }
    case HB_WEATHER_SINE: {
        double h = hb__hour_of_day(t_s);
        double mean = 0.5 * (w->t_max_c + w->t_min_c);
        double amp = 0.5 * (w->t_max_c - w->t_min_c);
        return mean - amp * cos(2.0 * HB_PI * (h - w->min_hour) / 24.0);
    }
    case HB_WEATHER_CSV:
        return hb__interp(w->csv_h, w->csv_t_c, w->csv_n, t_s / 3600.0);
    }
    return w->constant_c;
}

double hb_weather_solar(const hb_weather_config *w, double t_s) {
    if (w->kind == HB_WEATHER_CSV && w->csv_solar) {
        double s = hb__interp(w->csv_h, w->csv_solar, w->csv_n, t_s / 3600.0);
        return s > 0 ? s : 0.0;
    }
    if (w->solar_peak_w_m2 <= 0 || w->sunset_h <= w->sunrise_h) {
        return 0.0;
    }
    double h = hb__hour_of_day(t_s);
    if (h <= w->sunrise_h || h >= w->sunset_h) {
        return 0.0;
    }
    return w->solar_peak_w_m2 * sin(HB_PI * (h - w->sunrise_h) / (w->sunset_h - w->sunrise_h));
}

void hb_weather_set_series(hb_weather_config *w, double *cols, size_t n, int has_solar) {
    hb_weather_config_free(w);
    w->csv_owned = cols;
    w->csv_h = cols;
    w->csv_t_c = cols + n;
    w->csv_solar = has_solar ? cols + 2 * n : NULL;
    w->csv_n = n;
}

void hb_weather_config_free(hb_weather_config *w) {
    free(w->csv_owned);
    w->csv_owned = NULL;
    w->csv_h = w->csv_t_c = w->csv_solar = NULL;
    w->csv_n = 0;
}
