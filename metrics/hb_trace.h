/*
 * The CSV trace format, declared once: its columns, the writer the simulator uses and the reader
 * the report and the tools use. A header row of column names, then one numeric row per trace
 * interval, where an empty field means "no value yet" (NaN). Reader errors name the file and the
 * line.
 */
#ifndef HB_TRACE_H
#define HB_TRACE_H

#include "hb_kpi.h"

#include <stddef.h>
#include <stdio.h>

/* The most sensor columns a row may have. */
#define HB_TRACE_MAX_SENSORS 16

/* One row as the simulator sees it; the sensor columns are sensor_1 .. sensor_<n>. */
typedef struct hb_trace_row {
    double time_s, t_out, t_air, t_mass, t_rad;
    const double *sensors; /* the latest published reading of each sensor, NaN before one */
    size_t n_sensors;
    double t_est, setpoint, band_lo, band_hi, level_cmd, valve_pos, q_rad_w, energy_kwh, floor_kwh;
} hb_trace_row;

/* Writes the header for N_SENSORS sensors / one row. HB_OK, or HB_ERR_IO when the stream is in
 * error. */
int hb_trace_write_header(FILE *f, size_t n_sensors);
int hb_trace_write_row(FILE *f, const hb_trace_row *r);

/* A partial trace (a recording of a real room has no plant columns) through the same table: the
 * set of columns NAMES (N of them) besides time_s and the sensors, which are always written; 0
 * when a name is not a column of the table. HB_TRACE_ALL is every column. */
#define HB_TRACE_ALL (~0u)
unsigned hb_trace_cols(const char *const *names, size_t n);
int hb_trace_write_header_cols(FILE *f, size_t n_sensors, unsigned cols);
int hb_trace_write_row_cols(FILE *f, const hb_trace_row *r, unsigned cols);

typedef struct hb_trace {
    char **names;
    size_t ncol;
    double *data; /* nrow * ncol, row-major */
    size_t nrow;
} hb_trace;

/* Reads PATH; checks that the columns a report needs are there. HB_OK, or HB_ERR_IO (cannot
 * open), HB_ERR_PARSE (not a trace) or HB_ERR_NOMEM, with a message naming the file and line. */
int hb_trace_read(const char *path, hb_trace *t, char *err, size_t errlen);
void hb_trace_free(hb_trace *t);

/* The same for any trace with a time_s column (one `heatbench record` wrote from a real room has
 * sensors, level_cmd and perhaps t_out, nothing of the plant's). */
int hb_trace_read_any(const char *path, hb_trace *t, char *err, size_t errlen);

/* Index of column NAME, or -1. */
int hb_trace_col(const hb_trace *t, const char *name);

/* Number of sensor_<i> columns. */
int hb_trace_sensors(const hb_trace *t);

/* KPIs recomputed from the trace at its row spacing (the band_lo/band_hi columns, or ± BAND_K
 * around the setpoint column in traces without them;
 * comfort KPIs after WARMUP_H). Close to the simulator's, which integrates on the plant grid. */
void hb_trace_kpis(const hb_trace *t, double band_k, double warmup_h, hb_kpis *k);

#endif
