/*
 * The identification's view of a trace: one fused reading per row, the valve command in force
 * and the outdoor temperature, from the first row that has both a reading and a command. Kept
 * apart from the fit so that what the data says (offsets, gaps, the weather series) is decided
 * once, before any model sees it.
 */
#include "hb_ident_data.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The median of the finite values of V (N of them, reordered), or NaN. */
static double hb__median(double *v, size_t n) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            v[m++] = v[i];
        }
    }
    if (m == 0) {
        return NAN;
    }
    gsl_sort(v, 1, m);
    return gsl_stats_median_from_sorted_data(v, 1, m);
}

/* Each sensor's offset from the others: the median over rows of its deviation from the row's
 * median, then shifted so that the offsets average zero (the room's temperature is the mean of
 * its sensors' true values, as the simulator defines offset_k). Robust to a sensor that lies for
 * a while and to dropouts. */
static int hb__offsets(const hb_trace *tr, const int *cs, int ns, double *off) {
    size_t n = tr->nrow;
    double *dev = malloc(n * sizeof *dev);
    if (!dev) {
        return HB_ERR_NOMEM;
    }
    double row[HB_IDENT_MAX_SENSORS];
    double sum = 0;
    for (int k = 0; k < ns; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const double *r = tr->data + i * tr->ncol;
            int present = 0;
            for (int j = 0; j < ns; j++) {
                row[j] = r[cs[j]];
                present += isfinite(row[j]) ? 1 : 0;
            }
            double y = r[cs[k]];
            if (present >= 2 && isfinite(y)) {
                dev[m++] = y - hb__median(row, (size_t)ns);
            }
        }
        off[k] = m > 0 ? hb__median(dev, m) : 0.0;
        sum += off[k];
    }
    for (int k = 0; k < ns; k++) {
        off[k] -= sum / ns;
    }
    free(dev);
    return HB_OK;
}

/* The row's reading: the sensors' values less their offsets, those within OUTLIER_K of their
 * median averaged (the fusion rule of the controller), or NaN without any. */
static double hb__fuse(const double *r, const int *cs, int ns, const double *off,
                       double outlier_k) {
    double v[HB_IDENT_MAX_SENSORS];
    double c[HB_IDENT_MAX_SENSORS];
    for (int k = 0; k < ns; k++) {
        c[k] = v[k] = r[cs[k]] - off[k];
    }
    double med = hb__median(v, (size_t)ns);
    if (!isfinite(med)) {
        return NAN;
    }
    double sum = 0;
    int m = 0;
    for (int k = 0; k < ns; k++) {
        if (isfinite(c[k]) && fabs(c[k] - med) <= outlier_k) {
            sum += c[k];
            m++;
        }
    }
    return m > 0 ? sum / m : med;
}

/* Forward-fills the NaNs of V (N values) and back-fills a leading gap; false when all are NaN. */
static bool hb__fill(double *v, size_t n) {
    size_t first = 0;
    while (first < n && !isfinite(v[first])) {
        first++;
    }
    if (first == n) {
        return false;
    }
    for (size_t i = 0; i < first; i++) {
        v[i] = v[first];
    }
    for (size_t i = first + 1; i < n; i++) {
        if (!isfinite(v[i])) {
            v[i] = v[i - 1];
        }
    }
    return true;
}

void hb_ident_data_free(hb_ident_data *d) {
    hb_weather_config_free(&d->weather);
    free(d->t);
    free(d->sensor_cols);
    memset(d, 0, sizeof *d);
}

