#define _POSIX_C_SOURCE 200809L
#include "hb_trace.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns around the sensor columns, in file order: name, decimals written, where the value
 * sits in a row, and whether a report needs it (a trace recorded from a real room has no t_mass).
 */
typedef struct hb__col {
    const char *name;
    size_t offset;
    int decimals;
    bool required;
} hb__col;

#define HB__COL(n, d, req)                                                                         \
    { .name = #n, .offset = offsetof(hb_trace_row, n), .decimals = (d), .required = (req) }
static const hb__col hb__before[] = {
    HB__COL(time_s, 0, true),  HB__COL(t_out, 3, true),  HB__COL(t_air, 4, true),
    HB__COL(t_mass, 4, false), HB__COL(t_rad, 3, false),
};
static const hb__col hb__after[] = {
    HB__COL(t_est, 4, true),    HB__COL(setpoint, 2, true),   HB__COL(band_lo, 2, false),
    HB__COL(band_hi, 2, false), HB__COL(level_cmd, 0, true),  HB__COL(valve_pos, 2, true),
    HB__COL(q_rad_w, 1, true),  HB__COL(energy_kwh, 5, true), HB__COL(floor_kwh, 5, false),
};
#undef HB__COL
#define HB__NCOL(a) (sizeof(a) / sizeof((a)[0]))

/* Bit I of a column set is hb__before[I], bit HB__NCOL(hb__before) + I is hb__after[I]. */
#define HB__BIT_AFTER(i) (HB__NCOL(hb__before) + (i))

unsigned hb_trace_cols(const char *const *names, size_t n) {
    unsigned cols = 1u; /* time_s */
    for (size_t k = 0; k < n; k++) {
        unsigned bit = 0;
        for (size_t i = 0; i < HB__NCOL(hb__before); i++) {
            bit |= strcmp(names[k], hb__before[i].name) == 0 ? 1u << i : 0;
        }
        for (size_t i = 0; i < HB__NCOL(hb__after); i++) {
            bit |= strcmp(names[k], hb__after[i].name) == 0 ? 1u << HB__BIT_AFTER(i) : 0;
        }
        if (!bit) {
            return 0;
        }
        cols |= bit;
    }
    return cols;
}

int hb_trace_write_header_cols(FILE *f, size_t n_sensors, unsigned cols) {
    fputs(hb__before[0].name, f);
    for (size_t i = 1; i < HB__NCOL(hb__before); i++) {
        if (cols >> i & 1u) {
            fprintf(f, ",%s", hb__before[i].name);
        }
    }
    for (size_t i = 0; i < n_sensors; i++) {
        fprintf(f, ",sensor_%zu", i + 1);
    }
    for (size_t i = 0; i < HB__NCOL(hb__after); i++) {
        if (cols >> HB__BIT_AFTER(i) & 1u) {
            fprintf(f, ",%s", hb__after[i].name);
        }
    }
    fputc('\n', f);
    return ferror(f) ? HB_ERR_IO : HB_OK;
}

int hb_trace_write_header(FILE *f, size_t n_sensors) {
    return hb_trace_write_header_cols(f, n_sensors, HB_TRACE_ALL);
}

/* The longest field: "%.8f" of the largest double is 318 characters, a sign and a NUL. */
#define HB__FIELD_MAX 330

/* "%.*f" of V into OUT (room for HB__FIELD_MAX bytes), byte for byte what printf writes, without
 * printf for the values a trace holds (a row used to cost 2.2 µs in fprintf). The digits come from
 * V·10^decimals rounded to an integer; that product is within 2·10^-7 of the exact one below
 * 10^9, so where it lies more than 10^-6 from a tie the rounding is the exact value's, as
 * printf's is; near a tie, at large magnitudes and for non-finite values, printf itself. */
static size_t hb__fixed(char *out, double v, int decimals) {
    static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    assert(decimals >= 0 && decimals <= 8);
    double a = fabs(v) * p10[decimals];
    double n = floor(a);
    double frac = a - n;
    if (!(a < 1e9) || fabs(frac - 0.5) < 1e-6) {
        int w = snprintf(out, HB__FIELD_MAX, "%.*f", decimals, v);
        return w > 0 ? (size_t)w : 0;
    }
    unsigned long long r = (unsigned long long)n + (frac > 0.5 ? 1u : 0u);
    char digits[24];
    size_t nd = 0;
    do { /* at least decimals + 1 digits: "0.05", not ".05" */
        digits[nd++] = (char)('0' + r % 10);
        r /= 10;
    } while (r > 0 || nd < (size_t)decimals + 1);
    size_t k = 0;
    if (signbit(v)) {
        out[k++] = '-'; /* printf keeps the sign of a negative that rounds to zero */
    }
    while (nd > 0) {
        if (nd == (size_t)decimals) {
            out[k++] = '.';
        }
        out[k++] = digits[--nd];
    }
    out[k] = '\0';
    return k;
}

/* Appends ",V" (or "," for NaN: no value yet) to the row being built in B at *N. */
static void hb__trace_field(char *b, size_t *n, double v, int decimals) {
    b[(*n)++] = ',';
    if (!isnan(v)) {
        *n += hb__fixed(b + *n, v, decimals);
    }
}
static double hb__value(const hb_trace_row *r, const hb__col *c) {
    double v;
    memcpy(&v, (const char *)r + c->offset, sizeof v);
    return v;
}

/* The time: whole seconds as such (every simulated row), a recording's fractions to the
 * millisecond without trailing zeros ("5.25", not "5.250"). */
static size_t hb__time(char *out, double t) {
    if (t == floor(t) || !isfinite(t)) {
        return hb__fixed(out, t, hb__before[0].decimals);
    }
    size_t n = hb__fixed(out, t, 3);
    while (n > 0 && out[n - 1] == '0') {
        n--;
    }
    if (n > 0 && out[n - 1] == '.') {
        n--;
    }
    out[n] = '\0';
    return n;
}

int hb_trace_write_row_cols(FILE *f, const hb_trace_row *r, unsigned cols) {
    /* One row is built in a buffer and written with one call. */
    char b[HB__FIELD_MAX * (HB__NCOL(hb__before) + HB__NCOL(hb__after) + HB_TRACE_MAX_SENSORS) + 2];
    assert(r->n_sensors <= HB_TRACE_MAX_SENSORS);
    /* The first column (time) is never empty and has no leading comma. */
    size_t n = hb__time(b, r->time_s);
    for (size_t i = 1; i < HB__NCOL(hb__before); i++) {
        if (cols >> i & 1u) {
            hb__trace_field(b, &n, hb__value(r, &hb__before[i]), hb__before[i].decimals);
        }
    }
    for (size_t i = 0; i < r->n_sensors && i < HB_TRACE_MAX_SENSORS; i++) {
        hb__trace_field(b, &n, r->sensors[i], 2);
    }
    for (size_t i = 0; i < HB__NCOL(hb__after); i++) {
        if (cols >> HB__BIT_AFTER(i) & 1u) {
            hb__trace_field(b, &n, hb__value(r, &hb__after[i]), hb__after[i].decimals);
        }
    }
    b[n++] = '\n';
    return fwrite(b, 1, n, f) == n && !ferror(f) ? HB_OK : HB_ERR_IO;
}

int hb_trace_write_row(FILE *f, const hb_trace_row *r) {
    return hb_trace_write_row_cols(f, r, HB_TRACE_ALL);
}

/* The first required column missing from T, or NULL. */
static const char *hb__missing(const hb_trace *t) {
    for (int part = 0; part < 2; part++) {
        const hb__col *cols = part ? hb__after : hb__before;
        size_t n = part ? HB__NCOL(hb__after) : HB__NCOL(hb__before);
        for (size_t i = 0; i < n; i++) {
            if (cols[i].required && hb_trace_col(t, cols[i].name) < 0) {
                return cols[i].name;
            }
        }
    }
    return NULL;
}

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

/* Reads PATH; with CHECK, requires the columns a report needs, else only time_s. */
static int hb__read(const char *path, hb_trace *t, bool check, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open trace: %s", path, strerror(errno));
        return HB_ERR_IO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    int rc = HB_ERR_PARSE;
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
                rc = HB_ERR_NOMEM;
                goto out;
            }
            t->ncol = n;
            for (size_t i = 0; i < n; i++) {
                t->names[i] = strdup(fields[i]);
                if (!t->names[i]) {
                    snprintf(err, errlen, "%s: out of memory", path);
                    rc = HB_ERR_NOMEM;
                    goto out;
                }
            }
            const char *missing =
                check ? hb__missing(t) : (hb_trace_col(t, "time_s") < 0 ? "time_s" : NULL);
            if (missing) {
                snprintf(err, errlen,
                         "%s: line 1: missing column '%s' (not a heatbench trace? expected "
                         "the header of `heatbench run -o`)",
                         path, missing);
                rc = HB_ERR_PARSE;
                goto out;
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
                rc = HB_ERR_NOMEM;
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
    rc = HB_OK;
out:
    free(line);
    fclose(f);
    if (rc != HB_OK) {
        hb_trace_free(t);
    }
    return rc;
}

int hb_trace_read(const char *path, hb_trace *t, char *err, size_t errlen) {
    return hb__read(path, t, true, err, errlen);
}

int hb_trace_read_any(const char *path, hb_trace *t, char *err, size_t errlen) {
    return hb__read(path, t, false, err, errlen);
}

void hb_trace_kpis(const hb_trace *t, double band_k, double warmup_h, hb_kpis *k) {
    memset(k, 0, sizeof *k);
    int ct = hb_trace_col(t, "time_s");
    int ca = hb_trace_col(t, "t_air");
    int cs = hb_trace_col(t, "setpoint");
    int cv = hb_trace_col(t, "valve_pos");
    int cl = hb_trace_col(t, "level_cmd");
    int ce = hb_trace_col(t, "energy_kwh");
    int cf = hb_trace_col(t, "floor_kwh"); /* optional: a recorded room has none */
    int clo = hb_trace_col(t, "band_lo");  /* optional: older traces have the setpoint only */
    int chi = hb_trace_col(t, "band_hi");
    assert(ct >= 0 && ca >= 0 && cs >= 0 && cv >= 0 && cl >= 0 && ce >= 0);
    const double *d = t->data;
    size_t nc = t->ncol;
    hb_kpi_comfort c;
    hb_kpi_comfort_init(&c, d[ct] + warmup_h * 3600.0);
    double prev_level = NAN;
    for (size_t r = 1; r < t->nrow; r++) {
        const double *a = d + (r - 1) * nc;
        const double *b = d + r * nc;
        k->valve_travel_pct += fabs(b[cv] - a[cv]);
        if (!isnan(b[cl]) && b[cl] != prev_level) {
            k->actuator_msgs++; /* level changes seen at this spacing: a lower bound */
            prev_level = b[cl];
        }
        /* The setpoint of the interval is the one at its end, as the simulator holds it. */
        double sp = b[cs];
        double lo = clo >= 0 && !isnan(b[clo]) ? b[clo] : sp - band_k;
        double hi = chi >= 0 && !isnan(b[chi]) ? b[chi] : sp + band_k;
        hb_kpi_comfort_step(&c, a[ct], a[ca], b[ct], b[ca], sp, lo, hi);
    }
    hb_kpi_comfort_finish(&c, k);
    /* What a trace cannot tell (peak power needs 15-minute windows of heat, the rest counts of
     * messages and fail-safe time the trace does not record). */
    k->peak_power_w = k->failsafe_h = NAN;
    k->commands_lost = k->readings_published = k->readings_lost = -1;
    const double *last = d + (t->nrow - 1) * nc;
    k->energy_kwh = last[ce];
    k->energy_floor_kwh = cf >= 0 ? last[cf] : NAN;
    k->energy_ideal_kwh = NAN; /* a trace does not record it */
    k->energy_ratio = k->energy_floor_kwh > 0 ? last[ce] / k->energy_floor_kwh : NAN;
}
