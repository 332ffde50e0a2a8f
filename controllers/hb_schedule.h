/*
 * Setpoint schedules: periods of the day, optionally by weekday, each with its own setpoint and
 * comfort band (narrow when the room is used, a wide minimum when it is not). Outside every
 * period the base setpoint and band hold. The same format serves a scenario's "schedule" and
 * the daemon's per-room configuration; pure functions of time, no I/O.
 *
 * Time is seconds since midnight of day 0; day 0 is START_DAY (0 = Monday .. 6 = Sunday).
 */
#ifndef HB_SCHEDULE_H
#define HB_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#define HB_SCHEDULE_MAX_PERIODS 32

typedef struct hb_schedule_period {
    char days[40]; /* "all", "mon-fri", "sat,sun", "mon,wed-fri", ... */
    double from_h; /* hour of day, [0, 24] */
    double to_h;   /* hour of day; to_h < from_h wraps over midnight (from its start day) */
    double setpoint_c;
    double below_k;    /* the band in force: [setpoint - below_k, setpoint + above_k]; NaN: the */
    double above_k;    /* base band */
    unsigned day_mask; /* bit d: weekday d (0 = Monday); set by hb_schedule_prepare */
} hb_schedule_period;

typedef struct hb_schedule {
    char start_day[8]; /* weekday of day 0: "mon" .. "sun" */
    hb_schedule_period periods[HB_SCHEDULE_MAX_PERIODS];
    size_t n_periods;
    int start_wday; /* set by hb_schedule_prepare */
} hb_schedule;

/* What is in force at one moment. */
typedef struct hb_setpoint {
    double setpoint_c;
    double lo_c, hi_c; /* the comfort band */
    int period;        /* index of the period in force, -1 for the base */
} hb_setpoint;

/* Parses the day lists and the start day. HB_OK, or HB_ERR_PARSE with a message naming the
 * period ("periods[2].days: ...") in ERR. */
int hb_schedule_prepare(hb_schedule *s, char *err, size_t errlen);

/* The setpoint and band in force at T_S; BASE_C ± BASE_BAND_K outside every period. The first
 * period that covers T_S wins. S may be NULL or empty (always the base). */
void hb_schedule_at(const hb_schedule *s, double base_c, double base_band_k, double t_s,
                    hb_setpoint *out);

/* Whether a period begins or ends in (T0_S, T1_S] (a span of a week or more always has one;
 * an empty schedule never). For an override that holds "until the next period begins" when
 * the time between is not watched: a daemon down overnight, restarted in the same period
 * number the next morning. Boundaries of a period another one hides count too, so an override
 * may end early there, never late. */
bool hb_schedule_changes(const hb_schedule *s, double t0_s, double t1_s);

#endif
