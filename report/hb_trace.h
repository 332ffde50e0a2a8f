/*
 * Reading heatbench CSV traces back (for reports): a header row of column names, then numeric
 * rows where an empty field means "no value yet" (NaN). Errors name the file and the line.
 */
#ifndef HB_TRACE_H
#define HB_TRACE_H

#include "../sim/hb_sim.h"

#include <stddef.h>

typedef struct hb_trace {
    char **names;
    size_t ncol;
    double *data; /* nrow * ncol, row-major */
    size_t nrow;
} hb_trace;

/* Reads PATH; checks that the columns a report needs are there. 0, or -1 with a message. */
int hb_trace_read(const char *path, hb_trace *t, char *err, size_t errlen);
void hb_trace_free(hb_trace *t);

/* Index of column NAME, or -1. */
int hb_trace_col(const hb_trace *t, const char *name);

/* Number of sensor_<i> columns. */
int hb_trace_sensors(const hb_trace *t);

/* KPIs recomputed from the trace at its row spacing (band ± BAND_K around the setpoint column,
 * comfort KPIs after WARMUP_H). Close to the simulator's, which integrates on the plant grid. */
void hb_trace_kpis(const hb_trace *t, double band_k, double warmup_h, hb_kpis *k);

#endif
