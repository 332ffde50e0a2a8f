/*
 * What identification reads of a trace (hb_ident.h): rows from the first with a sensor reading
 * and a valve command, the sensors' offsets from one another, one fused reading per row, the
 * command in force (forward-filled) and the weather the plant must see.
 */
#ifndef HB_IDENT_DATA_H
#define HB_IDENT_DATA_H

#include "../metrics/hb_trace.h"
#include "../sim/hb_sim.h"

#include <stdbool.h>
#include <stddef.h>

#define HB_IDENT_MAX_SENSORS HB_TRACE_MAX_SENSORS

typedef struct hb_ident_data {
    size_t n;
    double *t;     /* s, strictly increasing */
    double *z;     /* fused reading, °C; NaN where no sensor reported */
    double *level; /* valve command in force, % */
    int n_sensors;
    double offset_k[HB_IDENT_MAX_SENSORS]; /* from the sensors' mean, K */
    double *sensor_cols;                   /* n_sensors × n raw readings (NaN: none) */
    hb_weather_config weather; /* the trace's t_out and the base's sun, or the base's weather */
    bool has_t_out;
    double max_solar; /* W/m², the most sun over the trace (0: the aperture cannot be seen) */
} hb_ident_data;

/* Reads TRACE against BASE. HB_OK, or HB_ERR_PARSE / HB_ERR_NOMEM with a message in ERR. */
int hb_ident_data_load(hb_ident_data *d, const hb_sim_config *base, const hb_trace *tr, char *err,
                       size_t errlen);
void hb_ident_data_free(hb_ident_data *d);

#endif