int hb_ident_data_load(hb_ident_data *d, const hb_sim_config *base, const hb_trace *tr, char *err,
                       size_t errlen) {
    memset(d, 0, sizeof *d);
    int ct = hb_trace_col(tr, "time_s");
    int cl = hb_trace_col(tr, "level_cmd");
    int co = hb_trace_col(tr, "t_out");
    int ns = hb_trace_sensors(tr);
    if (ct < 0 || cl < 0 || ns == 0) {
        snprintf(err, errlen, "the trace needs time_s, level_cmd and sensor_1.. columns (%s)",
                 ct < 0 ? "no time_s" : (cl < 0 ? "no level_cmd" : "no sensor_1"));
        return HB_ERR_PARSE;
    }
    if (ns > HB_IDENT_MAX_SENSORS) {
        snprintf(err, errlen, "the trace has %d sensor columns, at most %d are supported", ns,
                 HB_IDENT_MAX_SENSORS);
        return HB_ERR_PARSE;
    }
    int cs[HB_IDENT_MAX_SENSORS];
    char name[32];
    for (int k = 0; k < ns; k++) {
        snprintf(name, sizeof name, "sensor_%d", k + 1);
        cs[k] = hb_trace_col(tr, name);
    }
    d->n_sensors = ns;
    int rc = hb__offsets(tr, cs, ns, d->offset_k);
    if (rc != HB_OK) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    /* Rows from the first with a reading and a command; times strictly increasing. */
    size_t first = tr->nrow;
    for (size_t i = 0; i < tr->nrow && first == tr->nrow; i++) {
        const double *r = tr->data + i * tr->ncol;
        if (isfinite(r[cl]) && isfinite(hb__fuse(r, cs, ns, d->offset_k, 1.5))) {
            first = i;
        }
    }
    size_t n = first < tr->nrow ? tr->nrow - first : 0;
    if (n < 3) {
        snprintf(err, errlen, "no rows with both a sensor reading and a valve command (level_cmd)");
        return HB_ERR_PARSE;
    }
    d->t = malloc(4 * n * sizeof *d->t); /* t, z, level, t_out */
    if (!d->t) {
        snprintf(err, errlen, "out of memory");
        return HB_ERR_NOMEM;
    }
    d->z = d->t + n;
    d->level = d->t + 2 * n;
    double *tout = d->t + 3 * n;
    double outlier_k =
        base->controller.fusion.outlier_k > 0 ? base->controller.fusion.outlier_k : 1.5;
    for (size_t i = 0; i < n; i++) {
        const double *r = tr->data + (first + i) * tr->ncol;
        d->t[i] = r[ct];
        if (i > 0 && !(d->t[i] > d->t[i - 1])) {
            snprintf(err, errlen, "data row %zu: time_s %.3f does not follow %.3f", first + i + 1,
                     d->t[i], d->t[i - 1]);
            hb_ident_data_free(d);
            return HB_ERR_PARSE;
        }
        d->z[i] = hb__fuse(r, cs, ns, d->offset_k, outlier_k);
        d->level[i] = r[cl] < 0 ? 0 : (r[cl] > 100 ? 100 : r[cl]);
        tout[i] = co >= 0 ? r[co] : NAN;
    }
    d->n = n;
    hb__fill(d->level, n);
    d->sensor_cols = malloc((size_t)ns * n * sizeof *d->sensor_cols);
    if (!d->sensor_cols) {
        snprintf(err, errlen, "out of memory");
        hb_ident_data_free(d);
        return HB_ERR_NOMEM;
    }
    for (int k = 0; k < ns; k++) {
        for (size_t i = 0; i < n; i++) {
            d->sensor_cols[(size_t)k * n + i] = tr->data[(first + i) * tr->ncol + cs[k]];
        }
    }
    /* The weather: the trace's outdoor temperature with the base's sun at the same times, as a
     * series; without the column, the base's weather itself (borrowed, never freed here). */
    d->weather = base->weather;
    d->weather.csv_owned = NULL;
    d->has_t_out = co >= 0 && hb__fill(tout, n);
    d->max_solar = 0;
    double *cols = d->has_t_out ? malloc(3 * n * sizeof *cols) : NULL;
    if (d->has_t_out && !cols) {
        snprintf(err, errlen, "out of memory");
        hb_ident_data_free(d);
        return HB_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        double s = hb_weather_solar(&base->weather, d->t[i]);
        d->max_solar = s > d->max_solar ? s : d->max_solar;
        if (cols) {
            cols[i] = d->t[i] / 3600.0;
            cols[n + i] = tout[i];
            cols[2 * n + i] = s;
        }
    }
    if (cols) {
        d->weather.kind = HB_WEATHER_CSV;
        hb_weather_set_series(&d->weather, cols, n, 1);
    }
    return HB_OK;
}
