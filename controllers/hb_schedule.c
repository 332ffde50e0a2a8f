#include "hb_schedule.h"
#include "../util/hb_error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const hb__wdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int hb__wday(const char *s, size_t len) {
    for (int d = 0; d < 7; d++) {
        if (len == 3 && strncmp(s, hb__wdays[d], 3) == 0) {
            return d;
        }
    }
    return -1;
}

/* "all" or a comma list of days and day ranges ("mon-fri", "fri-mon" wraps). */
static int hb__days(const char *s, unsigned *mask) {
    *mask = 0;
    if (strcmp(s, "all") == 0 || s[0] == '\0') {
        *mask = 0x7f;
        return HB_OK;
    }
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *dash = memchr(p, '-', n);
        int a = hb__wday(p, dash ? (size_t)(dash - p) : n);
        int b = dash ? hb__wday(dash + 1, n - (size_t)(dash - p) - 1) : a;
        if (a < 0 || b < 0) {
            return HB_ERR_PARSE;
        }
        for (int d = a;; d = (d + 1) % 7) {
            *mask |= 1u << d;
            if (d == b) {
                break;
            }
        }
        if (p[n] == '\0') {
            return HB_OK;
        }
        p += n + 1;
    }
}

int hb_schedule_prepare(hb_schedule *s, char *err, size_t errlen) {
    s->start_wday = s->start_day[0] ? hb__wday(s->start_day, strlen(s->start_day)) : 0;
    if (s->start_wday < 0) {
        snprintf(err, errlen,
                 "start_day: expected one of mon, tue, wed, thu, fri, sat, sun, got '%s'",
                 s->start_day);
        return HB_ERR_PARSE;
    }
    for (size_t i = 0; i < s->n_periods; i++) {
        hb_schedule_period *p = &s->periods[i];
        if (hb__days(p->days, &p->day_mask) != HB_OK) {
            snprintf(err, errlen,
                     "periods[%zu].days: expected \"all\" or days and ranges like "
                     "\"mon-fri\" or \"sat,sun\", got '%s'",
                     i, p->days);
            return HB_ERR_PARSE;
        }
        if (p->from_h == p->to_h) {
            snprintf(err, errlen, "periods[%zu]: from_h and to_h are equal (%g): an empty period",
                     i, p->from_h);
            return HB_ERR_PARSE;
        }
    }
    return HB_OK;
}

/* Whether period P covers day DAY (since day 0) at hour H of that day. */
static bool hb__covers(const hb_schedule *s, const hb_schedule_period *p, long day, double h) {
    int wd = (int)((day + s->start_wday) % 7);
    int prev = (wd + 6) % 7;
    if (p->from_h < p->to_h) {
        return (p->day_mask >> wd & 1u) && h >= p->from_h && h < p->to_h;
    }
    /* Wrapping: the evening part belongs to today, the morning part to the day before. */
    return ((p->day_mask >> wd & 1u) && h >= p->from_h) ||
           ((p->day_mask >> prev & 1u) && h < p->to_h);
}

void hb_schedule_at(const hb_schedule *s, double base_c, double base_band_k, double t_s,
                    hb_setpoint *out) {
    out->setpoint_c = base_c;
    out->lo_c = base_c - base_band_k;
    out->hi_c = base_c + base_band_k;
    out->period = -1;
    if (!s) {
        return;
    }
    double days = floor(t_s / 86400.0);
    long day = (long)days;
    double h = (t_s - days * 86400.0) / 3600.0;
    if (day < 0) { /* times before day 0 map onto the week as well */
        day = day % 7 + 7;
    }
    for (size_t i = 0; i < s->n_periods; i++) {
        const hb_schedule_period *p = &s->periods[i];
        if (hb__covers(s, p, day, h)) {
            double below = isnan(p->below_k) ? base_band_k : p->below_k;
            double above = isnan(p->above_k) ? base_band_k : p->above_k;
            out->setpoint_c = p->setpoint_c;
            out->lo_c = p->setpoint_c - below;
            out->hi_c = p->setpoint_c + above;
            out->period = (int)i;
            return;
        }
    }
}

/* Whether B, repeated every week, falls in (T0, T1] (T1 - T0 under a week). */
static bool hb__weekly_in(double b, double t0, double t1) {
    const double week = 7 * 86400.0;
    double next = b + (floor((t0 - b) / week) + 1.0) * week; /* first repeat after T0 */
    return next <= t1;
}

bool hb_schedule_changes(const hb_schedule *s, double t0_s, double t1_s) {
    if (!s || s->n_periods == 0 || !(t1_s > t0_s)) {
        return false;
    }
    if (t1_s - t0_s >= 7 * 86400.0) {
        return true;
    }
    for (size_t i = 0; i < s->n_periods; i++) {
        const hb_schedule_period *p = &s->periods[i];
        for (int wd = 0; wd < 7; wd++) {
            if (!(p->day_mask >> wd & 1u)) {
                continue;
            }
            /* The schedule's day 0 is weekday start_wday: weekday WD is day (WD - start) mod 7. */
            double day = (double)((wd - s->start_wday + 7) % 7) * 86400.0;
            double from = day + p->from_h * 3600.0;
            double to = day + p->to_h * 3600.0 + (p->to_h < p->from_h ? 86400.0 : 0.0);
            if (hb__weekly_in(from, t0_s, t1_s) || hb__weekly_in(to, t0_s, t1_s)) {
                return true;
            }
        }
    }
    return false;
}
