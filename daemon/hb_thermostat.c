#include "hb_thermostat.h"
#include "../util/hb_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hb__modes[HB_MODE__COUNT] = {"heat", "off"};
static const char *const hb__presets[HB_PRESET__COUNT] = {"none", "comfort", "eco", "away"};

const char *hb_mode_name(int mode) {
    return mode >= 0 && mode < HB_MODE__COUNT ? hb__modes[mode] : "unknown";
}

const char *hb_preset_name(int preset) {
    return preset >= 0 && preset < HB_PRESET__COUNT ? hb__presets[preset] : "unknown";
}

static int hb__lookup(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

int hb_mode_parse(const char *name) {
    return hb__lookup(hb__modes, HB_MODE__COUNT, name);
}

int hb_preset_parse(const char *name) {
    return hb__lookup(hb__presets, HB_PRESET__COUNT, name);
}

void hb_thermostat_init(hb_thermostat *th) {
    *th = (hb_thermostat){
        .manual_c = NAN, .period = -1, .mode = HB_MODE_HEAT, .preset = HB_PRESET_NONE};
}

static int hb__period(const hb_room_prefs *p, double t) {
    hb_setpoint now;
    hb_schedule_at(&p->schedule, p->setpoint_c, p->band_k, t, &now);
    return now.period;
}

/* An override that the next schedule period ends: a setpoint by hand, comfort or eco. */
static bool hb__held(const hb_thermostat *th) {
    return !isnan(th->manual_c) || th->preset == HB_PRESET_COMFORT || th->preset == HB_PRESET_ECO;
}

double hb_thermostat_setpoint(hb_thermostat *th, const hb_room_prefs *p, double t) {
    hb_setpoint now;
    hb_schedule_at(&p->schedule, p->setpoint_c, p->band_k, t, &now);
    if (hb__held(th) && p->schedule.n_periods > 0 && now.period != th->period) {
        th->manual_c = NAN; /* the next period has begun: the schedule is back */
        th->preset = HB_PRESET_NONE;
    }
    switch (th->preset) {
    case HB_PRESET_COMFORT:
        return p->comfort_c;
    case HB_PRESET_ECO:
        return p->eco_c;
    case HB_PRESET_AWAY:
        return p->away_c;
    default:
        return isnan(th->manual_c) ? now.setpoint_c : th->manual_c;
    }
}

int hb_thermostat_set_setpoint(hb_thermostat *th, const hb_room_prefs *p, double t, double c) {
    if (!isfinite(c) || c < p->min_c || c > p->max_c) {
        return HB_ERR_RANGE;
    }
    th->manual_c = (float)c;
    th->preset = HB_PRESET_NONE;
    th->period = (short)hb__period(p, t);
    return HB_OK;
}

int hb_thermostat_set_preset(hb_thermostat *th, const hb_room_prefs *p, double t, int preset) {
    if (preset < 0 || preset >= HB_PRESET__COUNT) {
        return HB_ERR_INVAL;
    }
    th->preset = (unsigned char)preset;
    th->manual_c = NAN;
    th->period = (short)hb__period(p, t);
    return HB_OK;
}

void hb_thermostat_resume(hb_thermostat *th, const hb_room_prefs *p, double t_then, double t_now) {
    if (hb__held(th) && hb_schedule_changes(&p->schedule, t_then, t_now)) {
        th->manual_c = NAN;
        th->preset = HB_PRESET_NONE;
    }
}

void hb_thermostat_fit(hb_thermostat *th, const hb_room_prefs *p) {
    if (!isnan(th->manual_c)) {
        th->manual_c = (float)fmin(fmax(th->manual_c, p->min_c), p->max_c);
    }
}

void hb_thermostat_rebind(hb_thermostat *th, const hb_room_prefs *p, double t) {
    hb_thermostat_fit(th, p);
    if (hb__held(th)) {
        th->period = (short)hb__period(p, t);
    }
}

int hb_thermostat_set_mode(hb_thermostat *th, int mode) {
    if (mode < 0 || mode >= HB_MODE__COUNT) {
        return HB_ERR_INVAL;
    }
    th->mode = (unsigned char)mode;
    return HB_OK;
}

void hb_room_prefs_default(hb_room_prefs *p, double setpoint_c, const hb_room_ctl_config *ctl) {
    memset(p, 0, sizeof *p);
    p->setpoint_c = setpoint_c;
    p->band_k = 0.5;
    p->min_c = 5.0;
    p->max_c = 30.0;
    p->comfort_c = setpoint_c;
    p->eco_c = 17.0;
    p->away_c = 12.0;
    memcpy(p->schedule.start_day, "mon", 4);
    p->ctl = *ctl;
    p->ctl.setpoint_c = setpoint_c;
}

int hb_room_prefs_finish(hb_room_prefs *p, char *err, size_t errlen) {
    const char *where = p->name[0] ? p->name : "defaults";
    if (!(p->min_c < p->max_c)) {
        snprintf(err, errlen, "%s: min_c (%g) must be below max_c (%g)", where, p->min_c, p->max_c);
        return HB_ERR_RANGE;
    }
    const struct {
        const char *key;
        double v;
    } sp[] = {{"setpoint_c", p->setpoint_c},
              {"presets.comfort_c", p->comfort_c},
              {"presets.eco_c", p->eco_c},
              {"presets.away_c", p->away_c}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        if (sp[i].v < p->min_c || sp[i].v > p->max_c) {
            snprintf(err, errlen, "%s: %s (%g °C) is outside min_c..max_c (%g..%g °C)", where,
                     sp[i].key, sp[i].v, p->min_c, p->max_c);
            return HB_ERR_RANGE;
        }
    }
    /* The daemon's week starts on Monday: it passes seconds since Monday 00:00. */
    memcpy(p->schedule.start_day, "mon", 4);
    char msg[256];
    if (hb_schedule_prepare(&p->schedule, msg, sizeof msg) != HB_OK) {
        snprintf(err, errlen, "%s: schedule.%s", where, msg);
        return HB_ERR_PARSE;
    }
    p->ctl.setpoint_c = p->setpoint_c;
    if (p->n_sensors > 0) {
        p->ctl.fusion.expected_sensors = p->n_sensors; /* a slot for each, and no more */
        if (p->ctl.quorum > (int)p->n_sensors) {
            p->ctl.quorum = (int)p->n_sensors;
        }
    }
    if (hb_room_ctl_check(&p->ctl) != HB_OK) {
        snprintf(err, errlen, "%s: the controller settings are invalid", where);
        return HB_ERR_RANGE;
    }
    return HB_OK;
}

bool hb_room_prefs_sensor_ok(const hb_room_prefs *p, const char *id) {
    if (p->n_sensors == 0) {
        return true;
    }
    for (size_t i = 0; i < p->n_sensors; i++) {
        if (strcmp(p->sensors[i], id) == 0) {
            return true;
        }
    }
    return false;
}

const hb_room_prefs *hb_home_room(const hb_home *h, const char *name) {
    for (size_t i = 0; i < h->n_rooms; i++) {
        if (strcmp(h->rooms[i].name, name) == 0) {
            return &h->rooms[i];
        }
    }
    return &h->defaults;
}

bool hb_home_lists(const hb_home *h, const char *name) {
    return hb_home_room(h, name) != &h->defaults;
}

void hb_home_free(hb_home *h) {
    free(h->rooms);
    h->rooms = NULL;
    h->n_rooms = 0;
}
