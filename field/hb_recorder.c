/* The trace recorder of hb_recorder.h: rows kept in memory (a day of one-minute rows with five
 * sensors is 110 KiB), the whole file rewritten on each write. */
#include "hb_recorder.h"
#include "../util/hb_error.h"
#include "../util/hb_ofile.h"
#include "../metrics/hb_trace.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB__ID_MAX 64
/* A row: time, t_out, the sensors, the level. */
#define HB__W (3 + HB_RECORDER_MAX_SENSORS)

struct hb_recorder {
    double interval, next; /* the next row's time */
    bool with_t_out;
    char ids[HB_RECORDER_MAX_SENSORS][HB__ID_MAX];
    size_t n_ids;
    size_t n_fixed;       /* the first ids, in the order the caller gave */
    double latest[HB__W]; /* the values the next row takes (NaN: none yet) */
    double *rows;         /* HB__W per row */
    size_t n_rows, cap;
};

int hb_recorder_create(double interval_s, double t0_s, const char *const *ids, size_t n,
                       bool with_t_out, hb_recorder **out) {
    *out = NULL;
    if (!(interval_s > 0) || isinf(t0_s) || n > HB_RECORDER_MAX_SENSORS) {
        return HB_ERR_INVAL;
    }
    hb_recorder *r = calloc(1, sizeof *r);
    if (!r) {
        return HB_ERR_NOMEM;
    }
    r->interval = interval_s;
    r->next = t0_s;
    r->with_t_out = with_t_out;
    for (size_t i = 0; i < HB__W; i++) {
        r->latest[i] = NAN;
    }
    for (size_t i = 0; i < n; i++) {
        if (strlen(ids[i]) >= HB__ID_MAX) {
            free(r);
            return HB_ERR_INVAL;
        }
        snprintf(r->ids[r->n_ids++], HB__ID_MAX, "%s", ids[i]);
    }
    r->n_fixed = n;
    *out = r;
    return HB_OK;
}

void hb_recorder_destroy(hb_recorder *r) {
    if (r) {
        free(r->rows);
        free(r);
    }
}

/* Emits the rows up to T (before T when STRICT: an event at a row's time is in that row). */
static int hb__rec_emit(hb_recorder *r, double t, bool strict) {
    if (isnan(r->next)) {
        r->next = t; /* the first row at the first event */
    }
    while (strict ? r->next < t : r->next <= t) {
        if (r->n_rows == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 1024;
            double *rows = realloc(r->rows, cap * HB__W * sizeof *rows);
            if (!rows) {
                return HB_ERR_NOMEM;
            }
            r->rows = rows;
            r->cap = cap;
        }
        double *row = r->rows + r->n_rows * HB__W;
        memcpy(row, r->latest, sizeof r->latest);
        row[0] = r->next;
        r->n_rows++;
        /* From the first row's time by whole intervals: no drift from repeated addition. */
        r->next = r->rows[0] + (double)r->n_rows * r->interval;
    }
    return HB_OK;
}

int hb_recorder_advance(hb_recorder *r, double t) {
    return hb__rec_emit(r, t, false);
}

int hb_recorder_reading(hb_recorder *r, double t, const char *id, double value) {
    int rc = hb__rec_emit(r, t, true);
    if (rc != HB_OK) {
        return rc;
    }
    size_t k = 0;
    while (k < r->n_ids && strcmp(r->ids[k], id) != 0) {
        k++;
    }
    if (k == r->n_ids) {
        if (r->n_ids == HB_RECORDER_MAX_SENSORS || strlen(id) >= HB__ID_MAX) {
            return HB_ERR_FULL;
        }
        snprintf(r->ids[r->n_ids++], HB__ID_MAX, "%s", id);
    }
    assert(k < HB_RECORDER_MAX_SENSORS);
    r->latest[2 + k] = value;
    return HB_OK;
}

int hb_recorder_command(hb_recorder *r, double t, double level) {
    int rc = hb__rec_emit(r, t, true);
    r->latest[HB__W - 1] = level;
    return rc;
}

int hb_recorder_outdoor(hb_recorder *r, double t, double t_out_c) {
    int rc = hb__rec_emit(r, t, true);
    r->latest[1] = t_out_c;
    return rc;
}

size_t hb_recorder_rows(const hb_recorder *r) {
    return r->n_rows;
}

size_t hb_recorder_sensors(const hb_recorder *r) {
    return r->n_ids;
}

const char *hb_recorder_sensor_id(const hb_recorder *r, size_t i) {
    return i < r->n_ids ? r->ids[i] : NULL;
}

/* Whether id A comes before B in natural order ("sensor-2" before "sensor-10"). */
static bool hb__rec_before(const char *a, const char *b) {
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            char *ea;
            char *eb;
            unsigned long long x = strtoull(a, &ea, 10);
            unsigned long long y = strtoull(b, &eb, 10);
            if (x != y) {
                return x < y;
            }
            a = ea;
            b = eb;
        } else if (*a != *b) {
            return (unsigned char)*a < (unsigned char)*b;
        } else {
            a++;
            b++;
        }
    }
    return *a == '\0' && *b != '\0';
}

void hb_recorder_order(const hb_recorder *r, size_t *col) {
    for (size_t k = 0; k < r->n_ids; k++) {
        col[k] = k;
    }
    /* Insertion sort of the ids after the fixed ones (at most 16). */
    for (size_t k = r->n_fixed + 1; k < r->n_ids; k++) {
        size_t c = col[k];
        size_t j = k;
        while (j > r->n_fixed && hb__rec_before(r->ids[c], r->ids[col[j - 1]])) {
            col[j] = col[j - 1];
            j--;
        }
        col[j] = c;
    }
}

int hb_recorder_write(const hb_recorder *r, const char *path) {
    size_t col[HB_RECORDER_MAX_SENSORS];
    hb_recorder_order(r, col);
    int rc;
    hb_ofile *of = hb_ofile_open(path, &rc);
    if (!of) {
        return rc;
    }
    FILE *f = hb_ofile_stream(of);
    /* Through the trace's column table (metrics/hb_trace.c): the columns a recording has, with
     * the decimals every trace has. */
    static const char *const with_t_out[] = {"t_out", "level_cmd"};
    unsigned cols = r->with_t_out ? hb_trace_cols(with_t_out, 2) : hb_trace_cols(with_t_out + 1, 1);
    assert(cols != 0);
    hb_trace_write_header_cols(f, r->n_ids, cols);
    double sensors[HB_RECORDER_MAX_SENSORS];
    hb_trace_row tr = {.sensors = sensors, .n_sensors = r->n_ids};
    for (size_t i = 0; i < r->n_rows && !ferror(f); i++) {
        const double *row = r->rows + i * HB__W;
        tr.time_s = row[0];
        tr.t_out = row[1];
        for (size_t k = 0; k < r->n_ids; k++) {
            sensors[k] = row[2 + col[k]];
        }
        tr.level_cmd = row[HB__W - 1];
        hb_trace_write_row_cols(f, &tr, cols);
    }
    if (ferror(f)) {
        hb_ofile_abort(of);
        return HB_ERR_IO;
    }
    return hb_ofile_commit(of);
}
