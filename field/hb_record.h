/*
 * `heatbench record`: a room's readings, valve commands and (optionally) outdoor temperature
 * from the broker into a trace (field/hb_recorder.h). Recording time starts at the first
 * message and runs `speed` times the wall clock, so an accelerated `heatbench live` is recorded
 * on its own simulated time; with a clock topic it is the room's own clock (mqtt/hb_simclock.h),
 * which waits for a room that stands still and never runs backwards.
 */
#ifndef HB_RECORD_H
#define HB_RECORD_H

#include "../mqtt/hb_mqtt.h"
#include "../mqtt/hb_payload.h"

#include <stddef.h>

typedef struct hb_record_config {
    hb_mqtt_opts mqtt;
    const char *readings_topic; /* pattern; "+" becomes the room */
    const char *actuator_topic; /* pattern */
    const char *room;
    const char *outdoor_topic; /* a number or {"value": N}; NULL: no t_out column */
    const char *clock_topic;   /* {"t": s} from `live --clock-topic`: the room's own time */
    const char *output;        /* the trace file, rewritten whole every flush_s */
    double interval_s;         /* between rows, recording time */
    double speed;
    double hours;   /* of recording time; NaN: until SIGINT/SIGTERM */
    double start_s; /* the first message's time; NaN: time of day at speed 1, else 0 */
    double flush_s; /* wall seconds between rewrites of the file */
    double connect_timeout_s;
    const char *const *ids; /* the first sensor columns, in order (may be NULL) */
    size_t n_ids;
    /* --excite prbs: the valve driven by a pseudo-random binary sequence (PRBS-7, one bit every
     * prbs_period_s of recording time) between center ± amplitude within [min, max], the level
     * in force before restored at the end. Refused while status_topic says "online" (a
     * controller would fight it), unless force. */
    bool excite;
    double prbs_amplitude, prbs_period_s, prbs_min, prbs_max;
    double center; /* NaN: the last command seen before, else 30 % */
    const char *status_topic;
    bool force;
    int verbose;
} hb_record_config;

typedef struct hb_record_stats {
    unsigned long readings, commands, outdoor;
    unsigned long dropped[HB_DROP__COUNT];
    unsigned long sensor_cap; /* readings of ids beyond the 16 columns */
    size_t rows, sensors;
    double hours; /* recorded */
    unsigned writes;
    unsigned long excitations;   /* PRBS levels commanded */
    double restored;             /* the level commanded at the end of an excitation (NaN: none) */
    unsigned long clock_ticks;   /* of the room's clock followed (clock_topic) */
    unsigned long clock_ignored; /* messages on it that were no tick, or not the room's run */
} hb_record_stats;

/* Records until the configured hours or a stop request; the file is complete either way.
 * 0, or 1 with a message in ERR. */
int hb_record_run(const hb_record_config *cfg, hb_record_stats *st, char *err, size_t errlen);

void hb_record_request_stop(void);

#endif
