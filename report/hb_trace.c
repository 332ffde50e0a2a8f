#define _POSIX_C_SOURCE 200809L
#include "hb_trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hb__required[] = {"time_s",     "t_out",     "t_air",     "t_est",
                                           "setpoint",   "level_cmd", "valve_pos", "q_rad_w",
                                           "energy_kwh", "bound_kwh"};

void hb_trace_free(hb_trace *t) {
    for (size_t i = 0; t->names && i < t->ncol; i++) {
        free(t->names[i]);
    }
    free(t->names);
    free(t->data);
    memset(t, 0, sizeof *t);
}

int hb_trace_col(const hb_trace *t, const char *name) {
    for (size_t i = 0; i < t->ncol; i++) {
        if (strcmp(t->names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int hb_trace_sensors(const hb_trace *t) {
    int n = 0;
    char name[32];
    for (;;) {
        snprintf(name, sizeof name, "sensor_%d", n + 1);
        if (hb_trace_col(t, name) < 0) {
            return n;
        }
        n++;
    }
}

/* Splits LINE at commas in place; returns the field count (at most MAX). */
static size_t hb__split(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c) {
            break;
        }
        *c = '\0';
        p = c + 1;
    }
    return n;
}

int hb_trace_read(const char *path, hb_trace *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open trace: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    int rc = -1;
    size_t rows_cap = 0;
    char *fields[256];
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (memchr(line, '\0', (size_t)len)) {
            snprintf(err, errlen, "%s: line %d: binary data, not a CSV trace", path, lineno);
            goto out;
        }
        if (lineno == 1) {
            size_t n = hb__split(line, fields, 256);
            t->names = calloc(n, sizeof *t->names);
            if (!t->names) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            t->ncol = n;
            for (size_t i = 0; i < n; i++) {
                t->names[i] = strdup(fields[i]);
                if (!t->names[i]) {
                    snprintf(err, errlen, "%s: out of memory", path);
                    goto out;
                }
            }
            for (size_t i = 0; i < sizeof hb__required / sizeof hb__required[0]; i++) {
                if (hb_trace_col(t, hb__required[i]) < 0) {
                    snprintf(err, errlen,
                             "%s: line 1: missing column '%s' (not a heatbench trace? expected "
                             "the header of `heatbench run -o`)",
                             path, hb__required[i]);
                    goto out;
                }
            }
            continue;
        }
        if (len == 0) {
            continue;
        }
        size_t n = hb__split(line, fields, 256);
        if (n != t->ncol) {
            snprintf(err, errlen, "%s: line %d: %zu fields, expected %zu like the header", path,
                     lineno, n, t->ncol);
            goto out;
        }
        if (t->nrow == rows_cap) {
            rows_cap = rows_cap ? 2 * rows_cap : 256;
            double *d = realloc(t->data, rows_cap * t->ncol * sizeof *d);
            if (!d) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            t->data = d;
        }
        double *row = t->data + t->nrow * t->ncol;
        for (size_t i = 0; i < n; i++) {
            if (fields[i][0] == '\0') {
                row[i] = NAN;
                continue;
            }
            char *end;
            errno = 0;
            row[i] = strtod(fields[i], &end);
            if (end == fields[i] || *end != '\0' || !isfinite(row[i])) {
                snprintf(err, errlen, "%s: line %d: column '%s': '%.20s' is not a number", path,
                         lineno, t->names[i], fields[i]);
                goto out;
            }
        }
        t->nrow++;
    }
    if (lineno == 0) {
        snprintf(err, errlen, "%s: empty file, not a trace", path);
        goto out;
    }
    if (t->nrow < 2) {
        snprintf(err, errlen, "%s: line %d: a trace needs at least two data rows, got %zu", path,
                 lineno, t->nrow);
        goto out;
    }
    rc = 0;
out:
    free(line);
    fclose(f);
    if (rc != 0) {
        hb_trace_free(t);
    }
    return rc;
}

void hb_trace_kpis(const hb_trace *t, double band_k, double warmup_h, hb_kpis *k) {
    memset(k, 0, sizeof *k);
    int ct = hb_trace_col(t, "time_s");
    int ca = hb_trace_col(t, "t_air");
    int cs = hb_trace_col(t, "setpoint");
    int cv = hb_trace_col(t, "valve_pos");
    int cl = hb_trace_col(t, "level_cmd");
    int ce = hb_trace_col(t, "energy_kwh");
    int cb = hb_trace_col(t, "bound_kwh");
    const double *d = t->data;
    size_t nc = t->ncol;
    double t0 = d[ct] + warmup_h * 3600.0;
    double acc_t = 0;
    double acc_sq = 0;
    double acc_in = 0;
    double acc_mean = 0;
    double prev_level = NAN;
    for (size_t r = 1; r < t->nrow; r++) {
        const double *a = d + (r - 1) * nc;
        const double *b = d + r * nc;
        k->valve_travel_pct += fabs(b[cv] - a[cv]);
        if (!isnan(b[cl]) && b[cl] != prev_level) {
            k->actuator_msgs++; /* level changes seen at this spacing: a lower bound */
            prev_level = b[cl];
        }
        if (a[ct] < t0 - 1e-9) {
            continue;
        }
        double dt = b[ct] - a[ct];
        double sp = b[cs];
        double lo = sp - band_k;
        double hi = sp + band_k;
        double oa = a[ca] < lo ? lo - a[ca] : (a[ca] > hi ? a[ca] - hi : 0);
        double ob = b[ca] < lo ? lo - b[ca] : (b[ca] > hi ? b[ca] - hi : 0);
        double ea = a[ca] - sp;
        double eb = b[ca] - sp;
        k->discomfort_kh += 0.5 * dt * (oa + ob) / 3600.0;
        k->iae_kh += 0.5 * dt * (fabs(ea) + fabs(eb)) / 3600.0;
        acc_sq += 0.5 * dt * (ea * ea + eb * eb);
        acc_mean += 0.5 * dt * (a[ca] + b[ca]);
        acc_in += dt * (b[ca] >= lo && b[ca] <= hi);
        acc_t += dt;
        k->max_overshoot_k = fmax(k->max_overshoot_k, eb);
        k->max_undershoot_k = fmax(k->max_undershoot_k, -eb);
    }
    k->rmse_k = acc_t > 0 ? sqrt(acc_sq / acc_t) : NAN;
    k->mean_t_air_c = acc_t > 0 ? acc_mean / acc_t : NAN;
    k->in_band_pct = acc_t > 0 ? 100.0 * acc_in / acc_t : NAN;
    if (!(acc_t > 0)) { /* the trace ends inside the warm-up: no comfort figure exists */
        k->discomfort_kh = k->iae_kh = k->max_overshoot_k = k->max_undershoot_k = NAN;
    }
    /* What a trace cannot tell (peak power needs 15-minute windows of heat, the rest counts of
     * messages and fail-safe time the trace does not record). */
    k->peak_power_w = k->failsafe_h = NAN;
    k->commands_lost = k->readings_published = k->readings_lost = -1;
    const double *last = d + (t->nrow - 1) * nc;
    k->energy_kwh = last[ce];
    k->energy_bound_kwh = last[cb];
    k->energy_ratio = last[cb] > 0 ? last[ce] / last[cb] : NAN;
}
