/*
 * What a household asks of one room, and what the room does about it: a mode (heat or off), a
 * preset (comfort, eco, away), a setpoint set by hand, and a schedule, with the rules a wall
 * thermostat follows:
 *
 *  - the schedule (hb_schedule, the format of a scenario's "schedule") gives the setpoint in
 *    force, and the base setpoint outside every period;
 *  - a setpoint set by hand, or the comfort or eco preset, holds until the next schedule period
 *    begins (without a schedule: until changed);
 *  - "away" holds until changed (a household away for a week does not want the heating back on
 *    at the next morning's period);
 *  - a setpoint set by hand clears the preset (it is no longer "comfort"); preset "none" goes
 *    back to the schedule.
 *
 * Pure functions of the time given: the daemon passes seconds since Monday 00:00 of a week
 * (local time, or an accelerated clock under --speed), so the rules are tested without a clock.
 */
#ifndef HB_THERMOSTAT_H
#define HB_THERMOSTAT_H

#include "../controllers/hb_room_ctl.h"
#include "../controllers/hb_schedule.h"
#include "../mqtt/hb_payload.h"

#include <stdbool.h>
#include <stddef.h>

enum hb_mode { HB_MODE_HEAT, HB_MODE_OFF, HB_MODE__COUNT };
enum hb_preset {
    HB_PRESET_NONE,
    HB_PRESET_COMFORT,
    HB_PRESET_ECO,
    HB_PRESET_AWAY,
    HB_PRESET__COUNT
};

#define HB_ROOM_MAX_SENSORS 16

/* One room's settings from the daemon's configuration (or the defaults every room gets). */
typedef struct hb_room_prefs {
    char name[HB_ROOM_MAX]; /* the room, "" for the defaults */
    double setpoint_c;      /* outside every schedule period */
    double band_k;          /* the schedule's base band, K (the daemon shows none: fixed) */
    double min_c, max_c;    /* a setpoint outside is refused */
    double comfort_c, eco_c, away_c;
    hb_schedule schedule; /* prepared (day masks set) */
    hb_room_ctl_config ctl;
    /* The room's sensors, when listed: a reading from any other id is dropped (a sensor of the
     * next room on a wrong topic, a forged id) instead of taking a voting slot. */
    char sensors[HB_ROOM_MAX_SENSORS][HB_SENSOR_ID_LEN];
    size_t n_sensors;
} hb_room_prefs;

/* Whether readings of sensor ID belong to the room (every id when none are listed). */
bool hb_room_prefs_sensor_ok(const hb_room_prefs *p, const char *id);

/* The household's state of one room (small: a daemon keeps one per room). */
typedef struct hb_thermostat {
    float manual_c; /* set by hand, NaN when none (a float: setpoints are steps of 0.1 K) */
    short period;   /* schedule period in force when the override was made (-1: base) */
    unsigned char mode;
    unsigned char preset;
} hb_thermostat;

const char *hb_mode_name(int mode);
const char *hb_preset_name(int preset);

/* The mode or preset called NAME, or -1. */
int hb_mode_parse(const char *name);
int hb_preset_parse(const char *name);

/* Heat, no preset, no manual setpoint. */
void hb_thermostat_init(hb_thermostat *th);

/* The setpoint in force at T (seconds since Monday 00:00); expires an override whose schedule
 * period has ended. */
double hb_thermostat_setpoint(hb_thermostat *th, const hb_room_prefs *p, double t);

/* A setpoint set by hand: HB_ERR_RANGE (nothing changed) outside [min_c, max_c] or not finite. */
int hb_thermostat_set_setpoint(hb_thermostat *th, const hb_room_prefs *p, double t, double c);

/* A preset (HB_PRESET_NONE: back to the schedule). HB_ERR_INVAL for an unknown one. */
int hb_thermostat_set_preset(hb_thermostat *th, const hb_room_prefs *p, double t, int preset);

/* After the room's settings were replaced by P (a reload): an override still held under the old
 * schedule holds until the next period of the new one. Period numbers of two schedules name
 * different times, so the one kept would otherwise end an override at once or hold it over a
 * period change. Call hb_thermostat_setpoint with the old settings first, so an override whose
 * period has ended under them is gone. */
void hb_thermostat_rebind(hb_thermostat *th, const hb_room_prefs *p, double t);

/* A restored state (a restart, a take-over) saved at T_THEN, on the clock of T_NOW: an override
 * whose schedule period ended meanwhile is gone, even when the period in force now has the
 * number it was made in (a daemon down overnight, back the next morning). */
void hb_thermostat_resume(hb_thermostat *th, const hb_room_prefs *p, double t_then, double t_now);

/* A setpoint by hand brought within P's min_c..max_c: the limits may have been lowered since it
 * was set (a reload, a state restored under a changed configuration). hb_thermostat_rebind
 * does this too. */
void hb_thermostat_fit(hb_thermostat *th, const hb_room_prefs *p);

/* HB_ERR_INVAL for an unknown mode. */
int hb_thermostat_set_mode(hb_thermostat *th, int mode);

/* The built-in defaults: SETPOINT_C as base and comfort, eco 17 °C, away 12 °C, limits 5..30 °C,
 * no schedule, the controller CTL. */
void hb_room_prefs_default(hb_room_prefs *p, double setpoint_c, const hb_room_ctl_config *ctl);

/* Checks a filled-in PREFS (setpoints within the limits, the controller valid) and prepares its
 * schedule. HB_OK, or an error with a message in ERR. */
int hb_room_prefs_finish(hb_room_prefs *p, char *err, size_t errlen);

/* The daemon's configuration: the defaults, and the rooms that differ from them. */
typedef struct hb_home {
    hb_room_prefs defaults;
    hb_room_prefs *rooms;
    size_t n_rooms;
} hb_home;

/* The prefs of room NAME: its own, or the defaults. */
const hb_room_prefs *hb_home_room(const hb_home *h, const char *name);

/* Whether the configuration has an entry of its own for room NAME (rooms[]). */
bool hb_home_lists(const hb_home *h, const char *name);

void hb_home_free(hb_home *h);

#endif
